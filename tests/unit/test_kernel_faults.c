// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Netlink trouble the real kernel cannot be made to produce on demand,
 * played by a fake kernel behind kernel.c's transport seam (kernel_int.h):
 * dropped replies (ENOBUFS), a dump interrupted by a change
 * (NLM_F_DUMP_INTR), a generation that moved on between read and write
 * (ERESTART). The fake keeps a table, answers reads from it and applies a
 * batch whole or not at all, as nf_tables does; it records every batch, so
 * the tests can assert that a retry sends a whole batch again, never a part
 * of one, and that the table ends up as wanted or as it was.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "../../src/kernel_int.h"
#include "netlink.h"
#include "unit.h"
#include "util.h"

#define FAKE_QUEUE 8
#define FAKE_BUF (256u * 1024)
#define FAKE_BATCHES 16

/* What the fake saw of one batch. */
struct seen_batch {
	unsigned messages;
	bool whole;		/* begin, consecutive seqs, end */
	uint16_t types[64];	/* the first message types, for comparison */
};

struct fake {
	/* the kernel's state */
	struct nl_parser p;
	struct rs_table t;
	uint32_t genid;
	/* what goes wrong, each a count of times still to come */
	unsigned enobufs_after_batch;	/* apply, then drop the replies */
	unsigned enobufs_on_dump;	/* drop a dump's replies */
	unsigned dump_intr;		/* mark a chain dump interrupted */
	unsigned commits_between;	/* someone commits before our batch */
	bool enobufs_always;
	/* replies waiting to be read, one datagram each */
	char *queue[FAKE_QUEUE];
	size_t qlen[FAKE_QUEUE], qhead, qtail;
	bool drop_next_recv;
	/* the record */
	struct seen_batch batches[FAKE_BATCHES];
	unsigned nbatches, reads;
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->genid = 100;
	nl_parser_init(&f->p, NFPROTO_IPV4, "svcnft", &f->t);
}

static void fake_free(struct fake *f)
{
	while (f->qhead != f->qtail)
		free(f->queue[f->qhead++ % FAKE_QUEUE]);
	nl_parser_free(&f->p);
	rs_table_free(&f->t);
}

/* ---- replies */

struct reply {
	char *buf;
	size_t len;
};

static struct nlmsghdr *reply_put(struct reply *r, uint16_t type,
				  uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(r->buf + r->len);

	ck_assert_uint_lt(r->len + 4096, FAKE_BUF);
	nlh = mnl_nlmsg_put_header(nlh);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

static void reply_end(struct reply *r, const struct nlmsghdr *nlh)
{
	r->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void reply_error(struct reply *r, const struct nlmsghdr *req, int err)
{
	struct nlmsghdr *nlh = reply_put(r, NLMSG_ERROR, NLM_F_CAPPED,
					 req->nlmsg_seq);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = err;
	e->msg = *req;
	reply_end(r, nlh);
}

static void reply_done(struct reply *r, const struct nlmsghdr *req,
		       uint16_t flags)
{
	struct nlmsghdr *nlh = reply_put(r, NLMSG_DONE, NLM_F_MULTI | flags,
					 req->nlmsg_seq);

	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	reply_end(r, nlh);
}

/* A copy of message m as a reply to req. */
static void reply_copy(struct reply *r, const struct nlmsghdr *m,
		       const struct nlmsghdr *req)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(r->buf + r->len);

	ck_assert_uint_lt(r->len + m->nlmsg_len, FAKE_BUF);
	memcpy(nlh, m, m->nlmsg_len);
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_flags = NLM_F_MULTI;
	reply_end(r, nlh);
}

static void queue_reply(struct fake *f, struct reply *r)
{
	ck_assert_uint_lt(f->qtail - f->qhead, FAKE_QUEUE);
	f->qlen[f->qtail % FAKE_QUEUE] = r->len;
	f->queue[f->qtail++ % FAKE_QUEUE] = r->buf;
	r->buf = NULL;
}

/* ---- reads: answered from the table, as a create batch writes it */

static const char *str_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type)
			return mnl_attr_get_str(a);
	return NULL;
}

