// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util.h"

void diag_vadd(struct diag_list *dl, enum diag_level level,
	       const struct src_pos *pos, const char *kind, const char *ns,
	       const char *name, const char *field, const char *fmt,
	       va_list ap)
{
	struct diag *d;

	grow_array(&dl->v, &dl->cap, dl->n + 1, sizeof(*dl->v));
	d = &dl->v[dl->n++];
	memset(d, 0, sizeof(*d));
	d->level = level;
	if (pos) {
		d->file = xstrdup(pos->file);
		d->line = pos->line;
		d->column = pos->column;
	}
	d->kind = xstrdup(kind);
	d->ns = xstrdup(ns);
	d->name = xstrdup(name);
	d->field = xstrdup(field);
	if (vasprintf(&d->message, fmt, ap) < 0)
		abort();
	if (level == DIAG_ERROR)
		dl->nerrors++;
	else if (level == DIAG_WARNING)
		dl->nwarnings++;
}

void diag_add(struct diag_list *dl, enum diag_level level,
	      const struct src_pos *pos, const char *kind, const char *ns,
	      const char *name, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(dl, level, pos, kind, ns, name, field, fmt, ap);
	va_end(ap);
}

static int diag_cmp(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	int r = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (r)
		return r;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	return 0;
}

void diag_sort(struct diag_list *dl)
{
	/* qsort is not stable: messages at one position keep no order, but
	 * stages never emit two at the same position for one cause. */
	if (dl->n > 1)
		qsort(dl->v, dl->n, sizeof(*dl->v), diag_cmp);
}

static const char *level_prefix(enum diag_level level)
{
	switch (level) {
	case DIAG_WARNING:
		return "warning: ";
	case DIAG_NOTE:
		return "note: ";
	default:
		return "";
	}
}

char *diag_format(const struct diag *d)
{
	const char *file = d->file ? d->file : "<input>";
	const char *lvl = level_prefix(d->level);

	if (!d->kind && d->line)
		return xasprintf("%s:%u:%u: %s%s", file, d->line, d->column,
				 lvl, d->message);
	if (!d->kind)
		return xasprintf("%s: %s%s", file, lvl, d->message);
	return xasprintf("%s:%u: %s%s %s%s%s%s%s: %s", file, d->line, lvl,
			 d->kind, d->ns ? d->ns : "", d->ns ? "/" : "",
			 d->name ? d->name : "?", d->field ? ": " : "",
			 d->field ? d->field : "", d->message);
}

void diag_list_free(struct diag_list *dl)
{
	if (!dl)
		return;
	for (size_t i = 0; i < dl->n; i++) {
		struct diag *d = &dl->v[i];

		free(d->file);
		free(d->kind);
		free(d->ns);
		free(d->name);
		free(d->field);
		free(d->message);
	}
	free(dl->v);
	memset(dl, 0, sizeof(*dl));
}
