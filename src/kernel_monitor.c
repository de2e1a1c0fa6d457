// SPDX-License-Identifier: GPL-2.0-or-later
/* nftables change notifications: who changed svcnft's tables. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "kernel_monitor.h"
#include "util.h"

#define MONITOR_BUF (256u * 1024)
/* A first sync of 10k Services notifies ~250k objects; what overflows
 * this is reported as lost (ENOBUFS) and answered by reading again. */
#define MONITOR_RCVBUF (64 << 20)

int kernel_monitor_open(struct kernel_monitor *m, const char *table)
{
	unsigned group = NFNLGRP_NFTABLES;
	int fd, size = MONITOR_RCVBUF / 2;	/* the kernel doubles it */

	memset(m, 0, sizeof(*m));
	m->table = table;
	m->self = getpid();
	m->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->nl)
		return -errno;
	if (mnl_socket_bind(m->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(m->nl, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		int ret = -errno;

		kernel_monitor_close(m);
		return ret;
	}
	fd = mnl_socket_get_fd(m->nl);
	/* SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	m->buf = xmalloc(MONITOR_BUF);
	return 0;
}

int kernel_monitor_fd(const struct kernel_monitor *m)
{
	return m->nl ? mnl_socket_get_fd(m->nl) : -1;
}

/* The first attribute of this type after the nfgenmsg that holds data
 * of kind data, or NULL. */
static const struct nlattr *attr_find(const struct nlmsghdr *nlh,
				      uint16_t type,
				      enum mnl_attr_data_type data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type && mnl_attr_validate(a, data) == 0)
			return a;
	return NULL;
}

/* The u32 attribute of this type after the nfgenmsg, or def. */
static uint32_t attr_be32(const struct nlmsghdr *nlh, uint16_t type,
			  uint32_t def)
{
	const struct nlattr *a = attr_find(nlh, type, MNL_TYPE_U32);

	return a ? ntohl(mnl_attr_get_u32(a)) : def;
}

/* The string attribute of this type after the nfgenmsg, or NULL. */
static const char *attr_str(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a = attr_find(nlh, type, MNL_TYPE_NUL_STRING);

	return a ? mnl_attr_get_str(a) : NULL;
}

/*
 * Whether an object message names one of our tables. Every nf_tables
 * object message (table, chain, rule, set, element list, object,
 * flowtable) carries its table's name as attribute 1 (NFTA_TABLE_NAME,
 * NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, ...).
 */
static bool names_our_table(const struct kernel_monitor *m,
			    const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const char *table;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) ||
	    (g->nfgen_family != NFPROTO_IPV4 && g->nfgen_family != NFPROTO_IPV6))
		return false;
	table = attr_str(nlh, 1);
	return table && !strcmp(table, m->table);
}

void kernel_drift_free(struct kernel_drift *d)
{
	if (!d)
		return;
	for (size_t f = 0; f < 2; f++)
		for (size_t i = 0; i < d->nmaps[f]; i++)
			free(d->maps[f][i]);
	for (size_t i = 0; i < d->n; i++)
		free(d->chains[i].name);
	free(d->chains);
	memset(d, 0, sizeof(*d));
}

static void drift_chain(struct kernel_drift *d, uint8_t family,
			const char *name, bool deleted)
{
	if (!name) {
		d->inexact = true;
		return;
	}
	if (d->n == KERNEL_DRIFT_MAX) {
		d->too_many[family == NFPROTO_IPV6] = true;
		return;
	}
	grow_array(&d->chains, &d->cap, d->n + 1, sizeof(*d->chains));
	d->chains[d->n++] = (struct kernel_drift_chain){ family, xstrdup(name),
							 deleted };
}

static void drift_map(struct kernel_drift *d, size_t f, const char *name)
{
	for (size_t i = 0; name && i < d->nmaps[f]; i++)
		if (!strcmp(d->maps[f][i], name))
			return;
	if (!name || d->nmaps[f] == KERNEL_DRIFT_MAPS)
		d->sets_changed[f] = true;
	else
		d->maps[f][d->nmaps[f]++] = xstrdup(name);
}

