#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make install and make uninstall into a temporary DESTDIR.
. "$(dirname "$0")/lib.sh"
ops_init

dest="$E2E_WORKDIR/dest"
mk() {
	make -s -C "$SVCNFT_ROOT" --no-print-directory "$@" >"$E2E_WORKDIR/make.out" 2>&1
}

t_check "make install DESTDIR PREFIX=/usr succeeds" mk install DESTDIR="$dest" PREFIX=/usr
for f in usr/sbin/svcnft usr/share/man/man8/svcnft.8 \
	usr/share/bash-completion/completions/svcnft \
	usr/lib/systemd/system/svcnft.service usr/lib/systemd/system/svcnft.timer \
	usr/lib/systemd/system/svcnft.path \
	usr/lib/systemd/system/svcnft-watch.service etc/default/svcnft; do
	t_check "installed /$f" test -f "$dest/$f"
done
t_check "the binary is executable and runs" "$dest/usr/sbin/svcnft" --version
assert_eq "the man page is not executable" "644" "$(stat -c %a "$dest/usr/share/man/man8/svcnft.8")"
t_check "the manifests directory exists" test -d "$dest/etc/svcnft/manifests"
assert_grep "the service runs the installed binary" \
	'^ExecStart=/usr/sbin/svcnft apply ' "$dest/usr/lib/systemd/system/svcnft.service"
assert_grep "the service reads /etc/default/svcnft" \
	'^EnvironmentFile=-/etc/default/svcnft$' "$dest/usr/lib/systemd/system/svcnft.service"
assert_no_grep "no placeholder is left in the units" '@[A-Z]+@' \
	"$dest/usr/lib/systemd/system/svcnft.service"
assert_no_grep "no placeholder is left in the watch unit" '@[A-Z]+@' \
	"$dest/usr/lib/systemd/system/svcnft-watch.service"
assert_grep "the watch service runs the installed binary" \
	'^ExecStart=/usr/sbin/svcnft watch ' "$dest/usr/lib/systemd/system/svcnft-watch.service"

# The default file is the administrator's once installed.
echo 'SVCNFT_OPTIONS="--node-name n1"' >>"$dest/etc/default/svcnft"
t_check "a second install succeeds" mk install DESTDIR="$dest" PREFIX=/usr
assert_grep "a second install keeps an edited /etc/default/svcnft" 'node-name n1' \
	"$dest/etc/default/svcnft"

t_check "make uninstall succeeds" mk uninstall DESTDIR="$dest" PREFIX=/usr
find "$dest" -type f | sed "s|^$dest||" | sort >"$E2E_WORKDIR/left"
echo /etc/default/svcnft >"$E2E_WORKDIR/want"
assert_same_file "uninstall removes every file but the edited default file" \
	"$E2E_WORKDIR/want" "$E2E_WORKDIR/left"

dest2="$E2E_WORKDIR/dest2"
mk install DESTDIR="$dest2"
t_check "PREFIX defaults to /usr/local" test -x "$dest2/usr/local/sbin/svcnft"
mk uninstall DESTDIR="$dest2"
assert_eq "an unedited default file goes with uninstall" "" "$(find "$dest2" -type f)"
t_check "uninstall removes the empty manifests directory" test ! -e "$dest2/etc/svcnft"
t_done
