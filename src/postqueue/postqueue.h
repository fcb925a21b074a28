/*
 * postqueue.h - the parts of postqueue that unit tests reach: the listing
 * formats (Postfix's "postqueue -p" layout and "postqueue -j" JSON lines)
 * and the listing filters (-S sender, -R recipient, -D domain, -A age),
 * which are postern's own.
 *
 * Used by postqueue.c and tests/unit/test_postqueue_format.c. Pure
 * formatting: nothing here reads the queue or talks to a daemon.
 */
#ifndef POSTERN_POSTQUEUE_H
#define POSTERN_POSTQUEUE_H

#include "mail/showq_proto.h"
#include "util/buf.h"

/* "-Queue ID-  --Size-- ..." (or the long-ID layout) and its LF. */
void postqueue_format_header(struct buf *out, int long_ids);
/* One entry of "postqueue -p": its lines and the blank line after it. */
void postqueue_format_entry(struct buf *out, const struct showq_entry *e, int long_ids);
/* "-- N Kbytes in M Requests." from the total of the sizes, or "Mail
 * queue is empty" when count is 0. */
void postqueue_format_trailer(struct buf *out, long long total_size, long count);
/* One line of "postqueue -j" (JSON object and LF). */
void postqueue_format_json(struct buf *out, const struct showq_entry *e);
/* JSON string body of s (no quotes): ", \, control and non-ASCII bytes escaped. */
void postqueue_json_escape(struct buf *out, const char *s);

/* Listing filters; NULL / 0 members do not filter. All set ones must match. */
struct postqueue_filter {
    const char *sender; /* the envelope sender, case-insensitive; "<>" for the null sender */
    const char *rcpt;   /* some recipient, case-insensitive */
    const char *domain; /* some recipient at this domain or a subdomain */
    long min_age;       /* arrived at least this many seconds before now */
};

/* Whether e passes f at time now. */
int postqueue_filter_match(const struct postqueue_filter *f, const struct showq_entry *e, long now);
/* Whether any filter is set. */
int postqueue_filter_active(const struct postqueue_filter *f);

#endif
