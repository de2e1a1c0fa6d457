/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_EXPLAIN_H
#define SVCNFT_EXPLAIN_H

/*
 * Where a new connection goes, found by walking a ruleset (ruleset.h) the
 * way the kernel does: the base chains of the hook by priority, jumps and
 * gotos, verdict maps, sets, marks, the random endpoint choice and, for
 * what was DNATed, postrouting. The same walk serves a table read back
 * from the kernel and one compiled from manifests. Pure data in and out;
 * nothing here prints.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ruleset.h"

struct explain_query {
	struct ip_addr src;	/* the client; family 0: the node itself */
	struct ip_addr dst;
	uint8_t l4proto;
	uint16_t dport;
	/* The node's own addresses (fib saddr/daddr type local). A source
	 * among them is the node: its connections pass the output hook. */
	const struct ip_addr *local_addrs;
	size_t nlocal;
};

enum explain_verdict {
	EXPLAIN_NONE,		/* no rule matched: the packet goes on as sent */
	EXPLAIN_DNAT,
	EXPLAIN_REJECT,
	EXPLAIN_DROP,
};

enum explain_kind {
	EXPLAIN_KIND_NONE,
	EXPLAIN_KIND_CLUSTER_IP,
	EXPLAIN_KIND_NODE_PORT,
	EXPLAIN_KIND_EXTERNAL_IP,
	EXPLAIN_KIND_LOAD_BALANCER_IP,
};

enum explain_source {
	EXPLAIN_FROM_NODE,	/* a local address: the output hook */
	EXPLAIN_FROM_POD,	/* inside a --cluster-cidr the rules hold */
	EXPLAIN_FROM_OUTSIDE,
};

struct explain_endpoint {
	struct ip_addr addr;
	uint16_t port;
	double probability;
	bool masquerade;
	const char *masquerade_why;	/* static text */
	uint32_t mark;		/* svcnft's mark bits when it was chosen */
};

struct explain_result {
	enum explain_verdict verdict;
	enum explain_kind kind;
	enum explain_source source_kind;
	struct ip_addr src;	/* the source the walk used */
	char *service;		/* "ns/name", or NULL */
	char *port_name;	/* "" when unnamed, or NULL */
	char *service_type;	/* from the chain comment, or NULL */
	char *chain;		/* the Service port's svc- chain, or NULL */
	struct explain_endpoint *endpoints;
	size_t nendpoints;
	bool masquerade;	/* every endpoint is reached masqueraded */
	const char *masquerade_why;	/* static text, also when not */
	bool affinity;		/* sessionAffinity ClientIP */
	uint32_t affinity_timeout;	/* seconds */
	bool affinity_pinned;	/* the client's entry is in the map */
	const char *reason;	/* reject, drop, none: a short phrase */
	char *detail;		/* the reason in a sentence */
	char **steps;		/* what matched, in order */
	size_t nsteps;
};

/* Walk t for q; r is filled (caller frees with explain_result_free). */
void explain_walk(const struct rs_table *t, const struct explain_query *q,
		  struct explain_result *r);
void explain_result_free(struct explain_result *r);

const char *explain_verdict_name(enum explain_verdict v);	/* "dnat", ... */
const char *explain_kind_name(enum explain_kind k);	/* "ClusterIP", ... */
const char *explain_source_name(enum explain_source s);	/* "node", ... */

#endif
