// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "manifest.h"
#include "../../src/manifest_int.h"
#include "unit.h"
#include "util.h"

/* Fixtures sit beside this file; tests run from the top of the repo. */
#define DATA_DIR "tests/unit/data"
#define CORPUS_DIR "../shared/corpus/kubernetes-website"

struct rd {
	struct manifest_set set;
	struct diag_list dl;
};

static void rd_text(struct rd *r, const char *text)
{
	ck_assert_int_eq(manifest_read_buffer(&r->set, "t.yaml", text,
					      strlen(text), &r->dl), 0);
}

static void rd_free(struct rd *r)
{
	manifest_set_free(&r->set);
	diag_list_free(&r->dl);
}

/* Every diagnostic as the CLI prints it, one a line, for failure output. */
static char *all_diags(const struct rd *r)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < r->dl.n; i++) {
		char *line = diag_format(&r->dl.v[i]);
		char *next = xasprintf("%s%s\n", out, line);

		free(line);
		free(out);
		out = next;
	}
	return out;
}

static void expect_no_diags(const struct rd *r)
{
	char *s = all_diags(r);

	ck_assert_msg(r->dl.n == 0, "unexpected diagnostics:\n%s", s);
	free(s);
}

/* Exactly one error, printed exactly as want. */
static void expect_one_error(const struct rd *r, const char *want)
{
	char *s = all_diags(r);
	char *w = xasprintf("%s\n", want);

	ck_assert_msg(r->dl.nerrors == 1 && r->dl.n == 1 && !strcmp(s, w),
		      "want:\n%sgot:\n%s", w, s);
	free(w);
	free(s);
}

/* Some error printed as a line containing needle. */
static const struct diag *error_with(const struct rd *r, const char *needle)
{
	for (size_t i = 0; i < r->dl.n; i++) {
		char *line = diag_format(&r->dl.v[i]);
		bool hit = strstr(line, needle) != NULL;

		free(line);
		if (hit && r->dl.v[i].level == DIAG_ERROR)
			return &r->dl.v[i];
	}
	return NULL;
}

static void expect_error_with(const struct rd *r, const char *needle)
{
	char *s = all_diags(r);

	ck_assert_msg(error_with(r, needle), "no error with \"%s\" in:\n%s",
		      needle, s);
	free(s);
}

static void expect_pos(struct src_pos pos, unsigned line, unsigned column)
{
	ck_assert_msg(pos.line == line && pos.column == column,
		      "position %u:%u, want %u:%u", pos.line, pos.column, line,
		      column);
}

static const char *label(const struct k8s_labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key.s, key))
			return l->v[i].value.s;
	return NULL;
}

START_TEST(multi_document)
{
	struct rd r = { 0 };

	rd_text(&r,
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: a}\n"
		"...\n"
		"---\n"
		"# only a comment\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata:\n"
		"  name: b\n"
		"  namespace: prod\n"
		"...\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: c}\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 3);
	ck_assert_str_eq(r.set.services[0].meta.name.s, "a");
	ck_assert_str_eq(r.set.services[1].meta.name.s, "b");
	ck_assert_str_eq(r.set.services[2].meta.name.s, "c");
	expect_pos(r.set.services[1].meta.pos, 9, 1);
	expect_pos(r.set.services[2].meta.pos, 16, 1);
	ck_assert_str_eq(r.set.services[0].meta.pos.file, "t.yaml");
	ck_assert_str_eq(k8s_meta_namespace(&r.set.services[0].meta), "default");
	ck_assert_ptr_null(r.set.services[0].meta.namespace.s);
	ck_assert_str_eq(k8s_meta_namespace(&r.set.services[1].meta), "prod");
	rd_free(&r);
}
END_TEST

