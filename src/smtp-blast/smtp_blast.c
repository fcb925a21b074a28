/*
 * smtp_blast.c - smtp-blast, an SMTP/LMTP load generator (issue 8).
 *
 * Run by people and by scripts/bench against an MTA or smtp-sink. One process,
 * one epoll loop (lib/util/events), non-blocking sockets: N sessions send M
 * messages in total and the time from writing the final "." to the final
 * reply is recorded per message. Every wait has a timeout; a server that
 * fails a step (4xx/5xx, close, garbage) costs the message in progress, is
 * counted by reply code, and its session is replaced while messages remain.
 * Each message is claimed by exactly one session before its first command,
 * so the total number of attempts never exceeds M, whatever the server does.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/events.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/str.h"

#include "blast_pattern.h"
#include "smtp/smtp_reply_parse.h"

#define BLAST_EXPECT_MAX 8 /* replies outstanding per session; more RCPTs wait */
#define BLAST_READ_CHUNK 16384

/* Pseudo reply codes for failures that carry no reply. */
enum blast_fail {
    BLAST_FAIL_CONNECT = 600,
    BLAST_FAIL_TIMEOUT,
    BLAST_FAIL_CLOSED,
    BLAST_FAIL_PROTOCOL,
    BLAST_FAIL_MAX
};

/* What a reply we wait for answers. */
enum blast_expect { EXP_GREETING, EXP_HELO, EXP_MAIL, EXP_RCPT, EXP_DATA, EXP_DOT, EXP_QUIT };

struct blast_opts {
    struct sock_endpoint ep;
    unsigned long sessions, messages, per_session, rcpts;
    size_t size;
    int pipelining, lmtp, allow_fail, verbose;
    long timeout_ms;
    const char *sender, *recipient, *helo;
};

struct blast_session {
    int fd;
    unsigned long id;   /* session number, from 1 */
    unsigned long msg;  /* message in progress (from 1), 0 when none */
    unsigned long done; /* messages finished in this session */
    int msg_failed;     /* the message in progress has failed */
    int connected, pipelining, quitting;
    unsigned long rcpt_next; /* lockstep: next recipient to send (from 1) */
    unsigned long rcpt_ok;   /* recipients accepted in this transaction */
    enum blast_expect expect[BLAST_EXPECT_MAX];
    size_t exp_head, exp_count;
    size_t dot_pending; /* final replies still due (LMTP: one per recipient) */
    int dot_timed;      /* dot_time is set */
    struct timespec dot_time;
    struct buf in, out;
    size_t in_off, out_off;
    int want_write;
};

struct blast {
    struct blast_opts o;
    struct event_loop *loop;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int family;
    struct buf filler; /* message body lines, dot-safe */
    struct smtp_reply_limits lim;
    struct smtp_reply_parsed reply;
    unsigned long next_msg, started_sessions, active, ok, failed;
    unsigned long fails[BLAST_FAIL_MAX];
    double *lat_ms;
    size_t lat_count;
    struct timespec first_connect, last_reply;
    int have_first;
    struct buf err;
};

static struct blast blast;

static double blast_ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void blast_usage(void)
{
    fprintf(stderr,
            "usage: smtp-blast [options] host:port | unix:/path\n"
            "  -c sessions      parallel sessions (1)\n"
            "  -m messages      messages in total (1)\n"
            "  -n count         messages per session, 0: no limit (0)\n"
            "  -r count         recipients per message (1)\n"
            "  -l bytes         message size (1024)\n"
            "  -f pattern       sender (blast%%s@example.test)\n"
            "  -t pattern       recipient (user%%r@example.test);\n"
            "                   %%m message, %%s session, %%r recipient number, %%%% a '%%'\n"
            "  -H name          EHLO/LHLO name (smtp-blast.example.test)\n"
            "  -P               PIPELINING when the server offers it\n"
            "  -L               LMTP (LHLO, one final reply per recipient)\n"
            "  -T seconds       timeout of every step (30)\n"
            "  -a               exit 0 even when messages failed\n"
            "  -v               log every failure\n");
    exit(2);
}

