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

/* A target as exact bytes, a key of a keyset: the family, the address
 * (4 or 16 bytes, zero after), the port. */
struct target_key {
	uint8_t b[1 + 16 + 2];
};

struct rs_targets {
	struct target_key *v;	/* the keys the keyset points to */
	size_t n;
	struct keyset set;
};

struct rs_targets *rs_targets_new(size_t max)
{
	struct rs_targets *t = xcalloc(1, sizeof(*t));

	t->v = xcalloc(max ? max : 1, sizeof(*t->v));
	return t;
}

static void target_key(struct target_key *k, const struct ip_addr *a,
		       uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->b[0] = a->family;
	memcpy(k->b + 1, a->addr, a->family == AF_INET6 ? 16 : 4);
	memcpy(k->b + 17, &port, sizeof(port));
}

void rs_targets_add(struct rs_targets *t, const struct ip_addr *a, uint16_t port)
{
	struct target_key *k = &t->v[t->n];

	target_key(k, a, port);
	if (keyset_add(&t->set, k, sizeof(*k)))
		t->n++;
}

bool rs_targets_has(const struct rs_targets *t, const struct ip_addr *a,
		    unsigned port)
{
	struct target_key k;

	if (port > UINT16_MAX)
		return false;
	target_key(&k, a, (uint16_t)port);
	return keyset_has(&t->set, &k, sizeof(k));
}

void rs_targets_free(struct rs_targets *t)
{
	if (!t)
		return;
	keyset_free(&t->set);
	free(t->v);
	free(t);
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

static bool has_target(const struct rs_chain *c, const struct rs_rule *r)
{
	for (size_t i = 0; c && i < c->nrules; i++)
		if (c->rules[i].kind == RS_RULE_DNAT && c->rules[i].port == r->port &&
		    !ip_addr_cmp(&c->rules[i].addr, &r->addr))
			return true;
	return false;
}

/* Past this many rules in both chains, comparing them looks up an index
 * of the new chain's targets: a scan per rule would be quadratic in a
 * Service port's endpoints (0.4 s at 20,000), and an index costs more
 * than a scan of a few. */
#define SCAN_RULES_MAX 64

/* The endpoints before's chain c DNATs to and now's (NULL: gone) not. */
static void add_gone_endpoints(const struct rs_chain *c, const struct rs_chain *now,
			       struct rs_stale_flow **out, size_t *n, size_t *cap)
{
	struct rs_targets *idx = NULL;

	if (now && c->nrules > SCAN_RULES_MAX && now->nrules > SCAN_RULES_MAX) {
		idx = rs_targets_new(now->nrules);
		for (size_t i = 0; i < now->nrules; i++)
			if (now->rules[i].kind == RS_RULE_DNAT)
				rs_targets_add(idx, &now->rules[i].addr, now->rules[i].port);
	}
	for (size_t j = 0; j < c->nrules; j++) {
		const struct rs_rule *r = &c->rules[j];

		if (r->kind == RS_RULE_DNAT &&
		    !(idx ? rs_targets_has(idx, &r->addr, r->port) : has_target(now, r)))
			rs_stale_flow_add(out, n, cap, &r->addr, r->port, true);
	}
	rs_targets_free(idx);
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

		if (is_udp_service_chain(c))
			add_gone_endpoints(c, lookup(&new_idx, after, c->name),
					   out, &n, &cap);
	}
	strmap_free(&old_idx);
	strmap_free(&new_idx);
	return n;
}
