// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An rs_table as the messages of one nf_tables batch (libnftnl), and a
 * record of what each sequence number creates. No socket here: kernel.c
 * sends what this file builds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "netlink.h"
#include "netlink_int.h"
#include "util.h"

/*
 * The batch lives in pages of this size. sendmsg() takes at most 1024
 * (UIO_MAXIOV) iovecs, one per page, so 1 MiB pages allow a 1 GiB batch,
 * which is also about where the socket send buffer ends (an int, doubled
 * by the kernel). A message started near the end of a page may run past
 * it by up to the overrun, which must hold the largest message (an element
 * message that just overflowed NL_MSG_MAX by one element).
 */
#define NL_PAGE_SIZE (1u << 20)
#define NL_PAGE_OVERRUN NL_ELEMS_BUF

/* nft refuses longer comments (the kernel would store them). */
#define NL_COMMENT_MAX NFTNL_UDATA_COMMENT_MAXLEN

static void add_ref(struct nl_batch *b, enum nl_obj_kind kind, size_t index,
		    size_t sub, size_t count)
{
	grow_array(&b->refs, &b->cap_refs, b->nrefs + 1, sizeof(*b->refs));
	b->refs[b->nrefs++] = (struct nl_msg_ref){
		.kind = kind, .part = b->nparts ? b->nparts - 1 : 0,
		.index = index, .sub = sub, .count = count };
}

/* Start a message at the batch's write position, recording what it is. */
static struct nlmsghdr *msg_start(struct nl_batch *b, uint16_t type,
				  uint16_t flags, enum nl_obj_kind kind,
				  size_t index, size_t sub)
{
	uint32_t seq = b->seq_first + b->nrefs;

	add_ref(b, kind, index, sub, 0);
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->batch), type,
				     b->family, flags, seq);
}

/*
 * libnftnl's pages come from malloc() and libmnl 1.0.4 leaves attribute
 * padding as it finds it: zero each page once, so that no stale heap bytes
 * go to the kernel and the same table always makes the same bytes.
 */
static void zero_from(struct nl_batch *b, size_t used)
{
	memset((char *)nftnl_batch_buffer(b->batch), 0,
	       NL_PAGE_SIZE + NL_PAGE_OVERRUN - used);
}

static int msg_end(struct nl_batch *b, struct nlmsghdr *nlh)
{
	uint32_t len = nlh->nlmsg_len;
	int pages = nftnl_batch_iovec_len(b->batch);

	b->messages++;
	b->bytes += len;
	if (len > b->max_msg_len)
		b->max_msg_len = len;
	/* nftnl_batch_update() moves a message that ran past the page end
	 * to a fresh page; in both cases it ends where the next one starts. */
	if (nftnl_batch_update(b->batch) < 0)
		return -ENOMEM;
	b->last = (struct nlmsghdr *)((char *)nftnl_batch_buffer(b->batch) - len);
	if (nftnl_batch_iovec_len(b->batch) != pages)
		zero_from(b, len);
	return 0;
}

static int put_begin(struct nl_batch *b, uint32_t genid)
{
	struct nlmsghdr *nlh;

	add_ref(b, NL_OBJ_BATCH, 0, 0, 0);
	nlh = nftnl_batch_begin(nftnl_batch_buffer(b->batch), b->seq_first);
	/* libnftnl 1.2.4 has no call for the generation: add the attribute
	 * with libmnl. 0 means "no check" to the kernel, so it is always
	 * there and nl_batch_set_genid() can rewrite it in place. */
	mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	return msg_end(b, nlh);
}

static int put_end(struct nl_batch *b)
{
	uint32_t seq = b->seq_first + b->nrefs;

	add_ref(b, NL_OBJ_BATCH, 0, 0, 0);
	b->seq_end = seq;
	return msg_end(b, nftnl_batch_end(nftnl_batch_buffer(b->batch), seq));
}

static int put_table(struct nl_batch *b, uint16_t type, uint16_t flags)
{
	struct nftnl_table *nt = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!nt)
		out_of_memory();	/* out of memory: see util.h */
	nftnl_table_set_str(nt, NFTNL_TABLE_NAME, b->table);
	if (type == NFT_MSG_NEWTABLE)
		nftnl_table_set_u32(nt, NFTNL_TABLE_FLAGS, 0);
	nlh = msg_start(b, type, flags, NL_OBJ_TABLE, 0, 0);
	nftnl_table_nlmsg_build_payload(nlh, nt);
	nftnl_table_free(nt);
	return msg_end(b, nlh);
}

