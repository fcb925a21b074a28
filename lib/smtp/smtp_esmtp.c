/*
 * smtp_esmtp.c - MAIL/RCPT ESMTP parameter parser and xtext codec.
 *
 * smtpd calls it after the path was accepted; parameters are handled left
 * to right and the first bad one decides the reply, as Postfix does. The
 * reply texts follow Postfix 3.7 on the wire (note the "Error: " that only
 * the RCPT parameter replies carry). A repeated parameter is refused with
 * that parameter's syntax reply, so a second RET= or NOTIFY= can never
 * silently override the first. Pure code: never logs, never reads config.
 */
#include <string.h>
#include <strings.h>

#include "smtp/smtp_esmtp.h"
#include "util/buf.h"

void smtp_mail_params_init(struct smtp_mail_params *p)
{
    memset(p, 0, sizeof(*p));
    buf_init(&p->envid);
    buf_init(&p->auth);
}

void smtp_mail_params_release(struct smtp_mail_params *p)
{
    buf_release(&p->envid);
    buf_release(&p->auth);
}

void smtp_rcpt_params_init(struct smtp_rcpt_params *p)
{
    memset(p, 0, sizeof(*p));
    buf_init(&p->orcpt_type);
    buf_init(&p->orcpt_addr);
}

void smtp_rcpt_params_release(struct smtp_rcpt_params *p)
{
    buf_release(&p->orcpt_type);
    buf_release(&p->orcpt_addr);
}

static int smtp_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int smtp_xtext_decode(struct buf *out, const char *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == '+') {
            int hi, lo;

            if (len - i < 3 || (hi = smtp_hex_value((unsigned char)in[i + 1])) < 0 ||
                (lo = smtp_hex_value((unsigned char)in[i + 2])) < 0 || (hi == 0 && lo == 0))
                return -1;
            buf_append_char(out, hi * 16 + lo);
            i += 2;
        } else if (c < 0x21 || c > 0x7e || c == '=') {
            return -1;
        } else {
            buf_append_char(out, c);
        }
    }
    return 0;
}

void smtp_xtext_encode(struct buf *out, const char *in, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c < 0x21 || c > 0x7e || c == '+' || c == '=') {
            buf_append_char(out, '+');
            buf_append_char(out, hex[c >> 4]);
            buf_append_char(out, hex[c & 15]);
        } else {
            buf_append_char(out, c);
        }
    }
}

int smtp_dsn_notify_parse(const char *value)
{
    static const struct {
        const char *name;
        int bit;
    } words[] = {{"NEVER", SMTP_DSN_NOTIFY_NEVER},
                 {"SUCCESS", SMTP_DSN_NOTIFY_SUCCESS},
                 {"FAILURE", SMTP_DSN_NOTIFY_FAILURE},
                 {"DELAY", SMTP_DSN_NOTIFY_DELAY}};
    const char *s = value;
    int mask = 0;

    for (;;) {
        size_t n = strcspn(s, ",");
        size_t k;

        for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
            if (strlen(words[k].name) == n && strncasecmp(s, words[k].name, n) == 0)
                break;
        }
        if (k == sizeof(words) / sizeof(words[0]))
            return 0;
        mask |= words[k].bit;
        if (s[n] == 0)
            break;
        s += n + 1;
    }
    /* RFC 3461 4.1: NEVER excludes every other value. */
    if ((mask & SMTP_DSN_NOTIFY_NEVER) && mask != SMTP_DSN_NOTIFY_NEVER)
        return 0;
    return mask;
}

/* 1 if all bytes are printable ASCII (RFC 3461 ENVID, ORCPT rfc822). */
static int smtp_esmtp_printable(const struct buf *b)
{
    for (size_t i = 0; i < buf_len(b); i++) {
        unsigned char c = (unsigned char)buf_str(b)[i];

        if (c < 0x20 || c > 0x7e)
            return 0;
    }
    return 1;
}

/* Strict decimal SIZE value; -1 syntax, -2 overflow. */
static int smtp_esmtp_size(const char *v, int64_t *out)
{
    int64_t n = 0;

    if (*v == 0)
        return -1;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return -1;
        if (n > (INT64_MAX - (*v - '0')) / 10) {
            /* Keep checking the syntax of the remaining bytes. */
            while (*v >= '0' && *v <= '9')
                v++;
            return *v ? -1 : -2;
        }
        n = n * 10 + (*v - '0');
    }
    *out = n;
    return 0;
}

static int smtp_esmtp_unsupported(struct buf *reply, const char *arg)
{
    buf_set(reply, "555 5.5.4 Unsupported option: ");
    /* The word is echoed; control bytes never are (no reply injection). */
    for (; *arg; arg++)
        buf_append_char(reply, ((unsigned char)*arg < 0x20 || *arg == 0x7f) ? '?' : *arg);
    return -1;
}

static int smtp_esmtp_fail(struct buf *reply, const char *text)
{
    buf_set(reply, text);
    return -1;
}

