/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_METRICS_H
#define SVCNFT_METRICS_H

/*
 * --metrics-file: what the last run did, in the Prometheus text exposition
 * format, for node_exporter's textfile collector. The file is replaced
 * atomically (written beside it, then renamed over it) so the collector
 * never reads half of it. Every metric carries the label table="NAME".
 *
 *   svcnft_build_info{version}              1
 *   svcnft_last_run_timestamp_seconds       when the last run ended (Unix time)
 *   svcnft_last_run_success                 1 when it exited 0, else 0
 *   svcnft_last_run_exit_status             its exit status (see svcnft(8))
 *   svcnft_last_run_duration_seconds        how long it took
 *   svcnft_last_success_timestamp_seconds   when a run last succeeded (kept
 *                                           from the previous file on failure)
 *   svcnft_lock_wait_seconds                time spent waiting for the lock
 *   svcnft_manifest_errors                  errors in the manifests
 *   svcnft_services, svcnft_endpoints, svcnft_node_ports,
 *   svcnft_objects_skipped                  the model applied (valid manifests)
 *   svcnft_netlink_messages, svcnft_netlink_bytes,
 *   svcnft_transactions                     what was sent to the kernel
 *   svcnft_changes{kind}                    chains_added, chains_refilled,
 *                                           chains_deleted, rules_added,
 *                                           elements_added, elements_deleted
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ruleset_diff.h"

struct run_metrics {
	const char *table;
	double end_time;	/* Unix time, seconds */
	double duration;
	double lock_wait;
	int exit_status;
	size_t manifest_errors;
	bool have_model;	/* the manifests were valid */
	size_t services, endpoints, node_ports, skipped;
	bool have_kernel;	/* a change was computed and sent (or nothing
				 * needed sending) */
	unsigned long messages, bytes;
	unsigned transactions;
	struct rs_diff_counts changes;
};

/* The file's text: m, and last_success (0: never) when m is a failure. */
int metrics_write(FILE *out, const struct run_metrics *m, double last_success);

/* Write m to path atomically. Returns 0 or -errno (path is then as before). */
int metrics_write_file(const char *path, const struct run_metrics *m);

/*
 * svcnft_last_success_timestamp_seconds for table as the file at path
 * holds it, or 0 when absent or unreadable.
 */
double metrics_read_last_success(const char *path, const char *table);

#endif
