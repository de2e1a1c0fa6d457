// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * svcnft explain: where a new connection to DEST goes, from the rules in
 * the kernel (or, with --plan, the rules apply would program), walked by
 * explain.h; with --live, where real connections went (cmd_explain_live.c).
 */
#include <netinet/in.h>	/* before linux/netfilter.h, which would define its own */
#include <errno.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "cli.h"
#include "cli_explain.h"
#include "explain.h"
#include "json_out.h"
#include "kernel.h"
#include "util.h"

static const char explain_usage[] =
	"Usage: svcnft explain [--table NAME] [--from ADDR] [-o text|json] DEST\n"
	"       svcnft explain --live SECONDS [--from ADDR] [-o text|json] DEST\n"
	"       svcnft explain --plan PATH... [options of plan] [--from ADDR] [-o text|json] DEST\n"
	"\n"
	"Where a new connection to DEST goes: the Service port and how it matched\n"
	"(ClusterIP, NodePort, ExternalIP, LoadBalancerIP), each endpoint with its\n"
	"probability, masquerade and why, session affinity, or why it is rejected\n"
	"or dropped. The rules are walked as the kernel runs them.\n"
	"\n"
	"  DEST                 ADDR:PORT[/tcp|udp|sctp] (tcp if left out); IPv6 as [ADDR]:PORT\n"
	"  --from ADDR          the client (default: this node); a pod, the node or outside\n"
	"                       as the rules see it (their cluster CIDR, the node's addresses)\n"
	"  --table NAME         the table svcnft owns (default svcnft)\n"
	"  --plan               PATH... are manifests: explain the ruleset apply would program\n"
	"                       (no kernel, no privilege; takes plan's options, e.g. --cluster-cidr)\n"
	"  --live SECONDS       trace real connections to DEST for that long (30s, 1m too) and print\n"
	"                       one line per connection: source, endpoint, chains passed\n"
	"  -o, --output text|json  a numbered path (default), or JSON (--live: one object a line)\n"
	"\n"
	"Without --plan, the tables in the kernel are read (ip for IPv4, ip6 for IPv6).\n"
	"Explains the nftables backend only. Exit status: 0 explained (whatever the verdict),\n"
	"2 bad usage, 3 reading the kernel failed. See svcnft(8).\n";

/* Options only explain has; the rest go to cli_parse. */
struct explain_args {
	const char *from, *live;
	bool plan, help;
};

static int own_option(struct explain_args *e, int argc, char **argv, int *i)
{
	static const char *const valued[] = { "--from", "--live" };
	const char **slot[] = { &e->from, &e->live };

	if (!strcmp(argv[*i], "--plan")) {
		e->plan = true;
		return 1;
	}
	if (!strcmp(argv[*i], "--help") || !strcmp(argv[*i], "-h")) {
		e->help = true;
		return 1;
	}
	for (size_t k = 0; k < ARRAY_SIZE(valued); k++) {
		size_t n = strlen(valued[k]);

		if (!strncmp(argv[*i], valued[k], n) && argv[*i][n] == '=') {
			*slot[k] = argv[*i] + n + 1;
			return 1;
		}
		if (strcmp(argv[*i], valued[k]))
			continue;
		if (*i + 1 >= argc) {
			fprintf(stderr, "svcnft explain: %s needs a value\nTry 'svcnft explain --help'.\n",
				valued[k]);
			return -1;
		}
		*slot[k] = argv[++*i];
		return 1;
	}
	return 0;
}

/*
 * Split argv into explain's own options and the rest, for cli_parse. The
 * rest ends with an empty argument: cli_parse then always finds a
 * positional one (OPT_PATHS wants one), and DEST is the one before it.
 */
static int split_args(int argc, char **argv, struct explain_args *e, char **rest,
		      int *nrest)
{
	*nrest = 0;
	rest[(*nrest)++] = argv[0];
	for (int i = 1; i < argc; i++) {
		int r = strcmp(argv[i], "--") ? own_option(e, argc, argv, &i) : 0;

		if (r < 0)
			return EXIT_USAGE;
		if (!r)
			rest[(*nrest)++] = argv[i];
	}
	rest[(*nrest)++] = (char *)"";
	rest[*nrest] = NULL;
	return EXIT_OK;
}

