/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_RULESET_DIFF_H
#define SVCNFT_RULESET_DIFF_H

/*
 * Stage 3½: what separates the ruleset the kernel holds from the one the
 * manifests compile to, as plain data (no netlink). apply sends only this;
 * plan --diff prints it.
 *
 * A Service port is one chain plus its map elements, so an unchanged
 * Service is untouched: a chain whose rules differ is flushed and refilled
 * in place (it keeps its position and the elements that point at it), a
 * chain no longer wanted is deleted, elements are added and removed one by
 * one (an element that now leads elsewhere is removed and added again).
 * Rules the kernel holds that svcnft did not write (RS_RULE_UNKNOWN) never
 * compare equal, so their chain is refilled: that repairs it.
 */

#include <stdbool.h>
#include <stddef.h>

#include "ruleset.h"

enum rs_diff_mode {
	RS_DIFF_NONE,		/* nothing to do: send nothing */
	RS_DIFF_CREATE,		/* no table: create want whole */
	RS_DIFF_REPLACE,	/* a change that cannot be made in place: replace
				 * the table in one transaction (see why) */
	RS_DIFF_UPDATE,		/* add and del below */
};

struct rs_diff {
	enum rs_diff_mode mode;
	const struct rs_table *want;	/* CREATE, REPLACE: what to program */
	char *why;			/* REPLACE: the object that forces it */
	/*
	 * UPDATE. add.maps mirror want's maps by index (same names and kinds)
	 * and hold the elements to add; add.chains are the chains to create
	 * (chain_new) or to flush and refill, with all their rules.
	 */
	struct rs_table add;
	bool *map_new;		/* per add.maps: create the map first */
	bool *chain_new;	/* per add.chains */
	size_t cap_chain_new;
	/*
	 * del.maps mirror want's maps too and hold the elements to remove
	 * (only their keys matter); del.chains are the chains to delete, by
	 * name. chain_late: a map element the same update removes points at
	 * it, so it is flushed now and deleted in a second transaction (see
	 * netlink_diff.c: Linux before 6.2).
	 */
	struct rs_table del;
	bool *chain_late;	/* per del.chains */
	size_t cap_chain_late;
};

/*
 * The change that turns have (the kernel's table; NULL when it does not
 * exist) into want. Both must outlive d only for CREATE and REPLACE (d->want
 * points at want); UPDATE copies what it needs. d is overwritten.
 */
void rs_diff_compute(struct rs_diff *d, const struct rs_table *want,
		     const struct rs_table *have);

/* True when nothing is to be sent. */
bool rs_diff_empty(const struct rs_diff *d);
/* Chains deleted in a second transaction (UPDATE only). */
size_t rs_diff_late_chains(const struct rs_diff *d);

/* What the change amounts to, for apply's summary and the benchmark. */
struct rs_diff_counts {
	size_t chains_added, chains_refilled, chains_deleted;
	size_t rules_added, elems_added, elems_deleted;
};
void rs_diff_count(const struct rs_diff *d, struct rs_diff_counts *c);

void rs_diff_free(struct rs_diff *d);

#endif
