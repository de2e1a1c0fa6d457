#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# svcnft under valgrind memcheck: any memory error, and any leak of any kind
# (definite, indirect, possible, still reachable), fails the run. plan and
# check run on examples/ and on invalid manifests (the error paths); as root
# with network namespaces, apply (twice), dump and flush (twice: the second
# finds nothing) run inside a throwaway namespace svcnft-PID-valgrind.
# Skipped without valgrind, and for a sanitizer build (SVCNFT_SANITIZE=1),
# which valgrind cannot run.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${SVCNFT:=$(pwd)/svcnft}"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "skip: valgrind is not installed"
	exit 77
fi
if [ "${SVCNFT_SANITIZE:-}" = 1 ]; then
	echo "skip: a sanitizer build does not run under valgrind"
	exit 77
fi

# 99: what valgrind exits with on an error or a leak; svcnft uses 0-3.
VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --track-origins=yes"
work=$(mktemp -d "${TMPDIR:-/tmp}/svcnft-valgrind.XXXXXX") || exit 1
ns=""
cleanup() {
	[ -n "$ns" ] && timeout 10 ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

n=0 fail=0
# Words that run a command inside the namespace, once there is one. They come
# before valgrind, not after: `ip netns exec` execs its command, and valgrind
# without --trace-children would check ip and let svcnft run unchecked.
in_ns=""
# vg WANT_STATUS DESCRIPTION svcnft ARGS...
vg() {
	want=$1 desc=$2
	shift 2
	n=$((n + 1))
	# shellcheck disable=SC2086 # in_ns and VG are words
	timeout -k 5 300 $in_ns $VG "$@" >"$work/out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then
		echo "ok $n - $desc"
	else
		fail=1
		echo "not ok $n - $desc: exit $rc, expected $want"
		head -n 40 "$work/out" | sed 's/^/#   /'
	fi
}

vg 0 "plan examples/" "$SVCNFT" plan examples/
vg 0 "check -v examples/" "$SVCNFT" check -v examples/
vg 0 "plan of each example with the Pods" "$SVCNFT" plan examples/pods.yaml \
	examples/clusterip.yaml examples/multiport.yaml examples/endpointslice.yaml
vg 1 "check of invalid manifests (type, syntax, alias bomb, duplicates)" \
	"$SVCNFT" check tests/hostile/port-string.yaml tests/hostile/syntax-unclosed-quote.yaml \
	tests/hostile/alias-bomb.yaml tests/hostile/duplicate-nodeport.yaml \
	tests/hostile/invalid-utf8.yaml tests/hostile/long-name-256k.yaml
vg 1 "check of a missing file and an empty one" "$SVCNFT" check /nonexistent.yaml \
	tests/hostile/empty.yaml
vg 2 "usage error" "$SVCNFT" plan --nodeport-range banana examples/
vg 0 "explain --plan, text" "$SVCNFT" explain --plan examples/ --cluster-cidr 198.18.0.0/20 \
	--from 198.18.200.2 198.19.0.10:80
vg 0 "explain --plan, JSON, IPv6" "$SVCNFT" explain --plan examples/ -o json "[2001:db8:ffff::110]:80"
vg 2 "explain usage error" "$SVCNFT" explain --plan examples/ 198.19.0.10:99999

if [ "$(id -u)" = 0 ] && timeout 10 ip netns add "svcnft-$$-valgrind" 2>/dev/null; then
	ns="svcnft-$$-valgrind"
	in_ns="ip netns exec $ns"
	vg 0 "apply examples/ (in $ns)" "$SVCNFT" apply examples/
	vg 0 "apply again (in $ns)" "$SVCNFT" apply examples/
	vg 0 "dump (in $ns)" "$SVCNFT" dump
	vg 0 "explain (in $ns)" "$SVCNFT" explain -o json 198.19.0.70:80
	vg 0 "explain --live 1 (in $ns)" "$SVCNFT" explain --live 1 198.19.0.10:80
	vg 1 "apply of invalid manifests (in $ns)" "$SVCNFT" apply \
		tests/hostile/port-70000.yaml
	vg 0 "flush (in $ns)" "$SVCNFT" flush
	vg 0 "flush with nothing left (in $ns)" "$SVCNFT" flush
	vg 0 "dump of no table (in $ns)" "$SVCNFT" dump
	# watch under valgrind: a change, an invalid file, drift (a deleted
	# table, a flushed chain, a flushed map), then SIGTERM, every listener
	# open; exit 0 with nothing leaked.
	n=$((n + 1))
	cp -r examples "$work/m" && chmod -R go-w "$work/m"
	# shellcheck disable=SC2086 # in_ns and VG are words
	timeout -k 5 300 $in_ns $VG "$SVCNFT" watch --lock-file "$work/lock" \
		--healthz-bind-address 127.0.0.1:10256 --metrics-bind-address 127.0.0.1:10249 \
		"$work/m" >"$work/watch.out" 2>&1 &
	vgpid=$!
	sleep 8
	ip netns exec "$ns" curl -s -o /dev/null 127.0.0.1:10256/healthz 2>/dev/null
	ip netns exec "$ns" curl -s -o /dev/null 127.0.0.1:10249/metrics 2>/dev/null
	sed -i 's/port: 80/port: 81/' "$work/m/clusterip.yaml"
	sleep 2
	echo 'garbage: [' >"$work/m/bad.yaml"
	sleep 2
	rm "$work/m/bad.yaml"
	sleep 2
	ip netns exec "$ns" nft delete table ip svcnft
	sleep 2
	ip netns exec "$ns" nft flush chain ip svcnft services
	sleep 2
	ip netns exec "$ns" nft flush map ip svcnft service-ips
	sleep 2
	kill -TERM "$vgpid"	# timeout passes it on to svcnft
	wait "$vgpid"
	rc=$?
	if [ "$rc" = 0 ] && [ "$(grep -c '^svcnft: applied' "$work/watch.out")" -ge 6 ]; then
		echo "ok $n - watch: changes, an invalid file, drift, SIGTERM (in $ns)"
	else
		fail=1
		echo "not ok $n - watch: exit $rc, or fewer than 6 syncs"
		head -n 40 "$work/watch.out" | sed 's/^/#   /'
	fi
else
	echo "# skip: apply, dump and flush need root and network namespaces"
fi
echo "1..$n"
exit $fail
