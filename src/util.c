// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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

double clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t sip_key[2];

/* Before main, so that threads never race to draw it. Without entropy
 * (getrandom fails only on very old kernels) the clock and the pid still
 * make the key unknown in advance to whoever wrote the manifests. */
__attribute__((constructor)) static void sip_key_init(void)
{
	struct timespec ts;

	if (getrandom(sip_key, sizeof(sip_key), GRND_NONBLOCK) == sizeof(sip_key))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sip_key[0] = hash_fnv1a(&ts, sizeof(ts), (uint64_t)getpid());
	sip_key[1] = hash_fnv1a(&sip_key, sizeof(sip_key), (uint64_t)(uintptr_t)&ts);
}

#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL64(s->v2, 32);
}

static uint64_t load_le64(const unsigned char *p, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)p[i] << (8 * i);
	return m;
}

/* One compression round per 8 bytes, three to finish (SipHash-1-3). */
uint64_t hash_keyed(const void *data, size_t len)
{
	const unsigned char *p = data;
	struct sip_state s = {
		0x736f6d6570736575ULL ^ sip_key[0], 0x646f72616e646f6dULL ^ sip_key[1],
		0x6c7967656e657261ULL ^ sip_key[0], 0x7465646279746573ULL ^ sip_key[1],
	};
	size_t full = len & ~(size_t)7;
	uint64_t m;

	for (size_t i = 0; i < full; i += 8) {
		m = load_le64(p + i, 8);
		s.v3 ^= m;
		sip_round(&s);
		s.v0 ^= m;
	}
	m = load_le64(p + full, len - full) | (uint64_t)len << 56;
	s.v3 ^= m;
	sip_round(&s);
	s.v0 ^= m;
	s.v2 ^= 0xff;
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
