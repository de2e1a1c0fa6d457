#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ExternalName Services and headless Services (clusterIP: None) are DNS
# matters: svcnft programs nothing for them -- no map element sends traffic
# their way and no chain of theirs DNATs -- while an ordinary Service next to
# them works. dump shows the ExternalName Service with its target.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
pods_up
out=$E2E_WORKDIR
m=$(manifest_dir dns)
web_pods http:8080 >"$m/pods.yaml"
cat >"$m/services.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  clusterIP: 198.19.0.90
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: headless
  namespace: default
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: ext
  namespace: default
spec:
  type: ExternalName
  externalName: db.example.invalid
  ports:
  - port: 5432
EOF

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
svc_listing node "$out/table"
assert_grep "the ordinary Service is programmed" "$(service_re default/web)" "$out/table"
for svc in headless ext; do
	assert_no_grep "no map element or rule leads to $svc" \
		"$(service_re "default/$svc")" "$out/table"
	service_rules "$out/table" "default/$svc" >"$out/rules-$svc"
	assert_no_grep "no DNAT in any chain of $svc" "$(dnat_re)" "$out/rules-$svc"
done
assert_eq "DNAT appears only for the ordinary Service's 3 endpoints" 3 \
	"$(grep -c -- "$(dnat_re)" "$out/table")"
probe_in node tcp 198.19.0.90 80 -n "$EVERY_POD_PROBES" >"$out/web"
assert_probe "the ordinary Service answers" "pod1 pod2 pod3" "$out/web"
t_check "svcnft dump succeeds" svcnft_in node dump
assert_grep "dump shows the ExternalName Service with its target" \
	'^# default/ext ExternalName -> db\.example\.invalid$' "$E2E_WORKDIR/check.out"
t_done
