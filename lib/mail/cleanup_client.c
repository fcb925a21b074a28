/*
 * cleanup_client.c - client side of the cleanup protocol (see
 * cleanup_client.h). Content is batched into CLEANUP_DATA_CHUNK requests
 * so that a large message never becomes one huge attribute message.
 */
#include <string.h>

#include "mail/cleanup_client.h"
#include "util/attr_io.h"
#include "util/mem.h"
#include "util/sock.h"
#include "util/stream.h"

struct cleanup_client {
    struct stream *stream;
    char *queue_id;
    struct buf out;  /* encoded request */
    struct buf data; /* pending content bytes */
    struct buf scratch;
};

static int cleanup_client_send(struct cleanup_client *c, struct buf *err)
{
    int ret = attr_io_write(c->stream, &c->out, err);

    buf_reset(&c->out);
    return ret;
}

struct cleanup_client *cleanup_client_open(const char *path, long timeout_ms, struct buf *err)
{
    struct cleanup_client *c;
    struct attr_limits lim;
    struct attr_msg msg;
    const char *id;
    int fd = sock_connect_unix(path, timeout_ms, err);

    if (fd < 0)
        return NULL;
    c = mem_calloc(1, sizeof(*c));
    c->stream = stream_open_fd(fd, 1);
    stream_set_timeout(c->stream, timeout_ms);
    buf_init(&c->out);
    buf_init(&c->data);
    buf_init(&c->scratch);
    attr_limits_init(&lim);
    attr_msg_init(&msg, &lim);
    if (attr_io_read(c->stream, &msg, &c->scratch, err) < 0
        || attr_check_announce(&msg, CLEANUP_PROTO_NAME, CLEANUP_PROTO_VERSION,
                               CLEANUP_PROTO_VERSION, err) != ATTR_OK
        || attr_get_cstr(attr_msg_top(&msg), "queue_id", &id) != ATTR_FOUND) {
        if (buf_len(err) == 0)
            buf_set(err, "cleanup server sent no queue ID");
        attr_msg_free(&msg);
        cleanup_client_close(c);
        return NULL;
    }
    c->queue_id = mem_strdup(id);
    attr_msg_free(&msg);
    return c;
}

const char *cleanup_client_queue_id(const struct cleanup_client *c)
{
    return c->queue_id;
}

int cleanup_client_env(struct cleanup_client *c, const struct cleanup_envelope *env,
                       struct buf *err)
{
    cleanup_encode_env(&c->out, env);
    return cleanup_client_send(c, err);
}

int cleanup_client_rcpt(struct cleanup_client *c, const struct cleanup_rcpt *rcpt, size_t count,
                        struct buf *err)
{
    size_t done = 0;

    while (done < count) {
        size_t n = count - done > CLEANUP_RCPT_BATCH ? CLEANUP_RCPT_BATCH : count - done;

        cleanup_encode_rcpt(&c->out, rcpt + done, n);
        if (cleanup_client_send(c, err) < 0)
            return -1;
        done += n;
    }
    return 0;
}

static int cleanup_client_flush_data(struct cleanup_client *c, struct buf *err)
{
    if (buf_len(&c->data) == 0)
        return 0;
    cleanup_encode_data(&c->out, c->data.data, c->data.len);
    buf_reset(&c->data);
    return cleanup_client_send(c, err);
}

int cleanup_client_data(struct cleanup_client *c, const void *data, size_t len, struct buf *err)
{
    const char *p = data;

    while (len > 0) {
        size_t room = CLEANUP_DATA_CHUNK - buf_len(&c->data);
        size_t n = len < room ? len : room;

        buf_append(&c->data, p, n);
        p += n;
        len -= n;
        if (buf_len(&c->data) == CLEANUP_DATA_CHUNK && cleanup_client_flush_data(c, err) < 0)
            return -1;
    }
    return 0;
}

int cleanup_client_finish(struct cleanup_client *c, int *status, struct buf *reason,
                          struct buf *err)
{
    return cleanup_client_finish_opts(c, NULL, status, reason, err);
}

int cleanup_client_finish_opts(struct cleanup_client *c, const struct cleanup_end *end,
                               int *status, struct buf *reason, struct buf *err)
{
    struct attr_limits lim;
    struct attr_msg msg;
    uint32_t st;
    const char *text;
    int ret = -1;

    if (cleanup_client_flush_data(c, err) < 0)
        return -1;
    cleanup_encode_end_opts(&c->out, end);
    if (cleanup_client_send(c, err) < 0)
        return -1;
    attr_limits_init(&lim);
    attr_msg_init(&msg, &lim);
    if (attr_io_read(c->stream, &msg, &c->scratch, err) == 0) {
        if (attr_get_int(attr_msg_top(&msg), "status", &st) != ATTR_FOUND
            || attr_get_cstr(attr_msg_top(&msg), "reason", &text) != ATTR_FOUND) {
            buf_set(err, "malformed cleanup status reply");
        } else {
            *status = (int)st;
            buf_set(reason, text);
            ret = 0;
        }
    }
    attr_msg_free(&msg);
    return ret;
}

void cleanup_client_close(struct cleanup_client *c)
{
    if (c == NULL)
        return;
    stream_free(c->stream);
    mem_free(c->queue_id);
    buf_release(&c->out);
    buf_release(&c->data);
    buf_release(&c->scratch);
    mem_free(c);
}
