// SPDX-License-Identifier: GPL-2.0-or-later
/* Manifests read as the API server and kube-proxy read them: one fixture
 * per misread, each with what kube-proxy would program; the bounds on what
 * one input may expand to; the notes and messages that say why. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "model_fixture.h"
#include "ruleset.h"
#include "util.h"

#define SVC(name, spec) \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: " name "}\nspec: " spec "\n"
#define SLICE(name, svc, body) \
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n" \
	"metadata: {name: " name ", labels: {kubernetes.io/service-name: " svc "}}\n" \
	"addressType: IPv4\n" body

/* StatefulSet DNS: a headless Service without ports is valid (nothing to
 * program); a Service with a ClusterIP still needs one. */
START_TEST(headless_service_without_ports)
{
	struct built b;

	build(&b, SVC("db", "{clusterIP: None, selector: {app: db}}"));
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	ck_assert(find(&b, "default", "db")->headless);
	ck_assert_uint_eq(find(&b, "default", "db")->nports, 0);
	built_free(&b);
	expect_error(SVC("web", "\n  clusterIP: 198.19.0.10\n  selector: {app: web}"),
		     "test.yaml:6: Service default/web: spec.ports: is required");
}
END_TEST

/* kube-proxy takes addresses[0] of each slice endpoint: the others belong
 * to the same Pod and are not separate backends. */
START_TEST(slice_endpoint_first_address_only)
{
	struct built b;
	char buf[128];

	build(&b, SVC("web", "{clusterIP: 198.19.0.10, ports: [{port: 80}]}")
		  SLICE("web-1", "web", "ports: [{port: 8080}]\nendpoints:\n"
			"- addresses: [198.18.1.2, 198.18.9.9]\n- addresses: [198.18.2.2]\n"));
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	ck_assert_str_eq(endpoints_str(&find(&b, "default", "web")->ports[0], buf, sizeof(buf)),
			 "198.18.1.2:8080 198.18.2.2:8080");
	built_free(&b);
}
END_TEST

/* spec.loadBalancerIP is a request; only status.loadBalancer.ingress is
 * programmed (a public address the load balancer never got must not be
 * captured on the node). */
START_TEST(load_balancer_ip_alone_not_programmed)
{
	struct built b;
	const struct model_service *s;
	char buf[128];

	build(&b, SVC("pending", "{type: LoadBalancer, clusterIP: 198.19.0.10,"
			" loadBalancerIP: 203.0.113.50, ports: [{port: 80, nodePort: 30080}]}")
		  SVC("given", "{type: LoadBalancer, clusterIP: 198.19.0.11,"
		      " loadBalancerIP: 198.18.200.1, ports: [{port: 80, nodePort: 30081}]}\n"
		      "status: {loadBalancer: {ingress: [{ip: 198.18.200.1}]}}"));
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	ck_assert_uint_eq(find(&b, "default", "pending")->nlb_ips, 0);
	expect_in(all_diags(&b), "test.yaml:5: note: Service default/pending: spec.loadBalancerIP: \"203.0.113.50\" not programmed");
	s = find(&b, "default", "given");
	ck_assert_str_eq(addrs_str(s->lb_ips, s->nlb_ips, buf, sizeof(buf)), "198.18.200.1");
	built_free(&b);
	expect_error(SVC("bad", "{type: LoadBalancer, loadBalancerIP: 203.0.113.500, ports: [{port: 80}]}"),
		     "spec.loadBalancerIP: \"203.0.113.500\" is not an IP address");
}
END_TEST

/* An IPv6 ingress or externalIP on an IPv4-only Service is not the
 * Service's (kube-proxy's IPv6 side ignores the Service): no ip6 table. */
START_TEST(ingress_of_another_family_ignored)
{
	struct built b;
	const struct model_service *s;
	char buf[128];

	build(&b, SVC("lb", "{type: LoadBalancer, clusterIP: 198.19.0.10, externalIPs: ['2001:db8::5', 198.18.100.1],"
		      " ports: [{port: 80, nodePort: 30080}]}\n"
		      "status: {loadBalancer: {ingress: [{ip: '2001:db8::1'}, {ip: 198.18.200.1}]}}"));
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "lb");
	ck_assert_str_eq(addrs_str(s->lb_ips, s->nlb_ips, buf, sizeof(buf)), "198.18.200.1");
	ck_assert_str_eq(addrs_str(s->external_ips, s->nexternal_ips, buf, sizeof(buf)),
			 "198.18.100.1");
	ck_assert(!model_has_family(&b.m, AF_INET6));
	expect_in(all_diags(&b), "spec.externalIPs: \"2001:db8::5\" ignored: the Service has no IPv6 ClusterIP");
	expect_in(all_diags(&b), "status.loadBalancer.ingress: \"2001:db8::1\" ignored: the Service has no IPv6 ClusterIP");
	built_free(&b);
}
END_TEST

