// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading back the rule nine in ten of a table are, the endpoint DNAT
 * (numgen, l4proto match, address and port, nat), straight from the
 * message with libmnl: libnftnl allocates every expression of every rule
 * and finds each one's parser by name, which was most of reading a table
 * back. Anything that is not exactly that form, attribute for attribute,
 * is left to libnftnl and nl_rule_match(), so this only ever agrees with
 * them (tests/unit/test_netlink.c reads every form both ways).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netlink.h"
#include "netlink_int.h"

/* At most this many attributes in any nest read here. */
#define NEST_MAX 8

/* tb[type] for every attribute of nest, the last of a type winning (as
 * libmnl's parsers do); false for a type over max. */
static bool nest_attrs(const struct nlattr *nest, const struct nlattr **tb,
		       uint16_t max)
{
	const struct nlattr *a;

	memset(tb, 0, (max + 1u) * sizeof(*tb));
	mnl_attr_for_each_nested(a, nest) {
		uint16_t type = mnl_attr_get_type(a);

		if (type == 0 || type > max)
			return false;
		tb[type] = a;
	}
	return true;
}

static bool u32_at(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) != sizeof(uint32_t))
		return false;
	*v = ntohl(mnl_attr_get_u32(a));
	return true;
}

static bool u32_is(const struct nlattr *a, uint32_t want)
{
	uint32_t v;

	return u32_at(a, &v) && v == want;
}

static bool u32_is_or_absent(const struct nlattr *a, uint32_t want)
{
	return !a || u32_is(a, want);
}

/* NFTA_DATA_VALUE of len bytes inside a data nest, or NULL. */
static const void *value_of(const struct nlattr *data, uint32_t len)
{
	const struct nlattr *tb[NFTA_DATA_MAX + 1];

	if (!data || !nest_attrs(data, tb, NFTA_DATA_MAX) || !tb[NFTA_DATA_VALUE] ||
	    tb[NFTA_DATA_VERDICT] ||
	    mnl_attr_get_payload_len(tb[NFTA_DATA_VALUE]) != len)
		return NULL;
	return mnl_attr_get_payload(tb[NFTA_DATA_VALUE]);
}

/* The expressions of a rule, by name and data nest. */
struct fast_exprs {
	const char *name[NEST_MAX];
	const struct nlattr *data[NEST_MAX];
	size_t n;
};

static bool list_exprs(const struct nlattr *list, struct fast_exprs *x)
{
	const struct nlattr *e;

	x->n = 0;
	mnl_attr_for_each_nested(e, list) {
		const struct nlattr *tb[NFTA_EXPR_MAX + 1];

		if (mnl_attr_get_type(e) != NFTA_LIST_ELEM || x->n == NEST_MAX ||
		    !nest_attrs(e, tb, NFTA_EXPR_MAX) || !tb[NFTA_EXPR_NAME] ||
		    !tb[NFTA_EXPR_DATA] ||
		    mnl_attr_validate(tb[NFTA_EXPR_NAME], MNL_TYPE_NUL_STRING) < 0)
			return false;
		x->name[x->n] = mnl_attr_get_str(tb[NFTA_EXPR_NAME]);
		x->data[x->n++] = tb[NFTA_EXPR_DATA];
	}
	return true;
}

/* Expression i's attributes, when it is called name. */
static bool expr_attrs(const struct fast_exprs *x, size_t i, const char *name,
		       const struct nlattr **tb, uint16_t max)
{
	return i < x->n && !strcmp(x->name[i], name) &&
	       nest_attrs(x->data[i], tb, max);
}

/* cmp eq reg 1 with len bytes: the bytes, or NULL */
static const void *cmp_eq(const struct fast_exprs *x, size_t i, uint32_t len)
{
	const struct nlattr *tb[NFTA_CMP_MAX + 1];

	if (!expr_attrs(x, i, "cmp", tb, NFTA_CMP_MAX) ||
	    !u32_is(tb[NFTA_CMP_SREG], NFT_REG_1) ||
	    !u32_is(tb[NFTA_CMP_OP], NFT_CMP_EQ))
		return NULL;
	return value_of(tb[NFTA_CMP_DATA], len);
}

/* numgen reg 1 = random mod N; cmp eq reg 1 0: N, or 0 */
static uint32_t numgen_at(const struct fast_exprs *x, size_t i)
{
	const struct nlattr *tb[NFTA_NG_MAX + 1];
	const uint32_t *zero;
	uint32_t mod;

	if (!expr_attrs(x, i, "numgen", tb, NFTA_NG_MAX) ||
	    !u32_is(tb[NFTA_NG_DREG], NFT_REG_1) ||
	    !u32_is(tb[NFTA_NG_TYPE], NFT_NG_RANDOM) ||
	    !u32_is_or_absent(tb[NFTA_NG_OFFSET], 0) ||
	    !u32_at(tb[NFTA_NG_MODULUS], &mod) ||
	    !(zero = cmp_eq(x, i + 1, sizeof(*zero))) || *zero)
		return 0;
	return mod;
}