START_TEST(list_kinds)
{
	struct rd r = { 0 };

	rd_text(&r,
		"apiVersion: v1\n"
		"kind: List\n"
		"items:\n"
		"- {apiVersion: v1, kind: Service, metadata: {name: s1}}\n"
		"- apiVersion: v1\n"
		"  kind: List\n"
		"  items:\n"
		"  - {apiVersion: v1, kind: Pod, metadata: {name: p1}}\n"
		"  - {apiVersion: discovery.k8s.io/v1, kind: EndpointSlice,\n"
		"     metadata: {name: e1}}\n"
		"- {apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: x}}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: ServiceList\n"
		"items:\n"
		"- metadata: {name: typed}\n"
		"  spec: {type: NodePort}\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 2);
	ck_assert_str_eq(r.set.services[0].meta.name.s, "s1");
	ck_assert_str_eq(r.set.services[1].meta.name.s, "typed");
	ck_assert_str_eq(r.set.services[1].type.s, "NodePort");
	ck_assert_uint_eq(r.set.npods, 1);
	ck_assert_str_eq(r.set.pods[0].meta.name.s, "p1");
	expect_pos(r.set.pods[0].meta.pos, 8, 5);
	ck_assert_uint_eq(r.set.nslices, 1);
	ck_assert_uint_eq(r.set.nskipped, 1);
	ck_assert_str_eq(r.set.skipped[0].kind, "ConfigMap");
	ck_assert_str_eq(r.set.skipped[0].api_version, "v1");
	ck_assert_str_eq(r.set.skipped[0].name.s, "cm");
	ck_assert_str_eq(r.set.skipped[0].namespace.s, "x");
	expect_pos(r.set.skipped[0].pos, 11, 3);
	rd_free(&r);
}
END_TEST


/* kubectl puts kind after items: List items are read as each one ends, and
 * forgotten again when the document turns out to be no List, or bad. */
START_TEST(list_items_read_as_they_end)
{
	struct rd r = { 0 };

	rd_text(&r,
		"apiVersion: v1\n"
		"items:\n"
		"- {apiVersion: v1, kind: Service, metadata: {name: early}}\n"
		"- &svc {apiVersion: v1, kind: Service, metadata: {name: anchored}}\n"
		"kind: List\n"
		"metadata: {resourceVersion: \"\"}\n"
		"---\n"
		"apiVersion: v1\n"
		"items:\n"
		"- {apiVersion: v1, kind: Service, metadata: {name: not-a-list}}\n"
		"kind: ConfigMap\n"
		"metadata: {name: cm}\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 2);
	ck_assert_str_eq(r.set.services[0].meta.name.s, "early");
	expect_pos(r.set.services[0].meta.pos, 3, 3);
	ck_assert_str_eq(r.set.services[1].meta.name.s, "anchored");
	ck_assert_uint_eq(r.set.nskipped, 1);
	ck_assert_str_eq(r.set.skipped[0].kind, "ConfigMap");
	rd_free(&r);

	memset(&r, 0, sizeof(r));
	rd_text(&r,
		"apiVersion: v1\n"
		"items:\n"
		"- {apiVersion: v1, kind: Service, metadata: {name: dropped}}\n"
		"kind: List\n"
		"kind: List\n");
	expect_error_with(&r, "kind");
	ck_assert_uint_eq(r.set.nservices, 0);
	rd_free(&r);

	/* an item that names an anchor again waits too: an alias after it
	 * means that item's node, which reading it early would give back */
	memset(&r, 0, sizeof(r));
	rd_text(&r,
		"apiVersion: v1\n"
		"kind: List\n"
		"items:\n"
		"- &m {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n"
		"- {apiVersion: v1, kind: Service, metadata: &m {name: first}}\n"
		"- apiVersion: v1\n"
		"  kind: Service\n"
		"  spec: {clusterIP: 198.18.0.1}\n"
		"  metadata: *m\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 2);
	ck_assert_str_eq(r.set.services[1].meta.name.s, "first");
	rd_free(&r);
}
END_TEST

START_TEST(json_input)
{
	struct rd r = { 0 };

	rd_text(&r,
		"{\n"
		"\t\"apiVersion\": \"v1\",\n"
		"\t\"kind\": \"Service\",\n"
		"\t\"metadata\": {\"name\": \"j\", \"labels\": {\"app\": \"j\"}},\n"
		"\t\"spec\": {\n"
		"\t\t\"ports\": [{\"port\": 443, \"targetPort\": 8443, \"protocol\": \"TCP\"}],\n"
		"\t\t\"publishNotReadyAddresses\": true,\n"
		"\t\t\"externalName\": null\n"
		"\t}\n"
		"}\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 1);
	ck_assert_int_eq(r.set.services[0].ports[0].port.v, 443);
	expect_pos(r.set.services[0].ports[0].port.pos, 6, 22);
	ck_assert_int_eq(r.set.services[0].ports[0].target_port.num.v, 8443);
	ck_assert_int_eq(r.set.services[0].publish_not_ready_addresses.v, 1);
	ck_assert_ptr_null(r.set.services[0].external_name.s);
	ck_assert_str_eq(label(&r.set.services[0].meta.labels, "app"), "j");
	rd_free(&r);
}
END_TEST

START_TEST(json_string_port)
{
	struct rd r = { 0 };

	rd_text(&r, "{\"apiVersion\": \"v1\", \"kind\": \"Service\",\n"
		    " \"metadata\": {\"name\": \"j\"},\n"
		    " \"spec\": {\"ports\": [{\"port\": \"80\"}]}}\n");
	expect_one_error(&r, "t.yaml:3: Service default/j: spec.ports[0].port: expected an integer, found the string \"80\"; write 80 without quotes");
	ck_assert_uint_eq(r.set.nservices, 0);
	rd_free(&r);
}
END_TEST

START_TEST(kubectl_output)
{
	struct rd r = { 0 };
	const struct k8s_service *s;
	const struct k8s_endpoint_slice *e;
	const struct k8s_pod *p;

	ck_assert_int_eq(manifest_read_path(&r.set, DATA_DIR "/kubectl-get-o-yaml.yaml",
					    &r.dl), 0);
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 1);
	ck_assert_uint_eq(r.set.nslices, 1);
	ck_assert_uint_eq(r.set.npods, 1);
	ck_assert_uint_eq(r.set.nskipped, 1);
	ck_assert_str_eq(r.set.skipped[0].kind, "Deployment");
	s = &r.set.services[0];
	ck_assert_str_eq(s->meta.pos.file, DATA_DIR "/kubectl-get-o-yaml.yaml");
	ck_assert_str_eq(k8s_meta_namespace(&s->meta), "shop");
	ck_assert_str_eq(s->type.s, "LoadBalancer");
	ck_assert_str_eq(s->cluster_ip.s, "10.96.120.7");
	ck_assert_uint_eq(s->cluster_ips.n, 1);
	ck_assert_str_eq(s->external_traffic_policy.s, "Local");
	ck_assert_str_eq(s->session_affinity.s, "ClientIP");
	ck_assert_int_eq(s->affinity_timeout.v, 10800);
	ck_assert_uint_eq(s->nports, 1);
	ck_assert_str_eq(s->ports[0].target_port.str.s, "http");
	ck_assert(!s->ports[0].target_port.num.set);
	ck_assert_int_eq(s->ports[0].node_port.v, 30080);
	/* the hostname-only ingress gives no address */
	ck_assert_uint_eq(s->lb_ingress_ips.n, 1);
	ck_assert_str_eq(s->lb_ingress_ips.v[0].s, "198.51.100.20");
	ck_assert_int_eq(s->publish_not_ready_addresses.v, -1);
	e = &r.set.slices[0];
	ck_assert_str_eq(e->service_name.s, "web");
	ck_assert_uint_eq(e->nendpoints, 2);
	ck_assert_int_eq(e->endpoints[1].ready.v, 0);
	ck_assert_int_eq(e->endpoints[1].terminating.v, 1);
	p = &r.set.pods[0];
	ck_assert(p->meta.deleting);
	ck_assert_int_eq(p->ready.v, 1);
	ck_assert_uint_eq(p->nports, 2);
	ck_assert_str_eq(p->ports[1].name.s, "metrics");
	ck_assert_int_eq(p->ports[1].container_port.v, 9100);
	rd_free(&r);
}
END_TEST

/* Every Service field svcnft reads; line numbers matter below. */
static const char *const full_service =
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata:\n"
	"  name: all\n"
	"spec:\n"
	"  type: NodePort\n"
	"  clusterIP: 10.0.0.10\n"
	"  clusterIPs: [10.0.0.10, 'fd00::10']\n"
	"  externalIPs: [192.0.2.1]\n"
	"  externalName: db.example.com\n"
	"  loadBalancerIP: 192.0.2.2\n"
	"  loadBalancerSourceRanges: [192.0.2.0/24]\n"
	"  sessionAffinity: ClientIP\n"
	"  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n"
	"  externalTrafficPolicy: Local\n"
	"  internalTrafficPolicy: Local\n"
	"  ipFamilies: [IPv4, IPv6]\n"
	"  ipFamilyPolicy: PreferDualStack\n"
	"  publishNotReadyAddresses: false\n"
	"  ipFamily: IPv4\n"
	"  selector: {app: web, tier: \"\"}\n"
	"  ports:\n"
	"  - name: http\n"
	"    protocol: UDP\n"
	"    port: 53\n"
	"    targetPort: dns\n"
	"    nodePort: 30053\n"
	"  - port: 0x50\n"
	"    targetPort: 8080\n";

START_TEST(service_spec_fields)
{
	struct rd r = { 0 };
	const struct k8s_service *s;

	rd_text(&r, full_service);
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 1);
	s = &r.set.services[0];
	ck_assert_str_eq(s->type.s, "NodePort");
	expect_pos(s->type.pos, 6, 9);
	ck_assert_str_eq(s->cluster_ip.s, "10.0.0.10");
	ck_assert_uint_eq(s->cluster_ips.n, 2);
	ck_assert_str_eq(s->cluster_ips.v[1].s, "fd00::10");
	expect_pos(s->cluster_ips.v[1].pos, 8, 27);
	expect_pos(s->cluster_ips.pos, 8, 15);
	ck_assert_str_eq(s->external_ips.v[0].s, "192.0.2.1");
	ck_assert_str_eq(s->external_name.s, "db.example.com");
	ck_assert_str_eq(s->load_balancer_ip.s, "192.0.2.2");
	ck_assert_str_eq(s->load_balancer_source_ranges.v[0].s, "192.0.2.0/24");
	ck_assert_str_eq(s->session_affinity.s, "ClientIP");
	ck_assert_int_eq(s->affinity_timeout.v, 60);
	expect_pos(s->affinity_timeout.pos, 14, 54);
	ck_assert_str_eq(s->external_traffic_policy.s, "Local");
	ck_assert_str_eq(s->internal_traffic_policy.s, "Local");
	ck_assert_uint_eq(s->ip_families.n, 2);
	ck_assert_str_eq(s->ip_family_policy.s, "PreferDualStack");
	ck_assert_int_eq(s->publish_not_ready_addresses.v, 0);
	ck_assert(s->selector.present);
	ck_assert_uint_eq(s->selector.n, 2);
	ck_assert_str_eq(label(&s->selector, "tier"), "");
	expect_pos(s->selector.v[1].key.pos, 21, 24);
	rd_free(&r);
}
END_TEST

START_TEST(service_ports)
{
	struct rd r = { 0 };
	const struct k8s_service_port *p;

	rd_text(&r, full_service);
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.services[0].nports, 2);
	expect_pos(r.set.services[0].ports_pos, 23, 3);
	p = r.set.services[0].ports;
	expect_pos(p[0].pos, 23, 5);
	ck_assert_str_eq(p[0].name.s, "http");
	ck_assert_str_eq(p[0].protocol.s, "UDP");
	ck_assert_int_eq(p[0].port.v, 53);
	expect_pos(p[0].port.pos, 25, 11);
	/* a named targetPort */
	ck_assert_str_eq(p[0].target_port.str.s, "dns");
	expect_pos(p[0].target_port.str.pos, 26, 17);
	ck_assert(!p[0].target_port.num.set);
	ck_assert_int_eq(p[0].node_port.v, 30053);
	/* YAML 1.1 reads 0x50 as 80, as kubectl does */
	ck_assert_int_eq(p[1].port.v, 80);
	/* a numeric targetPort */
	ck_assert(p[1].target_port.num.set);
	ck_assert_int_eq(p[1].target_port.num.v, 8080);
	expect_pos(p[1].target_port.num.pos, 29, 17);
	ck_assert_ptr_null(p[1].target_port.str.s);
	ck_assert(!p[1].node_port.set);
	ck_assert_ptr_null(p[1].name.s);
	rd_free(&r);
}
END_TEST

START_TEST(endpoints_fields)
{
	struct rd r = { 0 };
	const struct k8s_endpoints *e;

	rd_text(&r,
		"apiVersion: v1\n"
		"kind: Endpoints\n"
		"metadata: {name: ext, namespace: ns1}\n"
		"subsets:\n"
		"- addresses:\n"
		"  - ip: 192.0.2.42\n"
		"    nodeName: n1\n"
		"  - ip: 192.0.2.43\n"
		"  notReadyAddresses:\n"
		"  - ip: 192.0.2.44\n"
		"  ports:\n"
		"  - {name: db, port: 5432, protocol: TCP}\n"
		"- addresses: [{ip: 198.51.100.1}]\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nendpoints, 1);
	e = &r.set.endpoints[0];
	ck_assert_str_eq(k8s_meta_namespace(&e->meta), "ns1");
	ck_assert_uint_eq(e->nsubsets, 2);
	ck_assert_uint_eq(e->subsets[0].naddresses, 2);
	ck_assert_str_eq(e->subsets[0].addresses[0].ip.s, "192.0.2.42");
	expect_pos(e->subsets[0].addresses[0].ip.pos, 6, 9);
	ck_assert_str_eq(e->subsets[0].addresses[0].node_name.s, "n1");
	ck_assert_ptr_null(e->subsets[0].addresses[1].node_name.s);
	ck_assert_uint_eq(e->subsets[0].nnot_ready, 1);
	ck_assert_str_eq(e->subsets[0].not_ready[0].ip.s, "192.0.2.44");
	ck_assert_uint_eq(e->subsets[0].nports, 1);
	ck_assert_str_eq(e->subsets[0].ports[0].name.s, "db");
	ck_assert_int_eq(e->subsets[0].ports[0].port.v, 5432);
	ck_assert_str_eq(e->subsets[0].ports[0].protocol.s, "TCP");
	ck_assert_str_eq(e->subsets[1].addresses[0].ip.s, "198.51.100.1");
	ck_assert_uint_eq(e->subsets[1].nports, 0);
	rd_free(&r);
}
END_TEST

START_TEST(slice_fields)
{
	struct rd r = { 0 };
	const struct k8s_endpoint_slice *e;

	rd_text(&r,
		"apiVersion: discovery.k8s.io/v1beta1\n"
		"kind: EndpointSlice\n"
		"metadata:\n"
		"  name: s-abc\n"
		"  labels: {kubernetes.io/service-name: s}\n"
		"addressType: IPv6\n"
		"endpoints:\n"
		"- addresses: ['fd00::1', 'fd00::2']\n"
		"  conditions: {ready: true}\n"
		"  nodeName: n2\n"
		"- addresses: ['fd00::3']\n"
		"ports:\n"
		"- {name: '', port: 80, protocol: TCP}\n"
		"- {port: null}\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nslices, 1);
	e = &r.set.slices[0];
	ck_assert_str_eq(e->address_type.s, "IPv6");
	ck_assert_str_eq(e->service_name.s, "s");
	expect_pos(e->service_name.pos, 5, 40);
	ck_assert_uint_eq(e->nendpoints, 2);
	ck_assert_uint_eq(e->endpoints[0].addresses.n, 2);
	ck_assert_str_eq(e->endpoints[0].addresses.v[1].s, "fd00::2");
	expect_pos(e->endpoints[0].pos, 8, 3);
	ck_assert_int_eq(e->endpoints[0].ready.v, 1);
	ck_assert_int_eq(e->endpoints[0].serving.v, -1);
	ck_assert_int_eq(e->endpoints[0].terminating.v, -1);
	ck_assert_str_eq(e->endpoints[0].node_name.s, "n2");
	ck_assert_int_eq(e->endpoints[1].ready.v, -1);
	ck_assert_uint_eq(e->nports, 2);
	ck_assert_str_eq(e->ports[0].name.s, "");
	ck_assert_int_eq(e->ports[0].port.v, 80);
	ck_assert(!e->ports[1].port.set);
	rd_free(&r);
}
END_TEST

START_TEST(pod_fields)
{
	struct rd r = { 0 };
	const struct k8s_pod *p;

	rd_text(&r,
		"apiVersion: v1\n"
		"kind: Pod\n"
		"metadata: {name: p, labels: {app: web}}\n"
		"spec:\n"
		"  nodeName: n1\n"
		"  containers:\n"
		"  - name: a\n"
		"    ports: [{containerPort: 80, name: http}, {containerPort: 53, protocol: UDP}]\n"
		"  - name: b\n"
		"  - name: c\n"
		"    ports: [{containerPort: 9090, name: metrics}]\n"
		"status:\n"
		"  phase: Running\n"
		"  podIP: 10.1.0.5\n"
		"  podIPs: [{ip: 10.1.0.5}, {ip: 'fd00::5'}]\n"
		"  conditions:\n"
		"  - {type: Ready, status: \"False\"}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Pod\n"
		"metadata: {name: q}\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.npods, 2);
	p = &r.set.pods[0];
	ck_assert_str_eq(p->node_name.s, "n1");
	ck_assert_uint_eq(p->nports, 3);
	ck_assert_str_eq(p->ports[0].name.s, "http");
	ck_assert_int_eq(p->ports[1].container_port.v, 53);
	ck_assert_str_eq(p->ports[1].protocol.s, "UDP");
	ck_assert_str_eq(p->ports[2].name.s, "metrics");
	expect_pos(p->ports[2].container_port.pos, 11, 29);
	ck_assert_str_eq(p->phase.s, "Running");
	ck_assert_str_eq(p->pod_ip.s, "10.1.0.5");
	ck_assert_uint_eq(p->pod_ips.n, 2);
	ck_assert_str_eq(p->pod_ips.v[1].s, "fd00::5");
	ck_assert_int_eq(p->ready.v, 0);
	expect_pos(p->ready.pos, 17, 27);
	ck_assert(!p->meta.deleting);
	ck_assert_str_eq(label(&p->meta.labels, "app"), "web");
	/* no Ready condition: unknown, not "not ready" */
	ck_assert_int_eq(r.set.pods[1].ready.v, -1);
	ck_assert_uint_eq(r.set.pods[1].nports, 0);
	rd_free(&r);
}
END_TEST

static const char *const svc_head =
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata:\n"
	"  name: web\n";

/* svc_head followed by rest: the Service's spec starts on line 5. */
static void rd_service(struct rd *r, const char *rest)
{
	char *text = xasprintf("%s%s", svc_head, rest);

	rd_text(r, text);
	free(text);
}

START_TEST(type_errors)
{
	static const struct {
		const char *yaml;
		const char *want;
	} cases[] = {
		{ "spec:\n  ports:\n  - port: \"80\"\n",
		  "t.yaml:7: Service default/web: spec.ports[0].port: expected an integer, found the string \"80\"; write 80 without quotes" },
		{ "spec:\n  ports:\n  - port: 80\n  - port: {number: 80}\n",
		  "t.yaml:8: Service default/web: spec.ports[1].port: expected an integer, found a mapping" },
		{ "spec:\n  ports:\n  - port: 80.5\n",
		  "t.yaml:7: Service default/web: spec.ports[0].port: expected an integer, found the number 80.5" },
		{ "spec:\n  ports:\n  - port: http\n",
		  "t.yaml:7: Service default/web: spec.ports[0].port: expected an integer, found the string \"http\"" },
		{ "spec:\n  ports:\n  - port: 99999999999999999999\n",
		  "t.yaml:7: Service default/web: spec.ports[0].port: integer 99999999999999999999 is out of range" },
		{ "spec:\n  ports:\n  - port: 80\n    targetPort: true\n",
		  "t.yaml:8: Service default/web: spec.ports[0].targetPort: expected a port number or a port name, found the boolean true" },
		{ "spec:\n  selector:\n  - app\n",
		  "t.yaml:7: Service default/web: spec.selector: expected a mapping of labels (key: value), found a list" },
		{ "spec:\n  selector:\n    app: {name: web}\n",
		  "t.yaml:7: Service default/web: spec.selector.app: expected a string, found a mapping" },
		{ "  labels:\n    version: 1.0\n",
		  "t.yaml:6: Service default/web: metadata.labels.version: expected a string, found the number 1.0; quote it: \"1.0\"" },
		{ "  labels:\n    app.kubernetes.io/part-of: [a]\n",
		  "t.yaml:6: Service default/web: metadata.labels[\"app.kubernetes.io/part-of\"]: expected a string, found a list" },
		{ "spec:\n  type: yes\n",
		  "t.yaml:6: Service default/web: spec.type: expected a string, found the boolean yes; quote it: \"yes\"" },
		{ "spec:\n  publishNotReadyAddresses: \"true\"\n",
		  "t.yaml:6: Service default/web: spec.publishNotReadyAddresses: expected true or false, found the string \"true\"; write true without quotes" },
		{ "spec:\n  clusterIPs: 10.0.0.1\n",
		  "t.yaml:6: Service default/web: spec.clusterIPs: expected a list of strings, found the string \"10.0.0.1\"" },
		{ "spec: [ports]\n",
		  "t.yaml:5: Service default/web: spec: expected a mapping, found a list" },
		{ "spec:\n  ports: {port: 80}\n",
		  "t.yaml:6: Service default/web: spec.ports: expected a list, found a mapping" },
		{ "  namespace: 42\n",
		  "t.yaml:5: Service web: metadata.namespace: expected a string, found the number 42; quote it: \"42\"" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rd r = { 0 };

		rd_service(&r, cases[i].yaml);
		expect_one_error(&r, cases[i].want);
		ck_assert_uint_eq(r.set.nservices, 0);
		rd_free(&r);
	}
}
END_TEST

START_TEST(type_error_column)
{
	struct rd r = { 0 };

	rd_service(&r, "spec:\n  ports:\n  - port: '80'\n");
	ck_assert_uint_eq(r.dl.n, 1);
	ck_assert_uint_eq(r.dl.v[0].line, 7);
	ck_assert_uint_eq(r.dl.v[0].column, 11);
	ck_assert_str_eq(r.dl.v[0].field, "spec.ports[0].port");
	ck_assert_str_eq(r.dl.v[0].kind, "Service");
	ck_assert_str_eq(r.dl.v[0].ns, "default");
	ck_assert_str_eq(r.dl.v[0].name, "web");
	rd_free(&r);
}
END_TEST

START_TEST(yaml11_scalars)
{
	struct rd r = { 0 };

	rd_service(&r, "spec:\n"
		       "  publishNotReadyAddresses: on\n"
		       "  ports:\n"
		       "  - port: 1_000\n"
		       "    targetPort: !!str 8080\n"
		       "    name: !!str 123\n"
		       "    nodePort: ~\n");
	expect_no_diags(&r);
	ck_assert_int_eq(r.set.services[0].publish_not_ready_addresses.v, 1);
	ck_assert_int_eq(r.set.services[0].ports[0].port.v, 1000);
	ck_assert_str_eq(r.set.services[0].ports[0].target_port.str.s, "8080");
	ck_assert_str_eq(r.set.services[0].ports[0].name.s, "123");
	ck_assert(!r.set.services[0].ports[0].node_port.set);
	rd_free(&r);
}
END_TEST

START_TEST(duplicate_keys)
{
	struct rd r = { 0 };

	rd_service(&r, "spec:\n"
		       "  ports:\n"
		       "  - port: 80\n"
		       "    port: 81\n"
		       "---\n"
		       "apiVersion: v1\n"
		       "kind: Service\n"
		       "metadata: {name: ok}\n");
	expect_one_error(&r, "t.yaml:8:5: duplicate key \"port\" in this mapping (first at line 7, column 5)");
	ck_assert_uint_eq(r.set.nservices, 1);
	ck_assert_str_eq(r.set.services[0].meta.name.s, "ok");
	rd_free(&r);
}
END_TEST

/* Past eight keys duplicates are found by sorting: same answer. */
START_TEST(duplicate_keys_many)
{
	struct rd r = { 0 };

	rd_service(&r, "  labels: {a: 1x, b: x, c: x, d: x, e: x, f: x, g: x, h: x, i: x, b: z}\n");
	expect_one_error(&r, "t.yaml:5:67: duplicate key \"b\" in this mapping (first at line 5, column 19)");
	ck_assert_uint_eq(r.set.nservices, 0);
	rd_free(&r);
}
END_TEST

START_TEST(syntax_error)
{
	struct rd r = { 0 };

	rd_text(&r, "apiVersion: v1\n"
		    "kind: Service\n"
		    "metadata: {name: before}\n"
		    "---\n"
		    "apiVersion: v1\n"
		    "kind: Service\n"
		    "metadata:\n"
		    "  name: x\n"
		    " spec: {}\n");
	expect_one_error(&r, "t.yaml:9:2: did not find expected key (while parsing a block mapping at line 5, column 1); check the indentation: this line does not line up with the keys above it");
	/* the document before the error is kept */
	ck_assert_uint_eq(r.set.nservices, 1);
	ck_assert_str_eq(r.set.services[0].meta.name.s, "before");
	rd_free(&r);
}
END_TEST

/* libyaml wants `---` before a document that follows `...`. */
START_TEST(syntax_error_after_end_marker)
{
	struct rd r = { 0 };

	rd_text(&r, "apiVersion: v1\n"
		    "kind: Service\n"
		    "metadata: {name: a}\n"
		    "...\n"
		    "apiVersion: v1\n");
	expect_one_error(&r, "t.yaml:5:1: did not find expected <document start>; the document before has ended (after '...' or a closing bracket); start a new one with '---'");
	ck_assert_uint_eq(r.set.nservices, 1);
	rd_free(&r);
}
END_TEST

START_TEST(syntax_error_tab)
{
	struct rd r = { 0 };

	rd_service(&r, "spec:\n\tports: []\n");
	expect_one_error(&r, "t.yaml:6:1: found character that cannot start any token; YAML does not allow tabs for indentation; use spaces");
	ck_assert_uint_eq(r.set.nservices, 0);
	rd_free(&r);
}
END_TEST

/* The seed's LoadBalancer example: libyaml reads `type::` as key "type:". */
START_TEST(double_colon_slip)
{
	struct rd r = { 0 };

	rd_service(&r, "spec:\n  type:: LoadBalancer\n  clusterIP: 10.0.171.239\t#  comment\n");
	expect_one_error(&r, "t.yaml:6:3: \"type:: LoadBalancer\" has one ':' too many (YAML reads the key as \"type:\"); write \"type: LoadBalancer\"");
	ck_assert_uint_eq(r.set.nservices, 0);
	rd_free(&r);
}
END_TEST

/* The seed's Endpoints example writes metadata.app for metadata.name. */
START_TEST(metadata_app_slip)
{
	struct rd r = { 0 };

	rd_text(&r, "apiVersion: v1\n"
		    "kind: Endpoints\n"
		    "metadata:\n"
		    "  app: my-service\n"
		    "subsets:\n"
		    "  - addresses:\n"
		    "      - ip: 192.0.2.42\n"
		    "    ports:\n"
		    "      - port: 9376\n"
		    "---\n"
		    "apiVersion: v1\n"
		    "kind: Service\n"
		    "metadata: {namespace: prod}\n");
	ck_assert_uint_eq(r.dl.nerrors, 2);
	expect_error_with(&r, "t.yaml:4: Endpoints default/?: metadata.name is required; metadata.app (\"my-service\") looks like a slip for metadata.name");
	expect_error_with(&r, "t.yaml:13: Service prod/?: metadata.name is required");
	ck_assert_uint_eq(r.set.nendpoints, 0);
	ck_assert_uint_eq(r.set.nservices, 0);
	rd_free(&r);
}
END_TEST

START_TEST(kind_and_api_version)
{
	struct rd r = { 0 };

	rd_text(&r, "apiVersion: v1\nmetadata: {name: a}\n"
		    "---\nkind: Service\nmetadata: {name: b}\n"
		    "---\napiVersion: v2\nkind: Service\nmetadata: {name: c}\n"
		    "---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: d}\n"
		    "---\napiVersion: v1\nkind: [Service]\n"
		    "---\n- not an object\n");
	ck_assert_uint_eq(r.dl.nerrors, 5);
	expect_error_with(&r, "t.yaml:1:1: this object has no kind; a Kubernetes object needs apiVersion and kind");
	expect_error_with(&r, "t.yaml:4:1: Service has no apiVersion; a Kubernetes object needs apiVersion and kind");
	expect_error_with(&r, "t.yaml:7: Service default/c: apiVersion: \"v2\" is not an apiVersion svcnft reads for Service; expected \"v1\"");
	expect_error_with(&r, "t.yaml:16:7: kind: expected a string, found a list");
	expect_error_with(&r, "t.yaml:18:1: expected a Kubernetes object (a mapping with apiVersion and kind), found a list");
	ck_assert_uint_eq(r.set.nservices, 0);
	/* a Knative Service is another kind of object */
	ck_assert_uint_eq(r.set.nskipped, 1);
	ck_assert_str_eq(r.set.skipped[0].api_version, "serving.knative.dev/v1");
	rd_free(&r);
}
END_TEST

START_TEST(errors_do_not_stop_reading)
{
	struct rd r = { 0 };

	rd_text(&r, "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: x}]}\n"
		    "---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
		    "---\napiVersion: v1\nkind: List\nitems:\n"
		    "- {apiVersion: v1, kind: Service, metadata: {name: c}, spec: {type: 1}}\n"
		    "- {apiVersion: v1, kind: Service, metadata: {name: d}}\n");
	ck_assert_uint_eq(r.dl.nerrors, 2);
	expect_error_with(&r, "Service default/a: spec.ports[0].port");
	expect_error_with(&r, "Service default/c: spec.type");
	ck_assert_uint_eq(r.set.nservices, 2);
	ck_assert_str_eq(r.set.services[0].meta.name.s, "b");
	ck_assert_str_eq(r.set.services[1].meta.name.s, "d");
	rd_free(&r);
}
END_TEST

/* 10 aliases of 10 aliases ... nine deep: 10^9 nodes if expanded. */
START_TEST(alias_bomb)
{
	struct rd r = { 0 };
	char *text = xstrdup("apiVersion: v1\nkind: Service\nmetadata: {name: lol}\n"
			     "a0: &a0 [lol]\n");
	struct timespec t0, t1;

	for (int i = 1; i <= 9; i++) {
		char *next = xasprintf("%sa%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
				       text, i, i, i - 1, i - 1, i - 1, i - 1,
				       i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
		free(text);
		text = next;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rd_text(&r, text);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	expect_one_error(&r, "t.yaml:13:10: YAML aliases expand this document to 2345679030 nodes, more than the limit of 1000000 (1000000, or 10 times the 120 written); refusing it");
	ck_assert_uint_eq(r.set.nservices, 0);
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 2, "refusing took %ld s",
		      (long)(t1.tv_sec - t0.tv_sec));
	free(text);
	rd_free(&r);
}
END_TEST

/* Aliases within bounds are read as if written out. */
START_TEST(aliases_and_merge_keys)
{
	struct rd r = { 0 };

	rd_text(&r, "apiVersion: v1\n"
		    "kind: List\n"
		    "items:\n"
		    "- apiVersion: v1\n"
		    "  kind: Service\n"
		    "  metadata: {name: a, labels: &labels {app: web, tier: fe}}\n"
		    "  spec: &spec\n"
		    "    selector: *labels\n"
		    "    ports: [{port: 80, name: http}]\n"
		    "- apiVersion: v1\n"
		    "  kind: Service\n"
		    "  metadata:\n"
		    "    name: b\n"
		    "    labels: {<<: *labels, tier: be}\n"
		    "  spec:\n"
		    "    <<: *spec\n"
		    "    type: NodePort\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 2);
	ck_assert_str_eq(label(&r.set.services[0].selector, "tier"), "fe");
	ck_assert_str_eq(label(&r.set.services[1].selector, "app"), "web");
	ck_assert_str_eq(label(&r.set.services[1].meta.labels, "tier"), "be");
	ck_assert_str_eq(label(&r.set.services[1].meta.labels, "app"), "web");
	ck_assert_uint_eq(r.set.services[1].meta.labels.n, 2);
	ck_assert_str_eq(r.set.services[1].type.s, "NodePort");
	ck_assert_str_eq(r.set.services[1].ports[0].name.s, "http");
	/* an aliased value keeps the position it was written at */
	expect_pos(r.set.services[1].ports[0].port.pos, 9, 20);
	rd_free(&r);
}
END_TEST

START_TEST(alias_errors)
{
	struct rd r = { 0 };

	rd_text(&r, "a: *nowhere\n---\na: &r [1, *r]\n");
	ck_assert_uint_eq(r.dl.nerrors, 2);
	expect_error_with(&r, "t.yaml:1:4: alias *nowhere has no anchor before it in this document");
	expect_error_with(&r, "t.yaml:3:11: alias *r is inside the node it refers to (a recursive alias)");
	rd_free(&r);
}
END_TEST

static char *nested(int depth)
{
	char *s = xmalloc(2 * (size_t)depth + 64);
	char *p = s + sprintf(s, "apiVersion: v1\nkind: Service\nmetadata: {name: deep}\nx: ");

	for (int i = 0; i < depth; i++)
		*p++ = '[';
	for (int i = 0; i < depth; i++)
		*p++ = ']';
	strcpy(p, "\n");
	return s;
}

/* libyaml's scanner costs the square of the flow nesting: past the limit,
 * nothing more of the input is given to it, even a valid document. */
/* ok reads without a message, giving nservices; then bad gives one error,
 * want, and no Service more. */
static void accepted_then_refused(const char *ok, size_t nservices,
				  const char *bad, const char *want)
{
	struct rd r = { 0 };

	rd_text(&r, ok);
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, nservices);
	rd_text(&r, bad);
	expect_one_error(&r, want);
	ck_assert_uint_eq(r.set.nservices, nservices);
	rd_free(&r);
}

START_TEST(depth_limit)
{
	char *ok = nested(63), *deep = nested(100000);
	char *then = xasprintf("%s---\napiVersion: v1\nkind: Service\nmetadata: {name: after}\n"
			       "spec: {ports: [{port: 80}]}\n", deep);

	/* with the document's mapping, ok nests 64 levels */
	accepted_then_refused(ok, 1, then, "t.yaml:4:67: nesting deeper than 64 levels; refusing the document and not reading the rest of this input");
	free(ok);
	free(deep);
	free(then);
}
END_TEST

/* n %TAG directives, then a Service. */
static char *tagged(int n)
{
	char *s = xstrdup("");

	for (int i = 0; i < n; i++) {
		char *next = xasprintf("%s%%TAG !t%d! tag:example.com,2024:t%d:\n", s, i, i);

		free(s);
		s = next;
	}
	return s;
}

/* libyaml compares each %TAG directive with every earlier one: more than
 * 64 before one document are refused before libyaml reads them. */
START_TEST(tag_directive_limit)
{
	char *ok = tagged(64), *flood = tagged(65);
	char *ok_text = xasprintf("%s---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
				  "spec: {ports: [{port: 80}]}\n...\n%s---\n"
				  "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
				  "spec: {ports: [{port: 80}]}\n", ok, ok);
	char *flood_text = xasprintf("%s---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n"
				     "spec: {ports: [{port: 80}]}\n", flood);

	accepted_then_refused(ok_text, 2, flood_text,
			      "t.yaml:65:1: more than 64 %TAG directives before one document; refusing the input");
	free(ok);
	free(flood);
	free(ok_text);
	free(flood_text);
}
END_TEST

START_TEST(encoding_errors)
{
	static const char nul[] = "apiVersion: v1\nkind: Service\nmetadata: {name: \"a\0b\"}\n";
	static const char bad_utf8[] = "apiVersion: v1\nkind: Service\nmetadata: {name: caf\xc3\x28}\n";
	struct rd r = { 0 };

	ck_assert_int_eq(manifest_read_buffer(&r.set, "nul.yaml", nul,
					      sizeof(nul) - 1, &r.dl), 0);
	expect_one_error(&r, "nul.yaml:3:20: control characters are not allowed (byte 0x00)");
	diag_list_free(&r.dl);
	ck_assert_int_eq(manifest_read_buffer(&r.set, "utf8.yaml", bad_utf8,
					      sizeof(bad_utf8) - 1, &r.dl), 0);
	expect_one_error(&r, "utf8.yaml:3:22: invalid trailing UTF-8 octet (byte 0x28)");
	ck_assert_uint_eq(r.set.nservices, 0);
	rd_free(&r);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static char *service_doc(const char *name)
{
	return xasprintf("apiVersion: v1\nkind: Service\nmetadata: {name: %s}\n", name);
}

/* File i of the parallel test: i + 1 Services, every third file with an
 * error in its last one, file 7 cut off mid-document. */
static char *numbered_file(size_t i)
{
	char *text = xstrdup("");

	for (size_t j = 0; j <= i; j++) {
		char *next = xasprintf("%s---\napiVersion: v1\nkind: Service\nmetadata: {name: s%zu-%zu}\nspec: {ports: [{port: %s}]}\n",
				       text, i, j, i % 3 == 0 && j == i ? "eighty" : "80");

		free(text);
		text = next;
	}
	if (i == 7) {
		char *next = xasprintf("%s---\nkind: [Service\n", text);

		free(text);
		text = next;
	}
	return text;
}

static char *diag_text(struct diag_list *dl)
{
	struct rd r = { .dl = *dl };

	diag_sort(&r.dl);
	return all_diags(&r);
}

/* The same messages, in the order they are printed; frees both reads. */
static void expect_same_diags(struct rd *par, struct rd *seq)
{
	char *got, *want;

	ck_assert_uint_eq(par->dl.nerrors, seq->dl.nerrors);
	got = diag_text(&par->dl);
	want = diag_text(&seq->dl);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	rd_free(par);
	rd_free(seq);
}

static void rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* Several files are read at once (where there are cores), with exactly
 * what reading them one after the other gives: objects in name order,
 * the same messages at the same positions. */
START_TEST(parallel_read_is_sequential_read)
{
	char dir[] = "/tmp/svcnft-test-XXXXXX";
	struct rd par = { 0 }, seq = { 0 };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (size_t i = 0; i < 12; i++) {
		char *path = xasprintf("%s/f%02zu.yaml", dir, i);
		char *text = numbered_file(i);

		write_file(path, text);
		free(text);
		free(path);
	}
	ck_assert_int_eq(manifest_read_path(&par.set, dir, &par.dl), 0);
	for (size_t i = 0; i < 12; i++) {
		char *path = xasprintf("%s/f%02zu.yaml", dir, i);

		ck_assert_int_eq(manifest_read_file(&seq.set, path, &seq.dl), 0);
		free(path);
	}
	ck_assert_uint_gt(seq.set.nservices, 50);
	ck_assert_uint_eq(par.set.nservices, seq.set.nservices);
	for (size_t i = 0; i < seq.set.nservices; i++) {
		const struct k8s_meta *a = &par.set.services[i].meta;
		const struct k8s_meta *b = &seq.set.services[i].meta;

		ck_assert_str_eq(a->name.s, b->name.s);
		ck_assert_str_eq(a->pos.file, b->pos.file);
		ck_assert_uint_eq(a->pos.line, b->pos.line);
	}
	ck_assert_uint_ge(seq.dl.nerrors, 5);
	expect_same_diags(&par, &seq);
	rm_rf(dir);
}
END_TEST

/* A stream of n documents, over 8 MiB: every 97th Service has a bad
 * port, some documents end with "...", carry a block scalar or are empty;
 * document broken_at has the port broken instead. */
static char *big_stream(size_t n, size_t broken_at, const char *broken)
{
	size_t cap = n * 256 + 512, len = 0;
	char *text = xmalloc(cap);

	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(text + len, cap - len,
			"%s# document %zu\napiVersion: v1\nkind: Service\nmetadata:\n  name: s%zu\n  annotations:\n    note: |\n      line one\n      line two\nspec:\n  ports:\n  - port: %s\n%s",
			i % 5 == 4 ? "---\n---\n" : "---\n", i, i,
			i % 97 == 0 ? "eighty" : i != broken_at ? "80" : broken,
			i % 7 == 0 ? "...\n" : "");
	}
	return text;
}

/* Both reads of one text: the directory read, which splits a large file
 * at document starts over the threads, against one manifest_read_buffer. */
static void expect_split_read_same(const char *text)
{
	char dir[] = "/tmp/svcnft-test-XXXXXX";
	struct rd par = { 0 }, seq = { 0 };
	char *path;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/big.yaml", dir);
	write_file(path, text);
	ck_assert_int_eq(manifest_read_path(&par.set, dir, &par.dl), 0);
	ck_assert_int_eq(manifest_read_buffer(&seq.set, path, text, strlen(text),
					      &seq.dl), 0);
	ck_assert_uint_eq(par.set.nservices, seq.set.nservices);
	for (size_t i = 0; i < seq.set.nservices; i++) {
		const struct k8s_service *a = &par.set.services[i];
		const struct k8s_service *b = &seq.set.services[i];

		ck_assert_str_eq(a->meta.name.s, b->meta.name.s);
		ck_assert_uint_eq(a->meta.pos.line, b->meta.pos.line);
		ck_assert_uint_eq(a->meta.pos.column, b->meta.pos.column);
		ck_assert_uint_eq(a->nports, b->nports);
		if (a->nports)
			ck_assert_uint_eq(a->ports[0].port.pos.line,
					  b->ports[0].port.pos.line);
	}
	free(path);
	expect_same_diags(&par, &seq);
	rm_rf(dir);
}

/* A large file is read in parts on several threads: the same objects at
 * the same lines and columns, the same messages; after a syntax error or
 * nesting too deep (where reading stops) nothing of the parts that follow
 * counts, and an unrendered template refuses the whole file at its own
 * line. */
START_TEST(split_file_reads_as_whole)
{
	static const char *const broken[] = {
		"[80",				/* a syntax error */
		"{{ .Values.port }}",		/* an unrendered template */
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[80]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	char *text = big_stream(60000, SIZE_MAX, NULL);

	ck_assert_uint_gt(strlen(text), 8u << 20);
	expect_split_read_same(text);
	free(text);
	for (size_t i = 0; i < ARRAY_SIZE(broken); i++) {
		/* in the first part: parts after it must not count */
		text = big_stream(60000, 10000, broken[i]);
		expect_split_read_same(text);
		free(text);
	}
	/* 8 MiB of comments: no objects at all, said once for the file */
	text = xmalloc((8u << 20) + 1);
	for (size_t i = 0; i < (8u << 20); i += 64)
		memcpy(text + i, "# a comment line that is 64 bytes long, and nothing else ......\n", 64);
	text[8u << 20] = '\0';
	expect_split_read_same(text);
	free(text);
}
END_TEST

/* A kubectl List of n Services, over 8 MiB, as kubectl prints it; with
 * bad, that item has the problem bad names. */
static char *big_list(size_t n, size_t bad_at, const char *bad)
{
	size_t cap = n * 320 + 256, len = 0;
	char *text = xmalloc(cap);

	len += (size_t)snprintf(text, cap, "apiVersion: v1\nitems:\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
			"- apiVersion: v1\n  kind: Service\n  metadata:\n    annotations:\n      note: |\n        line one\n        line two\n    name: s%zu\n    namespace: bench\n  spec:\n    ports:\n    - port: %s\n%s",
			i, i == bad_at && !strcmp(bad, "port") ? "eighty" :
			   i == bad_at && !strcmp(bad, "syntax") ? "[80" : "80",
			i == bad_at && !strcmp(bad, "dup") ? "  kind: Service\n" :
			i % 1000 == 0 ? "# a comment\n\n" : "");
	snprintf(text + len, cap - len, "kind: List\nmetadata:\n  resourceVersion: \"\"\n");
	return text;
}

/* A large List is cut between items into Lists of their own, read on
 * several threads: the same objects at the same places, and where any
 * item has a problem, the messages reading the whole gives. */
START_TEST(split_list_reads_as_whole)
{
	static const char *const bad[] = { "none", "port", "dup", "syntax" };
	struct manifest_part *parts;
	char *text = big_list(50000, SIZE_MAX, "none"), *made;
	size_t made_len;
	size_t n = manifest_split(text, strlen(text), 4u << 20, &parts);

	ck_assert_uint_gt(strlen(text), 8u << 20);
	ck_assert_uint_ge(n, 2);
	ck_assert(parts[0].list && parts[n - 1].list);
	ck_assert(!parts[0].list_head && parts[0].list_tail);
	ck_assert(parts[n - 1].list_head && !parts[n - 1].list_tail);
	made = manifest_part_text(&parts[0], &made_len);
	ck_assert_uint_eq(made_len, strlen(made));
	ck_assert(!strcmp(made + made_len - 11, "kind: List\n"));
	free(made);
	made = manifest_part_text(&parts[n - 1], &made_len);
	ck_assert(!strncmp(made, "apiVersion: v1\nitems:\n- apiVersion", 34));
	ck_assert(!strcmp(made + made_len - 22, "  resourceVersion: \"\"\n"));
	free(made);
	free(parts);
	free(text);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		text = big_list(50000, 30000, bad[i]);
		expect_split_read_same(text);
		free(text);
	}
}
END_TEST

/* A directory: recursive, sorted by name, manifests only; a directory
 * reached by two links is read once. */
START_TEST(read_directory)
{
	char dir[] = "/tmp/svcnft-test-XXXXXX";
	static const char *const files[] = { "b.yaml", "a.json", "sub/c.yml",
					     "notes.txt", ".hidden/x.yaml" };
	struct rd r = { 0 };
	char *path;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	path = xasprintf("%s/.hidden", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *doc = service_doc(i == 3 ? "not-read" : files[i][0] == '.' ? "hidden" :
					i == 0 ? "b" : i == 1 ? "a" : "c");

		path = xasprintf("%s/%s", dir, files[i]);
		write_file(path, doc);
		free(path);
		free(doc);
	}
	path = xasprintf("%s/sub-again", dir);
	ck_assert_int_eq(symlink("sub", path), 0);
	free(path);

	ck_assert_int_eq(manifest_read_path(&r.set, dir, &r.dl), 0);
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 3);
	ck_assert_str_eq(r.set.services[0].meta.name.s, "a");
	ck_assert_str_eq(r.set.services[1].meta.name.s, "b");
	ck_assert_str_eq(r.set.services[2].meta.name.s, "c");
	path = xasprintf("%s/sub/c.yml", dir);
	ck_assert_str_eq(r.set.services[2].meta.pos.file, path);
	free(path);
	rd_free(&r);

	path = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
	free(path);
}
END_TEST

/* A symbolic link back to a directory being read is an error that names
 * both; what was read before the loop is kept, and nothing loops. */
START_TEST(directory_loop)
{
	char dir[] = "/tmp/svcnft-test-XXXXXX";
	struct rd r = { 0 };
	char *path, *want;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	path = xasprintf("%s/sub/loop", dir);
	ck_assert_int_eq(symlink("..", path), 0);
	free(path);
	path = xasprintf("%s/sub/a.yaml", dir);
	write_file(path, "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n");
	free(path);

	ck_assert_int_eq(manifest_read_path(&r.set, dir, &r.dl), -ELOOP);
	want = xasprintf("%s/sub/loop: directory loop: this is %s again, which is being read; remove the symbolic link that leads back",
			 dir, dir);
	expect_one_error(&r, want);
	free(want);
	ck_assert_uint_eq(r.set.nservices, 1);
	rd_free(&r);
	rm_rf(dir);
}
END_TEST

/* A file over MANIFEST_MAX_BYTES is refused before it is read (a sparse
 * file: nothing is written to disk). */
START_TEST(file_too_big)
{
	char path[] = "/tmp/svcnft-test-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	struct rd r = { 0 };
	char *want;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)MANIFEST_MAX_BYTES + 1), 0);
	close(fd);
	ck_assert_int_eq(manifest_read_path(&r.set, path, &r.dl), -EFBIG);
	want = xasprintf("%s: %lu bytes, more than the limit of %lu bytes (128 MiB) for one manifest file; split it into several files",
			 path, MANIFEST_MAX_BYTES + 1, MANIFEST_MAX_BYTES);
	expect_one_error(&r, want);
	free(want);
	rd_free(&r);
	unlink(path);
}
END_TEST

/* Nothing but comments and empty documents: refused, since applying it
 * would remove every Service. */
START_TEST(empty_input)
{
	static const char *const empty[] = { "", "\n  \n", "# nothing\n",
					     "---\n---\n...\n", "~\n" };
	struct rd r = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(empty); i++) {
		rd_text(&r, empty[i]);
		expect_one_error(&r, "t.yaml:1:1: no Kubernetes objects: the input is empty, or holds only comments and empty documents (as a failed or truncated write leaves it); to remove every Service, use svcnft flush");
		rd_free(&r);
	}
	rd_text(&r, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n");
	expect_no_diags(&r);
	rd_free(&r);
}
END_TEST

/* A kind one slip away from one svcnft reads, in its API group, is an
 * error; another group's kind of a similar name is skipped. */
START_TEST(misspelt_kind)
{
	struct rd r = { 0 };

	rd_text(&r, "apiVersion: v1\nkind: Servce\nmetadata: {name: web}\n");
	expect_one_error(&r, "t.yaml:2: Servce default/web: kind: \"Servce\" is not a kind of apiVersion v1; did you mean \"Service\"? (kinds are case-sensitive)");
	rd_free(&r);
	rd_text(&r, "apiVersion: discovery.k8s.io/v1\nkind: endpointslice\nmetadata: {name: s}\n");
	expect_error_with(&r, "did you mean \"EndpointSlice\"");
	rd_free(&r);
	rd_text(&r, "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n---\napiVersion: serving.knative.dev/v1\nkind: Services\nmetadata: {name: k}\n");
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nskipped, 2);
	rd_free(&r);
}
END_TEST

/* MANIFEST_STRICT_MODES: a file or directory others can write is refused
 * with the reason; without the flag it is read. */
/* Below a directory that passed, each entry is checked itself (a
 * directory its group can write), and a symbolic link by where it leads
 * (a directory all users can write, above the file it names). */
static void strict_modes_below(const char *dir)
{
	char other[] = "/tmp/svcnft-test-XXXXXX";
	char *sub = xasprintf("%s/sub", dir), *file = xasprintf("%s/sub/b.yaml", dir);
	char *target = NULL, *link = xasprintf("%s/link.yaml", dir), *want;
	struct rd r = { 0 };

	ck_assert_int_eq(mkdir(sub, 0775), 0);
	ck_assert_int_eq(chmod(sub, 0775), 0);
	write_file(file, "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n");
	ck_assert_int_eq(manifest_read_path_flags(&r.set, dir, MANIFEST_STRICT_MODES, &r.dl), -EPERM);
	want = xasprintf("%s: refusing to read it: its mode 0775 lets its group write it;", sub);
	expect_error_with(&r, want);
	free(want);
	rd_free(&r);
	ck_assert_int_eq(chmod(sub, 0755), 0);
	ck_assert_ptr_nonnull(mkdtemp(other));
	ck_assert_int_eq(chmod(other, 0757), 0);
	target = xasprintf("%s/c.yaml", other);
	write_file(target, "apiVersion: v1\nkind: Service\nmetadata: {name: c}\n");
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(manifest_read_path_flags(&r.set, dir, MANIFEST_STRICT_MODES, &r.dl), -EPERM);
	want = xasprintf("directory %s above it (mode 0757, not sticky) lets all users replace it", other);
	expect_error_with(&r, want);
	ck_assert_uint_eq(r.dl.nerrors, 1);
	free(want);
	rd_free(&r);
	ck_assert_int_eq(unlink(link), 0);
	rm_rf(other);
	ck_assert_int_eq(unlink(file), 0);
	ck_assert_int_eq(rmdir(sub), 0);
	free(sub);
	free(file);
	free(target);
	free(link);
}

START_TEST(strict_modes)
{
	char dir[] = "/tmp/svcnft-test-XXXXXX";
	struct rd r = { 0 };
	char *path, *want;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/a.yaml", dir);
	write_file(path, "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n");
	ck_assert_int_eq(chmod(path, 0664), 0);
	ck_assert_int_eq(manifest_read_path_flags(&r.set, dir, MANIFEST_STRICT_MODES, &r.dl), -EPERM);
	want = xasprintf("%s: refusing to read it: its mode 0664 lets its group write it; whoever can write manifests controls this node's NAT rules; fix it (chmod go-w, chown) or pass --allow-insecure-files",
			 path);
	expect_one_error(&r, want);
	free(want);
	ck_assert_uint_eq(r.set.nservices, 0);
	rd_free(&r);
	ck_assert_int_eq(chmod(path, 0644), 0);
	strict_modes_below(dir);
	ck_assert_int_eq(chmod(dir, 0757), 0);
	ck_assert_int_eq(manifest_read_path_flags(&r.set, path, MANIFEST_STRICT_MODES, &r.dl), -EPERM);
	want = xasprintf("directory %s above it (mode 0757, not sticky) lets all users replace it", dir);
	expect_error_with(&r, want);
	free(want);
	rd_free(&r);
	ck_assert_int_eq(manifest_read_path(&r.set, dir, &r.dl), 0);
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 1);
	rd_free(&r);
	free(path);
	rm_rf(dir);
}
END_TEST

