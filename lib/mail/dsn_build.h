/*
 * dsn_build.h - the text of a delivery status notification (RFC 3464):
 * non-delivery notices, delay warnings, success notices and their
 * postmaster copies, laid out exactly as Postfix's bounce(8) writes them
 * (/work/shared/reference/dsn.txt), with "postern" for "Postfix".
 *
 * Used by the bounce daemon (daemons/bounce), which gathers the inputs
 * from the queue file and the recipient logs and submits the result
 * through cleanup with the null sender. This module is a pure function of
 * its inputs (no configuration globals, no clock, no I/O), so the unit
 * tests and the fuzz target drive exactly what the daemon runs.
 *
 * Layout: the notice's own headers (Received, Date, From, Subject, To,
 * Auto-Submitted, MIME-Version, Content-Type multipart/report with the
 * boundary "ORIGINAL-ID.NOW/MYHOSTNAME", Content-Transfer-Encoding,
 * Message-Id), then (1) text/plain "Notification": the template text and
 * one "<rcpt>: reason" paragraph per recipient, wrapped at 78 columns with
 * a 4-space indent; (2) message/delivery-status "Delivery report": the
 * per-message fields (Reporting-MTA, Original-Envelope-Id, X-Postern-Queue-ID,
 * X-Postern-Sender, Arrival-Date) and per-recipient fields (Final-Recipient,
 * Original-Recipient, Action, Status, Remote-MTA, Diagnostic-Code,
 * Will-Retry-Until); (3) the original: message/rfc822 for a failure with
 * RET=FULL (or none) and for a double bounce, else text/rfc822-headers,
 * preceded by a Return-Path header and cut at the size limit on a line
 * boundary. Postfix's vendor fields X-Postfix-Queue-ID, X-Postfix-Sender
 * and the diagnostic type "X-Postfix" are spelled X-Postern-... here (RFC
 * 3464 section 3: extension fields are named after the implementation).
 *
 * Invariants: every line ends in LF (cleanup writes the queue file); text
 * taken from the logs never carries a control character into the notice;
 * the boundary never occurs at the start of a line of the quoted original
 * (a suffix is added until it does not), so the MIME structure always
 * parses. Never returns a partial notice.
 */
#ifndef POSTERN_MAIL_DSN_BUILD_H
#define POSTERN_MAIL_DSN_BUILD_H

#include <stddef.h>

#include "mail/recipient_log.h"
#include "util/buf.h"

/* The vendor prefix of the extension fields and the diagnostic type. */
#define DSN_VENDOR "X-Postern"
/* Width of the wrapped human-readable lines and Diagnostic-Code fields. */
#define DSN_WRAP_WIDTH  78
#define DSN_WRAP_INDENT "    "

enum dsn_kind {
    DSN_FAILURE, /* non-delivery notice, from the bounce log */
    DSN_DELAY,   /* delay warning, from the defer log */
    DSN_SUCCESS  /* delivery status notice for NOTIFY=SUCCESS, from the trace log */
};

/* The original message, as read from its queue file. */
struct dsn_original {
    const char *queue_id; /* of the original */
    const char *sender;   /* its envelope sender; "" is the null sender */
    const char *envid;    /* DSN ENVID or "" / NULL */
    int ret;              /* QUEUE_DSN_RET_* or 0 */
    long arrival;         /* arrival time, seconds since the epoch */
    const char *content;  /* the message text with LF line ends, or NULL: not available */
    size_t content_len;
};

/* What kind of notice, to whom, and the settings it quotes. */
struct dsn_notice {
    enum dsn_kind kind;
    int postmaster;              /* a postmaster copy: no template text, "Postmaster ..." subject,
                                  * Auto-Submitted: auto-generated, headers only */
    int full;                    /* return the whole original (double bounce) */
    const char *notice_id;       /* queue ID of the notice itself (Received:, Message-Id:) */
    const char *to;              /* the To: address */
    const char *myhostname;      /* Reporting-MTA, Received:, Message-Id:, boundary */
    const char *myorigin;        /* MAILER-DAEMON@myorigin */
    const char *mail_name;       /* "postern", in Received: */
    long delay_warning_time;     /* seconds, quoted in the delay text (hours) */
    long maximal_queue_lifetime; /* seconds, delay text (days) and Will-Retry-Until */
    size_t size_limit;           /* most bytes of the original quoted (bounce_size_limit) */
    long now;                    /* Date:, Message-Id:, boundary */
};

/*
 * Appends the whole notice to out. rcpt[0..nrcpt) are the recipients to
 * report (see dsn_select()); nrcpt may be 0 (a notice about the message
 * alone). Always succeeds.
 */
void dsn_build(struct buf *out, const struct dsn_notice *n, const struct dsn_original *orig,
               const struct recipient_log_entry *rcpt, size_t nrcpt);

/*
 * Chooses the entries of a recipient log that a notice reports, in place:
 * a recipient logged more than once (a retried append, one line per
 * delivery attempt) keeps its last entry, at the place of its first; with
 * for_sender, a recipient whose NOTIFY excludes this kind (FAILURE, DELAY;
 * SUCCESS must be asked for) is left out. Dropped entries are freed; the
 * number kept is returned and rcpt[kept..n) are left initialised-empty.
 */
size_t dsn_select(struct recipient_log_entry *rcpt, size_t n, enum dsn_kind kind, int for_sender);

/* Whether a recipient's NOTIFY (QUEUE_DSN_NOTIFY_* mask, 0 when not
 * given) asks the sender for a notice of this kind: FAILURE and DELAY
 * are the default (RFC 3461 section 4.1), SUCCESS must be asked for. */
int dsn_notify_wants(int notify, enum dsn_kind kind);

/*
 * Appends text wrapped at width columns: words (runs of non-blanks) are
 * kept whole, a line is broken before a word that would pass width, and
 * every line after the first starts with indent; each line ends in LF.
 * Control characters in text become blanks (so they separate words).
 */
void dsn_wrap(struct buf *out, const char *text, size_t width, const char *indent);

#endif
