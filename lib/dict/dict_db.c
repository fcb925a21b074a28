/*
 * dict_db.c - hash: and btree: tables in Berkeley DB files (NAME.db).
 *
 * Keys and values are stored with a trailing NUL unless DICT_FLAG_NO_NUL, the
 * format Postfix writes on Linux, so either program reads the other's files;
 * lookups try both forms unless -N/-n chose one. A build (DICT_FLAG_CREATE)
 * writes NAME.db.tmp under an exclusive flock and renames it over NAME.db at
 * close, so readers only ever see a complete table and two builds serialise.
 * Updates in place (-i, -d) hold an flock on NAME.db itself.
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dict/dict_impl.h"
#include "util/mem.h"
#include "util/msg.h"

size_t dict_db_create_cache = 16 * 1024 * 1024;
size_t dict_db_read_cache = 128 * 1024;

struct dict_db {
    struct dict d;
    DB *db;
    DBC *cursor;
    char *path;     /* NAME.db */
    char *tmp_path; /* NAME.db.tmp while building, else NULL */
    int lock_fd;    /* descriptor holding the build/update lock, or -1 */
    struct buf key;
    struct buf value;
};

/*
 * Berkeley DB's own diagnostics: a zero-length NAME.db.tmp (created by us to
 * hold the lock) is reported as "unexpected file type" before DB formats it,
 * and real errors come back as return codes, so these go to verbose logging.
 */
static void dict_db_errcall(const DB_ENV *env, const char *prefix, const char *text)
{
    (void)env;
    (void)prefix;
    if (msg_verbose)
        msg_info("berkeley db: %s", text);
}

/* Fills a DBT for key, with or without the trailing NUL. */
static void dict_db_dbt(DBT *t, const char *s, int with_nul)
{
    memset(t, 0, sizeof(*t));
    t->data = (void *)s;
    t->size = (u_int32_t)(strlen(s) + (with_nul ? 1 : 0));
}

/* Copies a stored string into out without its trailing NUL. */
static const char *dict_db_copy(struct buf *out, const DBT *t)
{
    size_t n = t->size;

    if (n > 0 && ((const char *)t->data)[n - 1] == 0)
        n--;
    buf_set_mem(out, t->data, n);
    return buf_str(out);
}

static int dict_db_get(struct dict_db *dd, const char *key, int with_nul, const char **value)
{
    DBT k, v;
    int rc;

    dict_db_dbt(&k, key, with_nul);
    memset(&v, 0, sizeof(v));
    rc = dd->db->get(dd->db, NULL, &k, &v, 0);
    if (rc == 0) {
        *value = dict_db_copy(&dd->value, &v);
        return DICT_FOUND;
    }
    if (rc == DB_NOTFOUND || rc == DB_KEYEMPTY)
        return DICT_NOTFOUND;
    msg_warn("%s: lookup of \"%s\": %s", dd->path, key, db_strerror(rc));
    return DICT_ERROR;
}

static int dict_db_lookup(struct dict *d, const char *key, const char **value)
{
    struct dict_db *dd = (struct dict_db *)d;
    int rc = DICT_NOTFOUND;

    if (!(d->flags & DICT_FLAG_NO_NUL))
        rc = dict_db_get(dd, key, 1, value);
    if (rc == DICT_NOTFOUND && !(d->flags & DICT_FLAG_NUL))
        rc = dict_db_get(dd, key, 0, value);
    return rc;
}

static int dict_db_update(struct dict *d, const char *key, const char *value)
{
    struct dict_db *dd = (struct dict_db *)d;
    int with_nul = !(d->flags & DICT_FLAG_NO_NUL);
    DBT k, v;
    int rc;

    dict_db_dbt(&k, key, with_nul);
    dict_db_dbt(&v, value, with_nul);
    rc = dd->db->put(dd->db, NULL, &k, &v, (d->flags & DICT_FLAG_DUP_REPLACE) ? 0 : DB_NOOVERWRITE);
    if (rc == 0)
        return DICT_FOUND;
    if (rc == DB_KEYEXIST) {
        if (!(d->flags & DICT_FLAG_DUP_IGNORE))
            msg_warn("%s: duplicate entry: \"%s\"", dd->path, key);
        return DICT_NOTFOUND;
    }
    msg_warn("%s: update of \"%s\": %s", dd->path, key, db_strerror(rc));
    return DICT_ERROR;
}

