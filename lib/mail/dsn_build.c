/*
 * dsn_build.c - builds delivery status notifications (see dsn_build.h).
 *
 * Called by the bounce daemon, the unit tests and the fuzz target. The
 * inputs come from queue files and recipient logs, which are untrusted:
 * every value from a log goes through dsn_put_clean() or dsn_wrap(), which
 * turn control characters into blanks, so no log value can add a header
 * line or a MIME boundary. The quoted original is copied as it is, and the
 * boundary is chosen so that none of its lines can close a part.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/dsn_build.h"
#include "mail/mail_date.h"
#include "mail/queue_rec.h"
#include "util/htable.h"
#include "util/mem.h"

/* The template texts (Postfix's failure, delay and success templates,
 * as postconf -b expands them). */
static const char dsn_text_failure[] =
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients. It's attached below.\n"
    "\n"
    "For further assistance, please send mail to postmaster.\n"
    "\n"
    "If you do so, please include this problem report. You can\n"
    "delete your own text from the attached returned message.\n";

static const char dsn_text_delay_head[] =
    "####################################################################\n"
    "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
    "####################################################################\n"
    "\n";

static const char dsn_text_delay_tail[] =
    "\n"
    "For further assistance, please send mail to postmaster.\n"
    "\n"
    "If you do so, please include this problem report. You can\n"
    "delete your own text from the attached returned message.\n";

static const char dsn_text_success[] =
    "Your message was successfully delivered to the destination(s)\n"
    "listed below. If the message was delivered to mailbox you will\n"
    "receive no further notifications. Otherwise you may still receive\n"
    "notifications of mail delivery errors from other systems.\n";

static const char dsn_text_signature[] = "\n                   The mail system\n";

/* The boundary: at most 70 characters (RFC 2046 section 5.1.1), the base
 * part plus a "." and DSN_SUFFIX_DIGITS digits when it must be unique. */
#define DSN_BOUNDARY_BASE_MAX 62
#define DSN_SUFFIX_DIGITS     7
#define DSN_SUFFIX_LIMIT      10000000

static int dsn_is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static const char *dsn_str(const char *s)
{
    return s ? s : "";
}

/* Appends s with control characters as blanks. */
static void dsn_put_clean(struct buf *out, const char *s)
{
    for (; *s; s++)
        buf_append_char(out, dsn_is_control((unsigned char)*s) ? ' ' : *s);
}

void dsn_wrap(struct buf *out, const char *text, size_t width, const char *indent)
{
    size_t col = 0, indent_len = strlen(indent);
    int first_word = 1;
    const unsigned char *p = (const unsigned char *)text;

    for (;;) {
        const unsigned char *word;
        size_t len;

        while (*p && (*p == ' ' || dsn_is_control(*p)))
            p++;
        if (*p == '\0')
            break;
        word = p;
        while (*p && *p != ' ' && !dsn_is_control(*p))
            p++;
        len = (size_t)(p - word);
        if (first_word) {
            buf_append(out, word, len);
            col = len;
            first_word = 0;
        } else if (col + 1 + len <= width) {
            buf_append_char(out, ' ');
            buf_append(out, word, len);
            col += 1 + len;
        } else {
            buf_append_char(out, '\n');
            buf_append_str(out, indent);
            buf_append(out, word, len);
            col = indent_len + len;
        }
    }
    buf_append_char(out, '\n');
}

/* ---- choosing the recipients ------------------------------------------ */

int dsn_notify_wants(int notify, enum dsn_kind kind)
{
    switch (kind) {
    case DSN_SUCCESS:
        return (notify & QUEUE_DSN_NOTIFY_SUCCESS) != 0;
    case DSN_DELAY:
        /* No NOTIFY: failures and delays are reported (RFC 3461 4.1). */
        return notify == 0 || (notify & QUEUE_DSN_NOTIFY_DELAY) != 0;
    case DSN_FAILURE:
    default:
        return notify == 0 || (notify & QUEUE_DSN_NOTIFY_FAILURE) != 0;
    }
}

static void dsn_entry_key(struct buf *key, const struct recipient_log_entry *e)
{
    buf_reset(key);
    buf_printf(key, "%ld", e->offset);
    buf_append_char(key, '\t');
    buf_append_str(key, dsn_str(e->recipient));
    buf_append_char(key, '\t');
    buf_append_str(key, dsn_str(e->orig_rcpt));
}

