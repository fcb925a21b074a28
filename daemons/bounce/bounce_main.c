/*
 * bounce_main.c - the bounce daemon (master.cf services bounce, defer and
 * trace): a single-client server that answers one request of qmgr per
 * connection (mail/bounce_proto.h) by sending the notices it calls for:
 *   flush: the sender's non-delivery notice from bounce/ID, a headers-only
 *          postmaster copy when notify_classes has "bounce"; a bounce of a
 *          null-sender message goes whole to 2bounce_notice_recipient when
 *          notify_classes has "2bounce" (else it is dropped), and a bounce
 *          of a double_bounce_sender message is always dropped (no loops);
 *   warn:  the sender's delay warning from defer/ID, a copy to
 *          delay_notice_recipient when notify_classes has "delay";
 *   trace: the sender's success notice from trace/ID (NOTIFY=SUCCESS).
 * Logged as Postfix does: "ID: sender non-delivery notification: NEWID".
 * The answer is success only once every notice due to the sender is
 * queued; a failed postmaster copy is logged but not retried. This daemon
 * never touches the queue file or the logs (qmgr removes them).
 */
#include <string.h>
#include <strings.h>

#include "bounce.h"
#include "conf/conf.h"
#include "mail/bounce_proto.h"
#include "server/server.h"
#include "util/attr_io.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"
#include "util/stream.h"

struct queue_dir *bounce_qd;

/* Whether notify_classes names cls. */
static int bounce_class(const char *cls)
{
    char *copy = mem_strdup(var_notify_classes);
    char *cursor = copy, *tok;
    int found = 0;

    while (!found && (tok = str_token(&cursor, ", \t\r\n")) != NULL)
        found = strcasecmp(tok, cls) == 0;
    mem_free(copy);
    return found;
}

/* Whether addr is the double-bounce address (its own failures are dropped). */
static int bounce_is_double_bounce(const char *addr)
{
    struct buf db = BUF_INIT;
    int same;

    bounce_qualify(&db, var_double_bounce_sender);
    same = strcasecmp(addr, buf_str(&db)) == 0 || strcasecmp(addr, var_double_bounce_sender) == 0;
    buf_release(&db);
    return same;
}

/* One notice; logs "ID: WHO WHAT notification: NEWID" on success. */
static int bounce_send_logged(struct bounce_input *in, enum dsn_kind kind, int postmaster, int full,
                              const struct recipient_log_entry *rcpt, size_t nrcpt, const char *to,
                              const char *what, struct buf *why)
{
    struct dsn_notice n;
    struct buf new_id = BUF_INIT;
    struct buf from = BUF_INIT;
    struct buf rcpt_addr = BUF_INIT;
    int ret;

    bounce_notice_init(&n, kind, postmaster, full);
    if (postmaster) {
        bounce_qualify(&from, var_double_bounce_sender);
        bounce_qualify(&rcpt_addr, to);
    } else {
        buf_set(&rcpt_addr, to);
    }
    ret =
        bounce_notice_send(&n, in, rcpt, nrcpt, buf_str(&from), buf_str(&rcpt_addr), &new_id, why);
    if (ret == 0)
        msg_info("%s: %s %s notification: %s", in->queue_id, postmaster ? "postmaster" : "sender",
                 what, buf_str(&new_id));
    buf_release(&new_id);
    buf_release(&from);
    buf_release(&rcpt_addr);
    return ret;
}

/* The recipients the sender asked to hear about, as shallow copies. */
static size_t bounce_for_sender(const struct bounce_input *in, enum dsn_kind kind,
                                struct recipient_log_entry **out)
{
    size_t i, n = 0;

    *out = mem_calloc(in->nrcpt ? in->nrcpt : 1, sizeof(**out));
    for (i = 0; i < in->nrcpt; i++)
        if (dsn_notify_wants(in->rcpt[i].notify, kind))
            (*out)[n++] = in->rcpt[i];
    return n;
}

static int bounce_flush(struct bounce_input *in, struct buf *why)
{
    struct recipient_log_entry *mine;
    size_t nmine;
    int ret = 0;

    if (in->sender[0] == '\0') {
        /* A notice that itself failed: the postmaster may get it whole. */
        if (bounce_class("2bounce"))
            ret = bounce_send_logged(in, DSN_FAILURE, 1, 1, in->rcpt, in->nrcpt,
                                     var_2bounce_notice_recipient, "non-delivery", why);
        return ret;
    }
    if (bounce_is_double_bounce(in->sender)) {
        msg_warn("%s: undeliverable postmaster notification discarded", in->queue_id);
        return 0;
    }
    nmine = bounce_for_sender(in, DSN_FAILURE, &mine);
    if (nmine > 0)
        ret =
            bounce_send_logged(in, DSN_FAILURE, 0, 0, mine, nmine, in->sender, "non-delivery", why);
    mem_free(mine);
    if (ret == 0 && bounce_class("bounce")) {
        struct buf err = BUF_INIT;

        if (bounce_send_logged(in, DSN_FAILURE, 1, 0, in->rcpt, in->nrcpt,
                               var_bounce_notice_recipient, "non-delivery", &err) < 0)
            msg_warn("%s: cannot send the postmaster copy: %s", in->queue_id, buf_str(&err));
        buf_release(&err);
    }
    return ret;
}

