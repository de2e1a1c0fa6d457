#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# svcnft watch's health and metrics over real HTTP from another namespace,
# and a sync the kernel refuses (the test-only fault switch, read from a
# file while it exists): /healthz answers 200 with kube-proxy's body after
# the first sync, 503 while the kernel refuses, 200 again once a retry
# succeeds; traffic keeps flowing to the old endpoints meanwhile; /metrics
# passes promtool and counts what happened. A sync that finds the lock file
# taken waits for it and then applies.
#
# e2e-backends: nftables (watch programs nftables)

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault_lib.sh"
. "$(dirname "$0")/watch_lib.sh"
e2e_init
need_svcnft
need_http_tools
pods_up
m=$(manifest_dir watch)
fault=$E2E_WORKDIR/fault
lock=$E2E_WORKDIR/svcnft.lock
healthz="http://$NODE_IP:10256/healthz"
metrics="http://$NODE_IP:10249/metrics"
out=$E2E_WORKDIR

fl_service web 198.19.0.10 1 1 >"$m/web.yaml"
# sd_notify's socket, read by a bounded listener: what systemd would see.
notify=$E2E_WORKDIR/notify.sock
have_notify=false notify_pid=""
if command -v python3 >/dev/null 2>&1; then
	timeout 120 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(4096).decode() + "\n---\n")
        out.flush()
' "$notify" "$E2E_WORKDIR/notify.log" &
	notify_pid=$!
	i=0
	while [ ! -S "$notify" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S "$notify" ] && have_notify=true
fi
NOTIFY_SOCKET=$notify WATCHDOG_USEC=400000 \
SVCNFT_TEST_FAULT_FILE=$fault start_watch --lock-file "$lock" \
	--metrics-file "$out/watch.prom" \
	--healthz-bind-address "$NODE_IP:10256" \
	--metrics-bind-address "$NODE_IP:10249" "$m" >/dev/null ||
	{ diag_file "watch log" "$WATCH_LOG"; e2e_bail "watch did not sync"; }

if $have_notify; then
	sleep 0.6
	assert_grep "sd_notify: READY=1 after the first sync" '^READY=1$' "$E2E_WORKDIR/notify.log"
	assert_grep "sd_notify: a STATUS= line per sync" '^STATUS=synced 1 services' "$E2E_WORKDIR/notify.log"
	assert_grep "sd_notify: the watchdog is kept" '^WATCHDOG=1$' "$E2E_WORKDIR/notify.log"
else
	skip "sd_notify" "python3 not installed"
fi
assert_eq "healthz after the first sync: 200" 200 "$(http_in client "$healthz" "$out/h1")"
t=$(jq -r '(.lastUpdated | type) + " " + (.currentTime | type)' "$out/h1" 2>&1)
assert_eq "healthz body: kube-proxy's lastUpdated and currentTime" "string string" "$t"
assert_grep "healthz answers JSON" '^Content-Type: application/json' "$out/h1.headers"
assert_eq "an unknown path: 404" 404 "$(http_in client "http://$NODE_IP:10256/nothing" "$out/h404")"

# metrics_check DESC FILE: promtool (when there is one) and the project's
# strict checker.
metrics_check() {
	local promtool
	promtool=$(command -v promtool || echo "$SVCNFT_ROOT/build/deps/promtool")
	if [ -x "$promtool" ]; then
		t_check "$1: promtool check metrics" sh -c '"$1" check metrics <"$2"' _ "$promtool" "$2"
	else
		skip "$1: promtool check metrics" "promtool not available (make test-deps)"
	fi
	t_check "$1: strict text-format check" awk -f "$SVCNFT_ROOT/tests/ops/promcheck.awk" "$2"
}
metric() {
	awk -v k="$2" 'index($0, k " ") == 1 { print $2 }' "$1"
}
assert_eq "metrics: 200" 200 "$(http_in client "$metrics" "$out/m1")"
metrics_check "metrics after the first sync" "$out/m1"
assert_eq "metrics: one ok sync" 1 "$(metric "$out/m1" 'svcnft_syncs_total{result="ok"}')"
assert_eq "metrics: one Service" 1 "$(metric "$out/m1" svcnft_services)"
assert_eq "metrics: one sync in the histogram" 1 "$(metric "$out/m1" svcnft_sync_duration_seconds_count)"
assert_grep "metrics: a last successful sync time" '^svcnft_last_sync_success_timestamp_seconds [1-9]' "$out/m1"
metrics_check "--metrics-file after the first sync" "$out/watch.prom"
assert_grep "--metrics-file: the sync succeeded" '^svcnft_last_run_success\{table="svcnft"\} 1$' "$out/watch.prom"

