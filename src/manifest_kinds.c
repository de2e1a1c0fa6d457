// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kinds svcnft reads (Service, Endpoints, EndpointSlice, Pod), as tables
 * of the fields it uses, and the objects of a document: kind and apiVersion,
 * List items, metadata. An object with errors is not kept; one of a kind
 * svcnft does not use is recorded as skipped.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "manifest_int.h"
#include "util.h"

#define NO_POS (-1)
#define FIELDS(arr, pos) { arr, ARRAY_SIZE(arr), pos }
#define FIELD(k, t, T, m) { .name = k, .type = t, .off = offsetof(T, m) }
/* A nested mapping whose fields land in the same struct. */
#define NESTED(k, s) { .name = k, .type = F_OBJ, .off = 0, .sub = &s }
#define LIST(k, T, arr, cnt, E, s)					\
	{ .name = k, .type = F_LIST, .off = offsetof(T, arr),		\
	  .count_off = offsetof(T, cnt), .elem_size = sizeof(E), .sub = &s }
#define FN(k, off_, f) { .name = k, .type = F_FN, .off = off_, .fn = f }

static void dec_present(struct dec *d, struct mnode *v, const struct fpath *path,
			void *at)
{
	(void)d;
	(void)path;
	*(bool *)at = !mnode_is_null(v);
}

static const struct field ip_f[] = {
	{ .name = "ip", .type = F_STR, .off = 0 },
};
static const struct fields ip_fs = FIELDS(ip_f, NO_POS);

/* [{ip: ...}, ...] as kept in status (podIPs): entries without ip add
 * nothing. */
static void dec_ip_list(struct dec *d, struct mnode *v, const struct fpath *path,
			void *at)
{
	struct k8s_strv *out = at;

	if (mnode_is_null(v))
		return;
	if (v->kind != MN_SEQ) {
		mdec_type_error(d, v, path, "a list of {ip: ...} mappings", NULL);
		return;
	}
	out->v = xcalloc(v->n, sizeof(*out->v));
	out->pos = mnode_pos(d->t, v);
	for (size_t i = 0; i < v->n; i++) {
		struct k8s_str ip = { NULL, { 0 } };

		mdec_obj(d, mdec_kid(d, v, i), &(struct fpath){ path, NULL, i }, &ip_fs,
			&ip);
		if (ip.s)
			out->v[out->n++] = ip;
	}
}

static const struct field lb_ingress_f[] = {
	FIELD("ip", F_STR, struct k8s_lb_ingress, ip),
	FIELD("hostname", F_STR, struct k8s_lb_ingress, hostname),
	FIELD("ipMode", F_STR, struct k8s_lb_ingress, ip_mode),
};
static const struct fields lb_ingress_fs =
	FIELDS(lb_ingress_f, offsetof(struct k8s_lb_ingress, pos));

static const struct field container_port_f[] = {
	FIELD("name", F_STR, struct k8s_container_port, name),
	FIELD("protocol", F_STR, struct k8s_container_port, protocol),
	FIELD("containerPort", F_INT, struct k8s_container_port, container_port),
};
static const struct fields container_port_fs = FIELDS(container_port_f, NO_POS);

/* The ports of every container go into one array, in order. */
static void dec_container_ports(struct dec *d, struct mnode *v,
				const struct fpath *path, void *at)
{
	struct k8s_pod *pod = at;
	size_t cap = pod->nports;

	if (mnode_is_null(v))
		return;
	if (v->kind != MN_SEQ) {
		mdec_type_error(d, v, path, "a list", NULL);
		return;
	}
	grow_array(&pod->ports, &cap, pod->nports + v->n, sizeof(*pod->ports));
	for (size_t i = 0; i < v->n; i++)
		mdec_obj(d, mdec_kid(d, v, i), &(struct fpath){ path, NULL, i },
			&container_port_fs, &pod->ports[pod->nports++]);
}

static const struct field container_f[] = {
	FN("ports", 0, dec_container_ports),
};
static const struct fields container_fs = FIELDS(container_f, NO_POS);

static void dec_containers(struct dec *d, struct mnode *v,
			   const struct fpath *path, void *at)
{
	if (mnode_is_null(v))
		return;
	if (v->kind != MN_SEQ) {
		mdec_type_error(d, v, path, "a list", NULL);
		return;
	}
	for (size_t i = 0; i < v->n; i++)
		mdec_obj(d, mdec_kid(d, v, i), &(struct fpath){ path, NULL, i },
			&container_fs, at);
}

