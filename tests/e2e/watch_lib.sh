# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash
#
# Helpers of the `svcnft watch` tests (test_watch*.sh); sourced after
# lib.sh. The watch process runs in the node namespace only; its pid file
# is server-watch.pid, so e2e_cleanup stops it however the test ends.

WATCH_LOG=""
WATCH_PID=""

# start_watch ARGS...: svcnft watch ARGS in the node namespace, output in
# $WATCH_LOG; waits (at most 10 s) for the first sync's summary line.
start_watch() {
	WATCH_LOG="$E2E_WORKDIR/watch.log"
	: >"$WATCH_LOG"
	# A lock file of this run's own (others may come after and win): the
	# host's /run/svcnft.lock belongs to whatever else runs svcnft here.
	ip netns exec "$(ns_name node)" "$SVCNFT" watch \
		--lock-file "$E2E_WORKDIR/svcnft.lock" "$@" >>"$WATCH_LOG" 2>&1 &
	WATCH_PID=$!
	echo "$WATCH_PID" >"$E2E_WORKDIR/server-watch.pid"
	wait_lines 1 10
}

# The summary lines so far: one per sync that reached the kernel.
synced_lines() {
	grep -c '^svcnft: applied ' "$WATCH_LOG"
}

# wait_lines N SECONDS: until the log holds N summary lines (polled every
# 20 ms). Prints the seconds waited; fails after SECONDS.
wait_lines() {
	local want=$1 limit=$2 start now
	start=$(date +%s.%N)
	while :; do
		now=$(date +%s.%N)
		[ "$(synced_lines)" -ge "$want" ] && break
		if awk -v a="$start" -v b="$now" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
			echo "timeout"
			return 1
		fi
		sleep 0.02
	done
	awk -v a="$start" -v b="$now" 'BEGIN { printf "%.3f\n", b - a }'
}

# within DESC SECONDS ELAPSED: ok when ELAPSED (wait_lines' output) is a
# number no larger than SECONDS.
within() {
	if [ "$3" != timeout ] && awk -v e="$3" -v l="$2" 'BEGIN { exit !(e <= l) }'; then
		ok "$1 (${3} s)"
		return 0
	fi
	not_ok "$1 (waited: $3 s, limit $2 s)"
	diag_file "watch log" "$WATCH_LOG"
	return 1
}

# stop_watch SIGNAL: signal the watch and wait (at most 10 s) for it;
# WATCH_STATUS is its exit status, or "running". Not in a subshell: only
# this shell can reap it (until then it lingers as a zombie).
stop_watch() {
	local i=0
	kill "-$1" "$WATCH_PID" 2>/dev/null
	while [ "$i" -lt 200 ] && [ -e "/proc/$WATCH_PID" ] &&
		! grep -q '^State:.*Z' "/proc/$WATCH_PID/status" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	WATCH_STATUS=running
	if [ "$i" -lt 200 ]; then
		wait "$WATCH_PID"
		WATCH_STATUS=$?
		rm -f "$E2E_WORKDIR/server-watch.pid"
	fi
}

# The tests that ask over HTTP skip without curl and jq.
need_http_tools() {
	command -v curl >/dev/null 2>&1 || e2e_skip_all "curl not installed"
	command -v jq >/dev/null 2>&1 || e2e_skip_all "jq not installed (make test-deps)"
}

# http_in NS URL OUT: curl from NS; OUT gets the headers and body; prints
# the status code.
http_in() {
	in_ns "$1" curl -s -m 5 -D "$3.headers" -o "$3" -w '%{http_code}' "$2"
}

# only_from DESC POD ADDR: a few connections to ADDR:80 all answered by POD.
only_from() {
	probe_in client tcp "$3" 80 -n 6 -t 1000 >"$E2E_WORKDIR/probe.out"
	assert_probe "$1" "$2" "$E2E_WORKDIR/probe.out" || diag_ruleset
}
