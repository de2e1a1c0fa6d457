# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash
#
# Shared by the tests of running svcnft on a host (tests/ops/test_*.sh):
# the TAP helpers of the end-to-end library, a work directory removed by a
# trap, and nothing that needs root. Tests that need a kernel are in
# tests/e2e.
. "$(dirname "$0")/../e2e/lib.sh"

ops_init() {
	E2E_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/svcnft-ops.XXXXXX") ||
		e2e_bail "cannot create a temporary directory"
	trap 'rm -rf "$E2E_WORKDIR"' EXIT
	trap 'rm -rf "$E2E_WORKDIR"; exit 130' INT
	trap 'rm -rf "$E2E_WORKDIR"; exit 143' TERM
	[ -x "$SVCNFT" ] || e2e_bail "$SVCNFT not built (run: make)"
}

# The long options svcnft's sources define (cli_parse, cli_ops.h, expose).
svcnft_long_options() {
	sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", [a-z_]*_argument.*/\1/p' \
		"$SVCNFT_ROOT"/src/cmd_common.c "$SVCNFT_ROOT"/src/cli_ops.h \
		"$SVCNFT_ROOT"/src/cmd_expose.c | sort -u
}

# The commands of main.c's table.
svcnft_commands() {
	sed -n 's/^[[:space:]]*{ "\([a-z]*\)", cmd_[a-z]*,.*/\1/p' "$SVCNFT_ROOT"/src/main.c
}

# check_metrics DESC FILE: the file is valid Prometheus text format, by the
# strict checker here and by promtool when there is one.
check_metrics() {
	local desc=$1 file=$2 promtool
	if [ -n "$(tail -c 1 "$file")" ]; then
		not_ok "$desc: ends with a newline"
	elif awk -f "$SVCNFT_ROOT/tests/ops/promcheck.awk" "$file" >"$E2E_WORKDIR/promcheck.out" 2>&1; then
		ok "$desc: strict text-format check"
	else
		not_ok "$desc: strict text-format check"
		diag_file promcheck "$E2E_WORKDIR/promcheck.out"
		diag_file metrics "$file"
	fi
	promtool=$(command -v promtool || echo "$SVCNFT_ROOT/build/deps/promtool")
	if [ ! -x "$promtool" ]; then
		skip "$desc: promtool check metrics" "promtool not available"
	elif "$promtool" check metrics <"$file" >"$E2E_WORKDIR/promtool.out" 2>&1; then
		ok "$desc: promtool check metrics"
	else
		not_ok "$desc: promtool check metrics"
		diag_file promtool "$E2E_WORKDIR/promtool.out"
	fi
}

# metric FILE NAME_AND_LABELS: the value of one series.
metric() {
	awk -v k="$2" 'index($0, k " ") == 1 { print $2 }' "$1"
}