static int dict_db_remove(struct dict *d, const char *key)
{
    struct dict_db *dd = (struct dict_db *)d;
    int found = 0;
    int pass;

    for (pass = 0; pass < 2; pass++) {
        int with_nul = (pass == 0);
        DBT k;
        int rc;

        if ((with_nul && (d->flags & DICT_FLAG_NO_NUL)) ||
            (!with_nul && (d->flags & DICT_FLAG_NUL)))
            continue;
        dict_db_dbt(&k, key, with_nul);
        rc = dd->db->del(dd->db, NULL, &k, 0);
        if (rc == 0)
            found = 1;
        else if (rc != DB_NOTFOUND) {
            msg_warn("%s: delete of \"%s\": %s", dd->path, key, db_strerror(rc));
            return DICT_ERROR;
        }
    }
    return found ? DICT_FOUND : DICT_NOTFOUND;
}

static int dict_db_sequence(struct dict *d, int first, const char **key, const char **value)
{
    struct dict_db *dd = (struct dict_db *)d;
    DBT k, v;
    int rc;

    if (first || dd->cursor == NULL) {
        if (dd->cursor != NULL)
            dd->cursor->close(dd->cursor);
        dd->cursor = NULL;
        if ((rc = dd->db->cursor(dd->db, NULL, &dd->cursor, 0)) != 0) {
            msg_warn("%s: sequence: %s", dd->path, db_strerror(rc));
            return DICT_ERROR;
        }
    }
    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    rc = dd->cursor->get(dd->cursor, &k, &v, DB_NEXT);
    if (rc == DB_NOTFOUND) {
        dd->cursor->close(dd->cursor);
        dd->cursor = NULL;
        return DICT_NOTFOUND;
    }
    if (rc != 0) {
        msg_warn("%s: sequence: %s", dd->path, db_strerror(rc));
        return DICT_ERROR;
    }
    *key = dict_db_copy(&dd->key, &k);
    *value = dict_db_copy(&dd->value, &v);
    return DICT_FOUND;
}

static void dict_db_free(struct dict_db *dd)
{
    if (dd->lock_fd >= 0)
        close(dd->lock_fd);
    mem_free(dd->path);
    mem_free(dd->tmp_path);
    buf_release(&dd->key);
    buf_release(&dd->value);
    dict_base_release(&dd->d);
    mem_free(dd);
}

/* Closing a build commits it: sync, then rename NAME.db.tmp over NAME.db. */
static void dict_db_close(struct dict *d)
{
    struct dict_db *dd = (struct dict_db *)d;
    int rc;

    if (dd->cursor != NULL)
        dd->cursor->close(dd->cursor);
    if ((rc = dd->db->sync(dd->db, 0)) != 0)
        msg_fatal("%s: sync: %s", dd->path, db_strerror(rc));
    if ((rc = dd->db->close(dd->db, 0)) != 0)
        msg_fatal("%s: close: %s", dd->path, db_strerror(rc));
    if (dd->tmp_path != NULL) {
        if (fsync(dd->lock_fd) < 0)
            msg_fatal("fsync %s: %m", dd->tmp_path);
        if (rename(dd->tmp_path, dd->path) < 0)
            msg_fatal("rename %s to %s: %m", dd->tmp_path, dd->path);
    }
    dict_db_free(dd);
}

/*
 * Opens and locks NAME.db.tmp. The lock is taken before truncating, and a
 * file renamed away by a concurrent build while we waited is opened afresh.
 */
