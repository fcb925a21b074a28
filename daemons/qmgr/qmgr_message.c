/*
 * qmgr_message.c - one message in active/: reading its envelope and a slice
 * of its recipients, resolving each recipient, applying the outcomes, and
 * the end of a pass: removal, deferral with backoff, expiry, delay warning.
 *
 * Called by the scans in qmgr_main.c (qmgr_message_open) and by the agent
 * I/O in qmgr_deliver.c (outcomes). Order on disk: a bounce record (or a
 * trace record, for a delivered recipient with NOTIFY=SUCCESS) is
 * fdatasync()ed before its recipient is marked done; the done marks are
 * fdatasync()ed (once per batch) before the message can leave active/. A
 * crash between the two repeats the delivery attempt for that recipient,
 * it never loses one (and the bounce log may then hold it twice).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mail/queue_file.h"
#include "mail/recipient_log.h"
#include "qmgr.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"

/* IDs of the messages in memory. */
static struct htable *qmgr_open_ids;

int qmgr_message_is_open(const char *id)
{
    return qmgr_open_ids != NULL && htable_get(qmgr_open_ids, id) != NULL;
}

static void qmgr_message_free_slice(struct qmgr_message *msg)
{
    size_t i;

    for (i = 0; i < msg->nrcpt; i++) {
        mem_free(msg->rcpt[i].address);
        mem_free(msg->rcpt[i].orcpt);
        mem_free(msg->rcpt[i].dsn_orcpt);
    }
    mem_free(msg->rcpt);
    qmgr_rcpt_count -= msg->nrcpt;
    msg->rcpt = NULL;
    msg->nrcpt = 0;
}

static void qmgr_message_free(struct qmgr_message *msg)
{
    size_t i;

    qmgr_message_free_slice(msg);
    if (qmgr_open_ids)
        (void)htable_remove(qmgr_open_ids, msg->id);
    if (msg->reader)
        queue_reader_close(msg->reader);
    mem_free(msg->sender);
    mem_free(msg->envid);
    for (i = 0; i < msg->nattr; i++) {
        mem_free(msg->attr[i].name);
        mem_free(msg->attr[i].value);
    }
    mem_free(msg->attr);
    mem_free(msg);
    qmgr_active_count--;
    qmgr_scan_request();
}

static void qmgr_rcpt_add(struct qmgr_message *msg, size_t *cap, const char *address, char **orcpt,
                          char **dsn_orcpt, int notify, long offset)
{
    struct qmgr_rcpt *r;

    if (msg->nrcpt == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        msg->rcpt = mem_realloc(msg->rcpt, mem_size_mul(*cap, sizeof(msg->rcpt[0])));
    }
    r = &msg->rcpt[msg->nrcpt++];
    r->address = mem_strdup(address);
    r->orcpt = *orcpt ? *orcpt : mem_strdup("");
    r->dsn_orcpt = *dsn_orcpt ? *dsn_orcpt : mem_strdup("");
    r->notify = notify;
    r->offset = offset;
    r->msg = msg;
    *orcpt = NULL;
    *dsn_orcpt = NULL;
}

/*
 * Reads records from the reader's position: the envelope on the first call
 * (first = 1), and unfinished recipients until budget of them are in
 * memory. Returns 0, or -1 with why (a corrupt file).
 */
