/*
 * smtp_addr.c - RFC 5321 path parser and address form conversion.
 *
 * smtpd hands every MAIL FROM / RCPT TO path here; the relay checks use the
 * inspection helpers on the result. By default (strict_rfc821_envelopes =
 * no) the parser is as lenient as Postfix: brackets may be missing or
 * doubled, a local part may hold '@' and loose dots, "<@domain>" passes.
 * It is never lenient about what could change the meaning of an address
 * downstream: unquoted space, control characters, NUL, empty domain labels,
 * malformed literals and (unless allowed) 8-bit bytes are always refused.
 * Pure code: no I/O, no globals.
 */
#include <arpa/inet.h>
#include <string.h>

#include "smtp/smtp_addr.h"
#include "util/buf.h"

#define SMTP_ADDR_LOCAL_MAX  64  /* RFC 5321 4.5.3.1.1, strict mode only */
#define SMTP_ADDR_DOMAIN_MAX 255 /* RFC 5321 4.5.3.1.2 */
#define SMTP_ADDR_LABEL_MAX  63
#define SMTP_ADDR_PATH_MAX   256 /* RFC 5321 4.5.3.1.3, strict mode only */

void smtp_addr_init(struct smtp_addr *addr)
{
    buf_init(&addr->internal);
    addr->routed = 0;
    addr->flags = 0;
}

void smtp_addr_release(struct smtp_addr *addr)
{
    buf_release(&addr->internal);
}

int smtp_utf8_valid(const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t need;
        unsigned long cp;

        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Overlong forms, surrogates and values past U+10FFFF. */
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += need + 1;
    }
    return 1;
}

/* RFC 5322 atext, ASCII part. */
static int smtp_addr_is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int smtp_addr_is_ldh(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* Validates an address literal "[...]" (RFC 5321 4.1.3). */
static int smtp_addr_check_literal(const char *dom, size_t len)
{
    char tmp[64];
    unsigned char bin[16];
    size_t inner;

    if (len < 3 || dom[0] != '[' || dom[len - 1] != ']')
        return -1;
    inner = len - 2;
    if (inner >= sizeof(tmp))
        return -1;
    memcpy(tmp, dom + 1, inner);
    tmp[inner] = 0;
    if (inet_pton(AF_INET, tmp, bin) == 1)
        return 0;
    if (inner > 5 && strncasecmp(tmp, "IPv6:", 5) == 0 && inet_pton(AF_INET6, tmp + 5, bin) == 1)
        return 0;
    return -1;
}

/* Validates a domain (name or literal); sets *trail_dot for "name.". */
static int smtp_addr_check_domain(const char *dom, size_t len, int flags, int *trail_dot)
{
    size_t label = 0;
    int strict = flags & SMTP_ADDR_STRICT;

    *trail_dot = 0;
    if (len == 0 || len > SMTP_ADDR_DOMAIN_MAX)
        return -1;
    if (dom[0] == '[')
        return smtp_addr_check_literal(dom, len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)dom[i];

        if (c == '.') {
            if (label == 0)
                return -1;
            if (strict && dom[i - 1] == '-')
                return -1;
            label = 0;
            if (i == len - 1) {
                /* "user@domain." is a relay-check matter, not a syntax error,
                 * except under strict RFC syntax. */
                if (strict)
                    return -1;
                *trail_dot = 1;
            }
            continue;
        }
        if (smtp_addr_is_ldh(c) || (!strict && c == '_')) {
            if (strict && c == '-' && label == 0)
                return -1;
        } else if (c >= 0x80 && (flags & SMTP_ADDR_UTF8)) {
            /* U-label bytes; the whole path is checked as UTF-8 separately. */
        } else {
            return -1;
        }
        if (++label > SMTP_ADDR_LABEL_MAX)
            return -1;
    }
    if (strict && dom[len - 1] == '-')
        return -1;
    return 0;
}

/* Finds the '@' that separates the domain: the last one outside quotes.
 * Returns its offset, len if there is none, or (size_t)-1 on a bad quote. */
static size_t smtp_addr_find_at(const char *s, size_t len)
{
    size_t at = len;
    int quoted = 0;

    for (size_t i = 0; i < len; i++) {
        if (quoted) {
            if (s[i] == '\\') {
                if (++i >= len)
                    return (size_t)-1;
            } else if (s[i] == '"') {
                quoted = 0;
            }
        } else if (s[i] == '"') {
            quoted = 1;
        } else if (s[i] == '@') {
            at = i;
        }
    }
    return quoted ? (size_t)-1 : at;
}

