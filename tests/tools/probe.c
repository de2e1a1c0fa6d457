/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe: the client of the end-to-end tests. It makes COUNT independent
 * attempts against ADDR:PORT -- a new TCP (or SCTP) connection, or a UDP
 * exchange on a new socket -- so that each one is a new conntrack entry and
 * goes through the Service's endpoint choice again.
 *
 *   probe tcp|udp|sctp|hold ADDR PORT [-n COUNT] [-t TIMEOUT_MS] [-s SOURCE]
 *         [-p SOURCE_PORT] [-i INTERVAL_MS] [-q]
 *
 * hold is the other way round: ONE TCP connection (to podserver's hold:PORT)
 * kept open for COUNT exchanges of a line and its reply, INTERVAL_MS apart,
 * to show that an established connection survives whatever happens
 * meanwhile. Once an exchange fails, the connection is given up and the
 * exchanges left count as "lost".
 *
 * ADDR, and -s SOURCE, are IPv4 or IPv6 addresses (of the same family).
 *
 * With -p every attempt uses the same source port, so UDP attempts share
 * one conntrack entry (a long-lived UDP client, as stale-flow tests need).
 *
 * One line per attempt: the server's reply line (podserver sends its name),
 * "refused" (TCP reset or ICMP port unreachable), "timeout", or
 * "error: REASON". Then a summary line "KEY=COUNT ..." sorted by key, where
 * KEY is the first word of a reply, or refused, timeout or error. Each
 * attempt has TIMEOUT_MS in all, so the run takes at most COUNT * TIMEOUT_MS.
 * Exit status: 0 when every attempt got a reply, 1 otherwise, 2 on usage.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYS 64
#define KEY_MAX 64
#define REPLY_MAX 256

/* An IPv4 or IPv6 socket address; sa.sa_family says which. */
union endpoint {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct probe_options {
	int type, proto;
	bool hold;		/* one connection, COUNT exchanges */
	union endpoint dest;
	union endpoint source;	/* sa_family 0: let the kernel pick */
	unsigned short source_port;	/* -p, host order; 0: any */
	unsigned long count;
	int timeout_ms;
	int interval_ms;	/* pause between attempts */
	bool quiet;
};

/* What one attempt produced: a reply line, or why there is none. */
struct attempt {
	char text[REPLY_MAX];
	bool replied;
};

struct tally_entry {
	char key[KEY_MAX];	/* first member: entries sort as strings */
	unsigned long count;
};

struct tally {
	struct tally_entry v[MAX_KEYS];
	size_t n;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Poll one fd until the deadline. Returns revents, 0 on timeout. */
static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return pfd.revents;
		if (n == 0 || errno != EINTR)
			return 0;
	}
}

static void set_error(struct attempt *a, int err)
{
	if (err == ECONNREFUSED)
		snprintf(a->text, sizeof(a->text), "refused");
	else
		snprintf(a->text, sizeof(a->text), "error: %s", strerror(err));
}

/* Keep the first line of the reply, printable characters only. */
static void set_reply(struct attempt *a, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < sizeof(a->text) - 1; i++) {
		if (buf[i] == '\n' || buf[i] == '\r')
			break;
		a->text[i] = (buf[i] < 0x20 || buf[i] > 0x7e) ? '?' : buf[i];
	}
	a->text[i] = '\0';
	a->replied = i > 0;
	if (!a->replied)
		snprintf(a->text, sizeof(a->text), "error: empty reply");
}

/* Read until a newline, end of stream or the deadline. */
static void read_reply(int fd, long long deadline, struct attempt *a)
{
	char buf[REPLY_MAX];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf)) {
		if (!wait_for(fd, POLLIN, deadline)) {
			snprintf(a->text, sizeof(a->text), "timeout");
			return;
		}
		n = recv(fd, buf + len, sizeof(buf) - len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			set_error(a, errno);
			return;
		}
		if (n == 0 || memchr(buf + len, '\n', (size_t)n)) {
			len += (size_t)n;
			break;
		}
		len += (size_t)n;
	}
	set_reply(a, buf, len);
}

static void exchange_datagram(int fd, long long deadline, struct attempt *a)
{
	if (send(fd, "?\n", 2, 0) == 2) {
		read_reply(fd, deadline, a);
		return;
	}
	if (errno != EPERM) {
		set_error(a, errno);
		return;
	}
	/* EPERM: netfilter dropped the datagram in this host's output path.
	 * A reject rule does that too, after sending the ICMP error back to
	 * us, so wait for it before calling the attempt a failure. */
	read_reply(fd, deadline, a);
	if (!strcmp(a->text, "timeout"))
		set_error(a, EPERM);
}

