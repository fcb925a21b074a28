/*
 * qmgr_bounce.c - qmgr's requests to the bounce daemon (private/bounce,
 * lib/mail/bounce_proto.h): "send the non-delivery notice for the records
 * in bounce/ID", "send a delay warning for the records in defer/ID" and
 * "send the success notice for the records in trace/ID".
 * The queue file is still in active/ while the request runs, so the bounce
 * daemon can quote it; qmgr removes the file only after BOUNCE_STAT_OK.
 * The call blocks for at most qmgr_ipc_timeout per step.
 */
#include <errno.h>
#include <string.h>

#include "conf/conf.h"
#include "mail/bounce_proto.h"
#include "qmgr.h"
#include "util/attr.h"
#include "util/attr_io.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/stream.h"

int qmgr_bounce_request(int kind, const struct qmgr_message *msg, struct buf *why)
{
    struct attr_limits lim;
    struct attr_msg m;
    struct bounce_request req;
    struct buf scratch = BUF_INIT;
    struct buf out = BUF_INIT;
    struct buf reason = BUF_INIT;
    struct stream *stream;
    int status = BOUNCE_STAT_FAIL;
    int fd, ret = -1;

    fd = sock_connect_unix("private/bounce", var_qmgr_ipc_timeout * 1000L, why);
    if (fd < 0)
        return -1;
    stream = stream_open_fd(fd, 1);
    stream_set_timeout(stream, var_qmgr_ipc_timeout * 1000L);
    bounce_attr_limits(&lim);
    attr_msg_init(&m, &lim);
    if (attr_io_read(stream, &m, &scratch, why) < 0 ||
        attr_check_announce(&m, BOUNCE_PROTO_NAME, BOUNCE_PROTO_VERSION, BOUNCE_PROTO_VERSION,
                            why) != ATTR_OK)
        goto done;
    memset(&req, 0, sizeof(req));
    switch (kind) {
    case QMGR_BOUNCE_FLUSH:
        req.kind = BOUNCE_REQ_FLUSH;
        break;
    case QMGR_BOUNCE_WARN:
        req.kind = BOUNCE_REQ_WARN;
        break;
    case QMGR_BOUNCE_TRACE:
        req.kind = BOUNCE_REQ_TRACE;
        break;
    default:
        msg_panic("%s: unknown bounce request kind %d", msg->id, kind);
    }
    req.queue_name = (char *)QUEUE_ACTIVE;
    req.queue_id = (char *)msg->id;
    req.sender = msg->sender;
    req.envid = msg->envid;
    req.ret = msg->ret;
    bounce_encode_request(&out, &req);
    if (attr_io_write(stream, &out, why) < 0 || attr_io_read(stream, &m, &scratch, why) < 0 ||
        bounce_decode_reply(&m, &status, &reason, why) < 0)
        goto done;
    if (status != BOUNCE_STAT_OK) {
        buf_set(why, buf_len(&reason) ? buf_str(&reason) : "bounce service failure");
        errno = EIO;
        goto done;
    }
    ret = 0;
done:
    attr_msg_free(&m);
    stream_free(stream);
    buf_release(&scratch);
    buf_release(&out);
    buf_release(&reason);
    return ret;
}
