/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_KERNEL_H
#define SVCNFT_KERNEL_H

/*
 * Stage 4, kernel side: the only code that talks to the kernel. Three calls,
 * each one netlink conversation over libmnl, messages built and parsed with
 * libnftnl. Nothing here prints.
 */

#include <stdint.h>

#include "ruleset.h"

/* Why a batch failed, for the CLI to explain. */
struct kernel_error {
	int err;		/* negative errno */
	char *object;		/* what the failing message created, e.g.
				 * "chain svc-default/web/tcp/80"; or NULL */
	char *service;		/* "ns/name" of the Service it belongs to, or NULL */
};

/* Counts of what one kernel_table_replace sent. */
struct kernel_stats {
	unsigned long messages;	/* netlink messages in the batch */
	unsigned long bytes;
};

/*
 * Read table (family, name) from the kernel into out (zeroed by caller).
 * Returns 0, -ENOENT when the table does not exist, or another -errno.
 */
int kernel_table_get(uint8_t family, const char *name, struct rs_table *out);

/*
 * Replace table t->name with t in one batch: the kernel applies all of it or
 * none of it. On failure returns -errno and fills err (caller frees with
 * kernel_error_free); the ruleset is then as it was before the call.
 */
int kernel_table_replace(const struct rs_table *t, struct kernel_stats *stats,
			 struct kernel_error *err);

/* Delete the table; -ENOENT when it does not exist. Nothing else is touched. */
int kernel_table_delete(uint8_t family, const char *name);

void kernel_error_free(struct kernel_error *err);

#endif