static socklen_t endpoint_len(const union endpoint *e)
{
	return e->sa.sa_family == AF_INET6 ? sizeof(e->sin6) : sizeof(e->sin);
}

static int connect_now(int fd, const struct probe_options *o,
		       long long deadline)
{
	socklen_t elen;
	int err = 0;

	if (o->source_port &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) < 0)
		return errno;
	if (o->source.sa.sa_family &&
	    bind(fd, &o->source.sa, endpoint_len(&o->source)) < 0)
		return errno;
	if (connect(fd, &o->dest.sa, endpoint_len(&o->dest)) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	if (!wait_for(fd, POLLOUT, deadline))
		return ETIMEDOUT;
	elen = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return errno;
	return err;
}

static void run_attempt(const struct probe_options *o, struct attempt *a)
{
	long long deadline = now_ms() + o->timeout_ms;
	int fd, err;

	a->replied = false;
	fd = socket(o->dest.sa.sa_family, o->type | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    o->proto);
	if (fd < 0) {
		set_error(a, errno);
		return;
	}
	/* Connecting a UDP socket is what makes an ICMP port unreachable
	 * come back as ECONNREFUSED on it. */
	err = connect_now(fd, o, deadline);
	if (err == ETIMEDOUT)
		snprintf(a->text, sizeof(a->text), "timeout");
	else if (err)
		set_error(a, err);
	else if (o->type == SOCK_DGRAM)
		exchange_datagram(fd, deadline, a);
	else
		read_reply(fd, deadline, a);
	close(fd);
}

/* One exchange on a held connection: a line out, a reply line back. */
static void hold_exchange(int fd, const struct probe_options *o,
			  struct attempt *a)
{
	long long deadline = now_ms() + o->timeout_ms;

	a->replied = false;
	if (send(fd, "?\n", 2, MSG_NOSIGNAL) != 2) {
		set_error(a, errno);
		return;
	}
	read_reply(fd, deadline, a);
}

static int hold_connect(const struct probe_options *o, struct attempt *a)
{
	int fd = socket(o->dest.sa.sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	int err;

	if (fd < 0) {
		set_error(a, errno);
		return -1;
	}
	err = connect_now(fd, o, now_ms() + o->timeout_ms);
	if (err) {
		if (err == ETIMEDOUT)
			snprintf(a->text, sizeof(a->text), "timeout");
		else
			set_error(a, err);
		close(fd);
		return -1;
	}
	return fd;
}

static struct tally_entry *tally_find(struct tally *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].key, key))
			return &t->v[i];
	return NULL;
}

static void tally_add(struct tally *t, const struct attempt *a)
{
	struct tally_entry *e;
	char key[KEY_MAX];

	if (!a->replied && !strncmp(a->text, "error", 5))
		snprintf(key, sizeof(key), "error");
	else
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(a->text, " "),
			 a->text);
	e = tally_find(t, key);
	/* Past MAX_KEYS distinct replies the run is broken anyway; lump the
	 * rest together so the counts still add up to COUNT. */
	if (!e && t->n == MAX_KEYS - 1) {
		snprintf(key, sizeof(key), "other");
		e = tally_find(t, key);
	}
	if (!e) {
		e = &t->v[t->n++];
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->count = 0;
	}
	e->count++;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void tally_print(struct tally *t)
{
	size_t i;

	qsort(t->v, t->n, sizeof(t->v[0]), key_cmp);
	for (i = 0; i < t->n; i++)
		printf("%s%s=%lu", i ? " " : "", t->v[i].key, t->v[i].count);
	printf("\n");
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: probe tcp|udp|sctp|hold ADDR PORT [-n COUNT] "
		"[-t TIMEOUT_MS] [-s SOURCE_ADDR] [-p PORT] [-i MS] [-q]\n"
		"  -n COUNT       attempts, each a new socket (default 1);\n"
		"                 hold: exchanges on one connection\n"
		"  -t TIMEOUT_MS  time allowed per attempt (default 2500)\n"
		"  -s SOURCE      bind to this source address (ADDR's family)\n"
		"  -p PORT        bind every attempt to this source port\n"
		"  -i MS          pause between attempts\n"
		"  -q             print the summary line only\n");
}

