/*
 * rewrite.h - address rewriting as cleanup does it (and smtpd's address
 * handling will): canonicalisation of incomplete addresses (swap_bangpath,
 * allow_percent_hack, @$myorigin, .$mydomain), canonical_maps and its
 * sender/recipient variants per class, masquerading, virtual alias
 * expansion, and the rewriting of the addresses inside a header value.
 *
 * A struct rewrite_config holds the opened tables and parsed lists; it is
 * built once per process (rewrite_config_from_params() or the setters for
 * tests) and only read afterwards. Functions never touch a queue file and
 * never log lookups that succeed; a table's temporary error comes back as
 * REWRITE_ERROR so that the caller can defer the message.
 */
#ifndef POSTERN_MAIL_REWRITE_H
#define POSTERN_MAIL_REWRITE_H

#include <stddef.h>

#include "dict/dict.h"
#include "mail/addr_list.h"
#include "util/buf.h"

/* Address classes (canonical_classes, masquerade_classes). */
#define REWRITE_ENV_SENDER 0x1
#define REWRITE_ENV_RCPT   0x2
#define REWRITE_HDR_SENDER 0x4
#define REWRITE_HDR_RCPT   0x8

#define REWRITE_OK    0
#define REWRITE_ERROR (-1) /* a table lookup failed: try again later */

struct rewrite_maps {
    struct dict **dicts;
    size_t count;
};

struct rewrite_config {
    struct rewrite_maps canonical, sender_canonical, recipient_canonical, virtual_alias;
    int canonical_classes, sender_classes, recipient_classes, masq_classes;
    char **masq_domains; /* in order; a leading '!' marks an exception */
    size_t masq_count;
    char **masq_exceptions; /* lower-case local parts */
    size_t masq_exc_count;
    int propagate_canonical, propagate_virtual; /* propagate_unmatched_extensions */
    char *delims;                               /* recipient_delimiter */
    char *myorigin, *mydomain;
    char **local_domains; /* myorigin + mydestination: where "user" keys apply */
    size_t local_count;
    int append_at_myorigin, append_dot_mydomain, swap_bangpath, allow_percent_hack;
    long recursion_limit, expansion_limit, length_limit; /* virtual_alias_* */
};

/* An empty configuration: no tables, every feature off, limits 1000. */
void rewrite_config_init(struct rewrite_config *cfg);
void rewrite_config_free(struct rewrite_config *cfg);
/* Opens the comma/space-separated table list into maps; -1 with err. */
int rewrite_maps_open(struct rewrite_maps *maps, const char *list, struct buf *err);
/* "envelope_sender, header_recipient, ..." to a REWRITE_* mask; -1 with
 * err on an unknown name. */
int rewrite_parse_classes(const char *list, struct buf *err);
/* Splits a list of words into an array of lower-case copies. */
char **rewrite_split_list(const char *list, size_t *count);
/* The setting in main.cf (var_*): all tables opened; -1 with err. */
int rewrite_config_from_params(struct rewrite_config *cfg, struct buf *err);

/* swap_bangpath, allow_percent_hack, then domain (when not empty) appended
 * to a bare name and .$mydomain to a dotless domain (the latter only when
 * append_dot_mydomain). The null address stays null. */
void rewrite_canonicalize(const struct rewrite_config *cfg, struct buf *addr, const char *domain,
                          int append_domain);
/* canonical maps for cls (one REWRITE_* bit): sender or recipient maps
 * first, then canonical_maps, each result rewritten once. */
int rewrite_canonical(const struct rewrite_config *cfg, int cls, struct buf *addr);
/* masquerade_domains for cls; returns 1 when addr changed. */
int rewrite_masquerade(const struct rewrite_config *cfg, int cls, struct buf *addr);
/* All of the above, in Postfix's order. */
int rewrite_address(const struct rewrite_config *cfg, int cls, struct buf *addr, const char *domain,
                    int append_domain);

/* virtual_alias_maps: appends the final addresses addr expands to (addr
 * itself when nothing matches). Returns the number appended or
 * REWRITE_ERROR (err says which table). */
long rewrite_virtual_expand(const struct rewrite_config *cfg, const char *addr,
                            struct addr_list *out, struct buf *err);

/* Rewrites each address in a header value (RFC 5322 address list) with
 * rewrite_address(), copying display names, comments, groups and white
 * space as they are; an unchanged address keeps its original spelling.
 * Appends the result to out. Returns the number of addresses changed or
 * REWRITE_ERROR. */
long rewrite_header_value(const struct rewrite_config *cfg, int cls, const char *value, size_t len,
                          struct buf *out, const char *domain, int append_domain);

#endif
