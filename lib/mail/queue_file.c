/*
 * queue_file.c - the queue file writer and the in-place updates (see
 * queue_file.h).
 *
 * Callers: cleanup (writer), qmgr and delivery agents (mark done, flags,
 * warning time), postsuper. Invariants: a name is taken only with
 * RENAME_NOREPLACE semantics, so an existing queue file is never replaced;
 * every record passes queue_rec_check() before it is buffered; the complete
 * bit is set only after the one fsync(). This module must never set the
 * bit on a file whose END record is not written, and never leave a
 * temporary file behind on an error path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/queue_file.h"
#include "util/mem.h"
#include "util/safe_open.h"

#define QUEUE_FILE_FLUSH_AT    65536 /* buffered bytes that trigger a write() */
#define QUEUE_FILE_NAME_TRIES  100   /* temporary names and IDs tried before giving up */
#define QUEUE_FILE_VERSION_STR QUEUE_FILE_VERSION_PREFIX "1"

struct queue_file {
    char id[QUEUE_ID_SIZE];
    char *queue;
    struct buf path; /* where the file is now */
    int fd;
    struct buf out;    /* records not yet written */
    off_t flushed;     /* file offset of out's first byte */
    off_t size_offset; /* offset of the SIZE record's data */
    struct queue_rec_check check;
    struct queue_size size;
    struct buf err;
    struct buf scratch;
    size_t chunk;
    int sync_mode;
    int failed;
    int finished;
};

static void (*queue_file_name_hook)(const char *tmp_path, const struct timeval *tv);

void queue_file_set_name_hook(void (*hook)(const char *tmp_path, const struct timeval *tv))
{
    queue_file_name_hook = hook;
}

int queue_file_is_complete(const struct stat *st)
{
    return S_ISREG(st->st_mode) && (st->st_mode & QUEUE_FILE_MODE_BIT) != 0;
}

void queue_file_opts_init(struct queue_file_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->queue = QUEUE_INCOMING;
    opts->uid = SAFE_OPEN_ANY_UID;
    opts->gid = SAFE_OPEN_ANY_GID;
    opts->chunk = QUEUE_FILE_CHUNK_DEFAULT;
}

