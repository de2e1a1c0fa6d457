// SPDX-License-Identifier: GPL-2.0-or-later
/* spec.ports of one Service, validated as the API server would. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static bool port_in_range(long long v)
{
	return v >= 1 && v <= 65535;
}

static int parse_port_number(struct model_ctx *ctx, const struct obj_ref *obj,
			     const char *field, const struct k8s_int *v,
			     uint16_t *out)
{
	if (!port_in_range(v->v)) {
		model_error(ctx, obj, &v->pos, field,
			    "\"%lld\" is not a port number: valid ports are 1-65535",
			    v->v);
		return -EINVAL;
	}
	*out = (uint16_t)v->v;
	return 0;
}

static int parse_target_port(struct model_ctx *ctx, const struct obj_ref *obj,
			     const char *field, const struct k8s_service_port *kp,
			     struct model_port *p)
{
	const struct k8s_int_or_str *t = &kp->target_port;

	if (t->str.s) {
		if (!is_iana_svc_name(t->str.s)) {
			model_error(ctx, obj, &t->str.pos, field,
				    "\"%s\" is neither a port number nor a port name: a name has 1-15 lowercase letters, digits and '-', with at least one letter",
				    t->str.s);
			return -EINVAL;
		}
		p->target_port_name = xstrdup(t->str.s);
		return 0;
	}
	if (!t->num.set) {
		p->target_port = p->port;	/* defaults to port */
		return 0;
	}
	return parse_port_number(ctx, obj, field, &t->num, &p->target_port);
}

static bool type_has_node_ports(enum service_type t)
{
	return t == SERVICE_NODE_PORT || t == SERVICE_LOAD_BALANCER;
}

static int parse_node_port(struct model_ctx *ctx, const struct obj_ref *obj,
			   const char *field, enum service_type type,
			   const struct k8s_int *v, struct model_port *p)
{
	const struct model_options *o = ctx->opts;

	if (!v->set || v->v == 0)
		return 0;	/* assigned later when the type needs one */
	if (!type_has_node_ports(type)) {
		model_error(ctx, obj, &v->pos, field,
			    "\"%lld\" is set on a %s Service: nodePort is only valid for types NodePort and LoadBalancer",
			    v->v, service_type_name(type));
		return -EINVAL;
	}
	if (v->v < o->node_port_first || v->v > o->node_port_last) {
		model_error(ctx, obj, &v->pos, field,
			    "\"%lld\" is outside the node port range: valid ports are %u-%u (--nodeport-range), or leave nodePort out to have one assigned",
			    v->v, o->node_port_first, o->node_port_last);
		return -EINVAL;
	}
	p->node_port = (uint16_t)v->v;
	return 0;
}

static int parse_one_port(struct model_ctx *ctx, const struct obj_ref *obj,
			  enum service_type type, size_t i,
			  const struct k8s_service_port *kp, struct model_port *p)
{
	char field[64];
	int ret = 0;

	p->name = xstrdup(kp->name.s ? kp->name.s : "");
	snprintf(field, sizeof(field), "spec.ports[%zu].protocol", i);
	p->protocol = protocol_parse(kp->protocol.s);
	if (!p->protocol) {
		model_error(ctx, obj, &kp->protocol.pos, field,
			    "unknown protocol \"%s\": valid protocols are TCP, UDP, SCTP",
			    kp->protocol.s);
		ret = -EINVAL;
	}
	snprintf(field, sizeof(field), "spec.ports[%zu].port", i);
	if (!kp->port.set) {
		model_error(ctx, obj, &kp->pos, field,
			    "is required: give the port the Service listens on, 1-65535");
		ret = -EINVAL;
	} else if (parse_port_number(ctx, obj, field, &kp->port, &p->port) < 0) {
		ret = -EINVAL;
	}
	snprintf(field, sizeof(field), "spec.ports[%zu].targetPort", i);
	if (ret == 0 && parse_target_port(ctx, obj, field, kp, p) < 0)
		ret = -EINVAL;
	snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", i);
	if (parse_node_port(ctx, obj, field, type, &kp->node_port, p) < 0)
		ret = -EINVAL;
	return ret;
}

/* What the ports before this one used, so each port is checked against
 * them in constant time: names, port/protocol, nodePort/protocol. */
struct ports_seen {
	struct strmap names, numbers;
};

/* The index of the earlier port that used key, after noting this one's. */
static const size_t *seen_before(struct strmap *m, const char *key, size_t i)
{
	const struct strmap_entry *e = strmap_get(m, key);

	if (e)
		return &e->vals[0];
	strmap_add(m, key, i);
	return NULL;
}