/* Source ranges as the API server reads them: spaces trimmed, host bits
 * masked; the annotation when the field is empty, never both. */
START_TEST(source_ranges_trimmed_masked_and_annotation)
{
	struct built b;
	const struct model_service *s;
	char buf[64];

	build(&b, SVC("field", "{type: LoadBalancer, clusterIP: 198.19.0.10,"
			" loadBalancerSourceRanges: [' 203.0.113.7/24 ', 2001:db8::1/64],"
			" ports: [{port: 80, nodePort: 30080}]}")
		  "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: annotated\n  annotations:\n"
		  "    service.beta.kubernetes.io/load-balancer-source-ranges: ' 198.51.100.9/25, 192.0.2.0/24 '\n"
		  "spec: {type: LoadBalancer, clusterIP: 198.19.0.11, ports: [{port: 80, nodePort: 30081}]}\n"
		  "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: both\n  annotations:\n"
		  "    service.beta.kubernetes.io/load-balancer-source-ranges: 10.0.0.0/8\n"
		  "spec: {type: LoadBalancer, clusterIP: 198.19.0.12, loadBalancerSourceRanges: [192.0.2.0/24],"
		  " ports: [{port: 80, nodePort: 30082}]}\n");
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "field");
	ck_assert_str_eq(prefixes_str(s->source_ranges, s->nsource_ranges, buf, sizeof(buf)),
			 "203.0.113.0/24 2001:db8::/64");
	s = find(&b, "default", "annotated");
	ck_assert_str_eq(prefixes_str(s->source_ranges, s->nsource_ranges, buf, sizeof(buf)),
			 "198.51.100.0/25 192.0.2.0/24");
	s = find(&b, "default", "both");
	ck_assert_str_eq(prefixes_str(s->source_ranges, s->nsource_ranges, buf, sizeof(buf)),
			 "192.0.2.0/24");
	built_free(&b);
	expect_error("apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\n  annotations:\n"
		     "    service.beta.kubernetes.io/load-balancer-source-ranges: 10.0.0.0/8,nonsense\n"
		     "spec: {type: LoadBalancer, ports: [{port: 80}]}\n",
		     "test.yaml:6: Service default/bad: metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: \"nonsense\" is not a CIDR");
}
END_TEST

/* Every number is range-checked where it is written: an EndpointSlice
 * port 99999 would otherwise leave the Service silently without
 * endpoints. */
START_TEST(numbers_range_checked_with_line)
{
	expect_error(SVC("web", "{clusterIP: 198.19.0.10, ports: [{port: 80}]}")
		     SLICE("web-1", "web", "ports:\n- port: 99999\nendpoints: [{addresses: [198.18.1.2]}]\n"),
		     "test.yaml:12: EndpointSlice default/web-1: ports[0].port: \"99999\" is not a port number: valid ports are 1-65535");
	expect_error("apiVersion: v1\nkind: Endpoints\nmetadata: {name: db}\nsubsets:\n"
		     "- addresses: [{ip: 198.18.1.2}]\n  ports: [{port: 0}]\n",
		     "test.yaml:6: Endpoints default/db: subsets[0].ports[0].port: \"0\" is not a port number");
	expect_error("apiVersion: v1\nkind: Endpoints\nmetadata: {name: db}\nsubsets:\n"
		     "- addresses: [{ip: 198.18.1.2}]\n  ports: [{port: 80, protocol: ICMP}]\n",
		     "subsets[0].ports[0].protocol: unknown protocol \"ICMP\"");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
		     "  - name: c\n    ports:\n    - containerPort: 70000\n",
		     "test.yaml:8: Pod default/p: spec.containers[].ports[].containerPort: \"70000\" is not a port number");
}
END_TEST

/* Services selecting the same Pods multiply endpoints: past the limits the
 * run is refused, naming the Service and the limit, with bounded memory. */
