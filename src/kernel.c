// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel facade: each call is one netlink conversation over libmnl,
 * with the messages built and parsed by netlink_*.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "conntrack.h"
#include "kernel.h"
#include "kernel_int.h"
#include "netlink.h"
#include "util.h"

/*
 * Large enough for any one reply: dump replies come in skbs of at most
 * 32 KiB, and an error on a kernel without NETLINK_CAP_ACK echoes the whole
 * failing request (up to NL_MSG_MAX).
 */
#define RECV_BUF (128u * 1024)
/* A request: header and two names. Zeroed before use: libmnl 1.0.4 does
 * not clear attribute padding. */
#define REQ_BUF 2048u
/* Bounded retries when the ruleset changes under us. */
#define GET_ATTEMPTS 5
#define APPLY_ATTEMPTS 5
/* What one queued NLMSG_ERROR costs the receive buffer (skb truesize). */
#define ACK_TRUESIZE 1024u

struct conn {
	struct mnl_socket *nl;
	struct kernel_io *io;
	uint32_t portid;
	uint32_t seq;
	char *buf;
};

static void conn_close(struct conn *c)
{
	if (c->nl)
		mnl_socket_close(c->nl);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/* ---- the transport seam (kernel_int.h): the socket, or a unit test's fake */

static ssize_t socket_send(void *ctx, int fd, const struct msghdr *msg)
{
	(void)ctx;
	return sendmsg(fd, msg, 0);
}

static ssize_t socket_recv(void *ctx, int fd, void *buf, size_t len, int flags)
{
	struct sockaddr_nl peer;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_name = &peer, .msg_namelen = sizeof(peer),
			      .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &msg, flags);

	(void)ctx;
	if (n >= 0 && (msg.msg_flags & MSG_TRUNC)) {
		errno = ENOSPC;		/* as mnl_socket_recvfrom() */
		return -1;
	}
	return n;
}

/*
 * The test-only fault switch, for a process that lives on (watch): when
 * SVCNFT_TEST_FAULT_FILE names a file that exists, its first line is the
 * spec, so a test turns faults on and off without restarting svcnft.
 */
