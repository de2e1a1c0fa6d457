// SPDX-License-Identifier: GPL-2.0-or-later
/* The model: selectors, named ports, published endpoints, validation,
 * stable assignments. Manifests are given as YAML text. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model_fixture.h"

#define POD(name, ns, labels, ip, extra)                                  \
	"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: " name          \
	"\n  namespace: " ns "\n  labels: " labels "\nspec:\n  containers:\n" \
	"  - name: c\n" extra "status:\n  phase: Running\n  podIP: " ip "\n"

static const char selector_yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n"
	"  clusterIP: 198.19.0.10\n  selector:\n    app: web\n"
	"  ports:\n  - port: 80\n    targetPort: 8080\n"
	POD("web-1", "default", "{app: web, tier: x}", "198.18.1.2", "")
	POD("web-2", "default", "{app: web}", "198.18.2.2", "")
	POD("web-3", "default", "{app: web}", "198.18.3.2", "")
	POD("other", "default", "{app: other}", "198.18.4.2", "")
	POD("elsewhere", "prod", "{app: web}", "198.18.5.2", "")
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: unready, labels: {app: web}}\n"
	"status:\n  podIP: 198.18.6.2\n  conditions:\n  - {type: Ready, status: \"False\"}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: done, labels: {app: web}}\n"
	"status: {phase: Succeeded, podIP: 198.18.7.2}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: pending, labels: {app: web}}\n"
	"status: {phase: Pending}\n";

START_TEST(selector_picks_ready_pods_in_namespace)
{
	struct built b;
	const struct model_port *p;
	char buf[128];

	build(&b, selector_yaml);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	p = &find(&b, "default", "web")->ports[0];
	ck_assert_str_eq(endpoints_str(p, buf, sizeof(buf)),
			 "198.18.1.2:8080 198.18.2.2:8080 198.18.3.2:8080");
	built_free(&b);
}
END_TEST

static const char named_port_yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n"
	"  clusterIP: 198.19.0.11\n  selector: {app: api}\n"
	"  ports:\n  - name: web\n    port: 80\n    targetPort: http\n"
	"  - name: udp\n    protocol: UDP\n    port: 53\n    targetPort: http\n"
	POD("api-1", "default", "{app: api}", "198.18.1.2",
	    "    ports:\n    - {name: http, containerPort: 8080}\n")
	POD("api-2", "default", "{app: api}", "198.18.2.2",
	    "    ports:\n    - {name: http, containerPort: 8081}\n"
	    "    - {name: http, containerPort: 5353, protocol: UDP}\n")
	POD("api-3", "default", "{app: api}", "198.18.3.2",
	    "    ports:\n    - {name: metrics, containerPort: 9090}\n");

START_TEST(named_target_port_per_pod)
{
	struct built b;
	const struct model_service *s;
	char buf[128];

	build(&b, named_port_yaml);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "api");
	ck_assert_str_eq(endpoints_str(&s->ports[0], buf, sizeof(buf)),
			 "198.18.1.2:8080 198.18.2.2:8081");
	/* the UDP port resolves only where the name is served over UDP */
	ck_assert_str_eq(endpoints_str(&s->ports[1], buf, sizeof(buf)),
			 "198.18.2.2:5353");
	built_free(&b);
}
END_TEST

static const char published_yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n"
	"  clusterIP: 198.19.0.12\n  ports: [{name: pg, port: 5432}]\n"
	"---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: db}\n"
	"subsets:\n- addresses: [{ip: 198.18.1.2}, {ip: 198.18.2.2}]\n"
	"  ports: [{name: pg, port: 5432}]\n"
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {name: db-1, labels: {kubernetes.io/service-name: db}}\n"
	"addressType: IPv4\nports: [{name: pg, port: 5432, protocol: TCP}]\n"
	"endpoints:\n- addresses: [198.18.2.2]\n- addresses: [198.18.3.2]\n"
	"  conditions: {ready: true}\n- addresses: [198.18.4.2]\n"
	"  conditions: {ready: false}\n";

START_TEST(published_endpoints_merged_without_duplicates)
{
	struct built b;
	const struct model_port *p;
	char buf[128];

	build(&b, published_yaml);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	p = &find(&b, "default", "db")->ports[0];
	ck_assert_str_eq(endpoints_str(p, buf, sizeof(buf)),
			 "198.18.1.2:5432 198.18.2.2:5432 198.18.3.2:5432");
	built_free(&b);
}
END_TEST

START_TEST(errors_name_file_line_object_field)
{
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: np}\nspec:\n"
		     "  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 40000\n",
		     "test.yaml:8: Service default/np: spec.ports[0].nodePort: \"40000\" is outside the node port range: valid ports are 30000-32767");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: p}\nspec:\n"
		     "  ports:\n  - port: 80\n    protocol: ICMP\n",
		     "test.yaml:7: Service default/p: spec.ports[0].protocol: unknown protocol \"ICMP\": valid protocols are TCP, UDP, SCTP");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: two}\nspec:\n"
		     "  ports:\n  - port: 80\n  - port: 81\n",
		     "Service default/two: spec.ports[0].name: is required when a Service has more than one port");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: t}\nspec:\n"
		     "  type: Cluster\n  ports: [{port: 80}]\n",
		     "test.yaml:5: Service default/t: spec.type: unknown type \"Cluster\": valid types are ClusterIP, NodePort, LoadBalancer, ExternalName");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: e}\nspec:\n"
		     "  type: ExternalName\n  externalName: Not_A_Name\n",
		     "spec.externalName: \"Not_A_Name\" is not a DNS name");
}
END_TEST

