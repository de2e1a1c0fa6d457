// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rules read back: one matcher per rs_rule_kind, each accepting exactly the
 * expression sequence netlink_expr.c writes for it (in the form the kernel
 * reports it: dumps carry a few attributes the request may leave out).
 * A matcher walks the expressions with a cursor: each take_* step accepts
 * one expression (or a fixed group) or fails the match.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "netlink.h"
#include "netlink_int.h"
#include "util.h"

/* Longer than any form svcnft writes (AFFINITY_RECORD: 11). */
#define RULE_EXPRS_MAX 12

struct exprs {
	struct nftnl_expr *v[RULE_EXPRS_MAX];
	size_t n;
};

struct cursor {
	const struct exprs *x;
	size_t at;
	const struct nl_family *f;	/* the table's family */
};

static bool expr_is(const struct nftnl_expr *e, const char *name)
{
	const char *n = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	return n && !strcmp(n, name);
}

static bool u32_is(const struct nftnl_expr *e, uint16_t attr, uint32_t want)
{
	return nftnl_expr_is_set(e, attr) && nftnl_expr_get_u32(e, attr) == want;
}

/* An attribute every kernel reports but a request may leave out. */
static bool u32_is_or_unset(const struct nftnl_expr *e, uint16_t attr,
			    uint32_t want)
{
	return !nftnl_expr_is_set(e, attr) || nftnl_expr_get_u32(e, attr) == want;
}

static const void *data_of(const struct nftnl_expr *e, uint16_t attr,
			   uint32_t len)
{
	uint32_t got;
	const void *d;

	if (!nftnl_expr_is_set(e, attr))
		return NULL;
	d = nftnl_expr_get(e, attr, &got);
	return d && got == len ? d : NULL;
}

/* The next expression when it is called name (then the cursor moves). */
static const struct nftnl_expr *take(struct cursor *c, const char *name)
{
	if (c->at >= c->x->n || !expr_is(c->x->v[c->at], name))
		return NULL;
	return c->x->v[c->at++];
}

static bool at_end(const struct cursor *c)
{
	return c->at == c->x->n;
}