static unsigned long blast_opt_ulong(int opt, const char *arg, unsigned long min)
{
    long v;

    if (str_to_long(arg, &v) < 0 || v < 0 || (unsigned long)v < min)
        msg_fatal("-%c: bad number \"%s\"", opt, arg);
    return (unsigned long)v;
}

static void blast_parse_args(int argc, char **argv)
{
    struct blast_opts *o = &blast.o;
    int c;

    o->sessions = o->messages = o->rcpts = 1;
    o->per_session = 0;
    o->size = 1024;
    o->timeout_ms = 30000;
    o->sender = "blast%s@example.test";
    o->recipient = "user%r@example.test";
    o->helo = "smtp-blast.example.test";
    while ((c = getopt(argc, argv, "ac:f:H:l:Lm:n:Pr:t:T:v")) != -1) {
        switch (c) {
        case 'a':
            o->allow_fail = 1;
            break;
        case 'c':
            o->sessions = blast_opt_ulong(c, optarg, 1);
            break;
        case 'f':
            o->sender = optarg;
            break;
        case 'H':
            o->helo = optarg;
            break;
        case 'l':
            o->size = blast_opt_ulong(c, optarg, 0);
            break;
        case 'L':
            o->lmtp = 1;
            break;
        case 'm':
            o->messages = blast_opt_ulong(c, optarg, 1);
            break;
        case 'n':
            o->per_session = blast_opt_ulong(c, optarg, 0);
            break;
        case 'P':
            o->pipelining = 1;
            break;
        case 'r':
            o->rcpts = blast_opt_ulong(c, optarg, 1);
            break;
        case 't':
            o->recipient = optarg;
            break;
        case 'T':
            o->timeout_ms = (long)blast_opt_ulong(c, optarg, 1) * 1000;
            break;
        case 'v':
            o->verbose = 1;
            break;
        default:
            blast_usage();
        }
    }
    if (optind != argc - 1)
        blast_usage();
    if (o->rcpts > 100000)
        msg_fatal("-r: at most 100000 recipients per message");
    if (o->messages > 100000000 || o->sessions > 100000)
        msg_fatal("-m at most 100000000, -c at most 100000");
    if (o->timeout_ms > 86400000L)
        msg_fatal("-T: at most one day");
    if (blast_pattern_check(o->sender, &blast.err) < 0 ||
        blast_pattern_check(o->recipient, &blast.err) < 0 ||
        blast_pattern_check(o->helo, &blast.err) < 0)
        msg_fatal("%s", buf_str(&blast.err));
    if (strchr(o->helo, '%') != NULL)
        msg_fatal("-H: no placeholders in the EHLO name");
    if (sock_parse_endpoint(argv[optind], NULL, &o->ep, &blast.err) < 0)
        msg_fatal("%s", buf_str(&blast.err));
}

/* Resolves the target once: a load test must not measure the resolver. */
static void blast_resolve(void)
{
    const struct sock_endpoint *ep = &blast.o.ep;

    if (ep->kind == SOCK_ENDPOINT_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&blast.addr;

        sun->sun_family = AF_UNIX;
        if (snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", ep->path) >=
            (int)sizeof(sun->sun_path))
            msg_fatal("unix socket path too long: %s", ep->path);
        blast.addrlen = sizeof(*sun);
        blast.family = AF_UNIX;
    } else {
        struct addrinfo hints, *res;
        int rc;

        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        rc = getaddrinfo(ep->host[0] ? ep->host : "127.0.0.1", ep->port, &hints, &res);
        if (rc != 0)
            msg_fatal("%s:%s: %s", ep->host, ep->port, gai_strerror(rc));
        memcpy(&blast.addr, res->ai_addr, res->ai_addrlen);
        blast.addrlen = res->ai_addrlen;
        blast.family = res->ai_family;
        freeaddrinfo(res);
    }
}

/* The body after the headers: lines of 76 characters that never start with
 * '.', so no dot-stuffing is needed and the server's data parser sees the
 * realistic line length of encoded mail. */
static void blast_make_filler(size_t size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;

    buf_init(&blast.filler);
    while (buf_len(&blast.filler) < size) {
        size_t col;

        for (col = 0; col < 76; col++)
            buf_append_char(&blast.filler, alphabet[(i + col) % 64]);
        buf_append_str(&blast.filler, "\r\n");
        i++;
    }
}

