/*
 * cleanup_hooks.h - the places where later parts plug into cleanup:
 * address rewriting (canonical_maps, masquerade_domains), virtual alias
 * expansion, header_checks / body_checks, and milters.
 *
 * Each is a pointer in the cleanup_hooks table, called by
 * cleanup_envelope.c and cleanup_message.c at the point Postfix does the
 * same work. cleanup_hooks.c fills them with the table-driven versions
 * (lib/mail/rewrite.h, lib/mail/header_checks.h, lib/mail/mime_scan.h);
 * until cleanup_hooks_init() ran they do only what needs no lookup table
 * (appending @$myorigin / .$mydomain to incomplete envelope addresses).
 * Milter hooks are still no-ops (milter_end adds BCC recipients and
 * records FILTER/REDIRECT). A hook must never write to the queue file
 * itself: it returns what cleanup should do, so the error and size rules
 * stay in one place.
 */
#ifndef POSTERN_CLEANUP_CLEANUP_HOOKS_H
#define POSTERN_CLEANUP_CLEANUP_HOOKS_H

#include <stddef.h>

#include "mail/addr_list.h"
#include "mail/header.h"
#include "util/buf.h"

struct cleanup_state;

/* Which address is being rewritten (canonical_classes, masquerade_classes). */
enum cleanup_addr_class {
    CLEANUP_ADDR_ENV_SENDER,
    CLEANUP_ADDR_ENV_RCPT,
    CLEANUP_ADDR_HDR_SENDER,
    CLEANUP_ADDR_HDR_RCPT,
};

/* What header_checks, body_checks or a milter decided. */
enum cleanup_action {
    CLEANUP_ACT_KEEP,    /* write as received */
    CLEANUP_ACT_REPLACE, /* write the text the hook put in its out buffer */
    CLEANUP_ACT_DROP,    /* write nothing for this header or line */
    CLEANUP_ACT_REJECT,  /* the message fails: out holds "X.Y.Z text" */
    CLEANUP_ACT_HOLD,    /* finish the message into the hold queue */
    CLEANUP_ACT_DISCARD, /* accept, then throw the message away */
};

struct cleanup_hooks {
    /* Rewrites addr (internal form) in place. */
    void (*rewrite_address)(struct cleanup_state *state, enum cleanup_addr_class cls,
                            struct buf *addr);
    /* virtual_alias_maps: appends the addresses addr expands to (none:
     * addr stays as it is). Returns the number appended. */
    size_t (*expand_recipient)(struct cleanup_state *state, const char *addr,
                               struct addr_list *out);
    /* header_checks on one primary header. */
    enum cleanup_action (*header_check)(struct cleanup_state *state, const struct header_view *h,
                                        struct buf *out);
    /* body_checks on one piece of a body line (line_end: the piece ends
     * the line; a line longer than a record arrives in several pieces). */
    enum cleanup_action (*body_check)(struct cleanup_state *state, const char *data, size_t len,
                                      int line_end, struct buf *out);
    /* Milters: after the envelope, after the headers, at the end. */
    enum cleanup_action (*milter_envelope)(struct cleanup_state *state, struct buf *out);
    enum cleanup_action (*milter_headers)(struct cleanup_state *state, struct buf *out);
    enum cleanup_action (*milter_end)(struct cleanup_state *state, struct buf *out);
};

/* The table in use; a later part assigns its own functions at start-up
 * (cleanup_main.c's post_init). */
extern struct cleanup_hooks cleanup_hooks;

/* The default rewrite: append_at_myorigin and append_dot_mydomain for
 * envelope addresses (header addresses are left alone until header
 * rewriting exists). Exposed so that a replacement can chain to it. */
/* Opens the tables of main.cf (canonical, virtual, header_checks, ...)
 * and turns the table hooks on; fatal on a bad setting (post_init). */
void cleanup_hooks_init(void);

void cleanup_rewrite_default(struct cleanup_state *state, enum cleanup_addr_class cls,
                             struct buf *addr);

#endif
