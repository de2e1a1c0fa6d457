// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nf_tables messages (dump replies, or the messages of a batch) back into
 * an rs_table. Each rule's expressions are matched against the exact
 * sequences netlink_build.c writes; anything else is RS_RULE_UNKNOWN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "netlink.h"
#include "netlink_int.h"
#include "util.h"

void nl_parser_init(struct nl_parser *p, uint8_t family, const char *table,
		    struct rs_table *out)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->table = xstrdup(table);
	p->out = out;
}

void nl_parser_free(struct nl_parser *p)
{
	if (!p)
		return;
	free(p->table);
	free(p->chain_slots);
	free(p->foreign_maps);
	memset(p, 0, sizeof(*p));
}

static bool our_table(const struct nl_parser *p, const char *table)
{
	return table && !strcmp(table, p->table);
}

/* Open addressing on the chain name; slots hold chain index + 1. */
static size_t chain_slot(const struct nl_parser *p, const char *name)
{
	size_t mask = p->chain_cap - 1;
	size_t i = hash_keyed(name, strlen(name)) & mask;

	while (p->chain_slots[i] &&
	       strcmp(p->out->chains[p->chain_slots[i] - 1].name, name))
		i = (i + 1) & mask;
	return i;
}

static void chain_index_rebuild(struct nl_parser *p, size_t cap)
{
	free(p->chain_slots);
	p->chain_slots = xcalloc(cap, sizeof(*p->chain_slots));
	p->chain_cap = cap;
	for (size_t i = 0; i < p->out->nchains; i++)
		p->chain_slots[chain_slot(p, p->out->chains[i].name)] = i + 1;
}

/* Call after adding chain index to p->out. */
static void chain_index_add(struct nl_parser *p, size_t index)
{
	if (p->out->nchains * 2 > p->chain_cap) {
		chain_index_rebuild(p, p->chain_cap ? p->chain_cap * 2 : 64);
		return;		/* the rebuild indexed it */
	}
	p->chain_slots[chain_slot(p, p->out->chains[index].name)] = index + 1;
}

static struct rs_chain *chain_find(const struct nl_parser *p, const char *name)
{
	size_t slot;

	if (!p->chain_cap || !name)
		return NULL;
	slot = chain_slot(p, name);
	return p->chain_slots[slot] ?
		&p->out->chains[p->chain_slots[slot] - 1] : NULL;
}

static void forget_table(struct nl_parser *p)
{
	rs_table_free(p->out);
	free(p->chain_slots);
	free(p->foreign_maps);
	p->chain_slots = NULL;
	p->foreign_maps = NULL;
	p->chain_cap = p->cap_foreign = 0;
	p->have_table = false;
}

static int parse_table(struct nl_parser *p, const struct nlmsghdr *nlh,
		       bool deleted)
{
	struct nftnl_table *nt = nftnl_table_alloc();
	const char *name;
	int ret = -EPROTO;

	if (!nt)
		out_of_memory();
	if (nftnl_table_nlmsg_parse(nlh, nt) < 0)
		goto out;
	ret = 0;
	name = nftnl_table_get_str(nt, NFTNL_TABLE_NAME);
	if (!our_table(p, name))
		goto out;
	if (deleted && p->have_table)
		forget_table(p);
	else if (!deleted && !p->have_table) {
		rs_table_init(p->out, p->family, name);
		p->have_table = true;
	}
out:
	nftnl_table_free(nt);
	return ret;
}

static enum rs_hook hook_from_kernel(uint32_t hooknum)
{
	switch (hooknum) {
	case NF_INET_PRE_ROUTING:
		return RS_HOOK_PREROUTING;
	case NF_INET_LOCAL_IN:
		return RS_HOOK_INPUT;
	case NF_INET_FORWARD:
		return RS_HOOK_FORWARD;
	case NF_INET_LOCAL_OUT:
		return RS_HOOK_OUTPUT;
	case NF_INET_POST_ROUTING:
		return RS_HOOK_POSTROUTING;
	}
	return RS_HOOK_NONE;
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	const char **comment = data;
	const char *value = nftnl_udata_get(attr);
	uint8_t len = nftnl_udata_len(attr);

