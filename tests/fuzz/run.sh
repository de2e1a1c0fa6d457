#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the libFuzzer harnesses (make fuzz-build) and run each for SECONDS
# (default 30), one after the other. Seeds: tests/fuzz/regressions/ (every
# input that once crashed a harness: each run replays them first),
# examples/, tests/hostile/ and the unit tests' data; what a run finds is
# kept in build/fuzz/corpus-NAME and reused by the next run. A crash, leak or
# sanitizer report fails (exit 1) and leaves the input in
# build/fuzz/crash-NAME-*: add it to tests/fuzz/regressions/, and to
# tests/hostile/ when svcnft must refuse it. Without clang's libFuzzer: exit 77.
set -u
cd "$(dirname "$0")/../.." || exit 1
seconds=${1:-30}
: "${FUZZ_CC:=clang}"
: "${MAKE:=make}"

probe=$(mktemp -d "${TMPDIR:-/tmp}/svcnft-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$probe/probe.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$probe/probe" \
	"$probe/probe.c" >"$probe/err" 2>&1; then
	echo "skip: $FUZZ_CC cannot build libFuzzer harnesses: $(head -n 1 "$probe/err")"
	exit 77
fi
"$MAKE" -s fuzz-build FUZZ_CC="$FUZZ_CC" || exit 1

fail=0
for h in build/fuzz/fuzz_*; do
	[ -x "$h" ] || continue
	name=$(basename "$h")
	corpus=build/fuzz/corpus-$name
	mkdir -p "$corpus"
	echo "# $name: ${seconds}s"
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb bounds
	# memory as the hostile corpus does; -max_len leaves room for alias
	# and nesting bombs.
	"$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-dict=tests/fuzz/manifest.dict \
		-artifact_prefix="build/fuzz/crash-$name-" \
		"$corpus" tests/fuzz/regressions examples tests/hostile tests/unit/data \
		>"build/fuzz/$name.log" 2>&1
	rc=$?
	grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
		"build/fuzz/$name.log" | sed 's/^/#   /'
	if [ $rc -ne 0 ]; then
		echo "not ok - $name: exit $rc; see build/fuzz/$name.log:"
		grep -E 'ERROR|SUMMARY|Test unit written|runtime error' \
			"build/fuzz/$name.log" | head -n 10 | sed 's/^/#   /'
		fail=1
	else
		echo "ok - $name: no crash in ${seconds}s"
	fi
done
exit $fail
