#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# svcnft watch serves healthCheckNodePorts as kube-proxy does, over real
# HTTP from another namespace: for a LoadBalancer Service with
# externalTrafficPolicy: Local, 200 while this node (--node-name) has a
# ready endpoint of it and 503 when it has none, with kube-proxy's JSON
# body and the X-Load-Balancing-Endpoint-Weight header; the listener opens
# and closes as the Service comes and goes; a Service without the field
# is served on the port plan shows as assigned; with --node-ip only those
# addresses answer.
#
# e2e-backends: nftables (watch programs nftables)

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/watch_lib.sh"
e2e_init
need_svcnft
need_http_tools
pods_up
m=$(manifest_dir hc)
out=$E2E_WORKDIR

# lb_service NAME ADDR NODE_OF_POD1 NODE_OF_POD2 [HEALTH_CHECK_PORT]
lb_service() {
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: shop}\n' "$1"
	printf 'spec:\n  type: LoadBalancer\n  clusterIP: %s\n' "$2"
	printf '  externalTrafficPolicy: Local\n'
	[ -n "${5:-}" ] && printf '  healthCheckNodePort: %s\n' "$5"
	printf '  ports: [{name: http, port: 80, targetPort: 8080}]\n'
	printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
	printf 'metadata: {name: %s-a, namespace: shop, labels: {kubernetes.io/service-name: %s}}\n' "$1" "$1"
	printf 'addressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:\n'
	printf -- '- {addresses: ["198.18.1.2"], nodeName: %s}\n' "$3"
	printf -- '- {addresses: ["198.18.2.2"], nodeName: %s}\n' "$4"
}

lb_service shop 198.19.0.30 node-a node-b 30500 >"$m/shop.yaml"
# --allow-empty: the Service removed below leaves none.
start_watch --allow-empty --node-name node-a "$m" >/dev/null ||
	{ diag_file "watch log" "$WATCH_LOG"; e2e_bail "watch did not sync"; }
url="http://$NODE_IP:30500/"

# poll_code WANT URL OUT: until the health check answers WANT (5 s at most).
poll_code() {
	local i=0 code
	while :; do
		code=$(http_in client "$2" "$3")
		[ "$code" = "$1" ] || [ "$i" -ge 100 ] && break
		sleep 0.05
		i=$((i + 1))
	done
	echo "$code"
}

assert_eq "one local endpoint: 200" 200 "$(poll_code 200 "$url" "$out/a")"
t=$(jq -c . "$out/a")
assert_eq "kube-proxy's body" \
	'{"service":{"namespace":"shop","name":"shop"},"localEndpoints":1,"serviceProxyHealthy":true}' "$t"
assert_grep "the endpoint weight header" '^X-Load-Balancing-Endpoint-Weight: 1' "$out/a.headers"
assert_grep "a JSON answer" '^Content-Type: application/json' "$out/a.headers"
assert_eq "any path is answered" 200 "$(http_in client "http://$NODE_IP:30500/healthz" "$out/a2")"
assert_eq "without --node-ip every node address answers" 200 \
	"$(http_in pod1 "http://198.18.1.1:30500/" "$out/a3")"

lb_service shop 198.19.0.30 node-b node-b 30500 >"$m/shop.yaml"
assert_eq "no local endpoint: 503" 503 "$(poll_code 503 "$url" "$out/b")"
assert_eq "localEndpoints 0" 0 "$(jq .localEndpoints "$out/b")"
assert_grep "the weight header says 0" '^X-Load-Balancing-Endpoint-Weight: 0' "$out/b.headers"

lb_service shop 198.19.0.30 node-a node-a 30500 >"$m/shop.yaml"
assert_eq "two local endpoints: 200" 200 "$(poll_code 200 "$url" "$out/c")"
assert_eq "localEndpoints 2" 2 "$(jq .localEndpoints "$out/c")"

rm "$m/shop.yaml"
assert_eq "the Service removed: the listener closes" 000 "$(poll_code 000 "$url" "$out/d")"

# No healthCheckNodePort in the manifest: plan shows the one assigned.
lb_service cart 198.19.0.31 node-a node-b >"$m/cart.yaml"
port=$("$SVCNFT" plan "$m" | sed -n 's|^# Service shop/cart: healthCheckNodePort \([0-9]*\) (assigned)$|\1|p')
if [ -n "$port" ]; then
	ok "plan shows the assigned healthCheckNodePort ($port)"
	assert_eq "plan -o json shows it too" "$port" \
		"$("$SVCNFT" plan -o json "$m" | jq '.services[] | select(.name == "cart") | .healthCheckNodePort')"
	assert_eq "the assigned port answers: 200" 200 \
		"$(poll_code 200 "http://$NODE_IP:$port/" "$out/e")"
	assert_eq "... for Service shop/cart" shop/cart \
		"$(jq -r '.service.namespace + "/" + .service.name' "$out/e")"
else
	not_ok "plan shows the assigned healthCheckNodePort"
	"$SVCNFT" plan "$m" 2>&1 | tail -n 5 | diag
fi

stop_watch TERM
assert_eq "SIGTERM: exit status 0" 0 "$WATCH_STATUS"

# With --node-ip the health checks answer on those addresses only, as node
# ports do.
lb_service shop 198.19.0.30 node-a node-b 30500 >"$m/shop.yaml"
start_watch --allow-empty --node-name node-a --node-ip "$NODE_IP" "$m" >/dev/null ||
	{ diag_file "watch log" "$WATCH_LOG"; e2e_bail "watch did not sync"; }
assert_eq "--node-ip: the node address answers" 200 "$(poll_code 200 "$url" "$out/f")"
assert_eq "--node-ip: another address of the node does not" 000 \
	"$(http_in pod1 "http://198.18.1.1:30500/" "$out/g")"
stop_watch TERM
assert_eq "SIGTERM: exit status 0" 0 "$WATCH_STATUS"
t_done
