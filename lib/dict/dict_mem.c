/*
 * dict_mem.c - tables kept in memory: static, fail, inline:{...} and texthash.
 *
 * inline and texthash load everything at open time into one hash table plus
 * the insertion order (for postmap -s). static answers its name for every
 * key; fail answers a temporary error for every key. Nothing here writes a
 * file; the parsers only see the spec or the source file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dict/dict_impl.h"
#include "dict/dict_source.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

struct dict_mem {
    struct dict d;
    struct htable *table; /* key -> value (char *) */
    char **order;         /* keys in insertion order (owned) */
    size_t count;
    size_t alloc;
    size_t cursor; /* sequence position */
    char *origin;  /* for duplicate warnings: "file, line N" is built by the loader */
    int lineno;
};

static int dict_mem_lookup(struct dict *d, const char *key, const char **value)
{
    struct dict_mem *m = (struct dict_mem *)d;

    *value = htable_get(m->table, key);
    return *value ? DICT_FOUND : DICT_NOTFOUND;
}

static int dict_mem_update(struct dict *d, const char *key, const char *value)
{
    struct dict_mem *m = (struct dict_mem *)d;
    struct htable_entry *e = htable_find(m->table, key);

    if (e != NULL) {
        if (d->flags & DICT_FLAG_DUP_REPLACE) {
            mem_free(e->value);
            e->value = mem_strdup(value);
            return DICT_FOUND;
        }
        if (!(d->flags & DICT_FLAG_DUP_IGNORE)) {
            if (m->origin != NULL)
                msg_warn("%s, line %d: duplicate entry: \"%s\"", m->origin, m->lineno, key);
            else
                msg_warn("%s: duplicate entry: \"%s\"", d->spec, key);
        }
        return DICT_NOTFOUND;
    }
    htable_put(m->table, key, mem_strdup(value));
    if (m->count == m->alloc) {
        m->alloc = m->alloc ? mem_size_mul(m->alloc, 2) : 16;
        m->order = mem_realloc(m->order, mem_size_mul(m->alloc, sizeof(*m->order)));
    }
    m->order[m->count++] = mem_strdup(key);
    return DICT_FOUND;
}

static int dict_mem_sequence(struct dict *d, int first, const char **key, const char **value)
{
    struct dict_mem *m = (struct dict_mem *)d;

    if (first)
        m->cursor = 0;
    while (m->cursor < m->count) {
        const char *k = m->order[m->cursor++];
        const char *v = htable_get(m->table, k);

        if (v != NULL) {
            *key = k;
            *value = v;
            return DICT_FOUND;
        }
    }
    return DICT_NOTFOUND;
}

static void dict_mem_close(struct dict *d)
{
    struct dict_mem *m = (struct dict_mem *)d;
    size_t i;

    htable_free(m->table, mem_free);
    for (i = 0; i < m->count; i++)
        mem_free(m->order[i]);
    mem_free(m->order);
    mem_free(m->origin);
    dict_base_release(d);
    mem_free(m);
}

struct dict *dict_mem_new(const char *type, const char *name, int flags)
{
    struct dict_mem *m = mem_calloc(1, sizeof(*m));

    dict_base_init(&m->d, type, name, flags);
    m->table = htable_new(16);
    m->d.lookup = dict_mem_lookup;
    m->d.update = dict_mem_update;
    m->d.sequence = dict_mem_sequence;
    m->d.close = dict_mem_close;
    return &m->d;
}

/* static:value - every key maps to value ("{ text }" loses its braces). */
struct static_dict {
    struct dict d;
    char *value;
};

static int dict_static_lookup(struct dict *d, const char *key, const char **value)
{
    (void)key;
    *value = ((struct static_dict *)d)->value;
    return DICT_FOUND;
}

static void dict_static_close(struct dict *d)
{
    mem_free(((struct static_dict *)d)->value);
    dict_base_release(d);
    mem_free(d);
}

struct dict *dict_static_open(const char *type, const char *name, int flags, struct buf *err)
{
    struct static_dict *s = mem_calloc(1, sizeof(*s));

