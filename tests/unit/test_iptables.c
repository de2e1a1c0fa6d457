// SPDX-License-Identifier: GPL-2.0-or-later
/* The iptables backend's text: iptables-restore input for a compiled
 * ruleset, iptables-save output read back, stale chains, jump rules,
 * flush, and the translation of affinity, traffic policies and source
 * ranges. */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iptables.h"
#include "ruleset_fixture.h"
#include "util.h"

#define DATA_DIR "tests/unit/data"

static const char yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	"spec: {clusterIP: 198.19.0.10, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: np}\n"
	"spec:\n  type: NodePort\n  clusterIP: 198.19.0.12\n  selector: {app: web}\n"
	"  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: empty}\n"
	"spec:\n  type: NodePort\n  clusterIP: 198.19.0.11\n  selector: {app: none}\n"
	"  ports: [{name: a, port: 80, nodePort: 30081}, {name: b, port: 53, protocol: UDP, nodePort: 30082}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: one}\n"
	"spec: {clusterIP: 198.19.0.13, selector: {app: one}, ports: [{port: 80}]}\n"
	"---\napiVersion: v1\nkind: List\nitems:\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {app: web}}, status: {podIP: 198.18.1.2}}\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: b, labels: {app: web}}, status: {podIP: 198.18.2.2}}\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: c, labels: {app: web}}, status: {podIP: 198.18.3.2}}\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: d, labels: {app: one}}, status: {podIP: 198.18.4.2}}\n";

/* What apply would feed iptables-restore for one table. Caller frees. */
static char *restore_text(const struct rs_table *t, enum ipt_table which,
			  const struct ipt_table_state *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ipt_restore_write(f, t, which, st), 0);
	fclose(f);
	return buf;
}

static char *flush_text(enum ipt_table which, const struct ipt_table_state *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ipt_flush_write(f, which, st), 0);
	fclose(f);
	return buf;
}

/* The 0-based index of the first line of text equal to line, or -1. */
static int line_at(const char *text, const char *line)
{
	size_t n = strlen(line);
	int i = 0;

	for (const char *p = text; p && *p; i++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == n && !strncmp(p, line, n))
			return i;
		p = nl ? nl + 1 : NULL;
	}
	return -1;
}

