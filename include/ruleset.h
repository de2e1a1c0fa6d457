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
	/* ip daddr @node-ips meta l4proto . th dport vmap @TARGET
	 * (node ports on --node-ip addresses only) */
	RS_RULE_VMAP_NODEPORTS_NODE_IPS,
	/* ip saddr ADDR/PREFIX meta mark set meta mark | MARK */
	RS_RULE_MARK_SADDR,
	/* meta mark & RS_MARK_FROM_POD == 0 ip daddr @TARGET
	 *   meta mark set meta mark | MARK */
	RS_RULE_MARK_NOT_POD_TO_SET,
	/* meta mark set meta mark | MARK */
	RS_RULE_MARK,
	/* ip saddr . ip daddr . meta l4proto . th dport @TARGET
	 *   meta mark set meta mark | MARK (a session affinity hit) */
	RS_RULE_AFFINITY_HIT,
	/* meta mark & RS_MARK_AFFINITY == MARK
	 *   dnat ip to ip saddr . ip daddr . meta l4proto . th dport map @TARGET */
	RS_RULE_AFFINITY_DNAT,
	/* meta mark & RS_MARK_AFFINITY == MARK update @TARGET { ip saddr .
	 *   ct original ip daddr . meta l4proto . ct original proto-dst
	 *   timeout TIMEOUT : ip daddr . th dport } */
	RS_RULE_AFFINITY_RECORD,
	/* ip daddr @TARGET reject (a ClusterIP, on a port it does not serve) */
	RS_RULE_REJECT_TO_SET,
	/* meta mark & MARK == MARK goto TARGET */
	RS_RULE_GOTO_IF_MARK,
	/* fib saddr type local meta mark set meta mark | MARK goto TARGET */
	RS_RULE_GOTO_IF_LOCAL_SOURCE,
	/* goto TARGET */
	RS_RULE_GOTO,
	/* drop */
	RS_RULE_DROP,
	/* ip saddr ADDR/PREFIX return */
	RS_RULE_RETURN_IF_SADDR,
	/* meta mark & RS_MARK_MASQUERADE == RS_MARK_MASQUERADE
	 *   meta mark set meta mark & ~RS_MARK_ALL masquerade fully-random */
	RS_RULE_MASQUERADE_MARKED,
	/* ct status dnat ip saddr . ip daddr @TARGET masquerade fully-random
	 * (an endpoint reaching itself through its Service) */
	RS_RULE_MASQUERADE_HAIRPIN,
	/* meta mark set meta mark & ~RS_MARK_ALL */
	RS_RULE_MARK_CLEAR,
	/* read from the kernel, not a form svcnft writes */
	RS_RULE_UNKNOWN,
};

/*
 * Packet mark bits svcnft uses between its chains, for the first packet
 * of a connection only; postrouting clears them again. Other bits of the
 * mark are left as they are.
 */
#define RS_MARK_MASQUERADE 0x00004000u	/* masquerade in postrouting */
#define RS_MARK_FROM_POD 0x00008000u	/* source inside --cluster-cidr */
#define RS_MARK_AFFINITY 0x00ff0000u	/* affinity class: timeout map 1..255 */
#define RS_MARK_ALL (RS_MARK_MASQUERADE | RS_MARK_FROM_POD | RS_MARK_AFFINITY)
#define RS_MARK_AFFINITY_CLASS(i) ((uint32_t)((i) + 1) << 16)

struct rs_rule {
	enum rs_rule_kind kind;
	uint32_t numgen_mod;	/* DNAT: 0 = unconditional */
	uint8_t l4proto;	/* DNAT, REJECT */
	struct ip_addr addr;	/* DNAT; *_SADDR: with prefix_len */
	uint8_t prefix_len;
	uint16_t port;		/* DNAT */
	uint32_t mark;		/* MARK*, AFFINITY_*, GOTO_IF_* */
	uint32_t timeout;	/* AFFINITY_RECORD: seconds */
	char *target;		/* chain, map or set the rule names */
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
	/* set of ipv4_addr: cluster-ips, node-ips */
	RS_SET_ADDRS,
	/* set of ipv4_addr . ipv4_addr: hairpin (endpoint . endpoint) */
	RS_SET_ADDR_PAIRS,
	/* dynamic map with timeout, filled from the packet path:
	 * ipv4_addr . ipv4_addr . inet_proto . inet_service :
	 * ipv4_addr . inet_service (client . service address . port :
	 * endpoint), session affinity */
	RS_MAP_AFFINITY,
};

