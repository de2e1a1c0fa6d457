/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_MODEL_INTERNAL_H
#define SVCNFT_MODEL_INTERNAL_H

/* Shared by the model_*.c files only. */

#include "model.h"
#include "util.h"

/* The object a message is about: "Kind ns/name". */
struct obj_ref {
	const char *kind;
	const char *ns;
	const char *name;
};

struct model_ctx {
	const struct manifest_set *set;
	const struct model_options *opts;
	struct diag_list *diags;
	struct model *m;
	struct strmap pods_by_label;	/* "ns\x1fkey\x1fvalue" -> pod index */
	/* "ns/name" -> index, built by model_check_duplicates */
	struct strmap services_by_name, endpoints_by_name;
	struct strmap slices_by_service;	/* "ns/service" -> slice index */
	/* "pod\x1fname\x1fprotocol" -> container port index, for Pods with
	 * many ports; built when a named targetPort first needs it */
	struct strmap pod_ports;
	bool pod_ports_built;
	/* model_resolve_all counts endpoints first (counting: nothing is
	 * allocated), against the limits in model_options */
	bool counting;
	size_t endpoints_total, endpoints_service;
	size_t entries_total;	/* address-port pairs */
};

void model_error(struct model_ctx *ctx, const struct obj_ref *obj,
		 const struct src_pos *pos, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void model_warning(struct model_ctx *ctx, const struct obj_ref *obj,
		   const struct src_pos *pos, const char *field,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void model_note(struct model_ctx *ctx, const struct obj_ref *obj,
		const struct src_pos *pos, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A free port of --nodeport-range for key, the same one for the same key
 * and taken ports, added to numbers. 0 or -ENOSPC. */
int model_pick_node_port(struct model_ctx *ctx, const char *key,
			 struct u64set *numbers, uint16_t *out);
/* spec.healthCheckNodePort (model_health.c): explicit ones validated and
 * added to numbers (which holds every explicit node port), then missing
 * ones assigned. */
int model_claim_health_check_ports(struct model_ctx *ctx, struct u64set *numbers,
				   const struct k8s_service *const *src);
int model_assign_health_check_ports(struct model_ctx *ctx, struct u64set *numbers,
				    const struct k8s_service *const *src);

/* The label of key in l (model.c), or NULL. */
const struct k8s_label *model_label(const struct k8s_labels *l, const char *key);

/* Name checks, as the API server applies them. */
bool is_dns1123_label(const char *s);
bool is_dns1035_label(const char *s);
bool is_dns1123_subdomain(const char *s);
bool is_iana_svc_name(const char *s);

/* "TCP"/"UDP"/"SCTP" (absent: TCP) to IPPROTO_*; 0 when invalid. */
uint8_t protocol_parse(const char *s);

/* Parse an endpoint address and refuse the ranges Kubernetes refuses.
 * Returns 0, or -EINVAL after adding an error. */
int model_endpoint_addr(struct model_ctx *ctx, const struct obj_ref *obj,
			const char *field, const struct k8s_str *ip,
			struct ip_addr *out);

/* Where a message about a missing or empty spec field points: spec, or
 * the object when it has no spec. */
const struct src_pos *model_spec_pos(const struct k8s_service *k);
int model_parse_ports(struct model_ctx *ctx, const struct obj_ref *obj,
		      const struct k8s_service *k, struct model_service *s);
int model_parse_policies(struct model_ctx *ctx, const struct k8s_service *k,
			 struct model_service *s);
int model_service_from_k8s(struct model_ctx *ctx, const struct k8s_service *k,
			   struct model_service *out);
/* Endpoints of every Service: counted first, so that input which expands
 * past the limits is refused before memory is spent on it. */
void model_resolve_all(struct model_ctx *ctx, const struct k8s_service *const *src);
/* After model_check_duplicates, which indexes Services and Endpoints. */
void model_index_objects(struct model_ctx *ctx);
void model_note_orphans(struct model_ctx *ctx);
int model_check_duplicates(struct model_ctx *ctx);
int model_assign_cluster_ips(struct model_ctx *ctx,
			     const struct k8s_service *const *src);
int model_assign_node_ports(struct model_ctx *ctx,
			    const struct k8s_service *const *src);
int model_check_address_conflicts(struct model_ctx *ctx);
void model_service_free(struct model_service *s);
void model_endpoint_clear(struct model_endpoint *e);

#define HINTS_MAX 8	/* the API server's limit for forZones and forNodes */

/* Topology (model_topology.c): this node's zone, an EndpointSlice
 * endpoint's zone and hints checked, and the endpoints cluster-wide
 * traffic uses on this node chosen for port i of svc. */
int model_resolve_node_zone(struct model_ctx *ctx);
void model_check_topology(struct model_ctx *ctx, const struct obj_ref *obj,
			  size_t index, const struct k8s_slice_endpoint *ep);
void model_select_topology(struct model_ctx *ctx, struct model_service *svc);

#endif
