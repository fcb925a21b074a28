/*
 * stream.h - buffered bidirectional streams over a file descriptor.
 *
 * Used by smtpd and the SMTP/LMTP client (line I/O with smtpd_timeout and
 * friends), by every IPC client and server (attribute codec over unix
 * sockets) and by the master's status pipes. The fd is switched to
 * non-blocking mode and every wait goes through poll() with the stream's
 * deadline, so a silent peer can never hang a process. Errors are sticky:
 * after EOF, timeout or an I/O error every read and write fails until
 * stream_clear_error(). Lines are binary-safe (NUL bytes pass through) and
 * never grow past the caller's limit. A write to a peer that has gone away
 * returns an error; it never raises SIGPIPE (see stream_io for layers).
 */
#ifndef POSTERN_UTIL_STREAM_H
#define POSTERN_UTIL_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

struct stream;

enum stream_status {
    STREAM_OK = 0,
    STREAM_EOF,     /* the peer closed (reads only) */
    STREAM_TIMEOUT, /* a deadline expired */
    STREAM_ERR      /* an I/O error; stream_errno() says which */
};

/* How the timeout is applied. DEADLINE_CALL (the default): one public call
 * (a whole stream_read_line(), stream_read() or stream_flush()) may wait at
 * most the timeout in total, so a client trickling one byte at a time
 * cannot hold a line open forever (Postfix's smtpd_per_record_deadline =
 * yes). DEADLINE_WAIT: each single wait for the fd may last the timeout,
 * the traditional per-system-call limit (smtpd_per_record_deadline = no). */
enum stream_deadline { STREAM_DEADLINE_CALL, STREAM_DEADLINE_WAIT };

/* Directions an I/O layer asks the stream to wait for. */
#define STREAM_WANT_READ  1
#define STREAM_WANT_WRITE 2

/*
 * An I/O layer under the stream (plain fd by default; lib/tls plugs in
 * SSL_read/SSL_write here without changing callers). read and write return
 * the bytes moved (> 0), 0 for EOF (read only), or -1 with errno; -1 with
 * errno EAGAIN means "not now" and *want says which readiness to wait for
 * (TLS may need to write while reading). pending, if not NULL, counts
 * bytes the layer has decoded but not yet returned (SSL_pending), so that
 * stream_pending() stays exact. A layer must not raise SIGPIPE either.
 */
struct stream_io {
    ssize_t (*read)(void *ctx, int fd, void *data, size_t len, int *want);
    ssize_t (*write)(void *ctx, int fd, const void *data, size_t len, int *want);
    size_t (*pending)(void *ctx);
};

/* Wraps fd (which must be open; a bad fd is a bug). close_on_free: close fd
 * in stream_free(); otherwise its original O_NONBLOCK setting is restored. */
struct stream *stream_open_fd(int fd, int close_on_free);
/* Discards unflushed output. */
void stream_free(struct stream *stream);
/* Flushes, then frees; returns stream_flush()'s result. */
int stream_close(struct stream *stream);
int stream_fd(const struct stream *stream);

/* ms <= 0: no timeout. */
void stream_set_timeout(struct stream *stream, long ms);
void stream_set_deadline_mode(struct stream *stream, enum stream_deadline mode);

/* Replaces the I/O layer (io NULL: back to the plain fd). Output must have
 * been flushed (a bug otherwise). Buffered, unread input is discarded and
 * its length returned: after STARTTLS, plaintext that a client pipelined
 * behind the command must never be read as if it came over TLS. */
size_t stream_set_io(struct stream *stream, const struct stream_io *io, void *ctx);
/* Waits, within the stream's timeout, until the fd is ready for the
 * STREAM_WANT_* directions in want (for a TLS handshake loop). 0 or -1. */
int stream_wait(struct stream *stream, int want);

/* Reading. stream_getc returns a byte (0-255) or -1. stream_read returns 0
 * once exactly len bytes were read, else -1 (a short read at EOF consumes
 * the bytes and sets STREAM_EOF). */
int stream_getc(struct stream *stream);
int stream_read(struct stream *stream, void *data, size_t len);

/*
 * Replaces line with the next line, including its '\n'. limit (> 0) is the
 * most bytes of content stored, the '\n' not counted: a line of up to limit
 * bytes plus '\n' comes back whole. A longer line comes back in pieces of
 * limit bytes without '\n', with *truncated set to 1 (truncated may be
 * NULL); the rest stays in the stream for the next call, or the caller
 * drops it with stream_skip_line(). At EOF inside a line the partial line
 * is returned (no '\n') and the stream is left in STREAM_EOF. Returns the
 * length stored, or -1 on EOF before any byte, timeout or error.
 */
ssize_t stream_read_line(struct stream *stream, struct buf *line, size_t limit, int *truncated);
/* Discards input up to and including the next '\n' without storing it.
 * Returns the bytes discarded, or -1 (EOF, timeout or error first). */
ssize_t stream_skip_line(struct stream *stream);
/* Bytes received and not yet consumed (SMTP PIPELINING: flush replies
 * only when this is 0). Never waits. */
size_t stream_pending(const struct stream *stream);
/* The input already buffered and not yet consumed: sets *ptr to it (not
 * NUL-terminated, valid until the next read or stream_free) and returns
 * its length, 0 when empty. Never reads, never waits; bytes held by an
 * I/O layer (stream_set_io) are not included. For logging only. */
size_t stream_peek(const struct stream *stream, const char **ptr);

/* Writing is buffered; output goes out when the buffer fills or at
 * stream_flush(). Each returns 0, or -1 if the stream is in error. */
int stream_write(struct stream *stream, const void *data, size_t len);
int stream_puts(struct stream *stream, const char *str);
int stream_printf(struct stream *stream, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int stream_flush(struct stream *stream);

/* Status. After a read timeout a server typically clears the error to send
 * its last "421 ... timeout" reply, then closes. */
enum stream_status stream_error(const struct stream *stream);
int stream_errno(const struct stream *stream); /* errno behind STREAM_ERR, else 0 */
void stream_clear_error(struct stream *stream);
const char *stream_status_str(enum stream_status status);

#endif
