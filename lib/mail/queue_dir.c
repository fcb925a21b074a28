/*
 * queue_dir.c - queue names, queue file paths, queue scans and moves (see
 * queue_dir.h).
 *
 * Callers: cleanup, qmgr, showq, postsuper, postcat, the queue file writer.
 * Invariant: every path is top/QUEUE[/HASH]/ID with QUEUE from
 * queue_dir_names and ID checked by queue_id_check(). This module creates
 * only hash subdirectories (never a queue directory: that is the control
 * command's job, with owners and modes), and never removes or replaces a
 * file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/param.h"
#include "mail/queue_dir.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

#define QUEUE_DIR_HASH_MODE 0700

const char *const queue_dir_names[] = {
    QUEUE_MAILDROP, QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD,  QUEUE_CORRUPT,
    QUEUE_BOUNCE,   QUEUE_DEFER,    QUEUE_TRACE,  QUEUE_FLUSH,    QUEUE_SAVED, NULL,
};

struct queue_dir {
    char *top;
    unsigned hashed; /* bit i: queue_dir_names[i] is hashed */
    int depth;
    int long_ids;
};

/* Index of name in queue_dir_names, or -1. */
static int queue_name_index(const char *name)
{
    int i;

    if (name == NULL)
        return -1;
    for (i = 0; queue_dir_names[i] != NULL; i++)
        if (strcmp(queue_dir_names[i], name) == 0)
            return i;
    return -1;
}

int queue_name_valid(const char *name)
{
    return queue_name_index(name) >= 0;
}

