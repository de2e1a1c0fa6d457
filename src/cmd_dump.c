// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft dump: svcnft's table as the kernel holds it. */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "cli.h"
#include "cli_ops.h"
#include "kernel.h"

int cmd_dump(int argc, char **argv)
{
	struct rs_table t = { 0 };
	struct cli_options o;
	int ret = cli_parse(argc, argv, OPT_OUTPUT, &o), err;

	if (ret == EXIT_OK)
		ret = cli_json_usable(&o);
	if (ret != EXIT_OK)
		return ret;
	if (o.backend == BACKEND_IPTABLES)
		return ipt_cmd_dump(&o);
	err = kernel_table_get(NFPROTO_IPV4, o.table, &t);
	if (err == -ENOENT) {
		if (!o.quiet)
			cli_error("table ip %s does not exist: nothing applied yet", o.table);
		return o.json ? cli_json_print(&o, NULL) : EXIT_OK;
	}
	if (err < 0) {
		cli_error("reading table ip %s failed: %s", o.table, strerror(-err));
		return EXIT_KERNEL;
	}
	/* the kernel lists elements in hash order: sort for a stable dump */
	rs_table_sort_elems(&t);
	if (o.json) {
		ret = cli_json_print(&o, &t);
		rs_table_free(&t);
		return ret;
	}
	cli_print_summary(&t);
	printf("\n");
	nft_text_write(stdout, &t, false);
	rs_table_free(&t);
	return EXIT_OK;
}
