// SPDX-License-Identifier: GPL-2.0-or-later
/* One Service manifest into a model_service: type, addresses and ports,
 * validated the way the API server would. Endpoints come later. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model_internal.h"

static int parse_type(struct model_ctx *ctx, const struct obj_ref *obj,
		      const struct k8s_str *type, enum service_type *out)
{
	static const struct {
		const char *name;
		enum service_type type;
	} types[] = {
		{ "ClusterIP", SERVICE_CLUSTER_IP },
		{ "NodePort", SERVICE_NODE_PORT },
		{ "LoadBalancer", SERVICE_LOAD_BALANCER },
		{ "ExternalName", SERVICE_EXTERNAL_NAME },
	};

	*out = SERVICE_CLUSTER_IP;
	if (!type->s)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (!strcmp(type->s, types[i].name)) {
			*out = types[i].type;
			return 0;
		}
	}
	model_error(ctx, obj, &type->pos, "spec.type",
		    "unknown type \"%s\": valid types are ClusterIP, NodePort, LoadBalancer, ExternalName",
		    type->s);
	return -EINVAL;
}

static int parse_ip(struct model_ctx *ctx, const struct obj_ref *obj,
		    const char *field, const struct k8s_str *v, struct ip_addr *out)
{
	if (ip_addr_parse(out, v->s) < 0) {
		model_error(ctx, obj, &v->pos, field,
			    "\"%s\" is not an IP address: write an IPv4 or IPv6 address such as 10.96.0.10 or fd00::10",
			    v->s);
		return -EINVAL;
	}
	return 0;
}

/* Append every valid address in list to *v (skipping duplicates). */
static int parse_ip_list(struct model_ctx *ctx, const struct obj_ref *obj,
			 const char *field, const struct k8s_strv *list,
			 struct ip_addr **v, size_t *n)
{
	char path[96];
	int ret = 0;

	for (size_t i = 0; i < list->n; i++) {
		struct ip_addr a;
		bool dup = false;

		snprintf(path, sizeof(path), "%s[%zu]", field, i);
		if (parse_ip(ctx, obj, path, &list->v[i], &a) < 0) {
			ret = -EINVAL;
			continue;
		}
		for (size_t j = 0; j < *n; j++)
			dup |= !ip_addr_cmp(&(*v)[j], &a);
		if (dup)
			continue;
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = a;
	}
	return ret;
}

static int family_of(const char *name)
{
	if (name && !strcmp(name, "IPv4"))
		return AF_INET;
	if (name && !strcmp(name, "IPv6"))
		return AF_INET6;
	return 0;
}

/* spec.ipFamilies and spec.ipFamilyPolicy: which families the Service
 * has. SingleStack takes the first family (ipFamilies[0], else the first
 * clusterIP's, else IPv4); RequireDualStack both; PreferDualStack both
 * when the cluster can give both (an IPv6 --service-cidr, or IPv6 given). */
static int parse_families(struct model_ctx *ctx, const struct obj_ref *obj,
			  const struct k8s_service *k, const struct k8s_strv *ips,
			  struct model_service *s)
{
	const char *policy = k->ip_family_policy.s;
	int primary = AF_INET;
	bool dual, prefer;

	for (size_t i = 0; i < k->ip_families.n; i++) {
		if (!family_of(k->ip_families.v[i].s)) {
			model_error(ctx, obj, &k->ip_families.v[i].pos, "spec.ipFamilies",
				    "unknown family \"%s\": valid families are IPv4 and IPv6",
				    k->ip_families.v[i].s ? k->ip_families.v[i].s : "");
			return -EINVAL;
		}
	}
	if (policy && strcmp(policy, "SingleStack") && strcmp(policy, "PreferDualStack") &&
	    strcmp(policy, "RequireDualStack")) {
		model_error(ctx, obj, &k->ip_family_policy.pos, "spec.ipFamilyPolicy",
			    "unknown policy \"%s\": valid policies are SingleStack, PreferDualStack, RequireDualStack",
			    policy);
		return -EINVAL;
	}
	if (k->ip_families.n)
		primary = family_of(k->ip_families.v[0].s);
	else if (ips->n && strchr(ips->v[0].s ? ips->v[0].s : "", ':'))
		primary = AF_INET6;
	prefer = policy && !strcmp(policy, "PreferDualStack");
	dual = (policy && !strcmp(policy, "RequireDualStack")) || k->ip_families.n > 1 ||
	       ips->n > 1 ||
	       (prefer && (ctx->opts->service_cidr6.addr.family || ips->n > 1));
	s->want_ipv4 = dual || primary == AF_INET;
	s->want_ipv6 = dual || primary == AF_INET6;
	return 0;
}

