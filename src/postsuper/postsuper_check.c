/*
 * postsuper_check.c - "postsuper -s" (structure check and repair) and
 * "postsuper -p" (purge stale temporary files), see postsuper.h.
 *
 * -s walks every message queue and per-message log directory and repairs
 * what a crash, a restore from backup or a change of hash_queue_depth or
 * hash_queue_names leaves behind: a file in the wrong hash subdirectory is
 * moved to its place; a queue file whose name no longer matches its inode
 * number (restored files) gets the name that does, and its logs follow; a
 * queue file that fails the format checks goes to corrupt/ (logged by
 * queue_reader_move_corrupt()). Renames never replace a file. Files still
 * being written (no complete bit) are left alone. Like Postfix's, the
 * renaming part is meant for a stopped mail system.
 * -p removes the "tmp.PID.N" files of queue_file_create() whose process is
 * gone.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail/queue_file.h"
#include "mail/queue_id.h"
#include "mail/queue_reader.h"
#include "postsuper.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

static const char *const ps_check_queues[] = {QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED,
                                              QUEUE_HOLD,     QUEUE_DEFER,  QUEUE_BOUNCE,
                                              QUEUE_TRACE,    NULL};
static const char *const ps_logs[] = {QUEUE_DEFER, QUEUE_BOUNCE, QUEUE_TRACE, NULL};

/* One file found by the walk: its path relative to top and its name. */
struct ps_found {
    char *rel;
    char *name;
    int depth;
};

struct ps_list {
    struct ps_found *v;
    size_t n;
    size_t cap;
};

static void ps_list_add(struct ps_list *l, const char *rel, const char *name, int depth)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? mem_size_mul(l->cap, 2) : 64;
        l->v = mem_realloc(l->v, mem_size_mul(l->cap, sizeof(*l->v)));
    }
    l->v[l->n].rel = mem_strdup(rel);
    l->v[l->n].name = mem_strdup(name);
    l->v[l->n].depth = depth;
    l->n++;
}

static void ps_list_free(struct ps_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        mem_free(l->v[i].rel);
        mem_free(l->v[i].name);
    }
    mem_free(l->v);
}

/* Collects the regular files under top/rel (hash directories: one
 * character, at most QUEUE_ID_HASH_MAX_DEPTH levels). */
static void ps_walk(const char *top, const char *rel, int depth, struct ps_list *out)
{
    struct buf path = BUF_INIT;
    struct buf sub = BUF_INIT;
    struct dirent *de;
    struct stat st;
    DIR *dir;

    buf_printf(&path, "%s/%s", top, rel);
    if ((dir = opendir(buf_str(&path))) == NULL) {
        if (errno != ENOENT)
            msg_warn("open directory %s: %s", buf_str(&path), strerror(errno));
        buf_release(&path);
        return;
    }
    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        buf_reset(&sub);
        buf_printf(&sub, "%s/%s", rel, de->d_name);
        buf_reset(&path);
        buf_printf(&path, "%s/%s", top, buf_str(&sub));
        if (lstat(buf_str(&path), &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (strlen(de->d_name) == 1 && depth < QUEUE_ID_HASH_MAX_DEPTH)
                ps_walk(top, buf_str(&sub), depth + 1, out);
            continue;
        }
        if (S_ISREG(st.st_mode))
            ps_list_add(out, buf_str(&sub), de->d_name, depth);
    }
    closedir(dir);
    buf_release(&path);
    buf_release(&sub);
}

static int ps_is_log(const char *queue)
{
    size_t i;

    for (i = 0; ps_logs[i] != NULL; i++)
        if (strcmp(ps_logs[i], queue) == 0)
            return 1;
    return 0;
}

/* Moves top/rel to queue's place for id (never replacing): 1 moved, 0 not. */
static int ps_place(struct postsuper *ps, const char *rel, const char *queue, const char *id)
{
    struct buf from = BUF_INIT;
    struct buf err = BUF_INIT;
    int moved = 0;

    buf_printf(&from, "%s/%s", queue_dir_top(ps->qd), rel);
    if (queue_dir_rename_into(ps->qd, buf_str(&from), queue, id, &err) == 0)
        moved = 1;
    else
        msg_warn("%s: cannot move %s: %s", id, rel, buf_str(&err));
    buf_release(&from);
    buf_release(&err);
    return moved;
}

/* The ID a message file should have for its inode, or "" if it has it. */
static void ps_inode_name(const char *id, const struct stat *st, int long_ids, char *out,
                          size_t size)
{
    struct queue_id_parts parts;
    struct timeval tv;

    out[0] = '\0';
    if (queue_id_parse(id, &parts) < 0 || parts.inode == (uint64_t)st->st_ino)
        return;
    tv.tv_sec = parts.form == QUEUE_ID_LONG ? parts.sec : st->st_mtime;
    tv.tv_usec = parts.usec;
    if (queue_id_make(out, size, (uint64_t)st->st_ino, &tv,
                      parts.form == QUEUE_ID_LONG || (long_ids && parts.form != QUEUE_ID_SHORT)) <
        0)
        out[0] = '\0';
}

