/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_WATCH_HTTP_H
#define SVCNFT_WATCH_HTTP_H

/*
 * svcnft watch, what it serves over HTTP (libmicrohttpd, driven from the
 * watch loop's epoll: no threads): /healthz and /metrics on the addresses
 * the options name, and one health check server per healthCheckNodePort,
 * answered as kube-proxy answers them. Nothing here prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define WATCH_SYNC_BUCKETS 12

/* What /healthz and /metrics report; the loop fills it. */
struct watch_status {
	bool healthy;		/* a sync succeeded and the last kernel
				 * sync did not fail */
	double last_updated;	/* Unix time of the last successful sync; 0:
				 * none */
	unsigned long syncs_ok, syncs_invalid, syncs_kernel_error;
	unsigned long drift_repairs;
	unsigned long messages;	/* netlink messages sent, in total */
	size_t services, endpoints;	/* the ruleset programmed */
	unsigned long sync_count;	/* the sync duration histogram */
	double sync_sum;
	unsigned long sync_buckets[WATCH_SYNC_BUCKETS];
};

/* Upper bounds of the histogram's buckets, seconds. */
extern const double watch_sync_bucket_bounds[WATCH_SYNC_BUCKETS];
void watch_status_observe(struct watch_status *s, double seconds);

/* A Service whose healthCheckNodePort is served. */
struct watch_hc {
	const char *ns, *name;	/* copied */
	uint16_t port;
	size_t local_endpoints;
};

enum watch_serve {
	WATCH_SERVE_HEALTHZ = 1 << 0,
	WATCH_SERVE_METRICS = 1 << 1,
	WATCH_SERVE_HC = 1 << 2,
};

struct watch_server;

struct watch_http {
	int epfd;		/* the loop's epoll; servers register there */
	const struct watch_status *status;
	struct watch_server **v;
	size_t n, cap;
	const struct ip_addr *hc_addrs;	/* --node-ip; none: every address */
	size_t nhc_addrs;
};

/* "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (every address). 0 or -EINVAL. */
int watch_parse_bind(const char *s, struct ip_addr *addr, uint16_t *port);

void watch_http_init(struct watch_http *h, int epfd,
		     const struct watch_status *status);
/* Serve what (WATCH_SERVE_HEALTHZ and/or _METRICS) on addr:port. 0 or
 * -errno (the address cannot be bound). */
int watch_http_listen(struct watch_http *h, const struct ip_addr *addr,
		      uint16_t port, unsigned what);
/*
 * Make the health check servers match v: new ports opened, gone ones
 * closed, the others' answers updated. Returns 0, or the first -errno of a
 * port that cannot be bound (*bad_port names it; the others are served).
 */
int watch_http_set_hc(struct watch_http *h, const struct watch_hc *v,
		      size_t n, uint16_t *bad_port);
/* The server an epoll event's data.ptr names has work: run it. */
void watch_http_run(struct watch_server *s);
/* Milliseconds until a server needs running for its timeouts; -1: none. */
int watch_http_timeout(const struct watch_http *h);
void watch_http_free(struct watch_http *h);

/* The Prometheus text of s; caller frees. */
char *watch_metrics_text(const struct watch_status *s, size_t *len);

#endif
