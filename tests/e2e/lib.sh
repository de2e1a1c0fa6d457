# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=dash
# (POSIX sh plus "local", which dash, bash and busybox sh all have)
#
# Shared library of the end-to-end tests (POSIX sh; sourced, not run).
#
# Everything happens in network namespaces this run creates, named
# svcnft-<pid>-<what>, with addresses from 198.18.0.0/15 (and Service
# addresses from 198.19.0.0/16, routed to the node). Nothing touches the
# root namespace's ruleset: see shared/docs/testing-in-netns.md.
#
#   client 198.18.200.2/24 --- 198.18.200.1/24 [node] 198.18.N.1/24 --- 198.18.N.2/24 podN
#
# topo_up6, after topo_up, adds IPv6 (from 2001:db8::/32) on the same links:
#
#   client 2001:db8:200::2/64 --- 2001:db8:200::1/64 [node] 2001:db8:N::1/64 --- 2001:db8:N::2/64 podN
#
# with IPv6 ClusterIPs in 2001:db8:ffff::/48 and load-balancer IPs in
# 2001:db8:fffe::/48, both routed to the node.
#
# A test script does:
#   . "$(dirname "$0")/lib.sh"
#   e2e_init            # skip (exit 77) unless root with netns; sets the trap
#   need_svcnft         # bail out unless ./svcnft is built
#   topo_up 3           # node, client, pod1..pod3
#   start_pod pod1 pod1 tcp:8080
#   ... ok/assert_* ...
#   t_done              # prints the plan, exits 0 or 1
#
# Environment: SVCNFT (binary, default ROOT/svcnft), SVCNFT_TOOLS (default
# ROOT/build/tools), E2E_KEEP=1 (keep the work directory, for debugging),
# SVCNFT_BACKEND (nftables, the default, or iptables: svcnft_in passes it as
# --backend to apply, plan, check, dump and flush; run.sh runs every test
# once per backend). What a test inspects of the kernel goes through the
# backend helpers below (ruleset_snapshot, svc_listing, service_rules, ...).

: "${SVCNFT_ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${SVCNFT:=$SVCNFT_ROOT/svcnft}"
: "${SVCNFT_TOOLS:=$SVCNFT_ROOT/build/tools}"
# Bounds: one command (svcnft, nft, ip), one probe run, a server's life.
: "${E2E_CMD_TIMEOUT:=30}"
: "${E2E_PROBE_TIMEOUT:=120}"
: "${E2E_SERVER_LIFETIME:=900}"
# Connections a test makes before it asserts that every one of three
# endpoints answered. Each connection picks an endpoint at random, so one
# endpoint is missed by all of them with probability 3 * (2/3)^N: 2 % for
# N = 12 (CI met it), 1.6e-5 for 30, 8e-11 for 60.
EVERY_POD_PROBES=60

: "${SVCNFT_BACKEND:=nftables}"

E2E_PREFIX="svcnft-$$-"
E2E_NAMESPACES=""
E2E_WORKDIR=""
E2E_CLEANED=0
T_RUN=0
T_FAILED=0

# Addresses of the topology.
NODE_IP=198.18.200.1
CLIENT_IP=198.18.200.2
SERVICE_RANGE=198.19.0.0/16
# The same, for IPv6 (topo_up6).
NODE_IP6=2001:db8:200::1
CLIENT_IP6=2001:db8:200::2
SERVICE_RANGE6=2001:db8:ffff::/48
LB_RANGE6=2001:db8:fffe::/48
TOPO_NPODS=0

# ---------------------------------------------------------------- setup

# Skip the whole script (exit 77, the automake "skipped" status) with a
# TAP-style message.
e2e_skip_all() {
	echo "1..0 # SKIP $*"
	exit 77
}

e2e_bail() {
	echo "Bail out! $*"
	exit 1
}

