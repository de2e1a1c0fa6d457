// SPDX-License-Identifier: GPL-2.0-or-later
/* iptables-restore input for a ruleset; see iptables.h for the layout. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>

#include "iptables_int.h"

const char *ipt_table_name(enum ipt_table t)
{
	return t == IPT_NAT ? "nat" : "filter";
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

/* -d ADDR/32 -p P -m P --dport N for service IPs; node ports are local
 * addresses, which the nat table checks once before SVCNFT-NODEPORTS. */
static void write_match(const struct ipt_writer *w, const struct rs_map *m,
			const struct rs_elem *e, const char *svc)
{
	char buf[IP_ADDR_STRLEN];
	const char *p = protocol_name(e->l4proto);

	if (m->kind == RS_MAP_SERVICE_IPS)
		fprintf(w->out, "-d %s/%u ", ip_addr_str(&e->addr, buf, sizeof(buf)), w->host_len);
	else if (w->which == IPT_FILTER)
		fputs("-m addrtype --dst-type LOCAL ", w->out);
	fprintf(w->out, "-p %s -m %s --dport %u -m comment --comment \"%s\" ", p, p,
		e->port, svc + strlen(RS_CHAIN_PREFIX));
}

static const struct rs_chain *services_chain(const struct ipt_writer *w)
{
	return ipt_find_chain(w, RS_CHAIN_SERVICES_NAME);
}

/* Whether the nftables layout marks pods' connections (--cluster-cidr of
 * this family given) and masquerades ClusterIP traffic from elsewhere. */
static bool marks_pods(const struct ipt_writer *w)
{
	const struct rs_chain *c = services_chain(w);

	for (size_t i = 0; c && i < c->nrules; i++)
		if (c->rules[i].kind == RS_RULE_MARK_NOT_POD_TO_SET)
			return true;
	return false;
}

/* The pod network, as the nftables layout: a mark bit, one rule per
 * --cluster-cidr, so that any number of them can be given. */
static void write_pod_marks(const struct ipt_writer *w)
{
	const struct rs_chain *c = services_chain(w);

	for (size_t i = 0; c && i < c->nrules; i++) {
		const struct rs_rule *r = &c->rules[i];

		if (r->kind != RS_RULE_MARK_SADDR)
			continue;
		fputs("-A " IPT_SERVICES " ", w->out);
		ipt_write_saddr(w->out, &r->addr, r->prefix_len);
		fprintf(w->out, "-j MARK --set-xmark 0x%x/0x%x\n", r->mark, r->mark);
	}
}

/* Marked connections are masqueraded, and so is an endpoint reaching
 * itself through its Service (hairpin), one rule per endpoint address. */
static void write_postrouting(const struct ipt_writer *w)
{
	const struct rs_map *hp = rs_table_find_map(w->t, RS_SET_HAIRPIN_NAME);
	char buf[IP_ADDR_STRLEN];

	/* MARK written as iptables-save prints it back (--or-mark V is
	 * --set-xmark V/V, --xor-mark V is --set-xmark V/0, clearing is
	 * --set-xmark 0/V), so that dump and plan compare line for line */
	fprintf(w->out, "-A " IPT_MARK_MASQ " -j MARK --set-xmark 0x%x/0x%x\n",
		RS_MARK_MASQUERADE, RS_MARK_MASQUERADE);
	if (marks_pods(w))
		fprintf(w->out, "-A " IPT_POSTROUTING " -j MARK --set-xmark 0x0/0x%x\n",
			RS_MARK_FROM_POD);
	for (size_t i = 0; hp && i < hp->nelems; i++) {
		ip_addr_str(&hp->elems[i].addr, buf, sizeof(buf));
		fprintf(w->out, "-A " IPT_POSTROUTING " -s %s/%u -d %s/%u -m conntrack --ctstate DNAT -j MASQUERADE --random-fully\n",
			buf, w->host_len, buf, w->host_len);
	}
	fprintf(w->out, "-A " IPT_POSTROUTING " -m mark ! --mark 0x%x/0x%x -j RETURN\n",
		RS_MARK_MASQUERADE, RS_MARK_MASQUERADE);
	fprintf(w->out, "-A " IPT_POSTROUTING " -j MARK --set-xmark 0x%x/0x0\n", RS_MARK_MASQUERADE);
	fputs("-A " IPT_POSTROUTING " -j MASQUERADE --random-fully\n", w->out);
}

