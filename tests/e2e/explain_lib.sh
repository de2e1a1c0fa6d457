# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash
# Shared by the explain tests (test_explain*.sh): run `svcnft explain -o
# json` in the node namespace and compare what it says with where real
# connections went. Pods are podN at 198.18.N.2 and 2001:db8:N::2, their
# servers answering "NAME SOURCE" (start_pod -s). Needs jq.

command -v jq >/dev/null 2>&1 || e2e_skip_all "jq not installed (make test-deps)"

# explain_json FILE ARGS...: svcnft explain -o json ARGS in the node
# namespace, into FILE.
explain_json() {
	local file=$1
	shift
	svcnft_in node explain -o json "$@" >"$file" 2>"$file.err" ||
		{ echo "# explain $* failed:"; sed 's/^/#   /' "$file.err"; }
}

# explain_field FILE JQ_FILTER: one value of an explain document.
explain_field() {
	jq -r "$2" "$1" 2>/dev/null
}

# explain_pods FILE: the pods explain says the connection may reach,
# sorted, space-separated (endpoints mapped back to podN by address).
explain_pods() {
	jq -r '.endpoints[].address' "$1" 2>/dev/null |
		sed -n 's/^198\.18\.\([0-9]*\)\.2$/pod\1/p; s/^2001:db8:\([0-9]*\)::2$/pod\1/p' |
		sort -u | tr '\n' ' ' | sed 's/ $//'
}

# assert_prob_sum DESC FILE: the endpoints' probabilities sum to 1.
assert_prob_sum() {
	assert_eq "$1" true \
		"$(jq '([.endpoints[].probability] | add) as $s | $s > 0.999999 and $s < 1.000001' "$2")"
}

# assert_explained DESC EXPLAIN_FILE PROBE_FILE: the endpoint set explain
# reports is the set of pods that answered the probes, and its
# probabilities sum to 1.
assert_explained() {
	local want got
	want=$(explain_pods "$2")
	got=$(sem_pods "$3")
	assert_prob_sum "$1: probabilities sum to 1" "$2"
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "$1: explain's endpoints ($want) are the pods reached"
		return 0
	fi
	not_ok "$1: explain's endpoints are the pods reached"
	echo "#   explain: ${want:-none}"
	echo "#   reached: ${got:-none} ($(probe_summary "$3"))"
	diag_file explain "$2"
	return 1
}

# assert_verdict DESC FILE VERDICT [REASON]: verdict (and reason) of FILE.
assert_verdict() {
	assert_eq "$1: verdict" "$3" "$(explain_field "$2" .verdict)" ||
		diag_file explain "$2"
	[ $# -lt 4 ] || assert_eq "$1: reason" "$4" "$(explain_field "$2" .reason)"
}

# live_start ip|ip6 FILE ARGS...: explain ARGS (--live) in the node
# namespace, in the background (LIVE_PID), once its table is there.
live_start() {
	local family=$1 file=$2 i=0
	shift 2
	ip netns exec "$(ns_name node)" "$SVCNFT" explain "$@" >"$file" 2>"$file.err" &
	LIVE_PID=$!
	while ! nft_in node list table "$family" svcnft-explain >/dev/null 2>&1 &&
		[ "$i" -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# live_stop SIGNAL: signal it and wait (bounded) for its exit status.
live_stop() {
	local i=0
	kill "-$1" "$LIVE_PID" 2>/dev/null
	while kill -0 "$LIVE_PID" 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -KILL "$LIVE_PID" 2>/dev/null
	wait "$LIVE_PID"
}

# assert_no_table DESC: no svcnft-explain table in the node namespace.
assert_no_table() {
	nft_in node list tables >"$E2E_WORKDIR/tables" 2>&1
	assert_no_grep "$1: no table is left behind" "svcnft-explain" "$E2E_WORKDIR/tables"
}

# live_pods FILE: the pods a --live JSON output's connections reached, in
# order, space-separated.
live_pods() {
	jq -r .endpoint "$1" |
		sed -n 's/^198\.18\.\([0-9]*\)\.2:8080$/pod\1/p; s/^\[2001:db8:\([0-9]*\)::2\]:8080$/pod\1/p' |
		tr '\n' ' '
}

# probe_pods FILE: the pods a probe output's attempts reached, in order.
probe_pods() {
	sed '$d' "$1" | awk '{ print $1 }' | tr '\n' ' '
}
