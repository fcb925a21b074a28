/*
 * smtp_ext.c - the SMTP client's ESMTP helpers that stand apart from the
 * session state machine (smtp_proto.c): RFC 3461 xtext for the DSN
 * parameters, and the entry points of the next milestone, STARTTLS and
 * SASL AUTH, which smtp_proto.c already calls at their places in the
 * session (after EHLO) and which do nothing yet.
 */
#include "smtp.h"
#include "util/buf.h"

void smtp_xtext_append(struct buf *out, const char *text)
{
    const unsigned char *p;

    /* RFC 3461 4: '+', '=' and anything outside '!'..'~' as +HH. */
    for (p = (const unsigned char *)text; *p; p++) {
        if (*p < '!' || *p > '~' || *p == '+' || *p == '=')
            buf_printf(out, "+%02X", *p);
        else
            buf_append_char(out, *p);
    }
}

int smtp_starttls(struct smtp_session *session, struct buf *why)
{
    /* STARTTLS milestone: smtp_tls_security_level decides; the EHLO reply
     * has already recorded SMTP_FEAT_STARTTLS. Plaintext for now. */
    (void)session;
    (void)why;
    return 0;
}

int smtp_auth(struct smtp_session *session, struct buf *why)
{
    /* AUTH milestone: smtp_sasl_auth_enable with session->auth_mechs. */
    (void)session;
    (void)why;
    return 0;
}
