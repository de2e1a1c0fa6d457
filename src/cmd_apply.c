// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft apply: compile the manifests and program the kernel atomically. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "cli.h"
#include "kernel.h"

static void report_kernel_error(const struct rs_table *t, int err,
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

int cmd_apply(int argc, char **argv)
{
	struct timespec start;
	struct kernel_stats stats = { 0 };
	struct kernel_error ke = { 0 };
	struct cli_options o;
	struct compiled c;
	int ret, err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	ret = cli_parse(argc, argv, OPT_COMPILE | OPT_PATHS, &o);
	if (ret != EXIT_OK)
		return ret;
	ret = cli_compile(&o, &c);
	if (ret != EXIT_OK)
		goto out;
	err = kernel_table_replace(&c.table, &stats, &ke);
	if (err < 0) {
		report_kernel_error(&c.table, err, &ke);
		ret = EXIT_KERNEL;
		goto out;
	}
	if (!o.quiet)
		printf("svcnft: applied %zu services, %zu endpoints, %zu node ports to table %s %s: %lu messages (%lu KiB) in one batch, %zu objects skipped, %.3f s\n",
		       c.model.nservices, c.model.nendpoints, c.model.nnode_ports,
		       nft_family_name(c.table.family), c.table.name,
		       stats.messages, (stats.bytes + 1023) / 1024,
		       c.model.nskipped, cli_elapsed(&start));
out:
	kernel_error_free(&ke);
	compiled_free(&c);
	return ret;
}