static int bounce_warn(struct bounce_input *in, struct buf *why)
{
    struct recipient_log_entry *mine;
    size_t nmine;
    int ret = 0;

    if (in->sender[0] == '\0' || bounce_is_double_bounce(in->sender))
        return 0;
    nmine = bounce_for_sender(in, DSN_DELAY, &mine);
    if (nmine > 0)
        ret = bounce_send_logged(in, DSN_DELAY, 0, 0, mine, nmine, in->sender, "delay", why);
    mem_free(mine);
    if (ret == 0 && bounce_class("delay")) {
        struct buf err = BUF_INIT;

        if (bounce_send_logged(in, DSN_DELAY, 1, 0, in->rcpt, in->nrcpt, var_delay_notice_recipient,
                               "delay", &err) < 0)
            msg_warn("%s: cannot send the postmaster delay warning: %s", in->queue_id,
                     buf_str(&err));
        buf_release(&err);
    }
    return ret;
}

static int bounce_trace(struct bounce_input *in, struct buf *why)
{
    struct recipient_log_entry *mine;
    size_t nmine;
    int ret = 0;

    if (in->sender[0] == '\0' || bounce_is_double_bounce(in->sender))
        return 0;
    nmine = bounce_for_sender(in, DSN_SUCCESS, &mine);
    if (nmine > 0)
        ret = bounce_send_logged(in, DSN_SUCCESS, 0, 0, mine, nmine, in->sender, "delivery status",
                                 why);
    mem_free(mine);
    return ret;
}

/* Runs one request; BOUNCE_STAT_OK or BOUNCE_STAT_FAIL with why. */
static int bounce_run(const struct bounce_request *req, struct buf *why)
{
    static const char *const logs[] = {NULL, QUEUE_BOUNCE, QUEUE_DEFER, QUEUE_TRACE};
    struct bounce_input in;
    int st, ret = 0;

    st = bounce_input_read(&in, req->queue_name, req->queue_id, logs[req->kind], req->sender,
                           req->envid, req->ret, (size_t)var_bounce_size_limit, why);
    if (st < 0) {
        bounce_input_free(&in);
        return BOUNCE_STAT_FAIL;
    }
    if (st > 0) {
        in.nrcpt = dsn_select(in.rcpt, in.nrcpt, DSN_FAILURE, 0);
        switch (req->kind) {
        case BOUNCE_REQ_FLUSH:
            ret = bounce_flush(&in, why);
            break;
        case BOUNCE_REQ_WARN:
            ret = bounce_warn(&in, why);
            break;
        default:
            ret = bounce_trace(&in, why);
            break;
        }
    }
    bounce_input_free(&in);
    return ret == 0 ? BOUNCE_STAT_OK : BOUNCE_STAT_FAIL;
}

static void bounce_service(struct stream *client, const char *service_name, char **argv)
{
    struct attr_limits lim;
    struct attr_msg msg;
    struct bounce_request req;
    struct buf out = BUF_INIT;
    struct buf scratch = BUF_INIT;
    struct buf err = BUF_INIT;
    int status;

    (void)service_name;
    (void)argv;
    stream_set_timeout(client, var_ipc_timeout * 1000L);
    bounce_attr_limits(&lim);
    attr_msg_init(&msg, &lim);
    attr_put_announce(&out, BOUNCE_PROTO_NAME, BOUNCE_PROTO_VERSION);
    attr_put_end(&out);
    if (attr_io_write(client, &out, &err) < 0 || attr_io_read(client, &msg, &scratch, &err) < 0) {
        msg_warn("bounce request: %s", buf_str(&err));
        goto done;
    }
    if (bounce_decode_request(&msg, &req, &err) < 0) {
        /* Fail closed: no answer, the client sees the connection end. */
        msg_warn("bounce request: %s", buf_str(&err));
        goto done;
    }
    status = bounce_run(&req, &err);
    if (status != BOUNCE_STAT_OK)
        msg_warn("%s: %s notice not sent: %s", req.queue_id, bounce_req_name(req.kind),
                 buf_str(&err));
    buf_reset(&out);
    bounce_encode_reply(&out, status, status == BOUNCE_STAT_OK ? "" : buf_str(&err));
    buf_reset(&err);
    if (attr_io_write(client, &out, &err) < 0)
        msg_warn("%s: bounce reply: %s", req.queue_id, buf_str(&err));
    bounce_request_free(&req);
done:
    attr_msg_free(&msg);
    buf_release(&out);
    buf_release(&scratch);
    buf_release(&err);
}

static void bounce_post_init(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    bounce_qd = queue_dir_from_conf();
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .post_init = bounce_post_init,
    };

    server_single_main(argc, argv, bounce_service, &hooks);
}
