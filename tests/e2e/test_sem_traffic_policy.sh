#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Traffic policies, with --node-name a: pod1 is on node a, pods 2 and 3
# on node b.
# externalTrafficPolicy: Local — from outside, node port, load balancer IP
# and external IP reach only pod1, and pod1 sees the client's own address;
# with no local endpoint the traffic is dropped (not refused); pods are not
# restricted (kube-proxy short-circuits them to every endpoint).
# internalTrafficPolicy: Local — ClusterIP traffic reaches only pod1; none
# local: dropped.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
sem_start
ip -n "$(ns_name client)" route add 198.19.255.0/24 via "$NODE_IP" 2>/dev/null || true
out=$E2E_WORKDIR
m=$(manifest_dir policy)

services() {
	cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: etp}
spec:
  type: LoadBalancer
  clusterIP: 198.19.0.20
  externalIPs: [198.19.100.2]
  externalTrafficPolicy: Local
  ports: [{name: tcp, port: 80, targetPort: 8080, nodePort: 30081}]
status: {loadBalancer: {ingress: [{ip: 198.19.255.2}]}}
$(sem_slice etp "$1" b b)
---
apiVersion: v1
kind: Service
metadata: {name: itp}
spec:
  clusterIP: 198.19.0.21
  internalTrafficPolicy: Local
  ports: [{name: tcp, port: 80, targetPort: 8080}]
$(sem_slice itp "$1" b b)
YAML
}

services a >"$m/svc.yaml"
assert_exit "apply with --node-name a" 0 \
	svcnft_in node apply --node-name a --cluster-cidr "$CLUSTER_CIDR" "$m"
for target in "$NODE_IP 30081" "198.19.255.2 80" "198.19.100.2 80"; do
	# shellcheck disable=SC2086 # address and port
	probe_in client tcp $target -n 12 >"$out/etp"
	assert_eq "ETP Local: client -> $target reaches only the local pod1" \
		pod1 "$(sem_pods "$out/etp")"
	assert_eq "ETP Local: pod1 sees the client's own address ($target)" \
		"$CLIENT_IP" "$(sem_sources "$out/etp")"
done
probe_in pod2 tcp "$NODE_IP" 30081 -n 30 -t 500 >"$out/etp-pod"
assert_grep "ETP Local: a pod reaching the node port is not restricted" \
	"^pod3 " "$out/etp-pod"
probe_in client tcp 198.19.0.20 80 -n "$EVERY_POD_PROBES" >"$out/etp-cluster"
assert_eq "ETP Local: the ClusterIP still reaches every pod" \
	"pod1 pod2 pod3" "$(sem_pods "$out/etp-cluster")"
probe_in node tcp 198.19.0.21 80 -n 12 >"$out/itp"
assert_eq "ITP Local: ClusterIP reaches only the local pod1" pod1 "$(sem_pods "$out/itp")"

services b >"$m/svc.yaml"
assert_exit "apply with no endpoint on node a" 0 \
	svcnft_in node apply --node-name a --cluster-cidr "$CLUSTER_CIDR" "$m"
probe_in client tcp "$NODE_IP" 30081 -n 3 -t 500 >"$out/etp-none"
assert_probe "ETP Local, none local: node port traffic is dropped (timeout)" \
	timeout "$out/etp-none"
probe_in node tcp 198.19.0.21 80 -n 3 -t 500 >"$out/itp-none"
assert_probe "ITP Local, none local: ClusterIP traffic is dropped (timeout)" \
	timeout "$out/itp-none"
t_done
