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

/* A flow key: address, port, and whether it is the reply's source (an
 * endpoint) or the original destination (a service address; 0 for a node
 * port on any local address). */
static uint64_t flow_key(uint32_t addr_be, uint16_t port_be, bool reply_src)
{
	return (uint64_t)ntohl(addr_be) << 17 | (uint64_t)ntohs(port_be) << 1 | reply_src;
}

struct collect {
	struct u64set keys;
	struct nf_conntrack **victims;
	size_t n;
};

static bool is_stale(const struct collect *c, const struct nf_conntrack *ct)
{
	uint32_t dst = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST);
	uint16_t dport = nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST);

	if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != IPPROTO_UDP)
		return false;
	return u64set_has(&c->keys, flow_key(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC),
					     nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC), true)) ||
	       u64set_has(&c->keys, flow_key(dst, dport, false)) ||
	       u64set_has(&c->keys, flow_key(0, dport, false));
}

static int collect_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		      void *data)
{
	struct collect *c = data;

	(void)type;
	if (is_stale(c, ct)) {
		c->victims = xrealloc(c->victims, (c->n + 1) * sizeof(*c->victims));
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
	nfct_filter_dump_set_attr_u8(f, NFCT_FILTER_DUMP_L3NUM, AF_INET);
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
		uint32_t addr = 0;

		if (v[i].addr.family == AF_INET)
			memcpy(&addr, v[i].addr.addr, 4);
		else if (v[i].addr.family)
			continue;	/* IPv6 lives in the ip6 table's flows */
		u64set_add(&c.keys, flow_key(addr, htons(v[i].port), v[i].by_reply_src));
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
