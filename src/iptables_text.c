// SPDX-License-Identifier: GPL-2.0-or-later
/* iptables-restore input for a ruleset; see iptables.h for the layout. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "iptables.h"
#include "util.h"

const char *ipt_table_name(enum ipt_table t)
{
	return t == IPT_NAT ? "nat" : "filter";
}

/* iptables chain names are limited to 28 characters: svcnft's own names
 * (svc-NS/NAME/PROTO/PORT) are hashed, and the rule comments keep them. */
void ipt_chain_name(const char *rs_name, char out[29])
{
	snprintf(out, 29, IPT_PREFIX "SVC-%016" PRIX64,
		 hash_fnv1a(rs_name, strlen(rs_name), 0));
}

/* Built-in chains svcnft jumps from, per table. */
static const struct ipt_hook {
	enum ipt_table table;
	const char *builtin, *match, *target;
} ipt_hooks[] = {
	{ IPT_NAT, "PREROUTING", "", IPT_SERVICES },
	{ IPT_NAT, "OUTPUT", "", IPT_SERVICES },
	{ IPT_NAT, "POSTROUTING", "", IPT_POSTROUTING },
	{ IPT_FILTER, "INPUT", "-m conntrack --ctstate NEW ", IPT_NO_ENDPOINTS },
	{ IPT_FILTER, "FORWARD", "-m conntrack --ctstate NEW ", IPT_NO_ENDPOINTS },
	{ IPT_FILTER, "OUTPUT", "-m conntrack --ctstate NEW ", IPT_NO_ENDPOINTS },
};

static bool chain_has_endpoints(const struct rs_chain *c)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].kind == RS_RULE_DNAT)
			return true;
	return false;
}

static bool is_service_chain(const struct rs_chain *c)
{
	return !strncmp(c->name, RS_CHAIN_PREFIX, strlen(RS_CHAIN_PREFIX)) &&
	       c->nrules > 0;
}

static void write_dnat(FILE *out, const char *chain, const struct rs_rule *r)
{
	char buf[IP_ADDR_STRLEN];

	fprintf(out, "-A %s -p %s ", chain, protocol_name(r->l4proto));
	if (r->numgen_mod)
		fprintf(out, "-m statistic --mode random --probability %.10f ",
			1.0 / r->numgen_mod);
	fprintf(out, "-j DNAT --to-destination %s:%u\n",
		ip_addr_str(&r->addr, buf, sizeof(buf)), r->port);
}

/* -d ADDR/32 -p P -m P --dport N for service IPs; node ports are local
 * addresses, which the nat table checks once before SVCNFT-NODEPORTS. */
static void write_match(FILE *out, const struct rs_map *m, const struct rs_elem *e,
			const char *svc, enum ipt_table which)
{
	char buf[IP_ADDR_STRLEN];
	const char *p = protocol_name(e->l4proto);

	if (m->kind == RS_MAP_SERVICE_IPS)
		fprintf(out, "-d %s/32 ", ip_addr_str(&e->addr, buf, sizeof(buf)));
	else if (which == IPT_FILTER)
		fputs("-m addrtype --dst-type LOCAL ", out);
	fprintf(out, "-p %s -m %s --dport %u -m comment --comment \"%s\" ", p, p,
		e->port, svc + strlen(RS_CHAIN_PREFIX));
}

/* The one --cluster-cidr the nftables layout marks pods with, or NULL:
 * iptables' ! -s takes a single prefix (iptables_check refuses more). */
static const struct rs_rule *pod_cidr(const struct rs_table *t)
{
	const struct rs_chain *c = rs_table_find_chain(t, RS_CHAIN_SERVICES_NAME);

	for (size_t i = 0; c && i < c->nrules; i++)
		if (c->rules[i].kind == RS_RULE_MARK_SADDR &&
		    c->rules[i].mark == RS_MARK_FROM_POD)
			return &c->rules[i];
	return NULL;
}