size_t dsn_select(struct recipient_log_entry *rcpt, size_t n, enum dsn_kind kind, int for_sender)
{
    struct htable *seen = htable_new(n);
    struct buf key = BUF_INIT;
    size_t i, kept = 0;

    /* A later entry for the same recipient replaces the first one. */
    for (i = 0; i < n; i++) {
        void *first;

        dsn_entry_key(&key, &rcpt[i]);
        first = htable_get(seen, buf_str(&key));
        if (first == NULL) {
            htable_put(seen, buf_str(&key), (void *)(uintptr_t)(i + 1));
        } else {
            size_t j = (size_t)(uintptr_t)first - 1;

            recipient_log_entry_free(&rcpt[j]);
            rcpt[j] = rcpt[i];
            recipient_log_entry_init(&rcpt[i]);
        }
    }
    for (i = 0; i < n; i++) {
        if (rcpt[i].recipient == NULL || (for_sender && !dsn_notify_wants(rcpt[i].notify, kind))) {
            recipient_log_entry_free(&rcpt[i]);
            recipient_log_entry_init(&rcpt[i]);
            continue;
        }
        if (kept != i) {
            rcpt[kept] = rcpt[i];
            recipient_log_entry_init(&rcpt[i]);
        }
        kept++;
    }
    htable_free(seen, NULL);
    buf_release(&key);
    return kept;
}

/* ---- the parts ---------------------------------------------------------- */

/* The reason as the human-readable part and the X-Postern diagnostic say it. */
static void dsn_reason(struct buf *out, const struct dsn_notice *n,
                       const struct recipient_log_entry *e)
{
    if (n->kind == DSN_SUCCESS) {
        buf_append_str(out, "delivery via ");
        buf_append_str(out, e->relay && e->relay[0] ? e->relay : "none");
        buf_append_str(out, ": ");
    }
    buf_append_str(out, e->reason && e->reason[0] ? e->reason : "unknown reason");
}

static void dsn_put_date(struct buf *out, const char *name, long t)
{
    buf_append_str(out, name);
    buf_append_str(out, ": ");
    mail_date_format(out, (time_t)t);
    buf_append_char(out, '\n');
}

static void dsn_put_template(struct buf *out, const struct dsn_notice *n)
{
    if (n->postmaster)
        return;
    buf_append_str(out, "This is the mail system at host ");
    dsn_put_clean(out, n->myhostname);
    buf_append_str(out, ".\n\n");
    switch (n->kind) {
    case DSN_DELAY:
        buf_append_str(out, dsn_text_delay_head);
        buf_printf(out, "Your message could not be delivered for more than %ld hour(s).\n",
                   n->delay_warning_time / 3600);
        buf_printf(out, "It will be retried until it is %ld day(s) old.\n",
                   n->maximal_queue_lifetime / 86400);
        buf_append_str(out, dsn_text_delay_tail);
        break;
    case DSN_SUCCESS:
        buf_append_str(out, dsn_text_success);
        break;
    case DSN_FAILURE:
    default:
        buf_append_str(out, dsn_text_failure);
        break;
    }
    buf_append_str(out, dsn_text_signature);
}

/* Part 1: the template, then one paragraph per recipient. */
static void dsn_put_human(struct buf *out, const struct dsn_notice *n,
                          const struct recipient_log_entry *rcpt, size_t nrcpt)
{
    struct buf line = BUF_INIT;
    size_t i;

    buf_append_str(out, "Content-Description: Notification\n"
                        "Content-Type: text/plain; charset=utf-8\n"
                        "Content-Transfer-Encoding: 8bit\n\n");
    dsn_put_template(out, n);
    buf_append_char(out, '\n');
    for (i = 0; i < nrcpt; i++) {
        const struct recipient_log_entry *e = &rcpt[i];

        buf_reset(&line);
        buf_printf(&line, "<%s>", dsn_str(e->recipient));
        if (e->orig_rcpt && e->orig_rcpt[0] && strcasecmp(e->orig_rcpt, e->recipient) != 0)
            buf_printf(&line, " (expanded from <%s>)", e->orig_rcpt);
        buf_append_str(&line, ": ");
        dsn_reason(&line, n, e);
        dsn_wrap(out, buf_str(&line), DSN_WRAP_WIDTH, DSN_WRAP_INDENT);
        buf_append_char(out, '\n');
    }
    buf_release(&line);
}

