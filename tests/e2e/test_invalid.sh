#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Invalid manifests: apply exits 1 and programs nothing -- the kernel
# ruleset is byte-for-byte what it was, whether svcnft's table existed
# before or not, and even when valid manifests come along in the same run.
# Usage errors exit 2. Messages name the file they are about.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
ns_add node || e2e_bail "cannot create the node namespace"
out=$E2E_WORKDIR
good=$(manifest_dir good)
web_pods http:8080 >"$good/pods.yaml"
cat >"$good/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  clusterIP: 198.19.0.10
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, nodePort: 30100}
EOF

bad=$(manifest_dir bad)
svc() {	# svc NAME SPEC-LINES: a Service document
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: default}\n' "$1"
	printf 'spec:\n%s\n' "$2"
}
svc port-type '  clusterIP: 198.19.0.20
  ports: [{port: eighty}]' >"$bad/port-type.yaml"
svc port-range '  clusterIP: 198.19.0.21
  ports: [{port: 70000}]' >"$bad/port-range.yaml"
svc bad-ip '  clusterIP: 198.19.0.300
  ports: [{port: 80}]' >"$bad/bad-clusterip.yaml"
svc bad-proto '  clusterIP: 198.19.0.22
  ports: [{port: 80, protocol: XTP}]' >"$bad/bad-protocol.yaml"
{
	svc np-a '  type: NodePort
  clusterIP: 198.19.0.23
  ports: [{port: 80, nodePort: 30200}]'
	echo ---
	svc np-b '  type: NodePort
  clusterIP: 198.19.0.24
  ports: [{port: 80, nodePort: 30200}]'
} >"$bad/dup-nodeport.yaml"
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: broken\nspec:\n  ports: [{port: 80\n' \
	>"$bad/syntax.yaml"
printf 'apiVersion: v1\nkind: Service\nspec:\n  clusterIP: 198.19.0.25\n  ports: [{port: 80}]\n' \
	>"$bad/no-name.yaml"

# 1. No svcnft table yet.
ruleset_snapshot node "$out/empty.before"
assert_exit "apply of invalid manifests exits 1 (no table yet)" 1 \
	svcnft_in node apply "$bad/port-type.yaml"
ruleset_snapshot node "$out/empty.after"
assert_same_file "... and creates nothing" "$out/empty.before" "$out/empty.after"

# 2. A table from an earlier, valid apply must survive every invalid apply.
assert_exit "apply of valid manifests succeeds" 0 svcnft_in node apply "$good"
ruleset_snapshot node "$out/before"
svc_listing node "$out/listing"
assert_grep "the valid apply programmed svcnft's rules" "$(service_re default/web)" \
	"$out/listing"
for f in "$bad"/*.yaml; do
	name=$(basename "$f")
	assert_exit "apply $name exits 1" 1 svcnft_in node apply "$f"
	assert_grep "... and its message names $name" "$name" "$E2E_WORKDIR/last.out"
	ruleset_snapshot node "$out/after"
	assert_same_file "... and leaves the ruleset byte-identical" \
		"$out/before" "$out/after"
done
# What a failed `kubectl get` prints (an empty List), or Pods alone, holds
# no Service: applying it would remove every Service.
printf 'apiVersion: v1\nkind: List\nitems: []\n' >"$out/empty-list.yaml"
assert_exit "apply of an empty List exits 1" 1 svcnft_in node apply "$out/empty-list.yaml"
assert_grep "... saying that the manifests hold no Service" \
	'the manifests hold no Service .*--allow-empty' "$E2E_WORKDIR/last.out"
assert_exit "apply of Pods alone exits 1" 1 svcnft_in node apply "$good/pods.yaml"
ruleset_snapshot node "$out/after"
assert_same_file "... and both leave the ruleset byte-identical" \
	"$out/before" "$out/after"
assert_exit "apply of valid and invalid manifests together exits 1" 1 \
	svcnft_in node apply "$good" "$bad/dup-nodeport.yaml"
ruleset_snapshot node "$out/after"
assert_same_file "... and leaves the ruleset byte-identical" \
	"$out/before" "$out/after"

# 3. The other commands agree on validity; usage errors are 2.
assert_exit "check of valid manifests exits 0" 0 svcnft_in node check "$good"
assert_exit "check of invalid manifests exits 1" 1 svcnft_in node check "$bad/bad-clusterip.yaml"
assert_exit "plan of invalid manifests exits 1" 1 svcnft_in node plan "$bad/port-range.yaml"
assert_exit "no command at all is a usage error (2)" 2 svcnft_in node
assert_exit "an unknown command is a usage error (2)" 2 svcnft_in node frobnicate "$good"
assert_exit "an unknown option is a usage error (2)" 2 \
	svcnft_in node apply --no-such-option "$good"
assert_exit "a malformed --nodeport-range is a usage error (2)" 2 \
	svcnft_in node apply --nodeport-range banana "$good"
ruleset_snapshot node "$out/after"
assert_same_file "the ruleset is still byte-identical" "$out/before" "$out/after"

# 4. Every backend accepts the same manifests: session affinity, the
# traffic policies, source ranges and IPv6 are valid for either.
svc features '  type: LoadBalancer
  clusterIPs: [198.19.0.26, "2001:db8:ffff::26"]
  ipFamilyPolicy: RequireDualStack
  sessionAffinity: ClientIP
  externalTrafficPolicy: Local
  internalTrafficPolicy: Local
  loadBalancerSourceRanges: [198.18.200.0/24]
  ports: [{port: 80}]' >"$out/features.yaml"
assert_exit "check accepts affinity, Local policies, source ranges and IPv6" 0 \
	svcnft_in node check --cluster-cidr 198.18.0.0/20,198.18.64.0/20 "$out/features.yaml"
t_done