/* One object message of a transaction on our tables, recorded until its
 * NEWGEN says whose it was. */
static void note_change(struct kernel_drift *d, const struct nlmsghdr *nlh)
{
	uint8_t family = ((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family;
	uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);

	switch (type) {
	case NFT_MSG_DELTABLE:
		d->table_deleted[family == NFPROTO_IPV6] = true;
		break;
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_DELCHAIN:
		drift_chain(d, family, attr_str(nlh, NFTA_CHAIN_NAME),
			    type == NFT_MSG_DELCHAIN);
		break;
	case NFT_MSG_NEWRULE:
	case NFT_MSG_DELRULE:
		drift_chain(d, family, attr_str(nlh, NFTA_RULE_CHAIN), false);
		break;
	case NFT_MSG_NEWSET:
	case NFT_MSG_DELSET:
		d->sets_changed[family == NFPROTO_IPV6] = true;
		break;
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		drift_map(d, family == NFPROTO_IPV6,
			  attr_str(nlh, NFTA_SET_ELEM_LIST_SET));
		break;
	default:	/* a table (re)created, objects, flowtables... */
		d->inexact = true;
		break;
	}
}

/* Others' transaction: add it to what the watch has not taken yet. */
static void merge_drift(struct kernel_drift *into, struct kernel_drift *txn)
{
	for (size_t i = 0; i < txn->n; i++)
		drift_chain(into, txn->chains[i].family, txn->chains[i].name,
			    txn->chains[i].deleted);
	for (size_t f = 0; f < 2; f++) {
		for (size_t i = 0; i < txn->nmaps[f]; i++)
			drift_map(into, f, txn->maps[f][i]);
		into->table_deleted[f] = into->table_deleted[f] || txn->table_deleted[f];
		into->sets_changed[f] = into->sets_changed[f] || txn->sets_changed[f];
		into->too_many[f] = into->too_many[f] || txn->too_many[f];
	}
	into->inexact = into->inexact || txn->inexact;
}

static void one_message(struct kernel_monitor *m, const struct nlmsghdr *nlh,
			unsigned *events)
{
	uint32_t pid;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return;
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWGEN) {
		if (names_our_table(m, nlh)) {
			m->touched = true;
			note_change(&m->txn, nlh);
		}
		return;
	}
	/* The transaction ends here: its generation and who made it. */
	pid = attr_be32(nlh, NFTA_GEN_PROC_PID, 0);
	m->genid = attr_be32(nlh, NFTA_GEN_ID, 0);
	m->genid_known = m->genid != 0;
	if (m->touched && pid != (uint32_t)m->self) {
		*events |= KERNEL_MONITOR_DRIFT;
		merge_drift(&m->drift, &m->txn);
	}
	kernel_drift_free(&m->txn);
	m->touched = false;
}

void kernel_monitor_take_drift(struct kernel_monitor *m, struct kernel_drift *out)
{
	*out = m->drift;
	memset(&m->drift, 0, sizeof(m->drift));
}

int kernel_monitor_read(struct kernel_monitor *m, unsigned *events)
{
	int fd = kernel_monitor_fd(m);

	for (;;) {
		ssize_t n = recv(fd, m->buf, MONITOR_BUF, MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)m->buf;
		int len = (int)n;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			/* What was dropped may have been anyone's: the
			 * generation and the pending transaction are unknown. */
			*events |= KERNEL_MONITOR_LOST;
			m->genid_known = false;
			m->touched = false;
			kernel_drift_free(&m->txn);
			m->drift.inexact = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPROTO;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			one_message(m, nlh, events);
	}
}

void kernel_monitor_close(struct kernel_monitor *m)
{
	if (!m)
		return;
	if (m->nl)
		mnl_socket_close(m->nl);
	kernel_drift_free(&m->txn);
	kernel_drift_free(&m->drift);
	free(m->buf);
	memset(m, 0, sizeof(*m));
}
