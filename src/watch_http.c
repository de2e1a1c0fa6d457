// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft watch over HTTP: /healthz, /metrics and healthCheckNodePorts,
 * with libmicrohttpd run from the watch loop (watch_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "util.h"
#include "watch_http.h"

/* Whoever holds the epoll event: the watch loop dispatches on kind. */
struct watch_server {
	int kind;		/* first: the loop's tag (see cmd_watch.c) */
	struct MHD_Daemon *d;
	int fd;			/* its epoll fd, in the loop's epoll */
	unsigned what;		/* enum watch_serve */
	const struct watch_http *h;
	/* WATCH_SERVE_HC: the Service it answers for */
	uint16_t port;
	char *ns, *name;
	size_t local_endpoints;
	bool seen;
};

int watch_parse_bind(const char *s, struct ip_addr *addr, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	size_t hlen;
	char *end;
	long p;

	if (!colon)
		return -EINVAL;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p < 1 || p > 65535)
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(addr, 0, sizeof(*addr));
	*port = (uint16_t)p;
	return hlen == 0 ? 0 : ip_addr_parse(addr, host);
}

/* Go's time.Time String() in UTC, as kube-proxy's healthz body has it:
 * "2006-01-02 15:04:05.999999999 +0000 UTC", trailing zeros trimmed. */
static void go_time(double t, char *buf, size_t len)
{
	time_t sec = (time_t)t;
	long ns = (long)((t - (double)sec) * 1e9);
	char frac[24] = "";
	struct tm tm;
	size_t n;

	if (t <= 0) {
		snprintf(buf, len, "0001-01-01 00:00:00 +0000 UTC");
		return;
	}
	gmtime_r(&sec, &tm);
	if (ns > 0) {
		snprintf(frac, sizeof(frac), ".%09ld", ns);
		n = strlen(frac);
		while (frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d%s +0000 UTC",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, frac);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned code,
			       const char *type, char *body, size_t len,
			       const char *weight)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (weight)
		MHD_add_response_header(r, "X-Load-Balancing-Endpoint-Weight",
					weight);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_healthz(struct MHD_Connection *conn,
				      const struct watch_status *st)
{
	char updated[64], now[64];
	char *body;

	go_time(st->last_updated, updated, sizeof(updated));
	go_time(clock_seconds(CLOCK_REALTIME), now, sizeof(now));
	body = xasprintf("{\"lastUpdated\": \"%s\",\"currentTime\": \"%s\"}\n",
			 updated, now);
	return respond(conn, st->healthy ? MHD_HTTP_OK :
			     MHD_HTTP_SERVICE_UNAVAILABLE,
		       "application/json", body, strlen(body), NULL);
}

/* kube-proxy's service health server: any path; 200 when this node has
 * endpoints of the Service and the proxy is healthy. */
static enum MHD_Result answer_hc(struct MHD_Connection *conn,
				 const struct watch_server *s,
				 const struct watch_status *st)
{
	char weight[24];
	char *body;

	snprintf(weight, sizeof(weight), "%zu", s->local_endpoints);
	body = xasprintf("{\"service\": {\"namespace\": \"%s\", \"name\": \"%s\"}, \"localEndpoints\": %zu, \"serviceProxyHealthy\": %s}\n",
			 s->ns, s->name, s->local_endpoints,
			 st->healthy ? "true" : "false");
	return respond(conn, s->local_endpoints && st->healthy ? MHD_HTTP_OK :
			     MHD_HTTP_SERVICE_UNAVAILABLE,
		       "application/json", body, strlen(body), weight);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	const struct watch_server *s = cls;
	const struct watch_status *st = s->h->status;
	size_t len;
	char *body;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			       xstrdup("method not allowed\n"), 19, NULL);
	if (s->what & WATCH_SERVE_HC)
		return answer_hc(conn, s, st);
	if ((s->what & WATCH_SERVE_HEALTHZ) && !strcmp(url, "/healthz"))
		return answer_healthz(conn, st);
	if ((s->what & WATCH_SERVE_METRICS) && !strcmp(url, "/metrics")) {
		body = watch_metrics_text(st, &len);
		return respond(conn, MHD_HTTP_OK,
			       "text/plain; version=0.0.4; charset=utf-8", body,
			       len, NULL);
	}
	return respond(conn, MHD_HTTP_NOT_FOUND, "text/plain",
		       xstrdup("404 page not found\n"), 19, NULL);
}

/* addr family 0: every address, IPv6 and IPv4 where IPv6 exists. */
static struct MHD_Daemon *start(struct watch_server *s,
				const struct ip_addr *addr, uint16_t port)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_TURBO;
	struct sockaddr_storage ss;
	struct MHD_Daemon *d = NULL;

	if (!addr->family) {
		d = MHD_start_daemon(flags | MHD_USE_DUAL_STACK, port, NULL, NULL,
				     answer, s, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				     MHD_OPTION_CONNECTION_LIMIT, 64u,
				     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				     MHD_OPTION_END);
		if (d)
			return d;
	}
	ip_addr_to_sockaddr(addr, port, &ss);	/* family 0: 0.0.0.0 */
	if (addr->family == AF_INET6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, port, NULL, NULL, answer, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				MHD_OPTION_CONNECTION_LIMIT, 64u,
				MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				MHD_OPTION_END);
}

