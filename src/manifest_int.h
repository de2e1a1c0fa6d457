/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_MANIFEST_INT_H
#define SVCNFT_MANIFEST_INT_H

/*
 * Inside stage 1: one YAML document as a compact tree (manifest_yaml.c),
 * read into the k8s_* structs (manifest_decode.c). Not a public contract.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

enum mnode_kind {
	MN_SCALAR,
	MN_SEQ,
	MN_MAP,
};

enum mnode_flag {
	MN_PLAIN = 1,	/* untagged plain scalar (or tagged !!int, ...): resolve it */
	MN_SHARED = 2,	/* reachable through an alias: copy, never take, its text */
	MN_OPEN = 4,	/* collection still being read */
};

/*
 * All nodes of a document live in one array and point at each other by
 * index, so a document costs a few reallocations, not a malloc per node.
 * Aliases are not copied: the alias's parent lists the anchored node again,
 * which makes the tree a DAG whose expanded size is counted, not built.
 */
struct mnode {
	union {
		char *str;	/* scalar: text taken from libyaml, NUL-terminated */
		uint32_t first;	/* collection: index of its first entry in kids */
	} u;
	uint64_t expanded;	/* nodes after expanding every alias below */
	uint32_t n;		/* scalar: length; seq: items; map: 2 * pairs */
	uint32_t line, column;	/* 1-based */
	uint8_t kind, flags;
	uint16_t height;	/* collections nested in this one, itself included */
};

struct mtree {
	struct mnode *nodes;
	size_t nnodes, cap_nodes;
	uint32_t *kids;		/* map entries alternate key, value */
	size_t nkids, cap_kids;
	uint32_t root;
	bool has_root;
	const char *file;
	unsigned nerrors;	/* problems that leave the tree whole */
};

static inline const struct mnode *mtree_kid(const struct mtree *t,
					    const struct mnode *n, size_t i)
{
	return &t->nodes[t->kids[n->u.first + i]];
}

static inline struct src_pos mnode_pos(const struct mtree *t,
				       const struct mnode *n)
{
	struct src_pos pos = { t->file, n->line, n->column };

	return pos;
}

/* What a scalar means, resolved as kubectl's YAML 1.1 reader would. */
enum scalar_type {
	SC_NULL,
	SC_BOOL,
	SC_INT,
	SC_FLOAT,
	SC_STR,
};

/* ival and bval are set for SC_INT and SC_BOOL; range_err for integers that do
 * not fit a long long. Non-scalar nodes are not for this function. */
enum scalar_type mnode_resolve(const struct mnode *n, long long *ival,
			       int *bval, bool *range_err);
bool mnode_is_null(const struct mnode *n);
bool mnode_str_eq(const struct mnode *n, const char *s);
/* The scalar's text, owned by the caller: taken from the tree when only one
 * parent can reach the node, copied otherwise. */
char *mnode_take_str(struct mnode *n);
/* Scalar text for a message: shortened, control bytes replaced; caller frees. */
char *mnode_shown(const struct mnode *n);

/* Read one finished document into set (manifest_decode.c). */
void manifest_decode_document(struct manifest_set *set, struct mtree *t,
			      struct diag_list *diags);
/* Register a file name in set; the returned pointer lives as long as set. */
const char *manifest_set_add_file(struct manifest_set *set, const char *name);

/* manifest_free.c: each accepts NULL and leaves nothing to free. */
void k8s_meta_free(struct k8s_meta *meta);
void k8s_service_free(struct k8s_service *svc);
void k8s_pod_free(struct k8s_pod *pod);
void k8s_endpoints_free(struct k8s_endpoints *ep);
void k8s_endpoint_slice_free(struct k8s_endpoint_slice *slice);
void k8s_skipped_free(struct k8s_skipped *skipped);

#endif
