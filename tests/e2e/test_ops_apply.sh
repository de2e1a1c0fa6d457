#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Operating svcnft: a Service made by `svcnft expose` applies and carries
# traffic; --metrics-file after a successful apply is valid Prometheus text
# with the documented values; dump -o json reads the kernel's table back as
# the same services plan -o json compiled.
#
# e2e-backends: nftables (dump -o json and the netlink metrics are the
# nftables backend's)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ops/lib.sh"
e2e_init
need_svcnft
command -v jq >/dev/null 2>&1 || e2e_skip_all "jq not installed (make test-deps)"
topo_up 2
start_pod pod1 pod1 tcp:6379
start_pod pod2 pod2 tcp:6379

m=$(manifest_dir pods)
{
	k8s_pod redis-1 default 198.18.1.2 app=redis "redis:6379"
	k8s_pod redis-2 default 198.18.2.2 app=redis "redis:6379"
} >"$m/pods.yaml"
svc=$(manifest_dir exposed)
assert_exit "expose pod redis-1 --port 6379 --name redis-service" 0 \
	"$SVCNFT" expose pod redis-1 --port 6379 --name redis-service -f "$m"
cp "$E2E_WORKDIR/last.out" "$svc/redis-service.yaml"
assert_exit "expose service redis-service as a NodePort" 0 \
	"$SVCNFT" expose service redis-service --name redis-np --type NodePort \
	--node-port 30379 -f "$m" "$svc"
cp "$E2E_WORKDIR/last.out" "$svc/redis-np.yaml"

prom="$E2E_WORKDIR/svcnft.prom"
opts="--service-cidr 198.19.0.0/16 --lock-file $E2E_WORKDIR/lock"
# shellcheck disable=SC2086 # opts is several words
assert_exit "apply of the exposed Services succeeds" 0 \
	svcnft_in node apply $opts --metrics-file "$prom" "$m" "$svc"

svcnft_in node dump -o json >"$E2E_WORKDIR/dump.json"
t_check "dump -o json is valid JSON" jq -e . "$E2E_WORKDIR/dump.json"
# shellcheck disable=SC2086
"$SVCNFT" plan -o json --service-cidr 198.19.0.0/16 "$m" "$svc" | jq -S .services >"$E2E_WORKDIR/plan.services"
jq -S .services "$E2E_WORKDIR/dump.json" >"$E2E_WORKDIR/dump.services"
assert_same_file "dump -o json shows the services plan -o json compiled" \
	"$E2E_WORKDIR/plan.services" "$E2E_WORKDIR/dump.services"
assert_eq "dump -o json says where it read from" "dump ip svcnft" \
	"$(jq -r '.command + " " + .table.family + " " + .table.name' "$E2E_WORKDIR/dump.json")"
ip=$(jq -r '.services[] | select(.name == "redis-service") | .addresses[0]' "$E2E_WORKDIR/dump.json")
diag "redis-service got ClusterIP $ip"

probe_in node tcp "$ip" 6379 -n 40 -t 1000 -q >"$E2E_WORKDIR/probe"
assert_probe "the exposed Service reaches both redis Pods" "pod1 pod2" "$E2E_WORKDIR/probe" ||
	diag_ruleset
probe_in client tcp "$NODE_IP" 30379 -n 20 -t 1000 -q >"$E2E_WORKDIR/probe-np"
assert_probe "the exposed NodePort reaches them from outside" "pod1 pod2" "$E2E_WORKDIR/probe-np"

check_metrics "metrics of a successful apply" "$prom"
v() { metric "$prom" "$1{table=\"svcnft\"}"; }
assert_eq "svcnft_last_run_success" 1 "$(v svcnft_last_run_success)"
assert_eq "svcnft_services" 2 "$(v svcnft_services)"
assert_eq "svcnft_endpoints" 4 "$(v svcnft_endpoints)"
assert_eq "svcnft_node_ports" 1 "$(v svcnft_node_ports)"
assert_eq "svcnft_transactions" 1 "$(v svcnft_transactions)"
assert_range "svcnft_netlink_messages" 5 1000 "$(v svcnft_netlink_messages)"
now=$(date +%s)
last=$(v svcnft_last_success_timestamp_seconds)
assert_range "svcnft_last_success_timestamp_seconds is now" $((now - 60)) $((now + 1)) "${last%.*}"

# A failing run afterwards keeps the last success.
bad=$(manifest_dir bad)
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 0}]}\n' >"$bad/x.yaml"
# shellcheck disable=SC2086
svcnft_in node apply $opts --metrics-file "$prom" "$bad" >/dev/null 2>&1
check_metrics "metrics of a failed apply" "$prom"
assert_eq "a failed run: success 0" 0 "$(v svcnft_last_run_success)"
assert_eq "... the last success is kept" "$last" "$(v svcnft_last_success_timestamp_seconds)"
# shellcheck disable=SC2086
svcnft_in node apply $opts --metrics-file "$prom" "$m" "$svc" >/dev/null
assert_eq "an apply with nothing to change: no transaction" 0 "$(v svcnft_transactions)"

svcnft_in node flush -q --lock-file "$E2E_WORKDIR/lock"
svcnft_in node dump -o json >"$E2E_WORKDIR/empty.json" 2>/dev/null
assert_eq "dump -o json of a missing table: valid, no services" 0 \
	"$(jq '.services | length' "$E2E_WORKDIR/empty.json")"
t_done
