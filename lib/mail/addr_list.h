/*
 * addr_list.h - RFC 5322 address lists from header values (To, Cc, From,
 * Resent-*, ...), as cleanup needs them for sendmail -t recipient
 * extraction and (later) header address rewriting.
 *
 * The parser is tolerant, like a mail system must be: display names, angle
 * addresses, quoted local parts, nested comments, groups, obsolete routes
 * (<@a,@b:user@x> gives user@x) and bare addresses are understood; stray
 * junk is skipped without losing the valid addresses around it. Addresses
 * come out in the internal form: quotes and backslash escapes removed
 * ("a b"@x is a b@x); addr_quote_external() turns that back into RFC 5322
 * syntax. It never reads outside [data, data + len) and never allocates
 * more than a small multiple of len.
 */
#ifndef POSTERN_MAIL_ADDR_LIST_H
#define POSTERN_MAIL_ADDR_LIST_H

#include <stddef.h>

#include "util/buf.h"

struct addr_item {
    char *addr;    /* internal form; "" for the null address <> */
    char *display; /* display name (quotes removed, blanks collapsed), or "" */
    int angle;     /* 1 when written as <addr> */
};

struct addr_list {
    struct addr_item *items;
    size_t count;
    size_t cap;
};

void addr_list_init(struct addr_list *list);
/* Frees the items; the list may be reused. */
void addr_list_free(struct addr_list *list);

/*
 * Appends the addresses in the header value data/len (folds included) to
 * list. At most token_limit tokens are looked at (header_address_token_limit;
 * 0 means no limit): the rest of the value, and the list member the limit
 * cut short, are ignored. NUL bytes count as
 * white space. Group names are not addresses: "undisclosed-recipients:;"
 * gives none. Returns the number of addresses appended.
 */
size_t addr_list_parse(struct addr_list *list, const char *data, size_t len, size_t token_limit);

/* Appends addr (internal form) to out in RFC 5322 form: the local part (up
 * to the last '@') is quoted when it is not a dot-atom. */
void addr_quote_external(struct buf *out, const char *addr);
/* Appends a display name: as is when it is words of atext separated by
 * single spaces, else as a quoted-string. */
void addr_quote_phrase(struct buf *out, const char *phrase);

#endif