START_TEST(reserved_endpoint_addresses_refused)
{
	expect_error("apiVersion: v1\nkind: Endpoints\nmetadata: {name: lo}\n"
		     "subsets:\n- addresses:\n  - ip: 127.0.0.1\n  ports: [{port: 80}]\n",
		     "test.yaml:6: Endpoints default/lo: subsets[0].addresses[0].ip: \"127.0.0.1\" is a loopback address");
	expect_error("apiVersion: v1\nkind: Endpoints\nmetadata: {name: ll}\n"
		     "subsets:\n- addresses:\n  - ip: 169.254.1.1\n  ports: [{port: 80}]\n",
		     "\"169.254.1.1\" is a link-local address");
	expect_error("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		     "metadata: {name: mc, labels: {kubernetes.io/service-name: x}}\n"
		     "addressType: IPv4\nendpoints:\n- addresses: [224.0.0.5]\n",
		     "EndpointSlice default/mc: endpoints[0].addresses[0]: \"224.0.0.5\" is a link-local multicast address");
}
END_TEST

START_TEST(conflicts_name_both_services)
{
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
		     "spec: {clusterIP: 198.19.0.1, ports: [{port: 80}]}\n---\n"
		     "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
		     "spec: {clusterIP: 198.19.0.1, ports: [{port: 80}]}\n",
		     "Service default/b: spec.clusterIP: \"198.19.0.1\" is already the clusterIP of Service default/a (test.yaml:1)");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
		     "spec: {type: NodePort, ports: [{port: 80, nodePort: 30001}]}\n---\n"
		     "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
		     "spec: {type: NodePort, ports: [{port: 81, nodePort: 30001}]}\n",
		     "\"30001\" (tcp) is already the nodePort of Service default/a (test.yaml:1)");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
		     "spec: {ports: [{port: 80}]}\n---\n"
		     "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
		     "spec: {ports: [{port: 81}]}\n",
		     "\"a\" is defined twice in namespace \"default\", first at test.yaml:1");
}
END_TEST

/* Assigned ClusterIPs and node ports depend on the Service alone. */
static void assigned(const char *yaml, struct ip_addr *ip, uint16_t *node_port)
{
	struct built b;
	const struct model_service *s;

	build(&b, yaml);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "stable");
	*ip = s->cluster_ip;
	*node_port = s->ports[0].node_port;
	ck_assert(s->cluster_ip_assigned && s->ports[0].node_port_assigned);
	built_free(&b);
}

START_TEST(assignments_are_stable)
{
	static const char one[] = "apiVersion: v1\nkind: Service\nmetadata: {name: stable}\n"
				  "spec: {type: NodePort, ports: [{port: 80}]}\n";
	char *many = strdup(one);
	struct ip_addr ip1, ip2;
	uint16_t np1, np2;
	struct ip_prefix cidr;

	assigned(one, &ip1, &np1);
	for (int i = 0; i < 200; i++) {
		char *next = NULL;

		ck_assert_int_ge(asprintf(&next, "%s---\napiVersion: v1\nkind: Service\n"
					  "metadata: {name: other-%d}\nspec: {type: NodePort, ports: [{port: 80}]}\n",
					  many, i), 0);
		free(many);
		many = next;
	}
	assigned(many, &ip2, &np2);
	ck_assert_int_eq(ip_addr_cmp(&ip1, &ip2), 0);
	ck_assert_uint_eq(np1, np2);
	ck_assert_uint_ge(np1, 30000);
	ck_assert_uint_le(np1, 32767);
	ip_prefix_parse(&cidr, "10.96.0.0/12");
	ck_assert(ip_prefix_contains(&cidr, &ip1));
	free(many);
}
END_TEST

START_TEST(external_name_and_headless)
{
	struct built b;
	const struct model_service *s;

	build(&b, "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: prod}\n"
		  "spec: {type: ExternalName, externalName: my.database.example.com}\n---\n"
		  "apiVersion: v1\nkind: Service\nmetadata: {name: hl}\n"
		  "spec: {clusterIP: None, selector: {app: x}, ports: [{port: 80}]}\n");
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "prod", "db");
	ck_assert_int_eq(s->type, SERVICE_EXTERNAL_NAME);
	ck_assert_str_eq(s->external_name, "my.database.example.com");
	ck_assert(find(&b, "default", "hl")->headless);
	built_free(&b);
}
END_TEST


