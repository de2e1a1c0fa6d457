#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# explain --plan: no kernel, no privilege; the examples' Services as explain
# reports them (JSON read with jq), and its usage errors.
. "$(dirname "$0")/lib.sh"
ops_init
command -v jq >/dev/null 2>&1 || { skip "explain --plan, read with jq" "jq not installed"; t_done; }

ex="$SVCNFT_ROOT/examples"
# explain ARGS...: explain --plan of the examples, as JSON.
explain() {
	"$SVCNFT" explain --plan "$ex" --cluster-cidr 198.18.0.0/20 -o json "$@" 2>"$E2E_WORKDIR/err"
}
q() {
	explain "$@" >"$E2E_WORKDIR/out.json" || { diag_file stderr "$E2E_WORKDIR/err"; return; }
	jq -r "$JQ" "$E2E_WORKDIR/out.json"
}

JQ='"\(.verdict) \(.kind) \(.service) \(.endpoints | length) \(.masquerade) \(.from)"'
assert_eq "a ClusterIP from outside the cluster CIDR" \
	"dnat ClusterIP default/my-service 3 true outside" \
	"$(q --from 198.18.200.2 198.19.0.10:80)"
assert_eq "a ClusterIP from a pod" "dnat ClusterIP default/my-service 3 false pod" \
	"$(q --from 198.18.3.2 198.19.0.10:80)"
JQ='[.endpoints[].probability] | add | . > 0.999999 and . < 1.000001'
assert_eq "the probabilities sum to 1" true "$(q 198.19.0.10:80)"
JQ='"\(.verdict) \(.reason)"'
assert_eq "no endpoints" "reject no endpoints" "$(q 198.19.0.60:80)"
assert_eq "no endpoints, UDP" "reject no endpoints" "$(q 198.19.0.60:53/udp)"
assert_eq "a port no Service defines" "reject undefined port" "$(q 198.19.0.10:81)"
assert_eq "source range: outside" "drop source range" "$(q --from 198.18.201.9 198.19.255.9:80)"
assert_eq "source range: inside" "dnat null" "$(q --from 198.18.200.7 198.19.255.9:80)"
assert_eq "an unknown address" "none no rule matches" "$(q 198.19.99.99:80)"
JQ='"\(.affinity.type) \(.affinity.timeout)"'
assert_eq "session affinity and its timeout" "ClientIP 600" "$(q 198.19.0.70:80)"
JQ='"\(.verdict) \(.table)"'
assert_eq "IPv6: table ip6" "dnat ip6 svcnft" "$(q '[2001:db8:ffff::110]:80')"

"$SVCNFT" explain --plan "$ex" --from 198.18.200.2 198.19.0.10:80 >"$E2E_WORKDIR/text" 2>"$E2E_WORKDIR/err"
assert_grep "text: a numbered path" "^ +1\\. hook prerouting" "$E2E_WORKDIR/text"
assert_grep "text: the endpoints" "^  198\\.18\\.[0-9]+\\.2:[0-9]+ +probability 0\\.3333" "$E2E_WORKDIR/text"
for bad in 198.19.0.10 198.19.0.10:0 198.19.0.10:80/icmp 2001:db8::1:80 "[198.19.0.10]:80"; do
	assert_exit "DEST \"$bad\" is a usage error" 2 "$SVCNFT" explain --plan "$ex" "$bad"
done
assert_exit "--from of the other family is a usage error" 2 \
	"$SVCNFT" explain --plan "$ex" --from 2001:db8::1 198.19.0.10:80
assert_exit "no DEST is a usage error" 2 "$SVCNFT" explain
assert_exit "manifests without --plan are a usage error" 2 \
	"$SVCNFT" explain "$ex" 198.19.0.10:80
assert_exit "--backend iptables: nftables only" 2 \
	"$SVCNFT" explain --plan "$ex" --backend iptables 198.19.0.10:80
assert_grep "the message says so" "nftables" "$E2E_WORKDIR/last.out"
assert_exit "explain --help" 0 "$SVCNFT" explain --help
assert_grep "--help shows the three forms" "explain --live SECONDS" "$E2E_WORKDIR/last.out"
t_done
