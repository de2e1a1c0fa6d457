#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The test harness itself, without svcnft: a hand-written ruleset of the
# shape svcnft programs is loaded with nft -f in the node namespace, and the
# topology, podserver and probe must show what the other tests rely on --
# spreading, refusal within a second, UDP, source addresses. When this test
# fails, the other tests' failures say nothing about svcnft.
#
# e2e-backends: nftables (no svcnft in it: the harness is tested once)

. "$(dirname "$0")/lib.sh"
e2e_init
pods_up -s tcp:8080 udp:8080
out=$E2E_WORKDIR

cat >"$out/ruleset.nft" <<'EOF'
table ip svcnft {
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 198.19.0.10 . tcp . 80 : goto svc-default/web/tcp/80,
			     198.19.0.10 . udp . 53 : goto svc-default/web/udp/53,
			     198.19.0.11 . tcp . 80 : goto svc-default/empty/tcp/80,
			     198.19.0.11 . udp . 53 : goto svc-default/empty/udp/53 }
	}
	map service-nodeports {
		type inet_proto . inet_service : verdict
		elements = { tcp . 30080 : goto svc-default/web/tcp/80 }
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}
	chain output {
		type nat hook output priority -100; policy accept;
		jump services
	}
	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
		fib daddr type local meta l4proto . th dport vmap @service-nodeports
	}
	chain svc-default/web/tcp/80 {
		numgen random mod 3 == 0 meta l4proto tcp dnat to 198.18.1.2:8080
		numgen random mod 2 == 0 meta l4proto tcp dnat to 198.18.2.2:8080
		meta l4proto tcp dnat to 198.18.3.2:8080
	}
	chain svc-default/web/udp/53 {
		numgen random mod 3 == 0 meta l4proto udp dnat to 198.18.1.2:8080
		numgen random mod 2 == 0 meta l4proto udp dnat to 198.18.2.2:8080
		meta l4proto udp dnat to 198.18.3.2:8080
	}
	chain svc-default/empty/tcp/80 {
		meta l4proto tcp reject with tcp reset
	}
	chain svc-default/empty/udp/53 {
		reject
	}
}
EOF

# Before any rule: a podserver answers directly, a closed port refuses.
probe_in node tcp 198.18.2.2 8080 -n 3 >"$out/direct"
assert_probe "podserver answers TCP directly" "pod2" "$out/direct"
probe_in node udp 198.18.3.2 8080 -n 3 >"$out/direct-udp"
assert_probe "podserver answers UDP directly" "pod3" "$out/direct-udp"
probe_in node tcp 198.18.2.2 9 -n 2 >"$out/closed"
assert_probe "a closed TCP port is refused" "refused" "$out/closed"
probe_in node udp 198.18.2.2 9 -n 2 >"$out/closed-udp"
assert_probe "a closed UDP port is refused (ICMP port unreachable)" \
	"refused" "$out/closed-udp"
probe_in node tcp 198.18.1.2 8080 -s 198.18.3.1 >"$out/source"
assert_eq "probe -s binds the source; podserver -s reports it" \
	"pod1 198.18.3.1" "$(head -n 1 "$out/source")"
probe_in client tcp 198.19.0.10 80 -n 2 -t 300 >"$out/norule"
assert_probe "without rules a ClusterIP times out" "timeout" "$out/norule"

t_check "hand-written ruleset loads with nft -f" nft_in node -f "$out/ruleset.nft"

probe_in node tcp 198.19.0.10 80 -n 300 -q >"$out/spread"
s=$(probe_summary "$out/spread")
assert_probe "300 connections from the node reach pod1..pod3 only" \
	"pod1 pod2 pod3" "$out/spread"
for p in pod1 pod2 pod3; do
	assert_range "$p got between 60 and 140 of 300" 60 140 "$(count_of "$p" "$s")"
done

probe_in client tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/client"
assert_probe "ClusterIP from the client (prerouting)" "pod1 pod2 pod3" "$out/client"
assert_eq "pods see the client's address" "$EVERY_POD_PROBES" \
	"$(grep -cE '^pod[123] 198\.18\.200\.2$' "$out/client")"
probe_in client tcp "$NODE_IP" 30080 -n "$EVERY_POD_PROBES" >"$out/nodeport"
assert_probe "NodePort from the client" "pod1 pod2 pod3" "$out/nodeport"
probe_in client udp 198.19.0.10 53 -n "$EVERY_POD_PROBES" >"$out/udp"
assert_probe "UDP ClusterIP from the client" "pod1 pod2 pod3" "$out/udp"
probe_in node udp 198.19.0.10 53 -n "$EVERY_POD_PROBES" >"$out/udp-node"
assert_probe "UDP ClusterIP from the node" "pod1 pod2 pod3" "$out/udp-node"

for from in client node; do
	probe_in "$from" tcp 198.19.0.11 80 -n 3 -t 1000 >"$out/empty-tcp-$from"
	assert_probe "reject: TCP from $from refused within 1s" "refused" \
		"$out/empty-tcp-$from"
	probe_in "$from" udp 198.19.0.11 53 -n 3 -t 1000 >"$out/empty-udp-$from"
	assert_probe "reject: UDP from $from refused within 1s" "refused" \
		"$out/empty-udp-$from"
done

# The probe's own contract: bounded, exit status, summary format.
start=$(date +%s)
probe_in client tcp 198.19.0.99 80 -n 3 -t 200 >"$out/bounded"
rc=$?
elapsed=$(($(date +%s) - start))
assert_eq "probe exits 1 when an attempt got no reply" 1 "$rc"
assert_range "probe -n 3 -t 200 ends within 2s" 0 2 "$elapsed"
assert_eq "probe summary counts timeouts" "timeout=3" "$(probe_summary "$out/bounded")"

printf 'elements = { b : goto x,\n\t\t\t     a : goto y }\n' >"$out/elems"
assert_eq "normalize_elements sorts map elements" \
	"$(printf 'elements = {\n\t\t\ta : goto y\n\t\t\tb : goto x\n\t\t}')" \
	"$(normalize_elements <"$out/elems")"

# test_nft_list reloads a listing elsewhere: nft must read its own output.
nft_in node list ruleset >"$out/listing"
assert_eq "nft list ruleset succeeds" 0 $?
assert_eq "chain_rules finds the rules of svc-default/web's chains" 6 \
	"$(chain_rules "$out/listing" svc-default/web | grep -c dnat)"
assert_eq "chain_rules matches whole name components" 0 \
	"$(chain_rules "$out/listing" svc-default/we | grep -c .)"
ns_add reload || e2e_bail "cannot create the reload namespace"
t_check "the listing loads with nft -f in a fresh namespace" \
	nft_in reload -f "$out/listing"
nft_in reload list ruleset >"$out/relisting"
assert_same_file "... and lists the same there" "$out/listing" "$out/relisting"
t_done
