#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What svcnft programs, the nft binary can read back: `nft list ruleset`
# and `nft -j list ruleset` succeed on a table using every feature, print
# nothing on standard error and no expression nft could not decode; and the
# listing loads again with `nft -f` in a fresh namespace, where it lists the
# same. A netlink encoding mistake usually shows up here first.
#
# e2e-backends: nftables (what the nft binary reads back of svcnft's table)

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
ns_add node || e2e_bail "cannot create the node namespace"
ns_add reload || e2e_bail "cannot create the reload namespace"
out=$E2E_WORKDIR
m=$(manifest_dir everything)
k8s_everything "$m"

assert_exit "svcnft apply succeeds" 0 svcnft_in node apply "$m"

nft_in node list ruleset >"$out/list" 2>"$out/list.err"
assert_eq "nft list ruleset exits 0" 0 $?
assert_eq "nft list ruleset prints nothing on stderr" "" "$(cat "$out/list.err")"
assert_grep "the listing holds table ip svcnft" '^table ip svcnft \{' "$out/list"
# nft prints what it cannot decode as "[invalid type]", "unknown" or
# "# ..." expression dumps.
assert_no_grep "nft decoded every expression" \
	'\[invalid|unknown|^[[:space:]]*#|\[ [a-z]+ ' "$out/list"
for addr in 198.19.0.10 198.19.0.11 198.19.0.12 198.19.0.13 198.19.0.14 \
	198.19.0.15 198.19.0.16 198.19.0.17 198.19.255.10 198.19.255.11; do
	assert_grep "a map element for $addr" "$addr \\. (tcp|udp) \\. " "$out/list"
done
for np in 30080 30053 30443; do
	assert_grep "a map element for node port $np" "(tcp|udp) \\. $np :" "$out/list"
done

nft_in node -j list ruleset >"$out/json" 2>"$out/json.err"
assert_eq "nft -j list ruleset exits 0" 0 $?
assert_eq "nft -j list ruleset prints nothing on stderr" "" "$(cat "$out/json.err")"
if command -v jq >/dev/null 2>&1; then
	t_check "the JSON listing parses, with svcnft's table in it" \
		jq -e '[.nftables[] | select(.table.name == "svcnft")] | length == 1' \
		"$out/json"
else
	assert_grep "the JSON listing looks like JSON (jq not installed)" \
		'^\{"nftables": ?\[.*"name": ?"svcnft"' "$out/json"
fi

t_check "the listing loads with nft -f in a fresh namespace" \
	nft_in reload -f "$out/list"
nft_in reload list ruleset >"$out/relist" 2>&1
assert_same_file "... and lists the same there" "$out/list" "$out/relist"
t_done
