/*
 * showq.c - the showq daemon: lists the queue for postqueue -p/-j and
 * mailq over public/showq (protocol in lib/mail/showq_proto.h), so that
 * ordinary users see the queue without being able to read queue files.
 *
 * A single-client server (master.cf "showq unix n - n - - showq"): per
 * connection it announces the protocol, reads one request, then streams
 * one entry per queue file of incoming, active, deferred and hold (each
 * queue sorted by ID) and an end message. It only reads the queue: it
 * never moves, changes or deletes a file. A file that cannot be parsed is
 * left alone and logged (qmgr and postsuper -s move corrupt files), so a
 * listing never changes what it lists.
 */
#include <string.h>

#include "conf/conf.h"
#include "mail/queue_dir.h"
#include "mail/queue_list.h"
#include "mail/showq_proto.h"
#include "server/server.h"
#include "util/attr_io.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/stream.h"

/* Output is written in batches of about this many bytes. */
#define SHOWQ_BATCH (64 * 1024)

static struct queue_dir *showq_qd;

/* Sends every entry; returns the count, or -1 when the client went away. */
static long showq_list(struct stream *client)
{
    struct showq_entry e;
    struct buf out = BUF_INIT;
    struct buf err = BUF_INIT;
    long count = 0;
    long ok = 0;
    size_t q;

    showq_entry_init(&e);
    for (q = 0; queue_list_queues[q] != NULL && ok == 0; q++) {
        char **ids;
        long n;
        long i;

        if ((n = queue_list_ids(showq_qd, queue_list_queues[q], &ids, &err)) < 0) {
            msg_warn("scan %s: %s", queue_list_queues[q], buf_str(&err));
            buf_reset(&err);
            continue;
        }
        for (i = 0; i < n; i++) {
            int rc = queue_list_load(showq_qd, queue_list_queues[q], ids[i], &e, &err);

            if (rc < 0)
                msg_warn("%s: %s/%s: %s", ids[i], queue_list_queues[q], ids[i], buf_str(&err));
            buf_reset(&err);
            if (rc <= 0)
                continue;
            showq_encode_entry(&out, &e);
            count++;
            if (buf_len(&out) >= SHOWQ_BATCH) {
                if (stream_write(client, buf_str(&out), buf_len(&out)) < 0) {
                    ok = -1;
                    break;
                }
                buf_reset(&out);
            }
        }
        queue_list_ids_free(ids, n);
    }
    if (ok == 0) {
        showq_encode_end(&out, count);
        if (stream_write(client, buf_str(&out), buf_len(&out)) < 0 || stream_flush(client) < 0)
            ok = -1;
    }
    showq_entry_free(&e);
    buf_release(&out);
    buf_release(&err);
    return ok < 0 ? -1 : count;
}

static void showq_service(struct stream *client, const char *service_name, char **argv)
{
    struct attr_msg msg;
    struct buf out = BUF_INIT;
    struct buf scratch = BUF_INIT;
    struct buf err = BUF_INIT;
    const char *request;

    (void)service_name;
    (void)argv;
    stream_set_timeout(client, var_ipc_timeout * 1000L);
    attr_msg_init(&msg, NULL);
    showq_encode_announce(&out);
    if (attr_io_write(client, &out, &err) < 0 || attr_io_read(client, &msg, &scratch, &err) < 0) {
        msg_warn("showq request: %s", buf_str(&err));
        goto done;
    }
    if (showq_decode_request(&msg, &request, &err) < 0) {
        msg_warn("showq request: %s", buf_str(&err));
        goto done;
    }
    if (strcmp(request, SHOWQ_REQ_LIST) != 0) {
        msg_warn("showq request: unknown request \"%.100s\"", request);
        goto done;
    }
    if (showq_list(client) < 0 && msg_verbose)
        msg_info("showq: client went away during the listing");
done:
    attr_msg_free(&msg);
    buf_release(&out);
    buf_release(&scratch);
    buf_release(&err);
}

static void showq_post_init(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    showq_qd = queue_dir_from_conf();
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .post_init = showq_post_init,
    };

    server_single_main(argc, argv, showq_service, &hooks);
}
