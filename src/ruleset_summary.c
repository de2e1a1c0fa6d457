// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The per-Service view of a ruleset, recovered from names alone: chain
 * "svc-NS/NAME/PROTO/PORT" with comment "TYPE NS/NAME [PORTNAME]", or
 * "svc-NS/NAME" with comment "ExternalName TARGET". Works on a table read
 * back from the kernel, so dump needs no manifests.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "util.h"

struct summary_ctx {
	struct rs_summary *s;
	struct strmap services;	/* "ns/name" -> index in s->v */
	struct strmap ports;	/* chain name -> service index, port index */
	struct strmap addrs;	/* "service index address" already listed */
	size_t cap_services;
	struct capacity { size_t ports, addrs; } *caps;	/* beside s->v */
	size_t cap_caps;
};

static struct rs_summary_service *service_for(struct summary_ctx *ctx,
					      const char *ns, const char *name)
{
	char *key = xasprintf("%s/%s", ns, name);
	const struct strmap_entry *e = strmap_get(&ctx->services, key);
	struct rs_summary_service *svc;

	if (e) {
		free(key);
		return &ctx->s->v[e->vals[0]];
	}
	strmap_add(&ctx->services, key, ctx->s->n);
	free(key);
	/* geometric growth: +1 reallocs are quadratic where realloc copies */
	grow_array(&ctx->s->v, &ctx->cap_services, ctx->s->n + 1, sizeof(*ctx->s->v));
	grow_array(&ctx->caps, &ctx->cap_caps, ctx->s->n + 1, sizeof(*ctx->caps));
	svc = &ctx->s->v[ctx->s->n++];
	svc->ns = xstrdup(ns);
	svc->name = xstrdup(name);
	return svc;
}

/* Append the DNAT rules' destinations of chain c: two allocations per
 * chain, not two per endpoint. */
static void add_dnats(const struct rs_chain *c, struct ip_addr **addrs,
		      uint16_t **ports, size_t *n)
{
	size_t more = 0;

	for (size_t i = 0; i < c->nrules; i++)
		more += c->rules[i].kind == RS_RULE_DNAT;
	if (!more)
		return;
	*addrs = xrealloc(*addrs, (*n + more) * sizeof(**addrs));
	*ports = xrealloc(*ports, (*n + more) * sizeof(**ports));
	for (size_t i = 0; i < c->nrules; i++) {
		if (c->rules[i].kind != RS_RULE_DNAT)
			continue;
		(*addrs)[*n] = c->rules[i].addr;
		(*ports)[(*n)++] = c->rules[i].port;
	}
}

static void add_port(struct summary_ctx *ctx, const struct rs_chain *c,
		     const char *ns, const char *name, const char *proto,
		     unsigned port)
{
	struct rs_summary_service *svc = service_for(ctx, ns, name);
	char type[RS_COMMENT_TYPE_MAX], portname[RS_COMMENT_PORT_MAX];
	struct rs_summary_port *p;

	rs_port_comment_parse(c->comment, type, portname);
	if (!svc->type && *type)
		svc->type = xstrdup(type);
	grow_array(&svc->ports, &ctx->caps[svc - ctx->s->v].ports, svc->nports + 1,
		   sizeof(*svc->ports));
	p = &svc->ports[svc->nports];
	p->l4proto = protocol_from_name(proto);
	p->port = port;
	p->name = xstrdup(portname);
	add_dnats(c, &p->endpoints, &p->endpoint_ports, &p->nendpoints);
	/* two values, not one packed: a Service may have more than 65,535
	 * ports */
	strmap_add(&ctx->ports, c->name, svc - ctx->s->v);
	strmap_add(&ctx->ports, c->name, svc->nports);
	svc->nports++;
}

static void add_chain(struct summary_ctx *ctx, const struct rs_chain *c)
{
	char ns[64], name[64], proto[8], target[256];
	unsigned port;
	const char *rest = c->name + strlen(RS_CHAIN_PREFIX);

	if (strncmp(c->name, RS_CHAIN_PREFIX, strlen(RS_CHAIN_PREFIX)))
		return;
	if (sscanf(rest, "%63[^/]/%63[^/]/%7[^/]/%u", ns, name, proto, &port) == 4) {
		add_port(ctx, c, ns, name, proto, port);
		return;
	}
	if (sscanf(rest, "%63[^/]/%63s", ns, name) == 2 && c->comment &&
	    sscanf(c->comment, "ExternalName %255s", target) == 1) {
		struct rs_summary_service *svc = service_for(ctx, ns, name);

		svc->type = xstrdup("ExternalName");
		svc->external_name = xstrdup(target);
	}
}

