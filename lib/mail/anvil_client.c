/*
 * anvil_client.c - persistent, fail-open anvil client (anvil_client.h).
 * A broken conversation is closed at once: the next request after the
 * retry delay starts a fresh connection and reads a fresh announcement,
 * so one bad reply can never desynchronise later ones.
 */
#include <string.h>

#include "mail/anvil_client.h"
#include "util/attr_io.h"
#include "util/events.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/stream.h"

struct anvil_client {
    char *path;
    long timeout_ms;
    long retry_ms;
    struct stream *stream;
    int64_t retry_at; /* no connection attempt before this (event_clock_ms) */
    struct attr_msg msg;
    struct buf out;
    struct buf scratch;
    struct buf ident;
};

struct anvil_client *anvil_client_create(const char *path, long timeout_ms, long retry_ms)
{
    struct anvil_client *c = mem_calloc(1, sizeof(*c));
    struct attr_limits lim;

    c->path = mem_strdup(path);
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    c->retry_ms = retry_ms > 0 ? retry_ms : 0;
    anvil_attr_limits(&lim);
    attr_msg_init(&c->msg, &lim);
    buf_init(&c->out);
    buf_init(&c->scratch);
    buf_init(&c->ident);
    return c;
}

static void anvil_client_drop(struct anvil_client *c)
{
    if (c->stream != NULL) {
        stream_free(c->stream);
        c->stream = NULL;
    }
    c->retry_at = event_clock_ms() + c->retry_ms;
}

void anvil_client_free(struct anvil_client *c)
{
    if (c == NULL)
        return;
    if (c->stream != NULL)
        stream_free(c->stream);
    attr_msg_free(&c->msg);
    buf_release(&c->out);
    buf_release(&c->scratch);
    buf_release(&c->ident);
    mem_free(c->path);
    mem_free(c);
}

/* Opens the connection and checks the announcement; 0 or -1 with a whole
 * sentence in err ("connect to PATH: ..." or "anvil server at PATH: ..."). */
static int anvil_client_open(struct anvil_client *c, struct buf *err)
{
    int fd = sock_connect_unix(c->path, c->timeout_ms, err);

    if (fd < 0)
        return -1;
    c->stream = stream_open_fd(fd, 1);
    stream_set_timeout(c->stream, c->timeout_ms);
    if (attr_io_read(c->stream, &c->msg, &c->scratch, err) < 0 ||
        attr_check_announce(&c->msg, ANVIL_PROTO_NAME, ANVIL_PROTO_VERSION, ANVIL_PROTO_VERSION,
                            err) != ATTR_OK) {
        struct buf why = BUF_INIT;

        buf_printf(&why, "anvil server at %s: %s", c->path, buf_str(err));
        buf_set(err, buf_str(&why));
        buf_release(&why);
        stream_free(c->stream);
        c->stream = NULL;
        return -1;
    }
    return 0;
}

int anvil_client_request(struct anvil_client *c, enum anvil_req_type type, const char *service,
                         const char *addr, struct anvil_counts *counts)
{
    struct anvil_request req;
    struct anvil_reply reply;
    struct buf err = BUF_INIT;
    int ret = -1;

    if (counts != NULL)
        memset(counts, 0, sizeof(*counts));
    if (anvil_ident_format(&c->ident, service, addr, &err) < 0) {
        msg_warn("anvil: %s", buf_str(&err));
        buf_release(&err);
        return -1;
    }
    if (c->stream == NULL) {
        /* Quietly: the failure that started the delay was logged. */
        if (event_clock_ms() < c->retry_at) {
            buf_release(&err);
            return -1;
        }
        if (anvil_client_open(c, &err) < 0) {
            msg_warn("%s", buf_str(&err));
            anvil_client_drop(c);
            buf_release(&err);
            return -1;
        }
    }
    req.type = type;
    memcpy(req.ident, buf_str(&c->ident), buf_len(&c->ident) + 1);
    buf_reset(&c->out);
    anvil_encode_request(&c->out, &req);
    if (attr_io_write(c->stream, &c->out, &err) < 0 ||
        attr_io_read(c->stream, &c->msg, &c->scratch, &err) < 0 ||
        anvil_decode_reply(&c->msg, &reply, &err) < 0) {
        msg_warn("anvil: %s request for %s: %s", anvil_req_name(type), buf_str(&c->ident),
                 buf_str(&err));
        anvil_client_drop(c);
    } else if (reply.status != ANVIL_STAT_OK) {
        msg_warn("anvil: %s request for %s failed", anvil_req_name(type), buf_str(&c->ident));
    } else {
        if (counts != NULL)
            *counts = reply.counts;
        ret = 0;
    }
    buf_release(&err);
    return ret;
}

int anvil_client_connect(struct anvil_client *c, const char *service, const char *addr,
                         unsigned *count, unsigned *rate)
{
    struct anvil_counts n;
    int ret = anvil_client_request(c, ANVIL_REQ_CONNECT, service, addr, &n);

    *count = n.count;
    *rate = n.rate;
    return ret;
}

int anvil_client_disconnect(struct anvil_client *c, const char *service, const char *addr)
{
    return anvil_client_request(c, ANVIL_REQ_DISCONNECT, service, addr, NULL);
}

static int anvil_client_rate(struct anvil_client *c, enum anvil_req_type type, const char *service,
                             const char *addr, unsigned *rate)
{
    struct anvil_counts n;
    int ret = anvil_client_request(c, type, service, addr, &n);

    switch (type) {
    case ANVIL_REQ_MESSAGE:
        *rate = n.message_rate;
        break;
    case ANVIL_REQ_RECIPIENT:
        *rate = n.recipient_rate;
        break;
    case ANVIL_REQ_NEWTLS:
        *rate = n.newtls_rate;
        break;
    default:
        *rate = n.auth_rate;
        break;
    }
    return ret;
}

int anvil_client_message(struct anvil_client *c, const char *service, const char *addr,
                         unsigned *rate)
{
    return anvil_client_rate(c, ANVIL_REQ_MESSAGE, service, addr, rate);
}

int anvil_client_recipient(struct anvil_client *c, const char *service, const char *addr,
                           unsigned *rate)
{
    return anvil_client_rate(c, ANVIL_REQ_RECIPIENT, service, addr, rate);
}

int anvil_client_newtls(struct anvil_client *c, const char *service, const char *addr,
                        unsigned *rate)
{
    return anvil_client_rate(c, ANVIL_REQ_NEWTLS, service, addr, rate);
}

int anvil_client_auth(struct anvil_client *c, const char *service, const char *addr, unsigned *rate)
{
    return anvil_client_rate(c, ANVIL_REQ_AUTH, service, addr, rate);
}