static bool take_payload(struct cursor *c, uint32_t base, uint32_t offset,
			 uint32_t len, uint32_t dreg)
{
	const struct nftnl_expr *e = take(c, "payload");

	return e && u32_is(e, NFTNL_EXPR_PAYLOAD_DREG, dreg) &&
	       u32_is(e, NFTNL_EXPR_PAYLOAD_BASE, base) &&
	       u32_is(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset) &&
	       u32_is(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

/* ip saddr / ip daddr (ip6 in an ip6 table) into unit's register */
static bool take_saddr(struct cursor *c, uint32_t unit)
{
	return take_payload(c, NFT_PAYLOAD_NETWORK_HEADER, c->f->saddr_off,
			    c->f->addr_len, nl_reg_at(unit));
}

static bool take_daddr(struct cursor *c, uint32_t unit)
{
	return take_payload(c, NFT_PAYLOAD_NETWORK_HEADER, c->f->daddr_off,
			    c->f->addr_len, nl_reg_at(unit));
}

static bool take_dport(struct cursor *c, uint32_t dreg)
{
	return take_payload(c, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg);
}

static bool take_meta(struct cursor *c, uint32_t key, uint16_t reg_attr,
		      uint32_t reg)
{
	const struct nftnl_expr *e = take(c, "meta");

	return e && u32_is(e, NFTNL_EXPR_META_KEY, key) && u32_is(e, reg_attr, reg);
}

static bool take_meta_l4proto(struct cursor *c, uint32_t dreg)
{
	return take_meta(c, NFT_META_L4PROTO, NFTNL_EXPR_META_DREG, dreg);
}

/* cmp OP reg 1 with len bytes of data: returns the data. */
static const void *take_cmp(struct cursor *c, uint32_t op, uint32_t len)
{
	const struct nftnl_expr *e = take(c, "cmp");

	if (!e || !u32_is(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1) ||
	    !u32_is(e, NFTNL_EXPR_CMP_OP, op))
		return NULL;
	return data_of(e, NFTNL_EXPR_CMP_DATA, len);
}

static bool take_cmp_u32(struct cursor *c, uint32_t op, uint32_t want)
{
	const void *d = take_cmp(c, op, sizeof(want));

	return d && !memcmp(d, &want, sizeof(want));
}

/* bitwise reg 1 = (reg 1 & MASK) ^ XOR on len bytes */
static bool take_bitwise_bytes(struct cursor *c, void *mask, void *xor,
			       uint32_t len)
{
	const struct nftnl_expr *e = take(c, "bitwise");
	const void *m, *x;

	if (!e || !u32_is(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1) ||
	    !u32_is(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1) ||
	    !u32_is(e, NFTNL_EXPR_BITWISE_LEN, len) ||
	    !u32_is_or_unset(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL))
		return false;
	m = data_of(e, NFTNL_EXPR_BITWISE_MASK, len);
	x = data_of(e, NFTNL_EXPR_BITWISE_XOR, len);
	if (!m || !x)
		return false;
	memcpy(mask, m, len);
	memcpy(xor, x, len);
	return true;
}

static bool take_bitwise(struct cursor *c, uint32_t *mask, uint32_t *xor)
{
	return take_bitwise_bytes(c, mask, xor, sizeof(*mask));
}

static bool take_bitwise_is(struct cursor *c, uint32_t mask, uint32_t xor)
{
	uint32_t m, x;

	return take_bitwise(c, &m, &x) && m == mask && x == xor;
}

/* meta l4proto => reg 1; cmp eq reg 1 PROTO */
static bool take_l4proto(struct cursor *c, uint8_t *proto)
{
	const uint8_t *p;

	if (!take_meta_l4proto(c, NFT_REG_1))
		return false;
	p = take_cmp(c, NFT_CMP_EQ, 1);
	if (p)
		*proto = *p;
	return p != NULL;
}

/* meta mark => reg 1; bitwise; meta set mark: returns mask and xor */
static bool take_mark_set(struct cursor *c, uint32_t *mask, uint32_t *xor)
{
	return take_meta(c, NFT_META_MARK, NFTNL_EXPR_META_DREG, NFT_REG_1) &&
	       take_bitwise(c, mask, xor) &&
	       take_meta(c, NFT_META_MARK, NFTNL_EXPR_META_SREG, NFT_REG_1);
}

/* meta mark set meta mark | BITS */
static bool take_mark_or(struct cursor *c, uint32_t *bits)
{
	uint32_t mask, xor;

	if (!take_mark_set(c, &mask, &xor) || mask != ~xor || !xor)
		return false;
	*bits = xor;
	return true;
}

static bool take_mark_and_is(struct cursor *c, uint32_t want)
{
	uint32_t mask, xor;

	return take_mark_set(c, &mask, &xor) && mask == want && !xor;
}

/* meta mark & MASK == VALUE */
static bool take_mark_match(struct cursor *c, uint32_t *mask, uint32_t *value)
{
	uint32_t xor;
	const void *d;

	if (!take_meta(c, NFT_META_MARK, NFTNL_EXPR_META_DREG, NFT_REG_1) ||
	    !take_bitwise(c, mask, &xor) || xor)
		return false;
	d = take_cmp(c, NFT_CMP_EQ, sizeof(*value));
	if (d)
		memcpy(value, d, sizeof(*value));
	return d != NULL;
}

static bool take_mark_match_is(struct cursor *c, uint32_t mask, uint32_t *value)
{
	uint32_t m;

	return take_mark_match(c, &m, value) && m == mask;
}

/* lookup reg 1 in a set, with dreg (NFT_REG_VERDICT for a verdict map) or
 * none (want_dreg false): returns the set's name. */
static const char *take_lookup(struct cursor *c, bool want_dreg, uint32_t dreg)
{
	const struct nftnl_expr *e = take(c, "lookup");

	if (!e || !u32_is(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1) ||
	    !u32_is_or_unset(e, NFTNL_EXPR_LOOKUP_FLAGS, 0) ||
	    !nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_SET) ||
	    nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) != want_dreg ||
	    (want_dreg && !u32_is(e, NFTNL_EXPR_LOOKUP_DREG, dreg)))
		return NULL;
	return nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
}