/* spec.clusterIP and spec.clusterIPs: one address per family. */
static int parse_cluster_ips(struct model_ctx *ctx, const struct obj_ref *obj,
			     const struct k8s_strv *ips, bool listed,
			     struct model_service *s)
{
	char field[64];

	for (size_t i = 0; i < ips->n; i++) {
		struct ip_addr a;
		struct ip_addr *slot;

		if (listed)
			snprintf(field, sizeof(field), "spec.clusterIPs[%zu]", i);
		else
			snprintf(field, sizeof(field), "spec.clusterIP");
		if (parse_ip(ctx, obj, field, &ips->v[i], &a) < 0)
			return -EINVAL;
		slot = a.family == AF_INET ? &s->cluster_ip : &s->cluster_ip6;
		if (slot->family || i > 1) {
			model_error(ctx, obj, &ips->v[i].pos, field,
				    "\"%s\": clusterIPs holds at most one address of each family",
				    ips->v[i].s);
			return -EINVAL;
		}
		*slot = a;
	}
	if ((s->cluster_ip.family && !s->want_ipv4) || (s->cluster_ip6.family && !s->want_ipv6)) {
		model_error(ctx, obj, &ips->v[0].pos, "spec.clusterIPs",
			    "holds a family that ipFamilies/ipFamilyPolicy do not ask for: list the families in spec.ipFamilies, or set ipFamilyPolicy: RequireDualStack");
		return -EINVAL;
	}
	return 0;
}

static int parse_cluster_ip(struct model_ctx *ctx, const struct obj_ref *obj,
			    const struct k8s_service *k, struct model_service *s)
{
	const struct k8s_str *ip = &k->cluster_ip;
	struct k8s_strv one = { (struct k8s_str *)ip, ip->s && *ip->s ? 1 : 0, ip->pos };
	const struct k8s_strv *ips = k->cluster_ips.n ? &k->cluster_ips : &one;

	if (s->type == SERVICE_EXTERNAL_NAME) {
		if (ip->s && *ip->s) {
			model_error(ctx, obj, &ip->pos, "spec.clusterIP",
				    "\"%s\" is set on an ExternalName Service: leave clusterIP out, ExternalName has no address",
				    ip->s);
			return -EINVAL;
		}
		return 0;
	}
	if (ip->s && k->cluster_ips.n && strcmp(ip->s, k->cluster_ips.v[0].s)) {
		model_error(ctx, obj, &k->cluster_ips.v[0].pos, "spec.clusterIPs[0]",
			    "\"%s\" differs from spec.clusterIP \"%s\": the first of clusterIPs must equal clusterIP",
			    k->cluster_ips.v[0].s, ip->s);
		return -EINVAL;
	}
	if (ips->n && !strcmp(ips->v[0].s, "None")) {
		if (s->type != SERVICE_CLUSTER_IP) {
			model_error(ctx, obj, &ips->v[0].pos, "spec.clusterIP",
				    "\"None\" (headless) is only valid for type ClusterIP, not %s",
				    service_type_name(s->type));
			return -EINVAL;
		}
		s->headless = true;
		return 0;
	}
	if (parse_families(ctx, obj, k, ips, s) < 0)
		return -EINVAL;
	/* missing: assigned later */
	return parse_cluster_ips(ctx, obj, ips, ips == &k->cluster_ips, s);
}

/* status.loadBalancer.ingress entries the node does not capture, as
 * kube-proxy: ipMode Proxy (the load balancer connects to the node ports
 * itself, so its address must keep reaching it), and entries without ip. */
static int check_lb_ingress(struct model_ctx *ctx, const struct obj_ref *obj,
			    const struct k8s_service *k)
{
	char field[64];
	int ret = 0;

	for (size_t i = 0; i < k->nlb_ingress; i++) {
		const struct k8s_lb_ingress *in = &k->lb_ingress[i];
		const char *mode = in->ip_mode.s;

		snprintf(field, sizeof(field), "status.loadBalancer.ingress[%zu]", i);
		if (mode && strcmp(mode, "VIP") && strcmp(mode, "Proxy")) {
			model_error(ctx, obj, &in->ip_mode.pos, field,
				    "unknown ipMode \"%s\": valid modes are VIP and Proxy", mode);
			ret = -EINVAL;
		} else if (mode && !in->ip.s) {
			model_error(ctx, obj, &in->ip_mode.pos, field,
				    "ipMode \"%s\" without ip: ipMode says how the ip is reached",
				    mode);
			ret = -EINVAL;
		} else if (!in->ip.s) {
			model_note(ctx, obj, &in->pos, field,
				   "skipped: hostname \"%s\" only, no ip for the node to capture",
				   in->hostname.s ? in->hostname.s : "");
		} else if (mode && !strcmp(mode, "Proxy")) {
			model_note(ctx, obj, &in->ip.pos, field,
				   "\"%s\" has ipMode Proxy: not captured on the node (the load balancer connects to the node ports)",
				   in->ip.s);
		}
	}
	return ret;
}

