// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Duplicate objects, and the addresses and ports svcnft assigns itself.
 *
 * The manifests are the only state svcnft has, so an assignment must be a
 * function of the Service alone: the candidate is a hash of the Service's
 * namespace/name (and port), taken from --service-cidr or the node port
 * range. Explicit values are placed first; a Service whose candidate is
 * taken tries the next hash (attempt 1, 2, ...). Adding or removing other
 * Services therefore moves nothing, except when two assigned Services
 * collide: then the one that sorts first by namespace/name keeps the
 * candidate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model_internal.h"

/* seen: "ns/name" -> the objects' indexes, kept by the caller that
 * looks objects up by name later. */
static int report_duplicates(struct model_ctx *ctx, const char *kind,
			     const struct k8s_meta *(*meta_at)(const struct manifest_set *, size_t),
			     size_t n, struct strmap *seen)
{
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		const struct k8s_meta *m = meta_at(ctx->set, i);
		char *key = xasprintf("%s/%s", k8s_meta_namespace(m), m->name.s);
		const struct strmap_entry *e = strmap_get(seen, key);

		if (e) {
			const struct k8s_meta *first = meta_at(ctx->set, e->vals[0]);
			struct obj_ref obj = { kind, k8s_meta_namespace(m), m->name.s };

			model_error(ctx, &obj, &m->name.pos, "metadata.name",
				    "\"%s\" is defined twice in namespace \"%s\", first at %s:%u: each %s namespace/name may appear once",
				    m->name.s, obj.ns, first->pos.file, first->pos.line, kind);
			ret = -EINVAL;
		}
		strmap_add(seen, key, i);
		free(key);
	}
	return ret;
}

static const struct k8s_meta *svc_meta(const struct manifest_set *s, size_t i)
{
	return &s->services[i].meta;
}

static const struct k8s_meta *pod_meta(const struct manifest_set *s, size_t i)
{
	return &s->pods[i].meta;
}

static const struct k8s_meta *ep_meta(const struct manifest_set *s, size_t i)
{
	return &s->endpoints[i].meta;
}

static const struct k8s_meta *slice_meta(const struct manifest_set *s, size_t i)
{
	return &s->slices[i].meta;
}

int model_check_duplicates(struct model_ctx *ctx)
{
	const struct manifest_set *s = ctx->set;
	struct strmap pods = { 0 }, slices = { 0 };
	int ret = 0;

	ret |= report_duplicates(ctx, "Service", svc_meta, s->nservices,
				 &ctx->services_by_name);
	ret |= report_duplicates(ctx, "Pod", pod_meta, s->npods, &pods);
	ret |= report_duplicates(ctx, "Endpoints", ep_meta, s->nendpoints,
				 &ctx->endpoints_by_name);
	ret |= report_duplicates(ctx, "EndpointSlice", slice_meta, s->nslices, &slices);
	strmap_free(&pods);
	strmap_free(&slices);
	return ret ? -EINVAL : 0;
}

static bool has_cluster_ip(const struct model_service *s)
{
	return s->type != SERVICE_EXTERNAL_NAME && !s->headless;
}

/* A Service's ClusterIP of one family, and the manifest value it came from. */
static struct ip_addr *cluster_slot(struct model_service *s, int family)
{
	return family == AF_INET ? &s->cluster_ip : &s->cluster_ip6;
}

/* A 64-bit key for an address: IPv4 as is, IPv6 hashed (the allocation
 * only needs to know which candidates are taken). */
static uint64_t addr_key(const struct ip_addr *a)
{
	uint32_t v;

	if (a->family == AF_INET6)
		return hash_keyed(a->addr, 16) | 1ULL << 63;
	memcpy(&v, a->addr, 4);
	return ntohl(v);
}

/*
 * Where assigned ClusterIPs of one family come from: the candidates are
 * offsets first .. first + usable - 1 into --service-cidr (its network and
 * broadcast addresses left out), and used counts those taken, so that a
 * full range is known at once instead of after trying every candidate.
 * Ranges of 2^63 addresses and more are never full: nothing is counted.
 */
struct ip_pool {
	const struct ip_prefix *cidr;
	unsigned host;		/* host bits */
	uint64_t first, usable, used;
};

enum { ASSIGN_TRIES = 64 };	/* hashed candidates before a scan */

static void ip_pool_init(struct ip_pool *p, const struct ip_prefix *cidr, int family)
{
	uint64_t size;

	p->cidr = cidr;
	p->host = (family == AF_INET ? 32 : 128) - cidr->len;
	size = p->host >= 63 ? 1ULL << 62 : 1ULL << p->host;
	p->first = size > 2 ? 1 : 0;
	p->usable = size > 2 ? size - 2 : size;
	p->used = 0;
}

