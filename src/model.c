// SPDX-License-Identifier: GPL-2.0-or-later
/* Stage 2: the manifests into a validated service model. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

void model_options_default(struct model_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->node_port_first = 30000;
	opts->node_port_last = 32767;
	ip_prefix_parse(&opts->service_cidr, "10.96.0.0/12");
	opts->max_endpoints = MODEL_MAX_ENDPOINTS;
	opts->max_service_endpoints = MODEL_MAX_SERVICE_ENDPOINTS;
	opts->max_entries = MODEL_MAX_ENTRIES;
	opts->max_service_entries = MODEL_MAX_SERVICE_ENTRIES;
}

struct service_src {
	struct model_service svc;
	const struct k8s_service *src;
};

static int service_src_cmp(const void *pa, const void *pb)
{
	const struct service_src *a = pa, *b = pb;
	int r = strcmp(a->svc.ns, b->svc.ns);

	return r ? r : strcmp(a->svc.name, b->svc.name);
}

const struct k8s_label *model_label(const struct k8s_labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].key.s && !strcmp(l->v[i].key.s, key))
			return &l->v[i];
	return NULL;
}

static const char *label_value(const struct k8s_labels *l, const char *key)
{
	const struct k8s_label *label = model_label(l, key);

	if (!label)
		return NULL;
	return label->value.s ? label->value.s : "";
}

/* Services another proxy handles, by the labels kube-proxy honours. */
static bool left_to_others(struct model_ctx *ctx, const struct k8s_service *k)
{
	const char *proxy = label_value(&k->meta.labels,
					"service.kubernetes.io/service-proxy-name");
	struct obj_ref obj = { "Service", k8s_meta_namespace(&k->meta), k->meta.name.s };

	if (label_value(&k->meta.labels, "service.kubernetes.io/headless")) {
		model_note(ctx, &obj, &k->meta.pos, "metadata.labels",
			   "ignored: labelled service.kubernetes.io/headless");
		return true;
	}
	if (proxy && (!ctx->opts->proxy_name || strcmp(proxy, ctx->opts->proxy_name))) {
		model_note(ctx, &obj, &k->meta.pos, "metadata.labels",
			   "ignored: service.kubernetes.io/service-proxy-name is \"%s\", not --proxy-name",
			   proxy);
		return true;
	}
	return false;
}

/* Convert every Service; those with errors are left out of the model. */
static const struct k8s_service **convert_services(struct model_ctx *ctx)
{
	const struct manifest_set *set = ctx->set;
	struct service_src *tmp = xcalloc(set->nservices, sizeof(*tmp));
	const struct k8s_service **src;
	size_t n = 0;

	for (size_t i = 0; i < set->nservices; i++) {
		if (left_to_others(ctx, &set->services[i])) {
			ctx->m->nignored++;
			continue;
		}
		if (model_service_from_k8s(ctx, &set->services[i], &tmp[n].svc) < 0) {
			model_service_free(&tmp[n].svc);
			continue;
		}
		tmp[n++].src = &set->services[i];
	}
	qsort(tmp, n, sizeof(*tmp), service_src_cmp);
	ctx->m->services = xcalloc(n, sizeof(*ctx->m->services));
	src = xcalloc(n, sizeof(*src));
	for (size_t i = 0; i < n; i++) {
		ctx->m->services[i] = tmp[i].svc;
		src[i] = tmp[i].src;
	}
	ctx->m->nservices = n;
	free(tmp);
	return src;
}

static void note_cluster_ip(struct model_ctx *ctx, const struct obj_ref *obj,
			    const struct src_pos *pos, const char *field,
			    const struct ip_addr *a, const struct ip_prefix *cidr)
{
	char buf[IP_ADDR_STRLEN], range[IP_ADDR_STRLEN];

	model_note(ctx, obj, pos, field, "assigned %s from --service-cidr %s/%u",
		   ip_addr_str(a, buf, sizeof(buf)),
		   ip_addr_str(&cidr->addr, range, sizeof(range)), cidr->len);
}

/* -v: what svcnft chose where the manifests left it open (svcnft(8),
 * "Assigned ClusterIPs and node ports are stable"). */
static void note_assignments(struct model_ctx *ctx, const struct k8s_service *const *src)
{
	const struct model_options *o = ctx->opts;
	char field[64];

	for (size_t i = 0; i < ctx->m->nservices; i++) {
		const struct model_service *s = &ctx->m->services[i];
		struct obj_ref obj = { "Service", s->ns, s->name };

		if (s->cluster_ip_assigned)
			note_cluster_ip(ctx, &obj, model_spec_pos(src[i]), "spec.clusterIP",
					&s->cluster_ip, &o->service_cidr);
		if (s->cluster_ip6_assigned)
			note_cluster_ip(ctx, &obj, model_spec_pos(src[i]), "spec.clusterIPs",
					&s->cluster_ip6, &o->service_cidr6);
		for (size_t j = 0; j < s->nports; j++) {
			if (!s->ports[j].node_port_assigned)
				continue;
			snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", j);
			model_note(ctx, &obj, &src[i]->ports[j].pos, field,
				   "assigned %u from --nodeport-range %u-%u",
				   s->ports[j].node_port, o->node_port_first, o->node_port_last);
		}
	}
}

