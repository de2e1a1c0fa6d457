// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * svcnft watch: apply, then stay in the foreground and apply again when a
 * manifest changes or someone else changes svcnft's tables. One thread,
 * one epoll: inotify (watch_files.c), nftables notifications
 * (kernel_monitor.c), a timerfd, a signalfd and the HTTP servers
 * (watch_http.c). A sync compiles with apply's pipeline and sends the
 * difference from the tables it last programmed, held in memory.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>	/* INFINITY */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <systemd/sd-daemon.h>

#include "backend.h"
#include "cli.h"
#include "cli_ops.h"
#include "kernel_monitor.h"
#include "lock.h"
#include "util.h"
#include "watch.h"
#include "watch_http.h"

#define MIN_SYNC_PERIOD_DEFAULT 0.1
#define SYNC_PERIOD_DEFAULT 3600.0
#define BACKOFF_FIRST 0.5	/* a refused sync is retried after this, */
#define BACKOFF_MAX 30.0	/* doubling up to this */

/* epoll tags; a watch_server's first member is its tag, SRC_HTTP. */
enum source { SRC_HTTP = 0, SRC_SIGNAL, SRC_INOTIFY, SRC_MONITOR, SRC_TIMER };

static const int src_signal = SRC_SIGNAL, src_inotify = SRC_INOTIFY,
		 src_monitor = SRC_MONITOR, src_timer = SRC_TIMER;

struct watch_opts {
	double min_sync_period;
	double sync_period;
	const char *healthz;	/* --healthz-bind-address, or NULL */
	const char *metrics;	/* --metrics-bind-address, or NULL */
};

struct watch {
	struct cli_options o;
	struct watch_opts w;
	struct watch_tree tree;
	struct kernel_monitor mon;
	struct watch_http http;
	struct watch_status status;
	int epfd, sigfd, timerfd;
	/* what the kernel holds, as the last successful sync programmed it */
	struct rs_table last4, last6;
	bool have_last, last_ip6;
	size_t last_node_ports, last_skipped;	/* its counts, for the summary */
	/* what the next sync must do */
	bool files_changed;	/* inotify saw something */
	bool all_files;		/* read every file (SIGHUP, --sync-period) */
	bool read_kernel;	/* read the tables back (drift, lost events) */
	bool drift;		/* ... because another process changed them */
	bool full;		/* read the tables back whatever happened */
	bool now_read, now_drift, now_full;	/* the same for the sync under way */
	bool retry;		/* the last kernel sync failed */
	double last_sync;	/* monotonic seconds; -INFINITY: never */
	double next_full, retry_at, backoff;
	double watchdog_every, next_watchdog;	/* 0: no watchdog */
	struct cli_run run;	/* the sync under way: --metrics-file */
	int run_status;		/* its exit status, as apply's would be */
	bool ready_sent;
	bool stop;
};

static double earlier(double a, double b)
{
	return a < b ? a : b;
}

static double mono_now(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}

/* ---- options */

static void watch_usage(FILE *out)
{
	fprintf(out,
		"Usage: svcnft watch [apply's options] [watch options] PATH...\n\n"
		"Apply the manifests, then stay in the foreground and apply again when a\n"
		"file under PATH changes or another process changes svcnft's tables.\n"
		"SIGHUP: full resync now. SIGTERM, SIGINT: exit 0, leaving the rules.\n\n"
		"Watch options:\n"
		"  --min-sync-period DURATION   least time between two syncs (default 100ms)\n"
		"  --sync-period DURATION       full resync: every file and the tables read\n"
		"                               again (default 1h)\n"
		"  --healthz-bind-address ADDR:PORT   serve GET /healthz (default: off)\n"
		"  --metrics-bind-address ADDR:PORT   serve GET /metrics (default: off)\n"
		"DURATION: 250ms, 30s, 5m, 1h. ADDR:PORT: 0.0.0.0:10256, [::1]:10249, :10256.\n"
		"apply's options: see svcnft help; --lock-file and --lock-timeout apply to\n"
		"each sync. Only the nftables backend watches.\n");
}

