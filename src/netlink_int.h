/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_NETLINK_INT_H
#define SVCNFT_NETLINK_INT_H

/* Between the halves of the message layer (netlink_*.c) only. */

#include <linux/netfilter/nf_tables.h>

#include "ruleset.h"

struct nftnl_rule;

/*
 * nft's datatype numbers, which the kernel stores for it: a concatenated
 * type is its fields' types packed 6 bits each, first field highest.
 */
enum {
	NL_TYPE_IPADDR = 7,
	NL_TYPE_IP6ADDR = 8,
	NL_TYPE_INET_PROTOCOL = 12,
	NL_TYPE_INET_SERVICE = 13,
};
#define NL_CONCAT2(a, b) (((a) << 6) | (b))
#define NL_CONCAT3(a, b, c) (((a) << 12) | ((b) << 6) | (c))

#define NL_AFFINITY_SIZE 65535u
/* What every affinity map is created with: filled from the packet path. */
#define NL_AFFINITY_FLAGS (NFT_SET_MAP | NFT_SET_TIMEOUT | NFT_SET_EVAL)

/* The name of the set RS_RULE_VMAP_NODEPORTS_NODE_IPS also looks up. */
#define NL_NODE_IPS_SET RS_SET_NODE_IPS_NAME

/*
 * What differs between the ip and the ip6 table: the same rules and sets,
 * with addresses of addr_len bytes at other header offsets.
 */
struct nl_family {
	uint8_t family;		/* NFPROTO_IPV4 or NFPROTO_IPV6 */
	uint8_t af;		/* AF_INET or AF_INET6, for struct ip_addr */
	uint32_t addr_len;	/* 4 or 16 */
	uint32_t saddr_off;	/* in the network header */
	uint32_t daddr_off;
	uint32_t addr_type;	/* NL_TYPE_IPADDR or NL_TYPE_IP6ADDR */
	uint8_t port_unreach;	/* ICMP or ICMPv6 code */
	uint32_t ct_dst;	/* NFT_CT_DST_IP or NFT_CT_DST_IP6 */
	/* nft's typeof userdata: protocol description, saddr, daddr */
	uint32_t ud_proto, ud_saddr, ud_daddr;
	/* RS_MAP_AFFINITY's data: address . inet_service, padded to 4 */
	uint32_t affinity_data_type, affinity_data_len;
};

/* NULL for a family svcnft does not write. */
const struct nl_family *nl_family_of(uint8_t family);

/*
 * A NEWRULE message of a table of family that holds exactly the endpoint
 * DNAT form (netlink_fast.c): fills r as nl_rule_match() would, and table
 * and chain (pointing into the message). false for anything else, which is
 * then for libnftnl and nl_rule_match().
 */
struct nlmsghdr;
bool nl_rule_fast(const struct nlmsghdr *nlh, uint8_t family,
		  const char **table, const char **chain, struct rs_rule *r);

/*
 * nft numbers registers in 32-bit units from reg 1 and names a unit that
 * starts a 128-bit register by that register (reg 1..4), any other by its
 * 32-bit name (reg 9..23). A concatenation fills consecutive units, each
 * field rounded up to whole units.
 */
uint32_t nl_reg_at(uint32_t unit);
/* The units an address takes. */
#define NL_ADDR_UNITS(f) ((f)->addr_len / 4)

struct nftnl_set;

/* Key, data, flags and userdata of m's NEWSET in a table of that family
 * (netlink_set.c): 0 or -EINVAL for a kind svcnft does not know. */
int nl_set_describe(struct nftnl_set *s, uint8_t family, const struct rs_map *m);
/* The rs_map_kind of a set read back, or -1: not a set svcnft writes. */
int nl_set_kind(const struct nftnl_set *s, uint8_t family);

/* The expressions of rr (netlink_expr.c): 0, or -EINVAL for a rule kind
 * svcnft cannot write, -EAFNOSUPPORT for an address not of t's family. */
int nl_rule_exprs(struct nftnl_rule *r, const struct rs_table *t,
		  const struct rs_rule *rr);

#endif
