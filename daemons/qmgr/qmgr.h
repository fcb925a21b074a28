/*
 * qmgr.h - the queue manager's state, shared by its files:
 *   qmgr_main.c     skeleton hooks, triggers, timers, queue scans
 *   qmgr_message.c  a message in active/: reading, resolving, results,
 *                   the end of a pass (remove, defer, expire, warn)
 *   qmgr_deliver.c  transports and destinations: batching, concurrency
 *                   feedback, rate delays, round robin, dead-destination
 *                   throttle, agent I/O
 *   qmgr_feedback.c concurrency feedback values ("1", "1/concurrency")
 *   qmgr_bounce.c   the requests to the bounce daemon (bounce_proto.h)
 *
 * Invariants: qmgr marks a recipient done only after its result arrived
 * and (for a bounce, or a success with NOTIFY=SUCCESS) its bounce/ or
 * trace/ log record is on disk (agents mark the ones they delivered
 * themselves, at once: deliver_agent.h); a message leaves active/ only when every
 * recipient it had in memory has an outcome; qmgr never touches hold/ and
 * never delivers a file without the complete bit.
 */
#ifndef POSTERN_DAEMONS_QMGR_H
#define POSTERN_DAEMONS_QMGR_H

#include <stddef.h>
#include <sys/time.h>

#include "mail/deliver_proto.h"
#include "mail/queue_dir.h"
#include "mail/queue_id.h"
#include "mail/queue_reader.h"
#include "mail/resolve.h"

/* qmgr's bits in the SIZE record's qmgr_flags. */
#define QMGR_FLAG_WARNED 0x1 /* the delay warning was sent */

struct qmgr_message;

struct qmgr_rcpt {
    char *address;
    char *orcpt;
    char *dsn_orcpt;
    int notify;
    long offset;
    struct qmgr_message *msg;
};

struct qmgr_message {
    char id[QUEUE_ID_SIZE];
    struct queue_reader *reader;      /* open read-write on active/ID */
    struct queue_reader_pos next_pos; /* where the next slice of recipients starts */
    int more;                         /* recipients remain beyond next_pos */
    char *sender;
    char *envid;
    int ret;
    int flags; /* DELIVER_FLAG_* */
    struct timeval arrival;
    struct timeval active;
    long content_offset;
    long content_size;
    long rcpt_total; /* from SIZE: what the log calls nrcpt */
    long qmgr_flags;
    long warn_offset; /* WARN record, or -1 */
    long warn_time;
    struct deliver_attr *attr;
    size_t nattr;
    struct qmgr_rcpt *rcpt; /* the slice in memory */
    size_t nrcpt;
    size_t pending;            /* recipients of the slice without an outcome yet */
    size_t deferred;           /* recipients deferred in this pass */
    size_t bounced;            /* recipients bounced in this pass */
    size_t done_unsynced;      /* marks written since the last fdatasync */
    struct qmgr_message *next; /* in the list of active messages */
};

/* ---- qmgr_main.c ------------------------------------------------------ */
extern struct queue_dir *qmgr_qd;
extern struct resolver *qmgr_resolver;
/* Counts that the scans respect (qmgr_message_active_limit,
 * qmgr_message_recipient_limit). */
extern size_t qmgr_active_count;
extern size_t qmgr_rcpt_count;
/* Asks for another incoming/deferred scan soon (memory was freed). */
void qmgr_scan_request(void);

/* ---- qmgr_message.c --------------------------------------------------- */
/* Opens active/ID, logs "from=..., size=..., nrcpt=... (queue active)" and
 * hands its recipients to the scheduler. 0, or -1 (the file was moved to
 * corrupt/ or is gone). */
int qmgr_message_open(const char *id);
/* Whether ID is in memory (the active/ scan must not open it twice). */
int qmgr_message_is_open(const char *id);
/* The outcome of one recipient (from a result or a decision of qmgr). */
void qmgr_message_outcome(struct qmgr_rcpt *rcpt, const struct deliver_result *res);
/* Writes the pending done marks to disk (one fdatasync) and ends the
 * pass of every message whose recipients all have an outcome. */
void qmgr_message_flush(struct qmgr_message *msg);

/* ---- qmgr_deliver.c --------------------------------------------------- */
/* Queues a recipient for transport/nexthop. */
void qmgr_deliver_add(struct qmgr_rcpt *rcpt, const char *transport, const char *nexthop);
/* Starts what the limits allow. */
void qmgr_deliver_run(void);
void qmgr_deliver_init(void);
/* Forgets idle destinations (no work, none running, not suspended), so
 * memory does not grow with every nexthop ever seen. From a timer only. */
void qmgr_deliver_gc(void);
/* Lifts every dead-destination suspension ("F": flush). */
void qmgr_deliver_unthrottle(void);

/* ---- qmgr_bounce.c ---------------------------------------------------- */
#define QMGR_BOUNCE_FLUSH 1 /* non-delivery notice from bounce/ID */
#define QMGR_BOUNCE_WARN  2 /* delay warning from defer/ID */
#define QMGR_BOUNCE_TRACE 3 /* success notice from trace/ID (NOTIFY=SUCCESS) */
/* 0 when the bounce daemon took the request; -1 with errno ENOENT or
 * ECONNREFUSED when it is not there, other errors otherwise (why says). */
int qmgr_bounce_request(int kind, const struct qmgr_message *msg, struct buf *why);

#endif
