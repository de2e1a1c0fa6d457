// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The explain walk (explain.h): a new connection followed through a
 * ruleset as the kernel runs it. The random endpoint choice does not fork
 * the walk: a numgen rule taken with probability 1/N hands 1/N of what is
 * left to its endpoint and the walk goes on with the rest, so the walk is
 * linear in the rules it meets and the endpoints' probabilities sum to 1.
 */
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "util.h"

#define WALK_DEPTH_MAX 16	/* the kernel's jump stack (NFT_JUMP_STACK_SIZE) */

enum walk_verdict {
	WALK_CONTINUE,		/* the chain ended or returned */
	WALK_ACCEPT,		/* DNAT (or masquerade) done */
	WALK_DROP,
	WALK_REJECT,
	WALK_RETURN,		/* a return rule: back to the calling chain */
};

struct walk {
	const struct rs_table *t;
	const struct explain_query *q;
	struct explain_result *r;
	struct ip_addr saddr, daddr;
	uint32_t mark;
	bool from_node;
	bool dnat_done;		/* postrouting: ct status dnat */
	double rest;		/* probability no DNAT has taken yet */
	const char *masq_why;	/* why the masquerade bit was set */
	bool via_ext;		/* passed an ext- chain (external traffic) */
	int depth;
	struct explain_endpoint *ep;	/* postrouting: the endpoint walked */
};

static void step(struct walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void step(struct walk *w, const char *fmt, ...)
{
	struct explain_result *r = w->r;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	r->steps = xrealloc(r->steps, (r->nsteps + 1) * sizeof(*r->steps));
	r->steps[r->nsteps++] = s;
}

static const char *addr_str(const struct ip_addr *a, char *buf)
{
	return ip_addr_str(a, buf, IP_ADDR_STRLEN);
}

static bool addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return !ip_addr_cmp(a, b);	/* which compares the families first */
}

static bool is_local(const struct walk *w, const struct ip_addr *a)
{
	for (size_t i = 0; i < w->q->nlocal; i++)
		if (addr_eq(&w->q->local_addrs[i], a))
			return true;
	return false;
}

static const struct rs_map *map(const struct walk *w, const char *name)
{
	return name ? rs_table_find_map(w->t, name) : NULL;
}

static bool set_has(const struct rs_map *m, const struct ip_addr *a)
{
	for (size_t i = 0; m && i < m->nelems; i++)
		if (addr_eq(&m->elems[i].addr, a))
			return true;
	return false;
}

static bool pair_set_has(const struct rs_map *m, const struct ip_addr *a,
			 const struct ip_addr *b)
{
	for (size_t i = 0; m && i < m->nelems; i++)
		if (addr_eq(&m->elems[i].addr, a) && addr_eq(&m->elems[i].addr2, b))
			return true;
	return false;
}

/* addr (family 0: not part of the key) . l4proto . port */
static const struct rs_elem *vmap_get(const struct rs_map *m, const struct ip_addr *a,
				      uint8_t l4proto, uint16_t port)
{
	for (size_t i = 0; m && i < m->nelems; i++) {
		const struct rs_elem *e = &m->elems[i];

		if ((!a || addr_eq(&e->addr, a)) && e->l4proto == l4proto &&
		    e->port == port)
			return e;
	}
	return NULL;
}

/* The client's entry in an affinity map, when the rule's protocol is the
 * connection's: the key has no protocol, each map serves one. */
static const struct rs_elem *affinity_get(const struct walk *w, const struct rs_rule *rule)
{
	const struct rs_map *m = rule->l4proto == w->q->l4proto ? map(w, rule->target) : NULL;

	for (size_t i = 0; m && i < m->nelems; i++) {
		const struct rs_elem *e = &m->elems[i];

		if (addr_eq(&e->addr, &w->saddr) && addr_eq(&e->addr2, &w->daddr) &&
		    e->port == w->q->dport)
			return e;
	}
	return NULL;
}

