/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * podserver: the "pod" of the end-to-end tests. It runs inside a pod's
 * network namespace and answers every TCP connection and every UDP datagram
 * with its own name, so that a client can count which pod a Service sent it
 * to. With -s the reply also names the source address the server saw, so a
 * test can tell whether the traffic was masqueraded.
 *
 * Every port listens on both families: an IPv4 socket and, beside it, an
 * IPv6 one with IPV6_V6ONLY (so the two never fight over the port and an
 * IPv4 peer is never shown as ::ffff:a.b.c.d). Where the kernel has no IPv6
 * the IPv6 socket is left out.
 *
 *   podserver [-s] [-p PIDFILE] [-T SECONDS] NAME tcp:PORT|udp:PORT|sctp:PORT|hold:PORT...
 *
 * hold:PORT is TCP that keeps each connection open and answers every line
 * the client sends with the name line, for long-lived connections (probe
 * hold); at most MAX_HELD at once, further ones are closed at once.
 *
 * Single process, poll()-based. SIGTERM or SIGINT ends it; -T bounds its
 * lifetime so that a server a test forgot to kill still goes away. The pid
 * file is written once every socket listens, so it doubles as "ready".
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LISTENERS 64	/* two per port: IPv4 and IPv6 */
#define MAX_HELD 32
#define REPLY_MAX 128

enum listener_kind {
	LISTEN_STREAM,		/* TCP or SCTP: accept, reply, close */
	LISTEN_DGRAM,		/* UDP: reply to each datagram */
	LISTEN_HOLD,		/* TCP: accept, reply to each line, keep open */
};

struct listener {
	int fd;
	enum listener_kind kind;
};

struct server {
	const char *name;
	bool show_source;
	struct listener listeners[MAX_LISTENERS];
	size_t nlisteners;
	int held[MAX_HELD];	/* open hold: connections */
	size_t nheld;
	int signal_fd;
};

static int parse_port(const char *s, unsigned short *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (unsigned short)v;
	return 0;
}

/* The wildcard address of FAMILY on PORT. Returns its length. */
static socklen_t any_address(int family, unsigned short port,
			     struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_any;
		return sizeof(*sin6);
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_ANY);
	return sizeof(*sin);
}

/*
 * One listening socket of FAMILY for "PROTO:PORT". Returns the fd,
 * -EPROTONOSUPPORT when the kernel lacks the protocol, -EAFNOSUPPORT when
 * it lacks the family, or another -errno.
 */
