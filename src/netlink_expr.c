// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The expressions of each rule kind (ruleset.h names the nft text), as nft
 * 1.0.6 compiles that text and the kernel reports it back: register by
 * register, so that `nft list` reads svcnft's rules like nft's own and
 * netlink_rule.c can recognise them. /work/notes/issue3-shapes.debug holds
 * nft's listing of every shape.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static struct nftnl_expr *expr_add(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		out_of_memory();	/* out of memory: the names are all built in */
	nftnl_rule_add_expr(r, e);
	return e;
}

static void put_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset,
			uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(r, "payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

/* ip saddr / ip daddr (ip6 in an ip6 table) into unit's register */
static void put_saddr(struct nftnl_rule *r, const struct nl_family *f,
		      uint32_t unit)
{
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->saddr_off, f->addr_len,
		    nl_reg_at(unit));
}

static void put_daddr(struct nftnl_rule *r, const struct nl_family *f,
		      uint32_t unit)
{
	put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->daddr_off, f->addr_len,
		    nl_reg_at(unit));
}

/* th dport: two bytes at offset 2 of the transport header */
static void put_dport(struct nftnl_rule *r, uint32_t dreg)
{
	put_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg);
}

static void put_meta_l4proto(struct nftnl_rule *r, uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void put_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
		    uint32_t len)
{
	struct nftnl_expr *e = expr_add(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void put_cmp_u32(struct nftnl_rule *r, uint32_t op, uint32_t value)
{
	put_cmp(r, op, &value, sizeof(value));
}

/* reg 1 = (reg 1 & mask) ^ xor, on len bytes */
static void put_bitwise_bytes(struct nftnl_rule *r, const void *mask,
			      const void *xor, uint32_t len)
{
	struct nftnl_expr *e = expr_add(r, "bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
}

/* the same on a host-order 32-bit value */
static void put_bitwise(struct nftnl_rule *r, uint32_t mask, uint32_t xor)
{
	put_bitwise_bytes(r, &mask, &xor, sizeof(mask));
}

/* meta l4proto PROTO: the protocol is one byte in the register. */
static void put_l4proto_match(struct nftnl_rule *r, uint8_t l4proto)
{
	put_meta_l4proto(r, NFT_REG_1);
	put_cmp(r, NFT_CMP_EQ, &l4proto, sizeof(l4proto));
}

static void put_meta_mark(struct nftnl_rule *r, bool set)
{
	struct nftnl_expr *e = expr_add(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	nftnl_expr_set_u32(e, set ? NFTNL_EXPR_META_SREG : NFTNL_EXPR_META_DREG,
			   NFT_REG_1);
}

/* meta mark set meta mark & mask ^ xor: "| BITS" is mask ~BITS, xor BITS */
static void put_mark_set(struct nftnl_rule *r, uint32_t mask, uint32_t xor)
{
	put_meta_mark(r, false);
	put_bitwise(r, mask, xor);
	put_meta_mark(r, true);
}

/* meta mark & mask == value */
static void put_mark_match(struct nftnl_rule *r, uint32_t mask, uint32_t value)
{
	put_meta_mark(r, false);
	put_bitwise(r, mask, 0);
	put_cmp_u32(r, NFT_CMP_EQ, value);
}

/* lookup reg 1 in set NAME; dreg: NFT_REG_VERDICT (0) for a verdict map,
 * a data register for a data map, LOOKUP_SET for a set (no destination). */
#define LOOKUP_SET UINT32_MAX
static void put_lookup(struct nftnl_rule *r, const struct rs_table *t,
		       const char *set, uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(r, "lookup");
	const struct rs_map *m = set ? rs_table_find_map(t, set) : NULL;

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (dreg != LOOKUP_SET)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set ? set : "");
	/* A set not in t has no id: the kernel then reports the rule. */
	if (m)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID,
				   (uint32_t)(m - t->maps) + 1);
}

static void put_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = expr_add(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (verdict == NFT_JUMP || verdict == NFT_GOTO)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain ? chain : "");
}

/* ip daddr . meta l4proto . th dport vmap @MAP: the concatenation fills
 * consecutive 32-bit units from reg 1 (ip: reg 1, 9, 10; ip6: 1, 2, 13). */
static void put_vmap_service_ips(struct nftnl_rule *r, const struct rs_table *t,
				 const struct nl_family *f,
				 const struct rs_rule *rr)
{
	put_daddr(r, f, 0);
	put_meta_l4proto(r, nl_reg_at(NL_ADDR_UNITS(f)));
	put_dport(r, nl_reg_at(NL_ADDR_UNITS(f) + 1));
	put_lookup(r, t, rr->target, NFT_REG_VERDICT);
}

/* meta l4proto . th dport vmap @MAP */
static void put_nodeport_lookup(struct nftnl_rule *r, const struct rs_table *t,
				const struct rs_rule *rr)
{
	put_meta_l4proto(r, NFT_REG_1);
	put_dport(r, NFT_REG32_01);
	put_lookup(r, t, rr->target, NFT_REG_VERDICT);
}

/* fib {daddr,saddr} type local */
static void put_fib_local(struct nftnl_rule *r, uint32_t which)
{
	struct nftnl_expr *e = expr_add(r, "fib");

	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, which);
	put_cmp_u32(r, NFT_CMP_EQ, RTN_LOCAL);	/* host byte order */
}

/* fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport
 * vmap @MAP: nft compares the one byte a /8 covers. In ip6 the guard is
 * ip6 daddr != ::1, all 16 bytes. */
static void put_vmap_nodeports(struct nftnl_rule *r, const struct rs_table *t,
			       const struct nl_family *f,
			       const struct rs_rule *rr)
{
	static const uint8_t loopback6[16] = { [15] = 1 };
	uint8_t loopback = 127;

	put_fib_local(r, NFTA_FIB_F_DADDR);
	if (f->family == NFPROTO_IPV6) {
		put_daddr(r, f, 0);
		put_cmp(r, NFT_CMP_NEQ, loopback6, sizeof(loopback6));
	} else {
		put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->daddr_off, 1,
			    NFT_REG_1);
		put_cmp(r, NFT_CMP_NEQ, &loopback, sizeof(loopback));
	}
	put_nodeport_lookup(r, t, rr);
}

/* ip daddr @node-ips meta l4proto . th dport vmap @MAP */
static void put_vmap_nodeports_node_ips(struct nftnl_rule *r,
					const struct rs_table *t,
					const struct nl_family *f,
					const struct rs_rule *rr)
{
	put_daddr(r, f, 0);
	put_lookup(r, t, NL_NODE_IPS_SET, LOOKUP_SET);
	put_nodeport_lookup(r, t, rr);
}

static void put_imm_data(struct nftnl_rule *r, uint32_t dreg, const void *data,
			 uint32_t len)
{
	struct nftnl_expr *e = expr_add(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

static void put_numgen_random(struct nftnl_rule *r, uint32_t mod)
{
	struct nftnl_expr *e = expr_add(r, "numgen");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, mod);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, 0);
	put_cmp_u32(r, NFT_CMP_EQ, 0);
}

/*
 * nat dnat ip with the address in reg 1 and the port in proto_reg, written
 * the way the kernel reports it back: nft 1.0.6 sends only the min
 * registers (and PROTO_SPECIFIED for a literal port), and the kernel fills
 * in the max registers and both flags; sending that form ourselves makes
 * what we send and what a dump returns the same.
 */
static void put_nat_dnat(struct nftnl_rule *r, const struct nl_family *f,
			 uint32_t proto_reg)
{
	struct nftnl_expr *e = expr_add(r, "nat");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, f->family);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, proto_reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, proto_reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS,
			   NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
}

static int put_dnat(struct nftnl_rule *r, const struct nl_family *f,
		    const struct rs_rule *rr)
{
	uint16_t port = htons(rr->port);

	if (rr->addr.family != f->af)
		return -EAFNOSUPPORT;
	if (rr->numgen_mod)
		put_numgen_random(r, rr->numgen_mod);
	put_l4proto_match(r, rr->l4proto);
	put_imm_data(r, NFT_REG_1, rr->addr.addr, f->addr_len);
	put_imm_data(r, NFT_REG_2, &port, sizeof(port));
	put_nat_dnat(r, f, NFT_REG_2);
	return 0;
}

