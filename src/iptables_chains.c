// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The chains of each Service port in iptables form: svc- and local-
 * (endpoints, with session affinity), ext- (external traffic), fw-
 * (loadBalancerSourceRanges). Their rules translate the nftables layout's
 * one for one, except for what the nat table cannot do (REJECT, DROP):
 * that traffic leaves the nat table without DNAT, and the filter table,
 * which still sees the Service address, stops it (kube-proxy does the same).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "iptables_int.h"

static const struct chain_kind {
	const char *rs, *ipt;
} chain_kinds[] = {
	{ RS_CHAIN_PREFIX, IPT_PREFIX "SVC-" },
	{ RS_LOCAL_CHAIN_PREFIX, IPT_PREFIX "SVL-" },
	{ RS_EXT_CHAIN_PREFIX, IPT_PREFIX "EXT-" },
	{ RS_FW_CHAIN_PREFIX, IPT_PREFIX "FW-" },
};

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* iptables chain names are limited to 28 characters: svcnft's own names
 * (svc-NS/NAME/PROTO/PORT) are hashed, and the rule comments keep them. */
void ipt_chain_name(const char *rs_name, char out[29])
{
	const char *ipt = IPT_PREFIX "SVC-";

	for (size_t i = 0; i < ARRAY_SIZE(chain_kinds); i++)
		if (has_prefix(rs_name, chain_kinds[i].rs))
			ipt = chain_kinds[i].ipt;
	snprintf(out, 29, "%s%016" PRIX64, ipt, hash_fnv1a(rs_name, strlen(rs_name), 0));
}

const struct rs_chain *ipt_find_chain(const struct ipt_writer *w, const char *name)
{
	const struct strmap_entry *e = name ? strmap_get(&w->chains, name) : NULL;

	return e ? &w->t->chains[e->vals[0]] : NULL;
}

enum ipt_fate ipt_chain_fate(const struct ipt_writer *w, const struct rs_chain *c)
{
	const struct rs_rule *last = c->nrules ? &c->rules[c->nrules - 1] : NULL;
	const struct rs_chain *next;

	if (rs_chain_has_endpoints(c))
		return IPT_FATE_DNAT;
	/* an ext- chain ends where its last goto (svc- or local-) does */
	if (last && last->kind == RS_RULE_GOTO && (next = ipt_find_chain(w, last->target)))
		return ipt_chain_fate(w, next);
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].kind == RS_RULE_DROP)
			return IPT_FATE_DROP;
	return IPT_FATE_REJECT;
}

/* The ext- chain a fw- chain lets its sources through to. */
static const struct rs_chain *fw_next(const struct ipt_writer *w, const struct rs_chain *fw)
{
	char *ext = xasprintf(RS_EXT_CHAIN_PREFIX "%s", fw->name + strlen(RS_FW_CHAIN_PREFIX));
	const struct rs_chain *c = ipt_find_chain(w, ext);

	free(ext);
	return c;
}

bool ipt_chain_in_nat(const struct ipt_writer *w, const struct rs_chain *c)
{
	if (has_prefix(c->name, RS_CHAIN_PREFIX) || has_prefix(c->name, RS_LOCAL_CHAIN_PREFIX))
		return rs_chain_has_endpoints(c);
	if (has_prefix(c->name, RS_FW_CHAIN_PREFIX))
		return fw_next(w, c) != NULL;
	return has_prefix(c->name, RS_EXT_CHAIN_PREFIX);
}

const struct rs_chain *ipt_firewall_of(const struct ipt_writer *w, const struct rs_elem *e)
{
	char buf[IP_ADDR_STRLEN], *key;
	const struct strmap_entry *s;

	if (!w->fw_map)
		return NULL;
	key = xasprintf("%s %u %u", ip_addr_str(&e->addr, buf, sizeof(buf)), e->l4proto, e->port);
	s = strmap_get(&w->firewall, key);
	free(key);
	return s ? ipt_find_chain(w, w->fw_map->elems[s->vals[0]].chain) : NULL;
}

