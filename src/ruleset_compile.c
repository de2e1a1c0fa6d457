// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stage 3: the model compiled into the ruleset layout described in
 * ruleset.h and the README. Pure data in, pure data out.
 *
 * Per Service port up to four regular chains: svc- (every endpoint),
 * local- (endpoints on this node, for the Local traffic policies), ext-
 * (traffic to node ports, load balancer and external IPs: masquerade, or
 * the Local policy's choice), fw- (loadBalancerSourceRanges). None of them
 * references a set, and the number of sets and of rules that do is fixed:
 * the kernel's cost stays linear in Services (kernel-scaling notes).
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "util.h"

#define NF_IP_PRI_NAT_DST (-100)	/* "dstnat" */
#define NF_IP_PRI_NAT_SRC 100		/* "srcnat" */
#define PRI_FIREWALL (-110)		/* before dstnat: the address is the LB's */
#define AFFINITY_CLASSES_MAX 255	/* the 8 bits of RS_MARK_AFFINITY */

struct compile_ctx {
	struct rs_table *t;
	const struct model *m;
	uint32_t timeouts[AFFINITY_CLASSES_MAX];	/* affinity classes, sorted */
	size_t ntimeouts;
	bool affinity_proto[256];	/* protocols with an affinity Service */
	bool firewall;		/* some load balancer IP has source ranges */
	struct u64set hairpin_seen;
	bool restrict_node_ips;	/* --node-ip given (for either family) */
};

static struct rs_rule *add_rule(struct rs_chain *c, enum rs_rule_kind kind,
				const char *target)
{
	struct rs_rule *r = rs_chain_add_rule(c, kind);

	r->target = xstrdup(target);
	return r;
}

static struct rs_chain *add_base_chain(struct rs_table *t, const char *name,
				       enum rs_hook hook, enum rs_chain_type type,
				       int priority)
{
	struct rs_chain *c = rs_table_add_chain(t, name);

	c->hook = hook;
	c->type = type;
	c->priority = priority;
	return c;
}

static bool has_external(const struct model_service *s)
{
	return s->nexternal_ips || s->nlb_ips ||
	       s->type == SERVICE_NODE_PORT || s->type == SERVICE_LOAD_BALANCER;
}

static bool programs_rules(const struct model_service *s)
{
	return s->type != SERVICE_EXTERNAL_NAME && !s->headless;
}

static void add_timeout(struct compile_ctx *x, uint32_t timeout)
{
	size_t i = 0;

	while (i < x->ntimeouts && x->timeouts[i] < timeout)
		i++;
	if ((i < x->ntimeouts && x->timeouts[i] == timeout) ||
	    x->ntimeouts == AFFINITY_CLASSES_MAX)
		return;
	memmove(&x->timeouts[i + 1], &x->timeouts[i],
		(x->ntimeouts - i) * sizeof(x->timeouts[0]));
	x->timeouts[i] = timeout;
	x->ntimeouts++;
}

/* What the whole table needs, before anything is added. */
static void scan_model(struct compile_ctx *x)
{
	for (size_t i = 0; i < x->m->nservices; i++) {
		const struct model_service *s = &x->m->services[i];

		if (!programs_rules(s))
			continue;
		x->firewall |= s->nsource_ranges && s->nlb_ips;
		if (!s->affinity)
			continue;
		add_timeout(x, s->affinity_timeout);
		for (size_t j = 0; j < s->nports; j++)
			x->affinity_proto[s->ports[j].protocol] = true;
	}
}

/* 0 when the Service's timeout did not get a class (over 255 of them). */
static uint32_t affinity_mark(const struct compile_ctx *x, const struct model_service *s)
{
	for (size_t i = 0; s->affinity && i < x->ntimeouts; i++)
		if (x->timeouts[i] == s->affinity_timeout)
			return RS_MARK_AFFINITY_CLASS(i);
	return 0;
}

static char *affinity_map_name(uint8_t proto, uint32_t timeout)
{
	return xasprintf(RS_MAP_AFFINITY_PREFIX "%s-%u", protocol_name(proto), timeout);
}

/* Calls fn for each affinity map: its class index, protocol and name. */
static void for_each_affinity_map(struct compile_ctx *x, struct rs_chain *c,
				  void (*fn)(struct compile_ctx *, struct rs_chain *,
					     size_t, uint8_t, const char *))
{
	for (size_t i = 0; i < x->ntimeouts; i++) {
		for (int p = 0; p < 256; p++) {
			char *name;

			if (!x->affinity_proto[p])
				continue;
			name = affinity_map_name(p, x->timeouts[i]);
			fn(x, c, i, p, name);
			free(name);
		}
	}
}

static void add_affinity_map(struct compile_ctx *x, struct rs_chain *c,
			     size_t class, uint8_t proto, const char *name)
{
	(void)c;
	(void)proto;
	rs_table_add_map(x->t, name, RS_MAP_AFFINITY)->timeout = x->timeouts[class];
}

static void add_sets(struct compile_ctx *x)
{
	struct rs_table *t = x->t;
	const struct model_node *n = &x->m->node;

	rs_table_add_map(t, RS_MAP_SERVICE_IPS_NAME, RS_MAP_SERVICE_IPS);
	rs_table_add_map(t, RS_MAP_NODEPORTS_NAME, RS_MAP_NODEPORTS);
	rs_table_add_map(t, RS_SET_CLUSTER_IPS_NAME, RS_SET_ADDRS);
	rs_table_add_map(t, RS_SET_HAIRPIN_NAME, RS_SET_ADDR_PAIRS);
	if (x->restrict_node_ips) {
		struct rs_map *ips = rs_table_add_map(t, RS_SET_NODE_IPS_NAME, RS_SET_ADDRS);

		for (size_t i = 0; i < n->nnode_ips; i++)
			rs_map_add_elem(ips, NULL)->addr = n->node_ips[i];
	}
	if (x->firewall)
		rs_table_add_map(t, RS_MAP_FIREWALL_NAME, RS_MAP_SERVICE_IPS);
	for_each_affinity_map(x, NULL, add_affinity_map);
}

/* An affinity hit: the client's entry marks the packet with the class and
 * DNATs it to the endpoint it had; one rule pair per affinity map. */
static void add_affinity_lookup(struct compile_ctx *x, struct rs_chain *c,
				size_t class, uint8_t proto, const char *map)
{
	struct rs_rule *r = add_rule(c, RS_RULE_AFFINITY_HIT, map);

	(void)x;
	r->mark = RS_MARK_AFFINITY_CLASS(class);
	r->l4proto = proto;
	r = add_rule(c, RS_RULE_AFFINITY_DNAT, map);
	r->mark = RS_MARK_AFFINITY_CLASS(class);
	r->l4proto = proto;
}

/* After DNAT, in postrouting: remember (or refresh) the endpoint chosen. */
static void add_affinity_record(struct compile_ctx *x, struct rs_chain *c,
				size_t class, uint8_t proto, const char *map)
{
	struct rs_rule *r = add_rule(c, RS_RULE_AFFINITY_RECORD, map);

	r->mark = RS_MARK_AFFINITY_CLASS(class);
	r->l4proto = proto;
	r->timeout = x->timeouts[class];
}

static void add_postrouting(struct compile_ctx *x)
{
	struct rs_chain *c = add_base_chain(x->t, "postrouting", RS_HOOK_POSTROUTING,
					    RS_CHAIN_NAT, NF_IP_PRI_NAT_SRC);

	/* the affinity records read the class bits: before they are cleared */
	for_each_affinity_map(x, c, add_affinity_record);
	rs_chain_add_rule(c, RS_RULE_MASQUERADE_MARKED);
	add_rule(c, RS_RULE_MASQUERADE_HAIRPIN, RS_SET_HAIRPIN_NAME);
	rs_chain_add_rule(c, RS_RULE_MARK_CLEAR);
}

static void add_services_chain(struct compile_ctx *x)
{
	const struct model_node *n = &x->m->node;
	struct rs_chain *c = rs_table_add_chain(x->t, RS_CHAIN_SERVICES_NAME);
	struct rs_rule *r;

	/* the pod network: pods' connections are not masqueraded, and the
	 * Local policies let them through to every endpoint */
	for (size_t i = 0; i < n->ncluster_cidrs; i++) {
		r = rs_chain_add_rule(c, RS_RULE_MARK_SADDR);
		r->addr = n->cluster_cidrs[i].addr;
		r->prefix_len = n->cluster_cidrs[i].len;
		r->mark = RS_MARK_FROM_POD;
	}
	if (n->ncluster_cidrs)
		add_rule(c, RS_RULE_MARK_NOT_POD_TO_SET, RS_SET_CLUSTER_IPS_NAME)->mark =
			RS_MARK_MASQUERADE;
	for_each_affinity_map(x, c, add_affinity_lookup);
	/* ClusterIPs, externalIPs and load balancer IPs before node ports: a
	 * node port lookup must not catch a service address that is local */
	add_rule(c, RS_RULE_VMAP_SERVICE_IPS, RS_MAP_SERVICE_IPS_NAME);
	add_rule(c, x->restrict_node_ips ? RS_RULE_VMAP_NODEPORTS_NODE_IPS : RS_RULE_VMAP_NODEPORTS,
		 RS_MAP_NODEPORTS_NAME);
	/* a live ClusterIP on a port no Service defines */
	add_rule(c, RS_RULE_REJECT_TO_SET, RS_SET_CLUSTER_IPS_NAME)->l4proto = IPPROTO_TCP;
	add_rule(c, RS_RULE_REJECT_TO_SET, RS_SET_CLUSTER_IPS_NAME);
}

static void add_fixed_chains(struct compile_ctx *x)
{
	struct rs_chain *c;

	c = add_base_chain(x->t, "prerouting", RS_HOOK_PREROUTING, RS_CHAIN_NAT,
			   NF_IP_PRI_NAT_DST);
	add_rule(c, RS_RULE_JUMP, RS_CHAIN_SERVICES_NAME);
	c = add_base_chain(x->t, "output", RS_HOOK_OUTPUT, RS_CHAIN_NAT,
			   NF_IP_PRI_NAT_DST);
	add_rule(c, RS_RULE_JUMP, RS_CHAIN_SERVICES_NAME);
	add_postrouting(x);
	if (x->firewall) {
		c = add_base_chain(x->t, "firewall-check", RS_HOOK_PREROUTING,
				   RS_CHAIN_FILTER, PRI_FIREWALL);
		add_rule(c, RS_RULE_VMAP_SERVICE_IPS, RS_MAP_FIREWALL_NAME);
	}
	add_services_chain(x);
}

/* The endpoints of a chain: this node's for local-, those cluster-wide
 * traffic uses on this node (topology hints) for svc-. */
static bool endpoint_in_chain(const struct model_endpoint *e, bool local_only)
{
	return local_only ? e->local : e->cluster;
}

/* Endpoint i of n is taken with probability 1/(n-i) when none before it
 * was: every endpoint is equally likely, and no rule references a set. */
static void add_endpoint_rules(struct rs_chain *c, const struct model_port *p,
			       bool local_only)
{
	size_t n = 0, k = 0;
	struct rs_rule *r;

	for (size_t i = 0; i < p->nendpoints; i++)
		n += endpoint_in_chain(&p->endpoints[i], local_only);
	if (n == 0) {
		/* no endpoint at all: refuse at once; none on this node for a
		 * Local policy: drop, as kube-proxy does */
		r = rs_chain_add_rule(c, local_only ? RS_RULE_DROP : RS_RULE_REJECT);
		/* a drop has no protocol: the kernel could not give it back */
		r->l4proto = local_only ? 0 : p->protocol;
		return;
	}
	for (size_t i = 0; i < p->nendpoints; i++) {
		if (!endpoint_in_chain(&p->endpoints[i], local_only))
			continue;
		r = rs_chain_add_rule(c, RS_RULE_DNAT);
		r->numgen_mod = k + 1 < n ? n - k : 0;
		r->l4proto = p->protocol;
		r->addr = p->endpoints[i].addr;
		r->port = p->endpoints[i].port;
		k++;
	}
}

static char *chain_name(const char *prefix, const struct model_service *s,
			const struct model_port *p)
{
	return xasprintf("%s%s/%s/%s/%u", prefix, s->ns, s->name,
			 protocol_name(p->protocol), p->port);
}

static char *port_comment(const struct model_service *s, const struct model_port *p)
{
	return *p->name ?
		xasprintf("%s %s/%s %s", service_type_name(s->type), s->ns, s->name, p->name) :
		xasprintf("%s %s/%s", service_type_name(s->type), s->ns, s->name);
}

/* svc- (every endpoint) and, for a Local policy, local- (this node's). */
static void add_endpoint_chains(struct compile_ctx *x, const struct model_service *s,
				const struct model_port *p)
{
	uint32_t mark = affinity_mark(x, s);
	bool local = s->internal_local || s->external_local;
	char *name = chain_name(RS_CHAIN_PREFIX, s, p);
	struct rs_chain *c = rs_table_add_chain(x->t, name);

	c->comment = port_comment(s, p);
	if (x->m->node.masquerade_all)
		rs_chain_add_rule(c, RS_RULE_MARK)->mark = RS_MARK_MASQUERADE;
	if (mark && p->nendpoints)
		rs_chain_add_rule(c, RS_RULE_MARK)->mark = mark;
	add_endpoint_rules(c, p, false);
	free(name);
	if (!local || !p->nendpoints)
		return;
	name = chain_name(RS_LOCAL_CHAIN_PREFIX, s, p);
	c = rs_table_add_chain(x->t, name);
	if (mark)
		rs_chain_add_rule(c, RS_RULE_MARK)->mark = mark;
	add_endpoint_rules(c, p, true);
	free(name);
}

/* Traffic to node ports, load balancer and external IPs. Cluster policy:
 * masquerade (the reply must come back through this node), every
 * endpoint. Local: the client's address is kept and only this node's
 * endpoints are used, except for pods and the node itself, which kube-proxy
 * lets through to every endpoint (the node's own connections masqueraded). */
static void add_ext_chain(struct compile_ctx *x, const struct model_service *s,
			  const struct model_port *p)
{
	char *name = chain_name(RS_EXT_CHAIN_PREFIX, s, p);
	char *svc = chain_name(RS_CHAIN_PREFIX, s, p);
	struct rs_chain *c = rs_table_add_chain(x->t, name);
	char *local;

	if (!s->external_local) {
		rs_chain_add_rule(c, RS_RULE_MARK)->mark = RS_MARK_MASQUERADE;
		add_rule(c, RS_RULE_GOTO, svc);
		goto out;
	}
	if (x->m->node.ncluster_cidrs)
		add_rule(c, RS_RULE_GOTO_IF_MARK, svc)->mark = RS_MARK_FROM_POD;
	add_rule(c, RS_RULE_GOTO_IF_LOCAL_SOURCE, svc)->mark = RS_MARK_MASQUERADE;
	local = chain_name(RS_LOCAL_CHAIN_PREFIX, s, p);
	add_rule(c, RS_RULE_GOTO, local);
	free(local);
out:
	free(name);
	free(svc);
}

/* loadBalancerSourceRanges: only these sources reach the LB IPs. */
static void add_fw_chain(struct compile_ctx *x, const struct model_service *s,
			 const struct model_port *p)
{
	char *name = chain_name(RS_FW_CHAIN_PREFIX, s, p);
	struct rs_chain *c = rs_table_add_chain(x->t, name);
	struct rs_map *fw = rs_table_find_map(x->t, RS_MAP_FIREWALL_NAME);

	for (size_t i = 0; i < s->nsource_ranges; i++) {
		struct rs_rule *r = rs_chain_add_rule(c, RS_RULE_RETURN_IF_SADDR);

		r->addr = s->source_ranges[i].addr;
		r->prefix_len = s->source_ranges[i].len;
	}
	rs_chain_add_rule(c, RS_RULE_DROP);
	for (size_t i = 0; i < s->nlb_ips; i++) {
		struct rs_elem *e = rs_map_add_elem(fw, name);

		e->addr = s->lb_ips[i];
		e->l4proto = p->protocol;
		e->port = p->port;
	}
	free(name);
}

static void add_service_ip(struct rs_map *m, const char *chain,
			   const struct ip_addr *a, const struct model_port *p)
{
	struct rs_elem *e = rs_map_add_elem(m, chain);

	e->addr = *a;
	e->l4proto = p->protocol;
	e->port = p->port;
}

static void add_dispatch_elems(struct compile_ctx *x, const struct model_service *s,
			       const struct model_port *p)
{
	struct rs_map *ips = rs_table_find_map(x->t, RS_MAP_SERVICE_IPS_NAME);
	struct rs_map *nodeports = rs_table_find_map(x->t, RS_MAP_NODEPORTS_NAME);
	bool live = p->nendpoints > 0;
	char *cluster = chain_name(live && s->internal_local ? RS_LOCAL_CHAIN_PREFIX :
				   RS_CHAIN_PREFIX, s, p);
	char *ext = chain_name(live ? RS_EXT_CHAIN_PREFIX : RS_CHAIN_PREFIX, s, p);

	if (s->cluster_ip.family)
		add_service_ip(ips, cluster, &s->cluster_ip, p);
	for (size_t i = 0; i < s->nexternal_ips; i++)
		add_service_ip(ips, ext, &s->external_ips[i], p);
	for (size_t i = 0; i < s->nlb_ips; i++)
		add_service_ip(ips, ext, &s->lb_ips[i], p);
	if (p->node_port) {
		struct rs_elem *e = rs_map_add_elem(nodeports, ext);

		e->l4proto = p->protocol;
		e->port = p->node_port;
	}
	free(cluster);
	free(ext);
}

static void add_addresses(struct compile_ctx *x, const struct model_service *s)
{
	struct rs_map *cips = rs_table_find_map(x->t, RS_SET_CLUSTER_IPS_NAME);
	struct rs_map *hairpin = rs_table_find_map(x->t, RS_SET_HAIRPIN_NAME);

	if (s->cluster_ip.family)
		rs_map_add_elem(cips, NULL)->addr = s->cluster_ip;
	for (size_t j = 0; j < s->nports; j++) {
		const struct model_port *p = &s->ports[j];

		for (size_t k = 0; k < p->nendpoints; k++) {
			const struct ip_addr *a = &p->endpoints[k].addr;
			struct rs_elem *e;
			/* a table holds one family: the address's hash is
			 * its identity (IPv4 addresses are their own key),
			 * keyed so that no manifest can choose two that
			 * collide */
			uint64_t key = a->family == AF_INET6 ?
				hash_keyed(a->addr, 16) : (uint64_t)a->addr[0] << 24 |
				a->addr[1] << 16 | a->addr[2] << 8 | a->addr[3];

			if (!u64set_add(&x->hairpin_seen, key))
				continue;
			e = rs_map_add_elem(hairpin, NULL);
			e->addr = *a;
			e->addr2 = *a;
		}
	}
}

static void add_service(struct compile_ctx *x, const struct model_service *s)
{
	add_addresses(x, s);
	for (size_t j = 0; j < s->nports; j++) {
		const struct model_port *p = &s->ports[j];

		add_endpoint_chains(x, s, p);
		if (has_external(s) && p->nendpoints)
			add_ext_chain(x, s, p);
		if (x->firewall && s->nsource_ranges && s->nlb_ips)
			add_fw_chain(x, s, p);
		add_dispatch_elems(x, s, p);
	}
}

/* ExternalName Services have no rules; an empty chain carries the alias so
 * that dump can show it from the kernel alone. */
static void add_external_name(struct rs_table *t, const struct model_service *s)
{
	char *name = xasprintf(RS_CHAIN_PREFIX "%s/%s", s->ns, s->name);
	struct rs_chain *c = rs_table_add_chain(t, name);

	c->comment = xasprintf("%s %s", service_type_name(s->type), s->external_name);
	free(name);
}

/*
 * One family's part of the model: each table (ip, ip6) is compiled from a
 * shallow copy holding only that family's addresses, endpoints, ranges and
 * node context. Strings stay the model's; the arrays are the view's own.
 */
struct family_view {
	struct model m;
	bool restrict_node_ips;
};

static struct ip_addr *filter_addrs(const struct ip_addr *v, size_t n, int family,
				    size_t *out_n)
{
	struct ip_addr *out = xcalloc(n, sizeof(*out));

	*out_n = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].family == family)
			out[(*out_n)++] = v[i];
	return out;
}

