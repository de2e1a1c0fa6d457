#!/bin/sh
# Real manifests from the Kubernetes documentation (../shared/corpus, not in
# a user's clone): each must be read, or refused with a clear error.
set -u
cd "$(dirname "$0")/.." || exit 1
corpus=../shared/corpus/kubernetes-website
if [ ! -d "$corpus" ]; then
	echo "skip: $corpus is absent"
	exit 77
fi
fail=0 n=0
for f in "$corpus"/*.yaml; do
	n=$((n + 1))
	out=$("${SVCNFT:-./svcnft}" check "$f" 2>&1)
	rc=$?
	case $rc in
	0) echo "ok $n - $(basename "$f"): $out" ;;
	1)
		# A refusal must say where and why: file:line and a reason.
		if printf '%s' "$out" | grep -q "^$f:[0-9]*:"; then
			echo "ok $n - $(basename "$f") refused: $(printf '%s' "$out" | head -1)"
		else
			echo "not ok $n - $(basename "$f"): refusal without a position: $out"
			fail=1
		fi
		;;
	*)
		echo "not ok $n - $(basename "$f"): exit $rc: $out"
		fail=1
		;;
	esac
done
n=$((n + 1))
# The folder as a whole defines some namespace/names twice: a clear error.
out=$("${SVCNFT:-./svcnft}" check "$corpus" 2>&1)
if [ $? -eq 1 ] && printf '%s' "$out" | grep -q "defined twice"; then
	echo "ok $n - whole corpus: duplicate objects reported"
else
	echo "not ok $n - whole corpus: expected a duplicate-object error, got: $out"
	fail=1
fi
exit $fail