/* Whether a is one of the pool's candidates (counted ranges only). */
static bool ip_pool_holds(const struct ip_pool *p, const struct ip_addr *a)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;
	uint64_t off = 0;

	if (p->host >= 63 || !ip_prefix_contains(p->cidr, a))
		return false;
	for (size_t i = n > 8 ? n - 8 : 0; i < n; i++)
		off = off << 8 | a->addr[i];
	off &= (1ULL << p->host) - 1;
	return off >= p->first && off - p->first < p->usable;
}

static bool ip_pool_full(const struct ip_pool *p)
{
	return p->host < 63 && p->used >= p->usable;
}

/* Explicit ClusterIPs first: two Services may not share one. */
static int claim_explicit_ips(struct model_ctx *ctx, struct u64set *taken,
			      struct ip_pool *pools, struct strmap *owner,
			      const struct k8s_service *const *src)
{
	int ret = 0;
	char buf[IP_ADDR_STRLEN];

	for (size_t i = 0; i < ctx->m->nservices; i++) {
		struct model_service *s = &ctx->m->services[i];

		for (int f = 0; f < 2 && has_cluster_ip(s); f++) {
			struct ip_addr *ip = cluster_slot(s, f ? AF_INET6 : AF_INET);
			const struct strmap_entry *prev;

			if (!ip->family)
				continue;
			ip_addr_str(ip, buf, sizeof(buf));
			prev = strmap_get(owner, buf);
			if (prev) {
				const struct model_service *o = &ctx->m->services[prev->vals[0]];
				struct obj_ref obj = { "Service", s->ns, s->name };

				model_error(ctx, &obj, &src[i]->cluster_ip.pos, "spec.clusterIP",
					    "\"%s\" is already the clusterIP of Service %s/%s (%s:%u): each ClusterIP belongs to one Service",
					    buf, o->ns, o->name, o->pos.file, o->pos.line);
				ret = -EINVAL;
				continue;
			}
			strmap_add(owner, buf, i);
			if (u64set_add(taken, addr_key(ip)) && ip_pool_holds(&pools[f], ip))
				pools[f].used++;
		}
	}
	return ret;
}

/* The address at offset off into prefix p: the prefix's host bits are
 * zero and off fits in them, so the offset's bytes are simply or-ed in. */
static void prefix_offset(struct ip_addr *out, const struct ip_prefix *p, uint64_t off)
{
	size_t n = p->addr.family == AF_INET6 ? 16 : 4;

	*out = p->addr;
	for (size_t i = n; i-- > 0 && off; off >>= 8)
		out->addr[i] |= off & 0xff;
}

/* Take the candidate at offset off into the pool, if it is free. */
static bool take_ip(struct ip_pool *pool, struct u64set *taken, uint64_t off,
		    struct ip_addr *out)
{
	prefix_offset(out, pool->cidr, pool->first + off % pool->usable);
	if (!u64set_add(taken, addr_key(out)))
		return false;
	pool->used++;
	return true;
}

/* The hashed candidates first (see README, "Assigned ClusterIPs"), then
 * the next free one after the last of them: the pool says one is left. */
static int assign_ip(struct model_service *s, int family,
		     struct u64set *taken, struct ip_pool *pool)
{
	char *key = xasprintf("%s/%s", s->ns, s->name);
	bool found = false;
	struct ip_addr a;
	uint64_t h = 0;

	if (pool->cidr->addr.family != family || ip_pool_full(pool))
		goto out;
	for (uint64_t attempt = 0; attempt < ASSIGN_TRIES && !found; attempt++) {
		h = hash_fnv1a(key, strlen(key), attempt) % pool->usable;
		found = take_ip(pool, taken, h, &a);
	}
	for (uint64_t step = 1; step < pool->usable && !found; step++)
		found = take_ip(pool, taken, (h + step) % pool->usable, &a);
	if (!found)
		goto out;
	*cluster_slot(s, family) = a;
	if (family == AF_INET)
		s->cluster_ip_assigned = true;
	else
		s->cluster_ip6_assigned = true;
out:
	free(key);
	return found ? 0 : -ENOSPC;
}

