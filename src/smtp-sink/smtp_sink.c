/*
 * smtp_sink.c - smtp-sink, an SMTP/LMTP receiver that counts messages (issue 8).
 *
 * The far end of a relay for tests and scripts/bench, or a stand-in MTA for
 * smtp-blast. One process, one epoll loop; it can store (and fsync) each
 * message, inject 4xx/5xx replies and delays per stage (sink_spec.c), and
 * stop after a count or a time. A message counts when its final 250 goes out
 * (LMTP: its recipients' 250s). Pipelined input is answered strictly in order:
 * a delayed reply holds back all later input. A client can never grow its
 * memory without bound: command lines and stored messages have limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/events.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/str.h"

#include "sink_spec.h"

#define SINK_LINE_MAX   4096 /* command line, CRLF included */
#define SINK_READ_CHUNK 16384
#define SINK_STORE_MAX  (256UL << 20) /* a stored message beyond this is rejected */
#define SINK_RULES_MAX  16

enum sink_input { IN_CMD, IN_DATA, IN_BDAT };

struct sink_session {
    int fd;
    unsigned long id;
    struct sink_session *prev, *next;
    struct buf in, out, pending, msg, sender;
    size_t in_off, out_off;
    enum sink_input input;
    int helo, have_mail, at_line_start, paused, closing, reading, writing;
    int pending_close, pending_counts, bdat_bad;
    size_t nrcpt, bytes;
    unsigned long chunk_left;
    int chunk_last;
};

static struct sink {
    struct event_loop *loop;
    int lmtp, verbose, fsync_each;
    const char *store_dir, *count_file, *port_file;
    unsigned long target;
    long stop_after_s;
    size_t size_limit;
    struct sink_inject inject[SINK_STAGES];
    long delay_ms[SINK_STAGES];
    struct sink_rule rules[SINK_RULES_MAX];
    size_t nrules;
    unsigned ext; /* SINK_EXT_* bits advertised */
    int listen_fd;
    struct sink_session *sessions;
    unsigned long nsessions, messages, recipients, rejected;
    unsigned long transactions;
    struct buf reply;
} sink;

static void sink_usage(void)
{
    fprintf(stderr, "usage: smtp-sink [options] host:port | unix:/path  (port 0: any free port)\n"
                    "  -L               LMTP (one final reply per recipient)\n"
                    "  -c count         exit after count messages\n"
                    "  -t seconds       exit after this time\n"
                    "  -o file          write the message count to file at exit\n"
                    "  -w file          write the port (or path) listened on to file\n"
                    "  -d dir           store each message in dir\n"
                    "  -F               fsync each stored message before the reply\n"
                    "  -e stage:code[:fraction]  reply code for a fraction (1) of a stage's\n"
                    "                   events; stages greeting helo mail rcpt data dot\n"
                    "  -R pattern:code  reply code to recipients matching pattern (fnmatch)\n"
                    "  -D stage:ms      delay a stage's reply\n"
                    "  -x list          extensions advertised (PIPELINING,SIZE,8BITMIME,DSN,\n"
                    "                   CHUNKING,ENHANCEDSTATUSCODES; all by default; none)\n"
                    "  -S bytes         SIZE limit, enforced (0: none)\n"
                    "  -v               log every message\n");
    exit(2);
}

static long sink_number(const char *what, const char *s, long min, long max)
{
    long v;

    if (str_to_long(s, &v) < 0 || v < min || v > max)
        msg_fatal("%s: bad number \"%s\" (%ld-%ld)", what, s, min, max);
    return v;
}

static void sink_write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF)
        msg_fatal("write %s: %m", path);
}

static void sink_finish(void)
{
    struct sink_session *s;
    char text[64];

    /* Best effort: replies already decided go out before we exit. */
    for (s = sink.sessions; s != NULL; s = s->next) {
        if (s->out_off < buf_len(&s->out))
            (void)!send(s->fd, buf_str(&s->out) + s->out_off, buf_len(&s->out) - s->out_off,
                        MSG_NOSIGNAL);
    }
    if (snprintf(text, sizeof(text), "%lu\n", sink.messages) >= (int)sizeof(text))
        msg_panic("sink_finish: count does not fit");
    if (sink.count_file != NULL)
        sink_write_file(sink.count_file, text);
    printf("messages %lu recipients %lu rejected %lu sessions %lu\n", sink.messages,
           sink.recipients, sink.rejected, sink.nsessions);
    fflush(stdout);
    exit(0);
}

