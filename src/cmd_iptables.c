// SPDX-License-Identifier: GPL-2.0-or-later
/* apply, plan, dump and flush with --backend iptables: iptables for the
 * IPv4 table, ip6tables for the IPv6 one, the same layout in both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "conntrack.h"
#include "iptables.h"

static const int families[] = { AF_INET, AF_INET6 };

static const char *tool_of(int family)
{
	return family == AF_INET6 ? "ip6tables" : "iptables";
}

static const struct rs_table *table_of(const struct compiled *c, int family)
{
	return family == AF_INET6 ? &c->table6 : &c->table;
}

/* The restore input for one table, in memory. */
static char *restore_input(const struct rs_table *t, enum ipt_table which,
			   const struct ipt_table_state *st, bool flush)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (flush)
		ipt_flush_write(f, which, st);
	else
		ipt_restore_write(f, t, which, st);
	fclose(f);
	return buf;
}

int ipt_cmd_plan(const struct compiled *c)
{
	/* as for a host where svcnft has not run yet: apply adds to this
	 * the removal of chains an earlier run left behind */
	for (size_t f = 0; f < 2; f++) {
		if (families[f] == AF_INET6 && !c->ipv6)
			break;
		if (families[f] == AF_INET6)
			printf("# ip6tables-restore --noflush input\n");
		for (int t = 0; t < IPT_NTABLES; t++)
			if (ipt_restore_write(stdout, table_of(c, families[f]), t, NULL) < 0)
				return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int read_state(struct ipt_state *st, int family, bool quiet)
{
	char *err = NULL;
	int ret = ipt_read_state(st, family, &err);

	if (ret < 0 && !quiet)
		cli_error("%s-save failed: %s", tool_of(family),
			  err && *err ? err : strerror(-ret));
	free(err);
	return ret;
}

static bool state_empty(const struct ipt_state *st)
{
	for (int i = 0; i < IPT_NTABLES; i++)
		if (st->table[i].nchains || st->table[i].njumps)
			return false;
	return true;
}

/* The state of a family apply or flush must change: 0, 1 when there is
 * nothing to do (IPv6 with no IPv6 Service and nothing of svcnft's, or
 * no ip6tables at all then), or -1 after an error was printed. */
static int family_state(struct ipt_state *st, int family, bool needed)
{
	bool optional = family == AF_INET6 && !needed;

	if (read_state(st, family, optional) < 0)
		return optional ? 1 : -1;
	if (optional && state_empty(st)) {
		ipt_state_free(st);
		return 1;
	}
	return 0;
}

/* One restore call per table; each is atomic, so a failure leaves that
 * table as it was. */
static int restore_tables(const struct rs_table *t, const struct ipt_state *st,
			  int family, bool flush)
{
	for (int i = 0; i < IPT_NTABLES; i++) {
		char *input = restore_input(t, i, &st->table[i], flush);
		char *err = NULL;
		int ret = input ? ipt_restore(input, family, &err) : -1;

		if (ret < 0)
			cli_error("%s-restore refused the %s table%s: %s", tool_of(family),
				  ipt_table_name(i),
				  i ? " (the nat table was already changed)" : "; nothing applied",
				  err && *err ? err : strerror(-ret));
		free(input);
		free(err);
		if (ret < 0)
			return EXIT_KERNEL;
	}
	return EXIT_OK;
}

/* Apply one family; *deleted counts the stale UDP flows removed. */
static int apply_family(const struct compiled *c, int family, unsigned *deleted)
{
	const struct rs_table *t = table_of(c, family);
	struct rs_stale_flow *flows = NULL;
	struct ipt_state st;
	unsigned n = 0;
	size_t nflows;
	int ret, err = 0;

	ret = family_state(&st, family, family == AF_INET || c->ipv6);
	if (ret)
		return ret > 0 ? EXIT_OK : EXIT_KERNEL;
	ret = restore_tables(t, &st, family, false);
	nflows = ret == EXIT_OK ? ipt_stale_udp_flows(&st, t, &flows) : 0;
	if (nflows)
		err = conntrack_delete_udp(flows, nflows, &n);
	*deleted += n;
	free(flows);
	ipt_state_free(&st);
	if (err)
		cli_error("warning: removing stale UDP conntrack entries failed: %s", strerror(-err));
	return ret;
}

int ipt_cmd_apply(const struct cli_options *o, const struct compiled *c)
{
	unsigned deleted = 0;
	int ret = EXIT_OK;

	for (size_t f = 0; f < 2 && ret == EXIT_OK; f++)
		ret = apply_family(c, families[f], &deleted);
	if (ret == EXIT_OK && !o->quiet) {
		printf("svcnft: applied ");
		cli_print_counts(&c->model);
		printf(" to %s (nat, filter), %u stale UDP %s removed\n",
		       c->ipv6 ? "iptables and ip6tables" : "iptables", deleted,
		       cli_plural(deleted, "flow", "flows"));
	}
	return ret;
}

/* ExternalName Services, as the nftables backend's dump shows them. */
static void print_external_names(const struct ipt_table_state *nat)
{
	struct ipt_external_name *v;
	size_t n = ipt_external_names(nat, &v);

	for (size_t i = 0; i < n; i++)
		printf("# %s ExternalName -> %s\n", v[i].name, v[i].target);
	ipt_external_names_free(v, n);
}

static void print_table(enum ipt_table which, const struct ipt_table_state *st)
{
	printf("*%s\n", ipt_table_name(which));
	for (size_t i = 0; i < st->njumps; i++)
		printf("%s\n", st->jumps[i]);
	for (size_t i = 0; i < st->nchains; i++)
		printf(":%s\n", st->chains[i]);
	for (size_t i = 0; i < st->nrules; i++)
		printf("%s\n", st->rules[i]);
}

int ipt_cmd_dump(const struct cli_options *o)
{
	(void)o;
	for (size_t f = 0; f < 2; f++) {
		struct ipt_state st;
		int ret = family_state(&st, families[f], families[f] == AF_INET);

		if (ret)
			return ret > 0 ? EXIT_OK : EXIT_KERNEL;
		if (families[f] == AF_INET6)
			printf("# ip6tables\n");
		print_external_names(&st.table[IPT_NAT]);
		for (int i = 0; i < IPT_NTABLES; i++)
			print_table(i, &st.table[i]);
		ipt_state_free(&st);
	}
	return EXIT_OK;
}

int ipt_cmd_flush(const struct cli_options *o)
{
	int ret = EXIT_OK;

	for (size_t f = 0; f < 2 && ret == EXIT_OK; f++) {
		struct ipt_state st;
		int have = family_state(&st, families[f], families[f] == AF_INET);

		if (have)
			ret = have > 0 ? EXIT_OK : EXIT_KERNEL;
		else
			ret = restore_tables(NULL, &st, families[f], true);
		if (!have)
			ipt_state_free(&st);
	}
	if (ret == EXIT_OK && !o->quiet)
		printf("svcnft: removed svcnft's iptables chains and jump rules\n");
	return ret;
}
