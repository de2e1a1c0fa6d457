// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft flush: remove svcnft's table and nothing else. */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kernel.h"

int cmd_flush(int argc, char **argv)
{
	struct cli_options o;
	int ret = cli_parse(argc, argv, 0, &o), err;

	if (ret != EXIT_OK)
		return ret;
	err = kernel_table_delete(NFPROTO_IPV4, o.table);
	if (err == -ENOENT) {
		if (!o.quiet)
			printf("svcnft: table ip %s does not exist: nothing to flush\n", o.table);
		return EXIT_OK;
	}
	if (err < 0) {
		cli_error("removing table ip %s failed: %s", o.table, strerror(-err));
		return EXIT_KERNEL;
	}
	if (!o.quiet)
		printf("svcnft: removed table ip %s\n", o.table);
	return EXIT_OK;
}
