// SPDX-License-Identifier: GPL-2.0-or-later
/* Stage 3: the model compiled into the ruleset layout described in
 * ruleset.h. Pure data in, pure data out. */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "util.h"

#define NF_IP_PRI_NAT_DST (-100)	/* "dstnat" in nft */

static void add_base_chain(struct rs_table *t, const char *name,
			   enum rs_hook hook)
{
	struct rs_chain *c = rs_table_add_chain(t, name);
	struct rs_rule *r;

	c->hook = hook;
	c->type = RS_CHAIN_NAT;
	c->priority = NF_IP_PRI_NAT_DST;
	r = rs_chain_add_rule(c, RS_RULE_JUMP);
	r->target = xstrdup(RS_CHAIN_SERVICES_NAME);
}

static void add_dispatch(struct rs_table *t)
{
	struct rs_chain *c;
	struct rs_rule *r;

	rs_table_add_map(t, RS_MAP_SERVICE_IPS_NAME, RS_MAP_SERVICE_IPS);
	rs_table_add_map(t, RS_MAP_NODEPORTS_NAME, RS_MAP_NODEPORTS);
	add_base_chain(t, "prerouting", RS_HOOK_PREROUTING);
	add_base_chain(t, "output", RS_HOOK_OUTPUT);
	c = rs_table_add_chain(t, RS_CHAIN_SERVICES_NAME);
	/* ClusterIPs, externalIPs and load balancer IPs first: a node port
	 * lookup must not catch traffic to a service address that happens to
	 * be local. */
	r = rs_chain_add_rule(c, RS_RULE_VMAP_SERVICE_IPS);
	r->target = xstrdup(RS_MAP_SERVICE_IPS_NAME);
	r = rs_chain_add_rule(c, RS_RULE_VMAP_NODEPORTS);
	r->target = xstrdup(RS_MAP_NODEPORTS_NAME);
}

/* Endpoint i of n is taken with probability 1/(n-i) when none before it
 * was: every endpoint is equally likely, and no rule references a set. */
static void add_endpoint_rules(struct rs_chain *c, const struct model_port *p)
{
	struct rs_rule *r;

	if (p->nendpoints == 0) {
		r = rs_chain_add_rule(c, RS_RULE_REJECT);
		r->l4proto = p->protocol;
		return;
	}
	for (size_t i = 0; i < p->nendpoints; i++) {
		r = rs_chain_add_rule(c, RS_RULE_DNAT);
		r->numgen_mod = i + 1 < p->nendpoints ? p->nendpoints - i : 0;
		r->l4proto = p->protocol;
		r->addr = p->endpoints[i].addr;
		r->port = p->endpoints[i].port;
	}
}

static void add_service_ip(struct rs_map *m, const char *chain,
			   const struct ip_addr *a, const struct model_port *p)
{
	struct rs_elem *e = rs_map_add_elem(m, chain);

	e->addr = *a;
	e->l4proto = p->protocol;
	e->port = p->port;
}

static void add_service_port(struct rs_table *t, const struct model_service *s,
			     const struct model_port *p)
{
	char *name = xasprintf(RS_CHAIN_PREFIX "%s/%s/%s/%u", s->ns, s->name,
			       protocol_name(p->protocol), p->port);
	struct rs_chain *c = rs_table_add_chain(t, name);
	struct rs_map *ips = &t->maps[0], *nodeports = &t->maps[1];

	c->comment = *p->name ?
		xasprintf("%s %s/%s %s", service_type_name(s->type), s->ns, s->name, p->name) :
		xasprintf("%s %s/%s", service_type_name(s->type), s->ns, s->name);
	add_endpoint_rules(c, p);
	add_service_ip(ips, name, &s->cluster_ip, p);
	for (size_t i = 0; i < s->nexternal_ips; i++)
		add_service_ip(ips, name, &s->external_ips[i], p);
	for (size_t i = 0; i < s->nlb_ips; i++)
		add_service_ip(ips, name, &s->lb_ips[i], p);
	if (p->node_port) {
		struct rs_elem *e = rs_map_add_elem(nodeports, name);

		e->l4proto = p->protocol;
		e->port = p->node_port;
	}
	free(name);
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

void ruleset_from_model(struct rs_table *t, const struct model *m,
			const char *table_name)
{
	rs_table_init(t, NFPROTO_IPV4, table_name);
	add_dispatch(t);
	for (size_t i = 0; i < m->nservices; i++) {
		const struct model_service *s = &m->services[i];

		if (s->type == SERVICE_EXTERNAL_NAME) {
			add_external_name(t, s);
			continue;
		}
		if (s->headless)
			continue;
		for (size_t j = 0; j < s->nports; j++)
			add_service_port(t, s, &s->ports[j]);
	}
}
