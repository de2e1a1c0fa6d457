/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_CLI_H
#define SVCNFT_CLI_H

/* Stage 5: the command line. The only layer that prints or exits. */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kernel.h"
#include "manifest.h"
#include "model.h"
#include "ruleset.h"

enum exit_status {
	EXIT_OK = 0,
	EXIT_INVALID = 1,	/* the manifests are invalid; nothing applied */
	EXIT_USAGE = 2,
	EXIT_KERNEL = 3,	/* the kernel refused or netlink failed */
	EXIT_LOCKED = 4,	/* the lock file stayed taken (cli_ops.h) */
};

/* Which options a command takes. */
enum {
	OPT_COMPILE = 1 << 0,	/* --nodeport-range, --service-cidr */
	OPT_PATHS = 1 << 1,	/* PATH... (at least one) */
	OPT_DIFF = 1 << 2,	/* --diff (plan) */
	OPT_EMPTY = 1 << 3,	/* --allow-empty; without it, no Service is an
				 * error (apply, plan) rather than a warning */
	OPT_LOCK = 1 << 8,	/* --lock-file, --lock-timeout (cli_ops.h) */
	OPT_METRICS = 1 << 9,	/* --metrics-file */
	OPT_OUTPUT = 1 << 10,	/* -o, --output text|json */
};

enum backend {
	BACKEND_NFTABLES,	/* netlink, the default */
	BACKEND_IPTABLES,	/* iptables-restore */
};

#define CLI_MAX_CIDRS 16
#define CLI_MAX_NODE_IPS 64

struct cli_options {
	const char *command;
	const char *table;
	enum backend backend;
	struct model_options model;
	bool quiet;
	bool diff;		/* plan: print the change against the kernel */
	bool allow_insecure_files;	/* read manifests others can write */
	bool empty_is_error;	/* OPT_EMPTY: the command refuses no Service */
	bool allow_empty;	/* --allow-empty */
	int verbose;
	char **paths;
	size_t npaths;
	const char *lock_file;	/* cli_ops.h: run lock, metrics, output */
	double lock_timeout;
	const char *metrics_file;
	bool json;
	struct cli_progress *progress;	/* NULL: none shown */
	/* storage for model.node: --cluster-cidr and --node-ip lists */
	struct ip_prefix cluster_cidrs[CLI_MAX_CIDRS];
	struct ip_addr node_ips[CLI_MAX_NODE_IPS];
};

/* A compiled run: what the manifests say, and the ruleset for them. */
struct compiled {
	struct manifest_set set;
	struct model model;
	struct rs_table table;	/* ip: every IPv4 address */
	struct rs_table table6;	/* ip6: every IPv6 address */
	bool ipv6;		/* some Service has an IPv6 address */
	size_t nerrors;		/* in the manifests */
};

/* One entry of main.c's table: all that `svcnft help`, `svcnft help CMD`
 * and `svcnft CMD --help` print about a command. */
struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;	/* after the name, in the usage line */
	const char *help;	/* one line: what it does */
	const char *usage;	/* its options, one a line ("" for none); NULL:
				 * the command handles --help itself */
};

int cmd_apply(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_expose(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_explain(int argc, char **argv);

/* The iptables backend's side of apply, plan, dump and flush. */
int ipt_cmd_apply(const struct cli_options *o, const struct compiled *c);
int ipt_cmd_plan(const struct compiled *c);
int ipt_cmd_dump(const struct cli_options *o);
int ipt_cmd_flush(const struct cli_options *o);

/* Parse argv after the command name. Prints usage errors itself and
 * returns EXIT_USAGE, or EXIT_OK. */
int cli_parse(int argc, char **argv, unsigned accepts,
	      struct cli_options *opts);
/* Read, validate, compile. Prints every diagnostic; returns an exit status. */
int cli_compile(const struct cli_options *opts, struct compiled *out);
/* The same after reading: out->set holds the manifests (out otherwise
 * zeroed), dl what reading them found (freed here). */
int cli_compile_set(const struct cli_options *opts, struct compiled *out,
		    struct diag_list *dl);
/* How the options say manifests are read (enum manifest_read_flag). */
unsigned cli_read_flags(const struct cli_options *opts);
/* apply's kernel side, shared with watch (cmd_apply.c): program c's tables
 * (the ip6 one where needed: *with_ip6 says whether it was), report a
 * refusal, print the summary line. */
int cli_apply_tables(const struct compiled *c, bool *with_ip6,
		     struct kernel_stats *stats, struct kernel_error *ke);
void cli_report_kernel_error(const struct rs_table *t, int err,
			     const struct kernel_error *ke);
void cli_print_apply_summary(const struct compiled *c,
			     const struct kernel_stats *s,
			     const struct cli_options *o, double elapsed);
void compiled_free(struct compiled *c);
/* The per-Service view that dump prints, as "# " comment lines. */
void cli_print_summary(const struct rs_table *t);
double cli_elapsed(const struct timespec *since);
/* "service" or "services" for n: "1 service", "0 services". */
const char *cli_plural(size_t n, const char *one, const char *many);
/* "N services, N endpoints, N node ports": what a model holds. */
void cli_print_counts(const struct model *m);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* apply and flush: EXIT_OK with CAP_NET_ADMIN, else a one-line message and
 * EXIT_KERNEL (cmd_privilege.c). */
int cli_require_net_admin(const struct cli_options *o);

#endif
