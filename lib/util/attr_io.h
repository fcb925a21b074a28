/*
 * attr_io.h - attribute messages (attr.h) over streams (stream.h).
 *
 * Every internal protocol reads and writes whole attribute messages through
 * these two calls. The reader asks the decoder how many bytes the message
 * needs next and reads exactly that many, so it never consumes bytes of the
 * following message and never buffers more than the decoder's limits allow.
 * It must never guess: a malformed message is an error that ends the
 * conversation (DESIGN.md section 3, fail closed).
 */
#ifndef POSTERN_UTIL_ATTR_IO_H
#define POSTERN_UTIL_ATTR_IO_H

#include "util/attr.h"
#include "util/buf.h"
#include "util/stream.h"

/* Reads one message into msg (initialised by the caller with its limits;
 * previous contents are freed). scratch holds the raw bytes. Returns 0, or -1
 * with a reason in err ("lost connection", "timeout", or the decoder's). */
int attr_io_read(struct stream *stream, struct attr_msg *msg, struct buf *scratch,
                 struct buf *err);

/* Writes an encoded message and flushes. Returns 0 or -1 with err set. */
int attr_io_write(struct stream *stream, const struct buf *msg, struct buf *err);

#endif