e2e_init() {
	local tool
	[ "$(id -u)" = 0 ] || e2e_skip_all "not root: network namespaces need root"
	command -v ip >/dev/null 2>&1 || e2e_skip_all "iproute2 (ip) not installed"
	command -v nft >/dev/null 2>&1 || e2e_skip_all "nft not installed"
	command -v timeout >/dev/null 2>&1 || e2e_skip_all "timeout not installed"
	case $SVCNFT_BACKEND in
	nftables) ;;
	iptables)
		for tool in iptables iptables-save iptables-restore; do
			command -v "$tool" >/dev/null 2>&1 ||
				e2e_skip_all "$tool not installed (SVCNFT_BACKEND=iptables)"
		done ;;
	*) e2e_bail "SVCNFT_BACKEND=$SVCNFT_BACKEND: use nftables or iptables" ;;
	esac
	E2E_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/svcnft-e2e.XXXXXX") ||
		e2e_bail "cannot create a temporary directory"
	trap e2e_cleanup EXIT
	trap 'e2e_cleanup; exit 130' INT
	trap 'e2e_cleanup; exit 143' TERM
	trap 'e2e_cleanup; exit 129' HUP
	# A reader that goes away (| head) must not leave namespaces behind.
	trap 'e2e_cleanup; exit 141' PIPE
	if ! timeout 10 ip netns add "${E2E_PREFIX}probe" 2>"$E2E_WORKDIR/netns.err"; then
		e2e_skip_all "cannot create network namespaces: $(cat "$E2E_WORKDIR/netns.err")"
	fi
	timeout 10 ip netns del "${E2E_PREFIX}probe"
	for tool in podserver probe; do
		[ -x "$SVCNFT_TOOLS/$tool" ] ||
			e2e_bail "test tools not built in $SVCNFT_TOOLS (run: make tools)"
	done
}

need_svcnft() {
	[ -x "$SVCNFT" ] || e2e_bail "$SVCNFT not built (run: make svcnft)"
}

# Kill what this run started (by pid, and only if it still is a podserver),
# then delete this run's namespaces. Safe to call more than once.
e2e_cleanup() {
	local ns
	[ "$E2E_CLEANED" = 1 ] && return 0
	E2E_CLEANED=1
	trap - EXIT INT TERM HUP PIPE
	[ -n "$E2E_WORKDIR" ] || return 0
	e2e_kill_servers
	for ns in $E2E_NAMESPACES; do
		timeout 10 ip netns del "$ns" 2>/dev/null
	done
	# Anything of this run the list missed (a failed topo_up, say).
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $ns in
		"$E2E_PREFIX"*) timeout 10 ip netns del "$ns" 2>/dev/null ;;
		esac
	done
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "# kept $E2E_WORKDIR"
	else
		rm -rf "$E2E_WORKDIR"
	fi
	return 0
}

e2e_kill_servers() {
	local pids="" f pid i alive
	for f in "$E2E_WORKDIR"/server-*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		# The pid file names the process we started; make sure the pid was
		# not reused before signalling it.
		# (or a `svcnft watch` a test started: watch_lib.sh)
		if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -Eq 'podserver|svcnft watch'; then
			kill -TERM "$pid" 2>/dev/null && pids="$pids $pid"
		fi
		rm -f "$f"
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		alive=""
		for pid in $pids; do
			kill -0 "$pid" 2>/dev/null && alive="$alive $pid"
		done
		pids=$alive
		[ -z "$pids" ] && break
		sleep 0.1
	done
	for pid in $pids; do
		kill -KILL "$pid" 2>/dev/null
	done
	return 0
}

# ---------------------------------------------------------------- namespaces

# The full name of one of this run's namespaces.
ns_name() {
	echo "${E2E_PREFIX}$1"
}

ns_add() {
	local full="${E2E_PREFIX}$1"
	timeout "$E2E_CMD_TIMEOUT" ip netns add "$full" || return 1
	E2E_NAMESPACES="$E2E_NAMESPACES $full"
	timeout "$E2E_CMD_TIMEOUT" ip -n "$full" link set lo up
}

# Run a command inside one of this run's namespaces, bounded.
in_ns() {
	local ns=$1
	shift
	timeout -k 5 "$E2E_CMD_TIMEOUT" ip netns exec "${E2E_PREFIX}$ns" "$@"
}

# svcnft_in NS COMMAND ARGS...: svcnft in NS, with --backend
# $SVCNFT_BACKEND after the commands that take it.
svcnft_in() {
	local ns=$1 cmd
	shift
	if [ $# -gt 0 ]; then
		cmd=$1
		shift
		case $cmd in
		apply | plan | check | dump | flush)
			set -- "$cmd" --backend "$SVCNFT_BACKEND" "$@" ;;
		*)
			set -- "$cmd" "$@" ;;
		esac
	fi
	timeout -k 5 "$E2E_CMD_TIMEOUT" ip netns exec "${E2E_PREFIX}$ns" "$SVCNFT" "$@"
}