/* Does stored message m answer request req (same type family, filter)? */
static bool answers(const struct nlmsghdr *m, const struct nlmsghdr *req)
{
	uint16_t want = NFNL_MSG_TYPE(req->nlmsg_type) - 1;	/* GETx -> NEWx */
	const char *filter = NULL, *have = NULL;

	if (NFNL_MSG_TYPE(m->nlmsg_type) != want)
		return false;
	if (want == NFT_MSG_NEWSETELEM) {
		filter = str_attr(req, NFTA_SET_ELEM_LIST_SET);
		have = str_attr(m, NFTA_SET_ELEM_LIST_SET);
	} else if (want == NFT_MSG_NEWRULE) {
		filter = str_attr(req, NFTA_RULE_CHAIN);
		have = str_attr(m, NFTA_RULE_CHAIN);
	}
	return !filter || (have && !strcmp(filter, have));
}

static void reply_objects(struct fake *f, struct reply *r,
			  const struct nlmsghdr *req)
{
	struct nl_batch b = { 0 };
	struct iovec *iov;
	int n;

	ck_assert_int_eq(nl_batch_build_create(&b, &f->t, 1, 0), 0);
	n = nftnl_batch_iovec_len(b.batch);
	iov = xcalloc(n, sizeof(*iov));
	nftnl_batch_iovec(b.batch, iov, n);
	for (int i = 0; i < n; i++) {
		const struct nlmsghdr *m = iov[i].iov_base;
		int len = (int)iov[i].iov_len;

		for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len))
			if (answers(m, req))
				reply_copy(r, m, req);
	}
	free(iov);
	nl_batch_free(&b);
}

static void reply_genid(struct fake *f, struct reply *r,
			const struct nlmsghdr *req)
{
	struct nlmsghdr *nlh = reply_put(r, (NFNL_SUBSYS_NFTABLES << 8) |
					 NFT_MSG_NEWGEN, 0, req->nlmsg_seq);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->nfgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(f->genid));
	reply_end(r, nlh);
	reply_error(r, req, 0);
}

static void fake_read(struct fake *f, const struct nlmsghdr *req)
{
	struct reply r = { .buf = xmalloc(FAKE_BUF) };
	uint16_t type = NFNL_MSG_TYPE(req->nlmsg_type);

	if (type == NFT_MSG_GETGEN) {
		f->reads++;
		reply_genid(f, &r, req);
	} else if (type == NFT_MSG_GETTABLE && !f->p.have_table) {
		reply_error(&r, req, -ENOENT);
	} else {
		if (f->p.have_table)
			reply_objects(f, &r, req);
		if (type == NFT_MSG_GETTABLE) {
			reply_error(&r, req, 0);
		} else {
			bool intr = type == NFT_MSG_GETCHAIN && f->dump_intr;

			f->dump_intr -= intr;
			reply_done(&r, req, intr ? NLM_F_DUMP_INTR : 0);
			if (type == NFT_MSG_GETSET && f->enobufs_on_dump) {
				f->enobufs_on_dump--;
				f->drop_next_recv = true;
			}
		}
	}
	queue_reply(f, &r);
	free(r.buf);
}

/* ---- batches: checked whole, then applied whole or refused */

static uint32_t batch_genid(const struct nlmsghdr *begin)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, begin, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFNL_BATCH_GENID)
			return ntohl(mnl_attr_get_u32(a));
	return 0;
}

