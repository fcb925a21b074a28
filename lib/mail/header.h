/*
 * header.h - incremental RFC 5322 header parser for message content.
 *
 * Used by cleanup (and later by header_checks and milters) on content that
 * arrives in chunks of any size with LF line ends. It assembles folded
 * headers, reports each complete header to a callback, finds the end of the
 * header block and then passes body bytes through untouched. Memory is
 * bounded by header_size_limit: bytes of one header beyond the limit are
 * discarded (the header is reported truncated), never an error. It never
 * reads outside the bytes it was given and never assumes NUL termination.
 */
#ifndef POSTERN_MAIL_HEADER_H
#define POSTERN_MAIL_HEADER_H

#include <stddef.h>

/* Header names the mail system acts on; everything else is HDR_OTHER. */
enum header_class {
    HDR_OTHER = 0,
    HDR_FROM,
    HDR_SENDER,
    HDR_REPLY_TO,
    HDR_TO,
    HDR_CC,
    HDR_BCC,
    HDR_RESENT_FROM,
    HDR_RESENT_SENDER,
    HDR_RESENT_REPLY_TO,
    HDR_RESENT_TO,
    HDR_RESENT_CC,
    HDR_RESENT_BCC,
    HDR_RESENT_DATE,
    HDR_RESENT_MESSAGE_ID,
    HDR_MESSAGE_ID,
    HDR_DATE,
    HDR_SUBJECT,
    HDR_RECEIVED,
    HDR_DELIVERED_TO,
    HDR_X_ORIGINAL_TO,
    HDR_RETURN_PATH,
    HDR_RETURN_RECEIPT_TO,
    HDR_ERRORS_TO,
    HDR_APPARENTLY_TO,
    HDR_DISPOSITION_NOTIFICATION_TO,
    HDR_CONTENT_LENGTH,
    HDR_CONTENT_TYPE,
    HDR_CONTENT_TRANSFER_ENCODING,
    HDR_MIME_VERSION,
    HDR_CLASS_COUNT
};

/* One complete header. raw is the header exactly as it arrived, folded
 * lines joined by their "\n", without the final "\n" (and cut at the size
 * limit when truncated). name/value point into raw: the name without the
 * colon or blanks before it; the value after the colon with leading SP/HTAB
 * skipped, folds included. Valid only during the callback. raw may hold
 * NUL bytes and 8-bit bytes. */
struct header_view {
    enum header_class cls;
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    const char *raw;
    size_t raw_len;
    int truncated; /* bytes past header_size_limit were dropped */
};

/* How the header block ended. */
enum header_end {
    HEADER_END_BLANK,     /* an empty line (not passed on as body) */
    HEADER_END_NONHEADER, /* a line that is not a header: it starts the body */
    HEADER_END_EOF,       /* the content ended inside the header block */
};

struct header_callbacks {
    void (*header)(void *ctx, const struct header_view *hdr);
    /* Called exactly once, before any body bytes. */
    void (*end)(void *ctx, enum header_end how);
    /* Body bytes in arrival order, in pieces of any size (may be NULL). */
    void (*body)(void *ctx, const char *data, size_t len);
};

struct header_parser;

/* size_limit >= 1 (header_size_limit). cb must outlive the parser. */
struct header_parser *header_parser_new(size_t size_limit, const struct header_callbacks *cb,
                                        void *ctx);
void header_parser_free(struct header_parser *p);
/* Feeds the next piece of content; callbacks run before it returns. */
void header_parser_feed(struct header_parser *p, const void *data, size_t len);
/* End of content: reports a pending header, a final line without "\n",
 * and the end of the header block if it was not seen yet. Feeding after
 * finish is a bug (panic). */
void header_parser_finish(struct header_parser *p);
int header_parser_in_body(const struct header_parser *p);

/* Case-insensitive classification of a header name (no colon). */
enum header_class header_classify(const char *name, size_t len);
/* The canonical spelling of a class ("Message-ID", "Resent-To", ...);
 * "" for HDR_OTHER. */
const char *header_class_name(enum header_class cls);
/* Headers whose value is an address list (From, To, Resent-Cc, ...). */
int header_is_address(enum header_class cls);
int header_is_resent(enum header_class cls);
/* Whether len bytes at line start a header: a name of printable ASCII
 * other than ':' followed by optional SP/HTAB and ':'. When it does,
 * *name_len gets the name's length. */
int header_line_is_header(const char *line, size_t len, size_t *name_len);

#endif