static const char conditions_yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: roll}\n"
	"spec: {clusterIP: 198.19.0.20, ports: [{port: 80}]}\n"
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {name: roll-1, labels: {kubernetes.io/service-name: roll}}\n"
	"addressType: IPv4\nports: [{port: 8080}]\nendpoints:\n"
	"- {addresses: [198.18.1.2], conditions: {ready: false, serving: true, terminating: true}, nodeName: a}\n"
	"- {addresses: [198.18.2.2], conditions: {ready: false, serving: false, terminating: true}, nodeName: b}\n"
	"%s";

/* Ready endpoints win; with none ready, serving-and-terminating ones are
 * used; endpoints neither ready nor serving never are. */
START_TEST(terminating_endpoints_are_a_fallback)
{
	char yaml[2048];
	struct built b;
	const struct model_port *p;
	char buf[128];

	snprintf(yaml, sizeof(yaml), conditions_yaml, "");
	build(&b, yaml);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	p = &find(&b, "default", "roll")->ports[0];
	ck_assert_str_eq(endpoints_str(p, buf, sizeof(buf)),
			 "198.18.1.2:8080");
	built_free(&b);

	snprintf(yaml, sizeof(yaml), conditions_yaml,
		 "- {addresses: [198.18.3.2], conditions: {ready: true}, nodeName: b}\n");
	build(&b, yaml);
	p = &find(&b, "default", "roll")->ports[0];
	ck_assert_str_eq(endpoints_str(p, buf, sizeof(buf)),
			 "198.18.3.2:8080");
	built_free(&b);
}
END_TEST

START_TEST(publish_not_ready_uses_every_endpoint)
{
	struct built b;
	const struct model_port *p;

	build(&b, "apiVersion: v1\nkind: Service\nmetadata: {name: all}\n"
		  "spec: {clusterIP: 198.19.0.21, publishNotReadyAddresses: true,"
		  " selector: {app: x}, ports: [{port: 80}]}\n"
		  POD("x-1", "default", "{app: x}", "198.18.1.2", "")
		  "---\napiVersion: v1\nkind: Pod\nmetadata: {name: x-2, labels: {app: x}}\n"
		  "status:\n  podIP: 198.18.2.2\n  conditions: [{type: Ready, status: \"False\"}]\n");
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	p = &find(&b, "default", "all")->ports[0];
	ck_assert_uint_eq(p->nendpoints, 2);
	built_free(&b);
}
END_TEST

START_TEST(labelled_services_are_left_to_others)
{
	static const char yaml[] =
		"apiVersion: v1\nkind: Service\nmetadata: {name: hl, labels: {service.kubernetes.io/headless: \"\"}}\n"
		"spec: {clusterIP: 198.19.0.22, ports: [{port: 80}]}\n---\n"
		"apiVersion: v1\nkind: Service\nmetadata: {name: other, labels: {service.kubernetes.io/service-proxy-name: foo}}\n"
		"spec: {clusterIP: 198.19.0.23, ports: [{port: 80}]}\n---\n"
		"apiVersion: v1\nkind: Service\nmetadata: {name: mine}\n"
		"spec: {clusterIP: 198.19.0.24, ports: [{port: 80}]}\n";
	struct model_options o;
	struct built b;

	build(&b, yaml);
	ck_assert_uint_eq(b.m.nservices, 1);
	ck_assert_uint_eq(b.m.nignored, 2);
	built_free(&b);
	model_options_default(&o);
	o.proxy_name = "foo";
	build_with(&b, yaml, &o);
	ck_assert_uint_eq(b.m.nservices, 2);
	ck_assert_ptr_nonnull(find(&b, "default", "other"));
	built_free(&b);
}
END_TEST

START_TEST(local_endpoints_and_policies)
{
	struct model_options o;
	struct built b;
	const struct model_service *s;

	model_options_default(&o);
	o.node_name = "a";
	build_with(&b, "apiVersion: v1\nkind: Service\nmetadata: {name: loc}\n"
		   "spec: {type: NodePort, clusterIP: 198.19.0.25, externalTrafficPolicy: Local,"
		   " internalTrafficPolicy: Local, sessionAffinity: ClientIP,"
		   " sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}, ports: [{port: 80}]}\n"
		   "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		   "metadata: {name: loc-1, labels: {kubernetes.io/service-name: loc}}\n"
		   "addressType: IPv4\nports: [{port: 80}]\nendpoints:\n"
		   "- {addresses: [198.18.1.2], nodeName: a}\n- {addresses: [198.18.2.2], nodeName: b}\n", &o);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "loc");
	ck_assert(s->external_local && s->internal_local && s->affinity);
	ck_assert_uint_eq(s->affinity_timeout, 60);
	ck_assert(s->ports[0].endpoints[0].local);
	ck_assert(!s->ports[0].endpoints[1].local);
	built_free(&b);
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: p}\n"
		     "spec: {externalTrafficPolicy: Locale, ports: [{port: 80}]}\n",
		     "spec.externalTrafficPolicy: unknown policy \"Locale\": valid policies are Cluster and Local");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: p}\n"
		     "spec: {sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}},"
		     " ports: [{port: 80}]}\n",
		     "timeoutSeconds: \"0\" is out of range: valid timeouts are 1-86400 seconds");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: p}\n"
		     "spec: {type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/33], ports: [{port: 80}]}\n",
		     "spec.loadBalancerSourceRanges[0]: \"10.0.0.0/33\" is not a CIDR");
}
END_TEST


