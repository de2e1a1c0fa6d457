// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sets and maps of an rs_table on the wire: each kind's key, data,
 * flags and the userdata nft 1.0.6 writes for it (so that `nft list` prints
 * svcnft's sets exactly as it prints sets nft made from `svcnft plan`), and
 * the bytes of element keys.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "netlink.h"
#include "netlink_int.h"
#include "util.h"

/* What each field of a key holds: addresses take the family's length,
 * the others 4 bytes. */
enum key_field { KF_END, KF_ADDR, KF_ADDR2, KF_PROTO, KF_PORT };

static const uint8_t key_fields[][3] = {
	[RS_MAP_SERVICE_IPS] = { KF_ADDR, KF_PROTO, KF_PORT },
	[RS_MAP_NODEPORTS] = { KF_PROTO, KF_PORT },
	[RS_SET_ADDRS] = { KF_ADDR },
	[RS_SET_ADDR_PAIRS] = { KF_ADDR, KF_ADDR2 },
	/* typeof ip saddr . ip daddr . th dport: no protocol field, the map
	 * is per protocol */
	[RS_MAP_AFFINITY] = { KF_ADDR, KF_ADDR2, KF_PORT },
};

#define KEY_DESCS(a, len) {						\
	[RS_MAP_SERVICE_IPS] = { NL_CONCAT3(a, NL_TYPE_INET_PROTOCOL,	\
					    NL_TYPE_INET_SERVICE), len + 8 }, \
	[RS_MAP_NODEPORTS] = { NL_CONCAT2(NL_TYPE_INET_PROTOCOL,	\
					  NL_TYPE_INET_SERVICE), 8 },	\
	[RS_SET_ADDRS] = { a, len },					\
	[RS_SET_ADDR_PAIRS] = { NL_CONCAT2(a, a), 2 * len },		\
	[RS_MAP_AFFINITY] = { NL_CONCAT3(a, a, NL_TYPE_INET_SERVICE),	\
			      2 * len + 4 } }

static const struct nl_key_desc key_descs4[] = KEY_DESCS(NL_TYPE_IPADDR, 4);
static const struct nl_key_desc key_descs6[] = KEY_DESCS(NL_TYPE_IP6ADDR, 16);

/*
 * nft 1.0.6's numbers: ipv4_addr 7 / ipv6_addr 8; its protocol
 * descriptions proto_ip 12 / proto_ip6 13 and their saddr, daddr
 * templates 11, 12 / 8, 9; ICMP and ICMPv6 port unreachable 3 / 4.
 */
static const struct nl_family families[] = {
	{ NFPROTO_IPV4, AF_INET, 4, 12, 16, NL_TYPE_IPADDR, 3, NFT_CT_DST_IP,
	  12, 11, 12, NL_CONCAT2(NL_TYPE_IPADDR, NL_TYPE_INET_SERVICE), 8 },
	{ NFPROTO_IPV6, AF_INET6, 16, 8, 24, NL_TYPE_IP6ADDR, 4, NFT_CT_DST_IP6,
	  13, 8, 9, NL_CONCAT2(NL_TYPE_IP6ADDR, NL_TYPE_INET_SERVICE), 20 },
};

const struct nl_family *nl_family_of(uint8_t family)
{
	for (size_t i = 0; i < ARRAY_SIZE(families); i++)
		if (families[i].family == family)
			return &families[i];
	return NULL;
}

uint32_t nl_reg_at(uint32_t unit)
{
	return unit % 4 ? NFT_REG32_00 + unit : NFT_REG_1 + unit / 4;
}

const struct nl_key_desc *nl_key_desc(uint8_t family, enum rs_map_kind kind)
{
	if ((size_t)kind >= ARRAY_SIZE(key_fields))
		return NULL;
	if (family == NFPROTO_IPV4)
		return &key_descs4[kind];
	return family == NFPROTO_IPV6 ? &key_descs6[kind] : NULL;
}

static int put_key_addr(uint8_t *at, const struct nl_family *f,
			const struct ip_addr *a)
{
	if (a->family != f->af)
		return -EAFNOSUPPORT;
	memcpy(at, a->addr, f->addr_len);
	return f->addr_len;
}

