// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a message of a batch creates, in words, and which Service it belongs
 * to: how a kernel error (which only carries a sequence number, and with
 * NETLINK_EXT_ACK the offset of the failing attribute) becomes a message a
 * user can act on.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "backend.h"
#include "netlink.h"
#include "util.h"

/* As nft prints it: "198.19.0.10 . tcp . 80" or "tcp . 30080". */
static char *elem_key_str(const struct rs_map *m, const struct rs_elem *e)
{
	char addr[IP_ADDR_STRLEN], addr2[IP_ADDR_STRLEN];
	const char *p = protocol_name(e->l4proto);

	switch (m->kind) {
	case RS_MAP_NODEPORTS:
		return xasprintf("%s . %u", p, e->port);
	case RS_SET_ADDRS:
		return xstrdup(ip_addr_str(&e->addr, addr, sizeof(addr)));
	case RS_SET_ADDR_PAIRS:
		return xasprintf("%s . %s", ip_addr_str(&e->addr, addr, sizeof(addr)),
				 ip_addr_str(&e->addr2, addr2, sizeof(addr2)));
	case RS_MAP_AFFINITY:
		return xasprintf("%s . %s . %u",
				 ip_addr_str(&e->addr, addr, sizeof(addr)),
				 ip_addr_str(&e->addr2, addr2, sizeof(addr2)), e->port);
	case RS_MAP_SERVICE_IPS:
		break;
	}
	return xasprintf("%s . %s . %u", ip_addr_str(&e->addr, addr, sizeof(addr)),
			 p, e->port);
}

char *nl_chain_service(const char *chain)
{
	size_t plen = chain ? rs_port_prefix_len(chain) : 0;
	const char *ns, *slash, *end;

	if (!plen)
		return NULL;
	ns = chain + plen;
	slash = strchr(ns, '/');
	if (!slash || slash == ns || slash[1] == '\0' || slash[1] == '/')
		return NULL;
	end = strchr(slash + 1, '/');
	return end ? xstrndup(ns, end - ns) : xstrdup(ns);
}

/* The Service all elements [first, first + count) lead to, or NULL. */
static char *elems_service(const struct rs_map *m, size_t first, size_t count)
{
	char *svc = NULL;

	for (size_t i = first; i < first + count && i < m->nelems; i++) {
		char *s = nl_chain_service(m->elems[i].chain);

		if (i == first) {
			svc = s;
			continue;
		}
		if (!s || !svc || strcmp(s, svc)) {
			free(s);
			free(svc);
			return NULL;
		}
		free(s);
	}
	return svc;
}

/* Index among the elements of the list attribute containing offset off. */
static long nested_index_at(const struct nlmsghdr *nlh, uint32_t off)
{
	const struct nlattr *list, *a;
	long i = 0;

	mnl_attr_for_each(list, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(list) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(a, list) {
			uint32_t start = (const char *)a - (const char *)nlh;

			if (off >= start && off < start + a->nla_len)
				return i;
			i++;
		}
	}
	return -1;
}

/*
 * Which element of an element message the kernel rejected. Building is
 * deterministic, so the message is built again rather than kept: offsets
 * in the copy are offsets in what was sent.
 */
static long elems_index_at(const struct rs_table *t,
			   const struct nl_msg_ref *ref, uint32_t off)
{
	char *buf = xcalloc(1, NL_ELEMS_BUF);
	struct nlmsghdr *nlh = nl_elems_msg_start(buf, t, ref->index, 0);
	size_t added;
	long i = -1;

	if (nl_elems_fill(nlh, &t->maps[ref->index], ref->sub, ref->count,
			  &added) == 0 && added == ref->count)
		i = nested_index_at(nlh, off);
	free(buf);
	return i;
}

static void describe_elems(const struct rs_table *t,
			   const struct nl_msg_ref *ref, uint32_t bad_attr,
			   char **object, char **service)
{
	const struct rs_map *m = &t->maps[ref->index];
	size_t first = ref->sub, count = ref->count;
	long exact = bad_attr ? elems_index_at(t, ref, bad_attr) : -1;
	char *key;

	if (exact >= 0) {
		first += exact;
		count = 1;
	}
	if (first >= m->nelems)
		return;
	key = elem_key_str(m, &m->elems[first]);
	if (count <= 1)
		*object = xasprintf("element %s in map %s", key, m->name);
	else
		*object = xasprintf("elements %s and %zu more in map %s", key,
				    count - 1, m->name);
	*service = elems_service(m, first, count);
	free(key);
}

