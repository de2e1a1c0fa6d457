#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Coexistence and privilege (issue 7).
#
# 1. Other software's nftables tables, iptables-nft rules (in their
#    ip nat / ip filter tables) and another user's named sets and maps --
#    including ones in the same family as svcnft's table -- are
#    byte-identical after apply, after a re-apply that changes svcnft's
#    rules, and after flush; after flush the whole ruleset is what it was.
# 2. apply and flush without CAP_NET_ADMIN fail at once with exit 3 and one
#    line that says why, changing nothing; plan and check run unprivileged.
# 3. A manifest that other users can write is refused (exit 1, the reason
#    named) unless --allow-insecure-files.
#
# The nftables backend's guarantee: skipped for SVCNFT_BACKEND=iptables,
# where svcnft's own rules live in the iptables tables.
#
# e2e-backends: nftables (test_foreign_table.sh covers the iptables backend)

. "$(dirname "$0")/lib.sh"
[ "$SVCNFT_BACKEND" = nftables ] ||
	e2e_skip_all "SVCNFT_BACKEND=$SVCNFT_BACKEND: this test covers the nftables backend"
e2e_init
need_svcnft
command -v iptables-nft >/dev/null 2>&1 ||
	e2e_skip_all "iptables-nft not installed (build-aux/deps.sh installs iptables)"
command -v setpriv >/dev/null 2>&1 || e2e_skip_all "setpriv (util-linux) not installed"
ns_add node || e2e_bail "cannot create the node namespace"
out=$E2E_WORKDIR
chmod 755 "$out"	# nobody reads the manifests in the privilege part
m=$(manifest_dir web)
web_pods http:8080 >"$m/pods.yaml"
svc() {	# svc NAME CLUSTER_IP NODE_PORT
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s}\nspec:\n' "$1"
	printf '  type: NodePort\n  clusterIP: %s\n  selector: {app: web}\n' "$2"
	printf '  ports:\n  - {name: http, port: 80, targetPort: 8080, nodePort: %s}\n' "$3"
}
svc web 198.19.0.10 30080 >"$m/service.yaml"

# ---------------------------------------------------------------- others' rules

cat >"$out/others.nft" <<'EOF'
table inet firewall {
	set trusted {
		type ipv4_addr
		flags interval
		elements = { 198.18.50.0/24, 198.18.51.7 }
	}
	map port-policy {
		type inet_service : verdict
		elements = { 22 : accept, 80 : jump web-in }
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr @trusted accept
		tcp dport vmap @port-policy
	}
	chain web-in {
		counter accept
	}
}
table ip other-user {
	set service-ips {
		type ipv4_addr . inet_proto . inet_service
		elements = { 198.19.0.10 . tcp . 80 }
	}
	chain prerouting {
		type nat hook prerouting priority dstnat - 10; policy accept;
		ip daddr . meta l4proto . th dport @service-ips counter
	}
}
EOF
t_check "another user's tables, sets and maps load" nft_in node -f "$out/others.nft"
t_check "iptables-nft nat rule" in_ns node iptables-nft -t nat -A POSTROUTING \
	-s 198.18.99.0/24 -o eth9 -j MASQUERADE
t_check "iptables-nft filter rule" in_ns node iptables-nft -A INPUT \
	-s 198.18.99.5 -p tcp --dport 22 -j DROP
t_check "iptables-nft user chain" in_ns node iptables-nft -N SSH-GUARD
t_check "iptables-nft rule in it" in_ns node iptables-nft -A SSH-GUARD -j RETURN

# Everything but svcnft's table, in a form that compares byte for byte.
others_snapshot() {
	{
		for t in "inet firewall" "ip other-user" "ip nat" "ip filter"; do
			# shellcheck disable=SC2086 # family and name are two words
			nft_in node list table $t
		done
		in_ns node iptables-nft-save | grep -v '^#'
	} >"$1" 2>&1
}
nft_in node list ruleset >"$out/ruleset.before"
others_snapshot "$out/others.before"
assert_grep "iptables-nft rules are in the snapshot" 'MASQUERADE' "$out/others.before"

