#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# On a terminal (a pty from script(1)), an apply that takes over a second
# shows progress on stderr and erases it; when output is not a terminal, it
# prints only its summary line, and no escape sequence at all.
# e2e-backends: nftables (progress is the command line's, whatever the
# backend; the runs here call svcnft directly, without --backend)
. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
command -v script >/dev/null 2>&1 || e2e_skip_all "script (util-linux) not installed"
command -v flock >/dev/null 2>&1 || e2e_skip_all "flock (util-linux) not installed"
ns_add node || e2e_bail "cannot create the node namespace"

lock="$E2E_WORKDIR/lock"
m=$(manifest_dir m)
k8s_pod web-1 default 198.18.1.2 app=web >"$m/pods.yaml"
printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: 198.19.0.10, selector: {app: web}, ports: [{port: 80}]}\n' >>"$m/pods.yaml"
cmd="ip netns exec $(ns_name node) $SVCNFT apply --lock-file $lock --lock-timeout 20 $m"

# Another run holds the lock for 2.5 s: the apply takes that long.
flock -x "$lock" sleep 2.5 &
holder=$!
sleep 0.2
TERM=xterm timeout 30 script -q -e -c "$cmd" "$E2E_WORKDIR/typescript" </dev/null >/dev/null 2>&1
rc=$?
wait "$holder"
assert_eq "apply on a terminal succeeds" 0 "$rc"
tr '\r' '\n' <"$E2E_WORKDIR/typescript" >"$E2E_WORKDIR/screen"
assert_grep "progress says what it waits for" \
	"svcnft apply: waiting for $lock \\(held by (pid [0-9]+|another process)\\)\\.\\.\\. [0-9]+\\.[0-9] s" "$E2E_WORKDIR/screen"
assert_grep "and is redrawn as time passes" '\.\.\. 2\.[0-9] s' "$E2E_WORKDIR/screen"
assert_grep "the line is erased before the summary" "$(printf '\033')\\[Ksvcnft: applied 1 service," \
	"$E2E_WORKDIR/screen"

flock -x "$lock" sleep 2.5 &
holder=$!
sleep 0.2
svcnft_in node apply --lock-file "$lock" --lock-timeout 20 "$m" \
	>"$E2E_WORKDIR/stdout" 2>"$E2E_WORKDIR/stderr"
rc=$?
wait "$holder"
assert_eq "apply into files succeeds" 0 "$rc"
assert_eq "nothing on stderr when it is not a terminal" "" "$(cat "$E2E_WORKDIR/stderr")"
assert_eq "one summary line on stdout" 1 "$(wc -l <"$E2E_WORKDIR/stdout")"
assert_no_grep "no escape sequence or carriage return in the output" \
	"$(printf '[\033\r]')" "$E2E_WORKDIR/stdout"

# A quick apply on a terminal shows nothing but its summary.
TERM=xterm timeout 30 script -q -e -c "$cmd" "$E2E_WORKDIR/typescript2" </dev/null >/dev/null 2>&1
assert_no_grep "a run under a second shows no progress" 'waiting|programming|reading' \
	"$E2E_WORKDIR/typescript2"
t_done
