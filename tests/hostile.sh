#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Hostile and broken input: every manifest in tests/hostile/ (listed with the
# text its error must contain in tests/hostile/EXPECT), and cases made here
# at run time in a temporary directory (a 1 GiB file, 1 GiB on standard
# input, a directory loop through symbolic links, unreadable files and
# directories, 100,000 documents, a file others can write).
#
# For each: exit status 1; a message that starts with the file's name and a
# line number ("file:line:"; for what cannot be read at all, "file: "); the
# expected text; every output line at most 2 KiB; at most HOSTILE_TIMEOUT
# seconds (default 20); peak RSS at most the case's bound (32 MiB for the
# committed corpus, measured with /usr/bin/time -f %M; see README "Guarantees").
#
# As root with network namespaces, each case runs as `svcnft apply` inside a
# throwaway namespace (svcnft-PID-hostile) that holds an svcnft table from
# examples/ and a foreign table, and `nft list ruleset` must be byte-identical
# after every case. Otherwise `svcnft check` runs, and the kernel part is
# skipped with a note.
set -u
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
: "${SVCNFT:=$root/svcnft}"
: "${HOSTILE_TIMEOUT:=20}"
# Sanitizers keep shadow memory and freed blocks (up to 256 MiB in
# AddressSanitizer's quarantine, per process): bounds are wider there.
rss_scale=1 rss_extra=0
if [ "${SVCNFT_SANITIZE:-}" = 1 ]; then
	rss_scale=4 rss_extra=262144
fi
MiB=1024

work=$(mktemp -d "${TMPDIR:-/tmp}/svcnft-hostile.XXXXXX") || exit 1
ns=""
cleanup() {
	[ -n "$ns" ] && timeout 10 ip netns del "$ns" 2>/dev/null
	chmod -R u+rwx "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
# 'nobody' must reach the unreadable cases' directory.
chmod 755 "$work"

n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }

have_time=false
[ -x /usr/bin/time ] && have_time=true
$have_time || echo "# /usr/bin/time is missing: peak memory is not measured"

# ---------------------------------------------------------------- the kernel

mode=check
setup_netns() {
	[ "$(id -u)" = 0 ] || { echo "# not root: svcnft check only, no kernel check"; return; }
	command -v nft >/dev/null 2>&1 || { echo "# nft missing: no kernel check"; return; }
	ns="svcnft-$$-hostile"
	if ! timeout 10 ip netns add "$ns" 2>/dev/null; then
		ns=""
		echo "# cannot create network namespaces: no kernel check"
		return
	fi
	timeout 10 ip netns exec "$ns" nft -f - <<'EOF' || { echo "Bail out! cannot load the foreign table"; exit 1; }
table inet bystander {
	set blocked {
		type ipv4_addr
		elements = { 198.18.99.1, 198.18.99.2 }
	}
	chain input {
		type filter hook input priority filter; policy accept;
		ip saddr @blocked drop
	}
}
EOF
	if ! timeout 30 ip netns exec "$ns" "$SVCNFT" apply -q examples/ >"$work/setup.out" 2>&1; then
		echo "Bail out! cannot apply examples/ in $ns: $(cat "$work/setup.out")"
		exit 1
	fi
	timeout 10 ip netns exec "$ns" nft list ruleset >"$work/ruleset.before"
	grep -q '^table ip svcnft' "$work/ruleset.before" ||
		{ echo "Bail out! examples/ did not program table ip svcnft"; exit 1; }
	mode=apply
	echo "# kernel check: apply in $ns; its ruleset must stay byte-identical"
}

kernel_unchanged() {
	[ "$mode" = apply ] || return 0
	timeout 10 ip netns exec "$ns" nft list ruleset >"$work/ruleset.after" 2>&1
	cmp -s "$work/ruleset.before" "$work/ruleset.after"
}

# ---------------------------------------------------------------- one case

