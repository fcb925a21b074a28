/*
 * recipient_log.c - bounce/defer/trace recipient logs: the record codec,
 * the appender (qmgr) and the reader (bounce, showq). See recipient_log.h
 * for the format. The parser refuses anything it does not expect in the
 * required fields and never reads past the line it was given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/recipient_log.h"
#include "util/mem.h"
#include "util/safe_open.h"
#include "util/str.h"

struct recipient_log {
    int fd;
    char *path;
};

struct recipient_log_reader {
    int fd;          /* -1 for memory */
    const char *mem; /* memory input */
    size_t mem_len;
    size_t mem_pos;
    struct buf chunk; /* file input not yet consumed */
    size_t chunk_pos;
    int eof;
    int error; /* a read error was reported */
    long lineno;
};

void recipient_log_entry_init(struct recipient_log_entry *e)
{
    memset(e, 0, sizeof(*e));
}

void recipient_log_entry_free(struct recipient_log_entry *e)
{
    mem_free(e->recipient);
    mem_free(e->orig_rcpt);
    mem_free(e->dsn_orcpt);
    mem_free(e->dsn_status);
    mem_free(e->action);
    mem_free(e->relay);
    mem_free(e->mta);
    mem_free(e->diag);
    mem_free(e->reason);
    recipient_log_entry_init(e);
}

static void recipient_log_encode(struct buf *out, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;

    buf_append_char(out, '\t');
    buf_append_str(out, name);
    buf_append_char(out, '=');
    for (p = (const unsigned char *)(value ? value : ""); *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '%' || *p == '=') {
            buf_append_char(out, '%');
            buf_append_char(out, hex[*p >> 4]);
            buf_append_char(out, hex[*p & 0xf]);
        } else {
            buf_append_char(out, *p);
        }
    }
}

void recipient_log_format(struct buf *out, const struct recipient_log_entry *e)
{
    buf_printf(out, "v=%d", RECIPIENT_LOG_VERSION);
    recipient_log_encode(out, "recipient", e->recipient);
    recipient_log_encode(out, "orig_rcpt", e->orig_rcpt);
    recipient_log_encode(out, "dsn_orcpt", e->dsn_orcpt);
    /* Numbers need no encoding. */
    buf_printf(out, "\tnotify=%d\toffset=%ld\ttime=%ld", e->notify, e->offset, e->time);
    recipient_log_encode(out, "status", e->dsn_status);
    recipient_log_encode(out, "action", e->action);
    recipient_log_encode(out, "relay", e->relay);
    recipient_log_encode(out, "mta", e->mta);
    recipient_log_encode(out, "diag", e->diag);
    recipient_log_encode(out, "reason", e->reason);
    buf_append_char(out, '\n');
}

static int recipient_log_hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Decodes [p, p + len) into a new string; NULL for a bad escape, a NUL
 * byte (a C string cannot carry it) or a raw byte that should have been
 * escaped. */
static char *recipient_log_decode(const char *p, size_t len)
{
    struct buf out = BUF_INIT;
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];

        if (ch == '%') {
            int hi, lo;

            if (i + 2 >= len)
                goto bad;
            hi = recipient_log_hexval((unsigned char)p[i + 1]);
            lo = recipient_log_hexval((unsigned char)p[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                goto bad;
            buf_append_char(&out, hi * 16 + lo);
            i += 2;
        } else if (ch < 0x20 || ch == 0x7f || ch == '=') {
            goto bad;
        } else {
            buf_append_char(&out, ch);
        }
    }
    return buf_steal(&out);
bad:
    buf_release(&out);
    return NULL;
}

/* A decimal number that fits in a long; -1 when it is not one. */
static int recipient_log_number(const char *s, long *out)
{
    if (*s == '\0' || strspn(s, "-0123456789") != strlen(s))
        return -1;
    return str_to_long(s, out);
}

