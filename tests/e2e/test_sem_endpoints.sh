#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Which endpoints a Service uses. EndpointSlice conditions: ready ones;
# when none is ready, serving-and-terminating ones; never the others;
# publishNotReadyAddresses uses every endpoint; several slices merge.
# Service labels: service.kubernetes.io/headless and a service-proxy-name
# other than --proxy-name leave the Service to someone else (no rules).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sem_lib.sh"
sem_start
out=$E2E_WORKDIR
m=$(manifest_dir endpoints)

service() {
	cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: roll$2}
spec:
  clusterIP: $3
  publishNotReadyAddresses: $4
  ports: [{name: tcp, port: 80, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: roll$2-a, labels: {kubernetes.io/service-name: roll$2}}
addressType: IPv4
ports: [{name: tcp, port: 8080, protocol: TCP}]
endpoints:
- {addresses: [198.18.1.2], conditions: {ready: false, serving: true, terminating: true}}
- {addresses: [198.18.2.2], conditions: {ready: false, serving: false, terminating: true}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: roll$2-b, labels: {kubernetes.io/service-name: roll$2}}
addressType: IPv4
ports: [{name: tcp, port: 8080, protocol: TCP}]
endpoints:
$1
YAML
}

{
	service "- {addresses: [198.18.3.2], conditions: {ready: false}}" 1 198.19.0.51 false
	echo ---
	service "- {addresses: [198.18.3.2], conditions: {ready: true}}" 2 198.19.0.52 false
	echo ---
	service "- {addresses: [198.18.3.2], conditions: {ready: false}}" 3 198.19.0.53 true
	cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: hl, labels: {service.kubernetes.io/headless: ""}}
spec: {clusterIP: 198.19.0.54, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: other, labels: {service.kubernetes.io/service-proxy-name: other-proxy}}
spec: {clusterIP: 198.19.0.55, ports: [{port: 80, targetPort: 8080}]}
YAML
	for s in hl other; do
		cat <<YAML
---
apiVersion: v1
kind: Endpoints
metadata: {name: $s}
subsets: [{addresses: [{ip: 198.18.1.2}], ports: [{port: 8080}]}]
YAML
	done
} >"$m/svc.yaml"

assert_exit "apply" 0 svcnft_in node apply "$m"
probe_in node tcp 198.19.0.51 80 -n 12 >"$out/1"
assert_eq "none ready: only the serving, terminating endpoint" pod1 "$(sem_pods "$out/1")"
probe_in node tcp 198.19.0.52 80 -n 12 >"$out/2"
assert_eq "one ready: only the ready endpoint" pod3 "$(sem_pods "$out/2")"
probe_in node tcp 198.19.0.53 80 -n "$EVERY_POD_PROBES" >"$out/3"
assert_eq "publishNotReadyAddresses: every endpoint" "pod1 pod2 pod3" "$(sem_pods "$out/3")"
probe_in node tcp 198.19.0.54 80 -n 3 -t 500 >"$out/hl"
assert_no_grep "a Service labelled headless gets no rules" "^pod" "$out/hl"
probe_in node tcp 198.19.0.55 80 -n 3 -t 500 >"$out/other"
assert_no_grep "a Service for another proxy gets no rules" "^pod" "$out/other"
assert_exit "apply with --proxy-name other-proxy" 0 \
	svcnft_in node apply --proxy-name other-proxy "$m"
probe_in node tcp 198.19.0.55 80 -n 3 >"$out/mine"
assert_eq "with --proxy-name other-proxy it is svcnft's" pod1 "$(sem_pods "$out/mine")"
t_done
