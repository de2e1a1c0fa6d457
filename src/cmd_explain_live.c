// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * svcnft explain --live: real connections to DEST, traced. A table of our
 * own (TABLE-explain) sets nftrace on their first packet; the kernel's
 * trace events say which chains each one passed and, at postrouting or
 * input, where it finally went. One line per connection. The table goes
 * away however the run ends (duration, SIGINT, SIGTERM, SIGHUP, a closed
 * pipe), and a run first removes one a crash left.
 */
#include <netinet/in.h>
#include <errno.h>
#include <json-c/json.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "cli_explain.h"
#include "kernel.h"
#include "kernel_trace.h"
#include "util.h"

#define LIVE_SECONDS_MAX 86400
#define LIVE_PENDING 256	/* connections followed at once */
#define LIVE_SEEN 4096		/* sources printed: SYN retransmits skipped */
#define LIVE_CHAINS_MAX 32
#define LIVE_DRAIN_MAX 256	/* datagrams read after the end */

struct live_conn {
	uint32_t id;		/* trace id; 0: free slot */
	struct ip_addr src, dst;
	uint16_t sport, dport;
	char *chains[LIVE_CHAINS_MAX];
	size_t nchains;
};

struct live {
	const struct cli_options *o;
	const struct explain_query *q;
	const char *table;	/* ours */
	uint8_t nfproto;
	struct rs_table rules;	/* svcnft's, as the run began: which rule
				 * handle is a reject (empty when unread) */
	struct live_conn pending[LIVE_PENDING];
	size_t next_slot;
	uint64_t seen[LIVE_SEEN];
	size_t nseen;
	unsigned long printed;
};

static volatile sig_atomic_t live_stop;

static void on_signal(int sig)
{
	live_stop = sig;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* SECONDS, or a duration as the other commands take it (duration_parse):
 * 30s, 1m, 1h, 500ms. -1 when invalid. */
static double parse_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if ((end == s || *end) && duration_parse(s, &v) < 0)
		return -1;
	return v > 0 && v <= LIVE_SECONDS_MAX ? v : -1;	/* NaN too */
}

static struct live_conn *conn_find(struct live *l, uint32_t id)
{
	for (size_t i = 0; i < LIVE_PENDING; i++)
		if (l->pending[i].id == id)
			return &l->pending[i];
	return NULL;
}

static void conn_free(struct live_conn *c)
{
	for (size_t i = 0; i < c->nchains; i++)
		free(c->chains[i]);
	memset(c, 0, sizeof(*c));
}

/* A new traced packet: the oldest slot makes room when all are taken. */
static struct live_conn *conn_new(struct live *l, const struct trace_event *ev)
{
	struct live_conn *c = &l->pending[l->next_slot];

	l->next_slot = (l->next_slot + 1) % LIVE_PENDING;
	conn_free(c);
	if (!ev->have_addrs)
		return NULL;
	c->src = ev->saddr;
	c->sport = ev->sport;
	c->dst = ev->daddr;
	c->dport = ev->dport;
	c->id = ev->id;
	return c;
}

static void conn_add_chain(struct live *l, struct live_conn *c, const struct trace_event *ev)
{
	char *name = strcmp(ev->table, l->o->table) ?
		xasprintf("%s:%s", ev->table, ev->chain) : xstrdup(ev->chain);

	if ((c->nchains && !strcmp(c->chains[c->nchains - 1], name)) ||
	    c->nchains == LIVE_CHAINS_MAX) {
		free(name);
		return;
	}
	c->chains[c->nchains++] = name;
}

/* Whether this connection (source address and port) was printed already:
 * a retransmitted first packet is traced again. */
static bool seen_before(struct live *l, const struct live_conn *c)
{
	uint64_t key = hash_fnv1a(c->src.addr, sizeof(c->src.addr), c->sport);
	size_t n = l->nseen < LIVE_SEEN ? l->nseen : LIVE_SEEN;

	for (size_t i = 0; i < n; i++)
		if (l->seen[i] == key)
			return true;
	l->seen[l->nseen++ % LIVE_SEEN] = key;
	return false;
}