static const char *port_unreachable(const struct ipt_writer *w)
{
	return w->host_len == 128 ? "icmp6-port-unreachable" : "icmp-port-unreachable";
}

/* A live ClusterIP on a port its Service does not define: what the nat
 * table DNATed no longer has the ClusterIP as destination when the filter
 * hooks see it, so whatever still does was not a Service port. */
static void write_cluster_ip_rejects(const struct ipt_writer *w)
{
	const struct rs_map *cips = rs_table_find_map(w->t, RS_SET_CLUSTER_IPS_NAME);
	char buf[IP_ADDR_STRLEN];

	/* TCP with a reset, as the nftables layout: an ICMPv6 error that
	 * comes while connect() holds the socket lock is only a soft error,
	 * and the connection would fail at the SYN's retransmission only */
	for (size_t i = 0; cips && i < cips->nelems; i++) {
		ip_addr_str(&cips->elems[i].addr, buf, sizeof(buf));
		fprintf(w->out, "-A " IPT_NO_ENDPOINTS " -d %s/%u -p tcp -m comment --comment \"cluster IP, port not served\" -j REJECT --reject-with tcp-reset\n",
			buf, w->host_len);
		fprintf(w->out, "-A " IPT_NO_ENDPOINTS " -d %s/%u -m comment --comment \"cluster IP, port not served\" -j REJECT --reject-with %s\n",
			buf, w->host_len, port_unreachable(w));
	}
}

/* Node ports answer on every local address, or on --node-ip's only (the
 * nftables layout's node-ips set). */
static void write_nodeports_jump(const struct ipt_writer *w)
{
	const struct rs_map *ips = rs_table_find_map(w->t, RS_SET_NODE_IPS_NAME);
	char buf[IP_ADDR_STRLEN];

	if (!ips) {
		fputs("-A " IPT_SERVICES " -m addrtype --dst-type LOCAL -j " IPT_NODEPORTS "\n", w->out);
		return;
	}
	for (size_t i = 0; i < ips->nelems; i++)
		fprintf(w->out, "-A " IPT_SERVICES " -d %s/%u -j " IPT_NODEPORTS "\n",
			ip_addr_str(&ips->elems[i].addr, buf, sizeof(buf)), w->host_len);
}

/* nat: to the element's chain (or its fw- chain), when that chain can
 * DNAT. ClusterIP traffic from outside the pod network is masqueraded,
 * as kube-proxy's iptables mode does. */
static void write_nat_dispatch(const struct ipt_writer *w, const char *from,
			       const struct rs_map *m, const struct rs_elem *e,
			       const char *svc)
{
	const struct rs_chain *fw = m->kind == RS_MAP_SERVICE_IPS ? ipt_firewall_of(w, e) : NULL;
	const struct rs_chain *to = fw ? fw : ipt_find_chain(w, e->chain);
	/* live ClusterIPs lead to svc- or local-, other addresses to ext- */
	bool cluster_ip = m->kind == RS_MAP_SERVICE_IPS && !fw &&
		strncmp(e->chain, RS_EXT_CHAIN_PREFIX, strlen(RS_EXT_CHAIN_PREFIX));
	char name[29];

	if (!to || !ipt_chain_in_nat(w, to))
		return;
	if (cluster_ip && marks_pods(w)) {
		fprintf(w->out, "-A %s ", from);
		write_match(w, m, e, svc);
		fprintf(w->out, "-m mark ! --mark 0x%x/0x%x -j " IPT_MARK_MASQ "\n",
			RS_MARK_FROM_POD, RS_MARK_FROM_POD);
	}
	ipt_chain_name(to->name, name);
	fprintf(w->out, "-A %s ", from);
	write_match(w, m, e, svc);
	fprintf(w->out, "-j %s\n", name);
}

