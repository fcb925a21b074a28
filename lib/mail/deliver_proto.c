/*
 * deliver_proto.c - encode and decode delivery requests and results (see
 * deliver_proto.h). Pure functions over attribute messages, so the fuzz
 * target drives exactly what qmgr and the agents run.
 */
#include <stdio.h>
#include <string.h>

#include "mail/deliver_proto.h"
#include "util/mem.h"

void deliver_attr_limits(struct attr_limits *lim)
{
    attr_limits_init(lim);
    lim->max_str_len = DELIVER_FIELD_MAX;
    lim->max_attrs = 8 * DELIVER_RCPT_MAX + 256;
    lim->max_msg_size = (size_t)DELIVER_RCPT_MAX * 8 * (DELIVER_FIELD_MAX + 64) / 4 + 65536;
}

static void deliver_put_time(struct buf *out, const char *name, long sec, long usec)
{
    char key[64];

    snprintf(key, sizeof(key), "%s_sec", name);
    attr_put_long(out, key, sec);
    snprintf(key, sizeof(key), "%s_usec", name);
    attr_put_long(out, key, usec);
}

void deliver_encode_request(struct buf *out, const struct deliver_request *req)
{
    size_t i;

    attr_put_cstr(out, "queue_name", req->queue_name);
    attr_put_cstr(out, "queue_id", req->queue_id);
    attr_put_long(out, "data_offset", req->data_offset);
    attr_put_long(out, "data_size", req->data_size);
    attr_put_cstr(out, "transport", req->transport);
    attr_put_cstr(out, "nexthop", req->nexthop);
    attr_put_cstr(out, "sender", req->sender);
    attr_put_cstr(out, "envid", req->envid ? req->envid : "");
    attr_put_int(out, "ret", (uint32_t)req->ret);
    attr_put_int(out, "flags", (uint32_t)req->flags);
    deliver_put_time(out, "arrival", req->arrival_sec, req->arrival_usec);
    deliver_put_time(out, "active", req->active_sec, req->active_usec);
    deliver_put_time(out, "queued", req->queued_sec, req->queued_usec);
    attr_list_begin(out, "attr");
    for (i = 0; i < req->nattr; i++) {
        attr_list_entry(out);
        attr_put_cstr(out, "name", req->attr[i].name);
        attr_put_cstr(out, "value", req->attr[i].value);
    }
    attr_list_end(out);
    attr_list_begin(out, "rcpt");
    for (i = 0; i < req->nrcpt; i++) {
        attr_list_entry(out);
        attr_put_cstr(out, "address", req->rcpt[i].address);
        attr_put_cstr(out, "orcpt", req->rcpt[i].orcpt ? req->rcpt[i].orcpt : "");
        attr_put_cstr(out, "dsn_orcpt", req->rcpt[i].dsn_orcpt ? req->rcpt[i].dsn_orcpt : "");
        attr_put_int(out, "notify", (uint32_t)req->rcpt[i].notify);
        attr_put_long(out, "offset", req->rcpt[i].offset);
    }
    attr_list_end(out);
    attr_put_end(out);
}

/* Bounded C string copied out of g; -1 with err when missing or bad. */
static int deliver_get_str(const struct attr_group *g, const char *name, char **out,
                           struct buf *err)
{
    const char *s;
    enum attr_find f = attr_get_cstr(g, name, &s);

    if (f != ATTR_FOUND) {
        buf_printf(err, "delivery protocol: attribute %s: %s", name, attr_find_str(f));
        return -1;
    }
    if (strlen(s) > DELIVER_FIELD_MAX) {
        buf_printf(err, "delivery protocol: attribute %s is too long", name);
        return -1;
    }
    *out = mem_strdup(s);
    return 0;
}

static int deliver_get_int(const struct attr_group *g, const char *name, int *out,
                           struct buf *err)
{
    uint32_t v;
    enum attr_find f = attr_get_int(g, name, &v);

