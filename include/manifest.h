/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_MANIFEST_H
#define SVCNFT_MANIFEST_H

/*
 * Stage 1: Kubernetes manifests (YAML or JSON, multi-document, kind: List)
 * read into plain structs. Every value keeps the position it was read from.
 * This stage knows the shape of the objects, not what they mean: it checks
 * types (a port must be an integer) and required fields, nothing else.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"

/* A scalar read as text. s == NULL: the field was absent (or null). */
struct k8s_str {
	char *s;
	struct src_pos pos;
};

/* An integer field. set == false: absent. */
struct k8s_int {
	long long v;
	bool set;
	struct src_pos pos;
};

/* A boolean field. v: -1 absent, 0 false, 1 true. */
struct k8s_bool {
	int v;
	struct src_pos pos;
};

struct k8s_strv {
	struct k8s_str *v;
	size_t n;
	struct src_pos pos;	/* of the sequence itself */
};

struct k8s_label {
	struct k8s_str key;
	struct k8s_str value;
};

struct k8s_labels {
	struct k8s_label *v;
	size_t n;
	bool present;		/* the mapping was written, even if empty */
	struct src_pos pos;
};

struct k8s_meta {
	struct k8s_str name;
	struct k8s_str namespace;	/* s == NULL: "default" applies */
	struct k8s_str app;	/* metadata.app, a common slip for name */
	struct k8s_labels labels;
	bool deleting;		/* metadata.deletionTimestamp is set */
	struct src_pos pos;	/* where the object starts */
};

/* intOrString, as targetPort is. */
struct k8s_int_or_str {
	struct k8s_int num;
	struct k8s_str str;
};

struct k8s_service_port {
	struct k8s_str name;
	struct k8s_str protocol;
	struct k8s_int port;
	struct k8s_int_or_str target_port;
	struct k8s_int node_port;
	struct src_pos pos;
};

/* status.loadBalancer.ingress[] */
struct k8s_lb_ingress {
	struct k8s_str ip;
	struct k8s_str hostname;
	struct k8s_str ip_mode;	/* "VIP" or "Proxy"; absent: VIP */
	struct src_pos pos;
};

#define LB_SOURCE_RANGES_ANNOTATION "service.beta.kubernetes.io/load-balancer-source-ranges"

struct k8s_service {
	struct k8s_meta meta;
	struct k8s_str type;
	struct k8s_str cluster_ip;
	struct k8s_strv cluster_ips;
	struct k8s_strv external_ips;
	struct k8s_str external_name;
	struct k8s_str load_balancer_ip;
	struct k8s_strv load_balancer_source_ranges;
	/* metadata.annotations[LB_SOURCE_RANGES_ANNOTATION]: the ranges when
	 * the field is empty */
	struct k8s_str source_ranges_annotation;
	struct k8s_str session_affinity;
	struct k8s_int affinity_timeout;   /* sessionAffinityConfig.clientIP.timeoutSeconds */
	struct k8s_str external_traffic_policy;
	struct k8s_int health_check_node_port;
	struct k8s_str internal_traffic_policy;
	struct k8s_strv ip_families;
	struct k8s_str ip_family_policy;
	struct k8s_bool publish_not_ready_addresses;
	struct k8s_labels selector;
	struct k8s_service_port *ports;
	size_t nports;
	struct src_pos ports_pos;
	struct src_pos spec_pos;	/* of spec's mapping; line 0: no spec */
	struct k8s_bool allocate_lb_node_ports;	/* allocateLoadBalancerNodePorts */
	/* status.loadBalancer.ingress[].ip of the entries the node captures:
	 * ipMode VIP or absent (every entry is in lb_ingress) */
	struct k8s_strv lb_ingress_ips;
	struct k8s_lb_ingress *lb_ingress;
	size_t nlb_ingress;
};

struct k8s_container_port {
	struct k8s_str name;
	struct k8s_str protocol;
	struct k8s_int container_port;
};

struct k8s_pod {
	struct k8s_meta meta;
	struct k8s_str node_name;
	struct k8s_str phase;		/* status.phase */
	struct k8s_str pod_ip;		/* status.podIP */
	struct k8s_strv pod_ips;	/* status.podIPs[].ip */
	struct k8s_bool ready;		/* status.conditions[type=Ready].status */
	struct k8s_container_port *ports;	/* of all containers, in order */
	size_t nports;
};

struct k8s_endpoint_port {
	struct k8s_str name;
	struct k8s_str protocol;
	struct k8s_int port;
};

/* core/v1 Endpoints */
struct k8s_endpoint_address {
	struct k8s_str ip;
	struct k8s_str node_name;
	struct src_pos pos;
};

struct k8s_endpoint_subset {
	struct k8s_endpoint_address *addresses;
	size_t naddresses;
	struct k8s_endpoint_address *not_ready;
	size_t nnot_ready;
	struct k8s_endpoint_port *ports;
	size_t nports;
};

struct k8s_endpoints {
	struct k8s_meta meta;
	struct k8s_endpoint_subset *subsets;
	size_t nsubsets;
};

