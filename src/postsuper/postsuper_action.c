/*
 * postsuper_action.c - the per-message actions of postsuper: delete, hold,
 * release, requeue, expire (see postsuper.h).
 *
 * Safe while qmgr delivers. A delete unlinks the name only: qmgr keeps
 * delivering from its open descriptor and finds the name gone afterwards,
 * as with Postfix; its defer, bounce and trace logs go with it (a bulk
 * action lists those directories instead of trying three names per
 * message: postsuper_logs_begin()). Hold and release are renames that
 * never replace a file. Requeue writes a new maildrop file (the envelope
 * records a local submission may carry, the recipients not yet done, the
 * content), syncs it, and only then removes the old file: a crash in
 * between leaves two copies, never none. pickup then sends the copy
 * through cleanup again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "../postqueue/postqueue.h"
#include "conf/conf.h"
#include "mail/maildrop.h"
#include "mail/queue_file.h"
#include "mail/queue_reader.h"
#include "mail/recipient_log.h"
#include "mail/queue_id.h"
#include "postsuper.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"

/* Passes over the queues before an ID counts as not found: a file that
 * qmgr moved between two queues while we looked is found on the next. */
#define POSTSUPER_PASSES 3

static const char *const ps_q_delete[] = {QUEUE_HOLD, QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED,
                                          NULL};
static const char *const ps_q_hold[] = {QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, NULL};
static const char *const ps_q_release[] = {QUEUE_HOLD, NULL};

const char *const *postsuper_op_queues(enum postsuper_op op)
{
    switch (op) {
    case PS_HOLD:
        return ps_q_hold;
    case PS_RELEASE:
        return ps_q_release;
    default:
        return ps_q_delete;
    }
}

void postsuper_report(struct postsuper *ps, const char *id, const char *queue, const char *what)
{
    if (ps->json) {
        struct buf out = BUF_INIT;

        buf_append_str(&out, "{\"queue_id\": \"");
        postqueue_json_escape(&out, id);
        buf_printf(&out, "\", \"queue_name\": \"%s\", \"action\": \"%s\"}\n", queue, what);
        fputs(buf_str(&out), stdout);
        buf_release(&out);
        /* The maillog still gets the line, stderr does not. */
        msg_set_stderr(0);
        msg_info("%s: %s", id, what);
        msg_set_stderr(1);
    } else {
        msg_info("%s: %s", id, what);
    }
}

static int postsuper_allowed(const struct postsuper *ps, const char *queue)
{
    size_t i;

    if (ps->restrict_queues == NULL)
        return 1;
    for (i = 0; ps->restrict_queues[i] != NULL; i++)
        if (strcmp(ps->restrict_queues[i], queue) == 0)
            return 1;
    return 0;
}

static const char *const ps_log_queues[] = {QUEUE_DEFER, QUEUE_BOUNCE, QUEUE_TRACE, NULL};

static void postsuper_remove_log(const struct postsuper *ps, const char *queue, const char *id)
{
    if (recipient_log_remove(ps->qd, queue, id) < 0 && errno != ENOENT)
        msg_warn("%s: remove %s log: %s", id, queue, strerror(errno));
}

static void postsuper_remove_logs(struct postsuper *ps, const char *id)
{
    size_t i;

    if (ps->log_ids != NULL) {
        /* postsuper_logs_end() looks once more for a log written since. */
        (void)htable_put(ps->removed, id, ps->removed);
        if (htable_find(ps->log_ids, id) == NULL)
            return; /* it had none when the bulk action began */
    }
    for (i = 0; ps_log_queues[i] != NULL; i++)
        postsuper_remove_log(ps, ps_log_queues[i], id);
}

/* Every ID in the logs of queue: 0, or -1 if the directory (or one of its
 * hash subdirectories) could not be read. A missing directory is empty. */
