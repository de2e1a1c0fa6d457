#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# loadBalancerSourceRanges: connections to the load balancer IP from
# outside the ranges are dropped; from inside they pass. The node port of
# the same Service is not filtered (kube-proxy does the same).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
sem_start
ip -n "$(ns_name client)" addr add 198.18.200.3/24 dev eth0
ip -n "$(ns_name client)" route add 198.19.255.0/24 via "$NODE_IP" 2>/dev/null || true
out=$E2E_WORKDIR
m=$(manifest_dir ranges)
cat >"$m/svc.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: fw}
spec:
  type: LoadBalancer
  clusterIP: 198.19.0.40
  loadBalancerSourceRanges: [198.18.200.2/32, 203.0.113.0/24]
  ports: [{name: tcp, port: 80, targetPort: 8080, nodePort: 30083}]
status: {loadBalancer: {ingress: [{ip: 198.19.255.4}]}}
$(sem_slice fw a a a)
YAML
assert_exit "apply a load balancer with source ranges" 0 svcnft_in node apply "$m"
probe_in client tcp 198.19.255.4 80 -n 6 -s 198.18.200.2 >"$out/in"
assert_range "a client inside the ranges reaches the pods" 1 3 "$(count_of_pods "$out/in")"
probe_in client tcp 198.19.255.4 80 -n 3 -t 500 -s 198.18.200.3 >"$out/out"
assert_probe "a client outside the ranges is dropped" timeout "$out/out"
probe_in client tcp "$NODE_IP" 30083 -n 6 -s 198.18.200.3 >"$out/np"
assert_range "the node port is not filtered by the ranges" 1 3 "$(count_of_pods "$out/np")"
t_done