static struct ip_prefix *filter_prefixes(const struct ip_prefix *v, size_t n,
					 int family, size_t *out_n)
{
	struct ip_prefix *out = xcalloc(n, sizeof(*out));

	*out_n = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].addr.family == family)
			out[(*out_n)++] = v[i];
	return out;
}

static void view_port(struct model_port *out, const struct model_port *p, int family)
{
	*out = *p;
	out->endpoints = xcalloc(p->nendpoints, sizeof(*out->endpoints));
	out->nendpoints = 0;
	for (size_t i = 0; i < p->nendpoints; i++)
		if (p->endpoints[i].addr.family == family)
			out->endpoints[out->nendpoints++] = p->endpoints[i];
}

static void view_service(struct model_service *out, const struct model_service *s,
			 int family)
{
	*out = *s;
	out->cluster_ip = family == AF_INET ? s->cluster_ip : s->cluster_ip6;
	out->external_ips = filter_addrs(s->external_ips, s->nexternal_ips, family,
					 &out->nexternal_ips);
	out->lb_ips = filter_addrs(s->lb_ips, s->nlb_ips, family, &out->nlb_ips);
	out->source_ranges = filter_prefixes(s->source_ranges, s->nsource_ranges,
					     family, &out->nsource_ranges);
	out->ports = xcalloc(s->nports, sizeof(*out->ports));
	for (size_t j = 0; j < s->nports; j++)
		view_port(&out->ports[j], &s->ports[j], family);
}

