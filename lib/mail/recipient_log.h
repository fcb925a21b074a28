/*
 * recipient_log.h - the per-message recipient logs queue_directory/bounce/ID,
 * defer/ID and trace/ID: one line per recipient outcome, written by qmgr
 * (which alone applies delivery results) and read by the bounce daemon
 * (non-delivery notices, delay warnings, success notices) and by showq
 * (the delay reason of a deferred recipient).
 *
 * Format (version 1), one record per line, fields separated by a TAB:
 *   v=1 <TAB> recipient=ADDR <TAB> orig_rcpt=ADDR <TAB> dsn_orcpt=TYPE;ADDR
 *   <TAB> notify=N <TAB> offset=N <TAB> time=SECONDS <TAB> status=X.Y.Z
 *   <TAB> action=failed <TAB> relay=TEXT <TAB> mta=TEXT <TAB> diag=TEXT
 *   <TAB> reason=TEXT <LF>
 * Values are percent-encoded: '%', '=' and every byte below 0x20 or equal
 * to 0x7f become %XX (upper-case hex), so a value never holds a TAB, a LF or
 * an '='. "v", "recipient", "status" and "action" are required; the other
 * fields may be left out (empty / 0); fields the reader does not know are
 * skipped, so the format can grow without a version change. A new version
 * changes "v=" and readers keep accepting the old ones.
 *
 * Appends are one write() per record to a file opened with O_APPEND; a
 * record torn by a crash (no final LF) is closed off with a LF before the
 * next append, and the reader reports it as a bad line and goes on. These
 * files are untrusted input to the reader: every line is bounded and
 * checked, never guessed at.
 */
#ifndef POSTERN_MAIL_RECIPIENT_LOG_H
#define POSTERN_MAIL_RECIPIENT_LOG_H

#include <stddef.h>

#include "mail/queue_dir.h"
#include "util/buf.h"

#define RECIPIENT_LOG_VERSION 1
/* Longest record line the reader accepts (the fields are bounded by the
 * delivery protocol's DELIVER_FIELD_MAX, encoding can triple them). */
#define RECIPIENT_LOG_LINE_MAX (64 * 1024)

struct recipient_log_entry {
    char *recipient;  /* the address as delivered */
    char *orig_rcpt;  /* original recipient or "" */
    char *dsn_orcpt;  /* DSN ORCPT "type;address" or "" */
    int notify;       /* QUEUE_DSN_NOTIFY_* or 0 */
    long offset;      /* RCPT record offset in the queue file, or 0 */
    long time;        /* when the outcome was logged (seconds since the epoch) */
    char *dsn_status; /* "5.1.1" */
    char *action;     /* failed, delayed, delivered, relayed, expanded */
    char *relay;      /* "host[addr]:port", "none" or "" */
    char *mta;        /* RFC 3464 Remote-MTA "dns; host" or "" */
    char *diag;       /* RFC 3464 Diagnostic-Code "smtp; 550 ..." or "" */
    char *reason;     /* human-readable text */
};

/* Sets every string to NULL and every number to 0. */
void recipient_log_entry_init(struct recipient_log_entry *e);
void recipient_log_entry_free(struct recipient_log_entry *e);

/* Appends one record line (with its LF) to out. NULL strings count as "". */
void recipient_log_format(struct buf *out, const struct recipient_log_entry *e);
/* Parses one line (without or with its LF). Returns 0 with e filled
 * (previous contents freed), or -1 with the reason in why. */
int recipient_log_parse(const char *line, size_t len, struct recipient_log_entry *e,
                        struct buf *why);

/* ---- appending (qmgr) ------------------------------------------------- */

struct recipient_log;

/* Opens queue/ID (queue: QUEUE_BOUNCE, QUEUE_DEFER or QUEUE_TRACE) for
 * appending, creating it (mode 0600) and a missing hash directory. NULL
 * with the reason in err. */
struct recipient_log *recipient_log_open(const struct queue_dir *qd, const char *queue,
                                         const char *id, struct buf *err);
/* One record, one write(). 0, or -1 with the reason in err. */
int recipient_log_append(struct recipient_log *log, const struct recipient_log_entry *e,
                         struct buf *err);
/* Closes; with sync, fdatasync() first so that the records are on disk
 * before the caller marks the recipients done. 0, or -1 with err. */
int recipient_log_close(struct recipient_log *log, int sync, struct buf *err);

/* Removes queue/ID; 0 when removed or absent, -1 with errno otherwise. */
int recipient_log_remove(const struct queue_dir *qd, const char *queue, const char *id);
/* Whether queue/ID exists. */
int recipient_log_exists(const struct queue_dir *qd, const char *queue, const char *id);

/* ---- reading (bounce, showq) ------------------------------------------ */

struct recipient_log_reader;

/* Reads queue/ID; NULL with err (errno ENOENT when there is no log). */
struct recipient_log_reader *recipient_log_reader_open(const struct queue_dir *qd,
                                                       const char *queue, const char *id,
                                                       struct buf *err);
/* Reads from memory (fuzz target, tests); data must outlive the reader. */
struct recipient_log_reader *recipient_log_reader_open_mem(const void *data, size_t len);
/*
 * The next record: 1 with e filled; 0 at the end; -1 for a bad line (too
 * long, torn, malformed, a read error), with "line N: reason" in why. After
 * a bad line the reader has moved past it, so the caller may log it and
 * call again (a read error repeats -1 and then ends with 0).
 */
int recipient_log_reader_next(struct recipient_log_reader *r, struct recipient_log_entry *e,
                              struct buf *why);
void recipient_log_reader_close(struct recipient_log_reader *r);

#endif