/* The set as element messages name it: table, name, transaction id. */
static struct nftnl_set *map_handle(const char *table, const struct rs_map *m,
				    size_t index)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		out_of_memory();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, m->name);
	/* Rules and elements of the same batch may find the new set by id
	 * as well as by name; nft sends both. */
	nftnl_set_set_u32(s, NFTNL_SET_ID, index + 1);
	return s;
}

static int put_map(struct nl_batch *b, const struct rs_map *m, size_t index)
{
	struct nftnl_set *s = map_handle(b->table, m, index);
	struct nlmsghdr *nlh;
	int ret = nl_set_describe(s, b->family, m);

	if (ret < 0)
		goto out;
	nlh = msg_start(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL,
			NL_OBJ_MAP, index, 0);
	nftnl_set_nlmsg_build_payload(nlh, s);
	ret = msg_end(b, nlh);
out:
	nftnl_set_free(s);
	return ret;
}

static int chain_hook(enum rs_hook hook)
{
	switch (hook) {
	case RS_HOOK_PREROUTING:
		return NF_INET_PRE_ROUTING;
	case RS_HOOK_INPUT:
		return NF_INET_LOCAL_IN;
	case RS_HOOK_FORWARD:
		return NF_INET_FORWARD;
	case RS_HOOK_OUTPUT:
		return NF_INET_LOCAL_OUT;
	case RS_HOOK_POSTROUTING:
		return NF_INET_POST_ROUTING;
	case RS_HOOK_NONE:
		break;
	}
	return -1;
}

/* The comment as chain userdata, in the TLV form nft reads back. */
static int chain_comment(struct nftnl_chain *nc, const char *comment)
{
	struct nftnl_udata_buf *ud;

	if (strlen(comment) > NL_COMMENT_MAX)
		return -ENAMETOOLONG;
	/* type and length bytes, the comment, its NUL */
	ud = nftnl_udata_buf_alloc(2 + NL_COMMENT_MAX + 1);
	if (!ud)
		out_of_memory();
	nftnl_udata_put_strz(ud, NFTNL_UDATA_CHAIN_COMMENT, comment);
	nftnl_chain_set_data(nc, NFTNL_CHAIN_USERDATA, nftnl_udata_buf_data(ud),
			     nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return 0;
}

static int chain_fill(struct nftnl_chain *nc, const char *table,
		      const struct rs_chain *c)
{
	nftnl_chain_set_str(nc, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(nc, NFTNL_CHAIN_NAME, c->name);
	if (c->hook != RS_HOOK_NONE) {
		if (chain_hook(c->hook) < 0)
			return -EINVAL;
		nftnl_chain_set_u32(nc, NFTNL_CHAIN_HOOKNUM, chain_hook(c->hook));
		nftnl_chain_set_s32(nc, NFTNL_CHAIN_PRIO, c->priority);
		nftnl_chain_set_str(nc, NFTNL_CHAIN_TYPE,
				    c->type == RS_CHAIN_NAT ? "nat" : "filter");
		nftnl_chain_set_u32(nc, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	return c->comment ? chain_comment(nc, c->comment) : 0;
}

static int put_chain(struct nl_batch *b, const struct rs_chain *c,
		     size_t index)
{
	struct nftnl_chain *nc = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int ret;

	if (!nc)
		out_of_memory();
	ret = chain_fill(nc, b->table, c);
	if (ret < 0)
		goto out;
	nlh = msg_start(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL,
			NL_OBJ_CHAIN, index, 0);
	nftnl_chain_nlmsg_build_payload(nlh, nc);
	ret = msg_end(b, nlh);
out:
	nftnl_chain_free(nc);
	return ret;
}

/*
 * One element into nlh: its key, and for a verdict map with verdict, its
 * goto. Elements of a set are their key alone; affinity entries come from
 * the packet path and are never written; a deletion names the key alone.
 */
static int put_elem_attrs(struct nlmsghdr *nlh, const struct rs_map *m,
			  const struct rs_elem *el, bool with_verdict)
{
	/* the table's family, from the header the message started with */
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	uint8_t key[NL_KEY_MAX];
	struct nftnl_set_elem *e;
	int len = nl_key_encode(nfg->nfgen_family, m->kind, el, key);

	if (len < 0)
		return len;
	e = nftnl_set_elem_alloc();
	if (!e)
		out_of_memory();
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
	if (with_verdict &&
	    (m->kind == RS_MAP_SERVICE_IPS || m->kind == RS_MAP_NODEPORTS)) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_GOTO);
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN,
				       el->chain ? el->chain : "");
	}
	/* nft numbers the element attributes 1, 2, 3...; the kernel ignores
	 * the number, and its dumps use NFTA_LIST_ELEM for each, which is
	 * also the only type libnftnl's parser accepts: write that. */
	nftnl_set_elem_nlmsg_build(nlh, e, NFTA_LIST_ELEM);
	nftnl_set_elem_free(e);
	return 0;
}

static int put_elem(struct nlmsghdr *nlh, const struct rs_map *m,
		    const struct rs_elem *el)
{
	return put_elem_attrs(nlh, m, el, true);
}

/*
 * Append elements of m from first on, at most max of them, until the
 * message would pass NL_MSG_MAX. This is the bound
 * nftnl_set_elems_nlmsg_build_payload_iter() keeps on the element list
 * attribute, applied to the whole message, and without first copying every
 * element into a libnftnl list. The buffer must have room for one element
 * beyond NL_MSG_MAX.
 */
int nl_elems_fill(struct nlmsghdr *nlh, const struct rs_map *m, size_t first,
		  size_t max, size_t *added)
{
	struct nlattr *list = mnl_attr_nest_start(nlh,
						  NFTA_SET_ELEM_LIST_ELEMENTS);
	size_t i;
	int ret = 0;

	for (i = first; i < m->nelems && i - first < max; i++) {
		uint32_t before = nlh->nlmsg_len;

		ret = put_elem(nlh, m, &m->elems[i]);
		if (ret < 0)
			break;
		if (nlh->nlmsg_len > NL_MSG_MAX) {
			nlh->nlmsg_len = before;
			break;
		}
	}
	mnl_attr_nest_end(nlh, list);
	*added = i - first;
	if (!ret && !*added)
		ret = -EMSGSIZE;	/* one element alone does not fit */
	return ret;
}

/* Start an element message for map index of t (header attributes only). */
struct nlmsghdr *nl_elems_msg_start(char *buf, const struct rs_table *t,
				    size_t index, uint32_t seq)
{
	struct nftnl_set *s = map_handle(t->name, &t->maps[index], index);
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSETELEM, t->family,
				    NLM_F_CREATE | NLM_F_EXCL, seq);
	/* With no elements in s this writes only table, set name and id. */
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nlh;
}