static const char *fault_from_file(char *buf, size_t len)
{
	const char *path = getenv("SVCNFT_TEST_FAULT_FILE");
	FILE *f = path && *path ? fopen(path, "re") : NULL;
	const char *spec = NULL;

	if (!f)
		return NULL;
	if (fgets(buf, (int)len, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		spec = buf;
	}
	fclose(f);
	return spec;
}

/*
 * The switch counts batches over the process's life, so that a long-lived
 * watch can be made to fail its N-th batch only (a one-shot command makes
 * one call); a changed spec counts from the start again.
 */
static struct {
	char spec[64];
	struct kernel_fault f;
} fault_state;

/* The socket, and the test-only fault switch: read here and nowhere else. */
static int io_default(struct kernel_io *io)
{
	const char *fault = getenv("SVCNFT_TEST_FAULT");
	char buf[64];
	int ret;

	memset(io, 0, sizeof(*io));
	io->send = socket_send;
	io->recv = socket_recv;
	if (!fault || !*fault)
		fault = fault_from_file(buf, sizeof(buf));
	if (!fault || !*fault || strlen(fault) >= sizeof(fault_state.spec)) {
		fault_state.spec[0] = '\0';
		return fault && *fault ? -EINVAL : 0;
	}
	if (strcmp(fault, fault_state.spec)) {
		ret = kernel_fault_parse(&fault_state.f, fault);
		if (ret < 0)
			return ret;
		strcpy(fault_state.spec, fault);
	}
	io->fault = fault_state.f;
	return 0;
}

/* After a call through io_default: the batches it sent count on. */
static void io_done(const struct kernel_io *io)
{
	if (fault_state.spec[0])
		fault_state.f.sent = io->fault.sent;
}

/* ---- end of the seam */

static int conn_open(struct conn *c, struct kernel_io *io)
{
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->io = io;
	c->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!c->nl)
		return -errno;
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int ret = -errno;

		conn_close(c);
		return ret;
	}
	c->portid = mnl_socket_get_portid(c->nl);
	c->seq = (uint32_t)time(NULL);
	c->buf = xmalloc(RECV_BUF);
	/* Extended acks name the failing attribute (which element of an
	 * element message); capped acks do not echo the request back, so an
	 * error costs the receive buffer a few dozen bytes, not 64 KiB.
	 * (CAP_ACK since Linux 4.3, EXT_ACK since 4.12; where setting one
	 * fails we only lose that detail.) */
	mnl_socket_setsockopt(c->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(c->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

/*
 * SO_*BUFFORCE ignores net.core.[rw]mem_max but needs CAP_NET_ADMIN in the
 * initial user namespace; the plain option is capped at the sysctl (so in
 * a user namespace a batch over wmem_max fails with EMSGSIZE, as with nft).
 * The kernel doubles the value.
 */
static void conn_set_buf(struct conn *c, int force_opt, int opt, size_t want)
{
	int fd = mnl_socket_get_fd(c->nl);
	int v = want > INT_MAX / 2 ? INT_MAX / 2 : (int)want;

	if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

static void conn_size_for(struct conn *c, const struct nl_batch *b)
{
	/* netlink_sendmsg() refuses with EMSGSIZE a message longer than
	 * sk_sndbuf - 32: the whole batch is one skb. */
	conn_set_buf(c, SO_SNDBUFFORCE, SO_SNDBUF, b->bytes + 4096);
	/* In the worst case every message fails and its error is queued
	 * before sendmsg() returns; a full receive buffer drops errors
	 * (ENOBUFS on the next read). */
	conn_set_buf(c, SO_RCVBUFFORCE, SO_RCVBUF,
		     b->messages * ACK_TRUESIZE + RECV_BUF);
}

/* One request, then replies until its ack or NLMSG_DONE. */
static int conn_talk(struct conn *c, const struct nlmsghdr *nlh, mnl_cb_t cb,
		     void *data)
{
	struct sockaddr_nl peer = { .nl_family = AF_NETLINK };
	struct iovec iov = { .iov_base = (void *)nlh, .iov_len = nlh->nlmsg_len };
	struct msghdr msg = { .msg_name = &peer, .msg_namelen = sizeof(peer),
			      .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = mnl_socket_get_fd(c->nl);
	ssize_t n;
	int ret;

	if (c->io->send(c->io->ctx, fd, &msg) < 0)
		return -errno;
	do {
		n = c->io->recv(c->io->ctx, fd, c->buf, RECV_BUF, 0);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPROTO;		/* early EOF */
		errno = 0;
		/* libmnl turns NLMSG_ERROR into errno and NLM_F_DUMP_INTR
		 * (the ruleset changed during the dump) into EINTR. */
		ret = mnl_cb_run(c->buf, n, nlh->nlmsg_seq, c->portid, cb, data);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return errno ? -errno : -EPROTO;
	return 0;
}

static int genid_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_gen *gen = nftnl_gen_alloc();
	int ret = MNL_CB_ERROR;

	if (!gen)
		out_of_memory();
	if (nftnl_gen_nlmsg_parse(nlh, gen) == 0) {
		*(uint32_t *)data = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
		ret = MNL_CB_OK;
	} else {
		errno = EPROTO;
	}
	nftnl_gen_free(gen);
	return ret;
}

static int get_genid(struct conn *c, uint32_t *genid)
{
	char buf[REQ_BUF] = { 0 };
	struct nlmsghdr *nlh;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK,
				    ++c->seq);
	return conn_talk(c, nlh, genid_cb, genid);
}

static int parse_cb(const struct nlmsghdr *nlh, void *data)
{
	int ret = nl_parse_msg(data, nlh);

	if (ret < 0) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int read_table(struct conn *c, struct nl_parser *p)
{
	struct nftnl_table *nt = nftnl_table_alloc();
	char buf[REQ_BUF] = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	if (!nt)
		out_of_memory();
	nftnl_table_set_str(nt, NFTNL_TABLE_NAME, p->table);
	/* A get, not a dump: ENOENT when the table does not exist. */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, p->family, NLM_F_ACK,
				    ++c->seq);
	nftnl_table_nlmsg_build_payload(nlh, nt);
	nftnl_table_free(nt);
	ret = conn_talk(c, nlh, parse_cb, p);
	return !ret && !p->have_table ? -ENOENT : ret;
}

/* The kernel filters set and rule dumps by table; chain dumps only by
 * family, so the parser drops other tables' chains. */
static int read_sets(struct conn *c, struct nl_parser *p, uint16_t type,
		     const char *set)
{
	struct nftnl_set *s = nftnl_set_alloc();
	char buf[REQ_BUF] = { 0 };
	struct nlmsghdr *nlh;

	if (!s)
		out_of_memory();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, p->table);
	if (set)
		nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nlh = nftnl_nlmsg_build_hdr(buf, type, p->family, NLM_F_DUMP, ++c->seq);
	if (type == NFT_MSG_GETSETELEM)
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	else
		nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return conn_talk(c, nlh, parse_cb, p);
}

static int read_chains(struct conn *c, struct nl_parser *p)
{
	struct nftnl_chain *nc = nftnl_chain_alloc();
	char buf[REQ_BUF] = { 0 };
	struct nlmsghdr *nlh;

	if (!nc)
		out_of_memory();
	nftnl_chain_set_str(nc, NFTNL_CHAIN_TABLE, p->table);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, p->family,
				    NLM_F_DUMP, ++c->seq);
	nftnl_chain_nlmsg_build_payload(nlh, nc);
	nftnl_chain_free(nc);
	return conn_talk(c, nlh, parse_cb, p);
}

static int read_rules(struct conn *c, struct nl_parser *p, const char *chain,
		      mnl_cb_t cb)
{
	struct nftnl_rule *nr = nftnl_rule_alloc();
	char buf[REQ_BUF] = { 0 };
	struct nlmsghdr *nlh;

	if (!nr)
		out_of_memory();
	nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, p->table);
	nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN, chain);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, p->family,
				    NLM_F_DUMP, ++c->seq);
	nftnl_rule_nlmsg_build_payload(nlh, nr);
	nftnl_rule_free(nr);
	return conn_talk(c, nlh, cb, p);
}

