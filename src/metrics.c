// SPDX-License-Identifier: GPL-2.0-or-later
/* --metrics-file: the Prometheus text exposition format, written atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

/* A label value with \, " and newline escaped, as the format requires. */
static char *label_value(const char *s)
{
	char *out = xmalloc(2 * strlen(s) + 1), *p = out;

	for (; *s; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			*p++ = '\\';
			*p++ = *s == '\n' ? 'n' : *s;
		} else {
			*p++ = *s;
		}
	}
	*p = '\0';
	return out;
}

static void gauge_head(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void gauge(FILE *out, const char *name, const char *table,
		  const char *help, double value)
{
	gauge_head(out, name, help);
	/* %.17g keeps a Unix time in seconds exact to the microsecond */
	fprintf(out, "%s{table=\"%s\"} %.17g\n", name, table, value);
}

static void write_run(FILE *out, const struct run_metrics *m, const char *table,
		      double last_success)
{
	gauge(out, "svcnft_last_run_timestamp_seconds", table,
	      "When the last svcnft run ended, in seconds since the epoch.", m->end_time);
	gauge(out, "svcnft_last_run_success", table,
	      "1 when the last svcnft run succeeded, 0 when it failed.", m->exit_status == 0);
	gauge(out, "svcnft_last_run_exit_status", table,
	      "The exit status of the last svcnft run (svcnft(8), EXIT STATUS).", m->exit_status);
	gauge(out, "svcnft_last_run_duration_seconds", table,
	      "How long the last svcnft run took.", m->duration);
	if (last_success > 0)
		gauge(out, "svcnft_last_success_timestamp_seconds", table,
		      "When an svcnft run last succeeded, in seconds since the epoch.", last_success);
	gauge(out, "svcnft_lock_wait_seconds", table,
	      "How long the last run waited for the lock file.", m->lock_wait);
	gauge(out, "svcnft_manifest_errors", table,
	      "Errors found in the manifests by the last run.", m->manifest_errors);
}

static void write_model(FILE *out, const struct run_metrics *m, const char *table)
{
	gauge(out, "svcnft_services", table,
	      "Services in the manifests of the last run.", m->services);
	gauge(out, "svcnft_endpoints", table,
	      "Endpoints, summed over every port of every Service.", m->endpoints);
	gauge(out, "svcnft_node_ports", table,
	      "Node ports in the manifests of the last run.", m->node_ports);
	gauge(out, "svcnft_objects_skipped", table,
	      "Objects of kinds svcnft does not use.", m->skipped);
}

static void write_kernel(FILE *out, const struct run_metrics *m, const char *table)
{
	const struct { const char *kind; size_t n; } changes[] = {
		{ "chains_added", m->changes.chains_added },
		{ "chains_refilled", m->changes.chains_refilled },
		{ "chains_deleted", m->changes.chains_deleted },
		{ "rules_added", m->changes.rules_added },
		{ "elements_added", m->changes.elems_added },
		{ "elements_deleted", m->changes.elems_deleted },
	};

	gauge(out, "svcnft_netlink_messages", table,
	      "Netlink messages the last run sent to the kernel.", m->messages);
	gauge(out, "svcnft_netlink_bytes", table,
	      "Bytes of netlink messages the last run sent to the kernel.", m->bytes);
	gauge(out, "svcnft_transactions", table,
	      "nftables transactions the last run committed (0: nothing changed).",
	      m->transactions);
	gauge_head(out, "svcnft_changes",
		   "What the last run changed in the table, by kind of change.");
	for (size_t i = 0; i < ARRAY_SIZE(changes); i++)
		fprintf(out, "svcnft_changes{table=\"%s\",kind=\"%s\"} %zu\n", table,
			changes[i].kind, changes[i].n);
}

int metrics_write(FILE *out, const struct run_metrics *m, double last_success)
{
	char *table = label_value(m->table ? m->table : "");

	gauge_head(out, "svcnft_build_info", "The svcnft version that wrote this file.");
	fprintf(out, "svcnft_build_info{table=\"%s\",version=\"%s\"} 1\n", table,
		SVCNFT_VERSION);
	write_run(out, m, table, m->exit_status == 0 ? m->end_time : last_success);
	if (m->have_model)
		write_model(out, m, table);
	if (m->have_kernel)
		write_kernel(out, m, table);
	free(table);
	return ferror(out) ? -EIO : 0;
}

double metrics_read_last_success(const char *path, const char *table)
{
	char *want = xasprintf("svcnft_last_success_timestamp_seconds{table=\"%s\"} ", table);
	size_t len = strlen(want), cap = 0;
	char *line = NULL;
	double value = 0;
	FILE *in = fopen(path, "re");

	if (!in)
		goto out;
	while (getline(&line, &cap, in) > 0)
		if (!strncmp(line, want, len)) {
			value = strtod(line + len, NULL);
			break;
		}
	fclose(in);
out:
	free(line);
	free(want);
	return value;
}

/* Write into a temporary file beside path: rename(2) is atomic only within
 * one file system. Its name does not end in .prom, so the textfile
 * collector never reads it. */
int metrics_write_file(const char *path, const struct run_metrics *m)
{
	double last_success = m->exit_status == 0 ? 0 :
		metrics_read_last_success(path, m->table ? m->table : "");
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC), ret = 0;
	FILE *out;

	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	/* mkstemp creates 0600; node_exporter usually runs as another user */
	out = fchmod(fd, 0644) == 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		goto out;
	}
	ret = metrics_write(out, m, last_success);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0)
		ret = ret ? ret : -errno;
	if (fclose(out) != 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	free(tmp);
	return ret;
}
