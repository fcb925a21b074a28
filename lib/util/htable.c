/*
 * htable.c - string-keyed hash table (see htable.h). FNV-1a hashing,
 * separate chaining, doubling when the load factor passes 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "mem.h"

static size_t htable_hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL;

    while (*key) {
        h ^= (unsigned char)*key++;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

struct htable *htable_new(size_t hint)
{
    struct htable *t = mem_alloc(sizeof(*t));

    t->size = 16;
    while (t->size < hint && t->size < ((size_t)1 << 30))
        t->size <<= 1;
    t->bucket = mem_calloc(t->size, sizeof(t->bucket[0]));
    t->used = 0;
    return t;
}

void htable_free(struct htable *t, void (*free_value)(void *))
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->size; i++) {
        struct htable_entry *e = t->bucket[i];

        while (e) {
            struct htable_entry *next = e->next;

            if (free_value)
                free_value(e->value);
            mem_free(e->key);
            mem_free(e);
            e = next;
        }
    }
    mem_free(t->bucket);
    mem_free(t);
}

static void htable_grow(struct htable *t)
{
    size_t new_size = mem_size_mul(t->size, 2);
    struct htable_entry **nb = mem_calloc(new_size, sizeof(nb[0]));
    size_t i;

    for (i = 0; i < t->size; i++) {
        struct htable_entry *e = t->bucket[i];

        while (e) {
            struct htable_entry *next = e->next;
            size_t b = htable_hash(e->key) & (new_size - 1);

            e->next = nb[b];
            nb[b] = e;
            e = next;
        }
    }
    mem_free(t->bucket);
    t->bucket = nb;
    t->size = new_size;
}

struct htable_entry *htable_find(const struct htable *t, const char *key)
{
    struct htable_entry *e = t->bucket[htable_hash(key) & (t->size - 1)];

    for (; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

void *htable_get(const struct htable *t, const char *key)
{
    struct htable_entry *e = htable_find(t, key);

    return e ? e->value : NULL;
}

void *htable_put(struct htable *t, const char *key, void *value)
{
    struct htable_entry *e = htable_find(t, key);
    size_t b;

    if (e) {
        void *old = e->value;

        e->value = value;
        return old;
    }
    if (t->used >= t->size)
        htable_grow(t);
    b = htable_hash(key) & (t->size - 1);
    e = mem_alloc(sizeof(*e));
    e->key = mem_strdup(key);
    e->value = value;
    e->next = t->bucket[b];
    t->bucket[b] = e;
    t->used++;
    return NULL;
}

void *htable_remove(struct htable *t, const char *key)
{
    struct htable_entry **pp = &t->bucket[htable_hash(key) & (t->size - 1)];

    for (; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            struct htable_entry *e = *pp;
            void *value = e->value;

            *pp = e->next;
            mem_free(e->key);
            mem_free(e);
            t->used--;
            return value;
        }
    }
    return NULL;
}

static int htable_cmp(const void *a, const void *b)
{
    return strcmp((*(struct htable_entry *const *)a)->key, (*(struct htable_entry *const *)b)->key);
}

struct htable_entry **htable_sorted(const struct htable *t, size_t *n)
{
    struct htable_entry **list = mem_calloc(t->used ? t->used : 1, sizeof(list[0]));
    size_t i;
    size_t k = 0;

    for (i = 0; i < t->size; i++) {
        struct htable_entry *e;

        for (e = t->bucket[i]; e; e = e->next)
            list[k++] = e;
    }
    qsort(list, k, sizeof(list[0]), htable_cmp);
    *n = k;
    return list;
}