struct condition {
	struct k8s_str type;
	struct k8s_str status;
};

static const struct field condition_f[] = {
	FIELD("type", F_STR, struct condition, type),
	FIELD("status", F_STR, struct condition, status),
};
static const struct fields condition_fs = FIELDS(condition_f, NO_POS);

/* status.conditions[type=Ready]: only "True" is ready, as kube-proxy reads
 * it; "Unknown" is not. */
static void ready_condition(struct dec *d, const struct condition *c,
			    const struct fpath *path, struct k8s_bool *ready)
{
	const char *s = c->status.s;

	if (!c->type.s || strcmp(c->type.s, "Ready") || !s)
		return;
	if (strcmp(s, "True") && strcmp(s, "False") && strcmp(s, "Unknown")) {
		mdec_error(d, &c->status.pos, &(struct fpath){ path, "status", 0 },
			  "expected \"True\", \"False\" or \"Unknown\", found \"%s\"", s);
		return;
	}
	ready->v = !strcmp(s, "True");
	ready->pos = c->status.pos;
}

static void dec_conditions(struct dec *d, struct mnode *v,
			   const struct fpath *path, void *at)
{
	if (mnode_is_null(v))
		return;
	if (v->kind != MN_SEQ) {
		mdec_type_error(d, v, path, "a list", NULL);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		struct fpath ip = { path, NULL, i };
		struct condition c = { { NULL, { 0 } }, { NULL, { 0 } } };

		mdec_obj(d, mdec_kid(d, v, i), &ip, &condition_fs, &c);
		ready_condition(d, &c, &ip, at);
		free(c.type.s);
		free(c.status.s);
	}
}

static const struct field service_port_f[] = {
	FIELD("name", F_STR, struct k8s_service_port, name),
	FIELD("protocol", F_STR, struct k8s_service_port, protocol),
	FIELD("port", F_INT, struct k8s_service_port, port),
	FIELD("targetPort", F_INTSTR, struct k8s_service_port, target_port),
	FIELD("nodePort", F_INT, struct k8s_service_port, node_port),
};
static const struct fields service_port_fs =
	FIELDS(service_port_f, offsetof(struct k8s_service_port, pos));
static const struct field service_ports_list =
	LIST("ports", struct k8s_service, ports, nports, struct k8s_service_port,
	     service_port_fs);

static void dec_service_ports(struct dec *d, struct mnode *v,
			      const struct fpath *path, void *at)
{
	struct k8s_service *svc = at;

	mdec_list(d, &service_ports_list, v, path, svc);
	if (v->kind == MN_SEQ)
		svc->ports_pos = mnode_pos(d->t, v);
}

static const struct field client_ip_f[] = {
	FIELD("timeoutSeconds", F_INT, struct k8s_service, affinity_timeout),
};
static const struct fields client_ip_fs = FIELDS(client_ip_f, NO_POS);
static const struct field affinity_config_f[] = {
	NESTED("clientIP", client_ip_fs),
};
static const struct fields affinity_config_fs = FIELDS(affinity_config_f, NO_POS);

static const struct field service_spec_f[] = {
	FIELD("type", F_STR, struct k8s_service, type),
	FIELD("clusterIP", F_STR, struct k8s_service, cluster_ip),
	FIELD("clusterIPs", F_STRV, struct k8s_service, cluster_ips),
	FIELD("externalIPs", F_STRV, struct k8s_service, external_ips),
	FIELD("externalName", F_STR, struct k8s_service, external_name),
	FIELD("loadBalancerIP", F_STR, struct k8s_service, load_balancer_ip),
	FIELD("loadBalancerSourceRanges", F_STRV, struct k8s_service,
	      load_balancer_source_ranges),
	FIELD("sessionAffinity", F_STR, struct k8s_service, session_affinity),
	NESTED("sessionAffinityConfig", affinity_config_fs),
	FIELD("externalTrafficPolicy", F_STR, struct k8s_service,
	      external_traffic_policy),
	FIELD("healthCheckNodePort", F_INT, struct k8s_service,
	      health_check_node_port),
	FIELD("internalTrafficPolicy", F_STR, struct k8s_service,
	      internal_traffic_policy),
	FIELD("ipFamilies", F_STRV, struct k8s_service, ip_families),
	FIELD("ipFamilyPolicy", F_STR, struct k8s_service, ip_family_policy),
	FIELD("publishNotReadyAddresses", F_BOOL, struct k8s_service,
	      publish_not_ready_addresses),
	FIELD("allocateLoadBalancerNodePorts", F_BOOL, struct k8s_service,
	      allocate_lb_node_ports),
	FIELD("selector", F_LABELS, struct k8s_service, selector),
	FN("ports", 0, dec_service_ports),
};
static const struct fields service_spec_fs =
	FIELDS(service_spec_f, offsetof(struct k8s_service, spec_pos));
