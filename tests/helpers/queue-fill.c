/*
 * queue-fill.c - test helper: writes finished queue files straight into a
 * queue through lib/mail/queue_file.h (and, with -R, a defer log per file
 * through lib/mail/recipient_log.h), much faster than submitting through
 * cleanup. For the queue tool tests and the 50,000-message timings.
 *
 * usage: queue-fill -c CONFIG_DIR [-q QUEUE] [-n COUNT] [-f SENDER]
 *        [-r RCPT]... [-R REASON]... [-T ARRIVAL_SECONDS] [-s SUBJECT]
 * The i-th -R is the deferral reason of the i-th recipient (the last one
 * given also covers the recipients after it). Prints the new IDs, one per line. Never used by the
 * mail system itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mail/queue_dir.h"
#include "mail/queue_file.h"
#include "mail/recipient_log.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/str.h"

#define FILL_MAX_RCPT 64

int main(int argc, char **argv)
{
    const char *queue = QUEUE_DEFERRED;
    const char *sender = "sender@client.example.test";
    const char *rcpts[FILL_MAX_RCPT];
    const char *reasons[FILL_MAX_RCPT];
    size_t nreason = 0;
    const char *subject = "queue-fill";
    size_t nrcpt = 0;
    long count = 1;
    long arrival = 0;
    struct queue_file_opts opts;
    struct queue_dir *qd;
    struct buf err = BUF_INIT;
    struct buf line = BUF_INIT;
    long n;
    size_t i;
    int ch;

    msg_init("queue-fill");
    while ((ch = getopt(argc, argv, "c:q:n:f:r:R:T:s:")) != -1) {
        switch (ch) {
        case 'c':
            conf_set_config_dir(optarg);
            break;
        case 'q':
            queue = optarg;
            break;
        case 'n':
            if (str_to_long(optarg, &count) < 0 || count < 0)
                msg_fatal("bad -n");
            break;
        case 'f':
            sender = optarg;
            break;
        case 'r':
            if (nrcpt == FILL_MAX_RCPT)
                msg_fatal("too many -r");
            rcpts[nrcpt++] = optarg;
            break;
        case 'R':
            if (nreason == FILL_MAX_RCPT)
                msg_fatal("too many -R");
            reasons[nreason++] = optarg;
            break;
        case 'T':
            if (str_to_long(optarg, &arrival) < 0 || arrival < 0)
                msg_fatal("bad -T");
            break;
        case 's':
            subject = optarg;
            break;
        default:
            msg_fatal("usage: queue-fill -c DIR [-q QUEUE] [-n N] [-f SENDER] [-r RCPT]... "
                      "[-R REASON]... [-T SECONDS] [-s SUBJECT]");
        }
    }
    if (nrcpt == 0)
        rcpts[nrcpt++] = "rcpt@example.test";
    conf_load_or_die();
    conf_apply_globals();
    qd = queue_dir_from_conf();
    queue_file_opts_init(&opts);
    opts.queue = queue;
    for (n = 0; n < count; n++) {
        struct queue_file *qf;
        struct timeval tv;
        off_t offs[FILL_MAX_RCPT];

        if ((qf = queue_file_create(qd, &opts, &err)) == NULL)
            msg_fatal("create: %s", buf_str(&err));
        gettimeofday(&tv, NULL);
        if (arrival > 0) {
            tv.tv_sec = arrival;
            tv.tv_usec = 0;
        }
        if (queue_file_put_time(qf, QUEUE_REC_TIME, &tv) < 0 ||
            queue_file_put_time(qf, QUEUE_REC_CTIME, &tv) < 0 ||
            queue_file_put_attr(qf, "log_ident", queue_file_id(qf)) < 0 ||
            queue_file_put_attr(qf, "rewrite_context", "local") < 0 ||
            queue_file_put_sender(qf, sender) < 0)
            msg_fatal("write: %s", queue_file_error(qf));
        for (i = 0; i < nrcpt; i++) {
            buf_printf(&line, "rfc822;%s", rcpts[i]);
            if (queue_file_put_recipient(qf, buf_str(&line), 0, rcpts[i], rcpts[i], &offs[i]) < 0)
                msg_fatal("write: %s", queue_file_error(qf));
            buf_reset(&line);
        }
        if (queue_file_begin_content(qf) < 0)
            msg_fatal("write: %s", queue_file_error(qf));
        buf_printf(&line, "From: <%s>", sender);
        (void)queue_file_put_line(qf, buf_str(&line), buf_len(&line));
        buf_reset(&line);
        buf_printf(&line, "To: <%s>", rcpts[0]);
        (void)queue_file_put_line(qf, buf_str(&line), buf_len(&line));
        buf_reset(&line);
        buf_printf(&line, "Subject: %s", subject);
        (void)queue_file_put_line(qf, buf_str(&line), buf_len(&line));
        buf_reset(&line);
        (void)queue_file_put_line(qf, "", 0);
        buf_printf(&line, "Body of %s.", subject);
        (void)queue_file_put_line(qf, buf_str(&line), buf_len(&line));
        buf_reset(&line);
        if (queue_file_finish(qf) < 0)
            msg_fatal("finish: %s", queue_file_error(qf));
        if (nreason > 0) {
            struct recipient_log *log =
                recipient_log_open(qd, QUEUE_DEFER, queue_file_id(qf), &err);

            if (log == NULL)
                msg_fatal("defer log: %s", buf_str(&err));
            for (i = 0; i < nrcpt; i++) {
                struct recipient_log_entry e;

                recipient_log_entry_init(&e);
                e.recipient = (char *)rcpts[i];
                e.orig_rcpt = (char *)rcpts[i];
                e.offset = (long)offs[i];
                e.time = (long)tv.tv_sec;
                e.dsn_status = (char *)"4.4.1";
                e.action = (char *)"delayed";
                e.relay = (char *)"none";
                e.reason = (char *)reasons[i < nreason ? i : nreason - 1];
                if (recipient_log_append(log, &e, &err) < 0)
                    msg_fatal("defer log: %s", buf_str(&err));
            }
            if (recipient_log_close(log, 0, &err) < 0)
                msg_fatal("defer log: %s", buf_str(&err));
        }
        printf("%s\n", queue_file_id(qf));
        queue_file_close(qf);
    }
    queue_dir_free(qd);
    buf_release(&err);
    buf_release(&line);
    return 0;
}
