// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libyaml events into one compact tree per document (see manifest_int.h),
 * then handed to the decoder. Problems that leave the tree whole (duplicate
 * keys) are counted on the tree; problems that do not (aliases that expand
 * too far, nesting too deep) stop building and skip to the document's end.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "manifest_int.h"
#include "util.h"

enum {
	MAX_DEPTH = 64,
	ALIAS_MIN_LIMIT = 1000000,	/* expanded nodes always allowed */
	ALIAS_FACTOR = 10,		/* ... or this many times those written */
	DUP_SCAN_MAX = 8,		/* pairs compared pairwise; more are sorted */
};
#define EXPANDED_CAP (UINT64_C(1) << 62)	/* saturate: far past any limit */

struct anchor {
	char *name;
	uint32_t node;
};

struct open_coll {
	uint32_t node;
	size_t base;		/* its first entry in pending */
};

struct key_ref {
	const struct mnode *key;
	uint32_t index;
};

struct builder {
	struct mtree tree;
	uint32_t *pending;	/* entries of the collections still open */
	size_t npending, cap_pending;
	struct open_coll *open;
	size_t nopen, cap_open;
	struct anchor *anchors;
	size_t nanchors, cap_anchors;
	uint32_t *slots;	/* hash of anchors: index + 1, 0 = empty */
	size_t nslots;
	struct key_ref *keys;	/* scratch for the duplicate check */
	size_t cap_keys;
	uint64_t own;		/* nodes and aliases as written */
	uint64_t heaviest;	/* the alias that expands to most nodes */
	struct src_pos heaviest_pos;
	bool skipping;
	struct manifest_set *set;
	struct diag_list *diags;
	const char *buf;
	size_t len;
};

static struct src_pos mark_pos(const struct builder *b, const yaml_mark_t *m)
{
	struct src_pos pos = { b->tree.file, (unsigned)m->line + 1,
			       (unsigned)m->column + 1 };

	return pos;
}

/* A problem that leaves the tree unusable: the rest of the document is read
 * by libyaml (to find the next one) but not built. */
__attribute__((format(printf, 3, 4)))
static void fatal(struct builder *b, const struct src_pos *pos,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(b->diags, DIAG_ERROR, pos, NULL, NULL, NULL, NULL, fmt, ap);
	va_end(ap);
	b->skipping = true;
}

/* A problem in a tree that is still whole: decoding goes on to find more,
 * but nothing from this document is kept. */
__attribute__((format(printf, 3, 4)))
static void tree_error(struct builder *b, const struct mnode *at,
		       const char *fmt, ...)
{
	struct src_pos pos = mnode_pos(&b->tree, at);
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(b->diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL, fmt, ap);
	va_end(ap);
	b->tree.nerrors++;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b > EXPANDED_CAP ? EXPANDED_CAP : a + b;
}

static bool new_node(struct builder *b, uint8_t kind, const yaml_mark_t *m,
		     uint32_t *idx)
{
	struct mtree *t = &b->tree;
	struct mnode *n;

	if (t->nnodes >= UINT32_MAX - 1) {
		struct src_pos pos = mark_pos(b, m);

		fatal(b, &pos, "document has too many nodes");
		return false;
	}
	grow_array(&t->nodes, &t->cap_nodes, t->nnodes + 1, sizeof(*t->nodes));
	*idx = (uint32_t)t->nnodes++;
	n = &t->nodes[*idx];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = (uint32_t)m->line + 1;	/* libyaml marks are 0-based */
	n->column = (uint32_t)m->column + 1;
	n->expanded = 1;
	b->own++;
	return true;
}

static void attach(struct builder *b, uint32_t idx)
{
	if (!b->nopen) {
		b->tree.root = idx;
		b->tree.has_root = true;
		return;
	}
	grow_array(&b->pending, &b->cap_pending, b->npending + 1,
		   sizeof(*b->pending));
	b->pending[b->npending++] = idx;
}

static size_t anchor_slot(const struct builder *b, const char *name)
{
	size_t mask = b->nslots - 1;
	size_t i = hash_fnv1a(name, strlen(name), 0) & mask;

	while (b->slots[i] && strcmp(b->anchors[b->slots[i] - 1].name, name))
		i = (i + 1) & mask;
	return i;
}

static void rehash_anchors(struct builder *b)
{
	size_t nslots = b->nslots ? b->nslots * 2 : 16;

	free(b->slots);
	b->slots = xcalloc(nslots, sizeof(*b->slots));
	b->nslots = nslots;
	for (size_t a = 0; a < b->nanchors; a++)
		b->slots[anchor_slot(b, b->anchors[a].name)] = (uint32_t)a + 1;
}