static void record_batch(struct fake *f, const char *buf, size_t len)
{
	struct seen_batch *s = &f->batches[f->nbatches++];
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlmsghdr *last = nlh;
	int left = (int)len;

	ck_assert_uint_le(f->nbatches, FAKE_BATCHES);
	memset(s, 0, sizeof(*s));
	s->whole = nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (s->messages && nlh->nlmsg_seq != last->nlmsg_seq + 1)
			s->whole = false;
		if (s->messages < 64)
			s->types[s->messages] = nlh->nlmsg_type;
		s->messages++;
		last = nlh;
	}
	s->whole = s->whole && left == 0 && last->nlmsg_type == NFNL_MSG_BATCH_END;
}

/* Apply every message between begin and end; ack the one that asks. */
static void apply_batch(struct fake *f, const char *buf, size_t len,
			struct reply *r)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ||
		    nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		ck_assert_int_eq(nl_parse_msg(&f->p, nlh), 0);
		if (nlh->nlmsg_flags & NLM_F_ACK)
			reply_error(r, nlh, 0);
	}
	f->genid++;
}

static void fake_batch(struct fake *f, const char *buf, size_t len)
{
	struct reply r = { .buf = xmalloc(FAKE_BUF) };
	const struct nlmsghdr *begin = (const struct nlmsghdr *)buf;
	uint32_t genid = batch_genid(begin);

	record_batch(f, buf, len);
	if (f->commits_between) {	/* another agent got there first */
		f->commits_between--;
		f->genid++;
	}
	if (genid && genid != f->genid)
		reply_error(&r, begin, -ERESTART);
	else
		apply_batch(f, buf, len, &r);
	if (f->enobufs_after_batch) {
		f->enobufs_after_batch--;
		f->drop_next_recv = true;
	}
	queue_reply(f, &r);
	free(r.buf);
}

/* ---- the transport */

static ssize_t fake_send(void *ctx, int fd, const struct msghdr *msg)
{
	struct fake *f = ctx;
	char *buf = xmalloc(FAKE_BUF);
	size_t len = 0;

	(void)fd;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		ck_assert_uint_le(len + msg->msg_iov[i].iov_len, FAKE_BUF);
		memcpy(buf + len, msg->msg_iov[i].iov_base, msg->msg_iov[i].iov_len);
		len += msg->msg_iov[i].iov_len;
	}
	if (((struct nlmsghdr *)buf)->nlmsg_type == NFNL_MSG_BATCH_BEGIN)
		fake_batch(f, buf, len);
	else
		fake_read(f, (struct nlmsghdr *)buf);
	free(buf);
	return (ssize_t)len;
}

static ssize_t fake_recv(void *ctx, int fd, void *buf, size_t len, int flags)
{
	struct fake *f = ctx;
	size_t n;

	(void)fd;
	(void)flags;
	if (f->enobufs_always || f->drop_next_recv) {
		/* The socket's queue overflowed: what was in it is gone. */
		f->drop_next_recv = false;
		while (f->qhead != f->qtail)
			free(f->queue[f->qhead++ % FAKE_QUEUE]);
		errno = ENOBUFS;
		return -1;
	}
	if (f->qhead == f->qtail) {
		errno = EAGAIN;
		return -1;
	}
	n = f->qlen[f->qhead % FAKE_QUEUE];
	ck_assert_uint_le(n, len);
	memcpy(buf, f->queue[f->qhead % FAKE_QUEUE], n);
	free(f->queue[f->qhead++ % FAKE_QUEUE]);
	return (ssize_t)n;
}

static struct kernel_io fake_io(struct fake *f)
{
	return (struct kernel_io){ .send = fake_send, .recv = fake_recv,
				   .ctx = f };
}

/* ---- the ruleset svcnft wants: n Services of one port and endpoint */

