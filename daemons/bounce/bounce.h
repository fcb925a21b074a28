/*
 * bounce.h - the bounce daemon's shared state (services bounce, defer and
 * trace of master.cf run this one program):
 *   bounce_main.c    skeleton, the bounce protocol (mail/bounce_proto.h),
 *                    which notices a request calls for and to whom
 *   bounce_notice.c  gathering the inputs (queue file, recipient log) and
 *                    submitting one notice through cleanup
 *
 * Invariants: the daemon reads the queue file and the recipient logs and
 * never changes or removes them (qmgr does, after a success answer); every
 * notice goes out with the null sender, except postmaster copies, which
 * come from double_bounce_sender so that their own failure is dropped.
 */
#ifndef POSTERN_DAEMONS_BOUNCE_H
#define POSTERN_DAEMONS_BOUNCE_H

#include <stddef.h>

#include "mail/dsn_build.h"
#include "mail/queue_dir.h"
#include "mail/recipient_log.h"
#include "util/buf.h"

extern struct queue_dir *bounce_qd;

/* A message and the recipient outcomes a notice reports. */
struct bounce_input {
    char *queue_id;
    char *sender;
    char *envid;
    int ret;
    long arrival;
    int have_content; /* the queue file could be read */
    struct buf content;
    struct recipient_log_entry *rcpt; /* every recipient once (dsn_select) */
    size_t nrcpt;
};

/* ---- bounce_notice.c --------------------------------------------------- */

/*
 * Reads queue/ID (envelope and up to limit + 1 content bytes) and the log
 * log_queue/ID. When the queue file cannot be read the notice still goes
 * out, without the original, with the sender, envid and ret of the request
 * (the fall-back values). Returns 1 when the log has entries, 0 when it is
 * missing or empty, -1 when it cannot be read (why says; try later).
 */
int bounce_input_read(struct bounce_input *in, const char *queue, const char *id,
                      const char *log_queue, const char *sender, const char *envid, int ret,
                      size_t limit, struct buf *why);
void bounce_input_free(struct bounce_input *in);

/* Fills n from the configuration (kind, postmaster and full from the
 * arguments; notice_id and to are set by bounce_notice_send). */
void bounce_notice_init(struct dsn_notice *n, enum dsn_kind kind, int postmaster, int full);

/*
 * Builds one notice about in for rcpt[0..nrcpt) and submits it through
 * cleanup from env_sender ("" the null sender) to to. 0 with the new
 * queue ID in new_id, or -1 with why.
 */
int bounce_notice_send(struct dsn_notice *n, const struct bounce_input *in,
                       const struct recipient_log_entry *rcpt, size_t nrcpt, const char *env_sender,
                       const char *to, struct buf *new_id, struct buf *why);

/* addr, or addr@myorigin when it has no domain. */
void bounce_qualify(struct buf *out, const char *addr);

#endif
