#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The data-plane row of the benchmark: new TCP connections per second to one
# Service when 1 and when 10,000 Services exist, for each backend.
#
# Topology and tools are the end-to-end tests' (tests/e2e/lib.sh): a client
# namespace connects through the node namespace, where svcnft programs the
# rules, to one pod running podserver. Every connection is new (a new socket
# and source port: a new conntrack entry), so each one goes through svcnft's
# dispatch -- where the iptables backend tests the Service rules one by one
# and the nftables backend looks the destination up in one map. The probed
# Service is the one that sorts last, the worst place in a linear chain.
#
# tests/tools/probe connects, reads the pod's answer and closes, one
# connection after the other: the figure is the rate of a single client,
# latency-bound, on a loaded machine a lower bound. Medians of BENCH_RUNS
# (default 3) runs of BENCH_CONNECTIONS (default 5000) connections; the
# first line of the table is the same client straight to the pod's address
# with no rules at all.
#
# Only inside throwaway namespaces (svcnft-PID-*, 198.18.0.0/15), removed
# on exit. Needs root. Environment: BENCH_SIZES (default "1 10000"),
# BENCH_BACKENDS (default "nftables iptables"), SVCNFT, SVCNFT_TOOLS.

set -u
SVCNFT_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export SVCNFT_ROOT
: "${BENCH_RUNS:=3}"
: "${BENCH_CONNECTIONS:=5000}"
: "${BENCH_SIZES:=1 10000}"
: "${BENCH_BACKENDS:=nftables iptables}"
# a 10k-Service apply with iptables-restore takes seconds, not 30
export E2E_CMD_TIMEOUT=600
export E2E_PROBE_TIMEOUT=600
# shellcheck source=../tests/e2e/lib.sh
. "$SVCNFT_ROOT/tests/e2e/lib.sh"

# services DIR N: N ClusterIP Services selecting the one pod, in
# 198.19.0.0/16; the last one (bench-N) is the one probed.
services() {
	local dir=$1 n=$2
	mkdir -p "$dir"
	k8s_pod pod-1 default 198.18.1.2 app=bench >"$dir/pod.yaml"
	awk -v n="$n" 'BEGIN {
		for (i = 1; i <= n; i++) {
			printf "---\napiVersion: v1\nkind: Service\n"
			printf "metadata: {name: bench-%05d, namespace: default}\n", i
			printf "spec: {clusterIP: 198.19.%d.%d, selector: {app: bench}, ", \
				int(i / 250), i % 250 + 1
			printf "ports: [{port: 80, targetPort: 8080}]}\n"
		}
	}' >"$dir/services.yaml"
}

probed_ip() {
	echo "198.19.$(($1 / 250)).$(($1 % 250 + 1))"
}

# rate ADDR PORT: connections per second of one run, or "failed". Each
# run comes from a client address of its own: the pod keeps the ports of
# the last run in TIME_WAIT, and a new SYN that reuses one waits for a
# retransmission (1 s), which would measure TCP, not the rules.
rate() {
	local start end src
	src=198.18.200.$((100 + $(cat "$E2E_WORKDIR/runs")))
	echo $(($(cat "$E2E_WORKDIR/runs") + 1)) >"$E2E_WORKDIR/runs"
	ip -n "$(ns_name client)" addr add "$src/24" dev eth0 || {
		echo failed
		return
	}
	start=$(date +%s.%N)
	if ! probe_in client tcp "$1" "$2" -n "$BENCH_CONNECTIONS" -t 2000 -q \
		-s "$src" >"$E2E_WORKDIR/probe.out"; then
		echo failed
		return
	fi
	end=$(date +%s.%N)
	echo "$BENCH_CONNECTIONS $start $end" | awk '{ printf "%.0f\n", $1 / ($3 - $2) }'
}

# median_rate ADDR PORT: the median of BENCH_RUNS runs.
median_rate() {
	local i=0
	while [ "$i" -lt "$BENCH_RUNS" ]; do
		rate "$1" "$2"
		i=$((i + 1))
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# position PROBED_IP: how many rules a new connection to it is tested
# against before its Service's: its place in SVCNFT-SERVICES for iptables,
# one map lookup for nftables.
position() {
	case $SVCNFT_BACKEND in
	iptables)
		grep -E '^-A SVCNFT-SERVICES ' "$E2E_WORKDIR/listing" |
			grep -nF -- "-d $1/32 " | cut -d: -f1 ;;
	*)
		echo "1 map lookup" ;;
	esac
}

e2e_init
need_svcnft
topo_up 1
# the baseline row goes straight to the pod
ip -n "$(ns_name client)" route add 198.18.1.0/24 via "$NODE_IP" &&
	in_ns client sysctl -qw net.ipv4.ip_local_port_range="10000 65000" ||
	e2e_bail "cannot set up the client namespace"
echo 0 >"$E2E_WORKDIR/runs"
start_pod pod1 pod1 tcp:8080
echo "svcnft data-plane bench: $BENCH_CONNECTIONS new TCP connections per run, one client," \
	"median of $BENCH_RUNS runs; kernel $(uname -r); $(nproc) CPUs; $(date +%Y-%m-%d)"
echo "| backend | Services | rules tested per new connection | new connections/s to the last Service |"
echo "|---|---|---|---|"
echo "| none (pod address, no rules) | 0 | 0 | $(median_rate 198.18.1.2 8080) |"
for backend in $BENCH_BACKENDS; do
	SVCNFT_BACKEND=$backend
	for n in $BENCH_SIZES; do
		m="$E2E_WORKDIR/manifests-$n"
		[ -d "$m" ] || services "$m" "$n"
		if ! svcnft_in node apply -q "$m"; then
			echo "| $backend | $n | apply failed | - |"
			continue
		fi
		svc_listing node "$E2E_WORKDIR/listing"
		ip=$(probed_ip "$n")
		echo "| $backend | $n | $(position "$ip") | $(median_rate "$ip" 80) |"
		svcnft_in node flush -q
	done
done
