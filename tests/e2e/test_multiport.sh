#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Service with two named ports, each to its own targetPort: traffic to
# each Service port reaches the matching server in every Pod, never the
# other one.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
topo_up 3
for i in 1 2 3; do
	start_pod "pod$i-http" "pod$i" tcp:8080
	start_pod "pod$i-metrics" "pod$i" tcp:9100
done
out=$E2E_WORKDIR
m=$(manifest_dir multi)
for i in 1 2 3; do
	k8s_pod "app-$i" default "198.18.$i.2" app=multi "http:8080,metrics:9100"
done >"$m/pods.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: multi
spec:
  clusterIP: 198.19.0.20
  selector:
    app: multi
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - name: metrics
    port: 9090
    targetPort: 9100
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
probe_in node tcp 198.19.0.20 80 -n 60 >"$out/http"
assert_probe "port 80 reaches the 8080 server of every pod" \
	"pod1-http pod2-http pod3-http" "$out/http" || diag_ruleset
probe_in node tcp 198.19.0.20 9090 -n 60 >"$out/metrics"
assert_probe "port 9090 reaches the 9100 server of every pod" \
	"pod1-metrics pod2-metrics pod3-metrics" "$out/metrics"
probe_in client tcp 198.19.0.20 9090 -n 30 >"$out/metrics-client"
assert_probe "port 9090 from the client" \
	"pod1-metrics pod2-metrics pod3-metrics" "$out/metrics-client"
t_done
