/*
 * attr_io.c - attribute messages over streams (see attr_io.h).
 */
#include "util/attr_io.h"

static void attr_io_stream_error(struct stream *stream, const char *what, struct buf *err)
{
    switch (stream_error(stream)) {
    case STREAM_EOF:
        buf_printf(err, "lost connection while %s", what);
        break;
    case STREAM_TIMEOUT:
        buf_printf(err, "timeout while %s", what);
        break;
    default:
        buf_printf(err, "error while %s: %s", what, stream_status_str(stream_error(stream)));
        break;
    }
}

int attr_io_read(struct stream *stream, struct attr_msg *msg, struct buf *scratch,
                 struct buf *err)
{
    size_t need = 1;

    buf_reset(scratch);
    for (;;) {
        size_t consumed = 0;
        enum attr_status st;

        if (buf_len(scratch) < need) {
            size_t more = need - buf_len(scratch);

            buf_reserve(scratch, more);
            if (stream_read(stream, scratch->data + scratch->len, more) < 0) {
                attr_io_stream_error(stream, "reading a request", err);
                return -1;
            }
            scratch->len += more;
            scratch->data[scratch->len] = '\0';
        }
        st = attr_decode(scratch->data, buf_len(scratch), &consumed, msg, err);
        if (st == ATTR_OK)
            return 0;
        if (st == ATTR_BAD)
            return -1;
        need = consumed > buf_len(scratch) ? consumed : buf_len(scratch) + 1;
    }
}

int attr_io_write(struct stream *stream, const struct buf *msg, struct buf *err)
{
    if (stream_write(stream, msg->data, msg->len) < 0 || stream_flush(stream) < 0) {
        attr_io_stream_error(stream, "writing a request", err);
        return -1;
    }
    return 0;
}
