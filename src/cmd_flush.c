// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft flush: remove svcnft's table and nothing else. */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "cli.h"
#include "cli_ops.h"
#include "kernel.h"

/* 0 removed, 1 absent, or an exit status. */
static int delete_one(const struct cli_options *o, uint8_t family)
{
	const char *fam = nft_family_name(family);
	int err = kernel_table_delete(family, o->table);

	if (err == -ENOENT)
		return 1;
	if (err < 0) {
		cli_error("removing table %s %s failed: %s", fam, o->table, strerror(-err));
		return EXIT_KERNEL;
	}
	if (!o->quiet)
		printf("svcnft: removed table %s %s\n", fam, o->table);
	return EXIT_OK;
}

/* The ip table, and the ip6 one where IPv6 Services made it. */
static int flush_table(const struct cli_options *o)
{
	int ip = delete_one(o, NFPROTO_IPV4), ip6;

	if (ip > 1)
		return ip;
	ip6 = delete_one(o, NFPROTO_IPV6);
	if (ip6 > 1)
		return ip6;
	if (ip == 1 && ip6 == 1 && !o->quiet)
		printf("svcnft: table ip %s does not exist: nothing to flush\n", o->table);
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
