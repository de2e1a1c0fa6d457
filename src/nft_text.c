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
#include "util.h"

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

/* The words that differ between an ip and an ip6 table. */
struct fam {
	const char *ip;		/* "ip", "ip6" */
	const char *addr;	/* "ipv4_addr", "ipv6_addr" */
	const char *loopback;	/* node ports never answer there */
	bool v6;
};

static const struct fam *fam_of(uint8_t family)
{
	static const struct fam v4 = { "ip", "ipv4_addr", "127.0.0.0/8", false };
	static const struct fam v6 = { "ip6", "ipv6_addr", "::1", true };

	return family == NFPROTO_IPV6 ? &v6 : &v4;
}

static void write_elem(FILE *out, const struct rs_map *m, const struct rs_elem *e)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];

	switch (m->kind) {
	case RS_SET_ADDRS:
		fputs(ip_addr_str(&e->addr, a, sizeof(a)), out);
		return;
	case RS_SET_ADDR_PAIRS:
		fprintf(out, "%s . %s", ip_addr_str(&e->addr, a, sizeof(a)),
			ip_addr_str(&e->addr2, b, sizeof(b)));
		return;
	case RS_MAP_AFFINITY:
		fprintf(out, "%s . %s . %u : ", ip_addr_str(&e->addr, a, sizeof(a)),
			ip_addr_str(&e->addr2, b, sizeof(b)), e->port);
		fprintf(out, "%s . %u", ip_addr_str(&e->to_addr, a, sizeof(a)), e->to_port);
		return;
	case RS_MAP_SERVICE_IPS:
		fprintf(out, "%s . ", ip_addr_str(&e->addr, a, sizeof(a)));
		break;
	case RS_MAP_NODEPORTS:
		break;
	}
	fprintf(out, "%s . %u : goto %s", protocol_name(e->l4proto), e->port,
		e->chain);
}

/* The type (or typeof) lines of a map or set; caller frees. */
static char *map_type(enum rs_map_kind kind, const struct fam *f)
{
	switch (kind) {
	case RS_MAP_SERVICE_IPS:
		return xasprintf("type %s . inet_proto . inet_service : verdict", f->addr);
	case RS_MAP_NODEPORTS:
		return xstrdup("type inet_proto . inet_service : verdict");
	case RS_SET_ADDRS:
		return xasprintf("type %s", f->addr);
	case RS_SET_ADDR_PAIRS:
		return xasprintf("type %s . %s", f->addr, f->addr);
	case RS_MAP_AFFINITY:
		break;
	}
	/* typeof: the map is filled from the packet path, and nft needs the
	 * expressions to accept the update statement's ct keys */
	return xasprintf("typeof %s saddr . %s daddr . th dport : %s daddr . th dport\n"
			 "\t\tsize 65535\n\t\tflags dynamic,timeout", f->ip, f->ip, f->ip);
}

static bool is_map(enum rs_map_kind kind)
{
	return kind != RS_SET_ADDRS && kind != RS_SET_ADDR_PAIRS;
}

static void write_map(FILE *out, const struct rs_map *m, const struct fam *f)
{
	char *type = map_type(m->kind, f);

	fprintf(out, "\t%s %s {\n\t\t%s\n", is_map(m->kind) ? "map" : "set",
		m->name, type);
	free(type);
	if (m->kind == RS_MAP_AFFINITY)
		fprintf(out, "\t\ttimeout %us\n", m->timeout);
	for (size_t i = 0; i < m->nelems; i++) {
		fputs(i ? ",\n\t\t\t     " : "\t\telements = { ", out);
		write_elem(out, m, &m->elems[i]);
	}
	fputs(m->nelems ? " }\n\t}\n" : "\t}\n", out);
}

static void write_mark_match(FILE *out, uint32_t mask, uint32_t value)
{
	fprintf(out, "meta mark & 0x%08x == 0x%08x ", mask, value);
}

static void write_mark_or(FILE *out, uint32_t bits)
{
	fprintf(out, "meta mark set meta mark | 0x%08x", bits);
}