/* How many lines of text start with prefix. */
static int lines_starting(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');

		n += !strncmp(p, prefix, strlen(prefix));
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

static int lines_equal(const char *text, const char *line)
{
	int n = 0;

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		n += len == strlen(line) && !strncmp(p, line, len);
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

static char *chain_of(const char *rs_name)
{
	char name[29];

	ipt_chain_name(rs_name, name);
	return xstrdup(name);
}

static void load_state(struct ipt_table_state *st, const char *file)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(file, "r");

	ck_assert_msg(f != NULL, "cannot open %s (run from the top directory)", file);
	ck_assert_int_eq(getdelim(&text, &len, '\0', f) > 0, 1);
	fclose(f);
	memset(st, 0, sizeof(*st));
	ipt_state_parse(st, text);
	free(text);
}

static void state_free(struct ipt_table_state *nat, struct ipt_table_state *filter)
{
	struct ipt_state st = { 0 };

	st.table[IPT_NAT] = *nat;
	st.table[IPT_FILTER] = *filter;
	ipt_state_free(&st);
}

START_TEST(endpoints_equally_likely_last_unconditional)
{
	struct compiled c;
	char *web, *one, *nat, *line;

	compile_yaml(&c, yaml);
	web = chain_of("svc-default/web/tcp/80");
	one = chain_of("svc-default/one/tcp/80");
	nat = restore_text(&c.t, IPT_NAT, NULL);
	/* rule i of n matches with probability 1/(n-i): 1/3, then 1/2 of
	 * the remaining, then all that is left: each endpoint 1/3 */
	line = xasprintf("-A %s -p tcp -m statistic --mode random --probability 0.3333333333 -j DNAT --to-destination 198.18.1.2:8080", web);
	ck_assert_int_eq(line_at(nat, line) >= 0, 1);
	int first = line_at(nat, line);
	free(line);
	line = xasprintf("-A %s -p tcp -m statistic --mode random --probability 0.5000000000 -j DNAT --to-destination 198.18.2.2:8080", web);
	ck_assert_int_eq(line_at(nat, line), first + 1);
	free(line);
	line = xasprintf("-A %s -p tcp -j DNAT --to-destination 198.18.3.2:8080", web);
	ck_assert_int_eq(line_at(nat, line), first + 2);
	free(line);
	line = xasprintf("-A %s ", web);
	ck_assert_int_eq(lines_starting(nat, line), 3);
	free(line);
	/* one endpoint: one unconditional rule, no statistic match */
	line = xasprintf("-A %s -p tcp -j DNAT --to-destination 198.18.4.2:80", one);
	ck_assert_int_eq(lines_equal(nat, line), 1);
	free(line);
	line = xasprintf("-A %s ", one);
	ck_assert_int_eq(lines_starting(nat, line), 1);
	free(line);
	line = xasprintf("-A SVCNFT-SERVICES -d 198.19.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web/tcp/80\" -j %s", web);
	ck_assert_int_eq(lines_equal(nat, line), 1);
	free(line);
	ck_assert_str_eq(nat + strlen(nat) - strlen("COMMIT\n"), "COMMIT\n");
	ck_assert_int_eq(strncmp(nat, "*nat\n", 5), 0);
	free(nat);
	free(web);
	free(one);
	compiled_free(&c);
}
END_TEST

START_TEST(ports_without_endpoints_reject_in_filter)
{
	struct compiled c;
	char *nat, *filter;

	compile_yaml(&c, yaml);
	nat = restore_text(&c.t, IPT_NAT, NULL);
	filter = restore_text(&c.t, IPT_FILTER, NULL);
	ck_assert_int_eq(lines_equal(filter,
		"-A SVCNFT-NO-ENDPOINTS -d 198.19.0.11/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/empty/tcp/80\" -j REJECT --reject-with tcp-reset"), 1);
	ck_assert_int_eq(lines_equal(filter,
		"-A SVCNFT-NO-ENDPOINTS -d 198.19.0.11/32 -p udp -m udp --dport 53 -m comment --comment \"default/empty/udp/53\" -j REJECT --reject-with icmp-port-unreachable"), 1);
	/* REJECT is not allowed in nat, DNAT not in filter; a port with
	 * endpoints is never rejected */
	ck_assert_ptr_null(strstr(nat, "REJECT"));
	ck_assert_ptr_null(strstr(nat, "198.19.0.11"));
	ck_assert_ptr_null(strstr(filter, "DNAT"));
	ck_assert_ptr_null(strstr(filter, "198.19.0.10/32 -p tcp -m tcp"));
	/* what nat did not DNAT to a live ClusterIP is refused: TCP with a
	 * reset, the rest with ICMP, two rules each */
	ck_assert_int_eq(lines_equal(filter,
		"-A SVCNFT-NO-ENDPOINTS -d 198.19.0.10/32 -p tcp -m comment --comment \"cluster IP, port not served\" -j REJECT --reject-with tcp-reset"), 1);
	ck_assert_int_eq(lines_equal(filter,
		"-A SVCNFT-NO-ENDPOINTS -d 198.19.0.10/32 -m comment --comment \"cluster IP, port not served\" -j REJECT --reject-with icmp-port-unreachable"), 1);
	ck_assert_int_eq(lines_starting(filter, "-A SVCNFT-NO-ENDPOINTS -d 198.19.0.1"), 10);
	ck_assert_int_eq(strncmp(filter, "*filter\n", 8), 0);
	free(nat);
	free(filter);
	compiled_free(&c);
}
END_TEST

START_TEST(node_ports_only_on_local_addresses)
{
	struct compiled c;
	char *nat, *filter, *np, *ext, *line;
	int local;

	compile_yaml(&c, yaml);
	nat = restore_text(&c.t, IPT_NAT, NULL);
	filter = restore_text(&c.t, IPT_FILTER, NULL);
	np = chain_of("svc-default/np/tcp/80");
	ext = chain_of("ext-default/np/tcp/80");
	local = line_at(nat, "-A SVCNFT-SERVICES -m addrtype --dst-type LOCAL -j SVCNFT-NODEPORTS");
	ck_assert_int_ge(local, 0);
	ck_assert_int_eq(lines_starting(nat, "-A SVCNFT-SERVICES -m addrtype"), 1);
	/* after every service address: a local ClusterIP is its own Service's */
	line = xasprintf("-A SVCNFT-SERVICES -d 198.19.0.12/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/np/tcp/80\" -j %s", np);
	ck_assert_int_lt(line_at(nat, line), local);
	free(line);
	/* node port traffic (externalTrafficPolicy Cluster) goes through
	 * the ext- chain, which marks it for masquerade first */
	line = xasprintf("-A SVCNFT-NODEPORTS -p tcp -m tcp --dport 30080 -m comment --comment \"default/np/tcp/80\" -j %s", ext);
	ck_assert_int_eq(lines_equal(nat, line), 1);
	free(line);
	line = xasprintf("-A %s -j SVCNFT-MARK-MASQ", ext);
	ck_assert_int_ge(line_at(nat, line), 0);
	{
		char *jump = xasprintf("-A %s -j %s", ext, np);

		ck_assert_int_lt(line_at(nat, line), line_at(nat, jump));
		free(jump);
	}
	free(line);
	ck_assert_int_eq(lines_starting(nat, "-A SVCNFT-NODEPORTS "), 1);
	ck_assert_int_eq(lines_starting(nat, "-A SVCNFT-NODEPORTS -d"), 0);
	ck_assert_int_eq(lines_equal(filter,
		"-A SVCNFT-NO-ENDPOINTS -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30081 -m comment --comment \"default/empty/tcp/80\" -j REJECT --reject-with tcp-reset"), 1);
	ck_assert_int_eq(lines_equal(filter,
		"-A SVCNFT-NO-ENDPOINTS -m addrtype --dst-type LOCAL -p udp -m udp --dport 30082 -m comment --comment \"default/empty/udp/53\" -j REJECT --reject-with icmp-port-unreachable"), 1);
	free(np);
	free(ext);
	free(nat);
	free(filter);
	compiled_free(&c);
}
END_TEST

START_TEST(chain_names_fit_and_are_stable)
{
	char a[29], b[29], long_name[300];
	struct compiled c;
	char *nat;

	snprintf(long_name, sizeof(long_name), "svc-%.63s/%.63s/sctp/65535",
		 "a-namespace-name-that-uses-every-one-of-its-sixty-three-chars-x",
		 "a-service-name-that-uses-every-one-of-its-sixty-three-chars-xyz");
	ipt_chain_name(long_name, a);
	ck_assert_uint_le(strlen(a), 28);	/* XT_EXTENSION_MAXNAMELEN - 1 */
	ck_assert_int_eq(strncmp(a, IPT_PREFIX, strlen(IPT_PREFIX)), 0);
	ipt_chain_name(long_name, b);
	ck_assert_str_eq(a, b);
	long_name[strlen(long_name) - 1] = '4';
	ipt_chain_name(long_name, b);
	ck_assert_str_ne(a, b);
	/* the same on every run and every version: rules/clusterip.iptables */
	ipt_chain_name("svc-default/my-service/tcp/80", a);
	ck_assert_str_eq(a, "SVCNFT-SVC-43BFF23746E46CFF");

	compile_yaml(&c, yaml);
	nat = restore_text(&c.t, IPT_NAT, NULL);
	for (const char *p = nat; (p = strstr(p, "SVCNFT-")); p++)
		ck_assert_uint_le(strcspn(p, " \n"), 28);
	free(nat);
	compiled_free(&c);
}
END_TEST

START_TEST(parse_real_iptables_save)
{
	struct ipt_table_state nat, filter;

	load_state(&nat, DATA_DIR "/iptables-save-nat.txt");
	load_state(&filter, DATA_DIR "/iptables-save-filter.txt");
	/* svcnft's chains only: not the built-in ones, not FOREIGN-NAT */
	ck_assert_uint_eq(nat.nchains, 5);
	ck_assert_str_eq(nat.chains[0], "SVCNFT-NODEPORTS");
	ck_assert_str_eq(nat.chains[1], "SVCNFT-SERVICES");
	ck_assert_str_eq(nat.chains[2], "SVCNFT-SVC-0123456789ABCDEF");
	/* every rule that jumps in from outside, a foreign chain's too */
	ck_assert_uint_eq(nat.njumps, 4);
	ck_assert_str_eq(nat.jumps[0], "-A PREROUTING -m comment --comment svcnft -j SVCNFT-SERVICES");
	ck_assert_str_eq(nat.jumps[1], nat.jumps[0]);
	ck_assert_str_eq(nat.jumps[2], "-A OUTPUT -m comment --comment svcnft -j SVCNFT-SERVICES");
	ck_assert_str_eq(nat.jumps[3], "-A FOREIGN-NAT -j SVCNFT-SERVICES");
	ck_assert_uint_eq(nat.nrules, 12);
	ck_assert_str_eq(nat.rules[nat.nrules - 1],
			 "-A SVCNFT-SVC-D0310E4B55D1ED6D -p tcp -j DNAT --to-destination 198.18.3.2:9376");
	for (size_t i = 0; i < nat.nrules; i++)
		ck_assert_int_eq(strncmp(nat.rules[i], "-A SVCNFT-", 10), 0);

	ck_assert_uint_eq(filter.nchains, 1);
	ck_assert_str_eq(filter.chains[0], IPT_NO_ENDPOINTS);
	ck_assert_uint_eq(filter.njumps, 3);
	ck_assert_str_eq(filter.jumps[1],
			 "-A FORWARD -m conntrack --ctstate NEW -m comment --comment svcnft -j SVCNFT-NO-ENDPOINTS");
	ck_assert_uint_eq(filter.nrules, 2);
	state_free(&nat, &filter);
}
END_TEST

START_TEST(stale_chains_are_emptied_then_removed)
{
	struct ipt_table_state nat, filter;
	struct compiled c;
	char *text, *web;
	int declared, removed, last_rule = -1, i = 0;

	compile_yaml(&c, yaml);
	load_state(&nat, DATA_DIR "/iptables-save-nat.txt");
	load_state(&filter, DATA_DIR "/iptables-save-filter.txt");
	text = restore_text(&c.t, IPT_NAT, &nat);
	web = chain_of("svc-default/web/tcp/80");
	/* three chains of the fixture are not in this ruleset */
	static const char *const stale[] = { "SVCNFT-SVC-0123456789ABCDEF",
		"SVCNFT-SVC-43BFF23746E46CFF", "SVCNFT-SVC-D0310E4B55D1ED6D" };
	for (const char *p = text; p && *p; i++) {
		if (!strncmp(p, "-A ", 3) || !strncmp(p, "-D ", 3))
			last_rule = i;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	for (size_t k = 0; k < ARRAY_SIZE(stale); k++) {
		char *decl = xasprintf(":%s - [0:0]", stale[k]), *x = xasprintf("-X %s", stale[k]);

		/* declared (under --noflush that empties it), removed last */
		declared = line_at(text, decl);
		removed = line_at(text, x);
		ck_assert_int_ge(declared, 0);
		ck_assert_int_gt(removed, last_rule);
		ck_assert_int_eq(lines_equal(text, decl), 1);
		free(decl);
		free(x);
	}
	ck_assert_int_eq(lines_starting(text, "-X "), 3);
	/* chains still wanted are declared once and kept */
	ck_assert_int_eq(lines_equal(text, ":SVCNFT-SERVICES - [0:0]"), 1);
	ck_assert_int_eq(lines_equal(text, ":SVCNFT-NODEPORTS - [0:0]"), 1);
	ck_assert_ptr_null(strstr(text, "-X SVCNFT-SERVICES"));
	ck_assert_ptr_null(strstr(text, "FOREIGN"));
	free(text);
	free(web);
	text = restore_text(&c.t, IPT_FILTER, &filter);
	ck_assert_int_eq(lines_starting(text, "-X "), 0);
	free(text);
	state_free(&nat, &filter);
	compiled_free(&c);
}
END_TEST

START_TEST(jump_rules_added_once_duplicates_removed)
{
	static const char prerouting[] = "-A PREROUTING -m comment --comment svcnft -j SVCNFT-SERVICES";
	static const char output[] = "-A OUTPUT -m comment --comment svcnft -j SVCNFT-SERVICES";
	struct ipt_table_state nat, filter;
	struct compiled c;
	char *text;

	compile_yaml(&c, yaml);
	/* nothing there yet: one jump per hook */
	text = restore_text(&c.t, IPT_NAT, NULL);
	ck_assert_int_eq(lines_equal(text, prerouting), 1);
	ck_assert_int_eq(lines_equal(text, output), 1);
	ck_assert_int_eq(lines_starting(text, "-D "), 0);
	free(text);
	text = restore_text(&c.t, IPT_FILTER, NULL);
	ck_assert_int_eq(lines_starting(text, "-A INPUT -m conntrack --ctstate NEW -m comment --comment svcnft -j SVCNFT-NO-ENDPOINTS"), 1);
	ck_assert_int_eq(lines_starting(text, "-A FORWARD "), 1);
	ck_assert_int_eq(lines_starting(text, "-A OUTPUT "), 1);
	free(text);

	/* PREROUTING's twice, OUTPUT's once, a foreign chain's jump */
	load_state(&nat, DATA_DIR "/iptables-save-nat.txt");
	load_state(&filter, DATA_DIR "/iptables-save-filter.txt");
	text = restore_text(&c.t, IPT_NAT, &nat);
	ck_assert_int_eq(lines_starting(text, "-A PREROUTING"), 0);
	ck_assert_int_eq(lines_starting(text, "-A OUTPUT"), 0);
	ck_assert_int_eq(lines_equal(text, "-D PREROUTING -m comment --comment svcnft -j SVCNFT-SERVICES"), 1);
	ck_assert_int_eq(lines_starting(text, "-D "), 1);
	free(text);
	/* all three there: nothing to add or remove */
	text = restore_text(&c.t, IPT_FILTER, &filter);
	ck_assert_int_eq(lines_starting(text, "-A INPUT"), 0);
	ck_assert_int_eq(lines_starting(text, "-A FORWARD"), 0);
	ck_assert_int_eq(lines_starting(text, "-A OUTPUT"), 0);
	ck_assert_int_eq(lines_starting(text, "-D "), 0);
	free(text);
	state_free(&nat, &filter);
	compiled_free(&c);
}
END_TEST

START_TEST(flush_removes_svcnft_only)
{
	struct ipt_table_state nat, filter;
	char *text;
	int last_delete;

	load_state(&nat, DATA_DIR "/iptables-save-nat.txt");
	load_state(&filter, DATA_DIR "/iptables-save-filter.txt");
	text = flush_text(IPT_NAT, &nat);
	/* every jump in goes first (a chain in use cannot be deleted),
	 * including a foreign chain's; then each chain emptied and deleted */
	ck_assert_int_eq(lines_starting(text, "-D "), 4);
	ck_assert_int_eq(lines_equal(text, "-D PREROUTING -m comment --comment svcnft -j SVCNFT-SERVICES"), 2);
	ck_assert_int_eq(lines_equal(text, "-D FOREIGN-NAT -j SVCNFT-SERVICES"), 1);
	last_delete = line_at(text, "-D FOREIGN-NAT -j SVCNFT-SERVICES");
	ck_assert_int_eq(lines_starting(text, ":SVCNFT-"), 5);
	ck_assert_int_eq(lines_starting(text, "-X SVCNFT-"), 5);
	ck_assert_int_eq(lines_starting(text, "-X "), 5);
	ck_assert_int_gt(line_at(text, "-X SVCNFT-SERVICES"), last_delete);
	ck_assert_int_gt(line_at(text, "-X SVCNFT-SERVICES"), line_at(text, ":SVCNFT-SVC-0123456789ABCDEF - [0:0]"));
	ck_assert_int_eq(lines_starting(text, "-A "), 0);
	ck_assert_ptr_null(strstr(text, "MASQUERADE"));
	ck_assert_ptr_null(strstr(text, ":FOREIGN"));
	ck_assert_int_eq(strncmp(text, "*nat\n", 5), 0);
	ck_assert_str_eq(text + strlen(text) - 7, "COMMIT\n");
	free(text);
	text = flush_text(IPT_FILTER, &filter);
	ck_assert_int_eq(lines_starting(text, "-D "), 3);
	ck_assert_int_eq(lines_equal(text, "-X SVCNFT-NO-ENDPOINTS"), 1);
	ck_assert_ptr_null(strstr(text, "FOREIGN"));
	free(text);
	/* nothing of svcnft's: an empty transaction */
	text = flush_text(IPT_FILTER, NULL);
	ck_assert_str_eq(text, "*filter\nCOMMIT\n");
	free(text);
	state_free(&nat, &filter);
}
END_TEST

START_TEST(affinity_policies_and_ranges_translated)
{
	static const char svc[] =
		"apiVersion: v1\nkind: Service\nmetadata: {name: sticky}\n"
		"spec: {clusterIP: 198.19.0.10, sessionAffinity: ClientIP,\n"
		"  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}},\n"
		"  selector: {app: web}, ports: [{port: 80}]}\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: local}\n"
		"spec:\n  type: LoadBalancer\n  clusterIP: 198.19.0.11\n"
		"  externalTrafficPolicy: Local\n  internalTrafficPolicy: Local\n"
		"  loadBalancerSourceRanges: [198.18.0.0/16]\n  selector: {app: web}\n"
		"  ports: [{port: 80, nodePort: 30090}]\n"
		"status: {loadBalancer: {ingress: [{ip: 198.19.255.1}]}}\n"
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {app: web}}\n"
		"status: {podIP: 198.18.1.2}\n";
	char *sticky = chain_of("svc-default/sticky/tcp/80");
	char *ext = chain_of("ext-default/local/tcp/80");
	char *fw = chain_of("fw-default/local/tcp/80");
	struct compiled c;
	char *nat, *filter, *line;

	compile_yaml(&c, svc);
	nat = restore_text(&c.t, IPT_NAT, NULL);
	filter = restore_text(&c.t, IPT_FILTER, NULL);
	/* a hit refreshes the client's entry; the random choice records it */
	line = xasprintf("-A %s ", sticky);
	ck_assert_int_eq(lines_starting(nat, line), 2);
	free(line);
	line = xasprintf("-A %s -p tcp -m recent --update --seconds 60 --reap", sticky);
	ck_assert_ptr_nonnull(strstr(nat, line));
	free(line);
	ck_assert_ptr_nonnull(strstr(nat, "-m recent --set --name SVCNFT-SEP-"));
	/* Local, with no endpoint on this node (none has a node name): the
	 * node itself is let through, the rest is not DNATed and dropped in
	 * filter; only the ranges reach the ext- chain of the LB IP */
	line = xasprintf("-A %s -m addrtype --src-type LOCAL -j SVCNFT-MARK-MASQ", ext);
	ck_assert_int_ge(line_at(nat, line), 0);
	free(line);
	line = xasprintf("-A %s -s 198.18.0.0/16 -j %s", fw, ext);
	ck_assert_int_ge(line_at(nat, line), 0);
	free(line);
	ck_assert_int_eq(lines_equal(filter, "-A " IPT_NO_ENDPOINTS " -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30090 -m comment --comment \"default/local/tcp/80\" -j DROP"), 1);
	line = xasprintf("-A %s -j DROP", fw);
	ck_assert_int_eq(lines_equal(filter, line), 1);
	free(line);
	free(nat);
	free(filter);
	free(sticky);
	free(ext);
	free(fw);
	compiled_free(&c);
}
END_TEST

START_TEST(stale_udp_flows_from_saved_rules)
{
	static const char svc[] =
		"apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
		"spec: {clusterIP: 198.19.0.11, selector: {app: dns}, ports: [{port: 53, protocol: UDP}]}\n"
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
		"spec: {clusterIP: 198.19.0.12, selector: {app: dns}, ports: [{port: 53, protocol: UDP}]}\n"
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: d, labels: {app: dns}}\n"
		"status: {podIP: 198.18.4.2}\n";
	/* before: two endpoints gone (ip6tables writes [ADDR]:PORT), a port
	 * refused that now has one; a source range's jump is no refusal */
	static const char nat[] =
		"*nat\n:SVCNFT-SVC-0123456789ABCDEF - [0:0]\n"
		"-A SVCNFT-SVC-0123456789ABCDEF -p udp -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination [2001:db8:1::2]:53\n"
		"-A SVCNFT-SVC-0123456789ABCDEF -p udp -j DNAT --to-destination 198.18.1.2:53\n"
		"-A SVCNFT-SVC-0123456789ABCDEF -p udp -j DNAT --to-destination 198.18.4.2:53\nCOMMIT\n";
	static const char filter[] =
		"*filter\n:SVCNFT-NO-ENDPOINTS - [0:0]\n"
		"-A SVCNFT-NO-ENDPOINTS -d 198.19.0.11/32 -p udp -m udp --dport 53 -m comment --comment \"default/a/udp/53\" -j REJECT --reject-with icmp-port-unreachable\n"
		"-A SVCNFT-NO-ENDPOINTS -d 198.19.0.12/32 -p udp -m udp --dport 53 -m comment --comment \"default/b/udp/53\" -j SVCNFT-FW-0123456789ABCDEF\nCOMMIT\n";
	struct ipt_state st = { 0 };
	struct rs_stale_flow *flows;
	struct compiled c;
	char buf[IP_ADDR_STRLEN];
	size_t n;

	compile_yaml(&c, svc);
	ipt_state_parse(&st.table[IPT_NAT], nat);
	ipt_state_parse(&st.table[IPT_FILTER], filter);
	n = ipt_stale_udp_flows(&st, &c.t, &flows);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(ip_addr_str(&flows[0].addr, buf, sizeof(buf)), "2001:db8:1::2");
	ck_assert(flows[0].by_reply_src);
	ck_assert_str_eq(ip_addr_str(&flows[1].addr, buf, sizeof(buf)), "198.18.1.2");
	ck_assert_str_eq(ip_addr_str(&flows[2].addr, buf, sizeof(buf)), "198.19.0.11");
	ck_assert(!flows[2].by_reply_src);
	ck_assert_uint_eq(flows[2].port, 53);
	free(flows);
	ipt_state_free(&st);
	compiled_free(&c);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("iptables");
	TCase *tc = tcase_create("iptables");

	tcase_add_test(tc, endpoints_equally_likely_last_unconditional);
	tcase_add_test(tc, ports_without_endpoints_reject_in_filter);
	tcase_add_test(tc, node_ports_only_on_local_addresses);
	tcase_add_test(tc, chain_names_fit_and_are_stable);
	tcase_add_test(tc, parse_real_iptables_save);
	tcase_add_test(tc, stale_chains_are_emptied_then_removed);
	tcase_add_test(tc, jump_rules_added_once_duplicates_removed);
	tcase_add_test(tc, flush_removes_svcnft_only);
	tcase_add_test(tc, affinity_policies_and_ranges_translated);
	tcase_add_test(tc, stale_udp_flows_from_saved_rules);
	suite_add_tcase(s, tc);
	return s;
}
