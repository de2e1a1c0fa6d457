#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the end-to-end tests: every tests/e2e/test_*.sh (or the ones named as
# arguments), one after the other, once per backend -- with
# SVCNFT_BACKEND=nftables, then SVCNFT_BACKEND=iptables (lib.sh passes it
# to svcnft as --backend) -- each run bounded by E2E_TEST_TIMEOUT seconds
# (default 300). Each run builds its own namespaces and removes them.
#
# A test that only means something for some backends says so in a line
#   # e2e-backends: nftables (why)
# and runs only for those; it is not counted for the others. Setting
# SVCNFT_BACKEND (or E2E_BACKENDS="nftables iptables") limits the backends.
#
# A run passes with exit 0, is skipped with exit 77, fails otherwise; each
# (test, backend) pair counts once. When this is not root, or network
# namespaces cannot be created, everything is skipped (exit 0). The last
# line is always
#   e2e: N passed, N failed[, N skipped]
# and the exit status is 1 when anything failed.

dir=$(cd "$(dirname "$0")" && pwd)
: "${E2E_TEST_TIMEOUT:=300}"

if [ $# -gt 0 ]; then
	for t in "$@"; do
		t=$(basename "$t" .sh)
		[ -f "$dir/$t.sh" ] || { echo "e2e: no such test: $t" >&2; exit 2; }
		set -- "$@" "$dir/$t.sh"
		shift
	done
else
	set -- "$dir"/test_*.sh
fi
if [ -n "${SVCNFT_BACKEND:-}" ]; then
	: "${E2E_BACKENDS:=$SVCNFT_BACKEND}"
fi
: "${E2E_BACKENDS:=nftables iptables}"

# backends_of TEST: the backends TEST runs for, of E2E_BACKENDS.
backends_of() {
	local marked b
	marked=$(sed -n 's/^# e2e-backends:[[:space:]]*//p' "$1" | head -n 1 |
		sed 's/(.*//')
	for b in $E2E_BACKENDS; do
		case " ${marked:-$b} " in
		*" $b "*) echo "$b" ;;
		esac
	done
}

ntests=0
for t in "$@"; do
	ntests=$((ntests + $(backends_of "$t" | wc -l)))
done

skip_all() {
	echo "e2e: skipping every test: $*"
	echo "e2e: 0 passed, 0 failed, $ntests skipped"
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "not root (network namespaces need root)"
probe_ns="svcnft-$$-probe"
if ! timeout 10 ip netns add "$probe_ns" 2>/dev/null; then
	skip_all "cannot create network namespaces here"
fi
timeout 10 ip netns del "$probe_ns"

passed=0 failed=0 skipped=0 failed_names="" not_run=""
suite_start=$(date +%s)
for backend in $E2E_BACKENDS; do
not_here=""
for t in "$@"; do
	if ! backends_of "$t" | grep -qx "$backend"; then
		not_here="$not_here $(basename "$t" .sh)"
		continue
	fi
	name="$(basename "$t" .sh)[$backend]"
	echo "# ---- $name"
	start=$(date +%s)
	# timeout signals the test's whole process group on expiry, its
	# servers included; the test's trap removes its namespaces.
	SVCNFT_BACKEND=$backend timeout -k 10 "$E2E_TEST_TIMEOUT" sh "$t"
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0)
		passed=$((passed + 1))
		echo "# PASS $name (${secs}s)" ;;
	77)
		skipped=$((skipped + 1))
		echo "# SKIP $name" ;;
	124 | 137)
		failed=$((failed + 1)) failed_names="$failed_names $name"
		echo "# FAIL $name: timed out after ${E2E_TEST_TIMEOUT}s" ;;
	*)
		failed=$((failed + 1)) failed_names="$failed_names $name"
		echo "# FAIL $name (exit $rc, ${secs}s)" ;;
	esac
done
[ -n "$not_here" ] &&
	not_run="${not_run}e2e: not for $backend (marked e2e-backends):$not_here
"
done

printf '%s' "$not_run"
echo "e2e: backends: $E2E_BACKENDS; $(($(date +%s) - suite_start))s in all"

[ -n "$failed_names" ] && echo "e2e: failed:$failed_names"
summary="e2e: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
