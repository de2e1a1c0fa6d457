// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"

static void str_free(struct k8s_str *s)
{
	free(s->s);
	s->s = NULL;
}

static void strv_free(struct k8s_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i].s);
	free(v->v);
}

static void labels_free(struct k8s_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key.s);
		free(l->v[i].value.s);
	}
	free(l->v);
}

void k8s_meta_free(struct k8s_meta *meta)
{
	if (!meta)
		return;
	str_free(&meta->name);
	str_free(&meta->namespace);
	str_free(&meta->app);
	labels_free(&meta->labels);
	memset(meta, 0, sizeof(*meta));
}

static void service_port_free(struct k8s_service_port *p)
{
	str_free(&p->name);
	str_free(&p->protocol);
	str_free(&p->target_port.str);
}

void k8s_service_free(struct k8s_service *svc)
{
	if (!svc)
		return;
	k8s_meta_free(&svc->meta);
	str_free(&svc->type);
	str_free(&svc->cluster_ip);
	strv_free(&svc->cluster_ips);
	strv_free(&svc->external_ips);
	str_free(&svc->external_name);
	str_free(&svc->load_balancer_ip);
	strv_free(&svc->load_balancer_source_ranges);
	str_free(&svc->source_ranges_annotation);
	str_free(&svc->session_affinity);
	str_free(&svc->external_traffic_policy);
	str_free(&svc->internal_traffic_policy);
	strv_free(&svc->ip_families);
	str_free(&svc->ip_family_policy);
	labels_free(&svc->selector);
	for (size_t i = 0; i < svc->nports; i++)
		service_port_free(&svc->ports[i]);
	free(svc->ports);
	strv_free(&svc->lb_ingress_ips);
	for (size_t i = 0; i < svc->nlb_ingress; i++) {
		str_free(&svc->lb_ingress[i].ip);
		str_free(&svc->lb_ingress[i].hostname);
		str_free(&svc->lb_ingress[i].ip_mode);
	}
	free(svc->lb_ingress);
	memset(svc, 0, sizeof(*svc));
}

void k8s_pod_free(struct k8s_pod *pod)
{
	if (!pod)
		return;
	k8s_meta_free(&pod->meta);
	str_free(&pod->node_name);
	str_free(&pod->phase);
	str_free(&pod->pod_ip);
	strv_free(&pod->pod_ips);
	for (size_t i = 0; i < pod->nports; i++) {
		str_free(&pod->ports[i].name);
		str_free(&pod->ports[i].protocol);
	}
	free(pod->ports);
	memset(pod, 0, sizeof(*pod));
}

static void endpoint_ports_free(struct k8s_endpoint_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		str_free(&ports[i].name);
		str_free(&ports[i].protocol);
	}
	free(ports);
}

static void addresses_free(struct k8s_endpoint_address *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		str_free(&a[i].ip);
		str_free(&a[i].node_name);
	}
	free(a);
}

void k8s_endpoints_free(struct k8s_endpoints *ep)
{
	if (!ep)
		return;
	k8s_meta_free(&ep->meta);
	for (size_t i = 0; i < ep->nsubsets; i++) {
		struct k8s_endpoint_subset *s = &ep->subsets[i];

		addresses_free(s->addresses, s->naddresses);
		addresses_free(s->not_ready, s->nnot_ready);
		endpoint_ports_free(s->ports, s->nports);
	}
	free(ep->subsets);
	memset(ep, 0, sizeof(*ep));
}

static void hints_free(struct k8s_hint *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		str_free(&v[i].name);
	free(v);
}

void k8s_endpoint_slice_free(struct k8s_endpoint_slice *slice)
{
	if (!slice)
		return;
	k8s_meta_free(&slice->meta);
	str_free(&slice->address_type);
	str_free(&slice->service_name);
	for (size_t i = 0; i < slice->nendpoints; i++) {
		struct k8s_slice_endpoint *e = &slice->endpoints[i];

		strv_free(&e->addresses);
		str_free(&e->node_name);
		str_free(&e->zone);
		hints_free(e->for_zones, e->nfor_zones);
		hints_free(e->for_nodes, e->nfor_nodes);
	}
	free(slice->endpoints);
	endpoint_ports_free(slice->ports, slice->nports);
	memset(slice, 0, sizeof(*slice));
}

void k8s_node_free(struct k8s_node *node)
{
	if (!node)
		return;
	k8s_meta_free(&node->meta);
	memset(node, 0, sizeof(*node));
}

void k8s_skipped_free(struct k8s_skipped *skipped)
{
	if (!skipped)
		return;
	free(skipped->kind);
	free(skipped->api_version);
	str_free(&skipped->name);
	str_free(&skipped->namespace);
	memset(skipped, 0, sizeof(*skipped));
}