/* While two readers fill one table, a reply may add rules and nothing
 * else: anything else could grow the table under the other reader. */
static int rules_only_cb(const struct nlmsghdr *nlh, void *data)
{
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWRULE) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	return parse_cb(nlh, data);
}

/* The rules of every step-th chain from first on. */
static int read_rules_of(struct conn *c, struct nl_parser *p, size_t first,
			 size_t step)
{
	mnl_cb_t cb = step > 1 ? rules_only_cb : parse_cb;
	int ret = 0;

	for (size_t i = first; !ret && i < p->out->nchains; i += step)
		ret = read_rules(c, p, p->out->chains[i].name, cb);
	return ret;
}

/*
 * A second reader of rule dumps, on a socket and a thread of its own (a
 * socket runs one dump at a time). Its parser is a copy of the first one:
 * rule messages only read the table's chain index, and each reader adds
 * rules to chains the other does not touch.
 */
struct rule_reader {
	struct conn c;
	struct nl_parser p;
	int ret;
};

static void *rule_reader_run(void *arg)
{
	struct rule_reader *r = arg;

	r->ret = read_rules_of(&r->c, &r->p, 1, 2);
	return NULL;
}

/* Every chain's rules, over two sockets at once when a second one and a
 * thread can be had, else over c alone. */
static int read_rules_two(struct conn *c, struct nl_parser *p)
{
	struct rule_reader r = { .p = *p };
	pthread_t thread;
	int ret;

	if (conn_open(&r.c, c->io) < 0)
		return read_rules_of(c, p, 0, 1);
	if (pthread_create(&thread, NULL, rule_reader_run, &r)) {
		conn_close(&r.c);
		return read_rules_of(c, p, 0, 1);
	}
	ret = read_rules_of(c, p, 0, 2);
	pthread_join(thread, NULL);
	conn_close(&r.c);
	return ret ? ret : r.ret;
}

/* What a read covers: everything, or (maps) the table's maps with the
 * elements of those named only, and no chains. */
struct read_scope {
	const char *const *maps;
	size_t nmaps;
};

static bool in_scope(const struct read_scope *scope, const char *map)
{
	if (!scope)
		return true;
	for (size_t k = 0; k < scope->nmaps; k++)
		if (!strcmp(map, scope->maps[k]))
			return true;
	return false;
}

/* The table, its maps, and the elements of those in scope (NULL: all). */
static int read_maps(struct conn *c, struct nl_parser *p,
		     const struct read_scope *scope)
{
	int ret = read_table(c, p);

	if (!ret)
		ret = read_sets(c, p, NFT_MSG_GETSET, NULL);
	for (size_t i = 0; !ret && i < p->out->nmaps; i++)
		if (!p->foreign_maps[i] && in_scope(scope, p->out->maps[i].name))
			ret = read_sets(c, p, NFT_MSG_GETSETELEM, p->out->maps[i].name);
	return ret;
}

/* Table, maps, their elements, chains, rules: each before what needs it.
 * two_sockets: read rules over two sockets at once (the real kernel only:
 * a unit test's fake answers one conversation at a time). */
static int read_objects(struct conn *c, struct nl_parser *p, bool two_sockets)
{
	int ret = read_maps(c, p, NULL);

	if (!ret)
		ret = read_chains(c, p);
	/*
	 * Rules one chain at a time: each part of a whole-table rule dump
	 * (at most 32 KiB) walks the table's rules again from the first one
	 * to find where the previous part stopped, which makes that dump
	 * quadratic (Linux 6.18: 0.9 s at 10k chains x 10 rules, against
	 * 0.3 s for one small dump per chain, which the kernel finds by
	 * hash).
	 */
	if (!ret)
		ret = two_sockets ? read_rules_two(c, p) : read_rules_of(c, p, 0, 1);
	return ret;
}

/* One consistent read, or -EINTR when the ruleset changed during it;
 * *genid is the generation it saw. scope NULL: the whole table. */
static int read_once(struct kernel_io *io, uint8_t family, const char *name,
		     struct rs_table *out, uint32_t *genid,
		     const struct read_scope *scope)
{
	uint32_t gen_before = 0, gen_after = 0;
	struct nl_parser p;
	struct conn c;
	int ret = conn_open(&c, io);

	if (ret < 0)
		return ret;
	nl_parser_init(&p, family, name, out);
	ret = get_genid(&c, &gen_before);
	if (!ret)
		ret = scope ? read_maps(&c, &p, scope) : read_objects(&c, &p, true);
	if (!ret)
		ret = get_genid(&c, &gen_after);
	if (!ret && gen_before != gen_after)
		ret = -EINTR;
	*genid = gen_before;
	if (ret < 0)
		rs_table_free(out);
	nl_parser_free(&p);
	/* A fresh socket per attempt: an interrupted dump leaves its
	 * remaining replies queued on the old one. */
	conn_close(&c);
	return ret;
}

