/*
 * deliver-request.c - test helper: plays qmgr for one delivery request.
 * Reads the envelope of a queue file, sends the request (deliver_proto.h)
 * to a delivery agent and prints the agent's per-recipient results.
 *
 * Usage: deliver-request [options] QUEUE_DIRECTORY QUEUE ID
 *   -s SOCKET     connect to an agent's UNIX socket, or
 *   -x PROGRAM    run PROGRAM -S [ARGS after "--"] on a socket pair (stand-alone)
 *   -t TRANSPORT  transport name (default local), -n NEXTHOP (default localhost)
 *   -r RCPT       deliver only these recipients (repeatable; default: all not done)
 *   -V            address verification request (DELIVER_FLAG_VERIFY)
 *   -M            send the recipients' record offsets, so the agent marks
 *                 the delivered ones done as it would for qmgr (default:
 *                 offset 0, nothing marked, the file can be delivered again)
 * Prints one line per recipient: "RCPT: status=N dsn=X action=A relay=R reason=TEXT";
 * exits 0 when the conversation worked, 1 otherwise. Never changes the queue
 * file itself (without -M the agent does not either).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mail/deliver_proto.h"
#include "mail/queue_dir.h"
#include "mail/queue_reader.h"
#include "util/attr_io.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/stream.h"

#define MAX_RCPT 1000

/* -M: send record offsets (the agent then marks done). */
static int send_offsets;

static int wanted(char **only, size_t nonly, const char *addr)
{
    size_t i;

    if (nonly == 0)
        return 1;
    for (i = 0; i < nonly; i++)
        if (strcmp(only[i], addr) == 0)
            return 1;
    return 0;
}

/* Fills req from the queue file's envelope. */
static void read_envelope(struct queue_reader *r, struct deliver_request *req, char **only,
                          size_t nonly)
{
    struct queue_record rec;
    struct timeval tv;
    struct buf why = BUF_INIT;
    char *orcpt = NULL, *dsn_orcpt = NULL;
    int notify = 0, n;

    while ((n = queue_reader_next(r, &rec)) > 0 && rec.type != QUEUE_REC_MESG) {
        switch (rec.type) {
        case QUEUE_REC_TIME:
            if (queue_time_parse(rec.data, rec.len, &tv, &why) == 0) {
                req->arrival_sec = tv.tv_sec;
                req->arrival_usec = tv.tv_usec;
            }
            break;
        case QUEUE_REC_SENDER:
            req->sender = mem_strdup(rec.data);
            break;
        case QUEUE_REC_ORCPT:
            mem_free(orcpt);
            orcpt = mem_strdup(rec.data);
            break;
        case QUEUE_REC_DSN_NOTIFY:
            notify = atoi(rec.data);
            break;
        case QUEUE_REC_ATTR:
            if (strncmp(rec.data, QUEUE_ATTR_DSN_ORCPT "=", strlen(QUEUE_ATTR_DSN_ORCPT) + 1) ==
                0) {
                mem_free(dsn_orcpt);
                dsn_orcpt = mem_strdup(rec.data + strlen(QUEUE_ATTR_DSN_ORCPT) + 1);
            }
            break;
        case QUEUE_REC_RCPT:
            if (wanted(only, nonly, rec.data)) {
                if (req->nrcpt == MAX_RCPT)
                    msg_fatal("too many recipients");
                req->rcpt = mem_realloc(req->rcpt, (req->nrcpt + 1) * sizeof(req->rcpt[0]));
                req->rcpt[req->nrcpt].address = mem_strdup(rec.data);
                req->rcpt[req->nrcpt].orcpt = orcpt ? orcpt : mem_strdup("");
                req->rcpt[req->nrcpt].dsn_orcpt = dsn_orcpt ? dsn_orcpt : mem_strdup("");
                req->rcpt[req->nrcpt].notify = notify;
                req->rcpt[req->nrcpt].offset = send_offsets ? (long)rec.offset : 0;
                req->nrcpt++;
                orcpt = dsn_orcpt = NULL;
            }
            __attribute__((fallthrough)); /* reset per-recipient state */
        case QUEUE_REC_DONE:
            mem_free(orcpt);
            mem_free(dsn_orcpt);
            orcpt = dsn_orcpt = NULL;
            notify = 0;
            break;
        default:
            break;
        }
    }
    if (n < 0)
        msg_fatal("queue file: %s", queue_reader_error(r));
    mem_free(orcpt);
    mem_free(dsn_orcpt);
    buf_release(&why);
}