static void blast_session_io(int fd, void *ctx);
static void blast_session_timeout(void *ctx);
static void blast_start_sessions(void);

static void blast_count_fail(struct blast_session *s, int code)
{
    if (s->msg == 0 || s->msg_failed)
        return;
    s->msg_failed = 1;
    blast.failed++;
    if (code >= 0 && code < BLAST_FAIL_MAX)
        blast.fails[code]++;
    if (blast.o.verbose)
        msg_warn("session %lu message %lu failed: %d", s->id, s->msg, code);
}

static void blast_session_free(struct blast_session *s)
{
    event_timer_cancel(blast.loop, blast_session_timeout, s);
    if (s->fd >= 0) {
        event_remove(blast.loop, s->fd);
        close(s->fd);
    }
    buf_release(&s->in);
    buf_release(&s->out);
    mem_free(s);
    blast.active--;
    blast_start_sessions();
    /* Only when nothing can start any more: a stop flag set before
     * event_loop_run() would end the run at once. */
    if (blast.active == 0 && blast.next_msg >= blast.o.messages)
        event_loop_stop(blast.loop);
}

/* Ends a session after a failure with no (usable) reply: counts it against
 * the message in progress and closes without QUIT. */
static void blast_session_abort(struct blast_session *s, int code)
{
    blast_count_fail(s, code);
    if (blast.o.verbose && s->msg == 0 && !s->quitting)
        msg_warn("session %lu: %d", s->id, code);
    blast_session_free(s);
}

static void blast_arm_timer(struct blast_session *s)
{
    event_timer_set(blast.loop, blast.o.timeout_ms, blast_session_timeout, s);
}

static void blast_session_timeout(void *ctx)
{
    struct blast_session *s = ctx;

    blast_session_abort(s, s->connected ? BLAST_FAIL_TIMEOUT : BLAST_FAIL_CONNECT);
}

static void blast_expect_push(struct blast_session *s, enum blast_expect e)
{
    if (s->exp_count == BLAST_EXPECT_MAX)
        msg_panic("blast_expect_push: queue full");
    s->expect[(s->exp_head + s->exp_count) % BLAST_EXPECT_MAX] = e;
    s->exp_count++;
}

/* Writes what can go out now; 0, or -1 after the session was freed. */
static int blast_flush(struct blast_session *s)
{
    while (s->out_off < buf_len(&s->out)) {
        ssize_t n =
            send(s->fd, buf_str(&s->out) + s->out_off, buf_len(&s->out) - s->out_off, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                if (!s->want_write) {
                    event_add_write(blast.loop, s->fd, blast_session_io, s);
                    s->want_write = 1;
                }
                return 0;
            }
            blast_session_abort(s, BLAST_FAIL_CLOSED);
            return -1;
        }
        s->out_off += (size_t)n;
    }
    buf_reset(&s->out);
    s->out_off = 0;
    if (s->want_write) {
        event_remove_write(blast.loop, s->fd);
        s->want_write = 0;
    }
    /* The final dot is out: the latency clock starts now. */
    if (s->dot_pending > 0 && !s->dot_timed) {
        clock_gettime(CLOCK_MONOTONIC, &s->dot_time);
        s->dot_timed = 1;
    }
    return 0;
}

static void blast_put_address_cmd(struct blast_session *s, const char *verb, const char *pattern,
                                  unsigned long rcpt)
{
    struct blast_pattern_vars v = {s->msg, s->id, rcpt};

    buf_append_str(&s->out, verb);
    blast_pattern_expand(&s->out, pattern, &v);
    buf_append_str(&s->out, ">\r\n");
}

static void blast_put_rcpt(struct blast_session *s)
{
    blast_put_address_cmd(s, "RCPT TO:<", blast.o.recipient, s->rcpt_next);
    blast_expect_push(s, EXP_RCPT);
    s->rcpt_next++;
}

/* Starts the transaction of s->msg: MAIL (and, pipelined, the RCPTs and DATA
 * that fit the reply queue; the rest follow as replies free it). */
