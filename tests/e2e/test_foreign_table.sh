#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# svcnft owns one table and touches nothing else: tables of other software
# (an inet table with a chain and a set, an ip nat table) are byte-identical
# after apply and after flush, and flush removes only svcnft's table -- and
# only the one named with --table.

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
ns_add node || e2e_bail "cannot create the node namespace"
out=$E2E_WORKDIR
m=$(manifest_dir web)
for i in 1 2 3; do
	k8s_pod "web-$i" default "198.18.$i.2" app=web http:8080
done >"$m/pods.yaml"
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
