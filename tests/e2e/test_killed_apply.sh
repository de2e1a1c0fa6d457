#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# An apply killed with SIGKILL at a random moment leaves the old ruleset or
# the new one, never a mix: KILL_ROUNDS times (50), apply a change to every
# one of KILL_SERVICES Services (2,000: each Service's endpoints switch
# between two manifest sets), SIGKILL svcnft after a random pause of up to
# 1.2 times an apply's duration here, and
# compare svcnft's table with the listing of each plan, loaded into scratch
# namespaces (blocks and elements in canonical order). Both sets hold the
# same Services, so no chain is deleted late (see test_kernel_faults.sh for
# a second transaction that does not happen).
#
# KILL_SEED makes the sleeps reproducible (default: the pid).
#
# e2e-backends: nftables (netlink transactions)

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
: "${KILL_ROUNDS:=50}"
: "${KILL_SERVICES:=2000}"
: "${KILL_SEED:=$$}"
e2e_init
need_svcnft
ns_add node || e2e_bail "cannot create the node namespace"
ns_add plan-a || e2e_bail "cannot create a namespace"
ns_add plan-b || e2e_bail "cannot create a namespace"
out=$E2E_WORKDIR
lock=$out/lock

# services DIR SHIFT: KILL_SERVICES Services, two endpoints each, shifted
# by SHIFT between the two sets.
services() {
	awk -v n="$KILL_SERVICES" -v shift="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			printf "apiVersion: v1\nkind: Service\nmetadata: {name: s%04d, namespace: default}\n", i
			printf "spec:\n  clusterIP: 198.19.%d.%d\n", int(i / 250), 1 + i % 250
			printf "  ports:\n  - {name: http, port: 80, targetPort: 8080}\n---\n"
			printf "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
			printf "metadata:\n  name: s%04d-a\n  namespace: default\n", i
			printf "  labels: {kubernetes.io/service-name: s%04d}\n", i
			printf "addressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:\n"
			for (j = 0; j < 2; j++)
				printf "- addresses: [\"198.18.%d.%d\"]\n", 1 + (i + j + shift) % 200, 2 + j
			printf "---\n"
		}
	}' >"$1/services.yaml"
}
a=$(manifest_dir a)
b=$(manifest_dir b)
services "$a" 0
services "$b" 7
fl_plan_listing plan-a "$a" "$out/plan-a" || e2e_bail "cannot apply set a"
fl_plan_listing plan-b "$b" "$out/plan-b" || e2e_bail "cannot apply set b"
cmp -s "$out/plan-a" "$out/plan-b" && e2e_bail "the two sets make the same ruleset"
fl_foreign node || e2e_bail "cannot load the foreign tables"
nft_in node list table inet foreign >"$out/foreign.before"
assert_exit "apply of set a" 0 svcnft_in node apply -q --lock-file "$lock" "$a"

# which: a, b, or "mix" for the table in the node namespace.
which() {
	nft_in node list table ip svcnft >"$out/node.raw" 2>&1
	fl_canonical "$out/node.raw" >"$out/node.canon"
	if cmp -s "$out/node.canon" "$out/plan-a"; then
		echo a
	elif cmp -s "$out/node.canon" "$out/plan-b"; then
		echo b
	else
		echo mix
	fi
}

# How long an apply takes here: the kills must land during it, on a fast
# machine as on a slow one. Two updates (to b and back to a), timed.
ms_now() {
	date +%s%N | cut -c1-13
}
t0=$(ms_now)
svcnft_in node apply -q --lock-file "$lock" "$b" && svcnft_in node apply -q --lock-file "$lock" "$a" ||
	e2e_bail "cannot apply the two sets"
# 1.2 times one apply, in ms (two were timed)
span=$(( ($(ms_now) - t0) * 6 / 10 ))
[ "$span" -ge 20 ] || span=20

# Milliseconds to sleep before each kill, 0 to 1.2 times an apply, from
# KILL_SEED.
awk -v n="$KILL_ROUNDS" -v seed="$KILL_SEED" -v span="$span" \
	'BEGIN { srand(seed); for (i = 0; i < n; i++) { ms = int(rand() * (span + 1));
		printf "%d.%03d\n", int(ms / 1000), ms % 1000 } }' >"$out/sleeps"
diag "KILL_SEED=$KILL_SEED; kills within ${span} ms"

state=a round=0 killed=0 finished=0 old=0 new=0 mixes=0
while read -r pause; do
	round=$((round + 1))
	[ "$state" = a ] && target=b || target=a
	[ "$target" = a ] && dir=$a || dir=$b
	# ip netns exec execs svcnft: $! is svcnft itself.
	ip netns exec "$(ns_name node)" "$SVCNFT" apply -q --lock-file "$lock" \
		"$dir" >"$out/apply.out" 2>&1 &
	pid=$!
	sleep "$pause"
	if kill -KILL "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	else
		finished=$((finished + 1))
	fi
	wait "$pid" 2>/dev/null
	now=$(which)
	case $now in
	"$state") old=$((old + 1)) ;;
	"$target") new=$((new + 1)) state=$target ;;
	*)
		mixes=$((mixes + 1))
		not_ok "round $round (kill after ${pause}s): the table is neither plan"
		diff -u "$out/plan-$target" "$out/node.canon" | head -n 40 | sed 's/^/#   /'
		# Start the next round from a known state.
		svcnft_in node apply -q --lock-file "$lock" "$a" && state=a ;;
	esac
done <"$out/sleeps"
diag "$round rounds: $killed killed ($old left the old table, $new the new one), $finished finished before the kill"
assert_eq "after $round SIGKILLed applies, no table was a mix" 0 "$mixes"
assert_range "... and at least a fifth of the kills left the old table" \
	$((round / 5)) "$round" "$old"
nft_in node list table inet foreign >"$out/foreign.after"
assert_same_file "the foreign table is byte-identical" "$out/foreign.before" \
	"$out/foreign.after"
[ "$state" = a ] && other=$b || other=$a
assert_exit "an apply after all that succeeds" 0 \
	svcnft_in node apply -q --lock-file "$lock" "$other"
[ "$state" = a ] && state=b || state=a
assert_eq "... and leaves exactly its plan" "$state" "$(which)"
t_done
