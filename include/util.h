/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_UTIL_H
#define SVCNFT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Allocation that cannot fail: svcnft is a short-lived command, and running
 * out of memory half-way through compiling a ruleset leaves nothing worth
 * recovering, so these end the run instead of threading -ENOMEM through
 * every builder. Nothing has been sent to the kernel at that point.
 */
/* Print one line ("svcnft: out of memory; nothing applied") and exit 1:
 * what every allocation failure does, here or in a library's allocator. */
void out_of_memory(void) __attribute__((noreturn));
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);		/* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *v (of *cap elements of size elem) so that it holds at least need. */
void grow_array(void *v, size_t *cap, size_t need, size_t elem);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* 64-bit FNV-1a: stable across runs and machines, used for allocations. */
uint64_t hash_fnv1a(const void *data, size_t len, uint64_t seed);

/* A duration as Go (and kube-proxy's flags) write it: "250ms", "30s",
 * "1h", "1m30s"; "0" alone needs no unit. 0 or -EINVAL. */
int duration_parse(const char *s, double *seconds);
/* The clock's time in seconds: CLOCK_MONOTONIC for intervals and
 * deadlines, CLOCK_REALTIME for what is shown as a date. */
double clock_seconds(clockid_t clock);
/*
 * SipHash-1-3 under a key drawn at random when the process starts: for hash
 * tables indexed by what manifests name (labels, names, anchors). Nobody who
 * writes a manifest can choose keys that collide, as they could for an
 * unkeyed hash and make every lookup a scan. Differs between runs: never use
 * it for anything that is printed or kept.
 */
uint64_t hash_keyed(const void *data, size_t len);


/*
 * A string-keyed multimap (key -> list of indices), used to index manifest
 * objects by "ns/name" or by "ns/label=value" without quadratic scans.
 */
struct strmap_entry {
	char *key;
	uint64_t hash;
	size_t *vals;
	size_t nvals, cap_vals;
};

struct strmap {
	struct strmap_entry *slots;
	size_t cap, n;
};

void strmap_add(struct strmap *m, const char *key, size_t val);
const struct strmap_entry *strmap_get(const struct strmap *m, const char *key);
void strmap_free(struct strmap *m);

/*
 * A set of byte strings the caller keeps (nothing is copied), for
 * "seen before?" over labels or addresses without an allocation per key.
 */
struct keyset_slot {
	const void *key;
	size_t len;
	uint64_t hash;
};

struct keyset {
	struct keyset_slot *slots;
	size_t cap, n;
};

/* Returns true when key was added, false when already present. */
bool keyset_add(struct keyset *s, const void *key, size_t len);
bool keyset_has(const struct keyset *s, const void *key, size_t len);
void keyset_free(struct keyset *s);

/* A set of 64-bit keys (addresses, ports) for allocation. */
struct u64set {
	uint64_t *slots;	/* key + 1; 0 marks an empty slot */
	size_t cap, n;
};

/* Returns true when key was added, false when already present. */
bool u64set_add(struct u64set *s, uint64_t key);
bool u64set_has(const struct u64set *s, uint64_t key);
void u64set_free(struct u64set *s);

#endif
