/*
 * smtp_esmtp.h - ESMTP parameters of MAIL FROM and RCPT TO (RFC 1870 SIZE,
 * 6152 BODY, 6531 SMTPUTF8, 3461 DSN RET/ENVID/NOTIFY/ORCPT, 4954 AUTH) and
 * the xtext encoding (RFC 3461 section 4).
 *
 * Called by smtpd with the words that follow the path. On a bad parameter
 * the exact Postfix reply (501/552/555 ...) is left in the caller's buffer,
 * without CRLF. Pure code: limits and switches are arguments.
 */
#ifndef POSTERN_SMTP_SMTP_ESMTP_H
#define POSTERN_SMTP_SMTP_ESMTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* BODY= values. */
enum smtp_body { SMTP_BODY_NONE = 0, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };

/* DSN values; the same numbers as lib/mail/cleanup_proto.h (DSN_NOTIFY_*,
 * DSN_RET_*), so smtpd passes them through unchanged. */
#define SMTP_DSN_NOTIFY_NEVER   (1 << 0)
#define SMTP_DSN_NOTIFY_SUCCESS (1 << 1)
#define SMTP_DSN_NOTIFY_FAILURE (1 << 2)
#define SMTP_DSN_NOTIFY_DELAY   (1 << 3)
#define SMTP_DSN_RET_FULL       1
#define SMTP_DSN_RET_HDRS       2

#define SMTP_ENVID_MAX 100 /* RFC 3461 4.4: decoded ENVID */
#define SMTP_ORCPT_MAX 500 /* RFC 3461 4.2: whole ORCPT value */

struct smtp_esmtp_opts {
    int64_t size_limit;  /* message_size_limit; 0: none */
    int smtputf8_enable; /* smtputf8_enable */
};

struct smtp_mail_params {
    int have_size;
    int64_t size; /* SIZE=, valid when have_size */
    enum smtp_body body;
    int smtputf8;
    int ret; /* SMTP_DSN_RET_*, 0 if not given */
    int have_envid;
    struct buf envid; /* decoded ENVID */
    int have_auth;
    struct buf auth; /* decoded AUTH= mailbox, or "<>" */
};

struct smtp_rcpt_params {
    int notify; /* SMTP_DSN_NOTIFY_* bits, 0 if not given */
    int have_orcpt;
    struct buf orcpt_type; /* "rfc822", "utf-8", ... as sent */
    struct buf orcpt_addr; /* decoded address */
};

void smtp_mail_params_init(struct smtp_mail_params *p);
void smtp_mail_params_release(struct smtp_mail_params *p);
void smtp_rcpt_params_init(struct smtp_rcpt_params *p);
void smtp_rcpt_params_release(struct smtp_rcpt_params *p);

/* Parses argv[0..argc) (the words after the MAIL FROM path). Returns 0, or
 * -1 with reply set to e.g. "555 5.5.4 Unsupported option: FOO" or "552
 * 5.3.4 Message size exceeds fixed limit". p is reset first. */
int smtp_esmtp_mail(struct smtp_mail_params *p, char *const *argv, size_t argc,
                    const struct smtp_esmtp_opts *opts, struct buf *reply);
/* The same for RCPT TO (NOTIFY=, ORCPT=). */
int smtp_esmtp_rcpt(struct smtp_rcpt_params *p, char *const *argv, size_t argc,
                    const struct smtp_esmtp_opts *opts, struct buf *reply);

/* xtext (RFC 3461 4). Decoding accepts "+hh" in either case, refuses a
 * decoded NUL, and appends to out; 0 or -1 (out then holds garbage). */
int smtp_xtext_decode(struct buf *out, const char *in, size_t len);
void smtp_xtext_encode(struct buf *out, const char *in, size_t len);

/* Parses a NOTIFY= value: returns the SMTP_DSN_NOTIFY_* mask or 0 if bad. */
int smtp_dsn_notify_parse(const char *value);

#endif
