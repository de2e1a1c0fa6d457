// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft: Kubernetes Services as nftables NAT rules. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util.h"

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "apply", cmd_apply, "[options] PATH...",
	  "compile the manifests and program the kernel, atomically" },
	{ "plan", cmd_plan, "[options] PATH...",
	  "print the ruleset apply would program, in syntax nft -f accepts" },
	{ "check", cmd_check, "[options] PATH...",
	  "validate only; nothing touches the kernel" },
	{ "dump", cmd_dump, "[options]",
	  "read svcnft's table back from the kernel and print it" },
	{ "flush", cmd_flush, "[--table NAME]",
	  "remove svcnft's table; nothing else" },
	{ "watch", cmd_watch, "[options] PATH...",
	  "apply, then keep applying as manifests and tables change" },
	{ "expose", cmd_expose, "KIND NAME -f PATH",
	  "print a Service for a pod or service, as kubectl expose" },
	{ "help", cmd_help, "", "show this help" },
};

static void show_usage(FILE *out)
{
	fprintf(out, "Usage: svcnft COMMAND [options] [PATH...]\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  svcnft %-6s %-18s %s\n", commands[i].name,
			commands[i].args, commands[i].help);
	fprintf(out,
		"\nOptions of apply, plan and check (before or after PATH):\n"
		"  --table NAME              the table svcnft owns (default svcnft)\n"
		"  --nodeport-range A-B      node ports allowed and assigned (default 30000-32767)\n"
		"  --service-cidr CIDR       where missing ClusterIPs are assigned (default 10.96.0.0/12)\n"
		"  --diff                    plan only: print what apply would change in the kernel\n"
		"  --allow-insecure-files    read manifests that users other than root or you can write\n"
		"  --backend nftables|iptables  program nftables over netlink (default) or iptables-restore\n"
		"  --node-name NAME          this node: endpoints there are local (traffic policies)\n"
		"  --node-ip ADDR[,ADDR...]  addresses node ports answer on (default: every local one but loopback)\n"
		"  --cluster-cidr CIDR[,...] the pod network: other sources to a ClusterIP are masqueraded\n"
		"  --masquerade-all          masquerade every connection to a Service\n"
		"  --proxy-name NAME         also handle Services labelled service-proxy-name=NAME\n"
		"  -q, --quiet               print nothing on success\n"
		"  -v, --verbose             also print notes (skipped objects, assignments)\n"
		"  --lock-file PATH          apply, flush: the lock concurrent runs share (default /run/svcnft.lock)\n"
		"  --lock-timeout SECONDS    apply, flush: how long to wait for it (default 60)\n"
		"  --metrics-file PATH       apply, watch: write Prometheus metrics there (textfile collector)\n"
		"  -o, --output text|json    dump, plan: the output format (default text)\n"
		"  svcnft watch --help       watch's own options (sync periods, health, metrics)\n"
		"\nPATH is a file, a directory (*.yaml, *.yml, *.json, recursively) or - for stdin.\n"
		"Exit status: 0 done, 1 invalid manifests, 2 bad usage, 3 kernel refused or netlink failed,\n"
		"4 the lock file stayed taken for --lock-timeout. See svcnft(8).\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	show_usage(stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
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
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "svcnft: unknown command \"%s\"\n\n", argv[1]);
	show_usage(stderr);
	return EXIT_USAGE;
}
