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
#include <linux/netfilter/nf_tables.h>

#include "netlink.h"
#include "netlink_int.h"
#include "util.h"

/* What each 4-byte field of a key holds. */
enum key_field { KF_END, KF_ADDR, KF_ADDR2, KF_PROTO, KF_PORT };

static const struct {
	struct nl_key_desc desc;
	uint8_t fields[3];
} key_layouts[] = {
	[RS_MAP_SERVICE_IPS] = {
		{ NL_CONCAT3(NL_TYPE_IPADDR, NL_TYPE_INET_PROTOCOL,
			     NL_TYPE_INET_SERVICE), 12 },
		{ KF_ADDR, KF_PROTO, KF_PORT } },
	[RS_MAP_NODEPORTS] = {
		{ NL_CONCAT2(NL_TYPE_INET_PROTOCOL, NL_TYPE_INET_SERVICE), 8 },
		{ KF_PROTO, KF_PORT } },
	[RS_SET_ADDRS] = { { NL_TYPE_IPADDR, 4 }, { KF_ADDR } },
	[RS_SET_ADDR_PAIRS] = {
		{ NL_CONCAT2(NL_TYPE_IPADDR, NL_TYPE_IPADDR), 8 },
		{ KF_ADDR, KF_ADDR2 } },
	/* typeof ip saddr . ip daddr . th dport: no protocol field, the map
	 * is per protocol */
	[RS_MAP_AFFINITY] = {
		{ NL_CONCAT3(NL_TYPE_IPADDR, NL_TYPE_IPADDR, NL_TYPE_INET_SERVICE), 12 },
		{ KF_ADDR, KF_ADDR2, KF_PORT } },
};

const struct nl_key_desc *nl_key_desc(enum rs_map_kind kind)
{
	if ((size_t)kind >= ARRAY_SIZE(key_layouts))
		return NULL;
	return &key_layouts[kind].desc;
}

/* The key of e: addresses and the port in network order, the protocol as
 * one byte, every field padded with zeros to 4 bytes. */
int nl_key_encode(enum rs_map_kind kind, const struct rs_elem *e,
		  uint8_t key[NL_KEY_MAX])
{
	uint16_t port = htons(e->port);
	size_t at = 0;

	memset(key, 0, NL_KEY_MAX);
	if ((size_t)kind >= ARRAY_SIZE(key_layouts))
		return -EINVAL;
	for (size_t i = 0; i < 3 && key_layouts[kind].fields[i]; i++, at += 4) {
		const struct ip_addr *a = key_layouts[kind].fields[i] == KF_ADDR ?
			&e->addr : &e->addr2;

		switch (key_layouts[kind].fields[i]) {
		case KF_ADDR:
		case KF_ADDR2:
			if (a->family != AF_INET)
				return -EAFNOSUPPORT;
			memcpy(key + at, a->addr, 4);
			break;
		case KF_PROTO:
			key[at] = e->l4proto;
			break;
		case KF_PORT:
			memcpy(key + at, &port, sizeof(port));
			break;
		}
	}
	return at;
}

static void set_ipv4(struct ip_addr *a, const uint8_t *bytes)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->addr, bytes, 4);
}

int nl_key_decode(enum rs_map_kind kind, const void *key, size_t len,
		  struct rs_elem *e)
{
	const struct nl_key_desc *kd = nl_key_desc(kind);
	const uint8_t *k = key;
	uint8_t want[NL_KEY_MAX];
	struct rs_elem probe;
	uint16_t port;

	if (!kd || len != kd->len)
		return -EPROTO;
	memset(&probe, 0, sizeof(probe));
	for (size_t i = 0; i < 3 && key_layouts[kind].fields[i]; i++, k += 4) {
		switch (key_layouts[kind].fields[i]) {
		case KF_ADDR:
			set_ipv4(&probe.addr, k);
			break;
		case KF_ADDR2:
			set_ipv4(&probe.addr2, k);
			break;
		case KF_PROTO:
			probe.l4proto = k[0];
			break;
		case KF_PORT:
			memcpy(&port, k, sizeof(port));
			probe.port = ntohs(port);
			break;
		}
	}
	/* Padding must be zero, as nl_key_encode writes it. */
	if (nl_key_encode(kind, &probe, want) != (int)len || memcmp(want, key, len))
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
	NL_UD_PROTO_IP = 12,	/* nft's proto_ip */
	NL_UD_IP_SADDR = 11,
	NL_UD_IP_DADDR = 12,
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

/* typeof [ip saddr .] ip daddr . th dport */
static void put_typeof(struct nftnl_udata_buf *ud, uint8_t type, bool with_saddr)
{
	struct nftnl_udata *top = nftnl_udata_nest_start(ud, type);
	struct nftnl_udata *fields;
	uint8_t i = 0;

	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, NL_UD_EXPR_CONCAT);
	fields = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
	if (with_saddr)
		put_typeof_payload(ud, i++, NL_UD_PROTO_IP, NL_UD_IP_SADDR);
	put_typeof_payload(ud, i++, NL_UD_PROTO_IP, NL_UD_IP_DADDR);
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
static void set_userdata(struct nftnl_set *s, enum rs_map_kind kind)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(256);

	if (!ud)
		abort();
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
			    kind == RS_SET_ADDRS ? 2 : 0);
	if (kind != RS_SET_ADDRS && kind != RS_SET_ADDR_PAIRS)
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, 0);
	if (kind == RS_MAP_AFFINITY) {
		put_typeof(ud, NFTNL_UDATA_SET_KEY_TYPEOF, true);
		put_typeof(ud, NFTNL_UDATA_SET_DATA_TYPEOF, false);
	}
	if (kind != RS_SET_ADDRS && kind != RS_SET_ADDR_PAIRS)
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATA_INTERVAL, 0);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
}

int nl_set_describe(struct nftnl_set *s, const struct rs_map *m)
{
	const struct nl_key_desc *kd = nl_key_desc(m->kind);

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
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NL_AFFINITY_DATA_TYPE);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, NL_AFFINITY_DATA_LEN);
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
	set_userdata(s, m->kind);
	return 0;
}

/* The kind of a set read back, or -1 when it is none svcnft writes. */
int nl_set_kind(const struct nftnl_set *s)
{
	uint32_t flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);

	for (size_t k = 0; k < ARRAY_SIZE(key_layouts); k++) {
		const struct nl_key_desc *kd = &key_layouts[k].desc;
		bool verdict_map = k == RS_MAP_SERVICE_IPS || k == RS_MAP_NODEPORTS;

		if (nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE) != kd->type ||
		    nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) != kd->len)
			continue;
		if (verdict_map && flags == NFT_SET_MAP &&
		    nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE) == NFT_DATA_VERDICT)
			return k;
		if (k == RS_MAP_AFFINITY && flags == NL_AFFINITY_FLAGS &&
		    nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE) == NL_AFFINITY_DATA_TYPE &&
		    nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN) == NL_AFFINITY_DATA_LEN)
			return k;
		if ((k == RS_SET_ADDRS || k == RS_SET_ADDR_PAIRS) && flags == 0)
			return k;
	}
	return -1;
}
