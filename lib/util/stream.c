/*
 * stream.c - buffered streams with deadlines (see stream.h).
 *
 * Invariants: rbuf[rpos..rend) is unread input; wbuf holds output not yet
 * written; every wait is a poll() bounded by the current deadline; the
 * status only moves away from STREAM_OK inside stream_fail(). Input is
 * read in blocks of at most STREAM_RBUF_SIZE, so a line never costs more
 * memory than the caller's limit plus one block. This file must never
 * block outside poll() and never let a write raise SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "mem.h"
#include "msg.h"
#include "stream.h"

#define STREAM_RBUF_SIZE 8192
#define STREAM_WBUF_SIZE 8192 /* flush when this much output is buffered */

struct stream {
    int fd;
    int close_on_free;
    int orig_flags; /* fcntl(F_GETFL) at open, restored if we keep the fd */
    int is_socket;
    int is_fifo;
    long timeout_ms;
    enum stream_deadline mode;
    int64_t deadline; /* of the current call, DEADLINE_CALL mode only */
    enum stream_status status;
    int err;
    const struct stream_io *io;
    void *io_ctx;
    char *rbuf;
    size_t rpos;
    size_t rend;
    struct buf wbuf;
};

/* A write on a pipe whose reader is gone raises SIGPIPE, and unlike send()
 * write() has no flag against it: block the signal around the write and
 * consume the one it raised, unless one was already pending before. */
static ssize_t stream_write_fifo(int fd, const void *data, size_t len)
{
    sigset_t pipe_set;
    sigset_t old;
    sigset_t pending;
    struct timespec zero = {0, 0};
    int was_pending;
    ssize_t n;
    int saved;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old);
    n = write(fd, data, len);
    saved = errno;
    if (n < 0 && saved == EPIPE && !was_pending) {
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return n;
}

static ssize_t stream_sys_read(void *ctx, int fd, void *data, size_t len, int *want)
{
    ssize_t n = read(fd, data, len);

    (void)ctx;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        errno = EAGAIN;
        *want = STREAM_WANT_READ;
    }
    return n;
}

static ssize_t stream_sys_write(void *ctx, int fd, const void *data, size_t len, int *want)
{
    const struct stream *stream = ctx;
    ssize_t n;

    if (stream->is_socket)
        n = send(fd, data, len, MSG_NOSIGNAL);
    else if (stream->is_fifo)
        n = stream_write_fifo(fd, data, len);
    else
        n = write(fd, data, len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        errno = EAGAIN;
        *want = STREAM_WANT_WRITE;
    }
    return n;
}

static const struct stream_io stream_sys_io = {stream_sys_read, stream_sys_write, NULL};

struct stream *stream_open_fd(int fd, int close_on_free)
{
    struct stream *stream;
    struct stat st;
    int flags;

    if ((flags = fcntl(fd, F_GETFL)) < 0 || fstat(fd, &st) < 0)
        msg_panic("stream_open_fd: fd %d: %m", fd);
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        msg_fatal("stream_open_fd: fd %d: set O_NONBLOCK: %m", fd);
    stream = mem_calloc(1, sizeof(*stream));
    stream->fd = fd;
    stream->close_on_free = close_on_free;
    stream->orig_flags = flags;
    stream->is_socket = S_ISSOCK(st.st_mode);
    stream->is_fifo = S_ISFIFO(st.st_mode);
    stream->mode = STREAM_DEADLINE_CALL;
    stream->status = STREAM_OK;
    stream->io = &stream_sys_io;
    stream->io_ctx = stream;
    stream->rbuf = mem_alloc(STREAM_RBUF_SIZE);
    buf_init(&stream->wbuf);
    return stream;
}

void stream_free(struct stream *stream)
{
    if (stream == NULL)
        return;
    if (stream->close_on_free)
        (void)close(stream->fd);
    else if (!(stream->orig_flags & O_NONBLOCK))
        (void)fcntl(stream->fd, F_SETFL, stream->orig_flags);
    mem_free(stream->rbuf);
    buf_release(&stream->wbuf);
    mem_free(stream);
}

int stream_close(struct stream *stream)
{
    int ret = stream_flush(stream);

    stream_free(stream);
    return ret;
}

int stream_fd(const struct stream *stream)
{
    return stream->fd;
}

void stream_set_timeout(struct stream *stream, long ms)
{
    stream->timeout_ms = ms > 0 ? ms : 0;
}

void stream_set_deadline_mode(struct stream *stream, enum stream_deadline mode)
{
    stream->mode = mode;
}

size_t stream_set_io(struct stream *stream, const struct stream_io *io, void *ctx)
{
    size_t dropped = stream->rend - stream->rpos;

    if (buf_len(&stream->wbuf) != 0)
        msg_panic("stream_set_io: fd %d: %zu bytes of output not flushed", stream->fd,
                  buf_len(&stream->wbuf));
    stream->rpos = stream->rend = 0;
    stream->io = io ? io : &stream_sys_io;
    stream->io_ctx = io ? ctx : stream;
    return dropped;
}

