#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Dual-stack Services (issue #3), with real IPv6 connections: a Service
# with ClusterIPs of both families spreads over its pods on either, whether
# its endpoints come from one EndpointSlice per address type or from Pods'
# status.podIPs; an IPv6-only Service lives in table ip6 svcnft only; a
# node port answers on the node's IPv6 address; load-balancer IPs work over
# IPv6; ClientIP affinity holds over IPv6; masquerade follows
# --cluster-cidr for IPv6 sources too; a Service
# without endpoints is refused at once over IPv6 (TCP reset, ICMPv6 port
# unreachable). Then the two tables as a whole: both exist after apply,
# `svcnft plan` loaded with nft -f lists like apply, a second apply changes
# nothing, a batch the kernel refuses leaves both byte-identical, and flush
# removes both and nothing else. With the iptables backend the same through
# iptables and ip6tables: the plan loaded with iptables-restore and
# ip6tables-restore saves like apply (kernel fault injection is netlink's).
#
# The pods are 198.18.N.2 and 2001:db8:N::2, the client 2001:db8:200::2
# (lib.sh, topo_up6). 2001:db8::/40 covers the pods (2001:db8:0-ff::) and
# not the client (2001:db8:200::), as 198.18.0.0/20 does for IPv4.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
. "$(dirname "$0")/fault_lib.sh"
e2e_init
need_svcnft
topo_up 3
topo_up6
for i in 1 2 3; do
	start_pod -s "pod$i" "pod$i" tcp:8080 udp:8080
done
ns_add planned || e2e_bail "cannot create a namespace"
out=$E2E_WORKDIR
CIDRS=198.18.0.0/20,2001:db8::/40
PODS="pod1 pod2 pod3"
NODE_SIDES6="2001:db8:1::1 2001:db8:2::1 2001:db8:3::1"
NODE_SIDES4="198.18.1.1 198.18.2.1 198.18.3.1"

