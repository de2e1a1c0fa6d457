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
	if (ret == EXIT_OK && !o.quiet) {
		printf("svcnft: valid: ");
		cli_print_counts(&c.model);
		printf(", %zu %s skipped\n", c.model.nskipped,
		       cli_plural(c.model.nskipped, "object", "objects"));
	}
	compiled_free(&c);
	return ret;
}