/* EINTR: the ruleset changed during the read; ENOBUFS: replies were
 * dropped. Either way the read is incomplete and is made again. */
static int read_consistent(struct kernel_io *io, uint8_t family,
			   const char *name, struct rs_table *out,
			   uint32_t *genid, const struct read_scope *scope)
{
	int ret = -EINVAL;

	if (!name || !out)
		return ret;
	for (int attempt = 0; attempt < GET_ATTEMPTS; attempt++) {
		ret = read_once(io, family, name, out, genid, scope);
		if (ret != -EINTR && ret != -ENOBUFS)
			break;
	}
	return ret == -EINTR ? -EAGAIN : ret;
}

int kernel_table_get(uint8_t family, const char *name, struct rs_table *out)
{
	struct kernel_io io;
	uint32_t genid;
	int ret = io_default(&io);

	return ret < 0 ? ret : read_consistent(&io, family, name, out, &genid, NULL);
}

int kernel_table_get_maps(uint8_t family, const char *name,
			  const char *const *maps, size_t nmaps,
			  struct rs_table *out, uint32_t *genid)
{
	struct read_scope scope = { maps, nmaps };
	struct kernel_io io;
	int ret = io_default(&io);

	return ret < 0 ? ret : read_consistent(&io, family, name, out, genid, &scope);
}

/* What the kernel said about a batch. */
struct batch_result {
	int err;		/* the first error, or 0 */
	uint32_t err_seq;
	uint32_t bad_attr;	/* NLMSGERR_ATTR_OFFS of that error, or 0 */
	unsigned acks;		/* replies to messages that asked for one */
	bool done;
};

/* The whole batch as one sendmsg(): the kernel applies a batch only when
 * it arrives in one skb. */
static int batch_send(struct conn *c, const struct nl_batch *b)
{
	struct sockaddr_nl peer = { .nl_family = AF_NETLINK };
	int n = nftnl_batch_iovec_len(b->batch);
	struct msghdr msg = { .msg_name = &peer, .msg_namelen = sizeof(peer) };
	struct iovec *iov;
	ssize_t sent;
	int ret;

	if (n > IOV_MAX)
		return -EMSGSIZE;	/* see NL_PAGE_SIZE: over 1 GiB */
	iov = xcalloc(n, sizeof(*iov));
	nftnl_batch_iovec(b->batch, iov, n);
	msg.msg_iov = iov;
	msg.msg_iovlen = n;
	ret = kernel_fault_inject(&c->io->fault, b, iov, n);
	if (ret < 0)
		goto out;
	sent = c->io->send(c->io->ctx, mnl_socket_get_fd(c->nl), &msg);
	ret = sent < 0 ? -errno : (size_t)sent != b->bytes ? -EMSGSIZE : 0;
out:
	free(iov);
	return ret;
}

/* The offset of the failing attribute in the failing message, or 0. */
static uint32_t ext_ack_offset(const struct nlmsghdr *nlh,
			       const struct nlmsgerr *e)
{
	size_t off = sizeof(*e);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))	/* request echoed first */
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return 0;
	mnl_attr_for_each(a, nlh, off)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			return mnl_attr_get_u32(a);
	return 0;
}

static void batch_reply(const struct nlmsghdr *nlh, const struct nl_batch *b,
			struct batch_result *res)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	uint32_t seq = nlh->nlmsg_seq;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e) || !nl_batch_ref(b, seq))
		return;
	if (e->error && !res->err) {
		res->err = e->error;
		res->err_seq = seq;
		res->bad_attr = ext_ack_offset(nlh, e);
	}
	if (seq == b->seq_ack) {
		res->acks++;
		res->done = true;	/* errors come in order: this is last */
	}
	/* An error on the batch begin (EPERM, ERESTART for a stale
	 * generation, ENOMEM) refuses the whole batch: nothing follows. */
	if (e->error && seq == b->seq_first)
		res->done = true;
}

/*
 * nfnetlink processes the batch synchronously inside sendmsg() and queues
 * its replies before sendmsg() returns: one NLMSG_ERROR per failing message
 * plus the ack of the last message, which alone asked for one (100k acks
 * would overflow any receive buffer). So this reads without blocking until
 * that ack; running dry before it is a failure.
 */
static int batch_recv(struct conn *c, const struct nl_batch *b,
		      struct batch_result *res)
{
	int fd = mnl_socket_get_fd(c->nl);