START_TEST(expansion_is_bounded)
{
	static const char yaml[] =
		SVC("a", "{clusterIP: 198.19.0.10, selector: {app: x}, ports: [{name: a, port: 80}, {name: b, port: 81}]}")
		SVC("b", "{clusterIP: 198.19.0.11, selector: {app: x}, ports: [{port: 80}]}")
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: x1, labels: {app: x}}\nstatus: {podIP: 198.18.1.2}\n"
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: x2, labels: {app: x}}\nstatus: {podIP: 198.18.2.2}\n";
	struct model_options o;
	struct built b;

	model_options_default(&o);
	ck_assert_uint_ge(o.max_endpoints, 4000000);	/* generous by default */
	build_with(&b, yaml, &o);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	ck_assert_uint_eq(b.m.nendpoints, 6);
	built_free(&b);

	o.max_service_endpoints = 3;
	build_with(&b, yaml, &o);
	ck_assert_int_ne(b.ret, 0);
	expect_in(all_diags(&b), "test.yaml:2: Service default/a: has 4 endpoints over its ports, more than the limit of 3 per Service");
	built_free(&b);

	model_options_default(&o);
	o.max_endpoints = 5;
	build_with(&b, yaml, &o);
	ck_assert_int_ne(b.ret, 0);
	expect_in(all_diags(&b), "Service default/b: brings the endpoints of all Services to 6, more than the limit of 5 in all");
	built_free(&b);

	model_options_default(&o);
	o.max_service_entries = 3;
	build_with(&b, SVC("ext", "{clusterIP: 198.19.0.12, externalIPs: [198.18.100.1, 198.18.100.2],"
			   " ports: [{name: a, port: 80}, {name: b, port: 81}]}"), &o);
	ck_assert_int_ne(b.ret, 0);
	expect_in(all_diags(&b), "Service default/ext: 3 addresses times 2 ports are 6 address-port pairs, more than the limit of 3 per Service");
	built_free(&b);
}
END_TEST

/* -v says what was chosen and what was left out, and why. */
START_TEST(notes_say_what_is_ignored_and_assigned)
{
	struct model_options o;
	struct built b;
	char *d;

	model_options_default(&o);
	build_with(&b, SVC("web", "{type: NodePort, ports: [{name: http, port: 80}]}")
		   SLICE("web-1", "web", "ports: [{name: http, port: 8080}, {name: metrics, port: 9090}]\n"
			 "endpoints: [{addresses: [198.18.1.2]}]\n")
		   "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		   "metadata: {name: web-fqdn, labels: {kubernetes.io/service-name: web}}\n"
		   "addressType: FQDN\nendpoints: [{addresses: [example.com]}]\n"
		   SLICE("gone-1", "gone", "endpoints: [{addresses: [198.18.3.2]}]\n")
		   "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: nosvc}\n"
		   "subsets: [{addresses: [{ip: 198.18.4.2}], ports: [{port: 80}]}]\n", &o);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	d = all_diags(&b);
	expect_in(d, "note: Service default/web: spec.clusterIP: assigned 10.");
	expect_in(d, "from --service-cidr 10.96.0.0/12");
	expect_in(d, "test.yaml:5: note: Service default/web: spec.ports[0].nodePort: assigned 3");
	expect_in(d, "from --nodeport-range 30000-32767");
	expect_in(d, "test.yaml:11: note: EndpointSlice default/web-1: ports[1]: port \"metrics\" (9090/TCP) ignored: no port of Service default/web has this name and protocol");
	expect_in(d, "test.yaml:17: note: EndpointSlice default/web-fqdn: addressType: ignored: an FQDN slice");
	expect_in(d, "note: EndpointSlice default/gone-1: metadata.labels[kubernetes.io/service-name]: ignored: no Service default/gone in the manifests");
	expect_in(d, "note: Endpoints default/nosvc: ignored: no Service default/nosvc in the manifests");
	ck_assert_uint_eq(b.dl.nwarnings, 0);
	built_free(&b);
}
END_TEST

/* Local traffic policies without --node-name drop the traffic they
 * govern: a warning, shown without -v. */
START_TEST(local_policy_without_node_name_warns)
{
	static const char yaml[] =
		SVC("ext", "{type: NodePort, clusterIP: 198.19.0.10, externalTrafficPolicy: Local, ports: [{port: 80, nodePort: 30080}]}");
	struct model_options o;
	struct built b;

	model_options_default(&o);
	build_with(&b, yaml, &o);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	ck_assert_uint_eq(b.dl.nwarnings, 1);
	expect_in(all_diags(&b), "test.yaml:5: warning: Service default/ext: spec.externalTrafficPolicy: Local without --node-name: no endpoint is local, so external traffic to this Service is dropped");
	built_free(&b);
	o.node_name = "node-a";
	build_with(&b, yaml, &o);
	ck_assert_uint_eq(b.dl.nwarnings, 0);
	built_free(&b);
}
END_TEST