static void print_json_line(struct live *l, const struct live_conn *c, const char *verdict,
			    const char *endpoint, const char *seen_src)
{
	json_object *o = json_object_new_object(), *chains = json_object_new_array();
	char buf[IP_ADDR_STRLEN + 8];

	json_object_object_add(o, "source", json_object_new_string(
		explain_addr_port(&c->src, c->sport, buf, sizeof(buf))));
	json_object_object_add(o, "destination", json_object_new_string(
		explain_addr_port(&c->dst, c->dport, buf, sizeof(buf))));
	json_object_object_add(o, "protocol", json_object_new_string(protocol_name(l->q->l4proto)));
	json_object_object_add(o, "verdict", json_object_new_string(verdict));
	json_object_object_add(o, "endpoint", endpoint ? json_object_new_string(endpoint) : NULL);
	json_object_object_add(o, "seen_source", seen_src ? json_object_new_string(seen_src) : NULL);
	for (size_t i = 0; i < c->nchains; i++)
		json_object_array_add(chains, json_object_new_string(c->chains[i]));
	json_object_object_add(o, "chains", chains);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_text_line(struct live *l, const struct live_conn *c, const char *verdict,
			    const char *endpoint, const char *seen_src)
{
	char src[IP_ADDR_STRLEN + 8], dst[IP_ADDR_STRLEN + 8];

	printf("%s -> %s/%s: %s", explain_addr_port(&c->src, c->sport, src, sizeof(src)),
	       explain_addr_port(&c->dst, c->dport, dst, sizeof(dst)),
	       protocol_name(l->q->l4proto), verdict);
	if (endpoint)
		printf(" %s", endpoint);
	if (seen_src && strcmp(seen_src, src))
		printf(" (source seen as %s)", seen_src);
	printf("; chains:");
	for (size_t i = 0; i < c->nchains; i++)
		printf("%s %s", i ? "," : "", c->chains[i]);
	printf("\n");
}

/* Whether the rule with this handle in svcnft's table is a reject (the
 * kernel's trace shows a reject as a drop). */
static bool is_reject(const struct live *l, const struct trace_event *ev)
{
	const struct rs_chain *c;

	if (!ev->handle || strcmp(ev->table, l->o->table) ||
	    !(c = rs_table_find_chain(&l->rules, ev->chain)))
		return false;
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].handle == ev->handle)
			return c->rules[i].kind == RS_RULE_REJECT ||
			       c->rules[i].kind == RS_RULE_REJECT_TO_SET;
	return false;
}

/* The connection's last event: print its line, free its slot. A NULL ev:
 * it was dropped or rejected (why) before leaving. */
static void conn_done(struct live *l, struct live_conn *c, const struct trace_event *ev,
		      bool local, const char *why)
{
	char endpoint[IP_ADDR_STRLEN + 8], seen[IP_ADDR_STRLEN + 8];
	const char *verdict = why;
	bool have = ev && ev->have_addrs;

	if (have) {
		explain_addr_port(&ev->daddr, ev->dport, endpoint, sizeof(endpoint));
		explain_addr_port(&ev->saddr, ev->sport, seen, sizeof(seen));
		verdict = ev->dport != c->dport || ip_addr_cmp(&ev->daddr, &c->dst) ? "dnat" :
			local ? "local" : "none";
	}
	if (!seen_before(l, c)) {
		if (l->o->json)
			print_json_line(l, c, verdict, have ? endpoint : NULL, have ? seen : NULL);
		else
			print_text_line(l, c, verdict, have ? endpoint : NULL, have ? seen : NULL);
		fflush(stdout);
		l->printed++;
	}
	conn_free(c);
}

static void on_event(const struct trace_event *ev, void *data)
{
	struct live *l = data;
	struct live_conn *c;
	bool ours = !strcmp(ev->table, l->table);

	if (ev->nfproto != l->nfproto || !ev->id)
		return;
	c = conn_find(l, ev->id);
	if (!c && !(c = conn_new(l, ev)))
		return;
	if (ours && (!strcmp(ev->chain, KERNEL_TRACE_CHAIN_SEEN) ||
		     !strcmp(ev->chain, KERNEL_TRACE_CHAIN_LOCAL))) {
		conn_done(l, c, ev, !strcmp(ev->chain, KERNEL_TRACE_CHAIN_LOCAL), NULL);
		return;
	}
	if (ours)
		return;
	conn_add_chain(l, c, ev);
	if (ev->verdict == NF_DROP)
		conn_done(l, c, NULL, false, is_reject(l, ev) ? "reject" : "drop");
}