/* Records the first error; every later call fails with it. */
static int queue_file_fail(struct queue_file *qf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int queue_file_fail(struct queue_file *qf, const char *fmt, ...)
{
    va_list ap;

    if (!qf->failed) {
        buf_reset(&qf->err);
        va_start(ap, fmt);
        buf_vprintf(&qf->err, fmt, ap);
        va_end(ap);
        qf->failed = 1;
    }
    return -1;
}

/* Creates the temporary file in the queue's top directory. */
static int queue_file_create_temp(const struct queue_dir *qd, const char *queue,
                                  const struct queue_file_opts *opts, struct buf *tmp,
                                  struct stat *st, struct buf *err)
{
    static unsigned long counter;
    struct buf why = BUF_INIT;
    int fd = -1, tries;

    for (tries = 0; tries < QUEUE_FILE_NAME_TRIES; tries++) {
        buf_reset(tmp);
        buf_reset(&why);
        /* Not a valid ID (lower case, dots): scanners skip it. */
        buf_printf(tmp, "%s/%s/tmp.%ld.%lu", queue_dir_top(qd), queue, (long)getpid(), counter++);
        fd = safe_open(buf_str(tmp), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                       QUEUE_FILE_MODE_INCOMPLETE, st, opts->uid, opts->gid, &why);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0)
        buf_printf(err, "create queue file %s: %s", buf_str(tmp), buf_str(&why));
    buf_release(&why);
    return fd;
}

/* Renames the temporary file to its queue ID, retrying with a new time if
 * the name is taken (an inode reused within one microsecond). */
static int queue_file_take_name(struct queue_file *qf, const struct queue_dir *qd,
                                const struct buf *tmp, const struct stat *st, struct buf *err)
{
    struct timeval tv, last = {0, 0};
    int tries;

    for (tries = 0; tries < QUEUE_FILE_NAME_TRIES; tries++) {
        do {
            gettimeofday(&tv, NULL);
        } while (tv.tv_sec == last.tv_sec && tv.tv_usec == last.tv_usec);
        last = tv;
        if (queue_file_name_hook)
            queue_file_name_hook(buf_str(tmp), &tv);
        if (queue_id_make(qf->id, sizeof(qf->id), (uint64_t)st->st_ino, &tv,
                          queue_dir_long_ids(qd)) < 0) {
            buf_set(err, "cannot make a queue ID: clock out of range");
            return -1;
        }
        buf_reset(err);
        if (queue_dir_rename_into(qd, buf_str(tmp), qf->queue, qf->id, err) == 0)
            return queue_dir_path(qd, qf->queue, qf->id, &qf->path);
        if (errno != EEXIST)
            return -1;
    }
    buf_reset(err);
    buf_printf(err, "cannot name queue file %s: %d names taken", buf_str(tmp), tries);
    return -1;
}

/* The VERSION record and a SIZE record of placeholders that
 * queue_file_finish() overwrites. */
static int queue_file_start(struct queue_file *qf)
{
    struct buf data = BUF_INIT;
    unsigned char hdr[QUEUE_REC_HDR_MAX];
    int ret;

    if (queue_file_put(qf, QUEUE_REC_VERSION, QUEUE_FILE_VERSION_STR,
                       strlen(QUEUE_FILE_VERSION_STR)) < 0)
        return -1;
    queue_size_format(&data, &qf->size);
    qf->size_offset =
        queue_file_offset(qf) + (off_t)queue_rec_put_header(hdr, QUEUE_REC_SIZE, buf_len(&data));
    ret = queue_file_put(qf, QUEUE_REC_SIZE, buf_str(&data), buf_len(&data));
    buf_release(&data);
    return ret;
}

struct queue_file *queue_file_create(const struct queue_dir *qd, const struct queue_file_opts *opts,
                                     struct buf *err)
{
    struct queue_file_opts defaults;
    struct queue_file *qf;
    const char *queue;
    struct buf tmp = BUF_INIT;
    struct stat st;
    int fd;

    if (opts == NULL) {
        queue_file_opts_init(&defaults);
        opts = &defaults;
    }
    queue = opts->queue ? opts->queue : QUEUE_INCOMING;
    if (!queue_name_valid(queue) || opts->chunk > QUEUE_REC_MAX) {
        buf_printf(err, "create queue file: bad queue name or chunk size");
        errno = EINVAL;
        return NULL;
    }
    if ((fd = queue_file_create_temp(qd, queue, opts, &tmp, &st, err)) < 0) {
        buf_release(&tmp);
        return NULL;
    }
    qf = mem_calloc(1, sizeof(*qf));
    qf->fd = fd;
    qf->queue = mem_strdup(queue);
    qf->chunk = opts->chunk ? opts->chunk : QUEUE_FILE_CHUNK_DEFAULT;
    qf->sync_mode = opts->sync_mode;
    buf_init(&qf->path);
    buf_init(&qf->out);
    buf_init(&qf->err);
    buf_init(&qf->scratch);
    queue_rec_check_init(&qf->check, 1);
    /* The umask may have taken bits from the mode; readers look at it. */
    if (fchmod(fd, QUEUE_FILE_MODE_INCOMPLETE) < 0) {
        buf_printf(err, "chmod queue file %s: %s", buf_str(&tmp), strerror(errno));
        (void)unlink(buf_str(&tmp));
        goto fail;
    }
    if (queue_file_take_name(qf, qd, &tmp, &st, err) < 0) {
        (void)unlink(buf_str(&tmp));
        goto fail;
    }
    buf_release(&tmp);
    if (queue_file_start(qf) < 0) {
        buf_set(err, buf_str(&qf->err));
        queue_file_abort(qf);
        return NULL;
    }
    return qf;
fail:
    buf_release(&tmp);
    queue_file_abort(qf); /* qf->path is still empty: removes nothing */
    return NULL;
}

const char *queue_file_id(const struct queue_file *qf)
{
    return qf->id;
}

const char *queue_file_queue(const struct queue_file *qf)
{
    return qf->queue;
}

const char *queue_file_path(const struct queue_file *qf)
{
    return buf_str(&qf->path);
}

int queue_file_fd(const struct queue_file *qf)
{
    return qf->fd;
}

off_t queue_file_offset(const struct queue_file *qf)
{
    return qf->flushed + (off_t)buf_len(&qf->out);
}

const char *queue_file_error(const struct queue_file *qf)
{
    return buf_str(&qf->err);
}

/* Writes out the buffered records. */
static int queue_file_flush(struct queue_file *qf)
{
    size_t done = 0;
    ssize_t n;

    while (done < buf_len(&qf->out)) {
        n = write(qf->fd, buf_str(&qf->out) + done, buf_len(&qf->out) - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return queue_file_fail(qf, "write queue file %s: %s", buf_str(&qf->path),
                                   n < 0 ? strerror(errno) : "no progress");
        done += (size_t)n;
        qf->flushed += n;
    }
    buf_reset(&qf->out);
    return 0;
}

int queue_file_put(struct queue_file *qf, int type, const void *data, size_t len)
{
    unsigned char hdr[QUEUE_REC_HDR_MAX];
    size_t hdr_len;
    off_t offset;

    if (qf->failed)
        return -1;
    if (qf->finished)
        return queue_file_fail(qf, "%s: record written after the file was finished", qf->id);
    if (len > QUEUE_REC_MAX)
        return queue_file_fail(qf, "%s: record of %zu bytes exceeds the limit of %d", qf->id, len,
                               QUEUE_REC_MAX);
    if (len == 0)
        data = ""; /* callers may pass NULL for nothing */
    offset = queue_file_offset(qf);
    hdr_len = queue_rec_put_header(hdr, type, len);
    buf_reset(&qf->scratch);
    if (queue_rec_check(&qf->check, type, data, len, offset, offset + (off_t)(hdr_len + len),
                        &qf->scratch) < 0)
        return queue_file_fail(qf, "%s: cannot write record: %s", qf->id, buf_str(&qf->scratch));
    if (type == QUEUE_REC_MESG)
        qf->size.content_offset = (long)(offset + (off_t)hdr_len);
    else if (type == QUEUE_REC_XTRA)
        qf->size.content_size = (long)offset - qf->size.content_offset;
    qf->size.rcpt_count = qf->check.rcpt_count;
    qf->size.content_length = qf->check.content_len;
    buf_append(&qf->out, hdr, hdr_len);
    buf_append(&qf->out, data, len);
    if (buf_len(&qf->out) >= QUEUE_FILE_FLUSH_AT)
        return queue_file_flush(qf);
    return 0;
}

int queue_file_putf(struct queue_file *qf, int type, const char *fmt, ...)
{
    struct buf data = BUF_INIT;
    va_list ap;
    int ret;

    va_start(ap, fmt);
    buf_vprintf(&data, fmt, ap);
    va_end(ap);
    ret = queue_file_put(qf, type, buf_str(&data), buf_len(&data));
    buf_release(&data);
    return ret;
}

int queue_file_put_time(struct queue_file *qf, int type, const struct timeval *tv)
{
    struct buf data = BUF_INIT;
    int ret;

    queue_time_format(&data, tv);
    ret = queue_file_put(qf, type, buf_str(&data), buf_len(&data));
    buf_release(&data);
    return ret;
}

int queue_file_put_warn(struct queue_file *qf, long when)
{
    struct buf data = BUF_INIT;
    int ret;

    queue_warn_format(&data, when);
    ret = queue_file_put(qf, QUEUE_REC_WARN, buf_str(&data), buf_len(&data));
    buf_release(&data);
    return ret;
}

int queue_file_put_attr(struct queue_file *qf, const char *name, const char *value)
{
    return queue_file_putf(qf, QUEUE_REC_ATTR, "%s=%s", name, value);
}

int queue_file_put_sender(struct queue_file *qf, const char *sender)
{
    return queue_file_put(qf, QUEUE_REC_SENDER, sender, strlen(sender));
}

int queue_file_put_recipient(struct queue_file *qf, const char *dsn_orcpt, int notify,
                             const char *orcpt, const char *rcpt, off_t *rcpt_offset)
{
    if (dsn_orcpt && queue_file_put_attr(qf, QUEUE_ATTR_DSN_ORCPT, dsn_orcpt) < 0)
        return -1;
    if (notify && queue_file_putf(qf, QUEUE_REC_DSN_NOTIFY, "%d", notify) < 0)
        return -1;
    if (orcpt && queue_file_put(qf, QUEUE_REC_ORCPT, orcpt, strlen(orcpt)) < 0)
        return -1;
    if (rcpt_offset)
        *rcpt_offset = queue_file_offset(qf);
    return queue_file_put(qf, QUEUE_REC_RCPT, rcpt, strlen(rcpt));
}

int queue_file_begin_content(struct queue_file *qf)
{
    return queue_file_put(qf, QUEUE_REC_MESG, "", 0);
}

/* Writes data as CONT records of at most chunk bytes, keeping back the
 * last piece (1..chunk bytes, or all of an empty line) when last is set,
 * which then goes out as a NORM. */
static int queue_file_put_text(struct queue_file *qf, const char *data, size_t len, int last)
{
    size_t piece;

    while (len > qf->chunk || (!last && len > 0)) {
        piece = len < qf->chunk ? len : qf->chunk;
        if (queue_file_put(qf, QUEUE_REC_CONT, data, piece) < 0)
            return -1;
        data += piece;
        len -= piece;
    }
    return last ? queue_file_put(qf, QUEUE_REC_NORM, data, len) : 0;
}

int queue_file_put_line(struct queue_file *qf, const void *data, size_t len)
{
    return queue_file_put_text(qf, data, len, 1);
}

int queue_file_put_line_part(struct queue_file *qf, const void *data, size_t len)
{
    return queue_file_put_text(qf, data, len, 0);
}

int queue_file_end_content(struct queue_file *qf)
{
    if (qf->check.text_open && queue_file_put(qf, QUEUE_REC_NORM, "", 0) < 0)
        return -1;
    return queue_file_put(qf, QUEUE_REC_XTRA, "", 0);
}

void queue_file_set_flags(struct queue_file *qf, long qmgr_flags, long smtputf8)
{
    qf->size.qmgr_flags = qmgr_flags;
    qf->size.smtputf8 = smtputf8;
}

const struct queue_size *queue_file_size(const struct queue_file *qf)
{
    return &qf->size;
}

int queue_file_finish(struct queue_file *qf)
{
    return queue_file_finish_in(qf, NULL, NULL);
}

int queue_file_finish_in(struct queue_file *qf, const struct queue_dir *qd, const char *queue)
{
    ssize_t n;

    if (qf->failed)
        return -1;
    if (qf->check.section < QUEUE_SECTION_CONTENT)
        return queue_file_fail(qf, "%s: cannot finish a queue file without message content",
                               qf->id);
    if (qf->check.section == QUEUE_SECTION_CONTENT && queue_file_end_content(qf) < 0)
        return -1;
    if (queue_file_put(qf, QUEUE_REC_END, "", 0) < 0 || queue_file_flush(qf) < 0)
        return -1;
    queue_size_format(&qf->scratch, queue_file_size(qf));
    n = pwrite(qf->fd, buf_str(&qf->scratch), buf_len(&qf->scratch), qf->size_offset);
    if (n != (ssize_t)buf_len(&qf->scratch))
        return queue_file_fail(qf, "write queue file %s: %s", buf_str(&qf->path),
                               n < 0 ? strerror(errno) : "short write");
    if (fsync(qf->fd) < 0)
        return queue_file_fail(qf, "fsync queue file %s: %s", buf_str(&qf->path), strerror(errno));
    /* Into its final queue while still unfinished: no reader of the first
     * queue (qmgr in incoming/) can ever see this file complete there. */
    if (queue != NULL && strcmp(queue, qf->queue) != 0) {
        buf_reset(&qf->scratch);
        if (queue_dir_move(qd, qf->queue, qf->id, queue, &qf->scratch) < 0)
            return queue_file_fail(qf, "%s", buf_str(&qf->scratch));
        mem_free(qf->queue);
        qf->queue = mem_strdup(queue);
        buf_reset(&qf->path);
        if (queue_dir_path(qd, qf->queue, qf->id, &qf->path) < 0)
            return queue_file_fail(qf, "%s: no path in queue %s", qf->id, queue);
    }
    if (fchmod(qf->fd, QUEUE_FILE_MODE_COMPLETE) < 0)
        return queue_file_fail(qf, "chmod queue file %s: %s", buf_str(&qf->path), strerror(errno));
    /* From here on the file is complete: an error below must not make the
     * caller remove a file that qmgr may already be delivering. */
    qf->finished = 1;
    if (qf->sync_mode && fsync(qf->fd) < 0)
        return queue_file_fail(qf, "fsync queue file %s: %s", buf_str(&qf->path), strerror(errno));
    return 0;
}

void queue_file_abort(struct queue_file *qf)
{
    struct stat st_path, st_fd;

    if (qf == NULL)
        return;
    /* Remove the file only if the name still denotes this file. */
    if (!qf->finished && buf_len(&qf->path) > 0 && fstat(qf->fd, &st_fd) == 0 &&
        lstat(buf_str(&qf->path), &st_path) == 0 && st_fd.st_dev == st_path.st_dev &&
        st_fd.st_ino == st_path.st_ino)
        (void)unlink(buf_str(&qf->path));
    if (qf->fd >= 0)
        (void)close(qf->fd);
    mem_free(qf->queue);
    buf_release(&qf->path);
    buf_release(&qf->out);
    buf_release(&qf->err);
    buf_release(&qf->scratch);
    mem_free(qf);
}

void queue_file_close(struct queue_file *qf)
{
    queue_file_abort(qf);
}

/* ---------------------------------------------------------- in place */

/* Reads the record header at offset: 0, or -1 with errno EINVAL. */
static int queue_file_read_header(int fd, off_t offset, int *type, size_t *len, size_t *hdr_len)
{
    unsigned char hdr[QUEUE_REC_HDR_MAX];
    struct buf why = BUF_INIT;
    ssize_t n;

    n = pread(fd, hdr, sizeof(hdr), offset);
    if (n < 0)
        return -1;
    if (queue_rec_get_header(hdr, (size_t)n, QUEUE_REC_MAX, type, len, hdr_len, &why) !=
        QUEUE_HDR_OK) {
        buf_release(&why);
        errno = EINVAL;
        return -1;
    }
    buf_release(&why);
    return 0;
}

/* Writes len bytes at offset, syncing if asked. */
static int queue_file_rewrite(int fd, off_t offset, const void *data, size_t len, int flags)
{
    ssize_t n = pwrite(fd, data, len, offset);

    if (n != (ssize_t)len) {
        if (n >= 0)
            errno = EIO;
        return -1;
    }
    if ((flags & QUEUE_UPDATE_SYNC) && fdatasync(fd) < 0)
        return -1;
    return 0;
}

int queue_file_mark_done(int fd, off_t offset, int flags)
{
    unsigned char byte;
    ssize_t n;

    n = pread(fd, &byte, 1, offset);
    if (n < 0)
        return -1;
    if (n == 1 && byte == QUEUE_REC_DONE)
        return 0;
    if (n != 1 || byte != QUEUE_REC_RCPT) {
        errno = EINVAL;
        return -1;
    }
    byte = QUEUE_REC_DONE;
    return queue_file_rewrite(fd, offset, &byte, 1, flags);
}

int queue_file_update_flags(int fd, long qmgr_flags, int flags)
{
    char data[QUEUE_SIZE_DATA_LEN];
    struct queue_size size;
    struct buf text = BUF_INIT;
    size_t len, hdr_len;
    off_t offset;
    int type, ret;

    if (queue_file_read_header(fd, 0, &type, &len, &hdr_len) < 0)
        return -1;
    offset = (off_t)(hdr_len + len);
    if (type != QUEUE_REC_VERSION ||
        queue_file_read_header(fd, offset, &type, &len, &hdr_len) < 0 || type != QUEUE_REC_SIZE ||
        len != QUEUE_SIZE_DATA_LEN ||
        pread(fd, data, sizeof(data), offset + (off_t)hdr_len) != (ssize_t)sizeof(data) ||
        queue_size_parse(data, sizeof(data), &size, &text) < 0 || qmgr_flags < 0) {
        buf_release(&text);
        errno = EINVAL;
        return -1;
    }
    size.qmgr_flags = qmgr_flags;
    queue_size_format(&text, &size);
    ret = queue_file_rewrite(fd, offset + (off_t)hdr_len, buf_str(&text), buf_len(&text), flags);
    buf_release(&text);
    return ret;
}

int queue_file_update_warn(int fd, off_t offset, long when, int flags)
{
    struct buf text = BUF_INIT;
    size_t len, hdr_len;
    int type, ret;

    if (queue_file_read_header(fd, offset, &type, &len, &hdr_len) < 0)
        return -1;
    if (type != QUEUE_REC_WARN || len != QUEUE_TIME_WIDTH || when < 0) {
        errno = EINVAL;
        return -1;
    }
    queue_warn_format(&text, when);
    ret = queue_file_rewrite(fd, offset + (off_t)hdr_len, buf_str(&text), buf_len(&text), flags);
    buf_release(&text);
    return ret;
}