/* Marks, masquerade and session affinity (ruleset.h names each form). */
static void write_semantics_rule(FILE *out, const struct rs_rule *r,
				 const struct fam *f)
{
	char buf[IP_ADDR_STRLEN];
	const char *p = protocol_name(r->l4proto);

	switch (r->kind) {
	case RS_RULE_MARK_SADDR:
		fprintf(out, "%s saddr %s/%u ", f->ip, ip_addr_str(&r->addr, buf, sizeof(buf)),
			r->prefix_len);
		write_mark_or(out, r->mark);
		break;
	case RS_RULE_MARK_NOT_POD_TO_SET:
		write_mark_match(out, RS_MARK_FROM_POD, 0);
		fprintf(out, "%s daddr @%s ", f->ip, r->target);
		write_mark_or(out, r->mark);
		break;
	case RS_RULE_MARK:
		write_mark_or(out, r->mark);
		break;
	case RS_RULE_AFFINITY_HIT:
		fprintf(out, "%s saddr . %s daddr . %s dport @%s ", f->ip, f->ip, p, r->target);
		write_mark_or(out, r->mark);
		break;
	case RS_RULE_AFFINITY_DNAT:
		write_mark_match(out, RS_MARK_AFFINITY, r->mark);
		fprintf(out, "dnat %s to %s saddr . %s daddr . %s dport map @%s", f->ip, f->ip,
			f->ip, p, r->target);
		break;
	case RS_RULE_AFFINITY_RECORD:
		write_mark_match(out, RS_MARK_AFFINITY, r->mark);
		/* nft 1.0.6 lists this rule without the protocol (implied by
		 * "P dport") but cannot read that listing back: the ct
		 * proto-dst key needs the protocol spelled out first */
		fprintf(out, "meta l4proto %s update @%s { %s saddr . ct original %s daddr . ct original proto-dst timeout %us : %s daddr . %s dport }",
			p, r->target, f->ip, f->ip, r->timeout, f->ip, p);
		break;
	case RS_RULE_MASQUERADE_MARKED:
		write_mark_match(out, RS_MARK_MASQUERADE, RS_MARK_MASQUERADE);
		fprintf(out, "meta mark set meta mark & 0x%08x masquerade fully-random",
			~RS_MARK_ALL);
		break;
	case RS_RULE_MASQUERADE_HAIRPIN:
		fprintf(out, "ct status dnat %s saddr . %s daddr @%s masquerade fully-random", f->ip, f->ip,
			r->target);
		break;
	case RS_RULE_MARK_CLEAR:
		fprintf(out, "meta mark set meta mark & 0x%08x", ~RS_MARK_ALL);
		break;
	default:
		break;
	}
}