	memset(res, 0, sizeof(*res));
	while (!res->done) {
		ssize_t n = c->io->recv(c->io->ctx, fd, c->buf, RECV_BUF,
					MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)c->buf;
		int len = (int)n;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return res->err ? res->err : -EPROTO;
		if (n < 0)	/* ENOBUFS: replies were dropped */
			return -errno;
		if (n == 0)
			return -EPROTO;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			batch_reply(nlh, b, res);
	}
	if (res->err)
		return res->err;
	return res->acks == 1 ? 0 : -EPROTO;	/* we asked for one */
}

/* ts[part]: the table the refs of that part of b index. */
static void error_fill(struct kernel_error *err, int code,
		       const struct nl_batch *b, const struct rs_table *const *ts,
		       const struct nl_msg_ref *ref, uint32_t bad_attr)
{
	const struct rs_table *t = ts[0];

	if (!err)
		return;
	kernel_error_free(err);
	err->err = code;
	if (ref && ref->part < b->nparts)
		t = ts[ref->part];
	nl_batch_describe(b, t, ref, bad_attr, &err->object, &err->service);
}

/*
 * A full replace depends on nothing read from the kernel, so it is sent
 * without a generation (NFNL_BATCH_GENID 0): stamping it would only make it
 * fail under another agent's frequent commits, and protect nothing.
 */
static int batch_talk(struct conn *c, struct nl_batch *b,
		      struct batch_result *res)
{
	int ret = batch_send(c, b);

	return ret ? ret : batch_recv(c, b, res);
}

static double seconds_since(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) + (now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Send batch b, built with result built; ts[part] is what the refs of
 * each part (table) of b index. */
static int batch_run(struct conn *c, struct nl_batch *b, int built,
		     const struct rs_table *const *ts, struct kernel_stats *stats,
		     struct kernel_error *err)
{
	struct batch_result res = { 0 };
	struct timespec start;
	int ret = built;

	if (ret < 0) {
		error_fill(err, ret, b, ts, &b->build_failed, 0);
		return ret;
	}
	c->seq = b->seq_end;	/* later requests must not reuse its seqs */
	conn_size_for(c, b);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ret = batch_talk(c, b, &res);
	stats->kernel_seconds += seconds_since(&start);
	stats->messages += b->messages;
	stats->bytes += b->bytes;
	stats->batches++;
	if (ret < 0)
		error_fill(err, ret, b, ts,
			   res.err ? nl_batch_ref(b, res.err_seq) : NULL,
			   res.bad_attr);
	return ret;
}

/* After the ruleset changed: UDP flows that conntrack would keep sending
 * to a removed endpoint, or keep refusing, are deleted. A failure here
 * leaves the new ruleset in place and is reported, not undone. */
static void flush_stale_udp(const struct rs_table *before,
			    const struct rs_table *after, struct kernel_stats *stats)
{
	struct rs_stale_flow *flows;
	size_t n = rs_stale_udp_flows(before, after, &flows);
	unsigned deleted = 0;
	int ret;

	if (n) {
		ret = conntrack_delete_udp(flows, n, &deleted);
		stats->conntrack_deleted += deleted;
		if (ret < 0)
			stats->conntrack_err = ret;
	}
	free(flows);
}

/* What one attempt at several tables works on. */
struct multi {
	const struct rs_table *const *want;
	size_t n;
	struct rs_table have[KERNEL_TABLES_MAX];
	bool exists[KERNEL_TABLES_MAX];
	struct rs_diff d[KERNEL_TABLES_MAX];
	uint32_t genid;
};

/* One table into out; a table that does not exist is not an error. */
static int read_one(struct conn *c, const struct rs_table *want,
		    struct rs_table *out, bool *exists)
{
	struct nl_parser p;
	int ret;

	nl_parser_init(&p, want->family, want->name, out);
	ret = read_objects(c, &p, false);
	*exists = ret != -ENOENT;
	nl_parser_free(&p);
	return ret == -ENOENT ? 0 : ret;
}

/* Every table, within one generation (-EINTR when it moved on). */
static int read_all_once(struct kernel_io *io, struct multi *m)
{
	uint32_t gen_before = 0, gen_after = 0;
	struct conn c;
	int ret = conn_open(&c, io);

	if (ret < 0)
		return ret;
	ret = get_genid(&c, &gen_before);
	for (size_t i = 0; !ret && i < m->n; i++)
		ret = read_one(&c, m->want[i], &m->have[i], &m->exists[i]);
	if (!ret)
		ret = get_genid(&c, &gen_after);
	if (!ret && gen_before != gen_after)
		ret = -EINTR;
	m->genid = gen_before;
	for (size_t i = 0; ret < 0 && i < m->n; i++)
		rs_table_free(&m->have[i]);
	/* a fresh socket per attempt: see read_once */
	conn_close(&c);
	return ret;
}

static int read_all(struct kernel_io *io, struct multi *m)
{
	int ret = -EINVAL;

	for (int attempt = 0; attempt < GET_ATTEMPTS; attempt++) {
		ret = read_all_once(io, m);
		if (ret != -EINTR && ret != -ENOBUFS)
			break;
	}
	return ret == -EINTR ? -EAGAIN : ret;
}

/* What the refs of d's part of a batch index. */
static const struct rs_table *diff_table(const struct rs_diff *d, bool late)
{
	if (late)
		return &d->del;
	return d->mode == RS_DIFF_UPDATE ? &d->add : d->want;
}

/*
 * One batch holding the change of every table that has one (late: the
 * second transactions' chain deletions), stamped with genid.
 */
static int send_all(struct conn *c, struct multi *m, bool late,
		    uint32_t genid, struct kernel_stats *stats,
		    struct kernel_error *err)
{
	const struct rs_table *ts[KERNEL_TABLES_MAX] = { m->want[0] };
	struct nl_batch b = { 0 };
	int ret = nl_batch_open(&b, c->seq + 1, genid);

	for (size_t i = 0; !ret && i < m->n; i++) {
		if (late ? !rs_diff_late_chains(&m->d[i]) : rs_diff_empty(&m->d[i]))
			continue;
		ts[b.nparts] = diff_table(&m->d[i], late);
		ret = late ? nl_batch_add_late(&b, &m->d[i]) :
			     nl_batch_add_diff(&b, &m->d[i]);
	}
	if (!ret)
		ret = nl_batch_close(&b);
	ret = batch_run(c, &b, ret, ts, stats, err);
	nl_batch_free(&b);
	return ret;
}

/*
 * The first transaction, then (when some chains wait for it) the second,
 * stamped with the generation the first one made: its failure changes
 * nothing a packet sees and is left to the next apply, so it is not an
 * error.
 */
static int send_diffs(struct kernel_io *io, struct multi *m,
		      struct kernel_stats *stats, struct kernel_error *err)
{
	bool late = false;
	struct conn c;
	int ret = conn_open(&c, io);

	if (ret < 0)
		return ret;
	ret = send_all(&c, m, false, m->genid, stats, err);
	for (size_t i = 0; i < m->n; i++)
		late = late || rs_diff_late_chains(&m->d[i]);
	if (!ret && late)
		send_all(&c, m, true, m->genid + 1, stats, NULL);
	conn_close(&c);
	return ret;
}

/* What several tables' changes were, as one: a replace when any table is
 * replaced, otherwise an update, a create, or nothing. */
static enum rs_diff_mode merged_mode(const struct multi *m)
{
	static const enum rs_diff_mode order[] = {
		RS_DIFF_REPLACE, RS_DIFF_UPDATE, RS_DIFF_CREATE };

	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		for (size_t i = 0; i < m->n; i++)
			if (m->d[i].mode == order[k])
				return order[k];
	return RS_DIFF_NONE;
}

static void count_changes(const struct multi *m, struct rs_diff_counts *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < m->n; i++) {
		struct rs_diff_counts c;

		rs_diff_count(&m->d[i], &c);
		sum->chains_added += c.chains_added;
		sum->chains_refilled += c.chains_refilled;
		sum->chains_deleted += c.chains_deleted;
		sum->rules_added += c.rules_added;
		sum->elems_added += c.elems_added;
		sum->elems_deleted += c.elems_deleted;
	}
}

