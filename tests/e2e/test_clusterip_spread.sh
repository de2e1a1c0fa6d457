#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A ClusterIP Service with a selector spreads new connections evenly over the
# three Pods it selects. A Pod with other labels, and a Pod with the right
# labels (and even the same name) in another namespace, never answer.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
topo_up 5
for i in 1 2 3 4 5; do
	start_pod -s "pod$i" "pod$i" tcp:8080
done
out=$E2E_WORKDIR
m=$(manifest_dir web)
{
	k8s_pod web-1 default 198.18.1.2 app=web,tier=front
	k8s_pod web-2 default 198.18.2.2 app=web,tier=front
	k8s_pod web-3 default 198.18.3.2 app=web
	k8s_pod db-1 default 198.18.4.2 app=db
	k8s_pod web-1 other 198.18.5.2 app=web
} >"$m/pods.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  type: ClusterIP
  clusterIP: 198.19.0.10
  selector:
    app: web
  ports:
  - name: http
    protocol: TCP
    port: 80
    targetPort: 8080
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"

probe_in node tcp 198.19.0.10 80 -n 300 -t 1000 -q >"$out/node"
s=$(probe_summary "$out/node")
assert_probe "300 connections from the node: only pod1..pod3 answer" \
	"pod1 pod2 pod3" "$out/node" || diag_ruleset
for p in pod1 pod2 pod3; do
	assert_range "$p answered between 60 and 140 of 300" 60 140 \
		"$(count_of "$p" "$s")"
done
assert_eq "the pod with other labels never answered" 0 "$(count_of pod4 "$s")"
assert_eq "the pod in namespace other never answered" 0 "$(count_of pod5 "$s")"

probe_in client tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/client"
assert_probe "ClusterIP from the client namespace (prerouting hook)" \
	"pod1 pod2 pod3" "$out/client"
# svcnft's ruleset has no SNAT: the Pod sees the client as it is.
assert_eq "pods see the client's own address (not masqueraded)" "$EVERY_POD_PROBES" \
	"$(grep -cE '^pod[123] 198\.18\.200\.2$' "$out/client")"

probe_in pod4 tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/pod4"
assert_probe "ClusterIP from another pod (pod4, not selected)" \
	"pod1 pod2 pod3" "$out/pod4"
t_done