static void sink_session_io(int fd, void *ctx);
static void sink_process(struct sink_session *s);
static void sink_delay_done(void *ctx);

static void sink_session_free(struct sink_session *s)
{
    event_timer_cancel(sink.loop, sink_delay_done, s);
    event_remove(sink.loop, s->fd);
    close(s->fd);
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        sink.sessions = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    buf_release(&s->in);
    buf_release(&s->out);
    buf_release(&s->pending);
    buf_release(&s->msg);
    buf_release(&s->sender);
    mem_free(s);
}

/* Sends what it can; keeps write interest while output remains. 0, or -1
 * after the session was freed. */
static int sink_flush(struct sink_session *s)
{
    while (s->out_off < buf_len(&s->out)) {
        ssize_t n =
            send(s->fd, buf_str(&s->out) + s->out_off, buf_len(&s->out) - s->out_off, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!s->writing && event_add_write(sink.loop, s->fd, sink_session_io, s) == 0)
                s->writing = 1;
            return 0;
        }
        if (n < 0) {
            sink_session_free(s);
            return -1;
        }
        s->out_off += (size_t)n;
    }
    buf_reset(&s->out);
    s->out_off = 0;
    if (s->writing) {
        event_remove_write(sink.loop, s->fd);
        s->writing = 0;
    }
    if (s->closing) {
        sink_session_free(s);
        return -1;
    }
    return 0;
}

static void sink_set_reading(struct sink_session *s, int on)
{
    if (on && !s->reading)
        event_add_read(sink.loop, s->fd, sink_session_io, s);
    else if (!on && s->reading)
        event_remove_read(sink.loop, s->fd);
    s->reading = on;
}

/* Puts a reply in the output, counting the message it completes. */
static void sink_release(struct sink_session *s, const char *text, size_t len, int counts,
                         int close_after)
{
    buf_append(&s->out, text, len);
    if (close_after)
        s->closing = 1;
    if (counts) {
        sink.messages++;
        if (sink.target > 0 && sink.messages >= sink.target)
            sink_finish();
    }
}

/* Queues sink.reply as the answer of a stage: at once, or after the stage's
 * delay, holding back all later input until then (replies stay in order). */
static void sink_respond(struct sink_session *s, enum sink_stage stage, int counts, int close_after)
{
    if (sink.delay_ms[stage] > 0) {
        buf_set_mem(&s->pending, buf_str(&sink.reply), buf_len(&sink.reply));
        s->pending_counts = counts;
        s->pending_close = close_after;
        s->paused = 1;
        event_timer_set(sink.loop, sink.delay_ms[stage], sink_delay_done, s);
    } else {
        sink_release(s, buf_str(&sink.reply), buf_len(&sink.reply), counts, close_after);
    }
    buf_reset(&sink.reply);
}