nft_in() {
	local ns=$1
	shift
	timeout -k 5 "$E2E_CMD_TIMEOUT" ip netns exec "${E2E_PREFIX}$ns" nft "$@"
}

# probe_in NS tcp|udp ADDR PORT [probe options]: the probe bounds itself
# (count * per-attempt timeout); the outer timeout is a backstop.
probe_in() {
	local ns=$1
	shift
	timeout -k 5 "$E2E_PROBE_TIMEOUT" ip netns exec "${E2E_PREFIX}$ns" \
		"$SVCNFT_TOOLS/probe" "$@"
}

# A veth pair from the node to NS, NODE_ADDR/24 on the node's end (IFNAME),
# PEER_ADDR/24 on eth0 in NS.
topo_link() {
	local ifname=$1 ns=$2 node_addr=$3 peer_addr=$4
	local node="${E2E_PREFIX}node" peer="${E2E_PREFIX}$2"
	ip -n "$node" link add name "$ifname" type veth peer name eth0 netns "$peer" &&
		ip -n "$node" addr add "$node_addr/24" dev "$ifname" &&
		ip -n "$node" link set "$ifname" up &&
		ip -n "$peer" addr add "$peer_addr/24" dev eth0 &&
		ip -n "$peer" link set eth0 up
}

# topo_up [NPODS]: namespaces node, client and pod1..podN (default 3, at
# most 99), wired as in the header.
topo_up() {
	local npods=${1:-3} i
	TOPO_NPODS=$npods
	ns_add node || e2e_bail "cannot create the node namespace"
	ns_add client || e2e_bail "cannot create the client namespace"
	in_ns node sysctl -qw net.ipv4.ip_forward=1 ||
		e2e_bail "cannot enable forwarding in the node namespace"
	# The kernel rate-limits the ICMP errors it sends to other hosts (one
	# per second per peer after a short burst); tests that count UDP
	# refusals from the client would otherwise see timeouts.
	in_ns node sysctl -qw net.ipv4.icmp_ratelimit=0 ||
		e2e_bail "cannot lift the ICMP rate limit in the node namespace"
	topo_link vc client "$NODE_IP" "$CLIENT_IP" ||
		e2e_bail "cannot link client to node"
	# External users reach ClusterIPs and load-balancer IPs through the node.
	ip -n "$(ns_name client)" route add "$SERVICE_RANGE" via "$NODE_IP" ||
		e2e_bail "cannot route $SERVICE_RANGE from client"
	i=1
	while [ "$i" -le "$npods" ]; do
		ns_add "pod$i" || e2e_bail "cannot create pod$i"
		topo_link "vp$i" "pod$i" "198.18.$i.1" "198.18.$i.2" ||
			e2e_bail "cannot link pod$i to node"
		ip -n "$(ns_name "pod$i")" route add default via "198.18.$i.1" ||
			e2e_bail "cannot route pod$i"
		i=$((i + 1))
	done
	# The node needs a route to the Service range, or connect() fails
	# before the output hook can DNAT (there is no dummy link type here).
	# Traffic no rule rewrites goes to pod1, which does not forward it.
	# The source is the node IP, as on a real node.
	[ "$npods" -ge 1 ] &&
		{ ip -n "$(ns_name node)" route add "$SERVICE_RANGE" via 198.18.1.2 \
			dev vp1 src "$NODE_IP" ||
			e2e_bail "cannot route $SERVICE_RANGE on the node"; }
	return 0
}

# The address of podN in the topology.
pod_ip() {
	echo "198.18.${1#pod}.2"
}

# The IPv6 address of podN (topo_up6).
pod_ip6() {
	echo "2001:db8:${1#pod}::2"
}

# topo_link6 IFNAME NS NODE_ADDR PEER_ADDR: IPv6 /64 addresses on a link
# topo_link made. nodad: without it an address stays "tentative" (unusable)
# for a second or more while duplicate address detection runs.
topo_link6() {
	local ifname=$1 node="${E2E_PREFIX}node" peer="${E2E_PREFIX}$2"
	ip -n "$node" -6 addr add "$3/64" dev "$ifname" nodad &&
		ip -n "$peer" -6 addr add "$4/64" dev eth0 nodad
}