static int watch_usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "svcnft watch: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'svcnft watch --help'.\n");
	return EXIT_USAGE;
}

/* The value of option name at argv[*i] ("--name V" or "--name=V"), or
 * NULL when argv[*i] is not that option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name,
			     bool *missing)
{
	size_t len = strlen(name);

	if (strncmp(argv[*i], name, len))
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int watch_option(struct watch_opts *w, const char *name, const char *v)
{
	double *d = !strcmp(name, "--min-sync-period") ? &w->min_sync_period :
		    !strcmp(name, "--sync-period") ? &w->sync_period : NULL;
	struct ip_addr a;
	uint16_t port;

	if (d && (duration_parse(v, d) < 0 || (d == &w->sync_period && *d <= 0)))
		return watch_usage_error(d == &w->sync_period ?
			"--sync-period \"%s\": give a duration above 0, e.g. 30s or 1h" :
			"--min-sync-period \"%s\": give a duration, e.g. 100ms, 1s or 0", v);
	if (d)
		return EXIT_OK;
	if (watch_parse_bind(v, &a, &port) < 0) {
		fprintf(stderr, "svcnft watch: %s \"%s\": give ADDR:PORT, [IPV6]:PORT or :PORT with a numeric address, e.g. 0.0.0.0:10256\nTry 'svcnft watch --help'.\n",
			name, v);
		return EXIT_USAGE;
	}
	if (!strcmp(name, "--healthz-bind-address"))
		w->healthz = v;
	else
		w->metrics = v;
	return EXIT_OK;
}

/* Take watch's own options out of argv; the rest goes to cli_parse. */
static int split_options(int argc, char **argv, struct watch_opts *w,
			 char **rest, int *nrest)
{
	static const char *const names[] = {
		"--min-sync-period", "--sync-period", "--healthz-bind-address",
		"--metrics-bind-address",
	};

	*nrest = 0;
	for (int i = 0; i < argc; i++) {
		bool missing = false, taken = false;

		if (i > 0 && !strcmp(argv[i], "--")) {
			/* what follows is PATHs: cli_parse keeps them */
			while (i < argc)
				rest[(*nrest)++] = argv[i++];
			break;
		}
		for (size_t k = 0; i > 0 && !taken && k < ARRAY_SIZE(names); k++) {
			const char *v = opt_value(argc, argv, &i, names[k], &missing);
			int ret;

			if (missing)
				return watch_usage_error("%s needs a value", names[k]);
			if (!v)
				continue;
			ret = watch_option(w, names[k], v);
			if (ret != EXIT_OK)
				return ret;
			taken = true;
		}
		if (!taken)
			rest[(*nrest)++] = argv[i];
	}
	rest[*nrest] = NULL;
	return EXIT_OK;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

static int parse_options(int argc, char **argv, struct watch *w)
{
	char **rest = xcalloc((size_t)argc + 1, sizeof(*rest));
	int nrest, ret;

	w->w.min_sync_period = MIN_SYNC_PERIOD_DEFAULT;
	w->w.sync_period = SYNC_PERIOD_DEFAULT;
	ret = split_options(argc, argv, &w->w, rest, &nrest);
	if (ret == EXIT_OK)
		ret = cli_parse(nrest, rest, OPT_COMPILE | OPT_PATHS | OPT_EMPTY |
				OPT_LOCK | OPT_METRICS, &w->o);
	/* cli_parse keeps pointers into argv, not into rest: copy the paths */
	if (ret == EXIT_OK && w->o.backend != BACKEND_NFTABLES)
		ret = watch_usage_error("%s", "--backend iptables: watch programs nftables only");
	for (size_t i = 0; ret == EXIT_OK && i < w->o.npaths; i++)
		if (!strcmp(w->o.paths[i], "-"))
			ret = watch_usage_error("%s", "PATH -: watch reads files and directories, not standard input");
	if (ret == EXIT_OK) {
		char **paths = xcalloc(w->o.npaths + 1, sizeof(*paths));

		memcpy(paths, w->o.paths, w->o.npaths * sizeof(*paths));
		w->o.paths = paths;
	}
	free(rest);
	return ret;
}

/* ---- sd_notify: without NOTIFY_SOCKET these do nothing */

static void notify_status(struct watch *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void notify_status(struct watch *w, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "%sSTATUS=%s", w->ready_sent ? "" : "READY=1\n", buf);
	w->ready_sent = true;
}

/* ---- one sync */

/* Every file's objects through apply's pipeline into c. */
static int compile(struct watch *w, struct compiled *c)
{
	struct diag_list dl = { 0 };

	memset(c, 0, sizeof(*c));
	watch_tree_view(&w->tree, &c->set, &dl);
	return cli_compile_set(&w->o, c, &dl);
}

/* compiled_free for a set that is a view of the tree's files. */
static void compiled_release(struct compiled *c)
{
	watch_view_free(&c->set);
	compiled_free(c);
}

/*
 * What the kernel holds, without reading it: the tables last programmed,
 * or after others' changes what their notifications said (views[] then
 * hold it; freed by the caller). False when only a read can tell.
 */
static bool kernel_holds(struct watch *w, const struct kernel_drift *d,
			 const struct rs_table **have, struct rs_table *views,
			 struct rs_table *maps_read)
{
	have[0] = &w->last4;
	have[1] = w->last_ip6 ? &w->last6 : NULL;
	if (w->now_full || !w->have_last || w->retry || !w->mon.genid_known)
		return false;
	for (size_t i = 0; w->now_read && i < 2; i++) {
		uint32_t genid;
		bool gone;

		if (!have[i])
			continue;
		/* Maps whose elements others changed are read back alone. */
		if (d->nmaps[i] && !d->table_deleted[i] &&
		    kernel_table_get_maps(have[i]->family, have[i]->name,
					  (const char *const *)d->maps[i],
					  d->nmaps[i], &maps_read[i], &genid) < 0)
			return false;
		if (!watch_drift_view(have[i], d, d->nmaps[i] ? &maps_read[i] : NULL,
				      &views[i], &gone))
			return false;
		have[i] = gone ? NULL : &views[i];
	}
	return true;
}

/*
 * Program c. In the steady state, and after drift the notifications tell
 * exactly, the difference from what the kernel holds is sent without
 * reading it, stamped with the generation the notifications last
 * reported; the tables are read back first after lost notifications, a
 * failure, a full resync, or when another commit came in between.
 */
static int program(struct watch *w, const struct compiled *c, bool *ip6,
		   struct kernel_stats *stats, struct kernel_error *ke)
{
	const struct rs_table *want[2] = { &c->table, &c->table6 };
	const struct rs_table *have[2];
	struct rs_table views[2] = { 0 }, maps_read[2] = { 0 };
	struct kernel_drift d;
	int err = -ERESTART;

	kernel_monitor_take_drift(&w->mon, &d);
	if (kernel_holds(w, &d, have, views, maps_read)) {
		*ip6 = c->ipv6 || w->last_ip6;
		err = kernel_tables_apply_known(want, have, *ip6 ? 2 : 1,
						w->mon.genid, stats, ke);
		if (err == -ERESTART)
			kernel_error_free(ke);
	}
	if (err == -ERESTART)
		err = cli_apply_tables(c, ip6, stats, ke);
	for (size_t i = 0; i < 2; i++) {
		watch_drift_view_free(&views[i]);
		rs_table_free(&maps_read[i]);
	}
	kernel_drift_free(&d);
	return err;
}

/*
 * After a sync that read the tables and sent nothing (no NEWGEN came, or
 * lost notifications left the generation unknown): ask the kernel, so the
 * next sync can go without reading again. A commit of anyone's since then
 * is in the notifications still queued, read before that sync.
 */
static void learn_genid(struct watch *w)
{
	unsigned events = 0;
	uint32_t genid;

	kernel_monitor_read(&w->mon, &events);
	if (events & KERNEL_MONITOR_DRIFT)
		w->read_kernel = w->drift = true;
	if (events & KERNEL_MONITOR_LOST)
		w->read_kernel = true;
	if (!w->mon.genid_known && kernel_genid(&genid) == 0) {
		w->mon.genid = genid;
		w->mon.genid_known = true;
	}
}

static void keep_tables(struct watch *w, struct compiled *c, bool ip6)
{
	rs_table_free(&w->last4);
	rs_table_free(&w->last6);
	w->last4 = c->table;
	memset(&c->table, 0, sizeof(c->table));
	if (ip6) {
		w->last6 = c->table6;
		memset(&c->table6, 0, sizeof(c->table6));
	}
	w->last_ip6 = ip6;
	w->have_last = true;
}

/* The health check servers follow the Services that have one. */
static void update_health_checks(struct watch *w, const struct model *m)
{
	struct watch_hc *v = xcalloc(m->nservices + 1, sizeof(*v));
	size_t n = 0;
	uint16_t bad = 0;

	for (size_t i = 0; i < m->nservices; i++) {
		const struct model_service *s = &m->services[i];
		size_t local = 0;

		if (!s->health_check_node_port)
			continue;
		for (size_t p = 0; p < s->nports; p++) {
			size_t k = 0;

			for (size_t e = 0; e < s->ports[p].nendpoints; e++)
				k += s->ports[p].endpoints[e].local &&
				     !s->ports[p].endpoints[e].fallback;
			local = k > local ? k : local;
		}
		v[n++] = (struct watch_hc){ s->ns, s->name,
					    s->health_check_node_port, local };
	}
	if (watch_http_set_hc(&w->http, v, n, &bad) < 0)
		cli_error("cannot serve healthCheckNodePort %u: %s; the other health checks are served",
			  bad, strerror(errno ? errno : EADDRINUSE));
	free(v);
}

/*
 * fresh: c was compiled from the manifests by this sync, and becomes what
 * the kernel holds; otherwise c is that already (last_compiled), programmed
 * again after drift.
 */
static void sync_succeeded(struct watch *w, struct compiled *c, bool fresh,
			   bool ip6, const struct kernel_stats *stats,
			   double started)
{
	struct watch_status *st = &w->status;

	if (!w->o.quiet)
		cli_print_apply_summary(c, stats, &w->o, mono_now() - started);
	fflush(stdout);
	st->syncs_ok++;
	cli_run_kernel(&w->run, stats);
	st->drift_repairs += w->now_drift;
	st->messages += stats->messages;
	st->healthy = true;
	st->last_updated = clock_seconds(CLOCK_REALTIME);
	if (fresh) {
		st->services = c->model.nservices;
		st->endpoints = c->model.nendpoints;
		w->last_node_ports = c->model.nnode_ports;
		w->last_skipped = c->model.nskipped;
		update_health_checks(w, &c->model);
		keep_tables(w, c, ip6);
	}
	w->retry = false;
	w->backoff = BACKOFF_FIRST;
	notify_status(w, "synced %zu services, %zu endpoints", st->services,
		      st->endpoints);
}

static void sync_failed(struct watch *w, const char *why)
{
	w->status.syncs_kernel_error++;
	w->status.healthy = false;
	w->retry = true;
	w->retry_at = mono_now() + w->backoff;
	cli_error("sync failed (%s); retrying in %g s", why, w->backoff);
	notify_status(w, "sync failed (%s); retrying", why);
	w->backoff = earlier(w->backoff * 2, BACKOFF_MAX);
}

/* What the kernel holds as the last sync programmed it, as a compiled run
 * (tables and counts only: it shares the tables, and has no Services). */
static void last_compiled(const struct watch *w, struct compiled *c)
{
	memset(c, 0, sizeof(*c));
	c->table = w->last4;
	c->table6 = w->last6;
	c->ipv6 = w->last_ip6;
	c->model.nservices = w->status.services;
	c->model.nendpoints = w->status.endpoints;
	c->model.nnode_ports = w->last_node_ports;
	c->model.nskipped = w->last_skipped;
}

static void sync_kernel(struct watch *w, struct compiled *c, bool fresh,
			double started)
{
	struct kernel_stats stats = { 0 };
	struct kernel_error ke = { 0 };
	struct run_lock lock = { .fd = -1 };
	unsigned events = 0;
	bool ip6 = false;
	int err;

	/* Our own last commit and anyone's since: drift is read now. */
	kernel_monitor_read(&w->mon, &events);
	if (events)
		w->now_read = true;
	w->now_drift = w->now_drift || (events & KERNEL_MONITOR_DRIFT);
	err = run_lock_acquire(&lock, w->o.lock_file, 0);
	if (err < 0) {
		pid_t holder = run_lock_holder(w->o.lock_file);
		char why[PATH_MAX + 64];

		if (err != -EWOULDBLOCK)
			snprintf(why, sizeof(why), "cannot lock %s: %s", w->o.lock_file,
				 strerror(-err));
		else if (holder)
			snprintf(why, sizeof(why), "%s held by pid %ld", w->o.lock_file,
				 (long)holder);
		else
			snprintf(why, sizeof(why), "%s held by another process",
				 w->o.lock_file);
		w->run_status = EXIT_LOCKED;
		sync_failed(w, why);
		return;
	}
	err = program(w, c, &ip6, &stats, &ke);
	if (!err)
		learn_genid(w);
	run_lock_release(&lock);
	if (err < 0) {
		cli_report_kernel_error(&c->table, err, &ke);
		w->run_status = EXIT_KERNEL;
		sync_failed(w, strerror(-err));
	} else {
		sync_succeeded(w, c, fresh, ip6, &stats, started);
	}
	kernel_error_free(&ke);
}

/* The manifests are refused: the kernel keeps the last good ruleset,
 * which a pending repair programs again. */
static void sync_refused(struct watch *w, double started)
{
	bool failed_before = w->retry;
	struct compiled last;

	w->status.syncs_invalid++;
	w->run_status = EXIT_INVALID;
	w->retry = false;	/* the next change retries, not a timer */
	notify_status(w, "manifests invalid; the last good ruleset stays");
	if (!(w->now_read || failed_before) || !w->have_last)
		return;
	/* After a refused batch only a read tells what the kernel holds. */
	w->now_full = w->now_full || failed_before;
	last_compiled(w, &last);
	sync_kernel(w, &last, false, started);
}

static void sync_now(struct watch *w)
{
	double started = mono_now();
	bool changed = false;
	struct compiled c;

	if (w->files_changed || w->all_files)
		changed = watch_tree_scan(&w->tree, w->all_files);
	w->files_changed = w->all_files = false;
	if (!changed && !w->read_kernel && !w->retry && w->have_last)
		return;		/* an event that changed nothing we read */
	w->last_sync = started;
	w->run_status = EXIT_OK;
	cli_run_start(&w->run, &w->o);
	/* What arrives from now on is for the next sync. */
	w->now_read = w->read_kernel;
	w->now_drift = w->drift;
	w->now_full = w->full;
	w->read_kernel = w->drift = w->full = false;
	if (w->now_drift)
		cli_error("another process changed table %s; repairing it",
			  w->o.table);
	if (!changed && !w->retry && w->have_last) {
		/* Only the kernel moved: what it should hold is known. */
		last_compiled(w, &c);
		cli_run_compiled(&w->run, EXIT_OK, &c);
		sync_kernel(w, &c, false, started);
	} else if (compile(w, &c) != EXIT_OK) {
		cli_run_compiled(&w->run, EXIT_INVALID, &c);
		sync_refused(w, started);
		compiled_release(&c);
	} else {
		cli_run_compiled(&w->run, EXIT_OK, &c);
		sync_kernel(w, &c, true, started);
		compiled_release(&c);
	}
	/* The metrics file, when asked for, says what this sync did. */
	cli_run_finish(&w->run, w->run_status);
	watch_status_observe(&w->status, mono_now() - started);
	fflush(stdout);
}

/* ---- the loop */

static bool sync_pending(const struct watch *w)
{
	return w->files_changed || w->all_files || w->read_kernel;
}

static double next_deadline(const struct watch *w)
{
	double t = w->next_full;

	if (sync_pending(w))
		t = earlier(t, w->last_sync + w->w.min_sync_period);
	if (w->retry)
		t = earlier(t, w->retry_at);
	if (w->watchdog_every > 0)
		t = earlier(t, w->next_watchdog);
	return t;
}

static void arm_timer(struct watch *w, double at)
{
	struct itimerspec its = { 0 };

	if (at < 1e-3)
		at = 1e-3;	/* 0 would disarm it */
	its.it_value.tv_sec = (time_t)at;
	its.it_value.tv_nsec = (long)((at - (double)(time_t)at) * 1e9);
	timerfd_settime(w->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void on_signal(struct watch *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			w->all_files = w->read_kernel = w->full = true;
			w->last_sync = -INFINITY;	/* now, not after the period */
		} else {
			w->stop = true;
		}
	}
}

static void on_monitor(struct watch *w)
{
	unsigned events = 0;

	if (kernel_monitor_read(&w->mon, &events) < 0)
		events |= KERNEL_MONITOR_LOST;
	if (events)
		w->read_kernel = true;
	if (events & KERNEL_MONITOR_DRIFT)
		w->drift = true;
}

static void on_timer(struct watch *w, double now)
{
	uint64_t ticks;

	if (read(w->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	if (now >= w->next_full) {
		w->all_files = w->read_kernel = w->full = true;
		w->next_full = now + w->w.sync_period;
	}
	if (w->watchdog_every > 0 && now >= w->next_watchdog) {
		sd_notify(0, "WATCHDOG=1");
		w->next_watchdog = now + w->watchdog_every;
	}
}

static void dispatch(struct watch *w, struct epoll_event *ev)
{
	int kind = *(const int *)ev->data.ptr;

	switch (kind) {
	case SRC_SIGNAL:
		on_signal(w);
		break;
	case SRC_INOTIFY:
		w->files_changed = watch_tree_events(&w->tree) || w->files_changed;
		break;
	case SRC_MONITOR:
		on_monitor(w);
		break;
	case SRC_TIMER:
		on_timer(w, mono_now());
		break;
	default:
		watch_http_run(ev->data.ptr);
		break;
	}
}

static bool sync_due(const struct watch *w, double now)
{
	return (sync_pending(w) && now >= w->last_sync + w->w.min_sync_period) ||
	       (w->retry && now >= w->retry_at);
}

static void run_loop(struct watch *w)
{
	while (!w->stop) {
		struct epoll_event evs[16];
		int n, timeout;
		double now = mono_now();

		if (sync_due(w, now)) {
			sync_now(w);
			continue;
		}
		arm_timer(w, next_deadline(w));
		timeout = watch_http_timeout(&w->http);
		n = epoll_wait(w->epfd, evs, ARRAY_SIZE(evs), timeout);
		for (int i = 0; i < n; i++)
			dispatch(w, &evs[i]);
		if (w->watchdog_every > 0 && mono_now() >= w->next_watchdog)
			on_timer(w, mono_now());
	}
}

/* ---- setup */

static int add_fd(struct watch *w, int fd, const int *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = (void *)tag };

	return fd < 0 ? -EBADF : epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ?
		-errno : 0;
}

static int open_signals(struct watch *w)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return w->sigfd < 0 ? -errno : add_fd(w, w->sigfd, &src_signal);
}

static int listen_on(struct watch *w, const char *addr, unsigned what)
{
	struct ip_addr a;
	uint16_t port;
	int err;

	watch_parse_bind(addr, &a, &port);	/* checked by the options */
	err = watch_http_listen(&w->http, &a, port, what);
	if (err < 0)
		cli_error("cannot listen on %s: %s; choose another address or port",
			  addr, strerror(-err));
	return err;
}

static int open_http(struct watch *w)
{
	const struct watch_opts *o = &w->w;
	bool same = o->healthz && o->metrics && !strcmp(o->healthz, o->metrics);
	int err = 0;

	watch_http_init(&w->http, w->epfd, &w->status);
	w->http.hc_addrs = w->o.model.node.node_ips;
	w->http.nhc_addrs = w->o.model.node.nnode_ips;
	if (o->healthz)
		err = listen_on(w, o->healthz, WATCH_SERVE_HEALTHZ |
				(same ? WATCH_SERVE_METRICS : 0));
	if (!err && o->metrics && !same)
		err = listen_on(w, o->metrics, WATCH_SERVE_METRICS);
	return err;
}

static int open_sources(struct watch *w)
{
	uint64_t usec = 0;
	int err;

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->epfd < 0 || w->timerfd < 0)
		return -errno;
	if ((err = open_signals(w)) < 0 || (err = add_fd(w, w->timerfd, &src_timer)) < 0)
		return err;
	/* Before the first sync, so that its own commit is seen as ours. */
	err = kernel_monitor_open(&w->mon, w->o.table);
	if (err < 0 || (err = add_fd(w, kernel_monitor_fd(&w->mon), &src_monitor)) < 0) {
		cli_error("cannot listen to nftables notifications: %s", strerror(-err));
		return err;
	}
	err = watch_tree_open(&w->tree, w->o.paths, w->o.npaths, cli_read_flags(&w->o));
	if (err < 0 || (err = add_fd(w, watch_tree_fd(&w->tree), &src_inotify)) < 0) {
		cli_error("cannot watch the manifests: %s (fs.inotify.max_user_instances?)",
			  strerror(-err));
		return err;
	}
	if (sd_watchdog_enabled(0, &usec) > 0 && usec)
		w->watchdog_every = usec / 2e6;
	return 0;
}

