/*
 * cleanup_proto.c - encode and decode cleanup protocol messages (see
 * cleanup_proto.h). Pure functions over attribute messages: the fuzz target
 * drives the decoders directly.
 */
#include <string.h>

#include "mail/cleanup_proto.h"
#include "util/mem.h"

void cleanup_attr_limits(struct attr_limits *lim)
{
    attr_limits_init(lim);
    lim->max_str_len = CLEANUP_DATA_CHUNK;
    lim->max_attrs = 4 * CLEANUP_RCPT_BATCH + 16;
    lim->max_msg_size = (size_t)CLEANUP_RCPT_BATCH * 3 * (CLEANUP_FIELD_MAX + 64) + 4096;
}

void cleanup_encode_env(struct buf *out, const struct cleanup_envelope *env)
{
    size_t i;

    attr_put_cstr(out, "req", "env");
    attr_put_cstr(out, "sender", env->sender);
    attr_put_int(out, "flags", (uint32_t)env->flags);
    attr_put_long(out, "arrival_sec", env->arrival_sec);
    attr_put_long(out, "arrival_usec", env->arrival_usec);
    attr_put_cstr(out, "envid", env->envid ? env->envid : "");
    attr_put_int(out, "ret", (uint32_t)env->ret);
    attr_put_int(out, "smtputf8", (uint32_t)env->smtputf8);
    attr_put_cstr(out, "encoding", env->encoding ? env->encoding : "");
    attr_list_begin(out, "attr");
    for (i = 0; i < env->nattr; i++) {
        attr_list_entry(out);
        attr_put_cstr(out, "name", env->attr[i].name);
        attr_put_cstr(out, "value", env->attr[i].value);
    }
    attr_list_end(out);
    attr_put_end(out);
}

void cleanup_encode_rcpt(struct buf *out, const struct cleanup_rcpt *rcpt, size_t count)
{
    size_t i;

    attr_put_cstr(out, "req", "rcpt");
    attr_list_begin(out, "rcpt");
    for (i = 0; i < count; i++) {
        attr_list_entry(out);
        attr_put_cstr(out, "address", rcpt[i].address);
        attr_put_cstr(out, "orcpt", rcpt[i].orcpt ? rcpt[i].orcpt : "");
        attr_put_int(out, "notify", (uint32_t)rcpt[i].notify);
    }
    attr_list_end(out);
    attr_put_end(out);
}

void cleanup_encode_data(struct buf *out, const void *data, size_t len)
{
    attr_put_cstr(out, "req", "data");
    attr_put_str(out, "data", data, len);
    attr_put_end(out);
}

void cleanup_encode_end(struct buf *out)
{
    cleanup_encode_end_opts(out, NULL);
}

void cleanup_encode_end_opts(struct buf *out, const struct cleanup_end *end)
{
    attr_put_cstr(out, "req", "end");
    if (end != NULL) {
        if (end->flags)
            attr_put_int(out, "flags", (uint32_t)end->flags);
        if (end->filter)
            attr_put_cstr(out, "filter", end->filter);
        if (end->redirect)
            attr_put_cstr(out, "redirect", end->redirect);
        if (end->bcc)
            attr_put_cstr(out, "bcc", end->bcc);
    }
    attr_put_end(out);
}

void cleanup_encode_status(struct buf *out, int status, const char *reason, const char *queue_id)
{
    attr_put_int(out, "status", (uint32_t)status);
    attr_put_cstr(out, "reason", reason ? reason : "");
    attr_put_cstr(out, "queue_id", queue_id ? queue_id : "");
    attr_put_end(out);
}

int cleanup_decode_req(const struct attr_msg *msg, enum cleanup_req *req, struct buf *err)
{
    const char *s;

    if (attr_get_cstr(attr_msg_top(msg), "req", &s) != ATTR_FOUND) {
        buf_set(err, "cleanup request without a valid \"req\" attribute");
        return -1;
    }
    if (strcmp(s, "env") == 0)
        *req = CLEANUP_REQ_ENV;
    else if (strcmp(s, "rcpt") == 0)
        *req = CLEANUP_REQ_RCPT;
    else if (strcmp(s, "data") == 0)
        *req = CLEANUP_REQ_DATA;
    else if (strcmp(s, "end") == 0)
        *req = CLEANUP_REQ_END;
    else {
        buf_printf(err, "unknown cleanup request \"%.64s\"", s);
        return -1;
    }
    return 0;
}

/* A C string of bounded length, copied; -1 when missing, wrong or too long. */
static int cleanup_get_field(const struct attr_group *g, const char *name, char **out,
                             struct buf *err)
{
    const char *s;
    enum attr_find f = attr_get_cstr(g, name, &s);

    if (f != ATTR_FOUND) {
        buf_printf(err, "cleanup request: attribute %s: %s", name, attr_find_str(f));
        return -1;
    }
    if (strlen(s) > CLEANUP_FIELD_MAX) {
        buf_printf(err, "cleanup request: attribute %s longer than %d bytes", name,
                   CLEANUP_FIELD_MAX);
        return -1;
    }
    *out = mem_strdup(s);
    return 0;
}

static int cleanup_get_int(const struct attr_group *g, const char *name, int *out,
                           struct buf *err)
{
    uint32_t v;
    enum attr_find f = attr_get_int(g, name, &v);

