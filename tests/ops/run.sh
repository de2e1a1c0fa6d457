#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The tests of running svcnft on a host that need no kernel: install,
# systemd units, man page and completion, expose, JSON, metrics format, the
# Kubernetes manifests in contrib/. Each tests/ops/test_*.sh passes (0), is
# skipped (77) or fails. The last line is "ops: N passed, N failed[, N skipped]".

dir=$(cd "$(dirname "$0")" && pwd)

# systemd-analyze, jq and groff come with `make test-deps` (make check);
# the tests that miss one skip.
passed=0 failed=0 skipped=0 failed_names=""
for t in "$dir"/test_*.sh; do
	name=$(basename "$t" .sh)
	echo "# ---- $name"
	timeout -k 10 300 sh "$t"
	case $? in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)); echo "# SKIP $name" ;;
	*) failed=$((failed + 1)) failed_names="$failed_names $name"
	   echo "# FAIL $name" ;;
	esac
done
[ -n "$failed_names" ] && echo "ops: failed:$failed_names"
summary="ops: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
