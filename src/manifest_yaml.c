// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libyaml events into one compact tree per document (see manifest_int.h),
 * then handed to the decoder. Problems that leave the tree whole (duplicate
 * keys) are counted on the tree; problems that do not (aliases that expand
 * too far, nesting too deep) stop building and skip to the document's end.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "manifest_int.h"
#include "util.h"

enum {
	MAX_DEPTH = 64,
	MAX_TAG_DIRECTIVES = 64,	/* per document */
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

/*
 * Scalar text is copied into large blocks, so libyaml frees each event at
 * once (cheap, last-in first-out) and a document of millions of scalars
 * costs a few blocks instead of millions of live allocations; the decoder
 * copies the few values it keeps.
 */
#define ARENA_BLOCK (1u << 20)

struct text_arena {
	char **blocks;
	size_t nblocks, cap_blocks;
	size_t used, size;	/* of the last block */
	size_t first_size;	/* of blocks[0] */
};

/* Where a List item began: what to cut back to once it is decoded. */
struct item_mark {
	uint32_t node;		/* the item's mapping */
	size_t nnodes, nkids, anchors_written, blocks, used, size;
	unsigned nerrors;
	bool valid;
};

struct builder {
	struct mtree tree;
	struct text_arena text;
	uint32_t items_seq;	/* the root's items: sequence, when open */
	bool in_items;
	struct item_mark item;
	void *streamed;		/* checkpoint before the first decoded item */
	uint32_t *pending;	/* entries of the collections still open */
	size_t npending, cap_pending;
	struct open_coll *open;
	size_t nopen, cap_open;
	struct anchor *anchors;
	size_t nanchors, cap_anchors;
	size_t anchors_written;	/* a name written again counts again */
	uint32_t *slots;	/* hash of anchors: index + 1, 0 = empty */
	size_t nslots;
	struct key_ref *keys;	/* scratch for the duplicate check */
	size_t cap_keys;
	uint64_t own;		/* nodes and aliases as written */
	uint64_t heaviest;	/* the alias that expands to most nodes */
	struct src_pos heaviest_pos;
	bool skipping;
	unsigned depth;		/* collections open, built or skipped */
	bool stop;		/* read no further: nesting too deep */
	size_t nonempty;	/* documents that hold more than null */
	struct manifest_set *set;
	struct diag_list *diags;
	const char *buf;
	size_t len;
	unsigned base_line;	/* line breaks in the file before buf */
};

static struct src_pos mark_pos(const struct builder *b, const yaml_mark_t *m)
{
	struct src_pos pos = { .file = b->tree.file, .line = (unsigned)m->line + 1,
			       .column = (unsigned)m->column + 1 };