/* kube-proxy's iptables masquerade: external traffic (an ext- chain in the
 * nftables layout) and ClusterIP traffic from outside the pod network are
 * marked before they reach the Service; SVCNFT-POSTROUTING masquerades
 * what is marked. */
static void write_masquerade_mark(FILE *out, const struct rs_table *t,
				  const char *from, const struct rs_map *m,
				  const struct rs_elem *e, const char *svc)
{
	const struct rs_rule *pods = pod_cidr(t);
	char buf[IP_ADDR_STRLEN];
	bool external = !strncmp(e->chain, RS_EXT_CHAIN_PREFIX,
				 strlen(RS_EXT_CHAIN_PREFIX));

	if (!external && (!pods || m->kind != RS_MAP_SERVICE_IPS))
		return;
	fprintf(out, "-A %s ", from);
	write_match(out, m, e, svc, IPT_NAT);
	if (!external)
		fprintf(out, "! -s %s/%u ", ip_addr_str(&pods->addr, buf, sizeof(buf)),
			pods->prefix_len);
	fputs("-j " IPT_MARK_MASQ "\n", out);
}

/* Marked connections are masqueraded, and so is an endpoint reaching
 * itself through its Service (hairpin), one rule per endpoint address. */
static void write_postrouting(FILE *out, const struct rs_table *t)
{
	const struct rs_map *hp = rs_table_find_map(t, RS_SET_HAIRPIN_NAME);
	char buf[IP_ADDR_STRLEN];

	/* MARK written as iptables-save prints it back (--or-mark V is
	 * --set-xmark V/V, --xor-mark V is --set-xmark V/0), so that dump and
	 * plan compare line for line */
	fprintf(out, "-A " IPT_MARK_MASQ " -j MARK --set-xmark 0x%x/0x%x\n",
		RS_MARK_MASQUERADE, RS_MARK_MASQUERADE);
	for (size_t i = 0; hp && i < hp->nelems; i++) {
		ip_addr_str(&hp->elems[i].addr, buf, sizeof(buf));
		fprintf(out, "-A " IPT_POSTROUTING " -s %s/32 -d %s/32 -m conntrack --ctstate DNAT -j MASQUERADE --random-fully\n",
			buf, buf);
	}
	fprintf(out, "-A " IPT_POSTROUTING " -m mark ! --mark 0x%x/0x%x -j RETURN\n",
		RS_MARK_MASQUERADE, RS_MARK_MASQUERADE);
	fprintf(out, "-A " IPT_POSTROUTING " -j MARK --set-xmark 0x%x/0x0\n", RS_MARK_MASQUERADE);
	fputs("-A " IPT_POSTROUTING " -j MASQUERADE --random-fully\n", out);
}

/* A live ClusterIP on a port its Service does not define: what the nat
 * table DNATed no longer has the ClusterIP as destination when the filter
 * hooks see it, so whatever still does was not a Service port. */
static void write_cluster_ip_rejects(FILE *out, const struct rs_table *t)
{
	const struct rs_map *cips = rs_table_find_map(t, RS_SET_CLUSTER_IPS_NAME);
	char buf[IP_ADDR_STRLEN];

	for (size_t i = 0; cips && i < cips->nelems; i++)
		fprintf(out, "-A " IPT_NO_ENDPOINTS " -d %s/32 -m comment --comment \"cluster IP, port not served\" -j REJECT --reject-with icmp-port-unreachable\n",
			ip_addr_str(&cips->elems[i].addr, buf, sizeof(buf)));
}

/* Node ports answer on every local address, or on --node-ip's only (the
 * nftables layout's node-ips set). */
