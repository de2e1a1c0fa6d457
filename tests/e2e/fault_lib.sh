# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash
#
# Helpers of the fault and load tests (test_kernel_faults.sh,
# test_killed_apply.sh, test_apply_load.sh); sourced after lib.sh.

# fl_service NAME ADDR NEP FIRST_POD [NODEPORT]: a Service on ClusterIP ADDR
# (port 80 to 8080) and an EndpointSlice with NEP endpoints, the pods
# 198.18.FIRST_POD.2 and the ones after it (FIRST_POD + NEP - 1 <= 254).
fl_service() {
	local name=$1 addr=$2 nep=$3 first=$4 np=${5:-} i=0
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: default}\n' "$name"
	printf 'spec:\n  type: %s\n  clusterIP: %s\n' \
		"$([ -n "$np" ] && echo NodePort || echo ClusterIP)" "$addr"
	printf '  ports:\n  - {name: http, port: 80, targetPort: 8080%s}\n' \
		"${np:+, nodePort: $np}"
	printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
	printf 'metadata:\n  name: %s-a\n  namespace: default\n' "$name"
	printf '  labels: {kubernetes.io/service-name: %s}\n' "$name"
	printf 'addressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:'
	[ "$nep" -eq 0 ] && printf ' []'
	printf '\n'
	while [ "$i" -lt "$nep" ]; do
		printf -- '- addresses: ["198.18.%d.2"]\n' $((first + i))
		i=$((i + 1))
	done
	printf -- '---\n'
}

# fl_canonical FILE: an `nft list` listing with its blocks in name order and
# the elements of each block sorted, so that two listings of the same
# ruleset compare equal whatever order the objects were created in.
fl_canonical() {
	normalize_elements <"$1" | awk '
	/^\t(chain|map|set) / { key = $0; blk = $0; inblk = 1; next }
	inblk && /^\t}/ { print key "\001" blk; inblk = 0; next }
	inblk { blk = blk "\002" $0; next }
	/^}/ { print "\177\001" $0; next }
	{ print "\001\001" $0 }' | LC_ALL=C sort | sed 's/.*\x01//' | tr '\002' '\n'
}

# fl_plan_listing NS MANIFESTS OUT: the canonical listing of table ip svcnft
# after a fresh apply of MANIFESTS into scratch namespace NS (flushed
# first): what the kernel holds when exactly that plan is applied.
fl_plan_listing() {
	svcnft_in "$1" flush -q 2>/dev/null
	svcnft_in "$1" apply -q "$2" || return 1
	nft_in "$1" list table ip svcnft >"$3.raw" || return 1
	fl_canonical "$3.raw" >"$3"
	rm -f "$3.raw"
}

# fl_foreign NS: another program's tables in NS, for byte-identical checks.
fl_foreign() {
	nft_in "$1" -f - <<'NFT'
table inet foreign {
	set blocked { type ipv4_addr; elements = { 198.18.250.1, 198.18.250.2 } }
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr @blocked drop
	}
}
table ip other-nat {
	chain pre {
		type nat hook prerouting priority -110; policy accept;
		tcp dport 9999 dnat to 198.18.250.3
	}
}
NFT
}