/* The key of e: addresses and the port in network order, the protocol as
 * one byte, every field padded with zeros to a multiple of 4 bytes. */
int nl_key_encode(uint8_t family, enum rs_map_kind kind, const struct rs_elem *e,
		  uint8_t key[NL_KEY_MAX])
{
	const struct nl_family *f = nl_family_of(family);
	uint16_t port = htons(e->port);
	int at = 0, ret = 0;

	memset(key, 0, NL_KEY_MAX);
	if ((size_t)kind >= ARRAY_SIZE(key_fields) || !f)
		return -EINVAL;
	for (size_t i = 0; i < 3 && key_fields[kind][i] && ret >= 0; i++) {
		switch (key_fields[kind][i]) {
		case KF_ADDR:
			ret = put_key_addr(key + at, f, &e->addr);
			break;
		case KF_ADDR2:
			ret = put_key_addr(key + at, f, &e->addr2);
			break;
		case KF_PROTO:
			key[at] = e->l4proto;
			ret = 4;
			break;
		case KF_PORT:
			memcpy(key + at, &port, sizeof(port));
			ret = 4;
			break;
		}
		at += ret;
	}
	return ret < 0 ? ret : at;
}

static void set_addr(struct ip_addr *a, const struct nl_family *f,
		     const uint8_t *bytes)
{
	memset(a, 0, sizeof(*a));
	a->family = f->af;
	memcpy(a->addr, bytes, f->addr_len);
}

/* The fields of key into probe; the length they take. */
static size_t key_fields_decode(const struct nl_family *f, enum rs_map_kind kind,
				const uint8_t *k, struct rs_elem *probe)
{
	const uint8_t *start = k;
	uint16_t port;

	for (size_t i = 0; i < 3 && key_fields[kind][i]; i++) {
		switch (key_fields[kind][i]) {
		case KF_ADDR:
			set_addr(&probe->addr, f, k);
			k += f->addr_len;
			break;
		case KF_ADDR2:
			set_addr(&probe->addr2, f, k);
			k += f->addr_len;
			break;
		case KF_PROTO:
			probe->l4proto = *k;
			k += 4;
			break;
		case KF_PORT:
			memcpy(&port, k, sizeof(port));
			probe->port = ntohs(port);
			k += 4;
			break;
		}
	}
	return k - start;
}

int nl_key_decode(uint8_t family, enum rs_map_kind kind, const void *key,
		  size_t len, struct rs_elem *e)
{
	const struct nl_key_desc *kd = nl_key_desc(family, kind);
	uint8_t want[NL_KEY_MAX];
	struct rs_elem probe;

	if (!kd || len != kd->len)
		return -EPROTO;
	memset(&probe, 0, sizeof(probe));
	key_fields_decode(nl_family_of(family), kind, key, &probe);
	/* Padding must be zero, as nl_key_encode writes it. */
	if (nl_key_encode(family, kind, &probe, want) != (int)len ||
	    memcmp(want, key, len))
		return -EPROTO;
	e->addr = probe.addr;
	e->addr2 = probe.addr2;
	e->l4proto = probe.l4proto;
	e->port = probe.port;
	return 0;
}

/*
 * nft's names for the typeof expressions of an affinity map, as its
 * userdata stores them (nft 1.0.6: expression type 7 "payload" with the
 * protocol description and template; 13 "concat" around them).
 */
enum {
	NL_UD_EXPR_PAYLOAD = 7,
	NL_UD_EXPR_CONCAT = 13,
	NL_UD_PROTO_TH = 11,	/* nft's proto_th */
	NL_UD_TH_DPORT = 2,
};

/* One payload field of a typeof concatenation, as entry index. */
static void put_typeof_payload(struct nftnl_udata_buf *ud, uint8_t index,
			       uint32_t proto, uint32_t field)
{
	struct nftnl_udata *entry = nftnl_udata_nest_start(ud, index);
	struct nftnl_udata *desc;

	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, NL_UD_EXPR_PAYLOAD);
	desc = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
	nftnl_udata_put_u32(ud, 0, proto);	/* payload description */
	nftnl_udata_put_u32(ud, 1, field);	/* its template */
	nftnl_udata_nest_end(ud, desc);
	nftnl_udata_nest_end(ud, entry);
}