    (void)err;
    dict_base_init(&s->d, type, name, flags & ~DICT_FLAG_FOLD);
    s->value = dict_strip_braces(name);
    s->d.lookup = dict_static_lookup;
    s->d.close = dict_static_close;
    return &s->d;
}

/* fail:name - every lookup is a temporary error (for testing deferrals). */
static int dict_fail_lookup(struct dict *d, const char *key, const char **value)
{
    (void)d;
    (void)key;
    *value = NULL;
    errno = 0;
    return DICT_ERROR;
}

static void dict_fail_close(struct dict *d)
{
    dict_base_release(d);
    mem_free(d);
}

struct dict *dict_fail_open(const char *type, const char *name, int flags, struct buf *err)
{
    struct dict *d = mem_calloc(1, sizeof(*d));

    (void)err;
    dict_base_init(d, type, name, flags & ~DICT_FLAG_FOLD);
    d->lookup = dict_fail_lookup;
    d->close = dict_fail_close;
    return d;
}

/*
 * inline:{ key=value, { key = value with spaces }, ... }: elements are
 * separated by commas or white space; an element in braces may contain both.
 * The last duplicate wins, as in Postfix.
 */
static int dict_inline_parse(struct dict *d, const char *name, struct buf *err)
{
    const char *p, *end;
    struct buf elem = BUF_INIT;
    int count = 0;
    int rc = 0;

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
        char *eq;

        while (p < end && (isspace((unsigned char)*p) || *p == ','))
            p++;
        if (p >= end)
            break;
        if (*p == '{') {
            int depth = 1;

            start = ++p;
            while (p < end && depth > 0) {
                if (*p == '{')
                    depth++;
                else if (*p == '}')
                    depth--;
                p++;
            }
            if (depth != 0)
                goto syntax;
            buf_set_mem(&elem, start, (size_t)(p - 1 - start));
        } else {
            start = p;
            while (p < end && !isspace((unsigned char)*p) && *p != ',') {
                if (*p == '{' || *p == '}')
                    goto syntax;
                p++;
            }
            buf_set_mem(&elem, start, (size_t)(p - start));
        }
        eq = strchr(elem.data, '=');
        if (eq == NULL) {
            buf_printf(err,
                       "missing '=' after attribute name: \"%s:%s\"; need \"%s:{name=value...}\"",
                       d->type, name, d->type);
            rc = -1;
            goto out;
        }
        *eq = 0;
        dict_update(d, str_trim(elem.data), str_trim(eq + 1));
        count++;
    }
    if (count > 0)
        goto out;
syntax:
    buf_printf(err, "bad syntax: \"%s:%s\"; need \"%s:{name=value...}\"", d->type, name, d->type);
    rc = -1;
out:
    buf_release(&elem);
    return rc;
}

struct dict *dict_inline_open(const char *type, const char *name, int flags, struct buf *err)
{
    struct dict *d =
        dict_mem_new(type, name, (flags | DICT_FLAG_DUP_REPLACE) & ~DICT_FLAG_DUP_WARN);

    if (dict_inline_parse(d, name, err) < 0) {
        d->close(d);
        return NULL;
    }
    d->flags = flags;
    d->update = NULL; /* read-only once built */
    return d;
}

/* texthash:file - a postmap source file read at open time; first entry wins. */
struct dict *dict_texthash_open(const char *type, const char *name, int flags, struct buf *err)
{
    struct dict *d;
    struct dict_mem *m;
    struct dict_source src;
    FILE *fp;
    char *key, *value;

    if ((fp = fopen(name, "r")) == NULL) {
        buf_printf(err, "open database %s: %s", name, strerror(errno));
        return NULL;
    }
    d = dict_mem_new(type, name, flags & ~(DICT_FLAG_DUP_REPLACE | DICT_FLAG_DUP_IGNORE));
    m = (struct dict_mem *)d;
    m->origin = mem_strdup(name);
    dict_source_init_file(&src, fp, name);
    while (dict_source_next(&src)) {
        if (dict_source_split(&src, src.line.data, &key, &value) < 0)
            continue;
        m->lineno = src.lineno;
        dict_update(d, key, value);
    }
    dict_source_release(&src);
    fclose(fp);
    dict_watch_file(d, name);
    d->flags = flags;
    d->update = NULL;
    return d;
}