static void sink_line(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends "code x.y.z text" (the enhanced code from the class) to sink.reply. */
static void sink_line(int code, const char *fmt, ...)
{
    va_list ap;

    buf_printf(&sink.reply, "%d %d.0.0 ", code, code / 100);
    va_start(ap, fmt);
    buf_vprintf(&sink.reply, fmt, ap);
    va_end(ap);
    buf_append_str(&sink.reply, "\r\n");
}

static void sink_reset_transaction(struct sink_session *s)
{
    s->have_mail = 0;
    s->nrcpt = 0;
    s->bytes = 0;
    buf_reset(&s->msg);
    buf_reset(&s->sender);
}

static int sink_store(struct sink_session *s)
{
    struct buf path = BUF_INIT;
    int fd, rc = 0;
    size_t off = 0;

    buf_printf(&path, "%s/%ld.%lu.%lu.eml", sink.store_dir, (long)getpid(), s->id,
               sink.transactions);
    fd = open(buf_str(&path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        rc = -1;
    while (rc == 0 && off < buf_len(&s->msg)) {
        ssize_t n = write(fd, buf_str(&s->msg) + off, buf_len(&s->msg) - off);

        if (n < 0 && errno != EINTR)
            rc = -1;
        else if (n > 0)
            off += (size_t)n;
    }
    if (rc == 0 && sink.fsync_each && fsync(fd) < 0)
        rc = -1;
    if (fd >= 0 && close(fd) < 0)
        rc = -1;
    if (rc < 0)
        msg_warn("store %s: %m", buf_str(&path));
    buf_release(&path);
    return rc;
}

/* The end of DATA or of the LAST chunk: the final reply(s). */
static void sink_end_message(struct sink_session *s)
{
    int code = sink_inject_pick(&sink.inject[SINK_DOT]);
    size_t i, n = sink.lmtp ? s->nrcpt : 1;
    int counts = 0;

    if (code == 0 && sink.size_limit > 0 && s->bytes > sink.size_limit)
        code = 552;
    if (code == 0 && sink.store_dir != NULL && buf_len(&s->msg) > SINK_STORE_MAX)
        code = 552;
    if (code == 0 && sink.store_dir != NULL && sink_store(s) < 0)
        code = 451;
    for (i = 0; i < n; i++) {
        if (code != 0)
            sink_line(code, "%s", code == 552 ? "message too big" : "injected failure");
        else
            sink_line(250, "Ok: queued as %lu", sink.transactions);
    }
    if (code == 0) {
        counts = 1;
        if (sink.verbose)
            printf("message %lu from <%s> recipients %zu bytes %zu\n", sink.transactions,
                   buf_str(&s->sender), s->nrcpt, s->bytes);
    } else {
        sink.rejected++;
    }
    sink_reset_transaction(s);
    sink_respond(s, SINK_DOT, counts, code == 421);
}

/* Extracts the address of "MAIL FROM:<a> ..." / "RCPT TO:<a> ...". */
static void sink_address(const char *arg, struct buf *out)
{
    const char *lt = strchr(arg, '<'), *gt;

    buf_reset(out);
    if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
        buf_append(out, lt + 1, (size_t)(gt - lt - 1));
    } else {
        size_t n = strcspn(arg, " ");

        buf_append(out, arg, n);
    }
}

static void sink_ehlo(struct sink_session *s, const char *verb)
{
    size_t i;
    int code = sink_inject_pick(&sink.inject[SINK_HELO]);

    if (code != 0) {
        sink_line(code, "injected failure");
        sink_respond(s, SINK_HELO, 0, code == 421);
        return;
    }
    s->helo = 1;
    sink_reset_transaction(s);
    if (strcasecmp(verb, "HELO") == 0) {
        buf_append_str(&sink.reply, "250 smtp-sink.example.test\r\n");
    } else {
        buf_append_str(&sink.reply, "250-smtp-sink.example.test");
        for (i = 0; i < sink_exts_count; i++) {
            if (!(sink.ext & sink_exts[i].bit))
                continue;
            buf_printf(&sink.reply, "\r\n250-%s", sink_exts[i].name);
            if (sink_exts[i].bit == SINK_EXT_SIZE && sink.size_limit > 0)
                buf_printf(&sink.reply, " %zu", sink.size_limit);
        }
        /* The last line is "250 " followed by its text. */
        buf_append_str(&sink.reply, "\r\n250 HELP\r\n");
    }
    sink_respond(s, SINK_HELO, 0, 0);
}

static void sink_rcpt(struct sink_session *s, const char *arg)
{
    struct buf addr = BUF_INIT;
    size_t i;
    int code = 0;

    sink_address(arg, &addr);
    for (i = 0; i < sink.nrules && code == 0; i++) {
        if (fnmatch(sink.rules[i].pattern, buf_str(&addr), FNM_CASEFOLD) == 0)
            code = sink.rules[i].code;
    }
    if (code == 0)
        code = sink_inject_pick(&sink.inject[SINK_RCPT]);
    if (code != 0) {
        sink_line(code, "<%s>: injected failure", buf_str(&addr));
    } else {
        s->nrcpt++;
        sink.recipients++;
        sink_line(250, "Ok");
    }
    buf_release(&addr);
    sink_respond(s, SINK_RCPT, 0, code == 421);
}

static void sink_command(struct sink_session *s, char *line)
{
    char *arg = line + strcspn(line, " ");
    const char *verb = line;
    int code;

    if (*arg != '\0')
        *arg++ = '\0';
    if (strcasecmp(verb, "EHLO") == 0 || strcasecmp(verb, "HELO") == 0 ||
        strcasecmp(verb, "LHLO") == 0) {
        sink_ehlo(s, verb);
    } else if (strcasecmp(verb, "MAIL") == 0) {
        if (s->have_mail) {
            sink_line(503, "nested MAIL command");
            sink_respond(s, SINK_MAIL, 0, 0);
            return;
        }
        sink.transactions++;
        code = sink_inject_pick(&sink.inject[SINK_MAIL]);
        if (code != 0) {
            sink_line(code, "injected failure");
        } else {
            s->have_mail = 1;
            s->nrcpt = 0;
            s->bytes = 0;
            sink_address(arg, &s->sender);
            sink_line(250, "Ok");
        }
        sink_respond(s, SINK_MAIL, 0, code == 421);
    } else if (strcasecmp(verb, "RCPT") == 0) {
        if (!s->have_mail) {
            sink_line(503, "need MAIL command");
            sink_respond(s, SINK_RCPT, 0, 0);
            return;
        }
        sink_rcpt(s, arg);
    } else if (strcasecmp(verb, "DATA") == 0) {
        if (!s->have_mail || s->nrcpt == 0) {
            sink_line(s->have_mail ? 554 : 503, "no valid recipients");
            sink_respond(s, SINK_DATA, 0, 0);
            return;
        }
        code = sink_inject_pick(&sink.inject[SINK_DATA]);
        if (code != 0) {
            sink_line(code, "injected failure");
            sink_reset_transaction(s);
            sink_respond(s, SINK_DATA, 0, code == 421);
            return;
        }
        buf_append_str(&sink.reply, "354 End data with <CR><LF>.<CR><LF>\r\n");
        s->input = IN_DATA;
        s->at_line_start = 1;
        sink_respond(s, SINK_DATA, 0, 0);
    } else if (strcasecmp(verb, "BDAT") == 0) {
        char *size = str_token(&arg, " ");
        char *last = str_token(&arg, " ");
        long n;

        if (size == NULL || str_to_long(size, &n) < 0 || n < 0 ||
            (last != NULL && strcasecmp(last, "LAST") != 0)) {
            /* The chunk size is unknown: the session cannot be resynced. */
            sink_line(501, "bad BDAT syntax");
            sink_respond(s, SINK_DATA, 0, 1);
            return;
        }
        s->input = IN_BDAT;
        s->chunk_left = (unsigned long)n;
        s->chunk_last = last != NULL;
        s->bdat_bad = !s->have_mail || s->nrcpt == 0;
    } else if (strcasecmp(verb, "RSET") == 0) {
        sink_reset_transaction(s);
        sink_line(250, "Ok");
        sink_respond(s, SINK_MAIL, 0, 0);
    } else if (strcasecmp(verb, "NOOP") == 0) {
        sink_line(250, "Ok");
        sink_respond(s, SINK_MAIL, 0, 0);
    } else if (strcasecmp(verb, "VRFY") == 0) {
        sink_line(252, "send some mail, I'll try my best");
        sink_respond(s, SINK_MAIL, 0, 0);
    } else if (strcasecmp(verb, "QUIT") == 0) {
        sink_line(221, "Bye");
        sink_release(s, buf_str(&sink.reply), buf_len(&sink.reply), 0, 1);
        buf_reset(&sink.reply);
    } else {
        sink_line(502, "command not implemented");
        sink_respond(s, SINK_MAIL, 0, 0);
    }
}

/* Appends message bytes, keeping a copy only when messages are stored. */
static void sink_data_bytes(struct sink_session *s, const char *p, size_t n)
{
    s->bytes += n;
    if (sink.store_dir != NULL && buf_len(&s->msg) <= SINK_STORE_MAX)
        buf_append(&s->msg, p, n);
}

/* DATA input: consumes what it can; returns 1 at the end of the message. */
static int sink_data(struct sink_session *s)
{
    const char *p = buf_str(&s->in) + s->in_off;
    size_t n = buf_len(&s->in) - s->in_off;

    while (n > 0) {
        const char *nl;
        size_t len;

        if (s->at_line_start && p[0] == '.') {
            /* ".\r\n" or ".\n" ends the message; any other leading dot
             * is a stuffed one (RFC 5321 section 4.5.2). */
            if (n < 2 || (p[1] == '\r' && n < 3))
                break;
            if (p[1] == '\n' || (p[1] == '\r' && p[2] == '\n')) {
                s->in_off += p[1] == '\n' ? 2 : 3;
                return 1;
            }
            p++;
            n--;
            s->in_off++;
        }
        nl = memchr(p, '\n', n);
        len = nl != NULL ? (size_t)(nl - p) + 1 : n;
        sink_data_bytes(s, p, len);
        s->at_line_start = nl != NULL;
        p += len;
        n -= len;
        s->in_off += len;
    }
    return 0;
}

/* Handles buffered input until it runs out, a reply is delayed, or the
 * session is closing; then sends the replies. */
static void sink_process(struct sink_session *s)
{
    while (!s->paused && !s->closing) {
        if (s->input == IN_DATA) {
            if (!sink_data(s))
                break;
            s->input = IN_CMD;
            sink_end_message(s);
        } else if (s->input == IN_BDAT) {
            size_t avail = buf_len(&s->in) - s->in_off;
            size_t take = avail < s->chunk_left ? avail : (size_t)s->chunk_left;

            if (!s->bdat_bad)
                sink_data_bytes(s, buf_str(&s->in) + s->in_off, take);
            s->in_off += take;
            s->chunk_left -= take;
            if (s->chunk_left > 0)
                break;
            s->input = IN_CMD;
            if (s->bdat_bad) {
                sink_line(503, "no valid recipients");
                sink_respond(s, SINK_DATA, 0, 0);
            } else if (s->chunk_last) {
                sink_end_message(s);
            } else {
                sink_line(250, "chunk accepted");
                sink_respond(s, SINK_DATA, 0, 0);
            }
        } else {
            char *start = s->in.data + s->in_off;
            size_t avail = buf_len(&s->in) - s->in_off;
            char *nl = memchr(start, '\n', avail);
            size_t len;

            if (nl == NULL) {
                if (avail >= SINK_LINE_MAX) {
                    sink_line(500, "line too long");
                    sink_release(s, buf_str(&sink.reply), buf_len(&sink.reply), 0, 1);
                    buf_reset(&sink.reply);
                }
                break;
            }
            s->in_off += (size_t)(nl - start) + 1;
            len = (size_t)(nl - start);
            if (len > 0 && start[len - 1] == '\r')
                len--;
            start[len] = '\0';
            if (len + 2 > SINK_LINE_MAX) {
                sink_line(500, "line too long");
                sink_respond(s, SINK_MAIL, 0, 0);
                continue;
            }
            sink_command(s, start);
        }
    }
    /* Drop consumed input, so the buffer holds at most one read and a line. */
    if (s->in_off > 0) {
        memmove(s->in.data, s->in.data + s->in_off, buf_len(&s->in) - s->in_off);
        buf_truncate(&s->in, buf_len(&s->in) - s->in_off);
        s->in_off = 0;
    }
    sink_set_reading(s, !s->paused && !s->closing);
    (void)sink_flush(s);
}

/* The delay of a pending reply is over: send it, go on with the input. */
static void sink_delay_done(void *ctx)
{
    struct sink_session *s = ctx;

    s->paused = 0;
    sink_release(s, buf_str(&s->pending), buf_len(&s->pending), s->pending_counts,
                 s->pending_close);
    buf_reset(&s->pending);
    sink_process(s);
}

static void sink_session_io(int fd, void *ctx)
{
    struct sink_session *s = ctx;
    ssize_t n;

    if (s->writing && sink_flush(s) < 0)
        return;
    if (!s->reading)
        return;
    buf_reserve(&s->in, SINK_READ_CHUNK);
    n = recv(fd, s->in.data + s->in.len, SINK_READ_CHUNK, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        sink_session_free(s);
        return;
    }
    s->in.len += (size_t)n;
    s->in.data[s->in.len] = '\0';
    sink_process(s);
}

static void sink_accept(int fd, void *ctx)
{
    int cfd;

    while ((cfd = sock_accept(fd)) >= 0) {
        struct sink_session *s = mem_calloc(1, sizeof(*s));
        int code;

        if (sock_set_nonblock(cfd, 1) < 0)
            msg_fatal("set non-blocking: %m");
        s->fd = cfd;
        s->id = ++sink.nsessions;
        buf_init(&s->in);
        buf_init(&s->out);
        buf_init(&s->pending);
        buf_init(&s->msg);
        buf_init(&s->sender);
        s->next = sink.sessions;
        if (s->next != NULL)
            s->next->prev = s;
        sink.sessions = s;
        code = sink_inject_pick(&sink.inject[SINK_GREETING]);
        if (code != 0)
            sink_line(code, "injected failure");
        else
            buf_printf(&sink.reply, "220 smtp-sink.example.test %s\r\n",
                       sink.lmtp ? "LMTP" : "ESMTP");
        /* A refused greeting ends the session (RFC 5321 section 3.1). */
        sink_respond(s, SINK_GREETING, 0, code != 0);
        sink_process(s);
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        msg_warn("accept: %m");
}

static void sink_signal(int fd, void *ctx)
{
    sink_finish();
}

static void sink_timeout(void *ctx)
{
    sink_finish();
}

static void sink_listen(const char *spec)
{
    struct sock_endpoint ep;
    struct buf err = BUF_INIT;
    char addr[256], port[32];

    size_t len = strlen(spec);

    /* Port 0 (any free port, see -w) is not a valid endpoint to connect to,
     * so sock_parse_endpoint() refuses it: check the rest with port 1. */
    if (len > 2 && strcmp(spec + len - 2, ":0") == 0) {
        struct buf spec1 = BUF_INIT;

        buf_append(&spec1, spec, len - 1);
        buf_append_char(&spec1, '1');
        if (sock_parse_endpoint(buf_str(&spec1), NULL, &ep, &err) < 0 ||
            ep.kind != SOCK_ENDPOINT_INET)
            msg_fatal("bad endpoint \"%s\"", spec);
        buf_release(&spec1);
        memcpy(ep.port, "0", 2);
    } else if (sock_parse_endpoint(spec, NULL, &ep, &err) < 0) {
        msg_fatal("%s", buf_str(&err));
    }
    if (ep.kind == SOCK_ENDPOINT_UNIX)
        sink.listen_fd = sock_listen_unix(ep.path, 1024, 0666, &err);
    else
        sink.listen_fd = sock_listen_inet(ep.host, ep.port, 1024, &err);
    if (sink.listen_fd < 0)
        msg_fatal("%s", buf_str(&err));
    if (sink.port_file != NULL) {
        buf_reset(&err);
        if (ep.kind == SOCK_ENDPOINT_UNIX) {
            buf_printf(&err, "%s\n", ep.path);
        } else {
            if (sock_local_addr(sink.listen_fd, addr, sizeof(addr), port, sizeof(port)) < 0)
                msg_fatal("getsockname: %m");
            buf_printf(&err, "%s\n", port);
        }
        sink_write_file(sink.port_file, buf_str(&err));
    }
    buf_release(&err);
}

int main(int argc, char **argv)
{
    struct buf err = BUF_INIT;
    sigset_t sigs;
    int c, sfd;

    msg_init(argv[0]);
    signal(SIGPIPE, SIG_IGN);
    buf_init(&sink.reply);
    sink.ext = SINK_EXT_ALL;
    while ((c = getopt(argc, argv, "c:d:D:e:Fo:LR:S:t:vw:x:")) != -1) {
        switch (c) {
        case 'c':
            sink.target = (unsigned long)sink_number("-c", optarg, 1, 1000000000L);
            break;
        case 'd':
            sink.store_dir = optarg;
            break;
        case 'D':
            if (sink_spec_delay(optarg, sink.delay_ms, &err) < 0)
                msg_fatal("-D: %s", buf_str(&err));
            break;
        case 'e':
            if (sink_spec_inject(optarg, sink.inject, &err) < 0)
                msg_fatal("-e: %s", buf_str(&err));
            break;
        case 'F':
            sink.fsync_each = 1;
            break;
        case 'o':
            sink.count_file = optarg;
            break;
        case 'L':
            sink.lmtp = 1;
            break;
        case 'R':
            if (sink.nrules == SINK_RULES_MAX)
                msg_fatal("-R: at most %d rules", SINK_RULES_MAX);
            if (sink_spec_rule(optarg, &sink.rules[sink.nrules], &err) < 0)
                msg_fatal("-R: %s", buf_str(&err));
            sink.nrules++;
            break;
        case 'S':
            sink.size_limit = (size_t)sink_number("-S", optarg, 0, 1L << 40);
            break;
        case 't':
            sink.stop_after_s = sink_number("-t", optarg, 1, 86400L * 365);
            break;
        case 'v':
            sink.verbose = 1;
            break;
        case 'w':
            sink.port_file = optarg;
            break;
        case 'x':
            if (sink_spec_ext(optarg, &sink.ext, &err) < 0)
                msg_fatal("-x: %s", buf_str(&err));
            break;
        default:
            sink_usage();
        }
    }
    if (optind != argc - 1)
        sink_usage();
    sink.loop = event_loop_new();
    /* Signals arrive as readable fd events, so a stop is never lost in the
     * window before epoll_wait. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0 ||
        (sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
        msg_fatal("signalfd: %m");
    event_add_read(sink.loop, sfd, sink_signal, NULL);
    sink_listen(argv[optind]);
    event_add_read(sink.loop, sink.listen_fd, sink_accept, NULL);
    if (sink.stop_after_s > 0)
        event_timer_set(sink.loop, sink.stop_after_s * 1000, sink_timeout, NULL);
    event_loop_run(sink.loop);
    sink_finish();
}
