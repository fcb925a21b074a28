/*
 * showq_proto.c - encoder and fail-closed decoder of the showq protocol
 * (see showq_proto.h). The decoder checks every field it uses: the queue
 * name against the known queues, the ID with queue_id_check(), strings for
 * NUL bytes; it never fills in a default for a missing field.
 */
#include <string.h>

#include "mail/queue_dir.h"
#include "mail/showq_proto.h"
#include "util/mem.h"

void showq_entry_init(struct showq_entry *e)
{
    memset(e, 0, sizeof(*e));
}

void showq_entry_reset(struct showq_entry *e)
{
    size_t i;

    for (i = 0; i < e->nrcpt; i++) {
        mem_free(e->rcpts[i].address);
        mem_free(e->rcpts[i].reason);
    }
    e->nrcpt = 0;
    mem_free(e->sender);
    e->sender = NULL;
    e->queue_name[0] = '\0';
    e->queue_id[0] = '\0';
    e->arrival = 0;
    e->size = 0;
    e->forced_expire = 0;
    e->omitted = 0;
}

void showq_entry_free(struct showq_entry *e)
{
    showq_entry_reset(e);
    mem_free(e->rcpts);
    e->rcpts = NULL;
    e->cap = 0;
}

void showq_entry_add_rcpt(struct showq_entry *e, const char *address, const char *reason)
{
    if (e->nrcpt == e->cap) {
        e->cap = e->cap ? mem_size_mul(e->cap, 2) : 4;
        e->rcpts = mem_realloc(e->rcpts, mem_size_mul(e->cap, sizeof(*e->rcpts)));
    }
    e->rcpts[e->nrcpt].address = mem_strdup(address);
    e->rcpts[e->nrcpt].reason = reason ? mem_strdup(reason) : NULL;
    e->nrcpt++;
}

size_t showq_entry_set_reason(struct showq_entry *e, const char *address, const char *reason)
{
    size_t i;
    size_t n = 0;

    for (i = 0; i < e->nrcpt; i++) {
        if (strcmp(e->rcpts[i].address, address) == 0) {
            mem_free(e->rcpts[i].reason);
            e->rcpts[i].reason = mem_strdup(reason);
            n++;
        }
    }
    return n;
}

void showq_limits(struct attr_limits *lim)
{
    attr_limits_init(lim);
    /* An entry holds up to SHOWQ_RCPT_MAX recipients of two strings each. */
    lim->max_attrs = 3 * SHOWQ_RCPT_MAX + 32;
    lim->max_str_len = 64 * 1024;
    lim->max_msg_size = (size_t)32 * 1024 * 1024;
}

void showq_encode_announce(struct buf *out)
{
    attr_put_announce(out, SHOWQ_PROTO_NAME, SHOWQ_PROTO_VERSION);
    attr_put_end(out);
}

void showq_encode_request(struct buf *out, const char *request)
{
    attr_put_cstr(out, "request", request);
    attr_put_end(out);
}

void showq_encode_entry(struct buf *out, const struct showq_entry *e)
{
    size_t i;
    size_t n = e->nrcpt < SHOWQ_RCPT_MAX ? e->nrcpt : SHOWQ_RCPT_MAX;

    attr_put_cstr(out, "queue_name", e->queue_name);
    attr_put_cstr(out, "queue_id", e->queue_id);
    attr_put_long(out, "time", e->arrival);
    attr_put_long(out, "size", e->size);
    attr_put_int(out, "forced_expire", e->forced_expire ? 1 : 0);
    attr_put_cstr(out, "sender", e->sender ? e->sender : "");
    if (e->omitted > 0 || e->nrcpt > n)
        attr_put_long(out, "omitted", e->omitted + (long)(e->nrcpt - n));
    attr_list_begin(out, "recipients");
    for (i = 0; i < n; i++) {
        attr_list_entry(out);
        attr_put_cstr(out, "address", e->rcpts[i].address);
        if (e->rcpts[i].reason != NULL)
            attr_put_cstr(out, "reason", e->rcpts[i].reason);
    }
    attr_list_end(out);
    attr_put_end(out);
}

void showq_encode_end(struct buf *out, long count)
{
    attr_put_int(out, "end", 1);
    attr_put_long(out, "count", count);
    attr_put_end(out);
}

