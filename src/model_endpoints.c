// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Endpoints of each Service port. Published endpoints (an Endpoints object
 * of the same namespace/name, EndpointSlices labelled with the Service's
 * name) are used when the manifests hold any, as kube-proxy does; otherwise
 * a Service with a selector gets the matching Pods.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model_internal.h"

#define KEY_SEP "\x1f"

/* How an endpoint may be used (EndpointSlice conditions, KEP-1669). */
enum ep_use {
	EP_SKIP,
	EP_READY,
	EP_FALLBACK,	/* serving and terminating: only when none is ready */
};

/* More than HINTS_MAX hints is an error (nothing is applied), so only as
 * many are copied: a huge list costs its reading once, not once per port. */
static char **copy_hints(const struct k8s_hint *v, size_t *n)
{
	char **out;

	*n = *n < HINTS_MAX ? *n : HINTS_MAX;
	out = xcalloc(*n, sizeof(*out));
	for (size_t i = 0; i < *n; i++)
		out[i] = xstrdup(v[i].name.s);
	return out;
}

/* An EndpointSlice endpoint's zone and hints (topo), NULL for endpoints
 * of Endpoints objects and Pods, which have none. */
static void add_endpoint(struct model_ctx *ctx, struct model_port *p,
			 const struct ip_addr *a, uint16_t port, const char *node,
			 const char *pod, enum ep_use use,
			 const struct k8s_slice_endpoint *topo)
{
	const char *self = ctx->opts->node_name;
	struct model_endpoint *e;

	if (use == EP_SKIP)
		return;
	p->endpoints = xrealloc(p->endpoints, (p->nendpoints + 1) * sizeof(*e));
	e = &p->endpoints[p->nendpoints++];
	memset(e, 0, sizeof(*e));
	e->addr = *a;
	e->port = port;
	e->node_name = xstrdup(node);
	e->pod = xstrdup(pod);
	e->local = self && node && !strcmp(self, node);
	e->fallback = use == EP_FALLBACK;
	e->cluster = true;
	if (!topo)
		return;
	e->zone = xstrdup(topo->zone.s);
	e->nhint_zones = topo->nfor_zones;
	e->hint_zones = copy_hints(topo->for_zones, &e->nhint_zones);
	e->nhint_nodes = topo->nfor_nodes;
	e->hint_nodes = copy_hints(topo->for_nodes, &e->nhint_nodes);
}

void model_endpoint_clear(struct model_endpoint *e)
{
	if (!e)
		return;
	free(e->node_name);
	free(e->pod);
	free(e->zone);
	for (size_t i = 0; i < e->nhint_zones; i++)
		free(e->hint_zones[i]);
	free(e->hint_zones);
	for (size_t i = 0; i < e->nhint_nodes; i++)
		free(e->hint_nodes[i]);
	free(e->hint_nodes);
	memset(e, 0, sizeof(*e));
}

/* Ports of published endpoints are matched to Service ports by name and
 * protocol; a single-port Service also takes a single unnamed port, as
 * hand-written Endpoints often leave the name out. */
static const struct k8s_endpoint_port *
match_port(const struct model_port *p, bool single,
	   const struct k8s_endpoint_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = ports[i].name.s ? ports[i].name.s : "";

		if (protocol_parse(ports[i].protocol.s) != p->protocol)
			continue;
		if (!strcmp(name, p->name) || (single && n == 1))
			return &ports[i];
	}
	return NULL;
}

static void add_addresses(struct model_ctx *ctx, struct model_port *p,
			  uint16_t port, const struct k8s_endpoint_address *v,
			  size_t n, enum ep_use use)
{
	struct ip_addr a;

	for (size_t j = 0; j < n; j++)
		if (!ip_addr_parse(&a, v[j].ip.s))
			add_endpoint(ctx, p, &a, port, v[j].node_name.s, NULL, use, NULL);
}