static void blast_send_mail(struct blast_session *s)
{
    blast_put_address_cmd(s, "MAIL FROM:<", blast.o.sender, 0);
    blast_expect_push(s, EXP_MAIL);
    s->rcpt_next = 1;
    s->rcpt_ok = 0;
    if (s->pipelining) {
        while (s->rcpt_next <= blast.o.rcpts && s->exp_count < BLAST_EXPECT_MAX)
            blast_put_rcpt(s);
        if (s->rcpt_next > blast.o.rcpts && s->exp_count < BLAST_EXPECT_MAX) {
            buf_append_str(&s->out, "DATA\r\n");
            blast_expect_push(s, EXP_DATA);
            s->rcpt_next++;
        }
    }
}

static void blast_send_body(struct blast_session *s)
{
    struct blast_pattern_vars v = {s->msg, s->id, 1};
    size_t start = buf_len(&s->out), hdr, fill;

    buf_append_str(&s->out, "From: <");
    blast_pattern_expand(&s->out, blast.o.sender, &v);
    buf_append_str(&s->out, ">\r\nTo: <");
    blast_pattern_expand(&s->out, blast.o.recipient, &v);
    buf_printf(&s->out,
               ">\r\nSubject: smtp-blast message %lu\r\n"
               "Message-ID: <%lu.%lu.%ld@smtp-blast.example.test>\r\n\r\n",
               s->msg, s->msg, s->id, (long)getpid());
    hdr = buf_len(&s->out) - start;
    fill = blast.o.size > hdr ? blast.o.size - hdr : 0;
    if (fill > buf_len(&blast.filler))
        fill = buf_len(&blast.filler);
    buf_append(&s->out, buf_str(&blast.filler), fill);
    if (fill > 0 && buf_str(&blast.filler)[fill - 1] != '\n')
        buf_append_str(&s->out, "\r\n");
    buf_append_str(&s->out, ".\r\n");
    /* LMTP answers once per accepted recipient (RFC 2033 section 4.2). */
    s->dot_pending = blast.o.lmtp && s->rcpt_ok > 0 ? s->rcpt_ok : 1;
    s->dot_timed = 0;
    blast_expect_push(s, EXP_DOT);
}

static void blast_send_quit(struct blast_session *s)
{
    buf_append_str(&s->out, "QUIT\r\n");
    blast_expect_push(s, EXP_QUIT);
    s->quitting = 1;
}

/* Claims the next message for s, or returns 0 when s should quit. */
static int blast_claim(struct blast_session *s)
{
    s->msg = 0;
    s->msg_failed = 0;
    if (blast.next_msg >= blast.o.messages)
        return 0;
    if (blast.o.per_session > 0 && s->done >= blast.o.per_session)
        return 0;
    s->msg = ++blast.next_msg;
    return 1;
}

static void blast_message_done(struct blast_session *s)
{
    if (!s->msg_failed) {
        blast.lat_ms[blast.lat_count++] = blast_ms_between(&s->dot_time, &blast.last_reply);
        blast.ok++;
    }
    s->done++;
    s->dot_pending = 0;
    if (blast_claim(s))
        blast_send_mail(s);
    else
        blast_send_quit(s);
}

