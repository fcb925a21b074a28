/*
 * deliver_agent.c - the agent side of the delivery request (see
 * deliver_agent.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "mail/deliver_agent.h"
#include "mail/queue_dir.h"
#include "mail/queue_file.h"
#include "mail/queue_reader.h"
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

    if (res->marked || res->status != DELIVER_STATUS_OK || req->queue == NULL ||
        rcpt->offset <= 0 || (req->flags & DELIVER_FLAG_VERIFY) ||
        (rcpt->notify & QUEUE_DSN_NOTIFY_SUCCESS))
        return;
    if (queue_file_mark_done(queue_reader_fd(req->queue), (off_t)rcpt->offset, 0) < 0)
        msg_warn("%s: mark recipient %s done: %s", req->queue_id, rcpt->address, strerror(errno));
    else
        res->marked = 1;
}

/* The queue file, read-write: the agent reads the content from it and
 * marks recipients done in it, one open per request. NULL (logged) when it
 * cannot be opened: the agent then defers what needs the content. */
static struct queue_reader *deliver_agent_open_queue(const struct queue_dir *qd,
                                                     const struct deliver_request *req)
{
    struct queue_reader *r;
    struct buf err = BUF_INIT;

    if (qd == NULL)
        return NULL;
    r = queue_reader_open(qd, req->queue_name, req->queue_id, QUEUE_READ_RDWR, &err);
    if (r == NULL)
        msg_warn("%s: cannot open queue file %s/%s: %s", req->queue_id, req->queue_name,
                 req->queue_id, buf_str(&err));
    buf_release(&err);
    return r;
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
    req.queue = deliver_agent_open_queue(qd, &req);
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
    if (req.queue != NULL)
        queue_reader_close(req.queue);
    req.queue = NULL;
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