# topo_ipv6_sysctls: the node forwards IPv6 and answers without the
# ICMPv6 rate limit (the IPv6 side of topo_up's two sysctls).
topo_ipv6_sysctls() {
	local ns
	for ns in node client; do
		in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 ||
			return 1
	done
	in_ns node sysctl -qw net.ipv6.conf.all.forwarding=1 &&
		in_ns node sysctl -qw net.ipv6.icmp.ratelimit=0
}

# topo_up6: IPv6 on the topology topo_up built (see the header). Skips the
# whole script (exit 77) when the kernel has no IPv6.
topo_up6() {
	local i node r
	node=$(ns_name node)
	[ "$TOPO_NPODS" -ge 1 ] || e2e_bail "topo_up6 needs topo_up with pods first"
	[ -d /proc/sys/net/ipv6 ] || e2e_skip_all "the kernel has no IPv6"
	topo_ipv6_sysctls || e2e_bail "cannot set the IPv6 sysctls"
	topo_link6 vc client "$NODE_IP6" "$CLIENT_IP6" ||
		e2e_bail "cannot give the client link IPv6 addresses"
	for r in "$SERVICE_RANGE6" "$LB_RANGE6"; do
		ip -n "$(ns_name client)" -6 route add "$r" via "$NODE_IP6" ||
			e2e_bail "cannot route $r from client"
	done
	i=1
	while [ "$i" -le "$TOPO_NPODS" ]; do
		in_ns "pod$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 ||
			e2e_bail "cannot enable IPv6 in pod$i"
		topo_link6 "vp$i" "pod$i" "2001:db8:$i::1" "2001:db8:$i::2" ||
			e2e_bail "cannot give pod$i's link IPv6 addresses"
		ip -n "$(ns_name "pod$i")" -6 route add default via "2001:db8:$i::1" ||
			e2e_bail "cannot route pod$i over IPv6"
		i=$((i + 1))
	done
	# As in topo_up: the node routes the Service ranges somewhere (pod1,
	# which does not forward), with its own address as the source.
	for r in "$SERVICE_RANGE6" "$LB_RANGE6"; do
		ip -n "$node" -6 route add "$r" via 2001:db8:1::2 dev vp1 \
			src "$NODE_IP6" || e2e_bail "cannot route $r on the node"
	done
	return 0
}

# ---------------------------------------------------------------- servers

# start_pod [-s] NAME NS PROTO:PORT...: a podserver in namespace NS that
# answers with NAME (-s: "NAME SOURCE_ADDR"). Waits until it listens.
start_pod() {
	local flags="" name ns pidfile readyfile i
	if [ "$1" = -s ]; then
		flags=-s
		shift
	fi
	name=$1 ns=$2
	shift 2
	pidfile="$E2E_WORKDIR/server-$name.pid"
	readyfile="$E2E_WORKDIR/ready-$name.pid"
	rm -f "$readyfile"
	# shellcheck disable=SC2086 # flags is empty or one word
	ip netns exec "${E2E_PREFIX}$ns" "$SVCNFT_TOOLS/podserver" $flags \
		-p "$readyfile" -T "$E2E_SERVER_LIFETIME" "$name" "$@" \
		>>"$E2E_WORKDIR/server-$name.log" 2>&1 &
	# ip netns exec execs the server, so $! is the server itself.
	echo $! >"$pidfile"
	i=0
	while [ ! -s "$readyfile" ] && [ "$i" -lt 100 ]; do
		kill -0 "$(cat "$pidfile")" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	if [ ! -s "$readyfile" ]; then
		echo "# podserver $name in $ns did not start:"
		sed 's/^/#   /' "$E2E_WORKDIR/server-$name.log"
		e2e_bail "cannot start podserver $name"
	fi
}