static void from_endpoints_object(struct model_ctx *ctx,
				  const struct k8s_endpoints *ep,
				  struct model_service *svc, bool publish_all)
{
	for (size_t s = 0; s < ep->nsubsets; s++) {
		const struct k8s_endpoint_subset *sub = &ep->subsets[s];

		for (size_t i = 0; i < svc->nports; i++) {
			struct model_port *p = &svc->ports[i];
			const struct k8s_endpoint_port *ep_port =
				match_port(p, svc->nports == 1, sub->ports, sub->nports);

			if (!ep_port || ep_port->port.v < 1 || ep_port->port.v > 65535)
				continue;
			add_addresses(ctx, p, ep_port->port.v, sub->addresses,
				      sub->naddresses, EP_READY);
			add_addresses(ctx, p, ep_port->port.v, sub->not_ready,
				      sub->nnot_ready, publish_all ? EP_READY : EP_SKIP);
		}
	}
}

/* ready unset means ready (EndpointSlice API); publishNotReadyAddresses
 * makes every endpoint usable. */
static enum ep_use slice_endpoint_use(const struct k8s_slice_endpoint *ep,
				      bool publish_all)
{
	if (publish_all || ep->ready.v != 0)
		return EP_READY;
	if (ep->serving.v == 1 && ep->terminating.v == 1)
		return EP_FALLBACK;
	return EP_SKIP;
}

static void from_slice(struct model_ctx *ctx, const struct k8s_endpoint_slice *sl,
		       struct model_service *svc, bool publish_all)
{
	if (sl->address_type.s && !strcmp(sl->address_type.s, "FQDN"))
		return;	/* names, not addresses: nothing to DNAT to */
	for (size_t i = 0; i < svc->nports; i++) {
		struct model_port *p = &svc->ports[i];
		const struct k8s_endpoint_port *sp =
			match_port(p, svc->nports == 1, sl->ports, sl->nports);

		if (!sp || sp->port.v < 1 || sp->port.v > 65535)
			continue;
		for (size_t e = 0; e < sl->nendpoints; e++) {
			const struct k8s_slice_endpoint *ep = &sl->endpoints[e];
			enum ep_use use = slice_endpoint_use(ep, publish_all);
			struct ip_addr a;

			for (size_t j = 0; j < ep->addresses.n; j++)
				if (!ip_addr_parse(&a, ep->addresses.v[j].s))
					add_endpoint(ctx, p, &a, sp->port.v,
						     ep->node_name.s, NULL, use, ep);
		}
	}
}

/* A Pod as the EndpointSlice controller would publish it: ready when its
 * Ready condition is not False; being deleted, it is terminating, and
 * serving while still Ready. */
static enum ep_use pod_use(const struct k8s_pod *pod, bool publish_all)
{
	if (!pod->pod_ip.s || (pod->phase.s && (!strcmp(pod->phase.s, "Succeeded") ||
						 !strcmp(pod->phase.s, "Failed"))))
		return EP_SKIP;
	if (publish_all)
		return EP_READY;
	if (pod->ready.v == 0)
		return EP_SKIP;
	return pod->meta.deleting ? EP_FALLBACK : EP_READY;
}

static bool pod_matches(const struct k8s_pod *pod, const struct k8s_labels *sel)
{
	for (size_t i = 0; i < sel->n; i++) {
		bool found = false;

		for (size_t j = 0; j < pod->meta.labels.n && !found; j++)
			found = !strcmp(pod->meta.labels.v[j].key.s, sel->v[i].key.s) &&
				!strcmp(pod->meta.labels.v[j].value.s ?
					pod->meta.labels.v[j].value.s : "",
					sel->v[i].value.s ? sel->v[i].value.s : "");
		if (!found)
			return false;
	}
	return true;
}

/* A named targetPort is looked up in each Pod's container ports, so two
 * Pods may serve the same name on different numbers. 0: not served. */
static uint16_t pod_target_port(const struct k8s_pod *pod,
				const struct model_port *p)
{
	if (!p->target_port_name)
		return p->target_port;
	for (size_t i = 0; i < pod->nports; i++) {
		const struct k8s_container_port *cp = &pod->ports[i];

		if (cp->name.s && !strcmp(cp->name.s, p->target_port_name) &&
		    protocol_parse(cp->protocol.s) == p->protocol &&
		    cp->container_port.v >= 1 && cp->container_port.v <= 65535)
			return cp->container_port.v;
	}
	return 0;
}

