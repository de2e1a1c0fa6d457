/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_MODEL_FIXTURE_H
#define SVCNFT_MODEL_FIXTURE_H

/* Manifests given as YAML text, read and built into a model, with what the
 * unit tests ask of the result. Header-only, as unit.h. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "unit.h"

struct built {
	struct manifest_set set;
	struct model m;
	struct diag_list dl;
	int ret;
};

static inline void build_with(struct built *b, const char *yaml,
			      const struct model_options *o)
{
	memset(b, 0, sizeof(*b));
	ck_assert_int_eq(manifest_read_buffer(&b->set, "test.yaml", yaml,
					      strlen(yaml), &b->dl), 0);
	b->ret = model_build(&b->m, &b->set, o, &b->dl);
}

static inline void build(struct built *b, const char *yaml)
{
	struct model_options o;

	model_options_default(&o);
	build_with(b, yaml, &o);
}

static inline void built_free(struct built *b)
{
	model_free(&b->m);
	manifest_set_free(&b->set);
	diag_list_free(&b->dl);
}

static inline const struct model_service *find(const struct built *b, const char *ns,
					       const char *name)
{
	for (size_t i = 0; i < b->m.nservices; i++)
		if (!strcmp(b->m.services[i].ns, ns) && !strcmp(b->m.services[i].name, name))
			return &b->m.services[i];
	ck_abort_msg("service %s/%s not in the model", ns, name);
	return NULL;
}

/* A port's endpoints, "ADDR:PORT ADDR:PORT ...", in the model's order. */
static inline const char *endpoints_str(const struct model_port *p, char *buf,
					size_t len)
{
	char a[IP_ADDR_STRLEN];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->nendpoints && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s:%u", i ? " " : "",
				 ip_addr_str(&p->endpoints[i].addr, a, sizeof(a)),
				 p->endpoints[i].port);
	return buf;
}

/* Addresses or prefixes, "A B ...": one comparison asserts how many
 * there are and each of them, in the model's order. */
static inline const char *addrs_str(const struct ip_addr *v, size_t n, char *buf,
				    size_t len)
{
	char a[IP_ADDR_STRLEN];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? " " : "",
				 ip_addr_str(&v[i], a, sizeof(a)));
	return buf;
}

static inline const char *prefixes_str(const struct ip_prefix *v, size_t n,
				       char *buf, size_t len)
{
	char a[IP_ADDR_STRLEN];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s/%u", i ? " " : "",
				 ip_addr_str(&v[i].addr, a, sizeof(a)), v[i].len);
	return buf;
}

/* Every diagnostic formatted, one per line, for substring assertions. */
static inline char *all_diags(struct built *b)
{
	static char out[8192];

	out[0] = '\0';
	for (size_t i = 0; i < b->dl.n; i++) {
		char *s = diag_format(&b->dl.v[i]);

		strncat(out, s, sizeof(out) - strlen(out) - 2);
		strcat(out, "\n");
		free(s);
	}
	return out;
}

static inline void expect_in(const char *diags, const char *needle)
{
	ck_assert_msg(strstr(diags, needle), "expected \"%s\" in:\n%s", needle, diags);
}

static inline void expect_error(const char *yaml, const char *needle)
{
	struct built b;

	build(&b, yaml);
	ck_assert_int_ne(b.ret, 0);
	expect_in(all_diags(&b), needle);
	built_free(&b);
}

#endif
