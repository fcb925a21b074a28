/*
 * maildrop.c - the user rules of maildrop submissions (see maildrop.h).
 *
 * The queue format's own checker (queue_rec_check) enforces record order
 * and data syntax; this module adds what a local user may not do. For
 * postdrop's standard input, which has no VERSION and SIZE records, the
 * checker is primed with a VERSION and a placeholder SIZE first, so both
 * sources go through the same order rules as the writer and the reader.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/maildrop.h"
#include "util/mem.h"
#include "util/msg.h"

/* pickup passes the bits and values on to cleanup unchanged. */
_Static_assert(QUEUE_DSN_NOTIFY_NEVER == DSN_NOTIFY_NEVER &&
                   QUEUE_DSN_NOTIFY_SUCCESS == DSN_NOTIFY_SUCCESS &&
                   QUEUE_DSN_NOTIFY_FAILURE == DSN_NOTIFY_FAILURE &&
                   QUEUE_DSN_NOTIFY_DELAY == DSN_NOTIFY_DELAY,
               "queue and cleanup DSN NOTIFY bits differ");
_Static_assert(QUEUE_DSN_RET_FULL == DSN_RET_FULL && QUEUE_DSN_RET_HDRS == DSN_RET_HDRS,
               "queue and cleanup DSN RET values differ");

/* RFC 3461 section 4.4: ENVID is at most 100 printable characters. */
#define MAILDROP_ENVID_MAX 100

static const struct {
    const char *name;
    unsigned bit;
} maildrop_attrs[] = {
    {MAILDROP_ATTR_FULL_NAME, 0x01}, {MAILDROP_ATTR_REWRITE, 0x02}, {MAILDROP_ATTR_ENCODING, 0x04},
    {MAILDROP_ATTR_EXTRACT, 0x08},   {MAILDROP_ATTR_NOTIFY, 0x10},
};

void maildrop_check_init(struct maildrop_check *check, enum maildrop_source source)
{
    struct buf why = BUF_INIT;
    struct buf data = BUF_INIT;
    struct queue_size size;

    memset(check, 0, sizeof(*check));
    check->source = source;
    queue_rec_check_init(&check->rec, source == MAILDROP_STREAM);
    if (source == MAILDROP_FILE)
        return;
    buf_printf(&data, "%s%d", QUEUE_FILE_VERSION_PREFIX, QUEUE_FILE_VERSION);
    if (queue_rec_check(&check->rec, QUEUE_REC_VERSION, data.data, data.len, 0, 0, &why) < 0)
        msg_panic("maildrop_check_init: VERSION: %s", buf_str(&why));
    memset(&size, 0, sizeof(size));
    queue_size_format(&data, &size);
    if (queue_rec_check(&check->rec, QUEUE_REC_SIZE, data.data, data.len, 0, 0, &why) < 0)
        msg_panic("maildrop_check_init: SIZE: %s", buf_str(&why));
    buf_release(&data);
    buf_release(&why);
}

int maildrop_check_ended(const struct maildrop_check *check)
{
    return check->ended;
}

/* Record types a user may submit at all. */
static int maildrop_type_allowed(const struct maildrop_check *check, int type)
{
    switch (type) {
    case QUEUE_REC_VERSION:
    case QUEUE_REC_SIZE:
        return check->source == MAILDROP_FILE;
    case QUEUE_REC_TIME:
    case QUEUE_REC_ATTR:
    case QUEUE_REC_SENDER:
    case QUEUE_REC_DSN_ENVID:
    case QUEUE_REC_DSN_RET:
    case QUEUE_REC_DSN_NOTIFY:
    case QUEUE_REC_RCPT:
    case QUEUE_REC_MESG:
    case QUEUE_REC_NORM:
    case QUEUE_REC_CONT:
    case QUEUE_REC_XTRA:
    case QUEUE_REC_END:
        return 1;
    default:
        return 0;
    }
}

/* A DSN NOTIFY mask as the queue format writes it: 1..15, NEVER alone. */
static int maildrop_notify_parse(const char *value, size_t len, int *out)
{
    long v = 0;
    size_t i;

    if (len == 0 || len > 2 || (len > 1 && value[0] == '0'))
        return -1;
    for (i = 0; i < len; i++) {
        if (value[i] < '0' || value[i] > '9')
            return -1;
        v = v * 10 + (value[i] - '0');
    }
    if (v < 1 || v > 15 || ((v & QUEUE_DSN_NOTIFY_NEVER) && v != QUEUE_DSN_NOTIFY_NEVER))
        return -1;
    *out = (int)v;
    return 0;
}

static int maildrop_value_is(const char *value, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(value, want, len) == 0;
}

