#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# svcnft watch, with real traffic: the first sync is apply's; a file
# changed in place, a new file renamed into place, a removed file and a
# file in a new subdirectory each reach the kernel within 1 s, without
# reading the table back; a ConfigMap-style ..data swap is one change; an
# invalid file is reported with file:line while traffic keeps flowing to
# the old endpoints; a deleted table, a flushed service chain, a removed
# map element and a chain someone added are repaired within 1 s; SIGHUP resyncs; SIGTERM exits 0 with the rules in
# place.
#
# e2e-backends: nftables (watch programs nftables and reads its
# notifications)

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
. "$(dirname "$0")/watch_lib.sh"
e2e_init
need_svcnft
pods_up
m=$(manifest_dir watch)
cm=$(manifest_dir configmap)

fl_service web 198.19.0.10 1 1 >"$m/web.yaml"
# A ConfigMap volume as the kubelet writes it (see the header).
mkdir "$cm/..2026_01_01_00_00_00.1"
fl_service conf 198.19.0.20 1 1 >"$cm/..2026_01_01_00_00_00.1/conf.yaml"
ln -s ..2026_01_01_00_00_00.1 "$cm/..data"
ln -s ..data/conf.yaml "$cm/conf.yaml"

start_watch -v --min-sync-period 100ms "$m" "$cm" >/dev/null ||
	{ diag_file "watch log" "$WATCH_LOG"; e2e_bail "watch did not sync"; }
assert_grep "first sync: apply's summary line" \
	'^svcnft: applied 2 services, 2 endpoints, 0 node ports to table ip svcnft: created' "$WATCH_LOG"
only_from "first sync: web answers from pod1" pod1 198.19.0.10
only_from "first sync: the ConfigMap's Service answers from pod1" pod1 198.19.0.20

# A change after a quiet period is synced at once; each below must show up
# within 1 s, and the steady state reads nothing back from the kernel.
n=1
change() {
	local desc=$1 t
	n=$((n + 1))
	t=$(wait_lines "$n" 5)
	within "$desc: in the kernel within 1 s" 1 "$t"
	sleep 0.15	# past --min-sync-period: the next change is synced at once
}

fl_service web 198.19.0.10 1 2 >"$m/web.yaml"
change "a file changed in place"
only_from "the changed file: web answers from pod2" pod2 198.19.0.10
assert_grep "the steady state does not read the table back" \
	'reading the table 0\.000 s \(0 reads\)' "$WATCH_LOG"

fl_service second 198.19.0.11 1 3 >"$E2E_WORKDIR/second.tmp"
mv "$E2E_WORKDIR/second.tmp" "$m/second.yaml"
change "a new file renamed into place"
only_from "the new file: second answers from pod3" pod3 198.19.0.11

rm "$m/second.yaml"
change "a removed file"
nft_in node list map ip svcnft service-ips >"$E2E_WORKDIR/ips"
assert_no_grep "the removed file's Service is gone" '198\.19\.0\.11 ' "$E2E_WORKDIR/ips"

mkdir "$m/sub"
fl_service third 198.19.0.12 1 3 >"$m/sub/third.yaml"
change "a file in a new subdirectory"
only_from "the new subdirectory's Service answers from pod3" pod3 198.19.0.12

# The kubelet's update: a new timestamped directory, ..data_tmp renamed
# onto ..data, the old directory removed. One change, one sync.
mkdir "$cm/..2026_01_01_00_01_00.2"
fl_service conf 198.19.0.20 1 2 >"$cm/..2026_01_01_00_01_00.2/conf.yaml"
ln -s ..2026_01_01_00_01_00.2 "$cm/..data_tmp"
mv -T "$cm/..data_tmp" "$cm/..data"
rm -rf "$cm/..2026_01_01_00_00_00.1"
change "a ConfigMap ..data swap"
sleep 0.5
assert_eq "the ..data swap is one sync" "$n" "$(synced_lines)"
only_from "after the swap the ConfigMap's Service answers from pod2" pod2 198.19.0.20