# pods_up [-s] [PROTO:PORT...]: the three-pod topology with podservers
# pod1..pod3 answering on the given ports (default tcp:8080).
pods_up() {
	local flags="" i
	if [ "${1:-}" = -s ]; then
		flags=-s
		shift
	fi
	[ $# -gt 0 ] || set -- tcp:8080
	topo_up 3
	for i in 1 2 3; do
		# shellcheck disable=SC2086 # flags is empty or one word
		start_pod $flags "pod$i" "pod$i" "$@"
	done
}

stop_pod() {
	local pidfile="$E2E_WORKDIR/server-$1.pid" pid i
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q podserver; then
		kill -TERM "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.05
			i=$((i + 1))
		done
	fi
	rm -f "$pidfile"
}

# ---------------------------------------------------------------- manifests

# k8s_pod NAME K8S_NAMESPACE IP LABELS [PORTS]: one Pod document.
# LABELS: "k=v,k=v"; PORTS: "name:containerPort[/PROTO],...". The Pod is
# Running and Ready, with status.podIP set. IP may be a comma-separated
# list (a dual-stack Pod: "198.18.1.2,2001:db8:1::2"): status.podIP is the
# first, status.podIPs has them all.
k8s_pod() {
	local name=$1 namespace=$2 ip=$3 labels=$4 ports=${5:-} pname rest proto
	printf -- '---\napiVersion: v1\nkind: Pod\nmetadata:\n'
	printf '  name: %s\n  namespace: %s\n  labels:\n' "$name" "$namespace"
	echo "$labels" | tr ',' '\n' | sed 's/^\([^=]*\)=\(.*\)$/    \1: "\2"/'
	printf 'spec:\n  nodeName: node\n  containers:\n  - name: main\n'
	printf '    image: podserver\n'
	if [ -n "$ports" ]; then
		printf '    ports:\n'
		echo "$ports" | tr ',' '\n' | while IFS=: read -r pname rest; do
			proto=${rest#*/}
			[ "$proto" = "$rest" ] && proto=TCP
			printf '    - name: %s\n      containerPort: %s\n' "$pname" "${rest%%/*}"
			printf '      protocol: %s\n' "$proto"
		done
	fi
	printf 'status:\n  phase: Running\n  podIP: %s\n  podIPs:\n' "${ip%%,*}"
	echo "$ip" | tr ',' '\n' | sed 's/^/  - ip: /'
	printf '  conditions:\n  - type: Ready\n    status: "True"\n'
}

# web_pods [PORTS]: the Pods web-1..web-3 (app=web, namespace default)
# that the topology's pod1..pod3 stand for; PORTS as for k8s_pod.
web_pods() {
	local i
	for i in 1 2 3; do
		k8s_pod "web-$i" default "198.18.$i.2" app=web "$@"
	done
}

# A fresh directory for one set of manifests.
manifest_dir() {
	local d="$E2E_WORKDIR/manifests-$1"
	mkdir -p "$d"
	echo "$d"
}

# ---------------------------------------------------------------- probe output

# The summary line of a probe output file (its last line).
probe_summary() {
	tail -n 1 "$1"
}

# count_of KEY SUMMARY: how many attempts got KEY (0 when absent).
count_of() {
	local n
	# shellcheck disable=SC2086 # the summary splits into KEY=COUNT words
	n=$(printf '%s\n' $2 | sed -n "s/^$1=//p")
	echo "${n:-0}"
}

# The keys of a summary, space-separated and sorted.
keys_of() {
	# shellcheck disable=SC2086 # the summary splits into KEY=COUNT words
	printf '%s\n' $1 | sed 's/=.*//' | sort | tr '\n' ' ' | sed 's/ $//'
}

# ---------------------------------------------------------------- TAP

# While T_TODO is set (a reason), results are TAP "TODO": a known gap,
# reported but not counted as a failure.
T_TODO=""

ok() {
	T_RUN=$((T_RUN + 1))
	echo "ok $T_RUN - $1${T_TODO:+ # TODO $T_TODO}"
}

not_ok() {
	T_RUN=$((T_RUN + 1))
	[ -n "$T_TODO" ] || T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_RUN - $1${T_TODO:+ # TODO $T_TODO}"
}

skip() {
	T_RUN=$((T_RUN + 1))
	echo "ok $T_RUN - $1 # SKIP $2"
}

# Print text (an argument, or standard input) as TAP diagnostics.
diag() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$*" | sed 's/^/# /'
	else
		sed 's/^/# /'
	fi
}

# diag_file LABEL FILE: a file's content, indented, as diagnostics.
diag_file() {
	echo "# $1:"
	sed 's/^/#   /' "$2" | head -n 200
}

# t_check DESC CMD...: ok when CMD exits 0; its output is shown on failure.
t_check() {
	local desc=$1 out="$E2E_WORKDIR/check.out" rc
	shift
	if "$@" >"$out" 2>&1; then
		ok "$desc"
		return 0
	fi
	rc=$?
	not_ok "$desc"
	echo "#   command: $*"
	echo "#   exit status: $rc"
	diag_file output "$out"
	return 1
}

# assert_exit DESC EXPECTED_STATUS CMD...: output in $E2E_WORKDIR/last.out.
assert_exit() {
	local desc=$1 want=$2 out="$E2E_WORKDIR/last.out" rc
	shift 2
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	echo "#   command: $*"
	echo "#   expected exit status: $want"
	echo "#   actual exit status:   $rc"
	diag_file output "$out"
	return 1
}

assert_eq() {
	local desc=$1 want=$2 got=$3
	if [ "$want" = "$got" ]; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	echo "#   expected: $want"
	echo "#   actual:   $got"
	return 1
}

# assert_range DESC LOW HIGH VALUE: LOW <= VALUE <= HIGH.
assert_range() {
	local desc=$1 low=$2 high=$3 got=$4
	if [ "$got" -ge "$low" ] 2>/dev/null && [ "$got" -le "$high" ]; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	echo "#   expected: between $low and $high"
	echo "#   actual:   $got"
	return 1
}

# assert_grep DESC PATTERN FILE / assert_no_grep: extended regexps.
assert_grep() {
	if grep -Eq -- "$2" "$3"; then
		ok "$1"
		return 0
	fi
	not_ok "$1"
	echo "#   expected a line matching: $2"
	diag_file "actual ($3)" "$3"
	return 1
}

assert_no_grep() {
	if ! grep -Eq -- "$2" "$3"; then
		ok "$1"
		return 0
	fi
	not_ok "$1"
	echo "#   expected no line matching: $2"
	grep -En -- "$2" "$3" | head -n 20 | sed 's/^/#   found: /'
	return 1
}

# assert_same_file DESC EXPECTED_FILE ACTUAL_FILE: byte-identical.
assert_same_file() {
	if cmp -s "$2" "$3"; then
		ok "$1"
		return 0
	fi
	not_ok "$1"
	echo "#   files differ (- expected, + actual):"
	diff -u "$2" "$3" | head -n 100 | sed 's/^/#   /'
	return 1
}

# assert_probe DESC "EXPECTED KEYS" OUTPUT_FILE: the set of keys in the
# summary is exactly the expected one (sorted, space-separated).
assert_probe() {
	local desc=$1 want=$2 file=$3 got
	got=$(keys_of "$(probe_summary "$file")")
	if [ "$got" = "$want" ]; then
		ok "$desc"
		echo "#   $(probe_summary "$file")"
		return 0
	fi
	not_ok "$desc"
	echo "#   expected answers from: $want"
	echo "#   actual answers from:   $got"
	echo "#   summary: $(probe_summary "$file")"
	return 1
}

# Show the node's ruleset as diagnostics (after a traffic failure).
diag_ruleset() {
	echo "# $SVCNFT_BACKEND ruleset in the node namespace:"
	ruleset_snapshot node /dev/stdout 2>&1 | sed 's/^/#   /' | head -n 150
}

t_done() {
	echo "1..$T_RUN"
	if [ "$T_FAILED" -gt 0 ]; then
		echo "# $T_FAILED of $T_RUN failed"
		exit 1
	fi
	exit 0
}

# ---------------------------------------------------------------- ruleset text

# chain_rules FILE NAME: the lines inside chain NAME and inside every chain
# whose name starts with NAME/, from an `nft list` listing.
chain_rules() {
	# nft may quote names with special characters; compare without quotes.
	awk -v name="$2" '
		{ line = $0; gsub(/"/, "", line) }
		line ~ /^\tchain / {
			split(line, word, " ")
			if (word[2] == name || index(word[2], name "/") == 1) {
				inside = 1
				next
			}
		}
		inside && /^\t}/ { inside = 0 }
		inside' "$1"
}

# Sort the elements inside every "elements = { ... }" block, one per line,
# so that two listings that differ only in element order compare equal. nft
# prints the elements of a block comma-separated, over one or several lines.
normalize_elements() {
	awk '
	function emit(   i, j, m, t, part) {
		sub(/}.*/, "", text)
		m = split(text, part, ",")
		n = 0
		for (i = 1; i <= m; i++) {
			gsub(/^[ \t]+|[ \t]+$/, "", part[i])
			if (part[i] != "") buf[++n] = part[i]
		}
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && buf[j - 1] > buf[j]; j--) {
				t = buf[j]; buf[j] = buf[j - 1]; buf[j - 1] = t
			}
		print head
		for (i = 1; i <= n; i++)
			print "\t\t\t" buf[i]
		print "\t\t}"
		collecting = 0
	}
	collecting {
		text = text " " $0
		if (text ~ /}/) emit()
		next
	}
	/elements = \{/ {
		head = $0; sub(/\{.*/, "{", head)
		text = $0; sub(/^[^{]*\{/, "", text)
		collecting = 1
		if (text ~ /}/) emit()
		next
	}
	{ print }
	'
}

# ---------------------------------------------------------------- backends

# What a test inspects of the kernel, per SVCNFT_BACKEND. nftables: the nft
# binary's listings of table ip svcnft. iptables: iptables-save, where
# svcnft's chains are SVCNFT-*, a Service port's chain is SVCNFT-SVC-<hash>
# and every rule that dispatches to it carries the comment
# "NAMESPACE/NAME/PROTO/PORT".

# ruleset_snapshot NS FILE: everything netfilter holds in NS, for
# byte-identical comparisons: `nft list ruleset`, or `iptables-save` and
# `ip6tables-save` of every table without their "# Generated/Completed"
# lines (they hold the time) and with chain counters zeroed
# (iptables-legacy counts packets there; iptables-nft always prints [0:0]).
ruleset_snapshot() {
	case $SVCNFT_BACKEND in
	iptables)
		{
			in_ns "$1" iptables-save
			echo "# ip6tables"
			in_ns "$1" ip6tables-save 2>/dev/null
		} >"$2.raw"
		grep -v '^# [GC]' "$2.raw" | sed 's/ \[[0-9]*:[0-9]*\]$/ [0:0]/' >"$2"
		rm -f "$2.raw" ;;
	*)
		nft_in "$1" list ruleset >"$2" ;;
	esac
}

# svc_listing NS FILE: what svcnft has in NS: `nft list table ip svcnft`,
# or the "*nat"/"*filter" headers and every iptables-save line naming an
# SVCNFT- chain (its chains, their rules, the jump rules into them).
svc_listing() {
	case $SVCNFT_BACKEND in
	iptables)
		{
			in_ns "$1" iptables-save -t nat
			in_ns "$1" iptables-save -t filter
		} 2>/dev/null | grep -E '^\*|SVCNFT-' >"$2" ;;
	*)
		nft_in "$1" list table ip svcnft >"$2" 2>&1 ;;
	esac
}