/* Handles one reply; returns 0, or -1 after the session was freed. */
static int blast_handle_reply(struct blast_session *s, const struct smtp_reply_parsed *r)
{
    enum blast_expect e;
    int ok = r->code >= 200 && r->code < 300, more;

    if (s->exp_count == 0) {
        blast_session_abort(s, BLAST_FAIL_PROTOCOL);
        return -1;
    }
    e = s->expect[s->exp_head];
    more = e == EXP_DOT && s->dot_pending > 1; /* LMTP: more final replies to come */
    if (more) {
        s->dot_pending--;
    } else {
        s->exp_head = (s->exp_head + 1) % BLAST_EXPECT_MAX;
        s->exp_count--;
    }
    if (e == EXP_QUIT) {
        blast_session_free(s);
        return -1;
    }
    if (e == EXP_RCPT && ok)
        s->rcpt_ok++;
    if (e == EXP_DATA && r->code == 354) {
        /* Pipelined, DATA may be accepted although a RCPT failed (RFC
         * 2920 section 3.1): the message goes to the accepted recipients,
         * as a real client would send it, and still counts as failed
         * here, so smtp-sink may count more messages than smtp-blast. */
        blast_send_body(s);
        return 0;
    }
    if (!ok || (e == EXP_DATA)) {
        /* A failure, or a 2xx where 354 belongs: the message is lost and
         * the session ends once the replies already due have arrived. */
        blast_count_fail(s, ok ? BLAST_FAIL_PROTOCOL : r->code);
        if (r->code == 421) {
            blast_session_free(s);
            return -1;
        }
    }
    if (more)
        return 0;
    if (s->msg_failed || s->quitting) {
        if (s->exp_count == 0 && !s->quitting)
            blast_send_quit(s);
        return 0;
    }
    switch (e) {
    case EXP_GREETING:
        buf_printf(&s->out, "%s %s\r\n", blast.o.lmtp ? "LHLO" : "EHLO", blast.o.helo);
        blast_expect_push(s, EXP_HELO);
        break;
    case EXP_HELO:
        s->pipelining = blast.o.pipelining && smtp_reply_has_ext(r, "PIPELINING");
        blast_send_mail(s);
        break;
    case EXP_MAIL:
    case EXP_RCPT:
        if (s->rcpt_next <= blast.o.rcpts) {
            blast_put_rcpt(s);
        } else if (s->rcpt_next == blast.o.rcpts + 1) {
            buf_append_str(&s->out, "DATA\r\n");
            blast_expect_push(s, EXP_DATA);
            s->rcpt_next++;
        }
        break;
    case EXP_DOT:
        blast_message_done(s);
        break;
    case EXP_DATA:
    case EXP_QUIT:
        break;
    }
    return 0;
}

static void blast_session_read(struct blast_session *s)
{
    ssize_t n;
    size_t used;

    buf_reserve(&s->in, BLAST_READ_CHUNK);
    n = recv(s->fd, s->in.data + s->in.len, BLAST_READ_CHUNK, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        /* After QUIT, or after a failure was counted, this costs nothing. */
        blast_session_abort(s, BLAST_FAIL_CLOSED);
        return;
    }
    s->in.len += (size_t)n;
    s->in.data[s->in.len] = '\0';
    for (;;) {
        enum smtp_reply_parse_status st =
            smtp_reply_parse(buf_str(&s->in) + s->in_off, buf_len(&s->in) - s->in_off, &blast.lim,
                             &blast.reply, &used, &blast.err);

        if (st == SMTP_REPLY_PARSE_NEED_MORE)
            break;
        if (st == SMTP_REPLY_PARSE_BAD) {
            if (blast.o.verbose)
                msg_warn("session %lu: %s", s->id, buf_str(&blast.err));
            blast_session_abort(s, BLAST_FAIL_PROTOCOL);
            return;
        }
        s->in_off += used;
        clock_gettime(CLOCK_MONOTONIC, &blast.last_reply);
        if (blast_handle_reply(s, &blast.reply) < 0)
            return;
    }
    /* Keep unparsed bytes at the start, so the buffer stays small. */
    if (s->in_off > 0) {
        memmove(s->in.data, s->in.data + s->in_off, s->in.len - s->in_off);
        buf_truncate(&s->in, s->in.len - s->in_off);
        s->in_off = 0;
    }
    if (blast_flush(s) < 0)
        return;
    blast_arm_timer(s);
}

static void blast_session_io(int fd, void *ctx)
{
    struct blast_session *s = ctx;

    if (!s->connected) {
        int soerr = 0;
        socklen_t len = sizeof(soerr);

        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0) {
            if (blast.o.verbose)
                msg_warn("session %lu: connect: %s", s->id, strerror(soerr ? soerr : errno));
            blast_session_abort(s, BLAST_FAIL_CONNECT);
            return;
        }
        s->connected = 1;
        event_remove_write(blast.loop, fd);
        s->want_write = 0;
        event_add_read(blast.loop, fd, blast_session_io, s);
        blast_arm_timer(s);
        return;
    }
    if (s->want_write) {
        if (blast_flush(s) < 0)
            return;
        blast_arm_timer(s); /* the peer is taking data: progress */
    }
    blast_session_read(s);
}

