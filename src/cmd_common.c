// SPDX-License-Identifier: GPL-2.0-or-later
/* What the commands share: options, the compile pipeline, printing. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "cli.h"
#include "cli_ops.h"
#include "util.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("svcnft: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

double cli_elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) + (now.tv_nsec - since->tv_nsec) / 1e9;
}

const char *cli_plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void cli_print_counts(const struct model *m)
{
	printf("%zu %s, %zu %s, %zu %s", m->nservices,
	       cli_plural(m->nservices, "service", "services"), m->nendpoints,
	       cli_plural(m->nendpoints, "endpoint", "endpoints"), m->nnode_ports,
	       cli_plural(m->nnode_ports, "node port", "node ports"));
}

/* nft identifiers: a letter, then letters, digits, '_' and '-'. */
static bool valid_table_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static int parse_port_range(const char *s, struct model_options *m)
{
	unsigned first, last;
	int used = 0;

	if (sscanf(s, "%u-%u%n", &first, &last, &used) != 2 || s[used] ||
	    first < 1 || last > 65535 || first > last)
		return -EINVAL;
	m->node_port_first = first;
	m->node_port_last = last;
	return 0;
}

/* One prefix per family: "V4CIDR", "V6CIDR" or "V4CIDR,V6CIDR". */
static int parse_service_cidr(const char *s, struct model_options *m)
{
	char *copy = xstrdup(s), *save = NULL;
	bool seen4 = false, seen6 = false;
	int ret = 0;

	for (char *tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		struct ip_prefix p;

		if (ip_prefix_parse(&p, tok) < 0) {
			ret = -EINVAL;
		} else if (p.addr.family == AF_INET && !seen4 && p.len <= 30) {
			m->service_cidr = p;
			seen4 = true;
		} else if (p.addr.family == AF_INET6 && !seen6 && p.len <= 126) {
			m->service_cidr6 = p;
			seen6 = true;
		} else {
			ret = -EINVAL;
		}
	}
	free(copy);
	return ret;
}

/* A comma-separated list, appended to what earlier options gave. */
static int parse_cluster_cidrs(struct cli_options *o, const char *arg)
{
	struct model_node *n = &o->model.node;
	char *copy = xstrdup(arg), *save = NULL;
	int ret = 0;

	n->cluster_cidrs = o->cluster_cidrs;
	for (char *tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		struct ip_prefix p;

		if (n->ncluster_cidrs == CLI_MAX_CIDRS || ip_prefix_parse(&p, tok) < 0)
			ret = -EINVAL;
		else
			o->cluster_cidrs[n->ncluster_cidrs++] = p;
	}
	free(copy);
	return ret;
}

static int parse_node_ips(struct cli_options *o, const char *arg)
{
	struct model_node *n = &o->model.node;
	char *copy = xstrdup(arg), *save = NULL;
	int ret = 0;

	n->node_ips = o->node_ips;
	for (char *tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		struct ip_addr a;

		if (n->nnode_ips == CLI_MAX_NODE_IPS || ip_addr_parse(&a, tok) < 0)
			ret = -EINVAL;
		else
			o->node_ips[n->nnode_ips++] = a;
	}
	free(copy);
	return ret;
}

static int usage_error(const struct cli_options *o, const char *fmt, const char *arg)
{
	fprintf(stderr, "svcnft %s: ", o->command);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'svcnft help'.\n");
	return EXIT_USAGE;
}

