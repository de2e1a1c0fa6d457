#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# LoadBalancer details with real traffic.
# ipMode: the client namespace also plays the real load balancer: it holds
# 198.19.255.31 and answers "lb" there, and the node routes that address
# to it. An ingress address with ipMode Proxy is not captured: a pod
# connecting to it reaches the load balancer, also when the Service has no
# endpoints (no reject); the VIP-mode address (and the same address
# without ipMode) is captured and reaches the pods, or is refused when
# there are none. A hostname-only entry is skipped with a -v note.
# allocateLoadBalancerNodePorts: false: the node port the Service would
# have been assigned is not open (refused by the node itself), the one the
# manifest gives still reaches the pods.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
sem_start
out=$E2E_WORKDIR
m=$(manifest_dir lb)
LB_PROXY=198.19.255.31

in_ns client ip addr add "$LB_PROXY/32" dev lo || e2e_bail "cannot give the client $LB_PROXY"
in_ns node ip route add "$LB_PROXY/32" via "$CLIENT_IP" ||
	e2e_bail "cannot route $LB_PROXY to the client"
# the load balancer answers pods directly, as a real one on the network would
in_ns client ip route add "$CLUSTER_CIDR" via "$NODE_IP" ||
	e2e_bail "cannot route the pods from the client"
start_pod lb client tcp:80

# services IPMODE_OF_31 [ALLOCATION] [ENDPOINTS]: the proxied Service (its
# second ingress address with the ipMode given, "" for none) and the one
# with two ports; ENDPOINTS "none" leaves the proxied one without its
# EndpointSlice.
services() {
	local mode="" alloc=""
	[ -n "$1" ] && mode=", ipMode: $1"
	[ -n "${2:-}" ] && alloc="allocateLoadBalancerNodePorts: $2"
	cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: proxied}
spec:
  type: LoadBalancer
  clusterIP: 198.19.0.60
  ports: [{name: tcp, port: 80, targetPort: 8080, nodePort: 30086}]
status:
  loadBalancer:
    ingress:
    - {ip: 198.19.255.30}
    - {ip: $LB_PROXY$mode}
    - {hostname: lb.example.test}
---
apiVersion: v1
kind: Service
metadata: {name: noports}
spec:
  type: LoadBalancer
  clusterIP: 198.19.0.61
  $alloc
  ports:
  - {name: tcp, port: 80, targetPort: 8080}
  - {name: udp, protocol: UDP, port: 81, targetPort: 8080, nodePort: 30087}
status: {loadBalancer: {ingress: [{ip: 198.19.255.32}]}}
$(sem_slice noports a b b)
YAML
	[ "${3:-}" = none ] || sem_slice proxied a b b
}

services Proxy >"$m/svc.yaml"
assert_exit "apply -v with an ipMode Proxy address" 0 svcnft_in node apply -v "$m"
assert_grep "-v: the Proxy address is not captured" \
	"ingress\[1\]: \"$LB_PROXY\" has ipMode Proxy: not captured" "$out/last.out"
assert_grep "-v: the hostname-only entry is skipped" \
	"ingress\[2\]: skipped: hostname \"lb.example.test\" only" "$out/last.out"
probe_in client tcp 198.19.255.30 80 -n "$EVERY_POD_PROBES" >"$out/vip"
assert_probe "the VIP-mode address reaches the pods" "pod1 pod2 pod3" "$out/vip"
probe_in pod2 tcp "$LB_PROXY" 80 -n 6 >"$out/proxy"
assert_probe "a pod reaches the Proxy-mode address's load balancer, not the pods" lb "$out/proxy"
probe_in node tcp "$LB_PROXY" 80 -n 6 >"$out/proxy-node"
assert_probe "... and so does the node" lb "$out/proxy-node"

services "" >"$m/svc.yaml"
assert_exit "apply with the same address without ipMode" 0 svcnft_in node apply "$m"
probe_in pod2 tcp "$LB_PROXY" 80 -n "$EVERY_POD_PROBES" >"$out/vip2"
assert_probe "without ipMode (VIP) the address is captured: the pods answer" \
	"pod1 pod2 pod3" "$out/vip2"

services Proxy "" none >"$m/svc.yaml"
assert_exit "apply with no endpoints" 0 svcnft_in node apply "$m"
probe_in client tcp 198.19.255.30 80 -n 3 -t 500 >"$out/vip-none"
assert_probe "no endpoints: the VIP-mode address is refused" refused "$out/vip-none"
probe_in pod2 tcp "$LB_PROXY" 80 -n 3 >"$out/proxy-none"
assert_probe "no endpoints: the Proxy-mode address still reaches its load balancer" \
	lb "$out/proxy-none"

# allocateLoadBalancerNodePorts: the port an assignment would take, from
# plan (no kernel involved), is open with the allocation and closed
# without it.
services Proxy >"$m/svc.yaml"
assigned=$("$SVCNFT" plan --backend nftables "$m" |
	sed -n 's/^[^.]*[{ ]tcp \. \([0-9]*\) : goto ext-default\/noports\/tcp\/80.*/\1/p')
[ -n "$assigned" ] || e2e_bail "plan assigned noports no node port"
assert_exit "apply with node ports allocated" 0 svcnft_in node apply "$m"
probe_in client tcp "$NODE_IP" "$assigned" -n "$EVERY_POD_PROBES" >"$out/alloc"
assert_probe "allocated: the assigned node port $assigned reaches the pods" \
	"pod1 pod2 pod3" "$out/alloc"
services Proxy false >"$m/svc.yaml"
assert_exit "apply with allocateLoadBalancerNodePorts: false" 0 svcnft_in node apply "$m"
probe_in client tcp "$NODE_IP" "$assigned" -n 3 -t 500 >"$out/noalloc"
assert_probe "not allocated: port $assigned is not a node port (the node refuses it)" \
	refused "$out/noalloc"
probe_in client udp "$NODE_IP" 30087 -n "$EVERY_POD_PROBES" >"$out/written"
assert_probe "not allocated: the node port written in the manifest still works" \
	"pod1 pod2 pod3" "$out/written"
probe_in client tcp 198.19.255.32 80 -n "$EVERY_POD_PROBES" >"$out/lbip"
assert_probe "not allocated: the load balancer address still reaches the pods" \
	"pod1 pod2 pod3" "$out/lbip"
t_done
