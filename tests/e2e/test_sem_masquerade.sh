#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Masquerade (kube-proxy's rules): a client outside --cluster-cidr reaching
# a ClusterIP is masqueraded; a pod keeps its own source; an endpoint that
# reaches itself through its Service (hairpin) is masqueraded so the reply
# comes back; node port and external IP traffic (externalTrafficPolicy
# Cluster) is masqueraded; --masquerade-all masquerades everything. A live
# ClusterIP on a port its Service does not define is refused at once.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
sem_start
out=$E2E_WORKDIR
m=$(manifest_dir masq)
cat >"$m/svc.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  clusterIP: 198.19.0.10
  externalIPs: [198.19.100.1]
  ports: [{name: tcp, port: 80, targetPort: 8080, nodePort: 30080}]
$(sem_slice web a a a)
YAML

assert_exit "apply with --cluster-cidr" 0 svcnft_in node apply --cluster-cidr "$CLUSTER_CIDR" "$m"
probe_in client tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/client"
assert_eq "client -> ClusterIP: the pods see the node, not the client" \
	"198.18.1.1 198.18.2.1 198.18.3.1" "$(sem_sources "$out/client")"
probe_in pod2 tcp 198.19.0.10 80 -n 30 -t 500 >"$out/pod"
assert_grep "pod2 -> ClusterIP: another pod sees pod2's own address" \
	"^pod[13] 198\.18\.2\.2$" "$out/pod"
assert_grep "pod2 -> ClusterIP -> pod2 (hairpin) is answered, masqueraded" \
	"^pod2 198\.18\.2\.1$" "$out/pod"
assert_no_grep "no hairpin attempt is lost" "^timeout$" "$out/pod"
probe_in client tcp "$NODE_IP" 30080 -n "$EVERY_POD_PROBES" >"$out/np"
assert_eq "client -> NodePort: masqueraded" \
	"198.18.1.1 198.18.2.1 198.18.3.1" "$(sem_sources "$out/np")"
probe_in client tcp 198.19.100.1 80 -n "$EVERY_POD_PROBES" >"$out/ext"
assert_eq "client -> externalIP: reaches every pod" "pod1 pod2 pod3" "$(sem_pods "$out/ext")"
assert_eq "client -> externalIP: masqueraded" \
	"198.18.1.1 198.18.2.1 198.18.3.1" "$(sem_sources "$out/ext")"
probe_in client tcp 198.19.0.10 81 -n 3 -t 1000 >"$out/badport"
assert_probe "a live ClusterIP on an undefined port is refused at once" refused "$out/badport"

assert_exit "apply with --masquerade-all" 0 \
	svcnft_in node apply --cluster-cidr "$CLUSTER_CIDR" --masquerade-all "$m"
probe_in pod2 tcp 198.19.0.10 80 -n 20 -t 500 >"$out/all"
assert_no_grep "--masquerade-all: no pod sees pod2's own address" \
	" 198\.18\.2\.2$" "$out/all"
t_done
