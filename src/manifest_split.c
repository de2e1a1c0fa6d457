// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cutting a large manifest file into parts that read, one by one, exactly
 * as the whole does (manifest_parallel.c reads them on several threads):
 * a stream of documents at its document starts, a kubectl List between
 * its items. What is checked here only decides what is tried: a part that
 * does not read cleanly makes the whole file be read again as one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"
#include "util.h"

/* How kubectl get -o yaml starts and ends a List; items sit at column 0. */
#define LIST_HEAD "apiVersion: v1\nitems:\n"
#define LIST_HEAD_LINES 2u
#define LIST_TAIL "kind: List\n"

/*
 * No directives ('%' lines apply to the document after them), no byte
 * order mark and no UTF-16 or UTF-32 (libyaml picks the encoding at the
 * start of what it reads).
 */
static bool cuttable(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	if (len < 2 || (unsigned char)text[0] >= 0xef || !text[0] || !text[1])
		return false;
	/* '%' is rare in manifests: memchr() finds it fast, memmem() not */
	while ((p = memchr(p, '%', (size_t)(end - p)))) {
		if (p == text || p[-1] == '\n' || p[-1] == '\r')
			return false;
		p++;
	}
	return true;
}

static const char *next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

/* A line that is exactly "---": a document start at column 0, which ends
 * whatever came before it. */
static bool is_doc_start(const char *p, const char *end)
{
	return end - p >= 4 && !memcmp(p, "---", 3) &&
	       (p[3] == '\n' || (p[3] == '\r' && end - p >= 5 && p[4] == '\n'));
}

static bool is_item_start(const char *p, const char *end)
{
	return end - p >= 2 && p[0] == '-' && p[1] == ' ';
}

/* '\n' bytes, eight at a time: a byte of x is zero exactly where the top
 * bit of ~((x & 0x7f..) + 0x7f.. | x | 0x7f..) is set. */
static unsigned count_newlines(const char *p, const char *end)
{
	const uint64_t nl = 0x0a0a0a0a0a0a0a0aull, low7 = 0x7f7f7f7f7f7f7f7full;
	unsigned n = 0;

	for (; end - p >= 8; p += 8) {
		uint64_t x, t;

		memcpy(&x, p, sizeof(x));
		x ^= nl;
		t = ~(((x & low7) + low7) | x | low7);
		n += (unsigned)__builtin_popcountll(t);
	}
	for (; p < end; p++)
		n += *p == '\n';
	return n;
}

/* Line breaks as libyaml counts them (manifest_is_break). */
static unsigned count_breaks(const char *p, const char *end)
{
	unsigned n = 0;

	if (!memchr(p, '\r', (size_t)(end - p)))
		return count_newlines(p, end);
	for (; p < end; p++)
		n += manifest_is_break(p, end);
	return n;
}

/* The first line at or after from that starts a part, or end. */
static const char *next_cut(const char *text, const char *from,
			    const char *end, bool list)
{
	const char *p = from;

	if (p > text && p[-1] != '\n')
		p = next_line(p, end);
	while (p < end && !(list ? is_item_start(p, end) : is_doc_start(p, end)))
		p = next_line(p, end);
	return p;
}

/*
 * A kubectl List: LIST_HEAD, then lines at column 0 that each start an
 * item ("- "), comment or are empty, then LIST_TAIL and what follows it.
 * *items and *tail: where the items and LIST_TAIL start.
 */
static bool list_layout(const char *text, size_t len, const char **items,
			const char **tail)
{
	const char *end = text + len, *p = text + strlen(LIST_HEAD);

	if (len < strlen(LIST_HEAD) || memcmp(text, LIST_HEAD, strlen(LIST_HEAD)))
		return false;
	*items = p;
	for (; p < end; p = next_line(p, end)) {
		if (*p == ' ' || *p == '\n' || *p == '#' || is_item_start(p, end))
			continue;
		*tail = p;
		return (size_t)(end - p) >= strlen(LIST_TAIL) &&
		       !memcmp(p, LIST_TAIL, strlen(LIST_TAIL));
	}
	return false;
}

static struct manifest_part *add_part(struct manifest_part **v, size_t *n,
				      size_t *cap)
{
	grow_array(v, cap, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	return &(*v)[(*n)++];
}

char *manifest_part_text(const struct manifest_part *pt, size_t *len)
{
	size_t hlen = pt->list_head ? strlen(LIST_HEAD) : 0;
	size_t tlen = pt->list_tail ? strlen(LIST_TAIL) : 0;
	char *own;

	if (!hlen && !tlen)
		return NULL;
	own = xmalloc(hlen + pt->len + tlen + 1);
	memcpy(own, LIST_HEAD, hlen);
	memcpy(own + hlen, pt->text, pt->len);
	memcpy(own + hlen + pt->len, LIST_TAIL, tlen);
	own[hlen + pt->len + tlen] = '\0';
	*len = hlen + pt->len + tlen;
	return own;
}

/* Items pt as a List of their own: LIST_HEAD before them unless they
 * follow it in the file, LIST_TAIL after them unless it follows them
 * (last); lines counted so that the items keep theirs. */
static void list_part(struct manifest_part *pt, const char *text, bool last)
{
	pt->list = true;
	pt->list_head = pt->text != text;
	pt->list_tail = !last;
	pt->base_line -= pt->list_head ? LIST_HEAD_LINES : 0;
}

size_t manifest_split(const char *text, size_t len, size_t target,
		      struct manifest_part **parts)
{
	const char *end = text + len, *from = text, *items = NULL, *tail = NULL;
	size_t n = 0, cap = 0;
	unsigned line = 0;	/* line breaks before from */
	bool list;

	*parts = NULL;
	if (!cuttable(text, len))
		return 0;
	list = list_layout(text, len, &items, &tail);
	while (from < end) {
		const char *to = end;
		struct manifest_part *pt = add_part(parts, &n, &cap);
		const char *limit = list ? tail : end;

		if ((size_t)(end - from) > target + target / 2 &&
		    (size_t)(limit - from) > target)
			to = next_cut(text, from + target, limit, list);
		if (list && to == tail)
			to = end;	/* the tail stays with the last items */
		pt->text = from;
		pt->len = (size_t)(to - from);
		pt->base_line = line;
		if (list)
			list_part(pt, text, to == end);
		if (to < end)
			line += count_breaks(from, to);
		from = to;
	}
	return n;
}