static void write_nodeports_jump(FILE *out, const struct rs_table *t)
{
	const struct rs_map *ips = rs_table_find_map(t, RS_SET_NODE_IPS_NAME);
	char buf[IP_ADDR_STRLEN];

	if (!ips) {
		fputs("-A " IPT_SERVICES " -m addrtype --dst-type LOCAL -j " IPT_NODEPORTS "\n", out);
		return;
	}
	for (size_t i = 0; i < ips->nelems; i++)
		fprintf(out, "-A " IPT_SERVICES " -d %s/32 -j " IPT_NODEPORTS "\n",
			ip_addr_str(&ips->elems[i].addr, buf, sizeof(buf)));
}

/* The dispatch rules of one map: to the service chain in nat, or to
 * REJECT in filter for ports that have no endpoints. Each element's chain
 * is found in chains (name -> index): a map holds one element per Service
 * address and port. */
static void write_dispatch(FILE *out, const struct rs_table *t,
			   const struct strmap *chains, const struct rs_map *m,
			   enum ipt_table which)
{
	const char *from = m->kind == RS_MAP_SERVICE_IPS ? IPT_SERVICES : IPT_NODEPORTS;
	char name[29];

	for (size_t i = 0; i < m->nelems; i++) {
		const struct rs_elem *e = &m->elems[i];
		char buf[256];
		/* the nftables layout's ext-/local- chains (masquerade, traffic
		 * policies) have no iptables form yet: their Service port's
		 * endpoints are used directly */
		const char *svc = rs_port_chain(e->chain, buf, sizeof(buf));
		const struct strmap_entry *ce = svc ? strmap_get(chains, svc) : NULL;
		const struct rs_chain *c = ce ? &t->chains[ce->vals[0]] : NULL;
		bool live = c && chain_has_endpoints(c);

		if (!c || live != (which == IPT_NAT))
			continue;
		if (which == IPT_NAT)
			write_masquerade_mark(out, t, from, m, e, svc);
		fprintf(out, "-A %s ", which == IPT_NAT ? from : IPT_NO_ENDPOINTS);
		write_match(out, m, e, svc, which);
		if (which == IPT_NAT) {
			ipt_chain_name(svc, name);
			fprintf(out, "-j %s\n", name);
		} else {
			fprintf(out, "-j REJECT --reject-with %s\n",
				e->l4proto == IPPROTO_TCP ? "tcp-reset" : "icmp-port-unreachable");
		}
	}
}

