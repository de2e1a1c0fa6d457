// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft apply: compile the manifests and program the kernel atomically,
 * sending only what differs from what it holds. */
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "cli.h"
#include "cli_ops.h"
#include "kernel.h"

void cli_report_kernel_error(const struct rs_table *t, int err,
			     const struct kernel_error *ke)
{
	if (ke->service)
		cli_error("the kernel refused %s of Service %s: %s; nothing applied",
			  ke->object ? ke->object : "a message", ke->service,
			  strerror(-err));
	else if (ke->object)
		cli_error("the kernel refused %s: %s; nothing applied", ke->object,
			  strerror(-err));
	else
		cli_error("programming table %s %s failed: %s; nothing applied",
			  nft_family_name(t->family), t->name, strerror(-err));
}

/* "no changes", "created", "replaced", or what an update changed. */
static void print_change(const struct kernel_stats *s)
{
	const struct rs_diff_counts *c = &s->changes;

	switch (s->mode) {
	case RS_DIFF_NONE:
		printf("no changes");
		return;
	case RS_DIFF_CREATE:
		printf("created");
		break;
	case RS_DIFF_REPLACE:
		printf("replaced");
		break;
	case RS_DIFF_UPDATE:
		printf("%zu %s added, %zu refilled, %zu deleted, %zu %s added, %zu removed",
		       c->chains_added, cli_plural(c->chains_added, "chain", "chains"),
		       c->chains_refilled, c->chains_deleted, c->elems_added,
		       cli_plural(c->elems_added, "element", "elements"), c->elems_deleted);
		break;
	}
	printf(": %lu %s (%lu KiB) in %s", s->messages,
	       cli_plural(s->messages, "message", "messages"),
	       (s->bytes + 1023) / 1024,
	       s->batches == 1 ? "one batch" : "two batches");
}

void cli_print_apply_summary(const struct compiled *c,
			     const struct kernel_stats *s,
			     const struct cli_options *o, double elapsed)
{
	printf("svcnft: applied ");
	cli_print_counts(&c->model);
	printf(" to %s %s: ", c->ipv6 ? "tables ip and ip6" : "table ip", c->table.name);
	print_change(s);
	if (s->conntrack_deleted)
		printf(", %u stale UDP %s removed", s->conntrack_deleted,
		       cli_plural(s->conntrack_deleted, "flow", "flows"));
	printf(", %zu %s skipped, %.3f s\n", c->model.nskipped,
	       cli_plural(c->model.nskipped, "object", "objects"), elapsed);
	if (s->conntrack_err)
		cli_error("warning: removing stale UDP conntrack entries failed: %s; UDP clients may reach removed endpoints until their entries time out",
			  strerror(-s->conntrack_err));
	if (o->verbose)
		printf("svcnft: reading the table %.3f s (%u read%s), kernel transactions %.6f s\n",
		       s->read_seconds, s->reads, s->reads == 1 ? "" : "s",
		       s->kernel_seconds);
}

/* Both tables in one transaction where IPv6 Services exist (or existed:
 * an ip6 table left from an earlier run is emptied), the ip one alone
 * otherwise, so IPv4-only hosts never get an empty ip6 table. */
static int apply_tables(const struct compiled *c, struct kernel_read *ahead,
			bool *with_ip6, struct kernel_stats *stats,
			struct kernel_error *ke)
{
	const struct rs_table *both[2] = { &c->table, &c->table6 };
	struct rs_table have6 = { 0 };
	int ip6 = c->ipv6;

	if (!ip6)
		ip6 = kernel_read_exists(ahead, NFPROTO_IPV6, c->table.name);
	if (ip6 < 0) {
		ip6 = kernel_table_get(NFPROTO_IPV6, c->table.name, &have6) == 0;
		rs_table_free(&have6);
	}
	if (with_ip6)
		*with_ip6 = ip6;
	return kernel_tables_apply_read(ahead, both, ip6 ? 2 : 1, stats, ke);
}

int cli_apply_tables(const struct compiled *c, bool *with_ip6,
		     struct kernel_stats *stats, struct kernel_error *ke)
{
	return apply_tables(c, NULL, with_ip6, stats, ke);
}

int cmd_apply(int argc, char **argv)
{
	struct timespec start;
	struct kernel_stats stats = { 0 };
	struct kernel_error ke = { 0 };
	struct kernel_read *ahead = NULL;
	struct cli_options o;
	struct cli_run run;
	struct compiled c;
	int ret, err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	ret = cli_parse(argc, argv, OPT_COMPILE | OPT_PATHS | OPT_EMPTY | OPT_LOCK | OPT_METRICS, &o);
	if (ret != EXIT_OK || (ret = cli_require_net_admin(&o)) != EXIT_OK)
		return ret;
	cli_run_start(&run, &o);
	/* the table is read while the manifests are (kernel.h) */
	if (o.backend == BACKEND_NFTABLES)
		ahead = kernel_read_start(o.table);
	ret = cli_compile(&o, &c);
	cli_run_compiled(&run, ret, &c);
	if (ret == EXIT_OK)
		ret = cli_run_lock(&run);
	if (ret != EXIT_OK)
		goto out;
	if (o.backend == BACKEND_IPTABLES) {
		ret = ipt_cmd_apply(&o, &c);
		goto out;
	}
	err = apply_tables(&c, ahead, NULL, &stats, &ke);
	cli_progress_clear(o.progress);
	if (err < 0) {
		cli_report_kernel_error(&c.table, err, &ke);
		ret = EXIT_KERNEL;
		goto out;
	}
	cli_run_kernel(&run, &stats);
	if (!o.quiet)
		cli_print_apply_summary(&c, &stats, &o, cli_elapsed(&start));
out:
	ret = cli_run_finish(&run, ret);
	kernel_error_free(&ke);
	kernel_read_free(ahead);
	compiled_free(&c);
	return ret;
}