static int put_elems(struct nl_batch *b, const struct rs_table *t,
		     size_t index)
{
	const struct rs_map *m = &t->maps[index];
	size_t first = 0, added;
	int ret = 0;

	while (!ret && first < m->nelems) {
		struct nlmsghdr *nlh;
		uint32_t seq = b->seq_first + b->nrefs;

		add_ref(b, NL_OBJ_ELEMS, index, first, 0);
		nlh = nl_elems_msg_start(nftnl_batch_buffer(b->batch), t, index,
					 seq);
		ret = nl_elems_fill(nlh, m, first, SIZE_MAX, &added);
		if (ret < 0)
			break;
		b->refs[b->nrefs - 1].count = added;
		first += added;
		ret = msg_end(b, nlh);
	}
	if (ret < 0)
		b->build_failed = (struct nl_msg_ref){
			.kind = NL_OBJ_ELEMS, .index = index, .sub = first,
			.count = 1 };
	return ret;
}

static int put_rule(struct nl_batch *b, const struct rs_table *t,
		    size_t chain, size_t index)
{
	const struct rs_chain *c = &t->chains[chain];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	int ret;

	if (!r)
		out_of_memory();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->name);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c->name);
	ret = nl_rule_exprs(r, t, &c->rules[index]);
	if (ret < 0)
		goto out;
	nlh = msg_start(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
			NL_OBJ_RULE, chain, index);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	ret = msg_end(b, nlh);
out:
	nftnl_rule_free(r);
	return ret;
}

static int put_maps_and_chains(struct nl_batch *b, const struct rs_table *t)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < t->nmaps; i++) {
		ret = put_map(b, &t->maps[i], i);
		if (ret < 0)
			b->build_failed = (struct nl_msg_ref){
				.kind = NL_OBJ_MAP, .index = i };
	}
	/* Chains before the elements and rules that goto or jump to them. */
	for (size_t i = 0; !ret && i < t->nchains; i++) {
		ret = put_chain(b, &t->chains[i], i);
		if (ret < 0)
			b->build_failed = (struct nl_msg_ref){
				.kind = NL_OBJ_CHAIN, .index = i };
	}
	return ret;
}

