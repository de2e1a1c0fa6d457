// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Topology-aware routing, as kube-proxy's topology.go: EndpointSlice hints
 * (hints.forNodes, hints.forZones) narrow the endpoints that cluster-wide
 * traffic uses on this node. Node hints are used when every ready endpoint
 * has them and one names this node; else zone hints, when every ready
 * endpoint has them and one names this node's zone; else every endpoint.
 * Hints that cannot be used fall back silently (a -v note says why).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

#define ZONE_LABEL "topology.kubernetes.io/zone"
#define LABEL_VALUE_ADVICE "use at most 63 letters, digits, '-', '_' and '.', beginning and ending with a letter or digit"

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A label value: empty, or up to 63 characters of [A-Za-z0-9_.-] that
 * begin and end with a letter or digit. */
bool model_label_value_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0)
		return s != NULL;
	if (n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static const char *zone_label(const struct k8s_labels *l, const struct k8s_str **v)
{
	const struct k8s_label *label = model_label(l, ZONE_LABEL);

	if (!label)
		return NULL;
	*v = &label->value;
	return label->value.s ? label->value.s : "";
}

static const struct k8s_node *find_node(struct model_ctx *ctx, const char *name)
{
	const struct k8s_node *found = NULL;

	for (size_t i = 0; name && i < ctx->set->nnodes; i++) {
		const struct k8s_node *n = &ctx->set->nodes[i];
		struct obj_ref obj = { "Node", NULL, name };

		if (!n->meta.name.s || strcmp(n->meta.name.s, name))
			continue;
		if (found) {
			model_error(ctx, &obj, &n->meta.name.pos, "metadata.name",
				    "\"%s\" is defined twice, first at %s:%u: each Node name may appear once",
				    name, found->meta.pos.file, found->meta.pos.line);
			continue;
		}
		found = n;
	}
	return found;
}

/* --node-zone, else the zone label of the Node named --node-name. An empty
 * zone is no zone (kube-proxy reads a missing label as ""). */
int model_resolve_node_zone(struct model_ctx *ctx)
{
	const struct k8s_node *n = find_node(ctx, ctx->opts->node_name);
	const struct k8s_str *pos = NULL;
	const char *zone = n ? zone_label(&n->meta.labels, &pos) : NULL;
	struct obj_ref obj = { "Node", NULL, ctx->opts->node_name };

	if (zone && !model_label_value_valid(zone)) {
		model_error(ctx, &obj, &pos->pos, "metadata.labels." ZONE_LABEL,
			    "\"%s\" is not a label value: " LABEL_VALUE_ADVICE,
			    zone);
		return -EINVAL;
	}
	if (zone && ctx->opts->node_zone && strcmp(zone, ctx->opts->node_zone))
		model_note(ctx, &obj, &pos->pos, "metadata.labels." ZONE_LABEL,
			   "\"%s\" is not used: --node-zone \"%s\" wins", zone,
			   ctx->opts->node_zone);
	else if (zone && *zone && !ctx->opts->node_zone)
		model_note(ctx, &obj, &pos->pos, "metadata.labels." ZONE_LABEL,
			   "this node's zone is \"%s\", for topology hints", zone);
	if (ctx->opts->node_zone)
		zone = ctx->opts->node_zone;
	ctx->m->node_zone = zone && *zone ? xstrdup(zone) : NULL;
	return 0;
}

static void check_hints(struct model_ctx *ctx, const struct obj_ref *obj,
			size_t index, const char *list, const struct k8s_hint *v,
			size_t n, bool (*valid)(const char *), const char *what,
			const char *advice)
{
	char field[96];

	if (n > HINTS_MAX) {
		snprintf(field, sizeof(field), "endpoints[%zu].hints.%s", index, list);
		model_error(ctx, obj, &v[HINTS_MAX].pos, field,
			    "holds %zu entries: at most %d are allowed", n, HINTS_MAX);
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "endpoints[%zu].hints.%s[%zu].name",
			 index, list, i);
		if (!v[i].name.s || !*v[i].name.s)
			model_error(ctx, obj, &v[i].pos, field,
				    "is required: the name of the %s the endpoint is meant for",
				    what);
		else if (!valid(v[i].name.s))
			model_error(ctx, obj, &v[i].name.pos, field,
				    "\"%s\" is not a valid %s name: %s", v[i].name.s, what,
				    advice);
	}
}

static bool is_zone_name(const char *s)
{
	return *s && model_label_value_valid(s);
}

void model_check_topology(struct model_ctx *ctx, const struct obj_ref *obj,
			  size_t index, const struct k8s_slice_endpoint *ep)
{
	char field[64];

	snprintf(field, sizeof(field), "endpoints[%zu].zone", index);
	if (ep->zone.s && !model_label_value_valid(ep->zone.s))
		model_error(ctx, obj, &ep->zone.pos, field,
			    "\"%s\" is not a label value: " LABEL_VALUE_ADVICE,
			    ep->zone.s);
	check_hints(ctx, obj, index, "forZones", ep->for_zones, ep->nfor_zones,
		    is_zone_name, "zone", LABEL_VALUE_ADVICE);
	check_hints(ctx, obj, index, "forNodes", ep->for_nodes, ep->nfor_nodes,
		    is_dns1123_subdomain, "node",
		    "use lowercase letters, digits, '-' and '.', labels of 1-63 characters, 253 at most");
}

