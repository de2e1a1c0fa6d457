// SPDX-License-Identifier: GPL-2.0-or-later
/* Stale UDP conntrack entries removed over ctnetlink; see conntrack.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "conntrack.h"
#include "util.h"

/*
 * A flow key: family, address (16 bytes, IPv4 in the first 4; all zero
 * for a node port on any local address), port, and whether it is the
 * reply's source (an endpoint) or the original destination (a service
 * address). An IPv4 key is exact; an IPv6 one is hashed into 64 bits.
 */
static uint64_t flow_key(uint8_t family, const void *addr, uint16_t port_be,
			 bool reply_src)
{
	uint8_t bytes[20] = { family, reply_src };
	uint32_t a4;

	if (family == AF_INET) {
		memcpy(&a4, addr, 4);
		return (uint64_t)ntohl(a4) << 17 | (uint64_t)ntohs(port_be) << 1 |
		       reply_src;
	}
	memcpy(bytes + 2, &port_be, 2);
	memcpy(bytes + 4, addr, 16);
	/* keyed: the addresses come from manifests, which could choose two that
	 * collide under a hash anyone can compute */
	return hash_keyed(bytes, sizeof(bytes)) | 1ull << 63;
}

/* Its original destination address and reply source, 16 bytes each. */
static void flow_addrs(const struct nf_conntrack *ct, uint8_t family,
		       uint8_t dst[16], uint8_t reply_src[16])
{
	const void *d, *r;

	memset(dst, 0, 16);
	memset(reply_src, 0, 16);
	d = nfct_get_attr(ct, family == AF_INET ? ATTR_ORIG_IPV4_DST :
						 ATTR_ORIG_IPV6_DST);
	r = nfct_get_attr(ct, family == AF_INET ? ATTR_REPL_IPV4_SRC :
						 ATTR_REPL_IPV6_SRC);
	if (d)
		memcpy(dst, d, family == AF_INET ? 4 : 16);
	if (r)
		memcpy(reply_src, r, family == AF_INET ? 4 : 16);
}

struct collect {
	struct u64set keys;
	struct nf_conntrack **victims;
	size_t n, cap;
};

static bool is_stale(const struct collect *c, const struct nf_conntrack *ct)
{
	static const uint8_t any[16];
	uint8_t family = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
	uint16_t dport = nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST);
	uint8_t dst[16], src[16];

	if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != IPPROTO_UDP ||
	    (family != AF_INET && family != AF_INET6))
		return false;
	flow_addrs(ct, family, dst, src);
	return u64set_has(&c->keys, flow_key(family, src,
					     nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC),
					     true)) ||
	       u64set_has(&c->keys, flow_key(family, dst, dport, false)) ||
	       u64set_has(&c->keys, flow_key(family, any, dport, false));
}

static int collect_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		      void *data)
{
	struct collect *c = data;

	(void)type;
	if (is_stale(c, ct)) {
		grow_array(&c->victims, &c->cap, c->n + 1, sizeof(*c->victims));
		c->victims[c->n++] = nfct_clone(ct);
	}
	return NFCT_CB_CONTINUE;
}

/* Entries can not be deleted from inside a dump on the same socket:
 * collect them first. */
static int collect_stale(struct collect *c)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct nfct_filter_dump *f;
	int ret;

	if (!h)
		return -errno;
	f = nfct_filter_dump_create();
	if (!f) {
		nfct_close(h);
		return -ENOMEM;
	}
	/* both families: IPv4 and IPv6 flows in one dump */
	nfct_filter_dump_set_attr_u8(f, NFCT_FILTER_DUMP_L3NUM, AF_UNSPEC);
	nfct_callback_register(h, NFCT_T_ALL, collect_cb, c);
	ret = nfct_query(h, NFCT_Q_DUMP_FILTER, f) < 0 ? -errno : 0;
	nfct_filter_dump_destroy(f);
	nfct_close(h);
	return ret;
}

static int destroy_all(struct collect *c, unsigned *deleted)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	int ret = 0;

	if (!h)
		return -errno;
	for (size_t i = 0; i < c->n; i++) {
		if (nfct_query(h, NFCT_Q_DESTROY, c->victims[i]) == 0)
			(*deleted)++;
		else if (errno != ENOENT)	/* gone already: fine */
			ret = -errno;
	}
	nfct_close(h);
	return ret;
}

int conntrack_delete_udp(const struct rs_stale_flow *v, size_t n,
			 unsigned *deleted)
{
	struct collect c = { 0 };
	int ret;

	*deleted = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ip_addr *a = &v[i].addr;

		if (a->family) {
			u64set_add(&c.keys, flow_key(a->family, a->addr,
						     htons(v[i].port),
						     v[i].by_reply_src));
			continue;
		}
		/* family 0: a node port, on any local address of either */
		u64set_add(&c.keys, flow_key(AF_INET, a->addr, htons(v[i].port),
					     v[i].by_reply_src));
		u64set_add(&c.keys, flow_key(AF_INET6, a->addr, htons(v[i].port),
					     v[i].by_reply_src));
	}
	ret = n ? collect_stale(&c) : 0;
	if (!ret)
		ret = destroy_all(&c, deleted);
	for (size_t i = 0; i < c.n; i++)
		nfct_destroy(c.victims[i]);
	free(c.victims);
	u64set_free(&c.keys);
	return ret;
}
