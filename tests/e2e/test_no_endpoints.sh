#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Service with no endpoints is refused at once, not left to time out:
# TCP gets a reset (connection refused), UDP an ICMP port unreachable. Each
# probe attempt has one second, so "refused" means refused within a second.
# From the client (prerouting) and from the node (output), at the ClusterIP
# and at the node port. The node itself listens on the node ports, so a
# missing rule shows up as the node answering instead of a refusal.
#
# Twice: with the empty Service alone in the table, and next to a Service
# that has endpoints. (Netfilter runs NAT chains only for packets conntrack
# tracks, and a namespace tracks nothing until some rule needs conntrack --
# a DNAT does, a reject does not. The first round catches a table that
# relies on other Services' DNAT rules for that.)

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
pods_up tcp:8080 udp:8080
start_pod node-itself node tcp:30100 udp:30101
out=$E2E_WORKDIR
m=$(manifest_dir empty)
web_pods >"$m/pods.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: empty
  namespace: default
spec:
  type: NodePort
  clusterIP: 198.19.0.80
  selector:
    app: nothing-has-this-label
  ports:
  - name: http
    protocol: TCP
    port: 80
    targetPort: 8080
    nodePort: 30100
  - name: dns
    protocol: UDP
    port: 53
    targetPort: 8080
    nodePort: 30101
EOF

with=$(manifest_dir with-web)
cp "$m"/*.yaml "$with/"
cat >"$with/web.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  clusterIP: 198.19.0.81
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
EOF

# expect_refused ROUND: every way into the empty Service is refused.
expect_refused() {
	local round=$1 from
	for from in client node; do
		probe_in "$from" tcp 198.19.0.80 80 -n 3 -t 1000 >"$out/tcp-$from"
		assert_probe "$round: TCP ClusterIP from $from: refused within 1s" \
			refused "$out/tcp-$from" || diag_ruleset
		probe_in "$from" udp 198.19.0.80 53 -n 3 -t 1000 >"$out/udp-$from"
		assert_probe "$round: UDP ClusterIP from $from: port unreachable within 1s" \
			refused "$out/udp-$from"
	done
	probe_in client tcp "$NODE_IP" 30100 -n 3 -t 1000 >"$out/tcp-np"
	assert_probe "$round: TCP node port from client: refused within 1s" \
		refused "$out/tcp-np"
	probe_in client udp "$NODE_IP" 30101 -n 3 -t 1000 >"$out/udp-np"
	assert_probe "$round: UDP node port from client: port unreachable within 1s" \
		refused "$out/udp-np"
}

assert_exit "svcnft apply of the empty Service alone succeeds" 0 \
	svcnft_in node apply "$m"
expect_refused alone
assert_exit "svcnft apply with a Service that has endpoints succeeds" 0 \
	svcnft_in node apply "$with"
probe_in client tcp 198.19.0.81 80 -n "$EVERY_POD_PROBES" >"$out/web"
assert_probe "the Service with endpoints answers" "pod1 pod2 pod3" "$out/web"
expect_refused "next to web"
t_done
