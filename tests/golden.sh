#!/bin/sh
# rules/ holds what `svcnft plan` prints for each example: check it (or, with
# --update, rewrite it after a deliberate change to the compiler).
# Each example is planned together with examples/pods.yaml, the Pods they
# select; rules/all.nft is the whole examples/ directory. rules/*.iptables
# are the same plans for the iptables backend (plan --backend iptables).
set -u
cd "$(dirname "$0")/.." || exit 1
update=false
[ "${1:-}" = --update ] && update=true

fail=0 n=0
check_one() {
	want=$1
	shift
	n=$((n + 1))
	got=$("${SVCNFT:-./svcnft}" plan -q "$@" 2>&1)
	if $update; then
		printf '%s\n' "$got" >"$want"
		echo "wrote $want"
	elif [ "$got" = "$(cat "$want" 2>/dev/null)" ]; then
		echo "ok $n - $want"
	else
		echo "not ok $n - $want differs from svcnft plan $*:"
		printf '%s\n' "$got" | diff -u "$want" - | head -40
		fail=1
	fi
}

for f in examples/*.yaml; do
	base=$(basename "$f" .yaml)
	[ "$base" = pods ] && continue
	check_one "rules/$base.nft" examples/pods.yaml "$f"
	check_one "rules/$base.iptables" --backend iptables examples/pods.yaml "$f"
done
check_one rules/all.nft examples/
check_one rules/all.iptables --backend iptables examples/
exit $fail
