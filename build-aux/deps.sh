#!/bin/sh
# Make sure what svcnft builds and tests with is installed. On Debian, as
# root, missing packages are installed with apt-get; elsewhere the missing
# ones are named and the build stops.
set -eu

need="gcc make pkg-config libnftnl-dev libmnl-dev libyaml-dev check nftables iproute2"

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
echo "svcnft: run 'sudo make' to install them, or install them yourself" >&2
exit 1
