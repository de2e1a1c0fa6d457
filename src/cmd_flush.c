// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft flush: remove svcnft's table and nothing else. */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_ops.h"
#include "kernel.h"

static int flush_table(const struct cli_options *o)
{
	int err = kernel_table_delete(NFPROTO_IPV4, o->table);

	if (err == -ENOENT) {
		if (!o->quiet)
			printf("svcnft: table ip %s does not exist: nothing to flush\n", o->table);
		return EXIT_OK;
	}
	if (err < 0) {
		cli_error("removing table ip %s failed: %s", o->table, strerror(-err));
		return EXIT_KERNEL;
	}
	if (!o->quiet)
		printf("svcnft: removed table ip %s\n", o->table);
	return EXIT_OK;
}

/* Under the run lock, so that a flush never lands in the middle of an
 * apply's read-compare-send. */
int cmd_flush(int argc, char **argv)
{
	struct cli_options o;
	struct cli_run run;
	int ret = cli_parse(argc, argv, OPT_LOCK, &o);

	if (ret != EXIT_OK || (ret = cli_require_net_admin(&o)) != EXIT_OK)
		return ret;
	cli_run_start(&run, &o);
	ret = cli_run_lock(&run);
	if (ret == EXIT_OK)
		ret = o.backend == BACKEND_IPTABLES ? ipt_cmd_flush(&o) : flush_table(&o);
	return cli_run_finish(&run, ret);
}
