#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# --metrics-file from a run that fails before the kernel (invalid manifests,
# so nothing is programmed anywhere): the file is written, valid, and says
# the run failed. tests/e2e/test_ops_apply.sh covers successful applies.
. "$(dirname "$0")/lib.sh"
# apply checks for CAP_NET_ADMIN before anything else
[ "$(id -u)" = 0 ] || e2e_skip_all "not root: apply stops before reading manifests"
ops_init

m=$(manifest_dir bad)
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 99999}]\n' >"$m/bad.yaml"
prom="$E2E_WORKDIR/textfile/svcnft.prom"
mkdir -p "$(dirname "$prom")"
assert_exit "apply of invalid manifests fails with status 1" 1 \
	"$SVCNFT" apply --lock-file "$E2E_WORKDIR/lock" --metrics-file "$prom" "$m"
t_check "the metrics file is written" test -s "$prom"
check_metrics "the failed run's metrics" "$prom"
assert_eq "svcnft_last_run_success is 0" 0 "$(metric "$prom" 'svcnft_last_run_success{table="svcnft"}')"
assert_eq "svcnft_last_run_exit_status is 1" 1 "$(metric "$prom" 'svcnft_last_run_exit_status{table="svcnft"}')"
assert_eq "svcnft_manifest_errors counts the error" 1 "$(metric "$prom" 'svcnft_manifest_errors{table="svcnft"}')"
assert_no_grep "no model gauges from invalid manifests" '^svcnft_services' "$prom"
assert_no_grep "no success ever: no last-success time" '^svcnft_last_success' "$prom"
assert_eq "nothing but the file is left in its directory" "svcnft.prom" \
	"$(ls -A "$(dirname "$prom")")"
assert_eq "the file is readable by node_exporter's user" 644 "$(stat -c %a "$prom")"
assert_exit "a metrics file in a missing directory: reported, status unchanged" 1 \
	"$SVCNFT" apply --lock-file "$E2E_WORKDIR/lock" --metrics-file "$E2E_WORKDIR/no/such.prom" "$m"
assert_grep "... with a message" 'writing the metrics file .* failed' "$E2E_WORKDIR/last.out"
assert_exit "check takes no --metrics-file" 2 "$SVCNFT" check --metrics-file "$prom" "$m"
t_done
