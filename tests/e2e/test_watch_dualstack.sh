#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# svcnft watch with dual-stack Services: the ip and the ip6 table are kept
# together from memory (a change moves both families' endpoints in one
# sync, without reading either table), and drift in the ip6 table is
# repaired as in the ip one. Real traffic over IPv4 and IPv6.
#
# e2e-backends: nftables (watch programs nftables)

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/watch_lib.sh"
e2e_init
need_svcnft
pods_up
topo_up6
m=$(manifest_dir dualstack)

# ds_web POD: Service web on 198.19.0.10 and 2001:db8:ffff::10, its
# endpoints POD's two addresses, in one slice per family.
ds_web() {
	local v4 v6 fam
	v4=$(pod_ip "$1") v6=$(pod_ip6 "$1")
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n'
	printf 'spec:\n  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv4, IPv6]\n'
	printf '  clusterIPs: [198.19.0.10, "2001:db8:ffff::10"]\n'
	printf '  ports: [{name: http, port: 80, targetPort: 8080}]\n'
	for fam in IPv4 IPv6; do
		printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
		printf 'metadata: {name: web-%s, namespace: default, labels: {kubernetes.io/service-name: web}}\n' "$fam"
		printf 'addressType: %s\nports: [{name: http, port: 8080}]\n' "$fam"
		printf 'endpoints:\n- addresses: ["%s"]\n' "$([ "$fam" = IPv4 ] && echo "$v4" || echo "$v6")"
	done
}
only6() {
	probe_in client tcp 2001:db8:ffff::10 80 -n 6 -t 1000 >"$E2E_WORKDIR/probe6.out"
	assert_probe "$1" "$2" "$E2E_WORKDIR/probe6.out" || diag_ruleset
}

ds_web pod1 >"$m/web.yaml"
start_watch -v "$m" >/dev/null ||
	{ diag_file "watch log" "$WATCH_LOG"; e2e_bail "watch did not sync"; }
assert_grep "the first sync programs both tables" 'to tables ip and ip6 svcnft: created' "$WATCH_LOG"
only_from "IPv4: web answers from pod1" pod1 198.19.0.10
# Neighbour discovery on the new IPv6 links may cost the first attempts.
probe_in client tcp 2001:db8:ffff::10 80 -n 3 -t 2000 >/dev/null 2>&1
only6 "IPv6: web answers from pod1" pod1

sleep 0.2
ds_web pod2 >"$m/web.yaml"
t=$(wait_lines 2 5)
within "a change of both families' endpoints, in the kernel within 1 s" 1 "$t"
tail -n 2 "$WATCH_LOG" >"$E2E_WORKDIR/last2"
assert_grep "... from memory: no table read" '\(0 reads\)' "$E2E_WORKDIR/last2"
only_from "IPv4: web answers from pod2" pod2 198.19.0.10
only6 "IPv6: web answers from pod2" pod2

sleep 0.2
chain=$(nft_in node list table ip6 svcnft | sed -n 's/.*chain \(svc-default\/web\/[^ ]*\) .*/\1/p' | head -n 1)
[ -n "$chain" ] || e2e_bail "no ip6 service chain for web"
nft_in node flush chain ip6 svcnft "$chain"
t=$(wait_lines 3 5)
within "a flushed ip6 service chain is repaired within 1 s" 1 "$t"
only6 "IPv6: after the repair web answers from pod2" pod2
stop_watch TERM
assert_eq "SIGTERM: exit status 0" 0 "$WATCH_STATUS"
t_done