/*
 * ct state new: a nat chain runs only for packets conntrack tracks, and
 * conntrack is switched on in a network namespace by the expressions that
 * need it (dnat, ct, masquerade), not by a nat chain or by reject. A table
 * whose only Services have no endpoints would otherwise never reject.
 */
static void put_ct_state_new(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr_add(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	put_bitwise(r, NF_CT_STATE_BIT(IP_CT_NEW), 0);
	put_cmp_u32(r, NFT_CMP_NEQ, 0);
}

static void put_reject_expr(struct nftnl_rule *r, const struct nl_family *f,
			    uint8_t l4proto)
{
	struct nftnl_expr *e = expr_add(r, "reject");

	if (l4proto == IPPROTO_TCP) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, 0);
	} else {
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE,
				   NFT_REJECT_ICMP_UNREACH);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, f->port_unreach);
	}
}

/* meta l4proto P ct state new reject [with tcp reset] */
static void put_reject(struct nftnl_rule *r, const struct nl_family *f,
		       const struct rs_rule *rr)
{
	put_l4proto_match(r, rr->l4proto);
	put_ct_state_new(r);
	put_reject_expr(r, f, rr->l4proto);
}

/* ip saddr ADDR/LEN: nft loads only the bytes a byte-aligned prefix
 * covers; otherwise the whole address, masked (/0 too). */
static int put_saddr_prefix(struct nftnl_rule *r, const struct nl_family *f,
			    const struct rs_rule *rr)
{
	uint8_t mask[16] = { 0 }, addr[16] = { 0 }, zero[16] = { 0 };

	if (rr->addr.family != f->af)
		return -EAFNOSUPPORT;
	if (rr->prefix_len > f->addr_len * 8)
		return -EINVAL;
	if (rr->prefix_len % 8 == 0 && rr->prefix_len) {
		put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, f->saddr_off,
			    rr->prefix_len / 8, NFT_REG_1);
		put_cmp(r, NFT_CMP_EQ, rr->addr.addr, rr->prefix_len / 8);
		return 0;
	}
	for (unsigned i = 0; i < rr->prefix_len; i++)
		mask[i / 8] |= 0x80 >> (i % 8);
	for (unsigned i = 0; i < f->addr_len; i++)
		addr[i] = rr->addr.addr[i] & mask[i];
	put_saddr(r, f, 0);
	put_bitwise_bytes(r, mask, zero, f->addr_len);
	put_cmp(r, NFT_CMP_EQ, addr, f->addr_len);
	return 0;
}

/* ip saddr . ip daddr . th dport: reg 1, reg 9, reg 10 (ip6: 1, 2, 3) */
static void put_affinity_key(struct nftnl_rule *r, const struct nl_family *f)
{
	put_saddr(r, f, 0);
	put_daddr(r, f, NL_ADDR_UNITS(f));
	put_dport(r, nl_reg_at(2 * NL_ADDR_UNITS(f)));
}

/* meta l4proto P ip saddr . ip daddr . P dport @MAP meta mark set ... */
static void put_affinity_hit(struct nftnl_rule *r, const struct rs_table *t,
			     const struct nl_family *f, const struct rs_rule *rr)
{
	put_l4proto_match(r, rr->l4proto);
	put_affinity_key(r, f);
	put_lookup(r, t, rr->target, LOOKUP_SET);
	put_mark_set(r, ~rr->mark, rr->mark);
}

/* The map's data, endpoint address . port, lands in reg 1 and reg 9
 * (ip6: reg 1 and reg 2). nft 1.0.6 cannot compile the ip6 form ("conflicting
 * protocols specified: tcp vs. th"); this is the layout it uses for ip. */
static void put_affinity_dnat(struct nftnl_rule *r, const struct rs_table *t,
			      const struct nl_family *f,
			      const struct rs_rule *rr)
{
	put_mark_match(r, RS_MARK_AFFINITY, rr->mark);
	put_l4proto_match(r, rr->l4proto);
	put_affinity_key(r, f);
	put_lookup(r, t, rr->target, NFT_REG_1);
	put_nat_dnat(r, f, nl_reg_at(NL_ADDR_UNITS(f)));
}

static void put_ct_original(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, IP_CT_DIR_ORIGINAL);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