static int put_elems_and_rules(struct nl_batch *b, const struct rs_table *t)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < t->nmaps; i++)
		ret = put_elems(b, t, i);
	for (size_t i = 0; !ret && i < t->nchains; i++) {
		for (size_t j = 0; !ret && j < t->chains[i].nrules; j++) {
			ret = put_rule(b, t, i, j);
			if (ret < 0)
				b->build_failed = (struct nl_msg_ref){
					.kind = NL_OBJ_RULE, .index = i,
					.sub = j };
		}
	}
	return ret;
}

int nl_batch_open(struct nl_batch *b, uint32_t seq, uint32_t genid)
{
	b->batch = nftnl_batch_alloc(NL_PAGE_SIZE, NL_PAGE_OVERRUN);
	if (!b->batch)
		out_of_memory();
	zero_from(b, 0);
	b->seq_first = seq;
	b->build_failed.kind = NL_OBJ_BATCH;
	return put_begin(b, genid);
}

/* The messages that follow are about table (family, name); removed is
 * what their NL_OBJ_DEL_* refs index. */
static void start_part(struct nl_batch *b, uint8_t family, const char *table,
		       const struct rs_table *removed)
{
	grow_array(&b->parts, &b->cap_parts, b->nparts + 1, sizeof(*b->parts));
	b->parts[b->nparts++] = (struct nl_batch_part){
		.family = family, .table = xstrdup(table), .removed = removed };
	b->family = family;
	free(b->table);
	b->table = xstrdup(table);
	b->removed = removed;
}

/* A failed build names the part it stopped in. */
static int part_done(struct nl_batch *b, int ret)
{
	if (ret < 0 && b->build_failed.kind != NL_OBJ_BATCH)
		b->build_failed.part = b->nparts - 1;
	return ret;
}

static int batch_open(struct nl_batch *b, uint8_t family, const char *table,
		      uint32_t seq, uint32_t genid)
{
	int ret = nl_batch_open(b, seq, genid);

	start_part(b, family, table, NULL);
	return ret;
}

/* Only the last message asks for an ack: see kernel.c. */
int nl_batch_close(struct nl_batch *b)
{
	b->last->nlmsg_flags |= NLM_F_ACK;
	b->seq_ack = b->seq_first + b->nrefs - 1;
	return put_end(b);
}

/* The messages of a create (replace false) or a replace of table t. */
static int add_table(struct nl_batch *b, const struct rs_table *t, bool replace)
{
	int ret = 0;

	if (!nl_family_of(t->family))
		return -EAFNOSUPPORT;	/* the encodings are for ip and ip6 */
	if (!t->name)
		return -EINVAL;
	start_part(b, t->family, t->name, NULL);
	/* Created when absent, so that the delete cannot fail. Deleting the
	 * table as a whole (the kernel flushes rules, sets, then chains)
	 * rather than chain by chain keeps clear of the EBUSY that Linux
	 * before 6.2 returns for a chain deleted in the same transaction as
	 * the map element that still points at it. */
	if (replace)
		ret = put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (!ret && replace)
		ret = put_table(b, NFT_MSG_DELTABLE, 0);
	if (!ret)
		ret = put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (!ret)
		ret = put_maps_and_chains(b, t);
	if (!ret)
		ret = put_elems_and_rules(b, t);
	return part_done(b, ret);
}

/* A batch of one table, created whole (replace: deleting it first). */
static int build_whole(struct nl_batch *b, const struct rs_table *t,
		       uint32_t seq, uint32_t genid, bool replace)
{
	int ret;

	if (!nl_family_of(t->family))
		return -EAFNOSUPPORT;
	if (!t->name)
		return -EINVAL;
	ret = nl_batch_open(b, seq, genid);
	if (!ret)
		ret = add_table(b, t, replace);
	return ret ? ret : nl_batch_close(b);
}

int nl_batch_build_replace(struct nl_batch *b, const struct rs_table *t,
			   uint32_t seq, uint32_t genid)
{
	return build_whole(b, t, seq, genid, true);
}