static int check_port_name(struct model_ctx *ctx, const struct obj_ref *obj,
			   const struct k8s_service *k, size_t i,
			   struct ports_seen *seen)
{
	const struct k8s_str *name = &k->ports[i].name;
	const size_t *first;
	char field[64];

	snprintf(field, sizeof(field), "spec.ports[%zu].name", i);
	if (!name->s || !*name->s) {
		if (k->nports == 1)
			return 0;
		model_error(ctx, obj, name->s ? &name->pos : &k->ports[i].pos, field,
			    "is required when a Service has more than one port: give each port a unique name such as \"http\"");
		return -EINVAL;
	}
	if (!is_dns1123_label(name->s)) {
		model_error(ctx, obj, &name->pos, field,
			    "\"%s\" is not a valid port name: use lowercase letters, digits and '-', 63 characters at most",
			    name->s);
		return -EINVAL;
	}
	first = k->nports > 1 ? seen_before(&seen->names, name->s, i) : NULL;
	if (first) {
		model_error(ctx, obj, &name->pos, field,
			    "\"%s\" is already the name of spec.ports[%zu]: port names must be unique within a Service",
			    name->s, *first);
		return -EINVAL;
	}
	return 0;
}

static int check_port_unique(struct model_ctx *ctx, const struct obj_ref *obj,
			     const struct k8s_service *k,
			     const struct model_service *s, size_t i,
			     struct ports_seen *seen)
{
	const struct model_port *p = &s->ports[i];
	const size_t *first;
	char field[64], key[32];

	if (k->nports == 1)
		return 0;	/* nothing to clash with, and most Services have one port */
	snprintf(field, sizeof(field), "spec.ports[%zu].port", i);
	snprintf(key, sizeof(key), "%u/%u", p->protocol, p->port);
	first = seen_before(&seen->numbers, key, i);
	if (first) {
		model_error(ctx, obj, &k->ports[i].port.pos, field,
			    "\"%u\" with protocol %s duplicates spec.ports[%zu]: each port and protocol may appear once",
			    p->port, protocol_name(p->protocol), *first);
		return -EINVAL;
	}
	if (!p->node_port)
		return 0;
	snprintf(key, sizeof(key), "node %u/%u", p->protocol, p->node_port);
	first = seen_before(&seen->numbers, key, i);
	if (first) {
		snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", i);
		model_error(ctx, obj, &k->ports[i].node_port.pos, field,
			    "\"%u\" with protocol %s is already used by spec.ports[%zu]: each node port may be used once per protocol",
			    p->node_port, protocol_name(p->protocol), *first);
		return -EINVAL;
	}
	return 0;
}

/* allocateLoadBalancerNodePorts: false leaves a LoadBalancer's ports
 * without node ports unless the manifest gives them (the load balancer
 * reaches the pods some other way). The API server allows the field on
 * LoadBalancer Services only. */
static int parse_node_port_allocation(struct model_ctx *ctx, const struct obj_ref *obj,
				      const struct k8s_service *k, struct model_service *s)
{
	const struct k8s_bool *v = &k->allocate_lb_node_ports;

	if (v->v == -1)
		return 0;
	if (s->type != SERVICE_LOAD_BALANCER) {
		model_error(ctx, obj, &v->pos, "spec.allocateLoadBalancerNodePorts",
			    "is set on a %s Service: it is only valid for type LoadBalancer",
			    service_type_name(s->type));
		return -EINVAL;
	}
	s->no_lb_node_ports = v->v == 0;
	return 0;
}

int model_parse_ports(struct model_ctx *ctx, const struct obj_ref *obj,
		      const struct k8s_service *k, struct model_service *s)
{
	struct ports_seen seen = { { 0 }, { 0 } };
	int ret = parse_node_port_allocation(ctx, obj, k, s);

	if (k->nports == 0) {
		model_error(ctx, obj, k->ports_pos.line ? &k->ports_pos : model_spec_pos(k),
			    "spec.ports",
			    "is required: a %s Service needs at least one port",
			    service_type_name(s->type));
		return -EINVAL;
	}
	s->ports = xcalloc(k->nports, sizeof(*s->ports));
	s->nports = k->nports;
	for (size_t i = 0; i < k->nports; i++) {
		if (check_port_name(ctx, obj, k, i, &seen) < 0 ||
		    parse_one_port(ctx, obj, s->type, i, &k->ports[i], &s->ports[i]) < 0 ||
		    check_port_unique(ctx, obj, k, s, i, &seen) < 0)
			ret = -EINVAL;
	}
	strmap_free(&seen.names);
	strmap_free(&seen.numbers);
	return ret;
}
