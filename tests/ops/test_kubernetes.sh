#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/kubernetes/ is Kubernetes YAML that svcnft reads: check accepts it
# and skips its objects, none of which is a Service.
. "$(dirname "$0")/lib.sh"
ops_init

dir="$SVCNFT_ROOT/contrib/kubernetes"
assert_exit "svcnft check -v accepts contrib/kubernetes/" 0 "$SVCNFT" check -v "$dir"
assert_grep "and warns that it holds no Service" \
	'^svcnft: warning: the manifests hold no Service .*without --allow-empty$' "$E2E_WORKDIR/last.out"
assert_grep "no services, six objects skipped" \
	'valid: 0 services, 0 endpoints, 0 node ports, 6 objects skipped' "$E2E_WORKDIR/last.out"
for kind in Namespace ServiceAccount ClusterRole ClusterRoleBinding DaemonSet; do
	assert_grep "the $kind is read and skipped" "note: skipped $kind " "$E2E_WORKDIR/last.out"
done
y="$dir/svcnft.yaml"
assert_grep "the DaemonSet runs in the host's network namespace" '^      hostNetwork: true$' "$y"
assert_grep "with NET_ADMIN" 'add: \[NET_ADMIN\]' "$y"
assert_grep "with its own Node (its zone)" 'kubectl get node "\$NODE_NAME" -o yaml' "$y"
assert_grep "with the node's name" 'svcnft apply -q --node-name "\$NODE_NAME"' "$y"

# The container's loop, run once with stand-ins for kubectl, svcnft and
# sleep: svcnft applies what kubectl printed only when kubectl succeeded
# (a failing kubectl may print an empty List: that must not be applied).
awk '/^        - \|$/ { on = 1; next } on && /^          / { print substr($0, 11); next }
	on { exit }' "$y" | sed "s|/tmp/|$E2E_WORKDIR/|" >"$E2E_WORKDIR/loop.sh"
mkdir "$E2E_WORKDIR/bin"
cat >"$E2E_WORKDIR/bin/kubectl" <<'EOS'
#!/bin/sh
printf 'apiVersion: v1\nkind: List\nitems: []\n'
echo "Error from server (Forbidden)" >&2
exit "$KUBECTL_STATUS"
EOS
cat >"$E2E_WORKDIR/bin/svcnft" <<'EOS'
#!/bin/sh
{ echo "args: $*"; cat; } >>"$APPLIED"
EOS
printf '#!/bin/sh\nkill "$PPID"\n' >"$E2E_WORKDIR/bin/sleep"
chmod +x "$E2E_WORKDIR/bin/"*
run_loop() {
	rm -f "$E2E_WORKDIR/applied"
	PATH="$E2E_WORKDIR/bin:$PATH" KUBECTL_STATUS=$1 NODE_NAME=node-a INTERVAL=1 \
		APPLIED="$E2E_WORKDIR/applied" sh "$E2E_WORKDIR/loop.sh" >"$E2E_WORKDIR/loop.out" 2>&1
	touch "$E2E_WORKDIR/applied"
}
run_loop 1
assert_eq "a failing kubectl: nothing is applied" "" "$(cat "$E2E_WORKDIR/applied")"
assert_grep "a failing kubectl: the loop says so" 'kubectl get failed \(exit status 1\)' \
	"$E2E_WORKDIR/loop.out"
run_loop 0
assert_grep "a working kubectl: its output is applied" '^kind: List$' "$E2E_WORKDIR/applied"
assert_grep "a working kubectl: with the node's name, from stdin" \
	'^args: apply -q --node-name node-a --metrics-file .* -$' "$E2E_WORKDIR/applied"
assert_eq "a working kubectl: the services, then the Node" 2 \
	"$(grep -c '^kind: List$' "$E2E_WORKDIR/applied")"
assert_grep "the ClusterRole lists endpointslices" 'resources: \[endpointslices\]' "$y"
w="$dir/svcnft-watch.yaml"
assert_grep "the watch variant runs svcnft watch" '^        - watch$' "$w"
assert_grep "... serving kube-proxy's healthz" 'healthz-bind-address=0.0.0.0:10256' "$w"
assert_grep "... probed for liveness there" 'httpGet: {path: /healthz, port: 10256}' "$w"
assert_grep "... with a lister renaming changed listings into place" \
	'mv .cluster.tmp cluster.yaml' "$w"
if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
	t_check "PyYAML reads five documents" python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert [d["kind"] for d in docs] == ["Namespace", "ServiceAccount", "ClusterRole",
    "ClusterRoleBinding", "DaemonSet"], docs
c = docs[4]["spec"]["template"]["spec"]["containers"][0]
assert c["env"][0]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
' "$y"
fi
t_done