/* The chains table `which` should hold, in order. Caller frees. */
static char **wanted_chains(const struct rs_table *t, enum ipt_table which,
			    size_t *n)
{
	char **v = xcalloc(t->nchains + 4, sizeof(*v));
	char name[29];

	*n = 0;
	if (which == IPT_FILTER) {
		v[(*n)++] = xstrdup(IPT_NO_ENDPOINTS);
		return v;
	}
	v[(*n)++] = xstrdup(IPT_SERVICES);
	v[(*n)++] = xstrdup(IPT_NODEPORTS);
	v[(*n)++] = xstrdup(IPT_MARK_MASQ);
	v[(*n)++] = xstrdup(IPT_POSTROUTING);
	for (size_t i = 0; i < t->nchains; i++) {
		if (!is_service_chain(&t->chains[i]) || !chain_has_endpoints(&t->chains[i]))
			continue;
		ipt_chain_name(t->chains[i].name, name);
		v[(*n)++] = xstrdup(name);
	}
	return v;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Jump rules: exactly one per hook. A missing one is added; extra copies
 * (someone else's, or a crash between two runs) are removed. */
static void write_jumps(FILE *out, enum ipt_table which,
			const struct ipt_table_state *st)
{
	for (size_t h = 0; h < ARRAY_SIZE(ipt_hooks); h++) {
		const struct ipt_hook *k = &ipt_hooks[h];
		char *want;
		size_t have = 0;

		if (k->table != which)
			continue;
		want = xasprintf("-A %s %s-m comment --comment svcnft -j %s",
				 k->builtin, k->match, k->target);
		for (size_t i = 0; st && i < st->njumps; i++) {
			if (strcmp(st->jumps[i], want))
				continue;
			if (have++)
				fprintf(out, "-D%s\n", st->jumps[i] + 2);
		}
		if (!have)
			fprintf(out, "%s\n", want);
		free(want);
	}
}

/* Chains of an earlier run that this one no longer has: declared (which
 * flushes them under --noflush) so that nothing refers to them, then -X. */
/* Chains of the kernel's table that are no longer wanted (an index of
 * the wanted ones: both lists hold a chain per Service port). */
static void write_stale(FILE *out, const struct strmap *want,
			const struct ipt_table_state *st, bool declare)
{
	for (size_t i = 0; st && i < st->nchains; i++) {
		if (strmap_get(want, st->chains[i]))
			continue;
		if (declare)
			fprintf(out, ":%s - [0:0]\n", st->chains[i]);
		else
			fprintf(out, "-X %s\n", st->chains[i]);
	}
}

static void write_service_chains(FILE *out, const struct rs_table *t)
{
	char name[29];

	for (size_t i = 0; i < t->nchains; i++) {
		const struct rs_chain *c = &t->chains[i];

		if (!is_service_chain(c) || !chain_has_endpoints(c))
			continue;
		ipt_chain_name(c->name, name);
		for (size_t j = 0; j < c->nrules; j++) {
			const struct rs_rule *r = &c->rules[j];

			if (r->kind == RS_RULE_DNAT)
				write_dnat(out, name, r);
			else if (r->kind == RS_RULE_MARK && r->mark == RS_MARK_MASQUERADE)
				fprintf(out, "-A %s -j " IPT_MARK_MASQ "\n", name);
		}
	}
	write_postrouting(out, t);
}

int ipt_restore_write(FILE *out, const struct rs_table *t, enum ipt_table which,
		      const struct ipt_table_state *st)
{
	size_t nwant;
	char **want = wanted_chains(t, which, &nwant);
	const struct rs_map *ips = rs_table_find_map(t, RS_MAP_SERVICE_IPS_NAME);
	const struct rs_map *nodeports = rs_table_find_map(t, RS_MAP_NODEPORTS_NAME);
	struct strmap chains = { 0 }, wanted = { 0 };

	for (size_t i = 0; i < t->nchains; i++)
		strmap_add(&chains, t->chains[i].name, i);
	for (size_t i = 0; i < nwant; i++)
		strmap_add(&wanted, want[i], i);
	fprintf(out, "*%s\n", ipt_table_name(which));
	for (size_t i = 0; i < nwant; i++)
		fprintf(out, ":%s - [0:0]\n", want[i]);
	write_stale(out, &wanted, st, true);
	if (ips)
		write_dispatch(out, t, &chains, ips, which);
	if (which == IPT_NAT) {
		/* node ports last: a service address that is also local must
		 * reach its own service, not a node port */
		write_nodeports_jump(out, t);
		if (nodeports)
			write_dispatch(out, t, &chains, nodeports, which);
		write_service_chains(out, t);
	} else {
		if (nodeports)
			write_dispatch(out, t, &chains, nodeports, which);
		write_cluster_ip_rejects(out, t);
	}
	write_jumps(out, which, st);
	write_stale(out, &wanted, st, false);
	fputs("COMMIT\n", out);
	free_strv(want, nwant);
	strmap_free(&chains);
	strmap_free(&wanted);
	return ferror(out) ? -EIO : 0;
}

int ipt_flush_write(FILE *out, enum ipt_table which,
		    const struct ipt_table_state *st)
{
	fprintf(out, "*%s\n", ipt_table_name(which));
	for (size_t i = 0; st && i < st->njumps; i++)
		fprintf(out, "-D%s\n", st->jumps[i] + 2);
	for (size_t i = 0; st && i < st->nchains; i++)
		fprintf(out, ":%s - [0:0]\n", st->chains[i]);
	for (size_t i = 0; st && i < st->nchains; i++)
		fprintf(out, "-X %s\n", st->chains[i]);
	fputs("COMMIT\n", out);
	return ferror(out) ? -EIO : 0;
}
