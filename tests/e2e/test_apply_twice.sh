#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# apply is idempotent and replaces: applying the same manifests twice gives
# a byte-identical ruleset; applying a changed set takes effect (a removed
# Pod stops answering); applying the first set again restores exactly the
# first ruleset, and traffic follows each time.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
topo_up 3
for i in 1 2 3; do
	start_pod "pod$i" "pod$i" tcp:8080
done
out=$E2E_WORKDIR
m=$(manifest_dir everything)
k8s_everything "$m"
fewer=$(manifest_dir fewer)
k8s_everything "$fewer"
for i in 1 2; do
	k8s_pod "web-$i" default "198.18.$i.2" app=web,tier=front \
		"http:8080,metrics:9100,dns:5353/UDP"
done >"$fewer/pods.yaml"

assert_exit "first apply succeeds" 0 svcnft_in node apply "$m"
nft_in node list ruleset >"$out/first"
assert_exit "second apply of the same manifests succeeds" 0 svcnft_in node apply "$m"
nft_in node list ruleset >"$out/second"
assert_same_file "the ruleset is byte-identical after the second apply" \
	"$out/first" "$out/second"
probe_in node tcp 198.19.0.10 80 -n 30 >"$out/traffic1"
assert_probe "traffic reaches pod1..pod3" "pod1 pod2 pod3" "$out/traffic1"

assert_exit "apply without web-3 succeeds" 0 svcnft_in node apply "$fewer"
nft_in node list ruleset >"$out/fewer"
chain_rules "$out/fewer" svc-default/web >"$out/fewer.web"
assert_grep "the web Service's chain is still there" dnat "$out/fewer.web"
assert_no_grep "... without a DNAT to web-3" '198\.18\.3\.2' "$out/fewer.web"
probe_in node tcp 198.19.0.10 80 -n 30 >"$out/traffic2"
assert_probe "pod3 no longer answers" "pod1 pod2" "$out/traffic2"

assert_exit "apply of the first manifests again succeeds" 0 svcnft_in node apply "$m"
nft_in node list ruleset >"$out/third"
assert_same_file "the ruleset is byte-identical to the first apply" \
	"$out/first" "$out/third"
probe_in node tcp 198.19.0.10 80 -n 30 >"$out/traffic3"
assert_probe "pod3 answers again" "pod1 pod2 pod3" "$out/traffic3"
t_done
