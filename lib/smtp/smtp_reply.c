/*
 * smtp_reply.c - reply formatting and the EHLO keyword list.
 *
 * Every reply smtpd sends goes through smtp_reply_append(), which owns the
 * wire format: CRLF line ends, "code-" on all but the last line, and no
 * control character from a table or a client ever reaching the wire as a
 * line break. The EHLO keyword order is Postfix's, so clients and tests
 * that compare EHLO replies see the same list.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/smtp_reply.h"

int smtp_reply_dsn_valid(const char *dsn, int code)
{
    const char *s = dsn;
    int part;

    if ((s[0] != '2' && s[0] != '4' && s[0] != '5') || s[0] - '0' != code / 100 || s[1] != '.')
        return 0;
    s += 2;
    for (part = 0; part < 2; part++) {
        size_t n = 0;

        while (s[n] >= '0' && s[n] <= '9')
            n++;
        if (n < 1 || n > 3)
            return 0;
        s += n;
        if (part == 0) {
            if (*s != '.')
                return 0;
            s++;
        }
    }
    return *s == 0;
}

int smtp_reply_append(struct buf *out, int code, const char *dsn, const char *text, int enhanced)
{
    const char *line = text;

    if (code < 200 || code > 599)
        return -1;
    if (dsn != NULL && *dsn != 0 && !smtp_reply_dsn_valid(dsn, code))
        return -1;
    if (!enhanced)
        dsn = NULL;
    for (;;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);

        buf_printf(out, "%03d%c", code, nl ? '-' : ' ');
        if (dsn != NULL && *dsn != 0) {
            buf_append_str(out, dsn);
            if (len > 0)
                buf_append_char(out, ' ');
        }
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)line[i];

            buf_append_char(out, (c < 0x20 || c == 0x7f) ? '?' : c);
        }
        buf_append(out, "\r\n", 2);
        if (nl == NULL)
            break;
        line = nl + 1;
    }
    return 0;
}

int smtp_reply_split(const char *reply, int *code, char *dsn, size_t dsn_size, const char **text)
{
    const char *s;
    size_t n;

    if (reply[0] < '2' || reply[0] > '5' || reply[1] < '0' || reply[1] > '9' || reply[2] < '0' ||
        reply[2] > '9' || (reply[3] != ' ' && reply[3] != 0))
        return -1;
    *code = (reply[0] - '0') * 100 + (reply[1] - '0') * 10 + (reply[2] - '0');
    s = reply[3] ? reply + 4 : reply + 3;
    n = strcspn(s, " ");
    dsn[0] = 0;
    if (n > 0 && n < dsn_size) {
        memcpy(dsn, s, n);
        dsn[n] = 0;
        if (smtp_reply_dsn_valid(dsn, *code)) {
            s += n;
            if (*s == ' ')
                s++;
        } else {
            dsn[0] = 0;
        }
    }
    *text = s;
    return 0;
}

int smtp_reply_append_line(struct buf *out, const char *reply, int enhanced)
{
    char dsn[16];
    const char *text;
    int code;

    if (smtp_reply_split(reply, &code, dsn, sizeof(dsn), &text) < 0)
        return -1;
    return smtp_reply_append(out, code, dsn, text, enhanced);
}

static const struct {
    const char *name;
    uint32_t bit;
} smtp_ehlo_names[] = {
    {"pipelining", SMTP_EHLO_PIPELINING},
    {"size", SMTP_EHLO_SIZE},
    {"vrfy", SMTP_EHLO_VRFY},
    {"etrn", SMTP_EHLO_ETRN},
    {"starttls", SMTP_EHLO_STARTTLS},
    {"auth", SMTP_EHLO_AUTH},
    {"xclient", SMTP_EHLO_XCLIENT},
    {"xforward", SMTP_EHLO_XFORWARD},
    {"enhancedstatuscodes", SMTP_EHLO_ENHANCEDSTATUSCODES},
    {"8bitmime", SMTP_EHLO_8BITMIME},
    {"dsn", SMTP_EHLO_DSN},
    {"smtputf8", SMTP_EHLO_SMTPUTF8},
    {"chunking", SMTP_EHLO_CHUNKING},
    {"silent-discard", SMTP_EHLO_SILENT},
};

#define SMTP_EHLO_NNAMES (sizeof(smtp_ehlo_names) / sizeof(smtp_ehlo_names[0]))

uint32_t smtp_ehlo_discard_mask(const char *list)
{
    uint32_t mask = 0;
    const char *s = list;

    while (*s) {
        size_t n;

        s += strspn(s, " \t\r\n,");
        n = strcspn(s, " \t\r\n,");
        for (size_t i = 0; n > 0 && i < SMTP_EHLO_NNAMES; i++) {
            if (strlen(smtp_ehlo_names[i].name) == n &&
                strncasecmp(s, smtp_ehlo_names[i].name, n) == 0)
                mask |= smtp_ehlo_names[i].bit;
        }
        s += n;
    }
    return mask;
}

uint32_t smtp_ehlo_build(struct buf *out, const struct smtp_ehlo_opts *opts)
{
    uint32_t offer = SMTP_EHLO_PIPELINING | SMTP_EHLO_SIZE | SMTP_EHLO_ETRN |
                     SMTP_EHLO_ENHANCEDSTATUSCODES | SMTP_EHLO_8BITMIME | SMTP_EHLO_DSN |
                     SMTP_EHLO_CHUNKING;
    struct buf text = BUF_INIT;
    uint32_t sent = 0;
    char size[32];

    if (!opts->disable_vrfy)
        offer |= SMTP_EHLO_VRFY;
    if (opts->smtputf8_enable)
        offer |= SMTP_EHLO_SMTPUTF8;
    offer |= opts->offer &
             (SMTP_EHLO_STARTTLS | SMTP_EHLO_AUTH | SMTP_EHLO_XCLIENT | SMTP_EHLO_XFORWARD);
    offer &= ~(opts->discard & ~SMTP_EHLO_SILENT);
    buf_append_str(&text, opts->hostname);
    for (size_t i = 0; i < SMTP_EHLO_NNAMES; i++) {
        uint32_t bit = smtp_ehlo_names[i].bit;

        if (!(offer & bit))
            continue;
        sent |= bit;
        buf_append_char(&text, '\n');
        switch (bit) {
        case SMTP_EHLO_SIZE:
            if (opts->size_limit > 0) {
                snprintf(size, sizeof(size), "SIZE %lld", (long long)opts->size_limit);
                buf_append_str(&text, size);
            } else {
                buf_append_str(&text, "SIZE");
            }
            break;
        case SMTP_EHLO_AUTH:
            buf_printf(&text, "AUTH %s", opts->auth_mechs ? opts->auth_mechs : "");
            if (opts->auth_compat)
                buf_printf(&text, "\nAUTH=%s", opts->auth_mechs ? opts->auth_mechs : "");
            break;
        case SMTP_EHLO_XCLIENT:
            buf_append_str(&text, "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN "
                                  "DESTADDR DESTPORT");
            break;
        case SMTP_EHLO_XFORWARD:
            buf_append_str(&text, "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT");
            break;
        default:
            for (const char *s = smtp_ehlo_names[i].name; *s; s++)
                buf_append_char(&text, (*s >= 'a' && *s <= 'z') ? *s - 'a' + 'A' : *s);
        }
    }
    smtp_reply_append(out, 250, NULL, buf_str(&text), 0);
    buf_release(&text);
    return sent;
}