static void set_mark(struct walk *w, uint32_t bits, const char *why)
{
	if ((bits & RS_MARK_MASQUERADE) && !(w->mark & RS_MARK_MASQUERADE))
		w->masq_why = why;
	w->mark |= bits;
}

/* "NS/NAME/PROTO/PORT" of a per-port chain (svc-, ext-, local-, fw-), and
 * in *service_len the length of its "NS/NAME"; NULL for other chains. */
static const char *port_of_chain(const char *chain, size_t *service_len)
{
	size_t plen = rs_port_prefix_len(chain);
	const char *rest = chain + plen, *slash;

	if (!plen || !(slash = strchr(rest, '/')) || !(slash = strchr(slash + 1, '/')))
		return NULL;
	*service_len = slash - rest;
	return rest;
}

/* The Service port behind a per-port chain, once: the first one met. */
static void note_service(struct walk *w, const char *chain)
{
	struct explain_result *r = w->r;
	const struct rs_chain *svc;
	char type[RS_COMMENT_TYPE_MAX], portname[RS_COMMENT_PORT_MAX];
	size_t len;
	const char *port = port_of_chain(chain, &len);

	if (!port || r->service)
		return;
	r->service = xstrndup(port, len);
	r->chain = xasprintf(RS_CHAIN_PREFIX "%s", port);
	svc = rs_table_find_chain(w->t, r->chain);
	rs_port_comment_parse(svc ? svc->comment : NULL, type, portname);
	r->service_type = xstrdup(*type ? type : "?");
	r->port_name = xstrdup(portname);
}

/* The Service a ClusterIP belongs to (any of its ports), or NULL. */
static char *cluster_ip_service(struct walk *w)
{
	const struct rs_map *m = map(w, RS_MAP_SERVICE_IPS_NAME);
	size_t len;

	for (size_t i = 0; m && i < m->nelems; i++) {
		const char *port = addr_eq(&m->elems[i].addr, &w->daddr) && m->elems[i].chain ?
			port_of_chain(m->elems[i].chain, &len) : NULL;

		if (port)
			return xstrndup(port, len);
	}
	return NULL;
}

/* A service address that is no ClusterIP: the Service's type tells a
 * load balancer IP from an external IP (the rules treat both alike). */
static enum explain_kind address_kind(struct walk *w)
{
	if (set_has(map(w, RS_SET_CLUSTER_IPS_NAME), &w->daddr))
		return EXPLAIN_KIND_CLUSTER_IP;
	if (w->r->kind == EXPLAIN_KIND_LOAD_BALANCER_IP ||
	    (w->r->service_type && !strcmp(w->r->service_type, "LoadBalancer")))
		return EXPLAIN_KIND_LOAD_BALANCER_IP;
	return EXPLAIN_KIND_EXTERNAL_IP;
}

static enum walk_verdict run_chain(struct walk *w, const char *name);

static enum walk_verdict go(struct walk *w, const char *chain, const char *how,
			    const char *from)
{
	note_service(w, chain);
	step(w, "%s: %s %s", from, how, chain);
	return run_chain(w, chain);
}

static enum walk_verdict vmap_hit(struct walk *w, const struct rs_chain *c,
				  const struct rs_rule *rule, const struct rs_elem *e,
				  enum explain_kind kind)
{
	char buf[IP_ADDR_STRLEN];

	note_service(w, e->chain);
	if (w->r->kind == EXPLAIN_KIND_NONE)
		w->r->kind = kind == EXPLAIN_KIND_EXTERNAL_IP ? address_kind(w) : kind;
	step(w, "%s: %s@%s holds %s%s%s/%u (%s): goto %s", c->name,
	     kind == EXPLAIN_KIND_NODE_PORT ? "a node address, " : "", rule->target,
	     kind == EXPLAIN_KIND_NODE_PORT ? "" : addr_str(&w->daddr, buf),
	     kind == EXPLAIN_KIND_NODE_PORT ? "" : " . ", protocol_name(w->q->l4proto),
	     w->q->dport, explain_kind_name(w->r->kind), e->chain);
	return run_chain(w, e->chain);
}

