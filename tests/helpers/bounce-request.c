/*
 * bounce-request.c - test helper: sends one request to the bounce daemon
 * through lib/mail/bounce_proto.h, as qmgr does, so that integration tests
 * can ask for notices qmgr would only ask for in rarer states (a success
 * notice from trace/ID, a delay warning) on a message they hold.
 *
 * Usage: bounce-request SOCKET flush|warn|trace QUEUE ID [SENDER]
 * Prints "status: N REASON" (exit 0 for status 0, 1 otherwise), or
 * "error: REASON" (exit 2). Never touches the queue.
 */
#include <stdio.h>
#include <string.h>

#include "mail/bounce_proto.h"
#include "util/attr_io.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/stream.h"

int main(int argc, char **argv)
{
    struct bounce_request req;
    struct attr_limits lim;
    struct attr_msg m;
    struct buf out = BUF_INIT, scratch = BUF_INIT, err = BUF_INIT, reason = BUF_INIT;
    struct stream *stream;
    int fd, status = BOUNCE_STAT_FAIL, kind;

    msg_init(argv[0]);
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: bounce-request SOCKET flush|warn|trace QUEUE ID [SENDER]\n");
        return 2;
    }
    for (kind = BOUNCE_REQ_FLUSH; kind <= BOUNCE_REQ_TRACE; kind++)
        if (strcmp(argv[2], bounce_req_name(kind)) == 0)
            break;
    memset(&req, 0, sizeof(req));
    req.kind = kind; /* an unknown name is sent as such: the daemon must refuse it */
    req.queue_name = argv[3];
    req.queue_id = argv[4];
    req.sender = argc > 5 ? argv[5] : (char *)"";
    req.envid = (char *)"";
    if ((fd = sock_connect_unix(argv[1], 10000, &err)) < 0) {
        printf("error: %s\n", buf_str(&err));
        return 2;
    }
    stream = stream_open_fd(fd, 1);
    stream_set_timeout(stream, 30000);
    bounce_attr_limits(&lim);
    attr_msg_init(&m, &lim);
    bounce_encode_request(&out, &req);
    if (attr_io_read(stream, &m, &scratch, &err) < 0 ||
        attr_check_announce(&m, BOUNCE_PROTO_NAME, BOUNCE_PROTO_VERSION, BOUNCE_PROTO_VERSION,
                            &err) != ATTR_OK ||
        attr_io_write(stream, &out, &err) < 0 || attr_io_read(stream, &m, &scratch, &err) < 0 ||
        bounce_decode_reply(&m, &status, &reason, &err) < 0) {
        printf("error: %s\n", buf_str(&err));
        status = -1;
    } else {
        printf("status: %d %s\n", status, buf_str(&reason));
    }
    attr_msg_free(&m);
    stream_free(stream);
    buf_release(&out);
    buf_release(&scratch);
    buf_release(&err);
    buf_release(&reason);
    return status < 0 ? 2 : status == BOUNCE_STAT_OK ? 0 : 1;
}
