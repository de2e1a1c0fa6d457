#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The command line as a user meets it, without a kernel: every command's
# --help, empty input refused by apply and plan, plurals, notes and
# warnings, cluster-scoped names, running out of memory.
. "$(dirname "$0")/lib.sh"
ops_init
w=$E2E_WORKDIR

# svcnft CMD --help and svcnft help CMD: that command's usage, exit 0.
for c in $(svcnft_commands); do
	assert_exit "svcnft $c --help exits 0" 0 "$SVCNFT" "$c" --help
	assert_grep "... and prints the usage of $c" "^Usage: svcnft $c " "$w/last.out"
	cp "$w/last.out" "$w/help.out"
	assert_exit "svcnft help $c exits 0" 0 "$SVCNFT" help "$c"
	assert_same_file "... and prints the same" "$w/help.out" "$w/last.out"
done
assert_exit "svcnft plan -o json -h PATH: --help anywhere wins" 0 "$SVCNFT" plan -o json -h x.yaml
assert_grep "... and lists plan's options" '^  --diff ' "$w/last.out"
assert_no_grep "apply's usage does not list plan's --diff" '^  --diff ' "$(
	"$SVCNFT" apply --help >"$w/apply.help"; echo "$w/apply.help")"
assert_exit "svcnft help nosuch is a usage error (2)" 2 "$SVCNFT" help nosuch
assert_exit "a PATH named --help after -- is a path" 1 "$SVCNFT" check -- --help

# Manifests without a Service: what a failed kubectl get prints.
printf 'apiVersion: v1\nkind: List\nitems: []\n' >"$w/empty-list.yaml"
cat >"$w/deploy.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: v1
kind: Namespace
metadata: {name: ingress-nginx}
EOF
for f in empty-list.yaml deploy.yaml; do
	assert_exit "plan of $f exits 1" 1 "$SVCNFT" plan "$w/$f"
	assert_grep "... saying it holds no Service" \
		'^svcnft: the manifests hold no Service .*give --allow-empty if that is what you want; nothing applied$' \
		"$w/last.out"
	assert_exit "plan --allow-empty of $f exits 0" 0 "$SVCNFT" plan --allow-empty "$w/$f"
	assert_grep "... and plans an empty table" '^table ip svcnft \{' "$w/last.out"
	assert_exit "check of $f exits 0" 0 "$SVCNFT" check "$w/$f"
	assert_grep "... with the same text as a warning" \
		'^svcnft: warning: the manifests hold no Service .*refuse them without --allow-empty$' \
		"$w/last.out"
done
assert_grep "cluster-scoped objects are named without a namespace" \
	'note: skipped Namespace ingress-nginx:' "$(
	"$SVCNFT" check -v "$w/deploy.yaml" >"$w/v.out" 2>&1; echo "$w/v.out")"
assert_grep "namespaced ones with it" 'note: skipped Deployment default/web:' "$w/v.out"
assert_grep "one object is 'object'" ', 2 objects skipped$' "$w/v.out"

# Plurals, notes (-v) and warnings (always).
cat >"$w/one.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  ports: [{port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{port: 8080}]
endpoints: [{addresses: [198.18.1.2]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
EOF
assert_exit "check of one Service exits 0" 0 "$SVCNFT" check "$w/one.yaml"
assert_grep "... in the singular" '^svcnft: valid: 1 service, 1 endpoint, 1 node port, 1 object skipped$' \
	"$w/last.out"
assert_grep "Local without --node-name is a warning without -v" \
	'one.yaml:6: warning: Service default/web: spec.externalTrafficPolicy: Local without --node-name' "$w/last.out"
assert_no_grep "... and notes are not shown" 'note:' "$w/last.out"
assert_exit "check -v exits 0" 0 "$SVCNFT" check -v "$w/one.yaml"
assert_grep "-v notes the assigned ClusterIP" \
	'one.yaml:5: note: Service default/web: spec.clusterIP: assigned 10\.[0-9.]+ from --service-cidr 10.96.0.0/12' "$w/last.out"
assert_grep "-v notes the assigned node port" \
	'one.yaml:7: note: Service default/web: spec.ports\[0\].nodePort: assigned 3[0-9]+ from --nodeport-range 30000-32767' \
	"$w/last.out"
assert_exit "check --node-name exits 0" 0 "$SVCNFT" check --node-name node-a "$w/one.yaml"
assert_no_grep "... without the warning" 'warning:' "$w/last.out"

# 2,300 Services selecting the same 2,300 Pods (a 0.5 MB file) would be
# 5.3 million endpoints: refused by counting, before memory is spent.
awk 'BEGIN { n = 2300
	for (i = 0; i < n; i++) {
		printf "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d}\n", i
		printf "spec: {clusterIP: 198.19.%d.%d, selector: {app: x}, ports: [{port: 80}]}\n", i / 250, i % 250 + 1
	}
	for (i = 0; i < n; i++) {
		printf "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d, labels: {app: x}}\n", i
		printf "status: {podIP: 198.18.%d.%d}\n", i / 250, i % 250 + 1
	} }' >"$w/bomb.yaml"
peak_max=65536
# AddressSanitizer keeps up to 256 MiB of freed memory in quarantine, plus
# its shadow: 550 MiB was seen; unbounded, the 5.3 million endpoints would
# need several GiB there.
[ "${SVCNFT_SANITIZE:-}" = 1 ] && peak_max=1048576
if [ -x /usr/bin/time ]; then
	assert_exit "Services multiplying Pods past the limit: exit 1" 1 \
		/usr/bin/time -f 'peak %M KiB' "$SVCNFT" check "$w/bomb.yaml"
	assert_range "... in bounded memory (KiB)" 1 "$peak_max" "$(sed -n 's/^peak \([0-9]*\) KiB$/\1/p' "$w/last.out")"
else
	assert_exit "Services multiplying Pods past the limit: exit 1" 1 "$SVCNFT" check "$w/bomb.yaml"
fi
assert_grep "... naming the Service and the limit" \
	'bomb.yaml:[0-9]+: Service default/s[0-9]+: brings the endpoints of all Services to [0-9]+, more than the limit of 5000000 in all' \
	"$w/last.out"

# Running out of memory: one line, exit 1, no core dump. Address-space
# limits and the sanitizers' shadow memory do not mix.
if [ "${SVCNFT_SANITIZE:-}" = 1 ]; then
	skip "out of memory is one line and exit 1" "ulimit -v under sanitizers"
else
	awk 'BEGIN { for (i = 0; i < 2000; i++) {
		printf "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d}\n", i
		printf "spec: {clusterIP: 198.19.%d.%d, ports: [{port: 80}]}\n", i / 250, i % 250 + 1
		printf "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		printf "metadata: {name: s%d-a, labels: {kubernetes.io/service-name: s%d}}\n", i, i
		printf "addressType: IPv4\nports: [{port: 8080}]\nendpoints:\n"
		for (e = 0; e < 100; e++) printf "- addresses: [198.18.%d.%d]\n", e, i % 250 + 1
	} }' >"$w/big.yaml"
	assert_exit "check with too little memory exits 1" 1 sh -c \
		'ulimit -v 40000 && exec "$1" check "$2"' _ "$SVCNFT" "$w/big.yaml"
	assert_eq "... printing one line" "svcnft: out of memory; nothing applied" "$(cat "$w/last.out")"
	assert_exit "with enough it exits 0" 0 "$SVCNFT" check "$w/big.yaml"
fi
t_done
