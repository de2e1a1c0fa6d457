/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_RULESET_FIXTURE_H
#define SVCNFT_RULESET_FIXTURE_H

/* A manifest given as YAML text, built into a model without errors and
 * compiled into its ip table: what the ruleset and backend tests start
 * from. Header-only, as unit.h. */

#include <sys/socket.h>
#include <string.h>

#include "model.h"
#include "ruleset.h"
#include "unit.h"

struct compiled {
	struct manifest_set set;
	struct model m;
	struct rs_table t;
};

static inline void compile_yaml(struct compiled *c, const char *text)
{
	struct diag_list dl = { 0 };
	struct model_options o;

	memset(c, 0, sizeof(*c));
	model_options_default(&o);
	ck_assert_int_eq(manifest_read_buffer(&c->set, "t.yaml", text, strlen(text), &dl), 0);
	ck_assert_int_eq(model_build(&c->m, &c->set, &o, &dl), 0);
	ck_assert_uint_eq(dl.nerrors, 0);
	ruleset_from_model(&c->t, &c->m, "svcnft", AF_INET);
	diag_list_free(&dl);
}

static inline void compiled_free(struct compiled *c)
{
	rs_table_free(&c->t);
	model_free(&c->m);
	manifest_set_free(&c->set);
}

#endif
