#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Topology hints narrow cluster traffic only. On node-a (zone-1) with
# internalTrafficPolicy: Local, pod1 and pod2 on node-a but pod1 hinted for
# zone-2 (the EndpointSlice controller may lend an endpoint to another
# zone), pod3 on node-b in zone-2: the ClusterIP (Local) reaches both local
# pods, hints or not; the node port from outside (externalTrafficPolicy
# Cluster) reaches pod2 only, the one hinted for zone-1. With the nftables
# backend, dump and dump -o json show both choices per port (endpoints and
# localEndpoints); the iptables backend's dump is iptables-save's lines.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
sem_start
out=$E2E_WORKDIR
m=$(manifest_dir topology-local)

cat >"$m/svc.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: itp}
spec:
  type: NodePort
  clusterIP: 198.19.0.52
  internalTrafficPolicy: Local
  ports: [{name: tcp, port: 80, targetPort: 8080, nodePort: 30088}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: itp-x
  labels: {kubernetes.io/service-name: itp}
addressType: IPv4
ports: [{name: tcp, port: 8080, protocol: TCP}]
endpoints:
- {addresses: [198.18.1.2], nodeName: node-a, zone: zone-1, hints: {forZones: [{name: zone-2}]}}
- {addresses: [198.18.2.2], nodeName: node-a, zone: zone-1, hints: {forZones: [{name: zone-1}]}}
- {addresses: [198.18.3.2], nodeName: node-b, zone: zone-2, hints: {forZones: [{name: zone-2}]}}
YAML

assert_exit "apply --node-name node-a --node-zone zone-1" 0 \
	svcnft_in node apply --node-name node-a --node-zone zone-1 "$m"
probe_in node tcp 198.19.0.52 80 -n "$EVERY_POD_PROBES" >"$out/local"
assert_eq "internalTrafficPolicy Local: both local pods, whatever the hints" \
	"pod1 pod2" "$(sem_pods "$out/local")"
probe_in client tcp "$NODE_IP" 30088 -n "$EVERY_POD_PROBES" >"$out/cluster"
assert_eq "the node port (cluster traffic): pod2 only, hinted for zone-1" \
	pod2 "$(sem_pods "$out/cluster")"

if [ "$SVCNFT_BACKEND" != nftables ]; then
	# dump prints iptables-save lines there, and -o json is nftables only
	skip "dump and dump -o json show both choices" "the summary is nftables only"
	t_done
fi
svcnft_in node dump >"$out/dump.txt"
assert_grep "dump: the cluster choice, then the Local policy's" \
	"tcp/80 nodePort 30088 -> 198\.18\.2\.2:8080; local: 198\.18\.1\.2:8080 198\.18\.2\.2:8080\$" \
	"$out/dump.txt"
if command -v jq >/dev/null 2>&1; then
	svcnft_in node dump -o json >"$out/dump.json"
	assert_eq "dump -o json: endpoints, the cluster choice" "198.18.2.2:8080" \
		"$(jq -r '.services[] | select(.name == "itp") | .ports[0].endpoints |
			map("\(.address):\(.port)") | join(" ")' "$out/dump.json")"
	assert_eq "dump -o json: localEndpoints, the Local policy's" \
		"198.18.1.2:8080 198.18.2.2:8080" \
		"$(jq -r '.services[] | select(.name == "itp") | .ports[0].localEndpoints |
			map("\(.address):\(.port)") | join(" ")' "$out/dump.json")"
else
	skip "dump -o json shows both choices" "jq not installed"
fi
t_done