static int dict_db_lock_tmp(struct dict_db *dd, struct buf *err)
{
    int tries;

    for (tries = 0; tries < 100; tries++) {
        struct stat st_fd, st_path;
        int fd = open(dd->tmp_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

        if (fd < 0) {
            buf_printf(err, "open %s: %s", dd->tmp_path, strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX) < 0) {
            buf_printf(err, "lock %s: %s", dd->tmp_path, strerror(errno));
            close(fd);
            return -1;
        }
        if (fstat(fd, &st_fd) == 0 && stat(dd->tmp_path, &st_path) == 0 &&
            st_fd.st_ino == st_path.st_ino && st_fd.st_dev == st_path.st_dev) {
            if (ftruncate(fd, 0) < 0) {
                buf_printf(err, "truncate %s: %s", dd->tmp_path, strerror(errno));
                close(fd);
                return -1;
            }
            dd->lock_fd = fd;
            return 0;
        }
        close(fd);
    }
    buf_printf(err, "open %s: too many concurrent builds", dd->tmp_path);
    return -1;
}

struct dict *dict_db_open(const char *type, const char *name, int flags, struct buf *err)
{
    struct dict_db *dd = mem_calloc(1, sizeof(*dd));
    struct buf path = BUF_INIT;
    DBTYPE dbtype = strcmp(type, "btree") == 0 ? DB_BTREE : DB_HASH;
    const char *open_path;
    u_int32_t db_flags;
    int rc;

    dict_base_init(&dd->d, type, name, flags);
    dd->lock_fd = -1;
    buf_init(&dd->key);
    buf_init(&dd->value);
    buf_printf(&path, "%s.db", name);
    dd->path = buf_steal(&path);
    open_path = dd->path;
    if (flags & DICT_FLAG_CREATE) {
        buf_printf(&path, "%s.db.tmp", name);
        dd->tmp_path = buf_steal(&path);
        if (dict_db_lock_tmp(dd, err) < 0)
            goto fail;
        open_path = dd->tmp_path;
        db_flags = DB_CREATE;
    } else if (flags & DICT_FLAG_WRITE) {
        int fd = open(dd->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

        if (fd < 0 || flock(fd, LOCK_EX) < 0) {
            buf_printf(err, "open database %s: %s", dd->path, strerror(errno));
            if (fd >= 0)
                close(fd);
            goto fail;
        }
        dd->lock_fd = fd;
        db_flags = DB_CREATE;
    } else {
        db_flags = DB_RDONLY;
    }
    if ((rc = db_create(&dd->db, NULL, 0)) != 0) {
        buf_printf(err, "open database %s: %s", dd->path, db_strerror(rc));
        goto fail;
    }
    dd->db->set_errcall(dd->db, dict_db_errcall);
    dd->db->set_cachesize(dd->db, 0,
                          (u_int32_t)((flags & (DICT_FLAG_CREATE | DICT_FLAG_WRITE))
                                          ? dict_db_create_cache
                                          : dict_db_read_cache),
                          0);
    rc = dd->db->open(dd->db, NULL, open_path, NULL, dbtype, db_flags, 0644);
    if (rc != 0) {
        buf_printf(err, "open database %s: %s", dd->path, rc > 0 ? strerror(rc) : db_strerror(rc));
        dd->db->close(dd->db, 0);
        goto fail;
    }
    dd->d.lookup = dict_db_lookup;
    dd->d.update = dict_db_update;
    dd->d.remove = dict_db_remove;
    dd->d.sequence = dict_db_sequence;
    dd->d.close = dict_db_close;
    if (!(flags & DICT_FLAG_CREATE))
        dict_watch_file(&dd->d, dd->path);
    return &dd->d;
fail:
    if (dd->tmp_path != NULL && dd->lock_fd >= 0)
        unlink(dd->tmp_path);
    dict_db_free(dd);
    return NULL;
}
