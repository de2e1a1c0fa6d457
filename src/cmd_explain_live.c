// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft explain --live: placeholder. */
#include "cli_explain.h"

int explain_live(const struct cli_options *o, const char *duration,
		 const struct explain_query *q)
{
	(void)o; (void)duration; (void)q;
	return EXIT_USAGE;
}
