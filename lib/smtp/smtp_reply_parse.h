/*
 * smtp_reply_parse.h - incremental parser of SMTP/LMTP server replies
 * (RFC 5321 section 4.2), shared by the SMTP/LMTP client (daemons/smtp)
 * and the smtp-blast load generator.
 *
 * A client feeds it whatever the server has sent so far; it returns one
 * complete reply at a time, or asks for more. The input is outside data:
 * every line and the number of lines are bounded by the caller's limits, and
 * a malformed reply is an error with a reason, never a guess.
 */
#ifndef POSTERN_SMTP_REPLY_PARSE_H
#define POSTERN_SMTP_REPLY_PARSE_H

#include <stddef.h>

#include "util/buf.h"

enum smtp_reply_parse_status {
    SMTP_REPLY_PARSE_OK,        /* one complete reply parsed, *used bytes consumed */
    SMTP_REPLY_PARSE_NEED_MORE, /* the input holds no complete reply yet */
    SMTP_REPLY_PARSE_BAD        /* malformed or over a limit; err says why */
};

struct smtp_reply_limits {
    size_t max_line;  /* bytes per line, CRLF not counted (> 0) */
    size_t max_lines; /* lines per reply (> 0) */
};

struct smtp_reply_parsed {
    int code;        /* 200-599 (1yz is not an SMTP reply: RFC 5321 4.2.1) */
    size_t lines;    /* number of lines */
    struct buf text; /* each line's text after "NNN-"/"NNN ", '\n'-separated */
};

void smtp_reply_parsed_init(struct smtp_reply_parsed *reply);
void smtp_reply_parsed_release(struct smtp_reply_parsed *reply);

/*
 * Parses the first reply in data[0..len). Lines end in "\r\n" or a bare
 * "\n"; every line starts with the same three-digit code, followed by '-'
 * (more lines follow), ' ' or the end of the line (the last line). On OK,
 * *used is the number of bytes of the reply and reply holds it; on
 * NEED_MORE and BAD, reply is unspecified and err (may be NULL) says why
 * for BAD. NEED_MORE is only returned while every byte seen could still
 * start a valid reply within the limits, so a caller's buffer never needs
 * to hold more than max_lines * (max_line + 2) bytes.
 */
enum smtp_reply_parse_status smtp_reply_parse(const char *data, size_t len,
                                              const struct smtp_reply_limits *lim,
                                              struct smtp_reply_parsed *reply, size_t *used,
                                              struct buf *err);

/* For an EHLO/LHLO reply: 1 if a line after the first starts with keyword
 * (any case) followed by a space or the end of the line, else 0. */
int smtp_reply_has_ext(const struct smtp_reply_parsed *reply, const char *keyword);

#endif
