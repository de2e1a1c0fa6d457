// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spec.healthCheckNodePort: the port a LoadBalancer Service with
 * externalTrafficPolicy: Local has its health checked on (svcnft watch
 * serves it). As the API server: only those Services have one, it comes
 * from the node port range and clashes with no node port; a missing one
 * is assigned, also when allocateLoadBalancerNodePorts is false (that
 * field governs the ports' nodePorts only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_internal.h"

#define FIELD_HC "spec.healthCheckNodePort"

static bool wants_health_check(const struct model_service *s)
{
	return s->type == SERVICE_LOAD_BALANCER && s->external_local;
}

/* Every explicit node port number -> the Service that has it. */
static void index_node_ports(const struct model *m, struct strmap *owner)
{
	char key[16];

	for (size_t i = 0; i < m->nservices; i++)
		for (size_t j = 0; j < m->services[i].nports; j++) {
			uint16_t port = m->services[i].ports[j].node_port;

			snprintf(key, sizeof(key), "%u", port);
			if (port && !strmap_get(owner, key))
				strmap_add(owner, key, i);
		}
}

static int claim_one(struct model_ctx *ctx, struct strmap *owner, size_t i,
		     const struct k8s_int *v)
{
	struct model_service *s = &ctx->m->services[i];
	struct obj_ref obj = { "Service", s->ns, s->name };
	const struct strmap_entry *prev;
	char key[24];

	if (!wants_health_check(s)) {
		model_error(ctx, &obj, &v->pos, FIELD_HC,
			    "\"%lld\" is set on a %s Service with externalTrafficPolicy %s: healthCheckNodePort is only valid for type LoadBalancer with externalTrafficPolicy: Local",
			    v->v, service_type_name(s->type),
			    s->external_local ? "Local" : "Cluster");
		return -EINVAL;
	}
	if (v->v < ctx->opts->node_port_first || v->v > ctx->opts->node_port_last) {
		model_error(ctx, &obj, &v->pos, FIELD_HC,
			    "\"%lld\" is outside the node port range: valid ports are %u-%u (--nodeport-range), or leave healthCheckNodePort out to have one assigned",
			    v->v, ctx->opts->node_port_first, ctx->opts->node_port_last);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "%lld", v->v);
	prev = strmap_get(owner, key);
	if (prev) {
		const struct model_service *o = &ctx->m->services[prev->vals[0]];

		model_error(ctx, &obj, &v->pos, FIELD_HC,
			    "\"%lld\" is already a node port of Service %s/%s (%s:%u): a healthCheckNodePort needs a port of its own",
			    v->v, o->ns, o->name, o->pos.file, o->pos.line);
		return -EINVAL;
	}
	strmap_add(owner, key, i);
	s->health_check_node_port = (uint16_t)v->v;
	return 0;
}

int model_claim_health_check_ports(struct model_ctx *ctx, struct u64set *numbers,
				   const struct k8s_service *const *src)
{
	struct strmap owner = { 0 };
	int ret = 0;

	index_node_ports(ctx->m, &owner);
	for (size_t i = 0; i < ctx->m->nservices; i++) {
		const struct k8s_int *v = &src[i]->health_check_node_port;

		if (!v->set || v->v == 0)
			continue;
		if (claim_one(ctx, &owner, i, v) < 0)
			ret = -EINVAL;
		else
			u64set_add(numbers, (uint64_t)v->v);
	}
	strmap_free(&owner);
	return ret;
}

int model_assign_health_check_ports(struct model_ctx *ctx, struct u64set *numbers,
				    const struct k8s_service *const *src)
{
	int ret = 0;

	for (size_t i = 0; i < ctx->m->nservices; i++) {
		struct model_service *s = &ctx->m->services[i];
		struct obj_ref obj = { "Service", s->ns, s->name };
		char *key;

		if (!wants_health_check(s) || s->health_check_node_port ||
		    (src[i]->health_check_node_port.set &&
		     src[i]->health_check_node_port.v))
			continue;	/* none wanted, or claimed (or refused) */
		key = xasprintf("%s/%s/healthCheckNodePort", s->ns, s->name);
		if (model_pick_node_port(ctx, key, numbers,
					 &s->health_check_node_port) < 0) {
			model_error(ctx, &obj, &s->pos, FIELD_HC,
				    "no free node port left in %u-%u for the health check: widen --nodeport-range",
				    ctx->opts->node_port_first, ctx->opts->node_port_last);
			ret = -EINVAL;
		}
		s->health_check_node_port_assigned = s->health_check_node_port != 0;
		free(key);
	}
	return ret;
}