/*
 * The first unit of an affinity record's data. nft 1.0.6 reserves one
 * 128-bit register for a set element key whatever its length, so the ip
 * data starts at unit 4 (reg 2); an ip6 key takes 9 units, which that
 * reservation overruns (nft 1.0.6 aborts on the rule: "dreg <
 * ctx->reg_low"), so the ip6 data follows the key directly, at unit 9.
 */
static uint32_t affinity_data_unit(const struct nl_family *f)
{
	uint32_t after_key = 2 * NL_ADDR_UNITS(f) + 1;

	return after_key < 4 ? 4 : after_key;
}

/*
 * update @MAP { ip saddr . ct original ip daddr . ct original proto-dst
 * timeout T : ip daddr . P dport }: after DNAT, the key is rebuilt from the
 * service address conntrack remembers; the data (the endpoint) is the
 * packet's new destination, in reg 2 and reg 13 (ip6: reg 17 and 21).
 */
static void put_affinity_record(struct nftnl_rule *r, const struct rs_table *t,
				const struct nl_family *f,
				const struct rs_rule *rr)
{
	const struct rs_map *m = rs_table_find_map(t, rr->target ? rr->target : "");
	uint32_t a = NL_ADDR_UNITS(f), data = affinity_data_unit(f);
	struct nftnl_expr *e;

	put_mark_match(r, RS_MARK_AFFINITY, rr->mark);
	put_l4proto_match(r, rr->l4proto);
	put_saddr(r, f, 0);
	put_ct_original(r, f->ct_dst, nl_reg_at(a));
	put_ct_original(r, NFT_CT_PROTO_DST, nl_reg_at(2 * a));
	put_daddr(r, f, data);
	put_dport(r, nl_reg_at(data + a));
	e = expr_add(r, "dynset");
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA, nl_reg_at(data));
	nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, (uint64_t)rr->timeout * 1000);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, rr->target ? rr->target : "");
	if (m)
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID,
				   (uint32_t)(m - t->maps) + 1);
}

/* masquerade fully-random */
static void put_masq(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr_add(r, "masq");

	nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_FLAGS, NF_NAT_RANGE_PROTO_RANDOM_FULLY);
}