static bool multi_empty(const struct multi *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!rs_diff_empty(&m->d[i]))
			return false;
	return true;
}

/* Compare every table with what the kernel holds (have[i], NULL: no
 * such table), send what differs, remove the UDP flows that went stale. */
static int diff_and_send(struct kernel_io *io, struct multi *m,
			 const struct rs_table *const *have,
			 struct kernel_stats *stats, struct kernel_error *err)
{
	int ret;

	for (size_t i = 0; i < m->n; i++)
		rs_diff_compute(&m->d[i], m->want[i], have[i]);
	stats->mode = merged_mode(m);
	count_changes(m, &stats->changes);
	ret = multi_empty(m) ? 0 : send_diffs(io, m, stats, err);
	for (size_t i = 0; !ret && i < m->n; i++)
		if (!rs_diff_empty(&m->d[i]))
			flush_stale_udp(have[i], m->want[i], stats);
	for (size_t i = 0; i < m->n; i++)
		rs_diff_free(&m->d[i]);
	return ret;
}

/* ---- reading ahead (kernel.h): the tables read on a thread of their own
 * while the caller compiles, handed to the first attempt of an apply */

struct kernel_read {
	pthread_t thread;
	bool joined;
	struct rs_table name[KERNEL_READ_TABLES];	/* family and name only */
	const struct rs_table *want[KERNEL_READ_TABLES];
	struct multi m;		/* what was read: have, exists, genid */
	bool taken[KERNEL_READ_TABLES];	/* handed over: read again */
	int ret;
	double seconds;
};

static const uint8_t read_ahead_families[KERNEL_READ_TABLES] = {
	NFPROTO_IPV4, NFPROTO_IPV6,
};

