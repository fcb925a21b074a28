/*
 * anvil_proto.c - encoders and fail-closed decoders of the anvil protocol
 * (see anvil_proto.h). Used by daemons/anvil and lib/mail/anvil_client.c;
 * never does I/O and never trusts a length or a name it did not check.
 */
#include <string.h>

#include "mail/anvil_proto.h"
#include "util/msg.h"
#include "util/str.h"

static const char *const anvil_req_names[] = {
    [ANVIL_REQ_CONNECT] = "connect", [ANVIL_REQ_DISCONNECT] = "disconnect",
    [ANVIL_REQ_MESSAGE] = "message", [ANVIL_REQ_RECIPIENT] = "recipient",
    [ANVIL_REQ_NEWTLS] = "newtls",   [ANVIL_REQ_AUTH] = "auth",
    [ANVIL_REQ_LOOKUP] = "lookup",
};
#define ANVIL_REQ_COUNT (sizeof(anvil_req_names) / sizeof(anvil_req_names[0]))

void anvil_attr_limits(struct attr_limits *lim)
{
    attr_limits_init(lim);
    lim->max_name_len = 32;
    lim->max_str_len = ANVIL_IDENT_MAX;
    lim->max_attrs = 16;
    lim->max_msg_size = ANVIL_MSG_MAX;
}

const char *anvil_req_name(enum anvil_req_type type)
{
    if ((unsigned)type >= ANVIL_REQ_COUNT)
        return NULL;
    return anvil_req_names[type];
}

/* Idents end up in log lines between parentheses: printable ASCII only. */
static int anvil_ident_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > ANVIL_IDENT_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

int anvil_ident_format(struct buf *out, const char *service, const char *addr, struct buf *err)
{
    buf_reset(out);
    buf_printf(out, "%s:%s", service, addr);
    if (!anvil_ident_ok(buf_str(out), buf_len(out))) {
        buf_set(err, "invalid anvil ident (empty, too long or not printable)");
        buf_reset(out);
        return -1;
    }
    return 0;
}

void anvil_encode_request(struct buf *out, const struct anvil_request *req)
{
    const char *name = anvil_req_name(req->type);

    if (name == NULL || !anvil_ident_ok(req->ident, strnlen(req->ident, sizeof(req->ident))))
        msg_panic("anvil_encode_request: bad request type %d or ident", (int)req->type);
    attr_put_cstr(out, "request", name);
    attr_put_cstr(out, "ident", req->ident);
    attr_put_end(out);
}

void anvil_encode_reply(struct buf *out, const struct anvil_reply *reply)
{
    attr_put_int(out, "status", reply->status);
    attr_put_int(out, "count", reply->counts.count);
    attr_put_int(out, "rate", reply->counts.rate);
    attr_put_int(out, "message_rate", reply->counts.message_rate);
    attr_put_int(out, "recipient_rate", reply->counts.recipient_rate);
    attr_put_int(out, "newtls_rate", reply->counts.newtls_rate);
    attr_put_int(out, "auth_rate", reply->counts.auth_rate);
    attr_put_end(out);
}

int anvil_decode_request(const struct attr_msg *msg, struct anvil_request *req, struct buf *err)
{
    const struct attr_group *top = attr_msg_top(msg);
    const char *s, *ident;
    size_t i, len;

    if (attr_get_cstr(top, "request", &s) != ATTR_FOUND) {
        buf_set(err, "anvil request without a valid \"request\" attribute");
        return -1;
    }
    for (i = 0; i < ANVIL_REQ_COUNT; i++)
        if (strcmp(s, anvil_req_names[i]) == 0)
            break;
    if (i == ANVIL_REQ_COUNT) {
        buf_set(err, "unknown anvil request \"");
        str_printable(err, s, strnlen(s, 64));
        buf_append_char(err, '"');
        return -1;
    }
    if (attr_get_str(top, "ident", &ident, &len) != ATTR_FOUND || !anvil_ident_ok(ident, len)) {
        buf_set(err, "anvil request without a valid \"ident\" attribute");
        return -1;
    }
    req->type = (enum anvil_req_type)i;
    memcpy(req->ident, ident, len);
    req->ident[len] = 0;
    return 0;
}

int anvil_decode_reply(const struct attr_msg *msg, struct anvil_reply *reply, struct buf *err)
{
    const struct attr_group *top = attr_msg_top(msg);
    struct {
        const char *name;
        uint32_t *value;
    } fields[] = {
        {"status", &reply->status},
        {"count", &reply->counts.count},
        {"rate", &reply->counts.rate},
        {"message_rate", &reply->counts.message_rate},
        {"recipient_rate", &reply->counts.recipient_rate},
        {"newtls_rate", &reply->counts.newtls_rate},
        {"auth_rate", &reply->counts.auth_rate},
    };
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (attr_get_int(top, fields[i].name, fields[i].value) != ATTR_FOUND) {
            buf_printf(err, "anvil reply without a valid \"%s\" attribute", fields[i].name);
            return -1;
        }
    }
    if (reply->status != ANVIL_STAT_OK && reply->status != ANVIL_STAT_FAIL) {
        buf_printf(err, "anvil reply with unknown status %u", (unsigned)reply->status);
        return -1;
    }
    return 0;
}
