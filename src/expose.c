// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft expose: a Service for a Pod or a Service, as kubectl expose makes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "expose.h"
#include "util.h"

static bool in_namespace(const struct k8s_meta *m, const char *name, const char *ns)
{
	return m->name.s && !strcmp(m->name.s, name) &&
	       !strcmp(k8s_meta_namespace(m), ns);
}

static const struct k8s_pod *find_pod(const struct manifest_set *set,
				      const char *name, const char *ns)
{
	for (size_t i = 0; i < set->npods; i++)
		if (in_namespace(&set->pods[i].meta, name, ns))
			return &set->pods[i];
	return NULL;
}

static const struct k8s_service *find_service(const struct manifest_set *set,
					      const char *name, const char *ns)
{
	for (size_t i = 0; i < set->nservices; i++)
		if (in_namespace(&set->services[i].meta, name, ns))
			return &set->services[i];
	return NULL;
}

static void copy_labels(const struct k8s_labels *from, struct expose_label **to,
			size_t *n)
{
	*to = xcalloc(from->n ? from->n : 1, sizeof(**to));
	for (size_t i = 0; i < from->n; i++) {
		(*to)[i].key = xstrdup(from->v[i].key.s);
		(*to)[i].value = xstrdup(from->v[i].value.s ? from->v[i].value.s : "");
	}
	*n = from->n;
}

static struct expose_port *add_port(struct expose_service *s, const char *name,
				    const char *protocol, long port)
{
	struct expose_port *p;

	grow_array(&s->ports, &s->cap_ports, s->nports + 1, sizeof(*s->ports));
	p = &s->ports[s->nports++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->protocol = xstrdup(protocol ? protocol : "TCP");
	p->port = port;
	p->target_port = xasprintf("%ld", port);
	return p;
}

/* --port: one port, unnamed as kubectl leaves a single port. */
static void port_from_request(struct expose_service *s, const struct expose_request *r)
{
	struct expose_port *p = add_port(s, NULL, r->protocol, r->port);

	if (r->target_port) {
		free(p->target_port);
		p->target_port = xstrdup(r->target_port);
	}
}

/* Every container port; several need names: the container's, or port-N. */
static void ports_from_pod(struct expose_service *s, const struct k8s_pod *pod,
			   const struct expose_request *r)
{
	for (size_t i = 0; i < pod->nports; i++) {
		const struct k8s_container_port *cp = &pod->ports[i];
		char *name = NULL;

		if (!cp->container_port.set)
			continue;
		if (pod->nports > 1)
			name = cp->name.s ? xstrdup(cp->name.s) : xasprintf("port-%zu", i + 1);
		add_port(s, name, r->protocol ? r->protocol : cp->protocol.s,
			 cp->container_port.v);
		free(name);
	}
}

/* A copy of each port; node ports are left out, as they would clash. */
static void ports_from_service(struct expose_service *s,
			       const struct k8s_service *svc,
			       const struct expose_request *r)
{
	for (size_t i = 0; i < svc->nports; i++) {
		const struct k8s_service_port *sp = &svc->ports[i];
		const struct k8s_int_or_str *tp = &sp->target_port;
		struct expose_port *p;

		if (!sp->port.set)
			continue;
		p = add_port(s, sp->name.s, r->protocol ? r->protocol : sp->protocol.s,
			     sp->port.v);
		if (tp->str.s || tp->num.set) {
			free(p->target_port);
			p->target_port = tp->str.s ? xstrdup(tp->str.s) :
				xasprintf("%lld", tp->num.v);
		}
	}
}

static int build_from_pod(struct expose_service *out, const struct manifest_set *set,
			  const struct expose_request *r, const char *ns)
{
	const struct k8s_pod *pod = find_pod(set, r->name, ns);

	if (!pod)
		return -ENOENT;
	if (!pod->meta.labels.n)
		return -ENODATA;
	copy_labels(&pod->meta.labels, &out->selector, &out->nselector);
	copy_labels(&pod->meta.labels, &out->labels, &out->nlabels);
	if (r->port)
		port_from_request(out, r);
	else
		ports_from_pod(out, pod, r);
	return 0;
}

static int build_from_service(struct expose_service *out,
			      const struct manifest_set *set,
			      const struct expose_request *r, const char *ns)
{
	const struct k8s_service *svc = find_service(set, r->name, ns);

	if (!svc)
		return -ENOENT;
	if (!svc->selector.n)
		return -ENODATA;
	copy_labels(&svc->selector, &out->selector, &out->nselector);
	copy_labels(&svc->meta.labels, &out->labels, &out->nlabels);
	if (r->port)
		port_from_request(out, r);
	else
		ports_from_service(out, svc, r);
	return 0;
}

int expose_build(struct expose_service *out, const struct manifest_set *set,
		 const struct expose_request *r)
{
	const char *ns = r->ns ? r->ns : "default";
	int ret;

	out->name = xstrdup(r->service_name ? r->service_name : r->name);
	out->ns = xstrdup(ns);
	out->type = xstrdup(r->type ? r->type : "ClusterIP");
	if (find_service(set, out->name, ns))
		return -EEXIST;
	ret = r->kind == EXPOSE_POD ? build_from_pod(out, set, r, ns) :
		build_from_service(out, set, r, ns);
	if (ret < 0)
		return ret;
	if (!out->nports)
		return -ENOMSG;
	/* without --port, the options about one port need exactly one */
	if ((r->node_port || r->target_port) && out->nports > 1)
		return -E2BIG;
	if (r->target_port && !r->port) {
		free(out->ports[0].target_port);
		out->ports[0].target_port = xstrdup(r->target_port);
	}
	out->ports[0].node_port = r->node_port;
	return 0;
}

static void labels_free(struct expose_label *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

void expose_service_free(struct expose_service *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->ns);
	free(s->type);
	labels_free(s->labels, s->nlabels);
	labels_free(s->selector, s->nselector);
	for (size_t i = 0; i < s->nports; i++) {
		free(s->ports[i].name);
		free(s->ports[i].protocol);
		free(s->ports[i].target_port);
	}
	free(s->ports);
	memset(s, 0, sizeof(*s));
}
