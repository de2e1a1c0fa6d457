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
#include <sys/types.h>

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
	if (ctx->counting) {
		ctx->endpoints_service++;
		ctx->endpoints_total++;
		return;
	}
	grow_array(&p->endpoints, &p->cap_endpoints, p->nendpoints + 1, sizeof(*e));
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

/*
 * Ports of published endpoints are matched to Service ports by name and
 * protocol only, as kube-proxy keys them: an unnamed Service port takes an
 * unnamed endpoint port and no other, whatever the number of ports. The
 * first endpoint port of a name and protocol in a subset or slice counts.
 * Services with many ports look them up in an index, and a stamp per
 * Service port says whether this subset or slice has given it one already,
 * so n Service ports against n endpoint ports cost n, not n squared.
 */
enum { PORT_SCAN_MAX = 8 };	/* fewer Service ports: compare each */

struct port_matcher {
	const struct model_service *svc;
	struct strmap index;	/* "name\x1fprotocol" -> Service port */
	size_t *stamp;		/* per Service port: the subset that matched it */
	size_t serial;		/* of the subset or slice being matched */
};

static void port_matcher_init(struct port_matcher *pm, const struct model_service *svc)
{
	char *key;

	memset(pm, 0, sizeof(*pm));
	pm->svc = svc;
	pm->stamp = xcalloc(svc->nports, sizeof(*pm->stamp));
	for (size_t i = 0; svc->nports > PORT_SCAN_MAX && i < svc->nports; i++) {
		key = xasprintf("%s" KEY_SEP "%u", svc->ports[i].name,
				svc->ports[i].protocol);
		strmap_add(&pm->index, key, i);
		free(key);
	}
}

static void port_matcher_free(struct port_matcher *pm)
{
	strmap_free(&pm->index);
	free(pm->stamp);
}

/* The Service port an endpoint port serves, or -1: none, or one that an
 * earlier port of the same subset or slice already took. */
static ssize_t port_matcher_find(struct port_matcher *pm,
				 const struct k8s_endpoint_port *ep)
{
	const char *name = ep->name.s ? ep->name.s : "";
	uint8_t proto = protocol_parse(ep->protocol.s);
	const struct model_service *svc = pm->svc;
	ssize_t found = -1;

	if (svc->nports > PORT_SCAN_MAX) {
		char *key = xasprintf("%s" KEY_SEP "%u", name, proto);
		const struct strmap_entry *e = strmap_get(&pm->index, key);

		free(key);
		found = e ? (ssize_t)e->vals[0] : -1;
	} else {
		for (size_t i = 0; i < svc->nports && found < 0; i++)
			if (svc->ports[i].protocol == proto && !strcmp(svc->ports[i].name, name))
				found = (ssize_t)i;
	}
	if (found < 0 || pm->stamp[found] == pm->serial)
		return -1;
	pm->stamp[found] = pm->serial;
	return found;
}