static int qmgr_message_read(struct qmgr_message *msg, int first, size_t budget, struct buf *why)
{
    struct queue_record rec;
    struct queue_reader_pos group;
    char *orcpt = NULL;
    char *dsn_orcpt = NULL;
    int notify = 0;
    int in_group = 0;
    size_t cap = 0;
    int st;

    msg->more = 0;
    queue_reader_save(msg->reader, &group);
    while ((st = queue_reader_next(msg->reader, &rec)) > 0) {
        switch (rec.type) {
        case QUEUE_REC_TIME:
            if (first && queue_time_parse(rec.data, rec.len, &msg->arrival, why) < 0)
                return -1;
            break;
        case QUEUE_REC_SENDER:
            if (first) {
                mem_free(msg->sender);
                msg->sender = mem_strndup(rec.data, rec.len);
            }
            break;
        case QUEUE_REC_DSN_ENVID:
            if (first) {
                mem_free(msg->envid);
                msg->envid = mem_strndup(rec.data, rec.len);
            }
            break;
        case QUEUE_REC_DSN_RET:
            if (first)
                msg->ret = atoi(rec.data);
            break;
        case QUEUE_REC_WARN:
            if (first) {
                msg->warn_offset = (long)rec.offset;
                if (queue_warn_parse(rec.data, rec.len, &msg->warn_time, why) < 0)
                    return -1;
            }
            break;
        case QUEUE_REC_ATTR: {
            const char *eq = memchr(rec.data, '=', rec.len);
            size_t nlen = eq ? (size_t)(eq - rec.data) : rec.len;

            if (nlen == strlen(QUEUE_ATTR_DSN_ORCPT) &&
                memcmp(rec.data, QUEUE_ATTR_DSN_ORCPT, nlen) == 0) {
                mem_free(dsn_orcpt);
                dsn_orcpt = mem_strdup(eq ? eq + 1 : "");
                in_group = 1;
            } else if (first && eq != NULL) {
                msg->attr =
                    mem_realloc(msg->attr, mem_size_mul(msg->nattr + 1, sizeof(msg->attr[0])));
                msg->attr[msg->nattr].name = mem_strndup(rec.data, nlen);
                msg->attr[msg->nattr].value = mem_strdup(eq + 1);
                msg->nattr++;
            }
            break;
        }
        case QUEUE_REC_DSN_NOTIFY:
            notify = atoi(rec.data);
            in_group = 1;
            break;
        case QUEUE_REC_ORCPT:
            mem_free(orcpt);
            orcpt = mem_strndup(rec.data, rec.len);
            in_group = 1;
            break;
        case QUEUE_REC_RCPT:
            if (msg->nrcpt >= budget) {
                /* Leave this recipient (and its group) for the next slice. */
                if (msg_verbose)
                    msg_info("%s: %zu recipients in memory, more later", msg->id, msg->nrcpt);
                msg->more = 1;
                msg->next_pos = group;
                mem_free(orcpt);
                mem_free(dsn_orcpt);
                return 0;
            }
            qmgr_rcpt_add(msg, &cap, rec.data, &orcpt, &dsn_orcpt, notify, (long)rec.offset);
            qmgr_rcpt_count++;
            notify = 0;
            in_group = 0;
            break;
        case QUEUE_REC_DONE:
            mem_free(orcpt);
            mem_free(dsn_orcpt);
            orcpt = dsn_orcpt = NULL;
            notify = 0;
            in_group = 0;
            break;
        default:
            break;
        }
        if (!in_group)
            queue_reader_save(msg->reader, &group);
    }
    mem_free(orcpt);
    mem_free(dsn_orcpt);
    if (st < 0) {
        buf_set(why, queue_reader_error(msg->reader));
        return -1;
    }
    return 0;
}

/* Budget of recipients for the next slice (qmgr_message_recipient_limit,
 * but never less than qmgr_message_recipient_minimum). */
static size_t qmgr_budget(void)
{
    size_t limit = (size_t)var_qmgr_message_recipient_limit;
    size_t minimum = (size_t)var_qmgr_message_recipient_minimum;
    size_t left = qmgr_rcpt_count < limit ? limit - qmgr_rcpt_count : 0;

    return left > minimum ? left : minimum;
}

/* A named attribute of the message, or NULL. */
static const char *qmgr_message_attr(const struct qmgr_message *msg, const char *name)
{
    size_t i;

    for (i = 0; i < msg->nattr; i++)
        if (strcmp(msg->attr[i].name, name) == 0)
            return msg->attr[i].value;
    return NULL;
}

