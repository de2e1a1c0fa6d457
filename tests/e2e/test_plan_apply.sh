#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# plan and apply program the same thing: `svcnft plan` output loaded with
# `nft -f` in one fresh namespace and `svcnft apply` of the same manifests in
# another list identically with `nft list table ip svcnft`. Loading the plan
# over an existing table replaces it (same listing again).
#
# Map elements are hashed by the kernel, so two namespaces may list them in
# different orders; when the raw listings differ, the elements inside each
# "elements = { ... }" are sorted before comparing, and the test says so.
#
# e2e-backends: nftables (plan is nft -f input here; test_plan_restore.sh is
# the iptables counterpart)

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
ns_add planned || e2e_bail "cannot create a namespace"
ns_add applied || e2e_bail "cannot create a namespace"
out=$E2E_WORKDIR
m=$(manifest_dir everything)
k8s_everything "$m"

# compare_tables DESC A B: the two listings, raw or with elements sorted.
compare_tables() {
	if cmp -s "$2" "$3"; then
		ok "$1 (byte-identical)"
		return 0
	fi
	normalize_elements <"$2" >"$2.sorted"
	normalize_elements <"$3" >"$3.sorted"
	if cmp -s "$2.sorted" "$3.sorted"; then
		ok "$1 (after sorting map elements: only their order differs)"
		return 0
	fi
	assert_same_file "$1" "$2" "$3"
}

svcnft_in planned plan "$m" >"$out/plan.nft" 2>"$out/plan.err"
assert_eq "svcnft plan exits 0" 0 $?
[ -s "$out/plan.err" ] && diag_file "plan stderr" "$out/plan.err"
t_check "nft -f loads the plan in a fresh namespace" \
	nft_in planned -f "$out/plan.nft" || diag_file plan "$out/plan.nft"
assert_exit "svcnft apply succeeds in another fresh namespace" 0 \
	svcnft_in applied apply "$m"
nft_in planned list table ip svcnft >"$out/planned" 2>&1
nft_in applied list table ip svcnft >"$out/applied" 2>&1
compare_tables "plan loaded with nft -f lists like apply" \
	"$out/planned" "$out/applied"

t_check "nft -f loads the plan again over the existing table" \
	nft_in planned -f "$out/plan.nft"
nft_in planned list table ip svcnft >"$out/planned2" 2>&1
compare_tables "... replacing it: same listing" "$out/planned2" "$out/applied"

svcnft_in applied plan "$m" >"$out/plan2.nft" 2>/dev/null
t_check "plan run where the table exists still loads with nft -f" \
	nft_in applied -f "$out/plan2.nft"
nft_in applied list table ip svcnft >"$out/applied2" 2>&1
compare_tables "... and lists the same" "$out/applied2" "$out/applied"
t_done
