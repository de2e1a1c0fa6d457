// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unrendered Helm and Go templates: `name: {{ .Release.Name }}` is YAML of
 * a sort (a flow mapping in a flow mapping), and `{{- if ... }}` is not, so
 * libyaml would report one puzzling message per placeholder. One line scan
 * before parsing finds the first `{{` where YAML would start a node, and
 * the file is refused with one message that says what to do. `{{` inside
 * quotes, comments, plain scalars and block scalars (`|`, `>`: alert
 * templates in a ConfigMap) is text, and left alone.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "manifest_int.h"

/* strspn within n bytes: the buffer need not end in a NUL. */
static size_t span(const char *s, size_t n, const char *set)
{
	size_t i = 0;

	while (i < n && s[i] && strchr(set, s[i]))
		i++;
	return i;
}

struct line_scan {
	size_t indent;		/* leading spaces */
	size_t placeholder;	/* offset of an unquoted "{{", or SIZE_MAX */
	bool opens_block;	/* ends with a block scalar indicator */
};

/* Whether s[0..n) (comment and trailing spaces removed) ends in a block
 * scalar indicator: "|" or ">" after a space, ':', '-' or nothing, with up
 * to two chomping or indentation indicators. */
static bool ends_in_block_indicator(const char *s, size_t n)
{
	size_t tail = 0;

	while (n && tail < 2 && s[n - 1] && strchr("+-0123456789", s[n - 1])) {
		n--;
		tail++;
	}
	if (!n || (s[n - 1] != '|' && s[n - 1] != '>'))
		return false;
	n--;
	return !n || s[n - 1] == ' ' || s[n - 1] == ':' || s[n - 1] == '-';
}

/* Whether a node may start at s[i]: after nothing on the line, after a
 * flow indicator ('[', '{', ','), or after a ':' or '-' that is one (a
 * space follows). Elsewhere "{{" is inside a plain scalar, as in
 * `summary: Pod {{ $labels.pod }} is down` (an alert's text): not YAML
 * structure, so not a placeholder to refuse. */
static bool node_may_start(const char *s, size_t indent, size_t i)
{
	while (i > indent && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	if (i == indent || s[i - 1] == '[' || s[i - 1] == '{' || s[i - 1] == ',')
		return true;
	return (s[i - 1] == ':' || s[i - 1] == '-') && (s[i] == ' ' || s[i] == '\t');
}

/* Where the comment of s[0..n) starts (or n), noting the first "{{"
 * where a node may start in ls->placeholder. */
static size_t scan_quoted(const char *s, size_t n, struct line_scan *ls)
{
	char quote = 0;

	for (size_t i = ls->indent; i < n; i++) {
		char c = s[i];

		if (quote == '"' && c == '\\') {
			i++;
		} else if (quote && c == quote) {
			/* '' inside single quotes is an escaped quote */
			if (quote == '\'' && i + 1 < n && s[i + 1] == '\'')
				i++;
			else
				quote = 0;
		} else if (!quote && (c == '"' || c == '\'')) {
			quote = c;
		} else if (!quote && c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
			return i;
		} else if (!quote && c == '{' && i + 1 < n && s[i + 1] == '{' &&
			   ls->placeholder == SIZE_MAX && node_may_start(s, ls->indent, i)) {
			ls->placeholder = i;
		}
	}
	return n;
}

static void scan_line(const char *s, size_t n, struct line_scan *ls)
{
	size_t end = n;

	ls->indent = span(s, n, " ");
	ls->placeholder = SIZE_MAX;
	/* quotes matter only to a '#' or a '{', which most lines lack */
	if (memchr(s, '#', n) || memchr(s, '{', n))
		end = scan_quoted(s, n, ls);
	while (end > ls->indent && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
		end--;
	ls->opens_block = ends_in_block_indicator(s + ls->indent, end - ls->indent);
}

/* The first unquoted "{{" outside comments and block scalars: its line,
 * column and offset; false when there is none. */
static bool find_placeholder(const char *buf, size_t len, unsigned *line,
			     unsigned *col, size_t *at)
{
	size_t block_indent = 0;
	bool in_block = false;
	unsigned lineno = 0;

	for (size_t off = 0; off < len; lineno++) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		struct line_scan ls;

		scan_line(buf + off, n, &ls);
		if (in_block && (ls.indent > block_indent ||
				 span(buf + off, n, " \t\r") == n)) {
			off += n + 1;
			continue;
		}
		in_block = false;
		if (ls.placeholder != SIZE_MAX) {
			*line = lineno + 1;
			*col = ls.placeholder + 1;
			*at = off + ls.placeholder;
			return true;
		}
		if (ls.opens_block) {
			in_block = true;
			block_indent = ls.indent;
		}
		off += n + 1;
	}
	return false;
}

bool manifest_refuse_template(const char *file, const char *buf, size_t len,
			      struct diag_list *diags)
{
	unsigned line, col;
	size_t at, shown;
	struct src_pos pos;

	if (!find_placeholder(buf, len, &line, &col, &at))
		return false;
	/* quote the placeholder, up to its "}}" on the same line */
	for (shown = 2; at + shown < len && shown < 80 && buf[at + shown] != '\n'; shown++)
		if (shown >= 3 && buf[at + shown] == '}' && buf[at + shown - 1] == '}')
			break;
	if (at + shown < len && buf[at + shown] == '}')
		shown++;
	pos = (struct src_pos){ .file = file, .line = line, .column = col };
	diag_add(diags, DIAG_ERROR, &pos, NULL, NULL, NULL, NULL,
		 "\"%.*s\" is a Helm or Go template placeholder: the file must be rendered first (helm template, or the tool that fills it in), and its output given to svcnft",
		 (int)shown, buf + at);
	return true;
}
