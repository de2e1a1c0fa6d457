// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft plan: print what apply would program, as nft -f input. */
#include <stdio.h>

#include "backend.h"
#include "cli.h"

int cmd_plan(int argc, char **argv)
{
	struct cli_options o;
	struct compiled c;
	int ret = cli_parse(argc, argv, OPT_COMPILE | OPT_PATHS, &o);

	if (ret != EXIT_OK)
		return ret;
	ret = cli_compile(&o, &c);
	if (ret == EXIT_OK && nft_text_write(stdout, &c.table, true) < 0) {
		cli_error("writing the plan failed");
		ret = EXIT_USAGE;
	}
	compiled_free(&c);
	return ret;
}