    if (f != ATTR_FOUND || v > 0x7fffffffU) {
        buf_printf(err, "cleanup request: attribute %s: %s", name,
                   f == ATTR_FOUND ? "out of range" : attr_find_str(f));
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int cleanup_get_long(const struct attr_group *g, const char *name, long *out,
                            struct buf *err)
{
    int64_t v;
    enum attr_find f = attr_get_long(g, name, &v);

    if (f != ATTR_FOUND || v < 0) {
        buf_printf(err, "cleanup request: attribute %s: %s", name,
                   f == ATTR_FOUND ? "out of range" : attr_find_str(f));
        return -1;
    }
    *out = (long)v;
    return 0;
}

int cleanup_decode_env(const struct attr_msg *msg, struct cleanup_envelope *env, struct buf *err)
{
    const struct attr_group *top = attr_msg_top(msg);
    const struct attr_list *list;
    size_t i;

    memset(env, 0, sizeof(*env));
    if (cleanup_get_field(top, "sender", &env->sender, err) < 0
        || cleanup_get_int(top, "flags", &env->flags, err) < 0
        || cleanup_get_long(top, "arrival_sec", &env->arrival_sec, err) < 0
        || cleanup_get_long(top, "arrival_usec", &env->arrival_usec, err) < 0
        || cleanup_get_field(top, "envid", &env->envid, err) < 0
        || cleanup_get_int(top, "ret", &env->ret, err) < 0
        || cleanup_get_int(top, "smtputf8", &env->smtputf8, err) < 0
        || cleanup_get_field(top, "encoding", &env->encoding, err) < 0)
        goto bad;
    if (attr_get_list(top, "attr", &list) != ATTR_FOUND) {
        buf_set(err, "cleanup request: attribute attr: missing or not a list");
        goto bad;
    }
    env->attr = mem_calloc(list->count + 1, sizeof(env->attr[0]));
    for (i = 0; i < list->count; i++) {
        const struct attr_group *e = attr_list_at(list, i);

        if (cleanup_get_field(e, "name", &env->attr[i].name, err) < 0
            || cleanup_get_field(e, "value", &env->attr[i].value, err) < 0) {
            env->nattr = i + 1;
            goto bad;
        }
        env->nattr = i + 1;
    }
    return 0;
bad:
    cleanup_envelope_free(env);
    return -1;
}

int cleanup_decode_rcpt(const struct attr_msg *msg, struct cleanup_rcpt **rcpt, size_t *count,
                        struct buf *err)
{
    const struct attr_list *list;
    struct cleanup_rcpt *r;
    size_t i;

    if (attr_get_list(attr_msg_top(msg), "rcpt", &list) != ATTR_FOUND) {
        buf_set(err, "cleanup request: attribute rcpt: missing or not a list");
        return -1;
    }
    r = mem_calloc(list->count + 1, sizeof(r[0]));
    for (i = 0; i < list->count; i++) {
        const struct attr_group *e = attr_list_at(list, i);

        if (cleanup_get_field(e, "address", &r[i].address, err) < 0
            || cleanup_get_field(e, "orcpt", &r[i].orcpt, err) < 0
            || cleanup_get_int(e, "notify", &r[i].notify, err) < 0) {
            cleanup_rcpt_free(r, i + 1);
            return -1;
        }
    }
    *rcpt = r;
    *count = list->count;
    return 0;
}

int cleanup_decode_data(const struct attr_msg *msg, const char **data, size_t *len,
                        struct buf *err)
{
    if (attr_get_str(attr_msg_top(msg), "data", data, len) != ATTR_FOUND) {
        buf_set(err, "cleanup request: attribute data: missing or not a string");
        return -1;
    }
    return 0;
}

/* An optional bounded string: 0 (absent or copied), -1 when malformed. */
static int cleanup_get_opt_field(const struct attr_group *g, const char *name, char **out,
                                 struct buf *err)
{
    const char *s;

    *out = NULL;
    if (attr_get_cstr(g, name, &s) == ATTR_MISSING)
        return 0;
    return cleanup_get_field(g, name, out, err);
}

int cleanup_decode_end(const struct attr_msg *msg, struct cleanup_end *end, struct buf *err)
{
    const struct attr_group *top = attr_msg_top(msg);
    uint32_t v;
    enum attr_find f;

    memset(end, 0, sizeof(*end));
    if ((f = attr_get_int(top, "flags", &v)) == ATTR_FOUND) {
        /* Only what may be decided late: anything else is a client bug. */
        if (v & ~(uint32_t)(CLEANUP_FLAG_HOLD | CLEANUP_FLAG_DISCARD)) {
            buf_printf(err, "cleanup request: end flags 0x%x not allowed", (unsigned)v);
            return -1;
        }
        end->flags = (int)v;
    } else if (f != ATTR_MISSING) {
        buf_printf(err, "cleanup request: attribute flags: %s", attr_find_str(f));
        return -1;
    }
    if (cleanup_get_opt_field(top, "filter", &end->filter, err) < 0
        || cleanup_get_opt_field(top, "redirect", &end->redirect, err) < 0
        || cleanup_get_opt_field(top, "bcc", &end->bcc, err) < 0) {
        cleanup_end_free(end);
        return -1;
    }
    return 0;
}

void cleanup_end_free(struct cleanup_end *end)
{
    mem_free(end->filter);
    mem_free(end->redirect);
    mem_free(end->bcc);
    memset(end, 0, sizeof(*end));
}

void cleanup_envelope_free(struct cleanup_envelope *env)
{
    size_t i;

    for (i = 0; i < env->nattr; i++) {
        mem_free(env->attr[i].name);
        mem_free(env->attr[i].value);
    }
    mem_free(env->attr);
    mem_free(env->sender);
    mem_free(env->envid);
    mem_free(env->encoding);
    memset(env, 0, sizeof(*env));
}

void cleanup_rcpt_free(struct cleanup_rcpt *rcpt, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        mem_free(rcpt[i].address);
        mem_free(rcpt[i].orcpt);
    }
    mem_free(rcpt);
}