/* Addresses times ports are the dispatch map's elements: 100,000
 * externalIPs and 60,000 ports in a small file would be 6e9 of them. */
static void check_entries(struct model_ctx *ctx)
{
	for (size_t i = 0; i < ctx->m->nservices; i++) {
		const struct model_service *s = &ctx->m->services[i];
		struct obj_ref obj = { "Service", s->ns, s->name };
		size_t naddrs = (s->cluster_ip.family != 0) + (s->cluster_ip6.family != 0) +
				s->nexternal_ips + s->nlb_ips;
		size_t n = naddrs * s->nports;	/* each is below 2^32: no overflow */

		if (n > ctx->opts->max_service_entries) {
			model_error(ctx, &obj, &s->pos, NULL,
				    "%zu addresses times %zu ports are %zu address-port pairs, more than the limit of %zu per Service",
				    naddrs, s->nports, n, ctx->opts->max_service_entries);
			continue;
		}
		ctx->entries_total += n;
		if (ctx->entries_total > ctx->opts->max_entries) {
			model_error(ctx, &obj, &s->pos, NULL,
				    "brings the address-port pairs of all Services to %zu, more than the limit of %zu in all",
				    ctx->entries_total, ctx->opts->max_entries);
			return;
		}
	}
}

static void count_model(struct model *m, const struct manifest_set *set)
{
	m->nendpoints = m->nnode_ports = 0;	/* nignored is counted already */
	for (size_t i = 0; i < m->nservices; i++) {
		for (size_t j = 0; j < m->services[i].nports; j++) {
			m->nendpoints += m->services[i].ports[j].nendpoints;
			m->nnode_ports += m->services[i].ports[j].node_port != 0;
		}
	}
	m->nskipped = set->nskipped;
}

static void copy_node(struct model_node *to, const struct model_node *from)
{
	*to = *from;
	to->cluster_cidrs = xcalloc(from->ncluster_cidrs, sizeof(*to->cluster_cidrs));
	if (from->ncluster_cidrs)	/* memcpy from NULL is undefined, even of 0 */
		memcpy(to->cluster_cidrs, from->cluster_cidrs,
		       from->ncluster_cidrs * sizeof(*to->cluster_cidrs));
	to->node_ips = xcalloc(from->nnode_ips, sizeof(*to->node_ips));
	if (from->nnode_ips)
		memcpy(to->node_ips, from->node_ips, from->nnode_ips * sizeof(*to->node_ips));
}

int model_build(struct model *m, const struct manifest_set *set,
		const struct model_options *opts, struct diag_list *diags)
{
	struct model_ctx ctx = { .set = set, .opts = opts, .diags = diags, .m = m };
	size_t errors_before = diags->nerrors;
	const struct k8s_service **src;

	memset(m, 0, sizeof(*m));
	model_check_duplicates(&ctx);
	model_index_objects(&ctx);
	src = convert_services(&ctx);
	model_assign_cluster_ips(&ctx, src);
	model_assign_node_ports(&ctx, src);
	model_check_address_conflicts(&ctx);
	note_assignments(&ctx, src);
	check_entries(&ctx);
	model_note_orphans(&ctx);
	model_resolve_node_zone(&ctx);
	model_resolve_all(&ctx, src);
	count_model(m, set);
	copy_node(&m->node, &opts->node);
	free(src);
	strmap_free(&ctx.pods_by_label);
	strmap_free(&ctx.pod_ports);
	strmap_free(&ctx.services_by_name);
	strmap_free(&ctx.endpoints_by_name);
	strmap_free(&ctx.slices_by_service);
	return diags->nerrors > errors_before ? -EINVAL : 0;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nservices; i++)
		model_service_free(&m->services[i]);
	free(m->services);
	free(m->node.cluster_cidrs);
	free(m->node.node_ips);
	free(m->node_zone);
	memset(m, 0, sizeof(*m));
}

static bool addrs_have(const struct ip_addr *v, size_t n, int family)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].family == family)
			return true;
	return false;
}

bool model_service_has_family(const struct model_service *s, int family)
{
	const struct ip_addr *cip = family == AF_INET ? &s->cluster_ip : &s->cluster_ip6;

	return cip->family == family ||
	       addrs_have(s->external_ips, s->nexternal_ips, family) ||
	       addrs_have(s->lb_ips, s->nlb_ips, family);
}

bool model_has_family(const struct model *m, int family)
{
	for (size_t i = 0; i < m->nservices; i++)
		if (model_service_has_family(&m->services[i], family))
			return true;
	return false;
}