static void want_table(struct rs_table *t, unsigned n, unsigned epbase)
{
	struct rs_chain *c;

	memset(t, 0, sizeof(*t));
	rs_table_init(t, NFPROTO_IPV4, "svcnft");
	rs_table_add_map(t, RS_MAP_SERVICE_IPS_NAME, RS_MAP_SERVICE_IPS);
	c = rs_table_add_chain(t, RS_CHAIN_SERVICES_NAME);
	rs_chain_add_rule(c, RS_RULE_VMAP_SERVICE_IPS)->target =
		xstrdup(RS_MAP_SERVICE_IPS_NAME);
	for (unsigned i = 0; i < n; i++) {
		char name[64];
		struct rs_rule *r;
		struct rs_elem *e;

		snprintf(name, sizeof(name), "svc-default/s%02u/tcp/80", i);
		c = rs_table_add_chain(t, name);
		c->comment = xasprintf("ClusterIP default/s%02u", i);
		r = rs_chain_add_rule(c, RS_RULE_DNAT);
		r->l4proto = IPPROTO_TCP;
		r->addr.family = AF_INET;
		r->addr.addr[0] = 198, r->addr.addr[1] = 18;
		r->addr.addr[2] = (uint8_t)(epbase + i), r->addr.addr[3] = 2;
		r->port = 8080;
		e = rs_map_add_elem(&t->maps[0], name);
		e->addr.family = AF_INET;
		e->addr.addr[0] = 198, e->addr.addr[1] = 19;
		e->addr.addr[3] = (uint8_t)(10 + i);
		e->l4proto = IPPROTO_TCP;
		e->port = 80;
	}
}

/* The fake holds want: a second apply finds nothing to send. */
static void assert_holds(struct fake *f, const struct rs_table *want)
{
	struct kernel_io io = fake_io(f);
	struct kernel_stats stats;
	unsigned before = f->nbatches;

	ck_assert_int_eq(kernel_table_apply_io(&io, want, &stats, NULL), 0);
	ck_assert_int_eq(stats.mode, RS_DIFF_NONE);
	ck_assert_uint_eq(f->nbatches, before);
}

static void assert_all_whole(const struct fake *f)
{
	for (unsigned i = 0; i < f->nbatches; i++)
		ck_assert_msg(f->batches[i].whole, "batch %u was not whole", i);
}

static bool same_batch(const struct seen_batch *a, const struct seen_batch *b)
{
	unsigned n = a->messages < 64 ? a->messages : 64;

	return a->messages == b->messages &&
	       !memcmp(a->types, b->types, n * sizeof(a->types[0]));
}

/* Every test starts from a fake holding what svcnft made of the first
 * table: 3 Services, endpoints from 198.18.1.2. */
#define FIRST_SERVICES 3
#define FIRST_EPBASE 1

static void fake_start(struct fake *f)
{
	struct kernel_io io;
	struct rs_table t;

	fake_init(f);
	io = fake_io(f);
	want_table(&t, FIRST_SERVICES, FIRST_EPBASE);
	ck_assert_int_eq(kernel_table_apply_io(&io, &t, NULL, NULL), 0);
	rs_table_free(&t);
	f->nbatches = f->reads = 0;
}

/* A failed apply left the first table as it was. */
static void assert_holds_first(struct fake *f)
{
	struct rs_table first;

	want_table(&first, FIRST_SERVICES, FIRST_EPBASE);
	assert_holds(f, &first);
	rs_table_free(&first);
}

/* An apply of want fails with err, and says so in its error report. */
static void assert_apply_fails(struct fake *f, const struct rs_table *want,
			       int err)
{
	struct kernel_io io = fake_io(f);
	struct kernel_error e;

	ck_assert_int_eq(kernel_table_apply_io(&io, want, NULL, &e), err);
	ck_assert_int_eq(e.err, err);
	kernel_error_free(&e);
}

/* ---- the tests */

/* The batch was applied but its replies were dropped: the outcome is
 * unknown, so the table is read again, which shows it applied; nothing is
 * sent twice. */
