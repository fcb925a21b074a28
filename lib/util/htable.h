/*
 * htable.h - string-keyed hash table with owned keys.
 *
 * Keys are copied; values are opaque pointers owned by the caller (a free
 * function may be given to htable_free). Iteration order is unspecified;
 * callers that print must sort. The table grows to keep chains short and
 * must never be keyed by data whose length is not bounded by the caller.
 */
#ifndef POSTERN_UTIL_HTABLE_H
#define POSTERN_UTIL_HTABLE_H

#include <stddef.h>

struct htable_entry {
    char *key;
    void *value;
    struct htable_entry *next;
};

struct htable {
    struct htable_entry **bucket;
    size_t size; /* number of buckets, a power of two */
    size_t used;
};

struct htable *htable_new(size_t hint);
void htable_free(struct htable *table, void (*free_value)(void *));
/* Inserts or replaces; returns the previous value or NULL. */
void *htable_put(struct htable *table, const char *key, void *value);
void *htable_get(const struct htable *table, const char *key);
struct htable_entry *htable_find(const struct htable *table, const char *key);
void *htable_remove(struct htable *table, const char *key);
/* Returns a malloc'ed array of the entries (count in *n), sorted by key. */
struct htable_entry **htable_sorted(const struct htable *table, size_t *n);

#endif