int nl_batch_build_delete(struct nl_batch *b, uint8_t family, const char *name,
			  uint32_t seq)
{
	int ret;

	if (!name)
		return -EINVAL;
	ret = batch_open(b, family, name, seq, 0);
	if (!ret)
		ret = put_table(b, NFT_MSG_DELTABLE, 0);
	return ret ? ret : nl_batch_close(b);
}

int nl_batch_set_genid(struct nl_batch *b, uint32_t genid)
{
	struct iovec first;
	struct nlmsghdr *nlh;
	struct nlattr *a;

	if (!b->batch || !b->nrefs)
		return -EINVAL;
	/* The begin message heads the first page and never moves. */
	nftnl_batch_iovec(b->batch, &first, 1);
	nlh = first.iov_base;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFNL_BATCH_GENID) {
			*(uint32_t *)mnl_attr_get_payload(a) = htonl(genid);
			return 0;
		}
	}
	return -ENOENT;
}

void nl_batch_free(struct nl_batch *b)
{
	if (!b)
		return;
	if (b->batch)
		nftnl_batch_free(b->batch);
	free(b->refs);
	free(b->table);
	for (size_t i = 0; i < b->nparts; i++)
		free(b->parts[i].table);
	free(b->parts);
	memset(b, 0, sizeof(*b));
}

const struct nl_msg_ref *nl_batch_ref(const struct nl_batch *b, uint32_t seq)
{
	uint32_t i = seq - b->seq_first;	/* wraps for seq < seq_first */

	return i < b->nrefs ? &b->refs[i] : NULL;
}

/*
 * Incremental updates (ruleset_diff.h): the messages that turn the table
 * the kernel holds into the compiled one, in one transaction.
 */

int nl_batch_build_create(struct nl_batch *b, const struct rs_table *t,
			  uint32_t seq, uint32_t genid)
{
	return build_whole(b, t, seq, genid, false);
}

/* DELRULE naming only the chain flushes it; DELCHAIN deletes it (with its
 * rules: without NLM_F_NONREC the kernel removes them first). */
static int put_chain_op(struct nl_batch *b, uint16_t type, const char *name,
			enum nl_obj_kind kind, size_t index, size_t sub)
{
	struct nlmsghdr *nlh = msg_start(b, type, 0, kind, index, sub);

	if (type == NFT_MSG_DELRULE) {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (!r)
			out_of_memory();
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, b->table);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
	} else {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (!c)
			out_of_memory();
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, b->table);
		nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
		nftnl_chain_nlmsg_build_payload(nlh, c);
		nftnl_chain_free(c);
	}
	return msg_end(b, nlh);
}

/* An element to delete: its key alone, as nft sends it. */
static int put_elem_key(struct nlmsghdr *nlh, const struct rs_map *m,
			const struct rs_elem *el)
{
	return put_elem_attrs(nlh, m, el, false);
}

/* One DELSETELEM message from element first on, within NL_MSG_MAX. */
static int del_elems_msg(struct nl_batch *b, const struct rs_table *t,
			 size_t index, size_t first, size_t *added)
{
	const struct rs_map *m = &t->maps[index];
	struct nftnl_set *s = map_handle(t->name, m, index);
	struct nlmsghdr *nlh;
	struct nlattr *list;
	size_t i;
	int ret = 0;

	nftnl_set_unset(s, NFTNL_SET_ID);	/* the set exists already */
	nlh = msg_start(b, NFT_MSG_DELSETELEM, 0, NL_OBJ_DEL_ELEMS, index, first);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (i = first; !ret && i < m->nelems; i++) {
		uint32_t before = nlh->nlmsg_len;

		ret = put_elem_key(nlh, m, &m->elems[i]);
		if (!ret && nlh->nlmsg_len > NL_MSG_MAX) {
			nlh->nlmsg_len = before;
			break;
		}
	}
	mnl_attr_nest_end(nlh, list);
	*added = i - first;
	b->refs[b->nrefs - 1].count = *added;
	return ret ? ret : msg_end(b, nlh);
}

static int put_del_elems(struct nl_batch *b, const struct rs_table *t)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < t->nmaps; i++) {
		size_t first = 0, added = 0;

		while (!ret && first < t->maps[i].nelems) {
			ret = del_elems_msg(b, t, i, first, &added);
			first += added;
		}
		if (ret < 0)
			b->build_failed = (struct nl_msg_ref){
				.kind = NL_OBJ_DEL_ELEMS, .index = i,
				.sub = first, .count = 1 };
	}
	return ret;
}