/*
 * Published endpoint ports are matched to Service ports by name and
 * protocol only, as kube-proxy keys them (ServicePortName): a Service port
 * named "http" takes no unnamed endpoint port even when each side has one
 * port, and an unnamed Service port takes only the unnamed endpoint port.
 * kube-proxy programs no endpoint for "named" and "dns" here.
 */
static const char port_names_yaml[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: named}\n"
	"spec: {clusterIP: 198.19.0.20, ports: [{name: http, port: 80}]}\n"
	"---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: named}\n"
	"subsets: [{addresses: [{ip: 198.18.1.2}], ports: [{port: 8080}]}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: bare}\n"
	"spec: {clusterIP: 198.19.0.21, ports: [{port: 80}]}\n"
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {name: bare-1, labels: {kubernetes.io/service-name: bare}}\n"
	"addressType: IPv4\nports: [{name: metrics, port: 9090}, {port: 8080}]\n"
	"endpoints: [{addresses: [198.18.2.2]}]\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: dns}\n"
	"spec: {clusterIP: 198.19.0.22, ports: [{port: 53, protocol: UDP}]}\n"
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata: {name: dns-1, labels: {kubernetes.io/service-name: dns}}\n"
	"addressType: IPv4\nports: [{port: 5353, protocol: TCP}]\n"
	"endpoints: [{addresses: [198.18.3.2]}]\n";

START_TEST(endpoint_ports_by_name_and_protocol)
{
	struct built b;
	char buf[128];

	build(&b, port_names_yaml);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	ck_assert_str_eq(endpoints_str(&find(&b, "default", "named")->ports[0], buf,
				       sizeof(buf)), "");
	ck_assert_str_eq(endpoints_str(&find(&b, "default", "bare")->ports[0], buf,
				       sizeof(buf)), "198.18.2.2:8080");
	ck_assert_str_eq(endpoints_str(&find(&b, "default", "dns")->ports[0], buf,
				       sizeof(buf)), "");
	built_free(&b);
}
END_TEST

/* Append to *s what fmt says. */
static void appendf(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(char **s, const char *fmt, ...)
{
	char *tail, *next;
	va_list ap;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&tail, fmt, ap), 0);
	va_end(ap);
	ck_assert_int_ge(asprintf(&next, "%s%s", *s ? *s : "", tail), 0);
	free(*s);
	free(tail);
	*s = next;
}

/* Many ports (looked up in an index): each Service port takes the first
 * endpoint port of its name and protocol, in whatever order they come. */
START_TEST(many_endpoint_ports_matched_in_any_order)
{
	char *yaml = NULL;
	const struct model_service *s;
	struct built b;
	char buf[64], want[64];

	appendf(&yaml, "apiVersion: v1\nkind: Service\nmetadata: {name: many}\n"
		"spec:\n  clusterIP: 198.19.0.23\n  ports:\n");
	for (int i = 0; i < 20; i++)
		appendf(&yaml, "  - {name: p%d, port: %d, protocol: %s}\n", i, 80 + i / 2,
			i % 2 ? "UDP" : "TCP");
	appendf(&yaml, "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: many}\n"
		"subsets: [{addresses: [{ip: 198.18.4.2}], ports: [");
	for (int i = 19; i >= 0; i--)
		appendf(&yaml, "{name: p%d, port: %d, protocol: %s}, ", i, 9000 + i,
			i % 2 ? "UDP" : "TCP");
	appendf(&yaml, "{name: p0, port: 7000}]}]\n");
	build(&b, yaml);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "many");
	for (int i = 0; i < 20; i++) {
		snprintf(want, sizeof(want), "198.18.4.2:%d", 9000 + i);
		ck_assert_str_eq(endpoints_str(&s->ports[i], buf, sizeof(buf)), want);
	}
	built_free(&b);
	free(yaml);
}
END_TEST

/* n Services of one type without clusterIP (and nodePort). */
static char *services_yaml(int n, const char *type)
{
	char *out = NULL;

	for (int i = 0; i < n; i++)
		appendf(&out, "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d}\n"
			"spec: {type: %s, ports: [{port: 80}]}\n", i, type);
	return out;
}

/* A range with one free slot left gives it (the free slots are counted,
 * not searched for at random); a full one fails at once. */