static void no_room(struct model_ctx *ctx, const struct model_service *s, int family)
{
	struct obj_ref obj = { "Service", s->ns, s->name };
	const struct ip_prefix *cidr = family == AF_INET ? &ctx->opts->service_cidr :
				       &ctx->opts->service_cidr6;
	char buf[IP_ADDR_STRLEN];

	if (!cidr->addr.family)
		model_error(ctx, &obj, &s->pos, "spec.clusterIPs",
			    "the Service asks for an IPv6 ClusterIP and none is given: give one in clusterIPs, or an IPv6 range with --service-cidr V4CIDR,V6CIDR");
	else
		model_error(ctx, &obj, &s->pos, "spec.clusterIP",
			    "no free address left in --service-cidr %s/%u: give a larger range or set clusterIP",
			    ip_addr_str(&cidr->addr, buf, sizeof(buf)), cidr->len);
}

int model_assign_cluster_ips(struct model_ctx *ctx,
			     const struct k8s_service *const *src)
{
	struct u64set taken = { 0 };
	struct strmap owner = { 0 };
	struct ip_pool pools[2];
	int ret;

	ip_pool_init(&pools[0], &ctx->opts->service_cidr, AF_INET);
	ip_pool_init(&pools[1], &ctx->opts->service_cidr6, AF_INET6);
	ret = claim_explicit_ips(ctx, &taken, pools, &owner, src);

	for (size_t i = 0; i < ctx->m->nservices; i++) {
		struct model_service *s = &ctx->m->services[i];

		for (int f = 0; f < 2 && has_cluster_ip(s); f++) {
			int family = f ? AF_INET6 : AF_INET;

			if ((family == AF_INET ? !s->want_ipv4 : !s->want_ipv6) ||
			    cluster_slot(s, family)->family)
				continue;
			if (assign_ip(s, family, &taken, &pools[f]) < 0) {
				no_room(ctx, s, family);
				ret = -EINVAL;
			}
		}
	}
	u64set_free(&taken);
	strmap_free(&owner);
	return ret;
}

static bool has_node_ports(const struct model_service *s)
{
	return s->type == SERVICE_NODE_PORT || s->type == SERVICE_LOAD_BALANCER;
}

/* Explicit node ports: two Services may not claim one port and protocol. */
static int claim_explicit_ports(struct model_ctx *ctx, struct u64set *numbers,
				struct strmap *owner,
				const struct k8s_service *const *src)
{
	int ret = 0;
	char key[32], field[64];

	for (size_t i = 0; i < ctx->m->nservices; i++) {
		struct model_service *s = &ctx->m->services[i];

		for (size_t j = 0; has_node_ports(s) && j < s->nports; j++) {
			struct model_port *p = &s->ports[j];
			const struct strmap_entry *prev;

			if (!p->node_port)
				continue;
			snprintf(key, sizeof(key), "%u/%u", p->protocol, p->node_port);
			prev = strmap_get(owner, key);
			if (prev && prev->vals[0] != i) {
				const struct model_service *o = &ctx->m->services[prev->vals[0]];
				struct obj_ref obj = { "Service", s->ns, s->name };

				snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", j);
				model_error(ctx, &obj, &src[i]->ports[j].node_port.pos, field,
					    "\"%u\" (%s) is already the nodePort of Service %s/%s (%s:%u): each node port and protocol belongs to one Service",
					    p->node_port, protocol_name(p->protocol), o->ns,
					    o->name, o->pos.file, o->pos.line);
				ret = -EINVAL;
				continue;
			}
			strmap_add(owner, key, i);
			u64set_add(numbers, p->node_port);
		}
	}
	return ret;
}

/* As assign_ip: hashed candidates, then the next free port after the last
 * of them. numbers holds only ports of the range (explicit ones outside it
 * are refused), so it says at once when none is left. */
int model_pick_node_port(struct model_ctx *ctx, const char *key,
			 struct u64set *numbers, uint16_t *out)
{
	unsigned first = ctx->opts->node_port_first;
	unsigned size = ctx->opts->node_port_last - first + 1;
	uint64_t off = 0;
	bool found = false;

	if (numbers->n >= size)
		return -ENOSPC;
	for (uint64_t attempt = 0; attempt < ASSIGN_TRIES && !found; attempt++) {
		off = hash_fnv1a(key, strlen(key), attempt) % size;
		found = u64set_add(numbers, first + off);
	}
	for (unsigned step = 1; step < size && !found; step++) {
		off = (off + 1) % size;
		found = u64set_add(numbers, first + off);
	}
	if (!found)
		return -ENOSPC;
	*out = (uint16_t)(first + off);
	return 0;
}