/* Whether a Service has anything to program in this family's table: an
 * address of it, or (ExternalName, whose alias lives in the ip table) none. */
static bool in_family(const struct model_service *s, int family)
{
	if (s->type == SERVICE_EXTERNAL_NAME || s->headless)
		return family == AF_INET;
	return model_service_has_family(s, family);
}

static void view_build(struct family_view *v, const struct model *m, int family)
{
	const struct model_node *n = &m->node;

	memset(v, 0, sizeof(*v));
	v->m.services = xcalloc(m->nservices, sizeof(*v->m.services));
	for (size_t i = 0; i < m->nservices; i++)
		if (in_family(&m->services[i], family))
			view_service(&v->m.services[v->m.nservices++], &m->services[i], family);
	v->m.node.masquerade_all = n->masquerade_all;
	v->m.node.cluster_cidrs = filter_prefixes(n->cluster_cidrs, n->ncluster_cidrs,
						  family, &v->m.node.ncluster_cidrs);
	v->m.node.node_ips = filter_addrs(n->node_ips, n->nnode_ips, family,
					  &v->m.node.nnode_ips);
	/* node ports answer on --node-ip only: given for the other family
	 * alone, none of this family's addresses does */
	v->restrict_node_ips = n->nnode_ips > 0;
}

static void view_free(struct family_view *v)
{
	for (size_t i = 0; i < v->m.nservices; i++) {
		struct model_service *s = &v->m.services[i];

		for (size_t j = 0; j < s->nports; j++)
			free(s->ports[j].endpoints);
		free(s->ports);
		free(s->external_ips);
		free(s->lb_ips);
		free(s->source_ranges);
	}
	free(v->m.services);
	free(v->m.node.cluster_cidrs);
	free(v->m.node.node_ips);
}

void ruleset_from_model(struct rs_table *t, const struct model *full,
			const char *table_name, int family)
{
	struct family_view v;
	const struct model *m = &v.m;
	struct compile_ctx x = { .t = t, .m = m };

	view_build(&v, full, family);
	x.restrict_node_ips = v.restrict_node_ips;
	rs_table_init(t, family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4, table_name);
	scan_model(&x);
	add_sets(&x);
	add_fixed_chains(&x);
	for (size_t i = 0; i < m->nservices; i++) {
		const struct model_service *s = &m->services[i];

		if (s->type == SERVICE_EXTERNAL_NAME)
			add_external_name(t, s);
		else if (programs_rules(s))
			add_service(&x, s);
	}
	u64set_free(&x.hairpin_seen);
	view_free(&v);
}
