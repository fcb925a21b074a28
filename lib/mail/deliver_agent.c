/*
 * deliver_agent.c - the agent side of the delivery request (see
 * deliver_agent.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "mail/deliver_agent.h"
#include "mail/queue_dir.h"
#include "mail/queue_file.h"
#include "util/attr_io.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/stream.h"

static const char *deliver_default_action(int status, const char *relay)
{
    switch (status) {
    case DELIVER_STATUS_OK:
        return relay && strcmp(relay, "local") != 0 && strcmp(relay, "virtual") != 0 ? "relayed"
                                                                                     : "delivered";
    case DELIVER_STATUS_DEFER:
        return "delayed";
    default:
        return "failed";
    }
}

void deliver_result_set(struct deliver_result *res, int status, const char *dsn_status,
                        const char *relay, const char *fmt, ...)
{
    struct buf reason = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&reason, fmt, ap);
    va_end(ap);
    mem_free(res->dsn_status);
    mem_free(res->reason);
    mem_free(res->relay);
    mem_free(res->action);
    res->status = status;
    res->dsn_status = mem_strdup(dsn_status);
    res->relay = mem_strdup(relay ? relay : "none");
    res->action = mem_strdup(deliver_default_action(status, relay));
    res->reason = buf_steal(&reason);
}

void deliver_result_fill(struct deliver_result *res, size_t count, int status,
                         const char *dsn_status, const char *relay, const char *reason)
{
    size_t i;

    for (i = 0; i < count; i++)
        if (res[i].dsn_status == NULL)
            deliver_result_set(&res[i], status, dsn_status, relay, "%s", reason);
}

void deliver_agent_mark_done(const struct deliver_request *req, size_t i,
                             struct deliver_result *res)
{
    const struct deliver_rcpt *rcpt = &req->rcpt[i];

    if (res->marked || res->status != DELIVER_STATUS_OK || req->queue_fd < 0 || rcpt->offset <= 0 ||
        (req->flags & DELIVER_FLAG_VERIFY) || (rcpt->notify & QUEUE_DSN_NOTIFY_SUCCESS))
        return;
    if (queue_file_mark_done(req->queue_fd, (off_t)rcpt->offset, 0) < 0)
        msg_warn("%s: mark recipient %s done: %s", req->queue_id, rcpt->address, strerror(errno));
    else
        res->marked = 1;
}

/* The queue file, read-write, for the done marks; -1 (logged) when it
 * cannot be opened: qmgr then marks the recipients as before. */
static int deliver_agent_open_queue(const struct queue_dir *qd, const struct deliver_request *req)
{
    struct buf path = BUF_INIT;
    int fd = -1;

    if (qd == NULL)
        return -1;
    if (queue_dir_path(qd, req->queue_name, req->queue_id, &path) < 0)
        msg_warn("%s: bad queue file name %s/%s", req->queue_id, req->queue_name, req->queue_id);
    else if ((fd = open(buf_str(&path), O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0)
        msg_warn("%s: open %s: %s", req->queue_id, buf_str(&path), strerror(errno));
    buf_release(&path);
    return fd;
}

int deliver_agent_serve(struct stream *client, const struct queue_dir *qd, deliver_agent_fn fn,
                        void *ctx)
{
    struct attr_limits lim;
    struct attr_msg msg;
    struct deliver_request req;
    struct deliver_result *res;
    struct deliver_times times;
    struct buf out = BUF_INIT;
    struct buf scratch = BUF_INIT;
    struct buf err = BUF_INIT;
    size_t i;
    int ret = -1;

    attr_put_announce(&out, DELIVER_PROTO_NAME, DELIVER_PROTO_VERSION);
    attr_put_end(&out);
    if (attr_io_write(client, &out, &err) < 0) {
        msg_warn("delivery request: %s", buf_str(&err));
        goto done;
    }
    deliver_attr_limits(&lim);
    attr_msg_init(&msg, &lim);
    if (attr_io_read(client, &msg, &scratch, &err) < 0 ||
        deliver_decode_request(&msg, &req, &err) < 0) {
        msg_warn("delivery request: %s", buf_str(&err));
        attr_msg_free(&msg);
        goto done;
    }
    attr_msg_free(&msg);
    res = mem_calloc(req.nrcpt, sizeof(res[0]));
    req.queue_fd = deliver_agent_open_queue(qd, &req);
    gettimeofday(&times.agent_start, NULL);
    times.conn_done = times.agent_start;
    times.done.tv_sec = 0;
    times.done.tv_usec = 0;
    fn(&req, res, &times, ctx);
    if (times.done.tv_sec == 0)
        gettimeofday(&times.done, NULL);
    /* An agent that forgot a recipient must not make it look delivered. */
    deliver_result_fill(res, req.nrcpt, DELIVER_STATUS_DEFER, "4.3.0", "none",
                        "delivery agent left the recipient unprocessed");
    for (i = 0; i < req.nrcpt; i++)
        deliver_agent_mark_done(&req, i, &res[i]);
    if (req.queue_fd >= 0)
        (void)close(req.queue_fd);
    req.queue_fd = -1;
    for (i = 0; i < req.nrcpt; i++)
        if (!res[i].logged)
            deliver_log(&req, &req.rcpt[i], &res[i], &times);
    buf_reset(&out);
    deliver_encode_results(&out, res, req.nrcpt);
    if (attr_io_write(client, &out, &err) < 0)
        msg_warn("%s: sending delivery results: %s", req.queue_id, buf_str(&err));
    else
        ret = 0;
    deliver_results_free(res, req.nrcpt);
    deliver_request_free(&req);
done:
    buf_release(&out);
    buf_release(&scratch);
    buf_release(&err);
    return ret;
}