static void add_pod_address(struct model_ctx *ctx, struct model_service *svc,
			    const struct k8s_pod *pod, const char *ip,
			    const char *ref, enum ep_use use)
{
	struct ip_addr a;

	if (ip_addr_parse(&a, ip) < 0)
		return;
	for (size_t i = 0; i < svc->nports; i++) {
		uint16_t port = pod_target_port(pod, &svc->ports[i]);

		if (port)
			add_endpoint(ctx, &svc->ports[i], &a, port, pod->node_name.s,
				     ref, use, NULL);
	}
}

static void from_pods(struct model_ctx *ctx, const struct k8s_service *k,
		      struct model_service *svc, bool publish_all)
{
	char *key = xasprintf("%s" KEY_SEP "%s" KEY_SEP "%s", svc->ns,
			      k->selector.v[0].key.s,
			      k->selector.v[0].value.s ? k->selector.v[0].value.s : "");
	const struct strmap_entry *cand = strmap_get(&ctx->pods_by_label, key);

	free(key);
	for (size_t c = 0; cand && c < cand->nvals; c++) {
		const struct k8s_pod *pod = &ctx->set->pods[cand->vals[c]];
		enum ep_use use = pod_use(pod, publish_all);
		char *ref;

		if (use == EP_SKIP || !pod_matches(pod, &k->selector))
			continue;
		ref = xasprintf("%s/%s", svc->ns, pod->meta.name.s);
		/* status.podIPs: one address per family (dual-stack); older
		 * objects have status.podIP alone */
		if (pod->pod_ips.n)
			for (size_t j = 0; j < pod->pod_ips.n; j++)
				add_pod_address(ctx, svc, pod, pod->pod_ips.v[j].s, ref, use);
		else
			add_pod_address(ctx, svc, pod, pod->pod_ip.s, ref, use);
		free(ref);
	}
}

static int endpoint_cmp(const void *pa, const void *pb)
{
	const struct model_endpoint *a = pa, *b = pb;
	int r = ip_addr_cmp(&a->addr, &b->addr);

	if (r)
		return r;
	return (a->port > b->port) - (a->port < b->port);
}

static bool has_ready(const struct model_port *p)
{
	for (size_t i = 0; i < p->nendpoints; i++)
		if (!p->endpoints[i].fallback)
			return true;
	return false;
}

/* Several slices (or a slice and an Endpoints object) may list the same
 * address: keep one of each address and port. Terminating endpoints stay
 * only when no endpoint is ready, so that a rolling update never leaves
 * the Service without a backend (kube-proxy does the same). */
static void sort_unique(struct model_port *p)
{
	bool ready = has_ready(p);
	size_t out = 0;

	if (p->nendpoints)	/* qsort's array may not be NULL, even for 0 items */
		qsort(p->endpoints, p->nendpoints, sizeof(*p->endpoints), endpoint_cmp);
	for (size_t i = 0; i < p->nendpoints; i++) {
		struct model_endpoint *e = &p->endpoints[i];

		if ((ready && e->fallback) ||
		    (out && !endpoint_cmp(&p->endpoints[out - 1], e))) {
			model_endpoint_clear(e);
			continue;
		}
		p->endpoints[out++] = *e;
	}
	p->nendpoints = out;
}

void model_resolve_endpoints(struct model_ctx *ctx, const struct k8s_service *k,
			     struct model_service *svc)
{
	const struct strmap_entry *eps, *slices;
	bool publish_all;
	char *key;

	if (svc->headless || svc->type == SERVICE_EXTERNAL_NAME)
		return;
	key = xasprintf("%s/%s", svc->ns, svc->name);
	eps = strmap_get(&ctx->endpoints_by_name, key);
	slices = strmap_get(&ctx->slices_by_service, key);
	free(key);
	publish_all = k->publish_not_ready_addresses.v == 1;
	for (size_t i = 0; eps && i < eps->nvals; i++)
		from_endpoints_object(ctx, &ctx->set->endpoints[eps->vals[i]], svc,
				      publish_all);
	for (size_t i = 0; slices && i < slices->nvals; i++)
		from_slice(ctx, &ctx->set->slices[slices->vals[i]], svc, publish_all);
	if (!eps && !slices && k->selector.n)
		from_pods(ctx, k, svc, publish_all);
	for (size_t i = 0; i < svc->nports; i++) {
		sort_unique(&svc->ports[i]);
		model_select_topology(ctx, svc, i);
	}
}