static bool take_set_lookup(struct cursor *c, struct rs_rule *r)
{
	const char *set = take_lookup(c, false, 0);

	if (set && !r->target)
		r->target = xstrdup(set);
	return set != NULL;
}

/* immediate reg 0 VERDICT [-> CHAIN]: the chain, or "" without one */
static const char *take_verdict(struct cursor *c, int verdict)
{
	const struct nftnl_expr *e = take(c, "immediate");
	bool chained = verdict == NFT_JUMP || verdict == NFT_GOTO;

	if (!e || !u32_is(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT) ||
	    !u32_is(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict) ||
	    nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN) != chained)
		return NULL;
	return chained ? nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN) : "";
}

static bool take_goto(struct cursor *c, int verdict, struct rs_rule *r)
{
	const char *chain = take_verdict(c, verdict);

	if (chain)
		r->target = xstrdup(chain);
	return chain != NULL;
}

static bool take_fib_local(struct cursor *c, uint32_t which)
{
	const struct nftnl_expr *e = take(c, "fib");

	return e && u32_is(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1) &&
	       u32_is(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE) &&
	       u32_is(e, NFTNL_EXPR_FIB_FLAGS, which) &&
	       take_cmp_u32(c, NFT_CMP_EQ, RTN_LOCAL);
}

static bool take_ct(struct cursor *c, uint32_t key, bool original, uint32_t dreg)
{
	const struct nftnl_expr *e = take(c, "ct");

	if (!e || !u32_is(e, NFTNL_EXPR_CT_KEY, key) ||
	    !u32_is(e, NFTNL_EXPR_CT_DREG, dreg))
		return false;
	if (!original)
		return !nftnl_expr_is_set(e, NFTNL_EXPR_CT_DIR);
	return nftnl_expr_is_set(e, NFTNL_EXPR_CT_DIR) &&
	       nftnl_expr_get_u8(e, NFTNL_EXPR_CT_DIR) == IP_CT_DIR_ORIGINAL;
}

static bool next_is(const struct cursor *c, const char *name)
{
	return c->at < c->x->n && expr_is(c->x->v[c->at], name);
}

/* The prefix length of a contiguous netmask of len bytes, or -1. */
static int prefix_of(const uint8_t *mask, uint32_t len)
{
	int bits = 0;

	for (uint32_t i = 0; i < len * 8; i++) {
		bool set = mask[i / 8] & (0x80 >> (i % 8));

		if (set && bits != (int)i)
			return -1;	/* a set bit after a clear one */
		bits += set;
	}
	return bits;
}

/* The masked form: whole address, netmask, address with no host bits;
 * only for what nft masks: a prefix not byte-aligned, or /0. */
static bool take_saddr_masked(struct cursor *c, struct rs_rule *r)
{
	uint8_t mask[16], xor[16], zero[16] = { 0 };
	uint32_t len = c->f->addr_len;
	const uint8_t *d;
	int bits;

	if (!take_bitwise_bytes(c, mask, xor, len) || memcmp(xor, zero, len))
		return false;
	d = take_cmp(c, NFT_CMP_EQ, len);
	bits = prefix_of(mask, len);
	if (!d || bits < 0 || (bits % 8 == 0 && bits))
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (d[i] & ~mask[i])
			return false;
	memcpy(r->addr.addr, d, len);
	r->prefix_len = bits;
	return true;
}

/* ip saddr ADDR/LEN: the bytes of a byte-aligned prefix alone, otherwise
 * the whole address, masked (see netlink_expr.c). */
static bool take_saddr_prefix(struct cursor *c, struct rs_rule *r)
{
	const struct nftnl_expr *e = next_is(c, "payload") ? c->x->v[c->at] : NULL;
	uint32_t len = e ? nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN) : 0;
	const void *d;

	if (len < 1 || len > c->f->addr_len ||
	    !take_payload(c, NFT_PAYLOAD_NETWORK_HEADER, c->f->saddr_off, len,
			  NFT_REG_1))
		return false;
	memset(&r->addr, 0, sizeof(r->addr));
	r->addr.family = c->f->af;
	if (len == c->f->addr_len && next_is(c, "bitwise"))
		return take_saddr_masked(c, r);
	d = take_cmp(c, NFT_CMP_EQ, len);
	if (!d)
		return false;
	memcpy(r->addr.addr, d, len);
	r->prefix_len = len * 8;
	return true;
}

