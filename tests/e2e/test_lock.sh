#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Concurrent runs serialize on the lock file: two applies started at once
# leave one of the two rulesets, never a mix; a run that cannot get the lock
# in --lock-timeout exits 4 and changes nothing; flush waits for it too.
#
# e2e-backends: nftables (reads the table back with dump -o json, which the
# iptables backend does not have)
. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
command -v jq >/dev/null 2>&1 || e2e_skip_all "jq not installed (make test-deps)"
command -v flock >/dev/null 2>&1 || e2e_skip_all "flock (util-linux) not installed"
ns_add node || e2e_bail "cannot create the node namespace"

lock="$E2E_WORKDIR/svcnft.lock"
# services DIR PREFIX COUNT THIRD_OCTET: COUNT ClusterIP Services with
# Endpoints, enough for an apply to take a while.
services() {
	awk -v p="$2" -v n="$3" -v o="$4" 'BEGIN {
		for (i = 1; i <= n; i++) {
			printf "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s-%d}\n", p, i
			printf "spec: {clusterIP: 198.19.%d.%d, ports: [{port: 80}]}\n", o + int(i / 250), i % 250 + 1
			printf "---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: %s-%d}\n", p, i
			printf "subsets: [{addresses: [{ip: 198.18.%d.%d}], ports: [{port: 8080}]}]\n", o, i % 250 + 1
		}
	}' >"$1/services.yaml"
}
a=$(manifest_dir a) b=$(manifest_dir b)
services "$a" alpha 600 10
services "$b" beta 600 20
"$SVCNFT" plan -o json "$a" | jq -S .services >"$E2E_WORKDIR/a.json"
"$SVCNFT" plan -o json "$b" | jq -S .services >"$E2E_WORKDIR/b.json"

dumped() {
	svcnft_in node dump -o json | jq -S .services >"$E2E_WORKDIR/dumped.json"
}

for round in 1 2 3; do
	svcnft_in node apply -q --lock-file "$lock" "$a" >"$E2E_WORKDIR/a.out" 2>&1 &
	pa=$!
	svcnft_in node apply -q --lock-file "$lock" "$b" >"$E2E_WORKDIR/b.out" 2>&1 &
	pb=$!
	wait "$pa"; ra=$?
	wait "$pb"; rb=$?
	assert_eq "round $round: both concurrent applies succeed" "0 0" "$ra $rb"
	dumped
	if cmp -s "$E2E_WORKDIR/dumped.json" "$E2E_WORKDIR/a.json"; then
		ok "round $round: the table holds one of the two rulesets (a)"
	elif cmp -s "$E2E_WORKDIR/dumped.json" "$E2E_WORKDIR/b.json"; then
		ok "round $round: the table holds one of the two rulesets (b)"
	else
		not_ok "round $round: the table holds one of the two rulesets"
		diag "services in the table: $(jq length "$E2E_WORKDIR/dumped.json")"
	fi
	svcnft_in node flush -q --lock-file "$lock"
done

svcnft_in node apply -q --lock-file "$lock" "$a"
dumped
cp "$E2E_WORKDIR/dumped.json" "$E2E_WORKDIR/before.json"

# An operator holds the lock for 3 s with flock(1).
flock -x "$lock" sleep 3 &
holder=$!
sleep 0.3
assert_exit "apply gives up after --lock-timeout with status 4" 4 \
	svcnft_in node apply --lock-file "$lock" --lock-timeout 0.5 "$b"
assert_grep "... and says who holds which lock" \
	"another svcnft run held .*svcnft.lock for 0.5 s \\(--lock-timeout\\); nothing applied" \
	"$E2E_WORKDIR/last.out"
assert_exit "flush gives up too" 4 svcnft_in node flush --lock-file "$lock" --lock-timeout 0
assert_grep "... nothing removed" 'nothing removed' "$E2E_WORKDIR/last.out"
dumped
assert_same_file "the table is as it was" "$E2E_WORKDIR/before.json" "$E2E_WORKDIR/dumped.json"

start=$(date +%s%N)
assert_exit "an apply with a longer timeout waits and succeeds" 0 \
	svcnft_in node apply -q --lock-file "$lock" --lock-timeout 20 "$b"
waited=$((($(date +%s%N) - start) / 1000000))
assert_range "it waited for the holder (ms)" 1500 20000 "$waited"
wait "$holder"
dumped
assert_same_file "and the table is b" "$E2E_WORKDIR/b.json" "$E2E_WORKDIR/dumped.json"

assert_exit "a lock file that cannot be created: status 4" 4 \
	svcnft_in node apply --lock-file "$E2E_WORKDIR/no/such/dir/lock" "$a"
assert_grep "... naming it" 'cannot lock .*no/such/dir/lock' "$E2E_WORKDIR/last.out"
t_done
