/*
 * queue_reader.c - record-by-record reading of queue files from a file or
 * from memory (see queue_reader.h).
 *
 * Callers: qmgr, delivery agents, showq, postcat, postsuper, the fuzz
 * target. Reads go through a window buffer with pread(), so a bogus length
 * can make the reader allocate at most the record limit, and each record is
 * checked (queue_rec_check) before it is handed out. This module must never
 * read outside its input, never hand out an unchecked record, and never
 * modify a file (opening read-write is for the caller's in-place updates).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mail/queue_file.h"
#include "mail/queue_reader.h"
#include "util/mem.h"
#include "util/msg.h"

#define QUEUE_READER_WINDOW 65536 /* bytes read from a file at once */

struct queue_reader {
    int fd;                   /* -1 when reading memory */
    const unsigned char *mem; /* the whole input, when reading memory */
    size_t mem_len;
    unsigned char *win; /* file bytes [win_off, win_off + win_len) */
    size_t win_len, win_cap;
    off_t win_off;
    off_t pos; /* offset of the next record */
    size_t max_rec;
    struct queue_rec_check check;
    struct buf rec; /* the current record's data */
    struct buf err;
    char id[QUEUE_ID_SIZE];
    char *queue;
    struct stat st;
    int failed;
    int done; /* END was returned */
};

static struct queue_reader *queue_reader_new(void)
{
    struct queue_reader *r = mem_calloc(1, sizeof(*r));

    r->fd = -1;
    r->max_rec = QUEUE_REC_MAX;
    r->queue = mem_strdup("");
    buf_init(&r->rec);
    buf_init(&r->err);
    queue_rec_check_init(&r->check, 0);
    return r;
}

struct queue_reader *queue_reader_open_mem(const void *data, size_t len)
{
    struct queue_reader *r = queue_reader_new();

    r->mem = data;
    r->mem_len = len;
    return r;
}

struct queue_reader *queue_reader_open_fd(int fd, int flags, struct buf *err)
{
    struct queue_reader *r;
    struct stat st;
    int saved;

    if (fstat(fd, &st) < 0) {
        saved = errno;
        buf_printf(err, "fstat: %s", strerror(saved));
        close(fd);
        errno = saved;
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        buf_set(err, "not a regular file");
        close(fd);
        errno = EPERM;
        return NULL;
    }
    if (!(flags & QUEUE_READ_INCOMPLETE) && !queue_file_is_complete(&st)) {
        buf_set(err, "not complete (the writer has not finished it)");
        close(fd);
        errno = EAGAIN;
        return NULL;
    }
    r = queue_reader_new();
    r->fd = fd;
    r->st = st;
    return r;
}

struct queue_reader *queue_reader_open_path(const char *path, int flags, struct buf *err)
{
    struct queue_reader *r;
    struct buf why = BUF_INIT;
    const char *base;
    int fd, saved;