/* numgen reg 1 = random mod N; cmp eq reg 1 0: returns N, or 0. */
static uint32_t take_numgen(struct cursor *c)
{
	const struct nftnl_expr *e = take(c, "numgen");

	if (!e || !u32_is(e, NFTNL_EXPR_NG_DREG, NFT_REG_1) ||
	    !u32_is(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM) ||
	    !u32_is_or_unset(e, NFTNL_EXPR_NG_OFFSET, 0) ||
	    !nftnl_expr_is_set(e, NFTNL_EXPR_NG_MODULUS) ||
	    !take_cmp_u32(c, NFT_CMP_EQ, 0))
		return 0;
	return nftnl_expr_get_u32(e, NFTNL_EXPR_NG_MODULUS);
}

/*
 * nat dnat ip addr_min reg 1 addr_max reg 1 proto_min REG proto_max REG.
 * The kernel adds the max registers and NF_NAT_RANGE_MAP_IPS to what nft
 * sends, so both forms mean the same rule.
 */
static bool take_nat_dnat(struct cursor *c, uint32_t proto_reg)
{
	const struct nftnl_expr *e = take(c, "nat");
	uint32_t flags = NF_NAT_RANGE_PROTO_SPECIFIED;

	if (!e)
		return false;
	if (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_FLAGS))
		flags = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_FLAGS) &
			~NF_NAT_RANGE_MAP_IPS;
	return u32_is(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT) &&
	       u32_is(e, NFTNL_EXPR_NAT_FAMILY, c->f->family) &&
	       u32_is(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1) &&
	       u32_is_or_unset(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1) &&
	       u32_is(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, proto_reg) &&
	       u32_is_or_unset(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, proto_reg) &&
	       flags == NF_NAT_RANGE_PROTO_SPECIFIED;
}

static const void *take_imm_data(struct cursor *c, uint32_t dreg, uint32_t len)
{
	const struct nftnl_expr *e = take(c, "immediate");

	if (!e || !u32_is(e, NFTNL_EXPR_IMM_DREG, dreg))
		return NULL;
	return data_of(e, NFTNL_EXPR_IMM_DATA, len);
}

static bool match_dnat(struct cursor *c, struct rs_rule *r)
{
	const void *addr, *port;
	uint16_t p;

	if (next_is(c, "numgen") && !(r->numgen_mod = take_numgen(c)))
		return false;
	if (!take_l4proto(c, &r->l4proto))
		return false;
	addr = take_imm_data(c, NFT_REG_1, c->f->addr_len);
	port = take_imm_data(c, NFT_REG_2, 2);
	if (!addr || !port || !take_nat_dnat(c, NFT_REG_2))
		return false;
	r->addr.family = c->f->af;
	memcpy(r->addr.addr, addr, c->f->addr_len);
	memcpy(&p, port, sizeof(p));
	r->port = ntohs(p);
	return true;
}

/* reject: tcp reset for TCP, ICMP(v6) port unreachable otherwise */
static bool take_reject(struct cursor *c, uint8_t l4proto)
{
	const struct nftnl_expr *e = take(c, "reject");
	uint32_t type = l4proto == IPPROTO_TCP ? NFT_REJECT_TCP_RST :
						 NFT_REJECT_ICMP_UNREACH;

	/* The kernel reports the code only for the ICMP types. */
	return e && u32_is(e, NFTNL_EXPR_REJECT_TYPE, type) &&
	       (!nftnl_expr_is_set(e, NFTNL_EXPR_REJECT_CODE) ?
			type == NFT_REJECT_TCP_RST :
			nftnl_expr_get_u8(e, NFTNL_EXPR_REJECT_CODE) ==
				(type == NFT_REJECT_TCP_RST ? 0 : c->f->port_unreach));
}

