// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Values of a document's tree into the k8s_* structs, field by field as the
 * tables in manifest_kinds.c describe them. Keys no table names are ignored,
 * as kubectl output carries much svcnft has no use for. A value of the wrong
 * type is reported at its position with its field path.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"
#include "util.h"

static char *path_str(const struct fpath *p)
{
	char *up, *s;

	if (!p)
		return xstrdup("");
	up = path_str(p->up);
	if (!p->key)
		s = xasprintf("%s[%zu]", up, p->index);
	else if (strpbrk(p->key, "./"))	/* a label key: keep it one segment */
		s = xasprintf("%s[\"%s\"]", up, p->key);
	else
		s = xasprintf("%s%s%s", up, *up ? "." : "", p->key);
	free(up);
	return s;
}

void mdec_error(struct dec *d, const struct src_pos *pos,
		const struct fpath *path, const char *fmt, ...)
{
	char *field = path ? path_str(path) : NULL;
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d->diags, DIAG_ERROR, pos, d->kind, d->ns, d->name, field,
		  fmt, ap);
	va_end(ap);
	free(field);
	d->nerrors++;
}

struct mnode *mdec_kid(struct dec *d, const struct mnode *n, size_t i)
{
	return &d->t->nodes[d->t->kids[n->u.first + i]];
}

/* "the string \"80\"", "the number 80", "a mapping", ... */
char *mdec_found(const struct mnode *n)
{
	long long iv;
	int bv;
	bool range;
	char *shown, *s;

	if (n->kind != MN_SCALAR)
		return xstrdup(n->kind == MN_MAP ? "a mapping" : "a list");
	shown = mnode_shown(n);
	switch (mnode_resolve(n, &iv, &bv, &range)) {
	case SC_STR:
		s = xasprintf("the string \"%s\"", shown);
		break;
	case SC_BOOL:
		s = xasprintf("the boolean %s", shown);
		break;
	case SC_NULL:
		s = xstrdup("null");
		break;
	default:
		s = xasprintf("the number %s", shown);
		break;
	}
	free(shown);
	return s;
}

/* advice, if not NULL, is freed here. */
void mdec_type_error(struct dec *d, const struct mnode *v,
		     const struct fpath *path, const char *expected,
		     char *advice)
{
	struct src_pos pos = mnode_pos(d->t, v);
	char *what = mdec_found(v);

	mdec_error(d, &pos, path, "expected %s, found %s%s%s", expected, what,
		  advice ? "; " : "", advice ? advice : "");
	free(what);
	free(advice);
}

/* What to say about a scalar of the right text but the wrong kind. */
static char *advice_for(const struct mnode *v, enum scalar_type want)
{
	struct mnode as_plain = *v;
	long long iv;
	int bv;
	bool range;
	char *shown, *advice = NULL;

	if (v->kind != MN_SCALAR)
		return NULL;
	as_plain.flags |= MN_PLAIN;
	shown = mnode_shown(v);
	if (want == SC_STR)
		advice = xasprintf("quote it: \"%s\"", shown);
	else if (!(v->flags & MN_PLAIN) &&
		 mnode_resolve(&as_plain, &iv, &bv, &range) == want)
		advice = xasprintf("write %s without quotes", shown);
	free(shown);
	return advice;
}

void mdec_str(struct dec *d, struct mnode *v, const struct fpath *path,
	      struct k8s_str *out)
{
	enum scalar_type st = SC_STR;
	long long iv;
	int bv;
	bool range;

	if (v->kind == MN_SCALAR)
		st = mnode_resolve(v, &iv, &bv, &range);
	if (st == SC_NULL)
		return;
	if (v->kind != MN_SCALAR || st != SC_STR) {
		mdec_type_error(d, v, path, "a string", advice_for(v, SC_STR));
		return;
	}
	out->s = mnode_take_str(v);
	out->pos = mnode_pos(d->t, v);
}