void postsuper_check(struct postsuper *ps)
{
    const char *top = queue_dir_top(ps->qd);
    long misplaced = 0;
    long renamed = 0;
    long corrupt = 0;
    size_t q;
    size_t i;

    for (q = 0; ps_check_queues[q] != NULL; q++) {
        const char *queue = ps_check_queues[q];
        struct ps_list files = {NULL, 0, 0};
        struct buf want = BUF_INIT;
        struct buf err = BUF_INIT;
        struct buf path = BUF_INIT;

        ps_walk(top, queue, 0, &files);
        for (i = 0; i < files.n; i++) {
            const char *id = files.v[i].name;
            struct stat st;
            char newid[QUEUE_ID_SIZE];
            struct queue_reader *r;
            struct queue_record rec;
            int rc;

            if (!queue_id_valid(id))
                continue; /* temporary files: -p's business */
            buf_reset(&want);
            if (queue_dir_path_rel(ps->qd, queue, id, &want) < 0)
                continue;
            if (strcmp(buf_str(&want), files.v[i].rel) != 0) {
                msg_warn("%s: misplaced file %s; moving it to %s", id, files.v[i].rel,
                         buf_str(&want));
                if (!ps_place(ps, files.v[i].rel, queue, id))
                    continue;
                misplaced++;
            }
            if (ps_is_log(queue))
                continue;
            buf_reset(&path);
            (void)queue_dir_path(ps->qd, queue, id, &path);
            if (lstat(buf_str(&path), &st) < 0 || !queue_file_is_complete(&st))
                continue;
            ps_inode_name(id, &st, queue_dir_long_ids(ps->qd), newid, sizeof(newid));
            if (newid[0] != '\0') {
                size_t l;

                if (queue_dir_rename_into(ps->qd, buf_str(&path), queue, newid, &err) < 0) {
                    msg_warn("%s: cannot rename to match inode number: %s", id, buf_str(&err));
                    buf_reset(&err);
                    continue;
                }
                msg_warn("%s: renamed to %s to match inode number", id, newid);
                for (l = 0; ps_logs[l] != NULL; l++) {
                    struct buf lp = BUF_INIT;

                    if (queue_dir_path(ps->qd, ps_logs[l], id, &lp) == 0 &&
                        access(buf_str(&lp), F_OK) == 0)
                        (void)queue_dir_rename_into(ps->qd, buf_str(&lp), ps_logs[l], newid, &err);
                    buf_reset(&err);
                    buf_release(&lp);
                }
                renamed++;
                id = newid;
            }
            /* The whole file must pass the format checks. */
            if ((r = queue_reader_open(ps->qd, queue, id, 0, &err)) == NULL) {
                buf_reset(&err);
                continue;
            }
            while ((rc = queue_reader_next(r, &rec)) > 0)
                ;
            if (rc < 0) {
                buf_set(&err, queue_reader_error(r));
                queue_reader_close(r);
                if (queue_reader_move_corrupt(ps->qd, queue, id, buf_str(&err)) == 0)
                    corrupt++;
                buf_reset(&err);
                continue;
            }
            queue_reader_close(r);
        }
        ps_list_free(&files);
        buf_release(&want);
        buf_release(&err);
        buf_release(&path);
    }
    if (misplaced > 0)
        msg_info("Moved to the right directory: %ld file%s", misplaced, misplaced == 1 ? "" : "s");
    if (renamed > 0)
        msg_info("Renamed to match inode number: %ld message%s", renamed, renamed == 1 ? "" : "s");
    if (corrupt > 0)
        msg_info("Moved to corrupt: %ld message%s", corrupt, corrupt == 1 ? "" : "s");
}

/* "tmp.PID.N" of a process that no longer runs. */
static int ps_stale_temp(const char *name)
{
    long pid;
    char *copy;
    char *dot;
    int stale = 0;

    if (strncmp(name, "tmp.", 4) != 0)
        return 0;
    copy = mem_strdup(name + 4);
    if ((dot = strchr(copy, '.')) != NULL) {
        *dot = '\0';
        if (str_to_long(copy, &pid) == 0 && pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
            stale = 1;
    }
    mem_free(copy);
    return stale;
}

void postsuper_purge(struct postsuper *ps)
{
    static const char *const queues[] = {QUEUE_MAILDROP, QUEUE_INCOMING, QUEUE_ACTIVE,
                                         QUEUE_DEFERRED, QUEUE_HOLD,     NULL};
    struct buf path = BUF_INIT;
    size_t q;

    for (q = 0; queues[q] != NULL; q++) {
        DIR *dir;
        struct dirent *de;

        buf_reset(&path);
        buf_printf(&path, "%s/%s", queue_dir_top(ps->qd), queues[q]);
        if ((dir = opendir(buf_str(&path))) == NULL)
            continue;
        while ((de = readdir(dir)) != NULL) {
            if (!ps_stale_temp(de->d_name))
                continue;
            buf_reset(&path);
            buf_printf(&path, "%s/%s/%s", queue_dir_top(ps->qd), queues[q], de->d_name);
            if (unlink(buf_str(&path)) == 0)
                msg_warn("%s/%s: removed stale temporary file", queues[q], de->d_name);
        }
        closedir(dir);
    }
    buf_release(&path);
}