/* The forms nft lists for what svcnft writes (ruleset.h names each). */
static void write_rule_core(FILE *out, const struct rs_rule *r, const struct fam *f)
{
	char buf[IP_ADDR_STRLEN];
	const char *p = protocol_name(r->l4proto);

	switch (r->kind) {
	case RS_RULE_JUMP:
		fprintf(out, "jump %s", r->target);
		break;
	case RS_RULE_VMAP_SERVICE_IPS:
		fprintf(out, "%s daddr . meta l4proto . th dport vmap @%s", f->ip, r->target);
		break;
	case RS_RULE_VMAP_NODEPORTS:
		fprintf(out, "fib daddr type local %s daddr != %s meta l4proto . th dport vmap @%s",
			f->ip, f->loopback, r->target);
		break;
	case RS_RULE_VMAP_NODEPORTS_NODE_IPS:
		fprintf(out, "%s daddr @" RS_SET_NODE_IPS_NAME " meta l4proto . th dport vmap @%s",
			f->ip, r->target);
		break;
	case RS_RULE_DNAT:
		if (r->numgen_mod)
			fprintf(out, "numgen random mod %u == 0 ", r->numgen_mod);
		/* an IPv6 address takes brackets before its port */
		fprintf(out, f->v6 ? "meta l4proto %s dnat to [%s]:%u" :
			"meta l4proto %s dnat to %s:%u", p,
			ip_addr_str(&r->addr, buf, sizeof(buf)), r->port);
		break;
	case RS_RULE_REJECT:
		/* nft writes and lists the tcp dependency of a tcp reset
		 * implicitly; other protocols are spelled out */
		if (r->l4proto == IPPROTO_TCP)
			fputs("ct state new reject with tcp reset", out);
		else
			fprintf(out, "meta l4proto %s ct state new reject", p);
		break;
	case RS_RULE_REJECT_TO_SET:
		/* nft writes and lists the tcp dependency of a reset itself */
		fprintf(out, "%s daddr @%s reject%s", f->ip, r->target,
			r->l4proto == IPPROTO_TCP ? " with tcp reset" : "");
		break;
	case RS_RULE_GOTO_IF_MARK:
		write_mark_match(out, r->mark, r->mark);
		fprintf(out, "goto %s", r->target);
		break;
	case RS_RULE_GOTO_IF_LOCAL_SOURCE:
		fputs("fib saddr type local ", out);
		write_mark_or(out, r->mark);
		fprintf(out, " goto %s", r->target);
		break;
	case RS_RULE_GOTO:
		fprintf(out, "goto %s", r->target);
		break;
	case RS_RULE_DROP:
		fputs("drop", out);
		break;
	case RS_RULE_RETURN_IF_SADDR:
		fprintf(out, "%s saddr %s/%u return", f->ip, ip_addr_str(&r->addr, buf, sizeof(buf)),
			r->prefix_len);
		break;
	case RS_RULE_UNKNOWN:
		fprintf(out, "# a rule svcnft did not write (handle %llu)",
			(unsigned long long)r->handle);
		break;
	default:
		write_semantics_rule(out, r, f);
		break;
	}
}

static void write_rule(FILE *out, const struct rs_rule *r, const struct fam *f)
{
	write_rule_core(out, r, f);
	fputc('\n', out);
}

char *nft_rule_text(const struct rs_rule *r, uint8_t family)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	write_rule_core(f, r, fam_of(family));
	fclose(f);
	return buf;
}

static void write_chain(FILE *out, const struct rs_chain *c, const struct fam *f)
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
		write_rule(out, &c->rules[i], f);
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
		write_map(out, &t->maps[i], fam_of(t->family));
		first = false;
	}
	for (size_t i = 0; i < t->nchains; i++) {
		fputs(first ? "" : "\n", out);
		write_chain(out, &t->chains[i], fam_of(t->family));
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
			if (add || !is_map(m->kind)) {
				write_elem(out, m, &m->elems[j]);
			} else if (m->kind == RS_MAP_AFFINITY) {
				/* the key alone: client . service address . port */
				fprintf(out, "%s . ", ip_addr_str(&m->elems[j].addr,
								  buf, sizeof(buf)));
				fprintf(out, "%s . %u", ip_addr_str(&m->elems[j].addr2,
								    buf, sizeof(buf)),
					m->elems[j].port);
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

/* "+ add map|set ..." with the declaration write_map prints, on one line */
static void write_diff_map(FILE *out, const struct rs_table *t,
			   const struct rs_map *m)
{
	char *type = map_type(m->kind, fam_of(t->family));

	fprintf(out, "+ add %s %s %s %s { ", is_map(m->kind) ? "map" : "set",
		nft_family_name(t->family), t->name, m->name);
	for (const char *c = type; *c; c++)
		if (*c == '\n')
			fputs("; ", out);
		else if (*c != '\t')
			fputc(*c, out);
	free(type);
	if (m->kind == RS_MAP_AFFINITY)
		fprintf(out, "; timeout %us", m->timeout);
	fputs("; }\n", out);
}

/* In the order netlink_build.c sends them (see nl_batch_build_update). */
static void write_update(FILE *out, const struct rs_diff *d)
{
	const struct rs_table *add = &d->add, *del = &d->del;
	const char *family = nft_family_name(add->family);

	for (size_t i = 0; i < add->nmaps; i++)
		if (d->map_new[i])
			write_diff_map(out, add, &add->maps[i]);
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
			write_rule(out, &add->chains[i].rules[j], fam_of(add->family));
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