/*
 * Resolves and queues every recipient of the slice. Two actions decided by
 * smtpd access maps or cleanup's header/body checks change the route of
 * the whole message: REDIRECT (attribute redirect_to: every recipient is
 * delivered to that address instead, the original kept as orig_to) and
 * FILTER (attribute content_filter "transport:nexthop": every recipient
 * goes through that transport; an empty nexthop keeps the resolved one).
 */
static void qmgr_message_dispatch(struct qmgr_message *msg)
{
    struct resolve_reply reply;
    const char *redirect = qmgr_message_attr(msg, "redirect_to");
    const char *filter = qmgr_message_attr(msg, "content_filter");
    char *filter_transport = NULL;
    const char *filter_nexthop = NULL;
    size_t i;

    if (redirect && *redirect == '\0')
        redirect = NULL;
    if (filter && *filter) {
        const char *colon = strchr(filter, ':');

        filter_transport = mem_strndup(filter, colon ? (size_t)(colon - filter) : strlen(filter));
        filter_nexthop = colon ? colon + 1 : "";
    }
    msg->pending = msg->nrcpt;
    resolve_reply_init(&reply);
    for (i = 0; i < msg->nrcpt; i++) {
        struct qmgr_rcpt *rcpt = &msg->rcpt[i];

        if (redirect && strcmp(rcpt->address, redirect) != 0) {
            if (rcpt->orcpt == NULL || *rcpt->orcpt == '\0') {
                mem_free(rcpt->orcpt);
                rcpt->orcpt = mem_strdup(rcpt->address);
            }
            mem_free(rcpt->address);
            rcpt->address = mem_strdup(redirect);
        }
        if (resolve_addr(qmgr_resolver, rcpt->address, &reply) < 0) {
            struct deliver_result res;

            memset(&res, 0, sizeof(res));
            res.status = DELIVER_STATUS_DEFER;
            res.dsn_status = (char *)"4.3.0";
            res.action = (char *)"delayed";
            res.relay = (char *)"none";
            res.reason = (char *)"address resolver failure";
            msg_warn("%s: resolving %s: %s", msg->id, rcpt->address, buf_str(&reply.reason));
            qmgr_message_outcome(rcpt, &res);
        } else if (filter_transport && *filter_transport) {
            qmgr_deliver_add(rcpt, filter_transport,
                             *filter_nexthop ? filter_nexthop : buf_str(&reply.nexthop));
        } else {
            qmgr_deliver_add(rcpt, buf_str(&reply.transport), buf_str(&reply.nexthop));
        }
    }
    resolve_reply_free(&reply);
    mem_free(filter_transport);
}

