#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Topology-aware routing with real traffic: three pods across two zones and
# two nodes -- pod1 and pod2 on node-a in zone-1, pod3 on node-b in zone-2
# (Node objects carry the zones). The one node namespace stands for either
# node through --node-name.
# Zone hints (each pod hinted for its own zone): on node-a the ClusterIP and
# the node port reach pod1 and pod2 only; on node-b pod3 only; --node-zone
# wins over the Node's label. Node hints (pod1 for node-a, pod2 and pod3
# for node-b) win over zone hints. The fall-backs reach every pod, with a
# -v note saying why: an unknown zone, a zone no hint names, a ready
# endpoint without hints; and node hints that name no endpoint for this
# node fall to the zone hints.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
sem_start
out=$E2E_WORKDIR
m=$(manifest_dir topology)

# endpoint IP NODE ZONE HINTS: one EndpointSlice endpoint.
endpoint() {
	local hints=""
	[ -n "$4" ] && hints=", hints: {$4}"
	echo "- {addresses: [$1], nodeName: $2, zone: $3$hints}"
}

# manifests HINTS_OF_POD2: the zonal Service (pod2's zone hint as given:
# "" for none) and the nodal one, with both Nodes.
manifests() {
	cat <<YAML
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {topology.kubernetes.io/zone: zone-1}}
---
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {topology.kubernetes.io/zone: zone-2}}
---
apiVersion: v1
kind: Service
metadata: {name: zonal}
spec:
  type: NodePort
  clusterIP: 198.19.0.50
  trafficDistribution: PreferClose
  ports: [{name: tcp, port: 80, targetPort: 8080, nodePort: 30085}]
$(sem_slice_head zonal)
$(endpoint 198.18.1.2 node-a zone-1 "forZones: [{name: zone-1}]")
$(endpoint 198.18.2.2 node-a zone-1 "$1")
$(endpoint 198.18.3.2 node-b zone-2 "forZones: [{name: zone-2}]")
---
apiVersion: v1
kind: Service
metadata: {name: nodal}
spec:
  clusterIP: 198.19.0.51
  ports: [{name: tcp, port: 80, targetPort: 8080}]
$(sem_slice_head nodal)
$(endpoint 198.18.1.2 node-a zone-1 "forNodes: [{name: node-a}], forZones: [{name: zone-1}]")
$(endpoint 198.18.2.2 node-a zone-1 "forNodes: [{name: node-b}], forZones: [{name: zone-1}]")
$(endpoint 198.18.3.2 node-b zone-2 "forNodes: [{name: node-b}], forZones: [{name: zone-2}]")
YAML
}

# reach NS ADDR PORT LABEL: the pods that answer EVERY_POD_PROBES
# connections, into $out/LABEL; prints them.
reach() {
	probe_in "$1" tcp "$2" "$3" -n "$EVERY_POD_PROBES" >"$out/$4"
	sem_pods "$out/$4"
}

apply_as() {
	assert_exit "apply -v $*" 0 svcnft_in node apply -v "$@" "$m"
}

manifests "forZones: [{name: zone-1}]" >"$m/svc.yaml"

apply_as --node-name node-a
assert_grep "-v: the zone comes from the Node's label" \
	"Node node-a: metadata.labels.topology.kubernetes.io/zone: this node's zone is \"zone-1\"" \
	"$out/last.out"
assert_eq "node-a (zone-1 from its Node): the ClusterIP reaches pod1 and pod2 only" \
	"pod1 pod2" "$(reach node 198.19.0.50 80 zone-a)"
assert_eq "node-a: the node port, from outside, reaches pod1 and pod2 only" \
	"pod1 pod2" "$(reach client "$NODE_IP" 30085 zone-a-np)"
assert_eq "node-a: node hints win over zone hints: pod1 only" \
	pod1 "$(reach node 198.19.0.51 80 node-a)"
assert_grep "-v says what the zone hints left" \
	"Service default/zonal: spec.ports\[0\]: port 80/tcp: topology hints for this zone: cluster traffic on this node uses 2 of 3 endpoints" \
	"$out/last.out"

apply_as --node-name node-b
assert_eq "node-b (zone-2): the ClusterIP reaches pod3 only" \
	pod3 "$(reach node 198.19.0.50 80 zone-b)"
assert_eq "node-b: node hints: pod2 and pod3" \
	"pod2 pod3" "$(reach node 198.19.0.51 80 node-b)"

apply_as --node-name node-b --node-zone zone-1
assert_eq "--node-zone wins over the Node's label: pod1 and pod2" \
	"pod1 pod2" "$(reach node 198.19.0.50 80 flag)"

# The fall-backs.
apply_as --node-name node-c
assert_eq "a node without a known zone: every pod" \
	"pod1 pod2 pod3" "$(reach node 198.19.0.50 80 nozone)"
assert_grep "-v: the zone is unknown" \
	"default/zonal: .*topology hints not used, so every endpoint is: zone hints: this node's zone is unknown" \
	"$out/last.out"

apply_as --node-name node-c --node-zone zone-1
assert_eq "node hints naming no endpoint for this node fall to zone hints" \
	"pod1 pod2" "$(reach node 198.19.0.51 80 node-c)"

apply_as --node-name node-a --node-zone zone-3
assert_eq "a zone no hint names: every pod" \
	"pod1 pod2 pod3" "$(reach node 198.19.0.50 80 zone-3)"
assert_grep "-v: no hint names the zone" \
	"default/zonal: .*zone hints: none names zone \"zone-3\"" "$out/last.out"

# (after an apply that leaves pod1 and pod2, so that a failed apply shows)
apply_as --node-name node-a
manifests "" >"$m/svc.yaml"
apply_as --node-name node-a
assert_eq "a ready endpoint without hints: every pod" \
	"pod1 pod2 pod3" "$(reach node 198.19.0.50 80 partial)"
assert_eq "... from outside through the node port too" \
	"pod1 pod2 pod3" "$(reach client "$NODE_IP" 30085 partial-np)"
assert_grep "-v: not every endpoint has hints" \
	"default/zonal: .*zone hints: 2 of 3 ready endpoints have them, not all" \
	"$out/last.out"
t_done