/* A later anchor of the same name hides the earlier one, as YAML says. */
static void register_anchor(struct builder *b, yaml_char_t **anchor,
			    uint32_t node)
{
	char *name = (char *)*anchor;
	size_t slot;

	if (!name)
		return;
	if ((b->nanchors + 1) * 2 > b->nslots)
		rehash_anchors(b);
	slot = anchor_slot(b, name);
	if (b->slots[slot]) {
		b->anchors[b->slots[slot] - 1].node = node;
		return;
	}
	*anchor = NULL;		/* the builder frees it with the document */
	grow_array(&b->anchors, &b->cap_anchors, b->nanchors + 1,
		   sizeof(*b->anchors));
	b->anchors[b->nanchors].name = name;
	b->anchors[b->nanchors].node = node;
	b->slots[slot] = (uint32_t)++b->nanchors;
}

static bool scalar_is_plain(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;

	if (tag)
		return !strcmp(tag, YAML_INT_TAG) || !strcmp(tag, YAML_BOOL_TAG) ||
		       !strcmp(tag, YAML_FLOAT_TAG) || !strcmp(tag, YAML_NULL_TAG);
	return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static void on_scalar(struct builder *b, yaml_event_t *ev)
{
	struct mnode *n;
	uint32_t idx;

	if (ev->data.scalar.length >= UINT32_MAX) {
		struct src_pos pos = mark_pos(b, &ev->start_mark);

		fatal(b, &pos, "scalar longer than 4 GiB");
		return;
	}
	if (!new_node(b, MN_SCALAR, &ev->start_mark, &idx))
		return;
	n = &b->tree.nodes[idx];
	n->u.str = (char *)ev->data.scalar.value;
	ev->data.scalar.value = NULL;	/* taken, not copied: the tree frees it */
	n->n = (uint32_t)ev->data.scalar.length;
	if (scalar_is_plain(ev))
		n->flags |= MN_PLAIN;
	register_anchor(b, &ev->data.scalar.anchor, idx);
	attach(b, idx);
}

static void on_start(struct builder *b, yaml_event_t *ev)
{
	bool is_map = ev->type == YAML_MAPPING_START_EVENT;
	yaml_char_t **anchor = is_map ? &ev->data.mapping_start.anchor :
					&ev->data.sequence_start.anchor;
	uint32_t idx;

	if (b->nopen >= MAX_DEPTH) {
		struct src_pos pos = mark_pos(b, &ev->start_mark);

		fatal(b, &pos, "nesting deeper than %d levels; refusing the document",
		      MAX_DEPTH);
		return;
	}
	if (!new_node(b, is_map ? MN_MAP : MN_SEQ, &ev->start_mark, &idx))
		return;
	b->tree.nodes[idx].flags |= MN_OPEN;
	register_anchor(b, anchor, idx);
	grow_array(&b->open, &b->cap_open, b->nopen + 1, sizeof(*b->open));
	b->open[b->nopen].node = idx;
	b->open[b->nopen++].base = b->npending;
}

/* Everything under an anchor can now be reached twice: its text must be
 * copied, not taken. A marked node has all below it marked, so each node is
 * visited once however many aliases there are. */
static void mark_shared(struct mtree *t, struct mnode *n)
{
	if (n->flags & MN_SHARED)
		return;
	n->flags |= MN_SHARED;
	if (n->kind == MN_SCALAR)
		return;
	for (uint32_t i = 0; i < n->n; i++)
		mark_shared(t, &t->nodes[t->kids[n->u.first + i]]);
}

static void on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct src_pos pos = mark_pos(b, &ev->start_mark);
	struct mnode *n;
	size_t slot;

	slot = b->nslots ? anchor_slot(b, name) : 0;
	if (!b->nslots || !b->slots[slot]) {
		fatal(b, &pos, "alias *%s has no anchor before it in this document",
		      name);
		return;
	}
	n = &b->tree.nodes[b->anchors[b->slots[slot] - 1].node];
	if (n->flags & MN_OPEN) {
		fatal(b, &pos, "alias *%s is inside the node it refers to (a recursive alias)",
		      name);
		return;
	}
	if (b->nopen + n->height > MAX_DEPTH) {
		fatal(b, &pos, "alias *%s makes nesting deeper than %d levels; refusing the document",
		      name, MAX_DEPTH);
		return;
	}
	mark_shared(&b->tree, n);
	b->own++;
	if (n->expanded > b->heaviest) {
		b->heaviest = n->expanded;
		b->heaviest_pos = pos;
	}
	attach(b, (uint32_t)(n - b->tree.nodes));
}
