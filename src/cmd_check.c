// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft check: validate only; nothing touches the kernel. */
#include <stdio.h>

#include "cli.h"

int cmd_check(int argc, char **argv)
{
	struct cli_options o;
	struct compiled c;
	int ret = cli_parse(argc, argv, OPT_COMPILE | OPT_PATHS, &o);

	if (ret != EXIT_OK)
		return ret;
	ret = cli_compile(&o, &c);
	if (ret == EXIT_OK && !o.quiet)
		printf("svcnft: valid: %zu services, %zu endpoints, %zu node ports, %zu objects skipped\n",
		       c.model.nservices, c.model.nendpoints, c.model.nnode_ports,
		       c.model.nskipped);
	compiled_free(&c);
	return ret;
}