int qmgr_message_open(const char *id)
{
    struct qmgr_message *msg;
    struct buf err = BUF_INIT;
    const struct queue_size *size;

    if (strlen(id) >= sizeof(msg->id)) {
        msg_warn("queue ID too long: %.40s", id);
        return -1;
    }
    msg = mem_calloc(1, sizeof(*msg));
    memcpy(msg->id, id, strlen(id) + 1);
    msg->warn_offset = -1;
    msg->sender = mem_strdup("");
    msg->envid = mem_strdup("");
    qmgr_active_count++;
    if (qmgr_open_ids == NULL)
        qmgr_open_ids = htable_new(1024);
    htable_put(qmgr_open_ids, msg->id, msg);
    msg->reader = queue_reader_open(qmgr_qd, QUEUE_ACTIVE, id, QUEUE_READ_RDWR, &err);
    if (msg->reader == NULL) {
        if (errno == EINVAL || errno == ELOOP || errno == EPERM)
            (void)queue_reader_move_corrupt(qmgr_qd, QUEUE_ACTIVE, id, buf_str(&err));
        else if (errno != ENOENT)
            msg_warn("%s: %s", id, buf_str(&err));
        buf_release(&err);
        qmgr_message_free(msg);
        return -1;
    }
    if (qmgr_message_read(msg, 1, qmgr_budget(), &err) < 0) {
        queue_reader_close(msg->reader);
        msg->reader = NULL;
        (void)queue_reader_move_corrupt(qmgr_qd, QUEUE_ACTIVE, id, buf_str(&err));
        buf_release(&err);
        qmgr_message_free(msg);
        return -1;
    }
    buf_release(&err);
    size = queue_reader_size(msg->reader);
    if (size) {
        msg->content_offset = size->content_offset;
        msg->content_size = size->content_size;
        msg->rcpt_total = size->rcpt_count;
        msg->qmgr_flags = size->qmgr_flags;
        if (size->smtputf8)
            msg->flags |= DELIVER_FLAG_SMTPUTF8;
    }
    gettimeofday(&msg->active, NULL);
    msg_info("%s: from=<%s>, size=%ld, nrcpt=%ld (queue active)", id, msg->sender,
             msg->content_size, msg->rcpt_total);
    /* This pass writes the delay reasons afresh (showq and the warning
     * read the current ones). */
    (void)recipient_log_remove(qmgr_qd, QUEUE_DEFER, id);
    qmgr_message_dispatch(msg);
    qmgr_message_flush(msg);
    return 0;
}

static struct recipient_log *qmgr_log_open(struct qmgr_message *msg, const char *queue)
{
    struct buf err = BUF_INIT;
    struct recipient_log *log = recipient_log_open(qmgr_qd, queue, msg->id, &err);

    if (log == NULL)
        msg_warn("%s: %s", msg->id, buf_str(&err));
    buf_release(&err);
    return log;
}

static void qmgr_log_entry(struct recipient_log_entry *e, const struct qmgr_rcpt *rcpt,
                           const struct deliver_result *res)
{
    e->recipient = rcpt->address;
    e->orig_rcpt = rcpt->orcpt;
    e->dsn_orcpt = rcpt->dsn_orcpt;
    e->notify = rcpt->notify;
    e->offset = rcpt->offset;
    e->time = (long)time(NULL);
    e->dsn_status = res->dsn_status;
    e->action = res->action;
    e->relay = res->relay;
    e->mta = res->mta;
    e->diag = res->diag;
    e->reason = res->reason;
}

/* Appends one record; 0 or -1 (logged). */
static int qmgr_log_append(struct qmgr_message *msg, const char *queue,
                           const struct qmgr_rcpt *rcpt, const struct deliver_result *res)
{
    struct recipient_log *log = qmgr_log_open(msg, queue);
    struct recipient_log_entry e;
    struct buf err = BUF_INIT;
    int ret;

    if (log == NULL)
        return -1;
    recipient_log_entry_init(&e);
    qmgr_log_entry(&e, rcpt, res);
    ret = recipient_log_append(log, &e, &err);
    /* A bounce or trace record must be on disk before the recipient is
     * marked done: a done recipient is never looked at again. */
    if (recipient_log_close(log, strcmp(queue, QUEUE_DEFER) != 0, &err) < 0)
        ret = -1;
    if (ret < 0)
        msg_warn("%s: %s", msg->id, buf_str(&err));
    buf_release(&err);
    return ret;
}

static void qmgr_mark_done(struct qmgr_message *msg, const struct qmgr_rcpt *rcpt)
{
    if (queue_file_mark_done(queue_reader_fd(msg->reader), rcpt->offset, 0) < 0)
        msg_warn("%s: mark recipient %s done: %s", msg->id, rcpt->address, strerror(errno));
    else
        msg->done_unsynced++;
}