static void blast_session_start(void)
{
    struct blast_session *s = mem_calloc(1, sizeof(*s));
    int fd;

    s->id = ++blast.started_sessions;
    buf_init(&s->in);
    buf_init(&s->out);
    blast.active++;
    blast_claim(s);
    blast_expect_push(s, EXP_GREETING);
    if (!blast.have_first) {
        clock_gettime(CLOCK_MONOTONIC, &blast.first_connect);
        blast.have_first = 1;
    }
    fd = socket(blast.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s->fd = fd;
    if (fd < 0) {
        msg_warn("socket: %m");
        blast_session_abort(s, BLAST_FAIL_CONNECT);
        return;
    }
    if (connect(fd, (struct sockaddr *)&blast.addr, blast.addrlen) == 0) {
        s->connected = 1;
        event_add_read(blast.loop, fd, blast_session_io, s);
    } else if (errno == EINPROGRESS) {
        event_add_write(blast.loop, fd, blast_session_io, s);
        s->want_write = 1;
    } else {
        if (blast.o.verbose)
            msg_warn("session %lu: connect: %m", s->id);
        blast_session_abort(s, BLAST_FAIL_CONNECT);
        return;
    }
    blast_arm_timer(s);
}

/* Keeps o.sessions sessions open while unclaimed messages remain. Sessions
 * that end inside this loop call it again, so it guards against recursion. */
static void blast_start_sessions(void)
{
    static int running;

    if (running)
        return;
    running = 1;
    while (blast.active < blast.o.sessions && blast.next_msg < blast.o.messages)
        blast_session_start();
    running = 0;
}

static int blast_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the sorted latencies. */
static double blast_percentile(double p)
{
    size_t rank;

    if (blast.lat_count == 0)
        return 0;
    rank = (size_t)(p / 100.0 * (double)blast.lat_count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > blast.lat_count)
        rank = blast.lat_count;
    return blast.lat_ms[rank - 1];
}

static void blast_report(void)
{
    static const char *const pseudo[] = {"connect", "timeout", "closed", "protocol"};
    double secs = 0;
    int code, any = 0;

    /* No reply at all (every connect failed or timed out): up to now. */
    if (blast.last_reply.tv_sec == 0 && blast.last_reply.tv_nsec == 0)
        clock_gettime(CLOCK_MONOTONIC, &blast.last_reply);
    if (blast.have_first)
        secs = blast_ms_between(&blast.first_connect, &blast.last_reply) / 1e3;
    qsort(blast.lat_ms, blast.lat_count, sizeof(double), blast_cmp_double);
    printf("messages %lu ok %lu failed %lu sessions %lu\n", blast.ok + blast.failed, blast.ok,
           blast.failed, blast.started_sessions);
    printf("elapsed %.3f s rate %.1f msg/s\n", secs, secs > 0 ? (double)blast.ok / secs : 0.0);
    printf("latency_ms p50 %.3f p90 %.3f p99 %.3f max %.3f\n", blast_percentile(50),
           blast_percentile(90), blast_percentile(99), blast_percentile(100));
    printf("errors");
    for (code = 0; code < BLAST_FAIL_MAX; code++) {
        if (blast.fails[code] == 0)
            continue;
        if (code >= BLAST_FAIL_CONNECT)
            printf(" %s=%lu", pseudo[code - BLAST_FAIL_CONNECT], blast.fails[code]);
        else
            printf(" %d=%lu", code, blast.fails[code]);
        any = 1;
    }
    printf("%s\n", any ? "" : " none");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    msg_init(argv[0]);
    signal(SIGPIPE, SIG_IGN);
    buf_init(&blast.err);
    blast_parse_args(argc, argv);
    blast_resolve();
    blast_make_filler(blast.o.size);
    blast.lim.max_line = 2048;
    blast.lim.max_lines = 100;
    smtp_reply_parsed_init(&blast.reply);
    blast.lat_ms = mem_alloc(mem_size_mul(blast.o.messages, sizeof(double)));
    blast.loop = event_loop_new();
    blast_start_sessions();
    if (blast.active > 0)
        event_loop_run(blast.loop);
    blast_report();
    event_loop_free(blast.loop);
    smtp_reply_parsed_release(&blast.reply);
    buf_release(&blast.filler);
    buf_release(&blast.err);
    mem_free(blast.lat_ms);
    return blast.failed > 0 && !blast.o.allow_fail ? 1 : 0;
}
