#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A NodePort Service is reached from outside (the client namespace) at the
# node's address and the node port, and still at its ClusterIP. A node port
# no Service owns is left alone: a server on the node itself answers it.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
pods_up
start_pod node-itself node tcp:30081
out=$E2E_WORKDIR
m=$(manifest_dir np)
web_pods >"$m/pods.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: web-np
  namespace: default
spec:
  type: NodePort
  clusterIP: 198.19.0.60
  selector:
    app: web
  ports:
  - name: http
    protocol: TCP
    port: 80
    targetPort: 8080
    nodePort: 30080
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
probe_in client tcp "$NODE_IP" 30080 -n 60 >"$out/np"
assert_probe "client -> $NODE_IP:30080 reaches pod1..pod3" \
	"pod1 pod2 pod3" "$out/np" || diag_ruleset
probe_in client tcp 198.19.0.60 80 -n "$EVERY_POD_PROBES" >"$out/cip"
assert_probe "the ClusterIP works too" "pod1 pod2 pod3" "$out/cip"
probe_in node tcp "$NODE_IP" 30080 -n "$EVERY_POD_PROBES" >"$out/local"
assert_probe "the node port from the node itself (output hook)" \
	"pod1 pod2 pod3" "$out/local"
probe_in client tcp "$NODE_IP" 30081 -n 2 >"$out/other"
assert_probe "a node port no Service owns is not redirected" node-itself "$out/other"
t_done