# An invalid file: the sync is refused whole, the kernel keeps the last
# good ruleset, watch goes on.
fl_service web 198.19.0.10 1 3 | sed 's/port: 80,/port: 99999,/' >"$m/web.yaml"
i=0
while ! grep -q 'web.yaml:[0-9]*:.*99999' "$WATCH_LOG" && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
assert_grep "an invalid file is reported with file:line" "$m/web.yaml:[0-9]+:.*99999" "$WATCH_LOG"
assert_grep "the refused sync says nothing was applied" 'error; nothing applied' "$WATCH_LOG"
only_from "traffic keeps flowing to the old endpoint (pod2)" pod2 198.19.0.10
t=$(kill -0 "$WATCH_PID" 2>/dev/null && echo alive)
assert_eq "watch is still running" alive "$t"
fl_service web 198.19.0.10 1 3 >"$m/web.yaml"
change "the fixed file"
only_from "the fixed file: web answers from pod3" pod3 198.19.0.10

# Drift: someone else deletes the table, then flushes a service chain.
# repaired LIMIT: poll (every 20 ms) until CHECK passes; prints seconds.
repaired() {
	local start now
	start=$(date +%s.%N)
	while :; do
		now=$(date +%s.%N)
		"$@" && break
		awk -v a="$start" -v b="$now" 'BEGIN { exit !(b - a > 5) }' &&
			{ echo timeout; return 1; }
		sleep 0.02
	done
	awk -v a="$start" -v b="$now" 'BEGIN { printf "%.3f\n", b - a }'
}
web_chain_filled() {
	nft_in node list chain ip svcnft "$chain" 2>/dev/null | grep -q dnat
}
table_back() {
	nft_in node list chain ip svcnft "$chain" >/dev/null 2>&1 && web_chain_filled
}
chain=$(nft_in node list table ip svcnft | sed -n 's/.*chain \(svc-default\/web\/[^ ]*\) .*/\1/p' | head -n 1)
[ -n "$chain" ] || e2e_bail "no service chain for web"
nft_in node delete table ip svcnft
within "a deleted table is repaired" 1 "$(repaired table_back)"
only_from "after the repair web answers from pod3" pod3 198.19.0.10
sleep 0.2
nft_in node flush chain ip svcnft "$chain"
within "a flushed service chain is repaired" 1 "$(repaired web_chain_filled)"
only_from "after the chain repair web answers from pod3" pod3 198.19.0.10
element_back() {
	nft_in node list map ip svcnft service-ips 2>/dev/null | grep -q '198\.19\.0\.10 '
}
sleep 0.2
nft_in node delete element ip svcnft service-ips '{ 198.19.0.10 . tcp . 80 }'
within "a removed map element is repaired" 1 "$(repaired element_back)"
only_from "after the element repair web answers from pod3" pod3 198.19.0.10
intruder_gone() {
	! nft_in node list chain ip svcnft intruder >/dev/null 2>&1
}
sleep 0.2
nft_in node add chain ip svcnft intruder
within "a chain someone added to svcnft's table is removed" 1 "$(repaired intruder_gone)"
assert_grep "drift is reported" 'another process changed table svcnft' "$WATCH_LOG"
t=$(grep -c 'another process changed table svcnft' "$WATCH_LOG")
assert_eq "each of the four changes is one repair" 4 "$t"

before=$(synced_lines)
kill -HUP "$WATCH_PID"
t=$(wait_lines $((before + 1)) 5)
within "SIGHUP: a full resync" 2 "$t"
assert_grep "the full resync reads the table back and changes nothing" \
	'no changes' "$WATCH_LOG"

stop_watch TERM
assert_eq "SIGTERM: exit status 0" 0 "$WATCH_STATUS"
only_from "the rules stay after watch exits" pod3 198.19.0.10
t_done