static int assign_port(struct model_ctx *ctx, const struct model_service *s,
		       struct model_port *p, struct u64set *numbers)
{
	char *key = xasprintf("%s/%s/%s/%u", s->ns, s->name,
			      protocol_name(p->protocol), p->port);
	int ret = model_pick_node_port(ctx, key, numbers, &p->node_port);

	p->node_port_assigned = ret == 0;
	free(key);
	return ret;
}

int model_assign_node_ports(struct model_ctx *ctx,
			    const struct k8s_service *const *src)
{
	struct u64set numbers = { 0 };
	struct strmap owner = { 0 };
	int ret = claim_explicit_ports(ctx, &numbers, &owner, src);
	char field[64];

	/* healthCheckNodePorts share the range: explicit ones are taken
	 * first, missing ones assigned after every node port. */
	if (model_claim_health_check_ports(ctx, &numbers, src) < 0)
		ret = -EINVAL;

	for (size_t i = 0; i < ctx->m->nservices; i++) {
		struct model_service *s = &ctx->m->services[i];
		struct obj_ref obj = { "Service", s->ns, s->name };

		for (size_t j = 0; has_node_ports(s) && j < s->nports; j++) {
			if (s->ports[j].node_port || s->no_lb_node_ports)
				continue;
			if (assign_port(ctx, s, &s->ports[j], &numbers) < 0) {
				snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", j);
				model_error(ctx, &obj, &src[i]->ports[j].pos, field,
					    "no free node port left in %u-%u: widen --nodeport-range or remove NodePort Services",
					    ctx->opts->node_port_first, ctx->opts->node_port_last);
				ret = -EINVAL;
			}
		}
	}
	if (model_assign_health_check_ports(ctx, &numbers, src) < 0)
		ret = -EINVAL;
	u64set_free(&numbers);
	strmap_free(&owner);
	return ret;
}

/* owner maps "addr/proto/port" to the Service's index << 1 | whether the
 * address is its ClusterIP. */
static void claim_address(struct model_ctx *ctx, struct strmap *owner, size_t i,
			  const struct ip_addr *a, const struct model_port *p,
			  const char *field, bool cluster)
{
	const struct model_service *s = &ctx->m->services[i];
	char buf[IP_ADDR_STRLEN], *key;
	const struct strmap_entry *prev;

	ip_addr_str(a, buf, sizeof(buf));
	key = xasprintf("%s/%u/%u", buf, p->protocol, p->port);
	prev = strmap_get(owner, key);
	if (!prev) {
		strmap_add(owner, key, i << 1 | cluster);
	} else if (prev->vals[0] >> 1 != i && !(cluster && (prev->vals[0] & 1))) {
		/* two ClusterIPs that clash were reported when they were
		 * claimed (claim_explicit_ips): not again here */
		const struct model_service *o = &ctx->m->services[prev->vals[0] >> 1];
		struct obj_ref obj = { "Service", s->ns, s->name };

		model_error(ctx, &obj, &s->pos, field,
			    "\"%s\" port %u/%s is already served by Service %s/%s (%s:%u): an address and port may lead to one Service only",
			    buf, p->port, protocol_name(p->protocol), o->ns, o->name,
			    o->pos.file, o->pos.line);
	}
	free(key);
}

/* A ClusterIP, externalIP or load balancer IP with a port can lead to one
 * Service only: the dispatch map holds one verdict per address and port. */
int model_check_address_conflicts(struct model_ctx *ctx)
{
	struct strmap owner = { 0 };
	size_t errors = ctx->diags->nerrors;

	for (size_t i = 0; i < ctx->m->nservices; i++) {
		const struct model_service *s = &ctx->m->services[i];

		if (!has_cluster_ip(s))
			continue;
		for (size_t j = 0; j < s->nports; j++) {
			const struct model_port *p = &s->ports[j];

			if (s->cluster_ip.family)
				claim_address(ctx, &owner, i, &s->cluster_ip, p, "spec.clusterIP", true);
			if (s->cluster_ip6.family)
				claim_address(ctx, &owner, i, &s->cluster_ip6, p, "spec.clusterIPs", true);
			for (size_t k = 0; k < s->nexternal_ips; k++)
				claim_address(ctx, &owner, i, &s->external_ips[k], p,
					      "spec.externalIPs", false);
			for (size_t k = 0; k < s->nlb_ips; k++)
				claim_address(ctx, &owner, i, &s->lb_ips[k], p,
					      "status.loadBalancer.ingress", false);
		}
	}
	strmap_free(&owner);
	return ctx->diags->nerrors > errors ? -EINVAL : 0;
}
