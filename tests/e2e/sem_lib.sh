# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the Service-semantics tests (test_sem_*.sh): three pods whose
# servers answer "NAME SOURCE" so a test can see whether it was
# masqueraded, and the node options those tests run svcnft with. Pods live
# in 198.18.1-3.0/24; --cluster-cidr 198.18.0.0/20 covers them and not the
# client (198.18.200.2).

CLUSTER_CIDR=198.18.0.0/20

sem_up() {
	pods_up -s tcp:8080 udp:8080
}

# sem_start: the start of a semantics test: checks, then the three pods.
sem_start() {
	e2e_init
	need_svcnft
	sem_up
}

# sem_slice_head SERVICE: an EndpointSlice for SERVICE (port 8080, TCP and
# UDP) up to its endpoints, which the caller lists.
sem_slice_head() {
	cat <<YAML
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $1-x
  labels: {kubernetes.io/service-name: $1}
addressType: IPv4
ports: [{name: tcp, port: 8080, protocol: TCP}, {name: udp, port: 8080, protocol: UDP}]
endpoints:
YAML
}

# sem_slice SERVICE NODE_OF_POD1 NODE_OF_POD2 NODE_OF_POD3: an EndpointSlice
# for SERVICE with each pod on the node given.
sem_slice() {
	sem_slice_head "$1"
	cat <<YAML
- {addresses: [198.18.1.2], nodeName: $2}
- {addresses: [198.18.2.2], nodeName: $3}
- {addresses: [198.18.3.2], nodeName: $4}
YAML
}

# sem_sources FILE: the distinct source addresses the pods saw, sorted.
sem_sources() {
	sed '$d' "$1" | awk 'NF == 2 { print $2 }' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# sem_pods FILE: the distinct pods that answered, sorted.
sem_pods() {
	sed '$d' "$1" | awk 'NF == 2 { print $1 }' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# count_of_pods FILE: how many distinct pods answered.
count_of_pods() {
	sem_pods "$1" | wc -w
}
