// SPDX-License-Identifier: GPL-2.0-or-later
/* apply, plan, dump and flush with --backend iptables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conntrack.h"
#include "iptables.h"

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
	for (int t = 0; t < IPT_NTABLES; t++)
		if (ipt_restore_write(stdout, &c->table, t, NULL) < 0)
			return EXIT_USAGE;
	return EXIT_OK;
}

static int read_state(struct ipt_state *st)
{
	char *err = NULL;
	int ret = ipt_read_state(st, &err);

	if (ret < 0)
		cli_error("iptables-save failed: %s", err && *err ? err : strerror(-ret));
	free(err);
	return ret;
}

/* One restore call per table; each is atomic, so a failure leaves that
 * table as it was. */
static int restore_tables(const struct rs_table *t, const struct ipt_state *st,
			  bool flush)
{
	for (int i = 0; i < IPT_NTABLES; i++) {
		char *input = restore_input(t, i, &st->table[i], flush);
		char *err = NULL;
		int ret = input ? ipt_restore(input, &err) : -1;

		if (ret < 0)
			cli_error("iptables-restore refused the %s table%s: %s", ipt_table_name(i),
				  i ? " (the nat table was already changed)" : "; nothing applied",
				  err && *err ? err : strerror(-ret));
		free(input);
		free(err);
		if (ret < 0)
			return EXIT_KERNEL;
	}
	return EXIT_OK;
}

int ipt_cmd_apply(const struct cli_options *o, const struct compiled *c)
{
	struct ipt_state st;
	int ret;

	struct rs_stale_flow *flows = NULL;
	unsigned deleted = 0;
	size_t nflows;
	int err = 0;

	if (read_state(&st) < 0)
		return EXIT_KERNEL;
	ret = restore_tables(&c->table, &st, false);
	nflows = ret == EXIT_OK ? ipt_stale_udp_flows(&st, &c->table, &flows) : 0;
	if (nflows)
		err = conntrack_delete_udp(flows, nflows, &deleted);
	free(flows);
	ipt_state_free(&st);
	if (err)
		cli_error("warning: removing stale UDP conntrack entries failed: %s", strerror(-err));
	if (ret == EXIT_OK && !o->quiet) {
		printf("svcnft: applied ");
		cli_print_counts(&c->model);
		printf(" to iptables (nat, filter), %u stale UDP %s removed\n", deleted,
		       cli_plural(deleted, "flow", "flows"));
	}
	return ret;
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
	struct ipt_state st;

	(void)o;
	if (read_state(&st) < 0)
		return EXIT_KERNEL;
	for (int i = 0; i < IPT_NTABLES; i++)
		print_table(i, &st.table[i]);
	ipt_state_free(&st);
	return EXIT_OK;
}

int ipt_cmd_flush(const struct cli_options *o)
{
	struct ipt_state st;
	int ret;

	if (read_state(&st) < 0)
		return EXIT_KERNEL;
	ret = restore_tables(NULL, &st, true);
	ipt_state_free(&st);
	if (ret == EXIT_OK && !o->quiet)
		printf("svcnft: removed svcnft's iptables chains and jump rules\n");
	return ret;
}