START_TEST(test_enobufs_after_batch)
{
	struct kernel_stats stats;
	struct rs_table want;
	struct kernel_io io;
	struct fake f;

	fake_start(&f);
	io = fake_io(&f);
	want_table(&want, 5, 2);
	f.enobufs_after_batch = 1;
	ck_assert_int_eq(kernel_table_apply_io(&io, &want, &stats, NULL), 0);
	ck_assert_uint_eq(f.nbatches, 1);
	ck_assert_uint_eq(stats.reads, 2);
	assert_all_whole(&f);
	assert_holds(&f, &want);
	rs_table_free(&want);
	fake_free(&f);
}
END_TEST

/* Refused and its reply dropped: read again, sent again whole. */
START_TEST(test_enobufs_after_refused_batch)
{
	struct rs_table want;
	struct kernel_io io;
	struct fake f;

	fake_start(&f);
	io = fake_io(&f);
	want_table(&want, 5, 2);
	f.commits_between = 1;
	f.enobufs_after_batch = 1;
	ck_assert_int_eq(kernel_table_apply_io(&io, &want, NULL, NULL), 0);
	ck_assert_uint_eq(f.nbatches, 2);
	assert_all_whole(&f);
	ck_assert(same_batch(&f.batches[0], &f.batches[1]));
	assert_holds(&f, &want);
	rs_table_free(&want);
	fake_free(&f);
}
END_TEST

/* A dump whose replies were dropped is incomplete: read again. */
START_TEST(test_enobufs_during_dump)
{
	struct rs_table want;
	struct kernel_io io;
	struct fake f;

	fake_start(&f);
	io = fake_io(&f);
	want_table(&want, 4, 1);
	f.enobufs_on_dump = 2;
	ck_assert_int_eq(kernel_table_apply_io(&io, &want, NULL, NULL), 0);
	ck_assert_uint_eq(f.enobufs_on_dump, 0);
	ck_assert_uint_eq(f.nbatches, 1);
	assert_holds(&f, &want);
	rs_table_free(&want);
	fake_free(&f);
}
END_TEST

/* Replies dropped every time: a bounded number of tries, then -ENOBUFS,
 * with nothing sent (no read ever completed). */
START_TEST(test_enobufs_always_reported)
{
	struct rs_table want;
	struct fake f;

	fake_start(&f);
	want_table(&want, 5, 2);
	f.enobufs_always = true;
	assert_apply_fails(&f, &want, -ENOBUFS);
	ck_assert_uint_eq(f.nbatches, 0);
	ck_assert_uint_le(f.reads, 5 * 5);
	f.enobufs_always = false;
	assert_holds_first(&f);
	rs_table_free(&want);
	fake_free(&f);
}
END_TEST

START_TEST(test_dump_intr_retried)
{
	struct kernel_stats stats;
	struct rs_table want;
	struct kernel_io io;
	struct fake f;

	fake_start(&f);
	io = fake_io(&f);
	want_table(&want, 3, 7);
	f.dump_intr = 2;
	ck_assert_int_eq(kernel_table_apply_io(&io, &want, &stats, NULL), 0);
	ck_assert_uint_eq(f.dump_intr, 0);
	ck_assert_uint_eq(f.nbatches, 1);
	assert_all_whole(&f);
	assert_holds(&f, &want);
	rs_table_free(&want);
	fake_free(&f);
}
END_TEST

/* Interrupted every time: bounded, reported (-EAGAIN), nothing sent. */
START_TEST(test_dump_intr_reported)
{
	struct rs_table want;
	struct fake f;

	fake_start(&f);
	want_table(&want, 3, 7);
	f.dump_intr = 1000;
	assert_apply_fails(&f, &want, -EAGAIN);
	ck_assert_uint_ge(f.dump_intr, 1000 - 5);
	ck_assert_uint_eq(f.nbatches, 0);
	f.dump_intr = 0;
	assert_holds_first(&f);
	rs_table_free(&want);
	fake_free(&f);
}
END_TEST

/* Someone commits between our read and our write, twice: the kernel
 * refuses our batch (ERESTART); read again, send the whole batch again. */
