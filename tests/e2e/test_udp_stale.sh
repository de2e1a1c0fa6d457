#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Stale UDP conntrack: a UDP client that keeps one source port and sends
# every 100 ms stays on the endpoint conntrack first chose. When an apply
# removes that endpoint (its server still running, as a pod being replaced
# often is), svcnft deletes the flow, and the client reaches the new
# endpoint within one second. A Service that goes from no endpoints to some
# is reached within one second too.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
topo_up 2
for i in 1 2; do
	start_pod "pod$i" "pod$i" udp:5353
done
out=$E2E_WORKDIR
m=$(manifest_dir dns)

service() {
	cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: dns}
spec:
  clusterIP: 198.19.0.53
  ports: [{name: dns, protocol: UDP, port: 53}]
YAML
	[ -n "$1" ] || return 0
	cat <<YAML
---
apiVersion: v1
kind: Endpoints
metadata: {name: dns}
subsets: [{addresses: [{ip: $1}], ports: [{name: dns, port: 5353, protocol: UDP}]}]
YAML
}

# switch_during FILE ADDR: start a steady client, apply manifests with ADDR
# as the only endpoint one second in, and note the line where it happened.
switch_during() {
	probe_in client udp 198.19.0.53 53 -p 40053 -i 100 -t 200 -n 30 >"$1" &
	pid=$!
	sleep 1
	service "$2" >"$m/service.yaml"
	svcnft_in node apply -q "$m"
	wc -l <"$1" >"$1.switch"
	wait "$pid"
}

# answered_within FILE NAME: after the switch line, NAME answers within ten
# attempts (one second at 100 ms) and nothing else answers after that.
answered_within() {
	local at first
	at=$(cat "$1.switch")
	first=$(sed -n "$((at + 1)),\$p" "$1" | sed '$d' | grep -n "^$2\$" | head -1 | cut -d: -f1)
	[ -n "$first" ] && [ "$first" -le 10 ] &&
		! sed -n "$((at + first)),\$p" "$1" | sed '$d' | grep -qv "^$2\$"
}

service 198.18.1.2 >"$m/service.yaml"
assert_exit "apply with pod1 as the only endpoint" 0 svcnft_in node apply "$m"
switch_during "$out/moved" 198.18.2.2
if answered_within "$out/moved" pod2; then
	ok "the steady UDP client reaches pod2 within a second after pod1 is removed"
else
	not_ok "the steady UDP client reaches pod2 within a second after pod1 is removed"
	diag_file "client" "$out/moved"
fi

service "" >"$m/service.yaml"
assert_exit "apply with no endpoints" 0 svcnft_in node apply "$m"
switch_during "$out/back" 198.18.1.2
if answered_within "$out/back" pod1; then
	ok "the steady UDP client reaches pod1 within a second after endpoints return"
else
	not_ok "the steady UDP client reaches pod1 within a second after endpoints return"
	diag_file "client" "$out/back"
fi
t_done