static int apply_option(struct cli_options *o, int c, const char *arg, unsigned accepts)
{
	switch (c) {
	case 't':
		if (!valid_table_name(arg))
			return usage_error(o, "--table \"%s\": use a letter, then letters, digits, '_' or '-'", arg);
		o->table = arg;
		return EXIT_OK;
	case 'r':
		if (!(accepts & OPT_COMPILE) || parse_port_range(arg, &o->model) < 0)
			return usage_error(o, "--nodeport-range \"%s\": give FIRST-LAST, 1-65535, FIRST <= LAST (e.g. 30000-32767)", arg);
		return EXIT_OK;
	case 'c':
		if (!(accepts & OPT_COMPILE) || parse_service_cidr(arg, &o->model) < 0)
			return usage_error(o, "--service-cidr \"%s\": give an IPv4 prefix (/30 or wider), an IPv6 one (/126 or wider), or both separated by a comma, host bits zero (e.g. 10.96.0.0/12,fd00:10:96::/112)", arg);
		return EXIT_OK;
	case 'd':
		if (!(accepts & OPT_DIFF))
			return usage_error(o, "%s", "--diff: only plan takes it");
		o->diff = true;
		return EXIT_OK;
	case 'b':
		if (!strcmp(arg, "nftables"))
			o->backend = BACKEND_NFTABLES;
		else if (!strcmp(arg, "iptables"))
			o->backend = BACKEND_IPTABLES;
		else
			return usage_error(o, "--backend \"%s\": valid backends are nftables and iptables", arg);
		return EXIT_OK;
	case 'n':
		if (!(accepts & OPT_COMPILE))
			return usage_error(o, "%s", "--node-name: only apply, plan and check take it");
		o->model.node_name = arg;
		return EXIT_OK;
	case 'z':
		if (!(accepts & OPT_COMPILE) || !*arg || !model_label_value_valid(arg))
			return usage_error(o, "--node-zone \"%s\": give a zone as topology.kubernetes.io/zone holds it: at most 63 letters, digits, '-', '_' and '.', beginning and ending with a letter or digit (only apply, plan and check take it)", arg);
		o->model.node_zone = arg;
		return EXIT_OK;
	case 'p':
		if (!(accepts & OPT_COMPILE))
			return usage_error(o, "%s", "--proxy-name: only apply, plan and check take it");
		o->model.proxy_name = arg;
		return EXIT_OK;
	case 'C':
		if (!(accepts & OPT_COMPILE) || parse_cluster_cidrs(o, arg) < 0)
			return usage_error(o, "--cluster-cidr \"%s\": give prefixes with host bits zero, separated by commas (e.g. 10.244.0.0/16,fd00:10:244::/56), 16 at most", arg);
		return EXIT_OK;
	case 'N':
		if (!(accepts & OPT_COMPILE) || parse_node_ips(o, arg) < 0)
			return usage_error(o, "--node-ip \"%s\": give addresses separated by commas (e.g. 192.168.0.2,2001:db8::2), 64 at most", arg);
		return EXIT_OK;
	case 'M':
		if (!(accepts & OPT_COMPILE))
			return usage_error(o, "%s", "--masquerade-all: only apply, plan and check take it");
		o->model.node.masquerade_all = true;
		return EXIT_OK;
	case 'I':
		if (!(accepts & OPT_PATHS))
			return usage_error(o, "%s", "--allow-insecure-files: only apply, plan and check read manifests");
		o->allow_insecure_files = true;
		return EXIT_OK;
	case 'E':
		if (!(accepts & OPT_PATHS))
			return usage_error(o, "%s", "--allow-empty: only apply, plan, check and watch take it");
		o->allow_empty = true;
		return EXIT_OK;
	case 'q':
		o->quiet = true;
		return EXIT_OK;
	case 'v':
		o->verbose++;
		return EXIT_OK;
	default:
		c = cli_ops_option(o, c, arg, accepts);
		return c >= 0 ? c : usage_error(o, "%s", "unknown option");
	}
}

