// SPDX-License-Identifier: GPL-2.0-or-later
/* dump -o json, plan -o json: a ruleset and its Service summary (json-c). */
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "json_out.h"
#include "util.h"

#define JSON_SCHEMA 1

/* json-c returns NULL when out of memory: end the run as every other
 * allocation failure does (util.h), rather than print a wrong document. */
static struct json_object *must(struct json_object *o)
{
	if (!o)
		out_of_memory();
	return o;
}

static void append(struct json_object *array, struct json_object *v)
{
	if (json_object_array_add(array, v) < 0)
		out_of_memory();
}

static struct json_object *jstr(const char *s)
{
	return s ? must(json_object_new_string(s)) : NULL;	/* NULL is JSON null */
}

static struct json_object *jaddr(const struct ip_addr *a)
{
	char buf[IP_ADDR_STRLEN];

	return must(json_object_new_string(ip_addr_str(a, buf, sizeof(buf))));
}

static void put(struct json_object *o, const char *key, struct json_object *v)
{
	if (json_object_object_add(o, key, v) < 0)
		out_of_memory();
}

static struct json_object *endpoint_list(const struct ip_addr *addrs,
					 const uint16_t *ports, size_t n)
{
	struct json_object *eps = must(json_object_new_array());

	for (size_t i = 0; i < n; i++) {
		struct json_object *ep = must(json_object_new_object());

		put(ep, "address", jaddr(&addrs[i]));
		put(ep, "port", must(json_object_new_int(ports[i])));
		append(eps, ep);
	}
	return eps;
}

static struct json_object *summary_port(const struct rs_summary_port *p)
{
	struct json_object *o = must(json_object_new_object());

	put(o, "name", must(json_object_new_string(p->name ? p->name : "")));
	put(o, "protocol", must(json_object_new_string(protocol_name(p->l4proto))));
	put(o, "port", must(json_object_new_int(p->port)));
	put(o, "nodePort", p->node_port ? must(json_object_new_int(p->node_port)) : NULL);
	put(o, "endpoints", endpoint_list(p->endpoints, p->endpoint_ports, p->nendpoints));
	put(o, "localEndpoints", p->has_local ?
	    endpoint_list(p->local_endpoints, p->local_endpoint_ports,
			  p->nlocal_endpoints) : NULL);
	/* svcnft's rules carry no counter expressions yet, so the kernel
	 * keeps no per-Service counts: null says "not available", not 0 */
	put(o, "counters", NULL);
	return o;
}

static struct json_object *summary_service(const struct rs_summary_service *s)
{
	struct json_object *o = must(json_object_new_object());
	struct json_object *addrs = must(json_object_new_array());
	struct json_object *ports = must(json_object_new_array());

	put(o, "namespace", jstr(s->ns));
	put(o, "name", jstr(s->name));
	put(o, "type", jstr(s->type));
	put(o, "externalName", jstr(s->external_name));
	for (size_t i = 0; i < s->naddrs; i++)
		append(addrs, jaddr(&s->addrs[i]));
	put(o, "addresses", addrs);
	for (size_t i = 0; i < s->nports; i++)
		append(ports, summary_port(&s->ports[i]));
	put(o, "ports", ports);
	return o;
}

static struct json_object *services(const struct rs_table *t)
{
	struct json_object *a = must(json_object_new_array());
	struct rs_summary s;

	rs_summarize(&s, t);
	for (size_t i = 0; i < s.n; i++)
		append(a, summary_service(&s.v[i]));
	rs_summary_free(&s);
	return a;
}

static const char *map_kind_name(enum rs_map_kind kind)
{
	switch (kind) {
	case RS_MAP_SERVICE_IPS:
		return "service-ips";
	case RS_MAP_NODEPORTS:
		return "service-nodeports";
	case RS_SET_ADDRS:
		return "addresses";
	case RS_SET_ADDR_PAIRS:
		return "address-pairs";
	case RS_MAP_AFFINITY:
		return "affinity";
	default:
		return "other";
	}
}

/* The fields of an element are those of its map's key and value. */
static struct json_object *elem(enum rs_map_kind kind, const struct rs_elem *e)
{
	struct json_object *o = must(json_object_new_object());
	bool pair = kind == RS_SET_ADDR_PAIRS || kind == RS_MAP_AFFINITY;

	if (kind != RS_MAP_NODEPORTS)
		put(o, "address", jaddr(&e->addr));
	if (pair)
		put(o, "address2", jaddr(&e->addr2));
	if (kind == RS_MAP_SERVICE_IPS || kind == RS_MAP_NODEPORTS || kind == RS_MAP_AFFINITY) {
		put(o, "protocol", must(json_object_new_string(protocol_name(e->l4proto))));
		put(o, "port", must(json_object_new_int(e->port)));
	}
	if (kind == RS_MAP_AFFINITY) {
		put(o, "toAddress", jaddr(&e->to_addr));
		put(o, "toPort", must(json_object_new_int(e->to_port)));
	}
	if (e->chain)
		put(o, "chain", jstr(e->chain));
	return o;
}

