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

static size_t addr_len(const struct ip_addr *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

/* Append every valid address in list to *v (skipping duplicates, found in
 * a set of the addresses kept: a list may be long). */
static int parse_ip_list(struct model_ctx *ctx, const struct obj_ref *obj,
			 const char *field, const struct k8s_strv *list,
			 struct ip_addr **v, size_t *n)
{
	struct keyset seen = { 0 };
	char path[96];
	int ret = 0;

	if (!list->n)
		return 0;
	/* room for all at once: seen points into *v, which must not move */
	*v = xrealloc(*v, (*n + list->n) * sizeof(**v));
	for (size_t j = 0; j < *n; j++)
		keyset_add(&seen, (*v)[j].addr, addr_len(&(*v)[j]));
	for (size_t i = 0; i < list->n; i++) {
		struct ip_addr a;

		snprintf(path, sizeof(path), "%s[%zu]", field, i);
		if (parse_ip(ctx, obj, path, &list->v[i], &a) < 0) {
			ret = -EINVAL;
			continue;
		}
		if (keyset_has(&seen, a.addr, addr_len(&a)))
			continue;
		(*v)[*n] = a;
		keyset_add(&seen, (*v)[*n].addr, addr_len(&a));
		(*n)++;
	}
	keyset_free(&seen);
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

/* Addresses of a family the Service does not have are not its: kube-proxy's
 * proxier of that family ignores the Service. An IPv6 ingress or externalIP
 * on an IPv4-only Service must not create an ip6 table. */
static void drop_other_family(struct model_ctx *ctx, const struct obj_ref *obj,
			      const struct src_pos *pos, const char *field,
			      const struct model_service *s, struct ip_addr *v, size_t *n)
{
	char buf[IP_ADDR_STRLEN];
	size_t out = 0;

	for (size_t i = 0; i < *n; i++) {
		int family = v[i].family;

		if (s->headless || (family == AF_INET && s->want_ipv4) ||
		    (family == AF_INET6 && s->want_ipv6)) {
			v[out++] = v[i];
			continue;
		}
		model_note(ctx, obj, pos, field,
			   "\"%s\" ignored: the Service has no %s ClusterIP (spec.ipFamilies)",
			   ip_addr_str(&v[i], buf, sizeof(buf)),
			   family == AF_INET ? "IPv4" : "IPv6");
	}
	*n = out;
}

/* spec.loadBalancerIP asks the load balancer for an address; only the
 * ones it reports in status.loadBalancer.ingress are programmed, as
 * kube-proxy does: a public address the load balancer never got must not
 * be captured on the node. */
static int check_load_balancer_ip(struct model_ctx *ctx, const struct obj_ref *obj,
				  const struct k8s_service *k,
				  const struct model_service *s)
{
	const struct k8s_str *ip = &k->load_balancer_ip;
	struct ip_addr a;

	if (!ip->s || !*ip->s)
		return 0;
	if (parse_ip(ctx, obj, "spec.loadBalancerIP", ip, &a) < 0)
		return -EINVAL;
	for (size_t i = 0; i < s->nlb_ips; i++)
		if (!ip_addr_cmp(&s->lb_ips[i], &a))
			return 0;
	model_note(ctx, obj, &ip->pos, "spec.loadBalancerIP",
		   "\"%s\" not programmed: it is a request to the load balancer; only the addresses in status.loadBalancer.ingress are",
		   ip->s);
	return 0;
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
	drop_other_family(ctx, obj, &k->external_ips.pos, "spec.externalIPs", s,
			  s->external_ips, &s->nexternal_ips);
	if (s->type != SERVICE_LOAD_BALANCER)
		return ret;
	if (parse_ip_list(ctx, obj, "status.loadBalancer.ingress", &k->lb_ingress_ips,
			  &s->lb_ips, &s->nlb_ips) < 0 || check_lb_ingress(ctx, obj, k) < 0)
		ret = -EINVAL;
	drop_other_family(ctx, obj, &k->lb_ingress_ips.pos, "status.loadBalancer.ingress", s,
			  s->lb_ips, &s->nlb_ips);
	if (check_load_balancer_ip(ctx, obj, k, s) < 0)
		ret = -EINVAL;
	return ret;
}

const struct src_pos *model_spec_pos(const struct k8s_service *k)
{
	return k->spec_pos.line ? &k->spec_pos : &k->meta.pos;
}

static int parse_external_name(struct model_ctx *ctx, const struct obj_ref *obj,
			       const struct k8s_service *k,
			       struct model_service *s)
{
	const struct k8s_str *n = &k->external_name;

	if (!n->s || !*n->s) {
		model_error(ctx, obj, n->s ? &n->pos : model_spec_pos(k), "spec.externalName",
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
	/* a headless Service may have no ports (DNS records for a
	 * StatefulSet's Pods); there is nothing to program either way */
	if (!(s->headless && k->nports == 0) && model_parse_ports(ctx, &obj, k, s) < 0)
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

/* Without --node-name no endpoint is local, so a Local policy leaves the
 * traffic it governs no endpoint at all: dropped, as kube-proxy drops it
 * on a node without local endpoints. Valid, but rarely what was meant. */
static void warn_local_without_node(struct model_ctx *ctx, const struct obj_ref *obj,
				    const struct k8s_service *k,
				    const struct model_service *s)
{
	bool external = s->type == SERVICE_NODE_PORT || s->type == SERVICE_LOAD_BALANCER ||
			s->nexternal_ips;

	if (ctx->opts->node_name)
		return;
	if (s->external_local && external)
		model_warning(ctx, obj, &k->external_traffic_policy.pos,
			      "spec.externalTrafficPolicy",
			      "Local without --node-name: no endpoint is local, so external traffic to this Service is dropped; give --node-name");
	if (s->internal_local)
		model_warning(ctx, obj, &k->internal_traffic_policy.pos,
			      "spec.internalTrafficPolicy",
			      "Local without --node-name: no endpoint is local, so traffic from pods to the ClusterIP is dropped; give --node-name");
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

/* One source range as the API server and kube-proxy read it: surrounding
 * spaces trimmed, host bits masked (203.0.113.7/24 is 203.0.113.0/24). */
static int parse_source_range(struct model_ctx *ctx, const struct obj_ref *obj,
			      const char *field, const char *text,
			      const struct src_pos *pos, struct ip_prefix *out)
{
	size_t len;
	char *t;
	int ret;

	text += strspn(text, " \t");
	len = strlen(text);
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	t = xstrndup(text, len);
	ret = ip_prefix_parse_masked(out, t);
	if (ret < 0)
		model_error(ctx, obj, pos, field,
			    "\"%s\" is not a CIDR: write a prefix such as 203.0.113.0/24 or 2001:db8::/64",
			    t);
	free(t);
	return ret;
}

/* Without spec.loadBalancerSourceRanges, the annotation's comma-separated
 * list applies, as the API server and kube-proxy read it. */
static int parse_source_ranges_annotation(struct model_ctx *ctx,
					  const struct obj_ref *obj,
					  const struct k8s_str *a,
					  struct model_service *s)
{
	char *copy, *save = NULL;
	int ret = 0;

	if (!a->s || !a->s[strspn(a->s, " \t")])
		return 0;
	copy = xstrdup(a->s);
	s->source_ranges = xcalloc(strlen(copy) / 2 + 1, sizeof(*s->source_ranges));
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct ip_prefix p;

		if (parse_source_range(ctx, obj, "metadata.annotations[" LB_SOURCE_RANGES_ANNOTATION "]",
				       tok, &a->pos, &p) < 0)
			ret = -EINVAL;
		else
			s->source_ranges[s->nsource_ranges++] = p;
	}
	free(copy);
	return ret;
}

static int parse_source_ranges(struct model_ctx *ctx, const struct obj_ref *obj,
			       const struct k8s_service *k, struct model_service *s)
{
	const struct k8s_strv *r = &k->load_balancer_source_ranges;
	char field[64];
	int ret = 0;

	if (!r->n)
		return parse_source_ranges_annotation(ctx, obj,
						      &k->source_ranges_annotation, s);
	s->source_ranges = xcalloc(r->n, sizeof(*s->source_ranges));
	for (size_t i = 0; i < r->n; i++) {
		struct ip_prefix p;

		snprintf(field, sizeof(field), "spec.loadBalancerSourceRanges[%zu]", i);
		if (parse_source_range(ctx, obj, field, r->v[i].s ? r->v[i].s : "",
				       &r->v[i].pos, &p) < 0)
			ret = -EINVAL;
		else
			s->source_ranges[s->nsource_ranges++] = p;
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
	warn_local_without_node(ctx, &obj, k, s);
	if (parse_affinity(ctx, &obj, k, s) < 0)
		ret = -EINVAL;
	if (s->type == SERVICE_LOAD_BALANCER && parse_source_ranges(ctx, &obj, k, s) < 0)
		ret = -EINVAL;
	return ret;
}
