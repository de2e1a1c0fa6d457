#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# UDP Services: datagrams to a UDP Service port reach every pod and the
# replies come back from the Service address (the probe's connected socket
# only accepts them from there). The same port number on TCP in the same
# Service goes to the TCP servers, and a UDP node port works from outside.
# (From a pod, the attempts that pick the pod itself are hairpin traffic:
# see test_hairpin.sh; only the other pods are required to answer.)

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
topo_up 3
for i in 1 2 3; do
	start_pod "pod$i-udp" "pod$i" udp:5353
	start_pod "pod$i-tcp" "pod$i" tcp:5353
done
out=$E2E_WORKDIR
m=$(manifest_dir dns)
for i in 1 2 3; do
	k8s_pod "dns-$i" kube-system "198.18.$i.2" k8s-app=kube-dns \
		"dns:5353/UDP,dns-tcp:5353/TCP"
done >"$m/pods.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
spec:
  type: NodePort
  clusterIP: 198.19.0.53
  selector:
    k8s-app: kube-dns
  ports:
  - name: dns
    protocol: UDP
    port: 53
    targetPort: dns
    nodePort: 30053
  - name: dns-tcp
    protocol: TCP
    port: 53
    targetPort: dns-tcp
    nodePort: 30054
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
probe_in node udp 198.19.0.53 53 -n 60 >"$out/node"
assert_probe "UDP from the node reaches every pod's UDP server" \
	"pod1-udp pod2-udp pod3-udp" "$out/node" || diag_ruleset
probe_in client udp 198.19.0.53 53 -n 60 >"$out/client"
assert_probe "UDP from the client reaches every pod's UDP server" \
	"pod1-udp pod2-udp pod3-udp" "$out/client"
probe_in pod2 udp 198.19.0.53 53 -n 30 -t 300 >"$out/pod"
s=$(probe_summary "$out/pod")
assert_range "UDP from pod2 reaches pod1 and pod3 (both)" 2 2 \
	"$(keys_of "$s" | tr ' ' '\n' | grep -cE '^pod[13]-udp$')"
probe_in node tcp 198.19.0.53 53 -n 30 >"$out/tcp"
assert_probe "TCP on the same port reaches the TCP servers" \
	"pod1-tcp pod2-tcp pod3-tcp" "$out/tcp"
probe_in client udp "$NODE_IP" 30053 -n 60 >"$out/np"
assert_probe "the UDP node port from the client" \
	"pod1-udp pod2-udp pod3-udp" "$out/np"
t_done
