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
	NL_TYPE_INET_PROTOCOL = 12,
	NL_TYPE_INET_SERVICE = 13,
};
#define NL_CONCAT2(a, b) (((a) << 6) | (b))
#define NL_CONCAT3(a, b, c) (((a) << 12) | ((b) << 6) | (c))

/* RS_MAP_AFFINITY's data: ipv4_addr . inet_service, each padded to 4. */
#define NL_AFFINITY_DATA_TYPE NL_CONCAT2(NL_TYPE_IPADDR, NL_TYPE_INET_SERVICE)
#define NL_AFFINITY_DATA_LEN 8u
#define NL_AFFINITY_SIZE 65535u
/* What every affinity map is created with: filled from the packet path. */
#define NL_AFFINITY_FLAGS (NFT_SET_MAP | NFT_SET_TIMEOUT | NFT_SET_EVAL)

/* The name of the set RS_RULE_VMAP_NODEPORTS_NODE_IPS also looks up. */
#define NL_NODE_IPS_SET RS_SET_NODE_IPS_NAME

struct nftnl_set;

/* Key, data, flags and userdata of m's NEWSET (netlink_set.c): 0 or
 * -EINVAL for a kind svcnft does not know. */
int nl_set_describe(struct nftnl_set *s, const struct rs_map *m);
/* The rs_map_kind of a set read back, or -1: not a set svcnft writes. */
int nl_set_kind(const struct nftnl_set *s);

/* The expressions of rr (netlink_expr.c): 0, or -EINVAL for a rule kind
 * svcnft cannot write, -EAFNOSUPPORT for an address that is not IPv4. */
int nl_rule_exprs(struct nftnl_rule *r, const struct rs_table *t,
		  const struct rs_rule *rr);

#endif
