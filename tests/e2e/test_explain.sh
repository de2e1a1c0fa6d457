#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# e2e-backends: nftables (explain reads the nftables backend's tables)
#
# svcnft explain against the kernel's rules and real connections: for a
# ClusterIP (from the node, a pod, outside the cluster CIDR), a node port
# with the Cluster and the Local policy, an external IP, a load balancer
# with source ranges (inside admitted, outside dropped), a Service without
# endpoints (reject), a UDP port, internalTrafficPolicy Local, an undefined
# port (reject) and an unknown address
# (none), and session affinity (its timeout, then the endpoint a client is
# pinned to), the endpoints explain reports are the pods 60 connections reach,
# with probabilities summing to 1, and masquerade is what the pods see.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
e2e_init
need_svcnft
. "$(dirname "$0")/explain_lib.sh"
sem_up
ip -n "$(ns_name client)" addr add 198.18.200.3/24 dev eth0
out=$E2E_WORKDIR
m=$(manifest_dir explain)
N=$EVERY_POD_PROBES

# service NAME TYPE CLUSTER_IP PORT [NODE_PORT] [EXTRA SPEC LINES]
service() {
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s}\nspec:\n' "$1"
	printf '  type: %s\n  clusterIP: %s\n' "$2" "$3"
	printf '  ports: [{name: tcp, port: %s, targetPort: 8080%s}]\n' "$4" \
		"${5:+, nodePort: $5}"
	[ -z "${6:-}" ] || printf '%s\n' "$6"
}
{
	service web ClusterIP 198.19.0.10 80 "" "  externalIPs: [198.19.254.1]"
	sem_slice web node node node
	service np NodePort 198.19.0.11 80 30080
	sem_slice np node other other
	service local NodePort 198.19.0.12 80 30081 "  externalTrafficPolicy: Local"
	sem_slice local node other other
	service remote NodePort 198.19.0.13 80 30082 "  externalTrafficPolicy: Local"
	sem_slice remote other other other
	service lb LoadBalancer 198.19.0.15 80 30083 "  loadBalancerSourceRanges: [198.18.200.2/32]"
	printf 'status: {loadBalancer: {ingress: [{ip: 198.19.255.4}]}}\n'
	sem_slice lb node node other
	service empty ClusterIP 198.19.0.14 80
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: dns}\n'
	printf 'spec:\n  clusterIP: 198.19.0.16\n'
	printf '  ports: [{name: udp, protocol: UDP, port: 53, targetPort: 8080}]\n'
	sem_slice dns node node node
	service sticky ClusterIP 198.19.0.17 80 "" "  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}"
	sem_slice sticky node node node
	service ilocal ClusterIP 198.19.0.18 80 "" "  internalTrafficPolicy: Local"
	sem_slice ilocal node other other
} >"$m/svc.yaml"
assert_exit "apply" 0 svcnft_in node apply --cluster-cidr "$CLUSTER_CIDR" \
	--node-name node "$m"

# case NAME PROBE_NS PROBE_SOURCE ADDR PORT [EXPLAIN ARGS]: explain and probe.
run_case() {
	local name=$1 ns=$2 src=$3 addr=$4 port=$5
	shift 5
	explain_json "$out/$name.json" "$@" "$addr:$port"
	probe_in "$ns" tcp "$addr" "$port" -n "$N" ${src:+-s "$src"} >"$out/$name.probe"
}

run_case cip-node node "" 198.19.0.10 80
assert_verdict "ClusterIP from the node" "$out/cip-node.json" dnat
assert_eq "ClusterIP from the node: kind" "ClusterIP default/web" \
	"$(explain_field "$out/cip-node.json" '.kind + " " + .service')"
assert_explained "ClusterIP from the node" "$out/cip-node.json" "$out/cip-node.probe"
# the node's route to the Service range leaves with $NODE_IP: not a pod
assert_eq "from the node: its source, masqueraded" "$NODE_IP node true" \
	"$(explain_field "$out/cip-node.json" '"\(.source) \(.from) \(.masquerade)"')"
assert_no_grep "from the node: no pod sees $NODE_IP" " 198\.18\.200\.1\$" "$out/cip-node.probe"

run_case cip-pod pod2 "" 198.19.0.10 80 --from 198.18.2.2
assert_explained "ClusterIP from a pod" "$out/cip-pod.json" "$out/cip-pod.probe"
assert_eq "from a pod: not masqueraded" "false pod" \
	"$(explain_field "$out/cip-pod.json" '"\(.masquerade) \(.from)"')"
assert_eq "from a pod: the other pods see the pod's address" "198.18.2.2" \
	"$(grep -v '^pod2 ' "$out/cip-pod.probe" | sem_sources /dev/stdin)"

run_case cip-out client 198.18.200.2 198.19.0.10 80 --from 198.18.200.2
assert_explained "ClusterIP from outside" "$out/cip-out.json" "$out/cip-out.probe"
assert_eq "from outside the cluster CIDR: masqueraded" "true outside" \
	"$(explain_field "$out/cip-out.json" '"\(.masquerade) \(.from)"')"
assert_no_grep "from outside: no pod sees the client's address" " 198\.18\.200\.2\$" \
	"$out/cip-out.probe"

run_case np client 198.18.200.2 "$NODE_IP" 30080 --from 198.18.200.2
assert_explained "NodePort, policy Cluster" "$out/np.json" "$out/np.probe"
assert_eq "NodePort, policy Cluster: kind, masquerade" "NodePort true" \
	"$(explain_field "$out/np.json" '"\(.kind) \(.masquerade)"')"

