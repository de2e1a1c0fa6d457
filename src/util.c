// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void out_of_memory(void)
{
	/* fputs to unbuffered stderr allocates nothing */
	fputs("svcnft: out of memory; nothing applied\n", stderr);
	exit(1);
}

static void *check_alloc(void *p)
{
	if (!p)
		out_of_memory();
	return p;
}

void *xmalloc(size_t size)
{
	return check_alloc(malloc(size ? size : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return check_alloc(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t size)
{
	return check_alloc(realloc(p, size ? size : 1));
}

char *xstrdup(const char *s)
{
	return s ? check_alloc(strdup(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	return s ? check_alloc(strndup(s, n)) : NULL;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		out_of_memory();
	return s;
}

void grow_array(void *v, size_t *cap, size_t need, size_t elem)
{
	void **pv = v;
	size_t ncap;

	if (need <= *cap)
		return;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	*pv = xrealloc(*pv, ncap * elem);
	memset((char *)*pv + *cap * elem, 0, (ncap - *cap) * elem);
	*cap = ncap;
}

uint64_t hash_fnv1a(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int duration_parse(const char *s, double *seconds)
{
	static const struct { const char *unit; double scale; } units[] = {
		{ "ms", 1e-3 }, { "us", 1e-6 }, { "ns", 1e-9 },
		{ "h", 3600 }, { "m", 60 }, { "s", 1 },
	};
	double total = 0;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "0")) {
		*seconds = 0;
		return 0;
	}
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t k;

		if (end == s || v < 0 || *s == '+' || *s == '-')
			return -EINVAL;
		for (k = 0; k < ARRAY_SIZE(units); k++)
			if (!strncmp(end, units[k].unit, strlen(units[k].unit)))
				break;
		if (k == ARRAY_SIZE(units))
			return -EINVAL;
		total += v * units[k].scale;
		s = end + strlen(units[k].unit);
	}
	if (!(total >= 0 && total <= 366.0 * 86400))	/* NaN too */
		return -EINVAL;
	*seconds = total;
	return 0;
}
