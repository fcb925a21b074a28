/*
 * queue_file.h - writing a queue file, and the in-place updates of a
 * finished one (recipient done, SIZE flags, warning time).
 *
 * Writer: cleanup (and pickup/postdrop via maildrop). queue_file_create()
 * makes the file under a temporary name, names it by its inode and the time
 * (queue_id.h), renames it into place without ever replacing a file, and
 * returns at once so the ID can be logged and reported before the content
 * arrives. Records are buffered and checked by the same rules as the reader
 * (queue_rec.h): a file this writer finishes always reads back. The file
 * has mode 0600 until queue_file_finish() has flushed it, rewritten SIZE
 * and fsync()ed it once; only then does fchmod() set QUEUE_FILE_MODE_COMPLETE
 * (0700, the owner-execute bit). Readers refuse a file without that bit,
 * so a file is never delivered before it is on disk; cleanup must not
 * answer 250 before queue_file_finish() returned 0.
 *
 * Durability note: the one fsync() covers the data (and, on a journaling
 * file system such as ext4, the name); the mode change after it reaches
 * the disk with the file system's next journal commit. A power loss in that window (seconds) leaves
 * a complete file without the bit in incoming/: never delivered twice, never half-read, but waiting
 * for an operator (postsuper) instead of qmgr. Set opts.sync_mode to fsync() again after the
 * fchmod() and close the window at the cost of a second sync.
 *
 * Updates in place (qmgr, delivery agents, postsuper) rewrite bytes of
 * equal length with pwrite() and never change the file's size.
 */
#ifndef POSTERN_MAIL_QUEUE_FILE_H
#define POSTERN_MAIL_QUEUE_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include "mail/queue_dir.h"
#include "mail/queue_rec.h"
#include "util/buf.h"

#define QUEUE_FILE_MODE_INCOMPLETE 0600
#define QUEUE_FILE_MODE_COMPLETE   0700 /* S_IXUSR marks a finished file */
#define QUEUE_FILE_MODE_BIT        S_IXUSR
/* Reserved for postsuper -e/-f (force expire), as Postfix uses it; nothing
 * in this module sets it. */
#define QUEUE_FILE_MODE_EXPIRED S_IXGRP

#define QUEUE_FILE_CHUNK_DEFAULT 2048 /* content bytes per record, as line_length_limit */

/* Whether st is a finished queue file (the owner-execute bit). */
int queue_file_is_complete(const struct stat *st);

struct queue_file_opts {
    const char *queue; /* where to create the file; NULL: incoming */
    uid_t uid;         /* owner of the new file; SAFE_OPEN_ANY_UID: the caller */
    gid_t gid;         /* group; SAFE_OPEN_ANY_GID: the caller's */
    size_t chunk;      /* longest content record, 1..QUEUE_REC_MAX; 0: default */
    int sync_mode;     /* fsync() again after setting the complete bit */
};

/* Fills opts with the defaults above. */
void queue_file_opts_init(struct queue_file_opts *opts);

struct queue_file;

/*
 * Creates a new queue file in opts->queue (opts may be NULL) and writes its
 * VERSION and placeholder SIZE records. Returns NULL with the reason in err
 * (the queue directory is missing or not writable, the chown failed, ...).
 */
struct queue_file *queue_file_create(const struct queue_dir *qd, const struct queue_file_opts *opts,
                                     struct buf *err);

const char *queue_file_id(const struct queue_file *qf);
const char *queue_file_queue(const struct queue_file *qf);
const char *queue_file_path(const struct queue_file *qf); /* absolute or relative to cwd */
int queue_file_fd(const struct queue_file *qf);
/* Offset where the next record will start. */
off_t queue_file_offset(const struct queue_file *qf);
/* Why the last call failed; errors are sticky: after one, every put fails
 * and only queue_file_abort() remains. */
const char *queue_file_error(const struct queue_file *qf);

/*
 * Writing records: each returns 0, or -1 with queue_file_error() set (an
 * I/O error such as a full disk, a record the rules forbid here, data
 * longer than QUEUE_REC_MAX). queue_file_put() writes any record type;
 * the others format the data for one type.
 */