static const struct field load_balancer_f[] = {
	LIST("ingress", struct k8s_service, lb_ingress, nlb_ingress,
	     struct k8s_lb_ingress, lb_ingress_fs),
};
static const struct fields load_balancer_fs = FIELDS(load_balancer_f, NO_POS);
static const struct field service_status_f[] = {
	NESTED("loadBalancer", load_balancer_fs),
};
static const struct fields service_status_fs = FIELDS(service_status_f, NO_POS);
/* Of a Service's annotations, only this one matters to kube-proxy. */
static void dec_source_ranges_annotation(struct dec *d, struct mnode *v,
					 const struct fpath *path, void *at)
{
	struct mnode *val;

	if (mnode_is_null(v) || v->kind != MN_MAP)
		return;
	val = mdec_find(d, v, LB_SOURCE_RANGES_ANNOTATION);
	if (val)
		mdec_str(d, val, &(struct fpath){ path, LB_SOURCE_RANGES_ANNOTATION, 0 }, at);
}

static const struct field service_meta_f[] = {
	FN("annotations", offsetof(struct k8s_service, source_ranges_annotation),
	   dec_source_ranges_annotation),
};
static const struct fields service_meta_fs = FIELDS(service_meta_f, NO_POS);

/* metadata again, for the Service's own part of it; decode_meta reports
 * what is wrong with metadata itself. */
static void dec_service_meta(struct dec *d, struct mnode *v, const struct fpath *path,
			     void *at)
{
	if (v->kind == MN_MAP)
		mdec_obj(d, v, path, &service_meta_fs, at);
}

static const struct field service_f[] = {
	FN("metadata", 0, dec_service_meta),
	NESTED("spec", service_spec_fs),
	NESTED("status", service_status_fs),
};
static const struct fields service_fs = FIELDS(service_f, NO_POS);

static const struct field pod_spec_f[] = {
	FIELD("nodeName", F_STR, struct k8s_pod, node_name),
	FN("containers", 0, dec_containers),
};
static const struct fields pod_spec_fs = FIELDS(pod_spec_f, NO_POS);
static const struct field pod_status_f[] = {
	FIELD("phase", F_STR, struct k8s_pod, phase),
	FIELD("podIP", F_STR, struct k8s_pod, pod_ip),
	FN("podIPs", offsetof(struct k8s_pod, pod_ips), dec_ip_list),
	FN("conditions", offsetof(struct k8s_pod, ready), dec_conditions),
};
static const struct fields pod_status_fs = FIELDS(pod_status_f, NO_POS);
static const struct field pod_f[] = {
	NESTED("spec", pod_spec_fs),
	NESTED("status", pod_status_fs),
};
static const struct fields pod_fs = FIELDS(pod_f, NO_POS);

static const struct field endpoint_port_f[] = {
	FIELD("name", F_STR, struct k8s_endpoint_port, name),
	FIELD("protocol", F_STR, struct k8s_endpoint_port, protocol),
	FIELD("port", F_INT, struct k8s_endpoint_port, port),
};
static const struct fields endpoint_port_fs = FIELDS(endpoint_port_f, NO_POS);
static const struct field endpoint_address_f[] = {
	FIELD("ip", F_STR, struct k8s_endpoint_address, ip),
	FIELD("nodeName", F_STR, struct k8s_endpoint_address, node_name),
};
static const struct fields endpoint_address_fs =
	FIELDS(endpoint_address_f, offsetof(struct k8s_endpoint_address, pos));
