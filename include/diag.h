/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_DIAG_H
#define SVCNFT_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Where a value came from. file points at a name owned by whoever read the
 * manifests (struct manifest_set); line and column are 1-based, 0 = unknown.
 */
struct src_pos {
	const char *file;
	unsigned line;
	unsigned column;
	bool one_line;	/* the whole input is one line (compact JSON): every
			 * message about it gives the column */
};

enum diag_level {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_NOTE,	/* shown with --verbose only */
};

/*
 * One message for the user. Stages collect these instead of printing; the
 * CLI formats them:
 *   syntax:   file:line:column: message
 *   semantic: file:line: Kind ns/name: field: message
 *             (file:line:column: ... when the input is one line)
 * kind == NULL marks a syntax-level message (no object yet).
 */
struct diag {
	enum diag_level level;
	char *file;
	unsigned line, column;
	bool show_column;	/* src_pos.one_line */
	char *kind;
	char *ns;
	char *name;
	char *field;
	char *message;
};

struct diag_list {
	struct diag *v;
	size_t n, cap;
	size_t nerrors, nwarnings;
};

/* Every string argument may be NULL; all are copied. */
void diag_add(struct diag_list *dl, enum diag_level level,
	      const struct src_pos *pos, const char *kind, const char *ns,
	      const char *name, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
void diag_vadd(struct diag_list *dl, enum diag_level level,
	       const struct src_pos *pos, const char *kind, const char *ns,
	       const char *name, const char *field, const char *fmt,
	       va_list ap);
/* Sort by file, line, column so messages from all files read in order. */
void diag_sort(struct diag_list *dl);
/* Format one diagnostic as described above; caller frees. */
char *diag_format(const struct diag *d);
void diag_list_free(struct diag_list *dl);

#endif
