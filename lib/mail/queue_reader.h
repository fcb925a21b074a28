/*
 * queue_reader.h - reading a queue file record by record, with every
 * record checked against the format rules (queue_rec.h).
 *
 * Used by qmgr (envelope), delivery agents (content), showq, postcat,
 * postsuper and the fuzz target (from memory). A queue file is untrusted
 * input: a truncated record, a length past the end of the file or past the
 * limit, an unknown type, a missing VERSION or END record, records out of
 * order, trailing bytes: each is an error with its offset and reason, never
 * a crash and never a guess. A file without the complete bit is refused
 * unless the caller asks for it (postcat -e style tools): such a file must
 * never be delivered. A file that fails goes to corrupt/ through
 * queue_reader_move_corrupt(), which logs why.
 */
#ifndef POSTERN_MAIL_QUEUE_READER_H
#define POSTERN_MAIL_QUEUE_READER_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "mail/queue_dir.h"
#include "mail/queue_rec.h"
#include "util/buf.h"

#define QUEUE_READ_INCOMPLETE 0x1 /* accept a file without the complete bit */
#define QUEUE_READ_RDWR       0x2 /* open read-write, for queue_file_mark_done() */

/* One record; data (len bytes plus a NUL not counted) stays valid until
 * the next call on the reader. */
struct queue_record {
    int type;
    off_t offset; /* of the record's type byte */
    const char *data;
    size_t len;
};

struct queue_reader;

/*
 * Opens top/queue[/hash]/id, or a path. Returns NULL with the reason in err
 * and errno: ENOENT (no such file), EINVAL (bad queue name or ID), ELOOP or
 * EPERM (a symbolic link or not a regular file), EAGAIN (no complete bit:
 * the writer has not finished; try later or leave it alone).
 */
struct queue_reader *queue_reader_open(const struct queue_dir *qd, const char *queue,
                                       const char *id, int flags, struct buf *err);
struct queue_reader *queue_reader_open_path(const char *path, int flags, struct buf *err);
/* Reads an open descriptor (regular file, at any position: reads use
 * pread from offset 0); the reader owns fd from here on, also on failure. */
struct queue_reader *queue_reader_open_fd(int fd, int flags, struct buf *err);
/* Reads from memory (the fuzz target, tests); data must outlive the reader. */
struct queue_reader *queue_reader_open_mem(const void *data, size_t len);
void queue_reader_close(struct queue_reader *r);

/* Records longer than max (default QUEUE_REC_MAX) are errors. */
void queue_reader_set_limit(struct queue_reader *r, size_t max);

/*
 * The next record: 1 and *rec set; 0 after the END record was returned
 * (the file ended right after it); -1 on an error, with
 * queue_reader_error() as "offset N: reason". Errors are sticky.
 */
int queue_reader_next(struct queue_reader *r, struct queue_record *rec);
const char *queue_reader_error(const struct queue_reader *r);

/* Reads on (checking every record) up to the first content record, so the
 * next queue_reader_next() returns the first line. 0 or -1 as next(). */
int queue_reader_seek_content(struct queue_reader *r);

/* The SIZE record's values once it has been read, else NULL. */
const struct queue_size *queue_reader_size(const struct queue_reader *r);
/* Where the reader is: the section of the next record. */
enum queue_section queue_reader_section(const struct queue_reader *r);

/* A saved position (offset of the next record plus the checker's state),
 * e.g. for qmgr to read the next batch of recipients later. */
struct queue_reader_pos {
    off_t offset;
    struct queue_rec_check check;
};
void queue_reader_save(const struct queue_reader *r, struct queue_reader_pos *pos);
/* Goes back to a saved position of the same reader; clears an error. */
void queue_reader_restore(struct queue_reader *r, const struct queue_reader_pos *pos);

int queue_reader_fd(const struct queue_reader *r);            /* -1 for memory */
const char *queue_reader_id(const struct queue_reader *r);    /* "" if unknown */
const char *queue_reader_queue(const struct queue_reader *r); /* "" if unknown */
const struct stat *queue_reader_stat(const struct queue_reader *r);

/*
 * Moves queue/id to corrupt/ and logs, as a warning,
 * "ID: corrupt queue file QUEUE/[HASH/]ID: REASON; moved to corrupt".
 * If the move fails the file stays where it is and the line ends in
 * "; cannot move it to corrupt: ERROR" instead. Returns 0 or -1.
 */
int queue_reader_move_corrupt(const struct queue_dir *qd, const char *queue, const char *id,
                              const char *reason);

#endif