static void add_endpoint(struct walk *w, const struct ip_addr *a, uint16_t port,
			 double p)
{
	struct explain_result *r = w->r;
	struct explain_endpoint *ep;

	r->endpoints = xrealloc(r->endpoints, (r->nendpoints + 1) * sizeof(*ep));
	ep = &r->endpoints[r->nendpoints++];
	memset(ep, 0, sizeof(*ep));
	ep->addr = *a;
	ep->port = port;
	ep->probability = p;
	ep->mark = w->mark;
	w->rest -= p;
}

static enum walk_verdict dnat(struct walk *w, const struct rs_chain *c,
			      const struct rs_rule *rule)
{
	double p = rule->numgen_mod > 1 ? w->rest / rule->numgen_mod : w->rest;

	if (rule->l4proto && rule->l4proto != w->q->l4proto)
		return WALK_CONTINUE;
	if (!w->r->nendpoints)
		step(w, "%s: endpoints chosen at random (numgen), one DNAT rule each", c->name);
	add_endpoint(w, &rule->addr, rule->port, p);
	if (rule->numgen_mod > 1)
		return WALK_CONTINUE;
	w->r->verdict = EXPLAIN_DNAT;
	return WALK_ACCEPT;
}

static enum walk_verdict affinity_dnat(struct walk *w, const struct rs_chain *c,
				       const struct rs_rule *rule)
{
	const struct rs_elem *e;
	char buf[IP_ADDR_STRLEN];

	if ((w->mark & RS_MARK_AFFINITY) != rule->mark ||
	    !(e = affinity_get(w, rule)))
		return WALK_CONTINUE;
	w->r->affinity_pinned = true;
	step(w, "%s: this client's entry in %s: DNAT to %s:%u again (session affinity)",
	     c->name, rule->target, addr_str(&e->to_addr, buf), e->to_port);
	add_endpoint(w, &e->to_addr, e->to_port, w->rest);
	w->r->verdict = EXPLAIN_DNAT;
	return WALK_ACCEPT;
}

static enum walk_verdict reject(struct walk *w, const struct rs_chain *c,
				const char *reason, char *detail)
{
	w->r->verdict = EXPLAIN_REJECT;
	w->r->reason = reason;
	w->r->detail = detail;
	step(w, "%s: reject (%s)", c->name, reason);
	return WALK_REJECT;
}

static enum walk_verdict drop(struct walk *w, const struct rs_chain *c)
{
	char buf[IP_ADDR_STRLEN];
	bool fw = !strncmp(c->name, RS_FW_CHAIN_PREFIX, strlen(RS_FW_CHAIN_PREFIX));

	w->r->verdict = EXPLAIN_DROP;
	if (fw) {
		w->r->reason = "source range";
		w->r->detail = xasprintf("%s is outside the loadBalancerSourceRanges of %s",
					 addr_str(&w->saddr, buf), w->r->service ? w->r->service : "?");
	} else {
		w->r->reason = "Local policy with no local endpoint";
		w->r->detail = xasprintf("%s has a Local traffic policy and none of its endpoints is on this node",
					 w->r->service ? w->r->service : "?");
	}
	step(w, "%s: drop (%s)", c->name, w->r->reason);
	return WALK_DROP;
}

