// SPDX-License-Identifier: GPL-2.0-or-later
/* Open-addressing tables for indexing; see util.h. Keyed hashing
 * (hash_keyed) keeps linear probing short whatever the manifests name. */
#include <stdlib.h>
#include <string.h>

#include "util.h"

static size_t strmap_slot(const struct strmap_entry *slots, size_t cap,
			  const char *key, uint64_t h)
{
	size_t i = h & (cap - 1);

	while (slots[i].key && (slots[i].hash != h || strcmp(slots[i].key, key)))
		i = (i + 1) & (cap - 1);
	return i;
}

static void strmap_grow(struct strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct strmap_entry *ns = xcalloc(ncap, sizeof(*ns));

	for (size_t i = 0; i < m->cap; i++) {
		struct strmap_entry *e = &m->slots[i];

		if (e->key)
			ns[strmap_slot(ns, ncap, e->key, e->hash)] = *e;
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
}

void strmap_add(struct strmap *m, const char *key, size_t val)
{
	uint64_t h = hash_keyed(key, strlen(key));
	struct strmap_entry *e;

	if ((m->n + 1) * 2 > m->cap)
		strmap_grow(m);
	e = &m->slots[strmap_slot(m->slots, m->cap, key, h)];
	if (!e->key) {
		e->key = xstrdup(key);
		e->hash = h;
		m->n++;
	}
	grow_array(&e->vals, &e->cap_vals, e->nvals + 1, sizeof(*e->vals));
	e->vals[e->nvals++] = val;
}

const struct strmap_entry *strmap_get(const struct strmap *m, const char *key)
{
	const struct strmap_entry *e;

	if (!m->cap)
		return NULL;
	e = &m->slots[strmap_slot(m->slots, m->cap, key,
				  hash_keyed(key, strlen(key)))];
	return e->key ? e : NULL;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		free(m->slots[i].key);
		free(m->slots[i].vals);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static size_t keyset_slot(const struct keyset_slot *slots, size_t cap,
			  const void *key, size_t len, uint64_t h)
{
	size_t i = h & (cap - 1);

	while (slots[i].key && (slots[i].hash != h || slots[i].len != len ||
				memcmp(slots[i].key, key, len)))
		i = (i + 1) & (cap - 1);
	return i;
}

static void keyset_grow(struct keyset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	struct keyset_slot *ns = xcalloc(ncap, sizeof(*ns));

	for (size_t i = 0; i < s->cap; i++) {
		const struct keyset_slot *e = &s->slots[i];

		if (e->key)
			ns[keyset_slot(ns, ncap, e->key, e->len, e->hash)] = *e;
	}
	free(s->slots);
	s->slots = ns;
	s->cap = ncap;
}

bool keyset_add(struct keyset *s, const void *key, size_t len)
{
	uint64_t h = hash_keyed(key, len);
	struct keyset_slot *e;

	if ((s->n + 1) * 2 > s->cap)
		keyset_grow(s);
	e = &s->slots[keyset_slot(s->slots, s->cap, key, len, h)];
	if (e->key)
		return false;
	e->key = key;
	e->len = len;
	e->hash = h;
	s->n++;
	return true;
}

bool keyset_has(const struct keyset *s, const void *key, size_t len)
{
	return s->cap &&
	       s->slots[keyset_slot(s->slots, s->cap, key, len, hash_keyed(key, len))].key;
}

void keyset_free(struct keyset *s)
{
	if (!s)
		return;
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

static size_t u64set_slot(const uint64_t *slots, size_t cap, uint64_t key)
{
	size_t i = hash_keyed(&key, sizeof(key)) & (cap - 1);

	while (slots[i] && slots[i] != key + 1)
		i = (i + 1) & (cap - 1);
	return i;
}

static void u64set_grow(struct u64set *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	uint64_t *ns = xcalloc(ncap, sizeof(*ns));

	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			ns[u64set_slot(ns, ncap, s->slots[i] - 1)] = s->slots[i];
	free(s->slots);
	s->slots = ns;
	s->cap = ncap;
}

bool u64set_add(struct u64set *s, uint64_t key)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap)
		u64set_grow(s);
	i = u64set_slot(s->slots, s->cap, key);
	if (s->slots[i])
		return false;
	s->slots[i] = key + 1;
	s->n++;
	return true;
}

bool u64set_has(const struct u64set *s, uint64_t key)
{
	return s->cap && s->slots[u64set_slot(s->slots, s->cap, key)];
}

void u64set_free(struct u64set *s)
{
	if (!s)
		return;
	free(s->slots);
	memset(s, 0, sizeof(*s));
}
