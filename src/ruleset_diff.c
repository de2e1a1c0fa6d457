// SPDX-License-Identifier: GPL-2.0-or-later
/* The difference between two rulesets, as plain data: see ruleset_diff.h. */
#include <stdlib.h>
#include <string.h>

#include "ruleset_diff.h"
#include "util.h"

static void chain_copy(struct rs_table *t, const struct rs_chain *src)
{
	struct rs_chain *c = rs_table_add_chain(t, src->name);

	c->comment = xstrdup(src->comment);
	c->hook = src->hook;
	c->type = src->type;
	c->priority = src->priority;
	for (size_t i = 0; i < src->nrules; i++) {
		struct rs_rule *r = rs_chain_add_rule(c, src->rules[i].kind);

		*r = src->rules[i];
		r->target = xstrdup(src->rules[i].target);
		r->handle = 0;
	}
}

static void elem_copy(struct rs_map *m, const struct rs_elem *src)
{
	struct rs_elem *e = rs_map_add_elem(m, src->chain);

	e->addr = src->addr;
	e->addr2 = src->addr2;
	e->l4proto = src->l4proto;
	e->port = src->port;
	e->to_addr = src->to_addr;
	e->to_port = src->to_port;
}

static bool str_same(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/* What the kernel cannot change on an existing chain: the comment is
 * chain userdata, which an update of the chain does not replace. */
static bool chain_header_equal(const struct rs_chain *a, const struct rs_chain *b)
{
	if (!str_same(a->comment, b->comment) || a->hook != b->hook)
		return false;
	return a->hook == RS_HOOK_NONE ||
	       (a->type == b->type && a->priority == b->priority);
}

static void set_replace(struct rs_diff *d, char *why)
{
	if (!d->why)
		d->why = why;
	else
		free(why);
}

static void add_chain(struct rs_diff *d, const struct rs_chain *c, bool is_new)
{
	chain_copy(&d->add, c);
	grow_array(&d->chain_new, &d->cap_chain_new, d->add.nchains,
		   sizeof(*d->chain_new));
	d->chain_new[d->add.nchains - 1] = is_new;
}

static void del_chain(struct rs_diff *d, const char *name, bool late)
{
	rs_table_add_chain(&d->del, name);
	grow_array(&d->chain_late, &d->cap_chain_late, d->del.nchains,
		   sizeof(*d->chain_late));
	d->chain_late[d->del.nchains - 1] = late;
}

/* Chains of want against have, indexed by name. */
static void diff_chains(struct rs_diff *d, const struct rs_table *want,
			const struct rs_table *have)
{
	struct strmap have_idx = { 0 }, want_idx = { 0 }, referenced = { 0 };

	for (size_t i = 0; i < have->nchains; i++)
		strmap_add(&have_idx, have->chains[i].name, i);
	for (size_t i = 0; i < want->nchains; i++) {
		const struct rs_chain *w = &want->chains[i];
		const struct strmap_entry *e = strmap_get(&have_idx, w->name);
		const struct rs_chain *h = e ? &have->chains[e->vals[0]] : NULL;

		strmap_add(&want_idx, w->name, i);
		if (!h)
			add_chain(d, w, true);
		else if (!chain_header_equal(w, h))
			set_replace(d, xasprintf("chain %s", w->name));
		else if (!rs_chain_equal(w, h))
			add_chain(d, w, false);
	}
	for (size_t i = 0; i < have->nmaps; i++)
		for (size_t j = 0; j < have->maps[i].nelems; j++)
			if (have->maps[i].elems[j].chain)	/* sets: none */
				strmap_add(&referenced, have->maps[i].elems[j].chain, 0);
	for (size_t i = 0; i < have->nchains; i++) {
		const char *name = have->chains[i].name;

		if (!strmap_get(&want_idx, name))
			del_chain(d, name, strmap_get(&referenced, name) != NULL);
	}
	strmap_free(&have_idx);
	strmap_free(&want_idx);
	strmap_free(&referenced);
}

/* For arrays of element pointers. */
static int elem_cmp(const void *pa, const void *pb)
{
	return rs_elem_key_cmp(*(const struct rs_elem *const *)pa,
			       *(const struct rs_elem *const *)pb);
}

static const struct rs_elem **sorted_elems(const struct rs_map *m)
{
	const struct rs_elem **v = xcalloc(m->nelems, sizeof(*v));

	for (size_t i = 0; i < m->nelems; i++)
		v[i] = &m->elems[i];
	qsort(v, m->nelems, sizeof(*v), elem_cmp);
	return v;
}

/* A merge of the two maps' elements sorted by key. */
static void diff_elems(struct rs_map *add, struct rs_map *del,
		       const struct rs_map *w, const struct rs_map *h)
{
	const struct rs_elem **wv = sorted_elems(w), **hv = sorted_elems(h);
	size_t i = 0, j = 0;

	while (i < w->nelems || j < h->nelems) {
		int c = i == w->nelems ? 1 : j == h->nelems ? -1 :
			elem_cmp(&wv[i], &hv[j]);

		if (c < 0) {
			elem_copy(add, wv[i++]);
		} else if (c > 0) {
			elem_copy(del, hv[j++]);
		} else {
			/* Same key, other chain: the kernel refuses to
			 * overwrite an element's data, so remove and add. */
			if (!str_same(wv[i]->chain, hv[j]->chain)) {
				elem_copy(del, hv[j]);
				elem_copy(add, wv[i]);
			}
			i++;
			j++;
		}
	}
	free(wv);
	free(hv);
}

/*
 * Session affinity entries are the packet path's state: never added, kept
 * across applies, but deleted once they lead where the Service no longer
 * goes (sessionAffinity back to None, an endpoint removed), so that the
 * change takes effect at once. want's dispatch maps and chains decide.
 */
struct affinity_ctx {
	const struct rs_table *want;
	const struct rs_elem **ips, **nodeports;	/* sorted by key */
	size_t nips, nnodeports;
	struct strmap chains;	/* want's chain name -> index */
};

static const struct rs_elem **map_sorted(const struct rs_table *t,
					 const char *name, size_t *n)
{
	const struct rs_map *m = rs_table_find_map(t, name);

	*n = m ? m->nelems : 0;
	return m && m->nelems ? sorted_elems(m) : NULL;
}

static void affinity_ctx_init(struct affinity_ctx *x, const struct rs_table *want)
{
	memset(x, 0, sizeof(*x));
	x->want = want;
	x->ips = map_sorted(want, RS_MAP_SERVICE_IPS_NAME, &x->nips);
	x->nodeports = map_sorted(want, RS_MAP_NODEPORTS_NAME, &x->nnodeports);
	for (size_t i = 0; i < want->nchains; i++)
		strmap_add(&x->chains, want->chains[i].name, i);
}

static void affinity_ctx_free(struct affinity_ctx *x)
{
	free(x->ips);
	free(x->nodeports);
	strmap_free(&x->chains);
}

static const struct rs_chain *want_chain(const struct affinity_ctx *x,
					 const char *name)
{
	const struct strmap_entry *e = name ? strmap_get(&x->chains, name) : NULL;

	return e ? &x->want->chains[e->vals[0]] : NULL;
}

static const char *dispatch_chain(const struct rs_elem **v, size_t n,
				  const struct rs_elem *key)
{
	const struct rs_elem **hit = n ? bsearch(&key, v, n, sizeof(*v), elem_cmp) :
					 NULL;

	return hit ? (*hit)->chain : NULL;
}

/* The affinity map's class mark and protocol, from want's hit rule. */
static const struct rs_rule *affinity_hit_rule(const struct rs_table *want,
					       const char *map)
{
	for (size_t i = 0; i < want->nchains; i++)
		for (size_t j = 0; j < want->chains[i].nrules; j++) {
			const struct rs_rule *r = &want->chains[i].rules[j];

			if (r->kind == RS_RULE_AFFINITY_HIT && r->target &&
			    !strcmp(r->target, map))
				return r;
		}
	return NULL;
}

/* Whether chain c marks the class and DNATs to e's endpoint. */
static bool chain_keeps(const struct rs_chain *c, const struct rs_rule *hit,
			const struct rs_elem *e)
{
	bool marks = false;

	for (size_t i = 0; c && i < c->nrules; i++) {
		const struct rs_rule *r = &c->rules[i];

		if (r->kind == RS_RULE_MARK && r->mark == hit->mark)
			marks = true;
		else if (marks && r->kind == RS_RULE_DNAT &&
			 r->l4proto == hit->l4proto && r->port == e->to_port &&
			 !ip_addr_cmp(&r->addr, &e->to_addr))
			return true;
	}
	return false;
}

/* The entry's service address and port still lead, through the dispatch
 * maps (an ext- chain: through its gotos), to a chain of its class that
 * still has its endpoint. */
static bool affinity_entry_live(const struct affinity_ctx *x,
				const struct rs_rule *hit, const struct rs_elem *e)
{
	struct rs_elem key = { .addr = e->addr2, .l4proto = hit->l4proto,
			       .port = e->port };
	const char *name = dispatch_chain(x->ips, x->nips, &key);
	const struct rs_chain *c;

	if (!name) {
		memset(&key.addr, 0, sizeof(key.addr));	/* a node port */
		name = dispatch_chain(x->nodeports, x->nnodeports, &key);
	}
	c = want_chain(x, name);
	if (chain_keeps(c, hit, e))
		return true;
	if (!c || strncmp(c->name, RS_EXT_CHAIN_PREFIX, strlen(RS_EXT_CHAIN_PREFIX)))
		return false;
	for (size_t i = 0; i < c->nrules; i++) {
		enum rs_rule_kind k = c->rules[i].kind;

		if ((k == RS_RULE_GOTO || k == RS_RULE_GOTO_IF_MARK ||
		     k == RS_RULE_GOTO_IF_LOCAL_SOURCE) &&
		    chain_keeps(want_chain(x, c->rules[i].target), hit, e))
			return true;
	}
	return false;
}

static void diff_affinity(struct rs_map *del, const struct affinity_ctx *x,
			  const struct rs_map *h)
{
	const struct rs_rule *hit = affinity_hit_rule(x->want, h->name);

	for (size_t i = 0; i < h->nelems; i++)
		if (!hit || !affinity_entry_live(x, hit, &h->elems[i]))
			elem_copy(del, &h->elems[i]);
}

/* An element svcnft cannot have written: read back with chain "" (a
 * verdict map's element without one too). */
static bool elem_foreign(const struct rs_map *m, const struct rs_elem *e)
{
	if (m->kind == RS_MAP_SERVICE_IPS || m->kind == RS_MAP_NODEPORTS)
		return !e->chain || !*e->chain;
	return e->chain != NULL;
}

static void diff_maps(struct rs_diff *d, const struct rs_table *want,
		      const struct rs_table *have)
{
	struct affinity_ctx x;

	affinity_ctx_init(&x, want);
	d->map_new = xcalloc(want->nmaps, sizeof(*d->map_new));
	for (size_t i = 0; i < want->nmaps; i++) {
		const struct rs_map *w = &want->maps[i];
		const struct rs_map *h = rs_table_find_map(have, w->name);
		struct rs_map *add = rs_table_add_map(&d->add, w->name, w->kind);
		struct rs_map *del = rs_table_add_map(&d->del, w->name, w->kind);
		struct rs_map none = { .kind = w->kind };

		add->timeout = del->timeout = w->timeout;	/* a new map's */

		if (h && (h->kind != w->kind || h->timeout != w->timeout))
			set_replace(d, xasprintf("map %s", w->name));
		d->map_new[i] = !h;
		if (w->kind == RS_MAP_AFFINITY && h)
			diff_affinity(del, &x, h);
		else if (w->kind != RS_MAP_AFFINITY)
			diff_elems(add, del, w, h ? h : &none);
	}
	affinity_ctx_free(&x);
	/* A set svcnft did not write may be used by rules it did not write
	 * either: replacing the table removes both at once. */
	for (size_t i = 0; i < have->nmaps; i++) {
		if (!rs_table_find_map(want, have->maps[i].name))
			set_replace(d, xasprintf("map %s", have->maps[i].name));
		for (size_t j = 0; j < have->maps[i].nelems; j++)
			if (elem_foreign(&have->maps[i], &have->maps[i].elems[j]))
				set_replace(d, xasprintf("an element of map %s",
							 have->maps[i].name));
	}
}

static bool update_empty(const struct rs_diff *d)
{
	if (d->add.nchains || d->del.nchains)
		return false;
	for (size_t i = 0; i < d->add.nmaps; i++)
		if (d->map_new[i] || d->add.maps[i].nelems ||
		    d->del.maps[i].nelems)
			return false;
	return true;
}

static void drop_update(struct rs_diff *d)
{
	rs_table_free(&d->add);
	rs_table_free(&d->del);
	free(d->map_new);
	free(d->chain_new);
	free(d->chain_late);
	d->map_new = d->chain_new = d->chain_late = NULL;
	d->cap_chain_new = d->cap_chain_late = 0;
}

void rs_diff_compute(struct rs_diff *d, const struct rs_table *want,
		     const struct rs_table *have)
{
	memset(d, 0, sizeof(*d));
	d->want = want;
	if (!have) {
		d->mode = RS_DIFF_CREATE;
		return;
	}
	rs_table_init(&d->add, want->family, want->name);
	rs_table_init(&d->del, want->family, want->name);
	diff_maps(d, want, have);
	diff_chains(d, want, have);
	if (d->why) {
		d->mode = RS_DIFF_REPLACE;
		drop_update(d);
	} else if (update_empty(d)) {
		d->mode = RS_DIFF_NONE;
		drop_update(d);
	} else {
		d->mode = RS_DIFF_UPDATE;
	}
}

bool rs_diff_empty(const struct rs_diff *d)
{
	return d->mode == RS_DIFF_NONE;
}

size_t rs_diff_late_chains(const struct rs_diff *d)
{
	size_t n = 0;

	for (size_t i = 0; d->mode == RS_DIFF_UPDATE && i < d->del.nchains; i++)
		n += d->chain_late[i];
	return n;
}

static void count_table(const struct rs_table *t, struct rs_diff_counts *c)
{
	c->chains_added += t->nchains;
	for (size_t i = 0; i < t->nchains; i++)
		c->rules_added += t->chains[i].nrules;
	for (size_t i = 0; i < t->nmaps; i++)
		c->elems_added += t->maps[i].nelems;
}

void rs_diff_count(const struct rs_diff *d, struct rs_diff_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (d->mode == RS_DIFF_CREATE || d->mode == RS_DIFF_REPLACE) {
		count_table(d->want, c);
		return;
	}
	if (d->mode != RS_DIFF_UPDATE)
		return;
	count_table(&d->add, c);
	for (size_t i = 0; i < d->add.nchains; i++) {
		c->chains_refilled += !d->chain_new[i];
		c->chains_added -= !d->chain_new[i];
	}
	c->chains_deleted = d->del.nchains;
	for (size_t i = 0; i < d->del.nmaps; i++)
		c->elems_deleted += d->del.maps[i].nelems;
}

void rs_diff_free(struct rs_diff *d)
{
	if (!d)
		return;
	drop_update(d);
	free(d->why);
	memset(d, 0, sizeof(*d));
}