	/* Only a NUL-terminated comment is one nft would print. */
	if (nftnl_udata_type(attr) == NFTNL_UDATA_CHAIN_COMMENT && len &&
	    value[len - 1] == '\0')
		*comment = value;
	return MNL_CB_OK;
}

static char *chain_comment(const struct nftnl_chain *nc)
{
	const char *comment = NULL;
	uint32_t len;
	const void *ud = nftnl_chain_get_data(nc, NFTNL_CHAIN_USERDATA, &len);

	if (ud && nftnl_udata_parse(ud, len, comment_cb, &comment) < 0)
		return NULL;
	return xstrdup(comment);
}

static void chain_fill(struct rs_chain *c, const struct nftnl_chain *nc)
{
	c->comment = chain_comment(nc);
	if (!nftnl_chain_is_set(nc, NFTNL_CHAIN_HOOKNUM))
		return;
	c->hook = hook_from_kernel(nftnl_chain_get_u32(nc, NFTNL_CHAIN_HOOKNUM));
	c->priority = nftnl_chain_get_s32(nc, NFTNL_CHAIN_PRIO);
	c->type = nftnl_chain_is_set(nc, NFTNL_CHAIN_TYPE) &&
			  !strcmp(nftnl_chain_get_str(nc, NFTNL_CHAIN_TYPE), "nat") ?
		  RS_CHAIN_NAT : RS_CHAIN_FILTER;
}

/*
 * The deletions of an incremental update, applied to what was read so far
 * as the kernel applies them: a unit test replays a table and an update
 * batch and compares the result with the compiled table.
 */
static void flush_rules(struct rs_chain *c, bool by_handle, uint64_t handle)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->nrules; i++) {
		if (by_handle && c->rules[i].handle != handle)
			c->rules[kept++] = c->rules[i];
		else
			free(c->rules[i].target);
	}
	c->nrules = kept;
}

static void remove_chain(struct nl_parser *p, struct rs_chain *c)
{
	struct rs_table *t = p->out;
	size_t i = c - t->chains;

	flush_rules(c, false, 0);
	free(c->rules);
	free(c->name);
	free(c->comment);
	memmove(c, c + 1, (t->nchains - i - 1) * sizeof(*c));
	t->nchains--;
	chain_index_rebuild(p, p->chain_cap);
}

static int add_chain(struct nl_parser *p, const char *name,
		     const struct nftnl_chain *nc)
{
	if (!p->have_table || !name)
		return -EPROTO;	/* a chain before its table, or nameless */
	chain_fill(rs_table_add_chain(p->out, name), nc);
	chain_index_add(p, p->out->nchains - 1);
	return 0;
}

static int del_chain(struct nl_parser *p, const char *name)
{
	struct rs_chain *c = chain_find(p, name);

	if (!c)
		return -ENOENT;
	remove_chain(p, c);
	return 0;
}

static int parse_chain(struct nl_parser *p, const struct nlmsghdr *nlh,
		       bool deleted)
{
	struct nftnl_chain *nc = nftnl_chain_alloc();
	const char *name;
	int ret = -EPROTO;

	if (!nc)
		out_of_memory();
	if (nftnl_chain_nlmsg_parse(nlh, nc) < 0)
		goto out;
	ret = 0;
	if (!our_table(p, nftnl_chain_get_str(nc, NFTNL_CHAIN_TABLE)))
		goto out;
	name = nftnl_chain_get_str(nc, NFTNL_CHAIN_NAME);
	ret = deleted ? del_chain(p, name) : add_chain(p, name, nc);
out:
	nftnl_chain_free(nc);
	return ret;
}

/*
 * A set svcnft does not write still has to show up, or a comparison with
 * the compiled table would miss it: it becomes a map with that name and no
 * elements (rs_map has no "unknown" kind).
 */
