#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# svcnft expose: what it prints is a Service svcnft check accepts and that
# selects the Pod; what it refuses, it refuses with kubectl's reasons.
. "$(dirname "$0")/lib.sh"
ops_init

m=$(manifest_dir in)
{
	k8s_pod redis default 198.18.1.2 app=redis,tier=8080 "redis:6379"
	k8s_pod multi default 198.18.2.2 app=multi "http:8080,dns:5353/UDP"
	printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: bare}\n'
	printf 'status: {phase: Running, podIP: 198.18.3.2}\n'
	k8s_pod other prod 198.18.4.2 app=other "http:80"
} >"$m/pods.yaml"
out="$E2E_WORKDIR/out"
mkdir -p "$out"

assert_exit "expose pod redis (the seed's example)" 0 \
	"$SVCNFT" expose pod redis --port=6379 --name redis-service -f "$m"
cp "$E2E_WORKDIR/last.out" "$out/redis-service.yaml"
assert_exit "svcnft check accepts it with the Pod" 0 "$SVCNFT" check "$m" "$out"
assert_grep "one endpoint: the Pod" '1 service, 1 endpoint,' "$E2E_WORKDIR/last.out"
"$SVCNFT" plan "$m" "$out" >"$E2E_WORKDIR/plan.nft"
assert_grep "plan DNATs to the Pod on 6379" 'dnat to 198\.18\.1\.2:6379' "$E2E_WORKDIR/plan.nft"
assert_grep "a numeric label value is quoted" '^    tier: "8080"$' "$out/redis-service.yaml"

assert_exit "expose pod multi: every container port" 0 \
	"$SVCNFT" expose po/multi --type NodePort -f "$m/pods.yaml"
cp "$E2E_WORKDIR/last.out" "$out/multi.yaml"
assert_grep "the UDP port keeps its protocol" 'protocol: UDP' "$out/multi.yaml"
assert_exit "check accepts the NodePort Service" 0 "$SVCNFT" check "$m" "$out"
assert_grep "two services, three endpoints, two node ports" \
	'2 services, 3 endpoints, 2 node ports' "$E2E_WORKDIR/last.out"

assert_exit "expose service: a copy under a new name" 0 \
	"$SVCNFT" expose svc redis-service --name redis-lb --type LoadBalancer \
	--node-port 30079 -f "$m" "$out"
cp "$E2E_WORKDIR/last.out" "$out/redis-lb.yaml"
assert_exit "check accepts all three" 0 "$SVCNFT" check "$m" "$out"
assert_grep "with 30079 as node port" 'nodePort: 30079' "$out/redis-lb.yaml"
assert_exit "-n finds a Pod of another namespace" 0 \
	"$SVCNFT" expose pod other -n prod --port 80 -f "$m"
assert_grep "the Service is in that namespace" '^  namespace: prod$' "$E2E_WORKDIR/last.out"

assert_exit "a Pod without labels: status 1" 1 "$SVCNFT" expose pod bare --port 80 -f "$m"
assert_grep "... saying why" 'Pod default/bare has no labels' "$E2E_WORKDIR/last.out"
assert_exit "a Pod that does not exist: status 1" 1 "$SVCNFT" expose pod nope --port 80 -f "$m"
assert_grep "... naming it" 'no Pod default/nope' "$E2E_WORKDIR/last.out"
assert_exit "a name taken by a Service: status 1" 1 \
	"$SVCNFT" expose pod redis --port 80 --name redis-service -f "$m" "$out"
assert_exit "a bad protocol: status 2" 2 "$SVCNFT" expose pod redis --port 80 --protocol tcp -f "$m"
assert_exit "--node-port with ClusterIP: status 2" 2 \
	"$SVCNFT" expose pod redis --port 80 --node-port 30001 -f "$m"
assert_exit "no -f: status 2" 2 "$SVCNFT" expose pod redis --port 80
assert_exit "expose service without --name: status 2" 2 \
	"$SVCNFT" expose service redis-service -f "$out"
t_done
