/*
 * queue_dir.h - the queue directories under queue_directory: names, paths
 * of queue files (with hashed subdirectories), scanning a queue for IDs and
 * moving a file from one queue to another.
 *
 * Used by cleanup (incoming), qmgr (incoming, active, deferred, hold),
 * showq, postsuper, postcat and the bounce/defer/trace loggers. A path is
 * only ever built from a known queue name and an ID that passed
 * queue_id_check(), so nothing here can name a file outside the queue. A
 * move never replaces an existing file, and this module never deletes one.
 */
#ifndef POSTERN_MAIL_QUEUE_DIR_H
#define POSTERN_MAIL_QUEUE_DIR_H

#include "mail/queue_id.h"
#include "util/buf.h"

/* The queues (subdirectories of queue_directory that hold queue IDs). */
#define QUEUE_MAILDROP "maildrop" /* sendmail/postdrop submissions, read by pickup */
#define QUEUE_INCOMING "incoming" /* cleanup's output, waiting for qmgr */
#define QUEUE_ACTIVE   "active"   /* owned by qmgr: being delivered */
#define QUEUE_DEFERRED "deferred" /* waiting for a retry */
#define QUEUE_HOLD     "hold"     /* on hold (postsuper -h, HOLD actions) */
#define QUEUE_CORRUPT  "corrupt"  /* files that could not be parsed */
#define QUEUE_BOUNCE   "bounce"   /* per-message logs of failed recipients */
#define QUEUE_DEFER    "defer"    /* per-message logs of deferred recipients */
#define QUEUE_TRACE    "trace"    /* per-message delivery reports (DSN SUCCESS, sendmail -v) */
#define QUEUE_FLUSH    "flush"    /* fast flush logs (per destination, not per ID) */
#define QUEUE_SAVED    "saved"    /* quarantined copies */

/* NULL-terminated list of the names above. */
extern const char *const queue_dir_names[];

/* Whether name is one of queue_dir_names. */
int queue_name_valid(const char *name);

struct queue_dir;

/*
 * A queue layout: top is queue_directory; hash_names the queues that use
 * hashed subdirectories (a list as in hash_queue_names: separated by
 * blanks or commas); hash_depth the number of levels (1 to
 * QUEUE_ID_HASH_MAX_DEPTH); long_ids whether new files get long IDs.
 * Returns NULL with the reason in err (naming the parameter) for an
 * unknown queue name in hash_names or a depth out of range.
 */
struct queue_dir *queue_dir_new(const char *top, const char *hash_names, int hash_depth,
                                int long_ids, struct buf *err);
/* The same from var_queue_directory, var_hash_queue_names,
 * var_hash_queue_depth and var_enable_long_queue_ids (after
 * conf_apply_globals()); fatal on a bad value. */
struct queue_dir *queue_dir_from_conf(void);
/* The same for a daemon: the skeleton has made queue_directory the working
 * directory (possibly the root of a chroot), so paths are relative to ".".
 * Fatal on a bad parameter. */
struct queue_dir *queue_dir_from_conf_cwd(void);
void queue_dir_free(struct queue_dir *qd);

const char *queue_dir_top(const struct queue_dir *qd);
int queue_dir_long_ids(const struct queue_dir *qd);
int queue_dir_hash_depth(const struct queue_dir *qd);
int queue_dir_is_hashed(const struct queue_dir *qd, const char *queue);

/*
 * Sets path to "top/queue[/hash]/id" (queue_dir_path) or to the directory
 * that holds it, "top/queue[/hash]" (queue_dir_path_dir). Returns 0, or -1
 * (errno EINVAL) for an unknown queue or an invalid ID.
 */
int queue_dir_path(const struct queue_dir *qd, const char *queue, const char *id, struct buf *path);
int queue_dir_path_dir(const struct queue_dir *qd, const char *queue, const char *id,
                       struct buf *path);
/* "queue[/hash]/id", relative to top (for log lines, postcat headers). */
int queue_dir_path_rel(const struct queue_dir *qd, const char *queue, const char *id,
                       struct buf *path);

/*
 * Renames from to to unless to exists: renameat2(RENAME_NOREPLACE), or
 * link() + unlink() where the file system lacks it. Returns 0, or -1 with
 * errno (EEXIST when to exists; from is then left in place).
 */
int queue_dir_rename_excl(const char *from, const char *to);

/*
 * Renames the file at from (any path on the same file system) to id's
 * place in queue, creating missing hash subdirectories (mode 0700), never
 * replacing a file. Returns 0, or -1 with errno and the reason in err.
 */
int queue_dir_rename_into(const struct queue_dir *qd, const char *from, const char *queue,
                          const char *id, struct buf *err);

/*
 * Moves the file id from queue from to queue to (its hashed place in each),
 * creating missing hash subdirectories (mode 0700). The file is never
 * copied and an existing target is never replaced. Returns 0, or -1 with
 * errno and the reason in err: ENOENT (no such file), EEXIST (the target
 * exists), EINVAL (unknown queue or invalid ID), or the system's errno.
 */
int queue_dir_move(const struct queue_dir *qd, const char *from, const char *id, const char *to,
                   struct buf *err);

/*
 * Finds the queue that holds id, trying the queues in queues (a
 * NULL-terminated list; NULL means incoming, active, deferred, hold,
 * maildrop, corrupt, as postcat -q searches). Returns the queue name (one
 * of the list's strings) and sets path, or NULL (errno ENOENT or EINVAL).
 */
const char *queue_dir_find(const struct queue_dir *qd, const char *id, const char *const *queues,
                           struct buf *path);

/*
 * Scanning a queue: yields every valid ID of a regular file in top/queue
 * and in its hash subdirectories (single-character directories, up to
 * QUEUE_ID_HASH_MAX_DEPTH levels, in any queue and whatever the current
 * depth, so that files left by an older hash_queue_depth or
 * hash_queue_names are still found; where says where each one is). Names that are not valid IDs
 * (temporary files, "..", junk) are skipped silently. Order is the directory's order, not arrival
 * order.
 */
struct queue_scan;

/* Returns NULL with err (and errno) if the queue is unknown or its
 * directory cannot be opened. */
struct queue_scan *queue_scan_open(const struct queue_dir *qd, const char *queue, struct buf *err);
/* 1: id (size >= QUEUE_ID_SIZE) holds the next ID and, if where is not
 * NULL, where holds its path relative to top; 0: done; -1: a directory
 * could not be read (errno; the scan may continue). */
int queue_scan_next(struct queue_scan *scan, char *id, size_t size, struct buf *where);
void queue_scan_close(struct queue_scan *scan);

#endif
