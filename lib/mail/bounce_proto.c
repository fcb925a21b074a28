/*
 * bounce_proto.c - encodes and decodes bounce requests and replies (see
 * bounce_proto.h). Pure functions over attribute messages, used by qmgr,
 * the bounce daemon, the unit tests and the fuzz target alike.
 */
#include <string.h>

#include "mail/bounce_proto.h"
#include "mail/queue_dir.h"
#include "mail/queue_id.h"
#include "mail/queue_rec.h"
#include "util/mem.h"

static const char *const bounce_req_names[] = {NULL, "flush", "warn", "trace"};

const char *bounce_req_name(int kind)
{
    if (kind < BOUNCE_REQ_FLUSH || kind > BOUNCE_REQ_TRACE)
        return NULL;
    return bounce_req_names[kind];
}

void bounce_attr_limits(struct attr_limits *lim)
{
    attr_limits_init(lim);
    lim->max_str_len = BOUNCE_FIELD_MAX;
    lim->max_attrs = 64;
    lim->max_msg_size = 8 * (BOUNCE_FIELD_MAX + 64);
}

void bounce_encode_request(struct buf *out, const struct bounce_request *req)
{
    const char *name = bounce_req_name(req->kind);

    if (name == NULL)
        name = "unknown"; /* the receiver refuses it: fail closed there */
    attr_put_cstr(out, "request", name);
    attr_put_cstr(out, "queue_name", req->queue_name ? req->queue_name : "");
    attr_put_cstr(out, "queue_id", req->queue_id ? req->queue_id : "");
    attr_put_cstr(out, "sender", req->sender ? req->sender : "");
    attr_put_cstr(out, "envid", req->envid ? req->envid : "");
    attr_put_int(out, "ret", (uint32_t)req->ret);
    attr_put_end(out);
}

/* A copy of a C string attribute; -1 with err when missing and required,
 * or present but not a bounded C string. */
static int bounce_get_str(const struct attr_group *g, const char *name, int required, char **out,
                          struct buf *err)
{
    const char *s;
    enum attr_find f = attr_get_cstr(g, name, &s);

    if (f == ATTR_MISSING && !required) {
        *out = mem_strdup("");
        return 0;
    }
    if (f != ATTR_FOUND) {
        buf_printf(err, "bounce protocol: attribute %s: %s", name, attr_find_str(f));
        return -1;
    }
    if (strlen(s) > BOUNCE_FIELD_MAX) {
        buf_printf(err, "bounce protocol: attribute %s is too long", name);
        return -1;
    }
    *out = mem_strdup(s);
    return 0;
}

int bounce_decode_request(const struct attr_msg *msg, struct bounce_request *req, struct buf *err)
{
    const struct attr_group *top = attr_msg_top(msg);
    char *kind = NULL;
    uint32_t ret = 0;
    enum attr_find f;
    int k;

    memset(req, 0, sizeof(*req));
    if (bounce_get_str(top, "request", 1, &kind, err) < 0)
        goto bad;
    for (k = BOUNCE_REQ_FLUSH; k <= BOUNCE_REQ_TRACE; k++)
        if (strcmp(kind, bounce_req_names[k]) == 0)
            req->kind = k;
    if (req->kind == 0) {
        buf_printf(err, "bounce protocol: unknown request");
        goto bad;
    }
    if (bounce_get_str(top, "queue_name", 1, &req->queue_name, err) < 0 ||
        bounce_get_str(top, "queue_id", 1, &req->queue_id, err) < 0 ||
        bounce_get_str(top, "sender", 0, &req->sender, err) < 0 ||
        bounce_get_str(top, "envid", 0, &req->envid, err) < 0)
        goto bad;
    /* These name a file: nothing but a queue and an ID may reach a path. */
    if (!queue_name_valid(req->queue_name)) {
        buf_printf(err, "bounce protocol: bad queue name");
        goto bad;
    }
    if (!queue_id_valid(req->queue_id)) {
        buf_printf(err, "bounce protocol: bad queue ID");
        goto bad;
    }
    f = attr_get_int(top, "ret", &ret);
    if (f == ATTR_WRONG_TYPE ||
        (f == ATTR_FOUND && ret != 0 && ret != QUEUE_DSN_RET_FULL && ret != QUEUE_DSN_RET_HDRS)) {
        buf_printf(err, "bounce protocol: attribute ret: %s",
                   f == ATTR_FOUND ? "out of range" : attr_find_str(f));
        goto bad;
    }
    req->ret = (int)ret;
    mem_free(kind);
    return 0;
bad:
    mem_free(kind);
    bounce_request_free(req);
    return -1;
}

void bounce_request_free(struct bounce_request *req)
{
    mem_free(req->queue_name);
    mem_free(req->queue_id);
    mem_free(req->sender);
    mem_free(req->envid);
    memset(req, 0, sizeof(*req));
}

void bounce_encode_reply(struct buf *out, int status, const char *reason)
{
    attr_put_int(out, "status", (uint32_t)status);
    attr_put_cstr(out, "reason", reason ? reason : "");
    attr_put_end(out);
}

int bounce_decode_reply(const struct attr_msg *msg, int *status, struct buf *reason,
                        struct buf *err)
{
    const struct attr_group *top = attr_msg_top(msg);
    uint32_t st;
    const char *text = "";
    enum attr_find f = attr_get_int(top, "status", &st);

    if (f != ATTR_FOUND || (st != BOUNCE_STAT_OK && st != BOUNCE_STAT_FAIL)) {
        buf_printf(err, "bounce protocol: attribute status: %s",
                   f == ATTR_FOUND ? "out of range" : attr_find_str(f));
        return -1;
    }
    f = attr_get_cstr(top, "reason", &text);
    if (f == ATTR_WRONG_TYPE) {
        buf_printf(err, "bounce protocol: attribute reason: %s", attr_find_str(f));
        return -1;
    }
    *status = (int)st;
    buf_set(reason, f == ATTR_FOUND ? text : "");
    return 0;
}
