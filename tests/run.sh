#!/bin/sh
# make check: unit tests, golden rulesets, end-to-end traffic tests.
# Prints one closing line "N passed, N failed[, N skipped]" (suites counted).
set -u
cd "$(dirname "$0")/.." || exit 1

passed=0 failed=0 skipped=0
run_suite() {
	name=$1
	shift
	echo "=== $name"
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
	elif [ $rc -eq 77 ]; then
		skipped=$((skipped + 1))
		echo "--- $name: skipped"
	else
		failed=$((failed + 1))
		echo "--- $name: FAILED (exit $rc)"
	fi
}

for t in "$@"; do
	run_suite "unit $(basename "$t")" "$t"
done
run_suite golden sh tests/golden.sh
run_suite corpus sh tests/corpus.sh
run_suite e2e sh tests/e2e/run.sh

echo
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