static int postsuper_log_list(struct postsuper *ps, const char *queue, struct htable *ids)
{
    struct buf err = BUF_INIT;
    struct queue_scan *scan;
    char id[QUEUE_ID_SIZE];
    int rc;
    int ret = 0;

    if ((scan = queue_scan_open(ps->qd, queue, &err)) == NULL) {
        ret = errno == ENOENT ? 0 : -1;
        buf_release(&err);
        return ret;
    }
    while ((rc = queue_scan_next(scan, id, sizeof(id), NULL)) != 0) {
        if (rc < 0)
            ret = -1;
        else
            (void)htable_put(ids, id, ids);
    }
    queue_scan_close(scan);
    buf_release(&err);
    return ret;
}

void postsuper_logs_begin(struct postsuper *ps)
{
    struct htable *ids;
    size_t i;

    if (ps->log_ids != NULL)
        return;
    ids = htable_new(64);
    for (i = 0; ps_log_queues[i] != NULL; i++) {
        if (postsuper_log_list(ps, ps_log_queues[i], ids) < 0) {
            if (msg_verbose)
                msg_info("cannot list the %s logs; removing logs by name", ps_log_queues[i]);
            htable_free(ids, NULL);
            return;
        }
    }
    ps->log_ids = ids;
    ps->removed = htable_new(256);
}

void postsuper_logs_end(struct postsuper *ps)
{
    struct buf path = BUF_INIT;
    size_t i;
    size_t j;

    if (ps->log_ids == NULL)
        return;
    for (i = 0; ps->removed->used > 0 && ps_log_queues[i] != NULL; i++) {
        struct htable *now = htable_new(64);
        struct htable_entry **v;
        size_t n;

        /* A listing that fails part-way still names what it could read;
         * the rest stays, as a log written after the removal always may. */
        (void)postsuper_log_list(ps, ps_log_queues[i], now);
        v = htable_sorted(now, &n);
        for (j = 0; j < n; j++) {
            if (htable_find(ps->removed, v[j]->key) == NULL)
                continue;
            /* The ID is free again and a new message may have it. */
            if (queue_dir_find(ps->qd, v[j]->key, NULL, &path) != NULL)
                continue;
            postsuper_remove_log(ps, ps_log_queues[i], v[j]->key);
        }
        mem_free(v);
        htable_free(now, NULL);
    }
    htable_free(ps->log_ids, NULL);
    htable_free(ps->removed, NULL);
    ps->log_ids = NULL;
    ps->removed = NULL;
    buf_release(&path);
}

/* Whether an ATTR record may go into a maildrop file (maildrop.h). */
static int postsuper_maildrop_attr(const char *data)
{
    static const char *const names[] = {MAILDROP_ATTR_FULL_NAME, MAILDROP_ATTR_REWRITE,
                                        MAILDROP_ATTR_ENCODING, NULL};
    size_t i;
    size_t n;

    for (i = 0; names[i] != NULL; i++) {
        n = strlen(names[i]);
        if (strncmp(data, names[i], n) == 0 && data[n] == '=')
            return 1;
    }
    return 0;
}

/* Copies queue/id into a new maildrop file: 0, or -1 (reason in err). */
static int postsuper_requeue_copy(struct postsuper *ps, const char *queue, const char *id,
                                  struct buf *err)
{
    struct queue_reader *r;
    struct queue_record rec;
    struct queue_file_opts opts;
    struct queue_file *qf;
    char *notify = NULL;
    int section = 0; /* 0 envelope, 1 content, 2 extracted */
    int rc = 0;
    int got;

