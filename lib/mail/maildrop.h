/*
 * maildrop.h - what a local user may put into the maildrop queue: the
 * record types and named attributes that sendmail may hand to postdrop,
 * checked record by record by postdrop (on its standard input, before it
 * writes the queue file) and again by pickup (on the file, before anything
 * reaches cleanup), and the envelope pickup builds from those records.
 *
 * The format is the queue file format (queue_rec.h). Sendmail writes, on
 * postdrop's standard input, the records of a queue file minus VERSION and
 * SIZE (which the queue file writer adds):
 *   TIME  ATTR*  SENDER  [DSN_ENVID] [DSN_RET]  ([DSN_NOTIFY] RCPT)*
 *   MESG  (NORM | CONT)*  XTRA  END
 * ATTR is limited to the names below, each at most once; ORCPT, DONE,
 * CTIME, WARN, FILTER and VERP records, and anything after XTRA but END,
 * are refused: they would let a user mark recipients done, pick a content
 * filter or forge queue state. Envelope values are at most
 * MAILDROP_FIELD_MAX bytes, so that cleanup (CLEANUP_FIELD_MAX) never
 * refuses a file that passed here (pickup would retry it forever).
 * This module never trusts a maildrop file's content for the submitter's
 * identity: that is the file owner, which pickup takes from fstat().
 */
#ifndef POSTERN_MAIL_MAILDROP_H
#define POSTERN_MAIL_MAILDROP_H

#include <stddef.h>
#include <sys/types.h>

#include "mail/cleanup_proto.h"
#include "mail/queue_reader.h"
#include "mail/queue_rec.h"
#include "util/buf.h"

/* Named attributes a user may set (ATTR "name=value"). */
#define MAILDROP_ATTR_FULL_NAME "full_name"          /* -F, NAME or GECOS: any text */
#define MAILDROP_ATTR_REWRITE   "rewrite_context"    /* "local", or "remote" for -G */
#define MAILDROP_ATTR_ENCODING  "encoding"           /* -B: "7bit" or "8bitmime" */
#define MAILDROP_ATTR_EXTRACT   "extract_recipients" /* -t: "yes" */
#define MAILDROP_ATTR_NOTIFY    "notify_flags"       /* -N for -t recipients: QUEUE_DSN_NOTIFY_* */

/* Longest sender, recipient, ENVID or attribute value. */
#define MAILDROP_FIELD_MAX CLEANUP_FIELD_MAX

/* Where the records come from. */
enum maildrop_source {
    MAILDROP_STREAM, /* postdrop's standard input: starts with TIME, no VERSION/SIZE */
    MAILDROP_FILE,   /* a maildrop queue file: VERSION and SIZE first */
};

/* The checker's state; plain data. */
struct maildrop_check {
    enum maildrop_source source;
    struct queue_rec_check rec; /* order and data rules of the queue format */
    unsigned attrs_seen;        /* MAILDROP_ATTR_* bits */
    int ended;                  /* the END record was accepted */
};

void maildrop_check_init(struct maildrop_check *check, enum maildrop_source source);

/*
 * Checks one record against the user rules and the queue format's order
 * rules (offset and next are the record's place in the input; for
 * MAILDROP_STREAM any increasing numbers do). Returns 0, or -1 with the
 * reason in why (replaced). Errors are not sticky: a caller stops at the
 * first one.
 */
int maildrop_check_record(struct maildrop_check *check, int type, const char *data, size_t len,
                          off_t offset, off_t next, struct buf *why);

/* The same for a record from the queue reader (pickup): the offset of the
 * next record is computed from the record's header and data lengths. */
int maildrop_check_queue_record(struct maildrop_check *check, const struct queue_record *rec,
                                struct buf *why);

/* Whether the END record has been accepted (a complete submission). */
int maildrop_check_ended(const struct maildrop_check *check);

/* ---- the envelope, as pickup hands it to cleanup -------------------------- */

struct maildrop_env {
    long arrival_sec;
    long arrival_usec;
    char *sender;              /* as submitted: a bare login name gets @$myorigin in cleanup */
    char *full_name;           /* NULL when not given */
    char *rewrite_context;     /* NULL when not given (pickup then says "local") */
    char *encoding;            /* NULL when not given */
    char *envid;               /* NULL when not given */
    int ret;                   /* DSN_RET_* (equal to QUEUE_DSN_RET_*), 0 when not given */
    int extract;               /* -t */
    int notify_default;        /* notify_flags for -t recipients, 0 when not given */
    struct cleanup_rcpt *rcpt; /* notify: DSN_NOTIFY_* (equal to QUEUE_DSN_NOTIFY_*) */
    size_t nrcpt;
    size_t rcpt_cap;
    int pending_notify; /* DSN_NOTIFY waiting for its RCPT */
};

void maildrop_env_init(struct maildrop_env *env);
void maildrop_env_free(struct maildrop_env *env);

/*
 * Adds one envelope record that maildrop_check_record() accepted (others,
 * such as VERSION, SIZE or MESG, are ignored). Returns 0, or -1 with why
 * for data that passed the checker but cannot be used (a TIME the format
 * accepts but cleanup cannot represent).
 */
int maildrop_env_add(struct maildrop_env *env, int type, const char *data, size_t len,
                     struct buf *why);

#endif