# service_re NAMESPACE/NAME: an extended regexp for a listing line that
# sends traffic to one of the Service's ports (map element, dispatch rule).
service_re() {
	case $SVCNFT_BACKEND in
	iptables) echo "--comment \"?$1/" ;;
	*) echo "goto \"?svc-$1([/\" ,}]|\$)" ;;
	esac
}

# dnat_re ENDPOINT_RE: a DNAT to ADDR:PORT (dots escaped by the caller);
# without an argument, any DNAT.
dnat_re() {
	case $SVCNFT_BACKEND in
	iptables) echo "-j DNAT --to-destination ${1:-}" ;;
	*) echo "dnat to ${1:-}" ;;
	esac
}

# service_chains FILE NAMESPACE/NAME: from a svc_listing, the names of the
# Service's per-port chains, one a line.
service_chains() {
	case $SVCNFT_BACKEND in
	iptables)
		# chain names are hashes: follow the Service's dispatch rules
		awk -v q="--comment \"$2/" -v u="--comment $2/" '
			index($0, q) || index($0, u) {
				for (i = 1; i < NF; i++)
					if ($i == "-j" && $(i + 1) ~ /^SVCNFT-SVC-/)
						print $(i + 1)
			}' "$1" | sort -u ;;
	*)
		tr -d '"' <"$1" | sed -n "s|^\tchain \(svc-$2/[^ ]*\) {\$|\1|p" ;;
	esac
}

