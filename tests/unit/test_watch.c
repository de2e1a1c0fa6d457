// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft watch's pure parts: durations, bind addresses, the metrics text,
 * and the kernel's state after drift the notifications told. */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "util.h"
#include "watch.h"
#include "watch_http.h"

START_TEST(durations_as_go_writes_them)
{
	static const struct { const char *s; double v; } good[] = {
		{ "100ms", 0.1 }, { "30s", 30 }, { "1h", 3600 }, { "5m", 300 },
		{ "1m30s", 90 }, { "0", 0 }, { "1.5s", 1.5 }, { "250us", 0.00025 },
	};
	static const char *const bad[] = { "", "10", "-1s", "1x", "s", "nan",
					   "1s2", "+1s", "9999h" };
	double v;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		ck_assert_msg(duration_parse(good[i].s, &v) == 0, "%s", good[i].s);
		ck_assert_msg(v > good[i].v - 1e-9 && v < good[i].v + 1e-9,
			      "%s: %g", good[i].s, v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(duration_parse(bad[i], &v) < 0, "\"%s\" accepted", bad[i]);
}
END_TEST

START_TEST(bind_addresses)
{
	struct ip_addr a;
	uint16_t port;
	char buf[IP_ADDR_STRLEN];

	ck_assert_int_eq(watch_parse_bind("0.0.0.0:10256", &a, &port), 0);
	ck_assert_uint_eq(port, 10256);
	ck_assert_str_eq(ip_addr_str(&a, buf, sizeof(buf)), "0.0.0.0");
	ck_assert_int_eq(watch_parse_bind("[2001:db8::1]:10249", &a, &port), 0);
	ck_assert_str_eq(ip_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	ck_assert_int_eq(watch_parse_bind(":8080", &a, &port), 0);
	ck_assert_uint_eq(a.family, 0);	/* every address */
	ck_assert_int_lt(watch_parse_bind("localhost:80", &a, &port), 0);
	ck_assert_int_lt(watch_parse_bind("1.2.3.4", &a, &port), 0);
	ck_assert_int_lt(watch_parse_bind("1.2.3.4:0", &a, &port), 0);
	ck_assert_int_lt(watch_parse_bind("1.2.3.4:70000", &a, &port), 0);
}
END_TEST

START_TEST(metrics_text)
{
	struct watch_status st = { .healthy = true, .syncs_ok = 3, .services = 7 };
	size_t len;
	char *t;

	watch_status_observe(&st, 0.003);
	watch_status_observe(&st, 20);
	t = watch_metrics_text(&st, &len);
	ck_assert_uint_eq(strlen(t), len);
	ck_assert(strstr(t, "# TYPE svcnft_sync_duration_seconds histogram\n"));
	ck_assert(strstr(t, "svcnft_sync_duration_seconds_bucket{le=\"0.0025\"} 0\n"));
	ck_assert(strstr(t, "svcnft_sync_duration_seconds_bucket{le=\"0.005\"} 1\n"));
	ck_assert(strstr(t, "svcnft_sync_duration_seconds_bucket{le=\"10\"} 1\n"));
	ck_assert(strstr(t, "svcnft_sync_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
	ck_assert(strstr(t, "svcnft_sync_duration_seconds_count 2\n"));
	ck_assert(strstr(t, "svcnft_syncs_total{result=\"ok\"} 3\n"));
	ck_assert(strstr(t, "svcnft_syncs_total{result=\"kernel_error\"} 0\n"));
	ck_assert(strstr(t, "svcnft_services 7\n"));
	ck_assert(strstr(t, "svcnft_healthy 1\n"));
	free(t);
}
END_TEST

static void drift_add(struct kernel_drift *d, const char *name, bool deleted)
{
	grow_array(&d->chains, &d->cap, d->n + 1, sizeof(*d->chains));
	d->chains[d->n++] = (struct kernel_drift_chain){ NFPROTO_IPV4,
							 xstrdup(name), deleted };
}

START_TEST(drift_views)
{
	struct rs_table last, view, read;
	struct kernel_drift d = { 0 };
	bool gone;

	rs_table_init(&last, NFPROTO_IPV4, "svcnft");
	rs_chain_add_rule(rs_table_add_chain(&last, "a"), RS_RULE_DROP);
	rs_chain_add_rule(rs_table_add_chain(&last, "b"), RS_RULE_DROP);
	rs_table_add_chain(&last, "c");
	drift_add(&d, "a", false);	/* flushed */
	drift_add(&d, "b", true);	/* deleted */
	drift_add(&d, "x", false);	/* someone else's, created */
	drift_add(&d, "c", true);	/* deleted, then created again */
	drift_add(&d, "c", false);
	ck_assert(watch_drift_view(&last, &d, NULL, &view, &gone));
	ck_assert(!gone);
	ck_assert_uint_eq(view.nchains, 3);
	ck_assert_str_eq(view.chains[0].name, "a");
	ck_assert_int_eq(view.chains[0].rules[0].kind, RS_RULE_UNKNOWN);
	ck_assert_str_eq(view.chains[1].name, "c");
	ck_assert_int_eq(view.chains[1].rules[0].kind, RS_RULE_UNKNOWN);
	ck_assert_str_eq(view.chains[2].name, "x");
	ck_assert_int_eq(last.chains[0].rules[0].kind, RS_RULE_DROP);	/* untouched */
	watch_drift_view_free(&view);

	/* Elements of a map changed: the map as read back replaces it. */
	rs_map_add_elem(rs_table_add_map(&last, "m", RS_SET_ADDRS), NULL);
	rs_map_add_elem(&last.maps[0], NULL);
	rs_table_init(&read, NFPROTO_IPV4, "svcnft");
	rs_map_add_elem(rs_table_add_map(&read, "m", RS_SET_ADDRS), NULL);
	d.maps[0][d.nmaps[0]++] = xstrdup("m");
	ck_assert(!watch_drift_view(&last, &d, NULL, &view, &gone));
	ck_assert(watch_drift_view(&last, &d, &read, &view, &gone));
	ck_assert_uint_eq(view.maps[0].nelems, 1);
	ck_assert_uint_eq(last.maps[0].nelems, 2);
	watch_drift_view_free(&view);
	rs_table_free(&read);

	d.sets_changed[0] = true;
	ck_assert(!watch_drift_view(&last, &d, NULL, &view, &gone));
	d.table_deleted[0] = true;
	ck_assert(watch_drift_view(&last, &d, NULL, &view, &gone));
	ck_assert(gone);
	d.inexact = true;
	ck_assert(!watch_drift_view(&last, &d, NULL, &view, &gone));
	kernel_drift_free(&d);
	rs_table_free(&last);
}
END_TEST

/* The view holds every kind the manifests hold, as reading them would:
 * the Node too, whose zone label --node-name looks up. */
START_TEST(tree_view_every_kind)
{
	char dir[] = "/tmp/svcnft-unit-watch-XXXXXX", *roots[1], *path;
	struct manifest_set view;
	struct diag_list dl = { 0 };
	struct watch_tree t;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/a.yaml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n"
	      "  labels:\n    topology.kubernetes.io/zone: z1\n---\n"
	      "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
	      "spec:\n  clusterIP: 198.18.0.1\n  ports:\n  - port: 80\n"
	      "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n", f);
	fclose(f);
	roots[0] = dir;
	ck_assert_int_eq(watch_tree_open(&t, roots, 1, 0), 0);
	watch_tree_view(&t, &view, &dl);
	ck_assert_uint_eq(dl.n, 0);
	ck_assert_uint_eq(view.nnodes, 1);
	ck_assert_uint_eq(view.nservices, 1);
	ck_assert_uint_eq(view.nskipped, 1);
	ck_assert_uint_eq(view.nfiles, 1);
	watch_view_free(&view);
	watch_tree_close(&t);
	diag_list_free(&dl);
	unlink(path);
	rmdir(dir);
	free(path);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("watch");

	tcase_add_test(tc, durations_as_go_writes_them);
	tcase_add_test(tc, bind_addresses);
	tcase_add_test(tc, metrics_text);
	tcase_add_test(tc, drift_views);
	tcase_add_test(tc, tree_view_every_kind);
	suite_add_tcase(s, tc);
	return s;
}
