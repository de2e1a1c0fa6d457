#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# An incremental apply programs exactly what a full apply of the same
# manifests programs: 20 rounds of random changes (Services added, removed,
# endpoints changed, ClusterIPs swapped, node ports switched on and off)
# applied one after the other in one namespace, each compared with a fresh
# apply into an empty table in another namespace. Chains and map elements
# are listed by the kernel in creation order, so each listing is put in a
# canonical order (blocks by name, elements sorted) before comparing. Every
# second apply of the same manifests must send nothing ("no changes").
#
# e2e-backends: nftables (incremental netlink updates; the iptables backend
# rewrites its chains in each apply)

. "$(dirname "$0")/lib.sh"
e2e_init
need_svcnft
ns_add inc || e2e_bail "cannot create a namespace"
ns_add full || e2e_bail "cannot create a namespace"
out=$E2E_WORKDIR
state=$out/state

# state: one line per Service slot: live addr nep epbase nodeport
awk 'BEGIN { for (i = 0; i < 24; i++) print (i < 16), 10 + i, 1 + i % 3, i, (i % 4 == 0) }' >"$state"

# mutate SEED: a few random changes to the state
mutate() {
	awk -v seed="$1" '
	{ live[NR] = $1; addr[NR] = $2; nep[NR] = $3; base[NR] = $4; np[NR] = $5 }
	function count(want,   i, n) { for (i = 1; i <= NR; i++) n += live[i] == want; return n }
	function pick(want,   i) { do i = 1 + int(rand() * NR); while (live[i] != want); return i }
	END {
		srand(seed)
		for (c = 0; c < 1 + int(rand() * 3); c++) {
			op = int(rand() * 5); i = pick(1)
			if (op == 0 && count(0)) { j = pick(0); live[j] = 1; addr[j] = 100 + int(rand() * 100)
				       nep[j] = int(rand() * 4); base[j] = int(rand() * 200) }
			else if (op == 1 && count(1) > 1) live[i] = 0
			else if (op == 2) { nep[i] = int(rand() * 5); base[i] = int(rand() * 200) }
			else if (op == 3) { j = pick(1); t = addr[i]; addr[i] = addr[j]; addr[j] = t }
			else np[i] = !np[i]
		}
		# no two live Services on one ClusterIP
		for (i = 1; i <= NR; i++) if (live[i]) { while (addr[i] in used) addr[i]++; used[addr[i]] = 1 }
		for (i = 1; i <= NR; i++) print live[i], addr[i], nep[i], base[i], np[i]
	}' "$state" >"$state.new" && mv "$state.new" "$state"
}

# manifests DIR: Services and EndpointSlices for the live slots
manifests() {
	awk '$1 == 1 {
		i = NR - 1
		printf "apiVersion: v1\nkind: Service\nmetadata:\n  name: s%02d\nspec:\n", i
		printf "  type: %s\n  clusterIP: 198.19.0.%d\n", ($5 ? "NodePort" : "ClusterIP"), $2
		printf "  ports:\n  - port: 80\n    targetPort: 8080\n"
		if ($5) printf "    nodePort: %d\n", 30000 + i
		printf "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		printf "metadata:\n  name: s%02d-a\n  labels:\n    kubernetes.io/service-name: s%02d\n", i, i
		printf "addressType: IPv4\nports:\n- port: 8080\nendpoints:"
		if ($3 == 0) printf " []"
		printf "\n"
		for (j = 0; j < $3; j++)
			printf "- addresses: [\"198.18.%d.%d\"]\n", ($4 + j) % 250, 2 + i
		printf "---\n"
	}' "$state" >"$1/all.yaml"
}

# canonical FILE: nft list output with blocks and elements in name order
canonical() {
	normalize_elements <"$1" | awk '
	/^\t(chain|map) / { key = $0; blk = $0; inblk = 1; next }
	inblk && /^\t}/ { print key "\001" blk; inblk = 0; next }
	inblk { blk = blk "\002" $0 }' | sort | sed 's/.*\x01//' | tr '\002' '\n'
}

m=$(manifest_dir inc)
manifests "$m"
assert_exit "first apply" 0 svcnft_in inc apply -q "$m"
round=1
while [ $round -le 20 ]; do
	mutate $round
	manifests "$m"
	svcnft_in inc apply "$m" >"$out/inc.out" 2>&1 ||
		{ not_ok "round $round: incremental apply"; diag_file apply "$out/inc.out"; }
	svcnft_in full flush -q 2>/dev/null
	svcnft_in full apply -q "$m" || not_ok "round $round: full apply"
	nft_in inc list table ip svcnft >"$out/inc.nft"
	nft_in full list table ip svcnft >"$out/full.nft"
	canonical "$out/inc.nft" >"$out/inc.canon"
	canonical "$out/full.nft" >"$out/full.canon"
	assert_same_file "round $round: incremental apply lists as a full apply" \
		"$out/full.canon" "$out/inc.canon"
	svcnft_in inc apply "$m" >"$out/again.out" 2>&1
	assert_grep "round $round: applying again sends nothing" "no changes" "$out/again.out"
	round=$((round + 1))
done
t_done