static const struct field subset_f[] = {
	LIST("addresses", struct k8s_endpoint_subset, addresses, naddresses,
	     struct k8s_endpoint_address, endpoint_address_fs),
	LIST("notReadyAddresses", struct k8s_endpoint_subset, not_ready,
	     nnot_ready, struct k8s_endpoint_address, endpoint_address_fs),
	LIST("ports", struct k8s_endpoint_subset, ports, nports,
	     struct k8s_endpoint_port, endpoint_port_fs),
};
static const struct fields subset_fs = FIELDS(subset_f, NO_POS);
static const struct field endpoints_f[] = {
	LIST("subsets", struct k8s_endpoints, subsets, nsubsets,
	     struct k8s_endpoint_subset, subset_fs),
};
static const struct fields endpoints_fs = FIELDS(endpoints_f, NO_POS);

static const struct field slice_conditions_f[] = {
	FIELD("ready", F_BOOL, struct k8s_slice_endpoint, ready),
	FIELD("serving", F_BOOL, struct k8s_slice_endpoint, serving),
	FIELD("terminating", F_BOOL, struct k8s_slice_endpoint, terminating),
};
static const struct fields slice_conditions_fs =
	FIELDS(slice_conditions_f, NO_POS);
static const struct field hint_f[] = {
	FIELD("name", F_STR, struct k8s_hint, name),
};
static const struct fields hint_fs = FIELDS(hint_f, offsetof(struct k8s_hint, pos));
static const struct field slice_hints_f[] = {
	LIST("forZones", struct k8s_slice_endpoint, for_zones, nfor_zones,
	     struct k8s_hint, hint_fs),
	LIST("forNodes", struct k8s_slice_endpoint, for_nodes, nfor_nodes,
	     struct k8s_hint, hint_fs),
};
static const struct fields slice_hints_fs = FIELDS(slice_hints_f, NO_POS);
static const struct field slice_endpoint_f[] = {
	FIELD("addresses", F_STRV, struct k8s_slice_endpoint, addresses),
	NESTED("conditions", slice_conditions_fs),
	FIELD("nodeName", F_STR, struct k8s_slice_endpoint, node_name),
	FIELD("zone", F_STR, struct k8s_slice_endpoint, zone),
	NESTED("hints", slice_hints_fs),
};
static const struct fields slice_endpoint_fs =
	FIELDS(slice_endpoint_f, offsetof(struct k8s_slice_endpoint, pos));
static const struct field slice_f[] = {
	FIELD("addressType", F_STR, struct k8s_endpoint_slice, address_type),
	LIST("endpoints", struct k8s_endpoint_slice, endpoints, nendpoints,
	     struct k8s_slice_endpoint, slice_endpoint_fs),
	LIST("ports", struct k8s_endpoint_slice, ports, nports,
	     struct k8s_endpoint_port, endpoint_port_fs),
};
static const struct fields slice_fs = FIELDS(slice_f, NO_POS);

/* A Node's metadata is all svcnft reads of it. */
static const struct fields node_fs = { NULL, 0, NO_POS };

static const struct field meta_f[] = {
	FIELD("name", F_STR, struct k8s_meta, name),
	FIELD("namespace", F_STR, struct k8s_meta, namespace),
	FIELD("app", F_STR, struct k8s_meta, app),
	FIELD("labels", F_LABELS, struct k8s_meta, labels),
	FN("deletionTimestamp", offsetof(struct k8s_meta, deleting), dec_present),
};
static const struct fields meta_fs = FIELDS(meta_f, NO_POS);