enum stream_status stream_error(const struct stream *stream)
{
    return stream->status;
}

int stream_errno(const struct stream *stream)
{
    return stream->status == STREAM_ERR ? stream->err : 0;
}

void stream_clear_error(struct stream *stream)
{
    stream->status = STREAM_OK;
    stream->err = 0;
}

const char *stream_status_str(enum stream_status status)
{
    switch (status) {
    case STREAM_OK:
        return "ok";
    case STREAM_EOF:
        return "end of file";
    case STREAM_TIMEOUT:
        return "timeout";
    case STREAM_ERR:
        return "I/O error";
    }
    return "unknown";
}

static void stream_fail(struct stream *stream, enum stream_status status, int err)
{
    stream->status = status;
    stream->err = err;
}

/* Starts the deadline of one public call. */
static void stream_begin(struct stream *stream)
{
    if (stream->timeout_ms > 0 && stream->mode == STREAM_DEADLINE_CALL)
        stream->deadline = event_clock_ms() + stream->timeout_ms;
}

/* Waits for readiness within the deadline; 0, or -1 with the status set. */
static int stream_poll(struct stream *stream, int want)
{
    struct pollfd pfd;
    int64_t left;
    int ret;

    for (;;) {
        if (stream->timeout_ms <= 0)
            left = -1;
        else if (stream->mode == STREAM_DEADLINE_WAIT)
            left = stream->timeout_ms;
        else if ((left = stream->deadline - event_clock_ms()) < 0)
            left = 0;
        pfd.fd = stream->fd;
        pfd.events = (short)(((want & STREAM_WANT_READ) ? POLLIN : 0) |
                             ((want & STREAM_WANT_WRITE) ? POLLOUT : 0));
        pfd.revents = 0;
        ret = poll(&pfd, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
        if (ret > 0) {
            if (pfd.revents & POLLNVAL) {
                stream_fail(stream, STREAM_ERR, EBADF);
                return -1;
            }
            return 0; /* POLLHUP/POLLERR: the next read/write reports it */
        }
        if (ret == 0) {
            stream_fail(stream, STREAM_TIMEOUT, ETIMEDOUT);
            return -1;
        }
        if (errno != EINTR) {
            stream_fail(stream, STREAM_ERR, errno);
            return -1;
        }
        /* EINTR in WAIT mode restarts the full wait; acceptable, as signals
         * that matter to a daemon end it anyway. */
    }
}

int stream_wait(struct stream *stream, int want)
{
    if (stream->status != STREAM_OK)
        return -1;
    stream_begin(stream);
    return stream_poll(stream, want);
}

/* Reads one block into rbuf. Returns the bytes added, or -1 with the status
 * set (STREAM_EOF included). Only called when rbuf is empty. */
static ssize_t stream_fill(struct stream *stream)
{
    int want;
    ssize_t n;

    stream->rpos = stream->rend = 0;
    for (;;) {
        want = STREAM_WANT_READ;
        n = stream->io->read(stream->io_ctx, stream->fd, stream->rbuf, STREAM_RBUF_SIZE, &want);
        if (n > 0) {
            stream->rend = (size_t)n;
            return n;
        }
        if (n == 0) {
            stream_fail(stream, STREAM_EOF, 0);
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            stream_fail(stream, STREAM_ERR, errno);
            return -1;
        }
        if (stream_poll(stream, want) < 0)
            return -1;
    }
}

int stream_getc(struct stream *stream)
{
    if (stream->status != STREAM_OK)
        return -1;
    stream_begin(stream);
    if (stream->rpos == stream->rend && stream_fill(stream) < 0)
        return -1;
    return (unsigned char)stream->rbuf[stream->rpos++];
}

int stream_read(struct stream *stream, void *data, size_t len)
{
    char *out = data;
    size_t take;

    if (stream->status != STREAM_OK)
        return -1;
    stream_begin(stream);
    while (len > 0) {
        if (stream->rpos == stream->rend && stream_fill(stream) < 0)
            return -1;
        take = stream->rend - stream->rpos;
        if (take > len)
            take = len;
        memcpy(out, stream->rbuf + stream->rpos, take);
        stream->rpos += take;
        out += take;
        len -= take;
    }
    return 0;
}

ssize_t stream_read_line(struct stream *stream, struct buf *line, size_t limit, int *truncated)
{
    const char *start;
    const char *nl;
    size_t take;

    if (limit == 0 || limit > (size_t)SSIZE_MAX - 1)
        msg_panic("stream_read_line: bad limit %zu", limit);
    buf_reset(line);
    if (truncated)
        *truncated = 0;
    if (stream->status != STREAM_OK)
        return -1;
    stream_begin(stream);
    for (;;) {
        if (stream->rpos == stream->rend && stream_fill(stream) < 0)
            return (stream->status == STREAM_EOF && buf_len(line) > 0) ? (ssize_t)buf_len(line)
                                                                       : -1;
        start = stream->rbuf + stream->rpos;
        if (buf_len(line) == limit) {
            /* Full: only a '\n' right here keeps the line whole. */
            if (*start == '\n') {
                buf_append_char(line, '\n');
                stream->rpos++;
            } else if (truncated) {
                *truncated = 1;
            }
            return (ssize_t)buf_len(line);
        }
        take = stream->rend - stream->rpos;
        if (take > limit - buf_len(line))
            take = limit - buf_len(line);
        if ((nl = memchr(start, '\n', take)) != NULL)
            take = (size_t)(nl - start) + 1;
        buf_append(line, start, take);
        stream->rpos += take;
        if (nl != NULL)
            return (ssize_t)buf_len(line);
    }
}

ssize_t stream_skip_line(struct stream *stream)
{
    const char *start;
    const char *nl;
    size_t take;
    size_t skipped = 0;

    if (stream->status != STREAM_OK)
        return -1;
    stream_begin(stream);
    for (;;) {
        if (stream->rpos == stream->rend && stream_fill(stream) < 0)
            return -1;
        start = stream->rbuf + stream->rpos;
        take = stream->rend - stream->rpos;
        if ((nl = memchr(start, '\n', take)) != NULL)
            take = (size_t)(nl - start) + 1;
        stream->rpos += take;
        skipped += take;
        if (nl != NULL)
            return skipped > (size_t)SSIZE_MAX ? SSIZE_MAX : (ssize_t)skipped;
    }
}

size_t stream_pending(const struct stream *stream)
{
    size_t n = stream->rend - stream->rpos;

    if (stream->io->pending)
        n += stream->io->pending(stream->io_ctx);
    return n;
}

size_t stream_peek(const struct stream *stream, const char **ptr)
{
    *ptr = stream->rbuf + stream->rpos;
    return stream->rend - stream->rpos;
}

/* Writes all of data within the current deadline; 0, or -1 with status. */
static int stream_write_all(struct stream *stream, const char *data, size_t len, size_t *written)
{
    int want;
    ssize_t n;

    *written = 0;
    while (*written < len) {
        want = STREAM_WANT_WRITE;
        n = stream->io->write(stream->io_ctx, stream->fd, data + *written, len - *written, &want);
        if (n > 0) {
            *written += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || errno != EAGAIN) {
            stream_fail(stream, STREAM_ERR, n == 0 ? EIO : errno);
            return -1;
        }
        if (stream_poll(stream, want) < 0)
            return -1;
    }
    return 0;
}

/* Flushes wbuf within the deadline already begun; keeps what was not
 * written, so that a retry after stream_clear_error() resumes. */
static int stream_flush_begun(struct stream *stream)
{
    size_t written;
    int ret;

    if (buf_len(&stream->wbuf) == 0)
        return 0;
    ret = stream_write_all(stream, buf_str(&stream->wbuf), buf_len(&stream->wbuf), &written);
    if (written == buf_len(&stream->wbuf)) {
        buf_reset(&stream->wbuf);
    } else if (written > 0) {
        memmove(stream->wbuf.data, stream->wbuf.data + written, buf_len(&stream->wbuf) - written);
        buf_truncate(&stream->wbuf, buf_len(&stream->wbuf) - written);
    }
    return ret;
}

int stream_flush(struct stream *stream)
{
    if (stream->status != STREAM_OK)
        return -1;
    stream_begin(stream);
    return stream_flush_begun(stream);
}

int stream_write(struct stream *stream, const void *data, size_t len)
{
    size_t written;

    if (stream->status != STREAM_OK)
        return -1;
    if (buf_len(&stream->wbuf) + len < STREAM_WBUF_SIZE) {
        buf_append(&stream->wbuf, data, len);
        return 0;
    }
    /* Large output goes straight from the caller's memory once the
     * buffered part is out, rather than being copied first. */
    stream_begin(stream);
    if (stream_flush_begun(stream) < 0)
        return -1;
    if (len < STREAM_WBUF_SIZE) {
        buf_append(&stream->wbuf, data, len);
        return 0;
    }
    if (stream_write_all(stream, data, len, &written) == 0)
        return 0;
    /* Keep the rest, as stream_flush_begun() does, so a retry resumes. */
    buf_append(&stream->wbuf, (const char *)data + written, len - written);
    return -1;
}

int stream_puts(struct stream *stream, const char *str)
{
    return stream_write(stream, str, strlen(str));
}

int stream_printf(struct stream *stream, const char *fmt, ...)
{
    va_list ap;

    if (stream->status != STREAM_OK)
        return -1;
    va_start(ap, fmt);
    buf_vprintf(&stream->wbuf, fmt, ap);
    va_end(ap);
    if (buf_len(&stream->wbuf) < STREAM_WBUF_SIZE)
        return 0;
    stream_begin(stream);
    return stream_flush_begun(stream);
}