/* typeof [ip saddr .] ip daddr . th dport (ip6 saddr... in ip6) */
static void put_typeof(struct nftnl_udata_buf *ud, const struct nl_family *f,
		       uint8_t type, bool with_saddr)
{
	struct nftnl_udata *top = nftnl_udata_nest_start(ud, type);
	struct nftnl_udata *fields;
	uint8_t i = 0;

	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, NL_UD_EXPR_CONCAT);
	fields = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
	if (with_saddr)
		put_typeof_payload(ud, i++, f->ud_proto, f->ud_saddr);
	put_typeof_payload(ud, i++, f->ud_proto, f->ud_daddr);
	put_typeof_payload(ud, i, NL_UD_PROTO_TH, NL_UD_TH_DPORT);
	nftnl_udata_nest_end(ud, fields);
	nftnl_udata_nest_end(ud, top);
}

/*
 * Set userdata as nft 1.0.6 writes it: key (and data) byte order (2: big
 * endian, for an address; 0: a concatenation has none of its own) and, for
 * maps, "data is not an interval". For a concatenation declared with
 * "type" nft also writes a "typeof" record holding only its own internal
 * number; without it nft reads the key type instead and lists exactly
 * what it lists for its own set. The affinity map is declared with typeof
 * (its update statement needs nft to know the expressions): nft lists it
 * as `typeof ...` only when the record is there, so it is written in full.
 */
static void set_userdata(struct nftnl_set *s, const struct nl_family *f,
			 enum rs_map_kind kind)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(256);

	if (!ud)
		out_of_memory();
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
			    kind == RS_SET_ADDRS ? 2 : 0);
	if (kind != RS_SET_ADDRS && kind != RS_SET_ADDR_PAIRS)
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, 0);
	if (kind == RS_MAP_AFFINITY) {
		put_typeof(ud, f, NFTNL_UDATA_SET_KEY_TYPEOF, true);
		put_typeof(ud, f, NFTNL_UDATA_SET_DATA_TYPEOF, false);
	}
	if (kind != RS_SET_ADDRS && kind != RS_SET_ADDR_PAIRS)
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATA_INTERVAL, 0);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
}

int nl_set_describe(struct nftnl_set *s, uint8_t family, const struct rs_map *m)
{
	const struct nl_key_desc *kd = nl_key_desc(family, m->kind);
	const struct nl_family *f = nl_family_of(family);

	if (!kd)
		return -EINVAL;
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, kd->type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, kd->len);
	switch (m->kind) {
	case RS_SET_ADDRS:
	case RS_SET_ADDR_PAIRS:
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
		break;
	case RS_MAP_AFFINITY:
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NL_AFFINITY_FLAGS);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, f->affinity_data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, f->affinity_data_len);
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, NL_AFFINITY_SIZE);
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, (uint64_t)m->timeout * 1000);
		break;
	case RS_MAP_SERVICE_IPS:
	case RS_MAP_NODEPORTS:
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 0);
		break;
	}
	set_userdata(s, f, m->kind);
	return 0;
}

/* The kind of a set read back, or -1 when it is none svcnft writes. */
int nl_set_kind(const struct nftnl_set *s, uint8_t family)
{
	uint32_t flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	const struct nl_family *f = nl_family_of(family);

	for (size_t k = 0; f && k < ARRAY_SIZE(key_fields); k++) {
		const struct nl_key_desc *kd = nl_key_desc(family, k);
		bool verdict_map = k == RS_MAP_SERVICE_IPS || k == RS_MAP_NODEPORTS;

		if (nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE) != kd->type ||
		    nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) != kd->len)
			continue;
		if (verdict_map && flags == NFT_SET_MAP &&
		    nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE) == NFT_DATA_VERDICT)
			return k;
		if (k == RS_MAP_AFFINITY && flags == NL_AFFINITY_FLAGS &&
		    nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE) == f->affinity_data_type &&
		    nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN) == f->affinity_data_len)
			return k;
		if ((k == RS_SET_ADDRS || k == RS_SET_ADDR_PAIRS) && flags == 0)
			return k;
	}
	return -1;
}