/* ct status dnat ip saddr . ip daddr @SET masquerade fully-random */
static void put_masq_hairpin(struct nftnl_rule *r, const struct rs_table *t,
			     const struct nl_family *f, const struct rs_rule *rr)
{
	struct nftnl_expr *e = expr_add(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
	put_bitwise(r, IPS_DST_NAT, 0);
	put_cmp_u32(r, NFT_CMP_NEQ, 0);
	put_saddr(r, f, 0);
	put_daddr(r, f, NL_ADDR_UNITS(f));
	put_lookup(r, t, rr->target, LOOKUP_SET);
	put_masq(r);
}

/* The kinds that only set, test or clear mark bits and jump. */
static int mark_rule_exprs(struct nftnl_rule *r, const struct rs_table *t,
			   const struct nl_family *f, const struct rs_rule *rr)
{
	switch (rr->kind) {
	case RS_RULE_MARK_NOT_POD_TO_SET:
		put_mark_match(r, RS_MARK_FROM_POD, 0);
		put_daddr(r, f, 0);
		put_lookup(r, t, rr->target, LOOKUP_SET);
		break;
	case RS_RULE_GOTO_IF_MARK:
		put_mark_match(r, rr->mark, rr->mark);
		put_verdict(r, NFT_GOTO, rr->target);
		return 0;
	case RS_RULE_GOTO_IF_LOCAL_SOURCE:
		put_fib_local(r, NFTA_FIB_F_SADDR);
		put_mark_set(r, ~rr->mark, rr->mark);
		put_verdict(r, NFT_GOTO, rr->target);
		return 0;
	case RS_RULE_MASQUERADE_MARKED:
		put_mark_match(r, RS_MARK_MASQUERADE, RS_MARK_MASQUERADE);
		put_mark_set(r, ~RS_MARK_ALL, 0);
		put_masq(r);
		return 0;
	case RS_RULE_MARK_CLEAR:
		put_mark_set(r, ~RS_MARK_ALL, 0);
		return 0;
	case RS_RULE_MARK:
		break;
	default:
		return -EINVAL;
	}
	put_mark_set(r, ~rr->mark, rr->mark);
	return 0;
}

/* The kinds that end in a verdict or a reject. */
static int verdict_rule_exprs(struct nftnl_rule *r, const struct rs_table *t,
			      const struct nl_family *f,
			      const struct rs_rule *rr)
{
	int ret = 0;

	switch (rr->kind) {
	case RS_RULE_JUMP:
		put_verdict(r, NFT_JUMP, rr->target);
		break;
	case RS_RULE_GOTO:
		put_verdict(r, NFT_GOTO, rr->target);
		break;
	case RS_RULE_DROP:
		put_verdict(r, NF_DROP, NULL);
		break;
	case RS_RULE_RETURN_IF_SADDR:
		ret = put_saddr_prefix(r, f, rr);
		put_verdict(r, NFT_RETURN, NULL);
		break;
	case RS_RULE_REJECT:
		put_reject(r, f, rr);
		break;
	case RS_RULE_REJECT_TO_SET:
		/* TCP gets a reset: an ICMPv6 error that reaches a socket
		 * still in connect() is dropped as soft (the kernel's
		 * TcpExtLockDroppedIcmps) and refuses only a second later */
		if (rr->l4proto == IPPROTO_TCP)
			put_l4proto_match(r, IPPROTO_TCP);
		put_daddr(r, f, 0);
		put_lookup(r, t, rr->target, LOOKUP_SET);
		put_reject_expr(r, f, rr->l4proto == IPPROTO_TCP ? IPPROTO_TCP : IPPROTO_UDP);
		break;
	default:
		ret = mark_rule_exprs(r, t, f, rr);
		break;
	}
	return ret;
}

int nl_rule_exprs(struct nftnl_rule *r, const struct rs_table *t,
		  const struct rs_rule *rr)
{
	const struct nl_family *f = nl_family_of(t->family);
	int ret = 0;

	if (!f)
		return -EAFNOSUPPORT;
	switch (rr->kind) {
	case RS_RULE_VMAP_SERVICE_IPS:
		put_vmap_service_ips(r, t, f, rr);
		break;
	case RS_RULE_VMAP_NODEPORTS:
		put_vmap_nodeports(r, t, f, rr);
		break;
	case RS_RULE_VMAP_NODEPORTS_NODE_IPS:
		put_vmap_nodeports_node_ips(r, t, f, rr);
		break;
	case RS_RULE_DNAT:
		return put_dnat(r, f, rr);
	case RS_RULE_MARK_SADDR:
		ret = put_saddr_prefix(r, f, rr);
		put_mark_set(r, ~rr->mark, rr->mark);
		break;
	case RS_RULE_AFFINITY_HIT:
		put_affinity_hit(r, t, f, rr);
		break;
	case RS_RULE_AFFINITY_DNAT:
		put_affinity_dnat(r, t, f, rr);
		break;
	case RS_RULE_AFFINITY_RECORD:
		put_affinity_record(r, t, f, rr);
		break;
	case RS_RULE_MASQUERADE_HAIRPIN:
		put_masq_hairpin(r, t, f, rr);
		break;
	case RS_RULE_UNKNOWN:
		return -EINVAL;		/* an unknown rule cannot be written back */
	default:
		return verdict_rule_exprs(r, t, f, rr);
	}
	return ret;
}

void nl_trace_rule_exprs(struct nftnl_rule *r, const struct ip_addr *saddr,
			 const struct ip_addr *daddr, uint8_t l4proto, uint16_t dport)
{
	const struct nl_family *f =
		nl_family_of(daddr->family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	uint16_t port = htons(dport);
	uint32_t one = 1;
	struct nftnl_expr *e;

	if (saddr->family) {
		put_saddr(r, f, 0);
		put_cmp(r, NFT_CMP_EQ, saddr->addr, f->addr_len);
	}
	put_daddr(r, f, 0);
	put_cmp(r, NFT_CMP_EQ, daddr->addr, f->addr_len);
	put_l4proto_match(r, l4proto);
	put_dport(r, NFT_REG_1);
	put_cmp(r, NFT_CMP_EQ, &port, sizeof(port));
	put_ct_state_new(r);
	put_imm_data(r, NFT_REG_1, &one, sizeof(one));
	e = expr_add(r, "meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFTRACE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
}
