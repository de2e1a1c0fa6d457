#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# targetPort given by name resolves per Pod: pod1 and pod2 name 8080 "http",
# pod3 names 8081 "http". Every pod also listens on the other port with a
# "-wrong" name, so a wrong resolution shows up as such an answer.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
topo_up 3
start_pod pod1 pod1 tcp:8080
start_pod pod1-wrong pod1 tcp:8081
start_pod pod2 pod2 tcp:8080
start_pod pod2-wrong pod2 tcp:8081
start_pod pod3 pod3 tcp:8081
start_pod pod3-wrong pod3 tcp:8080
out=$E2E_WORKDIR
m=$(manifest_dir named)
{
	k8s_pod api-1 default 198.18.1.2 app=api "http:8080,admin:9000"
	k8s_pod api-2 default 198.18.2.2 app=api "http:8080"
	k8s_pod api-3 default 198.18.3.2 app=api "admin:9000,http:8081"
} >"$m/pods.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: default
spec:
  clusterIP: 198.19.0.30
  selector:
    app: api
  ports:
  - name: web
    port: 80
    targetPort: http
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
svc_listing node "$out/table"
assert_grep "pod3's endpoint uses its own port 8081" \
	"$(dnat_re '198\.18\.3\.2:8081')" "$out/table"
assert_grep "pod1's endpoint uses port 8080" "$(dnat_re '198\.18\.1\.2:8080')" "$out/table"
probe_in node tcp 198.19.0.30 80 -n 90 >"$out/probe"
assert_probe "each pod answers on the port its container named http" \
	"pod1 pod2 pod3" "$out/probe" || diag_file table "$out/table"
t_done
