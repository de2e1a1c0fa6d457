// SPDX-License-Identifier: GPL-2.0-or-later
/* Running on a host: the run lock, the metrics file, JSON output, expose. */
#include <sys/socket.h>
#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expose.h"
#include "json_out.h"
#include "lock.h"
#include "metrics.h"
#include "model.h"
#include "ruleset.h"
#include "unit.h"

static char *temp_path(const char *name)
{
	char dir[] = "/tmp/svcnft-unit.XXXXXX";
	char *path;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_gt(asprintf(&path, "%s/%s", dir, name), 0);
	return path;
}

/* Remove the file and the directory temp_path made for it. */
static void remove_temp(char *path)
{
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
	free(path);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* flock locks belong to the open file: a second open in the same process
 * contends like another process would. */
START_TEST(lock_is_exclusive_and_times_out)
{
	char *path = temp_path("lock");
	struct run_lock a, b;

	ck_assert_int_eq(run_lock_acquire(&a, path, 0), 0);
	ck_assert_int_eq(run_lock_holder(path), getpid());
	ck_assert_int_eq(run_lock_acquire(&b, path, 0.1), -EWOULDBLOCK);
	ck_assert(b.waited >= 0.1);
	ck_assert_int_eq(b.fd, -1);
	run_lock_release(&a);
	ck_assert_int_eq(run_lock_acquire(&b, path, 0), 0);
	run_lock_release(&b);
	run_lock_release(&b);
	remove_temp(path);
}
END_TEST

START_TEST(lock_in_a_missing_directory_fails_with_errno)
{
	struct run_lock l;

	ck_assert_int_eq(run_lock_acquire(&l, "/nonexistent-svcnft/lock", 1), -ENOENT);
}
END_TEST

START_TEST(metrics_file_is_replaced_and_keeps_last_success)
{
	char *path = temp_path("svcnft.prom"), *text;
	struct run_metrics m = {
		.table = "svcnft", .end_time = 1700000000.5, .duration = 0.25,
		.have_model = true, .services = 9, .endpoints = 21, .node_ports = 3,
		.have_kernel = true, .messages = 52, .transactions = 1,
		.changes = { .elems_added = 4 },
	};

	ck_assert_int_eq(metrics_write_file(path, &m), 0);
	text = read_all(path);
	ck_assert_ptr_nonnull(strstr(text, "# TYPE svcnft_services gauge\nsvcnft_services{table=\"svcnft\"} 9\n"));
	ck_assert_ptr_nonnull(strstr(text, "svcnft_last_run_success{table=\"svcnft\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "svcnft_changes{table=\"svcnft\",kind=\"elements_added\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(text, "svcnft_last_success_timestamp_seconds{table=\"svcnft\"} 1700000000.5\n"));
	free(text);
	/* a failed run: no model, no kernel, the last success carried over */
	m = (struct run_metrics){ .table = "svcnft", .end_time = 1700000100,
				  .exit_status = 1, .manifest_errors = 2 };
	ck_assert_int_eq(metrics_write_file(path, &m), 0);
	text = read_all(path);
	ck_assert_ptr_nonnull(strstr(text, "svcnft_last_run_success{table=\"svcnft\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "svcnft_manifest_errors{table=\"svcnft\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "svcnft_last_success_timestamp_seconds{table=\"svcnft\"} 1700000000.5\n"));
	ck_assert_ptr_null(strstr(text, "svcnft_services"));
	free(text);
	remove_temp(path);
}
END_TEST

START_TEST(metrics_file_in_a_missing_directory_fails_and_leaves_nothing)
{
	struct run_metrics m = { .table = "svcnft" };

	ck_assert_int_eq(metrics_write_file("/nonexistent-svcnft/x.prom", &m), -ENOENT);
}
END_TEST

static const char pods_yaml[] =
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: redis\n"
	"  labels: {app: redis, tier: \"8080\", on: \"yes\"}\n"
	"spec:\n  containers:\n  - name: redis\n    ports:\n"
	"    - {name: redis, containerPort: 6379}\n"
	"    - {name: stats, containerPort: 9121, protocol: UDP}\n"
	"status: {phase: Running, podIP: 198.18.1.2}\n"
	"---\napiVersion: v1\nkind: Pod\nmetadata: {name: bare}\n"
	"status: {podIP: 198.18.2.2}\n"
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	"spec: {clusterIP: 198.19.0.10, selector: {app: redis}, ports: [{name: http, port: 80, targetPort: redis}]}\n";

static void read_yaml(struct manifest_set *set, const char *name, const char *buf)
{
	struct diag_list dl = { 0 };

	ck_assert_int_eq(manifest_read_buffer(set, name, buf, strlen(buf), &dl), 0);
	ck_assert_uint_eq(dl.nerrors, 0);
	diag_list_free(&dl);
}

/* The YAML expose prints, read back by svcnft's own reader. */
static char *expose_text(const struct manifest_set *set, const struct expose_request *r)
{
	struct expose_service s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert_int_eq(expose_build(&s, set, r), 0);
	ck_assert_int_eq(expose_write_yaml(out, &s), 0);
	fclose(out);
	expose_service_free(&s);
	return buf;
}

static const char *label(const struct k8s_labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key.s, key))
			return l->v[i].value.s;
	return NULL;
}

START_TEST(expose_pod_round_trips_and_selects_the_pod)
{
	struct manifest_set set = { 0 }, out = { 0 };
	struct expose_request r = { .kind = EXPOSE_POD, .name = "redis", .port = 6379,
				    .service_name = "redis-service", .type = "NodePort",
				    .node_port = 30079, .target_port = "redis" };
	char *text;

	read_yaml(&set, "pods.yaml", pods_yaml);
	text = expose_text(&set, &r);
	read_yaml(&out, "exposed.yaml", text);
	ck_assert_uint_eq(out.nservices, 1);
	ck_assert_str_eq(out.services[0].meta.name.s, "redis-service");
	ck_assert_str_eq(out.services[0].type.s, "NodePort");
	ck_assert_uint_eq(out.services[0].selector.n, 3);
	/* values that look like numbers or booleans stay strings */
	ck_assert_str_eq(label(&out.services[0].selector, "tier"), "8080");
	ck_assert_str_eq(label(&out.services[0].selector, "on"), "yes");
	ck_assert_uint_eq(out.services[0].nports, 1);
	ck_assert_int_eq(out.services[0].ports[0].port.v, 6379);
	ck_assert_int_eq(out.services[0].ports[0].node_port.v, 30079);
	ck_assert_str_eq(out.services[0].ports[0].target_port.str.s, "redis");
	ck_assert_ptr_nonnull(strstr(text, "tier: \"8080\"\n"));
	manifest_set_free(&out);
	manifest_set_free(&set);
	free(text);
}
END_TEST

START_TEST(expose_pod_without_port_takes_every_container_port)
{
	struct manifest_set set = { 0 }, out = { 0 };
	struct expose_request r = { .kind = EXPOSE_POD, .name = "redis",
				    .service_name = "all" };
	char *text;

	read_yaml(&set, "pods.yaml", pods_yaml);
	text = expose_text(&set, &r);
	read_yaml(&out, "exposed.yaml", text);
	ck_assert_uint_eq(out.services[0].nports, 2);
	ck_assert_str_eq(out.services[0].ports[1].name.s, "stats");
	ck_assert_str_eq(out.services[0].ports[1].protocol.s, "UDP");
	ck_assert_int_eq(out.services[0].ports[1].target_port.num.v, 9121);
	manifest_set_free(&out);
	manifest_set_free(&set);
	free(text);
}
END_TEST

START_TEST(expose_refuses_what_kubectl_refuses)
{
	struct manifest_set set = { 0 };
	struct expose_service s = { 0 };
	struct expose_request bare = { .kind = EXPOSE_POD, .name = "bare", .port = 80 };
	struct expose_request none = { .kind = EXPOSE_POD, .name = "nope", .port = 80 };
	struct expose_request taken = { .kind = EXPOSE_POD, .name = "redis", .port = 80,
					.service_name = "web" };
	struct expose_request two = { .kind = EXPOSE_POD, .name = "redis",
				      .service_name = "x", .node_port = 30000 };
	struct expose_request other_ns = { .kind = EXPOSE_SERVICE, .name = "web",
					   .ns = "prod", .service_name = "x" };

	read_yaml(&set, "pods.yaml", pods_yaml);
	ck_assert_int_eq(expose_build(&s, &set, &bare), -ENODATA);
	expose_service_free(&s);
	ck_assert_int_eq(expose_build(&s, &set, &none), -ENOENT);
	expose_service_free(&s);
	ck_assert_int_eq(expose_build(&s, &set, &taken), -EEXIST);
	expose_service_free(&s);
	ck_assert_int_eq(expose_build(&s, &set, &two), -E2BIG);
	expose_service_free(&s);
	ck_assert_int_eq(expose_build(&s, &set, &other_ns), -ENOENT);
	expose_service_free(&s);
	manifest_set_free(&set);
}
END_TEST

START_TEST(expose_service_copies_selector_and_ports)
{
	struct manifest_set set = { 0 }, out = { 0 };
	struct expose_request r = { .kind = EXPOSE_SERVICE, .name = "web",
				    .service_name = "web-lb", .type = "LoadBalancer" };
	char *text;

	read_yaml(&set, "pods.yaml", pods_yaml);
	text = expose_text(&set, &r);
	read_yaml(&out, "exposed.yaml", text);
	ck_assert_str_eq(out.services[0].type.s, "LoadBalancer");
	ck_assert_str_eq(label(&out.services[0].selector, "app"), "redis");
	ck_assert_str_eq(out.services[0].ports[0].name.s, "http");
	ck_assert_str_eq(out.services[0].ports[0].target_port.str.s, "redis");
	ck_assert(!out.services[0].ports[0].node_port.set);
	manifest_set_free(&out);
	manifest_set_free(&set);
	free(text);
}
END_TEST

static struct json_object *get(struct json_object *o, const char *path)
{
	char *copy = strdup(path), *save = NULL;

	for (char *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
		if (*k >= '0' && *k <= '9')
			o = json_object_array_get_idx(o, atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
	}
	free(copy);
	return o;
}

START_TEST(json_is_parsed_back_with_services_and_rules)
{
	struct manifest_set set = { 0 };
	struct diag_list dl = { 0 };
	struct model_options mo;
	struct model m = { 0 };
	struct rs_table t = { 0 };
	struct json_object *doc;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	read_yaml(&set, "pods.yaml", pods_yaml);
	model_options_default(&mo);
	ck_assert_int_eq(model_build(&m, &set, &mo, &dl), 0);
	ruleset_from_model(&t, &m, "svcnft", AF_INET);
	ck_assert_int_eq(json_ruleset_write(out, &t, "plan"), 0);
	fclose(out);
	doc = json_tokener_parse(buf);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_object_get_int(get(doc, "schema")), 1);
	ck_assert_str_eq(json_object_get_string(get(doc, "table.name")), "svcnft");
	ck_assert_str_eq(json_object_get_string(get(doc, "services.0.name")), "web");
	ck_assert_str_eq(json_object_get_string(get(doc, "services.0.addresses.0")), "198.19.0.10");
	ck_assert_str_eq(json_object_get_string(get(doc, "services.0.ports.0.endpoints.0.address")), "198.18.1.2");
	ck_assert_int_eq(json_object_get_int(get(doc, "services.0.ports.0.endpoints.0.port")), 6379);
	ck_assert(json_object_is_type(get(doc, "services.0.ports.0.nodePort"), json_type_null));
	ck_assert(json_object_is_type(get(doc, "services.0.ports.0.counters"), json_type_null));
	ck_assert_ptr_nonnull(strstr(json_object_get_string(get(doc, "nft")), "table ip svcnft {"));
	ck_assert_str_eq(json_object_get_string(get(doc, "maps.0.elements.0.chain")),
			 t.maps[0].elems[0].chain);
	json_object_put(doc);
	free(buf);
	rs_table_free(&t);
	model_free(&m);
	diag_list_free(&dl);
	manifest_set_free(&set);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("ops");

	tcase_add_test(tc, lock_is_exclusive_and_times_out);
	tcase_add_test(tc, lock_in_a_missing_directory_fails_with_errno);
	tcase_add_test(tc, metrics_file_is_replaced_and_keeps_last_success);
	tcase_add_test(tc, metrics_file_in_a_missing_directory_fails_and_leaves_nothing);
	tcase_add_test(tc, expose_pod_round_trips_and_selects_the_pod);
	tcase_add_test(tc, expose_pod_without_port_takes_every_container_port);
	tcase_add_test(tc, expose_refuses_what_kubectl_refuses);
	tcase_add_test(tc, expose_service_copies_selector_and_ports);
	tcase_add_test(tc, json_is_parsed_back_with_services_and_rules);
	suite_add_tcase(s, tc);
	return s;
}