int cli_parse(int argc, char **argv, unsigned accepts, struct cli_options *o)
{
	static const struct option longopts[] = {
		{ "table", required_argument, NULL, 't' },
		{ "nodeport-range", required_argument, NULL, 'r' },
		{ "service-cidr", required_argument, NULL, 'c' },
		{ "diff", no_argument, NULL, 'd' },
		{ "allow-insecure-files", no_argument, NULL, 'I' },
		{ "backend", required_argument, NULL, 'b' },
		{ "node-name", required_argument, NULL, 'n' },
		{ "node-zone", required_argument, NULL, 'z' },
		{ "proxy-name", required_argument, NULL, 'p' },
		{ "cluster-cidr", required_argument, NULL, 'C' },
		{ "node-ip", required_argument, NULL, 'N' },
		{ "masquerade-all", no_argument, NULL, 'M' },
		{ "allow-empty", no_argument, NULL, 'E' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		CLI_OPS_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->command = argv[0];
	o->table = "svcnft";
	o->empty_is_error = accepts & OPT_EMPTY;
	model_options_default(&o->model);
	cli_ops_defaults(o);
	opterr = 0;	/* our own message names the command */
	optind = 1;
	while ((c = getopt_long(argc, argv, "qv" CLI_OPS_SHORTOPTS, longopts, NULL)) != -1) {
		if (c == '?')
			return usage_error(o, "unknown option or missing argument: %s", argv[optind - 1]);
		ret = apply_option(o, c, optarg, accepts);
		if (ret != EXIT_OK)
			return ret;
	}
	o->paths = argv + optind;
	o->npaths = argc - optind;
	if ((accepts & OPT_PATHS) && o->npaths == 0)
		return usage_error(o, "%s", "no PATH given: name manifest files, directories, or - for stdin");
	if (!(accepts & OPT_PATHS) && o->npaths)
		return usage_error(o, "unexpected argument \"%s\"", o->paths[0]);
	return EXIT_OK;
}

static void print_diags(struct diag_list *dl, int verbose)
{
	diag_sort(dl);
	for (size_t i = 0; i < dl->n; i++) {
		char *s;

		if (dl->v[i].level == DIAG_NOTE && !verbose)
			continue;
		s = diag_format(&dl->v[i]);
		fprintf(stderr, "%s\n", s);
		free(s);
	}
}

static void note_skipped(const struct manifest_set *set, struct diag_list *dl)
{
	for (size_t i = 0; i < set->nskipped; i++) {
		const struct k8s_skipped *k = &set->skipped[i];

		/* cluster-scoped objects are named without a namespace */
		bool scoped = k->namespace.s || !k8s_kind_cluster_scoped(k->kind);

		diag_add(dl, DIAG_NOTE, &k->pos, NULL, NULL, NULL, NULL,
			 "skipped %s %s%s%s: svcnft reads Service, Endpoints, EndpointSlice, Pod and Node",
			 k->kind ? k->kind : "?",
			 scoped ? (k->namespace.s ? k->namespace.s : "default") : "",
			 scoped ? "/" : "", k->name.s ? k->name.s : "?");
	}
}

unsigned cli_read_flags(const struct cli_options *o)
{
	return o->allow_insecure_files ? 0 : MANIFEST_STRICT_MODES;
}

/*
 * Manifests without a single Service would empty the table: what a failed
 * `kubectl get` gives (it prints an empty List, even on stdout), or a
 * directory of Deployments. apply and plan refuse them unless --allow-empty
 * says so; check warns. Returns EXIT_OK or EXIT_INVALID (printed).
 */
static int check_not_empty(const struct cli_options *o, const struct compiled *c)
{
	const char *why = "the manifests hold no Service (an empty List, as kubectl prints when it fails, or only other kinds): applying them would remove every Service";

	if (c->set.nservices || o->allow_empty)
		return EXIT_OK;
	if (!o->empty_is_error) {
		cli_error("warning: %s; apply and plan refuse them without --allow-empty", why);
		return EXIT_OK;
	}
	cli_error("%s; give --allow-empty if that is what you want; nothing applied", why);
	return EXIT_INVALID;
}

int cli_compile(const struct cli_options *o, struct compiled *c)
{
	struct diag_list dl = { 0 };

	memset(c, 0, sizeof(*c));
	manifest_read_paths(&c->set, o->paths, o->npaths, cli_read_flags(o), &dl);
	return cli_compile_set(o, c, &dl);
}

int cli_compile_set(const struct cli_options *o, struct compiled *c,
		    struct diag_list *dl)
{
	int status = EXIT_OK;

	note_skipped(&c->set, dl);
	if (model_build(&c->model, &c->set, &o->model, dl) < 0 || dl->nerrors)
		status = EXIT_INVALID;
	c->nerrors = dl->nerrors;
	cli_progress_clear(o->progress);
	print_diags(dl, o->verbose);
	if (status != EXIT_OK)
		cli_error("%zu %s; nothing applied", dl->nerrors,
			  cli_plural(dl->nerrors, "error", "errors"));
	diag_list_free(dl);
	if (status != EXIT_OK)
		return status;
	status = check_not_empty(o, c);
	if (status != EXIT_OK)
		return status;
	ruleset_from_model(&c->table, &c->model, o->table, AF_INET);
	ruleset_from_model(&c->table6, &c->model, o->table, AF_INET6);
	c->ipv6 = model_has_family(&c->model, AF_INET6);
	return EXIT_OK;
}

void compiled_free(struct compiled *c)
{
	if (!c)
		return;
	rs_table_free(&c->table);
	rs_table_free(&c->table6);
	model_free(&c->model);
	manifest_set_free(&c->set);
}

static void print_port(const struct rs_summary_port *p)
{
	char buf[IP_ADDR_STRLEN];

	printf("#   %s%s%s/%u", p->name && *p->name ? p->name : "",
	       p->name && *p->name ? " " : "", protocol_name(p->l4proto), p->port);
	if (p->node_port)
		printf(" nodePort %u", p->node_port);
	if (!p->nendpoints)
		printf(" -> no endpoints (rejected)");
	else
		printf(" ->");
	for (size_t i = 0; i < p->nendpoints; i++)
		printf(" %s:%u", ip_addr_str(&p->endpoints[i], buf, sizeof(buf)),
		       p->endpoint_ports[i]);
	if (p->has_local)
		printf("; local:%s", p->nlocal_endpoints ? "" : " none (dropped)");
	for (size_t i = 0; i < p->nlocal_endpoints; i++)
		printf(" %s:%u", ip_addr_str(&p->local_endpoints[i], buf, sizeof(buf)),
		       p->local_endpoint_ports[i]);
	printf("\n");
}

void cli_print_summary(const struct rs_table *t)
{
	struct rs_summary s;
	char buf[IP_ADDR_STRLEN];

	rs_summarize(&s, t);
	printf("# %zu %s in table %s %s\n", s.n, cli_plural(s.n, "service", "services"),
	       nft_family_name(t->family), t->name);
	for (size_t i = 0; i < s.n; i++) {
		const struct rs_summary_service *svc = &s.v[i];

		printf("# %s/%s %s", svc->ns, svc->name, svc->type ? svc->type : "?");
		if (svc->external_name)
			printf(" -> %s", svc->external_name);
		for (size_t j = 0; j < svc->naddrs; j++)
			printf(" %s", ip_addr_str(&svc->addrs[j], buf, sizeof(buf)));
		printf("\n");
		for (size_t j = 0; j < svc->nports; j++)
			print_port(&svc->ports[j]);
	}
	rs_summary_free(&s);
}
