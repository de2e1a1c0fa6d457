#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# e2e-backends: nftables (explain reads the nftables backend's tables)
#
# svcnft explain --live: the connections it traces are the ones made, each
# with the endpoint it really reached (the same pods, in the same order, as
# 10 connections from the client saw) and the chains it passed, or the
# reject of a Service without endpoints; the
# temporary table is gone after SIGTERM, SIGINT and the end of the
# duration, a table a crashed run left is removed by the next run, and the
# rest of the ruleset is byte-for-byte unchanged.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
e2e_init
need_svcnft
. "$(dirname "$0")/explain_lib.sh"
sem_up
out=$E2E_WORKDIR
m=$(manifest_dir live)
cat >"$m/svc.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: 198.19.0.10
  ports: [{name: tcp, port: 80, targetPort: 8080}]
$(sem_slice web node node node)
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  clusterIP: 198.19.0.14
  ports: [{name: tcp, port: 80, targetPort: 8080}]
YAML
assert_exit "apply" 0 svcnft_in node apply --cluster-cidr "$CLUSTER_CIDR" "$m"
ruleset_snapshot node "$out/before"

live_start ip "$out/live.json" --live 25 -o json --from "$CLIENT_IP" 198.19.0.10:80
assert_grep "the temporary table marks the connections with nftrace" "nftrace set 1" \
	"$(nft_in node list table ip svcnft-explain >"$out/tmp.nft" 2>&1; echo "$out/tmp.nft")"
probe_in client tcp 198.19.0.10 80 -n 10 -s "$CLIENT_IP" >"$out/live.probe"
sleep 0.5
live_stop TERM
assert_eq "SIGTERM: explain --live exits 0" 0 "$?"
diag_file "explain --live stderr" "$out/live.json.err"
assert_eq "one line per connection" 10 "$(wc -l <"$out/live.json" | tr -d ' ')"
assert_eq "every line is a JSON object with source, endpoint and chains" 10 \
	"$(jq -c 'select(.source and .endpoint and (.chains | length > 0))' "$out/live.json" | wc -l | tr -d ' ')"
assert_eq "the traced endpoints are the pods the 10 connections reached, in order" \
	"$(probe_pods "$out/live.probe")" "$(live_pods "$out/live.json")"
assert_eq "the sources are the client's" "$CLIENT_IP" \
	"$(jq -r .source "$out/live.json" | sed 's/:[0-9]*$//' | sort -u)"
assert_eq "each passed prerouting, services and the Service's chain" 10 \
	"$(jq -c 'select(.chains | index("prerouting") and index("services") and index("svc-default/web/tcp/80"))' "$out/live.json" | wc -l | tr -d ' ')"
assert_eq "masquerade shows: the pods see the node, not the client" \
	"$(sem_sources "$out/live.probe")" \
	"$(jq -r .seen_source "$out/live.json" | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ' | sed 's/ $//')"
assert_no_table "after SIGTERM"
ruleset_snapshot node "$out/after"
assert_same_file "the rest of the ruleset is unchanged" "$out/before" "$out/after"

# text form, stopped with SIGINT
live_start ip "$out/live.txt" --live 25 198.19.0.10:80
probe_in node tcp 198.19.0.10 80 -n 2 >"$out/text.probe"
sleep 0.5
live_stop INT
assert_eq "SIGINT: explain --live exits 0" 0 "$?"
assert_eq "text: one line per connection" 2 "$(grep -c ': dnat 198\.18\.[123]\.2:8080' "$out/live.txt")"
assert_no_table "after SIGINT"

# a Service without endpoints: rejected, and said so
live_start ip "$out/reject.json" --live 25 -o json 198.19.0.14:80
probe_in client tcp 198.19.0.14 80 -n 2 -t 1000 >"$out/reject.probe"
sleep 0.5
live_stop TERM
assert_probe "no endpoints: refused" refused "$out/reject.probe"
assert_eq "no endpoints: both connections traced as rejected in the Service's chain" \
	"reject svc-default/empty/tcp/80
reject svc-default/empty/tcp/80" \
	"$(jq -r '"\(.verdict) \(.chains[-1])"' "$out/reject.json")"

# a crashed run's table: the next run removes it, and its own at the end
nft_in node add table ip svcnft-explain
nft_in node add chain ip svcnft-explain prerouting '{ type filter hook prerouting priority -300; }'
assert_exit "a run after a crash (table left behind) works" 0 \
	svcnft_in node explain --live 1 198.19.0.10:80
assert_no_table "after a crash and a 1s run"
assert_exit "--live with --plan is a usage error" 2 \
	svcnft_in node explain --live 1 --plan "$m" 198.19.0.10:80
for bad in 0 0s 30x 25h; do
	assert_exit "--live $bad is a usage error" 2 svcnft_in node explain --live "$bad" 198.19.0.10:80
done
assert_grep "the message names the forms" "e.g. 30, 30s, 5m" "$E2E_WORKDIR/last.out"
t_done
