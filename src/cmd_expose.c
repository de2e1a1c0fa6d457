// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft expose pod|service NAME: print a Service manifest for it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "expose.h"
#include "util.h"

struct expose_args {
	struct expose_request req;
	const char *kind_name;		/* "Pod" or "Service", for messages */
	char **paths;
	size_t npaths;
	unsigned read_flags;
};

static int expose_usage(const char *fmt, const char *arg)
{
	fputs("svcnft expose: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nUsage: svcnft expose pod|service NAME [-n NAMESPACE] [--port PORT] "
	      "[--target-port PORT] [--protocol TCP|UDP|SCTP] [--name SERVICE] "
	      "[--type ClusterIP|NodePort|LoadBalancer] [--node-port N] -f PATH...\n", stderr);
	return EXIT_USAGE;
}

static long parse_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= 1 && v <= 65535 ? v : -1;
}

/* A DNS-1035 label, as Service names must be. */
static bool valid_service_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 63 && s[0] >= 'a' && s[0] <= 'z' && s[n - 1] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A port number, or an IANA service name (at most 15 characters, one
 * letter at least), as targetPort takes. */
static bool valid_target_port(const char *s)
{
	size_t n = strlen(s);

	return parse_port(s) > 0 ||
	       (n >= 1 && n <= 15 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n &&
		strpbrk(s, "abcdefghijklmnopqrstuvwxyz") && s[0] != '-' && s[n - 1] != '-');
}