/* 1: *iv holds an integer; 0: null; -1: reported. */
static int read_int(struct dec *d, struct mnode *v, const struct fpath *path,
		    long long *iv, const char *expected)
{
	enum scalar_type st = SC_STR;
	struct src_pos pos = mnode_pos(d->t, v);
	int bv;
	bool range = false;

	if (v->kind == MN_SCALAR)
		st = mnode_resolve(v, iv, &bv, &range);
	if (st == SC_NULL)
		return 0;
	if (st == SC_INT && range) {
		char *shown = mnode_shown(v);

		mdec_error(d, &pos, path, "integer %s is out of range", shown);
		free(shown);
		return -1;
	}
	if (st == SC_INT)
		return 1;
	mdec_type_error(d, v, path, expected, advice_for(v, SC_INT));
	return -1;
}

static void dec_int(struct dec *d, struct mnode *v, const struct fpath *path,
		    struct k8s_int *out)
{
	if (read_int(d, v, path, &out->v, "an integer") > 0) {
		out->set = true;
		out->pos = mnode_pos(d->t, v);
	}
}

/* intOrString: a plain number is a port number, a string a port name. */
static void dec_int_or_str(struct dec *d, struct mnode *v,
			   const struct fpath *path, struct k8s_int_or_str *out)
{
	long long iv;
	int bv;
	bool range;

	if (v->kind == MN_SCALAR && mnode_resolve(v, &iv, &bv, &range) == SC_STR) {
		mdec_str(d, v, path, &out->str);
		return;
	}
	if (read_int(d, v, path, &out->num.v,
		     "a port number or a port name") > 0) {
		out->num.set = true;
		out->num.pos = mnode_pos(d->t, v);
	}
}

static void dec_bool(struct dec *d, struct mnode *v, const struct fpath *path,
		     struct k8s_bool *out)
{
	enum scalar_type st = SC_STR;
	long long iv;
	int bv = -1;
	bool range;

	if (v->kind == MN_SCALAR)
		st = mnode_resolve(v, &iv, &bv, &range);
	if (st == SC_NULL)
		return;
	if (st != SC_BOOL) {
		mdec_type_error(d, v, path, "true or false", advice_for(v, SC_BOOL));
		return;
	}
	out->v = bv;
	out->pos = mnode_pos(d->t, v);
}

static void dec_strv(struct dec *d, struct mnode *v, const struct fpath *path,
		     struct k8s_strv *out)
{
	if (mnode_is_null(v))
		return;
	if (v->kind != MN_SEQ) {
		mdec_type_error(d, v, path, "a list of strings", NULL);
		return;
	}
	out->v = xcalloc(v->n, sizeof(*out->v));
	out->pos = mnode_pos(d->t, v);
	for (size_t i = 0; i < v->n; i++) {
		struct fpath ip = { path, NULL, i };
		struct k8s_str s = { 0 };

		mdec_str(d, mdec_kid(d, v, i), &ip, &s);
		if (s.s)	/* a null item is no address */
			out->v[out->n++] = s;
	}
}

bool mdec_is_merge_key(const struct mnode *key)
{
	return key->kind == MN_SCALAR && key->n == 2 && (key->flags & MN_PLAIN) &&
	       key->u.str && !strcmp(key->u.str, "<<");
}

/* Labels being decoded, and an index of their keys that merges (`<<`)
 * consult; made at the first merge, so plain mappings need none. */
struct labels_out {
	struct k8s_labels *l;
	size_t cap;
	struct keyset keys;	/* of the labels' own key strings */
	size_t nindexed;	/* of l->v, in keys */
};

static bool has_label(struct labels_out *out, const char *key)
{
	for (; out->nindexed < out->l->n; out->nindexed++) {
		const char *k = out->l->v[out->nindexed].key.s;

		keyset_add(&out->keys, k, strlen(k));
	}
	return keyset_has(&out->keys, key, strlen(key));
}

static void add_label(struct dec *d, struct mnode *key, struct mnode *val,
		      const struct fpath *path, struct labels_out *out)
{
	struct fpath vp = { path, key->u.str, 0 };
	struct k8s_label l = { { NULL, { 0 } }, { NULL, { 0 } } };

	mdec_str(d, val, &vp, &l.value);
	if (!l.value.s && mnode_is_null(val)) {	/* `app:` is app="" */
		l.value.s = xstrdup("");
		l.value.pos = mnode_pos(d->t, val);
	}
	if (!l.value.s)
		return;
	l.key.pos = mnode_pos(d->t, key);
	l.key.s = mnode_take_str(key);
	grow_array(&out->l->v, &out->cap, out->l->n + 1, sizeof(*out->l->v));
	out->l->v[out->l->n++] = l;
}