	return pos;
}

/* A problem that leaves the tree unusable: the rest of the document is read
 * by libyaml (to find the next one) but not built. */
__attribute__((format(printf, 3, 4)))
static void refuse_document(struct builder *b, const struct src_pos *pos,
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

		refuse_document(b, &pos, "document has too many nodes");
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
	size_t i = hash_keyed(name, strlen(name)) & mask;

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
	b->anchors_written++;
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

static char *arena_copy(struct text_arena *a, const char *s, size_t len)
{
	char *p;

	if (!a->nblocks || a->used + len + 1 > a->size) {
		a->size = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
		grow_array(&a->blocks, &a->cap_blocks, a->nblocks + 1, sizeof(*a->blocks));
		a->blocks[a->nblocks++] = xmalloc(a->size);
		if (a->nblocks == 1)
			a->first_size = a->size;
		a->used = 0;
	}
	p = a->blocks[a->nblocks - 1] + a->used;
	memcpy(p, s, len);
	p[len] = '\0';
	a->used += len + 1;
	return p;
}

/*
 * Between documents the first block is kept for the next one: a fresh
 * block per document is an mmap and munmap each (and, under the sanitizers,
 * its shadow too), 100,000 of them for as many small documents.
 */
static void arena_reset(struct text_arena *a, bool keep_first)
{
	size_t keep = keep_first && a->nblocks ? 1 : 0;

	for (size_t i = keep; i < a->nblocks; i++)
		free(a->blocks[i]);
	a->nblocks = keep;
	a->used = 0;
	a->size = keep ? a->first_size : 0;
}

/* Forget what was copied since the mark (blocks, used, size). */
static void arena_cut(struct text_arena *a, const struct item_mark *m)
{
	while (a->nblocks > m->blocks)
		free(a->blocks[--a->nblocks]);
	a->used = m->used;
	a->size = m->size;
}

static void on_scalar(struct builder *b, yaml_event_t *ev)
{
	struct mnode *n;
	uint32_t idx;

	if (ev->data.scalar.length >= UINT32_MAX) {
		struct src_pos pos = mark_pos(b, &ev->start_mark);

		refuse_document(b, &pos, "scalar longer than 4 GiB");
		return;
	}
	if (!new_node(b, MN_SCALAR, &ev->start_mark, &idx))
		return;
	n = &b->tree.nodes[idx];
	n->u.str = arena_copy(&b->text, (const char *)ev->data.scalar.value,
			      ev->data.scalar.length);
	n->n = (uint32_t)ev->data.scalar.length;
	if (scalar_is_plain(ev))
		n->flags |= MN_PLAIN;
	register_anchor(b, &ev->data.scalar.anchor, idx);
	attach(b, idx);
}

/* The scalar key whose value starts now in the innermost open mapping, or
 * NULL (a sequence item, or a key that is not a plain string). */
static const char *pending_key(const struct builder *b)
{
	const struct open_coll *oc = &b->open[b->nopen - 1];
	const struct mnode *key;

	if (b->tree.nodes[oc->node].kind != MN_MAP || (b->npending - oc->base) % 2 == 0)
		return NULL;
	key = &b->tree.nodes[b->pending[b->npending - 1]];
	return key->kind == MN_SCALAR ? key->u.str : NULL;
}

/* Notes the root's items: sequence, and where each of its mappings starts. */
static void note_list_position(struct builder *b, uint32_t idx, bool is_map)
{
	const char *key;

	if (b->nopen == 1 && !is_map && b->tree.nodes[b->open[0].node].kind == MN_MAP &&
	    (key = pending_key(b)) && !strcmp(key, "items")) {
		b->items_seq = idx;
		b->in_items = true;
	} else if (b->nopen == 2 && is_map && b->in_items &&
		   b->open[1].node == b->items_seq) {
		b->item = (struct item_mark){
			.node = idx, .nnodes = b->tree.nnodes, .nkids = b->tree.nkids,
			.anchors_written = b->anchors_written, .blocks = b->text.nblocks,
			.used = b->text.used, .size = b->text.size,
			.nerrors = b->tree.nerrors, .valid = true,
		};
	}
}

static void on_start(struct builder *b, yaml_event_t *ev)
{
	bool is_map = ev->type == YAML_MAPPING_START_EVENT;
	yaml_char_t **anchor = is_map ? &ev->data.mapping_start.anchor :
					&ev->data.sequence_start.anchor;
	uint32_t idx;

	if (!new_node(b, is_map ? MN_MAP : MN_SEQ, &ev->start_mark, &idx))
		return;
	b->tree.nodes[idx].flags |= MN_OPEN;
	note_list_position(b, idx, is_map);
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
		refuse_document(b, &pos, "alias *%s has no anchor before it in this document",
		      name);
		return;
	}
	n = &b->tree.nodes[b->anchors[b->slots[slot] - 1].node];
	if (n->flags & MN_OPEN) {
		refuse_document(b, &pos, "alias *%s is inside the node it refers to (a recursive alias)",
		      name);
		return;
	}
	if (b->nopen + n->height > MAX_DEPTH) {
		refuse_document(b, &pos, "alias *%s makes nesting deeper than %d levels; refusing the document",
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

static bool keys_equal(const struct mnode *a, const struct mnode *b)
{
	return a->n == b->n && !memcmp(a->u.str, b->u.str, a->n);
}

static int key_ref_cmp(const void *pa, const void *pb)
{
	const struct key_ref *a = pa, *b = pb;
	int r;

	if (a->key->n != b->key->n)
		return a->key->n < b->key->n ? -1 : 1;
	r = memcmp(a->key->u.str, b->key->u.str, a->key->n);
	if (r)
		return r;
	return a->index < b->index ? -1 : a->index > b->index;
}

static void duplicate_error(struct builder *b, const struct mnode *dup,
			    const struct mnode *first)
{
	char *q = mnode_shown(dup);

	tree_error(b, dup, "duplicate key \"%s\" in this mapping (first at line %u, column %u)",
		   q, first->line, first->column);
	free(q);
}

/* Few keys: compare each pair; many: sort, and duplicates sit side by side. */
static void check_duplicates(struct builder *b, size_t nkeys)
{
	struct key_ref *k = b->keys;

	if (nkeys <= DUP_SCAN_MAX) {
		for (size_t j = 1; j < nkeys; j++)
			for (size_t i = 0; i < j; i++)
				if (keys_equal(k[i].key, k[j].key)) {
					duplicate_error(b, k[j].key, k[i].key);
					break;
				}
		return;
	}
	qsort(k, nkeys, sizeof(*k), key_ref_cmp);
	for (size_t j = 1; j < nkeys; j++)
		if (keys_equal(k[j].key, k[j - 1].key))
			duplicate_error(b, k[j].key, k[j - 1].key);
}

/* libyaml reads `type:: LoadBalancer` as the key "type:", which is valid
 * YAML and would be ignored as an unknown field: say what was meant. */
static void colon_key_error(struct builder *b, const struct mnode *key,
			    const struct mnode *value)
{
	int klen = (int)key->n - 1;
	const char *v = value->kind == MN_SCALAR ? value->u.str : "...";

	tree_error(b, key, "\"%.*s:: %.40s\" has one ':' too many (YAML reads the key as \"%.*s:\"); write \"%.*s: %.40s\"",
		   klen, key->u.str, v, klen, key->u.str, klen, key->u.str, v);
}

static void check_map_keys(struct builder *b, const struct mnode *map)
{
	const struct mtree *t = &b->tree;
	size_t nkeys = 0;

	grow_array(&b->keys, &b->cap_keys, map->n / 2, sizeof(*b->keys));
	for (uint32_t i = 0; i + 1 < map->n; i += 2) {
		const struct mnode *key = mtree_kid(t, map, i);

		if (key->kind != MN_SCALAR) {
			tree_error(b, key, "a mapping key must be a scalar, not a %s",
				   key->kind == MN_MAP ? "mapping" : "list");
			continue;
		}
		if ((key->flags & MN_PLAIN) && key->n > 1 &&
		    key->u.str[key->n - 1] == ':')
			colon_key_error(b, key, mtree_kid(t, map, i + 1));
		b->keys[nkeys].key = key;
		b->keys[nkeys].index = i;
		nkeys++;
	}
	check_duplicates(b, nkeys);
}

static bool has_type_keys(const struct mtree *t, const struct mnode *map)
{
	bool kind = false, api = false;

	for (uint32_t i = 0; i + 1 < map->n; i += 2) {
		const struct mnode *k = mtree_kid(t, map, i);

		kind |= mnode_str_eq(k, "kind");
		api |= mnode_str_eq(k, "apiVersion");
	}
	return kind && api;
}

/*
 * A List item just ended: decode it now and give its nodes and text back,
 * leaving a null in its place, so a kubectl List never sits in memory
 * whole. Items that hold anchors or aliases, or an error, or that name no
 * kind of their own (a typed list's) wait for the document's end.
 */
static void stream_item(struct builder *b)
{
	struct mtree *t = &b->tree;
	struct item_mark *m = &b->item;
	struct mnode *n = &t->nodes[m->node];

	m->valid = false;
	if (b->skipping || b->anchors_written != m->anchors_written ||
	    t->nerrors != m->nerrors ||
	    n->expanded != t->nnodes - m->node || !has_type_keys(t, n))
		return;
	if (!b->streamed)
		b->streamed = manifest_checkpoint(b->set);
	manifest_decode_item(b->set, t, n, b->diags);
	t->nnodes = m->nnodes;
	t->nkids = m->nkids;
	arena_cut(&b->text, m);
	n = &t->nodes[m->node];
	n->kind = MN_SCALAR;
	n->flags = MN_PLAIN;
	n->u.str = (char *)"";	/* a plain empty scalar: null */
	n->n = 0;
	n->expanded = 1;
	n->height = 0;
}

static void on_end(struct builder *b)
{
	struct open_coll oc = b->open[--b->nopen];
	struct mtree *t = &b->tree;
	struct mnode *n = &t->nodes[oc.node];
	size_t count = b->npending - oc.base;
	uint64_t expanded = 1;
	uint16_t height = 0;

	grow_array(&t->kids, &t->cap_kids, t->nkids + count, sizeof(*t->kids));
	if (count)	/* an empty collection may come before any array exists */
		memcpy(t->kids + t->nkids, b->pending + oc.base,
		       count * sizeof(*t->kids));
	n->u.first = (uint32_t)t->nkids;
	n->n = (uint32_t)count;
	t->nkids += count;
	b->npending = oc.base;
	for (size_t i = 0; i < count; i++) {
		const struct mnode *kid = mtree_kid(t, n, i);

		expanded = add_sat(expanded, kid->expanded);
		if (kid->height > height)
			height = kid->height;
	}
	n->expanded = expanded;
	n->height = height + 1;
	n->flags &= ~MN_OPEN;
	if (n->kind == MN_MAP)
		check_map_keys(b, n);
	attach(b, oc.node);
	if (oc.node == b->items_seq)
		b->in_items = false;
	else if (b->item.valid && oc.node == b->item.node)
		stream_item(b);
}

/* Aliases are not copied, so memory is already bounded; what is bounded here
 * is the decoder's walk over the expanded document ("billion laughs"). */
static bool expansion_ok(struct builder *b)
{
	const struct mtree *t = &b->tree;
	uint64_t total = t->nodes[t->root].expanded;
	uint64_t limit = b->own * ALIAS_FACTOR;

	if (limit < ALIAS_MIN_LIMIT)
		limit = ALIAS_MIN_LIMIT;
	if (total <= limit)
		return true;
	refuse_document(b, &b->heaviest_pos,
	      "YAML aliases expand this document to %s%llu nodes, more than the limit of %llu (%d, or %d times the %llu written); refusing it",
	      total >= EXPANDED_CAP ? "over " : "", (unsigned long long)total,
	      (unsigned long long)limit, ALIAS_MIN_LIMIT, ALIAS_FACTOR,
	      (unsigned long long)b->own);
	return false;
}

static void builder_clear(struct builder *b, bool keep_text)
{
	struct mtree *t = &b->tree;

	arena_reset(&b->text, keep_text);
	for (size_t i = 0; i < b->nanchors; i++)
		free(b->anchors[i].name);
	if (b->nanchors)
		memset(b->slots, 0, b->nslots * sizeof(*b->slots));
	t->nnodes = t->nkids = 0;
	t->has_root = false;
	t->nerrors = 0;
	b->nanchors = b->anchors_written = b->npending = b->nopen = 0;
	b->depth = 0;
	b->own = b->heaviest = 0;
	b->skipping = false;
	b->in_items = false;
	b->item.valid = false;
}

static void finish_document(struct builder *b)
{
	struct mtree *t = &b->tree;
	bool whole;

	if (t->has_root && !mnode_is_null(&t->nodes[t->root]))
		b->nonempty++;
	whole = !b->skipping && t->has_root && expansion_ok(b);
	/* items decoded early belong to a List without errors, or to nothing */
	if (b->streamed && (!whole || t->nerrors || !manifest_root_is_list(t)))
		manifest_rollback(b->set, b->streamed);
	if (whole)
		manifest_decode_document(b->set, t, b->diags);
	free(b->streamed);
	b->streamed = NULL;
	builder_clear(b, true);
}

/*
 * libyaml's scanner walks every open flow level ('[', '{') for each token,
 * so a line of a million '[' costs it a million squared steps: past the
 * limit nothing more of this input is given to it, not even to find the
 * next document. Its look-ahead stops at 1,024 characters, so it has done
 * little more than the limit allows when the event arrives here.
 */
static bool depth_ok(struct builder *b, const yaml_event_t *ev)
{
	struct src_pos pos;

	if (ev->type == YAML_SEQUENCE_END_EVENT || ev->type == YAML_MAPPING_END_EVENT) {
		b->depth--;
		return true;
	}
	if (ev->type != YAML_SEQUENCE_START_EVENT && ev->type != YAML_MAPPING_START_EVENT)
		return true;
	if (++b->depth <= MAX_DEPTH)
		return true;
	pos = mark_pos(b, &ev->start_mark);
	refuse_document(b, &pos, "nesting deeper than %d levels; refusing the document and not reading the rest of this input",
			MAX_DEPTH);
	b->stop = true;
	return false;
}

static void on_event(struct builder *b, yaml_event_t *ev)
{
	if (ev->type == YAML_DOCUMENT_END_EVENT) {
		finish_document(b);
		return;
	}
	if (!depth_ok(b, ev) || b->skipping)
		return;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		on_scalar(b, ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		on_start(b, ev);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		on_end(b);
		break;
	case YAML_ALIAS_EVENT:
		on_alias(b, ev);
		break;
	default:
		break;
	}
}

/* libyaml counts columns in characters, not bytes. */
static struct src_pos offset_pos(const struct builder *b, size_t off)
{
	struct src_pos pos = { .file = b->tree.file, .line = b->base_line + 1,
			       .column = 1 };

	for (size_t i = 0; i < off && i < b->len; i++) {
		if (manifest_is_break(b->buf + i, b->buf + b->len)) {
			pos.line++;
			pos.column = 1;
		} else if (((unsigned char)b->buf[i] & 0xc0) != 0x80 && b->buf[i] != '\r') {
			pos.column++;
		}
	}
	return pos;
}

/* The byte at a libyaml mark, or -1 past the end. */
static int byte_at(const struct builder *b, const yaml_mark_t *m)
{
	size_t i = 0, line = 0, col = 0;

	for (; i < b->len && line + b->base_line < m->line; i++)
		if (manifest_is_break(b->buf + i, b->buf + b->len))
			line++;
	for (; i < b->len && col < m->column; i++)
		if (((unsigned char)b->buf[i] & 0xc0) != 0x80)
			col++;
	while (i < b->len && ((unsigned char)b->buf[i] & 0xc0) == 0x80)
		i++;
	return i < b->len ? (unsigned char)b->buf[i] : -1;
}

struct syntax_hint {
	const char *problem;	/* libyaml's text, as it says it */
	int at;			/* the byte at the mark, or 0 for any */
	const char *hint;
};

static const struct syntax_hint syntax_hints[] = {
	{ "found character that cannot start any token", '\t',
	  "YAML does not allow tabs for indentation; use spaces" },
	{ "found character that cannot start any token", '@',
	  "'@' cannot start a plain value; quote it" },
	{ "found character that cannot start any token", '`',
	  "'`' cannot start a plain value; quote it" },
	{ "mapping values are not allowed in this context", 0,
	  "a value that contains ': ' must be quoted, or this line is indented too far" },
	{ "did not find expected key", 0,
	  "check the indentation: this line does not line up with the keys above it" },
	{ "did not find expected '-' indicator", 0,
	  "check the indentation of this list item" },
	{ "could not find expected ':'", 0,
	  "a key needs ':' after it, or a quote was not closed" },
	{ "did not find expected ',' or ']'", 0,
	  "a ',' is missing or a '[' is not closed" },
	{ "did not find expected ',' or '}'", 0,
	  "a ',' is missing or a '{' is not closed" },
	{ "did not find expected <document start>", 0,
	  "the document before has ended (after '...' or a closing bracket); start a new one with '---'" },
	{ "found unexpected end of stream", 0,
	  "a quote was not closed" },
};

static const char *syntax_hint(const struct builder *b, const yaml_parser_t *p)
{
	int at = -2;

	for (size_t i = 0; i < ARRAY_SIZE(syntax_hints); i++) {
		const struct syntax_hint *h = &syntax_hints[i];

		if (strcmp(p->problem, h->problem))
			continue;
		if (h->at && at == -2)
			at = byte_at(b, &p->problem_mark);
		if (!h->at || h->at == at)
			return h->hint;
	}
	return NULL;
}

static void report_reader_error(struct builder *b, const yaml_parser_t *p)
{
	struct src_pos pos = offset_pos(b, p->problem_offset);

	if (p->problem_value < 0)
		diag_add(b->diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL, "%s",
			 p->problem);
	else if (p->problem_value <= 0xff)
		diag_add(b->diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
			 "%s (byte 0x%02X)", p->problem, p->problem_value);
	else
		diag_add(b->diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
			 "%s (U+%04X)", p->problem, p->problem_value);
}

/* After an error libyaml cannot go on: the rest of this input is not read. */
static void report_parser_error(struct builder *b, const yaml_parser_t *p)
{
	struct src_pos pos = mark_pos(b, &p->problem_mark);
	const char *hint;
	char *context = NULL;

	if (p->error == YAML_MEMORY_ERROR || !p->problem)
		out_of_memory();	/* see util.h: out of memory is not recoverable */
	if (p->error == YAML_READER_ERROR) {
		report_reader_error(b, p);
		return;
	}
	hint = syntax_hint(b, p);
	/* "while scanning for the next token" at the problem itself adds
	 * nothing; "while parsing a block mapping" elsewhere does. */
	if (p->context && (p->context_mark.line != p->problem_mark.line ||
			   p->context_mark.column != p->problem_mark.column))
		context = xasprintf(" (%s at line %zu, column %zu)", p->context,
				    p->context_mark.line + 1,
				    p->context_mark.column + 1);
	diag_add(b->diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL, "%s%s%s%s",
		 p->problem, context ? context : "", hint ? "; " : "",
		 hint ? hint : "");
	free(context);
}

/* false when reading stopped before the end: a libyaml error, or nesting
 * too deep (what follows is not read) */
static bool parse_events(struct builder *b, yaml_parser_t *parser)
{
	yaml_event_t ev;
	bool done = false;

	while (!done) {
		if (!yaml_parser_parse(parser, &ev)) {
			report_parser_error(b, parser);
			return false;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		on_event(b, &ev);
		yaml_event_delete(&ev);
		if (b->stop) {
			finish_document(b);	/* refused: frees what was built */
			return false;
		}
	}
	return true;
}

static void builder_free(struct builder *b)
{
	free(b->streamed);
	b->streamed = NULL;
	builder_clear(b, false);
	free(b->text.blocks);
	free(b->tree.nodes);
	free(b->tree.kids);
	free(b->pending);
	free(b->open);
	free(b->anchors);
	free(b->slots);
	free(b->keys);
}

/* An input without a single object is most likely a failed or truncated
 * write (kubectl ... > file): applying it would remove every Service. */
static void refuse_empty(const char *file, struct diag_list *diags)
{
	struct src_pos pos = { .file = file, .line = 1, .column = 1 };

	diag_add(diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
		 "no Kubernetes objects: the input is empty, or holds only comments and empty documents (as a failed or truncated write leaves it); to remove every Service, use svcnft flush");
}

/* Whether the line [line, end) starts with word, then a blank or its end. */
static bool line_starts(const char *line, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - line) >= n && !memcmp(line, word, n) &&
	       (line + n == end || line[n] == ' ' || line[n] == '\t' || line[n] == '\r');
}

/* Whether a document marker line ("---", "...") starts in [p, end), where
 * end is a line start. */
static bool has_doc_marker(const char *p, const char *end)
{
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if (line_starts(p, eol, "---") || line_starts(p, eol, "..."))
			return true;
		p = eol + 1;
	}
	return false;
}

/*
 * libyaml compares each %TAG directive with every earlier one of its
 * document, so a flood of them costs it the square of their number before
 * it gives a single event: they are counted here first, in one pass. A
 * %TAG directive is a line that starts with it; a document marker ("---",
 * "...") ends their document. '%' is rare in manifests: memchr() goes from
 * one to the next, and only the lines between two %TAG lines are walked.
 * Returns the line of the first directive past the limit, or 0.
 */
static unsigned tag_directive_flood(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *last = buf;
	unsigned ntags = 0, line = 1;

	for (; (p = memchr(p, '%', (size_t)(end - p))); p++) {
		const char *eol;

		if (p > buf && p[-1] != '\n')
			continue;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!line_starts(p, eol ? eol : end, "%TAG"))
			continue;
		if (ntags && has_doc_marker(last, p))
			ntags = 0;
		last = p;
		if (++ntags <= MAX_TAG_DIRECTIVES)
			continue;
		for (const char *q = buf; (q = memchr(q, '\n', (size_t)(p - q))); q++)
			line++;
		return line;
	}
	return 0;
}

/* A %TAG flood: one error at its line, and true (the input is not parsed). */
static bool refuse_tag_flood(const char *file, const char *buf, size_t len,
			     struct diag_list *diags)
{
	struct src_pos pos = { .file = file, .column = 1 };

	pos.line = tag_directive_flood(buf, len);
	if (!pos.line)
		return false;
	diag_add(diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
		 "more than %d %%TAG directives before one document; refusing the input",
		 MAX_TAG_DIRECTIVES);
	return true;
}

/* Compact JSON (jq -c, kubectl's output minified) is one line: there the
 * line number alone does not say which object or field a message means. */
static bool is_one_line(const char *buf, size_t len)
{
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	return len && !memchr(buf, '\n', len);
}

/*
 * A whole file, or a part of one (manifest_read_part). A part is never
 * one line (a file is cut only at line starts), and what refuses a whole
 * file (a %TAG flood, an unrendered template) stops a part as a syntax
 * error does: the file is then read whole, which refuses all of it with
 * the file's own line.
 */
static int read_text(struct manifest_set *set, const char *name,
		     const char *buf, size_t len, unsigned base_line,
		     bool part, struct diag_list *diags, size_t *nonempty)
{
	struct builder b = {
		.set = set,
		.diags = diags,
		.buf = buf ? buf : "",
		.len = buf ? len : 0,
		.base_line = base_line,
	};
	yaml_parser_t parser;
	bool whole;

	*nonempty = 0;
	b.tree.file = manifest_set_add_file(set, name ? name : "<input>");
	if (refuse_tag_flood(b.tree.file, b.buf, b.len, diags) ||
	    manifest_refuse_template(b.tree.file, b.buf, b.len, diags))
		return part ? -EILSEQ : 0;
	b.tree.one_line = !part && is_one_line(b.buf, b.len);
	if (!yaml_parser_initialize(&parser))
		out_of_memory();	/* fails only when out of memory, see util.h */
	yaml_parser_set_input_string(&parser, (const unsigned char *)b.buf, b.len);
	/* libyaml counts lines from its mark, which nothing else sets */
	parser.mark.line = base_line;
	whole = parse_events(&b, &parser);
	*nonempty = b.nonempty;
	yaml_parser_delete(&parser);
	builder_free(&b);
	return whole ? 0 : -EILSEQ;
}

int manifest_read_part(struct manifest_set *set, const char *name,
		       const char *buf, size_t len, unsigned base_line,
		       struct diag_list *diags, size_t *nonempty)
{
	return read_text(set, name, buf, len, base_line, true, diags, nonempty);
}

int manifest_read_buffer(struct manifest_set *set, const char *name,
			 const char *buf, size_t len, struct diag_list *diags)
{
	size_t nerrors = diags->nerrors, nonempty;

	read_text(set, name, buf, len, 0, false, diags, &nonempty);
	if (!nonempty && diags->nerrors == nerrors)
		refuse_empty(set->files[set->nfiles - 1], diags);
	return 0;
}