static int open_listener(int family, int type, int proto, unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t len = any_address(family, port, &ss);
	int one = 1;
	int fd, err;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

struct protocol {
	const char *prefix;	/* "tcp:" in "tcp:PORT" */
	int type, proto;
	enum listener_kind kind;
};

static const struct protocol protocols[] = {
	{ "tcp:", SOCK_STREAM, IPPROTO_TCP, LISTEN_STREAM },
	{ "udp:", SOCK_DGRAM, IPPROTO_UDP, LISTEN_DGRAM },
	{ "sctp:", SOCK_STREAM, IPPROTO_SCTP, LISTEN_STREAM },
	{ "hold:", SOCK_STREAM, IPPROTO_TCP, LISTEN_HOLD },
};

static const struct protocol *find_protocol(const char *spec)
{
	size_t i;

	for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (!strncmp(spec, protocols[i].prefix,
			     strlen(protocols[i].prefix)))
			return &protocols[i];
	return NULL;
}

/* The socket of one family for a port spec, kept in srv. */
static int add_family_listener(struct server *srv, const struct protocol *p,
			       int family, unsigned short port)
{
	int fd;

	if (srv->nlisteners == MAX_LISTENERS)
		return -E2BIG;
	fd = open_listener(family, p->type, p->proto, port);
	/* A kernel built without SCTP (or with it blacklisted) says so at
	 * socket(); the tests treat SCTP as optional, so skip it quietly. */
	if (fd == -EPROTONOSUPPORT || fd == -ESOCKTNOSUPPORT)
		return p->proto == IPPROTO_SCTP ? 0 : fd;
	/* A kernel without IPv6 (ipv6.disable=1) refuses the family at
	 * socket(); the IPv4 tests must still run there. */
	if (fd == -EAFNOSUPPORT && family == AF_INET6)
		return 0;
	if (fd < 0)
		return fd;
	srv->listeners[srv->nlisteners].fd = fd;
	srv->listeners[srv->nlisteners].kind = p->kind;
	srv->nlisteners++;
	return 0;
}

static int add_listener(struct server *srv, const char *spec)
{
	const struct protocol *p = find_protocol(spec);
	unsigned short port;
	int err;

	if (!p || parse_port(spec + strlen(p->prefix), &port) < 0)
		return -EINVAL;
	err = add_family_listener(srv, p, AF_INET, port);
	if (err < 0)
		return err;
	return add_family_listener(srv, p, AF_INET6, port);
}

/* The peer's address as text, "?" when it is neither family. */
static void peer_text(const struct sockaddr_storage *peer, char *buf,
		      size_t len)
{
	const void *addr = NULL;

	if (peer->ss_family == AF_INET)
		addr = &((const struct sockaddr_in *)peer)->sin_addr;
	else if (peer->ss_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)peer)->sin6_addr;
	if (!addr || !inet_ntop(peer->ss_family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static int format_reply(const struct server *srv,
			const struct sockaddr_storage *peer, char *buf,
			size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int n;

	if (!srv->show_source)
		n = snprintf(buf, len, "%s\n", srv->name);
	else {
		peer_text(peer, addr, sizeof(addr));
		n = snprintf(buf, len, "%s %s\n", srv->name, addr);
	}
	return n < 0 || (size_t)n >= len ? (int)len - 1 : n;
}

static void serve_stream(const struct server *srv, int lfd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char reply[REPLY_MAX];
	int fd, n;

	fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	if (fd < 0)
		return;	/* the client gave up already: nothing to answer */
	n = format_reply(srv, &peer, reply, sizeof(reply));
	/* A fresh socket's send buffer always holds a short reply, so this
	 * blocking send cannot stall the loop. */
	if (send(fd, reply, (size_t)n, MSG_NOSIGNAL) == n)
		shutdown(fd, SHUT_WR);
	close(fd);
}

static void serve_dgram(const struct server *srv, int fd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[512], reply[REPLY_MAX];
	int n;

	if (recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		     (struct sockaddr *)&peer, &plen) < 0)
		return;
	n = format_reply(srv, &peer, reply, sizeof(reply));
	sendto(fd, reply, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&peer,
	       plen);
}

static void hold_accept(struct server *srv, int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (srv->nheld == MAX_HELD) {
		close(fd);
		return;
	}
	srv->held[srv->nheld++] = fd;
}

/* One line in, the name line out; the client closing ends it. Returns
 * false when the connection is gone. */
static bool hold_serve(const struct server *srv, int fd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[512], reply[REPLY_MAX];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	int len;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0 || getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
		return false;
	len = format_reply(srv, &peer, reply, sizeof(reply));
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\n' &&
		    send(fd, reply, (size_t)len, MSG_NOSIGNAL) != len)
			return false;
	return true;
}

static void hold_close(struct server *srv, size_t i)
{
	close(srv->held[i]);
	srv->held[i] = srv->held[--srv->nheld];
}

static int open_signal_fd(unsigned lifetime)
{
	static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGALRM };
	sigset_t mask;
	size_t i;
	int fd;

	sigemptyset(&mask);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
		/* A shell starts background jobs with SIGINT ignored, and an
		 * ignored signal never reaches a signalfd: restore the default
		 * (harmless, since the signal is blocked from here on). */
		signal(stop_signals[i], SIG_DFL);
		sigaddset(&mask, stop_signals[i]);
	}
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (lifetime)
		alarm(lifetime);
	return fd;
}

