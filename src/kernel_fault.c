// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test-only fault injection: SVCNFT_TEST_FAULT (kernel_int.h) corrupts one
 * message of a batch just before it is sent, in a way the kernel always
 * refuses, so that the end-to-end tests can prove that a refused batch
 * changes nothing. Compiled in always (a test build that differs from the
 * shipped one would prove less); unset, it costs one getenv() per call.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "kernel_int.h"
#include "netlink.h"

static const struct {
	const char *name;
	enum kernel_fault_kind kind;
} fault_kinds[] = {
	{ "type", KERNEL_FAULT_TYPE },
	{ "attr", KERNEL_FAULT_ATTR },
	{ "elem", KERNEL_FAULT_ELEM },
	{ "genid", KERNEL_FAULT_GENID },
};

static int parse_count(const char *s, const char *word, long word_value,
		       long *out)
{
	char *end;

	if (!strcmp(s, word)) {
		*out = word_value;
		return 0;
	}
	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || end == s || *end || *out < 0 || *out > 1000000 ?
		-EINVAL : 0;
}

static int parse_kind(const char *s, size_t len, enum kernel_fault_kind *kind)
{
	for (size_t i = 0; i < sizeof(fault_kinds) / sizeof(fault_kinds[0]); i++)
		if (strlen(fault_kinds[i].name) == len &&
		    !strncmp(s, fault_kinds[i].name, len)) {
			*kind = fault_kinds[i].kind;
			return 0;
		}
	return -EINVAL;
}

int kernel_fault_parse(struct kernel_fault *f, const char *spec)
{
	char msg[32] = "", batch[32] = "1";
	const char *colon = spec ? strchr(spec, ':') : NULL;
	long batch_no = 1;
	int ret = -EINVAL;

	memset(f, 0, sizeof(*f));
	if (!colon || strlen(colon + 1) >= sizeof(msg))
		goto out;
	strcpy(msg, colon + 1);
	if (strchr(msg, ':')) {
		strcpy(batch, strchr(msg, ':') + 1);
		*strchr(msg, ':') = '\0';
	}
	if (parse_kind(spec, (size_t)(colon - spec), &f->kind) < 0 ||
	    parse_count(msg, "last", KERNEL_FAULT_LAST, &f->msg) < 0 ||
	    parse_count(batch, "every", KERNEL_FAULT_EVERY, &batch_no) < 0 ||
	    (batch_no == 0 && strcmp(batch, "every")))
		goto out;
	f->batch = (unsigned)batch_no;
	ret = 0;
out:
	if (ret < 0)
		memset(f, 0, sizeof(*f));
	return ret;
}

static struct nlmsghdr *find_msg(struct iovec *iov, int n, uint32_t seq)
{
	for (int i = 0; i < n; i++) {
		struct nlmsghdr *nlh = iov[i].iov_base;
		int len = (int)iov[i].iov_len;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			if (nlh->nlmsg_seq == seq)
				return nlh;
	}
	return NULL;
}

/* The nested attribute of type `type` directly inside `parent`. */
static struct nlattr *nested_attr(struct nlattr *parent, uint16_t type,
				  bool last)
{
	struct nlattr *a, *found = NULL;

	mnl_attr_for_each_nested(a, parent)
		if (mnl_attr_get_type(a) == type) {
			found = a;
			if (!last)
				break;
		}
	return found;
}

/* A top-level attribute of an nf_tables message, after its nfgenmsg. */
static struct nlattr *top_attr(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

/* Type 0 is every nf_tables attribute space's UNSPEC, which the kernel
 * skips: the attribute is then missing. */
static int hide(struct nlattr *a)
{
	if (!a)
		return -ENOMSG;
	a->nla_type = 0;
	return 0;
}

static int corrupt_elem(struct nlmsghdr *nlh)
{
	uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	struct nlattr *list, *elem, *key;

	if (type != NFT_MSG_NEWSETELEM && type != NFT_MSG_DELSETELEM)
		return -ENOMSG;
	list = top_attr(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = list ? nested_attr(list, NFTA_LIST_ELEM, true) : NULL;
	key = elem ? nested_attr(elem, NFTA_SET_ELEM_KEY, false) : NULL;
	return hide(key ? nested_attr(key, NFTA_DATA_VALUE, false) : NULL);
}

static int corrupt_genid(struct nlmsghdr *begin)
{
	struct nlattr *a = begin ? top_attr(begin, NFNL_BATCH_GENID) : NULL;
	uint32_t genid;

	if (!a || mnl_attr_get_payload_len(a) != sizeof(genid))
		return -ENOMSG;
	genid = ntohl(mnl_attr_get_u32(a));
	if (!genid)		/* 0: the batch asks for no check */
		return -ENOMSG;
	*(uint32_t *)mnl_attr_get_payload(a) = htonl(genid + 0x40000000u);
	return 0;
}

static int corrupt(enum kernel_fault_kind kind, struct nlmsghdr *nlh)
{
	switch (kind) {
	case KERNEL_FAULT_ATTR:
		/* A DELTABLE without its name is the kernel's "flush every
		 * table of the family", which it would carry out: make that
		 * one unknown instead. */
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_DELTABLE)
			return hide(top_attr(nlh, 1));	/* NFTA_*_TABLE */
		/* fall through */
	case KERNEL_FAULT_TYPE:
		nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | 0xff;
		return 0;
	case KERNEL_FAULT_ELEM:
		return corrupt_elem(nlh);
	default:
		return -ENOMSG;
	}
}

int kernel_fault_inject(struct kernel_fault *f, const struct nl_batch *b,
			struct iovec *iov, int n)
{
	struct nlmsghdr *nlh;
	uint32_t seq;

	if (!f || f->kind == KERNEL_FAULT_NONE)
		return 0;
	f->sent++;
	if (f->batch != KERNEL_FAULT_EVERY && f->batch != f->sent)
		return 0;
	if (f->kind == KERNEL_FAULT_GENID)
		return corrupt_genid(find_msg(iov, n, b->seq_first));
	if (f->msg == KERNEL_FAULT_LAST)
		seq = b->seq_ack;
	else if ((unsigned long)f->msg < b->messages)
		seq = b->seq_first + (uint32_t)f->msg;
	else
		return -ENOMSG;
	nlh = find_msg(iov, n, seq);
	/* The batch begin and end are nfnetlink's, not nf_tables' messages. */
	if (!nlh || seq == b->seq_first || seq == b->seq_end)
		return -ENOMSG;
	return corrupt(f->kind, nlh);
}
