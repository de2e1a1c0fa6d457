// SPDX-License-Identifier: GPL-2.0-or-later
/* Stage 4, text: a ruleset in the syntax nft -f reads, laid out as
 * `nft list table` prints it. */
#include <errno.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

const char *nft_family_name(uint8_t family)
{
	switch (family) {
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_INET:
		return "inet";
	default:
		return "unknown";
	}
}

static const char *hook_name(enum rs_hook hook)
{
	static const char *const names[] = {
		[RS_HOOK_PREROUTING] = "prerouting", [RS_HOOK_INPUT] = "input",
		[RS_HOOK_FORWARD] = "forward", [RS_HOOK_OUTPUT] = "output",
		[RS_HOOK_POSTROUTING] = "postrouting",
	};

	return hook < sizeof(names) / sizeof(names[0]) && names[hook] ?
		names[hook] : "?";
}

/* nft names standard priorities only where they are defined for the hook:
 * -100 is "dstnat" in prerouting, a plain number in output. */
static void write_priority(FILE *out, const struct rs_chain *c)
{
	if (c->type == RS_CHAIN_NAT && c->hook == RS_HOOK_PREROUTING &&
	    c->priority == -100)
		fputs("dstnat", out);
	else if (c->type == RS_CHAIN_NAT && c->hook == RS_HOOK_POSTROUTING &&
		 c->priority == 100)
		fputs("srcnat", out);
	else if (c->type == RS_CHAIN_FILTER && c->priority == 0)
		fputs("filter", out);
	else
		fprintf(out, "%d", c->priority);
}

static void write_elem(FILE *out, const struct rs_map *m, const struct rs_elem *e)
{
	char buf[IP_ADDR_STRLEN];

	if (m->kind == RS_MAP_SERVICE_IPS)
		fprintf(out, "%s . ", ip_addr_str(&e->addr, buf, sizeof(buf)));
	fprintf(out, "%s . %u : goto %s", protocol_name(e->l4proto), e->port,
		e->chain);
}

static void write_map(FILE *out, const struct rs_map *m)
{
	fprintf(out, "\tmap %s {\n\t\ttype %s : verdict\n", m->name,
		m->kind == RS_MAP_SERVICE_IPS ?
		"ipv4_addr . inet_proto . inet_service" :
		"inet_proto . inet_service");
	for (size_t i = 0; i < m->nelems; i++) {
		fputs(i ? ",\n\t\t\t     " : "\t\telements = { ", out);
		write_elem(out, m, &m->elems[i]);
	}
	fputs(m->nelems ? " }\n\t}\n" : "\t}\n", out);
}

static void write_rule(FILE *out, const struct rs_rule *r)
{
	char buf[IP_ADDR_STRLEN];

	switch (r->kind) {
	case RS_RULE_JUMP:
		fprintf(out, "jump %s\n", r->target);
		break;
	case RS_RULE_VMAP_SERVICE_IPS:
		fprintf(out, "ip daddr . meta l4proto . th dport vmap @%s\n", r->target);
		break;
	case RS_RULE_VMAP_NODEPORTS:
		fprintf(out, "fib daddr type local meta l4proto . th dport vmap @%s\n",
			r->target);
		break;
	case RS_RULE_DNAT:
		if (r->numgen_mod)
			fprintf(out, "numgen random mod %u == 0 ", r->numgen_mod);
		fprintf(out, "meta l4proto %s dnat to %s:%u\n", protocol_name(r->l4proto),
			ip_addr_str(&r->addr, buf, sizeof(buf)), r->port);
		break;
	case RS_RULE_REJECT:
		/* nft writes and lists the tcp dependency of a tcp reset
		 * implicitly; other protocols are spelled out */
		if (r->l4proto == IPPROTO_TCP)
			fputs("ct state new reject with tcp reset\n", out);
		else
			fprintf(out, "meta l4proto %s ct state new reject\n",
				protocol_name(r->l4proto));
		break;
	default:
		fprintf(out, "# a rule svcnft did not write (handle %llu)\n",
			(unsigned long long)r->handle);
		break;
	}
}

static void write_chain(FILE *out, const struct rs_chain *c)
{
	fprintf(out, "\tchain %s {\n", c->name);
	if (c->comment)
		fprintf(out, "\t\tcomment \"%s\"\n", c->comment);
	if (c->hook != RS_HOOK_NONE) {
		fprintf(out, "\t\ttype %s hook %s priority ",
			c->type == RS_CHAIN_NAT ? "nat" : "filter", hook_name(c->hook));
		write_priority(out, c);
		fputs("; policy accept;\n", out);
	}
	for (size_t i = 0; i < c->nrules; i++) {
		fputs("\t\t", out);
		write_rule(out, &c->rules[i]);
	}
	fputs("\t}\n", out);
}

