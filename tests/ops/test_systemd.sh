#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units pass systemd-analyze verify, installed where their
# paths are real; a broken unit does not (so the check can fail).
. "$(dirname "$0")/lib.sh"
command -v systemd-analyze >/dev/null 2>&1 ||
	e2e_skip_all "systemd-analyze not installed (make test-deps installs it)"
ops_init

prefix="$E2E_WORKDIR/prefix"
units="$prefix/lib/systemd/system"
make -s -C "$SVCNFT_ROOT" --no-print-directory install PREFIX="$prefix" \
	SYSCONFDIR="$E2E_WORKDIR/etc" >"$E2E_WORKDIR/make.out" 2>&1 ||
	{ diag_file "make install" "$E2E_WORKDIR/make.out"; e2e_bail "make install failed"; }

# verify checks that Documentation= man pages exist by running man(1), when
# it is installed: point it at the page just installed.
verify() {
	MANPATH="$prefix/share/man" SYSTEMD_LOG_LEVEL=notice \
		systemd-analyze verify --man="$man" "$@" >"$E2E_WORKDIR/verify.out" 2>&1 &&
		[ ! -s "$E2E_WORKDIR/verify.out" ]
}
man=no
command -v man >/dev/null 2>&1 && man=yes
diag "man page check by verify: $man"

for u in svcnft.service svcnft.timer svcnft.path svcnft-watch.service; do
	if verify "$units/$u"; then
		ok "systemd-analyze verify $u: no warning"
	else
		not_ok "systemd-analyze verify $u: no warning"
		diag_file "systemd-analyze verify" "$E2E_WORKDIR/verify.out"
	fi
done

sed 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/svcnft|; s|^Type=oneshot|Type=oneshoot|' \
	"$units/svcnft.service" >"$E2E_WORKDIR/svcnft.service"
if verify "$E2E_WORKDIR/svcnft.service"; then
	not_ok "a unit with a missing binary and a bad Type= fails verify"
else
	ok "a unit with a missing binary and a bad Type= fails verify"
fi

assert_grep "the service is a oneshot" '^Type=oneshot$' "$units/svcnft.service"
assert_grep "the watch service notifies readiness" '^Type=notify$' "$units/svcnft-watch.service"
assert_grep "the watch service has a watchdog" '^WatchdogSec=[1-9]' "$units/svcnft-watch.service"
assert_grep "the watch service runs svcnft watch" \
	'^ExecStart=.*/svcnft watch ' "$units/svcnft-watch.service"
assert_grep "the timer catches up missed runs" '^Persistent=true$' "$units/svcnft.timer"
assert_grep "the path unit watches the manifests directory" \
	'^PathChanged=/etc/svcnft/manifests$' "$units/svcnft.path"

# The timer's calendar fires every 30 seconds.
spec=$(sed -n 's/^OnCalendar=//p' "$units/svcnft.timer")
systemd-analyze calendar --iterations=3 "$spec" 2>/dev/null |
	sed -n 's/.*\(Next elapse\|Iter\. #[0-9]*\): [A-Za-z]* \([0-9 :-]*\) .*/\2/p' |
	while read -r d t; do date -d "$d $t" +%s; done >"$E2E_WORKDIR/elapse"
gaps=$(awk 'NR > 1 { printf "%s ", $1 - prev } { prev = $1 }' "$E2E_WORKDIR/elapse")
assert_eq "OnCalendar= elapses every 30 s" "30 30 " "$gaps"
t_done