int smtp_esmtp_mail(struct smtp_mail_params *p, char *const *argv, size_t argc,
                    const struct smtp_esmtp_opts *opts, struct buf *reply)
{
    int size_overflow = 0;

    smtp_mail_params_release(p);
    smtp_mail_params_init(p);
    for (size_t i = 0; i < argc; i++) {
        const char *arg = argv[i];

        if (strncasecmp(arg, "SIZE=", 5) == 0) {
            int rc;

            if (p->have_size || (rc = smtp_esmtp_size(arg + 5, &p->size)) == -1)
                return smtp_esmtp_fail(reply, "501 5.5.4 Bad message size syntax");
            p->have_size = 1;
            if (rc == -2)
                size_overflow = 1;
        } else if (strncasecmp(arg, "BODY=", 5) == 0) {
            if (p->body != SMTP_BODY_NONE)
                return smtp_esmtp_fail(reply, "501 5.5.4 Bad BODY parameter syntax");
            if (strcasecmp(arg + 5, "8BITMIME") == 0)
                p->body = SMTP_BODY_8BITMIME;
            else if (strcasecmp(arg + 5, "7BIT") == 0)
                p->body = SMTP_BODY_7BIT;
            else
                return smtp_esmtp_unsupported(reply, arg); /* BINARYMIME is not offered */
        } else if (strcasecmp(arg, "SMTPUTF8") == 0 && opts->smtputf8_enable) {
            if (p->smtputf8)
                return smtp_esmtp_fail(reply, "501 5.5.4 Bad SMTPUTF8 parameter syntax");
            p->smtputf8 = 1;
        } else if (strncasecmp(arg, "RET=", 4) == 0) {
            if (p->ret != 0)
                return smtp_esmtp_fail(reply, "501 5.5.4 Bad RET parameter syntax");
            if (strcasecmp(arg + 4, "FULL") == 0)
                p->ret = SMTP_DSN_RET_FULL;
            else if (strcasecmp(arg + 4, "HDRS") == 0)
                p->ret = SMTP_DSN_RET_HDRS;
            else
                return smtp_esmtp_fail(reply, "501 5.5.4 Bad RET parameter syntax");
        } else if (strncasecmp(arg, "ENVID=", 6) == 0) {
            if (p->have_envid || arg[6] == 0 ||
                smtp_xtext_decode(&p->envid, arg + 6, strlen(arg + 6)) < 0 ||
                buf_len(&p->envid) > SMTP_ENVID_MAX || !smtp_esmtp_printable(&p->envid))
                return smtp_esmtp_fail(reply, "501 5.5.4 Bad ENVID parameter syntax");
            p->have_envid = 1;
        } else if (strncasecmp(arg, "AUTH=", 5) == 0) {
            /* RFC 4954 5: recorded; smtpd decides whether to trust it. */
            if (p->have_auth || arg[5] == 0 ||
                (strcmp(arg + 5, "<>") != 0 &&
                 smtp_xtext_decode(&p->auth, arg + 5, strlen(arg + 5)) < 0))
                return smtp_esmtp_fail(reply, "501 5.5.4 Bad AUTH parameter syntax");
            if (strcmp(arg + 5, "<>") == 0)
                buf_set(&p->auth, "<>");
            p->have_auth = 1;
        } else {
            return smtp_esmtp_unsupported(reply, arg);
        }
    }
    if (size_overflow)
        return smtp_esmtp_fail(reply, "552 5.3.4 Message size exceeds file system imposed limit");
    if (p->have_size && opts->size_limit > 0 && p->size > opts->size_limit)
        return smtp_esmtp_fail(reply, "552 5.3.4 Message size exceeds fixed limit");
    return 0;
}

/* ORCPT=addr-type;xtext (RFC 3461 4.2); addr-type is an atom. */
static int smtp_esmtp_orcpt(struct smtp_rcpt_params *p, const char *v)
{
    const char *semi = strchr(v, ';');

    if (semi == NULL || semi == v || strlen(v) > SMTP_ORCPT_MAX || semi[1] == 0)
        return -1;
    for (const char *s = v; s < semi; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-'))
            return -1;
    }
    buf_set_mem(&p->orcpt_type, v, (size_t)(semi - v));
    if (smtp_xtext_decode(&p->orcpt_addr, semi + 1, strlen(semi + 1)) < 0)
        return -1;
    /* "utf-8" addresses (RFC 6533) may hold UTF-8; rfc822 ones may not. */
    if (strcasecmp(buf_str(&p->orcpt_type), "rfc822") == 0 && !smtp_esmtp_printable(&p->orcpt_addr))
        return -1;
    return 0;
}

int smtp_esmtp_rcpt(struct smtp_rcpt_params *p, char *const *argv, size_t argc,
                    const struct smtp_esmtp_opts *opts, struct buf *reply)
{
    (void)opts;
    smtp_rcpt_params_release(p);
    smtp_rcpt_params_init(p);
    for (size_t i = 0; i < argc; i++) {
        const char *arg = argv[i];

        if (strncasecmp(arg, "NOTIFY=", 7) == 0) {
            if (p->notify != 0 || (p->notify = smtp_dsn_notify_parse(arg + 7)) == 0)
                return smtp_esmtp_fail(reply, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
        } else if (strncasecmp(arg, "ORCPT=", 6) == 0) {
            if (p->have_orcpt || smtp_esmtp_orcpt(p, arg + 6) < 0)
                return smtp_esmtp_fail(reply, "501 5.5.4 Error: Bad ORCPT parameter syntax");
            p->have_orcpt = 1;
        } else {
            return smtp_esmtp_unsupported(reply, arg);
        }
    }
    return 0;
}
