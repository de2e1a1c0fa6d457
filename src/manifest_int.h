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
	bool one_line;		/* the input is one line: positions say so */
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
	struct src_pos pos = { t->file, n->line, n->column, t->one_line };

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

/*
 * The decoder (manifest_decode.c), driven by tables of fields that
 * manifest_kinds.c writes for each kind. Each call reports what does not
 * fit at its position and counts it in d->nerrors.
 */
struct dec {
	struct manifest_set *set;
	struct mtree *t;
	struct diag_list *diags;
	const char *kind;	/* of the object being read, for messages */
	const char *ns;
	const char *name;
	unsigned nerrors;
};

/* A field path, built on the stack as the decoder descends and turned into
 * text ("spec.ports[0].port") only when there is something to report. */
struct fpath {
	const struct fpath *up;
	const char *key;	/* NULL: index into a list */
	size_t index;
};

struct field;
typedef void (*field_fn)(struct dec *d, struct mnode *v,
			 const struct fpath *path, void *at);

enum ftype {
	F_STR,
	F_INT,
	F_BOOL,
	F_STRV,
	F_LABELS,
	F_INTSTR,
	F_OBJ,
	F_LIST,
	F_FN,
};

struct fields {
	const struct field *v;
	size_t n;		/* at most 64: a bit each in a seen mask */
	ptrdiff_t pos_off;	/* where the mapping's position goes, or -1 */
};

struct field {
	const char *name;
	enum ftype type;
	size_t off;
	const struct fields *sub;	/* F_OBJ; F_LIST: of one element */
	size_t count_off, elem_size;	/* F_LIST */
	field_fn fn;			/* F_FN */
};

/* mapping's fields, by table; seen marks those read (merge keys). */
void mdec_fields(struct dec *d, struct mnode *map, const struct fpath *path,
		 const struct fields *fs, void *base, uint64_t *seen);
/* A mapping (or null) read by table into base. */
void mdec_obj(struct dec *d, struct mnode *v, const struct fpath *path,
	      const struct fields *fs, void *base);
/* A list (or null) of mappings, as the F_LIST field f of base says. */
void mdec_list(struct dec *d, const struct field *f, struct mnode *v,
	       const struct fpath *path, void *base);
void mdec_str(struct dec *d, struct mnode *v, const struct fpath *path,
	      struct k8s_str *out);
/* Sets the F_BOOL fields of fs (through nested mappings) to -1: absent. */
void mdec_init_bools(const struct fields *fs, void *base);
/* The value of key in map (following `<<` merges), or NULL. */
struct mnode *mdec_find(struct dec *d, struct mnode *map, const char *key);
struct mnode *mdec_kid(struct dec *d, const struct mnode *n, size_t i);
bool mdec_is_merge_key(const struct mnode *key);
/* What was found, for messages: "the string \"80\"", "a mapping"; freed by
 * the caller. */
char *mdec_found(const struct mnode *n);
/* "expected <expected>, found <what>[; <advice>]"; advice is freed. */
void mdec_type_error(struct dec *d, const struct mnode *v,
		     const struct fpath *path, const char *expected,
		     char *advice);
