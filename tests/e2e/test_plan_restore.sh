#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# plan --backend iptables prints the exact iptables-restore input apply
# programs: the plan loaded with `iptables-restore --noflush` in one fresh
# namespace and `svcnft apply --backend iptables` of the same manifests in
# another give the same iptables-save, and `svcnft dump` shows there every
# chain and rule the plan holds. The manifests hold, beside the usual
# Services, session affinity, both Local traffic policies, source ranges
# and an ExternalName Service, planned with two pod prefixes: every rule
# is written as iptables-save prints it back.
#
# e2e-backends: iptables (test_plan_apply.sh is the nftables counterpart)

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
ns_add planned || e2e_bail "cannot create a namespace"
ns_add applied || e2e_bail "cannot create a namespace"
out=$E2E_WORKDIR
m=$(manifest_dir everything)
k8s_everything "$m"
cat >"$m/features.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: sticky-local, namespace: default}
spec:
  type: LoadBalancer
  clusterIP: 198.19.0.120
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 300}}
  externalTrafficPolicy: Local
  internalTrafficPolicy: Local
  loadBalancerSourceRanges: [198.18.200.0/24, 0.0.0.0/0]
  ports: [{port: 80, targetPort: 8080, nodePort: 30120}]
status: {loadBalancer: {ingress: [{ip: 198.19.255.120}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: sticky-local-x, namespace: default, labels: {kubernetes.io/service-name: sticky-local}}
addressType: IPv4
ports: [{port: 8080, protocol: TCP}]
endpoints:
- {addresses: [198.18.1.2], nodeName: node-a}
- {addresses: [198.18.2.2], nodeName: node-b}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec: {type: ExternalName, externalName: db.example.invalid}
---
apiVersion: v1
kind: Service
metadata: {name: alias, namespace: default}
spec: {type: ExternalName, externalName: localhost}
YAML
opts="--node-name node-a --cluster-cidr 198.18.0.0/20,198.18.64.0/20"

# shellcheck disable=SC2086 # the options
svcnft_in planned plan $opts "$m" >"$out/plan" 2>"$out/plan.err"
assert_eq "svcnft plan --backend iptables exits 0" 0 $?
[ -s "$out/plan.err" ] && diag_file "plan stderr" "$out/plan.err"
t_check "iptables-restore --noflush loads the plan in a fresh namespace" \
	in_ns planned iptables-restore --noflush "$out/plan" ||
	diag_file plan "$out/plan"
# shellcheck disable=SC2086 # the options
assert_exit "svcnft apply succeeds in another fresh namespace" 0 \
	svcnft_in applied apply $opts "$m"
ruleset_snapshot planned "$out/planned"
ruleset_snapshot applied "$out/applied"
assert_same_file "the plan loaded with iptables-restore saves like apply" \
	"$out/planned" "$out/applied"

svcnft_in applied dump >"$out/dump" 2>&1
assert_eq "svcnft dump --backend iptables exits 0" 0 $?
grep -E '^-A ' "$out/plan" | sed 's/ --probability [0-9.]*//' | sort >"$out/plan.rules"
grep -E '^-A ' "$out/dump" | sed 's/ --probability [0-9.]*//' | sort >"$out/dump.rules"
assert_same_file "dump shows every rule of the plan, and no other" \
	"$out/plan.rules" "$out/dump.rules"
t_done
