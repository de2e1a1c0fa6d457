#!/bin/sh
# Make sure what svcnft builds and tests with is installed. On Debian, as
# root, missing packages are installed with apt-get; elsewhere the missing
# ones are named and the build stops.
set -eu

need="gcc make pkg-config libnftnl-dev libmnl-dev libyaml-dev libjson-c-dev libnetfilter-conntrack-dev libmicrohttpd-dev libsystemd-dev check nftables iptables iproute2"
# `make bench` alone also compares with iptables-restore, takes peak memory
# with /usr/bin/time and runs its driver with python3.
if [ "${1:-}" = bench ]; then
	need="$need time python3"
fi
# `make check` also runs svcnft under valgrind, builds the libFuzzer harnesses
# with clang (libFuzzer is in libclang-rt-14-dev on Debian 12), measures
# peak memory with /usr/bin/time and drops privileges with setpriv
# (util-linux). Without them those parts skip, so a user who cannot install
# them is told, and the check goes on. tests/ops verifies the systemd units
# with systemd-analyze, reads JSON back with jq, checks the man page with groff,
# asks svcnft watch's HTTP endpoints with curl;
# tests/scaling.sh makes its inputs with python3.
if [ "${1:-}" = test ]; then
	need="$need valgrind clang libclang-rt-14-dev time util-linux python3"
	need="$need systemd jq groff-base curl"
fi

missing=""
for p in $need; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "svcnft: installing Debian packages:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	exit 0
fi
echo "svcnft: missing packages:$missing" >&2
if [ "${1:-}" = test ]; then
	echo "svcnft: the tests that need them will be skipped" >&2
	exit 0
fi
echo "svcnft: run 'sudo make' to install them, or install them yourself" >&2
exit 1