START_TEST(unreadable_path)
{
	struct rd r = { 0 };

	ck_assert_int_eq(manifest_read_path(&r.set, "/nonexistent/svc.yaml", &r.dl),
			 -ENOENT);
	expect_one_error(&r, "/nonexistent/svc.yaml: cannot read: No such file or directory");
	rd_free(&r);
}
END_TEST

START_TEST(read_stdin)
{
	struct rd r = { 0 };
	char *doc = service_doc("from-stdin");
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], doc, strlen(doc)), (int)strlen(doc));
	close(fds[1]);
	ck_assert_ptr_nonnull(freopen("/dev/null", "r", stdin));
	ck_assert_int_ne(dup2(fds[0], fileno(stdin)), -1);
	close(fds[0]);
	ck_assert_int_eq(manifest_read_path(&r.set, "-", &r.dl), 0);
	expect_no_diags(&r);
	ck_assert_uint_eq(r.set.nservices, 1);
	ck_assert_str_eq(r.set.services[0].meta.pos.file, "<stdin>");
	free(doc);
	rd_free(&r);
}
END_TEST

/* Real manifests from the Kubernetes documentation read without errors. */
START_TEST(corpus_reads_cleanly)
{
	DIR *dir = opendir(CORPUS_DIR);
	struct dirent *de;
	size_t nfiles = 0;

	if (!dir)
		return;		/* the corpus is beside the repo, not in it */
	while ((de = readdir(dir))) {
		struct rd r = { 0 };
		char *path;

		if (!strstr(de->d_name, ".yaml"))
			continue;
		path = xasprintf("%s/%s", CORPUS_DIR, de->d_name);
		ck_assert_int_eq(manifest_read_path(&r.set, path, &r.dl), 0);
		expect_no_diags(&r);
		ck_assert_uint_gt(r.set.nservices + r.set.nskipped, 0);
		nfiles++;
		free(path);
		rd_free(&r);
	}
	closedir(dir);
	ck_assert_uint_gt(nfiles, 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("manifest");
	TCase *tc = tcase_create("manifest");

	tcase_add_test(tc, multi_document);
	tcase_add_test(tc, list_kinds);
	tcase_add_test(tc, list_items_read_as_they_end);
	tcase_add_test(tc, json_input);
	tcase_add_test(tc, json_string_port);
	tcase_add_test(tc, kubectl_output);
	tcase_add_test(tc, service_spec_fields);
	tcase_add_test(tc, service_ports);
	tcase_add_test(tc, endpoints_fields);
	tcase_add_test(tc, slice_fields);
	tcase_add_test(tc, pod_fields);
	tcase_add_test(tc, type_errors);
	tcase_add_test(tc, type_error_column);
	tcase_add_test(tc, yaml11_scalars);
	tcase_add_test(tc, duplicate_keys);
	tcase_add_test(tc, duplicate_keys_many);
	tcase_add_test(tc, syntax_error);
	tcase_add_test(tc, syntax_error_after_end_marker);
	tcase_add_test(tc, syntax_error_tab);
	tcase_add_test(tc, double_colon_slip);
	tcase_add_test(tc, metadata_app_slip);
	tcase_add_test(tc, kind_and_api_version);
	tcase_add_test(tc, errors_do_not_stop_reading);
	tcase_add_test(tc, alias_bomb);
	tcase_add_test(tc, aliases_and_merge_keys);
	tcase_add_test(tc, alias_errors);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, tag_directive_limit);
	tcase_add_test(tc, encoding_errors);
	tcase_add_test(tc, read_directory);
	tcase_add_test(tc, directory_loop);
	tcase_add_test(tc, file_too_big);
	tcase_add_test(tc, empty_input);
	tcase_add_test(tc, misspelt_kind);
	tcase_add_test(tc, strict_modes);
	tcase_add_test(tc, unreadable_path);
	tcase_add_test(tc, read_stdin);
	tcase_add_test(tc, parallel_read_is_sequential_read);
	tcase_add_test(tc, corpus_reads_cleanly);
	suite_add_tcase(s, tc);
	/* 10 MiB inputs read twice each: minutes under valgrind, seconds on a
	 * busy machine */
	tc = tcase_create("split");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, split_file_reads_as_whole);
	tcase_add_test(tc, split_list_reads_as_whole);
	suite_add_tcase(s, tc);
	return s;
}