void ipt_write_saddr(FILE *out, const struct ip_addr *a, unsigned len)
{
	char buf[IP_ADDR_STRLEN];

	if (len)
		fprintf(out, "-s %s/%u ", ip_addr_str(a, buf, sizeof(buf)), len);
}

/* Session affinity's timeout for chain c, 0 for none: the class mark of
 * the nftables layout, whose record rule in postrouting has the seconds. */
static uint32_t affinity_timeout(const struct ipt_writer *w, const struct rs_chain *c)
{
	const struct rs_chain *post = ipt_find_chain(w, "postrouting");
	uint32_t mark = 0;

	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].kind == RS_RULE_MARK)
			mark |= c->rules[i].mark & RS_MARK_AFFINITY;
	for (size_t i = 0; mark && post && i < post->nrules; i++)
		if (post->rules[i].kind == RS_RULE_AFFINITY_RECORD && post->rules[i].mark == mark)
			return post->rules[i].timeout;
	return 0;
}

/* The xt_recent list of one endpoint of a Service port, shared by its
 * svc- and local- chains: the client addresses sent there lately. */
static void recent_list(const struct rs_chain *c, const struct rs_rule *r, char out[29])
{
	char buf[256], addr[IP_ADDR_STRLEN];
	const char *svc = rs_port_chain(c->name, buf, sizeof(buf));
	char *key = xasprintf("%s %s %u", svc ? svc : c->name,
			      ip_addr_str(&r->addr, addr, sizeof(addr)), r->port);

	snprintf(out, 29, IPT_PREFIX "SEP-%016" PRIX64, hash_fnv1a(key, strlen(key), 0));
	free(key);
}

/* One DNAT rule. With affinity (timeout), a hit: the client's entry, if
 * seen within timeout, sends it to this endpoint again and is refreshed;
 * otherwise the random choice, which records the client. Written as
 * iptables-save prints it back. */
static void write_dnat(const struct ipt_writer *w, const char *chain,
		       const struct rs_chain *c, const struct rs_rule *r,
		       uint32_t timeout, bool hit)
{
	char buf[IP_ADDR_STRLEN], list[29];
	const char *mask = w->host_len == 128 ?
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" : "255.255.255.255";

	fprintf(w->out, "-A %s -p %s ", chain, protocol_name(r->l4proto));
	if (r->numgen_mod && !hit)
		fprintf(w->out, "-m statistic --mode random --probability %.10f ",
			1.0 / r->numgen_mod);
	if (timeout) {
		recent_list(c, r, list);
		if (hit)
			fprintf(w->out, "-m recent --update --seconds %u --reap", timeout);
		else
			fputs("-m recent --set", w->out);
		fprintf(w->out, " --name %s --mask %s --rsource ", list, mask);
	}
	ip_addr_str(&r->addr, buf, sizeof(buf));
	fprintf(w->out, w->host_len == 128 ? "-j DNAT --to-destination [%s]:%u\n" :
		"-j DNAT --to-destination %s:%u\n", buf, r->port);
}

/* "-A FROM MATCH-j TARGET" when the target chain exists in nat. */
static void write_goto(const struct ipt_writer *w, const char *from,
		       const char *match, const char *target)
{
	const struct rs_chain *c = ipt_find_chain(w, target);
	char name[29];

	if (!c || !ipt_chain_in_nat(w, c))
		return;
	ipt_chain_name(c->name, name);
	fprintf(w->out, "-A %s %s-j %s\n", from, match, name);
}

static void write_nat_rule(const struct ipt_writer *w, const char *name,
			   const struct rs_rule *r)
{
	char match[64];

	switch (r->kind) {
	case RS_RULE_MARK:
		if (r->mark & RS_MARK_MASQUERADE)
			fprintf(w->out, "-A %s -j " IPT_MARK_MASQ "\n", name);
		break;
	case RS_RULE_GOTO_IF_MARK:
		snprintf(match, sizeof(match), "-m mark --mark 0x%x/0x%x ", r->mark, r->mark);
		write_goto(w, name, match, r->target);
		break;
	case RS_RULE_GOTO_IF_LOCAL_SOURCE:
		/* the node's own connections: masqueraded, every endpoint */
		if (r->mark & RS_MARK_MASQUERADE)
			fprintf(w->out, "-A %s -m addrtype --src-type LOCAL -j " IPT_MARK_MASQ "\n",
				name);
		write_goto(w, name, "-m addrtype --src-type LOCAL ", r->target);
		break;
	case RS_RULE_GOTO:
		write_goto(w, name, "", r->target);
		break;
	default:
		/* REJECT and DROP: the filter table's (see the top) */
		break;
	}
}

