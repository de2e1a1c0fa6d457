// SPDX-License-Identifier: GPL-2.0-or-later
/* The explain walk over rulesets compiled from manifests. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "explain.h"
#include "ruleset.h"
#include "unit.h"

static const char yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	"spec:\n  clusterIP: 198.19.0.10\n  externalIPs: [198.19.254.1]\n"
	"  ipFamilyPolicy: PreferDualStack\n  ipFamilies: [IPv4, IPv6]\n"
	"  clusterIPs: [198.19.0.10, \"2001:db8:ffff::10\"]\n"
	"  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: local}\n"
	"spec:\n  type: NodePort\n  clusterIP: 198.19.0.11\n  externalTrafficPolicy: Local\n"
	"  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080, nodePort: 30081}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: remote}\n"
	"spec:\n  type: NodePort\n  clusterIP: 198.19.0.12\n  externalTrafficPolicy: Local\n"
	"  selector: {app: far}\n  ports: [{port: 80, targetPort: 8080, nodePort: 30082}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: lb}\n"
	"spec:\n  type: LoadBalancer\n  clusterIP: 198.19.0.13\n"
	"  loadBalancerSourceRanges: [198.18.200.2/32]\n  sessionAffinity: ClientIP\n"
	"  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}\n"
	"  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080, nodePort: 30083}]\n"
	"status: {loadBalancer: {ingress: [{ip: 198.19.255.4}]}}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: empty}\n"
	"spec: {clusterIP: 198.19.0.14, selector: {app: none}, ports: [{port: 80}]}\n"
	"---\napiVersion: v1\nkind: List\nitems:\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: a, labels: {app: web}}, spec: {nodeName: node},"
	" status: {podIP: 198.18.1.2, podIPs: [{ip: 198.18.1.2}, {ip: \"2001:db8:1::2\"}]}}\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: b, labels: {app: web}}, spec: {nodeName: other},"
	" status: {podIP: 198.18.2.2, podIPs: [{ip: 198.18.2.2}, {ip: \"2001:db8:2::2\"}]}}\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: c, labels: {app: web}}, spec: {nodeName: other},"
	" status: {podIP: 198.18.3.2, podIPs: [{ip: 198.18.3.2}, {ip: \"2001:db8:3::2\"}]}}\n"
	"- {apiVersion: v1, kind: Pod, metadata: {name: d, labels: {app: far}}, spec: {nodeName: other},"
	" status: {podIP: 198.18.4.2}}\n";

struct plan {
	struct manifest_set set;
	struct model m;
	struct rs_table t, t6;
	struct ip_addr local[2];
	struct ip_prefix cidrs[2];
	struct explain_result r;
};

static struct plan p;

static void compile(bool masquerade_all)
{
	struct diag_list dl = { 0 };
	struct model_options o;

	memset(&p, 0, sizeof(p));
	model_options_default(&o);
	o.node_name = "node";
	ck_assert_int_eq(ip_prefix_parse(&p.cidrs[0], "198.18.0.0/20"), 0);
	ck_assert_int_eq(ip_prefix_parse(&p.cidrs[1], "2001:db8::/40"), 0);
	o.node.cluster_cidrs = p.cidrs;
	o.node.ncluster_cidrs = 2;
	o.node.masquerade_all = masquerade_all;
	ck_assert_int_eq(ip_addr_parse(&p.local[0], "198.18.200.1"), 0);
	ck_assert_int_eq(ip_addr_parse(&p.local[1], "2001:db8:200::1"), 0);
	ck_assert_int_eq(manifest_read_buffer(&p.set, "t.yaml", yaml, strlen(yaml), &dl), 0);
	ck_assert_int_eq(model_build(&p.m, &p.set, &o, &dl), 0);
	ck_assert_uint_eq(dl.nerrors, 0);
	ruleset_from_model(&p.t, &p.m, "svcnft", AF_INET);
	ruleset_from_model(&p.t6, &p.m, "svcnft", AF_INET6);
	diag_list_free(&dl);
}

static void setup(void)
{
	compile(false);
}

static void teardown(void)
{
	explain_result_free(&p.r);
	rs_table_free(&p.t);
	rs_table_free(&p.t6);
	model_free(&p.m);
	manifest_set_free(&p.set);
}

/* Walk for FROM (NULL: the node) -> DEST ADDR:PORT (tcp). */
static const struct explain_result *walk(const char *from, const char *addr,
					 uint16_t port)
{
	struct explain_query q = { .l4proto = IPPROTO_TCP, .dport = port,
				   .local_addrs = p.local, .nlocal = 2 };

	if (from)
		ck_assert_int_eq(ip_addr_parse(&q.src, from), 0);
	ck_assert_int_eq(ip_addr_parse(&q.dst, addr), 0);
	explain_result_free(&p.r);
	explain_walk(q.dst.family == AF_INET6 ? &p.t6 : &p.t, &q, &p.r);
	return &p.r;
}

