/*
 * deliver_client.c - a synchronous delivery request (see deliver_client.h).
 */
#include <stddef.h>

#include "mail/deliver_client.h"
#include "util/attr.h"
#include "util/attr_io.h"
#include "util/sock.h"
#include "util/stream.h"

int deliver_client_request(const char *path, long timeout_ms, const struct deliver_request *req,
                           struct deliver_result **res, int *connected, struct buf *err)
{
    struct attr_limits lim;
    struct attr_msg msg;
    struct stream *stream;
    struct buf out = BUF_INIT, scratch = BUF_INIT;
    size_t count = 0;
    int fd, ret = -1;

    *res = NULL;
    *connected = 0;
    if ((fd = sock_connect_unix(path, timeout_ms, err)) < 0)
        return -1;
    *connected = 1;
    stream = stream_open_fd(fd, 1);
    stream_set_timeout(stream, timeout_ms);
    deliver_attr_limits(&lim);
    attr_msg_init(&msg, &lim);
    if (attr_io_read(stream, &msg, &scratch, err) < 0 ||
        attr_check_announce(&msg, DELIVER_PROTO_NAME, DELIVER_PROTO_VERSION, DELIVER_PROTO_VERSION,
                            err) != ATTR_OK)
        goto done;
    attr_msg_free(&msg);
    attr_msg_init(&msg, &lim);
    deliver_encode_request(&out, req);
    if (attr_io_write(stream, &out, err) < 0 || attr_io_read(stream, &msg, &scratch, err) < 0 ||
        deliver_decode_results(&msg, res, &count, err) < 0)
        goto done;
    if (count != req->nrcpt) {
        buf_printf(err, "delivery protocol: %zu results for %zu recipients", count, req->nrcpt);
        deliver_results_free(*res, count);
        *res = NULL;
        goto done;
    }
    ret = 0;
done:
    attr_msg_free(&msg);
    stream_free(stream);
    buf_release(&out);
    buf_release(&scratch);
    return ret;
}