static bool one_of(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

static int expose_option(struct expose_args *a, int c, const char *arg)
{
	static const char *const protocols[] = { "TCP", "UDP", "SCTP" };
	static const char *const types[] = { "ClusterIP", "NodePort", "LoadBalancer" };
	struct expose_request *r = &a->req;

	switch (c) {
	case 'n':
		r->ns = arg;
		return EXIT_OK;
	case 'f':
		a->paths[a->npaths++] = (char *)arg;
		return EXIT_OK;
	case 'P':
		r->port = parse_port(arg);
		return r->port > 0 ? EXIT_OK : expose_usage("--port \"%s\": give a port from 1 to 65535", arg);
	case 'O':
		r->node_port = parse_port(arg);
		return r->node_port > 0 ? EXIT_OK : expose_usage("--node-port \"%s\": give a port from 1 to 65535", arg);
	case 'T':
		r->target_port = arg;
		return valid_target_port(arg) ? EXIT_OK : expose_usage("--target-port \"%s\": give a port number or a port name (lower case, at most 15 characters)", arg);
	case 'R':
		r->protocol = arg;
		return one_of(arg, protocols, ARRAY_SIZE(protocols)) ? EXIT_OK : expose_usage("--protocol \"%s\": valid protocols are TCP, UDP and SCTP", arg);
	case 'N':
		r->service_name = arg;
		return valid_service_name(arg) ? EXIT_OK : expose_usage("--name \"%s\": a Service name is lower case letters, digits and '-', starting with a letter, at most 63", arg);
	case 'Y':
		r->type = arg;
		return one_of(arg, types, ARRAY_SIZE(types)) ? EXIT_OK : expose_usage("--type \"%s\": valid types are ClusterIP, NodePort and LoadBalancer", arg);
	case 'I':
		a->read_flags = 0;
		return EXIT_OK;
	default:
		return expose_usage("%s", "unknown option or missing argument");
	}
}

/* KIND NAME or KIND/NAME, with kubectl's short kind names. */
static int parse_target(struct expose_args *a, char *kind, char *name)
{
	char *slash = strchr(kind, '/');

	if (slash) {
		*slash = '\0';
		name = slash + 1;
	}
	if (!strcmp(kind, "pod") || !strcmp(kind, "pods") || !strcmp(kind, "po")) {
		a->req.kind = EXPOSE_POD;
		a->kind_name = "Pod";
	} else if (!strcmp(kind, "service") || !strcmp(kind, "services") || !strcmp(kind, "svc")) {
		a->req.kind = EXPOSE_SERVICE;
		a->kind_name = "Service";
	} else {
		return expose_usage("\"%s\": svcnft exposes a pod or a service", kind);
	}
	if (!name || !*name)
		return expose_usage("%s", "name the pod or service to expose");
	a->req.name = name;
	return EXIT_OK;
}

static int parse_args(int argc, char **argv, struct expose_args *a)
{
	static const struct option longopts[] = {
		{ "namespace", required_argument, NULL, 'n' },
		{ "filename", required_argument, NULL, 'f' },
		{ "port", required_argument, NULL, 'P' },
		{ "target-port", required_argument, NULL, 'T' },
		{ "protocol", required_argument, NULL, 'R' },
		{ "name", required_argument, NULL, 'N' },
		{ "type", required_argument, NULL, 'Y' },
		{ "node-port", required_argument, NULL, 'O' },
		{ "allow-insecure-files", no_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	char *kind, *name = NULL;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:f:", longopts, NULL)) != -1) {
		ret = expose_option(a, c, optarg);
		if (ret != EXIT_OK)
			return ret;
	}
	if (optind >= argc)
		return expose_usage("%s", "name what to expose: pod NAME or service NAME");
	kind = argv[optind++];
	if (!strchr(kind, '/') && optind < argc)
		name = argv[optind++];
	ret = parse_target(a, kind, name);
	if (ret != EXIT_OK)
		return ret;
	while (optind < argc)
		a->paths[a->npaths++] = argv[optind++];
	if (!a->npaths)
		return expose_usage("%s", "no manifests given: -f PATH (a file, a directory, or -)");
	if (a->req.node_port && (!a->req.type || !strcmp(a->req.type, "ClusterIP")))
		return expose_usage("%s", "--node-port needs --type NodePort or LoadBalancer");
	if (a->req.kind == EXPOSE_SERVICE && !a->req.service_name)
		return expose_usage("%s", "expose service needs --name: the new Service needs a name of its own");
	return EXIT_OK;
}

static int read_manifests(const struct expose_args *a, struct manifest_set *set)
{
	struct diag_list dl = { 0 };
	int status = EXIT_OK;

	for (size_t i = 0; i < a->npaths; i++)
		manifest_read_path_flags(set, a->paths[i], a->read_flags, &dl);
	diag_sort(&dl);
	for (size_t i = 0; i < dl.n; i++) {
		char *s;

		if (dl.v[i].level != DIAG_ERROR)
			continue;
		s = diag_format(&dl.v[i]);
		fprintf(stderr, "%s\n", s);
		free(s);
	}
	if (dl.nerrors) {
		cli_error("%zu error%s in the manifests; nothing exposed", dl.nerrors,
			  dl.nerrors == 1 ? "" : "s");
		status = EXIT_INVALID;
	}
	diag_list_free(&dl);
	return status;
}

static int report(const struct expose_args *a, const struct expose_service *s, int err)
{
	const char *ns = a->req.ns ? a->req.ns : "default";

	switch (err) {
	case -ENOENT:
		cli_error("expose: no %s %s/%s in the manifests", a->kind_name, ns, a->req.name);
		return EXIT_INVALID;
	case -ENODATA:
		if (a->req.kind == EXPOSE_POD)
			cli_error("expose: Pod %s/%s has no labels: a Service selects its Pods by label; add metadata.labels to the Pod", ns, a->req.name);
		else
			cli_error("expose: Service %s/%s has no selector: there are no Pods to select", ns, a->req.name);
		return EXIT_INVALID;
	case -ENOMSG:
		cli_error("expose: %s %s/%s declares no ports: give --port", a->kind_name, ns, a->req.name);
		return EXIT_INVALID;
	case -EEXIST:
		cli_error("expose: a Service %s/%s exists already in the manifests: choose another name with --name", ns, s->name);
		return EXIT_INVALID;
	case -E2BIG:
		cli_error("expose: %s %s/%s has %zu ports: --target-port and --node-port need --port, to expose one", a->kind_name, ns, a->req.name, s->nports);
		return EXIT_USAGE;
	default:
		cli_error("expose: %s", strerror(-err));
		return EXIT_INVALID;
	}
}

int cmd_expose(int argc, char **argv)
{
	struct expose_args a = { .read_flags = MANIFEST_STRICT_MODES };
	struct manifest_set set = { 0 };
	struct expose_service s = { 0 };
	int ret, err;

	a.paths = xcalloc(argc + 1, sizeof(*a.paths));
	ret = parse_args(argc, argv, &a);
	if (ret == EXIT_OK)
		ret = read_manifests(&a, &set);
	if (ret != EXIT_OK)
		goto out;
	err = expose_build(&s, &set, &a.req);
	if (err < 0)
		ret = report(&a, &s, err);
	else if (expose_write_yaml(stdout, &s) < 0 || fflush(stdout) != 0)
		ret = report(&a, &s, -EIO);
out:
	expose_service_free(&s);
	manifest_set_free(&set);
	free(a.paths);
	return ret;
}