/* Rules that only read or set the mark and go on. */
static enum walk_verdict mark_rule(struct walk *w, const struct rs_chain *c,
				   const struct rs_rule *rule)
{
	char buf[IP_ADDR_STRLEN], net[IP_ADDR_STRLEN];
	struct ip_prefix p = { rule->addr, rule->prefix_len };

	switch (rule->kind) {
	case RS_RULE_MARK_SADDR:
		if (ip_prefix_contains(&p, &w->saddr) && !(w->mark & rule->mark)) {
			step(w, "%s: %s is inside %s/%u, the cluster CIDR: a pod", c->name,
			     addr_str(&w->saddr, buf), addr_str(&rule->addr, net), rule->prefix_len);
			set_mark(w, rule->mark, NULL);
		}
		break;
	case RS_RULE_MARK_NOT_POD_TO_SET:
		if (!(w->mark & RS_MARK_FROM_POD) && set_has(map(w, rule->target), &w->daddr)) {
			step(w, "%s: not from a pod, to a ClusterIP: marked for masquerade", c->name);
			set_mark(w, rule->mark, "the source is outside the cluster CIDR and the destination a ClusterIP");
		}
		break;
	case RS_RULE_MARK:
		if ((rule->mark & RS_MARK_MASQUERADE) && !(w->mark & RS_MARK_MASQUERADE))
			step(w, "%s: marked for masquerade", c->name);
		set_mark(w, rule->mark, w->via_ext && strncmp(c->name, RS_CHAIN_PREFIX, strlen(RS_CHAIN_PREFIX)) ?
			 "external traffic with policy Cluster: replies must come back through this node" :
			 "--masquerade-all");
		if (rule->mark & RS_MARK_AFFINITY)
			w->r->affinity = true;
		break;
	case RS_RULE_AFFINITY_HIT:
		if (affinity_get(w, rule))
			set_mark(w, rule->mark, NULL);
		break;
	case RS_RULE_AFFINITY_RECORD:
	case RS_RULE_MASQUERADE_MARKED:
	case RS_RULE_MASQUERADE_HAIRPIN:
	case RS_RULE_MARK_CLEAR:
		break;	/* postrouting's: run_postrouting */
	default:
		/* a kind this walk does not know yet: say so rather than guess */
		step(w, "%s: a rule of kind %d explain does not know: taken as not matching",
		     c->name, (int)rule->kind);
		break;
	}
	return WALK_CONTINUE;
}

static enum walk_verdict services_rule(struct walk *w, const struct rs_chain *c,
				       const struct rs_rule *rule)
{
	const struct rs_elem *e;
	char buf[IP_ADDR_STRLEN];

	switch (rule->kind) {
	case RS_RULE_VMAP_SERVICE_IPS:
		e = vmap_get(map(w, rule->target), &w->daddr, w->q->l4proto, w->q->dport);
		if (!e)
			return WALK_CONTINUE;
		/* the firewall map holds load balancer IPs only */
		return vmap_hit(w, c, rule, e, strcmp(rule->target, RS_MAP_FIREWALL_NAME) ?
				EXPLAIN_KIND_EXTERNAL_IP : EXPLAIN_KIND_LOAD_BALANCER_IP);
	case RS_RULE_VMAP_NODEPORTS:
	case RS_RULE_VMAP_NODEPORTS_NODE_IPS:
		if (rule->kind == RS_RULE_VMAP_NODEPORTS ? !is_local(w, &w->daddr) :
		    !set_has(map(w, RS_SET_NODE_IPS_NAME), &w->daddr))
			return WALK_CONTINUE;
		e = vmap_get(map(w, rule->target), NULL, w->q->l4proto, w->q->dport);
		return e ? vmap_hit(w, c, rule, e, EXPLAIN_KIND_NODE_PORT) : WALK_CONTINUE;
	case RS_RULE_REJECT_TO_SET:
		if ((rule->l4proto && rule->l4proto != w->q->l4proto) ||
		    !set_has(map(w, rule->target), &w->daddr))
			return WALK_CONTINUE;
		w->r->kind = EXPLAIN_KIND_CLUSTER_IP;
		w->r->service = cluster_ip_service(w);
		return reject(w, c, "undefined port",
			      xasprintf("%s is the ClusterIP of %s, which defines no port %u/%s",
					addr_str(&w->daddr, buf),
					w->r->service ? w->r->service : "a Service",
					w->q->dport, protocol_name(w->q->l4proto)));
	default:
		return mark_rule(w, c, rule);
	}
}