void mdec_error(struct dec *d, const struct src_pos *pos,
		const struct fpath *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A kubectl List is one document holding every object: its items are
 * decoded as each one ends, so that the tree never holds them all
 * (manifest_yaml.c); these undo that when the document turns out bad. */
void *manifest_checkpoint(struct manifest_set *set);	/* free() it */
void manifest_rollback(struct manifest_set *set, void *checkpoint);
void manifest_decode_item(struct manifest_set *set, struct mtree *t,
			  struct mnode *item, struct diag_list *diags);
bool manifest_root_is_list(struct mtree *t);

/* Read one finished document into set (manifest_kinds.c). */
void manifest_decode_document(struct manifest_set *set, struct mtree *t,
			      struct diag_list *diags);
/* MANIFEST_STRICT_MODES for one file or directory (manifest_perms.c):
 * 0, or -EPERM after reporting who else can write it. */
int manifest_check_secure(const char *path, struct diag_list *diags);
/* The same for a file or directory found in a directory that passed, and
 * not a symbolic link: only its own owner and mode are left to check. */
struct stat;
int manifest_check_secure_entry(const char *path, const struct stat *st,
				struct diag_list *diags);
/* Register a file name in set; the returned pointer lives as long as set. */
const char *manifest_set_add_file(struct manifest_set *set, const char *name);

/*
 * The files a walk found (and standard input), in the order they are read
 * in; manifest_read_inputs() reads them, several at once where there are
 * cores for it (manifest_parallel.c), with the same result as one after
 * the other. Returns 0 or the first negative errno (already reported).
 */
struct manifest_input {
	char *path;		/* NULL: standard input */
	long long size;		/* bytes, to take the largest first */
};

struct manifest_inputs {
	struct manifest_input *v;
	size_t n, cap;
};

void manifest_inputs_add(struct manifest_inputs *in, const char *path,
			 long long size);
void manifest_inputs_free(struct manifest_inputs *in);
int manifest_read_inputs(struct manifest_set *set,
			 const struct manifest_inputs *in,
			 struct diag_list *diags);

/*
 * Part of a file, from the start of a YAML document on (its first line is
 * line base_line + 1 of the file), read as manifest_read_buffer() reads a
 * whole file but without the check that the file holds some object:
 * *nonempty counts the documents that hold more than null. Returns 0, or
 * -EILSEQ when libyaml stopped at a syntax error or the part holds an
 * unrendered template (reported, but as the part, not the file, sees it).
 */
int manifest_read_part(struct manifest_set *set, const char *name,
		       const char *buf, size_t len, unsigned base_line,
		       struct diag_list *diags, size_t *nonempty);
/*
 * A large file's text cut into parts of about target bytes that read, one
 * by one with manifest_read_part(), as the whole would (manifest_split.c):
 * a stream of documents at lines that are exactly "---", a kubectl List
 * between its items, each part then a List of its own (list: the part
 * reads as the whole only when it reads without a message). Returns the
 * number of parts (free *parts), 0 when the file is not cut.
 */
struct manifest_part {
	const char *text;	/* into the file's text */
	size_t len;
	unsigned base_line;	/* line breaks in the file before what is read */
	bool list;
	bool list_head, list_tail;	/* the List's start or end is added */
};

/* Whether the byte at p (before end) ends a line as libyaml counts them:
 * \n, \r\n (at its \n) and a lone \r. */
static inline bool manifest_is_break(const char *p, const char *end)
{
	return *p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n'));
}

size_t manifest_split(const char *text, size_t len, size_t target,
		      struct manifest_part **parts);
/* The text to read for pt when it is not pt->text as it is (a List part
 * with the List's start or end added), of *len bytes; else NULL. Made when
 * the part is read, so that only the parts being read have a copy. */
char *manifest_part_text(const struct manifest_part *pt, size_t *len);

/* A file's whole text, as manifest_read_file() reads it (errors reported
 * the same way): 0 or a negative errno. */
int manifest_slurp_file(const char *path, char **buf, size_t *len,
			struct diag_list *diags);

/* manifest_free.c: each accepts NULL and leaves nothing to free. */
void k8s_meta_free(struct k8s_meta *meta);
void k8s_service_free(struct k8s_service *svc);
void k8s_pod_free(struct k8s_pod *pod);
void k8s_endpoints_free(struct k8s_endpoints *ep);
void k8s_endpoint_slice_free(struct k8s_endpoint_slice *slice);
void k8s_node_free(struct k8s_node *node);
void k8s_skipped_free(struct k8s_skipped *skipped);

/* An unquoted "{{" (an unrendered Helm or Go template) outside comments and
 * block scalars: one error at it, and true (the file is not parsed). */
bool manifest_refuse_template(const char *file, const char *buf, size_t len,
			      struct diag_list *diags);

#endif