/*
 * Validates the local part s[0..len) and appends its unquoted form to out.
 * Strict: a dot-string or one quoted-string. Lenient: any run of atext,
 * dots, '@' and quoted segments, as Postfix's RFC 822 tokenizer allows.
 */
static int smtp_addr_local(struct buf *out, const char *s, size_t len, int flags)
{
    int strict = flags & SMTP_ADDR_STRICT;
    int utf8 = flags & SMTP_ADDR_UTF8;
    size_t i = 0;

    if (strict && len > SMTP_ADDR_LOCAL_MAX)
        return -1;
    if (strict && len > 0 && s[0] == '"') {
        if (len < 2 || s[len - 1] != '"')
            return -1;
    }
    while (i < len) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"') {
            if (strict && i != 0)
                return -1;
            for (i++;; i++) {
                if (i >= len)
                    return -1;
                c = (unsigned char)s[i];
                if (c == '"')
                    break;
                if (c == '\\') {
                    if (++i >= len)
                        return -1;
                    c = (unsigned char)s[i];
                }
                if ((c < 0x20 || c == 0x7f) || (c >= 0x80 && !utf8))
                    return -1;
                buf_append_char(out, c);
            }
            i++;
            if (strict && i != len)
                return -1;
            continue;
        }
        if (c == '.') {
            if (strict && (i == 0 || i == len - 1 || s[i - 1] == '.'))
                return -1;
        } else if (c == '@') {
            if (strict)
                return -1;
        } else if (!smtp_addr_is_atext(c) && !(c >= 0x80 && utf8)) {
            return -1;
        }
        buf_append_char(out, c);
        i++;
    }
    return 0;
}

/* Parses "@d1,@d2:" at *p; advances *p past the ':' on success. Returns 1
 * when a route was removed, 0 when p holds "@domain" alone (empty local
 * part), -1 on error. */
static int smtp_addr_route(const char **p, const char *end, int flags)
{
    const char *s = *p;
    int trail;

    while (s < end && *s == '@') {
        const char *d = ++s;

        while (s < end && *s != ',' && *s != ':')
            s++;
        if (s == end) {
            /* "<@domain>" without a mailbox: Postfix takes it as an address
             * with an empty local part; strict syntax refuses it. */
            if ((flags & SMTP_ADDR_STRICT) || d != *p + 1)
                return -1;
            return 0;
        }
        if (smtp_addr_check_domain(d, (size_t)(s - d), flags, &trail) < 0 || trail)
            return -1;
        if (*s == ':') {
            *p = s + 1;
            return 1;
        }
        s++; /* ',' */
    }
    return -1;
}

int smtp_addr_parse(struct smtp_addr *addr, const char *path, size_t len, int flags, size_t max_len)
{
    const char *p = path;
    const char *end = path + len;
    int bracketed = 0;
    size_t at;
    int trail = 0;

    buf_reset(&addr->internal);
    addr->routed = 0;
    addr->flags = 0;
    if ((max_len > 0 && len > max_len) || memchr(path, 0, len) != NULL)
        return -1;
    if ((flags & SMTP_ADDR_STRICT) && len > SMTP_ADDR_PATH_MAX + 2)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)path[i] >= 0x80) {
            if (!(flags & SMTP_ADDR_UTF8) || !smtp_utf8_valid(path, len))
                return -1;
            break;
        }
    }
    /* Angle brackets: one pair when strict; any number of pairs, or none,
     * otherwise (Postfix accepts MAIL FROM:<<a@b>> and MAIL FROM:a@b). */
    while (end - p >= 2 && *p == '<' && end[-1] == '>') {
        p++;
        end--;
        bracketed++;
        if (flags & SMTP_ADDR_STRICT)
            break;
    }
    if (bracketed == 0 && (flags & SMTP_ADDR_STRICT))
        return -1;
    if (p == end) {
        if (bracketed == 0 || !(flags & SMTP_ADDR_NULL_OK))
            return -1;
        addr->flags = SMTP_ADDR_F_NULL;
        return 0;
    }
    if (*p == '@') {
        const char *start = p;
        int rc = smtp_addr_route(&p, end, flags);

        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (smtp_addr_check_domain(start + 1, (size_t)(end - start - 1), flags, &trail) < 0)
                return -1;
            buf_append(&addr->internal, start, (size_t)(end - start));
            addr->flags = smtp_addr_inspect(buf_str(&addr->internal));
            return 0;
        }
        addr->routed = 1;
        if (p == end)
            return -1;
    }
    at = smtp_addr_find_at(p, (size_t)(end - p));
    if (at == (size_t)-1)
        return -1;
    if (smtp_addr_local(&addr->internal, p, at, flags) < 0)
        return -1;
    if (at == (size_t)(end - p)) {
        /* No domain: Postfix appends $myorigin later; RFC 5321 allows only
         * "Postmaster" (4.1.1.3). */
        if (at == 0)
            return -1;
        /* "<\"a@b\">" would read as a@b in internal form: refuse it. */
        if (strchr(buf_str(&addr->internal), '@') != NULL)
            return -1;
        if ((flags & SMTP_ADDR_STRICT) && strcasecmp(buf_str(&addr->internal), "postmaster") != 0)
            return -1;
    } else {
        if (at == 0 && (flags & SMTP_ADDR_STRICT))
            return -1;
        if (smtp_addr_check_domain(p + at + 1, (size_t)(end - p) - at - 1, flags, &trail) < 0)
            return -1;
        buf_append_char(&addr->internal, '@');
        buf_append(&addr->internal, p + at + 1, (size_t)(end - p) - at - 1);
    }
    addr->flags = smtp_addr_inspect(buf_str(&addr->internal));
    return 0;
}

