/*
 * cleanup-submit.c - test helper: submits one message to a cleanup socket
 * through lib/mail/cleanup_client.h, the way smtpd and pickup do.
 *
 * Usage: cleanup-submit [options] SOCKET < content
 *   -f SENDER        envelope sender (default: empty, the null sender)
 *   -r RCPT[,ORCPT]  recipient, with a DSN ORCPT (repeatable)
 *   -N NOTIFY        DSN NOTIFY bits for the following -r (default 0)
 *   -a NAME=VALUE    named attribute (repeatable)
 *   -F FLAGS         CLEANUP_FLAG_* bits as a number
 *   -e ENVID, -R RET DSN envelope ID and RET (1 full, 2 hdrs)
 *   -k BYTES         abandon: close after the first BYTES of content, no end
 *   -s SECONDS       sleep after sending the content, before "end" (-k: before closing)
 *   -n               no env request: send "end" right away (protocol error)
 * Prints "queue_id: ID" as soon as cleanup announced it, then
 * "status: N REASON" (exit 0), or "error: REASON" (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mail/cleanup_client.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"

#define MAX_ITEMS 1000

int main(int argc, char **argv)
{
    struct cleanup_envelope env;
    struct cleanup_rcpt rcpt[MAX_ITEMS];
    struct cleanup_attr attr[MAX_ITEMS];
    struct cleanup_client *client;
    struct buf err = BUF_INIT, reason = BUF_INIT, content = BUF_INIT;
    size_t nrcpt = 0, nattr = 0, len;
    long abandon = -1, pause = 0;
    int notify = 0, no_env = 0, ch, status;
    char data[8192];
    ssize_t n;

    msg_init(argv[0]);
    memset(&env, 0, sizeof(env));
    env.sender = "";
    env.envid = "";
    env.encoding = "";
    while ((ch = getopt(argc, argv, "f:r:N:a:F:e:R:k:s:n")) != -1) {
        char *comma;

        switch (ch) {
        case 'f':
            env.sender = optarg;
            break;
        case 'r':
            if (nrcpt == MAX_ITEMS)
                msg_fatal("too many recipients");
            rcpt[nrcpt].address = optarg;
            rcpt[nrcpt].orcpt = "";
            rcpt[nrcpt].notify = notify;
            if ((comma = strchr(optarg, ',')) != NULL) {
                *comma = '\0';
                rcpt[nrcpt].orcpt = comma + 1;
            }
            nrcpt++;
            break;
        case 'N':
            notify = atoi(optarg);
            break;
        case 'a':
            if (nattr == MAX_ITEMS || (comma = strchr(optarg, '=')) == NULL)
                msg_fatal("bad -a %s", optarg);
            *comma = '\0';
            attr[nattr].name = optarg;
            attr[nattr].value = comma + 1;
            nattr++;
            break;
        case 'F':
            env.flags = atoi(optarg);
            break;
        case 'e':
            env.envid = optarg;
            break;
        case 'R':
            env.ret = atoi(optarg);
            break;
        case 'k':
            abandon = atol(optarg);
            break;
        case 's':
            pause = atol(optarg);
            break;
        case 'n':
            no_env = 1;
            break;
        default:
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: cleanup-submit [options] SOCKET < content\n");
        return 2;
    }
    env.attr = attr;
    env.nattr = nattr;
    while ((n = read(0, data, sizeof(data))) > 0)
        buf_append(&content, data, (size_t)n);
    if ((client = cleanup_client_open(argv[optind], 10000, &err)) == NULL) {
        printf("error: %s\n", buf_str(&err));
        return 1;
    }
    printf("queue_id: %s\n", cleanup_client_queue_id(client));
    fflush(stdout);
    if (!no_env) {
        if (cleanup_client_env(client, &env, &err) < 0 ||
            (nrcpt > 0 && cleanup_client_rcpt(client, rcpt, nrcpt, &err) < 0))
            goto fail;
        /* The client library sends 64 KB requests: with -k, only whole
         * requests before the cut reach cleanup. */
        len = abandon >= 0 && (size_t)abandon < content.len ? (size_t)abandon : content.len;
        if (len > 0 && cleanup_client_data(client, content.data, len, &err) < 0)
            goto fail;
    }
    if (pause > 0)
        sleep((unsigned)pause);
    if (abandon >= 0) {
        printf("abandoned\n");
        cleanup_client_close(client);
        buf_release(&err);
        buf_release(&reason);
        buf_release(&content);
        return 0;
    }
    if (cleanup_client_finish(client, &status, &reason, &err) < 0)
        goto fail;
    printf("status: %d %s\n", status, buf_str(&reason));
    cleanup_client_close(client);
    buf_release(&err);
    buf_release(&reason);
    buf_release(&content);
    return 0;
fail:
    printf("error: %s\n", buf_str(&err));
    cleanup_client_close(client);
    return 1;
}