# run_svcnft AS STDIN ARGS...: svcnft in this run's mode (AS=nobody: check,
# unprivileged), bounded, into $work/out, $work/rc, $work/rss (KiB).
run_svcnft() {
	as=$1 input=$2
	shift 2
	set -- "$SVCNFT" "$mode" "$@"
	if [ "$as" = nobody ]; then
		shift 2
		set -- setpriv --reuid=65534 --regid=65534 --clear-groups "$SVCNFT" check "$@"
	elif [ "$mode" = apply ]; then
		set -- ip netns exec "$ns" "$@"
	fi
	echo 0 >"$work/rss"
	if $have_time; then
		set -- /usr/bin/time -q -f %M -o "$work/rss" "$@"
	fi
	if [ "$input" = - ]; then
		timeout -k 5 "$HOSTILE_TIMEOUT" "$@" </dev/null >"$work/out" 2>&1
	else
		sh -c "$input" | timeout -k 5 "$HOSTILE_TIMEOUT" "$@" >"$work/out" 2>&1
	fi
	echo $? >"$work/rc"
}

# check_case NAME POSITION RSS_KIB TEXT...: judge the run just made.
# POSITION: the regular expression the position must match at a line start.
check_case() {
	name=$1 position=$2 bound=$(($3 * rss_scale + rss_extra))
	shift 3
	rc=$(cat "$work/rc") rss=$(tail -n 1 "$work/rss") why=""
	[ "$rc" = 124 ] || [ "$rc" = 137 ] && why="$why; took over ${HOSTILE_TIMEOUT}s"
	[ "$rc" = 1 ] || why="$why; exit $rc, not 1"
	grep -q "^$position" "$work/out" || why="$why; no message starting with the position"
	for text in "$@"; do
		grep -qF -- "$text" "$work/out" || why="$why; no line has \"$text\""
	done
	long=$(awk 'length($0) > 2048 { n++ } END { print n + 0 }' "$work/out")
	[ "$long" = 0 ] || why="$why; $long output lines longer than 2 KiB"
	case $rss in
	'' | *[!0-9]*) why="$why; no memory figure ($rss)" ;;
	*) [ "$rss" -le "$bound" ] || why="$why; peak RSS $rss KiB over the bound of $bound KiB" ;;
	esac
	kernel_unchanged || why="$why; the kernel ruleset changed"
	if [ -z "$why" ]; then
		ok "$name (${rss} KiB)"
	else
		not_ok "$name${why}"
		head -c 600 "$work/out" | head -n 5 | sed 's/^/#   /'
	fi
}