/* filter: what nat left with the Service address. Sources outside
 * loadBalancerSourceRanges are dropped first; then a port without
 * endpoints is refused, one whose Local policy has none here dropped. */
static void write_filter_dispatch(const struct ipt_writer *w, const struct rs_map *m,
				  const struct rs_elem *e, const char *svc)
{
	const struct rs_chain *fw = m->kind == RS_MAP_SERVICE_IPS ? ipt_firewall_of(w, e) : NULL;
	const struct rs_chain *to = ipt_find_chain(w, e->chain);
	enum ipt_fate fate = to ? ipt_chain_fate(w, to) : IPT_FATE_REJECT;
	char name[29];

	if (fw) {
		ipt_chain_name(fw->name, name);
		fputs("-A " IPT_NO_ENDPOINTS " ", w->out);
		write_match(w, m, e, svc);
		fprintf(w->out, "-j %s\n", name);
	}
	if (fate == IPT_FATE_DNAT)
		return;
	fputs("-A " IPT_NO_ENDPOINTS " ", w->out);
	write_match(w, m, e, svc);
	if (fate == IPT_FATE_DROP)
		fputs("-j DROP\n", w->out);
	else
		fprintf(w->out, "-j REJECT --reject-with %s\n",
			e->l4proto == IPPROTO_TCP ? "tcp-reset" : port_unreachable(w));
}

/* The dispatch rules of one map, for the Service ports it names: to the
 * port's chains in nat, to what stops the rest in filter. Chains are found
 * through the writer's index: a map holds one element per Service address
 * and port. */
static void write_dispatch(const struct ipt_writer *w, const struct rs_map *m)
{
	const char *from = m->kind == RS_MAP_SERVICE_IPS ? IPT_SERVICES : IPT_NODEPORTS;

	for (size_t i = 0; i < m->nelems; i++) {
		const struct rs_elem *e = &m->elems[i];
		char buf[256];
		const char *svc = rs_port_chain(e->chain, buf, sizeof(buf));
		const struct rs_chain *c = ipt_find_chain(w, svc);

		if (!c)
			continue;
		if (w->which == IPT_NAT)
			write_nat_dispatch(w, from, m, e, svc);
		else
			write_filter_dispatch(w, m, e, svc);
	}
}

/* ExternalName Services have no rules: a chain nothing jumps to keeps,
 * per Service, its name and target in two comments, so that dump shows
 * them from the kernel alone (as the nftables layout's empty chain). */
static bool is_external_name(const struct rs_chain *c)
{
	return !c->nrules && c->comment && !strncmp(c->comment, "ExternalName ", strlen("ExternalName ")) &&
	       !strncmp(c->name, RS_CHAIN_PREFIX, strlen(RS_CHAIN_PREFIX));
}

static bool has_external_names(const struct rs_table *t)
{
	for (size_t i = 0; i < t->nchains; i++)
		if (is_external_name(&t->chains[i]))
			return true;
	return false;
}

/* A comment as iptables-save prints it: quoted unless it is a plain word
 * (names and DNS names hold no quotes or backslashes to escape). */
static void write_comment(FILE *out, const char *s)
{
	static const char plain[] = "_-0123456789abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

	if (*s && !s[strspn(s, plain)])
		fprintf(out, "-m comment --comment %s ", s);
	else
		fprintf(out, "-m comment --comment \"%s\" ", s);
}

static void write_external_names(const struct ipt_writer *w)
{
	for (size_t i = 0; i < w->t->nchains; i++) {
		const struct rs_chain *c = &w->t->chains[i];

		if (!is_external_name(c))
			continue;
		fputs("-A " IPT_EXTERNAL_NAMES " ", w->out);
		write_comment(w->out, c->name + strlen(RS_CHAIN_PREFIX));
		write_comment(w->out, c->comment + strlen("ExternalName "));
		fputs("-j RETURN\n", w->out);
	}
}

