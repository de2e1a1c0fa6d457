/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_MODEL_H
#define SVCNFT_MODEL_H

/*
 * Stage 2: the service model. Services with their addresses, ports and
 * resolved endpoints, validated, with node ports and ClusterIPs assigned.
 * Pure data, built from a manifest_set; no I/O.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "diag.h"
#include "manifest.h"

enum service_type {
	SERVICE_CLUSTER_IP,
	SERVICE_NODE_PORT,
	SERVICE_LOAD_BALANCER,
	SERVICE_EXTERNAL_NAME,
};

struct model_endpoint {
	struct ip_addr addr;
	uint16_t port;
	char *node_name;	/* NULL when unknown */
	char *pod;		/* ns/name of the Pod, or NULL */
	char *zone;		/* EndpointSlice endpoints[].zone, or NULL */
	char **hint_zones;	/* hints.forZones[].name */
	size_t nhint_zones;
	char **hint_nodes;	/* hints.forNodes[].name */
	size_t nhint_nodes;
	bool local;		/* on --node-name */
	bool fallback;		/* serving and terminating, not ready: used
				 * only when the port has no ready endpoint */
	/*
	 * Used by cluster-wide traffic on this node (internalTrafficPolicy
	 * Cluster, externalTrafficPolicy Cluster, and what a Local policy
	 * lets through to every endpoint): every endpoint, or only those
	 * the port's topology hints give this node or its zone. The Local
	 * policies' own choice is `local`, whatever the hints say.
	 */
	bool cluster;
};

/* Which topology hints choose a port's cluster endpoints on this node
 * (kube-proxy's topology modes, named after trafficDistribution). */
enum model_topology {
	MODEL_TOPOLOGY_NONE,		/* every endpoint */
	MODEL_TOPOLOGY_SAME_ZONE,	/* hints.forZones names this node's zone */
	MODEL_TOPOLOGY_SAME_NODE,	/* hints.forNodes names this node */
};

struct model_port {
	char *name;		/* "" when unnamed */
	uint8_t protocol;	/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	uint16_t port;
	uint16_t node_port;	/* 0: none */
	bool node_port_assigned;	/* node_port chosen by svcnft */
	uint16_t target_port;	/* numeric targetPort, or 0 when named */
	char *target_port_name;	/* named targetPort, resolved per Pod */
	struct model_endpoint *endpoints;	/* sorted by address, port */
	size_t nendpoints, cap_endpoints;
	enum model_topology topology;	/* what set endpoints[].cluster */
};

struct model_service {
	char *ns;
	char *name;
	enum service_type type;
	bool headless;		/* clusterIP: None: no rules */
	struct ip_addr cluster_ip;	/* IPv4; family 0: none */
	bool cluster_ip_assigned;	/* chosen by svcnft from --service-cidr */
	struct ip_addr cluster_ip6;	/* IPv6 (dual-stack, or IPv6 only) */
	bool cluster_ip6_assigned;
	bool want_ipv4, want_ipv6;	/* the families ipFamilies/Policy ask for */
	struct ip_addr *external_ips;
	size_t nexternal_ips;
	struct ip_addr *lb_ips;	/* status ingress IPs (ipMode VIP or absent),
				 * then spec.loadBalancerIP */
	size_t nlb_ips;
	bool no_lb_node_ports;	/* allocateLoadBalancerNodePorts: false */
	char *external_name;
	struct model_port *ports;
	size_t nports;
	bool affinity;		/* sessionAffinity: ClientIP */
	uint32_t affinity_timeout;	/* seconds */
	bool external_local;	/* externalTrafficPolicy: Local */
	bool internal_local;	/* internalTrafficPolicy: Local */
	uint16_t health_check_node_port;	/* LoadBalancer, Local: 0 none */
	bool health_check_node_port_assigned;	/* chosen by svcnft */
	struct ip_prefix *source_ranges;	/* loadBalancerSourceRanges */
	size_t nsource_ranges;
	struct src_pos pos;
};

/* Where svcnft runs: the node context of apply, plan and check. */
struct model_node {
	struct ip_prefix *cluster_cidrs;	/* --cluster-cidr: the pod network */
	size_t ncluster_cidrs;
	struct ip_addr *node_ips;	/* --node-ip; none: every local address
					 * but loopback answers node ports */
	size_t nnode_ips;
	bool masquerade_all;	/* --masquerade-all */
};

struct model {
	struct model_service *services;	/* sorted by ns, name */
	size_t nservices;
	size_t nendpoints;	/* summed over every port of every service */
	size_t nnode_ports;
	size_t nskipped;	/* objects of kinds svcnft does not use */
	size_t nignored;	/* Services left to another proxy by label */
	struct model_node node;	/* a copy of the options' node context */
	char *node_zone;	/* this node's zone: --node-zone, or the
				 * topology.kubernetes.io/zone label of the
				 * Node named --node-name; NULL: unknown */
};

struct model_options {
	uint16_t node_port_first, node_port_last;
	struct ip_prefix service_cidr;	/* IPv4 ClusterIPs are assigned here */
	struct ip_prefix service_cidr6;	/* and IPv6 ones here; family 0: none */
	const char *node_name;	/* --node-name: which endpoints are local */
	const char *node_zone;	/* --node-zone: this node's zone (hints) */
	const char *proxy_name;	/* --proxy-name: service-proxy-name label */
	struct model_node node;
	/* MODEL_MAX_* below; smaller in tests */
	size_t max_endpoints, max_service_endpoints;
	size_t max_entries, max_service_entries;
};

/*
 * What one run may expand to, counted before the model is built so that
 * memory stays bounded (about 480 bytes an endpoint, from manifest to
 * ruleset): Services selecting the same Pods multiply. Five times a
 * 10,000-Service cluster with 100 endpoints each. Past a limit the run is
 * refused with an error naming the object and the limit.
 */
#define MODEL_MAX_ENDPOINTS 5000000	/* in all, over every Service port */
#define MODEL_MAX_SERVICE_ENDPOINTS 500000	/* of one Service, over its ports */
/* address-port pairs (ClusterIPs, externalIPs and ingress addresses, times
 * ports): the dispatch map's elements */
#define MODEL_MAX_ENTRIES 5000000
#define MODEL_MAX_SERVICE_ENTRIES 1000000

#define AFFINITY_TIMEOUT_DEFAULT 10800	/* seconds, as Kubernetes */
#define AFFINITY_TIMEOUT_MAX 86400

void model_options_default(struct model_options *opts);

/*
 * Build the model. Returns 0 when the manifests are valid, -EINVAL when
 * diags received errors (the model is then incomplete and must not be
 * programmed), other negative errno on internal failure.
 */
int model_build(struct model *m, const struct manifest_set *set,
		const struct model_options *opts, struct diag_list *diags);
void model_free(struct model *m);
/* Whether any Service has an address of this family (AF_INET6: the ip6
 * table is needed). */
bool model_has_family(const struct model *m, int family);
/* Whether this Service has a ClusterIP, external or load balancer IP of
 * the family. */
bool model_service_has_family(const struct model_service *s, int family);

/* A Kubernetes label value (empty, or 1-63 of [A-Za-z0-9_.-] beginning
 * and ending with a letter or digit), as topology.kubernetes.io/zone. */
bool model_label_value_valid(const char *s);
const char *service_type_name(enum service_type t);
const char *protocol_name(uint8_t proto);	/* "tcp", "udp", "sctp" */
/* The other way round; 0 for any other name. */
uint8_t protocol_from_name(const char *name);

#endif
