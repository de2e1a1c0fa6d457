/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_KERNEL_TRACE_H
#define SVCNFT_KERNEL_TRACE_H

/*
 * Stage 4, kernel side, for explain --live: a table of its own whose
 * chains set nftrace on new connections to one destination, and a
 * listener for the kernel's trace events (NFNLGRP_NFTRACE), parsed with
 * libnftnl. Nothing here prints. The table is removed with
 * kernel_table_delete (kernel.h).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* What to trace: new connections to daddr:dport (l4proto), from saddr
 * when its family is not 0. */
struct trace_match {
	struct ip_addr saddr;
	struct ip_addr daddr;
	uint8_t l4proto;
	uint16_t dport;
};

/*
 * Create table NAME (family of m->daddr: ip or ip6) with three filter
 * chains: prerouting and output at priority KERNEL_TRACE_PRIO_MARK (before
 * every NAT and firewall chain of svcnft) marking m's new connections with
 * `meta nftrace set 1`; postrouting and input at KERNEL_TRACE_PRIO_SEEN
 * (after NAT), empty, where a traced packet shows its final addresses
 * (forwarded or sent, or delivered to this node).
 * One transaction. 0 or -errno (-EEXIST when the table exists).
 */
/* after conntrack (-200: before it, ct state is not known yet, and
 * "ct state new" never matches), before the firewall (-110) and dstnat
 * (-100) chains */
#define KERNEL_TRACE_PRIO_MARK (-150)
#define KERNEL_TRACE_PRIO_SEEN 300
#define KERNEL_TRACE_CHAIN_SEEN "postrouting"
#define KERNEL_TRACE_CHAIN_LOCAL "input"
int kernel_trace_table_create(const char *name, const struct trace_match *m);

/* One trace event (NFT_MSG_TRACE), the fields explain uses. */
struct trace_event {
	uint32_t id;		/* the same for every event of one packet */
	uint32_t type;		/* NFT_TRACETYPE_RULE, _RETURN, _POLICY */
	uint32_t nfproto;	/* NFPROTO_IPV4, NFPROTO_IPV6 */
	int32_t verdict;	/* NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_CONTINUE */
	uint64_t handle;	/* the rule's, 0 for a policy */
	const char *table, *chain;
	/* the packet's, from the headers the event carries; have_addrs is
	 * false when it carries too little of them */
	bool have_addrs;
	struct ip_addr saddr, daddr;
	uint16_t sport, dport;
};

struct trace_listener;

/* Join NFNLGRP_NFTRACE. 0 or -errno. */
int kernel_trace_listen(struct trace_listener **out);
int kernel_trace_fd(const struct trace_listener *l);
/* Read one datagram (the fd must be readable) and call fn for each trace
 * event in it. 0, or -errno (-ENOBUFS: events were lost). */
int kernel_trace_read(struct trace_listener *l,
		      void (*fn)(const struct trace_event *ev, void *data), void *data);
void kernel_trace_close(struct trace_listener *l);

#endif
