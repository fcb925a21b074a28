/*
 * smtp_cmd.h - the SMTP command line parser: verb recognition, argument
 * words, and the per-verb argument syntax with Postfix's exact replies.
 *
 * smtpd reads a line with stream_read_line(line_length_limit) (the rest of
 * an over-long line is dropped by the caller, which logs "request longer
 * than N"), then calls smtp_cmd_parse(). Sequence checks (503) belong to
 * smtpd and come first; then the argument checks here. Pure code: replies
 * are left in buffers without CRLF, nothing is logged or sent.
 */
#ifndef POSTERN_SMTP_SMTP_CMD_H
#define POSTERN_SMTP_SMTP_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum smtp_verb {
    SMTP_VERB_NONE = 0, /* nothing recognised (see smtp_cmd_parse's result) */
    SMTP_VERB_EHLO,
    SMTP_VERB_HELO,
    SMTP_VERB_MAIL,
    SMTP_VERB_RCPT,
    SMTP_VERB_DATA,
    SMTP_VERB_BDAT,
    SMTP_VERB_RSET,
    SMTP_VERB_NOOP,
    SMTP_VERB_QUIT,
    SMTP_VERB_VRFY,
    SMTP_VERB_ETRN,
    SMTP_VERB_HELP,
    SMTP_VERB_STARTTLS,
    SMTP_VERB_AUTH,
    SMTP_VERB_XCLIENT,
    SMTP_VERB_XFORWARD
};

enum smtp_cmd_status {
    SMTP_CMD_OK = 0,   /* a known verb; args split */
    SMTP_CMD_EMPTY,    /* empty or blank line: "500 5.5.2 Error: bad syntax" */
    SMTP_CMD_UNKNOWN,  /* "500 5.5.2 Error: command not recognized" */
    SMTP_CMD_BAD_UTF8, /* NUL or malformed UTF-8: "500 5.5.2 Error: bad UTF-8 syntax" */
    SMTP_CMD_BAD_NUL   /* NUL with SMTPUTF8 off: "500 5.5.2 Error: bad syntax" */
};

struct smtp_cmd_opts {
    int smtputf8_enable; /* smtputf8_enable: 8-bit commands must be valid UTF-8 */
    int help_enable;     /* Postfix 3.7 has no HELP: 0 answers it as unknown */
};

struct smtp_cmd {
    enum smtp_verb verb;
    struct buf text;  /* the line without CRLF / LF, trailing blanks removed */
    struct buf words; /* private: text split into NUL-separated words */
    char **argv;      /* argv[0] is the verb as sent; points into words */
    size_t argc;
    size_t argv_cap;
    const char *rest; /* text after the verb and its blanks (HELO name, ETRN arg) */
    int bare_lf;      /* the line ended in LF without CR */
    int truncated;    /* the caller cut the line at line_length_limit */
    struct buf reply; /* the error reply when the result is not SMTP_CMD_OK */
};

void smtp_cmd_init(struct smtp_cmd *cmd);
void smtp_cmd_release(struct smtp_cmd *cmd);

/* Parses one line as read (with or without its LF / CRLF). truncated: the
 * caller had to cut the line. Never fails for lack of memory or length:
 * limits are the caller's (stream_read_line's limit). */
enum smtp_cmd_status smtp_cmd_parse(struct smtp_cmd *cmd, const char *line, size_t len,
                                    int truncated, const struct smtp_cmd_opts *opts);

/* Upper-case name of a verb ("MAIL"), for logs and session counters. */
const char *smtp_verb_name(enum smtp_verb verb);
/* Postfix's junk commands (NOOP VRFY ETRN RSET) count towards
 * smtpd_junk_command_limit. */
int smtp_verb_is_junk(enum smtp_verb verb);

/*
 * Argument syntax of verbs without a dedicated helper (EHLO HELO DATA RSET
 * NOOP QUIT VRFY ETRN STARTTLS AUTH XCLIENT XFORWARD HELP). Returns 0, or
 * -1 with reply set, e.g. "501 Syntax: EHLO hostname" (no enhanced code,
 * like Postfix), "501 5.5.4 Syntax: RSET", "500 Syntax: ETRN domain".
 */
int smtp_cmd_check_args(const struct smtp_cmd *cmd, struct buf *reply);

/*
 * MAIL FROM:<path> / RCPT TO:<path>, also with a blank after the colon.
 * Sets *path / *path_len to the path word and *first_param to the argv
 * index of the first ESMTP parameter. Returns 0, or -1 with reply "501
 * 5.5.4 Syntax: MAIL FROM:<address>" (or RCPT TO:<address>).
 */
int smtp_cmd_path(const struct smtp_cmd *cmd, const char **path, size_t *path_len,
                  size_t *first_param, struct buf *reply);

/* BDAT count [LAST] (RFC 3030). Returns 0, or -1 with reply "521 5.5.4
 * Syntax: BDAT count [LAST]" (smtpd then disconnects, as Postfix). */
int smtp_cmd_bdat(const struct smtp_cmd *cmd, uint64_t *count, int *last, struct buf *reply);

#endif