/* Compact JSON is one line: its messages carry the column. */
START_TEST(one_line_json_messages_carry_the_column)
{
	struct built b;

	build(&b, "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"c\"},"
		  " \"spec\": {\"ports\": [{\"port\": 99999}]}}\n");
	ck_assert_int_ne(b.ret, 0);
	expect_in(all_diags(&b), "test.yaml:1:96: Service default/c: spec.ports[0].port: \"99999\" is not a port number");
	built_free(&b);
}
END_TEST

/* An unrendered template is one error at its first placeholder; "{{" in
 * quotes, comments, plain scalars and block scalars is text. */
START_TEST(unrendered_template_is_one_error)
{
	static const char helm[] =
		"# {{ in a comment }}\napiVersion: v1\nkind: Service\nmetadata:\n"
		"  name: {{ include \"web.fullname\" . }}\nspec:\n  ports:\n"
		"  {{- range .Values.ports }}\n  - port: {{ .port }}\n  {{- end }}\n";
	static const char text[] =
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rules}\ndata:\n"
		"  alerts: |\n    summary: {{ $labels.instance }} down\n"
		"  other: 'a {{ b'\n  more: \"{{ c }}\"\n"
		"  summary: Pod {{ $labels.pod }} is down\n";
	struct built b;

	build(&b, helm);
	ck_assert_uint_eq(b.dl.nerrors, 1);
	expect_in(all_diags(&b), "test.yaml:5:9: \"{{ include \"web.fullname\" . }}\" is a Helm or Go template placeholder: the file must be rendered first");
	built_free(&b);
	build(&b, text);
	ck_assert_msg(b.dl.nerrors == 0, "%s", all_diags(&b));
	ck_assert_uint_eq(b.set.nskipped, 1);
	built_free(&b);
}
END_TEST

/* A Service with more than 65,535 ports: the per-Service view (dump and
 * plan -o json) once packed the port's index into 16 bits. */
START_TEST(summary_of_more_than_65535_ports)
{
	enum { NPORTS = 65537 };
	struct model m;
	struct model_service *s;
	struct rs_table t;
	struct rs_summary sum;
	const struct rs_summary_port *last;

	memset(&m, 0, sizeof(m));
	m.services = xcalloc(1, sizeof(*m.services));
	m.nservices = 1;
	s = &m.services[0];
	s->ns = xstrdup("default");
	s->name = xstrdup("many");
	s->type = SERVICE_NODE_PORT;
	s->want_ipv4 = true;
	ip_addr_parse(&s->cluster_ip, "198.19.0.50");
	s->ports = xcalloc(NPORTS, sizeof(*s->ports));
	s->nports = NPORTS;
	for (size_t i = 0; i < NPORTS; i++) {
		struct model_port *p = &s->ports[i];

		p->name = xasprintf("p%zu", i);
		p->protocol = i < 65535 ? IPPROTO_TCP : IPPROTO_UDP;
		p->port = i < 65535 ? i + 1 : i - 65535 + 1;
		p->target_port = p->port;
	}
	s->ports[NPORTS - 1].node_port = 30002;
	ruleset_from_model(&t, &m, "svcnft", AF_INET);
	rs_summarize(&sum, &t);
	ck_assert_uint_eq(sum.n, 1);
	ck_assert_uint_eq(sum.v[0].nports, NPORTS);
	ck_assert_uint_eq(sum.v[0].naddrs, 1);
	for (size_t i = 0; i + 1 < NPORTS; i++)
		ck_assert_uint_eq(sum.v[0].ports[i].node_port, 0);
	last = &sum.v[0].ports[NPORTS - 1];
	ck_assert_uint_eq(last->node_port, 30002);
	ck_assert_uint_eq(last->l4proto, IPPROTO_UDP);
	rs_summary_free(&sum);
	rs_table_free(&t);
	model_free(&m);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("semantics");
	TCase *tc = tcase_create("semantics");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, headless_service_without_ports);
	tcase_add_test(tc, slice_endpoint_first_address_only);
	tcase_add_test(tc, load_balancer_ip_alone_not_programmed);
	tcase_add_test(tc, ingress_of_another_family_ignored);
	tcase_add_test(tc, source_ranges_trimmed_masked_and_annotation);
	tcase_add_test(tc, numbers_range_checked_with_line);
	tcase_add_test(tc, expansion_is_bounded);
	tcase_add_test(tc, notes_say_what_is_ignored_and_assigned);
	tcase_add_test(tc, local_policy_without_node_name_warns);
	tcase_add_test(tc, one_line_json_messages_carry_the_column);
	tcase_add_test(tc, unrendered_template_is_one_error);
	tcase_add_test(tc, summary_of_more_than_65535_ports);
	suite_add_tcase(s, tc);
	return s;
}
