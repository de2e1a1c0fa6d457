/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_CLI_OPS_H
#define SVCNFT_CLI_OPS_H

/*
 * What running svcnft on a host adds around a command (cmd_ops.c,
 * cmd_progress.c): the run lock, progress on a terminal, the metrics file,
 * and the options that control them. A command does:
 *
 *   cli_run_start(&run, &o);           progress starts (terminal only)
 *   ...cli_compile...; cli_run_compiled(&run, &c);
 *   ret = cli_run_lock(&run);          EXIT_OK or EXIT_LOCKED
 *   ...kernel...; cli_run_kernel(&run, &stats);
 *   ret = cli_run_finish(&run, ret);   unlock, metrics file
 */

#include <stdbool.h>
#include <time.h>

#include "cli.h"
#include "kernel.h"
#include "lock.h"
#include "metrics.h"

/* The long options these add; cli_parse hands their values to
 * cli_ops_option. */
#define CLI_OPS_LONGOPTS \
	{ "lock-file", required_argument, NULL, 0x100 }, \
	{ "lock-timeout", required_argument, NULL, 0x101 }, \
	{ "metrics-file", required_argument, NULL, 0x102 }, \
	{ "output", required_argument, NULL, 'o' }
#define CLI_OPS_SHORTOPTS "o:"

/* Defaults for the options below; called by cli_parse. */
void cli_ops_defaults(struct cli_options *o);
/* Returns EXIT_OK, EXIT_USAGE (printed), or -1 when c is not one of these. */
int cli_ops_option(struct cli_options *o, int c, const char *arg,
		   unsigned accepts);

/* Progress on stderr, shown only when stdout and stderr are terminals and
 * the run has taken more than a second (cmd_progress.c). */
struct cli_progress *cli_progress_start(void);
void cli_progress_phase(struct cli_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Erase the line before printing something else; it comes back with the
 * next phase. */
void cli_progress_clear(struct cli_progress *p);
void cli_progress_stop(struct cli_progress *p);

/*
 * -o json: EXIT_USAGE (printed) when the command's other options have no
 * JSON form (--diff, --backend iptables), else EXIT_OK.
 */
int cli_json_usable(const struct cli_options *o);
/* Print t (NULL: the table does not exist, printed empty) as JSON
 * (json_out.h). Returns an exit status. */
int cli_json_print(const struct cli_options *o, const struct rs_table *t);

struct cli_run {
	struct cli_options *opts;
	struct timespec start;
	struct run_lock lock;
	struct run_metrics metrics;
};

void cli_run_start(struct cli_run *r, struct cli_options *o);
void cli_run_compiled(struct cli_run *r, int status, const struct compiled *c);
int cli_run_lock(struct cli_run *r);
void cli_run_kernel(struct cli_run *r, const struct kernel_stats *s);
int cli_run_finish(struct cli_run *r, int status);

#endif
