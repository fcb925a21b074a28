/*
 * smtp_addr.h - RFC 5321 path parsing for MAIL FROM:<...> and RCPT TO:<...>,
 * and the external (quoted) <-> internal (unquoted) address forms.
 *
 * Called by smtpd on the path token that smtp_cmd_path() extracted, and by
 * the relay checks that look at the parsed address. Pure code: no I/O, no
 * configuration globals; every limit and switch is an argument. Invariants:
 * the internal form never contains a NUL, and is valid UTF-8 when it is not
 * ASCII; the parser never accepts unquoted space or control characters.
 */
#ifndef POSTERN_SMTP_SMTP_ADDR_H
#define POSTERN_SMTP_SMTP_ADDR_H

#include <stddef.h>

#include "util/buf.h"

/* Parser switches (smtp_addr_parse flags). */
#define SMTP_ADDR_STRICT  (1 << 0) /* strict_rfc821_envelopes = yes: <> required, RFC grammar */
#define SMTP_ADDR_UTF8    (1 << 1) /* UTF-8 allowed (smtputf8_enable and, if strict, requested) */
#define SMTP_ADDR_NULL_OK (1 << 2) /* <> is acceptable (MAIL FROM; never RCPT TO) */

/* Properties of a parsed internal-form address (smtp_addr_inspect). */
#define SMTP_ADDR_F_NULL        (1 << 0) /* the null address <> */
#define SMTP_ADDR_F_NO_DOMAIN   (1 << 1) /* no @domain part ("postmaster") */
#define SMTP_ADDR_F_PERCENT     (1 << 2) /* '%' in the local part (user%other@here) */
#define SMTP_ADDR_F_BANG        (1 << 3) /* '!' in the local part (other!user@here) */
#define SMTP_ADDR_F_AT_LOCAL    (1 << 4) /* '@' in the local part ("user@other"@here) */
#define SMTP_ADDR_F_TRAIL_DOT   (1 << 5) /* local part or domain ends in '.' */
#define SMTP_ADDR_F_LITERAL     (1 << 6) /* domain is an address literal [..] */
#define SMTP_ADDR_F_8BIT        (1 << 7) /* non-ASCII (UTF-8) somewhere */
#define SMTP_ADDR_F_EMPTY_LOCAL (1 << 8) /* "@domain": empty local part */

struct smtp_addr {
    struct buf internal; /* unquoted local part [@domain]; "" for <> */
    int routed;          /* a source route (@a,@b:) was present and removed */
    int flags;           /* SMTP_ADDR_F_* of internal */
};

void smtp_addr_init(struct smtp_addr *addr);
void smtp_addr_release(struct smtp_addr *addr);

/*
 * Parses one path as sent after "FROM:" or "TO:" (with or without angle
 * brackets, see SMTP_ADDR_STRICT). max_len (0: no limit) bounds the path
 * length in bytes. Returns 0 and fills addr, or -1 on a syntax error (the
 * caller answers "501 5.1.7 Bad sender address syntax" or "501 5.1.3 Bad
 * recipient address syntax").
 */
int smtp_addr_parse(struct smtp_addr *addr, const char *path, size_t len, int flags,
                    size_t max_len);

/* Internal -> external form: the local part is quoted when it is not a
 * dot-atom (RFC 5321 4.1.2). The last '@' separates the domain. Appends to out. */
void smtp_addr_externalize(struct buf *out, const char *internal);
/* External -> internal form: quotes and backslash escapes of the local part
 * are removed. Returns 0, or -1 if ext is not a syntactically valid address. */
int smtp_addr_internalize(struct buf *out, const char *ext);

/* Relay-check helpers on an internal-form address. */
const char *smtp_addr_domain(const char *internal); /* after the last '@', or NULL */
size_t smtp_addr_local_len(const char *internal);   /* bytes before the last '@' */
int smtp_addr_inspect(const char *internal);        /* SMTP_ADDR_F_* bits */
/* Copies the domain without trailing dots, lower-cased (ASCII), to out;
 * returns 0, or -1 if there is no domain. */
int smtp_addr_domain_key(struct buf *out, const char *internal);

/* 1 if data[0..len) is well-formed UTF-8 without NUL, overlongs, surrogates. */
int smtp_utf8_valid(const char *data, size_t len);

#endif
