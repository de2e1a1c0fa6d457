#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A LoadBalancer Service with status.loadBalancer.ingress[].ip is reached
# from outside at that IP (routed to the node, as a cloud load balancer
# would), and also at its node port and ClusterIP.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
pods_up
out=$E2E_WORKDIR
m=$(manifest_dir lb)
web_pods >"$m/pods.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: web-lb
  namespace: default
spec:
  type: LoadBalancer
  clusterIP: 198.19.0.70
  selector:
    app: web
  ports:
  - name: http
    protocol: TCP
    port: 80
    targetPort: 8080
    nodePort: 30090
status:
  loadBalancer:
    ingress:
    - ip: 198.19.255.10
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
probe_in client tcp 198.19.255.10 80 -n 60 >"$out/lb"
assert_probe "client -> ingress IP 198.19.255.10:80 reaches pod1..pod3" \
	"pod1 pod2 pod3" "$out/lb" || diag_ruleset
probe_in client tcp "$NODE_IP" 30090 -n "$EVERY_POD_PROBES" >"$out/np"
assert_probe "its node port works" "pod1 pod2 pod3" "$out/np"
probe_in client tcp 198.19.0.70 80 -n "$EVERY_POD_PROBES" >"$out/cip"
assert_probe "its ClusterIP works" "pod1 pod2 pod3" "$out/cip"
t_done
