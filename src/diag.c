// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util.h"

/*
 * Manifests can hold values megabytes long, and messages quote them and name
 * objects by them. Past max bytes, keep the head and the tail (where a
 * message says what would be valid) and say how much was left out, so that
 * no message floods a terminal or a log. A name Kubernetes accepts (at most
 * 253 bytes) is never shortened.
 */
enum {
	DIAG_MAX_NAME = 256,
	DIAG_MAX_MESSAGE = 1024,
};

/* The start of the UTF-8 character at s[i]. */
static size_t char_start(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

/* A copy of s, shortened past max bytes; only the bytes kept are copied. */
static char *bounded_copy(const char *s, size_t max)
{
	size_t len, head, tail;

	if (!s)
		return NULL;
	len = strlen(s);
	if (len <= max)
		return xstrndup(s, len);
	head = char_start(s, max * 6 / 10);
	tail = char_start(s, len - max * 3 / 10);
	return xasprintf("%.*s[... %zu bytes left out ...]%s", (int)head, s,
			 tail - head, s + tail);
}

static char *bounded(char *s, size_t max)
{
	char *out;

	if (!s || strlen(s) <= max)
		return s;
	out = bounded_copy(s, max);
	free(s);
	return out;
}

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
		d->show_column = pos->one_line && pos->column;
	}
	d->kind = bounded_copy(kind, DIAG_MAX_NAME);
	d->ns = bounded_copy(ns, DIAG_MAX_NAME);
	d->name = bounded_copy(name, DIAG_MAX_NAME);
	d->field = bounded_copy(field, DIAG_MAX_NAME);
	if (vasprintf(&d->message, fmt, ap) < 0)
		out_of_memory();
	d->message = bounded(d->message, DIAG_MAX_MESSAGE);
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
	if (d->show_column)
		return xasprintf("%s:%u:%u: %s%s %s%s%s%s%s: %s", file, d->line, d->column,
				 lvl, d->kind, d->ns ? d->ns : "", d->ns ? "/" : "",
				 d->name ? d->name : "?", d->field ? ": " : "",
				 d->field ? d->field : "", d->message);
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
