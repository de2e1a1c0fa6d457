#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# e2e-backends: nftables (explain reads the nftables backend's tables; IPv6)
#
# svcnft explain over IPv6: DEST as [ADDR]:PORT reads table ip6 svcnft; for
# a ClusterIP (from the node, a pod, outside 2001:db8::/40) and a node port
# on the node's IPv6 address, the endpoints explain reports are the pods 60
# real connections reach, probabilities summing to 1; a Service without
# endpoints is a reject, an unknown address none; --live traces IPv6
# connections to the endpoints they reached.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
e2e_init
need_svcnft
. "$(dirname "$0")/explain_lib.sh"
topo_up 3
topo_up6
for i in 1 2 3; do
	start_pod -s "pod$i" "pod$i" tcp:8080
done
out=$E2E_WORKDIR
m=$(manifest_dir explain6)
N=$EVERY_POD_PROBES
{
	for i in 1 2 3; do
		k8s_pod "web-$i" default "198.18.$i.2,2001:db8:$i::2" app=web
	done
	for svc in web:web:30010:2001:db8:ffff::10 empty:nothing:30014:2001:db8:ffff::14; do
		name=${svc%%:*} rest=${svc#*:}
		sel=${rest%%:*} rest=${rest#*:}
		np=${rest%%:*} ip=${rest#*:}
		cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: $name, namespace: default}
spec:
  type: NodePort
  ipFamilyPolicy: SingleStack
  ipFamilies: [IPv6]
  clusterIP: "$ip"
  clusterIPs: ["$ip"]
  selector: {app: $sel}
  ports: [{name: tcp, protocol: TCP, port: 80, targetPort: 8080, nodePort: $np}]
YAML
	done
} >"$m/svc.yaml"
assert_exit "apply IPv6 Services" 0 svcnft_in node apply \
	--cluster-cidr 198.18.0.0/20,2001:db8::/40 "$m"

explain_json "$out/node.json" "[2001:db8:ffff::10]:80"
probe_in node tcp 2001:db8:ffff::10 80 -n "$N" >"$out/node.probe"
assert_verdict "ClusterIP from the node" "$out/node.json" dnat
assert_eq "the ip6 table is read" "ip6 svcnft ClusterIP [2001:db8:ffff::10]:80" \
	"$(explain_field "$out/node.json" '.table + " " + .kind + " " + .destination')"
assert_explained "IPv6 ClusterIP from the node" "$out/node.json" "$out/node.probe"

explain_json "$out/pod.json" --from 2001:db8:2::2 "[2001:db8:ffff::10]:80"
probe_in pod2 tcp 2001:db8:ffff::10 80 -n "$N" >"$out/pod.probe"
assert_explained "IPv6 ClusterIP from a pod" "$out/pod.json" "$out/pod.probe"
assert_eq "from a pod: not masqueraded" "false pod" \
	"$(explain_field "$out/pod.json" '"\(.masquerade) \(.from)"')"

explain_json "$out/client.json" --from "$CLIENT_IP6" "[2001:db8:ffff::10]:80"
probe_in client tcp 2001:db8:ffff::10 80 -n "$N" >"$out/client.probe"
assert_explained "IPv6 ClusterIP from outside" "$out/client.json" "$out/client.probe"
assert_eq "from outside: masqueraded" "true outside" \
	"$(explain_field "$out/client.json" '"\(.masquerade) \(.from)"')"
assert_no_grep "from outside: no pod sees the client's address" " $CLIENT_IP6\$" \
	"$out/client.probe"

explain_json "$out/np.json" --from "$CLIENT_IP6" "[$NODE_IP6]:30010"
probe_in client tcp "$NODE_IP6" 30010 -n "$N" >"$out/np.probe"
assert_explained "IPv6 node port" "$out/np.json" "$out/np.probe"
assert_eq "node port: kind" NodePort "$(explain_field "$out/np.json" .kind)"

explain_json "$out/empty.json" "[2001:db8:ffff::14]:80"
assert_verdict "IPv6, no endpoints" "$out/empty.json" reject "no endpoints"
explain_json "$out/none.json" "[2001:db8:ffff::99]:80"
assert_verdict "IPv6, an unknown address" "$out/none.json" none
live_start ip6 "$out/live.json" --live 20 -o json --from "$CLIENT_IP6" "[2001:db8:ffff::10]:80"
probe_in client tcp 2001:db8:ffff::10 80 -n 10 >"$out/live.probe"
sleep 0.5
live_stop TERM
assert_eq "--live over IPv6: the traced endpoints are the pods reached, in order" \
	"$(probe_pods "$out/live.probe")" "$(live_pods "$out/live.json")"
assert_eq "--live over IPv6: sources as [ADDR]:PORT" "[$CLIENT_IP6]" \
	"$(jq -r .source "$out/live.json" | sed 's/:[0-9]*$//' | sort -u)"
assert_no_table "--live over IPv6"
assert_exit "an IPv6 DEST without brackets is a usage error" 2 \
	"$SVCNFT" explain --plan "$m" 2001:db8:ffff::10:80
t_done