static void add_map(struct nl_parser *p, const struct nftnl_set *s,
		    const char *name)
{
	size_t index = p->out->nmaps;
	int kind = nl_set_kind(s, p->family);
	struct rs_map *m = rs_table_add_map(p->out, name,
					    kind < 0 ? RS_MAP_SERVICE_IPS : kind);

	if (kind == RS_MAP_AFFINITY &&
	    nftnl_set_is_set(s, NFTNL_SET_TIMEOUT))
		m->timeout = nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT) / 1000;
	grow_array(&p->foreign_maps, &p->cap_foreign, index + 1,
		   sizeof(*p->foreign_maps));
	p->foreign_maps[index] = kind < 0;
}

static int parse_set(struct nl_parser *p, const struct nlmsghdr *nlh)
{
	struct nftnl_set *s = nftnl_set_alloc();
	const char *name;
	int ret = -EPROTO;

	if (!s)
		out_of_memory();
	if (nftnl_set_nlmsg_parse(nlh, s) < 0)
		goto out;
	ret = 0;
	if (!our_table(p, nftnl_set_get_str(s, NFTNL_SET_TABLE)))
		goto out;
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	ret = -EPROTO;
	if (!p->have_table || !name)
		goto out;
	ret = 0;
	add_map(p, s, name);
out:
	nftnl_set_free(s);
	return ret;
}

/* An affinity entry's data: endpoint address . port, each padded to 4. */
static int affinity_data(uint8_t family, struct rs_elem *el,
			 struct nftnl_set_elem *e)
{
	const struct nl_family *f = nl_family_of(family);
	const uint8_t *d;
	uint32_t len;
	uint16_t port;

	if (!f || !nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA))
		return -EPROTO;
	d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	if (!d || len != f->affinity_data_len)
		return -EPROTO;
	el->to_addr.family = f->af;
	memcpy(el->to_addr.addr, d, f->addr_len);
	memcpy(&port, d + f->addr_len, sizeof(port));
	el->to_port = ntohs(port);
	return 0;
}

/* The chain a verdict map's element leads to: "" when its data is not
 * "goto CHAIN" (no chain has that name, so it never compares equal to
 * what svcnft compiles); NULL for sets, whose elements lead nowhere.
 * (e is not const: libnftnl 1.2.4's element getters take it non-const.) */
static const char *elem_chain(const struct rs_map *m, struct nftnl_set_elem *e)
{
	bool has_data = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT) ||
			nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN) ||
			nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA);

	if (m->kind == RS_SET_ADDRS || m->kind == RS_SET_ADDR_PAIRS)
		return has_data ? "" : NULL;
	if (m->kind == RS_MAP_AFFINITY)
		return NULL;
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT) &&
	    (int32_t)nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT) == NFT_GOTO &&
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
		return nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
	return "";
}

/* An element svcnft cannot have written gets chain "", which diff reads
 * as a reason to replace the table. */
static void add_elem(uint8_t family, struct rs_map *m, struct nftnl_set_elem *e)
{
	struct rs_elem *el = rs_map_add_elem(m, elem_chain(m, e));
	const void *key;
	uint32_t klen;

	key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
	if (!key || nl_key_decode(family, m->kind, key, klen, el) < 0 ||
	    (m->kind == RS_MAP_AFFINITY && affinity_data(family, el, e) < 0)) {
		free(el->chain);
		el->chain = xstrdup("");
	}
}

static int add_elems(struct nl_parser *p, struct nftnl_set *s)
{
	const char *name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	struct rs_map *m = name ? rs_table_find_map(p->out, name) : NULL;

	if (!m)
		return -EPROTO;	/* elements before their map */
	if (p->foreign_maps[m - p->out->maps])
		return 0;
	it = nftnl_set_elems_iter_create(s);
	if (!it)
		out_of_memory();
	while ((e = nftnl_set_elems_iter_next(it)))
		add_elem(p->family, m, e);
	nftnl_set_elems_iter_destroy(it);
	return 0;
}

static int remove_elem(uint8_t family, struct rs_map *m,
		       struct nftnl_set_elem *e)
{
	struct rs_elem key = { 0 };
	const void *k;
	uint32_t klen;