int queue_file_put(struct queue_file *qf, int type, const void *data, size_t len);
int queue_file_putf(struct queue_file *qf, int type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int queue_file_put_time(struct queue_file *qf, int type,
                        const struct timeval *tv); /* TIME, CTIME */
int queue_file_put_warn(struct queue_file *qf, long when);
int queue_file_put_attr(struct queue_file *qf, const char *name, const char *value);
int queue_file_put_sender(struct queue_file *qf, const char *sender);
/*
 * One recipient: ATTR dsn_orig_rcpt=DSN_ORCPT (if dsn_orcpt is not NULL),
 * DSN_NOTIFY (if notify is not 0), ORCPT (if orcpt is not NULL), RCPT.
 * *rcpt_offset (may be NULL) receives the RCPT record's offset, the one
 * queue_file_mark_done() takes.
 */
int queue_file_put_recipient(struct queue_file *qf, const char *dsn_orcpt, int notify,
                             const char *orcpt, const char *rcpt, off_t *rcpt_offset);

/* Writes the MESG record: the content follows. */
int queue_file_begin_content(struct queue_file *qf);
/* One whole line without its LF (any bytes), split into CONT records plus
 * a final NORM when longer than the chunk size. */
int queue_file_put_line(struct queue_file *qf, const void *data, size_t len);
/* A piece of a line whose end has not arrived yet (CONT records); the
 * next queue_file_put_line() ends the line. */
int queue_file_put_line_part(struct queue_file *qf, const void *data, size_t len);
/* Writes the XTRA record (ending an open line with an empty NORM first);
 * ATTR and recipient records may follow. */
int queue_file_end_content(struct queue_file *qf);

/* qmgr flags and SMTPUTF8 flags for the SIZE record (default 0). */
void queue_file_set_flags(struct queue_file *qf, long qmgr_flags, long smtputf8);
/* The SIZE values so far (final after queue_file_finish()). */
const struct queue_size *queue_file_size(const struct queue_file *qf);

/*
 * Ends the file: XTRA if the content is still open, END, flush, SIZE
 * rewritten, one fsync(), then the complete bit. Fails if no content was
 * begun. Returns 0, or -1 with queue_file_error(): the caller must then
 * call queue_file_abort() and answer with a temporary error.
 */
int queue_file_finish(struct queue_file *qf);
/*
 * The same, but the file moves into queue (of qd) after the fsync and
 * before the complete bit, so it is never complete in its first queue:
 * cleanup puts a message that must be held straight into hold/. A failed
 * move is an error like the others (the file is still unfinished, and
 * queue_file_abort() removes it from wherever it is).
 */
int queue_file_finish_in(struct queue_file *qf, const struct queue_dir *qd, const char *queue);
/* Removes an unfinished file (leaves a finished one alone) and frees qf. */
void queue_file_abort(struct queue_file *qf);
/* Frees qf after queue_file_finish(); same as queue_file_abort() before. */
void queue_file_close(struct queue_file *qf);

/* Test hook: called before each attempt to rename the temporary file to
 * the ID made from its inode and tv, so a test can take that name first and
 * see the writer retry with a new time. NULL disables. */
void queue_file_set_name_hook(void (*hook)(const char *tmp_path, const struct timeval *tv));

/* ---- updates in place of an existing file, open read-write ----------- */

#define QUEUE_UPDATE_SYNC 0x1 /* fdatasync() after the write */

/*
 * Marks the recipient record at offset (from queue_file_put_recipient() or
 * a reader's record offset) as done: its type byte becomes DONE. With
 * QUEUE_UPDATE_SYNC the change is on disk when this returns, so a crash
 * cannot deliver to that recipient again; without it, the caller syncs
 * (one fdatasync() after a batch of recipients is the usual choice; a
 * recipient whose mark is lost to a crash is delivered again, never lost).
 * Marking a DONE record again is a no-op. Returns 0, or -1 with errno
 * (EINVAL: no recipient record at offset).
 */
int queue_file_mark_done(int fd, off_t offset, int flags);

/* Rewrites the qmgr flags field of the SIZE record. 0 or -1 with errno
 * (EINVAL: the file does not start with VERSION and SIZE records). */
int queue_file_update_flags(int fd, long qmgr_flags, int flags);

/* Rewrites the WARN record at offset with when (>= 0). 0 or -1 with errno. */
int queue_file_update_warn(int fd, off_t offset, long when, int flags);

#endif