static void push_name(char **v, size_t *n, const char *s)
{
	v[(*n)++] = xstrdup(s);
}

/* The chains table `which` should hold, in order. Caller frees. */
static char **wanted_chains(const struct ipt_writer *w, size_t *n)
{
	/* room for the fixed chains below and one per chain of the table */
	char **v = xcalloc(5 + w->t->nchains, sizeof(*v));

	*n = 0;
	if (w->which == IPT_FILTER) {
		push_name(v, n, IPT_NO_ENDPOINTS);
	} else {
		push_name(v, n, IPT_SERVICES);
		push_name(v, n, IPT_NODEPORTS);
		push_name(v, n, IPT_MARK_MASQ);
		push_name(v, n, IPT_POSTROUTING);
		if (has_external_names(w->t))
			push_name(v, n, IPT_EXTERNAL_NAMES);
	}
	ipt_port_chain_names(w, v, n);
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
 * flushes them under --noflush) so that nothing refers to them, then -X.
 * want indexes the wanted ones: both lists hold a chain per Service port. */
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

static void writer_init(struct ipt_writer *w, FILE *out, const struct rs_table *t,
			enum ipt_table which)
{
	char buf[IP_ADDR_STRLEN];

	memset(w, 0, sizeof(*w));
	w->out = out;
	w->t = t;
	w->which = which;
	w->host_len = t->family == NFPROTO_IPV6 ? 128 : 32;
	for (size_t i = 0; i < t->nchains; i++)
		strmap_add(&w->chains, t->chains[i].name, i);
	w->fw_map = rs_table_find_map(t, RS_MAP_FIREWALL_NAME);
	for (size_t i = 0; w->fw_map && i < w->fw_map->nelems; i++) {
		const struct rs_elem *e = &w->fw_map->elems[i];
		char *key = xasprintf("%s %u %u", ip_addr_str(&e->addr, buf, sizeof(buf)),
				      e->l4proto, e->port);

		strmap_add(&w->firewall, key, i);
		free(key);
	}
}

static void writer_free(struct ipt_writer *w)
{
	strmap_free(&w->chains);
	strmap_free(&w->firewall);
}

static void write_rules(const struct ipt_writer *w)
{
	const struct rs_map *ips = rs_table_find_map(w->t, RS_MAP_SERVICE_IPS_NAME);
	const struct rs_map *nodeports = rs_table_find_map(w->t, RS_MAP_NODEPORTS_NAME);

	if (w->which == IPT_NAT)
		write_pod_marks(w);
	if (ips)
		write_dispatch(w, ips);
	if (w->which == IPT_NAT) {
		/* node ports last: a service address that is also local must
		 * reach its own service, not a node port */
		write_nodeports_jump(w);
		if (nodeports)
			write_dispatch(w, nodeports);
		ipt_write_port_chains(w);
		write_postrouting(w);
		write_external_names(w);
	} else {
		if (nodeports)
			write_dispatch(w, nodeports);
		write_cluster_ip_rejects(w);
		ipt_write_port_chains(w);
	}
}

int ipt_restore_write(FILE *out, const struct rs_table *t, enum ipt_table which,
		      const struct ipt_table_state *st)
{
	struct strmap wanted = { 0 };
	struct ipt_writer w;
	size_t nwant;
	char **want;

	writer_init(&w, out, t, which);
	want = wanted_chains(&w, &nwant);
	for (size_t i = 0; i < nwant; i++)
		strmap_add(&wanted, want[i], i);
	fprintf(out, "*%s\n", ipt_table_name(which));
	for (size_t i = 0; i < nwant; i++)
		fprintf(out, ":%s - [0:0]\n", want[i]);
	write_stale(out, &wanted, st, true);
	write_rules(&w);
	write_jumps(out, which, st);
	write_stale(out, &wanted, st, false);
	fputs("COMMIT\n", out);
	free_strv(want, nwant);
	strmap_free(&wanted);
	writer_free(&w);
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
