/*
 * dict.h - lookup tables behind one interface ("type:name", Postfix's table types).
 *
 * Every program and daemon that looks up a table calls dict_open() once per
 * "type:name" (a per-process registry hands out the same handle again) and
 * dict_lookup(), which answers three ways: found (with a value), not found, or a
 * temporary error that the caller turns into a 4xx/deferral. postmap/postalias
 * use the optional update/delete/sequence operations. Keys are folded to lower
 * case unless the table keeps case (regexp, pcre and cidr, or DICT_FLAG_FOLD not
 * given). A table never prints secrets or raw binary keys, and a lookup never
 * calls msg_fatal on bad data: it answers DICT_ERROR instead.
 */
#ifndef POSTERN_DICT_DICT_H
#define POSTERN_DICT_DICT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "util/buf.h"

/* Three-way results of lookup/update/delete/sequence. */
#define DICT_FOUND    0
#define DICT_NOTFOUND 1
#define DICT_ERROR    (-1)

/* dict_open() flags. */
#define DICT_FLAG_FOLD        0x0001 /* fold keys to lower case (lookup and update) */
#define DICT_FLAG_CREATE      0x0002 /* create or truncate the table (postmap build) */
#define DICT_FLAG_WRITE       0x0004 /* open an existing table for update (-i, -d) */
#define DICT_FLAG_DUP_WARN    0x0008 /* duplicate key: warn, keep the first (default) */
#define DICT_FLAG_DUP_IGNORE  0x0010 /* duplicate key: keep the first silently (-w) */
#define DICT_FLAG_DUP_REPLACE 0x0020 /* duplicate key: last one wins (-r) */
#define DICT_FLAG_NUL         0x0040 /* store/look up keys with a trailing NUL only (-N) */
#define DICT_FLAG_NO_NUL      0x0080 /* store/look up keys without the NUL only (-n) */
#define DICT_FLAG_NO_REGISTRY 0x0100 /* private handle, not shared by dict_open() */

/* Default flags for lookups from daemons and postmap -q. */
#define DICT_FLAGS_LOOKUP (DICT_FLAG_FOLD | DICT_FLAG_DUP_WARN)

struct dict {
    char *spec;   /* "type:name" as opened (the registry key) */
    char *type;   /* "hash", "regexp", ... */
    char *name;   /* what follows "type:" */
    int flags;    /* DICT_FLAG_* as effective (FOLD cleared for case-keeping types) */
    int refcount; /* dict_open() calls not yet matched by dict_close() */
    char *regkey; /* registry key of a shared handle, else NULL */
    char *watch;  /* file whose replacement dict_changed() notices, or NULL */
    dev_t watch_dev;
    ino_t watch_ino;
    struct timespec watch_mtime;
    struct buf fold; /* folded key of the current request */
    /* Backend operations; NULL means "not supported". */
    int (*lookup)(struct dict *d, const char *key, const char **value);
    int (*update)(struct dict *d, const char *key, const char *value);
    int (*remove)(struct dict *d, const char *key);
    int (*sequence)(struct dict *d, int first, const char **key, const char **value);
    void (*close)(struct dict *d);
};

/*
 * Opens "type:name"; returns NULL with Postfix's message in err (e.g.
 * "unsupported dictionary type: x", "open database F.db: No such file or
 * directory"). Handles without DICT_FLAG_CREATE/WRITE/NO_REGISTRY are shared:
 * the same spec and flags return the same handle with its refcount raised.
 */
struct dict *dict_open(const char *spec, int flags, struct buf *err);
/* Drops one reference; the table is closed when none remain. */
void dict_close(struct dict *d);

/* The value stays valid until the next operation on d. */
int dict_lookup(struct dict *d, const char *key, const char **value);
/* DICT_FOUND when stored, DICT_NOTFOUND when a duplicate was kept out (-w or
 * warned), DICT_ERROR when the table cannot be updated. */
int dict_update(struct dict *d, const char *key, const char *value);
/* DICT_FOUND when deleted, DICT_NOTFOUND when absent. */
int dict_delete(struct dict *d, const char *key);
/* first != 0 starts over; DICT_NOTFOUND at the end. */
int dict_sequence(struct dict *d, int first, const char **key, const char **value);
/* True for types dict_open() knows. */
int dict_type_known(const char *type);

/*
 * True when the file behind d (the .db, or the regexp/cidr/texthash source)
 * was replaced or modified after d was opened: a daemon then finishes the
 * current request and exits so that the master starts a fresh one.
 */
int dict_changed(const struct dict *d);
/* The spec of the first registered table that changed, or NULL. */
const char *dict_changed_any(void);

/* Berkeley DB cache sizes (berkeley_db_create_buffer_size, ..._read_...). */
extern size_t dict_db_create_cache;
extern size_t dict_db_read_cache;

/* Splits "type:name" (name may contain ':'); -1 when there is no type. */
int dict_split_spec(const char *spec, struct buf *type, struct buf *name);

/*
 * Address-shaped lookups in Postfix's order (access, alias, canonical and
 * virtual maps alike), stopping at the first answer that is not "not found":
 *   user+ext@domain, user@domain         (DICT_ADDR_FULL)
 *   user+ext, user                       (DICT_ADDR_LOCAL: local-part only)
 *   @domain                              (DICT_ADDR_AT_DOMAIN)
 *   domain, then parent domains          (DICT_ADDR_DOMAIN: access-map style;
 *       "example.com" for sub.example.com when parent_matches is true, else
 *       ".example.com")
 * delims is recipient_delimiter (any one of its characters splits the
 * extension; NULL or "" disables the +ext forms). On DICT_FOUND, *matched
 * (when not NULL) receives the probe that matched, in the caller's spelling
 * (before folding; valid until the next call).
 */
#define DICT_ADDR_FULL      0x1
#define DICT_ADDR_LOCAL     0x2
#define DICT_ADDR_AT_DOMAIN 0x4
#define DICT_ADDR_DOMAIN    0x8
int dict_lookup_address(struct dict *d, const char *address, int how, const char *delims,
                        int parent_matches, const char **value, const char **matched);

#endif
