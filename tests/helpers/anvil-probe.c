/*
 * anvil-probe.c - drives lib/mail/anvil_client.c and anvil_policy.c the way
 * smtpd will, for tests/integration/anvil.sh.
 *
 *   anvil-probe [-t TIMEOUT_MS] [-r RETRY_MS] [-H MYHOSTNAME]
 *               [-L COUNT,RATE,MESSAGE,RECIPIENT,NEWTLS,AUTH] [-x EXCEPTIONS]
 *               SOCKET STEP...
 *   STEP: REQUEST SERVICE ADDR    (connect disconnect message recipient
 *                                  newtls auth lookup), or: sleep MS
 * All steps share one client (one persistent connection). Each request
 * prints one line: "REQUEST SERVICE:ADDR ok count=.. rate=.. message_rate=..
 * recipient_rate=.. newtls_rate=.. auth_rate=.." or "... failed (allowed)";
 * with -L, a request that has a limit then prints "allowed", or "reply: ..."
 * and "log: ..." when the limit fires; a client in -x prints "exempt" and
 * is not sent to anvil (as smtpd must do). Exit 0 unless the usage is wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail/anvil_client.h"
#include "mail/anvil_policy.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

static void probe_usage(void)
{
    fprintf(stderr, "usage: anvil-probe [-t ms] [-r ms] [-H host] [-L c,r,m,r,t,a] [-x list] "
                    "SOCKET STEP...\n");
    exit(2);
}

static long probe_number(const char *s)
{
    long v;

    if (str_to_long(s, &v) < 0 || v < 0)
        probe_usage();
    return v;
}

static void probe_limits(const char *text, struct anvil_limits *lim)
{
    unsigned *field[] = {&lim->conn_count,     &lim->conn_rate,   &lim->message_rate,
                         &lim->recipient_rate, &lim->newtls_rate, &lim->auth_rate};
    char *copy = mem_strdup(text), *cursor = copy, *word;
    size_t i = 0;

    while ((word = str_token(&cursor, ",")) != NULL && i < 6)
        *field[i++] = (unsigned)probe_number(word);
    if (i != 6)
        probe_usage();
    mem_free(copy);
}

static int probe_request(const char *name, enum anvil_req_type *type, enum anvil_event *event)
{
    static const struct {
        const char *name;
        enum anvil_req_type type;
        int event;
    } map[] = {
        {"connect", ANVIL_REQ_CONNECT, ANVIL_EVENT_CONNECT},
        {"disconnect", ANVIL_REQ_DISCONNECT, -1},
        {"message", ANVIL_REQ_MESSAGE, ANVIL_EVENT_MESSAGE},
        {"recipient", ANVIL_REQ_RECIPIENT, ANVIL_EVENT_RECIPIENT},
        {"newtls", ANVIL_REQ_NEWTLS, ANVIL_EVENT_NEWTLS},
        {"auth", ANVIL_REQ_AUTH, ANVIL_EVENT_AUTH},
        {"lookup", ANVIL_REQ_LOOKUP, -1},
    };
    size_t i;

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].name, name) == 0) {
            *type = map[i].type;
            if (map[i].event < 0)
                return 0;
            *event = (enum anvil_event)map[i].event;
            return 1;
        }
    }
    probe_usage();
    return 0;
}

int main(int argc, char **argv)
{
    struct anvil_limits lim = {0};
    struct anvil_policy *policy = NULL;
    struct anvil_client *client;
    const char *myhostname = "localhost", *exceptions = "";
    long timeout_ms = 2000, retry_ms = 0;
    int use_policy = 0, ch, i;
    struct buf err = BUF_INIT, reply = BUF_INIT, log = BUF_INIT;

    msg_init("anvil-probe");
    while ((ch = getopt(argc, argv, "t:r:H:L:x:")) != -1) {
        switch (ch) {
        case 't':
            timeout_ms = probe_number(optarg);
            break;
        case 'r':
            retry_ms = probe_number(optarg);
            break;
        case 'H':
            myhostname = optarg;
            break;
        case 'L':
            probe_limits(optarg, &lim);
            use_policy = 1;
            break;
        case 'x':
            exceptions = optarg;
            break;
        default:
            probe_usage();
        }
    }
    if (argc - optind < 1)
        probe_usage();
    if (use_policy && (policy = anvil_policy_create(&lim, exceptions, &err)) == NULL) {
        fprintf(stderr, "anvil-probe: %s\n", buf_str(&err));
        return 2;
    }
    client = anvil_client_create(argv[optind], timeout_ms, retry_ms);
    for (i = optind + 1; i < argc;) {
        enum anvil_req_type type;
        enum anvil_event event = ANVIL_EVENT_CONNECT;
        struct anvil_counts n;
        struct anvil_peer peer;
        int has_event;

        if (strcmp(argv[i], "sleep") == 0 && i + 1 < argc) {
            long ms = probe_number(argv[i + 1]);
            struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

            nanosleep(&ts, NULL);
            i += 2;
            continue;
        }
        if (i + 2 >= argc)
            probe_usage();
        has_event = probe_request(argv[i], &type, &event);
        peer.service = argv[i + 1];
        peer.addr = argv[i + 2];
        peer.name = "unknown";
        peer.myhostname = myhostname;
        i += 3;
        if (policy != NULL && anvil_policy_exempt(policy, &peer)) {
            printf("%s %s:%s exempt\n", anvil_req_name(type), peer.service, peer.addr);
            fflush(stdout);
            continue;
        }
        if (anvil_client_request(client, type, peer.service, peer.addr, &n) < 0) {
            printf("%s %s:%s failed (allowed)\n", anvil_req_name(type), peer.service, peer.addr);
            fflush(stdout);
            continue;
        }
        printf("%s %s:%s ok count=%u rate=%u message_rate=%u recipient_rate=%u "
               "newtls_rate=%u auth_rate=%u\n",
               anvil_req_name(type), peer.service, peer.addr, (unsigned)n.count, (unsigned)n.rate,
               (unsigned)n.message_rate, (unsigned)n.recipient_rate, (unsigned)n.newtls_rate,
               (unsigned)n.auth_rate);
        if (policy != NULL && has_event) {
            if (anvil_policy_check(policy, event, &n, &peer, &reply, &log))
                printf("reply: %s\nlog: warning: %s\n", buf_str(&reply), buf_str(&log));
            else
                printf("allowed\n");
        }
        fflush(stdout);
    }
    anvil_client_free(client);
    anvil_policy_free(policy);
    buf_release(&err);
    buf_release(&reply);
    buf_release(&log);
    return 0;
}