static enum walk_verdict rule_verdict(struct walk *w, const struct rs_chain *c,
				      const struct rs_rule *rule)
{
	struct ip_prefix p = { rule->addr, rule->prefix_len };
	char buf[IP_ADDR_STRLEN], net[IP_ADDR_STRLEN];

	switch (rule->kind) {
	case RS_RULE_JUMP:
		return go(w, rule->target, "jump", c->name);
	case RS_RULE_GOTO:
		return go(w, rule->target, "goto", c->name);
	case RS_RULE_GOTO_IF_MARK:
		if ((w->mark & rule->mark) != rule->mark)
			return WALK_CONTINUE;
		return go(w, rule->target, "from a pod: every endpoint, source kept: goto", c->name);
	case RS_RULE_GOTO_IF_LOCAL_SOURCE:
		if (!w->from_node)
			return WALK_CONTINUE;
		set_mark(w, rule->mark, "the node's own connection to a Local-policy address");
		return go(w, rule->target, "from the node itself: every endpoint, masqueraded: goto", c->name);
	case RS_RULE_RETURN_IF_SADDR:
		if (!ip_prefix_contains(&p, &w->saddr))
			return WALK_CONTINUE;
		step(w, "%s: %s is inside source range %s/%u: admitted", c->name,
		     addr_str(&w->saddr, buf), addr_str(&rule->addr, net), rule->prefix_len);
		return WALK_RETURN;
	case RS_RULE_DNAT:
		return dnat(w, c, rule);
	case RS_RULE_AFFINITY_DNAT:
		return affinity_dnat(w, c, rule);
	case RS_RULE_REJECT:
		if (rule->l4proto && rule->l4proto != w->q->l4proto)
			return WALK_CONTINUE;
		return reject(w, c, "no endpoints",
			      xasprintf("%s port %u/%s has no ready endpoint",
					w->r->service ? w->r->service : "?", w->q->dport,
					protocol_name(w->q->l4proto)));
	case RS_RULE_DROP:
		return drop(w, c);
	case RS_RULE_UNKNOWN:
		step(w, "%s: rule handle %llu is not one svcnft writes: taken as not matching",
		     c->name, (unsigned long long)rule->handle);
		return WALK_CONTINUE;
	default:
		return services_rule(w, c, rule);
	}
}

static enum walk_verdict run_chain(struct walk *w, const char *name)
{
	const struct rs_chain *c = rs_table_find_chain(w->t, name);
	enum walk_verdict v = WALK_CONTINUE;

	if (!c || w->depth >= WALK_DEPTH_MAX)
		return WALK_CONTINUE;
	if (!strncmp(name, RS_EXT_CHAIN_PREFIX, strlen(RS_EXT_CHAIN_PREFIX)))
		w->via_ext = true;
	w->depth++;
	for (size_t i = 0; i < c->nrules && v == WALK_CONTINUE; i++) {
		v = rule_verdict(w, c, &c->rules[i]);
		if (v == WALK_RETURN) {
			v = WALK_CONTINUE;
			break;
		}
	}
	w->depth--;
	return v;
}

/* Base chains of a hook, by priority (the kernel's order). */
static size_t hook_chains(const struct rs_table *t, enum rs_hook hook,
			  const struct rs_chain **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nchains && n < max; i++) {
		size_t j = n;

		if (t->chains[i].hook != hook)
			continue;
		while (j > 0 && out[j - 1]->priority > t->chains[i].priority) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = &t->chains[i];
		n++;
	}
	return n;
}

static const char *hook_name(enum rs_hook h)
{
	return h == RS_HOOK_OUTPUT ? "output" : h == RS_HOOK_POSTROUTING ?
		"postrouting" : "prerouting";
}