    /* O_NONBLOCK: a FIFO planted in a queue must not hang the open. */
    fd = open(path, ((flags & QUEUE_READ_RDWR) ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK |
                        O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        saved = errno;
        buf_printf(err, "open queue file %s: %s", path, strerror(saved));
        errno = saved;
        return NULL;
    }
    if ((r = queue_reader_open_fd(fd, flags, &why)) == NULL) {
        saved = errno;
        buf_printf(err, "queue file %s: %s", path, buf_str(&why));
        buf_release(&why);
        errno = saved;
        return NULL;
    }
    buf_release(&why);
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (queue_id_valid(base))
        memcpy(r->id, base, strlen(base) + 1);
    return r;
}

struct queue_reader *queue_reader_open(const struct queue_dir *qd, const char *queue,
                                       const char *id, int flags, struct buf *err)
{
    struct queue_reader *r;
    struct buf path = BUF_INIT;

    if (queue_dir_path(qd, queue, id, &path) < 0) {
        buf_printf(err, "open queue file: invalid queue name or queue ID");
        errno = EINVAL;
        return NULL;
    }
    r = queue_reader_open_path(buf_str(&path), flags, err);
    buf_release(&path);
    if (r) {
        mem_free(r->queue);
        r->queue = mem_strdup(queue);
    }
    return r;
}

void queue_reader_close(struct queue_reader *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        (void)close(r->fd);
    mem_free(r->win);
    mem_free(r->queue);
    buf_release(&r->rec);
    buf_release(&r->err);
    mem_free(r);
}

void queue_reader_set_limit(struct queue_reader *r, size_t max)
{
    r->max_rec = max < QUEUE_REC_MAX ? max : QUEUE_REC_MAX;
}

/*
 * Makes up to want bytes at offset off available at *p. Returns how many
 * there are (fewer at the end of the input), or -1 on a read error.
 */
static ssize_t queue_reader_peek(struct queue_reader *r, off_t off, size_t want,
                                 const unsigned char **p)
{
    size_t have;
    ssize_t n;

    if (r->fd < 0) {
        if ((size_t)off >= r->mem_len) {
            *p = r->mem; /* any valid pointer: nothing may be read */
            return 0;
        }
        *p = r->mem + off;
        return (ssize_t)(r->mem_len - (size_t)off < want ? r->mem_len - (size_t)off : want);
    }
    if (off < r->win_off || off > r->win_off + (off_t)r->win_len ||
        r->win_off + (off_t)r->win_len - off < (off_t)want) {
        /* Refill: keep the wanted range at the start of the window. */
        if (want > r->win_cap || r->win == NULL) {
            r->win_cap = want > QUEUE_READER_WINDOW ? want : QUEUE_READER_WINDOW;
            mem_free(r->win);
            r->win = mem_alloc(r->win_cap);
        }
        r->win_off = off;
        r->win_len = 0;
        while (r->win_len < r->win_cap) {
            n = pread(r->fd, r->win + r->win_len, r->win_cap - r->win_len, off + (off_t)r->win_len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return -1;
            if (n == 0)
                break;
            r->win_len += (size_t)n;
            if (r->win_len >= want)
                break;
        }
    }
    have = (size_t)(r->win_off + (off_t)r->win_len - off);
    *p = r->win + (off - r->win_off);
    return (ssize_t)(have < want ? have : want);
}

static int queue_reader_fail(struct queue_reader *r, off_t off, const char *why)
{
    buf_reset(&r->err);
    buf_printf(&r->err, "offset %ld: %s", (long)off, why);
    r->failed = 1;
    return -1;
}

int queue_reader_next(struct queue_reader *r, struct queue_record *rec)
{
    struct buf why = BUF_INIT;
    const unsigned char *p;
    size_t len, hdr_len;
    ssize_t avail;
    int type, ret = -1;

    if (r->failed)
        return -1;
    if (r->done)
        return 0;
    if ((avail = queue_reader_peek(r, r->pos, QUEUE_REC_HDR_MAX, &p)) < 0) {
        buf_printf(&why, "read error: %s", strerror(errno));
        goto fail;
    }
    if (avail == 0) {
        buf_set(&why, r->check.section == QUEUE_SECTION_VERSION
                          ? "empty file (missing VERSION record)"
                          : "premature end of file (missing END record)");
        goto fail;
    }
    switch (queue_rec_get_header(p, (size_t)avail, r->max_rec, &type, &len, &hdr_len, &why)) {
    case QUEUE_HDR_SHORT:
        buf_set(&why, "truncated record header");
        goto fail;
    case QUEUE_HDR_BAD:
        goto fail;
    case QUEUE_HDR_OK:
        break;
    }
    avail = queue_reader_peek(r, r->pos + (off_t)hdr_len, len, &p);
    if (avail < 0) {
        buf_printf(&why, "read error: %s", strerror(errno));
        goto fail;
    }
    if ((size_t)avail < len) {
        buf_printf(&why, "truncated %s record (%zd of %zu data bytes)", queue_rec_name(type), avail,
                   len);
        goto fail;
    }
    if (queue_rec_check(&r->check, type, (const char *)p, len, r->pos,
                        r->pos + (off_t)(hdr_len + len), &why) < 0)
        goto fail;
    buf_set_mem(&r->rec, p, len);
    if (type == QUEUE_REC_END) {
        const unsigned char *rest;

        avail = queue_reader_peek(r, r->pos + (off_t)hdr_len, 1, &rest);
        if (avail != 0) {
            buf_set(&why,
                    avail < 0 ? "read error after the END record" : "data after the END record");
            goto fail;
        }
        r->done = 1;
    }
    rec->type = type;
    rec->offset = r->pos;
    rec->data = buf_str(&r->rec);
    rec->len = len;
    r->pos += (off_t)(hdr_len + len);
    ret = 1;
    buf_release(&why);
    return ret;
fail:
    queue_reader_fail(r, r->pos, buf_str(&why));
    buf_release(&why);
    return -1;
}

const char *queue_reader_error(const struct queue_reader *r)
{
    return buf_str(&r->err);
}

int queue_reader_seek_content(struct queue_reader *r)
{
    struct queue_record rec;
    int ret;

    while (r->check.section < QUEUE_SECTION_CONTENT) {
        if ((ret = queue_reader_next(r, &rec)) <= 0)
            return ret < 0 ? -1 : queue_reader_fail(r, r->pos, "no message content");
    }
    if (r->check.section != QUEUE_SECTION_CONTENT || r->pos != r->check.content_start)
        return queue_reader_fail(r, r->pos, "already past the start of the content");
    return 0;
}

const struct queue_size *queue_reader_size(const struct queue_reader *r)
{
    return r->check.section >= QUEUE_SECTION_ENVELOPE ? &r->check.size : NULL;
}

enum queue_section queue_reader_section(const struct queue_reader *r)
{
    return r->check.section;
}

void queue_reader_save(const struct queue_reader *r, struct queue_reader_pos *pos)
{
    pos->offset = r->pos;
    pos->check = r->check;
}

void queue_reader_restore(struct queue_reader *r, const struct queue_reader_pos *pos)
{
    r->pos = pos->offset;
    r->check = pos->check;
    r->failed = 0;
    r->done = 0;
    buf_reset(&r->err);
}

int queue_reader_fd(const struct queue_reader *r)
{
    return r->fd;
}

const char *queue_reader_id(const struct queue_reader *r)
{
    return r->id;
}

const char *queue_reader_queue(const struct queue_reader *r)
{
    return r->queue;
}

const struct stat *queue_reader_stat(const struct queue_reader *r)
{
    return &r->st;
}

int queue_reader_move_corrupt(const struct queue_dir *qd, const char *queue, const char *id,
                              const char *reason)
{
    struct buf rel = BUF_INIT, err = BUF_INIT;
    int ret;

    if (queue_dir_path_rel(qd, queue, id, &rel) < 0) {
        msg_warn("corrupt queue file: invalid queue name or queue ID; not moved");
        return -1;
    }
    ret = queue_dir_move(qd, queue, id, QUEUE_CORRUPT, &err);
    if (ret == 0)
        msg_warn("%s: corrupt queue file %s: %s; moved to %s", id, buf_str(&rel), reason,
                 QUEUE_CORRUPT);
    else
        msg_warn("%s: corrupt queue file %s: %s; cannot move it to %s: %s", id, buf_str(&rel),
                 reason, QUEUE_CORRUPT, buf_str(&err));
    buf_release(&rel);
    buf_release(&err);
    return ret;
}