int explain_dest_parse(const char *s, struct ip_addr *a, uint16_t *port, uint8_t *proto)
{
	char *copy = xstrdup(s), *addr = copy, *colon, *slash, *end;
	unsigned long p;
	int ret = -EINVAL;

	*proto = IPPROTO_TCP;
	slash = strchr(copy, '/');
	if (slash) {
		*slash = '\0';
		if (!(*proto = protocol_from_name(slash + 1)))
			goto out;
	}
	colon = strrchr(copy, ':');
	if (!colon)
		goto out;
	*colon = '\0';
	if (*addr == '[') {
		size_t n = strlen(addr);

		if (n < 2 || addr[n - 1] != ']')
			goto out;
		addr[n - 1] = '\0';
		addr++;
		if (!strchr(addr, ':'))
			goto out;
	} else if (strchr(addr, ':')) {
		goto out;	/* IPv6 needs the brackets */
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 1 || p > 65535 || ip_addr_parse(a, addr) < 0)
		goto out;
	*port = p;
	ret = 0;
out:
	free(copy);
	return ret;
}

/* This machine's addresses (fib ... type local), plus extra. */
static struct ip_addr *local_addresses(const struct ip_addr *extra, size_t nextra,
				       size_t *n)
{
	struct ifaddrs *ifa = NULL;
	struct ip_addr *v = xcalloc(nextra + 1, sizeof(*v));
	size_t cap = nextra + 1;

	if (nextra)
		memcpy(v, extra, nextra * sizeof(*v));
	*n = nextra;
	if (getifaddrs(&ifa) < 0)
		return v;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		struct ip_addr a;

		if (!i->ifa_addr || ip_addr_from_sockaddr(&a, i->ifa_addr) < 0)
			continue;
		grow_array(&v, &cap, *n + 1, sizeof(*v));
		v[(*n)++] = a;
	}
	freeifaddrs(ifa);
	return v;
}

/*
 * The source address the node's own connection to dst would have: what
 * the kernel's route lookup picks for a UDP socket connected there (no
 * packet is sent). Family 0 when there is no route.
 */
static struct ip_addr route_source(const struct ip_addr *dst)
{
	struct sockaddr_storage ss;
	socklen_t len = ip_addr_to_sockaddr(dst, 9, &ss);
	struct ip_addr src = { 0 };
	int fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return src;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		ip_addr_from_sockaddr(&src, (struct sockaddr *)&ss);
	close(fd);
	return src;
}

const char *explain_addr_port(const struct ip_addr *a, uint16_t port, char *buf, size_t len)
{
	char s[IP_ADDR_STRLEN];

	ip_addr_str(a, s, sizeof(s));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, port);
	return buf;
}