    if ((r = queue_reader_open(ps->qd, queue, id, 0, err)) == NULL)
        return -1;
    /* Created as the effective user: mail_owner (postsuper.c). */
    queue_file_opts_init(&opts);
    opts.queue = QUEUE_MAILDROP;
    if ((qf = queue_file_create(ps->qd, &opts, err)) == NULL) {
        queue_reader_close(r);
        return -1;
    }
    while (rc == 0 && (got = queue_reader_next(r, &rec)) > 0) {
        switch (rec.type) {
        case QUEUE_REC_TIME:
        case QUEUE_REC_SENDER:
        case QUEUE_REC_DSN_ENVID:
        case QUEUE_REC_DSN_RET:
            if (section == 0)
                rc = queue_file_put(qf, rec.type, rec.data, rec.len);
            break;
        case QUEUE_REC_ATTR:
            if (section == 0 && postsuper_maildrop_attr(rec.data))
                rc = queue_file_put(qf, rec.type, rec.data, rec.len);
            break;
        case QUEUE_REC_DSN_NOTIFY:
            mem_free(notify);
            notify = mem_strndup(rec.data, rec.len);
            break;
        case QUEUE_REC_RCPT:
            if (section == 0) {
                if (notify != NULL)
                    rc = queue_file_put(qf, QUEUE_REC_DSN_NOTIFY, notify, strlen(notify));
                if (rc == 0)
                    rc = queue_file_put(qf, rec.type, rec.data, rec.len);
            }
            mem_free(notify);
            notify = NULL;
            break;
        case QUEUE_REC_DONE:
            mem_free(notify);
            notify = NULL;
            break;
        case QUEUE_REC_MESG:
            section = 1;
            rc = queue_file_begin_content(qf);
            break;
        case QUEUE_REC_NORM:
            rc = queue_file_put_line(qf, rec.data, rec.len);
            break;
        case QUEUE_REC_CONT:
            rc = queue_file_put_line_part(qf, rec.data, rec.len);
            break;
        case QUEUE_REC_XTRA:
            section = 2;
            rc = queue_file_end_content(qf);
            break;
        default:
            break;
        }
        if (rc < 0)
            buf_set(err, queue_file_error(qf));
    }
    if (rc == 0 && got < 0) {
        buf_set(err, queue_reader_error(r));
        rc = -1;
    }
    if (rc == 0 && queue_file_finish(qf) < 0) {
        buf_set(err, queue_file_error(qf));
        rc = -1;
    }
    if (rc < 0)
        queue_file_abort(qf);
    else
        queue_file_close(qf);
    mem_free(notify);
    queue_reader_close(r);
    return rc;
}

/* unlink() of queue/id (full name in path), by its name relative to the
 * queue directory when that is open: a shorter lookup per file. */
static int postsuper_unlink(const struct postsuper *ps, const char *queue, const char *id,
                            const char *path)
{
    struct buf rel = BUF_INIT;
    int rc;
    int saved;

    if (ps->top_fd < 0 || queue_dir_path_rel(ps->qd, queue, id, &rel) < 0) {
        buf_release(&rel);
        return unlink(path);
    }
    rc = unlinkat(ps->top_fd, buf_str(&rel), 0);
    saved = errno;
    buf_release(&rel);
    errno = saved;
    return rc;
}