void qmgr_message_outcome(struct qmgr_rcpt *rcpt, const struct deliver_result *res)
{
    struct qmgr_message *msg = rcpt->msg;

    switch (res->status) {
    case DELIVER_STATUS_OK:
        if (rcpt->notify & QUEUE_DSN_NOTIFY_SUCCESS) {
            /* NOTIFY=SUCCESS: the success notice is built from trace/ID
             * when the message is finished. The agent's action says
             * delivered, relayed or expanded; an agent that gave none
             * delivered. */
            struct deliver_result traced = *res;

            if (traced.action == NULL || *traced.action == '\0')
                traced.action = (char *)"delivered";
            if (qmgr_log_append(msg, QUEUE_TRACE, rcpt, &traced) < 0) {
                /* Without its trace record the promised notice would be
                 * lost: keep the recipient and try again later. */
                struct deliver_result res_defer;

                memset(&res_defer, 0, sizeof(res_defer));
                res_defer.status = DELIVER_STATUS_DEFER;
                res_defer.dsn_status = (char *)"4.3.0";
                res_defer.action = (char *)"delayed";
                res_defer.relay = res->relay;
                res_defer.reason = (char *)"cannot append to the trace log";
                (void)qmgr_log_append(msg, QUEUE_DEFER, rcpt, &res_defer);
                msg->deferred++;
                break;
            }
        }
        qmgr_mark_done(msg, rcpt);
        break;
    case DELIVER_STATUS_BOUNCE:
        if (qmgr_log_append(msg, QUEUE_BOUNCE, rcpt, res) == 0) {
            qmgr_mark_done(msg, rcpt);
            msg->bounced++;
        } else {
            /* Without its bounce record it must not be done: try later. */
            msg->deferred++;
        }
        break;
    default:
        (void)qmgr_log_append(msg, QUEUE_DEFER, rcpt, res);
        msg->deferred++;
        break;
    }
    if (msg->pending == 0)
        msg_panic("%s: outcome for a recipient that has one", msg->id);
    msg->pending--;
}

/* Next retry: the message's age, between minimal_backoff_time and
 * maximal_backoff_time, so the interval doubles with each attempt. */
static long qmgr_backoff(const struct qmgr_message *msg, time_t now)
{
    long age = (long)(now - msg->arrival.tv_sec);

    if (age > var_maximal_backoff_time)
        age = var_maximal_backoff_time;
    if (age < var_minimal_backoff_time)
        age = var_minimal_backoff_time;
    return age;
}

/* Moves active/ID to deferred/ID with the next retry time as its mtime. */
static void qmgr_message_defer_file(struct qmgr_message *msg, time_t now)
{
    struct buf path = BUF_INIT;
    struct buf err = BUF_INIT;
    struct timeval tv[2];

    tv[0].tv_sec = now;
    tv[0].tv_usec = 0;
    tv[1].tv_sec = now + qmgr_backoff(msg, now);
    tv[1].tv_usec = 0;
    if (queue_dir_path(qmgr_qd, QUEUE_ACTIVE, msg->id, &path) == 0 &&
        utimes(buf_str(&path), tv) < 0)
        msg_warn("%s: set retry time: %s", msg->id, strerror(errno));
    if (queue_dir_move(qmgr_qd, QUEUE_ACTIVE, msg->id, QUEUE_DEFERRED, &err) < 0)
        msg_warn("%s: move to deferred: %s", msg->id, buf_str(&err));
    buf_release(&path);
    buf_release(&err);
}

/* Copies the defer log into the bounce log as failures (an expired
 * message: its delayed recipients fail with their last delay reason). */
