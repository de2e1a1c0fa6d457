#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# promtool, to check svcnft's metrics file in the tests, without installing
# Prometheus (whose package would start a server): as root on Debian, fetch
# the prometheus package with apt-get download and take promtool alone out
# of it into DIR. Does nothing when promtool is installed or already in DIR;
# when it cannot, the tests use their own strict checker.
set -eu
dir=${1:?usage: promtool.sh DIR}
command -v promtool >/dev/null 2>&1 && exit 0
[ -x "$dir/promtool" ] && exit 0
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || exit 0
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "svcnft: fetching promtool (Debian package prometheus) for the tests" >&2
(cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1) || {
	apt-get update -qq >/dev/null 2>&1 &&
		(cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1)
} || { echo "svcnft: cannot fetch prometheus; using the tests' own checker" >&2; exit 0; }
dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
mv "$tmp/usr/bin/promtool" "$dir/promtool"