bool k8s_kind_cluster_scoped(const char *kind)
{
	static const char *const kinds[] = {
		"APIService", "CSIDriver", "CSINode", "ClusterRole", "ClusterRoleBinding",
		"ClusterIssuer", "ComponentStatus", "CustomResourceDefinition",
		"FlowSchema", "IngressClass", "MutatingWebhookConfiguration",
		"Namespace", "Node", "PersistentVolume", "PodSecurityPolicy",
		"PriorityClass", "PriorityLevelConfiguration", "RuntimeClass",
		"StorageClass", "ValidatingAdmissionPolicy",
		"ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
		"VolumeAttachment",
	};

	for (size_t i = 0; kind && i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

const char *k8s_meta_namespace(const struct k8s_meta *meta)
{
	return meta->namespace.s ? meta->namespace.s : "default";
}

/* Only the free functions need the types; a cast function pointer would
 * not be called through its own type. */
static void free_service(void *o) { k8s_service_free(o); }
static void free_pod(void *o) { k8s_pod_free(o); }
static void free_endpoints(void *o) { k8s_endpoints_free(o); }
static void free_slice(void *o) { k8s_endpoint_slice_free(o); }
static void free_node(void *o) { k8s_node_free(o); }

static void init_pod(void *o)
{
	((struct k8s_pod *)o)->ready.v = -1;	/* set by a Ready condition */
}

/* The status.loadBalancer.ingress addresses the node captures: ipMode VIP
 * or absent (the load balancer delivers packets still addressed to it).
 * With ipMode Proxy it connects to the node ports itself. */
static void finish_service(void *o)
{
	struct k8s_service *svc = o;
	struct k8s_strv *ips = &svc->lb_ingress_ips;

	ips->v = xcalloc(svc->nlb_ingress, sizeof(*ips->v));
	if (svc->nlb_ingress)	/* notes about the list point at its first entry */
		ips->pos = svc->lb_ingress[0].pos;
	for (size_t i = 0; i < svc->nlb_ingress; i++) {
		const struct k8s_lb_ingress *in = &svc->lb_ingress[i];

		if (!in->ip.s || (in->ip_mode.s && !strcmp(in->ip_mode.s, "Proxy")))
			continue;
		ips->v[ips->n].s = xstrdup(in->ip.s);
		ips->v[ips->n++].pos = in->ip.pos;
	}
}

static void finish_slice(void *o)
{
	struct k8s_endpoint_slice *s = o;
	const struct k8s_labels *l = &s->meta.labels;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key.s, "kubernetes.io/service-name")) {
			s->service_name.s = xstrdup(l->v[i].value.s);
			s->service_name.pos = l->v[i].value.pos;
			return;
		}
}

union k8s_object {
	struct k8s_service svc;
	struct k8s_pod pod;
	struct k8s_endpoints ep;
	struct k8s_endpoint_slice slice;
	struct k8s_node node;
};

struct kind_info {
	const char *kind;
	const char *api[3];	/* apiVersions read, NULL-terminated */
	const struct fields *fields;
	size_t size, meta_off;
	size_t arr_off, count_off, cap_off;	/* in struct manifest_set */
	void (*init)(void *obj);
	void (*finish)(void *obj);
	void (*free_obj)(void *obj);
};

#define SET_ARRAY(T, arr, cnt, cap) sizeof(T), offsetof(T, meta),	\
	offsetof(struct manifest_set, arr),				\
	offsetof(struct manifest_set, cnt), offsetof(struct manifest_set, cap)

static const struct kind_info kinds[] = {
	{ "Service", { "v1", NULL, NULL }, &service_fs,
	  SET_ARRAY(struct k8s_service, services, nservices, cap_services),
	  NULL, finish_service, free_service },
	{ "Endpoints", { "v1", NULL, NULL }, &endpoints_fs,
	  SET_ARRAY(struct k8s_endpoints, endpoints, nendpoints, cap_endpoints),
	  NULL, NULL, free_endpoints },
	{ "EndpointSlice", { "discovery.k8s.io/v1", "discovery.k8s.io/v1beta1", NULL },
	  &slice_fs,
	  SET_ARRAY(struct k8s_endpoint_slice, slices, nslices, cap_slices),
	  NULL, finish_slice, free_slice },
	{ "Pod", { "v1", NULL, NULL }, &pod_fs,
	  SET_ARRAY(struct k8s_pod, pods, npods, cap_pods),
	  init_pod, NULL, free_pod },
	{ "Node", { "v1", NULL, NULL }, &node_fs,
	  SET_ARRAY(struct k8s_node, nodes, nnodes, cap_nodes),
	  NULL, NULL, free_node },
};

struct set_counts {
	size_t n[ARRAY_SIZE(kinds)];
	size_t nskipped;
};

static size_t *kind_count(struct manifest_set *set, const struct kind_info *k)
{
	return (size_t *)((char *)set + k->count_off);
}

static char *kind_array(struct manifest_set *set, const struct kind_info *k)
{
	char *arr;

	memcpy(&arr, (char *)set + k->arr_off, sizeof(arr));
	return arr;
}

static void append_object(struct manifest_set *set, const struct kind_info *k,
			  const void *obj)
{
	size_t *count = kind_count(set, k);

	grow_array((char *)set + k->arr_off,
		   (size_t *)((char *)set + k->cap_off), *count + 1, k->size);
	memcpy(kind_array(set, k) + *count * k->size, obj, k->size);
	(*count)++;
}

static void save_counts(struct manifest_set *set, struct set_counts *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		c->n[i] = *kind_count(set, &kinds[i]);
	c->nskipped = set->nskipped;
}