    if (f != ATTR_FOUND || v > 0x7fffffffU) {
        buf_printf(err, "delivery protocol: attribute %s: %s", name,
                   f == ATTR_FOUND ? "out of range" : attr_find_str(f));
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int deliver_get_long(const struct attr_group *g, const char *name, long *out,
                            struct buf *err)
{
    int64_t v;
    enum attr_find f = attr_get_long(g, name, &v);

    if (f != ATTR_FOUND || v < 0) {
        buf_printf(err, "delivery protocol: attribute %s: %s", name,
                   f == ATTR_FOUND ? "out of range" : attr_find_str(f));
        return -1;
    }
    *out = (long)v;
    return 0;
}

int deliver_decode_request(const struct attr_msg *msg, struct deliver_request *req,
                           struct buf *err)
{
    const struct attr_group *top = attr_msg_top(msg);
    const struct attr_list *attrs;
    const struct attr_list *rcpts;
    size_t i;

    memset(req, 0, sizeof(*req));
    if (deliver_get_str(top, "queue_name", &req->queue_name, err) < 0
        || deliver_get_str(top, "queue_id", &req->queue_id, err) < 0
        || deliver_get_long(top, "data_offset", &req->data_offset, err) < 0
        || deliver_get_long(top, "data_size", &req->data_size, err) < 0
        || deliver_get_str(top, "transport", &req->transport, err) < 0
        || deliver_get_str(top, "nexthop", &req->nexthop, err) < 0
        || deliver_get_str(top, "sender", &req->sender, err) < 0
        || deliver_get_str(top, "envid", &req->envid, err) < 0
        || deliver_get_int(top, "ret", &req->ret, err) < 0
        || deliver_get_int(top, "flags", &req->flags, err) < 0
        || deliver_get_long(top, "arrival_sec", &req->arrival_sec, err) < 0
        || deliver_get_long(top, "arrival_usec", &req->arrival_usec, err) < 0
        || deliver_get_long(top, "active_sec", &req->active_sec, err) < 0
        || deliver_get_long(top, "active_usec", &req->active_usec, err) < 0
        || deliver_get_long(top, "queued_sec", &req->queued_sec, err) < 0
        || deliver_get_long(top, "queued_usec", &req->queued_usec, err) < 0)
        goto bad;
    if (attr_get_list(top, "attr", &attrs) != ATTR_FOUND
        || attr_get_list(top, "rcpt", &rcpts) != ATTR_FOUND) {
        buf_set(err, "delivery protocol: missing attr or rcpt list");
        goto bad;
    }
    if (rcpts->count == 0 || rcpts->count > DELIVER_RCPT_MAX) {
        buf_printf(err, "delivery protocol: %zu recipients (1..%d allowed)", rcpts->count,
                   DELIVER_RCPT_MAX);
        goto bad;
    }
    req->attr = mem_calloc(attrs->count + 1, sizeof(req->attr[0]));
    for (i = 0; i < attrs->count; i++) {
        const struct attr_group *e = attr_list_at(attrs, i);

        req->nattr = i + 1;
        if (deliver_get_str(e, "name", &req->attr[i].name, err) < 0
            || deliver_get_str(e, "value", &req->attr[i].value, err) < 0)
            goto bad;
    }
    req->rcpt = mem_calloc(rcpts->count, sizeof(req->rcpt[0]));
    for (i = 0; i < rcpts->count; i++) {
        const struct attr_group *e = attr_list_at(rcpts, i);
        struct deliver_rcpt *r = &req->rcpt[i];

        req->nrcpt = i + 1;
        if (deliver_get_str(e, "address", &r->address, err) < 0
            || deliver_get_str(e, "orcpt", &r->orcpt, err) < 0
            || deliver_get_str(e, "dsn_orcpt", &r->dsn_orcpt, err) < 0
            || deliver_get_int(e, "notify", &r->notify, err) < 0
            || deliver_get_long(e, "offset", &r->offset, err) < 0)
            goto bad;
    }
    return 0;
bad:
    deliver_request_free(req);
    return -1;
}

void deliver_request_free(struct deliver_request *req)
{
    size_t i;

    for (i = 0; i < req->nattr; i++) {
        mem_free(req->attr[i].name);
        mem_free(req->attr[i].value);
    }
    for (i = 0; i < req->nrcpt; i++) {
        mem_free(req->rcpt[i].address);
        mem_free(req->rcpt[i].orcpt);
        mem_free(req->rcpt[i].dsn_orcpt);
    }
    mem_free(req->attr);
    mem_free(req->rcpt);
    mem_free(req->queue_name);
    mem_free(req->queue_id);
    mem_free(req->transport);
    mem_free(req->nexthop);
    mem_free(req->sender);
    mem_free(req->envid);
    memset(req, 0, sizeof(*req));
}

const char *deliver_request_attr(const struct deliver_request *req, const char *name)
{
    size_t i;

    for (i = 0; i < req->nattr; i++)
        if (strcmp(req->attr[i].name, name) == 0)
            return req->attr[i].value;
    return NULL;
}

void deliver_encode_results(struct buf *out, const struct deliver_result *res, size_t count)
{
    size_t i;

    attr_list_begin(out, "result");
    for (i = 0; i < count; i++) {
        attr_list_entry(out);
        attr_put_int(out, "status", (uint32_t)res[i].status);
        attr_put_cstr(out, "dsn_status", res[i].dsn_status ? res[i].dsn_status : "");
        attr_put_cstr(out, "action", res[i].action ? res[i].action : "");
        attr_put_cstr(out, "reason", res[i].reason ? res[i].reason : "");
        attr_put_cstr(out, "relay", res[i].relay ? res[i].relay : "");
        attr_put_cstr(out, "mta", res[i].mta ? res[i].mta : "");
        attr_put_cstr(out, "diag", res[i].diag ? res[i].diag : "");
    }
    attr_list_end(out);
    attr_put_end(out);
}

int deliver_decode_results(const struct attr_msg *msg, struct deliver_result **res,
                           size_t *count, struct buf *err)
{
    const struct attr_list *list;
    struct deliver_result *r;
    size_t i;

    if (attr_get_list(attr_msg_top(msg), "result", &list) != ATTR_FOUND
        || list->count > DELIVER_RCPT_MAX) {
        buf_set(err, "delivery protocol: missing or oversized result list");
        return -1;
    }
    r = mem_calloc(list->count + 1, sizeof(r[0]));
    for (i = 0; i < list->count; i++) {
        const struct attr_group *e = attr_list_at(list, i);

        if (deliver_get_int(e, "status", &r[i].status, err) < 0
            || r[i].status > DELIVER_STATUS_BOUNCE
            || deliver_get_str(e, "dsn_status", &r[i].dsn_status, err) < 0
            || deliver_get_str(e, "action", &r[i].action, err) < 0
            || deliver_get_str(e, "reason", &r[i].reason, err) < 0
            || deliver_get_str(e, "relay", &r[i].relay, err) < 0
            || deliver_get_str(e, "mta", &r[i].mta, err) < 0
            || deliver_get_str(e, "diag", &r[i].diag, err) < 0) {
            if (buf_len(err) == 0)
                buf_set(err, "delivery protocol: bad result status");
            deliver_results_free(r, i + 1);
            return -1;
        }
    }
    *res = r;
    *count = list->count;
    return 0;
}

void deliver_results_free(struct deliver_result *res, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        mem_free(res[i].dsn_status);
        mem_free(res[i].action);
        mem_free(res[i].reason);
        mem_free(res[i].relay);
        mem_free(res[i].mta);
        mem_free(res[i].diag);
    }
    mem_free(res);
}