	k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
	if (!k || nl_key_decode(family, m->kind, k, klen, &key) < 0)
		return -EPROTO;
	for (size_t i = 0; i < m->nelems; i++) {
		struct rs_elem *el = &m->elems[i];

		if (!rs_elem_key_cmp(el, &key)) {
			free(el->chain);
			*el = m->elems[--m->nelems];
			return 0;
		}
	}
	return -ENOENT;
}

static int remove_elems(struct nl_parser *p, struct nftnl_set *s)
{
	const char *name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	struct rs_map *m = name ? rs_table_find_map(p->out, name) : NULL;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	int ret = 0;

	if (!m)
		return -ENOENT;
	it = nftnl_set_elems_iter_create(s);
	if (!it)
		out_of_memory();
	while (!ret && (e = nftnl_set_elems_iter_next(it)))
		ret = remove_elem(p->family, m, e);
	nftnl_set_elems_iter_destroy(it);
	return ret;
}

static int parse_elems(struct nl_parser *p, const struct nlmsghdr *nlh,
		       bool deleted)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int ret = -EPROTO;

	if (!s)
		out_of_memory();
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		goto out;
	ret = 0;
	if (!our_table(p, nftnl_set_get_str(s, NFTNL_SET_TABLE)))
		goto out;
	if (deleted)
		ret = remove_elems(p, s);
	else
		ret = p->have_table ? add_elems(p, s) : -EPROTO;
out:
	nftnl_set_free(s);
	return ret;
}

static int add_rule(struct nl_parser *p, struct rs_chain *c,
		    const struct nftnl_rule *nr)
{
	if (!p->have_table || !c)
		return -EPROTO;	/* a rule before its chain */
	nl_rule_match(rs_chain_add_rule(c, RS_RULE_UNKNOWN), nr);
	return 0;
}

/* A rule deletion by handle, or a chain flush (no handle). */
static int del_rule(struct rs_chain *c, const struct nftnl_rule *nr)
{
	if (!c)
		return -ENOENT;
	flush_rules(c, nftnl_rule_is_set(nr, NFTNL_RULE_HANDLE),
		    nftnl_rule_get_u64(nr, NFTNL_RULE_HANDLE));
	return 0;
}

static int parse_rule(struct nl_parser *p, const struct nlmsghdr *nlh,
		      bool deleted)
{
	struct nftnl_rule *nr = nftnl_rule_alloc();
	struct rs_chain *c;
	int ret = -EPROTO;

	if (!nr)
		out_of_memory();
	if (nftnl_rule_nlmsg_parse(nlh, nr) < 0)
		goto out;
	ret = 0;
	if (!our_table(p, nftnl_rule_get_str(nr, NFTNL_RULE_TABLE)))
		goto out;
	c = chain_find(p, nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN));
	ret = deleted ? del_rule(c, nr) : add_rule(p, c, nr);
out:
	nftnl_rule_free(nr);
	return ret;
}

int nl_parse_msg(struct nl_parser *p, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg;

	/* Batch begin and end, acks, NLMSG_DONE: not nf_tables objects. */
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg))
		return 0;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nfg->nfgen_family != p->family)
		return 0;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWTABLE:
		return parse_table(p, nlh, false);
	case NFT_MSG_DELTABLE:
		return parse_table(p, nlh, true);
	case NFT_MSG_NEWCHAIN:
		return parse_chain(p, nlh, false);
	case NFT_MSG_DELCHAIN:
		return parse_chain(p, nlh, true);
	case NFT_MSG_NEWSET:
		return parse_set(p, nlh);
	case NFT_MSG_NEWSETELEM:
		return parse_elems(p, nlh, false);
	case NFT_MSG_DELSETELEM:
		return parse_elems(p, nlh, true);
	case NFT_MSG_NEWRULE:
		return parse_rule(p, nlh, false);
	case NFT_MSG_DELRULE:
		return parse_rule(p, nlh, true);
	}
	return 0;
}