# service_rules FILE NAMESPACE/NAME: from a svc_listing, the rules of the
# Service's per-port chains (its DNATs; for iptables also its REJECTs,
# which live in the filter table).
service_rules() {
	case $SVCNFT_BACKEND in
	iptables)
		service_chains "$1" "$2" >"$1.chains"
		awk -v q="--comment \"$2/" -v u="--comment $2/" '
			FILENAME == ARGV[1] { want[$1] = 1; next }
			$1 == "-A" && ($2 in want) { print; next }
			(index($0, q) || index($0, u)) && / -j REJECT/' \
			"$1.chains" "$1"
		rm -f "$1.chains" ;;
	*)
		chain_rules "$1" "svc-$2" ;;
	esac
}

# jump_rules FILE: from a svc_listing, the rules that hook svcnft into the
# packet path (jumps from base or built-in chains; for nftables prefixed
# with the chain they are in), and how many there
# must be: 2 for nftables (prerouting, output), 6 for iptables (nat
# PREROUTING, OUTPUT and POSTROUTING, filter INPUT, FORWARD and OUTPUT).
jump_rules() {
	case $SVCNFT_BACKEND in
	iptables) grep -E '^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) .*-j SVCNFT-' "$1" ;;
	*) awk '/^\tchain / { chain = $2 } /^\t\tjump services$/ { print chain ": " $1 " " $2 }' "$1" ;;
	esac
}

