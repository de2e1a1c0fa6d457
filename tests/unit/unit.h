/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_UNIT_H
#define SVCNFT_UNIT_H

/* Shared scaffolding for the check-based unit tests: each test_*.c defines
 * unit_suite() and gets a main() that runs it. */

#include <check.h>
#include <stdlib.h>

Suite *unit_suite(void);

int main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
