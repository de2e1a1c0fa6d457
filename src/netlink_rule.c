// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rules read back: one matcher per rs_rule_kind, each accepting exactly the
 * expression sequence netlink_build.c writes for it (in the form the kernel
 * reports it: dumps carry a few attributes the request may leave out).
 */
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
#include "util.h"

/* Longer than any form svcnft writes (DNAT with numgen: 7). */
#define RULE_EXPRS_MAX 8

struct exprs {
	struct nftnl_expr *v[RULE_EXPRS_MAX];
	size_t n;
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

static bool payload_is(const struct nftnl_expr *e, uint32_t base,
		       uint32_t offset, uint32_t len, uint32_t dreg)
{
	return expr_is(e, "payload") && u32_is(e, NFTNL_EXPR_PAYLOAD_DREG, dreg) &&
	       u32_is(e, NFTNL_EXPR_PAYLOAD_BASE, base) &&
	       u32_is(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset) &&
	       u32_is(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

static bool meta_l4proto_is(const struct nftnl_expr *e, uint32_t dreg)
{
	return expr_is(e, "meta") &&
	       u32_is(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO) &&
	       u32_is(e, NFTNL_EXPR_META_DREG, dreg);
}

/* cmp eq reg sreg with len bytes of data: returns the data. */
static const void *cmp_eq_data(const struct nftnl_expr *e, uint32_t sreg,
			       uint32_t len)
{
	if (!expr_is(e, "cmp") || !u32_is(e, NFTNL_EXPR_CMP_SREG, sreg) ||
	    !u32_is(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ))
		return NULL;
	return data_of(e, NFTNL_EXPR_CMP_DATA, len);
}

static bool cmp_eq_u32_is(const struct nftnl_expr *e, uint32_t want)
{
	const void *d = cmp_eq_data(e, NFT_REG_1, sizeof(want));

	return d && !memcmp(d, &want, sizeof(want));
}

/* meta l4proto => reg 1; cmp eq reg 1 PROTO: returns PROTO, or -1. */
static int l4proto_match(const struct exprs *x, size_t at)
{
	const uint8_t *proto;

	if (at + 2 > x->n || !meta_l4proto_is(x->v[at], NFT_REG_1))
		return -1;
	proto = cmp_eq_data(x->v[at + 1], NFT_REG_1, 1);
	return proto ? *proto : -1;
}

/* lookup reg 1 set MAP dreg 0: returns MAP. */
static const char *vmap_lookup(const struct nftnl_expr *e)
{
	if (!expr_is(e, "lookup") || !u32_is(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1) ||
	    !u32_is(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT) ||
	    !u32_is_or_unset(e, NFTNL_EXPR_LOOKUP_FLAGS, 0) ||
	    !nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_SET))
		return NULL;
	return nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
}

static bool match_jump(const struct exprs *x, struct rs_rule *r)
{
	const struct nftnl_expr *e = x->v[0];

	if (x->n != 1 || !expr_is(e, "immediate") ||
	    !u32_is(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT) ||
	    !u32_is(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_JUMP) ||
	    !nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
		return false;
	r->target = xstrdup(nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
	return true;
}

static bool match_vmap_service_ips(const struct exprs *x, struct rs_rule *r)
{
	const char *map;

	if (x->n != 4 ||
	    !payload_is(x->v[0], NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1) ||
	    !meta_l4proto_is(x->v[1], NFT_REG32_01) ||
	    !payload_is(x->v[2], NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_02))
		return false;
	map = vmap_lookup(x->v[3]);
	r->target = xstrdup(map);
	return map != NULL;
}

static bool fib_daddr_type_is(const struct nftnl_expr *e)
{
	return expr_is(e, "fib") && u32_is(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1) &&
	       u32_is(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE) &&
	       u32_is(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
}

static bool match_vmap_nodeports(const struct exprs *x, struct rs_rule *r)
{
	const char *map;

	if (x->n != 5 || !fib_daddr_type_is(x->v[0]) ||
	    !cmp_eq_u32_is(x->v[1], RTN_LOCAL) ||
	    !meta_l4proto_is(x->v[2], NFT_REG_1) ||
	    !payload_is(x->v[3], NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01))
		return false;
	map = vmap_lookup(x->v[4]);
	r->target = xstrdup(map);
	return map != NULL;
}

/* numgen reg 1 = random mod N; cmp eq reg 1 0: returns N, or 0. */
static uint32_t numgen_match(const struct exprs *x)
{
	const struct nftnl_expr *e = x->v[0];

	if (!expr_is(e, "numgen") || !u32_is(e, NFTNL_EXPR_NG_DREG, NFT_REG_1) ||
	    !u32_is(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM) ||
	    !u32_is_or_unset(e, NFTNL_EXPR_NG_OFFSET, 0) ||
	    !nftnl_expr_is_set(e, NFTNL_EXPR_NG_MODULUS) ||
	    !cmp_eq_u32_is(x->v[1], 0))
		return 0;
	return nftnl_expr_get_u32(e, NFTNL_EXPR_NG_MODULUS);
}

/*
 * nat dnat ip addr_min reg 1 addr_max reg 1 proto_min reg 2 proto_max
 * reg 2. The kernel adds the max registers and NF_NAT_RANGE_MAP_IPS to what
 * nft sends, so both forms mean the same rule.
 */
static bool dnat_is(const struct nftnl_expr *e)
{
	uint32_t flags = NF_NAT_RANGE_PROTO_SPECIFIED;

	if (nftnl_expr_is_set(e, NFTNL_EXPR_NAT_FLAGS))
		flags = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_FLAGS) &
			~NF_NAT_RANGE_MAP_IPS;
	return expr_is(e, "nat") && u32_is(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT) &&
	       u32_is(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4) &&
	       u32_is(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1) &&
	       u32_is_or_unset(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1) &&
	       u32_is(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2) &&
	       u32_is_or_unset(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, NFT_REG_2) &&
	       flags == NF_NAT_RANGE_PROTO_SPECIFIED;
}

static const void *imm_data(const struct nftnl_expr *e, uint32_t dreg,
			    uint32_t len)
{
	if (!expr_is(e, "immediate") || !u32_is(e, NFTNL_EXPR_IMM_DREG, dreg))
		return NULL;
	return data_of(e, NFTNL_EXPR_IMM_DATA, len);
}

static bool match_dnat(const struct exprs *x, struct rs_rule *r)
{
	size_t at = x->n == 7 ? 2 : 0;
	uint32_t mod = at ? numgen_match(x) : 0;
	int proto = l4proto_match(x, at);
	const void *addr, *port;
	uint16_t p;

	if ((x->n != 5 && x->n != 7) || (at && !mod) || proto < 0)
		return false;
	addr = imm_data(x->v[at + 2], NFT_REG_1, 4);
	port = imm_data(x->v[at + 3], NFT_REG_2, 2);
	if (!addr || !port || !dnat_is(x->v[at + 4]))
		return false;
	r->numgen_mod = mod;
	r->l4proto = proto;
	r->addr.family = AF_INET;
	memcpy(r->addr.addr, addr, 4);
	memcpy(&p, port, sizeof(p));
	r->port = ntohs(p);
	return true;
}

static bool reject_is(const struct nftnl_expr *e, uint32_t type, uint8_t code)
{
	/* The kernel reports the code only for the ICMP types. */
	return expr_is(e, "reject") && u32_is(e, NFTNL_EXPR_REJECT_TYPE, type) &&
	       (!nftnl_expr_is_set(e, NFTNL_EXPR_REJECT_CODE) ?
			type == NFT_REJECT_TCP_RST :
			nftnl_expr_get_u8(e, NFTNL_EXPR_REJECT_CODE) == code);
}

/* ct load state => reg 1; bitwise & NEW; cmp neq 0 */
static bool ct_state_new_is(const struct exprs *x, size_t at)
{
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_NEW), zero = 0;
	const struct nftnl_expr *ct, *bw, *cmp;
	const void *m, *xr, *d;

	if (at + 3 > x->n)
		return false;
	ct = x->v[at];
	bw = x->v[at + 1];
	cmp = x->v[at + 2];
	if (!expr_is(ct, "ct") || !u32_is(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATE) ||
	    !u32_is(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1) || !expr_is(bw, "bitwise") ||
	    !expr_is(cmp, "cmp") || !u32_is(cmp, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ))
		return false;
	m = data_of(bw, NFTNL_EXPR_BITWISE_MASK, sizeof(mask));
	xr = data_of(bw, NFTNL_EXPR_BITWISE_XOR, sizeof(zero));
	d = data_of(cmp, NFTNL_EXPR_CMP_DATA, sizeof(zero));
	return m && xr && d && !memcmp(m, &mask, sizeof(mask)) &&
	       !memcmp(xr, &zero, sizeof(zero)) && !memcmp(d, &zero, sizeof(zero));
}

/* meta l4proto P; ct state new; reject (tcp reset for TCP, else ICMP) */
static bool match_reject(const struct exprs *x, struct rs_rule *r)
{
	int proto = l4proto_match(x, 0);

	if (x->n != 6 || proto < 0 || !ct_state_new_is(x, 2))
		return false;
	if (proto == IPPROTO_TCP ? !reject_is(x->v[5], NFT_REJECT_TCP_RST, 0) :
				   !reject_is(x->v[5], NFT_REJECT_ICMP_UNREACH, 3))
		return false;
	r->l4proto = proto;
	return true;
}

static int collect_cb(struct nftnl_expr *e, void *data)
{
	struct exprs *x = data;

	if (x->n == RULE_EXPRS_MAX)
		return -1;	/* longer than anything svcnft writes */
	x->v[x->n++] = e;
	return 0;
}

static bool match_kind(const struct exprs *x, struct rs_rule *r,
		       enum rs_rule_kind kind)
{
	switch (kind) {
	case RS_RULE_JUMP:
		return match_jump(x, r);
	case RS_RULE_VMAP_SERVICE_IPS:
		return match_vmap_service_ips(x, r);
	case RS_RULE_VMAP_NODEPORTS:
		return match_vmap_nodeports(x, r);
	case RS_RULE_DNAT:
		return match_dnat(x, r);
	case RS_RULE_REJECT:
		return match_reject(x, r);
	default:
		break;
	}
	return false;
}

void nl_rule_match(struct rs_rule *r, const struct nftnl_rule *nr)
{
	struct exprs x = { .n = 0 };

	if (nftnl_rule_is_set(nr, NFTNL_RULE_HANDLE))
		r->handle = nftnl_rule_get_u64(nr, NFTNL_RULE_HANDLE);
	/* libnftnl 1.2.4 takes the rule as non-const but does not change it */
	if (nftnl_expr_foreach((struct nftnl_rule *)nr, collect_cb, &x) < 0)
		return;
	for (int k = RS_RULE_JUMP; k < RS_RULE_UNKNOWN; k++) {
		struct rs_rule probe = { .kind = k, .handle = r->handle };

		if (match_kind(&x, &probe, k)) {
			*r = probe;
			return;
		}
		free(probe.target);	/* set by a matcher that failed late */
	}
}
