/*
 * smtp_reply.h - SMTP reply formatting (RFC 5321 4.2, enhanced status codes
 * RFC 2034/3463) and the EHLO keyword list.
 *
 * smtpd builds every reply here so that multi-line replies, the optional
 * enhanced code and smtpd_discard_ehlo_keywords are handled in one place.
 * Output is wire format: each line ends in CRLF. Pure code; the caller
 * passes configuration values in.
 */
#ifndef POSTERN_SMTP_SMTP_REPLY_H
#define POSTERN_SMTP_SMTP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/*
 * Appends a reply: code (200-599), dsn ("2.1.0", or NULL/"" for none) and
 * text, which may hold '\n' to make a multi-line reply ("250-a", "250 b").
 * With enhanced == 0 (ENHANCEDSTATUSCODES discarded) the dsn is left out.
 * Control characters in text are replaced by '?' so that a reply can never
 * inject a line. Returns -1 (and appends nothing) for a bad code or dsn.
 */
int smtp_reply_append(struct buf *out, int code, const char *dsn, const char *text, int enhanced);

/* Checks "class.subject.detail" (RFC 3463 2: class 2/4/5, 1-3 and 1-3
 * digits). The class must match the reply code's first digit. */
int smtp_reply_dsn_valid(const char *dsn, int code);

/* Splits a one-line reply "550 5.1.1 text" (as the parsers here leave them)
 * into its parts; 0 or -1. dsn is "" when the reply has none. */
int smtp_reply_split(const char *reply, int *code, char *dsn, size_t dsn_size, const char **text);

/* Appends a one-line reply from a parser ("501 5.5.4 Syntax: RSET") in
 * wire form, dropping the enhanced code when enhanced is 0. */
int smtp_reply_append_line(struct buf *out, const char *reply, int enhanced);

/* EHLO keywords (the smtpd_discard_ehlo_keywords names, lower case). */
#define SMTP_EHLO_PIPELINING          (1u << 0)
#define SMTP_EHLO_SIZE                (1u << 1)
#define SMTP_EHLO_VRFY                (1u << 2)
#define SMTP_EHLO_ETRN                (1u << 3)
#define SMTP_EHLO_STARTTLS            (1u << 4)
#define SMTP_EHLO_AUTH                (1u << 5)
#define SMTP_EHLO_ENHANCEDSTATUSCODES (1u << 6)
#define SMTP_EHLO_8BITMIME            (1u << 7)
#define SMTP_EHLO_DSN                 (1u << 8)
#define SMTP_EHLO_SMTPUTF8            (1u << 9)
#define SMTP_EHLO_CHUNKING            (1u << 10)
#define SMTP_EHLO_XCLIENT             (1u << 11)
#define SMTP_EHLO_XFORWARD            (1u << 12)
#define SMTP_EHLO_SILENT              (1u << 31) /* "silent-discard": do not log */

/*
 * Parses a smtpd_discard_ehlo_keywords value (blank/comma separated, case
 * insensitive) into a mask. Unknown keywords are ignored, as Postfix does;
 * "silent-discard" sets SMTP_EHLO_SILENT.
 */
uint32_t smtp_ehlo_discard_mask(const char *list);

struct smtp_ehlo_opts {
    const char *hostname;   /* myhostname: first line */
    int64_t size_limit;     /* message_size_limit: "SIZE n", 0 gives "SIZE" */
    int disable_vrfy;       /* disable_vrfy_command */
    int smtputf8_enable;    /* smtputf8_enable */
    uint32_t offer;         /* extra keywords to offer: STARTTLS, AUTH, XCLIENT, XFORWARD */
    const char *auth_mechs; /* "PLAIN LOGIN" for AUTH, when SMTP_EHLO_AUTH is offered */
    int auth_compat;        /* broken_sasl_auth_clients: also "AUTH=mechs" */
    uint32_t discard;       /* smtp_ehlo_discard_mask() of smtpd_discard_ehlo_keywords */
};

/* Appends the EHLO reply (250-host ... 250 LAST). Returns the mask of the
 * keywords actually advertised (smtpd remembers it: a keyword not offered
 * must not be honoured either, e.g. no enhanced codes without
 * ENHANCEDSTATUSCODES). */
uint32_t smtp_ehlo_build(struct buf *out, const struct smtp_ehlo_opts *opts);

#endif