/* meta l4proto P; ct state new; reject */
static bool match_reject(struct cursor *c, struct rs_rule *r)
{
	return take_l4proto(c, &r->l4proto) &&
	       take_ct(c, NFT_CT_STATE, false, NFT_REG_1) &&
	       take_bitwise_is(c, NF_CT_STATE_BIT(IP_CT_NEW), 0) &&
	       take_cmp_u32(c, NFT_CMP_NEQ, 0) && take_reject(c, r->l4proto);
}

static bool take_vmap(struct cursor *c, struct rs_rule *r)
{
	const char *map = take_lookup(c, true, NFT_REG_VERDICT);

	if (map)
		r->target = xstrdup(map);
	return map != NULL;
}

/* meta l4proto . th dport vmap @MAP */
static bool take_nodeport_vmap(struct cursor *c, struct rs_rule *r)
{
	return take_meta_l4proto(c, NFT_REG_1) && take_dport(c, NFT_REG32_01) &&
	       take_vmap(c, r);
}

/* ... ip daddr != 127.0.0.0/8 (one byte), ip6 daddr != ::1 (16) ... */
static bool match_vmap_nodeports(struct cursor *c, struct rs_rule *r)
{
	static const uint8_t loopback6[16] = { [15] = 1 };
	bool v6 = c->f->family == NFPROTO_IPV6;
	const uint8_t *loopback;

	if (!take_fib_local(c, NFTA_FIB_F_DADDR) ||
	    !take_payload(c, NFT_PAYLOAD_NETWORK_HEADER, c->f->daddr_off,
			  v6 ? 16 : 1, NFT_REG_1))
		return false;
	loopback = take_cmp(c, NFT_CMP_NEQ, v6 ? 16 : 1);
	if (!loopback || (v6 ? memcmp(loopback, loopback6, 16) != 0 :
			       *loopback != 127))
		return false;
	return take_nodeport_vmap(c, r);
}

static bool match_vmap_node_ips(struct cursor *c, struct rs_rule *r)
{
	const char *set;

	if (!take_daddr(c, 0))
		return false;
	set = take_lookup(c, false, 0);
	return set && !strcmp(set, NL_NODE_IPS_SET) && take_nodeport_vmap(c, r);
}

/* ip saddr . ip daddr . th dport: reg 1, reg 9, reg 10 (ip6: 1, 2, 3) */
static bool take_affinity_key(struct cursor *c)
{
	uint32_t a = NL_ADDR_UNITS(c->f);

	return take_saddr(c, 0) && take_daddr(c, a) &&
	       take_dport(c, nl_reg_at(2 * a));
}

static bool match_affinity_hit(struct cursor *c, struct rs_rule *r)
{
	return take_l4proto(c, &r->l4proto) && take_affinity_key(c) &&
	       take_set_lookup(c, r) && take_mark_or(c, &r->mark);
}

static bool match_affinity_dnat(struct cursor *c, struct rs_rule *r)
{
	const char *map;

	if (!take_mark_match_is(c, RS_MARK_AFFINITY, &r->mark) ||
	    !take_l4proto(c, &r->l4proto) || !take_affinity_key(c))
		return false;
	map = take_lookup(c, true, NFT_REG_1);
	if (map)
		r->target = xstrdup(map);
	return map && take_nat_dnat(c, nl_reg_at(NL_ADDR_UNITS(c->f)));
}

/* dynset update reg_key 1 set MAP sreg_data DATA timeout T */
static bool take_dynset_update(struct cursor *c, uint32_t data_reg,
			       struct rs_rule *r)
{
	const struct nftnl_expr *e = take(c, "dynset");
	uint64_t ms;

	if (!e || !u32_is(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE) ||
	    !u32_is(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1) ||
	    !u32_is(e, NFTNL_EXPR_DYNSET_SREG_DATA, data_reg) ||
	    !u32_is_or_unset(e, NFTNL_EXPR_DYNSET_FLAGS, 0) ||
	    !nftnl_expr_is_set(e, NFTNL_EXPR_DYNSET_TIMEOUT) ||
	    !nftnl_expr_is_set(e, NFTNL_EXPR_DYNSET_SET_NAME))
		return false;
	ms = nftnl_expr_get_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT);
	if (ms % 1000 || ms / 1000 > UINT32_MAX)
		return false;
	r->timeout = ms / 1000;
	r->target = xstrdup(nftnl_expr_get_str(e, NFTNL_EXPR_DYNSET_SET_NAME));
	return true;
}

