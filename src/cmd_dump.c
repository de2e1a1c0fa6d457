// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft dump: svcnft's table as the kernel holds it. */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "cli.h"
#include "cli_ops.h"
#include "kernel.h"

/* One table as the kernel holds it: 0, 1 when it does not exist, or an
 * exit status. */
static int dump_table(const struct cli_options *o, uint8_t family, bool first)
{
	struct rs_table t = { 0 };
	const char *fam = nft_family_name(family);
	int err = kernel_table_get(family, o->table, &t);

	if (err == -ENOENT)
		return 1;
	if (err < 0) {
		cli_error("reading table %s %s failed: %s", fam, o->table, strerror(-err));
		return EXIT_KERNEL;
	}
	/* the kernel lists elements in hash order: sort for a stable dump */
	rs_table_sort_elems(&t);
	if (!first)
		printf("\n");
	cli_print_summary(&t);
	printf("\n");
	nft_text_write(stdout, &t, false);
	rs_table_free(&t);
	return EXIT_OK;
}

static int dump_json(const struct cli_options *o)
{
	struct rs_table t = { 0 };
	int ret, err = kernel_table_get(NFPROTO_IPV4, o->table, &t);

	if (err == -ENOENT) {
		if (!o->quiet)
			cli_error("table ip %s does not exist: nothing applied yet", o->table);
		return cli_json_print(o, NULL);
	}
	if (err < 0) {
		cli_error("reading table ip %s failed: %s", o->table, strerror(-err));
		return EXIT_KERNEL;
	}
	rs_table_sort_elems(&t);
	ret = cli_json_print(o, &t);
	rs_table_free(&t);
	return ret;
}

int cmd_dump(int argc, char **argv)
{
	struct cli_options o;
	int ret = cli_parse(argc, argv, OPT_OUTPUT, &o), ip, ip6;

	if (ret == EXIT_OK)
		ret = cli_json_usable(&o);
	if (ret != EXIT_OK)
		return ret;
	if (o.backend == BACKEND_IPTABLES)
		return ipt_cmd_dump(&o);
	if (o.json)
		return dump_json(&o);
	ip = dump_table(&o, NFPROTO_IPV4, true);
	if (ip > 1)
		return ip;
	/* the ip6 table exists only where some Service has an IPv6 address */
	ip6 = dump_table(&o, NFPROTO_IPV6, ip == 1);
	if (ip6 > 1)
		return ip6;
	if (ip == 1 && ip6 == 1 && !o.quiet)
		cli_error("table ip %s does not exist: nothing applied yet", o.table);
	return EXIT_OK;
}
