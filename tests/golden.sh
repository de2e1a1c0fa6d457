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

# An example may carry "# plan-options: ..." (node context it is meant for).
options_of() {
	sed -n 's/^# plan-options: //p' "$1" | head -n 1
}

for f in examples/*.yaml; do
	base=$(basename "$f" .yaml)
	[ "$base" = pods ] && continue
	# shellcheck disable=SC2046 # the options split into words
	check_one "rules/$base.nft" $(options_of "$f") examples/pods.yaml "$f"
	# shellcheck disable=SC2046
	check_one "rules/$base.iptables" --backend iptables $(options_of "$f") \
		examples/pods.yaml "$f"
done
check_one rules/all.nft examples/

# rules/explain.txt: what `svcnft explain --plan` says of examples/ for a
# few connections, one of each kind, verdict and source (--from always: a
# run without it answers for this machine's own address).
explain_all() {
	for q in "198.18.200.2 198.19.0.10:80" "198.18.1.2 198.19.0.10:80" \
		"198.18.200.2 198.19.0.10:81" "198.18.200.2 198.19.0.60:53/udp" \
		"198.18.200.7 198.19.255.9:80" "198.18.201.9 198.19.255.9:80" \
		"198.18.200.2 198.18.200.1:30011" "198.18.200.2 198.19.0.70:80" \
		"198.18.200.2 198.19.99.1:80" "2001:db8:200::2 [2001:db8:ffff::110]:80"; do
		# shellcheck disable=SC2086 # FROM DEST
		set -- $q
		echo "# explain --from $1 $2"
		"${SVCNFT:-./svcnft}" explain --plan examples/ --cluster-cidr 198.18.0.0/20 \
			--node-ip 198.18.200.1 --from "$1" "$2" 2>/dev/null	# warnings: see all.nft
	done
}
n=$((n + 1))
got=$(explain_all)
if $update; then
	printf '%s\n' "$got" >rules/explain.txt
	echo "wrote rules/explain.txt"
elif [ "$got" = "$(cat rules/explain.txt 2>/dev/null)" ]; then
	echo "ok $n - rules/explain.txt"
else
	echo "not ok $n - rules/explain.txt differs from svcnft explain --plan examples/:"
	printf '%s\n' "$got" | diff -u rules/explain.txt - | head -40
	fail=1
fi
check_one rules/all.iptables --backend iptables examples/
exit $fail
