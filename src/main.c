// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft: Kubernetes Services as nftables NAT rules. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util.h"

static int cmd_help(int argc, char **argv);

/* The options, in groups; a command's usage lists the groups it takes. */
#define OPTS_COMPILE \
	"  --table NAME              the table svcnft owns (default svcnft)\n" \
	"  --backend nftables|iptables  program nftables over netlink (default) or iptables-restore\n" \
	"  --nodeport-range A-B      node ports allowed and assigned (default 30000-32767)\n" \
	"  --service-cidr CIDR       where missing ClusterIPs are assigned (default 10.96.0.0/12)\n" \
	"  --node-name NAME          this node: endpoints there are local (traffic policies)\n" \
	"  --node-zone ZONE          this node's zone, for topology hints (default: its Node's label)\n" \
	"  --node-ip ADDR[,ADDR...]  addresses node ports answer on (default: every local one but loopback)\n" \
	"  --cluster-cidr CIDR[,...] the pod network: other sources to a ClusterIP are masqueraded\n" \
	"  --masquerade-all          masquerade every connection to a Service\n" \
	"  --proxy-name NAME         also handle Services labelled service-proxy-name=NAME\n" \
	"  --allow-insecure-files    read manifests that users other than root or you can write\n"
#define OPTS_EMPTY \
	"  --allow-empty             accept manifests that hold no Service (removes every Service)\n"
#define OPTS_LOCK \
	"  --lock-file PATH          the lock concurrent runs share (default /run/svcnft.lock)\n" \
	"  --lock-timeout SECONDS    how long to wait for it (default 60)\n"
#define OPTS_OUTPUT \
	"  -o, --output text|json    the output format (default text)\n"
#define OPTS_COMMON \
	"  -q, --quiet               print nothing on success\n" \
	"  -v, --verbose             also print notes (skipped objects, assignments)\n"
#define OPTS_PATHS \
	"PATH is a file, a directory (*.yaml, *.yml, *.json, recursively) or - for stdin.\n"

static const struct command commands[] = {
	{ "apply", cmd_apply, "[options] PATH...",
	  "compile the manifests and program the kernel, atomically",
	  OPTS_COMPILE OPTS_EMPTY OPTS_LOCK
	  "  --metrics-file PATH       write Prometheus metrics there (textfile collector)\n"
	  OPTS_COMMON "\n" OPTS_PATHS },
	{ "plan", cmd_plan, "[options] PATH...",
	  "print the ruleset apply would program, in syntax nft -f accepts",
	  OPTS_COMPILE OPTS_EMPTY
	  "  --diff                    print what apply would change in the kernel\n"
	  OPTS_OUTPUT OPTS_COMMON "\n" OPTS_PATHS },
	{ "check", cmd_check, "[options] PATH...",
	  "validate only; nothing touches the kernel",
	  OPTS_COMPILE
	  "  --allow-empty             no warning for manifests that hold no Service\n"
	  OPTS_COMMON "\n" OPTS_PATHS },
	{ "dump", cmd_dump, "[options]",
	  "read svcnft's table back from the kernel and print it",
	  "  --table NAME              the table svcnft owns (default svcnft)\n"
	  "  --backend nftables|iptables  which backend's rules to read\n"
	  OPTS_OUTPUT OPTS_COMMON },
	{ "flush", cmd_flush, "[--table NAME]",
	  "remove svcnft's table; nothing else",
	  "  --table NAME              the table svcnft owns (default svcnft)\n"
	  "  --backend nftables|iptables  which backend's rules to remove\n"
	  OPTS_LOCK OPTS_COMMON },
	/* watch prints its own usage: its options are its own (cmd_watch.c) */
	{ "watch", cmd_watch, "[options] PATH...",
	  "apply, then keep applying as manifests and tables change", NULL },
	{ "expose", cmd_expose, "KIND NAME -f PATH",
	  "print a Service for a pod or service, as kubectl expose",
	  "  KIND NAME                 pod NAME or service NAME (also pod/NAME, svc NAME)\n"
	  "  -f, --filename PATH       the manifests holding it (repeatable)\n"
	  "  -n, --namespace NS        its namespace (default default)\n"
	  "  --port PORT               the Service's port (default: every container port)\n"
	  "  --target-port PORT        the port or port name on the Pods (default: --port)\n"
	  "  --protocol TCP|UDP|SCTP   (default TCP)\n"
	  "  --name NAME               the new Service's name (default: NAME)\n"
	  "  --type ClusterIP|NodePort|LoadBalancer\n"
	  "  --node-port N             with --type NodePort or LoadBalancer\n"
	  "  --allow-insecure-files    read manifests that users other than root or you can write\n" },
	/* no usage text here: explain prints its own (three forms, DEST) */
	{ "explain", cmd_explain, "[options] DEST",
	  "where a connection to DEST goes, and why", NULL },
	{ "help", cmd_help, "[COMMAND]", "show this help, or a command's", "" },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static void show_usage(FILE *out)
{
	fprintf(out, "Usage: svcnft COMMAND [options] [PATH...]\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  svcnft %-7s %-18s %s\n", commands[i].name,
			commands[i].args, commands[i].help);
	fprintf(out,
		"\nOptions of apply, plan and check (before or after PATH):\n"
		OPTS_COMPILE
		"  --allow-empty             accept manifests that hold no Service (apply, plan refuse them)\n"
		"  --diff                    plan only: print what apply would change in the kernel\n"
		OPTS_COMMON
		"  --lock-file PATH          apply, flush: the lock concurrent runs share (default /run/svcnft.lock)\n"
		"  --lock-timeout SECONDS    apply, flush: how long to wait for it (default 60)\n"
		"  --metrics-file PATH       apply, watch: write Prometheus metrics there (textfile collector)\n"
		"  -o, --output text|json    dump, plan: the output format (default text)\n"
		"  svcnft watch --help       watch's own options (sync periods, health, metrics)\n"
		"\n" OPTS_PATHS
		"Exit status: 0 done, 1 invalid manifests, 2 bad usage, 3 kernel refused or netlink failed,\n"
		"4 the lock file stayed taken for --lock-timeout. See svcnft(8).\n"
		"'svcnft help COMMAND' or 'svcnft COMMAND --help' shows one command's options.\n");
}

/* usage NULL: the command prints its own, given --help. */
static int show_command_usage(const struct command *c)
{
	char *argv[] = { (char *)c->name, "--help", NULL };

	if (!c->usage)
		return c->run(2, argv);
	printf("Usage: svcnft %s %s\n%s.\n", c->name, c->args, c->help);
	if (*c->usage)
		printf("\n%s", c->usage);
	printf("See svcnft(8).\n");
	return EXIT_OK;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c = argc > 1 ? find_command(argv[1]) : NULL;

	if (argc > 1 && !c) {
		fprintf(stderr, "svcnft help: unknown command \"%s\"\n\n", argv[1]);
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (c)
		return show_command_usage(c);
	show_usage(stdout);
	return EXIT_OK;
}

/* "svcnft CMD ... --help ...": every command, before its own parsing
 * (which would call --help an unknown option). Arguments after "--" are
 * paths. */
static bool asks_for_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc, argv);
	if (!strcmp(argv[1], "--version")) {
		printf("svcnft %s\n", SVCNFT_VERSION);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (cmd && cmd->usage && asks_for_help(argc - 1, argv + 1))
		return show_command_usage(cmd);
	if (cmd)
		return cmd->run(argc - 1, argv + 1);
	fprintf(stderr, "svcnft: unknown command \"%s\"\n\n", argv[1]);
	show_usage(stderr);
	return EXIT_USAGE;
}