static void *read_ahead(void *arg)
{
	struct kernel_read *r = arg;
	struct kernel_io io;
	struct timespec start;

	/* the socket only: test faults are for the apply's own batches */
	memset(&io, 0, sizeof(io));
	io.send = socket_send;
	io.recv = socket_recv;
	clock_gettime(CLOCK_MONOTONIC, &start);
	r->ret = read_all(&io, &r->m);
	r->seconds = seconds_since(&start);
	return NULL;
}

struct kernel_read *kernel_read_start(const char *name)
{
	struct kernel_read *r;

	if (!name)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	for (size_t i = 0; i < KERNEL_READ_TABLES; i++) {
		r->name[i].family = read_ahead_families[i];
		r->name[i].name = xstrdup(name);
		r->want[i] = &r->name[i];
	}
	r->m.want = r->want;
	r->m.n = KERNEL_READ_TABLES;
	/* Without a thread (EAGAIN: a limit on tasks) the apply reads as it
	 * always did, after compiling. */
	if (pthread_create(&r->thread, NULL, read_ahead, r)) {
		r->ret = -EAGAIN;
		r->joined = true;
	}
	return r;
}

static void read_join(struct kernel_read *r)
{
	if (!r->joined)
		pthread_join(r->thread, NULL);
	r->joined = true;
}

/* Index of (family, name) among what r read, or -1. */
static int read_index(const struct kernel_read *r, uint8_t family,
		      const char *name)
{
	for (int i = 0; i < KERNEL_READ_TABLES; i++)
		if (r->name[i].family == family && !strcmp(r->name[i].name, name))
			return i;
	return -1;
}

int kernel_read_exists(struct kernel_read *r, uint8_t family, const char *name)
{
	int i;

	if (!r || !name)
		return -EINVAL;
	read_join(r);
	i = read_index(r, family, name);
	if (r->ret < 0 || i < 0)
		return r->ret < 0 ? r->ret : -EINVAL;
	return r->m.exists[i];
}

void kernel_read_free(struct kernel_read *r)
{
	if (!r)
		return;
	read_join(r);
	for (size_t i = 0; i < KERNEL_READ_TABLES; i++) {
		rs_table_free(&r->m.have[i]);
		free(r->name[i].name);
	}
	free(r);
}

/* The generation now, on a socket of its own. */
static int genid_now(struct kernel_io *io, uint32_t *genid)
{
	struct conn c;
	int ret = conn_open(&c, io);

	if (ret < 0)
		return ret;
	ret = get_genid(&c, genid);
	conn_close(&c);
	return ret;
}

/*
 * Hand what r read to m, when r read every table m wants and the ruleset
 * is still at the generation r saw: then the read is as current as one
 * made now, and the apply decides (even "no changes") on what the kernel
 * holds. Otherwise false, and m reads as usual.
 */
static bool read_take(struct kernel_read *r, struct kernel_io *io,
		      struct multi *m, struct kernel_stats *stats)
{
	int idx[KERNEL_TABLES_MAX];
	uint32_t genid;

	read_join(r);
	if (r->ret < 0)
		return false;
	for (size_t i = 0; i < m->n; i++) {
		idx[i] = read_index(r, m->want[i]->family, m->want[i]->name);
		if (idx[i] < 0 || r->taken[idx[i]])
			return false;
	}
	if (genid_now(io, &genid) < 0 || genid != r->m.genid)
		return false;
	for (size_t i = 0; i < m->n; i++) {
		m->have[i] = r->m.have[idx[i]];
		m->exists[i] = r->m.exists[idx[i]];
		memset(&r->m.have[idx[i]], 0, sizeof(r->m.have[idx[i]]));
		r->taken[idx[i]] = true;
	}
	m->genid = r->m.genid;
	stats->read_seconds += r->seconds;
	stats->reads++;
	return true;
}

int kernel_read_table(struct kernel_read *r, uint8_t family, const char *name,
		      struct rs_table *out)
{
	const struct rs_table want = { .family = family, .name = (char *)name };
	const struct rs_table *wantp = &want;
	struct multi m = { .want = &wantp, .n = 1 };
	struct kernel_stats stats = { 0 };
	struct kernel_io io;
	int ret;

	if (!r || !name || !out)
		return kernel_table_get(family, name, out);
	ret = io_default(&io);
	if (ret < 0)
		return ret;
	/* a fresh read when r cannot stand for one (see read_take); r gives
	 * up only the table asked for, so the other stays for a later call */
	if (!read_take(r, &io, &m, &stats))
		return kernel_table_get(family, name, out);
	*out = m.have[0];
	return m.exists[0] ? 0 : -ENOENT;
}

/* Read every table, compare, send what differs: once. ahead, when not
 * NULL, may stand for the read. */
