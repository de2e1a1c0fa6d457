#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run the end-to-end tests: every tests/e2e/test_*.sh (or the ones named as
# arguments), one after the other, each bounded by E2E_TEST_TIMEOUT seconds
# (default 300). Each test builds its own namespaces and removes them.
#
# A test passes with exit 0, is skipped with exit 77, fails otherwise. When
# this is not root, or network namespaces cannot be created, everything is
# skipped (exit 0). The last line is always
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
ntests=$#

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

passed=0 failed=0 skipped=0 failed_names=""
for t in "$@"; do
	name=$(basename "$t" .sh)
	echo "# ---- $name"
	start=$(date +%s)
	# timeout signals the test's whole process group on expiry, its
	# servers included; the test's trap removes its namespaces.
	timeout -k 10 "$E2E_TEST_TIMEOUT" sh "$t"
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

[ -n "$failed_names" ] && echo "e2e: failed:$failed_names"
summary="e2e: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