int nft_text_write(FILE *out, const struct rs_table *t, bool replace)
{
	const char *family = nft_family_name(t->family);
	bool first = true;

	if (replace)
		fprintf(out, "table %s %s\ndelete table %s %s\n", family, t->name,
			family, t->name);
	fprintf(out, "table %s %s {\n", family, t->name);
	for (size_t i = 0; i < t->nmaps; i++) {
		fputs(first ? "" : "\n", out);
		write_map(out, &t->maps[i]);
		first = false;
	}
	for (size_t i = 0; i < t->nchains; i++) {
		fputs(first ? "" : "\n", out);
		write_chain(out, &t->chains[i]);
		first = false;
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}

/* Every line of the table's text, prefixed. */
static int write_prefixed_table(FILE *out, const char *prefix,
				const struct rs_table *t)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int ret;

	if (!mem)
		return -errno;
	ret = nft_text_write(mem, t, false);
	if (fclose(mem) != 0 && !ret)
		ret = -EIO;
	for (line = strtok_r(text, "\n", &save); !ret && line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(out, "%s%s\n", prefix, line);
	free(text);
	return ret;
}

static void write_diff_chain(FILE *out, const struct rs_table *t,
			     const struct rs_chain *c)
{
	fprintf(out, "+ add chain %s %s %s", nft_family_name(t->family),
		t->name, c->name);
	if (c->hook != RS_HOOK_NONE) {
		fprintf(out, " { type %s hook %s priority ",
			c->type == RS_CHAIN_NAT ? "nat" : "filter",
			hook_name(c->hook));
		write_priority(out, c);
		fputs("; policy accept; }", out);
	} else if (c->comment) {
		fprintf(out, " { comment \"%s\"; }", c->comment);
	}
	fputc('\n', out);
}

static void write_diff_elems(FILE *out, const struct rs_table *t, bool add)
{
	char buf[IP_ADDR_STRLEN];

	for (size_t i = 0; i < t->nmaps; i++) {
		const struct rs_map *m = &t->maps[i];

		for (size_t j = 0; j < m->nelems; j++) {
			fprintf(out, "%s element %s %s %s { ", add ? "+ add" : "- delete",
				nft_family_name(t->family), t->name, m->name);
			if (add) {
				write_elem(out, m, &m->elems[j]);
			} else {
				if (m->kind == RS_MAP_SERVICE_IPS)
					fprintf(out, "%s . ", ip_addr_str(&m->elems[j].addr,
									  buf, sizeof(buf)));
				fprintf(out, "%s . %u", protocol_name(m->elems[j].l4proto),
					m->elems[j].port);
			}
			fputs(" }\n", out);
		}
	}
}

/* In the order netlink_build.c sends them (see nl_batch_build_update). */
static void write_update(FILE *out, const struct rs_diff *d)
{
	const struct rs_table *add = &d->add, *del = &d->del;
	const char *family = nft_family_name(add->family);

	for (size_t i = 0; i < add->nmaps; i++)
		if (d->map_new[i])
			fprintf(out, "+ add map %s %s %s { type %s : verdict; }\n",
				family, add->name, add->maps[i].name,
				add->maps[i].kind == RS_MAP_SERVICE_IPS ?
				"ipv4_addr . inet_proto . inet_service" :
				"inet_proto . inet_service");
	for (size_t i = 0; i < add->nchains; i++)
		if (d->chain_new[i])
			write_diff_chain(out, add, &add->chains[i]);
	for (size_t i = 0; i < add->nchains; i++)
		if (!d->chain_new[i])
			fprintf(out, "- flush chain %s %s %s\n", family, add->name,
				add->chains[i].name);
	for (size_t i = 0; i < del->nchains; i++)
		if (d->chain_late[i])
			fprintf(out, "- flush chain %s %s %s\n", family, del->name,
				del->chains[i].name);
	write_diff_elems(out, del, false);
	for (size_t i = 0; i < del->nchains; i++)
		fprintf(out, "- delete chain %s %s %s%s\n", family, del->name,
			del->chains[i].name,
			d->chain_late[i] ? "    # in a second transaction" : "");
	for (size_t i = 0; i < add->nchains; i++)
		for (size_t j = 0; j < add->chains[i].nrules; j++) {
			fprintf(out, "+ add rule %s %s %s ", family, add->name,
				add->chains[i].name);
			write_rule(out, &add->chains[i].rules[j]);
		}
	write_diff_elems(out, add, true);
}

int nft_text_write_diff(FILE *out, const struct rs_diff *d)
{
	switch (d->mode) {
	case RS_DIFF_NONE:
		break;
	case RS_DIFF_CREATE:
		return write_prefixed_table(out, "+ ", d->want);
	case RS_DIFF_REPLACE:
		fprintf(out, "# %s cannot be changed in place: the table is replaced\n",
			d->why);
		fprintf(out, "- delete table %s %s\n",
			nft_family_name(d->want->family), d->want->name);
		return write_prefixed_table(out, "+ ", d->want);
	case RS_DIFF_UPDATE:
		write_update(out, d);
		break;
	}
	return ferror(out) ? -EIO : 0;
}
