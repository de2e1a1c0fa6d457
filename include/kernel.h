/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_KERNEL_H
#define SVCNFT_KERNEL_H

/*
 * Stage 4, kernel side: the only code that talks to the kernel. Three calls,
 * each one netlink conversation over libmnl, messages built and parsed with
 * libnftnl. Nothing here prints.
 */

#include <stddef.h>
#include <stdint.h>

#include "ruleset.h"
#include "ruleset_diff.h"

/* Why a batch failed, for the CLI to explain. */
struct kernel_error {
	int err;		/* negative errno */
	char *object;		/* what the failing message created, e.g.
				 * "chain svc-default/web/tcp/80"; or NULL */
	char *service;		/* "ns/name" of the Service it belongs to, or NULL */
};

/* What one kernel_table_apply or kernel_tables_apply did. */
struct kernel_stats {
	unsigned long messages;	/* netlink messages in the batches */
	unsigned long bytes;
	unsigned batches;	/* transactions sent: 0 when nothing changed */
	unsigned reads;		/* table reads: more than one when the ruleset
				 * changed under us and the update was redone */
	double read_seconds;	/* reading the table back */
	double kernel_seconds;	/* from sending each batch to its last reply */
	enum rs_diff_mode mode;	/* apply: what the change was */
	unsigned conntrack_deleted;	/* stale UDP flows removed */
	int conntrack_err;	/* -errno when removing them failed */
	struct rs_diff_counts changes;
};

/*
 * Read table (family, name) from the kernel into out (zeroed by caller).
 * Returns 0, -ENOENT when the table does not exist, or another -errno.
 */
int kernel_table_get(uint8_t family, const char *name, struct rs_table *out);

/*
 * The same, of the table's maps only: every map, with the elements of
 * those named in maps[] (others empty), and no chains; *genid is the
 * generation the read saw. For repairing a few maps without reading
 * thousands of chains.
 */
int kernel_table_get_maps(uint8_t family, const char *name,
			  const char *const *maps, size_t nmaps,
			  struct rs_table *out, uint32_t *genid);

/*
 * Make table want->name hold want, sending only the difference: read the
 * table (kernel_table_get), compute the change (ruleset_diff.h), and send it
 * in one batch stamped with the generation the read saw (NFNL_BATCH_GENID),
 * so that a change someone else made in between makes the kernel refuse
 * the whole batch (ERESTART); then read, compare and send again, a bounded
 * number of times (-ERESTART after that). Nothing is sent when nothing
 * changed. Chains whose last map element this removes are deleted in a
 * second transaction right after (Linux before 6.2: see netlink_build.c);
 * should that one fail, the next apply deletes them. On failure returns
 * -errno and fills err (caller frees with kernel_error_free); the kernel
 * applies a batch all or nothing, so the ruleset is then as it was.
 */
int kernel_table_apply(const struct rs_table *want, struct kernel_stats *stats,
		       struct kernel_error *err);

/*
 * The same for several tables (the ip and the ip6 table) in one
 * transaction: every table is read within one ruleset generation, each is
 * compared with what it should hold, and one batch stamped with that
 * generation carries every table's change, so the kernel applies all of
 * them or none (ERESTART: read all again and retry, a bounded number of
 * times). The late chain deletions of every table go in one second
 * transaction. Nothing is sent when no table changed. stats are summed
 * over the tables (mode: REPLACE if any table was replaced, else UPDATE,
 * CREATE, NONE). At most KERNEL_TABLES_MAX tables.
 */
#define KERNEL_TABLES_MAX 4
int kernel_tables_apply(const struct rs_table *const *want, size_t n,
			struct kernel_stats *stats, struct kernel_error *err);

/*
 * Reading ahead: kernel_read_start() reads tables ip NAME and ip6 NAME
 * (within one generation) on a thread of its own, so that the caller can
 * compile the manifests meanwhile; kernel_tables_apply_read() then uses
 * that read for its first attempt instead of reading, provided it covers
 * every table wanted and the ruleset generation has not moved since (one
 * GETGEN tells); otherwise it reads as kernel_tables_apply() does. Either
 * way the guarantees are kernel_tables_apply()'s. The read is a plain
 * dump: it needs CAP_NET_ADMIN as any read does, and changes nothing.
 * kernel_read_start() returns NULL only for a NULL name.
 */
#define KERNEL_READ_TABLES 2
struct kernel_read;
struct kernel_read *kernel_read_start(const char *name);
/* Waits for the read: 1 when table (family, name) exists, 0 when it does
 * not, or -errno when the read failed (or did not cover that table). */
int kernel_read_exists(struct kernel_read *r, uint8_t family, const char *name);
/* Table (family, name) as kernel_table_get() reads it, taken from r when
 * r read it and the generation has not moved since (r may be NULL). Each
 * table is handed over once; asked again, it is read again. */
int kernel_read_table(struct kernel_read *r, uint8_t family, const char *name,
		      struct rs_table *out);
/* ahead may be NULL (then this is kernel_tables_apply). A table of ahead
 * is used by the first attempt only; ahead keeps what it does not use. */
int kernel_tables_apply_read(struct kernel_read *ahead,
			     const struct rs_table *const *want, size_t n,
			     struct kernel_stats *stats, struct kernel_error *err);
/* Waits for the read, frees what was not used. Accepts NULL. */
void kernel_read_free(struct kernel_read *r);

/*
 * kernel_tables_apply without reading: have[i] is what the kernel holds of
 * want[i] (NULL: no such table) as of generation genid (not 0), such as the
 * tables an earlier apply programmed, while nothing else changed them. The
 * batch is stamped with genid, so a commit since then, by anyone, makes the
 * kernel refuse it whole (-ERESTART): the caller then reads again with
 * kernel_tables_apply. No retries here.
 */
int kernel_tables_apply_known(const struct rs_table *const *want,
			      const struct rs_table *const *have, size_t n,
			      uint32_t genid, struct kernel_stats *stats,
			      struct kernel_error *err);

/* The ruleset's current generation (the one a batch stamped with it must
 * find). 0 or -errno. */
int kernel_genid(uint32_t *genid);

/* Delete the table; -ENOENT when it does not exist. Nothing else is touched. */
int kernel_table_delete(uint8_t family, const char *name);

void kernel_error_free(struct kernel_error *err);

#endif