# Every committed case, once, with all of its expected texts.
committed_cases() {
	grep -v '^#' tests/hostile/EXPECT | sed 's/ | .*//' | sort -u >"$work/names"
	while read -r name; do
		f=tests/hostile/$name
		if [ ! -f "$f" ]; then
			not_ok "$name: listed in tests/hostile/EXPECT but missing"
			continue
		fi
		awk -v name="$name" 'substr($0, 1, length(name) + 3) == name " | " {
			print substr($0, length(name) + 4) }' tests/hostile/EXPECT >"$work/texts"
		run_svcnft root - "$f"
		# The texts as arguments, one each (they hold no newline).
		set --
		while IFS= read -r t; do set -- "$@" "$t"; done <"$work/texts"
		check_case "$name" "$(re_quote "$f"):[0-9][0-9]*:" $((32 * MiB)) "$@"
	done <"$work/names"
	for f in tests/hostile/*; do
		b=$(basename "$f")
		[ "$b" = EXPECT ] || grep -qxF "$b" "$work/names" ||
			not_ok "$b: in tests/hostile/ but not in tests/hostile/EXPECT"
	done
}

re_quote() {
	printf '%s' "$1" | sed 's/[].[*^$\\/]/\\&/g'
}

# ---------------------------------------------------------------- generated

generated_cases() {
	g=$work/gen
	mkdir -p "$g"
	chmod 755 "$g"

	# A sparse 1 GiB file: refused by its size before a byte is read.
	truncate -s 1G "$g/huge.yaml"
	run_svcnft root - "$g/huge.yaml"
	check_case "1 GiB file refused by size, not read" "$(re_quote "$g/huge.yaml"): " \
		$((32 * MiB)) "1073741824 bytes, more than the limit of 134217728 bytes (128 MiB) for one manifest file"

	# 1 GiB on standard input: reading stops at the limit.
	run_svcnft root "head -c 1073741824 /dev/zero" -
	check_case "1 GiB on standard input stops at the limit" "<stdin>: " \
		$((160 * MiB)) "more than the limit of 134217728 bytes (128 MiB) for one manifest input"

	# A directory loop through a symbolic link, and a file link loop.
	mkdir -p "$g/loop/sub"
	ln -s .. "$g/loop/sub/back"
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n' \
		>"$g/loop/sub/a.yaml"
	run_svcnft root - "$g/loop"
	check_case "directory loop through a symbolic link" "$(re_quote "$g/loop/sub/back"): " \
		$((32 * MiB)) "directory loop: this is $g/loop again, which is being read"
	mkdir "$g/links"
	ln -s b.yaml "$g/links/a.yaml"
	ln -s a.yaml "$g/links/b.yaml"
	run_svcnft root - "$g/links"
	check_case "file symbolic link loop" "$(re_quote "$g/links/a.yaml"): " \
		$((32 * MiB)) "cannot read: Too many levels of symbolic links"

	# 100,000 documents, the last one invalid: linear, bounded.
	awk 'BEGIN { for (i = 0; i < 100000; i++)
		printf "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d}\nspec:\n  ports: [{port: %d}]\n", i, i == 99999 ? 70000 : 80 }' \
		>"$g/many-documents.yaml"
	run_svcnft root - "$g/many-documents.yaml"
	check_case "100,000 documents" "$(re_quote "$g/many-documents.yaml"):[0-9][0-9]*:" \
		$((256 * MiB)) "600000: Service default/s99999: spec.ports[0].port: \"70000\" is not a port number"

	# A file others can write (StrictModes), and its directory.
	mkdir "$g/insecure"
	cp examples/clusterip.yaml "$g/insecure/svc.yaml"
	chmod 666 "$g/insecure/svc.yaml"
	run_svcnft root - "$g/insecure/svc.yaml"
	check_case "a file all users can write is refused" "$(re_quote "$g/insecure/svc.yaml"): " \
		$((32 * MiB)) "refusing to read it: its mode 0666 lets its group and all users write it"
	chmod 644 "$g/insecure/svc.yaml"
	chmod 777 "$g/insecure"
	run_svcnft root - "$g/insecure"
	check_case "a directory all users can write is refused" "$(re_quote "$g/insecure"): " \
		$((32 * MiB)) "refusing to read it: its mode 0777 lets its group and all users write it"
	chmod 755 "$g/insecure"

	unreadable_cases
}

# Root reads any file whatever its mode: run those as nobody (setpriv), or
# as this user when it is not root.
unreadable_cases() {
	as=root
	if [ "$(id -u)" = 0 ]; then
		if ! command -v setpriv >/dev/null 2>&1; then
			echo "# skip: unreadable files (root reads everything, and setpriv is missing)"
			return
		fi
		as=nobody
	fi
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n' \
		>"$g/secret.yaml"
	chmod 000 "$g/secret.yaml"
	run_svcnft "$as" - "$g/secret.yaml"
	check_case "unreadable file" "$(re_quote "$g/secret.yaml"): " $((32 * MiB)) \
		"cannot open: Permission denied"
	mkdir "$g/closed"
	cp "$g/loop/sub/a.yaml" "$g/closed/a.yaml"
	chmod 000 "$g/closed"
	run_svcnft "$as" - "$g/closed"
	check_case "unreadable directory" "$(re_quote "$g/closed"): " $((32 * MiB)) \
		"cannot read directory: Permission denied"
}

setup_netns
committed_cases
generated_cases
echo "1..$n"
exit $fail
