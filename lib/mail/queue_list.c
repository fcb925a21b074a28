/*
 * queue_list.c - reading a queue file's envelope for the queue listing
 * (see queue_list.h). Only the envelope is read unless the SIZE record
 * counts more recipients than the envelope holds (sendmail -t puts them
 * after the content), so listing a large queue costs one short read per
 * file. Reasons are matched to recipients by RCPT record offset first and
 * by address when the log has no offset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mail/queue_file.h"
#include "mail/queue_list.h"
#include "mail/queue_reader.h"
#include "mail/recipient_log.h"
#include "util/mem.h"

const char *const queue_list_queues[] = {QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD,
                                         NULL};

/* Record offsets of the listed recipients, parallel to e->rcpts. */
struct queue_list_offsets {
    off_t *off;
    size_t cap;
};

static void queue_list_note_offset(struct queue_list_offsets *o, size_t i, off_t off)
{
    if (i >= o->cap) {
        o->cap = o->cap ? mem_size_mul(o->cap, 2) : 8;
        if (o->cap <= i)
            o->cap = i + 1;
        o->off = mem_realloc(o->off, mem_size_mul(o->cap, sizeof(*o->off)));
    }
    o->off[i] = off;
}

static void queue_list_reasons(const struct queue_dir *qd, const char *id, struct showq_entry *e,
                               const struct queue_list_offsets *o)
{
    struct recipient_log_reader *lr;
    struct recipient_log_entry le;
    struct buf err = BUF_INIT;
    size_t i;
    int rc;

    if ((lr = recipient_log_reader_open(qd, QUEUE_DEFER, id, &err)) == NULL) {
        buf_release(&err);
        return;
    }
    recipient_log_entry_init(&le);
    while ((rc = recipient_log_reader_next(lr, &le, &err)) != 0) {
        int matched = 0;

        if (rc < 0)
            continue; /* a torn or bad line: the others still count */
        if (le.reason == NULL || le.recipient == NULL)
            continue;
        if (le.offset > 0) {
            for (i = 0; i < e->nrcpt; i++) {
                if (o->off[i] == (off_t)le.offset) {
                    mem_free(e->rcpts[i].reason);
                    e->rcpts[i].reason = mem_strdup(le.reason);
                    matched = 1;
                }
            }
        }
        if (!matched)
            (void)showq_entry_set_reason(e, le.recipient, le.reason);
    }
    recipient_log_entry_free(&le);
    recipient_log_reader_close(lr);
    buf_release(&err);
}

int queue_list_load(const struct queue_dir *qd, const char *queue, const char *id,
                    struct showq_entry *e, struct buf *err)
{
    struct queue_reader *r;
    struct queue_record rec;
    struct queue_list_offsets offs = {NULL, 0};
    const struct queue_size *qs;
    long seen = 0; /* RCPT and DONE records read */
    int rc;
    int in_content = 0;

    showq_entry_reset(e);
    if ((r = queue_reader_open(qd, queue, id, 0, err)) == NULL)
        return errno == ENOENT || errno == EAGAIN ? 0 : -1;
    /* Both were checked by queue_reader_open(): a known queue, a valid ID. */
    if (strlen(queue) >= sizeof(e->queue_name) || strlen(id) >= sizeof(e->queue_id)) {
        buf_set(err, "queue name or ID too long");
        queue_reader_close(r);
        return -1;
    }
    memcpy(e->queue_name, queue, strlen(queue) + 1);
    memcpy(e->queue_id, id, strlen(id) + 1);
    e->forced_expire = (queue_reader_stat(r)->st_mode & QUEUE_FILE_MODE_EXPIRED) != 0;
    while ((rc = queue_reader_next(r, &rec)) > 0) {
        switch (rec.type) {
        case QUEUE_REC_TIME: {
            struct timeval tv;

            if (queue_time_parse(rec.data, rec.len, &tv, err) == 0)
                e->arrival = (long)tv.tv_sec;
            break;
        }
        case QUEUE_REC_SENDER:
            mem_free(e->sender);
            e->sender = mem_strndup(rec.data, rec.len);
            break;
        case QUEUE_REC_RCPT:
            queue_list_note_offset(&offs, e->nrcpt, rec.offset);
            showq_entry_add_rcpt(e, rec.data, NULL);
            seen++;
            break;
        case QUEUE_REC_DONE:
            seen++;
            break;
        case QUEUE_REC_MESG:
            in_content = 1;
            break;
        default:
            break;
        }
        /* Past the envelope: go on only for recipients after the content. */
        if (in_content && rec.type == QUEUE_REC_MESG) {
            qs = queue_reader_size(r);
            if (qs == NULL || qs->rcpt_count <= seen)
                break;
        }
    }
    if (rc < 0) {
        buf_set(err, queue_reader_error(r));
        queue_reader_close(r);
        mem_free(offs.off);
        return -1;
    }
    if ((qs = queue_reader_size(r)) != NULL)
        e->size = qs->content_size;
    if (e->sender == NULL)
        e->sender = mem_strdup("");
    queue_reader_close(r);
    if (e->nrcpt > 0)
        queue_list_reasons(qd, id, e, &offs);
    mem_free(offs.off);
    return 1;
}

static int queue_list_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

long queue_list_ids(const struct queue_dir *qd, const char *queue, char ***ids, struct buf *err)
{
    struct queue_scan *scan;
    char id[QUEUE_ID_SIZE];
    char **v = NULL;
    size_t n = 0;
    size_t cap = 0;
    int rc;

    *ids = NULL;
    if ((scan = queue_scan_open(qd, queue, err)) == NULL)
        return -1;
    while ((rc = queue_scan_next(scan, id, sizeof(id), NULL)) != 0) {
        if (rc < 0)
            continue;
        if (n == cap) {
            cap = cap ? mem_size_mul(cap, 2) : 64;
            v = mem_realloc(v, mem_size_mul(cap, sizeof(*v)));
        }
        v[n++] = mem_strdup(id);
    }
    queue_scan_close(scan);
    if (n > 1)
        qsort(v, n, sizeof(*v), queue_list_cmp);
    *ids = v;
    return (long)n;
}

void queue_list_ids_free(char **ids, long count)
{
    long i;

    for (i = 0; i < count; i++)
        mem_free(ids[i]);
    mem_free(ids);
}