static enum walk_verdict run_hook(struct walk *w, enum rs_hook hook)
{
	const struct rs_chain *base[16];
	size_t n = hook_chains(w->t, hook, base, ARRAY_SIZE(base));
	enum walk_verdict v = WALK_CONTINUE;

	for (size_t i = 0; i < n && v == WALK_CONTINUE; i++) {
		if (hook != RS_HOOK_POSTROUTING)
			step(w, "hook %s: base chain %s (%s, priority %d)", hook_name(hook),
			     base[i]->name, base[i]->type == RS_CHAIN_NAT ? "nat" : "filter",
			     base[i]->priority);
		w->depth = 0;
		v = run_chain(w, base[i]->name);
	}
	return v;
}

/* Postrouting for one endpoint: affinity record, masquerade. */
static void postrouting_rule(struct walk *w, const struct rs_rule *rule, bool *done)
{
	struct explain_endpoint *ep = w->ep;

	switch (rule->kind) {
	case RS_RULE_AFFINITY_RECORD:
		if ((w->mark & RS_MARK_AFFINITY) == rule->mark && rule->l4proto == w->q->l4proto) {
			w->r->affinity = true;
			w->r->affinity_timeout = rule->timeout;
		}
		break;
	case RS_RULE_MASQUERADE_MARKED:
		if (w->mark & RS_MARK_MASQUERADE) {
			ep->masquerade = *done = true;
			ep->masquerade_why = w->masq_why ? w->masq_why : "marked for masquerade";
		}
		break;
	case RS_RULE_MASQUERADE_HAIRPIN:
		if (w->dnat_done && pair_set_has(map(w, rule->target), &w->saddr, &ep->addr)) {
			ep->masquerade = *done = true;
			ep->masquerade_why = "hairpin: the endpoint is the client itself";
		}
		break;
	case RS_RULE_MARK_CLEAR:
		w->mark &= ~RS_MARK_ALL;
		break;
	default:
		break;
	}
}

static void run_postrouting(struct walk *w, struct explain_endpoint *ep)
{
	const struct rs_chain *base[16];
	size_t n = hook_chains(w->t, RS_HOOK_POSTROUTING, base, ARRAY_SIZE(base));
	bool done = false;

	w->ep = ep;
	w->mark = ep->mark;
	w->dnat_done = true;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < base[i]->nrules && !done; j++)
			postrouting_rule(w, &base[i]->rules[j], &done);
}

static const char *no_masquerade_why(const struct walk *w)
{
	if (w->mark & RS_MARK_FROM_POD)
		return "the source is a pod, inside the cluster CIDR: endpoints see its address";
	if (w->via_ext)
		return "externalTrafficPolicy Local keeps the client's address";
	if (w->from_node)
		return "the node's own connection: it leaves with a node address";
	return "no cluster CIDR of this family in the rules: connections to ClusterIPs keep their source";
}

static void summarize_masquerade(struct walk *w)
{
	struct explain_result *r = w->r;
	const char *hairpin = NULL;
	size_t masq = 0;
	uint32_t mark = w->mark;

	for (size_t i = 0; i < r->nendpoints; i++) {
		run_postrouting(w, &r->endpoints[i]);
		masq += r->endpoints[i].masquerade;
		if (r->endpoints[i].masquerade)
			hairpin = r->endpoints[i].masquerade_why;
	}
	w->mark = mark;
	r->masquerade = r->nendpoints && masq == r->nendpoints;
	r->masquerade_why = r->masquerade ? r->endpoints[0].masquerade_why : no_masquerade_why(w);
	step(w, "hook postrouting: %s (%s)", r->masquerade ? "masquerade" : "no masquerade",
	     r->masquerade_why);
	if (masq && !r->masquerade)
		step(w, "hook postrouting: masquerade to %zu endpoint%s (%s)", masq,
		     masq == 1 ? "" : "s", hairpin);
	if (r->affinity)
		step(w, "session affinity ClientIP, timeout %us: the endpoint is remembered per client",
		     r->affinity_timeout);
}

