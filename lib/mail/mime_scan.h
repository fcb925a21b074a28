/*
 * mime_scan.h - a line classifier for message bodies: which body lines are
 * MIME part headers, headers of an attached message (message/rfc822), or
 * boundaries, so that mime_header_checks, nested_header_checks and
 * body_checks each see their own lines.
 *
 * Used by cleanup's hooks; fed the primary Content-Type value, then every
 * body line in order. It keeps no line, only a bounded stack of boundaries
 * (max_depth, mime_nesting_limit) and a bounded Content-Type being
 * collected; it never fails: what it cannot follow counts as body.
 */
#ifndef POSTERN_MAIL_MIME_SCAN_H
#define POSTERN_MAIL_MIME_SCAN_H

#include <stddef.h>

enum mime_line {
    MIME_LINE_BODY,          /* content (body_checks) */
    MIME_LINE_MIME_HEADER,   /* a part's header line (mime_header_checks) */
    MIME_LINE_NESTED_HEADER, /* an attached message's header (nested_header_checks) */
    MIME_LINE_BOUNDARY,      /* "--boundary" or the blank line that ends headers */
};

struct mime_scan;

struct mime_scan *mime_scan_new(size_t max_depth);
void mime_scan_free(struct mime_scan *ms);
/* The Content-Type value of the primary headers (folds allowed). */
void mime_scan_content_type(struct mime_scan *ms, const char *value, size_t len);
/* Classifies the next complete body line (without its LF). */
enum mime_line mime_scan_line(struct mime_scan *ms, const char *line, size_t len);

#endif