static char *rule_summary(const struct rs_rule *r, uint8_t family)
{
	char *s = nft_rule_text(r, family);

	return s ? s : xstrdup("a rule");
}

static void describe_rule(const struct rs_table *t,
			  const struct nl_msg_ref *ref, char **object,
			  char **service)
{
	const struct rs_chain *c = &t->chains[ref->index];
	char *what;

	if (ref->sub >= c->nrules)
		return;
	what = rule_summary(&c->rules[ref->sub], t->family);
	*object = xasprintf("rule %u (%s) in chain %s", ref->sub + 1, what,
			    c->name);
	*service = nl_chain_service(c->name);
	free(what);
}

static bool ref_in_table(const struct rs_table *t, const struct nl_msg_ref *ref)
{
	switch (ref->kind) {
	case NL_OBJ_MAP:
	case NL_OBJ_ELEMS:
		return t && ref->index < t->nmaps;
	case NL_OBJ_CHAIN:
	case NL_OBJ_RULE:
	case NL_OBJ_FLUSH_CHAIN:
		return t && ref->index < t->nchains;
	}
	return true;
}

/* A message of an incremental update that removes something: named from
 * b->removed (ruleset_diff.h's del table). */
static void describe_removal(const struct nl_batch *b,
			     const struct nl_msg_ref *ref, char **object,
			     char **service)
{
	const struct rs_table *del = ref->part < b->nparts ?
		b->parts[ref->part].removed : b->removed;
	const struct rs_map *m;
	char *key;

	if (ref->kind == NL_OBJ_DEL_CHAIN && del && ref->index < del->nchains) {
		const char *name = del->chains[ref->index].name;

		*object = xasprintf("%s of chain %s",
				    ref->sub ? "the flush" : "the deletion", name);
		*service = nl_chain_service(name);
		return;
	}
	if (!del || ref->index >= del->nmaps)
		return;
	m = &del->maps[ref->index];
	if (ref->sub >= m->nelems)
		return;
	key = elem_key_str(m, &m->elems[ref->sub]);
	*object = ref->count > 1 ?
		xasprintf("the removal of elements %s and %u more from map %s",
			  key, ref->count - 1, m->name) :
		xasprintf("the removal of element %s from map %s", key, m->name);
	*service = elems_service(m, ref->sub, ref->count);
	free(key);
}

void nl_batch_describe(const struct nl_batch *b, const struct rs_table *t,
		       const struct nl_msg_ref *ref, uint32_t bad_attr,
		       char **object, char **service)
{
	*object = *service = NULL;
	if (!ref || !ref_in_table(t, ref))
		return;
	switch (ref->kind) {
	case NL_OBJ_BATCH:	/* the batch as a whole: nothing to name */
		break;
	case NL_OBJ_TABLE:
		if (ref->part < b->nparts)
			*object = xasprintf("table %s %s",
					    nft_family_name(b->parts[ref->part].family),
					    b->parts[ref->part].table);
		else
			*object = xasprintf("table %s %s",
					    nft_family_name(b->family), b->table);
		break;
	case NL_OBJ_MAP:
		*object = xasprintf("map %s", t->maps[ref->index].name);
		break;
	case NL_OBJ_CHAIN:
		*object = xasprintf("chain %s", t->chains[ref->index].name);
		*service = nl_chain_service(t->chains[ref->index].name);
		break;
	case NL_OBJ_ELEMS:
		describe_elems(t, ref, bad_attr, object, service);
		break;
	case NL_OBJ_RULE:
		describe_rule(t, ref, object, service);
		break;
	case NL_OBJ_FLUSH_CHAIN:
		*object = xasprintf("the flush of chain %s",
				    t->chains[ref->index].name);
		*service = nl_chain_service(t->chains[ref->index].name);
		break;
	case NL_OBJ_DEL_CHAIN:
	case NL_OBJ_DEL_ELEMS:
		describe_removal(b, ref, object, service);
		break;
	}
}