/* The node's source address for a connection it makes itself. */
static struct ip_addr node_source(const struct explain_query *q)
{
	struct ip_addr loopback = { 0 };

	for (size_t i = 0; i < q->nlocal; i++) {
		const struct ip_addr *a = &q->local_addrs[i];

		if (a->family != q->dst.family)
			continue;
		if (!(a->family == AF_INET ? a->addr[0] == 127 :
		      (!memcmp(a->addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15) && a->addr[15] == 1)))
			return *a;
		if (!loopback.family)
			loopback = *a;
	}
	return loopback;
}

static void set_source_kind(struct walk *w)
{
	struct explain_result *r = w->r;

	r->source_kind = w->from_node ? EXPLAIN_FROM_NODE :
		(w->mark & RS_MARK_FROM_POD) ? EXPLAIN_FROM_POD : EXPLAIN_FROM_OUTSIDE;
}

static void explain_none(struct walk *w)
{
	char buf[IP_ADDR_STRLEN];

	w->r->verdict = EXPLAIN_NONE;
	w->r->reason = "no rule matches";
	w->r->detail = xasprintf("%s port %u/%s is no ClusterIP, external or load balancer IP, or node port in table %s %s",
				 addr_str(&w->daddr, buf), w->q->dport,
				 protocol_name(w->q->l4proto),
				 w->t->family == NFPROTO_IPV6 ? "ip6" : "ip", w->t->name);
}

void explain_walk(const struct rs_table *t, const struct explain_query *q,
		  struct explain_result *r)
{
	struct walk w = { .t = t, .q = q, .r = r, .daddr = q->dst, .rest = 1.0 };
	enum walk_verdict v;

	memset(r, 0, sizeof(*r));
	w.from_node = !q->src.family || is_local(&w, &q->src);
	w.saddr = q->src.family ? q->src : node_source(q);
	r->src = w.saddr;
	v = run_hook(&w, w.from_node ? RS_HOOK_OUTPUT : RS_HOOK_PREROUTING);
	set_source_kind(&w);
	if (v == WALK_ACCEPT || (r->nendpoints && v == WALK_CONTINUE)) {
		r->verdict = EXPLAIN_DNAT;
		summarize_masquerade(&w);
	} else if (v == WALK_CONTINUE) {
		explain_none(&w);
	}
	if (r->verdict != EXPLAIN_DNAT) {
		r->masquerade = false;
		r->masquerade_why = NULL;
	}
}

void explain_result_free(struct explain_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nsteps; i++)
		free(r->steps[i]);
	free(r->steps);
	free(r->endpoints);
	free(r->service);
	free(r->port_name);
	free(r->service_type);
	free(r->chain);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}

const char *explain_verdict_name(enum explain_verdict v)
{
	static const char *const names[] = {
		[EXPLAIN_NONE] = "none", [EXPLAIN_DNAT] = "dnat",
		[EXPLAIN_REJECT] = "reject", [EXPLAIN_DROP] = "drop",
	};

	return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "?";
}

const char *explain_kind_name(enum explain_kind k)
{
	static const char *const names[] = {
		[EXPLAIN_KIND_NONE] = "none",
		[EXPLAIN_KIND_CLUSTER_IP] = "ClusterIP",
		[EXPLAIN_KIND_NODE_PORT] = "NodePort",
		[EXPLAIN_KIND_EXTERNAL_IP] = "ExternalIP",
		[EXPLAIN_KIND_LOAD_BALANCER_IP] = "LoadBalancerIP",
	};

	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "?";
}

const char *explain_source_name(enum explain_source s)
{
	static const char *const names[] = {
		[EXPLAIN_FROM_NODE] = "node", [EXPLAIN_FROM_POD] = "pod",
		[EXPLAIN_FROM_OUTSIDE] = "outside",
	};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}