static void server_free(struct watch_server *s)
{
	if (!s)
		return;
	if (s->d) {
		epoll_ctl(s->h->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		MHD_stop_daemon(s->d);
	}
	free(s->ns);
	free(s->name);
	free(s);
}

static int add_server(struct watch_http *h, const struct ip_addr *addr,
		      uint16_t port, unsigned what, struct watch_server **out)
{
	struct watch_server *s = xcalloc(1, sizeof(*s));
	const union MHD_DaemonInfo *info;
	struct epoll_event ev = { .events = EPOLLIN };

	s->h = h;
	s->what = what;
	s->port = port;
	s->d = start(s, addr, port);
	info = s->d ? MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		int err = errno ? -errno : -EADDRINUSE;

		server_free(s);
		return err;
	}
	s->fd = info->epoll_fd;
	ev.data.ptr = s;
	epoll_ctl(h->epfd, EPOLL_CTL_ADD, s->fd, &ev);
	grow_array(&h->v, &h->cap, h->n + 1, sizeof(*h->v));
	h->v[h->n++] = s;
	if (out)
		*out = s;
	return 0;
}

void watch_http_init(struct watch_http *h, int epfd,
		     const struct watch_status *status)
{
	memset(h, 0, sizeof(*h));
	h->epfd = epfd;
	h->status = status;
}

int watch_http_listen(struct watch_http *h, const struct ip_addr *addr,
		      uint16_t port, unsigned what)
{
	return add_server(h, addr, port, what, NULL);
}

static void hc_update(struct watch_server *s, const struct watch_hc *hc)
{
	if (!s->ns || strcmp(s->ns, hc->ns)) {
		free(s->ns);
		s->ns = xstrdup(hc->ns);
	}
	if (!s->name || strcmp(s->name, hc->name)) {
		free(s->name);
		s->name = xstrdup(hc->name);
	}
	s->local_endpoints = hc->local_endpoints;
	s->seen = true;
}

/* Every server of this health check port (one per --node-ip address). */
static bool hc_known(struct watch_http *h, const struct watch_hc *hc)
{
	bool found = false;

	for (size_t i = 0; i < h->n; i++)
		if ((h->v[i]->what & WATCH_SERVE_HC) && h->v[i]->port == hc->port) {
			hc_update(h->v[i], hc);
			found = true;
		}
	return found;
}

static int hc_open(struct watch_http *h, const struct watch_hc *hc)
{
	static const struct ip_addr any = { 0 };
	size_t n = h->nhc_addrs ? h->nhc_addrs : 1;
	int first_err = 0;

	for (size_t i = 0; i < n; i++) {
		struct watch_server *s;
		int err = add_server(h, h->nhc_addrs ? &h->hc_addrs[i] : &any,
				     hc->port, WATCH_SERVE_HC, &s);

		if (err < 0 && !first_err)
			first_err = err;
		if (!err)
			hc_update(s, hc);
	}
	return first_err;
}

int watch_http_set_hc(struct watch_http *h, const struct watch_hc *v,
		      size_t n, uint16_t *bad_port)
{
	size_t k = 0;
	int first_err = 0;

	for (size_t i = 0; i < h->n; i++)
		h->v[i]->seen = false;
	for (size_t i = 0; i < n; i++) {
		int err = hc_known(h, &v[i]) ? 0 : hc_open(h, &v[i]);

		if (err < 0 && !first_err) {
			first_err = err;
			if (bad_port)
				*bad_port = v[i].port;
		}
	}
	for (size_t i = 0; i < h->n; i++) {
		if ((h->v[i]->what & WATCH_SERVE_HC) && !h->v[i]->seen)
			server_free(h->v[i]);	/* the Service went away */
		else
			h->v[k++] = h->v[i];
	}
	h->n = k;
	return first_err;
}

void watch_http_run(struct watch_server *s)
{
	MHD_run(s->d);
}

int watch_http_timeout(const struct watch_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	int best = -1;

	for (size_t i = 0; i < h->n; i++)
		if (MHD_get_timeout(h->v[i]->d, &ms) == MHD_YES &&
		    (best < 0 || ms < (MHD_UNSIGNED_LONG_LONG)best))
			best = ms > 60000 ? 60000 : (int)ms;
	return best;
}

void watch_http_free(struct watch_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		server_free(h->v[i]);
	free(h->v);
	memset(h, 0, sizeof(*h));
}