# ds_service NAME TYPE V4 V6 [SELECTOR]: a RequireDualStack Service with
# ClusterIPs V4 and V6 (port 80 to 8080, TCP; node port 30000 + last octet
# of V4 when TYPE is not ClusterIP), written as kubectl prints it.
ds_service() {
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n' "$1"
	printf '  namespace: default\nspec:\n  type: %s\n' "$2"
	printf '  ipFamilyPolicy: RequireDualStack\n  ipFamilies:\n  - IPv4\n  - IPv6\n'
	printf '  clusterIP: %s\n  clusterIPs:\n  - %s\n  - %s\n' "$3" "$3" "$4"
	[ -n "${5:-}" ] && printf '  selector:\n    app: %s\n' "$5"
	printf '  ports:\n  - name: tcp\n    protocol: TCP\n    port: 80\n'
	printf '    targetPort: 8080\n'
	[ "$2" = ClusterIP ] || printf '    nodePort: %s\n' $((30000 + ${3##*.}))
}

# ds_slice SERVICE IPv4|IPv6 ADDR...: one EndpointSlice of that type.
ds_slice() {
	local svc=$1 type=$2 addr
	shift 2
	printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n'
	printf 'metadata:\n  name: %s-%s\n  namespace: default\n' "$svc" "$type"
	printf '  labels:\n    kubernetes.io/service-name: %s\n' "$svc"
	printf 'addressType: %s\nports:\n- name: tcp\n  port: 8080\n  protocol: TCP\n' "$type"
	printf 'endpoints:\n'
	for addr in "$@"; do
		printf -- '- addresses:\n  - %s\n  conditions:\n    ready: true\n' "$addr"
	done
}

m=$(manifest_dir dualstack)
{
	for i in 1 2 3; do
		k8s_pod "web-$i" default "198.18.$i.2,2001:db8:$i::2" app=web
	done
} >"$m/pods.yaml"
{
	# endpoints from one slice per address type (slices.yaml)
	ds_service sliced ClusterIP 198.19.0.10 2001:db8:ffff::10
	# endpoints from the Pods' status.podIPs
	ds_service web ClusterIP 198.19.0.11 2001:db8:ffff::11 web
	ds_service web-np NodePort 198.19.0.12 2001:db8:ffff::12 web
	ds_service web-lb LoadBalancer 198.19.0.13 2001:db8:ffff::13 web
	cat <<'YAML'
status:
  loadBalancer:
    ingress:
    - ip: 198.19.255.13
    - ip: 2001:db8:fffe::13
YAML
	ds_service empty ClusterIP 198.19.0.14 2001:db8:ffff::14 nothing
	cat <<'YAML'
  - name: dns
    protocol: UDP
    port: 53
---
apiVersion: v1
kind: Service
metadata:
  name: v6only
  namespace: default
spec:
  ipFamilyPolicy: SingleStack
  ipFamilies: [IPv6]
  clusterIP: "2001:db8:ffff::20"
  clusterIPs: ["2001:db8:ffff::20"]
  selector: {app: web}
  ports:
  - {name: tcp, protocol: TCP, port: 80, targetPort: 8080}
  - {name: udp, protocol: UDP, port: 53, targetPort: 8080}
YAML
} >"$m/services.yaml"
# ds_slices N: the slices of "sliced", with pods 1..N.
ds_slices() {
	ds_slice sliced IPv4 $(seq -f '198.18.%g.2' 1 "$1")
	ds_slice sliced IPv6 $(seq -f '2001:db8:%g::2' 1 "$1")
}
ds_slices 3 >"$m/slices.yaml"

# Other programs' tables, of both families, that svcnft must leave alone.
fl_foreign node || e2e_bail "cannot load the foreign tables"
nft_in node -f - <<'NFT' || e2e_bail "cannot load the foreign ip6 table"
table ip6 other6 {
	set blocked6 { type ipv6_addr; elements = { 2001:db8:250::1 } }
	chain input {
		type filter hook input priority 0; policy accept;
		ip6 saddr @blocked6 drop
	}
}
NFT
# foreign_snapshot FILE: what the other programs hold. iptables-nft keeps
# its (then empty) nat and filter tables after a flush: with the iptables
# backend, the foreign tables by name.
foreign_snapshot() {
	if [ "$SVCNFT_BACKEND" = iptables ]; then
		for t in "inet foreign" "ip other-nat" "ip6 other6"; do
			# shellcheck disable=SC2086 # family and name
			nft_in node list table $t
		done >"$1"
	else
		ruleset_snapshot node "$1"
	fi
}
foreign_snapshot "$out/foreign"

# ------------------------------------------------------------ apply, tables

assert_exit "apply of the dual-stack manifests with --cluster-cidr $CIDRS" 0 \
	svcnft_in node apply --cluster-cidr "$CIDRS" "$m"
diag_file "apply output" "$out/last.out"
# tables_of NS PREFIX: what svcnft holds in NS, per family, in
# PREFIX.4 and PREFIX.6 (nft: table ip and ip6 svcnft; iptables: the
# SVCNFT- lines of iptables-save and ip6tables-save).
tables_of() {
	if [ "$SVCNFT_BACKEND" = iptables ]; then
		in_ns "$1" iptables-save | grep SVCNFT- >"$2.4"
		in_ns "$1" ip6tables-save | grep SVCNFT- >"$2.6"
	else
		nft_in "$1" list table ip svcnft >"$2.4" 2>&1
		nft_in "$1" list table ip6 svcnft >"$2.6" 2>&1
	fi
}
tables_of node "$out/table"
assert_grep "svcnft holds IPv4 Services" '198\.19\.0\.10' "$out/table.4"
assert_grep "svcnft holds IPv6 Services" '2001:db8:ffff::10' "$out/table.6"
mv "$out/table.4" "$out/table4"
mv "$out/table.6" "$out/table6"
if [ "$SVCNFT_BACKEND" != iptables ]; then
	t_check "nft list ruleset lists everything svcnft programmed" \
		nft_in node list ruleset
fi
assert_no_grep "the IPv6 table holds no IPv4 address" \
	'198\.1[89]\.' "$out/table6"
assert_no_grep "the IPv4 table holds no IPv6 address" '2001:db8' "$out/table4"
assert_no_grep "the IPv6-only Service is not in the IPv4 table" \
	'v6only' "$out/table4"
assert_grep "the IPv6-only Service is in the IPv6 table" \
	'default/v6only' "$out/table6"

# ------------------------------------------------------------ traffic

# Does IPv6 reach a pod at all? When it does not, every attempt below would
# wait out its timeout: the IPv6 probes then make N6=3 attempts (each still
# reported) and the 300-connection spreads are not run, so that the test
# fails in bounded time.
N6=$EVERY_POD_PROBES
probe_in node tcp 2001:db8:ffff::10 80 -n 3 -t 1000 >"$out/gate6"
if ! grep -q '^pod' "$out/gate6"; then
	N6=3
	diag "no answer from [2001:db8:ffff::10]:80: IPv6 probes cut to $N6 attempts"
	diag_ruleset
fi

# spread6 DESC ADDR: 300 connections from the node to [ADDR]:80 reach
# pod1..pod3, each 60..140 times.
spread6() {
	local s p
	if [ "$N6" != "$EVERY_POD_PROBES" ]; then
		not_ok "$1"
		echo "#   not run: IPv6 does not reach the pods (see above)"
		return 1
	fi
	probe_in node tcp "$2" 80 -n 300 -t 1000 -q >"$out/spread"
	assert_probe "$1" "$PODS" "$out/spread" || diag_ruleset
	s=$(probe_summary "$out/spread")
	for p in $PODS; do
		assert_range "... $p answered between 60 and 140 of 300" 60 140 \
			"$(count_of "$p" "$s")"
	done
}

spread6 "node -> [2001:db8:ffff::10]:80 (slices): 300 connections spread over pod1..pod3" \
	2001:db8:ffff::10
probe_in client tcp 2001:db8:ffff::10 80 -n "$N6" >"$out/client6"
assert_probe "client -> [2001:db8:ffff::10]:80 (slices): pod1..pod3 answer" \
	"$PODS" "$out/client6"
assert_eq "... masqueraded: the pods see the node's addresses" \
	"$NODE_SIDES6" "$(sem_sources "$out/client6")"
probe_in node tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/node4"
assert_probe "node -> 198.19.0.10:80: the IPv4 ClusterIP still works" \
	"$PODS" "$out/node4"
probe_in client tcp 198.19.0.10 80 -n "$EVERY_POD_PROBES" >"$out/client4"
assert_probe "client -> 198.19.0.10:80: pod1..pod3 answer" "$PODS" "$out/client4"
assert_eq "... masqueraded to the node's IPv4 addresses" \
	"$NODE_SIDES4" "$(sem_sources "$out/client4")"

spread6 "node -> [2001:db8:ffff::11]:80 (Pods' podIPs): 300 connections spread over pod1..pod3" \
	2001:db8:ffff::11
probe_in client tcp 2001:db8:ffff::11 80 -n "$N6" >"$out/sel6c"
assert_probe "client -> [2001:db8:ffff::11]:80 (Pods' podIPs): pod1..pod3 answer" \
	"$PODS" "$out/sel6c"
probe_in node tcp 198.19.0.11 80 -n "$EVERY_POD_PROBES" >"$out/sel4"
assert_probe "node -> 198.19.0.11:80 (Pods' podIP): pod1..pod3 answer" \
	"$PODS" "$out/sel4"
probe_in pod2 tcp 2001:db8:ffff::11 80 -n "$N6" -t 500 >"$out/pod6"
assert_grep "pod2 -> [2001:db8:ffff::11]:80: another pod sees pod2's own address" \
	'^pod[13] 2001:db8:2::2$' "$out/pod6"
assert_grep "pod2 -> [2001:db8:ffff::11]:80 -> pod2 (hairpin) is answered, masqueraded" \
	'^pod2 2001:db8:2::1$' "$out/pod6"
assert_no_grep "... no hairpin attempt is lost" '^timeout$' "$out/pod6"

probe_in node tcp 2001:db8:ffff::20 80 -n "$N6" >"$out/v6only"
assert_probe "node -> [2001:db8:ffff::20]:80 (IPv6-only Service): pod1..pod3 answer" \
	"$PODS" "$out/v6only"
probe_in client udp 2001:db8:ffff::20 53 -n "$N6" >"$out/v6only-udp"
assert_probe "client -> [2001:db8:ffff::20]:53/udp: pod1..pod3 answer" \
	"$PODS" "$out/v6only-udp"

probe_in client tcp "$NODE_IP6" 30012 -n "$N6" >"$out/np6"
assert_probe "client -> [$NODE_IP6]:30012 (node port over IPv6): pod1..pod3 answer" \
	"$PODS" "$out/np6"
assert_eq "... masqueraded to the node's addresses" \
	"$NODE_SIDES6" "$(sem_sources "$out/np6")"
probe_in client tcp "$NODE_IP" 30012 -n "$EVERY_POD_PROBES" >"$out/np4"
assert_probe "client -> $NODE_IP:30012 (the same node port over IPv4)" \
	"$PODS" "$out/np4"
probe_in client tcp 2001:db8:fffe::13 80 -n "$N6" >"$out/lb6"
assert_probe "client -> [2001:db8:fffe::13]:80 (load-balancer IP): pod1..pod3 answer" \
	"$PODS" "$out/lb6"
# Over IPv6 here the ICMPv6 port unreachable for a SYN comes back while
# connect() still holds the socket lock, and Linux TCP then keeps it as a
# soft error only (TcpExtLockDroppedIcmps): the connection is refused at
# the SYN's retransmission, a second later. Only a TCP reset refuses it at
# once, as the test asks.
probe_in client tcp 2001:db8:ffff::10 81 -n 3 -t 1000 >"$out/badport6"
assert_probe "a live IPv6 ClusterIP on an undefined port is refused at once (TCP)" \
	refused "$out/badport6"
probe_in client udp 2001:db8:ffff::10 81 -n 3 -t 1000 >"$out/badport6u"
assert_probe "... and (UDP, ICMPv6 port unreachable)" refused "$out/badport6u"

probe_in client tcp 2001:db8:ffff::14 80 -n 3 -t 1000 >"$out/empty-tcp"
assert_probe "client -> [2001:db8:ffff::14]:80, no endpoints: refused at once (TCP reset)" \
	refused "$out/empty-tcp"
probe_in node tcp 2001:db8:ffff::14 80 -n 3 -t 1000 >"$out/empty-tcp-node"
assert_probe "node -> [2001:db8:ffff::14]:80, no endpoints: refused at once" \
	refused "$out/empty-tcp-node"
probe_in client udp 2001:db8:ffff::14 53 -n 3 -t 1000 >"$out/empty-udp"
assert_probe "client -> [2001:db8:ffff::14]:53/udp, no endpoints: refused at once (ICMPv6 port unreachable)" \
	refused "$out/empty-udp"

# ------------------------------------------------------------ plan, apply again

# compare_tables DESC A B: the two listings, raw or with elements sorted
# (the kernel hashes map elements, so two namespaces may order them apart).
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

svcnft_in planned plan --cluster-cidr "$CIDRS" "$m" >"$out/plan.nft" 2>"$out/plan.err"
assert_eq "svcnft plan exits 0" 0 $?
if [ "$SVCNFT_BACKEND" = iptables ]; then
	# the plan: iptables-restore input, then ip6tables-restore input
	sed '/^# ip6tables-restore/,$d' "$out/plan.nft" >"$out/plan.4"
	sed -n '/^# ip6tables-restore/,$p' "$out/plan.nft" >"$out/plan.6"
	assert_grep "the plan holds ip6tables-restore input" '2001:db8:ffff::10/128' "$out/plan.6"
	load_plan() {
		in_ns planned iptables-restore --noflush <"$E2E_WORKDIR/plan.4" &&
			in_ns planned ip6tables-restore --noflush <"$E2E_WORKDIR/plan.6"
	}
	t_check "iptables-restore and ip6tables-restore load the plan in a fresh namespace" \
		load_plan || diag_file plan "$out/plan.nft"
	tables_of planned "$out/planned"
	tables_of node "$out/applied"
	for family in 4 6; do
		assert_same_file "the plan loaded saves like apply: IPv$family" \
			"$out/planned.$family" "$out/applied.$family"
	done
else
	assert_grep "the plan holds table ip6 svcnft" '^table ip6 svcnft \{' "$out/plan.nft"
	t_check "nft -f loads the plan in a fresh namespace" \
		nft_in planned -f "$out/plan.nft" || diag_file plan "$out/plan.nft"
	for family in ip ip6; do
		nft_in planned list table "$family" svcnft >"$out/planned.$family" 2>&1
		nft_in node list table "$family" svcnft >"$out/applied.$family" 2>&1
		compare_tables "plan loaded with nft -f lists like apply: table $family svcnft" \
			"$out/planned.$family" "$out/applied.$family"
	done
fi

ruleset_snapshot node "$out/first"
assert_exit "a second apply of the same manifests succeeds" 0 \
	svcnft_in node apply --cluster-cidr "$CIDRS" "$m"
cp "$out/last.out" "$out/second.out"
if [ "$SVCNFT_BACKEND" != iptables ]; then
	assert_grep "... and says \"no changes\"" 'no changes' "$out/second.out"
	assert_no_grep "... for every table" 'created|replaced|[1-9][0-9]* (chains|elements) added|[1-9][0-9]* (refilled|deleted|removed)' \
		"$out/second.out"
fi
ruleset_snapshot node "$out/second"
assert_same_file "... the ruleset is byte-identical" "$out/first" "$out/second"

# ------------------------------------------------------------ a refused batch

# A change to both tables: pod3 leaves both slices of "sliced".
b=$(manifest_dir changed)
cp "$m/pods.yaml" "$m/services.yaml" "$b/"
ds_slices 2 >"$b/slices.yaml"
faults="type:1 type:last attr:last"
[ "$SVCNFT_BACKEND" = iptables ] && faults=""
for spec in $faults; do
	SVCNFT_TEST_FAULT=$spec svcnft_in node apply --cluster-cidr "$CIDRS" "$b" \
		>"$out/fault.out" 2>&1
	assert_eq "a batch the kernel refuses ($spec): exit 3" 3 $? ||
		diag_file output "$out/fault.out"
	ruleset_snapshot node "$out/after-fault"
	assert_same_file "... both tables (and the foreign ones) byte-identical" \
		"$out/first" "$out/after-fault"
done
assert_exit "the change applies without the fault" 0 \
	svcnft_in node apply --cluster-cidr "$CIDRS" "$b"
probe_in node tcp 2001:db8:ffff::10 80 -n "$N6" >"$out/changed6"
assert_probe "... pod3 no longer answers on the IPv6 ClusterIP" "pod1 pod2" "$out/changed6"

# ------------------------------------------------------------ affinity

# A dual-stack Service with ClientIP affinity (added last: its timeout
# map's entries would make the table comparisons above time-dependent).
a=$(manifest_dir sticky)
cp "$b"/*.yaml "$a/"
cat >"$a/sticky.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: sticky, namespace: default}
spec:
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv4, IPv6]
  clusterIPs: [198.19.0.15, "2001:db8:ffff::15"]
  sessionAffinity: ClientIP
  selector: {app: web}
  ports: [{name: tcp, protocol: TCP, port: 80, targetPort: 8080}]
YAML
assert_exit "apply of a dual-stack Service with ClientIP affinity" 0 \
	svcnft_in node apply --cluster-cidr "$CIDRS" "$a"
probe_in client tcp 2001:db8:ffff::15 80 -n "$N6" >"$out/sticky6"
assert_eq "client -> [2001:db8:ffff::15]:80: every connection reaches one pod" \
	1 "$(count_of_pods "$out/sticky6")"
assert_no_grep "... and none is lost" '^timeout$' "$out/sticky6"
probe_in client tcp 198.19.0.15 80 -n 20 >"$out/sticky4"
assert_eq "client -> 198.19.0.15:80 (the same Service over IPv4): one pod" \
	1 "$(count_of_pods "$out/sticky4")"

# ------------------------------------------------------------ flush

assert_exit "svcnft flush succeeds" 0 svcnft_in node flush
if [ "$SVCNFT_BACKEND" = iptables ]; then
	tables_of node "$out/flushed"
	assert_no_grep "... nothing of svcnft's is left in iptables" SVCNFT "$out/flushed.4"
	assert_no_grep "... nor in ip6tables" SVCNFT "$out/flushed.6"
else
	assert_exit "... table ip svcnft is gone" 1 nft_in node list table ip svcnft
	assert_exit "... table ip6 svcnft is gone" 1 nft_in node list table ip6 svcnft
fi
foreign_snapshot "$out/flushed"
assert_same_file "... and nothing else changed (the foreign tables as before)" \
	"$out/foreign" "$out/flushed"
t_done