/* One ATTR record: a known name, once, with a value of its kind. */
static int maildrop_check_attr(struct maildrop_check *check, const char *data, size_t len,
                               struct buf *why)
{
    const char *eq = memchr(data, '=', len);
    const char *value;
    size_t name_len, value_len, i;
    int bits;

    if (eq == NULL) {
        buf_set(why, "malformed named attribute (expected name=value)");
        return -1;
    }
    name_len = (size_t)(eq - data);
    value = eq + 1;
    value_len = len - name_len - 1;
    for (i = 0; i < sizeof(maildrop_attrs) / sizeof(maildrop_attrs[0]); i++)
        if (maildrop_value_is(data, name_len, maildrop_attrs[i].name))
            break;
    if (i == sizeof(maildrop_attrs) / sizeof(maildrop_attrs[0])) {
        buf_set(why, "named attribute not allowed in a maildrop file: ");
        buf_append(why, data, name_len > 64 ? 64 : name_len);
        return -1;
    }
    if (check->attrs_seen & maildrop_attrs[i].bit) {
        buf_printf(why, "duplicate named attribute %s", maildrop_attrs[i].name);
        return -1;
    }
    check->attrs_seen |= maildrop_attrs[i].bit;
    if (value_len > MAILDROP_FIELD_MAX) {
        buf_printf(why, "named attribute %s longer than %d bytes", maildrop_attrs[i].name,
                   MAILDROP_FIELD_MAX);
        return -1;
    }
    if (strcmp(maildrop_attrs[i].name, MAILDROP_ATTR_REWRITE) == 0) {
        if (maildrop_value_is(value, value_len, "local") ||
            maildrop_value_is(value, value_len, "remote"))
            return 0;
    } else if (strcmp(maildrop_attrs[i].name, MAILDROP_ATTR_ENCODING) == 0) {
        if (maildrop_value_is(value, value_len, "7bit") ||
            maildrop_value_is(value, value_len, "8bitmime"))
            return 0;
    } else if (strcmp(maildrop_attrs[i].name, MAILDROP_ATTR_EXTRACT) == 0) {
        if (maildrop_value_is(value, value_len, "yes"))
            return 0;
    } else if (strcmp(maildrop_attrs[i].name, MAILDROP_ATTR_NOTIFY) == 0) {
        if (maildrop_notify_parse(value, value_len, &bits) == 0)
            return 0;
    } else {
        return 0; /* full_name: any text the queue format allows */
    }
    buf_printf(why, "bad value for named attribute %s", maildrop_attrs[i].name);
    return -1;
}

/* ENVID: printable US-ASCII, bounded (RFC 3461 section 4.4). */
static int maildrop_check_envid(const char *data, size_t len, struct buf *why)
{
    size_t i;

    if (len > MAILDROP_ENVID_MAX) {
        buf_printf(why, "DSN envelope ID longer than %d bytes", MAILDROP_ENVID_MAX);
        return -1;
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)data[i] < 0x20 || (unsigned char)data[i] > 0x7e) {
            buf_set(why, "DSN envelope ID with a byte outside printable ASCII");
            return -1;
        }
    }
    return 0;
}

int maildrop_check_record(struct maildrop_check *check, int type, const char *data, size_t len,
                          off_t offset, off_t next, struct buf *why)
{
    const char *name = queue_rec_name(type);

    buf_reset(why);
    if (check->ended) {
        buf_set(why, "record after the END record");
        return -1;
    }
    if (name == NULL) {
        buf_printf(why, "unknown record type 0x%02x", (unsigned)type & 0xff);
        return -1;
    }
    if (!maildrop_type_allowed(check, type)) {
        buf_printf(why, "%s record not allowed in a maildrop file", name);
        return -1;
    }
    /* The extracted section of a submission is empty: recipients and
     * attributes there would bypass the envelope checks above. */
    if (check->rec.section == QUEUE_SECTION_EXTRACTED && type != QUEUE_REC_END) {
        buf_printf(why, "%s record after the message content", name);
        return -1;
    }
    switch (type) {
    case QUEUE_REC_SENDER:
    case QUEUE_REC_RCPT:
        if (len > MAILDROP_FIELD_MAX) {
            buf_printf(why, "%s record longer than %d bytes", name, MAILDROP_FIELD_MAX);
            return -1;
        }
        break;
    case QUEUE_REC_DSN_ENVID:
        if (maildrop_check_envid(data, len, why) < 0)
            return -1;
        break;
    case QUEUE_REC_ATTR:
        /* The format rules first: they reject NUL and line breaks. */
        if (queue_rec_check(&check->rec, type, data, len, offset, next, why) < 0)
            return -1;
        return maildrop_check_attr(check, data, len, why);
    }
    if (queue_rec_check(&check->rec, type, data, len, offset, next, why) < 0)
        return -1;
    if (type == QUEUE_REC_END)
        check->ended = 1;
    return 0;
}