/* Forget what a document with errors added. */
static void drop_since(struct manifest_set *set, const struct set_counts *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t *count = kind_count(set, &kinds[i]);

		while (*count > c->n[i]) {
			--*count;
			kinds[i].free_obj(kind_array(set, &kinds[i]) +
					  *count * kinds[i].size);
		}
	}
	while (set->nskipped > c->nskipped)
		k8s_skipped_free(&set->skipped[--set->nskipped]);
}

static void missing_name(struct dec *d, struct mnode *obj, struct mnode *md,
			 const struct k8s_meta *meta)
{
	struct src_pos pos = mnode_pos(d->t, md && md->kind == MN_MAP ? md : obj);

	if (!meta->app.s) {
		mdec_error(d, &pos, NULL, "metadata.name is required");
		return;
	}
	/* The seed's Endpoints example writes metadata.app for metadata.name. */
	mdec_error(d, &meta->app.pos, NULL,
		  "metadata.name is required; metadata.app (\"%s\") looks like a slip for metadata.name",
		  meta->app.s);
}

/* A string in metadata, for messages about the object before (or while)
 * metadata is read (the tree's own text, valid until the document ends). */
static const char *peek_meta(struct dec *d, struct mnode *obj, const char *key,
			     bool *absent)
{
	struct mnode *md = mdec_find(d, obj, "metadata");
	struct mnode *v = md ? mdec_find(d, md, key) : NULL;
	long long iv;
	int bv;
	bool range;

	*absent = !v || mnode_is_null(v);
	if (!v || v->kind != MN_SCALAR ||
	    mnode_resolve(v, &iv, &bv, &range) != SC_STR)
		return NULL;
	return v->u.str;
}

static void name_object(struct dec *d, struct mnode *obj, const char *kind)
{
	bool name_absent, ns_absent;

	d->kind = kind;
	d->name = peek_meta(d, obj, "name", &name_absent);
	d->ns = peek_meta(d, obj, "namespace", &ns_absent);
	if (ns_absent)
		d->ns = "default";
}

static void decode_meta(struct dec *d, struct mnode *obj, struct k8s_meta *meta)
{
	struct mnode *md = mdec_find(d, obj, "metadata");
	struct mnode *name;

	meta->pos = mnode_pos(d->t, obj);
	if (md)
		mdec_obj(d, md, &(struct fpath){ NULL, "metadata", 0 }, &meta_fs, meta);
	name = md ? mdec_find(d, md, "name") : NULL;
	if (!meta->name.s && (!name || mnode_is_null(name)))
		missing_name(d, obj, md, meta);
}

static void decode_known(struct dec *d, struct mnode *obj,
			 const struct kind_info *k)
{
	union k8s_object o;
	uint64_t seen = 0;

	memset(&o, 0, sizeof(o));
	name_object(d, obj, k->kind);
	mdec_init_bools(k->fields, &o);
	if (k->init)
		k->init(&o);
	decode_meta(d, obj, (struct k8s_meta *)((char *)&o + k->meta_off));
	mdec_fields(d, obj, NULL, k->fields, &o, &seen);
	if (k->finish)
		k->finish(&o);
	if (d->nerrors)
		k->free_obj(&o);
	else
		append_object(d->set, k, &o);
}

/* Taken only when it is a string: a kind svcnft skips is not checked. */
static void quiet_str(struct dec *d, struct mnode *v, struct k8s_str *out)
{
	long long iv;
	int bv;
	bool range;

	if (!v || v->kind != MN_SCALAR ||
	    mnode_resolve(v, &iv, &bv, &range) != SC_STR)
		return;
	out->s = mnode_take_str(v);
	out->pos = mnode_pos(d->t, v);
}

static void decode_skipped(struct dec *d, struct mnode *obj,
			   struct k8s_str *kind, struct k8s_str *api)
{
	struct manifest_set *set = d->set;
	struct mnode *md = mdec_find(d, obj, "metadata");
	struct k8s_skipped sk;

	memset(&sk, 0, sizeof(sk));
	sk.kind = kind->s;
	sk.api_version = api->s;
	kind->s = api->s = NULL;
	sk.pos = mnode_pos(d->t, obj);
	if (md) {
		quiet_str(d, mdec_find(d, md, "name"), &sk.name);
		quiet_str(d, mdec_find(d, md, "namespace"), &sk.namespace);
	}
	grow_array(&set->skipped, &set->cap_skipped, set->nskipped + 1,
		   sizeof(*set->skipped));
	set->skipped[set->nskipped++] = sk;
}

