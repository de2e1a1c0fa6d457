#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `sudo make demo`: svcnft at work in a throwaway topology of network
# namespaces (the Makefile builds svcnft and the test tools first).
#
#   sh tests/demo.sh [MANIFEST_DIR]      (default: examples/)
#
# Three pods run a server answering with its name; svcnft applies the
# manifests in the node namespace; a client outside sends a dozen requests
# to a ClusterIP and to a NodePort, and we see which pod answered each.
# Everything lives in namespaces named svcnft-PID-*, with addresses from
# 198.18.0.0/15 and 198.19.0.0/16, and is removed at the end, whatever
# happens. The machine's own network is never touched.
#
# DEMO_CLUSTERIP=ADDR:PORT and DEMO_NODEPORT=PORT choose the targets; by
# default they are the first TCP ClusterIP and node port (in address and
# port order) whose chain DNATs to at least one pod.

SVCNFT_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$SVCNFT_ROOT/tests/e2e/lib.sh"

manifests=${1:-$SVCNFT_ROOT/examples}
requests=12

# Bold and dim only on a terminal.
if [ -t 1 ]; then
	bold=$(printf '\033[1m') dim=$(printf '\033[2m') plain=$(printf '\033[0m')
else
	bold="" dim="" plain=""
fi

say() {
	printf '\n%s== %s%s\n' "$bold" "$*" "$plain"
}

# run_in NS CMD...: show the command as typed in that namespace, run it.
run_in() {
	local ns=$1
	shift
	printf '%s[%s]%s $ %s\n' "$dim" "$ns" "$plain" "$*"
	case $1 in
	svcnft) shift; svcnft_in "$ns" "$@" ;;
	*) in_ns "$ns" "$@" ;;
	esac
}

demo_checks() {
	if [ "$(id -u)" != 0 ]; then
		echo "demo: needs root to create network namespaces: sudo make demo" >&2
		exit 1
	fi
	if [ ! -d "$manifests" ] && [ ! -f "$manifests" ]; then
		echo "demo: $manifests: no such file or directory" >&2
		exit 1
	fi
	for f in "$SVCNFT" "$SVCNFT_TOOLS/podserver" "$SVCNFT_TOOLS/probe"; do
		if [ ! -x "$f" ]; then
			echo "demo: $f is not built: run make demo (or make svcnft tools)" >&2
			exit 1
		fi
	done
}

# Candidate targets from the table's maps, one per line:
#   ip ADDR PORT CHAIN    (TCP elements of service-ips)
#   np PORT CHAIN         (TCP elements of service-nodeports)
list_targets() {
	normalize_elements <"$1" | awk '
		/^\tmap / { map = $2 }
		/^\t\t\t/ { gsub(/"/, "") }
		/^\t\t\t/ && map == "service-ips" && $3 == "tcp" {
			print "ip", $1, $5, $8
		}
		/^\t\t\t/ && map == "service-nodeports" && $1 == "tcp" {
			print "np", $3, $6
		}'
}

# First target of a kind (ip or np) whose chain has a DNAT rule.
pick_target() {
	local kind=$1 table=$2 line chain
	list_targets "$table" | grep "^$kind " | sort -V -k2 |
		while read -r line; do
			chain=${line##* }
			# node ports and external addresses enter through ext-
			# (masquerade, traffic policy); the endpoints are in svc-
			case $chain in
			ext-*) chain="svc-${chain#ext-}" ;;
			esac
			if chain_rules "$table" "$chain" | grep -q dnat; then
				echo "$line" | awk '{ $1 = ""; $NF = ""; print }' |
					sed 's/^ *//; s/ *$//; s/ /:/'
				break
			fi
		done
}

# Send the requests from the client and show who answered each.
show_requests() {
	local what=$1 addr=$2 port=$3
	say "$requests requests from the client to $what: $addr:$port"
	probe_in client tcp "$addr" "$port" -n "$requests" -t 1000 \
		>"$E2E_WORKDIR/requests"
	sed '$d' "$E2E_WORKDIR/requests" |
		awk '{ printf "  request %2d: %s\n", NR,
			($1 ~ /^pod[0-9]+$/) ? "answered by " $1 " (198.18." substr($1, 4) ".2)" : $0 }'
	echo "  tally: $(probe_summary "$E2E_WORKDIR/requests")"
}

demo_checks
e2e_init
say "Building a throwaway topology (network namespaces ${E2E_PREFIX}*)"
topo_up 3
cat <<EOF
  client  198.18.200.2  --  node 198.18.200.1   (svcnft programs this one)
                            node 198.18.N.1     --  podN 198.18.N.2, N = 1..3
  Service addresses 198.19.0.0/16 are routed from the client to the node.
EOF
for i in 1 2 3; do
	start_pod "pod$i" "pod$i" tcp:9376 udp:9376 tcp:8080 udp:8080
done
echo "  each pod runs a server on TCP and UDP 9376 and 8080 that answers with its name"

say "Applying ${manifests#"$SVCNFT_ROOT"/} in the node namespace"
run_in node svcnft apply "${manifests#"$SVCNFT_ROOT"/}" || {
	echo "demo: svcnft apply failed (see above)" >&2
	exit 1
}

say "What is programmed: svcnft dump"
run_in node svcnft dump

nft_in node list table ip svcnft >"$E2E_WORKDIR/table" 2>&1
cluster=${DEMO_CLUSTERIP:-$(pick_target ip "$E2E_WORKDIR/table")}
nodeport=${DEMO_NODEPORT:-$(pick_target np "$E2E_WORKDIR/table")}
if [ -n "$cluster" ]; then
	show_requests ClusterIP "${cluster%:*}" "${cluster##*:}"
else
	say "No TCP ClusterIP with endpoints in $manifests: nothing to send"
fi
if [ -n "$nodeport" ]; then
	show_requests "NodePort $nodeport on the node's address" "$NODE_IP" "$nodeport"
else
	say "No TCP node port with endpoints in $manifests: nothing to send"
fi

say "Cleaning up"
e2e_cleanup
left=$(ip netns list | grep -c "^$E2E_PREFIX")
echo "  servers stopped, namespaces removed ($left left); the machine's own network was never touched"