int maildrop_check_queue_record(struct maildrop_check *check, const struct queue_record *rec,
                                struct buf *why)
{
    unsigned char hdr[QUEUE_REC_HDR_MAX];
    off_t next =
        rec->offset + (off_t)queue_rec_put_header(hdr, rec->type, rec->len) + (off_t)rec->len;

    return maildrop_check_record(check, rec->type, rec->data, rec->len, rec->offset, next, why);
}

/* ---- envelope ------------------------------------------------------------ */

void maildrop_env_init(struct maildrop_env *env)
{
    memset(env, 0, sizeof(*env));
}

void maildrop_env_free(struct maildrop_env *env)
{
    size_t i;

    mem_free(env->sender);
    mem_free(env->full_name);
    mem_free(env->rewrite_context);
    mem_free(env->encoding);
    mem_free(env->envid);
    for (i = 0; i < env->nrcpt; i++) {
        mem_free(env->rcpt[i].address);
        mem_free(env->rcpt[i].orcpt);
    }
    mem_free(env->rcpt);
    memset(env, 0, sizeof(*env));
}

static void maildrop_env_set(char **slot, const char *data, size_t len)
{
    mem_free(*slot);
    *slot = mem_strndup(data, len);
}

int maildrop_env_add(struct maildrop_env *env, int type, const char *data, size_t len,
                     struct buf *why)
{
    struct timeval tv;
    const char *eq;
    size_t name_len;
    int bits;

    buf_reset(why);
    switch (type) {
    case QUEUE_REC_TIME:
        if (queue_time_parse(data, len, &tv, why) < 0)
            return -1;
        env->arrival_sec = (long)tv.tv_sec;
        env->arrival_usec = (long)tv.tv_usec;
        return 0;
    case QUEUE_REC_SENDER:
        maildrop_env_set(&env->sender, data, len);
        return 0;
    case QUEUE_REC_DSN_ENVID:
        maildrop_env_set(&env->envid, data, len);
        return 0;
    case QUEUE_REC_DSN_RET:
        env->ret = (len == 1 && data[0] == '2') ? DSN_RET_HDRS : DSN_RET_FULL;
        return 0;
    case QUEUE_REC_DSN_NOTIFY:
        if (maildrop_notify_parse(data, len, &bits) < 0) {
            buf_set(why, "malformed DSN NOTIFY flags");
            return -1;
        }
        env->pending_notify = bits;
        return 0;
    case QUEUE_REC_RCPT:
        if (env->nrcpt == env->rcpt_cap) {
            env->rcpt_cap = env->rcpt_cap ? mem_size_mul(env->rcpt_cap, 2) : 8;
            env->rcpt = mem_realloc_array(env->rcpt, env->rcpt_cap, sizeof(*env->rcpt));
        }
        env->rcpt[env->nrcpt].address = mem_strndup(data, len);
        env->rcpt[env->nrcpt].orcpt = mem_strdup("");
        env->rcpt[env->nrcpt].notify = env->pending_notify;
        env->nrcpt++;
        env->pending_notify = 0;
        return 0;
    case QUEUE_REC_ATTR:
        if ((eq = memchr(data, '=', len)) == NULL) {
            buf_set(why, "malformed named attribute (expected name=value)");
            return -1;
        }
        name_len = (size_t)(eq - data);
        len -= name_len + 1;
        if (maildrop_value_is(data, name_len, MAILDROP_ATTR_FULL_NAME))
            maildrop_env_set(&env->full_name, eq + 1, len);
        else if (maildrop_value_is(data, name_len, MAILDROP_ATTR_REWRITE))
            maildrop_env_set(&env->rewrite_context, eq + 1, len);
        else if (maildrop_value_is(data, name_len, MAILDROP_ATTR_ENCODING))
            maildrop_env_set(&env->encoding, eq + 1, len);
        else if (maildrop_value_is(data, name_len, MAILDROP_ATTR_EXTRACT))
            env->extract = 1;
        else if (maildrop_value_is(data, name_len, MAILDROP_ATTR_NOTIFY)) {
            if (maildrop_notify_parse(eq + 1, len, &bits) < 0) {
                buf_set(why, "bad value for named attribute " MAILDROP_ATTR_NOTIFY);
                return -1;
            }
            env->notify_default = bits;
        }
        /* Unknown names cannot get here past maildrop_check_record(). */
        return 0;
    default:
        return 0;
    }
}