static int qmgr_message_expire(struct qmgr_message *msg)
{
    struct recipient_log_reader *r;
    struct recipient_log *log;
    struct recipient_log_entry e;
    struct buf err = BUF_INIT;
    long *offsets = NULL;
    size_t noffsets = 0, i;
    int st, ret = 0;

    if ((r = recipient_log_reader_open(qmgr_qd, QUEUE_DEFER, msg->id, &err)) == NULL) {
        msg_warn("%s: %s", msg->id, buf_str(&err));
        buf_release(&err);
        return -1;
    }
    if ((log = qmgr_log_open(msg, QUEUE_BOUNCE)) == NULL) {
        recipient_log_reader_close(r);
        buf_release(&err);
        return -1;
    }
    recipient_log_entry_init(&e);
    while ((st = recipient_log_reader_next(r, &e, &err)) != 0) {
        if (st < 0) {
            msg_warn("%s: defer log: %s", msg->id, buf_str(&err));
            continue;
        }
        mem_free(e.action);
        e.action = mem_strdup("failed");
        if (recipient_log_append(log, &e, &err) < 0) {
            msg_warn("%s: %s", msg->id, buf_str(&err));
            ret = -1;
            break;
        }
        if (e.offset > 0) {
            offsets = mem_realloc(offsets, mem_size_mul(noffsets + 1, sizeof(offsets[0])));
            offsets[noffsets++] = e.offset;
        }
    }
    recipient_log_entry_free(&e);
    recipient_log_reader_close(r);
    if (recipient_log_close(log, 1, &err) < 0) {
        msg_warn("%s: %s", msg->id, buf_str(&err));
        ret = -1;
    }
    /* Failed now: done, so that a later pass (the bounce service was
     * away) does not deliver or bounce them again. A bad offset from the
     * log is refused by queue_file_mark_done(). */
    for (i = 0; ret == 0 && i < noffsets; i++)
        (void)queue_file_mark_done(queue_reader_fd(msg->reader), offsets[i], 0);
    if (ret == 0 && noffsets > 0 && fdatasync(queue_reader_fd(msg->reader)) < 0)
        msg_warn("%s: fdatasync: %s", msg->id, strerror(errno));
    mem_free(offsets);
    buf_release(&err);
    return ret;
}

/* A delay warning once the message is older than delay_warning_time. */
static void qmgr_message_warn(struct qmgr_message *msg, time_t now)
{
    struct buf why = BUF_INIT;
    int fd = queue_reader_fd(msg->reader);
    int due;

    if (var_delay_warning_time <= 0 || msg->sender[0] == '\0')
        return;
    if (msg->warn_offset >= 0)
        due = msg->warn_time > 0 && now >= msg->warn_time;
    else
        due = !(msg->qmgr_flags & QMGR_FLAG_WARNED) &&
              now - msg->arrival.tv_sec >= var_delay_warning_time;
    if (!due)
        return;
    if (qmgr_bounce_request(QMGR_BOUNCE_WARN, msg, &why) < 0) {
        msg_warn("%s: cannot send delay warning: %s", msg->id, buf_str(&why));
    } else if (msg->warn_offset >= 0) {
        if (queue_file_update_warn(fd, msg->warn_offset, 0, QUEUE_UPDATE_SYNC) < 0)
            msg_warn("%s: update warning time: %s", msg->id, strerror(errno));
    } else if (queue_file_update_flags(fd, msg->qmgr_flags | QMGR_FLAG_WARNED, QUEUE_UPDATE_SYNC) <
               0) {
        msg_warn("%s: update queue flags: %s", msg->id, strerror(errno));
    }
    buf_release(&why);
}