START_TEST(full_ranges_assign_every_slot)
{
	struct model_options o;
	char *six = services_yaml(6, "ClusterIP"), *seven = services_yaml(7, "ClusterIP");
	char *four = services_yaml(4, "NodePort"), *five = services_yaml(5, "NodePort");
	struct built b;

	model_options_default(&o);
	ip_prefix_parse(&o.service_cidr, "198.19.0.0/29");	/* 6 usable */
	o.node_port_first = 30000;
	o.node_port_last = 30003;
	build_with(&b, six, &o);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	for (size_t i = 0; i < b.m.nservices; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_int_ne(ip_addr_cmp(&b.m.services[i].cluster_ip,
						     &b.m.services[j].cluster_ip), 0);
	built_free(&b);
	build_with(&b, seven, &o);
	ck_assert_int_ne(b.ret, 0);
	ck_assert_msg(strstr(all_diags(&b), "no free address left in --service-cidr 198.19.0.0/29"),
		      "%s", all_diags(&b));
	ck_assert_uint_eq(b.dl.nerrors, 1);
	built_free(&b);
	ip_prefix_parse(&o.service_cidr, "198.19.0.0/24");
	build_with(&b, four, &o);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	for (size_t i = 0; i < b.m.nservices; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_uint_ne(b.m.services[i].ports[0].node_port,
					  b.m.services[j].ports[0].node_port);
	built_free(&b);
	build_with(&b, five, &o);
	ck_assert_msg(strstr(all_diags(&b), "no free node port left in 30000-30003"),
		      "%s", all_diags(&b));
	ck_assert_uint_eq(b.dl.nerrors, 1);
	built_free(&b);
	free(six);
	free(seven);
	free(four);
	free(five);
}
END_TEST

/* Candidates come from the selector's rarest label, whichever is first. */
START_TEST(selector_candidates_from_rarest_label)
{
	struct built b;
	char buf[128];

	build(&b, "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
	      "spec: {clusterIP: 198.19.0.30, selector: {release: r, app: b}, ports: [{port: 80}]}\n"
	      POD("a", "default", "{release: r, app: a}", "198.18.1.2", "")
	      POD("b", "default", "{release: r, app: b}", "198.18.2.2", "")
	      POD("c", "default", "{app: b}", "198.18.3.2", "")
	      POD("d", "default", "{release: r, app: b, x: z}", "198.18.4.2", ""));
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	ck_assert_str_eq(endpoints_str(&find(&b, "default", "b")->ports[0], buf, sizeof(buf)),
			 "198.18.2.2:80 198.18.4.2:80");
	built_free(&b);
}
END_TEST

/* Which of a port's endpoints cluster traffic uses on this node, as
 * "ADDR ADDR ...", and the topology mode. */
static const char *cluster_str(const struct model_port *p, char *buf, size_t len)
{
	char a[IP_ADDR_STRLEN];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->nendpoints && used < len; i++)
		if (p->endpoints[i].cluster)
			used += snprintf(buf + used, len - used, "%s%s", used ? " " : "",
					 ip_addr_str(&p->endpoints[i].addr, a, sizeof(a)));
	return buf;
}

/* Three endpoints: 1.2 and 2.2 on node a (zone z1), 3.2 on node b (z2),
 * with the hints given. */
#define TOPO_SVC(extra)							\
	"apiVersion: v1\nkind: Service\nmetadata: {name: t}\n"		\
	"spec: {clusterIP: 198.19.0.40, " extra "ports: [{port: 80}]}\n"	\
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"	\
	"metadata: {name: t-1, labels: {kubernetes.io/service-name: t}}\n"	\
	"addressType: IPv4\nports: [{port: 80}]\nendpoints:\n"
#define TOPO_EP(ip, node, zone, hints)					\
	"- {addresses: [" ip "], nodeName: " node ", zone: " zone hints "}\n"
#define ZONE_HINTS(z) ", hints: {forZones: [{name: " z "}]}"
#define NODE_HINTS(n, z) ", hints: {forNodes: [{name: " n "}], forZones: [{name: " z "}]}"
#define NODE_A "---\napiVersion: v1\nkind: Node\n"			\
	"metadata: {name: a, labels: {topology.kubernetes.io/zone: z1}}\n"

static const char *topo_pick(const char *yaml, const char *node, const char *zone,
			     enum model_topology *mode, char *buf, size_t len)
{
	struct model_options o;
	struct built b;

	model_options_default(&o);
	o.node_name = node;
	o.node_zone = zone;
	build_with(&b, yaml, &o);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	cluster_str(&find(&b, "default", "t")->ports[0], buf, len);
	*mode = find(&b, "default", "t")->ports[0].topology;
	built_free(&b);
	return buf;
}

START_TEST(topology_hints_choose_cluster_endpoints)
{
	static const char zones[] = TOPO_SVC("")
		TOPO_EP("198.18.1.2", "a", "z1", ZONE_HINTS("z1"))
		TOPO_EP("198.18.2.2", "a", "z1", ZONE_HINTS("z1"))
		TOPO_EP("198.18.3.2", "b", "z2", ZONE_HINTS("z2")) NODE_A;
	static const char nodes[] = TOPO_SVC("")
		TOPO_EP("198.18.1.2", "a", "z1", NODE_HINTS("a", "z1"))
		TOPO_EP("198.18.2.2", "b", "z1", NODE_HINTS("b", "z1"))
		TOPO_EP("198.18.3.2", "b", "z2", NODE_HINTS("b", "z2"));
	static const char partial[] = TOPO_SVC("")
		TOPO_EP("198.18.1.2", "a", "z1", ZONE_HINTS("z1"))
		TOPO_EP("198.18.2.2", "a", "z1", "")
		TOPO_EP("198.18.3.2", "b", "z2", ZONE_HINTS("z2"));
	enum model_topology mode;
	char buf[256];

	/* the zone from the Node object, or --node-zone (which wins) */
	ck_assert_str_eq(topo_pick(zones, "a", NULL, &mode, buf, sizeof(buf)),
			 "198.18.1.2 198.18.2.2");
	ck_assert_int_eq(mode, MODEL_TOPOLOGY_SAME_ZONE);
	ck_assert_str_eq(topo_pick(zones, "a", "z2", &mode, buf, sizeof(buf)), "198.18.3.2");
	/* unknown zone, or a zone no hint names: every endpoint */
	ck_assert_str_eq(topo_pick(zones, "b", NULL, &mode, buf, sizeof(buf)),
			 "198.18.1.2 198.18.2.2 198.18.3.2");
	ck_assert_int_eq(mode, MODEL_TOPOLOGY_NONE);
	ck_assert_str_eq(topo_pick(zones, "a", "z3", &mode, buf, sizeof(buf)),
			 "198.18.1.2 198.18.2.2 198.18.3.2");
	/* node hints before zone hints; a node no hint names falls to zones */
	ck_assert_str_eq(topo_pick(nodes, "b", "z1", &mode, buf, sizeof(buf)),
			 "198.18.2.2 198.18.3.2");
	ck_assert_int_eq(mode, MODEL_TOPOLOGY_SAME_NODE);
	ck_assert_str_eq(topo_pick(nodes, "c", "z1", &mode, buf, sizeof(buf)),
			 "198.18.1.2 198.18.2.2");
	ck_assert_int_eq(mode, MODEL_TOPOLOGY_SAME_ZONE);
	/* one ready endpoint without hints: none are used */
	ck_assert_str_eq(topo_pick(partial, "a", "z1", &mode, buf, sizeof(buf)),
			 "198.18.1.2 198.18.2.2 198.18.3.2");
	ck_assert_int_eq(mode, MODEL_TOPOLOGY_NONE);
}
END_TEST

/* Only cluster traffic is narrowed: a Local policy keeps its own choice,
 * and a Service with internalTrafficPolicy Local and no external address
 * uses no cluster endpoints at all. Notes say why hints are not used. */
START_TEST(topology_hints_and_local_policies)
{
	static const char itp[] = TOPO_SVC("internalTrafficPolicy: Local, ")
		TOPO_EP("198.18.1.2", "a", "z1", ZONE_HINTS("z1"))
		TOPO_EP("198.18.2.2", "a", "z1", ZONE_HINTS("z1"))
		TOPO_EP("198.18.3.2", "b", "z2", ZONE_HINTS("z2"));
	static const char partial[] = TOPO_SVC("")
		TOPO_EP("198.18.1.2", "a", "z1", ZONE_HINTS("z1"))
		TOPO_EP("198.18.2.2", "a", "z1", "")
		TOPO_EP("198.18.3.2", "b", "z2", ZONE_HINTS("z2"));
	struct model_options o;
	struct built b;
	const struct model_port *p;
	char buf[256];

	model_options_default(&o);
	o.node_name = "b";
	o.node_zone = "z1";
	build_with(&b, itp, &o);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	p = &find(&b, "default", "t")->ports[0];
	ck_assert_int_eq(p->topology, MODEL_TOPOLOGY_NONE);
	ck_assert(p->endpoints[2].local && !p->endpoints[0].local);
	built_free(&b);
	build_with(&b, partial, &o);
	ck_assert_msg(strstr(all_diags(&b),
			     "note: Service default/t: spec.ports[0]: port 80/tcp: topology hints not used, so every endpoint is: zone hints: 2 of 3 ready endpoints have them, not all"),
		      "%s", all_diags(&b));
	ck_assert_str_eq(cluster_str(&find(&b, "default", "t")->ports[0], buf, sizeof(buf)),
			 "198.18.1.2 198.18.2.2 198.18.3.2");
	built_free(&b);
	expect_error(TOPO_SVC("") TOPO_EP("198.18.1.2", "a", "\"Zone 1\"", ""),
		     "endpoints[0].zone: \"Zone 1\" is not a label value");
	expect_error(TOPO_SVC("") TOPO_EP("198.18.1.2", "a", "z1", ", hints: {forNodes: [{}]}"),
		     "endpoints[0].hints.forNodes[0].name: is required");
	expect_error(TOPO_SVC("") TOPO_EP("198.18.1.2", "a", "z1", NODE_HINTS("A_B", "z1")),
		     "endpoints[0].hints.forNodes[0].name: \"A_B\" is not a valid node name");
	o.node_name = "a";
	o.node_zone = NULL;
	build_with(&b, TOPO_SVC("") NODE_A "---\napiVersion: v1\nkind: Node\nmetadata: {name: a}\n", &o);
	ck_assert_int_ne(b.ret, 0);
	ck_assert_msg(strstr(all_diags(&b), "Node a: metadata.name: \"a\" is defined twice"),
		      "%s", all_diags(&b));
	built_free(&b);
}
END_TEST

/* ipMode Proxy addresses are not captured; hostname-only entries are
 * noted; allocateLoadBalancerNodePorts: false assigns no node port but
 * keeps the manifest's. */
START_TEST(load_balancer_ip_mode_and_node_ports)
{
	struct built b;
	const struct model_service *s;
	char a[128];

	build(&b, "apiVersion: v1\nkind: Service\nmetadata: {name: lb}\n"
	      "spec: {type: LoadBalancer, clusterIP: 198.19.0.41, allocateLoadBalancerNodePorts: false,"
	      " ports: [{name: a, port: 80}, {name: b, port: 81, nodePort: 30081}]}\n"
	      "status: {loadBalancer: {ingress: [{ip: 198.19.255.1, ipMode: VIP},"
	      " {ip: 198.19.255.2, ipMode: Proxy}, {hostname: lb.example.test}, {ip: 198.19.255.3}]}}\n");
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "lb");
	ck_assert_str_eq(addrs_str(s->lb_ips, s->nlb_ips, a, sizeof(a)),
			 "198.19.255.1 198.19.255.3");
	ck_assert_uint_eq(s->ports[0].node_port, 0);
	ck_assert_uint_eq(s->ports[1].node_port, 30081);
	ck_assert_msg(strstr(all_diags(&b), "ingress[1]: \"198.19.255.2\" has ipMode Proxy: not captured") &&
		      strstr(all_diags(&b), "ingress[2]: skipped: hostname \"lb.example.test\" only"),
		      "%s", all_diags(&b));
	built_free(&b);
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: lb}\n"
		     "spec: {type: LoadBalancer, ports: [{port: 80}]}\n"
		     "status: {loadBalancer: {ingress: [{ip: 198.19.255.1, ipMode: proxy}]}}\n",
		     "status.loadBalancer.ingress[0]: unknown ipMode \"proxy\": valid modes are VIP and Proxy");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: np}\n"
		     "spec: {type: NodePort, allocateLoadBalancerNodePorts: false, ports: [{port: 80}]}\n",
		     "spec.allocateLoadBalancerNodePorts: is set on a NodePort Service: it is only valid for type LoadBalancer");
}
END_TEST

