/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_RULESET_H
#define SVCNFT_RULESET_H

/*
 * Stage 3: the ruleset svcnft programs, as plain data. Backends turn it into
 * netlink messages or text, and read the kernel back into it, so two rulesets
 * (the one compiled, the one in the kernel) can be compared.
 *
 * Layout (see README, "How it works"): one table; two verdict maps that
 * dispatch on destination (service-ips, service-nodeports); per Service
 * port one regular chain holding one DNAT rule per endpoint, chosen with
 * random probability 1/(n-i), or a reject rule when there is no endpoint.
 * The number of sets and of rules that reference a set is constant, which
 * keeps the kernel's cost linear in services (kernel-scaling notes).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "model.h"

enum rs_hook {
	RS_HOOK_NONE,		/* a regular chain */
	RS_HOOK_PREROUTING,
	RS_HOOK_INPUT,
	RS_HOOK_FORWARD,
	RS_HOOK_OUTPUT,
	RS_HOOK_POSTROUTING,
};

enum rs_chain_type {
	RS_CHAIN_FILTER,
	RS_CHAIN_NAT,
};

enum rs_rule_kind {
	/* jump TARGET */
	RS_RULE_JUMP,
	/* ip daddr . meta l4proto . th dport vmap @TARGET */
	RS_RULE_VMAP_SERVICE_IPS,
	/* fib daddr type local meta l4proto . th dport vmap @TARGET */
	RS_RULE_VMAP_NODEPORTS,
	/* [numgen random mod N == 0] meta l4proto P dnat to ADDR:PORT */
	RS_RULE_DNAT,
	/* tcp: ct state new reject with tcp reset; otherwise:
	 * meta l4proto P ct state new reject (icmp port-unreachable).
	 * The ct match also switches conntrack on, without which nat chains
	 * never run (see netlink_build.c). */
	RS_RULE_REJECT,
	/* read from the kernel, not a form svcnft writes */
	RS_RULE_UNKNOWN,
};

struct rs_rule {
	enum rs_rule_kind kind;
	uint32_t numgen_mod;	/* DNAT: 0 = unconditional */
	uint8_t l4proto;	/* DNAT, REJECT */
	struct ip_addr addr;	/* DNAT */
	uint16_t port;		/* DNAT */
	char *target;		/* JUMP: chain; VMAP_*: map */
	uint64_t handle;	/* from the kernel; 0 when compiled */
};

struct rs_chain {
	char *name;
	char *comment;		/* NULL: none */
	enum rs_hook hook;	/* RS_HOOK_NONE: regular chain */
	enum rs_chain_type type;
	int priority;
	struct rs_rule *rules;
	size_t nrules, cap_rules;
};

enum rs_map_kind {
	/* ipv4_addr . inet_proto . inet_service : verdict */
	RS_MAP_SERVICE_IPS,
	/* inet_proto . inet_service : verdict */
	RS_MAP_NODEPORTS,
};

/* An element: key (addr only for SERVICE_IPS) : goto CHAIN. */
struct rs_elem {
	struct ip_addr addr;
	uint8_t l4proto;
	uint16_t port;
	char *chain;
};

struct rs_map {
	char *name;
	enum rs_map_kind kind;
	struct rs_elem *elems;
	size_t nelems, cap_elems;
};

struct rs_table {
	uint8_t family;		/* NFPROTO_IPV4 */
	char *name;
	struct rs_map *maps;
	size_t nmaps, cap_maps;
	struct rs_chain *chains;
	size_t nchains, cap_chains;
};

/* Names of the fixed objects every svcnft table holds. */
#define RS_MAP_SERVICE_IPS_NAME "service-ips"
#define RS_MAP_NODEPORTS_NAME "service-nodeports"
#define RS_CHAIN_SERVICES_NAME "services"
#define RS_CHAIN_PREFIX "svc-"

/* Compile a model into t (which must be zeroed). */
void ruleset_from_model(struct rs_table *t, const struct model *m,
			const char *table_name);

/* Builders, used by ruleset_from_model and by the backends reading back. */
void rs_table_init(struct rs_table *t, uint8_t family, const char *name);
struct rs_chain *rs_table_add_chain(struct rs_table *t, const char *name);
struct rs_map *rs_table_add_map(struct rs_table *t, const char *name,
				enum rs_map_kind kind);
struct rs_rule *rs_chain_add_rule(struct rs_chain *c, enum rs_rule_kind kind);
struct rs_elem *rs_map_add_elem(struct rs_map *m, const char *chain);
struct rs_chain *rs_table_find_chain(const struct rs_table *t,
				     const char *name);
struct rs_map *rs_table_find_map(const struct rs_table *t, const char *name);
void rs_table_free(struct rs_table *t);

/* Sort map elements by key, so that two tables compare element-wise. */
void rs_table_sort_elems(struct rs_table *t);
/* True when both hold the same maps, elements, chains and rules (handles
 * ignored; element order ignored after rs_table_sort_elems on both). */
bool rs_table_equal(const struct rs_table *a, const struct rs_table *b);
/* The same for one chain: name, comment, hook and its rules in order. */
bool rs_chain_equal(const struct rs_chain *a, const struct rs_chain *b);

/*
 * The service summary dump prints, derived from a ruleset alone (so it works
 * on what the kernel holds). One entry per Service.
 */
struct rs_summary_port {
	uint8_t l4proto;
	uint16_t port;
	uint16_t node_port;
	char *name;
	struct ip_addr *endpoints;	/* with endpoint_ports */
	uint16_t *endpoint_ports;
	size_t nendpoints;
};

struct rs_summary_service {
	char *ns, *name, *type;
	char *external_name;	/* ExternalName only */
	struct ip_addr *addrs;	/* every address that dispatches to it */
	size_t naddrs;
	struct rs_summary_port *ports;
	size_t nports;
};

struct rs_summary {
	struct rs_summary_service *v;
	size_t n;
};

void rs_summarize(struct rs_summary *s, const struct rs_table *t);

/*
 * UDP has no connection end: conntrack keeps sending a client's datagrams
 * to the endpoint it first chose, even after that endpoint is gone, and a
 * client that was refused while a Service had no endpoints keeps being
 * refused. After an apply, these conntrack entries must go:
 *   by_reply_src: entries answered by ADDR:PORT, an endpoint a UDP Service
 *                 port no longer has;
 *   otherwise:    entries sent to ADDR:PORT (family 0: any local address,
 *                 a node port), a UDP Service port that had no endpoints
 *                 and now has some.
 */
struct rs_stale_flow {
	struct ip_addr addr;
	uint16_t port;
	bool by_reply_src;
};

/* Compare the table before (NULL: none) and after an apply; *out receives
 * the flows to delete (caller frees). Returns how many. */
size_t rs_stale_udp_flows(const struct rs_table *before,
			  const struct rs_table *after, struct rs_stale_flow **out);
void rs_summary_free(struct rs_summary *s);

#endif