const char *smtp_addr_domain(const char *internal)
{
    const char *at = strrchr(internal, '@');

    return at ? at + 1 : NULL;
}

size_t smtp_addr_local_len(const char *internal)
{
    const char *at = strrchr(internal, '@');

    return at ? (size_t)(at - internal) : strlen(internal);
}

int smtp_addr_inspect(const char *internal)
{
    size_t local = smtp_addr_local_len(internal);
    const char *dom = smtp_addr_domain(internal);
    int f = 0;

    if (*internal == 0)
        return SMTP_ADDR_F_NULL;
    if (dom == NULL)
        f |= SMTP_ADDR_F_NO_DOMAIN;
    else if (local == 0)
        f |= SMTP_ADDR_F_EMPTY_LOCAL;
    for (size_t i = 0; i < local; i++) {
        if (internal[i] == '%')
            f |= SMTP_ADDR_F_PERCENT;
        else if (internal[i] == '!')
            f |= SMTP_ADDR_F_BANG;
        else if (internal[i] == '@')
            f |= SMTP_ADDR_F_AT_LOCAL;
    }
    if (local > 0 && internal[local - 1] == '.')
        f |= SMTP_ADDR_F_TRAIL_DOT;
    if (dom != NULL) {
        size_t dl = strlen(dom);

        if (dl > 0 && dom[dl - 1] == '.')
            f |= SMTP_ADDR_F_TRAIL_DOT;
        if (dom[0] == '[')
            f |= SMTP_ADDR_F_LITERAL;
    }
    for (const char *s = internal; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            f |= SMTP_ADDR_F_8BIT;
            break;
        }
    }
    return f;
}

int smtp_addr_domain_key(struct buf *out, const char *internal)
{
    const char *dom = smtp_addr_domain(internal);
    size_t len;

    buf_reset(out);
    if (dom == NULL)
        return -1;
    len = strlen(dom);
    while (len > 0 && dom[len - 1] == '.')
        len--;
    for (size_t i = 0; i < len; i++) {
        char c = dom[i];

        buf_append_char(out, (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    }
    return 0;
}

/* 1 if s[0..len) may go unquoted: a dot-atom (RFC 5322 3.2.3), UTF-8 allowed. */
static int smtp_addr_is_dot_atom(const char *s, size_t len)
{
    if (len == 0 || s[0] == '.' || s[len - 1] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '.') {
            if (s[i - 1] == '.')
                return 0;
        } else if (!smtp_addr_is_atext(c) && c < 0x80) {
            return 0;
        }
    }
    return 1;
}

void smtp_addr_externalize(struct buf *out, const char *internal)
{
    size_t local = smtp_addr_local_len(internal);

    if (*internal == 0)
        return;
    if (smtp_addr_is_dot_atom(internal, local)) {
        buf_append(out, internal, local);
    } else {
        buf_append_char(out, '"');
        for (size_t i = 0; i < local; i++) {
            if (internal[i] == '"' || internal[i] == '\\')
                buf_append_char(out, '\\');
            buf_append_char(out, internal[i]);
        }
        buf_append_char(out, '"');
    }
    buf_append_str(out, internal + local);
}

int smtp_addr_internalize(struct buf *out, const char *ext)
{
    struct smtp_addr addr;
    int rc = 0;

    if (*ext == 0)
        return 0;
    smtp_addr_init(&addr);
    if (smtp_addr_parse(&addr, ext, strlen(ext), SMTP_ADDR_UTF8, 0) < 0 || addr.routed)
        rc = -1;
    else
        buf_append(out, buf_str(&addr.internal), buf_len(&addr.internal));
    smtp_addr_release(&addr);
    return rc;
}
