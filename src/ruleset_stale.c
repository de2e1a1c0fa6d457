// SPDX-License-Identifier: GPL-2.0-or-later
/* Which UDP conntrack entries an apply made stale; see ruleset.h. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"
#include "util.h"

static bool is_udp_service_chain(const struct rs_chain *c)
{
	return !strncmp(c->name, RS_CHAIN_PREFIX, strlen(RS_CHAIN_PREFIX)) &&
	       strstr(c->name, "/udp/");
}

static bool has_target(const struct rs_chain *c, const struct rs_rule *r)
{
	for (size_t i = 0; c && i < c->nrules; i++)
		if (c->rules[i].kind == RS_RULE_DNAT && c->rules[i].port == r->port &&
		    !ip_addr_cmp(&c->rules[i].addr, &r->addr))
			return true;
	return false;
}

void rs_stale_flow_add(struct rs_stale_flow **v, size_t *n, size_t *cap,
		       const struct ip_addr *a, uint16_t port, bool by_reply_src)
{
	struct rs_stale_flow *f;

	grow_array(v, cap, *n + 1, sizeof(**v));
	f = &(*v)[(*n)++];
	memset(f, 0, sizeof(*f));
	if (a)
		f->addr = *a;
	f->port = port;
	f->by_reply_src = by_reply_src;
}

static struct strmap index_udp_chains(const struct rs_table *t)
{
	struct strmap idx = { 0 };

	for (size_t i = 0; t && i < t->nchains; i++)
		if (is_udp_service_chain(&t->chains[i]))
			strmap_add(&idx, t->chains[i].name, i);
	return idx;
}

static const struct rs_chain *lookup(const struct strmap *idx,
				     const struct rs_table *t, const char *name)
{
	const struct strmap_entry *e = strmap_get(idx, name);

	return e ? &t->chains[e->vals[0]] : NULL;
}

size_t rs_stale_udp_flows(const struct rs_table *before,
			  const struct rs_table *after, struct rs_stale_flow **out)
{
	struct strmap old_idx = index_udp_chains(before);
	struct strmap new_idx = index_udp_chains(after);
	size_t n = 0, cap = 0;

	*out = NULL;
	/* every address and node port of a port that had no endpoints */
	for (size_t m = 0; m < after->nmaps; m++) {
		const struct rs_map *map = &after->maps[m];

		if (map->kind != RS_MAP_SERVICE_IPS && map->kind != RS_MAP_NODEPORTS)
			continue;
		for (size_t i = 0; i < map->nelems; i++) {
			const struct rs_elem *e = &map->elems[i];
			char buf[256];
			const char *svc = rs_port_chain(e->chain, buf, sizeof(buf));

			if (!svc || !rs_chain_has_endpoints(lookup(&new_idx, after, svc)) ||
			    rs_chain_has_endpoints(lookup(&old_idx, before, svc)))
				continue;
			rs_stale_flow_add(out, &n, &cap,
					  map->kind == RS_MAP_SERVICE_IPS ? &e->addr : NULL,
					  e->port, false);
		}
	}
	for (size_t i = 0; before && i < before->nchains; i++) {
		const struct rs_chain *c = &before->chains[i];
		const struct rs_chain *now = lookup(&new_idx, after, c->name);

		if (!is_udp_service_chain(c))
			continue;
		for (size_t j = 0; j < c->nrules; j++)
			if (c->rules[j].kind == RS_RULE_DNAT && !has_target(now, &c->rules[j]))
				rs_stale_flow_add(out, &n, &cap, &c->rules[j].addr,
						  c->rules[j].port, true);
	}
	strmap_free(&old_idx);
	strmap_free(&new_idx);
	return n;
}