/* Every recipient has an outcome and none is left to read. */
static void qmgr_message_done(struct qmgr_message *msg)
{
    time_t now = time(NULL);
    long lifetime = msg->sender[0] ? var_maximal_queue_lifetime : var_bounce_queue_lifetime;
    struct buf why = BUF_INIT;
    struct buf path = BUF_INIT;

    if (msg->deferred > 0 && now - msg->arrival.tv_sec >= lifetime) {
        if (qmgr_message_expire(msg) == 0) {
            msg_info("%s: from=<%s>, status=expired, returned to sender", msg->id, msg->sender);
            msg->deferred = 0;
        }
    }
    if (msg->deferred > 0) {
        qmgr_message_warn(msg, now);
        qmgr_message_defer_file(msg, now);
        qmgr_message_free(msg);
        buf_release(&why);
        return;
    }
    if (recipient_log_exists(qmgr_qd, QUEUE_BOUNCE, msg->id)) {
        if (qmgr_bounce_request(QMGR_BOUNCE_FLUSH, msg, &why) < 0) {
            /* Keep the file and its log: the next pass asks again. */
            msg_warn("%s: cannot send non-delivery notice: %s; message kept in the deferred "
                     "queue",
                     msg->id, buf_str(&why));
            qmgr_message_defer_file(msg, now);
            qmgr_message_free(msg);
            buf_release(&why);
            return;
        }
        /* Taken: a later failure (the trace request below) must not send
         * this notice twice. */
        (void)recipient_log_remove(qmgr_qd, QUEUE_BOUNCE, msg->id);
    }
    if (recipient_log_exists(qmgr_qd, QUEUE_TRACE, msg->id)) {
        /* NOTIFY=SUCCESS recipients: the success notice, sent like the
         * non-delivery notice while the file is still in active/. */
        if (qmgr_bounce_request(QMGR_BOUNCE_TRACE, msg, &why) < 0) {
            msg_warn("%s: cannot send delivery status notification: %s; message kept in the "
                     "deferred queue",
                     msg->id, buf_str(&why));
            qmgr_message_defer_file(msg, now);
            qmgr_message_free(msg);
            buf_release(&why);
            return;
        }
    }
    if (queue_dir_path(qmgr_qd, QUEUE_ACTIVE, msg->id, &path) == 0 && unlink(buf_str(&path)) < 0 &&
        errno != ENOENT) {
        msg_warn("%s: remove %s: %s", msg->id, buf_str(&path), strerror(errno));
    } else {
        (void)recipient_log_remove(qmgr_qd, QUEUE_BOUNCE, msg->id);
        (void)recipient_log_remove(qmgr_qd, QUEUE_DEFER, msg->id);
        (void)recipient_log_remove(qmgr_qd, QUEUE_TRACE, msg->id);
        msg_info("%s: removed", msg->id);
    }
    qmgr_message_free(msg);
    buf_release(&why);
    buf_release(&path);
}

void qmgr_message_flush(struct qmgr_message *msg)
{
    struct buf err = BUF_INIT;

    /* A message about to be removed needs no durable done marks: a crash
     * before the unlink delivers those recipients again, never loses them
     * (Postfix behaves the same), and the sync was a second fdatasync per
     * message on the hot path (scripts/bench profile). */
    if (msg->done_unsynced > 0 && msg->pending == 0 && !msg->more && msg->deferred == 0)
        msg->done_unsynced = 0;
    if (msg->done_unsynced > 0) {
        if (fdatasync(queue_reader_fd(msg->reader)) < 0)
            msg_warn("%s: fdatasync: %s", msg->id, strerror(errno));
        msg->done_unsynced = 0;
    }
    while (msg->pending == 0 && msg->more) {
        /* The next slice of recipients. */
        qmgr_message_free_slice(msg);
        queue_reader_restore(msg->reader, &msg->next_pos);
        if (qmgr_message_read(msg, 0, qmgr_budget(), &err) < 0) {
            msg_warn("%s: %s", msg->id, buf_str(&err));
            msg->more = 0;
            msg->deferred++; /* what was not read stays for the next pass */
            break;
        }
        if (msg->nrcpt == 0)
            continue;
        qmgr_message_dispatch(msg);
        if (msg->done_unsynced > 0) {
            if (fdatasync(queue_reader_fd(msg->reader)) < 0)
                msg_warn("%s: fdatasync: %s", msg->id, strerror(errno));
            msg->done_unsynced = 0;
        }
    }
    buf_release(&err);
    if (msg->pending == 0 && !msg->more)
        qmgr_message_done(msg);
}