static int parse_addresses(struct model_ctx *ctx, const struct obj_ref *obj,
			   const struct k8s_service *k, struct model_service *s)
{
	int ret = 0;

	if (parse_cluster_ip(ctx, obj, k, s) < 0)
		ret = -EINVAL;
	if (s->type == SERVICE_EXTERNAL_NAME)
		return ret;
	if (parse_ip_list(ctx, obj, "spec.externalIPs", &k->external_ips,
			  &s->external_ips, &s->nexternal_ips) < 0)
		ret = -EINVAL;
	if (s->type != SERVICE_LOAD_BALANCER)
		return ret;
	if (parse_ip_list(ctx, obj, "status.loadBalancer.ingress", &k->lb_ingress_ips,
			  &s->lb_ips, &s->nlb_ips) < 0 || check_lb_ingress(ctx, obj, k) < 0)
		ret = -EINVAL;
	if (k->load_balancer_ip.s && *k->load_balancer_ip.s) {
		struct k8s_strv one = { (struct k8s_str *)&k->load_balancer_ip, 1,
					k->load_balancer_ip.pos };

		if (parse_ip_list(ctx, obj, "spec.loadBalancerIP", &one,
				  &s->lb_ips, &s->nlb_ips) < 0)
			ret = -EINVAL;
	}
	return ret;
}

static int parse_external_name(struct model_ctx *ctx, const struct obj_ref *obj,
			       const struct k8s_service *k,
			       struct model_service *s)
{
	const struct k8s_str *n = &k->external_name;

	if (!n->s || !*n->s) {
		model_error(ctx, obj, &k->meta.pos, "spec.externalName",
			    "is required for type ExternalName: give the DNS name the Service is an alias for, such as my.database.example.com");
		return -EINVAL;
	}
	if (!is_dns1123_subdomain(n->s)) {
		model_error(ctx, obj, &n->pos, "spec.externalName",
			    "\"%s\" is not a DNS name: use lowercase letters, digits, '-' and '.', labels of 1-63 characters, 253 at most",
			    n->s);
		return -EINVAL;
	}
	s->external_name = xstrdup(n->s);
	return 0;
}

static int check_names(struct model_ctx *ctx, const struct obj_ref *obj,
		       const struct k8s_service *k)
{
	int ret = 0;

	/* Service names become DNS names and chain names: the API server
	 * requires an RFC 1035 label, which also keeps nft identifiers safe. */
	if (!is_dns1035_label(k->meta.name.s)) {
		model_error(ctx, obj, &k->meta.name.pos, "metadata.name",
			    "\"%s\" is not a valid Service name: use 1-63 lowercase letters, digits and '-', starting with a letter",
			    k->meta.name.s ? k->meta.name.s : "");
		ret = -EINVAL;
	}
	if (!is_dns1123_label(obj->ns)) {
		model_error(ctx, obj, &k->meta.namespace.pos, "metadata.namespace",
			    "\"%s\" is not a valid namespace: use 1-63 lowercase letters, digits and '-'",
			    obj->ns);
		ret = -EINVAL;
	}
	return ret;
}

int model_service_from_k8s(struct model_ctx *ctx, const struct k8s_service *k,
			   struct model_service *s)
{
	struct obj_ref obj = { "Service", k8s_meta_namespace(&k->meta),
			       k->meta.name.s };
	int ret = 0;

	memset(s, 0, sizeof(*s));
	s->ns = xstrdup(obj.ns);
	s->name = xstrdup(obj.name);
	s->pos = k->meta.pos;
	if (check_names(ctx, &obj, k) < 0)
		ret = -EINVAL;
	if (parse_type(ctx, &obj, &k->type, &s->type) < 0)
		return -EINVAL;	/* nothing else can be judged without it */
	if (parse_addresses(ctx, &obj, k, s) < 0)
		ret = -EINVAL;
	if (s->type == SERVICE_EXTERNAL_NAME)
		return parse_external_name(ctx, &obj, k, s) < 0 ? -EINVAL : ret;
	if (model_parse_ports(ctx, &obj, k, s) < 0)
		ret = -EINVAL;
	if (model_parse_policies(ctx, k, s) < 0)
		ret = -EINVAL;
	return ret;
}