static struct json_object *map(const struct rs_map *m)
{
	struct json_object *o = must(json_object_new_object());
	struct json_object *elems = must(json_object_new_array());

	put(o, "name", jstr(m->name));
	put(o, "kind", must(json_object_new_string(map_kind_name(m->kind))));
	for (size_t i = 0; i < m->nelems; i++)
		append(elems, elem(m->kind, &m->elems[i]));
	put(o, "elements", elems);
	return o;
}

static struct json_object *rule(const struct rs_rule *r)
{
	struct json_object *o = must(json_object_new_object());

	switch (r->kind) {
	case RS_RULE_JUMP:
		put(o, "kind", must(json_object_new_string("jump")));
		put(o, "target", jstr(r->target));
		break;
	case RS_RULE_VMAP_SERVICE_IPS:
	case RS_RULE_VMAP_NODEPORTS:
		put(o, "kind", must(json_object_new_string(r->kind == RS_RULE_VMAP_SERVICE_IPS ?
						      "vmap-service-ips" : "vmap-nodeports")));
		put(o, "map", jstr(r->target));
		break;
	case RS_RULE_DNAT:
		put(o, "kind", must(json_object_new_string("dnat")));
		put(o, "protocol", must(json_object_new_string(protocol_name(r->l4proto))));
		put(o, "address", jaddr(&r->addr));
		put(o, "port", must(json_object_new_int(r->port)));
		put(o, "numgenMod", must(json_object_new_int64(r->numgen_mod)));
		break;
	case RS_RULE_REJECT:
		put(o, "kind", must(json_object_new_string("reject")));
		put(o, "protocol", must(json_object_new_string(protocol_name(r->l4proto))));
		break;
	default:
		/* kinds added after schema 1 and rules svcnft did not write */
		put(o, "kind", must(json_object_new_string("other")));
		put(o, "handle", must(json_object_new_int64((int64_t)r->handle)));
		break;
	}
	return o;
}

static const char *hook_name(enum rs_hook hook)
{
	static const char *const names[] = {
		[RS_HOOK_PREROUTING] = "prerouting", [RS_HOOK_INPUT] = "input",
		[RS_HOOK_FORWARD] = "forward", [RS_HOOK_OUTPUT] = "output",
		[RS_HOOK_POSTROUTING] = "postrouting",
	};

	return hook < ARRAY_SIZE(names) ? names[hook] : NULL;
}

static struct json_object *chain(const struct rs_chain *c)
{
	struct json_object *o = must(json_object_new_object());
	struct json_object *rules = must(json_object_new_array());
	bool base = c->hook != RS_HOOK_NONE;

	put(o, "name", jstr(c->name));
	put(o, "comment", jstr(c->comment));
	put(o, "hook", base ? jstr(hook_name(c->hook)) : NULL);
	put(o, "type", base ? must(json_object_new_string(c->type == RS_CHAIN_NAT ?
						     "nat" : "filter")) : NULL);
	put(o, "priority", base ? must(json_object_new_int(c->priority)) : NULL);
	for (size_t i = 0; i < c->nrules; i++)
		append(rules, rule(&c->rules[i]));
	put(o, "rules", rules);
	return o;
}

/* The nft text of the table, as plan prints it without the replace lines. */
static struct json_object *nft_text(const struct rs_table *t)
{
	struct json_object *s = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		out_of_memory();	/* open_memstream fails only for memory */
	if (nft_text_write(out, t, false) == 0 && fclose(out) == 0)
		s = must(json_object_new_string_len(buf, (int)len));
	else
		fclose(out);
	free(buf);
	return s;
}

struct json_object *json_ruleset(const struct rs_table *t, const char *command)
{
	struct json_object *doc = must(json_object_new_object());
	struct json_object *table = must(json_object_new_object());
	struct json_object *maps = must(json_object_new_array());
	struct json_object *chains = must(json_object_new_array());

	put(doc, "schema", must(json_object_new_int(JSON_SCHEMA)));
	put(doc, "version", must(json_object_new_string(SVCNFT_VERSION)));
	put(doc, "command", jstr(command));
	put(table, "family", must(json_object_new_string(nft_family_name(t->family))));
	put(table, "name", jstr(t->name));
	put(doc, "table", table);
	put(doc, "services", services(t));
	for (size_t i = 0; i < t->nmaps; i++)
		append(maps, map(&t->maps[i]));
	put(doc, "maps", maps);
	for (size_t i = 0; i < t->nchains; i++)
		append(chains, chain(&t->chains[i]));
	put(doc, "chains", chains);
	put(doc, "nft", nft_text(t));
	return doc;
}

int json_doc_write(FILE *out, struct json_object *doc)
{
	const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	int ret;

	if (!s)
		out_of_memory();
	ret = fprintf(out, "%s\n", s) < 0 ? -EIO : 0;
	json_object_put(doc);
	return ret;
}

int json_ruleset_write(FILE *out, const struct rs_table *t, const char *command)
{
	return json_doc_write(out, json_ruleset(t, command));
}
