/*
 * queue_list.h - what the queue listing shows of one queue file: arrival
 * time, size, sender, the recipients not yet done and, from the defer log
 * (recipient_log.h), why each was deferred. Also the sorted list of IDs
 * in one queue.
 *
 * Used by the showq daemon and by postqueue when the mail system is down
 * (it then reads the queue itself, as Postfix's postqueue does). Reads
 * only: never moves, changes or deletes a queue file or a log. A file that
 * vanishes while it is read (delivered, deleted) or is still being written
 * is skipped, not reported; the caller decides what a corrupt one means.
 */
#ifndef POSTERN_MAIL_QUEUE_LIST_H
#define POSTERN_MAIL_QUEUE_LIST_H

#include <stddef.h>

#include "mail/queue_dir.h"
#include "mail/showq_proto.h"
#include "util/buf.h"

/* The queues listed, in the order Postfix's showq lists them. */
extern const char *const queue_list_queues[];

/*
 * Fills e from queue/id and its defer log. Returns 1 when loaded; 0 when
 * the file is gone or not yet complete (skip it); -1 when it cannot be
 * read or parsed (err says why).
 */
int queue_list_load(const struct queue_dir *qd, const char *queue, const char *id,
                    struct showq_entry *e, struct buf *err);

/* The IDs in queue, sorted (strcmp). *ids is a mem_alloc'ed array of
 * mem_alloc'ed strings, freed with queue_list_ids_free(). Returns the
 * count, or -1 with err when the queue cannot be scanned at all. */
long queue_list_ids(const struct queue_dir *qd, const char *queue, char ***ids, struct buf *err);
void queue_list_ids_free(char **ids, long count);

#endif
