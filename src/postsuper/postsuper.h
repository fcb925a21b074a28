/*
 * postsuper.h - shared state of the postsuper command (root or mail_owner
 * only): the per-message actions (postsuper_action.c) and the structure
 * check and purge (postsuper_check.c), driven by postsuper.c.
 *
 * Every move goes through queue_dir_move() (never replacing a file) and
 * every action tolerates qmgr moving the same file at the same time: a file
 * that is gone from one queue is looked for in the next one, so "postsuper
 * -d ALL" during delivery neither misses a message that only moved nor
 * touches one twice.
 */
#ifndef POSTERN_POSTSUPER_H
#define POSTERN_POSTSUPER_H

#include "mail/queue_dir.h"
#include "util/buf.h"
#include "util/htable.h"

enum postsuper_op {
    PS_DELETE,
    PS_HOLD,
    PS_RELEASE,
    PS_REQUEUE,
    PS_EXPIRE,
    PS_FORCE_EXPIRE,
    PS_NOPS
};

struct postsuper {
    struct queue_dir *qd;
    const char *const *restrict_queues; /* positional queue arguments, or NULL */
    int json;                           /* -j: JSON lines on stdout */
    long counts[PS_NOPS];
    int pickup_wanted; /* a message went to maildrop */
    int top_fd;        /* queue_directory, for unlinkat(); -1: use full paths */
    /* During a bulk delete or requeue (postsuper_logs_begin()): the IDs
     * that had a defer, bounce or trace log when it began, and the IDs
     * removed since. NULL otherwise: every removal then tries all three
     * logs. */
    struct htable *log_ids;
    struct htable *removed;
};

/* The queues op looks in, in order (NULL-terminated). */
const char *const *postsuper_op_queues(enum postsuper_op op);
/* Applies op to id, looking in first (where a scan just saw it; may be
 * NULL) before the other queues of op: 1 done, 0 not found (or nothing to
 * do), -1 failed (logged). */
int postsuper_apply(struct postsuper *ps, enum postsuper_op op, const char *id, const char *first);
/* Reports one action (stderr and maillog, or a JSON line with -j). */
void postsuper_report(struct postsuper *ps, const char *id, const char *queue, const char *what);

/*
 * Bulk log removal ("-d ALL", "-d -", "-r ALL", "-r -"): begin lists the
 * per-message logs once, so that a removed message without any costs no
 * unlink() of its three log names; end lists them again and removes the
 * logs of removed messages written meanwhile (a delivery that was still
 * in progress), unless a queue file of that ID exists by then (the ID is
 * free again once its file is gone). A log directory that cannot be
 * listed at the beginning makes every removal try all three names, as a
 * single "-d ID" does.
 */
void postsuper_logs_begin(struct postsuper *ps);
void postsuper_logs_end(struct postsuper *ps);

/* -s: structure check and repair; -p: purge stale temporary files. */
void postsuper_check(struct postsuper *ps);
void postsuper_purge(struct postsuper *ps);

#endif
