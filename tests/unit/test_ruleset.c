// SPDX-License-Identifier: GPL-2.0-or-later
/* The ruleset compiled from a model, its text form and its summary. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "ruleset.h"
#include "ruleset_fixture.h"
#include "unit.h"
#include "util.h"

static const char yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	"spec:\n  type: LoadBalancer\n  clusterIP: 198.19.0.10\n"
	"  externalIPs: [198.19.100.1]\n  selector: {app: web}\n"
	"  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]\n"
	"status: {loadBalancer: {ingress: [{ip: 198.19.255.1}, {hostname: lb.example}]}}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: empty}\n"
	"spec: {clusterIP: 198.19.0.11, selector: {app: none}, ports: [{port: 53, protocol: UDP}]}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: prod}\n"
	"spec: {type: ExternalName, externalName: db.example.com}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: hl}\n"
	"spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}\n"
	"---\napiVersion: v1\nkind: List\nitems:\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {app: web}}, status: {podIP: 198.18.1.2}}\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: b, labels: {app: web}}, status: {podIP: 198.18.2.2}}\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: c, labels: {app: web}}, status: {podIP: 198.18.3.2}}\n";

START_TEST(probabilities_make_endpoints_equally_likely)
{
	struct compiled c;
	const struct rs_chain *ch;

	compile_yaml(&c, yaml);
	ch = rs_table_find_chain(&c.t, "svc-default/web/tcp/80");
	ck_assert_ptr_nonnull(ch);
	ck_assert_str_eq(ch->comment, "LoadBalancer default/web http");
	ck_assert_uint_eq(ch->nrules, 3);
	/* 1/3, then 1/2 of the rest, then the last: each 1/3 */
	ck_assert_uint_eq(ch->rules[0].numgen_mod, 3);
	ck_assert_uint_eq(ch->rules[1].numgen_mod, 2);
	ck_assert_uint_eq(ch->rules[2].numgen_mod, 0);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(ch->rules[i].kind, RS_RULE_DNAT);
		ck_assert_uint_eq(ch->rules[i].port, 8080);
		ck_assert_uint_eq(ch->rules[i].l4proto, IPPROTO_TCP);
	}
	compiled_free(&c);
}
END_TEST

START_TEST(every_address_dispatches_to_the_service)
{
	struct compiled c;
	const struct rs_map *ips, *np;

	compile_yaml(&c, yaml);
	ips = rs_table_find_map(&c.t, RS_MAP_SERVICE_IPS_NAME);
	np = rs_table_find_map(&c.t, RS_MAP_NODEPORTS_NAME);
	/* web: clusterIP, externalIP, ingress IP; empty: clusterIP */
	ck_assert_uint_eq(ips->nelems, 4);
	ck_assert_uint_eq(np->nelems, 1);
	ck_assert_uint_eq(np->elems[0].port, 30080);
	ck_assert_str_eq(np->elems[0].chain, "ext-default/web/tcp/80");
	compiled_free(&c);
}
END_TEST

START_TEST(no_endpoints_reject_and_no_rules_for_headless)
{
	struct compiled c;
	const struct rs_chain *ch;

	compile_yaml(&c, yaml);
	ch = rs_table_find_chain(&c.t, "svc-default/empty/udp/53");
	ck_assert_ptr_nonnull(ch);
	ck_assert_uint_eq(ch->nrules, 1);
	ck_assert_int_eq(ch->rules[0].kind, RS_RULE_REJECT);
	ck_assert_ptr_null(rs_table_find_chain(&c.t, "svc-default/hl/tcp/80"));
	ch = rs_table_find_chain(&c.t, "svc-prod/db");
	ck_assert_ptr_nonnull(ch);
	ck_assert_uint_eq(ch->nrules, 0);
	ck_assert_str_eq(ch->comment, "ExternalName db.example.com");
	compiled_free(&c);
}
END_TEST

static char *text_of(const struct rs_table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(nft_text_write(f, t, true), 0);
	fclose(f);
	return buf;
}

START_TEST(text_is_what_nft_reads)
{
	struct compiled c;
	char *s;

	compile_yaml(&c, yaml);
	s = text_of(&c.t);
	ck_assert_msg(!strncmp(s, "table ip svcnft\ndelete table ip svcnft\ntable ip svcnft {\n", 56), "%s", s);
	ck_assert(strstr(s, "\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n"));
	ck_assert(strstr(s, "198.19.0.10 . tcp . 80 : goto svc-default/web/tcp/80"));
	ck_assert(strstr(s, "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"));
	ck_assert(strstr(s, "\t\tnumgen random mod 3 == 0 meta l4proto tcp dnat to 198.18.1.2:8080\n"));
	ck_assert(strstr(s, "\t\tmeta l4proto tcp dnat to 198.18.3.2:8080\n"));
	ck_assert(strstr(s, "\tchain svc-default/empty/udp/53 {\n\t\tcomment \"ClusterIP default/empty\"\n\t\tmeta l4proto udp ct state new reject\n\t}\n"));
	free(s);
	compiled_free(&c);
}
END_TEST

START_TEST(summary_recovers_services_from_the_ruleset)
{
	struct compiled c;
	struct rs_summary s;

	compile_yaml(&c, yaml);
	rs_summarize(&s, &c.t);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_str_eq(s.v[0].name, "empty");
	ck_assert_uint_eq(s.v[0].ports[0].nendpoints, 0);
	ck_assert_str_eq(s.v[1].name, "web");
	ck_assert_str_eq(s.v[1].type, "LoadBalancer");
	ck_assert_uint_eq(s.v[1].naddrs, 3);
	ck_assert_uint_eq(s.v[1].ports[0].node_port, 30080);
	ck_assert_uint_eq(s.v[1].ports[0].nendpoints, 3);
	ck_assert_str_eq(s.v[1].ports[0].name, "http");
	ck_assert_str_eq(s.v[2].external_name, "db.example.com");
	rs_summary_free(&s);
	compiled_free(&c);
}
END_TEST

