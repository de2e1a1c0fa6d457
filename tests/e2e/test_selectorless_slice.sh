#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Service without a selector takes its endpoints from the EndpointSlices
# labelled kubernetes.io/service-name: an endpoint with ready: false never
# answers.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
pods_up
out=$E2E_WORKDIR
m=$(manifest_dir sliced)
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: sliced
  namespace: default
spec:
  clusterIP: 198.19.0.50
  ports:
  - name: http
    protocol: TCP
    port: 80
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: sliced-x7k2p
  namespace: default
  labels:
    kubernetes.io/service-name: sliced
addressType: IPv4
ports:
- name: http
  protocol: TCP
  port: 8080
endpoints:
- addresses: ["198.18.1.2"]
  conditions:
    ready: true
- addresses: ["198.18.2.2"]
  conditions:
    ready: true
- addresses: ["198.18.3.2"]
  conditions:
    ready: false
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
svc_listing node "$out/table"
assert_grep "DNATs to the ready endpoints" "$(dnat_re '198\.18\.2\.2:8080')" "$out/table"
assert_no_grep "no DNAT to the not-ready endpoint" '198\.18\.3\.2' "$out/table"
probe_in node tcp 198.19.0.50 80 -n 60 >"$out/node"
assert_probe "the ready endpoints answer, the not-ready one never" \
	"pod1 pod2" "$out/node" || diag_file table "$out/table"
t_done
