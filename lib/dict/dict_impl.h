/*
 * dict_impl.h - what table backends share with dict.c (not for callers).
 *
 * A backend allocates a structure whose first member is struct dict, fills it
 * with dict_base_init() and its operations, and returns it; on failure it
 * returns NULL with Postfix's message in err and has freed everything.
 */
#ifndef POSTERN_DICT_DICT_IMPL_H
#define POSTERN_DICT_DICT_IMPL_H

#include "dict/dict.h"

void dict_base_init(struct dict *d, const char *type, const char *name, int flags);
void dict_base_release(struct dict *d);
/* Remembers path's identity for dict_changed(). */
void dict_watch_file(struct dict *d, const char *path);
/* "{ text }" -> "text" (trimmed); other text unchanged; result malloc'ed. */
char *dict_strip_braces(const char *text);

typedef struct dict *(*dict_open_fn)(const char *type, const char *name, int flags,
                                     struct buf *err);

struct dict *dict_static_open(const char *type, const char *name, int flags, struct buf *err);
struct dict *dict_fail_open(const char *type, const char *name, int flags, struct buf *err);
struct dict *dict_inline_open(const char *type, const char *name, int flags, struct buf *err);
struct dict *dict_texthash_open(const char *type, const char *name, int flags, struct buf *err);
struct dict *dict_db_open(const char *type, const char *name, int flags, struct buf *err);
struct dict *dict_regexp_open(const char *type, const char *name, int flags, struct buf *err);
struct dict *dict_cidr_open(const char *type, const char *name, int flags, struct buf *err);
struct dict *dict_union_open(const char *type, const char *name, int flags, struct buf *err);

/* In-memory table (inline, texthash; also useful to tests). */
struct dict *dict_mem_new(const char *type, const char *name, int flags);

#endif
