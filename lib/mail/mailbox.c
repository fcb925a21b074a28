/*
 * mailbox.c - Maildir and mbox writing shared by local(8) and virtual(8)
 * (see mailbox.h). Never changes ids and never follows a symbolic link to
 * a mailbox (safe_open); a failure after the first byte was appended to an
 * mbox cuts the file back to its old size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "mail/deliver_proto.h"
#include "mail/mailbox.h"
#include "util/mem.h"
#include "util/safe_open.h"
#include "util/str.h"

#define MAILBOX_WRITE_CHUNK 65536

/* ---- content sources ---------------------------------------------------- */

static int mailbox_queue_rewind(void *ctx, struct buf *err)
{
    struct mailbox_queue_source *src = ctx;

    (void)err;
    queue_reader_restore(src->reader, &src->start);
    return 0;
}

static int mailbox_queue_next(void *ctx, const char **data, size_t *len, int *eol, struct buf *err)
{
    struct mailbox_queue_source *src = ctx;
    struct queue_record rec;
    int n;

    n = queue_reader_next(src->reader, &rec);
    if (n < 0) {
        buf_set(err, queue_reader_error(src->reader));
        return -1;
    }
    if (n == 0 || rec.type == QUEUE_REC_XTRA)
        return 0;
    if (rec.type != QUEUE_REC_NORM && rec.type != QUEUE_REC_CONT) {
        buf_printf(err, "unexpected record type %d in the message content", rec.type);
        return -1;
    }
    *data = rec.data;
    *len = rec.len;
    *eol = rec.type == QUEUE_REC_NORM;
    return 1;
}

int mailbox_content_queue(struct mailbox_content *c, struct mailbox_queue_source *src,
                          struct queue_reader *r, struct buf *err)
{
    if (queue_reader_seek_content(r) < 0) {
        buf_set(err, queue_reader_error(r));
        return -1;
    }
    src->reader = r;
    queue_reader_save(r, &src->start);
    c->rewind = mailbox_queue_rewind;
    c->next = mailbox_queue_next;
    c->ctx = src;
    return 0;
}

static int mailbox_mem_rewind(void *ctx, struct buf *err)
{
    struct mailbox_mem_source *src = ctx;

    (void)err;
    src->pos = 0;
    return 0;
}

static int mailbox_mem_next(void *ctx, const char **data, size_t *len, int *eol, struct buf *err)
{
    struct mailbox_mem_source *src = ctx;
    const char *nl;

    (void)err;
    if (src->pos >= src->len)
        return 0;
    *data = src->data + src->pos;
    nl = memchr(*data, '\n', src->len - src->pos);
    *len = nl ? (size_t)(nl - *data) : src->len - src->pos;
    src->pos += *len + (nl != NULL);
    *eol = 1;
    return 1;
}

void mailbox_content_mem(struct mailbox_content *c, struct mailbox_mem_source *src,
                         const char *data, size_t len)
{
    src->data = data;
    src->len = len;
    src->pos = 0;
    c->rewind = mailbox_mem_rewind;
    c->next = mailbox_mem_next;
    c->ctx = src;
}

/* ---- lock method list ------------------------------------------------------ */