/* An RFC 3463 status: class 2, 4 or 5, then .1-3 digits .1-3 digits. */
static int recipient_log_dsn_ok(const char *s)
{
    size_t n;

    if ((s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
        return 0;
    s += 2;
    n = strspn(s, "0123456789");
    if (n < 1 || n > 3 || s[n] != '.')
        return 0;
    s += n + 1;
    n = strspn(s, "0123456789");
    return n >= 1 && n <= 3 && s[n] == '\0';
}

int recipient_log_parse(const char *line, size_t len, struct recipient_log_entry *e,
                        struct buf *why)
{
    struct recipient_log_entry out;
    const char *p = line;
    const char *end;
    int seen_v = 0;

    recipient_log_entry_init(&out);
    if (len > 0 && line[len - 1] == '\n')
        len--;
    end = line + len;
    while (p <= end) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        const char *fend = tab ? tab : end;
        const char *eq = memchr(p, '=', (size_t)(fend - p));
        size_t nlen;
        char *value;
        char **slot = NULL;
        long num;

        if (eq == NULL || eq == p) {
            buf_set(why, "field without a name=value form");
            goto bad;
        }
        nlen = (size_t)(eq - p);
        if ((value = recipient_log_decode(eq + 1, (size_t)(fend - eq - 1))) == NULL) {
            buf_printf(why, "bad encoding in field \"%.*s\"", (int)(nlen > 32 ? 32 : nlen), p);
            goto bad;
        }
#define FIELD(s) (nlen == sizeof(s) - 1 && memcmp(p, s, nlen) == 0)
        if (!seen_v && !FIELD("v")) {
            mem_free(value);
            buf_set(why, "record does not start with v=");
            goto bad;
        }
        if (FIELD("v")) {
            if (seen_v || recipient_log_number(value, &num) < 0 || num != RECIPIENT_LOG_VERSION) {
                buf_printf(why, "unsupported record version \"%.20s\"", value);
                mem_free(value);
                goto bad;
            }
            seen_v = 1;
            mem_free(value);
        } else if (FIELD("notify") || FIELD("offset") || FIELD("time")) {
            if (recipient_log_number(value, &num) < 0 || num < 0 ||
                (FIELD("notify") && num > 0xff)) {
                buf_printf(why, "bad number in field \"%.*s\"", (int)nlen, p);
                mem_free(value);
                goto bad;
            }
            if (FIELD("notify"))
                out.notify = (int)num;
            else if (FIELD("offset"))
                out.offset = num;
            else
                out.time = num;
            mem_free(value);
        } else {
            if (FIELD("recipient"))
                slot = &out.recipient;
            else if (FIELD("orig_rcpt"))
                slot = &out.orig_rcpt;
            else if (FIELD("dsn_orcpt"))
                slot = &out.dsn_orcpt;
            else if (FIELD("status"))
                slot = &out.dsn_status;
            else if (FIELD("action"))
                slot = &out.action;
            else if (FIELD("relay"))
                slot = &out.relay;
            else if (FIELD("mta"))
                slot = &out.mta;
            else if (FIELD("diag"))
                slot = &out.diag;
            else if (FIELD("reason"))
                slot = &out.reason;
            if (slot == NULL) {
                mem_free(value); /* a later version's field */
            } else if (*slot != NULL) {
                buf_printf(why, "duplicate field \"%.*s\"", (int)nlen, p);
                mem_free(value);
                goto bad;
            } else {
                *slot = value;
            }
        }
#undef FIELD
        if (tab == NULL)
            break;
        p = tab + 1;
    }
    if (out.recipient == NULL || out.dsn_status == NULL || out.action == NULL) {
        buf_set(why, "record lacks recipient, status or action");
        goto bad;
    }
    if (!recipient_log_dsn_ok(out.dsn_status)) {
        buf_set(why, "bad status code");
        goto bad;
    }
    if (out.action[0] == '\0') {
        buf_set(why, "empty action");
        goto bad;
    }
#define FILL(f)                                                                                    \
    if (out.f == NULL)                                                                             \
        out.f = mem_strdup("");
    FILL(orig_rcpt);
    FILL(dsn_orcpt);
    FILL(relay);
    FILL(mta);
    FILL(diag);
    FILL(reason);
#undef FILL
    recipient_log_entry_free(e);
    *e = out;
    return 0;
bad:
    recipient_log_entry_free(&out);
    return -1;
}

/* ---- appending -------------------------------------------------------- */

struct recipient_log *recipient_log_open(const struct queue_dir *qd, const char *queue,
                                         const char *id, struct buf *err)
{
    struct buf path = BUF_INIT;
    struct buf dir = BUF_INIT;
    struct buf why = BUF_INIT;
    struct recipient_log *log;
    struct stat st;
    int fd;

    if (queue_dir_path(qd, queue, id, &path) < 0 || queue_dir_path_dir(qd, queue, id, &dir) < 0) {
        buf_printf(err, "%s: bad log queue %s or ID", id, queue);
        goto fail;
    }
    fd = safe_open(buf_str(&path), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600, &st,
                   SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &why);
    if (fd < 0 && errno == ENOENT) {
        /* The hash subdirectory does not exist yet. */
        if (safe_mkdir_p(buf_str(&dir), 0700, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, 0, &why) < 0) {
            buf_printf(err, "create %s: %s", buf_str(&dir), buf_str(&why));
            goto fail;
        }
        fd = safe_open(buf_str(&path), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600, &st,
                       SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &why);
    }
    if (fd < 0) {
        buf_printf(err, "open %s: %s", buf_str(&path), buf_str(&why));
        goto fail;
    }
    /* Close off a record torn by a crash, so that the next one starts on
     * its own line (the reader then skips the torn one). */
    if (st.st_size > 0) {
        char last;
        int rfd = open(buf_str(&path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

        if (rfd >= 0) {
            if (pread(rfd, &last, 1, st.st_size - 1) == 1 && last != '\n' &&
                write(fd, "\n", 1) != 1) {
                buf_printf(err, "write %s: %s", buf_str(&path), strerror(errno));
                close(rfd);
                close(fd);
                goto fail;
            }
            close(rfd);
        }
    }
    log = mem_alloc(sizeof(*log));
    log->fd = fd;
    log->path = buf_steal(&path);
    buf_release(&dir);
    buf_release(&why);
    return log;
fail:
    buf_release(&path);
    buf_release(&dir);
    buf_release(&why);
    return NULL;
}

int recipient_log_append(struct recipient_log *log, const struct recipient_log_entry *e,
                         struct buf *err)
{
    struct buf line = BUF_INIT;
    ssize_t n;
    int ret = 0;

    recipient_log_format(&line, e);
    /* One write(): with O_APPEND the record lands whole or (on a crash or
     * a full disk) torn at the end, never interleaved with another. */
    n = write(log->fd, buf_str(&line), buf_len(&line));
    if (n < 0 || (size_t)n != buf_len(&line)) {
        buf_printf(err, "write %s: %s", log->path, n < 0 ? strerror(errno) : "short write");
        ret = -1;
    }
    buf_release(&line);
    return ret;
}

int recipient_log_close(struct recipient_log *log, int sync, struct buf *err)
{
    int ret = 0;

    if (sync && fdatasync(log->fd) < 0) {
        buf_printf(err, "fdatasync %s: %s", log->path, strerror(errno));
        ret = -1;
    }
    if (close(log->fd) < 0 && ret == 0) {
        buf_printf(err, "close %s: %s", log->path, strerror(errno));
        ret = -1;
    }
    mem_free(log->path);
    mem_free(log);
    return ret;
}

int recipient_log_remove(const struct queue_dir *qd, const char *queue, const char *id)
{
    struct buf path = BUF_INIT;
    int ret = 0;

    if (queue_dir_path(qd, queue, id, &path) < 0)
        ret = -1;
    else if (unlink(buf_str(&path)) < 0 && errno != ENOENT)
        ret = -1;
    buf_release(&path);
    return ret;
}

int recipient_log_exists(const struct queue_dir *qd, const char *queue, const char *id)
{
    struct buf path = BUF_INIT;
    struct stat st;
    int ret;

    ret = queue_dir_path(qd, queue, id, &path) == 0 && lstat(buf_str(&path), &st) == 0 &&
          S_ISREG(st.st_mode);
    buf_release(&path);
    return ret;
}

/* ---- reading ---------------------------------------------------------- */

struct recipient_log_reader *recipient_log_reader_open(const struct queue_dir *qd,
                                                       const char *queue, const char *id,
                                                       struct buf *err)
{
    struct buf path = BUF_INIT;
    struct buf why = BUF_INIT;
    struct recipient_log_reader *r;
    int fd;

    if (queue_dir_path(qd, queue, id, &path) < 0) {
        buf_printf(err, "%s: bad log queue %s or ID", id, queue);
        errno = EINVAL;
        buf_release(&path);
        return NULL;
    }
    fd = safe_open(buf_str(&path), O_RDONLY | O_CLOEXEC, 0, NULL, SAFE_OPEN_ANY_UID,
                   SAFE_OPEN_ANY_GID, &why);
    if (fd < 0) {
        int saved = errno;

        buf_printf(err, "open %s: %s", buf_str(&path), buf_str(&why));
        buf_release(&path);
        buf_release(&why);
        errno = saved;
        return NULL;
    }
    buf_release(&path);
    buf_release(&why);
    r = mem_calloc(1, sizeof(*r));
    r->fd = fd;
    buf_init(&r->chunk);
    return r;
}

struct recipient_log_reader *recipient_log_reader_open_mem(const void *data, size_t len)
{
    struct recipient_log_reader *r = mem_calloc(1, sizeof(*r));

    r->fd = -1;
    r->mem = data;
    r->mem_len = len;
    buf_init(&r->chunk);
    return r;
}

void recipient_log_reader_close(struct recipient_log_reader *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    buf_release(&r->chunk);
    mem_free(r);
}

/* Makes at least one more byte available in chunk; 1, 0 at the end, -1 error. */
static int recipient_log_fill(struct recipient_log_reader *r)
{
    char data[8192];
    ssize_t n;

    if (r->eof)
        return 0;
    if (r->chunk_pos > 0) {
        size_t left = buf_len(&r->chunk) - r->chunk_pos;

        memmove(r->chunk.data, r->chunk.data + r->chunk_pos, left);
        buf_truncate(&r->chunk, left);
        r->chunk_pos = 0;
    }
    do {
        n = read(r->fd, data, sizeof(data));
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if (n == 0) {
        r->eof = 1;
        return 0;
    }
    buf_append(&r->chunk, data, (size_t)n);
    return 1;
}

/* The next raw line in *line and *len (LF excluded), *has_lf; 1, 0 end, -1 error. */
static int recipient_log_next_line(struct recipient_log_reader *r, const char **line, size_t *len,
                                   int *has_lf)
{
    if (r->fd < 0) {
        const char *start = r->mem + r->mem_pos;
        size_t left = r->mem_len - r->mem_pos;
        const char *lf;

        if (left == 0)
            return 0;
        lf = memchr(start, '\n', left);
        *line = start;
        *len = lf ? (size_t)(lf - start) : left;
        *has_lf = lf != NULL;
        r->mem_pos += *len + (lf != NULL);
        return 1;
    }
    for (;;) {
        const char *start = buf_str(&r->chunk) + r->chunk_pos;
        size_t left = buf_len(&r->chunk) - r->chunk_pos;
        const char *lf = memchr(start, '\n', left);
        int st;

        if (lf != NULL || left > RECIPIENT_LOG_LINE_MAX) {
            *line = start;
            *len = lf ? (size_t)(lf - start) : left;
            *has_lf = lf != NULL;
            r->chunk_pos += *len + (lf != NULL);
            return 1;
        }
        if ((st = recipient_log_fill(r)) < 0)
            return -1;
        if (st == 0) {
            start = buf_str(&r->chunk) + r->chunk_pos;
            left = buf_len(&r->chunk) - r->chunk_pos;
            if (left == 0)
                return 0;
            *line = start;
            *len = left;
            *has_lf = 0;
            r->chunk_pos += left;
            return 1;
        }
    }
}

int recipient_log_reader_next(struct recipient_log_reader *r, struct recipient_log_entry *e,
                              struct buf *why)
{
    const char *line;
    size_t len;
    int has_lf;
    int st;

    buf_reset(why);
    if (r->error)
        return 0;
    st = recipient_log_next_line(r, &line, &len, &has_lf);
    if (st <= 0) {
        if (st < 0) {
            r->error = 1;
            buf_printf(why, "line %ld: read error: %s", r->lineno + 1, strerror(errno));
        }
        return st;
    }
    r->lineno++;
    if (len > RECIPIENT_LOG_LINE_MAX) {
        /* Skip the rest of the overlong line. */
        while (!has_lf && recipient_log_next_line(r, &line, &len, &has_lf) > 0)
            ;
        buf_printf(why, "line %ld: longer than %d bytes", r->lineno, RECIPIENT_LOG_LINE_MAX);
        return -1;
    }
    if (!has_lf) {
        buf_printf(why, "line %ld: torn record (no end of line)", r->lineno);
        return -1;
    }
    if (recipient_log_parse(line, len, e, why) < 0) {
        struct buf reason = BUF_INIT;

        buf_set(&reason, buf_str(why));
        buf_reset(why);
        buf_printf(why, "line %ld: %s", r->lineno, buf_str(&reason));
        buf_release(&reason);
        return -1;
    }
    return 1;
}