START_TEST(test_generation_changed_retried)
{
	struct kernel_stats stats;
	struct rs_table want;
	struct kernel_io io;
	struct fake f;

	fake_start(&f);
	io = fake_io(&f);
	want_table(&want, 6, 3);
	f.commits_between = 2;
	ck_assert_int_eq(kernel_table_apply_io(&io, &want, &stats, NULL), 0);
	ck_assert_uint_eq(f.nbatches, 3);
	ck_assert_uint_eq(stats.reads, 3);
	assert_all_whole(&f);
	ck_assert(same_batch(&f.batches[0], &f.batches[1]));
	ck_assert(same_batch(&f.batches[0], &f.batches[2]));
	assert_holds(&f, &want);
	rs_table_free(&want);
	fake_free(&f);
}
END_TEST

/* ... every time: a bounded number of whole batches, then -ERESTART and
 * the old table untouched. */
START_TEST(test_generation_changed_reported)
{
	struct rs_table want;
	struct fake f;

	fake_start(&f);
	want_table(&want, 6, 3);
	f.commits_between = 1000;
	assert_apply_fails(&f, &want, -ERESTART);
	ck_assert_uint_eq(f.nbatches, 5);
	assert_all_whole(&f);
	for (unsigned i = 1; i < f.nbatches; i++)
		ck_assert(same_batch(&f.batches[0], &f.batches[i]));
	f.commits_between = 0;
	assert_holds_first(&f);
	rs_table_free(&want);
	fake_free(&f);
}
END_TEST

/* The fault switch: SVCNFT_TEST_FAULT specs. */
START_TEST(test_fault_spec)
{
	struct kernel_fault fl;

	ck_assert_int_eq(kernel_fault_parse(&fl, "type:5"), 0);
	ck_assert_int_eq(fl.kind, KERNEL_FAULT_TYPE);
	ck_assert_int_eq(fl.msg, 5);
	ck_assert_uint_eq(fl.batch, 1);
	ck_assert_int_eq(kernel_fault_parse(&fl, "elem:last:2"), 0);
	ck_assert_int_eq(fl.kind, KERNEL_FAULT_ELEM);
	ck_assert_int_eq(fl.msg, KERNEL_FAULT_LAST);
	ck_assert_uint_eq(fl.batch, 2);
	ck_assert_int_eq(kernel_fault_parse(&fl, "genid:0:every"), 0);
	ck_assert_uint_eq(fl.batch, KERNEL_FAULT_EVERY);
	ck_assert_int_eq(kernel_fault_parse(&fl, "attr:1"), 0);
	ck_assert_int_eq(fl.kind, KERNEL_FAULT_ATTR);
	ck_assert_int_eq(kernel_fault_parse(&fl, "bogus:1"), -EINVAL);
	ck_assert_int_eq(fl.kind, KERNEL_FAULT_NONE);
	ck_assert_int_eq(kernel_fault_parse(&fl, "type"), -EINVAL);
	ck_assert_int_eq(kernel_fault_parse(&fl, "type:-1"), -EINVAL);
	ck_assert_int_eq(kernel_fault_parse(&fl, "type:1:0"), -EINVAL);
	ck_assert_int_eq(kernel_fault_parse(&fl, "type:x"), -EINVAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("kernel_faults");
	TCase *tc = tcase_create("netlink");

	tcase_add_test(tc, test_enobufs_after_batch);
	tcase_add_test(tc, test_enobufs_after_refused_batch);
	tcase_add_test(tc, test_enobufs_during_dump);
	tcase_add_test(tc, test_enobufs_always_reported);
	tcase_add_test(tc, test_dump_intr_retried);
	tcase_add_test(tc, test_dump_intr_reported);
	tcase_add_test(tc, test_generation_changed_retried);
	tcase_add_test(tc, test_generation_changed_reported);
	tcase_add_test(tc, test_fault_spec);
	suite_add_tcase(s, tc);
	return s;
}
