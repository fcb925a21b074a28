/*
 * dict.c - the table registry, type dispatch, case folding and change
 * detection behind dict.h.
 *
 * Called by every program that looks up a table. Invariants: a shared handle
 * is returned for the same spec and flags; keys reach a backend already folded
 * when the handle folds; a handle is freed only when its refcount drops to 0.
 * Never fatal: every failure goes back to the caller as a status and a reason.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "dict/dict_impl.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"

static const struct {
    const char *type;
    dict_open_fn open;
} dict_types[] = {
    {"static", dict_static_open},     {"fail", dict_fail_open},     {"inline", dict_inline_open},
    {"texthash", dict_texthash_open}, {"hash", dict_db_open},       {"btree", dict_db_open},
    {"regexp", dict_regexp_open},     {"pcre", dict_regexp_open},   {"cidr", dict_cidr_open},
    {"unionmap", dict_union_open},    {"pipemap", dict_union_open},
};

static struct htable *dict_registry;

void dict_base_init(struct dict *d, const char *type, const char *name, int flags)
{
    struct buf spec = BUF_INIT;

    buf_printf(&spec, "%s:%s", type, name);
    d->spec = buf_steal(&spec);
    d->type = mem_strdup(type);
    d->name = mem_strdup(name);
    d->flags = flags;
    d->refcount = 1;
    buf_init(&d->fold);
}

void dict_base_release(struct dict *d)
{
    mem_free(d->spec);
    mem_free(d->type);
    mem_free(d->name);
    mem_free(d->watch);
    buf_release(&d->fold);
}

void dict_watch_file(struct dict *d, const char *path)
{
    struct stat st;

    mem_free(d->watch);
    d->watch = mem_strdup(path);
    if (stat(path, &st) == 0) {
        d->watch_dev = st.st_dev;
        d->watch_ino = st.st_ino;
        d->watch_mtime = st.st_mtim;
    }
}

char *dict_strip_braces(const char *text)
{
    size_t len = strlen(text);
    const char *start = text;
    const char *end = text + len;

    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    if (end - start >= 2 && *start == '{' && end[-1] == '}') {
        start++;
        end--;
        while (start < end && isspace((unsigned char)*start))
            start++;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        return mem_strndup(start, (size_t)(end - start));
    }
    return mem_strdup(text);
}

int dict_split_spec(const char *spec, struct buf *type, struct buf *name)
{
    const char *colon = strchr(spec, ':');

    if (colon == NULL || colon == spec)
        return -1;
    buf_set_mem(type, spec, (size_t)(colon - spec));
    buf_set(name, colon + 1);
    return 0;
}

int dict_type_known(const char *type)
{
    size_t i;

    for (i = 0; i < sizeof(dict_types) / sizeof(dict_types[0]); i++)
        if (strcmp(dict_types[i].type, type) == 0)
            return 1;
    return 0;
}

/* Registry key: flags matter, since -f and default lookups fold differently. */
static void dict_registry_key(struct buf *key, const char *spec, int flags)
{
    buf_reset(key);
    buf_printf(key, "%x\t%s", (unsigned)flags, spec);
}

struct dict *dict_open(const char *spec, int flags, struct buf *err)
{
    struct buf type = BUF_INIT;
    struct buf name = BUF_INIT;
    struct buf key = BUF_INIT;
    struct dict *d = NULL;
    int shared = !(flags & (DICT_FLAG_CREATE | DICT_FLAG_WRITE | DICT_FLAG_NO_REGISTRY));
    size_t i;

    buf_reset(err);
    if (shared) {
        dict_registry_key(&key, spec, flags);
        if (dict_registry != NULL && (d = htable_get(dict_registry, buf_str(&key))) != NULL) {
            d->refcount++;
            buf_release(&key);
            return d;
        }
    }
    if (dict_split_spec(spec, &type, &name) < 0 || buf_len(&name) == 0) {
        buf_printf(err, "open dictionary: expecting \"type:name\" form instead of \"%s\"", spec);
        goto out;
    }
    for (i = 0; i < sizeof(dict_types) / sizeof(dict_types[0]); i++)
        if (strcmp(dict_types[i].type, buf_str(&type)) == 0)
            break;
    if (i == sizeof(dict_types) / sizeof(dict_types[0])) {
        buf_printf(err, "unsupported dictionary type: %s", buf_str(&type));
        goto out;
    }
    d = dict_types[i].open(buf_str(&type), buf_str(&name), flags, err);
    if (d != NULL && shared) {
        if (dict_registry == NULL)
            dict_registry = htable_new(16);
        htable_put(dict_registry, buf_str(&key), d);
        d->regkey = mem_strdup(buf_str(&key));
    }
out:
    buf_release(&type);
    buf_release(&name);
    buf_release(&key);
    return d;
}

void dict_close(struct dict *d)
{
    if (d == NULL || --d->refcount > 0)
        return;
    if (d->regkey != NULL && dict_registry != NULL && htable_get(dict_registry, d->regkey) == d)
        htable_remove(dict_registry, d->regkey);
    mem_free(d->regkey);
    d->regkey = NULL;
    d->close(d);
}

static const char *dict_fold_key(struct dict *d, const char *key)
{
    const char *p;

    if (!(d->flags & DICT_FLAG_FOLD))
        return key;
    buf_reset(&d->fold);
    for (p = key; *p; p++)
        buf_append_char(&d->fold, tolower((unsigned char)*p));
    return buf_str(&d->fold);
}

int dict_lookup(struct dict *d, const char *key, const char **value)
{
    *value = NULL;
    return d->lookup(d, dict_fold_key(d, key), value);
}

int dict_update(struct dict *d, const char *key, const char *value)
{
    if (d->update == NULL)
        return DICT_ERROR;
    return d->update(d, dict_fold_key(d, key), value);
}

int dict_delete(struct dict *d, const char *key)
{
    if (d->remove == NULL)
        return DICT_ERROR;
    return d->remove(d, dict_fold_key(d, key));
}

int dict_sequence(struct dict *d, int first, const char **key, const char **value)
{
    if (d->sequence == NULL)
        return DICT_ERROR;
    return d->sequence(d, first, key, value);
}

int dict_changed(const struct dict *d)
{
    struct stat st;

    if (d->watch == NULL)
        return 0;
    if (stat(d->watch, &st) < 0)
        return errno == ENOENT; /* removed: a restart will report it */
    return st.st_dev != d->watch_dev || st.st_ino != d->watch_ino ||
           st.st_mtim.tv_sec != d->watch_mtime.tv_sec ||
           st.st_mtim.tv_nsec != d->watch_mtime.tv_nsec;
}

const char *dict_changed_any(void)
{
    struct htable_entry **all;
    const char *found = NULL;
    size_t n, i;

    if (dict_registry == NULL)
        return NULL;
    all = htable_sorted(dict_registry, &n);
    for (i = 0; i < n && found == NULL; i++) {
        struct dict *d = all[i]->value;

        if (dict_changed(d))
            found = d->spec;
    }
    mem_free(all);
    return found;
}
