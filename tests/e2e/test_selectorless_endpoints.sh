#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Service without a selector takes its endpoints from the core/v1
# Endpoints object of the same name: the ready addresses answer, the
# notReadyAddresses and a Pod whose labels look right do not.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
pods_up
out=$E2E_WORKDIR
m=$(manifest_dir legacy)
k8s_pod legacy-3 default 198.18.3.2 app=legacy http:8080 >"$m/pod.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: legacy
  namespace: default
  labels:
    app: legacy
spec:
  clusterIP: 198.19.0.40
  ports:
  - name: http
    protocol: TCP
    port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Endpoints
metadata:
  name: legacy
  namespace: default
subsets:
- addresses:
  - ip: 198.18.1.2
  - ip: 198.18.2.2
  notReadyAddresses:
  - ip: 198.18.3.2
  ports:
  - name: http
    port: 8080
    protocol: TCP
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
probe_in node tcp 198.19.0.40 80 -n 60 >"$out/node"
assert_probe "the Endpoints addresses answer, not the not-ready one" \
	"pod1 pod2" "$out/node" || diag_ruleset
probe_in client tcp 198.19.0.40 80 -n "$EVERY_POD_PROBES" >"$out/client"
assert_probe "the same from the client" "pod1 pod2" "$out/client"
t_done
