#!/bin/sh
# make check: unit tests, golden rulesets, end-to-end traffic tests.
# Prints one closing line "N passed, N failed[, N skipped]" (suites counted).
set -u
cd "$(dirname "$0")/.." || exit 1

# make check SANITIZE=1: a sanitizer report must not pass for svcnft's own
# exit status 1 (invalid manifests), so it exits 99; leaks count.
if [ "${SVCNFT_SANITIZE:-}" = 1 ]; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:-exitcode=99:detect_leaks=1:abort_on_error=0}"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-exitcode=99:print_stacktrace=1:halt_on_error=1}"
	export LSAN_OPTIONS="${LSAN_OPTIONS:-exitcode=99}"
fi

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
run_suite ops sh tests/ops/run.sh
run_suite hostile sh tests/hostile.sh
run_suite scaling sh tests/scaling.sh
run_suite valgrind sh tests/valgrind.sh
if [ "${SVCNFT_SANITIZE:-}" = 1 ]; then
	# The harnesses build with sanitizers of their own, in build/fuzz/.
	run_suite fuzz sh -c 'echo "skip: the plain make check runs the fuzzers"; exit 77'
else
	run_suite fuzz sh tests/fuzz/run.sh "${FUZZ_SECONDS:-30}"
fi
run_suite e2e sh tests/e2e/run.sh

echo
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