/* The registers netlink_expr.c's put_affinity_record() uses: the data at
 * unit 4 (ip) or right after the 9-unit key (ip6). */
static bool match_affinity_record(struct cursor *c, struct rs_rule *r)
{
	uint32_t a = NL_ADDR_UNITS(c->f);
	uint32_t data = 2 * a + 1 < 4 ? 4 : 2 * a + 1;

	return take_mark_match_is(c, RS_MARK_AFFINITY, &r->mark) &&
	       take_l4proto(c, &r->l4proto) && take_saddr(c, 0) &&
	       take_ct(c, c->f->ct_dst, true, nl_reg_at(a)) &&
	       take_ct(c, NFT_CT_PROTO_DST, true, nl_reg_at(2 * a)) &&
	       take_daddr(c, data) && take_dport(c, nl_reg_at(data + a)) &&
	       take_dynset_update(c, nl_reg_at(data), r);
}

/* masquerade fully-random (the kernel reports no registers for it) */
static bool take_masq(struct cursor *c)
{
	const struct nftnl_expr *e = take(c, "masq");

	return e && u32_is(e, NFTNL_EXPR_MASQ_FLAGS, NF_NAT_RANGE_PROTO_RANDOM_FULLY) &&
	       !nftnl_expr_is_set(e, NFTNL_EXPR_MASQ_REG_PROTO_MIN);
}

static bool match_masq_marked(struct cursor *c)
{
	uint32_t value;

	return take_mark_match_is(c, RS_MARK_MASQUERADE, &value) &&
	       value == RS_MARK_MASQUERADE && take_mark_and_is(c, ~RS_MARK_ALL) &&
	       take_masq(c);
}

static bool match_masq_hairpin(struct cursor *c, struct rs_rule *r)
{
	return take_ct(c, NFT_CT_STATUS, false, NFT_REG_1) &&
	       take_bitwise_is(c, IPS_DST_NAT, 0) && take_cmp_u32(c, NFT_CMP_NEQ, 0) &&
	       take_saddr(c, 0) && take_daddr(c, NL_ADDR_UNITS(c->f)) &&
	       take_set_lookup(c, r) && take_masq(c);
}

static bool match_mark_not_pod(struct cursor *c, struct rs_rule *r)
{
	uint32_t value;

	return take_mark_match_is(c, RS_MARK_FROM_POD, &value) && !value &&
	       take_daddr(c, 0) && take_set_lookup(c, r) &&
	       take_mark_or(c, &r->mark);
}

static bool match_goto_if_mark(struct cursor *c, struct rs_rule *r)
{
	uint32_t mask;

	return take_mark_match(c, &mask, &r->mark) && mask == r->mark &&
	       r->mark && take_goto(c, NFT_GOTO, r);
}

static bool match_goto_if_local(struct cursor *c, struct rs_rule *r)
{
	return take_fib_local(c, NFTA_FIB_F_SADDR) && take_mark_or(c, &r->mark) &&
	       take_goto(c, NFT_GOTO, r);
}

/* [meta l4proto tcp] daddr @set reject [with tcp reset] */
static bool match_reject_to_set(struct cursor *c, struct rs_rule *r)
{
	uint8_t proto = 0;

	if (take_l4proto(c, &proto) && proto != IPPROTO_TCP)
		return false;
	r->l4proto = proto;
	return take_daddr(c, 0) && take_set_lookup(c, r) &&
	       take_reject(c, proto == IPPROTO_TCP ? IPPROTO_TCP : IPPROTO_UDP);
}