/* Dual-stack: clusterIPs of both families, IPv6 endpoints from slices and
 * from Pods' podIPs, an IPv6 ClusterIP assigned from the IPv6 range. */
START_TEST(dual_stack_services)
{
	struct model_options o;
	struct built b;
	const struct model_service *s;
	char buf[IP_ADDR_STRLEN];

	model_options_default(&o);
	ip_prefix_parse(&o.service_cidr6, "fd00:10:96::/112");
	build_with(&b, "apiVersion: v1\nkind: Service\nmetadata: {name: both}\n"
		   "spec: {ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv4, IPv6],"
		   " clusterIPs: [198.19.0.10, '2001:db8:ffff::10'], selector: {app: x},"
		   " ports: [{port: 80, targetPort: 8080}]}\n"
		   "---\napiVersion: v1\nkind: Service\nmetadata: {name: six}\n"
		   "spec: {ipFamilies: [IPv6], ports: [{port: 80}]}\n"
		   "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		   "metadata: {name: six-1, labels: {kubernetes.io/service-name: six}}\n"
		   "addressType: IPv6\nports: [{port: 8080}]\n"
		   "endpoints: [{addresses: ['2001:db8:1::2']}]\n"
		   "---\napiVersion: v1\nkind: Pod\nmetadata: {name: x1, labels: {app: x}}\n"
		   "status: {podIP: 198.18.1.2, podIPs: [{ip: 198.18.1.2}, {ip: '2001:db8:1::2'}]}\n",
		   &o);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "both");
	ck_assert_str_eq(ip_addr_str(&s->cluster_ip, buf, sizeof(buf)), "198.19.0.10");
	ck_assert_str_eq(ip_addr_str(&s->cluster_ip6, buf, sizeof(buf)), "2001:db8:ffff::10");
	ck_assert_uint_eq(s->ports[0].nendpoints, 2);
	s = find(&b, "default", "six");
	ck_assert_int_eq(s->cluster_ip.family, 0);
	ck_assert(s->cluster_ip6_assigned);
	ck_assert(!strncmp(ip_addr_str(&s->cluster_ip6, buf, sizeof(buf)), "fd00:10:96::", 12));
	ck_assert_uint_eq(s->ports[0].nendpoints, 1);
	ck_assert(model_has_family(&b.m, AF_INET6));
	built_free(&b);
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: req}\n"
		     "spec: {ipFamilyPolicy: RequireDualStack, ports: [{port: 80}]}\n",
		     "asks for an IPv6 ClusterIP and none is given");
}

