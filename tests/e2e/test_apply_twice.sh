#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# apply is idempotent and replaces: applying the same manifests twice gives
# a byte-identical ruleset; applying a changed set takes effect (a removed
# Pod stops answering); applying the first set again restores exactly the
# first ruleset, and traffic follows each time. A Service that goes away
# leaves no chain behind and stops answering, and after all these applies
# svcnft is still hooked in by exactly one jump rule per hook.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
pods_up
out=$E2E_WORKDIR
m=$(manifest_dir everything)
k8s_everything "$m"
fewer=$(manifest_dir fewer)
k8s_everything "$fewer"
for i in 1 2; do
	k8s_pod "web-$i" default "198.18.$i.2" app=web,tier=front \
		"http:8080,metrics:9100,dns:5353/UDP"
done >"$fewer/pods.yaml"
# without the Service default/multi (198.19.0.13), every other one as in $m
gone=$(manifest_dir gone)
k8s_everything "$gone"
awk 'BEGIN { RS = "\n---\n"; ORS = "\n---\n" } !/name: multi, namespace: default/' \
	"$m/services.yaml" >"$gone/services.yaml"

assert_exit "first apply succeeds" 0 svcnft_in node apply "$m"
ruleset_snapshot node "$out/first"
assert_exit "second apply of the same manifests succeeds" 0 svcnft_in node apply "$m"
ruleset_snapshot node "$out/second"
assert_same_file "the ruleset is byte-identical after the second apply" \
	"$out/first" "$out/second"
probe_in node tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/traffic1"
assert_probe "traffic reaches pod1..pod3" "pod1 pod2 pod3" "$out/traffic1"

assert_exit "apply without web-3 succeeds" 0 svcnft_in node apply "$fewer"
svc_listing node "$out/fewer"
service_rules "$out/fewer" default/web >"$out/fewer.web"
assert_grep "the web Service's chain is still there" "$(dnat_re)" "$out/fewer.web"
assert_no_grep "... without a DNAT to web-3" '198\.18\.3\.2' "$out/fewer.web"
probe_in node tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/traffic2"
assert_probe "pod3 no longer answers" "pod1 pod2" "$out/traffic2"

assert_exit "apply of the first manifests again succeeds" 0 svcnft_in node apply "$m"
ruleset_snapshot node "$out/third"
assert_same_file "the ruleset is byte-identical to the first apply" \
	"$out/first" "$out/third"
probe_in node tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/traffic3"
assert_probe "pod3 answers again" "pod1 pod2 pod3" "$out/traffic3"

# A Service removed: its chains go, nothing refers to it, it stops answering.
svc_listing node "$out/with-multi"
service_chains "$out/with-multi" default/multi >"$out/multi.chains"
assert_eq "default/multi has a chain per port (2) before" 2 \
	"$(grep -c . "$out/multi.chains")"
probe_in node tcp 198.19.0.13 80 -n "$EVERY_POD_PROBES" >"$out/multi1"
assert_probe "default/multi answers before" "pod1 pod2 pod3" "$out/multi1"
assert_exit "apply without Service default/multi succeeds" 0 svcnft_in node apply "$gone"
svc_listing node "$out/without-multi"
assert_no_grep "no rule sends traffic to default/multi any more" \
	"$(service_re default/multi)" "$out/without-multi"
assert_no_grep "its chains are gone (no stale chain left)" \
	"$(sed 's/\./\\./g' "$out/multi.chains" | paste -sd '|' -)" "$out/without-multi"
probe_in node tcp 198.19.0.13 80 -n 3 -t 300 >"$out/multi2"
assert_probe "default/multi no longer answers" "timeout" "$out/multi2"
probe_in node tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/traffic4"
assert_probe "default/web still answers" "pod1 pod2 pod3" "$out/traffic4"

# Five applies in all: one jump rule per hook, none duplicated.
jump_rules "$out/without-multi" >"$out/jumps"
assert_eq "$(jump_rules_expected) jump rules into svcnft's chains after five applies" \
	"$(jump_rules_expected)" "$(grep -c . "$out/jumps")"
assert_eq "... all different" "$(grep -c . "$out/jumps")" \
	"$(sort -u "$out/jumps" | grep -c .)"
t_done