int mailbox_lock_parse(const char *spec, int *methods, struct buf *err)
{
    char *copy = mem_strdup(spec), *cursor = copy, *name;
    int ret = 0;

    *methods = 0;
    while ((name = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        if (strcasecmp(name, "fcntl") == 0) {
            *methods |= MAILBOX_LOCK_FCNTL;
        } else if (strcasecmp(name, "flock") == 0) {
            *methods |= MAILBOX_LOCK_FLOCK;
        } else if (strcasecmp(name, "dotlock") == 0) {
            *methods |= MAILBOX_LOCK_DOTLOCK;
        } else {
            buf_printf(err, "unknown mailbox lock method: %s", name);
            ret = -1;
            break;
        }
    }
    mem_free(copy);
    return ret;
}

/* ---- writing ------------------------------------------------------------------ */

struct mailbox_out {
    int fd;
    struct buf pending;
    off_t written;
    off_t budget;
};

static int mailbox_out_flush(struct mailbox_out *out)
{
    const char *p = buf_str(&out->pending);
    size_t left = buf_len(&out->pending);
    ssize_t n;

    while (left > 0) {
        n = write(out->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    buf_reset(&out->pending);
    return 0;
}

static int mailbox_out_put(struct mailbox_out *out, const char *data, size_t len)
{
    if (out->budget >= 0 && (off_t)len > out->budget - out->written) {
        errno = EFBIG;
        return -1;
    }
    out->written += (off_t)len;
    buf_append(&out->pending, data, len);
    if (buf_len(&out->pending) >= MAILBOX_WRITE_CHUNK)
        return mailbox_out_flush(out);
    return 0;
}

off_t mailbox_write(int fd, const struct mailbox_content *c, const struct mailbox_opts *o,
                    int flags, off_t budget, struct buf *why)
{
    struct mailbox_out out;
    struct buf line = BUF_INIT;
    const char *data;
    size_t len;
    int eol, at_line_start = 1, n, saved;
    off_t ret = -1;

    out.fd = fd;
    out.written = 0;
    out.budget = budget;
    buf_init(&out.pending);
    buf_reset(why);
    if (c->rewind(c->ctx, why) < 0) {
        errno = EIO;
        goto done;
    }
    if (flags & MAILBOX_FLAG_FROM_LINE) {
        time_t now = o->now ? o->now : time(NULL);
        struct tm tm;
        char date[64];

        /* asctime() format, always in English: "Sun Nov 22 04:46:15 2026". */
        static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

        localtime_r(&now, &tm);
        n = snprintf(date, sizeof(date), "%s %s %2d %02d:%02d:%02d %d", days[tm.tm_wday % 7],
                     months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     tm.tm_year + 1900);
        if (n < 0 || (size_t)n >= sizeof(date)) {
            errno = EINVAL;
            buf_set(why, "cannot format the From_ line date");
            goto done;
        }
        buf_printf(&line, "From %s  %s\n", o->sender && o->sender[0] ? o->sender : "MAILER-DAEMON",
                   date);
        if (mailbox_out_put(&out, buf_str(&line), buf_len(&line)) < 0)
            goto write_error;
    }
    if (o->prepend && mailbox_out_put(&out, o->prepend, strlen(o->prepend)) < 0)
        goto write_error;
    while ((n = c->next(c->ctx, &data, &len, &eol, why)) > 0) {
        if ((flags & MAILBOX_FLAG_QUOTE) && at_line_start && len >= 5 &&
            memcmp(data, "From ", 5) == 0 && mailbox_out_put(&out, ">", 1) < 0)
            goto write_error;
        if (mailbox_out_put(&out, data, len) < 0 || (eol && mailbox_out_put(&out, "\n", 1) < 0))
            goto write_error;
        at_line_start = eol;
    }
    if (n < 0) {
        errno = EIO;
        goto done;
    }
    /* A last line that was cut (CONT without NORM) still ends in LF. */
    if (!at_line_start && mailbox_out_put(&out, "\n", 1) < 0)
        goto write_error;
    if ((flags & MAILBOX_FLAG_BLANK) && mailbox_out_put(&out, "\n", 1) < 0)
        goto write_error;
    if (mailbox_out_flush(&out) < 0)
        goto write_error;
    ret = out.written;
    goto done;

write_error:
    saved = errno;
    buf_printf(why, "error writing message: %s", strerror(saved));
    errno = saved;
done:
    saved = errno;
    buf_release(&out.pending);
    buf_release(&line);
    errno = saved;
    return ret;
}

/* A full mailbox is the recipient's problem (bounce), anything else ours. */
static int mailbox_fail(int err, struct buf *dsn, const char *temp_dsn)
{
    if (err == EFBIG || err == EDQUOT) {
        buf_set(dsn, "5.2.2");
        return DELIVER_STATUS_BOUNCE;
    }
    buf_set(dsn, temp_dsn);
    return DELIVER_STATUS_DEFER;
}

/* ---- Maildir ------------------------------------------------------------------ */

void maildir_unique_name(struct buf *out, long sec, long usec, unsigned long dev, unsigned long ino,
                         const char *host)
{
    const char *p;

    buf_printf(out, "%ld.V%lxI%lxM%ld.", sec, dev, ino, usec);
    for (p = host; *p; p++) {
        if (*p == '/')
            buf_append_str(out, "\\057");
        else if (*p == ':')
            buf_append_str(out, "\\072");
        else
            buf_append_char(out, *p);
    }
}

static int maildir_mkdir(const char *path, const struct mailbox_opts *o, struct buf *why)
{
    struct stat st;

    if (mkdir(path, 0700) == 0) {
        if (o->uid != SAFE_OPEN_ANY_UID || o->gid != SAFE_OPEN_ANY_GID) {
            if (chown(path, o->uid, o->gid) < 0) {
                buf_printf(why, "chown %s: %s", path, strerror(errno));
                return -1;
            }
        }
        return 0;
    }
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    if (errno == EEXIST)
        errno = ENOTDIR;
    buf_printf(why, "create maildir file %s: %s", path, strerror(errno));
    return -1;
}

int maildir_deliver(const char *dir, const struct mailbox_content *c, const struct mailbox_opts *o,
                    struct buf *dsn, struct buf *why)
{
    static unsigned long counter;
    struct buf base = BUF_INIT, tmp = BUF_INIT, fin = BUF_INIT, sub = BUF_INIT;
    struct buf host = BUF_INIT, scratch = BUF_INIT;
    struct utsname uts;
    struct timeval tv;
    struct stat st;
    int fd = -1, status = DELIVER_STATUS_OK, err;
    size_t len;
    static const char *const subdirs[] = {"tmp", "new", "cur"};
    size_t i;

    buf_reset(dsn);
    buf_reset(why);
    buf_set(&base, dir);
    len = buf_len(&base);
    while (len > 1 && buf_str(&base)[len - 1] == '/')
        len--;
    buf_truncate(&base, len);
    if (o->hostname) {
        buf_set(&host, o->hostname);
    } else if (uname(&uts) == 0) {
        buf_set(&host, uts.nodename);
    } else {
        buf_set(&host, "localhost");
    }
    /* The parents of the Maildir may be missing (virtual_mailbox_base/domain/). */
    if (safe_mkdir_p(buf_str(&base), 0700, o->uid, o->gid, 0, &scratch) < 0) {
        err = errno;
        buf_printf(why, "create maildir file %s/tmp: %s", buf_str(&base), strerror(err));
        status = mailbox_fail(err, dsn, "4.2.0");
        goto done;
    }
    for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        buf_reset(&sub);
        buf_printf(&sub, "%s/%s", buf_str(&base), subdirs[i]);
        if (maildir_mkdir(buf_str(&sub), o, why) < 0) {
            status = mailbox_fail(errno, dsn, "4.2.0");
            goto done;
        }
    }
    gettimeofday(&tv, NULL);
    if (o->now)
        tv.tv_sec = o->now;
    buf_printf(&tmp, "%s/tmp/%ld.P%ldR%lu.%s", buf_str(&base), (long)tv.tv_sec, (long)getpid(),
               counter++, buf_str(&host));
    fd = safe_open(buf_str(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &st, o->uid,
                   o->gid, &scratch);
    if (fd < 0) {
        err = errno;
        buf_printf(why, "create maildir file %s: %s", buf_str(&tmp), strerror(err));
        status = mailbox_fail(err, dsn, "4.2.0");
        goto done;
    }
    if (mailbox_write(fd, c, o, 0, o->size_limit > 0 ? o->size_limit : -1, &scratch) < 0 ||
        fsync(fd) < 0) {
        err = errno;
        buf_printf(why, "create maildir file %s: %s", buf_str(&tmp),
                   buf_len(&scratch) ? buf_str(&scratch) : strerror(err));
        status = mailbox_fail(err, dsn, "4.3.0");
        goto unlink_tmp;
    }
    if (close(fd) < 0) {
        fd = -1;
        err = errno;
        buf_printf(why, "create maildir file %s: %s", buf_str(&tmp), strerror(err));
        status = mailbox_fail(err, dsn, "4.3.0");
        goto unlink_tmp;
    }
    fd = -1;
    buf_printf(&fin, "%s/new/", buf_str(&base));
    maildir_unique_name(&fin, (long)tv.tv_sec, (long)tv.tv_usec, (unsigned long)st.st_dev,
                        (unsigned long)st.st_ino, buf_str(&host));
    if (rename(buf_str(&tmp), buf_str(&fin)) < 0) {
        err = errno;
        buf_printf(why, "create maildir file %s: %s", buf_str(&fin), strerror(err));
        status = mailbox_fail(err, dsn, "4.2.0");
        goto unlink_tmp;
    }
    buf_set(dsn, "2.0.0");
    buf_set(why, "delivered to maildir");
    goto done;

unlink_tmp:
    if (fd >= 0)
        close(fd);
    fd = -1;
    (void)unlink(buf_str(&tmp));
done:
    if (fd >= 0)
        close(fd);
    buf_release(&base);
    buf_release(&tmp);
    buf_release(&fin);
    buf_release(&sub);
    buf_release(&host);
    buf_release(&scratch);
    return status;
}

/* ---- mbox ---------------------------------------------------------------------- */

static void mailbox_pause(long ms)
{
    struct timespec ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        continue;
}

/*
 * Creates PATH.lock exclusively. Returns 1 when held, 0 when dotlocking is
 * impossible in this directory (no write permission: the kernel locks must
 * do), -1 with why when another holder keeps it past the attempts.
 */
static int mbox_dotlock(const char *lock, const struct mailbox_opts *o, struct buf *why)
{
    struct stat st;
    int attempt, fd;

    for (attempt = 0; attempt < (o->lock_attempts > 0 ? o->lock_attempts : 1); attempt++) {
        if (attempt > 0)
            mailbox_pause(o->lock_delay_ms);
        fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
            return 1;
        }
        if (errno == EACCES || errno == EPERM || errno == EROFS)
            return 0;
        if (errno != EEXIST) {
            buf_printf(why, "unable to create lock file %s: %s", lock, strerror(errno));
            return -1;
        }
        /* A lock file older than stale_lock_time was left by a crash. */
        if (lstat(lock, &st) == 0 && o->stale_lock_sec > 0 &&
            time(NULL) - st.st_mtime > o->stale_lock_sec)
            (void)unlink(lock);
    }
    buf_printf(why, "unable to create lock file %s: %s", lock, strerror(EEXIST));
    return -1;
}

static int mbox_kernel_lock(int fd, const struct mailbox_opts *o, struct buf *why)
{
    struct flock fl;
    int attempt, err = 0;

    for (attempt = 0; attempt < (o->lock_attempts > 0 ? o->lock_attempts : 1); attempt++) {
        if (attempt > 0)
            mailbox_pause(o->lock_delay_ms);
        err = 0;
        if (o->lock & MAILBOX_LOCK_FCNTL) {
            memset(&fl, 0, sizeof(fl));
            fl.l_type = F_WRLCK;
            fl.l_whence = SEEK_SET;
            if (fcntl(fd, F_SETLK, &fl) < 0)
                err = errno;
        }
        if (err == 0 && (o->lock & MAILBOX_LOCK_FLOCK) && flock(fd, LOCK_EX | LOCK_NB) < 0) {
            err = errno;
            if (o->lock & MAILBOX_LOCK_FCNTL) {
                fl.l_type = F_UNLCK;
                (void)fcntl(fd, F_SETLK, &fl);
            }
        }
        if (err == 0)
            return 0;
        if (err != EAGAIN && err != EACCES && err != EWOULDBLOCK)
            break;
    }
    buf_printf(why, "unable to lock for exclusive access: %s", strerror(err));
    return -1;
}

int mbox_deliver(const char *path, const struct mailbox_content *c, const struct mailbox_opts *o,
                 int flags, struct buf *dsn, struct buf *why)
{
    struct buf lock = BUF_INIT, scratch = BUF_INIT;
    struct stat st;
    int fd = -1, dotlocked = 0, status = DELIVER_STATUS_OK, err;
    off_t budget;

    buf_reset(dsn);
    buf_reset(why);
    if (o->lock & MAILBOX_LOCK_DOTLOCK) {
        buf_printf(&lock, "%s.lock", path);
        dotlocked = mbox_dotlock(buf_str(&lock), o, why);
        if (dotlocked < 0) {
            buf_set(dsn, "4.2.0");
            status = DELIVER_STATUS_DEFER;
            goto done;
        }
    }
    fd = safe_open_checked(
        path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600, &st, o->uid, o->gid,
        o->check_owner && o->uid != SAFE_OPEN_ANY_UID ? SAFE_OPEN_CHECK_OWNER : 0, &scratch);
    if (fd < 0) {
        err = errno;
        buf_printf(why, "cannot open file: %s", buf_str(&scratch));
        status = mailbox_fail(err, dsn, "4.2.0");
        goto done;
    }
    if ((o->lock & (MAILBOX_LOCK_FCNTL | MAILBOX_LOCK_FLOCK)) && mbox_kernel_lock(fd, o, why) < 0) {
        buf_set(dsn, "4.2.0");
        status = DELIVER_STATUS_DEFER;
        goto done;
    }
    /* The size once locked: what a failed append is cut back to. */
    if (fstat(fd, &st) < 0) {
        err = errno;
        buf_printf(why, "cannot stat file: %s", strerror(err));
        status = mailbox_fail(err, dsn, "4.2.0");
        goto done;
    }
    budget = -1;
    if (o->size_limit > 0) {
        budget = o->size_limit - st.st_size;
        if (budget < 0)
            budget = 0;
    }
    if (mailbox_write(fd, c, o, flags, budget, why) < 0 || fsync(fd) < 0) {
        err = errno;
        if (buf_len(why) == 0)
            buf_printf(why, "error writing message: %s", strerror(err));
        if (ftruncate(fd, st.st_size) < 0)
            buf_printf(why, "; cannot truncate to the old size: %s", strerror(errno));
        status = mailbox_fail(err, dsn, "4.3.0");
        goto done;
    }
    buf_set(dsn, "2.0.0");
    buf_set(why, "delivered to mailbox");
done:
    /* Closing the descriptor releases the kernel locks. */
    if (fd >= 0)
        close(fd);
    if (dotlocked > 0)
        (void)unlink(buf_str(&lock));
    buf_release(&lock);
    buf_release(&scratch);
    return status;
}
