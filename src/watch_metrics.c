// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft watch's /metrics: the Prometheus text exposition format. */
#include <stdio.h>
#include <stdlib.h>

#include "util.h"
#include "watch_http.h"

const double watch_sync_bucket_bounds[WATCH_SYNC_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

void watch_status_observe(struct watch_status *s, double seconds)
{
	for (size_t i = 0; i < WATCH_SYNC_BUCKETS; i++)
		if (seconds <= watch_sync_bucket_bounds[i])
			s->sync_buckets[i]++;
	s->sync_count++;
	s->sync_sum += seconds;
}

static void metric_head(FILE *f, const char *name, const char *type,
			const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric without labels: counts print as integers (%.15g). */
static void metric(FILE *f, const char *name, const char *type,
		   const char *help, double value)
{
	metric_head(f, name, type, help);
	fprintf(f, "%s %.15g\n", name, value);
}

static void histogram(FILE *f, const struct watch_status *s)
{
	const char *name = "svcnft_sync_duration_seconds";

	metric_head(f, name, "histogram",
		    "Time a sync took: reading changed files, compiling, programming the kernel.");
	for (size_t i = 0; i < WATCH_SYNC_BUCKETS; i++)
		fprintf(f, "%s_bucket{le=\"%g\"} %lu\n", name,
			watch_sync_bucket_bounds[i], s->sync_buckets[i]);
	fprintf(f, "%s_bucket{le=\"+Inf\"} %lu\n", name, s->sync_count);
	fprintf(f, "%s_sum %.9f\n%s_count %lu\n", name, s->sync_sum, name,
		s->sync_count);
}

char *watch_metrics_text(const struct watch_status *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();	/* as xmalloc: out of memory */
	histogram(f, s);
	metric_head(f, "svcnft_syncs_total", "counter",
		    "Syncs by result: ok, invalid (manifests refused), kernel_error.");
	fprintf(f, "svcnft_syncs_total{result=\"ok\"} %lu\n", s->syncs_ok);
	fprintf(f, "svcnft_syncs_total{result=\"invalid\"} %lu\n", s->syncs_invalid);
	fprintf(f, "svcnft_syncs_total{result=\"kernel_error\"} %lu\n",
		s->syncs_kernel_error);
	metric(f, "svcnft_last_sync_success_timestamp_seconds", "gauge",
	       "Unix time of the last successful sync (0: none yet).",
	       s->last_updated);
	metric(f, "svcnft_drift_repairs_total", "counter",
	       "Times another process changed svcnft's tables and they were repaired.",
	       (double)s->drift_repairs);
	metric(f, "svcnft_services", "gauge",
	       "Services in the ruleset last programmed.", (double)s->services);
	metric(f, "svcnft_endpoints", "gauge",
	       "Endpoints in the ruleset last programmed, over every Service port.",
	       (double)s->endpoints);
	metric(f, "svcnft_netlink_messages_total", "counter",
	       "Netlink messages sent to the kernel.", (double)s->messages);
	metric(f, "svcnft_healthy", "gauge",
	       "1 when the last sync reached the kernel, as /healthz says.",
	       s->healthy ? 1 : 0);
	fclose(f);
	return buf;
}