/* The kinds that are a verdict, a mark change or both. */
static bool match_simple(struct cursor *c, struct rs_rule *r)
{
	switch (r->kind) {
	case RS_RULE_JUMP:
		return take_goto(c, NFT_JUMP, r);
	case RS_RULE_GOTO:
		return take_goto(c, NFT_GOTO, r);
	case RS_RULE_DROP:
		return take_verdict(c, NF_DROP) != NULL;
	case RS_RULE_MARK:
		return take_mark_or(c, &r->mark);
	case RS_RULE_MARK_CLEAR:
		return take_mark_and_is(c, ~RS_MARK_ALL);
	case RS_RULE_MARK_SADDR:
		return take_saddr_prefix(c, r) && take_mark_or(c, &r->mark);
	case RS_RULE_RETURN_IF_SADDR:
		return take_saddr_prefix(c, r) && take_verdict(c, NFT_RETURN);
	case RS_RULE_GOTO_IF_MARK:
		return match_goto_if_mark(c, r);
	case RS_RULE_GOTO_IF_LOCAL_SOURCE:
		return match_goto_if_local(c, r);
	case RS_RULE_MARK_NOT_POD_TO_SET:
		return match_mark_not_pod(c, r);
	default:
		return false;
	}
}

static bool match_kind(struct cursor *c, struct rs_rule *r)
{
	switch (r->kind) {
	case RS_RULE_VMAP_SERVICE_IPS:
		return take_daddr(c, 0) &&
		       take_meta_l4proto(c, nl_reg_at(NL_ADDR_UNITS(c->f))) &&
		       take_dport(c, nl_reg_at(NL_ADDR_UNITS(c->f) + 1)) &&
		       take_vmap(c, r);
	case RS_RULE_VMAP_NODEPORTS:
		return match_vmap_nodeports(c, r);
	case RS_RULE_VMAP_NODEPORTS_NODE_IPS:
		return match_vmap_node_ips(c, r);
	case RS_RULE_DNAT:
		return match_dnat(c, r);
	case RS_RULE_REJECT:
		return match_reject(c, r);
	case RS_RULE_AFFINITY_HIT:
		return match_affinity_hit(c, r);
	case RS_RULE_AFFINITY_DNAT:
		return match_affinity_dnat(c, r);
	case RS_RULE_AFFINITY_RECORD:
		return match_affinity_record(c, r);
	case RS_RULE_REJECT_TO_SET:
		return match_reject_to_set(c, r);
	case RS_RULE_MASQUERADE_MARKED:
		return match_masq_marked(c);
	case RS_RULE_MASQUERADE_HAIRPIN:
		return match_masq_hairpin(c, r);
	default:
		return match_simple(c, r);
	}
}

static int collect_cb(struct nftnl_expr *e, void *data)
{
	struct exprs *x = data;

	if (x->n == RULE_EXPRS_MAX)
		return -1;	/* longer than anything svcnft writes */
	x->v[x->n++] = e;
	return 0;
}

/* The rule's family (from its message header), NFPROTO_IPV4 when unset. */
static const struct nl_family *rule_family(const struct nftnl_rule *nr)
{
	if (!nftnl_rule_is_set(nr, NFTNL_RULE_FAMILY))
		return nl_family_of(NFPROTO_IPV4);
	return nl_family_of(nftnl_rule_get_u32(nr, NFTNL_RULE_FAMILY));
}

void nl_rule_match(struct rs_rule *r, const struct nftnl_rule *nr)
{
	const struct nl_family *f = rule_family(nr);
	struct exprs x = { .n = 0 };

	if (nftnl_rule_is_set(nr, NFTNL_RULE_HANDLE))
		r->handle = nftnl_rule_get_u64(nr, NFTNL_RULE_HANDLE);
	if (!f)
		return;
	/* libnftnl 1.2.4 takes the rule as non-const but does not change it */
	if (nftnl_expr_foreach((struct nftnl_rule *)nr, collect_cb, &x) < 0)
		return;
	for (int k = RS_RULE_JUMP; k < RS_RULE_UNKNOWN; k++) {
		struct rs_rule probe = { .kind = k, .handle = r->handle };
		struct cursor c = { .x = &x, .f = f };

		/* every expression, and nothing after the form */
		if (match_kind(&c, &probe) && at_end(&c)) {
			*r = probe;
			return;
		}
		free(probe.target);	/* set by a matcher that failed late */
	}
}
