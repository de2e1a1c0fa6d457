// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * svcnft watch: what the kernel holds after another process changed
 * svcnft's chains, worked out from the notifications that said so, so that
 * a repair need not read 10k chains back to restore one (watch.h).
 */
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "watch.h"

/* A rule svcnft never writes: a chain holding it is never equal to what
 * it should hold, so the diff flushes and refills it (ruleset_diff.h). */
static struct rs_rule unknown_rule = { .kind = RS_RULE_UNKNOWN };

enum chain_state { CHAIN_KEPT, CHAIN_CHANGED, CHAIN_GONE };

/* The last word on each chain of this family: name -> index into d. */
static void final_states(const struct kernel_drift *d, uint8_t family,
			 struct strmap *last_op)
{
	for (size_t i = d->n; i-- > 0;)
		if (d->chains[i].family == family && !strmap_get(last_op, d->chains[i].name))
			strmap_add(last_op, d->chains[i].name, i);
}

static enum chain_state state_of(const struct kernel_drift *d,
				 const struct strmap *last_op, const char *name)
{
	const struct strmap_entry *e = strmap_get(last_op, name);

	if (!e)
		return CHAIN_KEPT;
	return d->chains[e->vals[0]].deleted ? CHAIN_GONE : CHAIN_CHANGED;
}

static void add_view_chain(struct rs_table *view, const struct rs_chain *c,
			   enum chain_state st)
{
	struct rs_chain *v = &view->chains[view->nchains++];

	*v = *c;
	if (st == CHAIN_CHANGED) {
		v->rules = &unknown_rule;
		v->nrules = 1;
		v->cap_rules = 0;
	}
}

/* last's maps, those others changed taken from what was read back. */
static bool view_maps(struct rs_table *view, const struct rs_table *last,
		      const char *const *changed, size_t nchanged,
		      const struct rs_table *read)
{
	view->maps = xcalloc(last->nmaps + 1, sizeof(*view->maps));
	view->nmaps = view->cap_maps = last->nmaps;
	for (size_t i = 0; i < last->nmaps; i++)
		view->maps[i] = last->maps[i];
	for (size_t k = 0; k < nchanged; k++) {
		const struct rs_map *now = read ? rs_table_find_map(read, changed[k]) : NULL;
		struct rs_map *was = rs_table_find_map(view, changed[k]);

		if (!now || !was)
			return false;	/* gone, or never ours: read it all */
		*was = *now;
	}
	return true;
}

bool watch_drift_view(const struct rs_table *last, const struct kernel_drift *d,
		      const struct rs_table *maps_read, struct rs_table *view,
		      bool *gone)
{
	size_t f = last->family == NFPROTO_IPV6;
	struct strmap last_op = { 0 };
	struct strmap have = { 0 };

	memset(view, 0, sizeof(*view));
	*gone = false;
	if (d->inexact)
		return false;
	if (d->table_deleted[f]) {
		*gone = true;
		return true;
	}
	if (d->sets_changed[f] || d->too_many[f])
		return false;
	*view = *last;
	view->chains = NULL;	/* the view's own, below */
	view->maps = NULL;
	if (!view_maps(view, last, (const char *const *)d->maps[f], d->nmaps[f],
		       maps_read)) {
		watch_drift_view_free(view);
		return false;
	}
	final_states(d, last->family, &last_op);
	view->chains = xcalloc(last->nchains + d->n + 1, sizeof(*view->chains));
	view->nchains = view->cap_chains = 0;
	for (size_t i = 0; i < last->nchains; i++) {
		enum chain_state st = state_of(d, &last_op, last->chains[i].name);

		strmap_add(&have, last->chains[i].name, i);
		if (st != CHAIN_GONE)
			add_view_chain(view, &last->chains[i], st);
	}
	/* Chains others created in our table: there, holding who knows what. */
	for (size_t i = 0; i < d->n; i++) {
		const struct kernel_drift_chain *c = &d->chains[i];
		struct rs_chain created = { .name = c->name };

		if (c->family != last->family || strmap_get(&have, c->name) ||
		    state_of(d, &last_op, c->name) != CHAIN_CHANGED)
			continue;
		strmap_add(&have, c->name, SIZE_MAX);
		add_view_chain(view, &created, CHAIN_CHANGED);
	}
	view->cap_chains = view->nchains;
	strmap_free(&last_op);
	strmap_free(&have);
	return true;
}

void watch_drift_view_free(struct rs_table *view)
{
	if (!view)
		return;
	free(view->chains);	/* everything else is the last table's, */
	free(view->maps);	/* or the maps read back */
	memset(view, 0, sizeof(*view));
}
