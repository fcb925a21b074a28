/*
 * cleanup.h - the cleanup daemon's per-message state and the functions
 * that fill one queue file from one cleanup conversation.
 *
 * cleanup_main.c speaks the protocol (cleanup_proto.h) and calls
 * cleanup_envelope.c (env, rcpt), cleanup_message.c (data: headers and
 * body) and cleanup_finish() here. A message is one connection: its queue
 * file is created when the client connects and is either finished (one
 * fsync, then the complete bit) or removed; the status goes back only
 * after that. Errors are collected in state->status and the first reason
 * kept; after the first error nothing more is written, the rest of the
 * conversation is only read, so the client always gets its status.
 */
#ifndef POSTERN_CLEANUP_CLEANUP_H
#define POSTERN_CLEANUP_CLEANUP_H

#include <stddef.h>
#include <sys/time.h>

#include "mail/addr_list.h"
#include "mail/cleanup_proto.h"
#include "mail/header.h"
#include "mail/mime_scan.h"
#include "mail/queue_dir.h"
#include "mail/queue_file.h"
#include "util/buf.h"
#include "util/htable.h"

/* Where the conversation is. */
enum cleanup_phase {
    CLEANUP_PHASE_ENV,     /* waiting for "env" */
    CLEANUP_PHASE_RCPT,    /* after "env": "rcpt", "data" or "end" */
    CLEANUP_PHASE_CONTENT, /* after the first "data": more "data" or "end" */
    CLEANUP_PHASE_DONE,    /* status sent or connection ended */
};

struct cleanup_state {
    struct queue_file *qf;
    char queue_id[QUEUE_ID_SIZE];
    enum cleanup_phase phase;
    int status;        /* CLEANUP_STAT_* bits */
    struct buf reason; /* "X.Y.Z text" of the first error */

    /* Envelope. */
    int flags; /* CLEANUP_FLAG_* */
    struct timeval arrival;
    char *sender;          /* as written to the queue file */
    char *full_name;       /* "full_name" attribute (pickup), or NULL */
    char *uid;             /* "uid" attribute (pickup), or NULL */
    char *rewrite_context; /* "local" or "remote" ("rewrite_context" attribute) */
    /* Client attributes, for the log lines of header/body checks. */
    char *client_name, *client_address, *helo_name, *protocol_name;
    char *first_rcpt;       /* the first recipient after rewriting (log "to=") */
    struct addr_list bcc;   /* BCC actions of header/body checks */
    char *filter;           /* FILTER action: transport:destination */
    char *redirect;         /* REDIRECT action: the one address to deliver to */
    long body_bytes;        /* body bytes seen by body_checks (body_checks_size_limit) */
    struct mime_scan *mime; /* MIME structure of the body (Content-Type seen), or NULL */
    long rcpt_count;
    struct htable *dups; /* recipients seen (duplicate_filter_limit) */
    size_t dup_count;

    /* Content. */
    int local_headers; /* add missing Message-Id/Date/From */
    struct header_parser *hp;
    long content_bytes; /* client bytes, for message_size_limit */
    int hop_count;
    unsigned long headers_seen;      /* bit per enum header_class */
    int resent;                      /* a Resent-* header was seen */
    struct buf message_id;           /* for the log line */
    struct addr_list extract_plain;  /* To/Cc/Bcc (CLEANUP_FLAG_EXTRACT) */
    struct addr_list extract_resent; /* Resent-To/Cc/Bcc */
    struct buf line;                 /* a body line whose LF has not arrived yet */
    int line_open;                   /* pieces of the current line were written already */
    int discard;                     /* a hook said DISCARD: accept, then remove the file */
    struct buf scratch;
};

/* Settings derived from main.cf once per process (cleanup_main.c). */
struct cleanup_config {
    struct queue_dir *qd;
    uid_t owner_uid;
    gid_t owner_gid;
    struct htable *drop_headers; /* lower-case names from message_drop_headers */
};

extern struct cleanup_config cleanup_config;

/* Status reasons (Postfix's texts, without the SMTP reply code). */
#define CLEANUP_REASON_BAD   "4.3.0 Error: internal error"
#define CLEANUP_REASON_WRITE "4.3.0 Error: queue file write error"
#define CLEANUP_REASON_SIZE  "5.3.4 Error: message file too big"
#define CLEANUP_REASON_HOPS  "5.4.0 Error: too many hops"
#define CLEANUP_REASON_RCPT  "5.1.0 Error: no recipients specified"
#define CLEANUP_REASON_PROTO "4.3.0 Error: internal protocol error"

/* cleanup_state.c */
struct cleanup_state *cleanup_state_create(struct buf *err);
void cleanup_state_free(struct cleanup_state *state);
/* Records an error: the bit is added, the first reason kept. */
void cleanup_set_error(struct cleanup_state *state, int status, const char *reason);
/* A queue file write failed: logs it once and records STAT_WRITE. */
void cleanup_write_error(struct cleanup_state *state);
/* Ends the message: returns the final status (reason in state->reason).
 * Either the file is finished (status 0) or removed. */
int cleanup_finish(struct cleanup_state *state);
/* Removes the unfinished file (client gone, protocol error). */
void cleanup_abandon(struct cleanup_state *state, const char *why);

/* cleanup_envelope.c */
void cleanup_envelope(struct cleanup_state *state, const struct cleanup_envelope *env);
void cleanup_recipients(struct cleanup_state *state, const struct cleanup_rcpt *rcpt, size_t count);
/* The optional part of "end" (smtpd's HOLD, DISCARD, FILTER, REDIRECT,
 * BCC): recorded in state before cleanup_finish() applies them. A FILTER or
 * REDIRECT of header/body checks, which came later, is kept over smtpd's. */
void cleanup_end_options(struct cleanup_state *state, const struct cleanup_end *end);
/* One recipient (also the extracted ones): rewritten, de-duplicated,
 * written. orig is the address as given; dsn_orcpt may be "" or NULL. */
void cleanup_add_recipient(struct cleanup_state *state, const char *orig, const char *dsn_orcpt,
                           int notify);

/* cleanup_message.c */
void cleanup_content(struct cleanup_state *state, const char *data, size_t len);
/* End of content: flushes the parser and the last line, appends the
 * extracted recipients. */
void cleanup_content_end(struct cleanup_state *state);

/* cleanup_sweep.c */
/* Removes incomplete files in incoming/ and hold/ left by a cleanup process that
 * died (no live writer holds their lock) and older than min_age seconds. */
void cleanup_sweep(long min_age);
/* Marks qf as written by a live process (see cleanup_sweep.c). */
int cleanup_lock_file(struct queue_file *qf);

#endif
