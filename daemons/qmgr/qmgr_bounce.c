/*
 * qmgr_bounce.c - qmgr's requests to the bounce daemon (private/bounce):
 * "send the non-delivery notice for the records in bounce/ID" and "send a
 * delay warning for the records in defer/ID". The queue file is still in
 * active/ while the request runs, so the bounce daemon can quote it.
 *
 * Protocol (attribute messages, util/attr.h), proposed here until the
 * bounce daemon's header defines it (then this file uses that header):
 *   bounce: announce "bounce" v1
 *   qmgr:   request=flush|warn, queue_name=active, queue_id=ID, sender=S,
 *           envid=E, ret=N
 *   bounce: status=0 (done: the notice is queued) or status=N, reason=TEXT
 * The call blocks for at most qmgr_ipc_timeout per step.
 */
#include <errno.h>
#include <string.h>

#include "conf/conf.h"
#include "qmgr.h"
#include "util/attr.h"
#include "util/attr_io.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/stream.h"

#define QMGR_BOUNCE_PROTO   "bounce"
#define QMGR_BOUNCE_VERSION 1

int qmgr_bounce_request(int kind, const struct qmgr_message *msg, struct buf *why)
{
    struct attr_limits lim;
    struct attr_msg m;
    struct buf scratch = BUF_INIT;
    struct buf out = BUF_INIT;
    struct stream *stream;
    uint32_t status = 1;
    const char *reason = NULL;
    int fd, ret = -1;

    fd = sock_connect_unix("private/bounce", var_qmgr_ipc_timeout * 1000L, why);
    if (fd < 0)
        return -1;
    stream = stream_open_fd(fd, 1);
    stream_set_timeout(stream, var_qmgr_ipc_timeout * 1000L);
    attr_limits_init(&lim);
    attr_msg_init(&m, &lim);
    if (attr_io_read(stream, &m, &scratch, why) < 0 ||
        attr_check_announce(&m, QMGR_BOUNCE_PROTO, QMGR_BOUNCE_VERSION, QMGR_BOUNCE_VERSION, why) !=
            ATTR_OK)
        goto done;
    attr_put_cstr(&out, "request", kind == QMGR_BOUNCE_FLUSH ? "flush" : "warn");
    attr_put_cstr(&out, "queue_name", QUEUE_ACTIVE);
    attr_put_cstr(&out, "queue_id", msg->id);
    attr_put_cstr(&out, "sender", msg->sender);
    attr_put_cstr(&out, "envid", msg->envid);
    attr_put_int(&out, "ret", (uint32_t)msg->ret);
    attr_put_end(&out);
    if (attr_io_write(stream, &out, why) < 0 || attr_io_read(stream, &m, &scratch, why) < 0)
        goto done;
    if (attr_get_int(attr_msg_top(&m), "status", &status) != ATTR_FOUND) {
        buf_set(why, "bounce reply without status");
        errno = EPROTO;
        goto done;
    }
    if (status != 0) {
        (void)attr_get_cstr(attr_msg_top(&m), "reason", &reason);
        buf_set(why, reason ? reason : "bounce service failure");
        errno = EIO;
        goto done;
    }
    ret = 0;
done:
    attr_msg_free(&m);
    stream_free(stream);
    buf_release(&scratch);
    buf_release(&out);
    return ret;
}