/* A local- chain: its port's endpoints for the Local policies (after
 * every svc- chain is known, whatever order the kernel lists them in). */
static void add_local_chain(struct summary_ctx *ctx, const struct rs_chain *c)
{
	char buf[256];
	const char *port;
	const struct strmap_entry *e;
	struct rs_summary_port *p;

	if (strncmp(c->name, RS_LOCAL_CHAIN_PREFIX, strlen(RS_LOCAL_CHAIN_PREFIX)))
		return;
	port = rs_port_chain(c->name, buf, sizeof(buf));
	e = port ? strmap_get(&ctx->ports, port) : NULL;
	if (!e || e->nvals != 2)
		return;	/* two chains of one name: not svcnft's */
	p = &ctx->s->v[e->vals[0]].ports[e->vals[1]];
	p->has_local = true;
	add_dnats(c, &p->local_endpoints, &p->local_endpoint_ports, &p->nlocal_endpoints);
}

/* Each address once per Service (one element per port names it), looked up
 * in a map: a scan of the Service's addresses would be quadratic in them. */
static void add_address(struct summary_ctx *ctx, struct rs_summary_service *svc,
			const struct ip_addr *a)
{
	char text[IP_ADDR_STRLEN], *key;

	key = xasprintf("%zu %s", (size_t)(svc - ctx->s->v),
			ip_addr_str(a, text, sizeof(text)));
	if (!strmap_get(&ctx->addrs, key)) {
		strmap_add(&ctx->addrs, key, 0);
		grow_array(&svc->addrs, &ctx->caps[svc - ctx->s->v].addrs,
			   svc->naddrs + 1, sizeof(*svc->addrs));
		svc->addrs[svc->naddrs++] = *a;
	}
	free(key);
}

static void add_elements(struct summary_ctx *ctx, const struct rs_map *m)
{
	/* only the dispatch maps say where a Service answers */
	if (strcmp(m->name, RS_MAP_SERVICE_IPS_NAME) && strcmp(m->name, RS_MAP_NODEPORTS_NAME))
		return;
	for (size_t i = 0; i < m->nelems; i++) {
		char buf[256];
		const char *port = rs_port_chain(m->elems[i].chain, buf, sizeof(buf));
		const struct strmap_entry *e = port ? strmap_get(&ctx->ports, port) : NULL;
		struct rs_summary_service *svc;

		if (!e || e->nvals != 2)
			continue;	/* two chains of one name: not svcnft's */
		svc = &ctx->s->v[e->vals[0]];
		if (m->kind == RS_MAP_SERVICE_IPS)
			add_address(ctx, svc, &m->elems[i].addr);
		else
			svc->ports[e->vals[1]].node_port = m->elems[i].port;
	}
}

void rs_summarize(struct rs_summary *s, const struct rs_table *t)
{
	struct summary_ctx ctx = { .s = s };

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < t->nchains; i++)
		add_chain(&ctx, &t->chains[i]);
	for (size_t i = 0; i < t->nchains; i++)
		add_local_chain(&ctx, &t->chains[i]);
	for (size_t i = 0; i < t->nmaps; i++)
		add_elements(&ctx, &t->maps[i]);
	strmap_free(&ctx.services);
	strmap_free(&ctx.ports);
	strmap_free(&ctx.addrs);
	free(ctx.caps);
}

void rs_summary_free(struct rs_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct rs_summary_service *svc = &s->v[i];

		for (size_t j = 0; j < svc->nports; j++) {
			free(svc->ports[j].name);
			free(svc->ports[j].endpoints);
			free(svc->ports[j].endpoint_ports);
			free(svc->ports[j].local_endpoints);
			free(svc->ports[j].local_endpoint_ports);
		}
		free(svc->ports);
		free(svc->addrs);
		free(svc->ns);
		free(svc->name);
		free(svc->type);
		free(svc->external_name);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