static bool has_name(char *const *v, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (v[i] && !strcmp(v[i], name))	/* a hint without name: refused */
			return true;
	return false;
}

/* What the ready endpoints' hints of one kind say (topology.go counts
 * ready endpoints only: terminating ones are a fallback without hints). */
struct hint_scan {
	size_t ready, hinted;	/* ready endpoints; those with hints */
	bool names_us;		/* some hint names this node (or zone) */
};

static void scan_hints(const struct model_port *p, bool zones, const char *us,
		       struct hint_scan *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < p->nendpoints; i++) {
		const struct model_endpoint *e = &p->endpoints[i];
		char *const *v = zones ? e->hint_zones : e->hint_nodes;
		size_t n = zones ? e->nhint_zones : e->nhint_nodes;

		if (e->fallback)
			continue;
		h->ready++;
		h->hinted += n > 0;
		h->names_us |= has_name(v, n, us);
	}
}

static bool usable(const struct hint_scan *h)
{
	return h->ready && h->hinted == h->ready && h->names_us;
}

/* Why hints of one kind were not used, for the -v note ("" when the port
 * has none of that kind). */
static void why_not(char *buf, size_t len, const struct hint_scan *h,
		    const char *kind, const char *us, const char *unknown)
{
	if (!h->hinted)
		*buf = '\0';
	else if (h->hinted < h->ready)
		snprintf(buf, len, "%s hints: %zu of %zu ready endpoints have them, not all",
			 kind, h->hinted, h->ready);
	else if (!us)
		snprintf(buf, len, "%s hints: %s", kind, unknown);
	else
		snprintf(buf, len, "%s hints: none names %s \"%s\"", kind, kind, us);
}

static void note_port(struct model_ctx *ctx, const struct model_service *svc,
		      size_t i, const char *what)
{
	struct obj_ref obj = { "Service", svc->ns, svc->name };
	const struct model_port *p = &svc->ports[i];
	char field[32];

	snprintf(field, sizeof(field), "spec.ports[%zu]", i);
	model_note(ctx, &obj, &svc->pos, field, "port %u/%s: %s", p->port,
		   protocol_name(p->protocol), what);
}

/* Cluster endpoints serve ClusterIP traffic under internalTrafficPolicy
 * Cluster and every external address (kube-proxy short-circuits pods and
 * the node to them even under externalTrafficPolicy Local). */
static bool uses_cluster_endpoints(const struct model_service *s)
{
	bool external = s->nexternal_ips || s->nlb_ips;

	for (size_t i = 0; i < s->nports; i++)
		external |= s->ports[i].node_port != 0;
	return !s->internal_local || external;
}

static void apply_hints(struct model_port *p, enum model_topology mode,
			const char *us)
{
	bool zones = mode == MODEL_TOPOLOGY_SAME_ZONE;

	p->topology = mode;
	for (size_t i = 0; i < p->nendpoints; i++) {
		struct model_endpoint *e = &p->endpoints[i];

		e->cluster = zones ? has_name(e->hint_zones, e->nhint_zones, us) :
				     has_name(e->hint_nodes, e->nhint_nodes, us);
	}
}

static size_t count_cluster(const struct model_port *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nendpoints; i++)
		n += p->endpoints[i].cluster;
	return n;
}

static void select_port(struct model_ctx *ctx, struct model_service *svc,
			size_t i)
{
	struct model_port *p = &svc->ports[i];
	const char *node = ctx->opts->node_name, *zone = ctx->m->node_zone;
	struct hint_scan nodes, zones;
	char why_nodes[160], why_zones[256], what[480];

	scan_hints(p, false, node, &nodes);
	scan_hints(p, true, zone, &zones);
	if (usable(&nodes))
		apply_hints(p, MODEL_TOPOLOGY_SAME_NODE, node);
	else if (usable(&zones))
		apply_hints(p, MODEL_TOPOLOGY_SAME_ZONE, zone);
	if (p->topology != MODEL_TOPOLOGY_NONE) {
		snprintf(what, sizeof(what),
			 "topology hints for this %s: cluster traffic on this node uses %zu of %zu endpoints",
			 p->topology == MODEL_TOPOLOGY_SAME_NODE ? "node" : "zone",
			 count_cluster(p), p->nendpoints);
		note_port(ctx, svc, i, what);
		return;
	}
	why_not(why_nodes, sizeof(why_nodes), &nodes, "node", node,
		"this node is unknown (--node-name)");
	why_not(why_zones, sizeof(why_zones), &zones, "zone", zone,
		"this node's zone is unknown (--node-zone, or the " ZONE_LABEL
		" label of the Node named by --node-name)");
	if (!*why_nodes && !*why_zones)
		return;
	snprintf(what, sizeof(what), "topology hints not used, so every endpoint is: %s%s%s",
		 why_nodes, *why_nodes && *why_zones ? "; " : "", why_zones);
	note_port(ctx, svc, i, what);
}

/* Once per Service: whether it uses cluster endpoints looks at every port,
 * so asking it per port would be quadratic in ports. */
void model_select_topology(struct model_ctx *ctx, struct model_service *svc)
{
	if (!uses_cluster_endpoints(svc))
		return;
	for (size_t i = 0; i < svc->nports; i++)
		select_port(ctx, svc, i);
}
