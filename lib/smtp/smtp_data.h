/*
 * smtp_data.h - the message content receiver for DATA and BDAT: raw bytes
 * in arbitrary chunks in, normalised content lines (LF ends) out.
 *
 * smtpd feeds whatever it read; the receiver finds the end of DATA, undoes
 * dot-stuffing, applies smtpd_forbid_bare_newline (SMTP smuggling),
 * line_length_limit (long lines leave in pieces) and message_size_limit,
 * and hands every line to a callback (smtpd passes it on to cleanup).
 * Invariants: under "normalize", "yes" and "reject" only <CR><LF>.<CR><LF>
 * ends DATA (never \n.\n, \r\n.\n, \n.\r\n or \r.\r\n); the result never
 * depends on how the input was chunked; no byte (NUL, 8-bit) is lost.
 * BDAT content is taken as is: no dot processing, no end marker.
 */
#ifndef POSTERN_SMTP_SMTP_DATA_H
#define POSTERN_SMTP_SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* smtpd_forbid_bare_newline (Postfix 3.7.11). */
enum smtp_bare_lf {
    SMTP_BARE_LF_NO = 0,    /* "no": LF alone ends a line, and ".\n" ends DATA (legacy) */
    SMTP_BARE_LF_NORMALIZE, /* "normalize" / "yes": LF alone ends a line; DATA ends
                             * only at CRLF.CRLF; a lone "." line not so ended is dropped */
    SMTP_BARE_LF_REJECT     /* "reject": as normalize, and the message is refused */
};

/* Parses a smtpd_forbid_bare_newline value; 0 or -1 for an unknown one. */
int smtp_bare_lf_parse(const char *value, enum smtp_bare_lf *mode);

enum smtp_data_status {
    SMTP_DATA_OK = 0,
    SMTP_DATA_TOO_BIG, /* "552 5.3.4 Error: message file too big" */
    SMTP_DATA_BARE_LF  /* smtp_data_bare_lf_reply() */
};

/* Output flag: this piece is part of a line longer than line_length_limit
 * and carries no LF; the next piece continues the same line. */
#define SMTP_DATA_PARTIAL 1

/* data[0..len) is one line with its '\n' or, with SMTP_DATA_PARTIAL, a
 * piece without. May contain NUL and 8-bit bytes. */
typedef void (*smtp_data_output_fn)(void *ctx, const char *data, size_t len, int flags);

struct smtp_data_opts {
    enum smtp_bare_lf bare_lf; /* smtpd_forbid_bare_newline (after the exclusions) */
    size_t line_limit;         /* line_length_limit; at least 1 */
    uint64_t size_limit;       /* message_size_limit; 0: none */
};

struct smtp_data;

struct smtp_data *smtp_data_new(const struct smtp_data_opts *opts, smtp_data_output_fn output,
                                void *ctx);
void smtp_data_free(struct smtp_data *data);

/* Starts a new message (DATA after 354, or the first BDAT chunk). */
void smtp_data_begin(struct smtp_data *data);

/*
 * DATA: consumes bytes up to and including the end-of-data line and
 * returns how many were consumed; bytes after it are the client's next
 * commands (pipelining) and are left alone. Returns 0 once done.
 */
size_t smtp_data_feed(struct smtp_data *data, const void *bytes, size_t len);
int smtp_data_done(const struct smtp_data *data);

/* BDAT: every byte is content. smtp_data_bdat_last() ends the message and
 * flushes an unterminated last line (as a complete line). */
void smtp_data_feed_bdat(struct smtp_data *data, const void *bytes, size_t len);
void smtp_data_bdat_last(struct smtp_data *data);

/* Result of the message. Once it is not OK the rest of the content is
 * still consumed (the client must be read to the end) but no longer sent
 * to the callback: the caller discards the message. */
enum smtp_data_status smtp_data_status(const struct smtp_data *data);
/* Bytes counted against size_limit: content after unstuffing, CRLF line
 * ends (the RFC 1870 measure) for DATA, the chunk octets for BDAT. */
uint64_t smtp_data_size(const struct smtp_data *data);
/* Bare LFs seen in this message (for logging, whatever the mode). */
uint64_t smtp_data_bare_lf_count(const struct smtp_data *data);

/* Postfix's replies: "552 5.3.4 Error: message file too big", and
 * "<code> 5.5.2 <hostname> Error: bare <LF> received" (code is
 * smtpd_forbid_bare_newline_reject_code). Set reply (no CRLF). */
void smtp_data_reply(const struct smtp_data *data, const char *hostname, int bare_lf_code,
                     struct buf *reply);

#endif