static bool port_number_ok(const struct k8s_endpoint_port *ep)
{
	return ep->port.v >= 1 && ep->port.v <= 65535;
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

/* -v: a port of published endpoints that no port of the Service takes (by
 * name and protocol), so a reader learns why a Service has no endpoints. */
static void note_unused_port(struct model_ctx *ctx, const struct obj_ref *obj,
			     const char *list, size_t j, const struct model_service *svc,
			     const struct k8s_endpoint_port *port)
{
	char field[80];

	if (ctx->counting)
		return;
	snprintf(field, sizeof(field), "%s[%zu]", list, j);
	model_note(ctx, obj, &port->port.pos, field,
		   "port \"%s\" (%lld/%s) ignored: no port of Service %s/%s has this name and protocol",
		   port->name.s ? port->name.s : "", port->port.v,
		   port->protocol.s ? port->protocol.s : "TCP", svc->ns, svc->name);
}

static void from_endpoints_object(struct model_ctx *ctx,
				  const struct k8s_endpoints *ep,
				  struct model_service *svc, struct port_matcher *pm,
				  bool publish_all)
{
	struct obj_ref obj = { "Endpoints", svc->ns, ep->meta.name.s };
	char list[48];

	for (size_t s = 0; s < ep->nsubsets; s++) {
		const struct k8s_endpoint_subset *sub = &ep->subsets[s];

		snprintf(list, sizeof(list), "subsets[%zu].ports", s);
		pm->serial++;
		for (size_t j = 0; j < sub->nports; j++) {
			const struct k8s_endpoint_port *ep_port = &sub->ports[j];
			ssize_t i = port_matcher_find(pm, ep_port);

			if (i < 0) {
				note_unused_port(ctx, &obj, list, j, svc, ep_port);
				continue;
			}
			if (!port_number_ok(ep_port))
				continue;
			add_addresses(ctx, &svc->ports[i], ep_port->port.v, sub->addresses,
				      sub->naddresses, EP_READY);
			add_addresses(ctx, &svc->ports[i], ep_port->port.v, sub->not_ready,
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
		       struct model_service *svc, struct port_matcher *pm,
		       bool publish_all)
{
	struct obj_ref obj = { "EndpointSlice", svc->ns, sl->meta.name.s };

	if (sl->address_type.s && !strcmp(sl->address_type.s, "FQDN"))
		return;	/* names, not addresses: nothing to DNAT to */
	pm->serial++;
	for (size_t j = 0; j < sl->nports; j++) {
		const struct k8s_endpoint_port *sp = &sl->ports[j];
		ssize_t i = port_matcher_find(pm, sp);
		struct model_port *p;

		if (i < 0) {
			note_unused_port(ctx, &obj, "ports", j, svc, sp);
			continue;
		}
		if (!port_number_ok(sp))
			continue;
		p = &svc->ports[i];
		for (size_t e = 0; e < sl->nendpoints; e++) {
			const struct k8s_slice_endpoint *ep = &sl->endpoints[e];
			enum ep_use use = slice_endpoint_use(ep, publish_all);
			struct ip_addr a;

			/* the first address only, as kube-proxy: the
			 * others are the same Pod's (and must not be
			 * balanced to as separate endpoints) */
			if (ep->addresses.n && !ip_addr_parse(&a, ep->addresses.v[0].s))
				add_endpoint(ctx, p, &a, sp->port.v, ep->node_name.s,
					     NULL, use, ep);
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

static int index_cmp(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	return (a > b) - (a < b);
}

/* Pods are indexed in order, so each label's list of Pods is sorted. */
static bool has_pod(const struct strmap_entry *label, size_t pod)
{
	return bsearch(&pod, label->vals, label->nvals, sizeof(pod), index_cmp);
}

static bool pod_matches(const struct strmap_entry *const *sel, size_t nsel,
			size_t pod)
{
	for (size_t i = 0; i < nsel; i++)
		if (!has_pod(sel[i], pod))
			return false;
	return true;
}

static bool container_port_serves(const struct k8s_container_port *cp,
				  const struct model_port *p)
{
	return cp->name.s && !strcmp(cp->name.s, p->target_port_name) &&
	       protocol_parse(cp->protocol.s) == p->protocol &&
	       cp->container_port.v >= 1 && cp->container_port.v <= 65535;
}

static char *pod_port_key(size_t pod, const char *name, uint8_t protocol)
{
	return xasprintf("%zu" KEY_SEP "%s" KEY_SEP "%u", pod, name, protocol);
}

static void index_pod_ports(struct model_ctx *ctx)
{
	const struct manifest_set *set = ctx->set;

	ctx->pod_ports_built = true;
	for (size_t i = 0; i < set->npods; i++) {
		for (size_t j = 0; set->pods[i].nports > PORT_SCAN_MAX && j < set->pods[i].nports; j++) {
			const struct k8s_container_port *cp = &set->pods[i].ports[j];
			char *key;

			if (!cp->name.s)
				continue;
			key = pod_port_key(i, cp->name.s, protocol_parse(cp->protocol.s));
			strmap_add(&ctx->pod_ports, key, j);
			free(key);
		}
	}
}

/* A named targetPort is looked up in each Pod's container ports, so two
 * Pods may serve the same name on different numbers; in an index for Pods
 * with many ports. 0: not served. */
static uint16_t pod_target_port(struct model_ctx *ctx, size_t pod_index,
				const struct model_port *p)
{
	const struct k8s_pod *pod = &ctx->set->pods[pod_index];
	const struct strmap_entry *e;
	char *key;

	if (!p->target_port_name)
		return p->target_port;
	if (pod->nports <= PORT_SCAN_MAX) {
		for (size_t i = 0; i < pod->nports; i++)
			if (container_port_serves(&pod->ports[i], p))
				return pod->ports[i].container_port.v;
		return 0;
	}
	if (!ctx->pod_ports_built)
		index_pod_ports(ctx);
	key = pod_port_key(pod_index, p->target_port_name, p->protocol);
	e = strmap_get(&ctx->pod_ports, key);
	free(key);
	for (size_t i = 0; e && i < e->nvals; i++)
		if (container_port_serves(&pod->ports[e->vals[i]], p))
			return pod->ports[e->vals[i]].container_port.v;
	return 0;
}

static void add_pod_address(struct model_ctx *ctx, struct model_service *svc,
			    size_t pod_index, const char *ip,
			    const char *ref, enum ep_use use)
{
	const struct k8s_pod *pod = &ctx->set->pods[pod_index];
	struct ip_addr a;

	if (ip_addr_parse(&a, ip) < 0)
		return;
	for (size_t i = 0; i < svc->nports; i++) {
		uint16_t port = pod_target_port(ctx, pod_index, &svc->ports[i]);

		if (port)
			add_endpoint(ctx, &svc->ports[i], &a, port, pod->node_name.s,
				     ref, use, NULL);
	}
}

/*
 * The Pods labelled with each key=value of the selector, or false when one
 * has none. The rarest comes first: the candidates are taken from it, as a
 * label every Pod of a release carries may well be written first.
 */
static bool selected_labels(struct model_ctx *ctx, const struct k8s_service *k,
			    const char *ns, const struct strmap_entry **out)
{
	const struct k8s_labels *sel = &k->selector;

	for (size_t i = 0; i < sel->n; i++) {
		char *key = xasprintf("%s" KEY_SEP "%s" KEY_SEP "%s", ns, sel->v[i].key.s,
				      sel->v[i].value.s ? sel->v[i].value.s : "");

		out[i] = strmap_get(&ctx->pods_by_label, key);
		free(key);
		if (!out[i])
			return false;
		if (out[i]->nvals < out[0]->nvals) {
			const struct strmap_entry *t = out[0];

			out[0] = out[i];
			out[i] = t;
		}
	}
	return true;
}

static void from_pods(struct model_ctx *ctx, const struct k8s_service *k,
		      struct model_service *svc, bool publish_all)
{
	const struct strmap_entry **sel = xcalloc(k->selector.n, sizeof(*sel));
	const struct strmap_entry *cand = NULL;

	if (selected_labels(ctx, k, svc->ns, sel))
		cand = sel[0];
	for (size_t c = 0; cand && c < cand->nvals; c++) {
		const struct k8s_pod *pod = &ctx->set->pods[cand->vals[c]];
		enum ep_use use = pod_use(pod, publish_all);
		char *ref;

		if (use == EP_SKIP || !pod_matches(sel + 1, k->selector.n - 1, cand->vals[c]))
			continue;
		ref = xasprintf("%s/%s", svc->ns, pod->meta.name.s);
		/* status.podIPs: one address per family (dual-stack); older
		 * objects have status.podIP alone */
		if (pod->pod_ips.n)
			for (size_t j = 0; j < pod->pod_ips.n; j++)
				add_pod_address(ctx, svc, cand->vals[c], pod->pod_ips.v[j].s,
						ref, use);
		else
			add_pod_address(ctx, svc, cand->vals[c], pod->pod_ip.s, ref, use);
		free(ref);
	}
	free(sel);
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

/* Services selecting the same Pods multiply endpoints: past a limit, the
 * run is refused rather than memory exhausted. Returns false when the
 * total is exceeded (no need to count further). */
static bool check_endpoint_limits(struct model_ctx *ctx, const struct model_service *svc)
{
	struct obj_ref obj = { "Service", svc->ns, svc->name };

	if (ctx->endpoints_service > ctx->opts->max_service_endpoints)
		model_error(ctx, &obj, &svc->pos, NULL,
			    "has %zu endpoints over its ports, more than the limit of %zu per Service",
			    ctx->endpoints_service, ctx->opts->max_service_endpoints);
	if (ctx->endpoints_total <= ctx->opts->max_endpoints)
		return true;
	model_error(ctx, &obj, &svc->pos, NULL,
		    "brings the endpoints of all Services to %zu, more than the limit of %zu in all (Services that select the same Pods multiply them)",
		    ctx->endpoints_total, ctx->opts->max_endpoints);
	return false;
}

static void model_resolve_endpoints(struct model_ctx *ctx, const struct k8s_service *k,
			     struct model_service *svc)
{
	const struct strmap_entry *eps, *slices;
	struct port_matcher pm;
	bool publish_all;
	char *key;

	if (svc->headless || svc->type == SERVICE_EXTERNAL_NAME)
		return;
	key = xasprintf("%s/%s", svc->ns, svc->name);
	eps = strmap_get(&ctx->endpoints_by_name, key);
	slices = strmap_get(&ctx->slices_by_service, key);
	free(key);
	publish_all = k->publish_not_ready_addresses.v == 1;
	port_matcher_init(&pm, svc);
	for (size_t i = 0; eps && i < eps->nvals; i++)
		from_endpoints_object(ctx, &ctx->set->endpoints[eps->vals[i]], svc,
				      &pm, publish_all);
	for (size_t i = 0; slices && i < slices->nvals; i++)
		from_slice(ctx, &ctx->set->slices[slices->vals[i]], svc, &pm,
			   publish_all);
	port_matcher_free(&pm);
	if (!eps && !slices && k->selector.n)
		from_pods(ctx, k, svc, publish_all);
	if (ctx->counting)
		return;
	for (size_t i = 0; i < svc->nports; i++)
		sort_unique(&svc->ports[i]);
	model_select_topology(ctx, svc);
}

void model_resolve_all(struct model_ctx *ctx, const struct k8s_service *const *src)
{
	struct model *m = ctx->m;
	size_t errors = ctx->diags->nerrors;

	ctx->counting = true;
	for (size_t i = 0; i < m->nservices; i++) {
		ctx->endpoints_service = 0;
		model_resolve_endpoints(ctx, src[i], &m->services[i]);
		if (!check_endpoint_limits(ctx, &m->services[i]))
			break;
	}
	ctx->counting = false;
	if (ctx->diags->nerrors > errors)
		return;	/* over a limit: nothing was allocated */
	for (size_t i = 0; i < m->nservices; i++)
		model_resolve_endpoints(ctx, src[i], &m->services[i]);
}

static void check_subset_addrs(struct model_ctx *ctx, const struct obj_ref *obj,
			       const char *list, size_t s,
			       const struct k8s_endpoint_address *v, size_t n)
{
	char field[80];
	struct ip_addr a;

	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "subsets[%zu].%s[%zu].ip", s, list, i);
		if (!v[i].ip.s)
			model_error(ctx, obj, &v[i].pos, field,
				    "is required: give the endpoint's IP address");
		else
			model_endpoint_addr(ctx, obj, field, &v[i].ip, &a);
	}
}

/* Port numbers and protocols as the API server checks them: a port out of
 * range would otherwise match no Service port and leave it silently
 * without endpoints. */
static void check_endpoint_ports(struct model_ctx *ctx, const struct obj_ref *obj,
				 const char *list, const struct k8s_endpoint_port *v,
				 size_t n)
{
	char field[80];

	for (size_t i = 0; i < n; i++) {
		if (v[i].port.set && (v[i].port.v < 1 || v[i].port.v > 65535)) {
			snprintf(field, sizeof(field), "%s[%zu].port", list, i);
			model_error(ctx, obj, &v[i].port.pos, field,
				    "\"%lld\" is not a port number: valid ports are 1-65535",
				    v[i].port.v);
		}
		if (!protocol_parse(v[i].protocol.s)) {
			snprintf(field, sizeof(field), "%s[%zu].protocol", list, i);
			model_error(ctx, obj, &v[i].protocol.pos, field,
				    "unknown protocol \"%s\": valid protocols are TCP, UDP, SCTP",
				    v[i].protocol.s);
		}
	}
}

static void check_endpoints_object(struct model_ctx *ctx,
				   const struct k8s_endpoints *ep)
{
	struct obj_ref obj = { "Endpoints", k8s_meta_namespace(&ep->meta),
			       ep->meta.name.s };
	char list[48];

	for (size_t s = 0; s < ep->nsubsets; s++) {
		snprintf(list, sizeof(list), "subsets[%zu].ports", s);
		check_endpoint_ports(ctx, &obj, list, ep->subsets[s].ports,
				     ep->subsets[s].nports);
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
	check_endpoint_ports(ctx, &obj, "ports", sl->ports, sl->nports);
	if (sl->address_type.s && !strcmp(sl->address_type.s, "FQDN")) {
		model_note(ctx, &obj, &sl->address_type.pos, "addressType",
			   "ignored: an FQDN slice holds names, not addresses to forward to (kube-proxy ignores it too)");
		return;
	}
	for (size_t e = 0; e < sl->nendpoints; e++) {
		if (!sl->endpoints[e].addresses.n) {
			snprintf(field, sizeof(field), "endpoints[%zu].addresses", e);
			model_error(ctx, &obj, &sl->endpoints[e].pos, field,
				    "is required: give the endpoint's address (kube-proxy uses the first)");
		}
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
	for (size_t i = 0; i < pod->nports; i++) {
		const struct k8s_int *cp = &pod->ports[i].container_port;

		if (cp->set && (cp->v < 1 || cp->v > 65535))
			model_error(ctx, &obj, &cp->pos, "spec.containers[].ports[].containerPort",
				    "\"%lld\" is not a port number: valid ports are 1-65535",
				    cp->v);
	}
}

/* Index Pods by label and EndpointSlices by Service (Endpoints are
 * indexed by name already, model_check_duplicates), and check every
 * address they hold, referenced by a Service or not. */
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
	for (size_t i = 0; i < set->nendpoints; i++)
		check_endpoints_object(ctx, &set->endpoints[i]);
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

/* Marks the objects under each key of by_service that names no Service:
 * the indexes are looked up by their keys, no key is formatted again. */
static bool *mark_orphans(const struct model_ctx *ctx, const struct strmap *by_service,
			  size_t n)
{
	bool *orphan = xcalloc(n, sizeof(*orphan));

	for (size_t i = 0; i < by_service->cap; i++) {
		const struct strmap_entry *e = &by_service->slots[i];

		if (!e->key || strmap_get(&ctx->services_by_name, e->key))
			continue;
		for (size_t j = 0; j < e->nvals; j++)
			orphan[e->vals[j]] = true;
	}
	return orphan;
}

/* -v: Endpoints and EndpointSlices no Service in the manifests takes. */
void model_note_orphans(struct model_ctx *ctx)
{
	const struct manifest_set *set = ctx->set;
	bool *orphan = mark_orphans(ctx, &ctx->endpoints_by_name, set->nendpoints);

	for (size_t i = 0; i < set->nendpoints; i++) {
		const struct k8s_meta *m = &set->endpoints[i].meta;
		struct obj_ref obj = { "Endpoints", k8s_meta_namespace(m), m->name.s };

		if (orphan[i])
			model_note(ctx, &obj, &m->pos, NULL,
				   "ignored: no Service %s/%s in the manifests", obj.ns, m->name.s);
	}
	free(orphan);
	orphan = mark_orphans(ctx, &ctx->slices_by_service, set->nslices);
	for (size_t i = 0; i < set->nslices; i++) {
		const struct k8s_endpoint_slice *sl = &set->slices[i];
		struct obj_ref obj = { "EndpointSlice", k8s_meta_namespace(&sl->meta),
				       sl->meta.name.s };

		if (!sl->service_name.s)
			model_note(ctx, &obj, &sl->meta.pos, "metadata.labels",
				   "ignored: no kubernetes.io/service-name label names its Service");
		else if (orphan[i])
			model_note(ctx, &obj, &sl->service_name.pos,
				   "metadata.labels[kubernetes.io/service-name]",
				   "ignored: no Service %s/%s in the manifests", obj.ns,
				   sl->service_name.s);
	}
	free(orphan);
}
