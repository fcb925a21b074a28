/*
 * smtpd_check.h - the restriction evaluator's internals, shared by
 * smtpd_check.c (lists, stages, simple restrictions), smtpd_check_access.c
 * (check_*_access and the access(5) actions) and smtpd_check_nets.c
 * (mynetworks-style address lists). Nothing outside the evaluator
 * includes it: the rest of smtpd uses the smtpd_check_* calls in smtpd.h.
 */
#ifndef POSTERN_SMTPD_SMTPD_CHECK_H
#define POSTERN_SMTPD_SMTPD_CHECK_H

#include <stddef.h>

#include "dict/dict.h"
#include "smtpd.h"
#include "util/buf.h"

/* A restriction's verdict. */
#define CHECK_DUNNO  0 /* go on with the next restriction */
#define CHECK_OK     1 /* permit: this list is done */
#define CHECK_REJECT 2 /* state->check_reply is set and logged */

/* A deferral waiting for the verdict (defer_if_permit, defer_if_reject,
 * the *_tempfail_action default): code 0 when none is pending. */
struct check_defer {
    int code;
    char dsn[16];
    struct buf text;
};

/* What one evaluation is about. */
struct check_ctx {
    struct smtpd_state *state;
    const char *cmd;        /* "RCPT", "MAIL", "HELO", "DATA", "VRFY", "END-OF-MESSAGE" */
    const char *rcpt;       /* internal form, or NULL */
    const char *sender;     /* internal form, or NULL */
    const char *helo;       /* or NULL */
    const char *reply_what; /* "Recipient address" ... for the reply text */
    const char *reply_key;  /* what goes in <...> */
    int warn;               /* warn_if_reject in effect for this restriction */
    int warn_next;
    int depth;
    /* Postfix's bookkeeping, for one evaluation (one command): a pending
     * defer_if_permit turns a final permit into its 4xx; a pending
     * defer_if_reject turns a later 5xx reject into its 4xx. The first
     * one recorded of each kind wins. */
    struct check_defer defer_if_permit;
    struct check_defer defer_if_reject;
};

/* A restriction: arg is its table ("type:name") or NULL. */
typedef int (*check_fn)(struct check_ctx *ctx, const char *arg);

/* A parsed restriction list (the words of a parameter value). */
struct check_list {
    char **word;
    size_t count;
};

/* One network of a mynetworks-style list. */
struct check_net {
    int family;
    unsigned char addr[16];
    int prefix;
    int negate;
};

/* smtpd_check.c */
int smtpd_check_reject(struct check_ctx *ctx, int code, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int smtpd_check_temp_error(struct check_ctx *ctx, const char *key);
/* Records a pending deferral (first wins) and returns CHECK_DUNNO; under
 * warn_if_reject only logs it as reject_warning. */
int smtpd_check_defer_if_permit(struct check_ctx *ctx, int code, const char *dsn, const char *fmt,
                                ...) __attribute__((format(printf, 4, 5)));
int smtpd_check_defer_if_reject(struct check_ctx *ctx, int code, const char *dsn, const char *fmt,
                                ...) __attribute__((format(printf, 4, 5)));
/* A *_tempfail_action value applied to a reply: "defer" rejects now,
 * "defer_if_permit" records a pending deferral, anything else goes on. */
int smtpd_check_tempfail(struct check_ctx *ctx, const char *action, int code, const char *dsn,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int smtpd_check_list_run(struct check_ctx *ctx, const struct check_list *list);
/* One table per spec for the process's life; NULL when unusable (*temp:
 * a temporary failure the caller answers with 4xx). */
struct dict *smtpd_check_dict(const char *spec, int *temp);

/* smtpd_check_access.c: check_client_access ... check_recipient_access. */
int smtpd_check_client_access(struct check_ctx *ctx, const char *arg);
int smtpd_check_helo_access(struct check_ctx *ctx, const char *arg);
int smtpd_check_sender_access(struct check_ctx *ctx, const char *arg);
int smtpd_check_recipient_access(struct check_ctx *ctx, const char *arg);

/* smtpd_check_dns.c: the DNS-based restrictions (arg: the list domain,
 * "domain=127.0.0.2" style filters allowed, for the RBL/RHSBL ones). */
int smtpd_check_unknown_sender_domain(struct check_ctx *ctx, const char *arg);
int smtpd_check_unknown_rcpt_domain(struct check_ctx *ctx, const char *arg);
int smtpd_check_unknown_helo(struct check_ctx *ctx, const char *arg);
int smtpd_check_unknown_client(struct check_ctx *ctx, const char *arg);
int smtpd_check_unknown_reverse_client(struct check_ctx *ctx, const char *arg);
int smtpd_check_rbl_client(struct check_ctx *ctx, const char *arg);
int smtpd_check_rhsbl_client(struct check_ctx *ctx, const char *arg);
int smtpd_check_rhsbl_sender(struct check_ctx *ctx, const char *arg);
int smtpd_check_rhsbl_helo(struct check_ctx *ctx, const char *arg);
int smtpd_check_rhsbl_recipient(struct check_ctx *ctx, const char *arg);

/* Is the client address one of this host's (inet_interfaces)? */
int smtpd_check_own_addr(const struct smtpd_state *state);

/* smtpd_check_nets.c */
/* "192.0.2.0/24", "[::1]/128", "!10.0.0.1": 0, or -1 if not a network. */
int smtpd_check_net_parse(const char *word, struct check_net *net);
/* Parses mynetworks once (smtpd_check_init). */
void smtpd_check_nets_init(void);

#endif
