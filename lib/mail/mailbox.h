/*
 * mailbox.h - writing one message into a Maildir or a UNIX mbox file, the
 * part of delivery that local(8) and virtual(8) share, plus the message
 * source both read from (the queue file's content records).
 *
 * The caller has already become the mailbox owner (root mode) or is the
 * instance user (non-root mode): this module never changes ids. Maildir:
 * the message is written to tmp/ under a unique name, fsync'ed, and only
 * then renamed into new/ as SECONDS.VdevIinodeMmicroseconds.HOST, so a
 * reader never sees a partial file. mbox: the file is locked (dotlock,
 * fcntl, flock as configured) for the whole append, fsync'ed, and cut back
 * to its old size when anything fails, so a failed delivery never leaves
 * half a message. Results use the delivery status of deliver_proto.h.
 */
#ifndef POSTERN_MAIL_MAILBOX_H
#define POSTERN_MAIL_MAILBOX_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "mail/queue_reader.h"
#include "util/buf.h"

/* Where the lines of a message come from. next() returns 1 with a piece
 * of a line in *data, *len (*eol set when the line ends after it), 0 at
 * the end of the message, -1 with err. rewind() goes back to line one. */
struct mailbox_content {
    int (*rewind)(void *ctx, struct buf *err);
    int (*next)(void *ctx, const char **data, size_t *len, int *eol, struct buf *err);
    void *ctx;
};

/* The content records of an open queue file (NORM/CONT up to XTRA). */
struct mailbox_queue_source {
    struct queue_reader *reader;
    struct queue_reader_pos start;
};
/* Seeks r to the content and sets c up; 0, or -1 with err. */
int mailbox_content_queue(struct mailbox_content *c, struct mailbox_queue_source *src,
                          struct queue_reader *r, struct buf *err);

/* A message in memory with LF line ends (tests, generated text). */
struct mailbox_mem_source {
    const char *data;
    size_t len;
    size_t pos;
};
void mailbox_content_mem(struct mailbox_content *c, struct mailbox_mem_source *src,
                         const char *data, size_t len);

/* Locking methods (mailbox_delivery_lock, virtual_mailbox_lock). */
#define MAILBOX_LOCK_FCNTL   0x1
#define MAILBOX_LOCK_FLOCK   0x2
#define MAILBOX_LOCK_DOTLOCK 0x4
/* Parses "fcntl, dotlock" etc.; -1 with err on an unknown name. */
int mailbox_lock_parse(const char *spec, int *methods, struct buf *err);

/* Output format flags for mailbox_write(). */
#define MAILBOX_FLAG_FROM_LINE 0x1 /* "From sender  asctime-date" first */
#define MAILBOX_FLAG_QUOTE     0x2 /* ">From " for lines that start with "From " */
#define MAILBOX_FLAG_BLANK     0x4 /* an empty line after the message */
#define MAILBOX_FORMAT_MBOX    (MAILBOX_FLAG_FROM_LINE | MAILBOX_FLAG_QUOTE | MAILBOX_FLAG_BLANK)

struct mailbox_opts {
    const char *prepend; /* header lines, each ending in LF (Return-Path...); may be NULL */
    const char *sender;  /* for the From_ line; "" is written as MAILER-DAEMON */
    time_t now;          /* date of the From_ line and Maildir name; 0 = now */
    off_t size_limit;    /* mbox: largest file; Maildir: largest message; 0 = none */
    int lock;            /* MAILBOX_LOCK_* (mbox only) */
    int lock_attempts;   /* deliver_lock_attempts (>= 1) */
    long lock_delay_ms;  /* deliver_lock_delay */
    long stale_lock_sec; /* stale_lock_time: an older dotlock file is removed */
    uid_t uid;           /* owner of files and directories created, or SAFE_OPEN_ANY_UID */
    gid_t gid;
    int check_owner;      /* an existing mbox must belong to uid (strict_mailbox_ownership) */
    const char *hostname; /* Maildir names; NULL = the kernel host name */
};

/*
 * Writes prepend + the content to fd in the given format. More than budget
 * bytes (budget < 0: no limit) is an error with errno EFBIG. Returns the
 * bytes written, or -1 with why and errno.
 */
off_t mailbox_write(int fd, const struct mailbox_content *c, const struct mailbox_opts *o,
                    int flags, off_t budget, struct buf *why);

/*
 * Deliveries. Each returns DELIVER_STATUS_OK, _DEFER or _BOUNCE with the
 * RFC 3463 code in dsn and the reason in why (both overwritten):
 * "create maildir file PATH: ERROR"; for mbox the text after Postfix's
 * "cannot update mailbox PATH for user NAME. " which the caller adds
 * ("unable to lock for exclusive access: ...", "error writing message:
 * File too large"). A full mailbox (EFBIG, EDQUOT) bounces with 5.2.2;
 * other failures defer (4.2.0 / 4.3.0).
 */
int maildir_deliver(const char *dir, const struct mailbox_content *c, const struct mailbox_opts *o,
                    struct buf *dsn, struct buf *why);
int mbox_deliver(const char *path, const struct mailbox_content *c, const struct mailbox_opts *o,
                 int flags, struct buf *dsn, struct buf *why);

/* The Maildir name SECONDS.VdevIinodeMusec.HOST (host with '/' and ':'
 * escaped as \057 and \072), appended to out. */
void maildir_unique_name(struct buf *out, long sec, long usec, unsigned long dev, unsigned long ino,
                         const char *host);

#endif
