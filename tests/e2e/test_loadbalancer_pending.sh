#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A LoadBalancer Service whose load balancer has not been provisioned (no
# status.loadBalancer.ingress) behaves as a NodePort Service: node port and
# ClusterIP work, and no load-balancer address is programmed.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
pods_up
out=$E2E_WORKDIR
m=$(manifest_dir lbp)
web_pods >"$m/pods.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: web-pending
  namespace: default
spec:
  type: LoadBalancer
  clusterIP: 198.19.0.71
  selector:
    app: web
  ports:
  - name: http
    protocol: TCP
    port: 80
    targetPort: 8080
    nodePort: 30091
status:
  loadBalancer: {}
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
probe_in client tcp "$NODE_IP" 30091 -n 60 >"$out/np"
assert_probe "client -> $NODE_IP:30091 reaches pod1..pod3" \
	"pod1 pod2 pod3" "$out/np" || diag_ruleset
probe_in client tcp 198.19.0.71 80 -n "$EVERY_POD_PROBES" >"$out/cip"
assert_probe "its ClusterIP works" "pod1 pod2 pod3" "$out/cip"
svc_listing node "$out/table"
assert_grep "the Service is programmed" "$(service_re default/web-pending)" "$out/table"
assert_no_grep "no load-balancer address is programmed" '198\.19\.255\.' "$out/table"
t_done
