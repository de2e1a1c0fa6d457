// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stale UDP flows for the iptables backend: the same rule as
 * rs_stale_udp_flows, with "before" read from iptables-save's lines of
 * svcnft's chains instead of a ruleset.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iptables.h"
#include "util.h"

/* "-A SVCNFT-SVC-X -p udp ... --to-destination A:P" (ip6tables: [A]:P):
 * A:P, or false. */
static bool saved_udp_dnat(const char *line, struct ip_addr *a, unsigned *port)
{
	const char *to = strstr(line, "--to-destination ");
	char addr[IP_ADDR_STRLEN];

	if (!strstr(line, " -p udp ") || !to)
		return false;
	if (sscanf(to, "--to-destination [%45[^]]]:%u", addr, port) != 2 &&
	    sscanf(to, "--to-destination %45[^:]:%u", addr, port) != 2)
		return false;
	return ip_addr_parse(a, addr) == 0;
}

/* Every UDP endpoint t's rules DNAT to: one index rather than a scan of
 * the whole table per saved rule. */
static struct rs_targets *index_udp_endpoints(const struct rs_table *t)
{
	struct rs_targets *out;
	size_t max = 0;

	for (size_t i = 0; i < t->nchains; i++)
		max += t->chains[i].nrules;
	out = rs_targets_new(max);
	for (size_t i = 0; i < t->nchains; i++) {
		const struct rs_chain *c = &t->chains[i];

		for (size_t j = 0; j < c->nrules; j++)
			if (c->rules[j].kind == RS_RULE_DNAT &&
			    c->rules[j].l4proto == IPPROTO_UDP)
				rs_targets_add(out, &c->rules[j].addr, c->rules[j].port);
	}
	return out;
}

/* "-A SVCNFT-NO-ENDPOINTS [-d A/32] -p udp -m udp --dport P ... -j REJECT":
 * a UDP port that was refused (not a source range's or Local policy's
 * drop, which leave no conntrack entry behind). */
static bool saved_udp_refusal(const char *line, struct ip_addr *a, unsigned *port)
{
	char addr[IP_ADDR_STRLEN];
	const char *d = strstr(line, " -d "), *dport = strstr(line, "--dport ");

	memset(a, 0, sizeof(*a));
	if (strncmp(line, "-A " IPT_NO_ENDPOINTS " ", strlen(IPT_NO_ENDPOINTS) + 4) ||
	    !strstr(line, " -p udp ") || !strstr(line, " -j REJECT") || !dport ||
	    sscanf(dport, "--dport %u", port) != 1)
		return false;
	return !d || (sscanf(d, " -d %45[^/]", addr) == 1 && !ip_addr_parse(a, addr));
}

size_t ipt_stale_udp_flows(const struct ipt_state *before,
			   const struct rs_table *after, struct rs_stale_flow **out)
{
	const struct ipt_table_state *nat = &before->table[IPT_NAT];
	const struct ipt_table_state *filter = &before->table[IPT_FILTER];
	struct rs_stale_flow *now_flows;
	struct rs_targets *wanted, *now;
	size_t n = 0, cap = 0, nnow;
	struct ip_addr a;
	unsigned port;

	*out = NULL;
	wanted = index_udp_endpoints(after);
	for (size_t i = 0; i < nat->nrules; i++)
		if (saved_udp_dnat(nat->rules[i], &a, &port) &&
		    !rs_targets_has(wanted, &a, port))
			rs_stale_flow_add(out, &n, &cap, &a, (uint16_t)port, true);
	/* ports refused before that now have endpoints: the ruleset rule with
	 * no "before" names every UDP destination; keep those refused then */
	nnow = rs_stale_udp_flows(NULL, after, &now_flows);
	now = rs_targets_new(nnow);
	for (size_t j = 0; j < nnow; j++)
		rs_targets_add(now, &now_flows[j].addr, now_flows[j].port);
	for (size_t i = 0; i < filter->nrules; i++)
		if (saved_udp_refusal(filter->rules[i], &a, &port) &&
		    rs_targets_has(now, &a, port))
			rs_stale_flow_add(out, &n, &cap, &a, (uint16_t)port, false);
	rs_targets_free(wanted);
	rs_targets_free(now);
	free(now_flows);
	return n;
}
