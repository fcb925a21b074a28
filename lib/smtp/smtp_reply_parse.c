/*
 * smtp_reply_parse.c - incremental SMTP reply parser (see
 * smtp_reply_parse.h).
 *
 * Called by daemons/smtp and smtp-blast's read handler with the unparsed part of a
 * session's input. It must never read past len, never keep state between
 * calls (a reply is parsed again from its start when more data arrives; a
 * reply is a few hundred bytes, so this costs less than a state machine's
 * bookkeeping) and never accept a reply whose lines disagree on the code.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "smtp/smtp_reply_parse.h"

void smtp_reply_parsed_init(struct smtp_reply_parsed *reply)
{
    reply->code = 0;
    reply->lines = 0;
    buf_init(&reply->text);
}

void smtp_reply_parsed_release(struct smtp_reply_parsed *reply)
{
    buf_release(&reply->text);
}

static enum smtp_reply_parse_status smtp_reply_parse_bad(struct buf *err, const char *why,
                                                         size_t line)
{
    if (err != NULL)
        buf_printf(err, "malformed reply: line %zu: %s", line, why);
    return SMTP_REPLY_PARSE_BAD;
}

/* Checks the start of a line (n bytes, n may be short of a full line, no
 * line end included). Returns the code, 0 while too short to know, -1 bad. */
static int smtp_reply_parse_line_code(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < 3 && i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return -1;
    }
    if (n >= 1 && (p[0] < '2' || p[0] > '5'))
        return -1;
    if (n >= 2 && p[1] > '5')
        return -1;
    if (n > 3 && p[3] != '-' && p[3] != ' ')
        return -1;
    if (n < 3)
        return 0;
    return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

enum smtp_reply_parse_status smtp_reply_parse(const char *data, size_t len,
                                              const struct smtp_reply_limits *lim,
                                              struct smtp_reply_parsed *reply, size_t *used,
                                              struct buf *err)
{
    size_t pos = 0, lineno = 0;
    const char *first = NULL; /* the first line, whose code every line repeats */

    if (err != NULL)
        buf_reset(err);
    reply->code = 0;
    reply->lines = 0;
    buf_reset(&reply->text);
    for (;;) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - line) : len - pos;
        int c;

        lineno++;
        if (lineno > lim->max_lines)
            return smtp_reply_parse_bad(err, "too many lines", lineno);
        /* A partial line's last CR may be the start of its CRLF. */
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n > lim->max_line)
            return smtp_reply_parse_bad(err, "line too long", lineno);
        c = smtp_reply_parse_line_code(line, n);
        if (c < 0)
            return smtp_reply_parse_bad(err, "not a reply code", lineno);
        if (first != NULL && memcmp(line, first, n < 3 ? n : 3) != 0)
            return smtp_reply_parse_bad(err, "code differs from the first line", lineno);
        /* A continuation on the last allowed line can never end in time. */
        if (n > 3 && line[3] == '-' && lineno == lim->max_lines)
            return smtp_reply_parse_bad(err, "too many lines", lineno);
        if (nl == NULL)
            return SMTP_REPLY_PARSE_NEED_MORE;
        if (c == 0)
            return smtp_reply_parse_bad(err, "line shorter than a reply code", lineno);
        if (memchr(line, '\r', n) != NULL || memchr(line, '\0', n) != NULL)
            return smtp_reply_parse_bad(err, "CR or NUL inside a line", lineno);
        if (first == NULL)
            first = line;
        if (reply->lines > 0)
            buf_append_char(&reply->text, '\n');
        if (n > 4)
            buf_append(&reply->text, line + 4, n - 4);
        reply->lines++;
        pos = (size_t)(nl - data) + 1;
        if (n == 3 || line[3] == ' ') {
            reply->code = c;
            *used = pos;
            return SMTP_REPLY_PARSE_OK;
        }
        if (pos == len)
            return SMTP_REPLY_PARSE_NEED_MORE;
    }
}

int smtp_reply_has_ext(const struct smtp_reply_parsed *reply, const char *keyword)
{
    const char *p = buf_str(&reply->text);
    size_t klen = strlen(keyword);

    /* The first line is the greeting text, never an extension. */
    p = strchr(p, '\n');
    while (p != NULL) {
        p++;
        if (strncasecmp(p, keyword, klen) == 0 &&
            (p[klen] == ' ' || p[klen] == '\n' || p[klen] == '\0'))
            return 1;
        p = strchr(p, '\n');
    }
    return 0;
}
