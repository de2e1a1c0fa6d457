// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * explain --live on the kernel side (kernel_trace.h): the tracing table,
 * one transaction, and the trace event listener. One wrapper per object
 * and verb, as kernel.c; messages built and parsed with libnftnl.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/trace.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "kernel_trace.h"
#include "netlink.h"
#include "util.h"

#define TRACE_BUF 65536u	/* one datagram of trace events */
#define TRACE_RCVBUF (4 << 20)

struct trace_listener {
	struct mnl_socket *nl;
	char *buf;
};

/* ---- the tracing table */

static struct nlmsghdr *msg_next(struct mnl_nlmsg_batch *b, uint16_t type,
				 uint8_t family, uint16_t flags, uint32_t seq)
{
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type, family, flags, seq);
}

static void add_table(struct mnl_nlmsg_batch *b, uint8_t family, const char *name,
		      uint32_t seq)
{
	struct nftnl_table *t = nftnl_table_alloc();

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_nlmsg_build_payload(msg_next(b, NFT_MSG_NEWTABLE, family,
						 NLM_F_CREATE | NLM_F_EXCL, seq), t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(b);
}

static void add_chain(struct mnl_nlmsg_batch *b, uint8_t family, const char *table,
		      const char *name, uint32_t hook, int prio, uint32_t seq)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nftnl_chain_nlmsg_build_payload(msg_next(b, NFT_MSG_NEWCHAIN, family,
						 NLM_F_CREATE | NLM_F_EXCL, seq), c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(b);
}

/* m's rule setting nftrace (nl_trace_rule_exprs) */
static void add_mark_rule(struct mnl_nlmsg_batch *b, uint8_t family, const char *table,
			  const char *chain, const struct trace_match *m,
			  uint16_t flags, uint32_t seq)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	nl_trace_rule_exprs(r, &m->saddr, &m->daddr, m->l4proto, m->dport);
	nftnl_rule_nlmsg_build_payload(msg_next(b, NFT_MSG_NEWRULE, family,
						NLM_F_CREATE | NLM_F_APPEND | flags, seq), r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(b);
}

/* Send the batch; the last message alone asks for an ack, and any
 * message the kernel refuses answers with its error. */
static int batch_talk(struct mnl_socket *nl, struct mnl_nlmsg_batch *b, char *buf,
		      size_t len)
{
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, len);
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, 0, portid, NULL, NULL);
		if (ret < 0)
			return -errno;
	} while (ret > 0);	/* MNL_CB_STOP: the ack */
	return 0;
}

int kernel_trace_table_create(const char *name, const struct trace_match *m)
{
	uint8_t family = m->daddr.family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	/* Zeroed: libmnl 1.0.4 leaves attribute padding as it finds it, and
	 * no stale heap bytes go to the kernel (netlink_build.c does the same). */
	char *buf = xcalloc(1, TRACE_BUF);
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, TRACE_BUF);
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	uint32_t seq = (uint32_t)time(NULL);
	int ret = -errno;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	add_table(b, family, name, seq++);
	add_chain(b, family, name, "prerouting", NF_INET_PRE_ROUTING,
		  KERNEL_TRACE_PRIO_MARK, seq++);
	add_chain(b, family, name, "output", NF_INET_LOCAL_OUT, KERNEL_TRACE_PRIO_MARK, seq++);
	add_chain(b, family, name, KERNEL_TRACE_CHAIN_SEEN, NF_INET_POST_ROUTING,
		  KERNEL_TRACE_PRIO_SEEN, seq++);
	add_chain(b, family, name, KERNEL_TRACE_CHAIN_LOCAL, NF_INET_LOCAL_IN,
		  KERNEL_TRACE_PRIO_SEEN, seq++);
	add_mark_rule(b, family, name, "prerouting", m, 0, seq++);
	add_mark_rule(b, family, name, "output", m, NLM_F_ACK, seq);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq + 1);
	mnl_nlmsg_batch_next(b);
	ret = batch_talk(nl, b, buf, TRACE_BUF);
out:
	if (nl)
		mnl_socket_close(nl);
	mnl_nlmsg_batch_stop(b);
	free(buf);
	return ret;
}

/* ---- the listener */