/* "MAILER-DAEMON@myorigin" for the null sender, else the sender. */
static void dsn_put_sender(struct buf *out, const struct dsn_notice *n, const char *sender)
{
    if (sender == NULL || sender[0] == '\0') {
        buf_append_str(out, "MAILER-DAEMON@");
        dsn_put_clean(out, n->myorigin);
    } else {
        dsn_put_clean(out, sender);
    }
}

static const char *dsn_default_action(enum dsn_kind kind)
{
    return kind == DSN_SUCCESS ? "delivered" : kind == DSN_DELAY ? "delayed" : "failed";
}

/* Part 2: message/delivery-status (RFC 3464 section 2). */
static void dsn_put_status(struct buf *out, const struct dsn_notice *n,
                           const struct dsn_original *orig, const struct recipient_log_entry *rcpt,
                           size_t nrcpt)
{
    struct buf line = BUF_INIT;
    size_t i;

    buf_append_str(out, "Content-Description: Delivery report\n"
                        "Content-Type: message/delivery-status\n\n");
    buf_append_str(out, "Reporting-MTA: dns; ");
    dsn_put_clean(out, n->myhostname);
    buf_append_char(out, '\n');
    if (orig->envid && orig->envid[0]) {
        buf_append_str(out, "Original-Envelope-Id: ");
        dsn_put_clean(out, orig->envid);
        buf_append_char(out, '\n');
    }
    buf_append_str(out, DSN_VENDOR "-Queue-ID: ");
    dsn_put_clean(out, dsn_str(orig->queue_id));
    buf_append_str(out, "\n" DSN_VENDOR "-Sender: rfc822; ");
    dsn_put_sender(out, n, orig->sender);
    buf_append_char(out, '\n');
    dsn_put_date(out, "Arrival-Date", orig->arrival);
    for (i = 0; i < nrcpt; i++) {
        const struct recipient_log_entry *e = &rcpt[i];

        buf_append_str(out, "\nFinal-Recipient: rfc822; ");
        dsn_put_clean(out, dsn_str(e->recipient));
        buf_append_str(out, "\nOriginal-Recipient: ");
        if (e->dsn_orcpt && e->dsn_orcpt[0]) {
            dsn_put_clean(out, e->dsn_orcpt);
        } else {
            buf_append_str(out, "rfc822;");
            dsn_put_clean(out,
                          e->orig_rcpt && e->orig_rcpt[0] ? e->orig_rcpt : dsn_str(e->recipient));
        }
        buf_append_str(out, "\nAction: ");
        dsn_put_clean(out, e->action && e->action[0] ? e->action : dsn_default_action(n->kind));
        buf_append_str(out, "\nStatus: ");
        dsn_put_clean(out, e->dsn_status && e->dsn_status[0] ? e->dsn_status
                           : n->kind == DSN_SUCCESS          ? "2.0.0"
                           : n->kind == DSN_DELAY            ? "4.0.0"
                                                             : "5.0.0");
        buf_append_char(out, '\n');
        if (e->mta && e->mta[0]) {
            buf_append_str(out, "Remote-MTA: ");
            dsn_put_clean(out, e->mta);
            buf_append_char(out, '\n');
        }
        buf_reset(&line);
        buf_append_str(&line, "Diagnostic-Code: ");
        if (e->diag && e->diag[0]) {
            buf_append_str(&line, e->diag);
        } else {
            buf_append_str(&line, DSN_VENDOR "; ");
            dsn_reason(&line, n, e);
        }
        dsn_wrap(out, buf_str(&line), DSN_WRAP_WIDTH, DSN_WRAP_INDENT);
        if (n->kind == DSN_DELAY)
            dsn_put_date(out, "Will-Retry-Until", orig->arrival + n->maximal_queue_lifetime);
    }
    buf_append_char(out, '\n');
    buf_release(&line);
}