assert_exit "apply succeeds" 0 svcnft_in node apply "$m"
others_snapshot "$out/others.apply"
assert_same_file "others' tables, sets and iptables-nft rules: identical after apply" \
	"$out/others.before" "$out/others.apply"

svc api 198.19.0.11 30081 >"$m/api.yaml"
k8s_pod web-4 default 198.18.4.2 app=web http:8080 >"$m/pod4.yaml"
assert_exit "re-apply with another Service and endpoint succeeds" 0 svcnft_in node apply "$m"
nft_in node list table ip svcnft >"$out/svcnft.reapply"
assert_grep "the re-apply changed svcnft's table" '198.19.0.11' "$out/svcnft.reapply"
others_snapshot "$out/others.reapply"
assert_same_file "... and left others' rules identical" \
	"$out/others.before" "$out/others.reapply"

assert_exit "re-apply of the same manifests succeeds" 0 svcnft_in node apply "$m"
others_snapshot "$out/others.same"
assert_same_file "... and left others' rules identical" \
	"$out/others.before" "$out/others.same"

# ---------------------------------------------------------------- privilege

nft_in node list ruleset >"$out/ruleset.applied"
unpriv() {	# a root shell without CAP_NET_ADMIN, in the node namespace
	in_ns node setpriv --inh-caps=-all --bounding-set=-net_admin "$@"
}
for cmd in apply flush; do
	args=""
	[ "$cmd" = apply ] && args=$m
	# shellcheck disable=SC2086 # args is empty or one path
	assert_exit "$cmd without CAP_NET_ADMIN exits 3" 3 unpriv "$SVCNFT" $cmd $args
	assert_eq "... with one line of output" 1 "$(wc -l <"$E2E_WORKDIR/last.out")"
	assert_grep "... that names the capability" \
		"^svcnft: $cmd needs CAP_NET_ADMIN" "$E2E_WORKDIR/last.out"
	nft_in node list ruleset >"$out/ruleset.now"
	assert_same_file "... and changes nothing" "$out/ruleset.applied" "$out/ruleset.now"
done
if command -v capsh >/dev/null 2>&1; then
	assert_exit "apply under capsh --drop=cap_net_admin exits 3" 3 \
		in_ns node capsh --drop=cap_net_admin -- -c "exec '$SVCNFT' apply '$m'"
fi
assert_exit "plan needs no privilege (as nobody)" 0 in_ns node \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$SVCNFT" plan "$m"
assert_exit "check needs no privilege (as nobody)" 0 in_ns node \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$SVCNFT" check "$m"

# ---------------------------------------------------------------- writable files

chmod 666 "$m/api.yaml"
assert_exit "apply of a manifest all users can write exits 1" 1 svcnft_in node apply "$m"
assert_grep "... naming the file and its mode" \
	"api.yaml: refusing to read it: its mode 0666 lets its group and all users write it" \
	"$E2E_WORKDIR/last.out"
nft_in node list ruleset >"$out/ruleset.now"
assert_same_file "... and changes nothing" "$out/ruleset.applied" "$out/ruleset.now"
chmod 644 "$m/api.yaml"
chmod 775 "$m"
assert_exit "apply of a directory its group can write exits 1" 1 svcnft_in node apply "$m"
assert_grep "... naming the directory" "refusing to read it: its mode 0775 lets its group write it" \
	"$E2E_WORKDIR/last.out"
assert_exit "--allow-insecure-files reads it" 0 \
	svcnft_in node apply --allow-insecure-files "$m"
chmod 755 "$m"
chmod 666 "$m/api.yaml"
assert_exit "standard input is exempt" 0 sh -c \
	"for f in '$m'/*.yaml; do echo ---; cat \"\$f\"; done |
		ip netns exec '$(ns_name node)' '$SVCNFT' check -"
chmod 644 "$m/api.yaml"

# ---------------------------------------------------------------- flush

assert_exit "flush succeeds" 0 svcnft_in node flush
others_snapshot "$out/others.flush"
assert_same_file "others' rules identical after flush" \
	"$out/others.before" "$out/others.flush"
nft_in node list ruleset >"$out/ruleset.after"
assert_same_file "after flush the whole ruleset is byte-identical to before apply" \
	"$out/ruleset.before" "$out/ruleset.after"
t_done