static int apply_once(struct kernel_io *io, struct multi *m,
		      struct kernel_read *ahead, struct kernel_stats *stats,
		      struct kernel_error *err)
{
	const struct rs_table *have[KERNEL_TABLES_MAX] = { 0 };
	struct timespec start;
	int ret = 0;

	if (!ahead || !read_take(ahead, io, m, stats)) {
		clock_gettime(CLOCK_MONOTONIC, &start);
		ret = read_all(io, m);
		stats->read_seconds += seconds_since(&start);
		stats->reads++;
	}
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < m->n; i++)
		have[i] = m->exists[i] ? &m->have[i] : NULL;
	ret = diff_and_send(io, m, have, stats, err);
	for (size_t i = 0; i < m->n; i++)
		rs_table_free(&m->have[i]);
	return ret;
}

static bool tables_valid(const struct rs_table *const *want, size_t n)
{
	if (!want || !n || n > KERNEL_TABLES_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!want[i] || !want[i]->name)
			return false;
	return true;
}

static int tables_apply(struct kernel_io *io, struct kernel_read *ahead,
			const struct rs_table *const *want, size_t n,
			struct kernel_stats *stats, struct kernel_error *err)
{
	struct kernel_stats dummy;
	struct multi m = { .want = want, .n = n };
	int ret = -EINVAL;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	for (int attempt = 0; tables_valid(want, n) && attempt < APPLY_ATTEMPTS;
	     attempt++) {
		kernel_error_free(err);
		ret = apply_once(io, &m, attempt ? NULL : ahead, stats, err);
		/* ERESTART on the batch begin: the generation moved on
		 * between our read and our write; nothing was applied.
		 * ENOBUFS: the kernel's replies were dropped, so whether the
		 * batch was applied is unknown; the next read tells, and the
		 * next diff sends what is still missing (the whole batch
		 * again, or nothing). */
		if (ret != -ERESTART && ret != -ENOBUFS)
			break;
	}
	if (ret < 0 && err && !err->err)
		err->err = ret;
	return ret;
}

int kernel_tables_apply_io(struct kernel_io *io,
			   const struct rs_table *const *want, size_t n,
			   struct kernel_stats *stats, struct kernel_error *err)
{
	return tables_apply(io, NULL, want, n, stats, err);
}

int kernel_table_apply_io(struct kernel_io *io, const struct rs_table *want,
			  struct kernel_stats *stats, struct kernel_error *err)
{
	return kernel_tables_apply_io(io, &want, 1, stats, err);
}

int kernel_table_apply(const struct rs_table *want, struct kernel_stats *stats,
		       struct kernel_error *err)
{
	return kernel_tables_apply_read(NULL, &want, 1, stats, err);
}

int kernel_tables_apply_read(struct kernel_read *ahead,
			     const struct rs_table *const *want, size_t n,
			     struct kernel_stats *stats, struct kernel_error *err)
{
	struct kernel_io io;
	int ret = io_default(&io);

	if (ret < 0) {
		if (err)
			*err = (struct kernel_error){ .err = ret };
		return ret;
	}
	ret = tables_apply(&io, ahead, want, n, stats, err);
	io_done(&io);
	return ret;
}

int kernel_tables_apply(const struct rs_table *const *want, size_t n,
			struct kernel_stats *stats, struct kernel_error *err)
{
	return kernel_tables_apply_read(NULL, want, n, stats, err);
}

int kernel_tables_apply_known(const struct rs_table *const *want,
			      const struct rs_table *const *have, size_t n,
			      uint32_t genid, struct kernel_stats *stats,
			      struct kernel_error *err)
{
	struct multi m = { .want = want, .n = n, .genid = genid };
	struct kernel_stats dummy;
	struct kernel_io io;
	int ret;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	if (!tables_valid(want, n) || !genid)
		return -EINVAL;
	ret = io_default(&io);
	if (!ret)
		ret = diff_and_send(&io, &m, have, stats, err);
	io_done(&io);
	if (ret < 0 && err && !err->err)
		err->err = ret;
	return ret;
}

int kernel_genid(uint32_t *genid)
{
	struct kernel_io io;
	int ret = io_default(&io);

	return ret < 0 ? ret : genid_now(&io, genid);
}

int kernel_table_delete(uint8_t family, const char *name)
{
	struct nl_batch b = { 0 };
	struct batch_result res;
	struct kernel_io io;
	struct conn c;
	int ret = io_default(&io);

	if (ret < 0 || (ret = conn_open(&c, &io)) < 0)
		return ret;
	ret = nl_batch_build_delete(&b, family, name, c.seq + 1);
	if (!ret)
		ret = batch_send(&c, &b);
	if (!ret)	/* ENOENT from the DELTABLE when there is no table */
		ret = batch_recv(&c, &b, &res);
	io_done(&io);
	nl_batch_free(&b);
	conn_close(&c);
	return ret;
}

void kernel_error_free(struct kernel_error *err)
{
	if (!err)
		return;
	free(err->object);
	free(err->service);
	memset(err, 0, sizeof(*err));
}