/* The endpoints' addresses are want ("A B C"; NULL: any) and their
 * probabilities sum to 1. */
static void ck_endpoints(const struct explain_result *r, const char *want)
{
	char buf[256], a[IP_ADDR_STRLEN];
	double sum = 0;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nendpoints; i++) {
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
			      ip_addr_str(&r->endpoints[i].addr, a, sizeof(a)));
		sum += r->endpoints[i].probability;
	}
	if (want)
		ck_assert_str_eq(buf, want);
	ck_assert_double_eq_tol(sum, 1.0, 1e-12);
}

START_TEST(cluster_ip_from_a_pod_reaches_every_endpoint_unmasqueraded)
{
	const struct explain_result *r = walk("198.18.2.2", "198.19.0.10", 80);

	ck_assert_int_eq(r->verdict, EXPLAIN_DNAT);
	ck_assert_int_eq(r->kind, EXPLAIN_KIND_CLUSTER_IP);
	ck_assert_int_eq(r->source_kind, EXPLAIN_FROM_POD);
	ck_assert_str_eq(r->service, "default/web");
	ck_assert_str_eq(r->port_name, "http");
	ck_endpoints(r, "198.18.1.2 198.18.2.2 198.18.3.2");
	for (size_t i = 0; i < r->nendpoints; i++)
		ck_assert_double_eq_tol(r->endpoints[i].probability, 1.0 / 3, 1e-12);
	ck_assert(!r->masquerade);
	/* the pod reaching itself through the Service: hairpin */
	ck_assert(r->endpoints[1].masquerade && !r->endpoints[0].masquerade);
}
END_TEST

START_TEST(cluster_ip_from_outside_or_the_node_is_masqueraded)
{
	const struct explain_result *r = walk("198.18.200.2", "198.19.0.10", 80);

	ck_assert_int_eq(r->source_kind, EXPLAIN_FROM_OUTSIDE);
	ck_assert(r->masquerade);
	r = walk(NULL, "198.19.0.10", 80);
	ck_assert_int_eq(r->source_kind, EXPLAIN_FROM_NODE);
	ck_assert_int_eq(r->verdict, EXPLAIN_DNAT);
	ck_assert(r->masquerade);
}
END_TEST

START_TEST(external_ip_is_told_from_a_cluster_ip)
{
	const struct explain_result *r = walk("198.18.200.2", "198.19.254.1", 80);

	ck_assert_int_eq(r->kind, EXPLAIN_KIND_EXTERNAL_IP);
	ck_endpoints(r, "198.18.1.2 198.18.2.2 198.18.3.2");
	ck_assert(r->masquerade);
}
END_TEST

START_TEST(local_policy_keeps_the_source_and_the_local_endpoint)
{
	const struct explain_result *r = walk("198.18.200.2", "198.18.200.1", 30081);

	ck_assert_int_eq(r->kind, EXPLAIN_KIND_NODE_PORT);
	ck_assert_str_eq(r->service, "default/local");
	ck_endpoints(r, "198.18.1.2");
	ck_assert(!r->masquerade);
	/* pods and the node itself get every endpoint */
	r = walk("198.18.3.2", "198.18.200.1", 30081);
	ck_assert_uint_eq(r->nendpoints, 3);
	r = walk(NULL, "198.18.200.1", 30081);
	ck_assert_uint_eq(r->nendpoints, 3);
	ck_assert(r->masquerade);
}
END_TEST

START_TEST(local_policy_without_a_local_endpoint_drops)
{
	const struct explain_result *r = walk("198.18.200.2", "198.18.200.1", 30082);

	ck_assert_int_eq(r->verdict, EXPLAIN_DROP);
	ck_assert_str_eq(r->reason, "Local policy with no local endpoint");
	ck_assert_uint_eq(r->nendpoints, 0);
}
END_TEST

START_TEST(source_ranges_admit_inside_and_drop_outside)
{
	const struct explain_result *r = walk("198.18.200.2", "198.19.255.4", 80);

	ck_assert_int_eq(r->verdict, EXPLAIN_DNAT);
	ck_assert_int_eq(r->kind, EXPLAIN_KIND_LOAD_BALANCER_IP);
	ck_endpoints(r, NULL);
	ck_assert(r->affinity);
	ck_assert_uint_eq(r->affinity_timeout, 600);
	r = walk("198.18.200.3", "198.19.255.4", 80);
	ck_assert_int_eq(r->verdict, EXPLAIN_DROP);
	ck_assert_str_eq(r->reason, "source range");
	ck_assert_str_eq(r->service, "default/lb");
}
END_TEST