int kernel_trace_listen(struct trace_listener **out)
{
	struct trace_listener *l = xcalloc(1, sizeof(*l));
	int group = NFNLGRP_NFTRACE, ret = 0, rcvbuf = TRACE_RCVBUF;

	l->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!l->nl || mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(l->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		ret = -errno;
		kernel_trace_close(l);
		return ret;
	}
	/* a burst of connections is a burst of events (a dozen each): room
	 * for thousands, or some are lost (ENOBUFS); FORCE needs CAP_NET_ADMIN
	 * and ignores net.core.rmem_max */
	if (setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	l->buf = xmalloc(TRACE_BUF);
	*out = l;
	return 0;
}

int kernel_trace_fd(const struct trace_listener *l)
{
	return mnl_socket_get_fd(l->nl);
}

struct read_ctx {
	void (*fn)(const struct trace_event *ev, void *data);
	void *data;
};

static uint32_t get_u32(const struct nftnl_trace *t, uint16_t attr)
{
	return nftnl_trace_is_set(t, attr) ? nftnl_trace_get_u32(t, attr) : 0;
}

/* Addresses and ports from the headers t carries, by ev->nfproto: ip
 * saddr at 12, ip6 saddr at 8, daddr right after; th sport, dport first. */
static void trace_addrs(const struct nftnl_trace *t, struct trace_event *ev)
{
	bool v6 = ev->nfproto == NFPROTO_IPV6;
	uint32_t alen = v6 ? 16 : 4, soff = v6 ? 8 : 12, nh_len = 0, th_len = 0;
	const uint8_t *nh = NULL, *th = NULL;

	if (nftnl_trace_is_set(t, NFTNL_TRACE_NETWORK_HEADER))
		nh = nftnl_trace_get_data(t, NFTNL_TRACE_NETWORK_HEADER, &nh_len);
	if (nftnl_trace_is_set(t, NFTNL_TRACE_TRANSPORT_HEADER))
		th = nftnl_trace_get_data(t, NFTNL_TRACE_TRANSPORT_HEADER, &th_len);
	if (!nh || !th || nh_len < soff + 2 * alen || th_len < 4)
		return;
	ev->saddr.family = ev->daddr.family = v6 ? AF_INET6 : AF_INET;
	memcpy(ev->saddr.addr, nh + soff, alen);
	memcpy(ev->daddr.addr, nh + soff + alen, alen);
	ev->sport = (uint16_t)(th[0] << 8 | th[1]);
	ev->dport = (uint16_t)(th[2] << 8 | th[3]);
	ev->have_addrs = true;
}

static int trace_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *ctx = data;
	struct nftnl_trace *t;
	struct trace_event ev = { 0 };

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_TRACE)
		return MNL_CB_OK;
	t = nftnl_trace_alloc();
	if (nftnl_trace_nlmsg_parse(nlh, t) < 0)
		goto out;
	ev.id = get_u32(t, NFTNL_TRACE_ID);
	ev.type = get_u32(t, NFTNL_TRACE_TYPE);
	ev.nfproto = get_u32(t, NFTNL_TRACE_NFPROTO);
	/* absent for a rule that let the packet go on */
	ev.verdict = nftnl_trace_is_set(t, NFTNL_TRACE_VERDICT) ?
		(int32_t)nftnl_trace_get_u32(t, NFTNL_TRACE_VERDICT) : NFT_CONTINUE;
	if (nftnl_trace_is_set(t, NFTNL_TRACE_RULE_HANDLE))
		ev.handle = nftnl_trace_get_u64(t, NFTNL_TRACE_RULE_HANDLE);
	ev.table = nftnl_trace_is_set(t, NFTNL_TRACE_TABLE) ?
		nftnl_trace_get_str(t, NFTNL_TRACE_TABLE) : "";
	ev.chain = nftnl_trace_is_set(t, NFTNL_TRACE_CHAIN) ?
		nftnl_trace_get_str(t, NFTNL_TRACE_CHAIN) : "";
	trace_addrs(t, &ev);
	ctx->fn(&ev, ctx->data);
out:
	nftnl_trace_free(t);
	return MNL_CB_OK;
}

int kernel_trace_read(struct trace_listener *l,
		      void (*fn)(const struct trace_event *ev, void *data), void *data)
{
	struct read_ctx ctx = { fn, data };
	ssize_t n = mnl_socket_recvfrom(l->nl, l->buf, TRACE_BUF);

	if (n < 0)
		return -errno;
	/* events come from the kernel (portid 0), with no sequence number */
	return mnl_cb_run(l->buf, n, 0, 0, trace_cb, &ctx) < 0 ? -errno : 0;
}

void kernel_trace_close(struct trace_listener *l)
{
	if (!l)
		return;
	if (l->nl)
		mnl_socket_close(l->nl);
	free(l->buf);
	free(l);
}
