/*
 * fake-bounce.c - test helper: a stand-in for the bounce daemon on
 * private/bounce (lib/mail/bounce_proto.h), so that the qmgr integration
 * tests see exactly which requests qmgr sends, independent of the real
 * bounce daemon's notices. It logs "ID: fake-bounce: request=KIND records=N"
 * (N: the records in bounce/ID for flush, defer/ID for warn, read with the
 * real reader) and answers status=0. It never writes to the queue.
 *
 * Run as the service "crashagent" it plays a delivery agent that dies in
 * the middle of a request instead: it announces the delivery protocol,
 * reads the request and exits without an answer (qmgr must defer).
 */
#include <string.h>
#include <unistd.h>

#include "mail/bounce_proto.h"
#include "mail/deliver_proto.h"
#include "mail/queue_dir.h"
#include "mail/recipient_log.h"
#include "server/server.h"
#include "util/attr.h"
#include "util/attr_io.h"
#include "util/msg.h"
#include "util/stream.h"

static void fake_bounce_service(struct stream *client, const char *service_name, char **argv)
{
    struct attr_limits lim;
    struct attr_msg m;
    struct buf out = BUF_INIT, scratch = BUF_INIT, err = BUF_INIT;
    struct bounce_request req;
    struct queue_dir *qd;
    struct recipient_log_reader *r;
    struct recipient_log_entry e;
    int records = 0, st;

    (void)argv;
    if (strcmp(service_name, "crashagent") == 0) {
        attr_put_announce(&out, DELIVER_PROTO_NAME, DELIVER_PROTO_VERSION);
        attr_put_end(&out);
        deliver_attr_limits(&lim);
        attr_msg_init(&m, &lim);
        if (attr_io_write(client, &out, &err) == 0 && attr_io_read(client, &m, &scratch, &err) == 0)
            msg_info("crashagent: request read; dying without an answer");
        _exit(1);
    }
    attr_put_announce(&out, BOUNCE_PROTO_NAME, BOUNCE_PROTO_VERSION);
    attr_put_end(&out);
    bounce_attr_limits(&lim);
    attr_msg_init(&m, &lim);
    if (attr_io_write(client, &out, &err) < 0 || attr_io_read(client, &m, &scratch, &err) < 0 ||
        bounce_decode_request(&m, &req, &err) < 0) {
        msg_warn("fake-bounce: %s", buf_str(&err));
        goto done;
    }
    qd = queue_dir_from_conf();
    r = recipient_log_reader_open(qd, req.kind == BOUNCE_REQ_WARN ? QUEUE_DEFER : QUEUE_BOUNCE,
                                  req.queue_id, &err);
    recipient_log_entry_init(&e);
    while (r && (st = recipient_log_reader_next(r, &e, &err)) != 0)
        records += st > 0;
    recipient_log_entry_free(&e);
    recipient_log_reader_close(r);
    queue_dir_free(qd);
    msg_info("%s: fake-bounce: request=%s records=%d", req.queue_id, bounce_req_name(req.kind),
             records);
    bounce_request_free(&req);
    buf_reset(&out);
    bounce_encode_reply(&out, BOUNCE_STAT_OK, "");
    if (attr_io_write(client, &out, &err) < 0)
        msg_warn("fake-bounce: %s", buf_str(&err));
done:
    attr_msg_free(&m);
    buf_release(&out);
    buf_release(&scratch);
    buf_release(&err);
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {0};

    server_single_main(argc, argv, fake_bounce_service, &hooks);
}