run_case local client 198.18.200.2 "$NODE_IP" 30081 --from 198.18.200.2
assert_explained "NodePort, policy Local" "$out/local.json" "$out/local.probe"
assert_eq "NodePort, policy Local: the local pod only, client address kept" \
	"pod1 false 198.18.200.2" \
	"$(explain_pods "$out/local.json") $(explain_field "$out/local.json" .masquerade) $(sem_sources "$out/local.probe")"

explain_json "$out/remote.json" --from 198.18.200.2 "$NODE_IP:30082"
assert_verdict "NodePort, policy Local, no local endpoint" "$out/remote.json" drop \
	"Local policy with no local endpoint"
probe_in client tcp "$NODE_IP" 30082 -n 3 -t 500 -s 198.18.200.2 >"$out/remote.probe"
assert_probe "NodePort, policy Local, no local endpoint: dropped" timeout "$out/remote.probe"

run_case ext client 198.18.200.2 198.19.254.1 80 --from 198.18.200.2
assert_explained "external IP" "$out/ext.json" "$out/ext.probe"
assert_eq "external IP: kind" ExternalIP "$(explain_field "$out/ext.json" .kind)"

run_case lb-in client 198.18.200.2 198.19.255.4 80 --from 198.18.200.2
assert_explained "load balancer, source inside the ranges" "$out/lb-in.json" "$out/lb-in.probe"
assert_eq "load balancer: kind" LoadBalancerIP "$(explain_field "$out/lb-in.json" .kind)"
explain_json "$out/lb-out.json" --from 198.18.200.3 198.19.255.4:80
assert_verdict "load balancer, source outside the ranges" "$out/lb-out.json" drop "source range"
probe_in client tcp 198.19.255.4 80 -n 3 -t 500 -s 198.18.200.3 >"$out/lb-out.probe"
assert_probe "load balancer, source outside the ranges: dropped" timeout "$out/lb-out.probe"

explain_json "$out/empty.json" 198.19.0.14:80
assert_verdict "no endpoints" "$out/empty.json" reject "no endpoints"
assert_eq "no endpoints: the Service is named" "default/empty 0" \
	"$(explain_field "$out/empty.json" '.service + " " + (.endpoints | length | tostring)')"
probe_in node tcp 198.19.0.14 80 -n 3 -t 1000 >"$out/empty.probe"
assert_probe "no endpoints: refused" refused "$out/empty.probe"

explain_json "$out/port.json" 198.19.0.10:81
assert_verdict "a ClusterIP on a port no Service defines" "$out/port.json" reject "undefined port"
probe_in node tcp 198.19.0.10 81 -n 3 -t 1000 >"$out/port.probe"
assert_probe "undefined port: refused" refused "$out/port.probe"

explain_json "$out/none.json" --from 198.18.200.2 198.19.99.1:80
assert_verdict "an address no Service has" "$out/none.json" none
assert_eq "none: no service, no endpoint" "null 0" \
	"$(explain_field "$out/none.json" '"\(.service) \(.endpoints | length)"')"

explain_json "$out/dns.json" --from 198.18.2.2 198.19.0.16:53/udp
probe_in pod2 udp 198.19.0.16 53 -n "$N" >"$out/dns.probe"
assert_explained "a UDP ClusterIP (DEST /udp)" "$out/dns.json" "$out/dns.probe"
assert_eq "UDP: the protocol" udp "$(explain_field "$out/dns.json" .protocol)"

explain_json "$out/udp.json" --from 198.18.200.2 198.19.0.10:80/udp
assert_verdict "/udp: the TCP-only port is undefined for UDP" "$out/udp.json" reject "undefined port"

run_case ilocal pod2 "" 198.19.0.18 80 --from 198.18.2.2
assert_explained "internalTrafficPolicy Local: this node's endpoint only" \
	"$out/ilocal.json" "$out/ilocal.probe"

# Session affinity: its timeout; once the client has an entry in the
# kernel's affinity map, the one endpoint it is pinned to.
explain_json "$out/sticky.json" --from "$CLIENT_IP" 198.19.0.17:80
assert_eq "affinity: ClientIP, its timeout, not pinned yet, every endpoint" \
	"ClientIP 600 false 3" \
	"$(explain_field "$out/sticky.json" '"\(.affinity.type) \(.affinity.timeout) \(.affinity.pinned) \(.endpoints | length)"')"
probe_in client tcp 198.19.0.17 80 -n 1 -s "$CLIENT_IP" >"$out/sticky1.probe"
explain_json "$out/pinned.json" --from "$CLIENT_IP" 198.19.0.17:80
probe_in client tcp 198.19.0.17 80 -n 10 -s "$CLIENT_IP" >"$out/sticky.probe"
assert_eq "affinity: pinned after a first connection" "true 1" \
	"$(explain_field "$out/pinned.json" '"\(.affinity.pinned) \(.endpoints[0].probability)"')"
assert_explained "affinity: the pinned endpoint is the one the next connections reach" \
	"$out/pinned.json" "$out/sticky.probe"

# The text form: a numbered path and the verdict.
svcnft_in node explain --from 198.18.200.2 198.19.0.10:80 >"$out/text" 2>&1
assert_grep "text: a numbered path" '^ *1\. hook prerouting' "$out/text"
assert_grep "text: the verdict" '^verdict: dnat$' "$out/text"
assert_exit "--backend iptables is refused (exit 2)" 2 \
	"$SVCNFT" explain --backend iptables 198.19.0.10:80
assert_exit "--help exits 0" 0 "$SVCNFT" explain --help
t_done