jump_rules_expected() {
	case $SVCNFT_BACKEND in
	iptables) echo 6 ;;
	*) echo 2 ;;
	esac
}

# ---------------------------------------------------------------- a bit of everything

# k8s_everything DIR: manifests using every feature svcnft has, for the
# tests that compare rulesets (plan vs apply, apply twice, nft list). Pods
# web-1..3 are the topology's pod1..pod3 (TCP 8080, 9100; UDP 5353).
k8s_everything() {
	local dir=$1 i
	for i in 1 2 3; do
		k8s_pod "web-$i" default "198.18.$i.2" app=web,tier=front \
			"http:8080,metrics:9100,dns:5353/UDP"
	done >"$dir/pods.yaml"
	k8s_pod web-1 other 198.18.5.2 app=web http:8080 >"$dir/other-pods.yaml"
	cat >"$dir/services.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 198.19.0.10
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
---
apiVersion: v1
kind: Service
metadata: {name: web-np, namespace: default}
spec:
  type: NodePort
  clusterIP: 198.19.0.11
  selector: {app: web}
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080, nodePort: 30080}
  - {name: dns, protocol: UDP, port: 53, targetPort: dns, nodePort: 30053}
---
apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: default}
spec:
  type: LoadBalancer
  clusterIP: 198.19.0.12
  selector: {app: web}
  ports:
  - {name: https, port: 443, targetPort: 8080, nodePort: 30443}
status:
  loadBalancer:
    ingress:
    - ip: 198.19.255.10
    - ip: 198.19.255.11
---
apiVersion: v1
kind: Service
metadata: {name: multi, namespace: default}
spec:
  clusterIP: 198.19.0.13
  selector: {tier: front}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: metrics, port: 9090, targetPort: metrics}
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: default}
spec:
  clusterIP: 198.19.0.14
  selector: {app: nothing}
  ports:
  - {name: http, protocol: TCP, port: 80}
  - {name: dns, protocol: UDP, port: 53}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec:
  clusterIP: 198.19.0.17
  selector: {app: web}
  ports:
  - {port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Service
metadata: {name: headless, namespace: default}
spec:
  clusterIP: None
  selector: {app: web}
  ports:
  - {port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec:
  type: ExternalName
  externalName: db.example.invalid
---
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated, namespace: default}
data: {key: value}
EOF
	cat >"$dir/selectorless.yaml" <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: default}
spec:
  clusterIP: 198.19.0.15
  ports:
  - {name: http, port: 80}
---
apiVersion: v1
kind: Endpoints
metadata: {name: legacy, namespace: default}
subsets:
- addresses: [{ip: 198.18.1.2}, {ip: 198.18.2.2}]
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: sliced, namespace: default}
spec:
  clusterIP: 198.19.0.16
  ports:
  - {name: http, port: 80}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: sliced-abcde
  namespace: default
  labels: {kubernetes.io/service-name: sliced}
addressType: IPv4
ports: [{name: http, protocol: TCP, port: 8080}]
endpoints:
- addresses: [198.18.2.2]
  conditions: {ready: true}
- addresses: [198.18.3.2]
  conditions: {ready: true}
EOF
}