/* Whether the original is returned whole rather than its headers. */
static int dsn_full(const struct dsn_notice *n, const struct dsn_original *orig)
{
    if (n->full)
        return 1;
    return n->kind == DSN_FAILURE && !n->postmaster && orig->ret != QUEUE_DSN_RET_HDRS;
}

/*
 * The length of the quoted original: whole lines while they fit in the
 * size limit, only the header section unless full (up to, not including,
 * the empty line). A last line without LF counts as a line.
 */
static size_t dsn_quote_len(const struct dsn_original *orig, size_t limit, int full)
{
    const char *p = orig->content, *end = orig->content + orig->content_len;
    size_t used = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

        if (!full && (len == 1 && *p == '\n'))
            break;
        if (used + len > limit)
            break;
        used += len;
        p += len;
    }
    return used;
}

/* Calls fn for every line of text (len bytes) that starts with "--" and
 * then prefix, with what follows the prefix. */
static void dsn_scan_lines(const char *text, size_t len, const char *prefix,
                           void (*fn)(const char *rest, size_t rest_len, void *ctx), void *ctx)
{
    size_t plen = strlen(prefix);
    const char *p = text, *end = text + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t line = nl ? (size_t)(nl - p) : (size_t)(end - p);

        if (line >= plen + 2 && p[0] == '-' && p[1] == '-' && memcmp(p + 2, prefix, plen) == 0)
            fn(p + 2 + plen, line - 2 - plen, ctx);
        p += line + 1;
    }
}

static void dsn_count_clash(const char *rest, size_t rest_len, void *ctx)
{
    (void)rest;
    (void)rest_len;
    (*(size_t *)ctx)++;
}

struct dsn_taken {
    unsigned char *used; /* used[i]: suffix i occurs */
    size_t count;
};

/* A line "--BASE.NNNNNNN..." rules out the suffix NNNNNNN (and only it). */
static void dsn_mark_taken(const char *rest, size_t rest_len, void *ctx)
{
    struct dsn_taken *t = ctx;
    size_t i, v = 0;

    if (rest_len < 1 + DSN_SUFFIX_DIGITS || rest[0] != '.')
        return;
    for (i = 1; i <= DSN_SUFFIX_DIGITS; i++) {
        if (rest[i] < '0' || rest[i] > '9')
            return;
        v = v * 10 + (size_t)(rest[i] - '0');
    }
    if (v < t->count)
        t->used[v] = 1;
}

/*
 * "ORIGINAL-ID.NOW/MYHOSTNAME" as Postfix, with characters outside RFC
 * 2046's bchars replaced. If a line of the quoted original starts with it,
 * a fixed-width suffix ".NNNNNNN" is added: each such line rules out at
 * most one suffix, so one of the first (lines + 1) is free, found in two
 * linear scans whatever the content.
 */
static void dsn_pick_boundary(struct buf *boundary, const struct dsn_notice *n,
                              const struct dsn_original *orig, size_t quote_len)
{
    struct dsn_taken taken = {NULL, 0};
    size_t clashes = 0, i;

    buf_reset(boundary);
    dsn_put_clean(boundary, dsn_str(orig->queue_id));
    buf_printf(boundary, ".%ld/", n->now);
    dsn_put_clean(boundary, dsn_str(n->myhostname));
    for (i = 0; i < buf_len(boundary); i++) {
        unsigned char c = (unsigned char)boundary->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("'()+_,-./:=?", c) != NULL))
            boundary->data[i] = '_';
    }
    if (buf_len(boundary) > DSN_BOUNDARY_BASE_MAX)
        buf_truncate(boundary, DSN_BOUNDARY_BASE_MAX);
    if (orig->content == NULL)
        return;
    dsn_scan_lines(orig->content, quote_len, buf_str(boundary), dsn_count_clash, &clashes);
    if (clashes == 0)
        return;
    taken.count = clashes + 1 < DSN_SUFFIX_LIMIT ? clashes + 1 : DSN_SUFFIX_LIMIT;
    taken.used = mem_calloc(taken.count, 1);
    dsn_scan_lines(orig->content, quote_len, buf_str(boundary), dsn_mark_taken, &taken);
    i = 0;
    while (i < taken.count - 1 && taken.used[i])
        i++;
    buf_printf(boundary, ".%0*zu", DSN_SUFFIX_DIGITS, i);
    mem_free(taken.used);
}