int showq_decode_request(const struct attr_msg *msg, const char **request, struct buf *err)
{
    enum attr_find f = attr_get_cstr(attr_msg_top(msg), "request", request);

    if (f != ATTR_FOUND) {
        buf_printf(err, "request attribute: %s", attr_find_str(f));
        return -1;
    }
    return 0;
}

/* A required string without NUL: 0, or -1 with err. */
static int showq_get_str(const struct attr_group *g, const char *name, const char **s,
                         struct buf *err)
{
    enum attr_find f = attr_get_cstr(g, name, s);

    if (f != ATTR_FOUND) {
        buf_printf(err, "%s attribute: %s", name, attr_find_str(f));
        return -1;
    }
    return 0;
}

int showq_decode(const struct attr_msg *msg, struct showq_entry *e, long *count, struct buf *err)
{
    const struct attr_group *top = attr_msg_top(msg);
    const struct attr_list *list;
    const char *s;
    int64_t l;
    uint32_t u;
    size_t i;
    enum attr_find f;

    buf_reset(err);
    if (msg->proto != NULL) {
        buf_set(err, "unexpected protocol announcement");
        return -1;
    }
    if (attr_get_int(top, "end", &u) == ATTR_FOUND) {
        if (u != 1) {
            buf_printf(err, "end attribute: bad value %u", (unsigned)u);
            return -1;
        }
        if (attr_get_long(top, "count", &l) != ATTR_FOUND || l < 0) {
            buf_set(err, "count attribute: missing or invalid");
            return -1;
        }
        if (count != NULL)
            *count = (long)l;
        return 0;
    }
    showq_entry_reset(e);
    if (showq_get_str(top, "queue_name", &s, err) < 0)
        return -1;
    if (!queue_name_valid(s) || strlen(s) >= sizeof(e->queue_name)) {
        buf_printf(err, "queue_name attribute: unknown queue");
        return -1;
    }
    memcpy(e->queue_name, s, strlen(s) + 1);
    if (showq_get_str(top, "queue_id", &s, err) < 0)
        return -1;
    if (!queue_id_valid(s)) {
        buf_set(err, "queue_id attribute: invalid queue ID");
        return -1;
    }
    memcpy(e->queue_id, s, strlen(s) + 1);
    if ((f = attr_get_long(top, "time", &l)) != ATTR_FOUND || l < 0) {
        buf_printf(err, "time attribute: %s", f == ATTR_FOUND ? "negative" : attr_find_str(f));
        return -1;
    }
    e->arrival = (long)l;
    if ((f = attr_get_long(top, "size", &l)) != ATTR_FOUND || l < 0) {
        buf_printf(err, "size attribute: %s", f == ATTR_FOUND ? "negative" : attr_find_str(f));
        return -1;
    }
    e->size = (long)l;
    if ((f = attr_get_int(top, "forced_expire", &u)) != ATTR_FOUND || u > 1) {
        buf_printf(err, "forced_expire attribute: %s",
                   f == ATTR_FOUND ? "not 0 or 1" : attr_find_str(f));
        return -1;
    }
    e->forced_expire = (int)u;
    if (showq_get_str(top, "sender", &s, err) < 0)
        return -1;
    e->sender = mem_strdup(s);
    f = attr_get_long(top, "omitted", &l);
    if (f == ATTR_WRONG_TYPE || (f == ATTR_FOUND && l < 0)) {
        buf_set(err, "omitted attribute: invalid");
        return -1;
    }
    e->omitted = f == ATTR_FOUND ? (long)l : 0;
    if ((f = attr_get_list(top, "recipients", &list)) != ATTR_FOUND) {
        buf_printf(err, "recipients attribute: %s", attr_find_str(f));
        return -1;
    }
    for (i = 0; i < list->count; i++) {
        const struct attr_group *g = attr_list_at(list, i);
        const char *addr;
        const char *reason = NULL;

        if (showq_get_str(g, "address", &addr, err) < 0)
            return -1;
        f = attr_get_cstr(g, "reason", &reason);
        if (f == ATTR_WRONG_TYPE) {
            buf_set(err, "reason attribute: wrong type");
            return -1;
        }
        showq_entry_add_rcpt(e, addr, f == ATTR_FOUND ? reason : NULL);
    }
    return 1;
}