static int parse_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* TEXT as an IPv4 or IPv6 address with PORT (host order) into E. */
static int parse_endpoint(const char *text, unsigned short port,
			  union endpoint *e)
{
	memset(e, 0, sizeof(*e));
	if (inet_pton(AF_INET, text, &e->sin.sin_addr) == 1) {
		e->sin.sin_family = AF_INET;
		e->sin.sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &e->sin6.sin6_addr) == 1) {
		e->sin6.sin6_family = AF_INET6;
		e->sin6.sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

static int parse_flag(struct probe_options *o, int c, const char *arg)
{
	unsigned long v;

	switch (c) {
	case 'n':
		return parse_number(arg, 1000000, &o->count);
	case 't':
		if (parse_number(arg, 600000, &v) < 0)
			return -EINVAL;
		o->timeout_ms = (int)v;
		return 0;
	case 's':
		/* The port comes from -p, in either order: see bind_source. */
		return parse_endpoint(arg, 0, &o->source);
	case 'p':
		if (parse_number(arg, 65535, &v) < 0)
			return -EINVAL;
		o->source_port = (unsigned short)v;
		return 0;
	case 'i':
		if (parse_number(arg, 60000, &v) < 0)
			return -EINVAL;
		o->interval_ms = (int)v;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	default:
		return -EINVAL;
	}
}

static int parse_protocol(struct probe_options *o, const char *s)
{
	static const struct {
		const char *name;
		int type, proto;
		bool hold;
	} protocols[] = {
		{ "tcp", SOCK_STREAM, IPPROTO_TCP, false },
		{ "udp", SOCK_DGRAM, IPPROTO_UDP, false },
		{ "sctp", SOCK_STREAM, IPPROTO_SCTP, false },
		{ "hold", SOCK_STREAM, IPPROTO_TCP, true },
	};
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (!strcmp(s, protocols[i].name)) {
			o->type = protocols[i].type;
			o->proto = protocols[i].proto;
			o->hold = protocols[i].hold;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * The address attempts bind to, from -s and -p: -p alone binds the
 * wildcard address of the destination's family. A source of the other
 * family than the destination is a usage error.
 */
static int bind_source(struct probe_options *o)
{
	int family = o->dest.sa.sa_family;

	if (o->source.sa.sa_family && o->source.sa.sa_family != family)
		return -EINVAL;
	if (!o->source.sa.sa_family && !o->source_port)
		return 0;
	if (!o->source.sa.sa_family)
		o->source.sa.sa_family = (sa_family_t)family;
	if (family == AF_INET6)
		o->source.sin6.sin6_port = htons(o->source_port);
	else
		o->source.sin.sin_port = htons(o->source_port);
	return 0;
}

/* Flags may come before or after the operands (GNU getopt permutes). */
static int parse_args(int argc, char **argv, struct probe_options *o)
{
	unsigned long port;
	int c;

	o->count = 1;
	/* Past Linux's first SYN retransmission (1 s): a client whose first
	 * SYN is lost still connects, and so must a probe. Tests that expect
	 * a timeout pass -t. */
	o->timeout_ms = 2500;
	while ((c = getopt(argc, argv, "n:t:s:p:i:qh")) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (parse_flag(o, c, optarg) < 0)
			return -EINVAL;
	}
	if (argc - optind != 3 || parse_protocol(o, argv[optind]) < 0 ||
	    parse_number(argv[optind + 2], 65535, &port) < 0)
		return -EINVAL;
	if (parse_endpoint(argv[optind + 1], (unsigned short)port, &o->dest) < 0)
		return -EINVAL;
	return bind_source(o);
}

/* An attempt, or an exchange on the held connection *fd (-1: lost). */
static void next_attempt(const struct probe_options *o, int *fd,
			 struct attempt *a)
{
	if (!o->hold) {
		run_attempt(o, a);
		return;
	}
	if (*fd < 0) {
		a->replied = false;
		snprintf(a->text, sizeof(a->text), "lost");
		return;
	}
	hold_exchange(*fd, o, a);
	if (!a->replied) {
		close(*fd);
		*fd = -1;
	}
}

int main(int argc, char **argv)
{
	struct probe_options opts = { 0 };
	struct tally tally = { .n = 0 };
	struct attempt a = { .replied = false };
	unsigned long i, replies = 0;
	int held = -1;

	if (parse_args(argc, argv, &opts) < 0) {
		usage(stderr);
		return 2;
	}
	/* Line by line, so a caller that kills us still has every line. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opts.hold && (held = hold_connect(&opts, &a)) < 0)
		printf("%s\n", a.text);
	for (i = 0; i < opts.count; i++) {
		next_attempt(&opts, &held, &a);
		replies += a.replied;
		tally_add(&tally, &a);
		if (!opts.quiet)
			printf("%s\n", a.text);
		if (opts.interval_ms && i + 1 < opts.count)
			poll(NULL, 0, opts.interval_ms);
	}
	if (held >= 0)
		close(held);
	tally_print(&tally);
	return replies == opts.count ? 0 : 1;
}
