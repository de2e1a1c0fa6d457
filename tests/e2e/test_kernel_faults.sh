#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A batch the kernel refuses changes nothing. The test-only fault switch
# SVCNFT_TEST_FAULT=KIND:MSG[:BATCH] (src/kernel_int.h) corrupts one
# message of a batch just before it is sent, so that the real kernel
# refuses it; then apply must exit 3, name the object the refused message
# was about, and leave `nft list ruleset` byte-identical -- svcnft's table
# and two other programs' tables.
#
#  1. every message of an incremental update (new chains, refilled chains,
#     removed elements, deleted chains, rules, elements), one at a time,
#     made an unknown message type;
#  2. the table attribute hidden from the first and last message, the key
#     of the last element hidden (the kernel's extended ack names that
#     element), a stale generation on every attempt (ERESTART, retried a
#     bounded number of times, then reported);
#  3. the same on a first apply, which creates the table;
#  4. what must succeed: a stale generation on the first attempt only is
#     retried and applied; a refused second transaction (the late chain
#     deletions) leaves the update applied, and the next apply removes the
#     empty leftover chain.
#
# e2e-backends: nftables (netlink batches; the iptables backend has none)

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
e2e_init
need_svcnft
ns_add node || e2e_bail "cannot create the node namespace"
ns_add first || e2e_bail "cannot create a namespace"
ns_add scratch || e2e_bail "cannot create a namespace"
out=$E2E_WORKDIR
MAX_MESSAGES=200	# bound on the sweep of part 1

a=$(manifest_dir a)
b=$(manifest_dir b)
{
	fl_service s01 198.19.0.1 2 1 30001
	fl_service s02 198.19.0.2 2 3
	fl_service s03 198.19.0.3 1 5
	fl_service s04 198.19.0.4 2 1
} >"$a/services.yaml"
# From a to b: s01 and s04 refilled, s02 removed (its chain deleted late),
# s05 to s09 added, s06 without endpoints.
{
	fl_service s01 198.19.0.1 3 2 30001
	fl_service s03 198.19.0.3 1 5
	fl_service s04 198.19.0.4 1 9
	fl_service s05 198.19.0.5 2 7
	fl_service s06 198.19.0.6 0 1
	fl_service s07 198.19.0.7 2 10 30007
	fl_service s08 198.19.0.8 1 12
	fl_service s09 198.19.0.9 3 13
} >"$b/services.yaml"

fl_foreign node || e2e_bail "cannot load the foreign tables"
fl_foreign first || e2e_bail "cannot load the foreign tables"
assert_exit "apply of the first manifests" 0 svcnft_in node apply -q "$a"
ruleset_snapshot node "$out/before"
ruleset_snapshot first "$out/first.before"

# refused NS SPEC BEFORE DESC: apply b with SVCNFT_TEST_FAULT=SPEC in NS
# must exit 3, name an object, and leave the ruleset as BEFORE.
refused() {
	local ns=$1 spec=$2 before=$3 desc=$4
	SVCNFT_TEST_FAULT=$spec svcnft_in "$ns" apply "$b" >"$out/fault.out" 2>&1
	rc=$?
	ruleset_snapshot "$ns" "$out/after"
	if [ "$rc" = 3 ] && cmp -s "$before" "$out/after" &&
		grep -Eq "$OBJECT_RE" "$out/fault.out"; then
		ok "$desc ($spec): exit 3, ruleset unchanged: $(cut -c9-160 "$out/fault.out")"
		return 0
	fi
	not_ok "$desc ($spec)"
	echo "#   exit status $rc (expected 3)"
	diag_file output "$out/fault.out"
	diff -u "$before" "$out/after" | head -n 60 | sed 's/^/#   /'
	return 1
}
OBJECT_RE='^svcnft: the kernel refused (table ip svcnft|map [a-z-]+|chain [^ ]+|rule [0-9]+ \(.*\) in chain [^ ]+|elements? .* in map [a-z-]+|the flush of chain [^ ]+|the deletion of chain [^ ]+|the removal of elements? .* from map [a-z-]+)(| of Service default/s0[0-9]): .*; nothing applied$'

