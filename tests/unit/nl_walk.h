/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_NL_WALK_H
#define SVCNFT_NL_WALK_H

/* For the netlink unit tests: the messages of a built batch, and their
 * rules as `nft --debug=netlink` lists them. */

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netlink.h"

#define NFT(type) ((NFNL_SUBSYS_NFTABLES << 8) | (type))

typedef void (*msg_fn)(const struct nlmsghdr *nlh, void *data);

/* Every message of the batch, in order, as the kernel would read them. */
static inline void walk(const struct nl_batch *b, msg_fn fn, void *data)
{
	int n = nftnl_batch_iovec_len(b->batch);
	struct iovec *iov = calloc(n, sizeof(*iov));

	ck_assert_ptr_nonnull(iov);
	nftnl_batch_iovec(b->batch, iov, n);
	for (int i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int len = iov[i].iov_len;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			fn(nlh, data);
		ck_assert_int_eq(len, 0);	/* no partial message */
	}
	free(iov);
}

/* The rules of chain, each as libnftnl lists its expressions (the listing
 * `nft --debug=netlink` prints), joined. */
struct listing {
	const char *chain;
	char text[8192];
};

static inline void listing_cb(const struct nlmsghdr *nlh, void *data)
{
	struct listing *l = data;
	struct nftnl_rule *r;
	char buf[2048];
	const char *body;

	if (nlh->nlmsg_type != NFT(NFT_MSG_NEWRULE))
		return;
	r = nftnl_rule_alloc();
	ck_assert_int_eq(nftnl_rule_nlmsg_parse(nlh, r), 0);
	if (!strcmp(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), l->chain)) {
		nftnl_rule_snprintf(buf, sizeof(buf), r, NFTNL_OUTPUT_DEFAULT, 0);
		body = strchr(buf, '\n');	/* after "ip svcnft CHAIN" */
		ck_assert_ptr_nonnull(body);
		strncat(l->text, body + 1, sizeof(l->text) - strlen(l->text) - 1);
	}
	nftnl_rule_free(r);
}

static inline void assert_listing(const struct nl_batch *b, const char *chain,
				  const char *want)
{
	struct listing l = { .chain = chain };

	walk(b, listing_cb, &l);
	ck_assert_str_eq(l.text, want);
}

#endif
