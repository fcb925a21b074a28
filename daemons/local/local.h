/*
 * local.h - the local delivery agent's shared state: one request (the
 * message), one recipient's expansion (aliases, .forward, :include:), and
 * the functions that deliver to a mailbox, a file, a command, forward
 * through cleanup or hand a recipient to another transport.
 *
 * Logging: as Postfix, one line per destination an expansion reaches
 * (to=<the expanded address>, orig_to=<the request's recipient>), written
 * by local_outcome(); a recipient handed to another transport is logged
 * by that transport's agent. qmgr gets one combined result per request
 * recipient.
 *
 * Invariants: an expansion never runs deeper than LOCAL_MAX_LEVEL and never
 * expands one address twice for the same recipient; files and commands are
 * reached only when allow_mail_to_files / allow_mail_to_commands allow the
 * source; in root mode every mailbox, file and command runs with the ids of
 * its owner (never root), and the process returns to root afterwards.
 */
#ifndef POSTERN_DAEMONS_LOCAL_H
#define POSTERN_DAEMONS_LOCAL_H

#include <pwd.h>
#include <sys/types.h>

#include "mail/deliver_log.h"
#include "mail/deliver_proto.h"
#include "mail/mailbox.h"
#include "util/buf.h"
#include "util/htable.h"

#define LOCAL_MAX_LEVEL     20     /* nesting of alias/.forward/:include: */
#define LOCAL_MAX_ITEMS     1000   /* items in one alias value or file */
#define LOCAL_MAX_ITEM_LEN  4096   /* bytes in one item */
#define LOCAL_MAX_FILE_SIZE 102400 /* bytes read from a .forward or :include: file */

/* Where a destination came from (allow_mail_to_files/commands). */
enum local_source {
    LOCAL_SRC_NONE,
    LOCAL_SRC_ALIAS,
    LOCAL_SRC_FORWARD,
    LOCAL_SRC_INCLUDE,
};

/* The message of the current request. */
struct local_msg {
    const struct deliver_request *req;
    struct mailbox_content content;
    struct htable *delivered_to;       /* Delivered-To values in the headers, lower case */
    const struct deliver_times *times; /* for the log lines */
};

/* Privileges for deliveries from one source. */
struct local_privs {
    uid_t uid;
    gid_t gid;
    char *user;  /* account name (initgroups, USER) */
    char *home;  /* HOME for commands */
    char *shell; /* SHELL for commands */
};

/* One top-level recipient being delivered. */
struct local_rcpt_state {
    const struct local_msg *msg;
    const struct deliver_rcpt *rcpt;
    const char *sender;                  /* current envelope sender (owner- aliases change it) */
    struct htable *seen;                 /* addresses already expanded (loop protection) */
    struct buf forward;                  /* non-local addresses to resubmit, LF-separated */
    int status;                          /* worst DELIVER_STATUS_* so far */
    int count;                           /* deliveries done */
    struct buf dsn, reason;              /* of the outcome that decided status */
    struct buf relay, action, mta, diag; /* idem; from another transport's result */
    const char *current;                 /* address being delivered: to=<...> of the log line */
};

/* One step of an expansion. */
struct local_ctx {
    struct local_rcpt_state *rs;
    enum local_source source;
    const struct local_privs *privs; /* for files and commands of this source */
    int level;
};

/* ---- local_main.c: settings ---- */
struct local_config {
    int nonroot;
    int lock;        /* mailbox_delivery_lock */
    int allow_files; /* bit mask of 1 << enum local_source */
    int allow_commands;
    int prepend_command, prepend_file, prepend_forward;
    struct local_privs default_privs;
};
extern struct local_config local_config;

/* Records the outcome of one delivery for the top-level recipient and
 * logs it with to=<rs->current> (not for address verification). */
void local_outcome(struct local_rcpt_state *rs, int status, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Logs one delivery line for address (relay=local). */
void local_log(const struct local_rcpt_state *rs, const char *address, int status, const char *dsn,
               const char *reason);
/* Records an outcome without logging it; passed (or NULL) is another
 * transport's result, whose relay, action, mta and diag then go to qmgr. */
void local_record(struct local_rcpt_state *rs, int status, const char *dsn, const char *reason,
                  const struct deliver_result *passed);

/* ---- local_expand.c ---- */
/* For address verification: 1 when an alias, a user or luser_relay takes
 * address, 0 when it is unknown, -1 on a table error (err). */
int local_address_known(const char *address, struct buf *err);
/* Delivers to one address (alias lookup unless no_alias, user, .forward, mailbox). */
void local_deliver_address(const struct local_ctx *ctx, const char *address, int no_alias);
/* Expands $name, ${name}, ${name?text}, ${name:text} against the recipient's
 * variables; values pass through filter (other bytes become '_'). */
struct local_vars {
    const char *user, *home, *shell, *local, *extension, *domain, *recipient, *delimiter;
};
int local_expand(const char *tmpl, const struct local_vars *vars, const char *filter,
                 struct buf *out, struct buf *err);

/* Looks key up in the tables of maps (a list of type:name): 1 found (value
 * in out), 0 not found, -1 table error (err). */
int local_table_lookup(const char *maps, const char *key, struct buf *out, struct buf *err);

/* ---- local_transport.c ---- */
/* mailbox_transport(_maps) or fallback_transport(_maps): when the table
 * (keyed by user) or the parameter names a transport, hands the current
 * address to it and returns 1; 0 when neither is set. */
int local_try_transport(const struct local_ctx *ctx, const char *name, const char *maps,
                        const char *value, const char *user);

/* ---- local_deliver.c ---- */
/* Becomes privs (root mode) for a file operation; local_privs_leave() returns to root. */
int local_privs_enter(const struct local_privs *privs, struct buf *err);
void local_privs_leave(void);
void local_privs_from_pw(struct local_privs *privs, const struct passwd *pw);
void local_privs_release(struct local_privs *privs);

/* Builds the Return-Path/X-Original-To/Delivered-To lines. */
void local_prepend(struct buf *out, const struct local_rcpt_state *rs, int delivered_to);

void local_deliver_mailbox(const struct local_ctx *ctx, const struct passwd *pw,
                           const struct local_vars *vars);
void local_deliver_file(const struct local_ctx *ctx, const char *path);
void local_deliver_command(const struct local_ctx *ctx, const char *command,
                           const struct local_vars *vars);
/* Resubmits rs->forward through cleanup. */
void local_forward_flush(struct local_rcpt_state *rs);

#endif