/* "discovery.k8s.io/v1" -> "discovery.k8s.io"; "v1" (the core group) -> "" */
static size_t group_len(const char *api)
{
	const char *slash = strchr(api, '/');

	return slash ? (size_t)(slash - api) : 0;
}

static bool api_accepted(const struct kind_info *k, const char *api)
{
	for (size_t i = 0; i < ARRAY_SIZE(k->api) && k->api[i]; i++)
		if (!strcmp(k->api[i], api))
			return true;
	return false;
}

/* One edit (a letter changed, added or removed) or a difference in case
 * turns a into b. */
static bool near_miss(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;

	if (!strcasecmp(a, b))
		return true;
	if (la + 1 < lb || lb + 1 < la || lb < 5)	/* "Pod" is near "Job" */
		return false;
	while (i < la && i < lb && a[i] == b[i])
		i++;
	if (la == lb)
		return !strcmp(a + i + 1, b + i + 1);
	return la < lb ? !strcmp(a + i, b + i + 1) : !strcmp(a + i + 1, b + i);
}

/* Objects of other kinds are skipped, but not one whose kind is a slip for
 * one svcnft reads in the same API group ("Servce", "service"): the API
 * server would refuse it, and skipping it would drop a Service silently. */
static bool misspelt_kind(struct dec *d, struct mnode *obj,
			  const struct k8s_str *kind, const struct k8s_str *api)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		const struct kind_info *k = &kinds[i];
		size_t glen = group_len(api->s);

		if (glen != group_len(k->api[0]) || strncmp(api->s, k->api[0], glen) ||
		    !near_miss(kind->s, k->kind))
			continue;
		d->kind = kind->s;
		name_object(d, obj, kind->s);
		mdec_error(d, &kind->pos, &(struct fpath){ NULL, "kind", 0 },
			  "\"%s\" is not a kind of apiVersion %s; did you mean \"%s\"? (kinds are case-sensitive)",
			  kind->s, api->s, k->kind);
		return true;
	}
	return false;
}

static void decode_kind(struct dec *d, struct mnode *obj, struct k8s_str *kind,
			struct k8s_str *api)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		const struct kind_info *k = &kinds[i];
		size_t glen = group_len(api->s);

		if (strcmp(k->kind, kind->s))
			continue;
		if (api_accepted(k, api->s)) {
			decode_known(d, obj, k);
			return;
		}
		/* Another group's kind of the same name (a Knative Service) is
		 * not ours; a version of our group svcnft does not read is. */
		if (glen != group_len(k->api[0]) || strncmp(api->s, k->api[0], glen))
			break;
		name_object(d, obj, k->kind);
		mdec_error(d, &api->pos, &(struct fpath){ NULL, "apiVersion", 0 },
			  "\"%s\" is not an apiVersion svcnft reads for %s; expected \"%s\"",
			  api->s, k->kind, k->api[0]);
		return;
	}
	if (!misspelt_kind(d, obj, kind, api))
		decode_skipped(d, obj, kind, api);
}

/* kind or apiVersion: 1 read into out, 0 absent, -1 reported. */
static int type_string(struct dec *d, struct mnode *obj, const char *key,
		       struct k8s_str *out)
{
	struct mnode *v = mdec_find(d, obj, key);
	struct src_pos pos;
	char *what;

	if (!v || mnode_is_null(v))
		return 0;
	quiet_str(d, v, out);
	if (out->s && !*out->s) {	/* kind: "" says no more than no kind */
		free(out->s);
		out->s = NULL;
		return 0;
	}
	if (out->s)
		return 1;
	pos = mnode_pos(d->t, v);
	what = mdec_found(v);
	mdec_error(d, &pos, NULL, "%s: expected a string, found %s", key, what);
	free(what);
	return -1;
}

struct type_default {
	const char *kind;
	const char *api;
};

static bool object_type(struct dec *d, struct mnode *obj,
			const struct type_default *dflt, struct k8s_str *kind,
			struct k8s_str *api)
{
	struct src_pos pos = mnode_pos(d->t, obj);
	int rk = type_string(d, obj, "kind", kind);
	int ra = type_string(d, obj, "apiVersion", api);