/* Our table, if it is there. */
static int remove_table(uint8_t family, const char *table)
{
	int err = kernel_table_delete(family, table);

	if (err < 0 && err != -ENOENT) {
		cli_error("removing table %s %s failed: %s", nft_family_name(family),
			  table, strerror(-err));
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

/* Remove what a crashed run left, in both families. */
static void remove_leftovers(const char *table)
{
	remove_table(NFPROTO_IPV4, table);
	remove_table(NFPROTO_IPV6, table);
}

static long remaining_ms(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* One datagram of events. EXIT_OK, or EXIT_KERNEL (printed). */
static int read_events(struct live *l, struct trace_listener *tl, bool *lost)
{
	int err = kernel_trace_read(tl, on_event, l);

	if (err == -ENOBUFS && !*lost) {
		/* the socket overflowed: some connections are missing */
		cli_error("trace events were lost (too many at once); lines are missing");
		*lost = true;
	} else if (err < 0 && err != -ENOBUFS && err != -EINTR) {
		cli_error("reading trace events failed: %s", strerror(-err));
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

static int trace_loop(struct live *l, struct trace_listener *tl, double seconds)
{
	struct pollfd pfd = { .fd = kernel_trace_fd(tl), .events = POLLIN };
	struct timespec end;
	bool lost = false;
	int ret = EXIT_OK;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)seconds;
	end.tv_nsec += (long)((seconds - (time_t)seconds) * 1e9);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while (ret == EXIT_OK && !live_stop && (ms = remaining_ms(&end)) > 0)
		if (poll(&pfd, 1, ms > 1000 ? 1000 : (int)ms) > 0)
			ret = read_events(l, tl, &lost);
	/* what is queued already belongs to connections made before the
	 * end: read it too, a bounded number of datagrams */
	for (int i = 0; ret == EXIT_OK && i < LIVE_DRAIN_MAX && poll(&pfd, 1, 0) > 0; i++)
		ret = read_events(l, tl, &lost);
	return ret;
}

/* Connections traced but not seen leaving nor dropped by the end (routed
 * nowhere, say): printed too, their verdict unknown. */
static void flush_pending(struct live *l)
{
	for (size_t i = 0; i < LIVE_PENDING; i++) {
		struct live_conn *c = &l->pending[(l->next_slot + i) % LIVE_PENDING];

		if (c->id)
			conn_done(l, c, NULL, false, "unknown");
	}
}

static void live_free(struct live *l)
{
	rs_table_free(&l->rules);
	for (size_t i = 0; i < LIVE_PENDING; i++)
		conn_free(&l->pending[i]);
}

int explain_live(const struct cli_options *o, const char *duration,
		 const struct explain_query *q)
{
	struct live l = { .o = o, .q = q };
	struct trace_match m = { q->src, q->dst, q->l4proto, q->dport };
	struct trace_listener *tl = NULL;
	double seconds = parse_seconds(duration);
	char dest[IP_ADDR_STRLEN + 8], *table = NULL;
	int ret, err;

	if (seconds < 0) {
		fprintf(stderr, "svcnft explain: --live \"%s\": give seconds, 1 to %d (e.g. 30, 30s, 5m)\n",
			duration, LIVE_SECONDS_MAX);
		return EXIT_USAGE;
	}
	ret = cli_require_net_admin(o);
	if (ret != EXIT_OK)
		return ret;
	table = xasprintf("%s-explain", o->table);
	l.table = table;
	l.nfproto = q->dst.family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	live_stop = 0;
	catch_signals();
	remove_leftovers(table);
	/* listen first: no connection is missed between the two */
	err = kernel_trace_listen(&tl);
	if (!err)
		err = kernel_trace_table_create(table, &m);
	if (err < 0) {
		cli_error("setting up the trace (table %s %s) failed: %s",
			  nft_family_name(l.nfproto), table, strerror(-err));
		ret = EXIT_KERNEL;
		goto out;
	}
	/* after the table, to trace as early as possible; not there yet, or
	 * unreadable: rejects are then shown as drops */
	kernel_table_get(l.nfproto, o->table, &l.rules);
	if (!o->quiet)
		fprintf(stderr, "svcnft: tracing new connections to %s/%s for %gs (table %s %s)\n",
			explain_addr_port(&q->dst, q->dport, dest, sizeof(dest)),
			protocol_name(q->l4proto), seconds, nft_family_name(l.nfproto), table);
	ret = trace_loop(&l, tl, seconds);
	flush_pending(&l);
out:
	if (remove_table(l.nfproto, table) != EXIT_OK)
		ret = EXIT_KERNEL;
	if (ret == EXIT_OK && !o->quiet)
		fprintf(stderr, "svcnft: %lu connection%s traced\n", l.printed,
			l.printed == 1 ? "" : "s");
	kernel_trace_close(tl);
	live_free(&l);
	free(table);
	return ret;
}