/* Listeners, the signal fd, then the held connections. */
static size_t poll_set(const struct server *srv, struct pollfd *pfd)
{
	size_t n = 0;

	for (size_t i = 0; i < srv->nlisteners; i++)
		pfd[n++] = (struct pollfd){ .fd = srv->listeners[i].fd,
					    .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = srv->signal_fd, .events = POLLIN };
	for (size_t i = 0; i < srv->nheld; i++)
		pfd[n++] = (struct pollfd){ .fd = srv->held[i], .events = POLLIN };
	return n;
}

static void serve_ready(struct server *srv, const struct pollfd *pfd)
{
	size_t i, nheld = srv->nheld;

	/* Held connections first, from the last: closing one moves the
	 * last into its slot, and new ones are added after. */
	for (i = nheld; i-- > 0;)
		if (pfd[srv->nlisteners + 1 + i].revents &&
		    !hold_serve(srv, srv->held[i]))
			hold_close(srv, i);
	for (i = 0; i < srv->nlisteners; i++) {
		if (!(pfd[i].revents & POLLIN))
			continue;
		if (srv->listeners[i].kind == LISTEN_STREAM)
			serve_stream(srv, pfd[i].fd);
		else if (srv->listeners[i].kind == LISTEN_HOLD)
			hold_accept(srv, pfd[i].fd);
		else
			serve_dgram(srv, pfd[i].fd);
	}
}

/* Runs until a signal arrives. Returns 0, or -errno when poll fails. */
static int serve(struct server *srv)
{
	struct pollfd pfd[MAX_LISTENERS + 1 + MAX_HELD];

	for (;;) {
		size_t n = poll_set(srv, pfd);

		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[srv->nlisteners].revents)
			return 0;
		serve_ready(srv, pfd);
	}
}

static int write_pid_file(const char *path)
{
	FILE *f;
	int ret = 0;

	if (!path)
		return 0;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", (long)getpid()) < 0)
		ret = -EIO;
	if (fclose(f) != 0 && !ret)
		ret = -errno;
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: podserver [-s] [-p PIDFILE] [-T SECONDS] NAME "
		"tcp:PORT|udp:PORT|sctp:PORT|hold:PORT...\n"
		"  -s          reply \"NAME SOURCE_ADDR\" instead of \"NAME\"\n"
		"  -p PIDFILE  write the pid there once every port listens\n"
		"  -T SECONDS  exit by itself after that long (default: never)\n");
}

struct options {
	bool show_source;
	const char *pid_file;
	unsigned lifetime;
};

/* Returns the index of NAME in argv, or -1 after printing usage. */
static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	while ((c = getopt(argc, argv, "+sp:T:h")) != -1) {
		switch (c) {
		case 's':
			o->show_source = true;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'T':
			o->lifetime = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return -1;
	}
	return optind;
}

static void close_listeners(struct server *srv)
{
	size_t i;

	for (i = 0; i < srv->nlisteners; i++)
		close(srv->listeners[i].fd);
	for (i = 0; i < srv->nheld; i++)
		close(srv->held[i]);
	if (srv->signal_fd >= 0)
		close(srv->signal_fd);
}

int main(int argc, char **argv)
{
	struct options opts = { 0 };
	struct server srv = { .signal_fd = -1 };
	int first, i, err, status = 1;

	first = parse_options(argc, argv, &opts);
	if (first < 0)
		return 2;
	srv.name = argv[first];
	srv.show_source = opts.show_source;
	for (i = first + 1; i < argc; i++) {
		err = add_listener(&srv, argv[i]);
		if (err < 0) {
			fprintf(stderr, "podserver %s: %s: %s\n", srv.name,
				argv[i], strerror(-err));
			goto out;
		}
	}
	srv.signal_fd = open_signal_fd(opts.lifetime);
	err = srv.signal_fd < 0 ? srv.signal_fd : write_pid_file(opts.pid_file);
	if (err >= 0)
		err = serve(&srv);
	if (err < 0)
		fprintf(stderr, "podserver %s: %s\n", srv.name, strerror(-err));
	else
		status = 0;
out:
	close_listeners(&srv);
	return status;
}