static void merge_labels(struct dec *d, struct mnode *src,
			 const struct fpath *path, struct labels_out *out);

/* Keys written in the mapping win over keys merged in with `<<`. */
static void add_labels(struct dec *d, struct mnode *map, const struct fpath *path,
		       struct labels_out *out, bool merged)
{
	for (uint32_t i = 0; i + 1 < map->n; i += 2) {
		struct mnode *key = mdec_kid(d, map, i);

		if (key->kind != MN_SCALAR || mdec_is_merge_key(key))
			continue;
		if (merged && has_label(out, key->u.str))
			continue;
		add_label(d, key, mdec_kid(d, map, i + 1), path, out);
	}
	for (uint32_t i = 0; i + 1 < map->n; i += 2)
		if (mdec_is_merge_key(mdec_kid(d, map, i)))
			merge_labels(d, mdec_kid(d, map, i + 1), path, out);
}

static void merge_labels(struct dec *d, struct mnode *src,
			 const struct fpath *path, struct labels_out *out)
{
	if (src->kind == MN_MAP) {
		add_labels(d, src, path, out, true);
		return;
	}
	for (uint32_t i = 0; src->kind == MN_SEQ && i < src->n; i++)
		if (mdec_kid(d, src, i)->kind == MN_MAP)
			add_labels(d, mdec_kid(d, src, i), path, out, true);
}

static void dec_labels(struct dec *d, struct mnode *v, const struct fpath *path,
		       struct k8s_labels *l)
{
	struct labels_out out = { .l = l };

	if (mnode_is_null(v))
		return;
	if (v->kind != MN_MAP) {
		mdec_type_error(d, v, path, "a mapping of labels (key: value)", NULL);
		return;
	}
	l->present = true;
	l->pos = mnode_pos(d->t, v);
	add_labels(d, v, path, &out, false);
	keyset_free(&out.keys);
}

static void dec_field(struct dec *d, const struct field *f, struct mnode *v,
		      const struct fpath *path, void *base);

static const struct field *find_field(const struct fields *fs,
				      const struct mnode *key, size_t *idx)
{
	const char *k = key->u.str;

	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].name[0] == k[0] && !strcmp(fs->v[i].name, k)) {
			*idx = i;
			return &fs->v[i];
		}
	return NULL;
}

static void merge_fields(struct dec *d, struct mnode *src,
			 const struct fpath *path, const struct fields *fs,
			 void *base, uint64_t *seen);

/*
 * The fields of fs found in map. seen has a bit for each field already read,
 * so that keys written in a mapping win over those merged in with `<<`, as
 * YAML merge keys (which kubectl accepts) say.
 */
void mdec_fields(struct dec *d, struct mnode *map, const struct fpath *path,
		 const struct fields *fs, void *base, uint64_t *seen)
{
	for (uint32_t i = 0; i + 1 < map->n; i += 2) {
		struct mnode *key = mdec_kid(d, map, i);
		const struct field *f;
		size_t idx;

		if (key->kind != MN_SCALAR || !(f = find_field(fs, key, &idx)) ||
		    (*seen & (UINT64_C(1) << idx)))
			continue;
		*seen |= UINT64_C(1) << idx;
		dec_field(d, f, mdec_kid(d, map, i + 1),
			  &(struct fpath){ path, f->name, 0 }, base);
	}
	for (uint32_t i = 0; i + 1 < map->n; i += 2)
		if (mdec_is_merge_key(mdec_kid(d, map, i)))
			merge_fields(d, mdec_kid(d, map, i + 1), path, fs, base, seen);
}