# 1. Every message of the update, one at a time. The batch's length
# depends on the compiler's layout, so the sweep runs until the switch says
# there is no such message (ENOMSG), at most MAX_MESSAGES.
n=1 kinds="" elem_msg=""
while [ "$n" -le "$MAX_MESSAGES" ]; do
	SVCNFT_TEST_FAULT=type:$n svcnft_in node apply "$b" >"$out/probe.out" 2>&1
	grep -q 'No message of desired type' "$out/probe.out" && break
	refused node "type:$n" "$out/before" "update, message $n an unknown type"
	kind=$(sed -n 's/^svcnft: the kernel refused \(the [a-z]*\|[a-z]*\) .*/\1/p' "$out/fault.out")
	kinds="$kinds$kind
"
	[ "$kind" = elements ] && [ -z "$elem_msg" ] && elem_msg=$n
	n=$((n + 1))
done
swept=$((n - 1))
assert_range "the sweep covered at least 20 messages" 20 "$MAX_MESSAGES" "$swept"
echo "$kinds" | sort -u | grep . >"$out/kinds"
for kind in chain rule elements "the flush" "the removal"; do
	assert_grep "... one of them a message of kind '$kind'" "^$kind\$" "$out/kinds"
done

# 2. Other faults in the update.
refused node attr:1 "$out/before" "update, table attribute of the first message hidden"
refused node attr:last "$out/before" "update, table attribute of the last message hidden"
refused node "elem:${elem_msg:-1}" "$out/before" \
	"update, key of the last element of an element message hidden"
# One element, not the message's first with "and N more".
assert_grep "... and the message names that one element" \
	'refused (the removal of )?element [^ ]+( \. [^ ]+)* (in|from) map [a-z-]+' \
	"$out/fault.out"
OBJECT_RE_SAVED=$OBJECT_RE
OBJECT_RE='^svcnft: programming table ip svcnft failed: .*; nothing applied$'
refused node genid:0:every "$out/before" "update, stale generation on every attempt"
assert_grep "... reported as a change made meanwhile (ERESTART)" \
	'Interrupted system call should be restarted' "$out/fault.out"
OBJECT_RE=$OBJECT_RE_SAVED

# 3. A first apply, which creates the table next to the foreign ones.
refused first type:1 "$out/first.before" "create, first message an unknown type"
refused first attr:1 "$out/first.before" "create, table attribute of the table hidden"
refused first attr:last "$out/first.before" "create, table attribute of the last message hidden"
refused first type:last "$out/first.before" "create, last message an unknown type"

# 4. What is retried or tolerated.
fl_plan_listing scratch "$b" "$out/plan-b" || e2e_bail "cannot apply b in scratch"
assert_exit "update with a stale generation on the first attempt only is retried: exit 0" \
	0 env SVCNFT_TEST_FAULT=genid:0:1 \
	timeout -k 5 "$E2E_CMD_TIMEOUT" ip netns exec "$(ns_name node)" "$SVCNFT" apply "$b"
nft_in node list table ip svcnft >"$out/node.raw"
fl_canonical "$out/node.raw" >"$out/node.canon"
assert_same_file "... and the table is the new plan exactly" "$out/plan-b" "$out/node.canon"
assert_exit "back to the first manifests" 0 svcnft_in node apply -q "$a"
assert_exit "update with its second transaction refused: exit 0 (the first one applied)" \
	0 env SVCNFT_TEST_FAULT=type:1:2 \
	timeout -k 5 "$E2E_CMD_TIMEOUT" ip netns exec "$(ns_name node)" "$SVCNFT" apply "$b"
assert_grep "... which was sent in two batches" "in two batches" "$E2E_WORKDIR/last.out"
nft_in node list table ip svcnft >"$out/late.raw"
assert_grep "... leaving the removed Service's chain behind" 'chain svc-default/s02/' "$out/late.raw"
chain_rules "$out/late.raw" svc-default/s02 >"$out/late.rules"
assert_no_grep "... empty" 'dnat|reject' "$out/late.rules"
assert_no_grep "... and nothing refers to it" 'goto "?svc-default/s02/' "$out/late.raw"
assert_exit "the next apply" 0 svcnft_in node apply "$b"
nft_in node list table ip svcnft >"$out/node.raw"
fl_canonical "$out/node.raw" >"$out/node.canon"
assert_same_file "... removes it: the table is the new plan exactly" "$out/plan-b" "$out/node.canon"
t_done