START_TEST(affinity_entry_pins_the_client)
{
	struct rs_map *m = NULL;
	struct rs_elem *e;
	const struct explain_result *r;

	for (size_t i = 0; i < p.t.nmaps; i++)
		if (p.t.maps[i].kind == RS_MAP_AFFINITY)
			m = &p.t.maps[i];
	ck_assert_ptr_nonnull(m);
	/* what the kernel's map holds once this client was sent somewhere */
	e = rs_map_add_elem(m, NULL);
	ip_addr_parse(&e->addr, "198.18.200.2");
	ip_addr_parse(&e->addr2, "198.19.255.4");
	e->port = 80;	/* no protocol: the map is the TCP one */
	ip_addr_parse(&e->to_addr, "198.18.3.2");
	e->to_port = 8080;
	r = walk("198.18.200.2", "198.19.255.4", 80);
	ck_assert(r->affinity_pinned);
	ck_assert_uint_eq(r->nendpoints, 1);
	ck_assert_double_eq(r->endpoints[0].probability, 1.0);
	ck_assert_uint_eq(r->endpoints[0].port, 8080);
}
END_TEST

START_TEST(reject_none_and_their_reasons)
{
	const struct explain_result *r = walk(NULL, "198.19.0.14", 80);

	ck_assert_int_eq(r->verdict, EXPLAIN_REJECT);
	ck_assert_str_eq(r->reason, "no endpoints");
	ck_assert_str_eq(r->service, "default/empty");
	r = walk(NULL, "198.19.0.10", 81);
	ck_assert_int_eq(r->verdict, EXPLAIN_REJECT);
	ck_assert_str_eq(r->reason, "undefined port");
	ck_assert_str_eq(r->service, "default/web");
	r = walk("198.18.200.2", "198.19.99.1", 80);
	ck_assert_int_eq(r->verdict, EXPLAIN_NONE);
	ck_assert_ptr_null(r->service);
	ck_assert_uint_eq(r->nendpoints, 0);
	/* a node port on an address that is not the node's */
	r = walk("198.18.200.2", "198.18.200.9", 30081);
	ck_assert_int_eq(r->verdict, EXPLAIN_NONE);
}
END_TEST

START_TEST(ipv6_walks_the_ip6_table)
{
	const struct explain_result *r = walk("2001:db8:200::2", "2001:db8:ffff::10", 80);

	ck_assert_int_eq(r->verdict, EXPLAIN_DNAT);
	ck_endpoints(r, "2001:db8:1::2 2001:db8:2::2 2001:db8:3::2");
	ck_assert(r->masquerade);
	r = walk("2001:db8:2::2", "2001:db8:ffff::10", 80);
	ck_assert_int_eq(r->source_kind, EXPLAIN_FROM_POD);
	ck_assert(!r->masquerade);
}
END_TEST

START_TEST(masquerade_all_says_so)
{
	const struct explain_result *r;

	teardown();
	compile(true);
	r = walk("198.18.2.2", "198.19.0.10", 80);
	ck_assert(r->masquerade);
	ck_assert_str_eq(r->masquerade_why, "--masquerade-all");
}
END_TEST

START_TEST(a_rule_svcnft_does_not_write_does_not_match)
{
	struct rs_chain *c = rs_table_find_chain(&p.t, "services");
	const struct explain_result *r;

	ck_assert_ptr_nonnull(c);
	/* turn the service-ips dispatch into something unknown */
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].kind == RS_RULE_VMAP_SERVICE_IPS)
			c->rules[i].kind = RS_RULE_UNKNOWN;
	r = walk("198.18.200.2", "198.19.254.1", 80);
	ck_assert_int_eq(r->verdict, EXPLAIN_NONE);
	ck_assert_ptr_nonnull(strstr(r->steps[r->nsteps - 1], "not one svcnft writes"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("explain");
	TCase *tc = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, cluster_ip_from_a_pod_reaches_every_endpoint_unmasqueraded);
	tcase_add_test(tc, cluster_ip_from_outside_or_the_node_is_masqueraded);
	tcase_add_test(tc, external_ip_is_told_from_a_cluster_ip);
	tcase_add_test(tc, local_policy_keeps_the_source_and_the_local_endpoint);
	tcase_add_test(tc, local_policy_without_a_local_endpoint_drops);
	tcase_add_test(tc, source_ranges_admit_inside_and_drop_outside);
	tcase_add_test(tc, affinity_entry_pins_the_client);
	tcase_add_test(tc, reject_none_and_their_reasons);
	tcase_add_test(tc, ipv6_walks_the_ip6_table);
	tcase_add_test(tc, masquerade_all_says_so);
	tcase_add_test(tc, a_rule_svcnft_does_not_write_does_not_match);
	suite_add_tcase(s, tc);
	return s;
}