static void merge_fields(struct dec *d, struct mnode *src,
			 const struct fpath *path, const struct fields *fs,
			 void *base, uint64_t *seen)
{
	struct src_pos pos = mnode_pos(d->t, src);
	bool all_maps = src->kind == MN_SEQ;

	if (src->kind == MN_MAP) {
		mdec_fields(d, src, path, fs, base, seen);
		return;
	}
	for (uint32_t i = 0; all_maps && i < src->n; i++)
		all_maps = mdec_kid(d, src, i)->kind == MN_MAP;
	if (!all_maps) {
		mdec_error(d, &pos, path, "a merge key (<<) takes a mapping or a list of mappings");
		return;
	}
	for (uint32_t i = 0; i < src->n; i++)
		mdec_fields(d, mdec_kid(d, src, i), path, fs, base, seen);
}

/* k8s_bool fields start as -1 (absent), which a zeroed struct is not. */
void mdec_init_bools(const struct fields *fs, void *base)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct field *f = &fs->v[i];

		if (f->type == F_BOOL)
			((struct k8s_bool *)((char *)base + f->off))->v = -1;
		else if (f->type == F_OBJ)
			mdec_init_bools(f->sub, (char *)base + f->off);
	}
}

void mdec_obj(struct dec *d, struct mnode *v, const struct fpath *path,
	      const struct fields *fs, void *base)
{
	uint64_t seen = 0;

	if (mnode_is_null(v))
		return;
	if (v->kind != MN_MAP) {
		mdec_type_error(d, v, path, "a mapping", NULL);
		return;
	}
	if (fs->pos_off >= 0)
		*(struct src_pos *)((char *)base + fs->pos_off) = mnode_pos(d->t, v);
	mdec_fields(d, v, path, fs, base, &seen);
}

/* A list of objects: one allocation, as the length is known. */
void mdec_list(struct dec *d, const struct field *f, struct mnode *v,
	       const struct fpath *path, void *base)
{
	char *elems;

	if (mnode_is_null(v))
		return;
	if (v->kind != MN_SEQ) {
		mdec_type_error(d, v, path, "a list", NULL);
		return;
	}
	elems = xcalloc(v->n, f->elem_size);
	memcpy((char *)base + f->off, &elems, sizeof(elems));
	*(size_t *)((char *)base + f->count_off) = v->n;
	for (size_t i = 0; i < v->n; i++) {
		mdec_init_bools(f->sub, elems + i * f->elem_size);
		mdec_obj(d, mdec_kid(d, v, i), &(struct fpath){ path, NULL, i }, f->sub,
			elems + i * f->elem_size);
	}
}

static void dec_field(struct dec *d, const struct field *f, struct mnode *v,
		      const struct fpath *path, void *base)
{
	void *at = (char *)base + f->off;

	switch (f->type) {
	case F_STR:
		mdec_str(d, v, path, at);
		break;
	case F_INT:
		dec_int(d, v, path, at);
		break;
	case F_BOOL:
		dec_bool(d, v, path, at);
		break;
	case F_STRV:
		dec_strv(d, v, path, at);
		break;
	case F_LABELS:
		dec_labels(d, v, path, at);
		break;
	case F_INTSTR:
		dec_int_or_str(d, v, path, at);
		break;
	case F_OBJ:
		mdec_obj(d, v, path, f->sub, at);
		break;
	case F_LIST:
		mdec_list(d, f, v, path, base);
		break;
	case F_FN:
		f->fn(d, v, path, at);
		break;
	}
}

/* The value of key in map, looking into `<<` merges too; NULL if absent. */
struct mnode *mdec_find(struct dec *d, struct mnode *map, const char *key)
{
	struct mnode *found_node = NULL;

	if (map->kind != MN_MAP)
		return NULL;
	for (uint32_t i = 0; i + 1 < map->n; i += 2)
		if (mnode_str_eq(mdec_kid(d, map, i), key))
			return mdec_kid(d, map, i + 1);
	for (uint32_t i = 0; i + 1 < map->n && !found_node; i += 2) {
		struct mnode *src = mdec_kid(d, map, i + 1);

		if (!mdec_is_merge_key(mdec_kid(d, map, i)))
			continue;
		found_node = mdec_find(d, src, key);
		for (uint32_t j = 0; src->kind == MN_SEQ && j < src->n && !found_node; j++)
			found_node = mdec_find(d, mdec_kid(d, src, j), key);
	}
	return found_node;
}
