// SPDX-License-Identifier: GPL-2.0-or-later
/* Around a run: the lock file, the metrics file, -o json, and their options. */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_ops.h"
#include "json_out.h"

void cli_ops_defaults(struct cli_options *o)
{
	o->lock_file = LOCK_FILE_DEFAULT;
	o->lock_timeout = LOCK_TIMEOUT_DEFAULT;
}

static int ops_usage(const struct cli_options *o, const char *msg, const char *arg)
{
	fprintf(stderr, "svcnft %s: ", o->command);
	fprintf(stderr, msg, arg);
	fprintf(stderr, "\nTry 'svcnft help'.\n");
	return EXIT_USAGE;
}

static int parse_timeout(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= 86400))
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_ops_option(struct cli_options *o, int c, const char *arg, unsigned accepts)
{
	switch (c) {
	case 0x100:
		if (!(accepts & OPT_LOCK) || !*arg)
			return ops_usage(o, "--lock-file \"%s\": only apply and flush take it, with a path", arg);
		o->lock_file = arg;
		return EXIT_OK;
	case 0x101:
		if (!(accepts & OPT_LOCK) || parse_timeout(arg, &o->lock_timeout) < 0)
			return ops_usage(o, "--lock-timeout \"%s\": only apply and flush take it, with seconds from 0 to 86400 (e.g. 60 or 0.5)", arg);
		return EXIT_OK;
	case 0x102:
		if (!(accepts & OPT_METRICS) || !*arg)
			return ops_usage(o, "--metrics-file \"%s\": only apply and watch take it, with a path (e.g. /var/lib/prometheus/node-exporter/svcnft.prom)", arg);
		o->metrics_file = arg;
		return EXIT_OK;
	case 'o':
		if (!(accepts & OPT_OUTPUT) || (strcmp(arg, "json") && strcmp(arg, "text")))
			return ops_usage(o, "-o \"%s\": only dump and plan take it, with text or json", arg);
		o->json = !strcmp(arg, "json");
		return EXIT_OK;
	default:
		return -1;
	}
}

static double realtime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_run_start(struct cli_run *r, struct cli_options *o)
{
	memset(r, 0, sizeof(*r));
	r->opts = o;
	r->lock.fd = -1;
	r->metrics.table = o->table;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	o->progress = o->quiet ? NULL : cli_progress_start();
	if (o->npaths)
		cli_progress_phase(o->progress, "%s: reading the manifests", o->command);
}

void cli_run_compiled(struct cli_run *r, int status, const struct compiled *c)
{
	r->metrics.manifest_errors = c->nerrors;
	if (status != EXIT_OK)
		return;
	r->metrics.have_model = true;
	r->metrics.services = c->model.nservices;
	r->metrics.endpoints = c->model.nendpoints;
	r->metrics.node_ports = c->model.nnode_ports;
	r->metrics.skipped = c->model.nskipped;
}

void cli_run_kernel(struct cli_run *r, const struct kernel_stats *s)
{
	cli_progress_clear(r->opts->progress);
	r->metrics.have_kernel = true;
	r->metrics.messages = s->messages;
	r->metrics.bytes = s->bytes;
	r->metrics.transactions = s->batches;
	r->metrics.changes = s->changes;
}

static const char *nothing_done(const struct cli_options *o)
{
	return !strcmp(o->command, "flush") ? "nothing removed" : "nothing applied";
}

static void lock_failed(const struct cli_options *o, int err, pid_t holder)
{
	char by[48] = "";

	if (err != -EWOULDBLOCK) {
		cli_error("cannot lock %s: %s; %s (--lock-file chooses another file)",
			  o->lock_file, strerror(-err), nothing_done(o));
		return;
	}
	if (holder)
		snprintf(by, sizeof(by), " (pid %ld)", (long)holder);
	cli_error("another svcnft run%s held %s for %g s (--lock-timeout); %s",
		  by, o->lock_file, o->lock_timeout, nothing_done(o));
}

/* Try once, then wait saying so: a run that finds the lock free says
 * nothing about it. */
int cli_run_lock(struct cli_run *r)
{
	const struct cli_options *o = r->opts;
	int err = run_lock_acquire(&r->lock, o->lock_file, 0);
	char by[32] = "another process";
	pid_t holder = 0;

	if (err == -EWOULDBLOCK && o->lock_timeout > 0) {
		holder = run_lock_holder(o->lock_file);
		if (holder)
			snprintf(by, sizeof(by), "pid %ld", (long)holder);
		if (o->verbose)
			fprintf(stderr, "svcnft: waiting up to %g s for %s, held by %s\n",
				o->lock_timeout, o->lock_file, by);
		cli_progress_phase(o->progress, "%s: waiting for %s (held by %s)",
				   o->command, o->lock_file, by);
		err = run_lock_acquire(&r->lock, o->lock_file, o->lock_timeout);
	}
	r->metrics.lock_wait = r->lock.waited;
	if (err == 0) {
		cli_progress_phase(o->progress, "%s: programming the kernel", o->command);
		return EXIT_OK;
	}
	if (err == -EWOULDBLOCK && !holder)
		holder = run_lock_holder(o->lock_file);
	cli_progress_clear(o->progress);
	lock_failed(o, err, holder);
	return EXIT_LOCKED;
}

int cli_run_finish(struct cli_run *r, int status)
{
	struct cli_options *o = r->opts;
	int err;

	cli_progress_stop(o->progress);
	o->progress = NULL;
	run_lock_release(&r->lock);
	if (!o->metrics_file)
		return status;
	r->metrics.exit_status = status;
	r->metrics.duration = cli_elapsed(&r->start);
	r->metrics.end_time = realtime_now();
	err = metrics_write_file(o->metrics_file, &r->metrics);
	/* The run itself succeeded or failed on its own; a metrics file that
	 * cannot be written is reported without changing that. */
	if (err < 0)
		cli_error("writing the metrics file %s failed: %s", o->metrics_file,
			  strerror(-err));
	return status;
}

int cli_json_usable(const struct cli_options *o)
{
	if (!o->json)
		return EXIT_OK;
	if (o->diff || o->backend != BACKEND_NFTABLES)
		return ops_usage(o, "%s", "-o json: not with --diff or --backend iptables");
	return EXIT_OK;
}

int cli_json_print(const struct cli_options *o, const struct rs_table *t)
{
	struct rs_table empty = { 0 };
	int err;

	if (!t) {
		rs_table_init(&empty, NFPROTO_IPV4, o->table);
		t = &empty;
	}
	err = json_ruleset_write(stdout, t, o->command);
	rs_table_free(&empty);
	if (err < 0) {
		cli_error("writing JSON failed: %s", strerror(-err));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