void model_service_free(struct model_service *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nports; i++) {
		struct model_port *p = &s->ports[i];

		for (size_t j = 0; j < p->nendpoints; j++)
			model_endpoint_clear(&p->endpoints[j]);
		free(p->endpoints);
		free(p->name);
		free(p->target_port_name);
	}
	free(s->ports);
	free(s->external_ips);
	free(s->lb_ips);
	free(s->external_name);
	free(s->source_ranges);
	free(s->ns);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

static int parse_policy(struct model_ctx *ctx, const struct obj_ref *obj,
			const char *field, const struct k8s_str *v, bool *local)
{
	*local = false;
	if (!v->s || !strcmp(v->s, "Cluster"))
		return 0;
	if (!strcmp(v->s, "Local")) {
		*local = true;
		return 0;
	}
	model_error(ctx, obj, &v->pos, field,
		    "unknown policy \"%s\": valid policies are Cluster and Local", v->s);
	return -EINVAL;
}

static int parse_affinity(struct model_ctx *ctx, const struct obj_ref *obj,
			  const struct k8s_service *k, struct model_service *s)
{
	const struct k8s_int *t = &k->affinity_timeout;

	if (k->session_affinity.s && strcmp(k->session_affinity.s, "None") &&
	    strcmp(k->session_affinity.s, "ClientIP")) {
		model_error(ctx, obj, &k->session_affinity.pos, "spec.sessionAffinity",
			    "unknown value \"%s\": valid values are None and ClientIP",
			    k->session_affinity.s);
		return -EINVAL;
	}
	s->affinity = k->session_affinity.s && !strcmp(k->session_affinity.s, "ClientIP");
	s->affinity_timeout = AFFINITY_TIMEOUT_DEFAULT;
	if (!t->set)
		return 0;
	if (t->v < 1 || t->v > AFFINITY_TIMEOUT_MAX) {
		model_error(ctx, obj, &t->pos,
			    "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
			    "\"%lld\" is out of range: valid timeouts are 1-%d seconds",
			    t->v, AFFINITY_TIMEOUT_MAX);
		return -EINVAL;
	}
	s->affinity_timeout = t->v;
	return 0;
}

static int parse_source_ranges(struct model_ctx *ctx, const struct obj_ref *obj,
			       const struct k8s_service *k, struct model_service *s)
{
	const struct k8s_strv *r = &k->load_balancer_source_ranges;
	char field[64];
	int ret = 0;

	if (!r->n)
		return 0;
	s->source_ranges = xcalloc(r->n, sizeof(*s->source_ranges));
	for (size_t i = 0; i < r->n; i++) {
		struct ip_prefix *p = &s->source_ranges[s->nsource_ranges];

		snprintf(field, sizeof(field), "spec.loadBalancerSourceRanges[%zu]", i);
		if (ip_prefix_parse(p, r->v[i].s) < 0) {
			model_error(ctx, obj, &r->v[i].pos, field,
				    "\"%s\" is not a CIDR with host bits zero: write a prefix such as 203.0.113.0/24",
				    r->v[i].s);
			ret = -EINVAL;
			continue;
		}
		s->nsource_ranges++;
	}
	return ret;
}

/* Traffic policies, affinity and source ranges: what kube-proxy does beyond
 * plain load balancing. */
int model_parse_policies(struct model_ctx *ctx, const struct k8s_service *k,
			 struct model_service *s)
{
	struct obj_ref obj = { "Service", s->ns, s->name };
	int ret = 0;

	if (parse_policy(ctx, &obj, "spec.externalTrafficPolicy",
			 &k->external_traffic_policy, &s->external_local) < 0 ||
	    parse_policy(ctx, &obj, "spec.internalTrafficPolicy",
			 &k->internal_traffic_policy, &s->internal_local) < 0)
		ret = -EINVAL;
	if (parse_affinity(ctx, &obj, k, s) < 0)
		ret = -EINVAL;
	if (s->type == SERVICE_LOAD_BALANCER && parse_source_ranges(ctx, &obj, k, s) < 0)
		ret = -EINVAL;
	return ret;
}
