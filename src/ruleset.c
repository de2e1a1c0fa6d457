// SPDX-License-Identifier: GPL-2.0-or-later
/* The ruleset as plain data: builders, comparison, freeing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "util.h"

void rs_table_init(struct rs_table *t, uint8_t family, const char *name)
{
	memset(t, 0, sizeof(*t));
	t->family = family;
	t->name = xstrdup(name);
}

struct rs_chain *rs_table_add_chain(struct rs_table *t, const char *name)
{
	struct rs_chain *c;

	grow_array(&t->chains, &t->cap_chains, t->nchains + 1, sizeof(*c));
	c = &t->chains[t->nchains++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	return c;
}

struct rs_map *rs_table_add_map(struct rs_table *t, const char *name,
				enum rs_map_kind kind)
{
	struct rs_map *m;

	grow_array(&t->maps, &t->cap_maps, t->nmaps + 1, sizeof(*m));
	m = &t->maps[t->nmaps++];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->kind = kind;
	return m;
}

struct rs_rule *rs_chain_add_rule(struct rs_chain *c, enum rs_rule_kind kind)
{
	struct rs_rule *r;

	grow_array(&c->rules, &c->cap_rules, c->nrules + 1, sizeof(*r));
	r = &c->rules[c->nrules++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	return r;
}

struct rs_elem *rs_map_add_elem(struct rs_map *m, const char *chain)
{
	struct rs_elem *e;

	grow_array(&m->elems, &m->cap_elems, m->nelems + 1, sizeof(*e));
	e = &m->elems[m->nelems++];
	memset(e, 0, sizeof(*e));
	e->chain = xstrdup(chain);
	return e;
}

struct rs_chain *rs_table_find_chain(const struct rs_table *t, const char *name)
{
	for (size_t i = 0; i < t->nchains; i++)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	return NULL;
}

struct rs_map *rs_table_find_map(const struct rs_table *t, const char *name)
{
	for (size_t i = 0; i < t->nmaps; i++)
		if (!strcmp(t->maps[i].name, name))
			return &t->maps[i];
	return NULL;
}

static void rs_chain_free(struct rs_chain *c)
{
	for (size_t i = 0; i < c->nrules; i++)
		free(c->rules[i].target);
	free(c->rules);
	free(c->name);
	free(c->comment);
}

static void rs_map_free(struct rs_map *m)
{
	for (size_t i = 0; i < m->nelems; i++)
		free(m->elems[i].chain);
	free(m->elems);
	free(m->name);
}

void rs_table_free(struct rs_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nchains; i++)
		rs_chain_free(&t->chains[i]);
	for (size_t i = 0; i < t->nmaps; i++)
		rs_map_free(&t->maps[i]);
	free(t->chains);
	free(t->maps);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

int rs_elem_key_cmp(const struct rs_elem *a, const struct rs_elem *b)
{
	int r = ip_addr_cmp(&a->addr, &b->addr);

	if (!r)
		r = ip_addr_cmp(&a->addr2, &b->addr2);
	if (r)
		return r;
	if (a->l4proto != b->l4proto)
		return a->l4proto < b->l4proto ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return 0;
}

static int elem_qsort_cmp(const void *a, const void *b)
{
	return rs_elem_key_cmp(a, b);
}

void rs_table_sort_elems(struct rs_table *t)
{
	for (size_t i = 0; i < t->nmaps; i++)
		if (t->maps[i].nelems)	/* qsort's array may not be NULL */
			qsort(t->maps[i].elems, t->maps[i].nelems,
			      sizeof(struct rs_elem), elem_qsort_cmp);
}

static bool str_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static bool rs_rule_equal(const struct rs_rule *a, const struct rs_rule *b)
{
	/* An unknown rule was not written by svcnft: never equal to anything,
	 * so a comparison always replaces it. */
	if (a->kind == RS_RULE_UNKNOWN || b->kind == RS_RULE_UNKNOWN)
		return false;
	return a->kind == b->kind && a->numgen_mod == b->numgen_mod &&
	       a->l4proto == b->l4proto && a->port == b->port &&
	       !ip_addr_cmp(&a->addr, &b->addr) && a->prefix_len == b->prefix_len &&
	       a->mark == b->mark && a->timeout == b->timeout &&
	       str_equal(a->target, b->target);
}

bool rs_chain_equal(const struct rs_chain *a, const struct rs_chain *b)
{
	if (!str_equal(a->name, b->name) || !str_equal(a->comment, b->comment) ||
	    a->hook != b->hook || a->nrules != b->nrules)
		return false;
	if (a->hook != RS_HOOK_NONE &&
	    (a->type != b->type || a->priority != b->priority))
		return false;
	for (size_t i = 0; i < a->nrules; i++)
		if (!rs_rule_equal(&a->rules[i], &b->rules[i]))
			return false;
	return true;
}

static bool rs_map_equal(const struct rs_map *a, const struct rs_map *b)
{
	if (!str_equal(a->name, b->name) || a->kind != b->kind ||
	    a->timeout != b->timeout)
		return false;
	/* affinity entries are the packet path's state, not the ruleset */
	if (a->kind == RS_MAP_AFFINITY)
		return true;
	if (a->nelems != b->nelems)
		return false;
	for (size_t i = 0; i < a->nelems; i++)
		if (rs_elem_key_cmp(&a->elems[i], &b->elems[i]) ||
		    !str_equal(a->elems[i].chain, b->elems[i].chain))
			return false;
	return true;
}

bool rs_table_equal(const struct rs_table *a, const struct rs_table *b)
{
	if (a->family != b->family || !str_equal(a->name, b->name) ||
	    a->nmaps != b->nmaps || a->nchains != b->nchains)
		return false;
	for (size_t i = 0; i < a->nmaps; i++)
		if (!rs_map_equal(&a->maps[i], &b->maps[i]))
			return false;
	for (size_t i = 0; i < a->nchains; i++)
		if (!rs_chain_equal(&a->chains[i], &b->chains[i]))
			return false;
	return true;
}

bool rs_chain_has_endpoints(const struct rs_chain *c)
{
	for (size_t i = 0; c && i < c->nrules; i++)
		if (c->rules[i].kind == RS_RULE_DNAT)
			return true;
	return false;
}

size_t rs_port_prefix_len(const char *chain)
{
	static const char *const prefixes[] = {
		RS_CHAIN_PREFIX, RS_EXT_CHAIN_PREFIX, RS_LOCAL_CHAIN_PREFIX,
		RS_FW_CHAIN_PREFIX,
	};

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(chain, prefixes[i], strlen(prefixes[i])))
			return strlen(prefixes[i]);
	return 0;
}

void rs_port_comment_parse(const char *comment, char type[RS_COMMENT_TYPE_MAX],
			   char port_name[RS_COMMENT_PORT_MAX])
{
	*type = *port_name = '\0';
	if (comment)
		sscanf(comment, "%31s %*s %63s", type, port_name);
}

const char *rs_port_chain(const char *chain, char *buf, size_t len)
{
	static const char *const prefixes[] = {
		RS_CHAIN_PREFIX, RS_EXT_CHAIN_PREFIX, RS_LOCAL_CHAIN_PREFIX,
	};

	for (size_t i = 0; chain && i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(chain, prefixes[i], n)) {
			snprintf(buf, len, RS_CHAIN_PREFIX "%s", chain + n);
			return buf;
		}
	}
	return NULL;
}
