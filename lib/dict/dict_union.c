/*
 * dict_union.c - unionmap:{type:name, ...} and pipemap:{type:name, ...}.
 *
 * unionmap asks every table and joins the values found with commas; pipemap
 * feeds each table's answer to the next as its key. A temporary error from
 * any member is the answer of the whole. Members are opened through
 * dict_open() (shared) and closed with the composite.
 */
#include <ctype.h>
#include <string.h>

#include "dict/dict_impl.h"
#include "util/mem.h"

struct dict_union {
    struct dict d;
    int pipe;
    struct dict **members;
    size_t count;
    struct buf result;
    struct buf key;
};

static int dict_union_lookup(struct dict *d, const char *key, const char **value)
{
    struct dict_union *du = (struct dict_union *)d;
    size_t i;
    int found = 0;

    buf_reset(&du->result);
    buf_set(&du->key, key);
    for (i = 0; i < du->count; i++) {
        const char *v;
        int rc = dict_lookup(du->members[i], buf_str(&du->key), &v);

        if (rc == DICT_ERROR)
            return DICT_ERROR;
        if (du->pipe) {
            if (rc != DICT_FOUND)
                return DICT_NOTFOUND;
            buf_set(&du->key, v);
            continue;
        }
        if (rc == DICT_FOUND) {
            if (found++)
                buf_append_char(&du->result, ',');
            buf_append_str(&du->result, v);
        }
    }
    if (du->pipe) {
        *value = buf_str(&du->key);
        return DICT_FOUND;
    }
    *value = buf_str(&du->result);
    return found ? DICT_FOUND : DICT_NOTFOUND;
}

static void dict_union_close(struct dict *d)
{
    struct dict_union *du = (struct dict_union *)d;
    size_t i;

    for (i = 0; i < du->count; i++)
        dict_close(du->members[i]);
    mem_free(du->members);
    buf_release(&du->result);
    buf_release(&du->key);
    dict_base_release(d);
    mem_free(du);
}

struct dict *dict_union_open(const char *type, const char *name, int flags, struct buf *err)
{
    struct dict_union *du = mem_calloc(1, sizeof(*du));
    const char *p, *end;
    struct buf member = BUF_INIT;
    size_t alloc = 0;

    /* The composite itself does not fold: each member folds as it was opened. */
    dict_base_init(&du->d, type, name, flags & ~DICT_FLAG_FOLD);
    du->pipe = strcmp(type, "pipemap") == 0;
    buf_init(&du->result);
    buf_init(&du->key);
    du->d.lookup = dict_union_lookup;
    du->d.close = dict_union_close;
    p = name;
    end = name + strlen(name);
    while (p < end && isspace((unsigned char)*p))
        p++;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    if (end - p < 2 || *p != '{' || end[-1] != '}')
        goto syntax;
    p++;
    end--;
    for (;;) {
        const char *start;
        int depth = 0;
        struct dict *m;

        while (p < end && (isspace((unsigned char)*p) || *p == ','))
            p++;
        if (p >= end)
            break;
        start = p;
        while (p < end && (depth > 0 || (!isspace((unsigned char)*p) && *p != ','))) {
            if (*p == '{')
                depth++;
            else if (*p == '}' && --depth < 0)
                goto syntax;
            p++;
        }
        if (depth != 0)
            goto syntax;
        buf_set_mem(&member, start, (size_t)(p - start));
        m = dict_open(buf_str(&member), flags & ~(DICT_FLAG_CREATE | DICT_FLAG_WRITE), err);
        if (m == NULL)
            goto fail;
        if (du->count == alloc) {
            alloc = alloc ? mem_size_mul(alloc, 2) : 4;
            du->members = mem_realloc(du->members, mem_size_mul(alloc, sizeof(*du->members)));
        }
        du->members[du->count++] = m;
    }
    if (du->count > 0) {
        buf_release(&member);
        return &du->d;
    }
syntax:
    buf_reset(err);
    buf_printf(err, "bad syntax: \"%s:%s\"; need \"%s:{type:name...}\"", type, name, type);
fail:
    buf_release(&member);
    dict_union_close(&du->d);
    return NULL;
}