/* One entry of an endpoint's hints.forZones or hints.forNodes. */
struct k8s_hint {
	struct k8s_str name;
	struct src_pos pos;
};

/* discovery.k8s.io/v1 EndpointSlice */
struct k8s_slice_endpoint {
	struct k8s_strv addresses;
	struct k8s_bool ready, serving, terminating;	/* conditions.* */
	struct k8s_str node_name;
	struct k8s_str zone;
	struct k8s_hint *for_zones;	/* hints.forZones */
	size_t nfor_zones;
	struct k8s_hint *for_nodes;	/* hints.forNodes (PreferSameNode) */
	size_t nfor_nodes;
	struct src_pos pos;
};

struct k8s_endpoint_slice {
	struct k8s_meta meta;
	struct k8s_str address_type;
	struct k8s_str service_name;	/* label kubernetes.io/service-name */
	struct k8s_slice_endpoint *endpoints;
	size_t nendpoints;
	struct k8s_endpoint_port *ports;
	size_t nports;
};

/* v1 Node: only its labels matter (the topology.kubernetes.io/zone of
 * --node-name). Cluster-scoped: no namespace. */
struct k8s_node {
	struct k8s_meta meta;
};

/* An object of a kind svcnft does not use, kept for the summary and -v. */
struct k8s_skipped {
	char *kind;
	char *api_version;
	struct k8s_str name;
	struct k8s_str namespace;
	struct src_pos pos;
};

struct manifest_set {
	struct k8s_service *services;
	size_t nservices, cap_services;
	struct k8s_pod *pods;
	size_t npods, cap_pods;
	struct k8s_endpoints *endpoints;
	size_t nendpoints, cap_endpoints;
	struct k8s_endpoint_slice *slices;
	size_t nslices, cap_slices;
	struct k8s_node *nodes;
	size_t nnodes, cap_nodes;
	struct k8s_skipped *skipped;
	size_t nskipped, cap_skipped;
	char **files;		/* every name a src_pos.file points at */
	size_t nfiles, cap_files;
};

/*
 * Readers append to set and to diags, and return 0, or a negative errno when
 * a file could not be read at all. A document with errors adds diagnostics
 * (level DIAG_ERROR) and is skipped in whole or in part; reading goes on so
 * that one run reports every error. The caller checks diags->nerrors.
 */
int manifest_read_buffer(struct manifest_set *set, const char *name,
			 const char *buf, size_t len, struct diag_list *diags);
int manifest_read_stream(struct manifest_set *set, const char *name,
			 FILE *in, struct diag_list *diags);
int manifest_read_file(struct manifest_set *set, const char *path,
		       struct diag_list *diags);
/*
 * A PATH argument: a file, a directory (read recursively: *.yaml, *.yml,
 * *.json, sorted by name) or "-" for standard input.
 */
int manifest_read_path(struct manifest_set *set, const char *path,
		       struct diag_list *diags);

/*
 * One manifest file (or standard input) may hold at most this much: the
 * reader keeps the whole input in memory, and a larger one is refused with
 * an error naming the file and the limit, before it is read.
 */
#define MANIFEST_MAX_BYTES (128UL << 20)

enum manifest_read_flag {
	/*
	 * Refuse, as sshd's StrictModes does, any file or directory (and any
	 * directory above one) that a user other than root or the caller can
	 * write: group- or other-writable (directories above the manifests
	 * may be when sticky, as /tmp is), or owned by someone else. Standard
	 * input is exempt.
	 */
	MANIFEST_STRICT_MODES = 1 << 0,
};

/* manifest_read_path with flags; manifest_read_path is flags 0. */
int manifest_read_path_flags(struct manifest_set *set, const char *path,
			     unsigned flags, struct diag_list *diags);
/*
 * Every PATH at once: the files they name are read several at a time where
 * the machine has the cores (largest first), and joined in the order they
 * are named, so the objects and messages are those of reading the paths one
 * after the other with manifest_read_path_flags(). Returns 0 or the first
 * negative errno of finding the files, else of reading them.
 */
int manifest_read_paths(struct manifest_set *set, char *const *paths,
			size_t npaths, unsigned flags, struct diag_list *diags);
void manifest_set_free(struct manifest_set *set);
/*
 * src's objects and file names after dst's, copied as they are: dst then
 * points at what src's objects point at, and the caller says which of the
 * two frees it (manifest_set_free on one, only the arrays of the other).
 */
void manifest_set_append(struct manifest_set *dst,
			 const struct manifest_set *src);
/* Whether a directory entry of this name is read: *.yaml, *.yml, *.json. */
bool manifest_is_manifest_name(const char *name);
/* The names in directory path, sorted, hidden ones (".git", editor files)
 * left out, as a walk reads them: free each and the array. 0 or -errno. */
int manifest_list_dir(const char *path, char ***names, size_t *n);

/* Whether objects of this kind have no namespace (Namespace, ClusterRole,
 * ...): the well-known built-in kinds. */
bool k8s_kind_cluster_scoped(const char *kind);
/* The namespace an object is in: metadata.namespace, or "default". */
const char *k8s_meta_namespace(const struct k8s_meta *meta);

#endif