static void watch_close(struct watch *w)
{
	watch_http_free(&w->http);
	watch_tree_close(&w->tree);
	kernel_monitor_close(&w->mon);
	rs_table_free(&w->last4);
	rs_table_free(&w->last6);
	if (w->sigfd >= 0)
		close(w->sigfd);
	if (w->timerfd >= 0)
		close(w->timerfd);
	if (w->epfd >= 0)
		close(w->epfd);
	free(w->o.paths);
}

int cmd_watch(int argc, char **argv)
{
	struct watch w = { .epfd = -1, .sigfd = -1, .timerfd = -1 };
	int ret;

	if (wants_help(argc, argv)) {
		watch_usage(stdout);
		return EXIT_OK;
	}
	ret = parse_options(argc, argv, &w);
	if (ret != EXIT_OK || (ret = cli_require_net_admin(&w.o)) != EXIT_OK) {
		if (ret == EXIT_OK)
			free(w.o.paths);
		return ret;
	}
	if (open_sources(&w) < 0) {
		ret = EXIT_KERNEL;
		goto out;
	}
	if (open_http(&w) < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	w.last_sync = -INFINITY;
	w.backoff = BACKOFF_FIRST;
	w.next_full = mono_now() + w.w.sync_period;
	w.next_watchdog = mono_now();
	w.files_changed = w.read_kernel = w.full = true;	/* the first sync: as apply */
	run_loop(&w);
	sd_notify(0, "STOPPING=1");
	ret = EXIT_OK;
out:
	watch_close(&w);
	return ret;
}