/* Part 3: the original, or its headers. */
static void dsn_put_original(struct buf *out, const struct dsn_notice *n,
                             const struct dsn_original *orig, size_t quote_len, int full)
{
    if (full)
        buf_append_str(out, "Content-Description: Undelivered Message\n"
                            "Content-Type: message/rfc822\n");
    else if (n->kind == DSN_SUCCESS)
        buf_append_str(out, "Content-Description: Message Headers\n"
                            "Content-Type: text/rfc822-headers\n");
    else
        buf_append_str(out, "Content-Description: Undelivered Message Headers\n"
                            "Content-Type: text/rfc822-headers\n");
    buf_append_str(out, "Content-Transfer-Encoding: 8bit\n\n");
    buf_append_str(out, "Return-Path: <");
    dsn_put_sender(out, n, orig->sender);
    buf_append_str(out, ">\n");
    buf_append(out, orig->content, quote_len);
    if (quote_len > 0 && orig->content[quote_len - 1] != '\n')
        buf_append_char(out, '\n');
    buf_append_char(out, '\n');
}

static const char *dsn_subject(const struct dsn_notice *n)
{
    switch (n->kind) {
    case DSN_DELAY:
        return n->postmaster ? "Postmaster Warning: Delayed Mail"
                             : "Delayed Mail (still being retried)";
    case DSN_SUCCESS:
        return "Successful Mail Delivery Report";
    case DSN_FAILURE:
    default:
        return n->postmaster ? "Postmaster Copy: Undelivered Mail"
                             : "Undelivered Mail Returned to Sender";
    }
}

void dsn_build(struct buf *out, const struct dsn_notice *n, const struct dsn_original *orig,
               const struct recipient_log_entry *rcpt, size_t nrcpt)
{
    struct buf boundary = BUF_INIT;
    int full = dsn_full(n, orig);
    size_t quote_len = orig->content ? dsn_quote_len(orig, n->size_limit, full) : 0;

    dsn_pick_boundary(&boundary, n, orig, quote_len);

    buf_append_str(out, "Received: by ");
    dsn_put_clean(out, n->myhostname);
    buf_append_str(out, " (");
    dsn_put_clean(out, n->mail_name);
    buf_append_str(out, ")\n\tid ");
    dsn_put_clean(out, dsn_str(n->notice_id));
    buf_append_str(out, "; ");
    mail_date_format(out, (time_t)n->now);
    buf_append_char(out, '\n');
    dsn_put_date(out, "Date", n->now);
    buf_append_str(out, "From: Mail Delivery System <MAILER-DAEMON@");
    dsn_put_clean(out, n->myorigin);
    buf_printf(out, ">\nSubject: %s\nTo: ", dsn_subject(n));
    dsn_put_clean(out, dsn_str(n->to));
    buf_printf(out, "\nAuto-Submitted: %s\n", n->postmaster ? "auto-generated" : "auto-replied");
    buf_printf(out,
               "MIME-Version: 1.0\n"
               "Content-Type: multipart/report; report-type=delivery-status;\n"
               "\tboundary=\"%s\"\n"
               "Content-Transfer-Encoding: 8bit\n"
               "Message-Id: <",
               buf_str(&boundary));
    mail_date_stamp(out, (time_t)n->now);
    buf_append_char(out, '.');
    dsn_put_clean(out, dsn_str(n->notice_id));
    buf_append_char(out, '@');
    dsn_put_clean(out, n->myhostname);
    buf_append_str(out, ">\n\nThis is a MIME-encapsulated message.\n\n");

    buf_printf(out, "--%s\n", buf_str(&boundary));
    dsn_put_human(out, n, rcpt, nrcpt);
    buf_printf(out, "--%s\n", buf_str(&boundary));
    dsn_put_status(out, n, orig, rcpt, nrcpt);
    if (orig->content != NULL) {
        buf_printf(out, "--%s\n", buf_str(&boundary));
        dsn_put_original(out, n, orig, quote_len, full);
    }
    buf_printf(out, "--%s--\n", buf_str(&boundary));
    buf_release(&boundary);
}