static void check_subset_addrs(struct model_ctx *ctx, const struct obj_ref *obj,
			       const char *list, size_t s,
			       const struct k8s_endpoint_address *v, size_t n)
{
	char field[80];
	struct ip_addr a;

	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "subsets[%zu].%s[%zu].ip", s, list, i);
		model_endpoint_addr(ctx, obj, field, &v[i].ip, &a);
	}
}

static void check_endpoints_object(struct model_ctx *ctx,
				   const struct k8s_endpoints *ep)
{
	struct obj_ref obj = { "Endpoints", k8s_meta_namespace(&ep->meta),
			       ep->meta.name.s };

	for (size_t s = 0; s < ep->nsubsets; s++) {
		check_subset_addrs(ctx, &obj, "addresses", s,
				   ep->subsets[s].addresses, ep->subsets[s].naddresses);
		check_subset_addrs(ctx, &obj, "notReadyAddresses", s,
				   ep->subsets[s].not_ready, ep->subsets[s].nnot_ready);
	}
}

static void check_slice(struct model_ctx *ctx, const struct k8s_endpoint_slice *sl)
{
	struct obj_ref obj = { "EndpointSlice", k8s_meta_namespace(&sl->meta),
			       sl->meta.name.s };
	char field[80];
	struct ip_addr a;

	if (sl->address_type.s && strcmp(sl->address_type.s, "IPv4") &&
	    strcmp(sl->address_type.s, "IPv6") && strcmp(sl->address_type.s, "FQDN"))
		model_error(ctx, &obj, &sl->address_type.pos, "addressType",
			    "unknown address type \"%s\": valid types are IPv4, IPv6, FQDN",
			    sl->address_type.s);
	if (sl->address_type.s && !strcmp(sl->address_type.s, "FQDN"))
		return;
	for (size_t e = 0; e < sl->nendpoints; e++) {
		for (size_t i = 0; i < sl->endpoints[e].addresses.n; i++) {
			snprintf(field, sizeof(field), "endpoints[%zu].addresses[%zu]", e, i);
			model_endpoint_addr(ctx, &obj, field,
					    &sl->endpoints[e].addresses.v[i], &a);
		}
		model_check_topology(ctx, &obj, e, &sl->endpoints[e]);
	}
}

static void check_pod(struct model_ctx *ctx, const struct k8s_pod *pod)
{
	struct obj_ref obj = { "Pod", k8s_meta_namespace(&pod->meta),
			       pod->meta.name.s };
	struct ip_addr a;

	if (pod->pod_ip.s)
		model_endpoint_addr(ctx, &obj, "status.podIP", &pod->pod_ip, &a);
}

/* Index Pods, Endpoints and EndpointSlices, and check every address they
 * hold, referenced by a Service or not. */
void model_index_objects(struct model_ctx *ctx)
{
	const struct manifest_set *set = ctx->set;
	char *key;

	for (size_t i = 0; i < set->npods; i++) {
		const struct k8s_pod *pod = &set->pods[i];

		check_pod(ctx, pod);
		for (size_t l = 0; l < pod->meta.labels.n; l++) {
			const struct k8s_label *lb = &pod->meta.labels.v[l];

			key = xasprintf("%s" KEY_SEP "%s" KEY_SEP "%s",
					k8s_meta_namespace(&pod->meta), lb->key.s,
					lb->value.s ? lb->value.s : "");
			strmap_add(&ctx->pods_by_label, key, i);
			free(key);
		}
	}
	for (size_t i = 0; i < set->nendpoints; i++) {
		check_endpoints_object(ctx, &set->endpoints[i]);
		key = xasprintf("%s/%s", k8s_meta_namespace(&set->endpoints[i].meta),
				set->endpoints[i].meta.name.s);
		strmap_add(&ctx->endpoints_by_name, key, i);
		free(key);
	}
	for (size_t i = 0; i < set->nslices; i++) {
		check_slice(ctx, &set->slices[i]);
		if (!set->slices[i].service_name.s)
			continue;
		key = xasprintf("%s/%s", k8s_meta_namespace(&set->slices[i].meta),
				set->slices[i].service_name.s);
		strmap_add(&ctx->slices_by_service, key, i);
		free(key);
	}
}