static json_object *json_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *json_endpoints(const struct explain_result *r)
{
	json_object *a = json_object_new_array();
	char buf[IP_ADDR_STRLEN];

	for (size_t i = 0; i < r->nendpoints; i++) {
		const struct explain_endpoint *ep = &r->endpoints[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "address", json_str(ip_addr_str(&ep->addr, buf, sizeof(buf))));
		json_object_object_add(o, "port", json_object_new_int(ep->port));
		json_object_object_add(o, "probability", json_object_new_double(ep->probability));
		json_object_object_add(o, "masquerade", json_object_new_boolean(ep->masquerade));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *json_affinity(const struct explain_result *r)
{
	json_object *o;

	if (!r->affinity)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_str("ClientIP"));
	json_object_object_add(o, "timeout", json_object_new_int64(r->affinity_timeout));
	json_object_object_add(o, "pinned", json_object_new_boolean(r->affinity_pinned));
	return o;
}

static json_object *json_result(const struct explain_query *q, const char *table,
				bool plan, const struct explain_result *r)
{
	json_object *o = json_object_new_object(), *path = json_object_new_array();
	char buf[IP_ADDR_STRLEN + 8];
	bool dnat = r->verdict == EXPLAIN_DNAT;

	json_object_object_add(o, "destination", json_str(explain_addr_port(&q->dst, q->dport, buf, sizeof(buf))));
	json_object_object_add(o, "protocol", json_str(protocol_name(q->l4proto)));
	json_object_object_add(o, "source", json_str(r->src.family ?
		ip_addr_str(&r->src, buf, sizeof(buf)) : NULL));
	json_object_object_add(o, "from", json_str(explain_source_name(r->source_kind)));
	json_object_object_add(o, "table", json_str(table));
	json_object_object_add(o, "rules", json_str(plan ? "plan" : "kernel"));
	json_object_object_add(o, "verdict", json_str(explain_verdict_name(r->verdict)));
	json_object_object_add(o, "service", json_str(r->service));
	json_object_object_add(o, "port_name", json_str(r->port_name));
	json_object_object_add(o, "kind", r->kind ? json_str(explain_kind_name(r->kind)) : NULL);
	json_object_object_add(o, "endpoints", json_endpoints(r));
	json_object_object_add(o, "masquerade", json_object_new_boolean(r->masquerade));
	json_object_object_add(o, "masquerade_reason", json_str(dnat ? r->masquerade_why : NULL));
	json_object_object_add(o, "affinity", json_affinity(r));
	json_object_object_add(o, "reason", json_str(r->reason));
	json_object_object_add(o, "detail", json_str(r->detail));
	for (size_t i = 0; i < r->nsteps; i++)
		json_object_array_add(path, json_str(r->steps[i]));
	json_object_object_add(o, "path", path);
	return o;
}

static void print_verdict(const struct explain_result *r)
{
	char buf[IP_ADDR_STRLEN + 8];

	printf("verdict: %s", explain_verdict_name(r->verdict));
	if (r->reason)
		printf(" (%s: %s)", r->reason, r->detail ? r->detail : "");
	printf("\n");
	if (r->service) {
		printf("service: %s%s%s, as %s", r->service,
		       r->port_name && *r->port_name ? " port " : "",
		       r->port_name ? r->port_name : "", explain_kind_name(r->kind));
		if (r->service_type)
			printf(" (a %s Service)", r->service_type);
		printf("\n");
	}
	if (r->verdict != EXPLAIN_DNAT)
		return;
	printf("endpoints:\n");
	for (size_t i = 0; i < r->nendpoints; i++)
		printf("  %-24s probability %.4f%s\n",
		       explain_addr_port(&r->endpoints[i].addr, r->endpoints[i].port, buf, sizeof(buf)),
		       r->endpoints[i].probability,
		       r->endpoints[i].masquerade && !r->masquerade ? " (masqueraded)" : "");
	printf("masquerade: %s (%s)\n", r->masquerade ? "yes" : "no",
	       r->masquerade_why ? r->masquerade_why : "");
	if (r->affinity)
		printf("affinity: ClientIP, timeout %us%s\n", r->affinity_timeout,
		       r->affinity_pinned ? ", this client is pinned already" : "");
	else
		printf("affinity: none\n");
}

static void print_text(const struct explain_query *q, const char *table, bool plan,
		       const struct explain_result *r)
{
	char buf[IP_ADDR_STRLEN + 8], src[IP_ADDR_STRLEN];

	printf("%s/%s from %s (%s), table %s%s\n",
	       explain_addr_port(&q->dst, q->dport, buf, sizeof(buf)), protocol_name(q->l4proto),
	       r->src.family ? ip_addr_str(&r->src, src, sizeof(src)) : "this node",
	       explain_source_name(r->source_kind), table,
	       plan ? " as apply would program it" : "");
	for (size_t i = 0; i < r->nsteps; i++)
		printf("%3zu. %s\n", i + 1, r->steps[i]);
	print_verdict(r);
}

/* The table to walk: compiled (--plan) or read from the kernel. */
static int load_table(const struct cli_options *o, bool plan, const struct compiled *c,
		      uint8_t family, struct rs_table *t, bool *missing)
{
	int err;

	*missing = false;
	if (plan) {
		const struct rs_table *src = family == NFPROTO_IPV6 ? &c->table6 : &c->table;

		/* a shallow copy: the walk only reads */
		*t = *src;
		return EXIT_OK;
	}
	err = kernel_table_get(family, o->table, t);
	if (err == -ENOENT) {
		rs_table_init(t, family, o->table);
		*missing = true;
		return EXIT_OK;
	}
	if (err < 0) {
		cli_error("reading table %s %s failed: %s%s", nft_family_name(family), o->table,
			  strerror(-err), err == -EPERM ?
			  " (reading nftables needs CAP_NET_ADMIN: run as root, or explain --plan the manifests)" : "");
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

static int explain_once(const struct cli_options *o, const struct explain_args *e,
			struct explain_query *q)
{
	uint8_t family = q->dst.family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	struct compiled c = { 0 };
	struct explain_result r = { 0 };
	struct rs_table t = { 0 };
	char *table = NULL;
	bool missing = false;
	int ret = EXIT_OK;

	if (e->plan)
		ret = cli_compile(o, &c);
	if (ret == EXIT_OK)
		ret = load_table(o, e->plan, &c, family, &t, &missing);
	if (ret != EXIT_OK)
		goto out;
	explain_walk(&t, q, &r);
	if (missing) {
		free(r.detail);
		r.detail = xasprintf("table %s %s does not exist: nothing applied",
				     nft_family_name(family), o->table);
	}
	table = xasprintf("%s %s", nft_family_name(family), o->table);
	if (o->json)
		json_doc_write(stdout, json_result(q, table, e->plan, &r));
	else
		print_text(q, table, e->plan, &r);
	if (!e->plan)
		rs_table_free(&t);
out:
	free(table);
	explain_result_free(&r);
	compiled_free(e->plan ? &c : NULL);
	return ret;
}

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "svcnft explain: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'svcnft explain --help'.\n");
	return EXIT_USAGE;
}

/* DEST, --from, and the paths that are not DEST. */
static int parse_query(struct cli_options *o, const struct explain_args *e,
		       struct explain_query *q)
{
	const char *dest;

	if (o->npaths < 2)
		return usage("%s", "no DEST given: name ADDR:PORT[/tcp|udp|sctp] ([ADDR]:PORT for IPv6)");
	dest = o->paths[o->npaths - 2];
	if (explain_dest_parse(dest, &q->dst, &q->dport, &q->l4proto) < 0)
		return usage("DEST \"%s\": give ADDR:PORT[/tcp|udp|sctp], IPv6 as [ADDR]:PORT, port 1-65535 (e.g. 198.18.0.10:80/udp)", dest);
	if (!e->plan && o->npaths > 2)
		return usage("unexpected argument \"%s\": only --plan takes manifest paths", o->paths[0]);
	if (e->plan && o->npaths < 3)
		return usage("%s", "--plan: name manifest files or directories before DEST");
	o->npaths -= 2;
	if (e->from && ip_addr_parse(&q->src, e->from) < 0)
		return usage("--from \"%s\": give an IPv4 or IPv6 address", e->from);
	if (e->from && q->src.family != q->dst.family)
		return usage("--from \"%s\": give an address of DEST's family", e->from);
	return EXIT_OK;
}

int cmd_explain(int argc, char **argv)
{
	struct explain_args e = { 0 };
	struct explain_query q = { 0 };
	struct cli_options o;
	char **rest = xcalloc(argc + 2, sizeof(*rest));
	struct ip_addr *local = NULL;
	int nrest, ret = split_args(argc, argv, &e, rest, &nrest);

	if (ret == EXIT_OK && e.help) {
		fputs(explain_usage, stdout);
		goto out;
	}
	if (ret == EXIT_OK)
		ret = cli_parse(nrest, rest, OPT_COMPILE | OPT_PATHS | OPT_OUTPUT, &o);
	if (ret == EXIT_OK)
		ret = parse_query(&o, &e, &q);
	if (ret == EXIT_OK && o.backend == BACKEND_IPTABLES)
		ret = usage("%s", "--backend iptables: explain reads the nftables backend's tables only");
	if (ret == EXIT_OK && e.live && e.plan)
		ret = usage("%s", "--live traces the kernel: not with --plan");
	if (ret != EXIT_OK)
		goto out;
	local = local_addresses(e.plan ? o.model.node.node_ips : NULL,
				e.plan ? o.model.node.nnode_ips : 0, &q.nlocal);
	q.local_addrs = local;
	/* the node itself: the address its connection would leave with
	 * (not for --live, whose rule would then match that address only) */
	if (!e.from && !e.live)
		q.src = route_source(&q.dst);
	ret = e.live ? explain_live(&o, e.live, &q) : explain_once(&o, &e, &q);
out:
	free(local);
	free(rest);
	return ret;
}