struct queue_dir *queue_dir_new(const char *top, const char *hash_names, int hash_depth,
                                int long_ids, struct buf *err)
{
    struct queue_dir *qd;
    char *copy, *cursor, *name;
    int idx;

    if (top == NULL || *top == '\0') {
        buf_set(err, "queue_directory: empty value");
        return NULL;
    }
    if (hash_depth < 1 || hash_depth > QUEUE_ID_HASH_MAX_DEPTH) {
        buf_printf(err, "hash_queue_depth: value %d is out of range (1..%d)", hash_depth,
                   QUEUE_ID_HASH_MAX_DEPTH);
        return NULL;
    }
    qd = mem_calloc(1, sizeof(*qd));
    qd->top = mem_strdup(top);
    qd->depth = hash_depth;
    qd->long_ids = long_ids != 0;
    cursor = copy = mem_strdup(hash_names ? hash_names : "");
    while ((name = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        if ((idx = queue_name_index(name)) < 0) {
            buf_printf(err, "hash_queue_names: unknown queue name \"%s\"", name);
            mem_free(copy);
            queue_dir_free(qd);
            return NULL;
        }
        qd->hashed |= 1u << idx;
    }
    mem_free(copy);
    return qd;
}

static struct queue_dir *queue_dir_from_conf_top(const char *top)
{
    struct buf err = BUF_INIT;
    struct queue_dir *qd;

    qd = queue_dir_new(top, var_hash_queue_names, var_hash_queue_depth,
                       var_enable_long_queue_ids, &err);
    if (qd == NULL)
        msg_fatal("%s", buf_str(&err));
    buf_release(&err);
    return qd;
}

struct queue_dir *queue_dir_from_conf(void)
{
    return queue_dir_from_conf_top(var_queue_directory);
}

struct queue_dir *queue_dir_from_conf_cwd(void)
{
    return queue_dir_from_conf_top(".");
}

void queue_dir_free(struct queue_dir *qd)
{
    if (qd == NULL)
        return;
    mem_free(qd->top);
    mem_free(qd);
}

const char *queue_dir_top(const struct queue_dir *qd)
{
    return qd->top;
}

int queue_dir_long_ids(const struct queue_dir *qd)
{
    return qd->long_ids;
}

int queue_dir_hash_depth(const struct queue_dir *qd)
{
    return qd->depth;
}

int queue_dir_is_hashed(const struct queue_dir *qd, const char *queue)
{
    int idx = queue_name_index(queue);

    return idx >= 0 && (qd->hashed & (1u << idx)) != 0;
}

/* Sets path to "[top/]queue[/hash][/id]". */
static int queue_dir_build(const struct queue_dir *qd, const char *queue, const char *id,
                           int with_top, int with_id, struct buf *path)
{
    char hash[2 * QUEUE_ID_HASH_MAX_DEPTH];

    if (!queue_name_valid(queue) || !queue_id_valid(id)) {
        errno = EINVAL;
        return -1;
    }
    buf_reset(path);
    if (with_top)
        buf_printf(path, "%s/", qd->top);
    buf_append_str(path, queue);
    if (queue_dir_is_hashed(qd, queue)) {
        if (queue_id_hash(id, qd->depth, hash, sizeof(hash)) < 0)
            return -1;
        buf_append_char(path, '/');
        buf_append_str(path, hash);
    }
    if (with_id) {
        buf_append_char(path, '/');
        buf_append_str(path, id);
    }
    return 0;
}

int queue_dir_path(const struct queue_dir *qd, const char *queue, const char *id, struct buf *path)
{
    return queue_dir_build(qd, queue, id, 1, 1, path);
}

int queue_dir_path_dir(const struct queue_dir *qd, const char *queue, const char *id,
                       struct buf *path)
{
    return queue_dir_build(qd, queue, id, 1, 0, path);
}

int queue_dir_path_rel(const struct queue_dir *qd, const char *queue, const char *id,
                       struct buf *path)
{
    return queue_dir_build(qd, queue, id, 0, 1, path);
}

int queue_dir_rename_excl(const char *from, const char *to)
{
    int saved;

    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return -1;
    /* No RENAME_NOREPLACE here: link() refuses an existing target too. */
    if (link(from, to) < 0)
        return -1;
    if (unlink(from) < 0) {
        saved = errno;
        (void)unlink(to);
        errno = saved;
        return -1;
    }
    return 0;
}

/* Creates the hash subdirectories of "top/queue" that lead to id's place. */
static int queue_dir_make_hash(const struct queue_dir *qd, const char *queue, const char *id)
{
    struct buf path = BUF_INIT;
    char hash[2 * QUEUE_ID_HASH_MAX_DEPTH];
    int level, ret = 0;

    if (queue_id_hash(id, qd->depth, hash, sizeof(hash)) < 0)
        return -1;
    buf_printf(&path, "%s/%s", qd->top, queue);
    for (level = 0; level < qd->depth; level++) {
        buf_append_char(&path, '/');
        buf_append_char(&path, hash[2 * level]);
        if (mkdir(buf_str(&path), QUEUE_DIR_HASH_MODE) < 0 && errno != EEXIST) {
            ret = -1;
            break;
        }
    }
    buf_release(&path);
    return ret;
}

int queue_dir_rename_into(const struct queue_dir *qd, const char *from, const char *queue,
                          const char *id, struct buf *err)
{
    struct buf dst = BUF_INIT;
    struct stat st;
    int ret = -1, saved;

    if (queue_dir_path(qd, queue, id, &dst) < 0) {
        buf_printf(err, "cannot move %s into queue %s: invalid queue name or queue ID", from,
                   queue_name_valid(queue) ? queue : "?");
        errno = EINVAL;
        goto out;
    }
    if (queue_dir_rename_excl(from, buf_str(&dst)) == 0) {
        ret = 0;
        goto out;
    }
    /* ENOENT: either the file is gone or the target's hash directory does
     * not exist yet; only the second is worth a retry. */
    if (errno == ENOENT && queue_dir_is_hashed(qd, queue) && lstat(from, &st) == 0) {
        if (queue_dir_make_hash(qd, queue, id) == 0 &&
            queue_dir_rename_excl(from, buf_str(&dst)) == 0) {
            ret = 0;
            goto out;
        }
    }
    saved = errno;
    buf_printf(err, "cannot move %s to %s: %s", from, buf_str(&dst), strerror(saved));
    errno = saved;
out:
    buf_release(&dst);
    return ret;
}

int queue_dir_move(const struct queue_dir *qd, const char *from, const char *id, const char *to,
                   struct buf *err)
{
    struct buf src = BUF_INIT;
    int ret;

    if (queue_dir_path(qd, from, id, &src) < 0 || !queue_name_valid(to)) {
        buf_printf(err, "cannot move %s from %s to %s: invalid queue name or queue ID",
                   queue_id_valid(id) ? id : "(invalid)", queue_name_valid(from) ? from : "?",
                   queue_name_valid(to) ? to : "?");
        buf_release(&src);
        errno = EINVAL;
        return -1;
    }
    ret = queue_dir_rename_into(qd, buf_str(&src), to, id, err);
    buf_release(&src);
    return ret;
}

const char *queue_dir_find(const struct queue_dir *qd, const char *id, const char *const *queues,
                           struct buf *path)
{
    static const char *const search_default[] = {
        QUEUE_INCOMING, QUEUE_ACTIVE,  QUEUE_DEFERRED, QUEUE_HOLD,
        QUEUE_MAILDROP, QUEUE_CORRUPT, NULL,
    };
    struct stat st;
    size_t i;

    if (!queue_id_valid(id)) {
        errno = EINVAL;
        return NULL;
    }
    if (queues == NULL)
        queues = search_default;
    for (i = 0; queues[i] != NULL; i++) {
        if (queue_dir_path(qd, queues[i], id, path) == 0 && lstat(buf_str(path), &st) == 0 &&
            S_ISREG(st.st_mode))
            return queues[i];
    }
    errno = ENOENT;
    return NULL;
}

/* ------------------------------------------------------------------ scan */

#define QUEUE_SCAN_LEVELS (1 + QUEUE_ID_HASH_MAX_DEPTH)

struct queue_scan {
    DIR *dirs[QUEUE_SCAN_LEVELS];
    size_t rel_len[QUEUE_SCAN_LEVELS]; /* length of rel at each level */
    int level;                         /* the innermost open directory, -1 when done */
    struct buf rel;                    /* "queue/5/B": the directory being read */
};

struct queue_scan *queue_scan_open(const struct queue_dir *qd, const char *queue, struct buf *err)
{
    struct queue_scan *scan;
    struct buf path = BUF_INIT;
    DIR *dir;
    int saved;

    if (!queue_name_valid(queue)) {
        buf_printf(err, "unknown queue name \"%s\"", queue ? queue : "");
        errno = EINVAL;
        return NULL;
    }
    buf_printf(&path, "%s/%s", qd->top, queue);
    if ((dir = opendir(buf_str(&path))) == NULL) {
        saved = errno;
        buf_printf(err, "open directory %s: %s", buf_str(&path), strerror(saved));
        buf_release(&path);
        errno = saved;
        return NULL;
    }
    buf_release(&path);
    scan = mem_calloc(1, sizeof(*scan));
    buf_init(&scan->rel);
    buf_set(&scan->rel, queue);
    scan->dirs[0] = dir;
    scan->rel_len[0] = buf_len(&scan->rel);
    scan->level = 0;
    return scan;
}

/* What a directory entry is, without following symbolic links. */
static int queue_scan_type(DIR *dir, const struct dirent *de)
{
    struct stat st;

    if (de->d_type != DT_UNKNOWN)
        return de->d_type;
    if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return DT_UNKNOWN;
    if (S_ISDIR(st.st_mode))
        return DT_DIR;
    if (S_ISREG(st.st_mode))
        return DT_REG;
    return DT_UNKNOWN;
}

/* Closes the innermost directory and returns to its parent. */
static void queue_scan_pop(struct queue_scan *scan)
{
    closedir(scan->dirs[scan->level]);
    scan->dirs[scan->level] = NULL;
    scan->level--;
    if (scan->level >= 0)
        buf_truncate(&scan->rel, scan->rel_len[scan->level]);
}

/* Enters the hash subdirectory name of the innermost directory. */
static int queue_scan_push(struct queue_scan *scan, const char *name)
{
    DIR *sub;
    int fd;

    fd = openat(dirfd(scan->dirs[scan->level]), name,
                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if ((sub = fdopendir(fd)) == NULL) {
        close(fd);
        return -1;
    }
    scan->level++;
    scan->dirs[scan->level] = sub;
    buf_append_char(&scan->rel, '/');
    buf_append_str(&scan->rel, name);
    scan->rel_len[scan->level] = buf_len(&scan->rel);
    return 0;
}

int queue_scan_next(struct queue_scan *scan, char *id, size_t size, struct buf *where)
{
    struct dirent *de;
    int type;

    while (scan->level >= 0) {
        errno = 0;
        if ((de = readdir(scan->dirs[scan->level])) == NULL) {
            int saved = errno;

            queue_scan_pop(scan);
            if (saved != 0) {
                errno = saved;
                return -1;
            }
            continue;
        }
        /* Hash directories: one character of either ID form (short IDs
         * use hex digits, vowels A and E included). */
        if (de->d_name[0] != '\0' && de->d_name[1] == '\0' &&
            strchr(QUEUE_ID_ALPHABET "AE", de->d_name[0]) != NULL &&
            scan->level + 1 < QUEUE_SCAN_LEVELS) {
            if (queue_scan_type(scan->dirs[scan->level], de) == DT_DIR) {
                if (queue_scan_push(scan, de->d_name) < 0)
                    return -1;
                continue;
            }
        }
        if (!queue_id_valid(de->d_name))
            continue;
        type = queue_scan_type(scan->dirs[scan->level], de);
        if (type != DT_REG)
            continue;
        if (strlen(de->d_name) >= size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(id, de->d_name, strlen(de->d_name) + 1);
        if (where) {
            buf_set(where, buf_str(&scan->rel));
            buf_append_char(where, '/');
            buf_append_str(where, de->d_name);
        }
        return 1;
    }
    return 0;
}

void queue_scan_close(struct queue_scan *scan)
{
    if (scan == NULL)
        return;
    while (scan->level >= 0)
        queue_scan_pop(scan);
    buf_release(&scan->rel);
    mem_free(scan);
}