/* meta l4proto => reg 1; cmp eq reg 1 PROTO */
static bool l4proto_at(const struct fast_exprs *x, size_t i, uint8_t *proto)
{
	const struct nlattr *tb[NFTA_META_MAX + 1];
	const uint8_t *p;

	if (!expr_attrs(x, i, "meta", tb, NFTA_META_MAX) || tb[NFTA_META_SREG] ||
	    !u32_is(tb[NFTA_META_KEY], NFT_META_L4PROTO) ||
	    !u32_is(tb[NFTA_META_DREG], NFT_REG_1) ||
	    !(p = cmp_eq(x, i + 1, 1)))
		return false;
	*proto = *p;
	return true;
}

static const void *immediate_at(const struct fast_exprs *x, size_t i,
				uint32_t dreg, uint32_t len)
{
	const struct nlattr *tb[NFTA_IMMEDIATE_MAX + 1];

	if (!expr_attrs(x, i, "immediate", tb, NFTA_IMMEDIATE_MAX) ||
	    !u32_is(tb[NFTA_IMMEDIATE_DREG], dreg))
		return NULL;
	return value_of(tb[NFTA_IMMEDIATE_DATA], len);
}

/* nat dnat addr reg 1, port reg 2 (the kernel adds the max registers and
 * NF_NAT_RANGE_MAP_IPS to what svcnft sends) */
static bool dnat_at(const struct fast_exprs *x, size_t i, uint8_t family)
{
	const struct nlattr *tb[NFTA_NAT_MAX + 1];
	uint32_t flags = NF_NAT_RANGE_PROTO_SPECIFIED;

	if (!expr_attrs(x, i, "nat", tb, NFTA_NAT_MAX) ||
	    (tb[NFTA_NAT_FLAGS] && !u32_at(tb[NFTA_NAT_FLAGS], &flags)))
		return false;
	return u32_is(tb[NFTA_NAT_TYPE], NFT_NAT_DNAT) &&
	       u32_is(tb[NFTA_NAT_FAMILY], family) &&
	       u32_is(tb[NFTA_NAT_REG_ADDR_MIN], NFT_REG_1) &&
	       u32_is_or_absent(tb[NFTA_NAT_REG_ADDR_MAX], NFT_REG_1) &&
	       u32_is(tb[NFTA_NAT_REG_PROTO_MIN], NFT_REG_2) &&
	       u32_is_or_absent(tb[NFTA_NAT_REG_PROTO_MAX], NFT_REG_2) &&
	       (flags & ~NF_NAT_RANGE_MAP_IPS) == NF_NAT_RANGE_PROTO_SPECIFIED;
}

/* The DNAT form of x (netlink_rule.c's match_dnat) into r. */
static bool dnat_form(const struct fast_exprs *x, const struct nl_family *f,
		      struct rs_rule *r)
{
	const void *addr, *port;
	size_t i = 0;
	uint16_t p;

	if (x->n && !strcmp(x->name[0], "numgen")) {
		if (!(r->numgen_mod = numgen_at(x, 0)))
			return false;
		i = 2;
	}
	if (!l4proto_at(x, i, &r->l4proto))
		return false;
	addr = immediate_at(x, i + 2, NFT_REG_1, f->addr_len);
	port = immediate_at(x, i + 3, NFT_REG_2, sizeof(p));
	if (!addr || !port || !dnat_at(x, i + 4, f->family) || x->n != i + 5)
		return false;
	r->kind = RS_RULE_DNAT;
	r->addr.family = f->af;
	memcpy(r->addr.addr, addr, f->addr_len);
	memcpy(&p, port, sizeof(p));
	r->port = ntohs(p);
	return true;
}

bool nl_rule_fast(const struct nlmsghdr *nlh, uint8_t family,
		  const char **table, const char **chain, struct rs_rule *r)
{
	const struct nl_family *f = nl_family_of(family);
	const struct nlattr *tb[NFTA_RULE_MAX + 1] = { NULL };
	const struct nlattr *a;
	struct fast_exprs x;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t type = mnl_attr_get_type(a);

		/* only what a dump of svcnft's rules holds (the position:
		 * the handle of the rule before, which nothing here uses) */
		if (type != NFTA_RULE_TABLE && type != NFTA_RULE_CHAIN &&
		    type != NFTA_RULE_HANDLE && type != NFTA_RULE_EXPRESSIONS &&
		    type != NFTA_RULE_POSITION)
			return false;
		tb[type] = a;
	}
	if (!f || !tb[NFTA_RULE_TABLE] || !tb[NFTA_RULE_CHAIN] ||
	    !tb[NFTA_RULE_HANDLE] || !tb[NFTA_RULE_EXPRESSIONS] ||
	    mnl_attr_validate(tb[NFTA_RULE_TABLE], MNL_TYPE_NUL_STRING) < 0 ||
	    mnl_attr_validate(tb[NFTA_RULE_CHAIN], MNL_TYPE_NUL_STRING) < 0 ||
	    mnl_attr_validate(tb[NFTA_RULE_HANDLE], MNL_TYPE_U64) < 0 ||
	    !list_exprs(tb[NFTA_RULE_EXPRESSIONS], &x))
		return false;
	memset(r, 0, sizeof(*r));
	if (!dnat_form(&x, f, r))
		return false;
	r->handle = be64toh(mnl_attr_get_u64(tb[NFTA_RULE_HANDLE]));
	*table = mnl_attr_get_str(tb[NFTA_RULE_TABLE]);
	*chain = mnl_attr_get_str(tb[NFTA_RULE_CHAIN]);
	return true;
}