/*
 * An element. Verdict maps: key (addr only for SERVICE_IPS) : goto CHAIN.
 * RS_SET_ADDRS: addr. RS_SET_ADDR_PAIRS: addr . addr2. RS_MAP_AFFINITY
 * (read from the kernel only): addr (client) . addr2 (service address) .
 * l4proto . port : to_addr . to_port.
 */
struct rs_elem {
	struct ip_addr addr;
	struct ip_addr addr2;
	uint8_t l4proto;
	uint16_t port;
	struct ip_addr to_addr;
	uint16_t to_port;
	char *chain;		/* verdict maps only */
};

struct rs_map {
	char *name;
	enum rs_map_kind kind;
	uint32_t timeout;	/* RS_MAP_AFFINITY: seconds */
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
#define RS_SET_CLUSTER_IPS_NAME "cluster-ips"
#define RS_SET_NODE_IPS_NAME "node-ips"
#define RS_SET_HAIRPIN_NAME "hairpin"
#define RS_MAP_FIREWALL_NAME "firewall"
#define RS_MAP_AFFINITY_PREFIX "affinity-"	/* then the timeout in seconds */
/* Per Service port, beside svc-: the external entry (node ports, load
 * balancer and external IPs), local endpoints only, the source firewall. */
#define RS_EXT_CHAIN_PREFIX "ext-"
#define RS_LOCAL_CHAIN_PREFIX "local-"
#define RS_FW_CHAIN_PREFIX "fw-"

/*
 * The svc- chain of the Service port a chain belongs to: ext-X and local-X
 * give svc-X, svc-X itself; NULL for any other chain. Returns buf.
 */
const char *rs_port_chain(const char *chain, char *buf, size_t len);
/* Whether chain c (NULL: none) DNATs to an endpoint. */
bool rs_chain_has_endpoints(const struct rs_chain *c);
/* The length of the per-Service-port prefix (svc-, ext-, local-, fw-) a
 * chain's name starts with, or 0. */
size_t rs_port_prefix_len(const char *chain);
/* The Service type and port name in a svc- chain's comment, "TYPE NS/NAME
 * [PORTNAME]" as ruleset_from_model writes it; "" for what is absent
 * (comment NULL too). */
#define RS_COMMENT_TYPE_MAX 32
#define RS_COMMENT_PORT_MAX 64
void rs_port_comment_parse(const char *comment, char type[RS_COMMENT_TYPE_MAX],
			   char port_name[RS_COMMENT_PORT_MAX]);

/* Compile a model's addresses of one family (AF_INET: table ip, AF_INET6:
 * table ip6) into t. */
void ruleset_from_model(struct rs_table *t, const struct model *m,
			const char *table_name, int family);

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

/* Order of two elements' keys (addresses, protocol, port); 0 for the same
 * key, whatever the elements lead to. */
int rs_elem_key_cmp(const struct rs_elem *a, const struct rs_elem *b);
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
	/* the svc- chain's DNATs: the endpoints cluster-wide traffic uses on
	 * this node (after topology hints) */
	struct ip_addr *endpoints;	/* with endpoint_ports */
	uint16_t *endpoint_ports;
	size_t nendpoints;
	/* the local- chain's: this node's endpoints, for the Local traffic
	 * policies; has_local false when the port has no such chain */
	bool has_local;
	struct ip_addr *local_endpoints;	/* with local_endpoint_ports */
	uint16_t *local_endpoint_ports;
	size_t nlocal_endpoints;
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
/* Append one flow to *v (n entries, room for cap: grow_array); a NULL a
 * is family 0 (any address). */
void rs_stale_flow_add(struct rs_stale_flow **v, size_t *n, size_t *cap,
		       const struct ip_addr *a, uint16_t port, bool by_reply_src);
/*
 * A set of (address, port) targets for the stale-flow rules, which ask
 * once per rule whether a target is still there. new: room for max adds.
 */
struct rs_targets;
struct rs_targets *rs_targets_new(size_t max);
void rs_targets_add(struct rs_targets *t, const struct ip_addr *a, uint16_t port);
bool rs_targets_has(const struct rs_targets *t, const struct ip_addr *a,
		    unsigned port);
void rs_targets_free(struct rs_targets *t);
void rs_summary_free(struct rs_summary *s);

#endif