int main(int argc, char **argv)
{
    struct deliver_request req;
    struct deliver_result *res = NULL;
    struct queue_dir *qd;
    struct queue_reader *r;
    struct stream *stream;
    struct attr_limits lim;
    struct attr_msg msg;
    struct buf err = BUF_INIT, out = BUF_INIT, scratch = BUF_INIT;
    const struct queue_size *size;
    char *only[MAX_RCPT], *sock_path = NULL, *program = NULL;
    size_t nonly = 0, count = 0, i;
    int ch, fd, pair[2], wstatus, ret = 1;
    pid_t pid = -1;

    msg_init(argv[0]);
    memset(&req, 0, sizeof(req));
    req.transport = mem_strdup("local");
    req.nexthop = mem_strdup("localhost");
    while ((ch = getopt(argc, argv, "s:x:t:n:r:VM")) != -1) {
        switch (ch) {
        case 's':
            sock_path = optarg;
            break;
        case 'x':
            program = optarg;
            break;
        case 't':
            mem_free(req.transport);
            req.transport = mem_strdup(optarg);
            break;
        case 'n':
            mem_free(req.nexthop);
            req.nexthop = mem_strdup(optarg);
            break;
        case 'r':
            if (nonly == MAX_RCPT)
                msg_fatal("too many -r");
            only[nonly++] = optarg;
            break;
        case 'V':
            req.flags |= DELIVER_FLAG_VERIFY;
            break;
        case 'M':
            send_offsets = 1;
            break;
        default:
            msg_fatal("usage: %s [-s SOCKET | -x PROGRAM] [-t T] [-n N] [-r RCPT] [-V] [-M] "
                      "QUEUE_DIRECTORY QUEUE ID [-- ARGS]",
                      argv[0]);
        }
    }
    if (argc - optind < 3 || (sock_path == NULL) == (program == NULL))
        msg_fatal("usage: %s [-s SOCKET | -x PROGRAM] QUEUE_DIRECTORY QUEUE ID [-- ARGS]", argv[0]);
    if ((qd = queue_dir_new(argv[optind], "deferred, defer", 1, 0, &err)) == NULL)
        msg_fatal("%s", buf_str(&err));
    if ((r = queue_reader_open(qd, argv[optind + 1], argv[optind + 2], 0, &err)) == NULL)
        msg_fatal("%s", buf_str(&err));
    req.queue_name = mem_strdup(argv[optind + 1]);
    req.queue_id = mem_strdup(argv[optind + 2]);
    req.envid = mem_strdup("");
    read_envelope(r, &req, only, nonly);
    if (req.sender == NULL)
        req.sender = mem_strdup("");
    if ((size = queue_reader_size(r)) != NULL) {
        req.data_offset = size->content_offset;
        req.data_size = size->content_size;
    }
    queue_reader_close(r);
    req.active_sec = req.queued_sec = req.arrival_sec;
    req.active_usec = req.queued_usec = req.arrival_usec;

    if (sock_path) {
        if ((fd = sock_connect_unix(sock_path, 10000, &err)) < 0)
            msg_fatal("%s", buf_str(&err));
    } else {
        char **args = mem_calloc((size_t)argc + 3, sizeof(char *));
        int n = 0, k;

        args[n++] = program;
        args[n++] = "-S";
        for (k = optind + 3; k < argc; k++)
            args[n++] = argv[k];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
            msg_fatal("socketpair: %s", strerror(errno));
        if ((pid = fork()) < 0)
            msg_fatal("fork: %s", strerror(errno));
        if (pid == 0) {
            if (dup2(pair[1], 0) < 0 || dup2(pair[1], 1) < 0)
                _exit(127);
            close(pair[0]);
            close(pair[1]);
            execv(program, args);
            _exit(127);
        }
        close(pair[1]);
        fd = pair[0];
        mem_free(args);
    }
    stream = stream_open_fd(fd, 1);
    stream_set_timeout(stream, 60000);
    attr_limits_init(&lim);
    attr_msg_init(&msg, &lim);
    if (attr_io_read(stream, &msg, &scratch, &err) < 0 ||
        attr_check_announce(&msg, DELIVER_PROTO_NAME, DELIVER_PROTO_VERSION, DELIVER_PROTO_VERSION,
                            &err) != ATTR_OK) {
        printf("error: %s\n", buf_str(&err));
        goto done;
    }
    attr_msg_free(&msg);
    deliver_attr_limits(&lim);
    attr_msg_init(&msg, &lim);
    deliver_encode_request(&out, &req);
    if (attr_io_write(stream, &out, &err) < 0) {
        printf("error: %s\n", buf_str(&err));
        goto done;
    }
    if (attr_io_read(stream, &msg, &scratch, &err) < 0 ||
        deliver_decode_results(&msg, &res, &count, &err) < 0) {
        printf("error: %s\n", buf_str(&err));
        goto done;
    }
    for (i = 0; i < count && i < req.nrcpt; i++)
        printf("%s: status=%d dsn=%s action=%s relay=%s reason=%s\n", req.rcpt[i].address,
               res[i].status, res[i].dsn_status, res[i].action, res[i].relay, res[i].reason);
    ret = count == req.nrcpt ? 0 : 1;
done:
    attr_msg_free(&msg);
    stream_free(stream);
    if (pid > 0)
        while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
            continue;
    if (res)
        deliver_results_free(res, count);
    deliver_request_free(&req);
    buf_release(&err);
    buf_release(&out);
    buf_release(&scratch);
    return ret;
}