	if (rk < 0 || ra < 0)
		return false;
	if (!rk && dflt) {	/* an item of a typed list (ServiceList) */
		kind->s = xstrdup(dflt->kind);
		kind->pos = pos;
	}
	if (!ra && dflt) {
		api->s = xstrdup(dflt->api);
		api->pos = pos;
	}
	if (!kind->s)
		mdec_error(d, &pos, NULL,
			  "this object has no kind; a Kubernetes object needs apiVersion and kind");
	else if (!api->s)
		mdec_error(d, &pos, NULL,
			  "%s has no apiVersion; a Kubernetes object needs apiVersion and kind",
			  kind->s);
	return kind->s && api->s;
}

static void decode_object(struct dec *parent, struct mnode *obj,
			  const struct type_default *dflt);

static bool is_list_kind(struct dec *d, struct mnode *obj, const char *kind)
{
	size_t len = strlen(kind);

	if (!strcmp(kind, "List"))
		return true;
	return len > 4 && !strcmp(kind + len - 4, "List") &&
	       mdec_find(d, obj, "items");
}

static void decode_items(struct dec *d, struct mnode *obj, const char *kind,
			 const char *api)
{
	struct mnode *items = mdec_find(d, obj, "items");
	struct type_default typed = { NULL, api };

	if (!items || mnode_is_null(items))
		return;
	if (items->kind != MN_SEQ) {
		d->kind = kind;
		mdec_type_error(d, items, &(struct fpath){ NULL, "items", 0 },
			   "a list of objects", NULL);
		return;
	}
	/* kind: List items name their own kind; ServiceList items may not. */
	if (strcmp(kind, "List"))
		typed.kind = xstrndup(kind, strlen(kind) - 4);
	for (size_t i = 0; i < items->n; i++)
		decode_object(d, mdec_kid(d, items, i), typed.kind ? &typed : NULL);
	free((char *)typed.kind);
}

static void decode_object(struct dec *parent, struct mnode *obj,
			  const struct type_default *dflt)
{
	struct dec d = { parent->set, parent->t, parent->diags, NULL, NULL, NULL, 0 };
	struct k8s_str kind = { NULL, { 0 } }, api = { NULL, { 0 } };

	if (mnode_is_null(obj))
		return;
	if (obj->kind != MN_MAP) {
		struct src_pos pos = mnode_pos(d.t, obj);
		char *what = mdec_found(obj);

		mdec_error(&d, &pos, NULL,
			  "expected a Kubernetes object (a mapping with apiVersion and kind), found %s",
			  what);
		free(what);
		return;
	}
	if (object_type(&d, obj, dflt, &kind, &api)) {
		if (is_list_kind(&d, obj, kind.s))
			decode_items(&d, obj, kind.s, api.s);
		else
			decode_kind(&d, obj, &kind, &api);
	}
	free(kind.s);
	free(api.s);
}

void manifest_decode_document(struct manifest_set *set, struct mtree *t,
			      struct diag_list *diags)
{
	struct dec d = { set, t, diags, NULL, NULL, NULL, 0 };
	struct set_counts saved;

	save_counts(set, &saved);
	decode_object(&d, &t->nodes[t->root], NULL);
	if (t->nerrors)
		drop_since(set, &saved);
}

/* For manifest_yaml.c, which decodes the items of a List as each one ends
 * and must be able to forget them if the document turns out bad. */
void *manifest_checkpoint(struct manifest_set *set)
{
	struct set_counts *c = xmalloc(sizeof(*c));

	save_counts(set, c);
	return c;
}

void manifest_rollback(struct manifest_set *set, void *checkpoint)
{
	if (checkpoint)
		drop_since(set, checkpoint);
}

void manifest_decode_item(struct manifest_set *set, struct mtree *t,
			  struct mnode *item, struct diag_list *diags)
{
	struct dec d = { set, t, diags, NULL, NULL, NULL, 0 };

	decode_object(&d, item, NULL);
}

/* Whether the finished document's root is a List (kind List or *List). */
bool manifest_root_is_list(struct mtree *t)
{
	struct dec d = { NULL, t, NULL, NULL, NULL, NULL, 0 };
	struct mnode *root = t->has_root ? &t->nodes[t->root] : NULL;
	struct mnode *kind;
	size_t len;

	if (!root || root->kind != MN_MAP)
		return false;
	kind = mdec_find(&d, root, "kind");
	if (!kind || kind->kind != MN_SCALAR || !kind->u.str)
		return false;
	len = strlen(kind->u.str);
	return len >= 4 && !strcmp(kind->u.str + len - 4, "List");
}
