/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_CLI_H
#define SVCNFT_CLI_H

/* Stage 5: the command line. The only layer that prints or exits. */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "manifest.h"
#include "model.h"
#include "ruleset.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_INVALID = 1,	/* the manifests are invalid; nothing applied */
	EXIT_USAGE = 2,
	EXIT_KERNEL = 3,	/* the kernel refused or netlink failed */
};

/* Which options a command takes. */
enum {
	OPT_COMPILE = 1 << 0,	/* --nodeport-range, --service-cidr */
	OPT_PATHS = 1 << 1,	/* PATH... (at least one) */
};

struct cli_options {
	const char *command;
	const char *table;
	struct model_options model;
	bool quiet;
	int verbose;
	char **paths;
	size_t npaths;
};

/* A compiled run: what the manifests say, and the ruleset for them. */
struct compiled {
	struct manifest_set set;
	struct model model;
	struct rs_table table;
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *help;
};

int cmd_apply(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_flush(int argc, char **argv);

/* Parse argv after the command name. Prints usage errors itself and
 * returns EXIT_USAGE, or EXIT_OK. */
int cli_parse(int argc, char **argv, unsigned accepts,
	      struct cli_options *opts);
/* Read, validate, compile. Prints every diagnostic; returns an exit status. */
int cli_compile(const struct cli_options *opts, struct compiled *out);
void compiled_free(struct compiled *c);
/* The per-Service view that dump prints, as "# " comment lines. */
void cli_print_summary(const struct rs_table *t);
double cli_elapsed(const struct timespec *since);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
