#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# svcnft owns one table and touches nothing else: tables of other software
# (an inet table with a chain and a set, an ip nat table) are byte-identical
# after apply and after flush, and flush removes only svcnft's table -- and
# only the one named with --table.
#
# With the iptables backend svcnft shares the nat and filter tables: another
# program's chains and rules there (a chain of its own in each, jumps to
# them and plain rules in the built-in chains) keep their place and content
# through apply, a second apply and flush; flush leaves iptables-save
# byte-identical to before apply, and nftables tables are never touched.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
ns_add node || e2e_bail "cannot create the node namespace"
out=$E2E_WORKDIR
m=$(manifest_dir web)
web_pods http:8080 >"$m/pods.yaml"
cat >"$m/service.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: NodePort
  clusterIP: 198.19.0.10
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, nodePort: 30080}
EOF
cat >"$out/foreign.nft" <<'EOF'
table inet foreign {
	set blocked {
		type ipv4_addr
		elements = { 198.18.99.1, 198.18.99.2 }
	}

	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr @blocked drop
		jump helper
	}

	chain helper {
		ip daddr 198.18.99.3 tcp dport 22 accept
	}
}
table ip foreign-nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 198.18.99.0/24 oifname "eth9" masquerade
	}
}
EOF
t_check "foreign tables load" nft_in node -f "$out/foreign.nft"

if [ "$SVCNFT_BACKEND" = iptables ]; then
	cat >"$out/foreign.rules" <<'EOF2'
*nat
:FOREIGN-NAT - [0:0]
-A PREROUTING -s 198.18.99.0/24 -j FOREIGN-NAT
-A OUTPUT -d 198.18.99.5/32 -p udp -m udp --dport 53 -j DNAT --to-destination 198.18.99.6:53
-A POSTROUTING -s 198.18.99.0/24 -o eth9 -j MASQUERADE
-A FOREIGN-NAT -d 198.18.99.3/32 -p tcp -m tcp --dport 2222 -j DNAT --to-destination 198.18.99.4:22
COMMIT
*filter
:FOREIGN-FILTER - [0:0]
-A INPUT -s 198.18.99.1/32 -j DROP
-A INPUT -j FOREIGN-FILTER
-A FORWARD -s 198.18.99.2/32 -j DROP
-A OUTPUT -d 198.18.99.7/32 -j REJECT --reject-with icmp-port-unreachable
-A FOREIGN-FILTER -d 198.18.99.3/32 -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
EOF2
	t_check "foreign iptables rules load" \
		in_ns node iptables-restore "$out/foreign.rules"
	ruleset_snapshot node "$out/ipt.before"
	nft_in node list table inet foreign >"$out/inet.before"
	for round in first second; do
		assert_exit "svcnft apply succeeds ($round time)" 0 svcnft_in node apply "$m"
		ruleset_snapshot node "$out/ipt.after"
		grep -v SVCNFT- "$out/ipt.after" >"$out/ipt.foreign"
		assert_same_file "... other chains and rules in nat and filter are as they were" \
			"$out/ipt.before" "$out/ipt.foreign"
		assert_grep "... and svcnft's are there" "$(service_re default/web)" \
			"$out/ipt.after"
	done
	nft_in node list table inet foreign >"$out/inet.after"
	assert_same_file "nftables table inet foreign is byte-identical after apply" \
		"$out/inet.before" "$out/inet.after"
	# a duplicate jump rule, as a crash between two runs could leave
	in_ns node iptables -t nat -A PREROUTING -m comment --comment svcnft \
		-j SVCNFT-SERVICES
	in_ns node iptables -t filter -I INPUT -m conntrack --ctstate NEW \
		-m comment --comment svcnft -j SVCNFT-NO-ENDPOINTS
	svc_listing node "$out/dup"
	assert_eq "two jump rules were added by hand" \
		$(($(jump_rules_expected) + 2)) "$(jump_rules "$out/dup" | grep -c .)"
	assert_exit "svcnft apply succeeds over duplicate jump rules" 0 \
		svcnft_in node apply "$m"
	svc_listing node "$out/dedup"
	jump_rules "$out/dedup" >"$out/jumps"
	assert_eq "... and leaves one jump rule per hook ($(jump_rules_expected))" \
		"$(jump_rules_expected)" "$(sort -u "$out/jumps" | grep -c .)"
	assert_eq "... none of them twice" "$(jump_rules_expected)" \
		"$(grep -c . "$out/jumps")"
	ruleset_snapshot node "$out/ipt.after"
	grep -v SVCNFT- "$out/ipt.after" >"$out/ipt.foreign"
	assert_same_file "... other rules still as they were" \
		"$out/ipt.before" "$out/ipt.foreign"
	assert_exit "svcnft flush succeeds" 0 svcnft_in node flush
	ruleset_snapshot node "$out/ipt.flushed"
	assert_same_file "after flush iptables-save is byte-identical to before apply" \
		"$out/ipt.before" "$out/ipt.flushed"
	assert_exit "a second flush succeeds" 0 svcnft_in node flush
	nft_in node list table inet foreign >"$out/inet.after"
	assert_same_file "nftables table inet foreign is byte-identical after flush" \
		"$out/inet.before" "$out/inet.after"
	t_done
fi

nft_in node list ruleset >"$out/ruleset.before"
nft_in node list table inet foreign >"$out/inet.before"
nft_in node list table ip foreign-nat >"$out/nat.before"

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"
nft_in node list table inet foreign >"$out/inet.after"
nft_in node list table ip foreign-nat >"$out/nat.after"
assert_same_file "inet foreign is byte-identical after apply" \
	"$out/inet.before" "$out/inet.after"
assert_same_file "ip foreign-nat is byte-identical after apply" \
	"$out/nat.before" "$out/nat.after"
nft_in node list tables >"$out/tables"
assert_grep "apply created table ip svcnft" '^table ip svcnft$' "$out/tables"

assert_exit "svcnft apply --table svcnft-b succeeds" 0 \
	svcnft_in node apply --table svcnft-b "$m"
assert_exit "svcnft flush succeeds" 0 svcnft_in node flush
nft_in node list tables >"$out/tables"
assert_no_grep "flush removed table ip svcnft" '^table ip svcnft$' "$out/tables"
assert_grep "flush left table ip svcnft-b alone" '^table ip svcnft-b$' "$out/tables"
assert_exit "svcnft flush --table svcnft-b succeeds" 0 \
	svcnft_in node flush --table svcnft-b
nft_in node list ruleset >"$out/ruleset.after"
assert_same_file "after flush the whole ruleset is byte-identical to before apply" \
	"$out/ruleset.before" "$out/ruleset.after"
t_done
