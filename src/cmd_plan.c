// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft plan: print what apply would program, as nft -f input; with
 * --diff, what apply would change in the kernel's table (sending nothing). */
#include <errno.h>
#include <stdio.h>
#include <json.h>
#include <string.h>

#include "backend.h"
#include "cli.h"
#include "cli_ops.h"
#include "json_out.h"
#include "kernel.h"
#include "ruleset_diff.h"
#include "util.h"

static int print_diff(const struct cli_options *o, const struct rs_table *want,
		      struct kernel_read *ahead)
{
	struct rs_table have = { 0 };
	struct rs_diff d;
	int err = kernel_read_table(ahead, want->family, want->name, &have);

	if (err < 0 && err != -ENOENT) {
		cli_error("reading table %s %s failed: %s", nft_family_name(want->family),
			  want->name, strerror(-err));
		return EXIT_KERNEL;
	}
	rs_diff_compute(&d, want, err == -ENOENT ? NULL : &have);
	err = nft_text_write_diff(stdout, &d);
	if (!err && rs_diff_empty(&d) && !o->quiet)
		fprintf(stderr, "svcnft: no changes: table %s %s holds what the manifests say\n",
			nft_family_name(want->family), want->name);
	rs_diff_free(&d);
	rs_table_free(&have);
	if (err < 0) {
		cli_error("writing the plan failed");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* plan -o json: the ruleset's document, and each Service's
 * healthCheckNodePort, which the ruleset does not hold. */
static int print_json(const struct compiled *c)
{
	struct json_object *doc = json_ruleset(&c->table, "plan");
	struct json_object *svcs = json_object_object_get(doc, "services");
	struct strmap hc = { 0 };
	char key[512];

	for (size_t i = 0; i < c->model.nservices; i++) {
		const struct model_service *s = &c->model.services[i];

		snprintf(key, sizeof(key), "%s/%s", s->ns, s->name);
		if (s->health_check_node_port)
			strmap_add(&hc, key, s->health_check_node_port);
	}
	for (size_t i = 0; hc.n && i < json_object_array_length(svcs); i++) {
		struct json_object *o = json_object_array_get_idx(svcs, i);
		const struct strmap_entry *e;

		snprintf(key, sizeof(key), "%s/%s",
			 json_object_get_string(json_object_object_get(o, "namespace")),
			 json_object_get_string(json_object_object_get(o, "name")));
		e = strmap_get(&hc, key);
		if (e)
			json_object_object_add(o, "healthCheckNodePort",
					       json_object_new_int((int)e->vals[0]));
	}
	strmap_free(&hc);
	if (json_doc_write(stdout, doc) < 0) {
		cli_error("writing JSON failed");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* What the ruleset does not hold, as nft comments: the ports svcnft watch
 * answers health checks on. */
static void print_health_check_ports(const struct model *m)
{
	for (size_t i = 0; i < m->nservices; i++) {
		const struct model_service *s = &m->services[i];

		if (s->health_check_node_port)
			printf("# Service %s/%s: healthCheckNodePort %u%s\n", s->ns,
			       s->name, s->health_check_node_port,
			       s->health_check_node_port_assigned ? " (assigned)" : "");
	}
}

int cmd_plan(int argc, char **argv)
{
	struct kernel_read *ahead = NULL;
	struct cli_options o;
	struct compiled c;
	int ret = cli_parse(argc, argv, OPT_COMPILE | OPT_PATHS | OPT_EMPTY | OPT_DIFF | OPT_OUTPUT, &o);

	if (ret == EXIT_OK)
		ret = cli_json_usable(&o);
	if (ret != EXIT_OK)
		return ret;
	/* the table is read while the manifests are, as apply does */
	if (o.diff && !o.json && o.backend == BACKEND_NFTABLES)
		ahead = kernel_read_start(o.table);
	ret = cli_compile(&o, &c);
	if (ret == EXIT_OK && o.backend == BACKEND_IPTABLES) {
		ret = o.diff ? EXIT_USAGE : ipt_cmd_plan(&c);
		if (o.diff)
			cli_error("plan --diff is for the nftables backend only");
	} else if (ret == EXIT_OK && o.json) {
		ret = print_json(&c);
	} else if (ret == EXIT_OK && o.diff) {
		ret = print_diff(&o, &c.table, ahead);
		if (ret == EXIT_OK && c.ipv6)
			ret = print_diff(&o, &c.table6, ahead);
	} else if (ret == EXIT_OK && (nft_text_write(stdout, &c.table, true) < 0 ||
				      (c.ipv6 && nft_text_write(stdout, &c.table6, true) < 0))) {
		cli_error("writing the plan failed");
		ret = EXIT_USAGE;
	} else if (ret == EXIT_OK && !o.diff && !o.json) {
		print_health_check_ports(&c.model);
	}
	kernel_read_free(ahead);
	compiled_free(&c);
	return ret;
}
