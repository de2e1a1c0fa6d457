/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_BACKEND_H
#define SVCNFT_BACKEND_H

/*
 * Stage 4, text side: a ruleset rendered in the syntax `nft -f` accepts.
 * The output is laid out the way `nft list table` prints it (tabs, blank
 * line between objects, map elements one per line), so that plan, dump and
 * `nft list` can be compared by eye and by diff.
 */

#include <stdbool.h>
#include <stdio.h>

#include "ruleset.h"
#include "ruleset_diff.h"

/*
 * Write t to out. With replace, first the two lines that make the load
 * replace an existing table atomically ("table ip NAME" creates it when
 * absent so that "delete table ip NAME" cannot fail). Returns 0 or -errno.
 */
int nft_text_write(FILE *out, const struct rs_table *t, bool replace);

/*
 * The change d as nft commands, one a line, "+ " before what is added and
 * "- " before what is removed ("+ add element ip svcnft service-ips { ... }",
 * "- delete chain ip svcnft svc-..."), in the order apply sends them.
 * Nothing for an empty diff. Returns 0 or -errno.
 */
int nft_text_write_diff(FILE *out, const struct rs_diff *d);

/* One rule as nft writes it, without indent or newline; caller frees. */
char *nft_rule_text(const struct rs_rule *r, uint8_t family);

/* "ip", "ip6", "inet" for an NFPROTO_* value. */
const char *nft_family_name(uint8_t family);

#endif