/* New maps and chains, then the flushes: a refilled chain and a chain
 * deleted in the second transaction both lose their rules now. */
static int put_update_creates(struct nl_batch *b, const struct rs_diff *d)
{
	const struct rs_table *add = &d->add, *del = &d->del;
	int ret = 0;

	for (size_t i = 0; !ret && i < add->nmaps; i++)
		if (d->map_new[i])
			ret = put_map(b, &add->maps[i], i);
	for (size_t i = 0; !ret && i < add->nchains; i++)
		if (d->chain_new[i])
			ret = put_chain(b, &add->chains[i], i);
	for (size_t i = 0; !ret && i < add->nchains; i++)
		if (!d->chain_new[i])
			ret = put_chain_op(b, NFT_MSG_DELRULE, add->chains[i].name,
					   NL_OBJ_FLUSH_CHAIN, i, 0);
	for (size_t i = 0; !ret && i < del->nchains; i++)
		if (d->chain_late[i])
			ret = put_chain_op(b, NFT_MSG_DELRULE, del->chains[i].name,
					   NL_OBJ_DEL_CHAIN, i, 1);
	return ret;
}

static int put_update_deletes(struct nl_batch *b, const struct rs_diff *d)
{
	const struct rs_table *del = &d->del;
	int ret = put_del_elems(b, del);

	/* Only chains no element points at: Linux before 6.2 refuses with
	 * EBUSY to delete a chain in the same transaction as the removal of
	 * a map element that references it (the element's reference is
	 * dropped only at commit). Those (chain_late) were flushed above and
	 * are deleted by nl_batch_build_late() in a second transaction, once
	 * nothing points at them; if that one never happens, the next
	 * update finds them unreferenced and deletes them here. */
	for (size_t i = 0; !ret && i < del->nchains; i++)
		if (!d->chain_late[i])
			ret = put_chain_op(b, NFT_MSG_DELCHAIN, del->chains[i].name,
					   NL_OBJ_DEL_CHAIN, i, 0);
	return ret;
}

static int add_update(struct nl_batch *b, const struct rs_diff *d)
{
	int ret;

	if (!nl_family_of(d->add.family))
		return -EAFNOSUPPORT;
	start_part(b, d->add.family, d->add.name, &d->del);
	ret = put_update_creates(b, d);
	if (!ret)
		ret = put_update_deletes(b, d);
	/* Rules of the new and refilled chains, then the new elements:
	 * every chain an element leads to exists by now. */
	if (!ret)
		ret = put_elems_and_rules(b, &d->add);
	return part_done(b, ret);
}

int nl_batch_add_diff(struct nl_batch *b, const struct rs_diff *d)
{
	switch (d->mode) {
	case RS_DIFF_CREATE:
		return add_table(b, d->want, false);
	case RS_DIFF_REPLACE:
		return add_table(b, d->want, true);
	case RS_DIFF_UPDATE:
		return add_update(b, d);
	case RS_DIFF_NONE:
		break;
	}
	return -EINVAL;
}

int nl_batch_build_update(struct nl_batch *b, const struct rs_diff *d,
			  uint32_t seq, uint32_t genid)
{
	int ret;

	if (d->mode != RS_DIFF_UPDATE)
		return -EINVAL;
	if (!nl_family_of(d->add.family))
		return -EAFNOSUPPORT;
	ret = nl_batch_open(b, seq, genid);
	if (!ret)
		ret = add_update(b, d);
	return ret ? ret : nl_batch_close(b);
}

int nl_batch_add_late(struct nl_batch *b, const struct rs_diff *d)
{
	const struct rs_table *del = &d->del;
	int ret = 0;

	if (!rs_diff_late_chains(d))
		return -EINVAL;
	start_part(b, del->family, del->name, del);
	for (size_t i = 0; !ret && i < del->nchains; i++)
		if (d->chain_late[i])
			ret = put_chain_op(b, NFT_MSG_DELCHAIN, del->chains[i].name,
					   NL_OBJ_DEL_CHAIN, i, 0);
	return ret;
}

int nl_batch_build_late(struct nl_batch *b, const struct rs_diff *d,
			uint32_t seq, uint32_t genid)
{
	int ret;

	if (!rs_diff_late_chains(d))
		return -EINVAL;
	ret = nl_batch_open(b, seq, genid);
	if (!ret)
		ret = nl_batch_add_late(b, d);
	return ret ? ret : nl_batch_close(b);
}
