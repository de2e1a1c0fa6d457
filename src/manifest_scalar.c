// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a scalar means. kubectl turns YAML into JSON with a YAML 1.1 reader
 * (go-yaml v2), so a plain `80` is a number, a plain `yes` or `on` is a
 * boolean and a quoted "80" is a string; these rules follow that reader so
 * svcnft accepts what kubectl accepts and rejects what the API server would.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"
#include "util.h"

static const char *const null_words[] = { "", "~", "null", "Null", "NULL" };
static const char *const true_words[] = {
	"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y",
};
static const char *const false_words[] = {
	"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N",
};
static const char *const float_words[] = {
	".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
	"-.INF", ".nan", ".NaN", ".NAN",
};

static bool in_words(const char *s, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, words[i]))
			return true;
	return false;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Base from a 0x/0o/0b prefix or a YAML 1.1 leading 0 (octal); *s moves past
 * the prefix. */
static unsigned int_base(const char **s)
{
	const char *p = *s;

	if (p[0] != '0' || !p[1])
		return 10;
	if (p[1] == 'x' || p[1] == 'X' || p[1] == 'o' || p[1] == 'b') {
		*s = p + 2;
		return p[1] == 'o' ? 8 : p[1] == 'b' ? 2 : 16;
	}
	*s = p + 1;
	return 8;
}

/* 0: an integer in *out; -EINVAL: not an integer; -ERANGE: too large. */
static int parse_int(const char *s, long long *out)
{
	unsigned long long mag = 0, limit;
	bool neg = *s == '-', any = false, over = false;
	unsigned base;

	if (*s == '-' || *s == '+')
		s++;
	base = int_base(&s);
	for (; *s; s++) {
		unsigned d = (unsigned)digit_value(*s);

		if (*s == '_')
			continue;	/* YAML 1.1 digit separator */
		if (d >= base)
			return -EINVAL;
		if (mag > (ULLONG_MAX - d) / base)
			over = true;
		else
			mag = mag * base + d;
		any = true;
	}
	if (!any)
		return -EINVAL;
	limit = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	if (over || mag > limit)
		return -ERANGE;
	*out = neg ? (long long)(0 - mag) : (long long)mag;
	return 0;
}

static const char *skip_digits(const char *s, bool *any)
{
	for (; (*s >= '0' && *s <= '9') || *s == '_'; s++)
		*any = true;
	return s;
}

/* YAML 1.1 float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_float(const char *s)
{
	bool mant = false, exp = false;

	if (in_words(s, float_words, ARRAY_SIZE(float_words)))
		return true;
	if (*s == '-' || *s == '+')
		s++;
	s = skip_digits(s, &mant);
	if (*s == '.')
		s = skip_digits(s + 1, &mant);
	if (!mant)
		return false;
	if (*s != 'e' && *s != 'E')
		return !*s;
	s++;
	if (*s == '-' || *s == '+')
		s++;
	s = skip_digits(s, &exp);
	return exp && !*s;
}

/* Could s be one of the null or boolean words (all short, starting so)? */
static bool maybe_word(const struct mnode *n)
{
	return n->n <= 5 && (!n->n || strchr("~nNtTfFyYoO", n->u.str[0]));
}

static enum scalar_type resolve_word(const char *s, int *bval)
{
	if (in_words(s, null_words, ARRAY_SIZE(null_words)))
		return SC_NULL;
	if (in_words(s, true_words, ARRAY_SIZE(true_words)))
		return *bval = 1, SC_BOOL;
	if (in_words(s, false_words, ARRAY_SIZE(false_words)))
		return *bval = 0, SC_BOOL;
	return SC_STR;
}

enum scalar_type mnode_resolve(const struct mnode *n, long long *ival,
			       int *bval, bool *range_err)
{
	const char *s = n->u.str;
	enum scalar_type t;
	int r;

	*range_err = false;
	if (!(n->flags & MN_PLAIN))
		return SC_STR;
	if (maybe_word(n) && (t = resolve_word(s, bval)) != SC_STR)
		return t;
	if (!(*s >= '0' && *s <= '9') && *s != '-' && *s != '+' && *s != '.')
		return SC_STR;	/* the common case, decided by one byte */
	r = parse_int(s, ival);
	if (r == 0 || r == -ERANGE) {
		*range_err = r == -ERANGE;
		return SC_INT;
	}
	return is_float(s) ? SC_FLOAT : SC_STR;
}

bool mnode_is_null(const struct mnode *n)
{
	return n->kind == MN_SCALAR && (n->flags & MN_PLAIN) && maybe_word(n) &&
	       in_words(n->u.str, null_words, ARRAY_SIZE(null_words));
}

bool mnode_str_eq(const struct mnode *n, const char *s)
{
	return n->kind == MN_SCALAR && n->u.str && !strcmp(n->u.str, s);
}

char *mnode_take_str(struct mnode *n)
{
	/* the tree's text lives in its arena: what is kept is copied */
	return xstrndup(n->u.str, n->n);
}

char *mnode_shown(const struct mnode *n)
{
	enum { MAX_SHOWN = 40 };
	size_t len = n->n > MAX_SHOWN ? MAX_SHOWN : n->n;
	char *out;

	/* Cut at a character boundary, not inside a UTF-8 sequence. */
	while (len < n->n && len > 0 && ((unsigned char)n->u.str[len] & 0xc0) == 0x80)
		len--;
	out = xasprintf("%.*s%s", (int)len, n->u.str, len < n->n ? "..." : "");
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}