START_TEST(equal_ignores_element_order_after_sort)
{
	struct compiled a, b;
	struct rs_map *m;
	struct rs_elem tmp;

	compile_yaml(&a, yaml);
	compile_yaml(&b, yaml);
	m = rs_table_find_map(&b.t, RS_MAP_SERVICE_IPS_NAME);
	tmp = m->elems[0];
	m->elems[0] = m->elems[m->nelems - 1];
	m->elems[m->nelems - 1] = tmp;
	ck_assert(!rs_table_equal(&a.t, &b.t));
	rs_table_sort_elems(&a.t);
	rs_table_sort_elems(&b.t);
	ck_assert(rs_table_equal(&a.t, &b.t));
	rs_table_find_chain(&b.t, "svc-default/web/tcp/80")->rules[0].port++;
	ck_assert(!rs_table_equal(&a.t, &b.t));
	compiled_free(&a);
	compiled_free(&b);
}
END_TEST

#define DNS_SVC "apiVersion: v1\nkind: Service\nmetadata: {name: dns}\n" \
	"spec: {type: NodePort, clusterIP: 198.19.0.53, ports: [{port: 53, protocol: UDP, nodePort: 30053}]}\n"
#define DNS_EPS(list) "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: dns}\n" \
	"subsets: [{addresses: [" list "], ports: [{port: 5353, protocol: UDP}]}]\n"

/* A removed UDP endpoint's flows go; a port that gains its first endpoints
 * has the flows to its addresses and node port flushed. */
START_TEST(stale_udp_flows_after_an_apply)
{
	struct compiled none, two, one;
	struct rs_stale_flow *f;
	char buf[IP_ADDR_STRLEN];
	size_t n;

	compile_yaml(&none, DNS_SVC);
	compile_yaml(&two, DNS_SVC DNS_EPS("{ip: 198.18.1.2}, {ip: 198.18.2.2}"));
	compile_yaml(&one, DNS_SVC DNS_EPS("{ip: 198.18.1.2}"));
	n = rs_stale_udp_flows(&two.t, &one.t, &f);
	ck_assert_uint_eq(n, 1);
	ck_assert(f[0].by_reply_src);
	ck_assert_str_eq(ip_addr_str(&f[0].addr, buf, sizeof(buf)), "198.18.2.2");
	ck_assert_uint_eq(f[0].port, 5353);
	free(f);
	n = rs_stale_udp_flows(&none.t, &one.t, &f);
	ck_assert_uint_eq(n, 2);
	ck_assert(!f[0].by_reply_src && !f[1].by_reply_src);
	ck_assert_uint_eq(f[0].port + f[1].port, 53 + 30053);
	free(f);
	ck_assert_uint_eq(rs_stale_udp_flows(&one.t, &one.t, &f), 0);
	free(f);
	compiled_free(&none);
	compiled_free(&two);
	compiled_free(&one);
}
END_TEST

/* The endpoints of a port with many (where they are looked up in an index
 * rather than scanned), all but the first in both tables. */
static char *dns_with_endpoints(unsigned first, unsigned n)
{
	char *text = xstrdup(DNS_SVC "---\napiVersion: v1\nkind: Endpoints\n"
			     "metadata: {name: dns}\nsubsets: [{addresses: [");
	char *more;

	for (unsigned i = 0; i < n; i++) {
		more = xasprintf("%s%s{ip: 198.18.%u.%u}", text, i ? ", " : "",
				 i ? 1 + i / 250 : first, i ? 1 + i % 250 : 1);
		free(text);
		text = more;
	}
	more = xasprintf("%s], ports: [{port: 5353, protocol: UDP}]}]\n", text);
	free(text);
	return more;
}

START_TEST(stale_udp_flows_of_a_port_with_many_endpoints)
{
	struct compiled before, after;
	struct rs_stale_flow *f;
	char buf[IP_ADDR_STRLEN];
	char *text_before = dns_with_endpoints(100, 200);
	char *text_after = dns_with_endpoints(101, 200);
	size_t n;

	compile_yaml(&before, text_before);
	compile_yaml(&after, text_after);
	n = rs_stale_udp_flows(&before.t, &after.t, &f);
	ck_assert_uint_eq(n, 1);
	ck_assert(f[0].by_reply_src);
	ck_assert_str_eq(ip_addr_str(&f[0].addr, buf, sizeof(buf)), "198.18.100.1");
	ck_assert_uint_eq(f[0].port, 5353);
	free(f);
	compiled_free(&before);
	compiled_free(&after);
	free(text_before);
	free(text_after);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ruleset");
	TCase *tc = tcase_create("ruleset");

	tcase_add_test(tc, probabilities_make_endpoints_equally_likely);
	tcase_add_test(tc, every_address_dispatches_to_the_service);
	tcase_add_test(tc, no_endpoints_reject_and_no_rules_for_headless);
	tcase_add_test(tc, text_is_what_nft_reads);
	tcase_add_test(tc, summary_recovers_services_from_the_ruleset);
	tcase_add_test(tc, equal_ignores_element_order_after_sort);
	tcase_add_test(tc, stale_udp_flows_after_an_apply);
	tcase_add_test(tc, stale_udp_flows_of_a_port_with_many_endpoints);
	suite_add_tcase(s, tc);
	return s;
}
