#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# svcnft watch's periods, with kube-proxy's meaning: changes arriving
# within --min-sync-period after a sync are coalesced into one sync at the
# end of the period, holding the last of them; a change after a quiet
# period is synced at once; --sync-period reads every file and the tables
# again on its own.
#
# e2e-backends: nftables (watch programs nftables)

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
. "$(dirname "$0")/watch_lib.sh"
e2e_init
need_svcnft
ns_add node || e2e_bail "cannot create the node namespace"
m=$(manifest_dir periods)
fl_service web 198.19.0.10 1 1 >"$m/web.yaml"

start_watch --min-sync-period 1500ms "$m" >/dev/null ||
	{ diag_file "watch log" "$WATCH_LOG"; e2e_bail "watch did not sync"; }
# Five changes within the period after the first sync: 2, 3, 4, 5, 6
# endpoints.
for nep in 2 3 4 5 6; do
	fl_service web 198.19.0.10 "$nep" 1 >"$m/web.yaml"
	sleep 0.1
done
t=$(wait_lines 2 5)
assert_range "the coalesced sync waits for the period's end (ms after the last change)" \
	500 5000 "$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')"
sleep 2
assert_eq "five changes within the period: one sync" 2 "$(synced_lines)"
nft_in node list table ip svcnft >"$E2E_WORKDIR/table"
assert_eq "the sync holds the last change (6 endpoints)" 6 \
	"$(grep -c 'dnat to 198\.18\.' "$E2E_WORKDIR/table")"

# Quiet for longer than the period: the next change goes at once.
fl_service web 198.19.0.10 1 1 >"$m/web.yaml"
t=$(wait_lines 3 5)
within "after a quiet period a change is synced at once" 0.5 "$t"
stop_watch TERM
assert_eq "SIGTERM: exit status 0" 0 "$WATCH_STATUS"

start_watch -v --sync-period 1s "$m" >/dev/null ||
	{ diag_file "watch log" "$WATCH_LOG"; e2e_bail "watch did not sync"; }
t=$(wait_lines 3 10)
within "--sync-period 1s: two full resyncs within 10 s" 10 "$t"
t=$(grep -c 'no changes' "$WATCH_LOG")
assert_range "the resyncs change nothing" 2 100 "$t"
t=$(grep -c '(1 read)' "$WATCH_LOG")
assert_range "each resync reads the table back" 3 100 "$t"
stop_watch TERM
assert_eq "SIGTERM: exit status 0" 0 "$WATCH_STATUS"
t_done