/* svc-, local- and ext- chains; affinity hits go before the first DNAT,
 * after the masquerade mark of --masquerade-all. */
static void write_nat_chain(const struct ipt_writer *w, const struct rs_chain *c,
			    const char *name)
{
	uint32_t timeout = affinity_timeout(w, c);
	bool hits_written = false;

	for (size_t i = 0; i < c->nrules; i++) {
		const struct rs_rule *r = &c->rules[i];

		if (r->kind != RS_RULE_DNAT) {
			write_nat_rule(w, name, r);
			continue;
		}
		for (size_t j = i; timeout && !hits_written && j < c->nrules; j++)
			if (c->rules[j].kind == RS_RULE_DNAT)
				write_dnat(w, name, c, &c->rules[j], timeout, true);
		hits_written = true;
		write_dnat(w, name, c, r, timeout, false);
	}
}

/* nat: sources in the ranges go on to the ext- chain; the others are not
 * DNATed, and the filter table's fw- chain drops them. */
static void write_nat_fw(const struct ipt_writer *w, const struct rs_chain *c,
			 const char *name)
{
	char ext[29];

	ipt_chain_name(fw_next(w, c)->name, ext);
	for (size_t i = 0; i < c->nrules; i++) {
		const struct rs_rule *r = &c->rules[i];

		if (r->kind != RS_RULE_RETURN_IF_SADDR)
			continue;
		fprintf(w->out, "-A %s ", name);
		ipt_write_saddr(w->out, &r->addr, r->prefix_len);
		fprintf(w->out, "-j %s\n", ext);
	}
}

/* filter: the nftables fw- chain as it is, for what nat left alone. */
static void write_filter_fw(const struct ipt_writer *w, const struct rs_chain *c,
			    const char *name)
{
	for (size_t i = 0; i < c->nrules; i++) {
		const struct rs_rule *r = &c->rules[i];

		if (r->kind == RS_RULE_RETURN_IF_SADDR) {
			fprintf(w->out, "-A %s ", name);
			ipt_write_saddr(w->out, &r->addr, r->prefix_len);
			fputs("-j RETURN\n", w->out);
		} else if (r->kind == RS_RULE_DROP) {
			fprintf(w->out, "-A %s -j DROP\n", name);
		}
	}
}

static bool in_table(const struct ipt_writer *w, const struct rs_chain *c)
{
	if (w->which == IPT_FILTER)
		return has_prefix(c->name, RS_FW_CHAIN_PREFIX);
	return ipt_chain_in_nat(w, c);
}

void ipt_port_chain_names(const struct ipt_writer *w, char **v, size_t *n)
{
	char name[29];

	for (size_t i = 0; i < w->t->nchains; i++) {
		if (!in_table(w, &w->t->chains[i]))
			continue;
		ipt_chain_name(w->t->chains[i].name, name);
		v[(*n)++] = xstrdup(name);
	}
}

void ipt_write_port_chains(const struct ipt_writer *w)
{
	char name[29];

	for (size_t i = 0; i < w->t->nchains; i++) {
		const struct rs_chain *c = &w->t->chains[i];

		if (!in_table(w, c))
			continue;
		ipt_chain_name(c->name, name);
		if (w->which == IPT_FILTER)
			write_filter_fw(w, c, name);
		else if (has_prefix(c->name, RS_FW_CHAIN_PREFIX))
			write_nat_fw(w, c, name);
		else
			write_nat_chain(w, c, name);
	}
}