/* ip_addr_str writes IPv4 text itself: the same text inet_ntop writes. */
START_TEST(ipv4_text_is_inet_ntop_text)
{
	static const char *const cases[] = {
		"0.0.0.0", "255.255.255.255", "198.18.0.1", "10.0.100.9",
		"1.20.199.250", "198.19.99.100",
	};
	char buf[IP_ADDR_STRLEN], want[INET_ADDRSTRLEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ip_addr a;

		ck_assert_int_eq(ip_addr_parse(&a, cases[i]), 0);
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, a.addr, want, sizeof(want)));
		ck_assert_str_eq(ip_addr_str(&a, buf, sizeof(buf)), want);
		ck_assert_str_eq(buf, cases[i]);
	}
}
END_TEST
END_TEST

#define LB_LOCAL(name, extra) \
	"apiVersion: v1\nkind: Service\nmetadata: {name: " name "}\nspec:\n" \
	"  type: LoadBalancer\n  externalTrafficPolicy: Local\n" extra \
	"  ports: [{port: 80}]\n"

START_TEST(health_check_node_ports)
{
	static const char yaml[] = LB_LOCAL("given", "  healthCheckNodePort: 31000\n")
		"---\n" LB_LOCAL("missing", "")
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: cluster}\n"
		"spec: {type: LoadBalancer, ports: [{port: 80}]}\n";
	const struct model_service *s;
	struct built b;

	build(&b, yaml);
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "given");
	ck_assert_uint_eq(s->health_check_node_port, 31000);
	ck_assert(!s->health_check_node_port_assigned);
	s = find(&b, "default", "missing");
	ck_assert(s->health_check_node_port_assigned);
	ck_assert_uint_ge(s->health_check_node_port, 30000);
	ck_assert_uint_le(s->health_check_node_port, 32767);
	ck_assert_uint_ne(s->health_check_node_port, s->ports[0].node_port);
	ck_assert_uint_eq(find(&b, "default", "cluster")->health_check_node_port, 0);
	built_free(&b);

	/* As the API server: the health check port does not depend on
	 * allocateLoadBalancerNodePorts, which is about the ports' nodePorts. */
	build(&b, LB_LOCAL("noalloc", "  allocateLoadBalancerNodePorts: false\n"));
	ck_assert_msg(b.ret == 0, "%s", all_diags(&b));
	s = find(&b, "default", "noalloc");
	ck_assert(s->health_check_node_port_assigned);
	ck_assert_uint_ge(s->health_check_node_port, 30000);
	built_free(&b);

	expect_error(LB_LOCAL("far", "  healthCheckNodePort: 80\n"),
		     "test.yaml:7: Service default/far: spec.healthCheckNodePort: \"80\" is outside the node port range");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: np}\n"
		     "spec: {type: NodePort, healthCheckNodePort: 31000, ports: [{port: 80}]}\n",
		     "\"31000\" is set on a NodePort Service with externalTrafficPolicy Cluster: healthCheckNodePort is only valid for type LoadBalancer with externalTrafficPolicy: Local");
	expect_error("apiVersion: v1\nkind: Service\nmetadata: {name: np}\n"
		     "spec: {type: NodePort, ports: [{port: 80, nodePort: 31000}]}\n---\n"
		     LB_LOCAL("clash", "  healthCheckNodePort: 31000\n"),
		     "Service default/clash: spec.healthCheckNodePort: \"31000\" is already a node port of Service default/np (test.yaml:1)");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, ipv4_text_is_inet_ntop_text);
	tcase_add_test(tc, selector_picks_ready_pods_in_namespace);
	tcase_add_test(tc, named_target_port_per_pod);
	tcase_add_test(tc, published_endpoints_merged_without_duplicates);
	tcase_add_test(tc, errors_name_file_line_object_field);
	tcase_add_test(tc, reserved_endpoint_addresses_refused);
	tcase_add_test(tc, conflicts_name_both_services);
	tcase_add_test(tc, assignments_are_stable);
	tcase_add_test(tc, external_name_and_headless);
	tcase_add_test(tc, terminating_endpoints_are_a_fallback);
	tcase_add_test(tc, publish_not_ready_uses_every_endpoint);
	tcase_add_test(tc, labelled_services_are_left_to_others);
	tcase_add_test(tc, local_endpoints_and_policies);
	tcase_add_test(tc, dual_stack_services);
	tcase_add_test(tc, health_check_node_ports);
	tcase_add_test(tc, topology_hints_choose_cluster_endpoints);
	tcase_add_test(tc, topology_hints_and_local_policies);
	tcase_add_test(tc, load_balancer_ip_mode_and_node_ports);
	tcase_add_test(tc, endpoint_ports_by_name_and_protocol);
	tcase_add_test(tc, many_endpoint_ports_matched_in_any_order);
	tcase_add_test(tc, full_ranges_assign_every_slot);
	tcase_add_test(tc, selector_candidates_from_rarest_label);
	suite_add_tcase(s, tc);
	return s;
}