# The kernel refuses every batch while the fault file exists.
echo type:1:every >"$fault"
fl_service web 198.19.0.10 1 2 >"$m/web.yaml"
# poll_for DESC SECONDS CMD...: until CMD succeeds (every 50 ms).
poll_for() {
	local desc=$1 limit=$2 i=0
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt $((limit * 20)) ]; then
			not_ok "$desc (within $limit s)"
			diag_file "watch log" "$WATCH_LOG"
			return 1
		fi
		sleep 0.05
	done
	ok "$desc"
}
unhealthy() {
	[ "$(http_in client "$healthz" "$out/h2")" = 503 ]
}
refusals() {
	[ "$(grep -c 'sync failed' "$WATCH_LOG")" -ge "$1" ]
}
poll_for "a refused sync is reported" 5 refusals 1
poll_for "healthz while the kernel refuses: 503" 5 unhealthy
poll_for "the refused sync is retried" 10 refusals 3
assert_grep "the refusal names the kernel's error" 'the kernel refused' "$WATCH_LOG"
only_from "traffic keeps flowing to the old endpoint meanwhile" pod1 198.19.0.10
http_in client "$metrics" "$out/m2" >/dev/null
t=$(metric "$out/m2" 'svcnft_syncs_total{result="kernel_error"}')
assert_range "metrics count the refusals" 3 1000 "${t:-0}"
assert_eq "metrics: not healthy" 0 "$(metric "$out/m2" svcnft_healthy)"
assert_grep "--metrics-file: the refused sync's exit status 3" \
	'^svcnft_last_run_exit_status\{table="svcnft"\} 3$' "$out/watch.prom"

rm -f "$fault"
t=$(wait_lines 2 40)
within "once the kernel accepts, a retry applies the change" 40 "$t"
assert_eq "healthz after the retry: 200" 200 "$(http_in client "$healthz" "$out/h3")"
only_from "after the retry web answers from pod2" pod2 198.19.0.10

# An operator's run holds the lock: the sync waits for it.
if command -v flock >/dev/null 2>&1; then
	flock "$lock" sleep 2 &
	holder=$!
	sleep 0.3
	fl_service web 198.19.0.10 1 3 >"$m/web.yaml"
	poll_for "a sync that finds the lock taken says so" 5 grep -q "held by" "$WATCH_LOG"
	t=$(wait_lines 3 40)
	within "after the lock is released the change is applied" 40 "$t"
	wait "$holder"
	only_from "after the lock web answers from pod3" pod3 198.19.0.10
else
	skip "the lock file" "flock (util-linux) not installed"
fi

stop_watch TERM
assert_eq "SIGTERM: exit status 0" 0 "$WATCH_STATUS"

# The switch from the environment counts the process's batches: the first
# sync's is refused, its retry goes through.
nft_in node delete table ip svcnft
SVCNFT_TEST_FAULT=type:1:1 start_watch --healthz-bind-address "$NODE_IP:10256" "$m" >/dev/null ||
	{ diag_file "watch log" "$WATCH_LOG"; e2e_bail "watch did not sync after a refused first batch"; }
assert_eq "a refused first sync: reported once" 1 "$(grep -c 'sync failed' "$WATCH_LOG")"
assert_eq "... and retried: healthz 200" 200 "$(http_in client "$healthz" "$out/h4")"
stop_watch TERM
assert_eq "SIGTERM: exit status 0" 0 "$WATCH_STATUS"
$have_notify && kill "$notify_pid" 2>/dev/null
t_done
