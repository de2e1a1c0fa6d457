#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# plan --backend iptables prints the exact iptables-restore input apply
# programs: the plan loaded with `iptables-restore --noflush` in one fresh
# namespace and `svcnft apply --backend iptables` of the same manifests in
# another give the same iptables-save, and `svcnft dump` shows there every
# chain and rule the plan holds.
#
# e2e-backends: iptables (test_plan_apply.sh is the nftables counterpart)

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
ns_add planned || e2e_bail "cannot create a namespace"
ns_add applied || e2e_bail "cannot create a namespace"
out=$E2E_WORKDIR
m=$(manifest_dir everything)
k8s_everything "$m"

svcnft_in planned plan "$m" >"$out/plan" 2>"$out/plan.err"
assert_eq "svcnft plan --backend iptables exits 0" 0 $?
[ -s "$out/plan.err" ] && diag_file "plan stderr" "$out/plan.err"
t_check "iptables-restore --noflush loads the plan in a fresh namespace" \
	in_ns planned iptables-restore --noflush "$out/plan" ||
	diag_file plan "$out/plan"
assert_exit "svcnft apply succeeds in another fresh namespace" 0 \
	svcnft_in applied apply "$m"
ruleset_snapshot planned "$out/planned"
ruleset_snapshot applied "$out/applied"
assert_same_file "the plan loaded with iptables-restore saves like apply" \
	"$out/planned" "$out/applied"

svcnft_in applied dump >"$out/dump" 2>&1
assert_eq "svcnft dump --backend iptables exits 0" 0 $?
grep -E '^-A ' "$out/plan" | sed 's/ --probability [0-9.]*//' | sort >"$out/plan.rules"
grep -E '^-A ' "$out/dump" | sed 's/ --probability [0-9.]*//' | sort >"$out/dump.rules"
assert_same_file "dump shows every rule of the plan, and no other" \
	"$out/plan.rules" "$out/dump.rules"
t_done