/* One attempt on one queue: 1 done, 0 not there, -1 failed. */
static int postsuper_try(struct postsuper *ps, enum postsuper_op op, const char *queue,
                         const char *id)
{
    struct buf path = BUF_INIT;
    struct buf err = BUF_INIT;
    struct stat st;
    int rc = 1;

    if (queue_dir_path(ps->qd, queue, id, &path) < 0) {
        buf_release(&path);
        return 0;
    }
    switch (op) {
    case PS_DELETE:
        if (postsuper_unlink(ps, queue, id, buf_str(&path)) < 0) {
            rc = errno == ENOENT ? 0 : -1;
            if (rc < 0)
                msg_warn("%s: remove %s: %s", id, buf_str(&path), strerror(errno));
            break;
        }
        postsuper_remove_logs(ps, id);
        postsuper_report(ps, id, queue, "removed");
        break;
    case PS_HOLD:
        if (queue_dir_move(ps->qd, queue, id, QUEUE_HOLD, &err) < 0) {
            rc = errno == ENOENT ? 0 : -1;
            if (rc < 0)
                msg_warn("%s: %s", id, buf_str(&err));
            break;
        }
        postsuper_report(ps, id, queue, "placed on hold");
        break;
    case PS_RELEASE:
        if (queue_dir_move(ps->qd, queue, id, QUEUE_DEFERRED, &err) < 0) {
            rc = errno == ENOENT ? 0 : -1;
            if (rc < 0)
                msg_warn("%s: %s", id, buf_str(&err));
            break;
        }
        /* Due at once: qmgr's next deferred scan takes it. */
        buf_reset(&path);
        if (queue_dir_path(ps->qd, QUEUE_DEFERRED, id, &path) == 0)
            (void)utimes(buf_str(&path), NULL);
        postsuper_report(ps, id, queue, "released from hold");
        break;
    case PS_REQUEUE:
        if (lstat(buf_str(&path), &st) < 0) {
            rc = 0;
            break;
        }
        if (postsuper_requeue_copy(ps, queue, id, &err) < 0) {
            rc = errno == ENOENT ? 0 : -1;
            if (rc < 0)
                msg_warn("%s: cannot requeue: %s", id, buf_str(&err));
            break;
        }
        /* The copy is safe on disk; the original goes now. If qmgr moved
         * it meanwhile, find and remove it wherever it went. */
        if (unlink(buf_str(&path)) < 0 && errno == ENOENT) {
            size_t i;
            const char *const *qs = postsuper_op_queues(PS_DELETE);

            for (i = 0; qs[i] != NULL; i++) {
                buf_reset(&path);
                if (queue_dir_path(ps->qd, qs[i], id, &path) == 0 && unlink(buf_str(&path)) == 0)
                    break;
            }
        }
        postsuper_remove_logs(ps, id);
        ps->pickup_wanted = 1;
        postsuper_report(ps, id, queue, "requeued");
        break;
    case PS_EXPIRE:
    case PS_FORCE_EXPIRE:
        if (lstat(buf_str(&path), &st) < 0) {
            rc = 0;
            break;
        }
        if (chmod(buf_str(&path), (st.st_mode & 07777) | QUEUE_FILE_MODE_EXPIRED) < 0) {
            rc = errno == ENOENT ? 0 : -1;
            if (rc < 0)
                msg_warn("%s: chmod %s: %s", id, buf_str(&path), strerror(errno));
            break;
        }
        if (op == PS_FORCE_EXPIRE && strcmp(queue, QUEUE_HOLD) == 0 &&
            queue_dir_move(ps->qd, queue, id, QUEUE_DEFERRED, &err) == 0) {
            buf_reset(&path);
            if (queue_dir_path(ps->qd, QUEUE_DEFERRED, id, &path) == 0)
                (void)utimes(buf_str(&path), NULL);
            ps->counts[PS_RELEASE]++;
        }
        postsuper_report(ps, id, queue, "expired");
        break;
    default:
        rc = 0;
        break;
    }
    buf_release(&path);
    buf_release(&err);
    return rc;
}

int postsuper_apply(struct postsuper *ps, enum postsuper_op op, const char *id, const char *first)
{
    const char *const *qs = postsuper_op_queues(op);
    int pass;
    size_t i;
    int rc;

    if (first != NULL && postsuper_allowed(ps, first) &&
        (rc = postsuper_try(ps, op, first, id)) != 0) {
        if (rc > 0)
            ps->counts[op]++;
        return rc;
    }
    for (pass = 0; pass < POSTSUPER_PASSES; pass++) {
        for (i = 0; qs[i] != NULL; i++) {
            if (!postsuper_allowed(ps, qs[i]))
                continue;
            if ((rc = postsuper_try(ps, op, qs[i], id)) != 0) {
                if (rc > 0)
                    ps->counts[op]++;
                return rc;
            }
        }
    }
    return 0;
}
