/*
 * attr.c - the attribute codec (wire format and contract in attr.h).
 *
 * Decoding makes two passes over the same code (attr_scan_msg): the first
 * validates everything and counts what the message needs without allocating,
 * the second, run only on a message the first accepted, fills exactly sized
 * arrays. So no allocation is ever sized from a length that was not checked
 * against the limits, and the two passes cannot disagree about the format.
 * Duplicate names are found by sorting each group's index, which also serves
 * lookups, so a hostile message cannot make the check quadratic.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "mem.h"
#include "msg.h"
#include "str.h"

/* State of one pass over a message; fill is NULL in the validating pass. */
struct attr_scan {
    const unsigned char *p;
    size_t len;
    const struct attr_limits *lim;
    struct buf *err;
    size_t pos;  /* next byte to read */
    size_t need; /* NEED_MORE: least total length; BAD: offset of the problem */
    size_t n_items;
    size_t n_values; /* scalars and lists: slots in values_ */
    size_t n_top;
    size_t n_groups;
    size_t arena_size;
    struct attr_msg *fill;
    size_t top_at;
    size_t entry_at;
    size_t group_at;
    char *arena_at;
};

void attr_limits_init(struct attr_limits *lim)
{
    lim->max_name_len = ATTR_DEFAULT_MAX_NAME_LEN;
    lim->max_str_len = ATTR_DEFAULT_MAX_STR_LEN;
    lim->max_attrs = ATTR_DEFAULT_MAX_ATTRS;
    lim->max_msg_size = ATTR_DEFAULT_MAX_MSG_SIZE;
}

/* Resets the decoded contents, keeping the limits. */
static void attr_msg_clear(struct attr_msg *m)
{
    mem_free(m->values_);
    mem_free(m->groups_);
    mem_free(m->index_);
    mem_free(m->arena_);
    m->values_ = NULL;
    m->groups_ = NULL;
    m->index_ = NULL;
    m->arena_ = NULL;
    m->proto = NULL;
    m->proto_version = 0;
    m->top.items = NULL;
    m->top.sorted = NULL;
    m->top.count = 0;
    m->size = 0;
}

void attr_msg_init(struct attr_msg *m, const struct attr_limits *lim)
{
    memset(m, 0, sizeof(*m));
    if (lim == NULL) {
        attr_limits_init(&m->limits);
    } else {
        if (lim->max_name_len < 1 || lim->max_name_len > ATTR_NAME_MAX_WIRE)
            msg_panic("attr_msg_init: max_name_len %zu not in 1..%d", lim->max_name_len,
                      ATTR_NAME_MAX_WIRE);
        if (lim->max_str_len > UINT32_MAX)
            msg_panic("attr_msg_init: max_str_len %zu exceeds the wire limit", lim->max_str_len);
        if (lim->max_attrs < 1 || lim->max_msg_size < 1)
            msg_panic("attr_msg_init: max_attrs and max_msg_size must be positive");
        m->limits = *lim;
    }
    attr_msg_clear(m);
}

void attr_msg_free(struct attr_msg *m)
{
    attr_msg_clear(m);
}

/* ---------------------------------------------------------------- encoder */

static int attr_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* Names come from the program, so a bad one is a bug, not an input error. */
static void attr_put_name(struct buf *b, const char *name, const char *who)
{
    size_t len = strlen(name);
    size_t i;

    for (i = 0; i < len; i++)
        if (!attr_name_char((unsigned char)name[i]))
            break;
    if (len == 0 || len > ATTR_NAME_MAX_WIRE || i < len) {
        struct buf tmp = BUF_INIT;

        msg_panic("%s: invalid attribute name \"%s\"", who, str_printable(&tmp, name, len));
    }
    buf_append_char(b, (int)len);
    buf_append(b, name, len);
}

static void attr_put_u32(struct buf *b, uint32_t v)
{
    unsigned char be[4];

    be[0] = (unsigned char)(v >> 24);
    be[1] = (unsigned char)(v >> 16);
    be[2] = (unsigned char)(v >> 8);
    be[3] = (unsigned char)v;
    buf_append(b, be, sizeof(be));
}

static void attr_put_u64(struct buf *b, uint64_t v)
{
    attr_put_u32(b, (uint32_t)(v >> 32));
    attr_put_u32(b, (uint32_t)v);
}

void attr_put_announce(struct buf *b, const char *proto, uint32_t version)
{
    buf_append_char(b, ATTR_T_ANNOUNCE);
    buf_append_char(b, ATTR_FORMAT_VERSION);
    attr_put_name(b, proto, "attr_put_announce");
    attr_put_u32(b, version);
}

void attr_put_int(struct buf *b, const char *name, uint32_t v)
{
    buf_append_char(b, ATTR_T_INT);
    attr_put_name(b, name, "attr_put_int");
    attr_put_u32(b, v);
}

void attr_put_long(struct buf *b, const char *name, int64_t v)
{
    buf_append_char(b, ATTR_T_LONG);
    attr_put_name(b, name, "attr_put_long");
    /* Conversion to unsigned is defined as modulo 2^64: two's complement. */
    attr_put_u64(b, (uint64_t)v);
}

void attr_put_ulong(struct buf *b, const char *name, uint64_t v)
{
    buf_append_char(b, ATTR_T_ULONG);
    attr_put_name(b, name, "attr_put_ulong");
    attr_put_u64(b, v);
}

void attr_put_str(struct buf *b, const char *name, const void *data, size_t len)
{
    if (len > UINT32_MAX)
        msg_panic("attr_put_str: %s: length %zu exceeds the wire limit", name, len);
    buf_append_char(b, ATTR_T_STR);
    attr_put_name(b, name, "attr_put_str");
    attr_put_u32(b, (uint32_t)len);
    buf_append(b, data, len);
}

void attr_put_cstr(struct buf *b, const char *name, const char *s)
{
    attr_put_str(b, name, s, strlen(s));
}

void attr_list_begin(struct buf *b, const char *name)
{
    buf_append_char(b, ATTR_T_LIST_BEGIN);
    attr_put_name(b, name, "attr_list_begin");
}

void attr_list_entry(struct buf *b)
{
    buf_append_char(b, ATTR_T_ENTRY);
}

void attr_list_end(struct buf *b)
{
    buf_append_char(b, ATTR_T_LIST_END);
}

void attr_put_end(struct buf *b)
{
    buf_append_char(b, ATTR_T_END);
}

static void attr_put_scalar(struct buf *b, const struct attr_value *v)
{
    switch (v->type) {
    case ATTR_INT:
        attr_put_int(b, v->name, v->v.u32);
        break;
    case ATTR_LONG:
        attr_put_long(b, v->name, v->v.i64);
        break;
    case ATTR_ULONG:
        attr_put_ulong(b, v->name, v->v.u64);
        break;
    case ATTR_STR:
        attr_put_str(b, v->name, v->v.str.data, v->v.str.len);
        break;
    case ATTR_LIST:
        msg_panic("attr_put_msg: list \"%s\" inside a list entry", v->name);
    }
}

void attr_put_msg(struct buf *b, const struct attr_msg *m)
{
    size_t i, e, j;

    if (m->proto)
        attr_put_announce(b, m->proto, m->proto_version);
    for (i = 0; i < m->top.count; i++) {
        const struct attr_value *v = &m->top.items[i];

        if (v->type != ATTR_LIST) {
            attr_put_scalar(b, v);
            continue;
        }
        attr_list_begin(b, v->name);
        for (e = 0; e < v->v.list.count; e++) {
            const struct attr_group *g = &v->v.list.entries[e];

            attr_list_entry(b);
            for (j = 0; j < g->count; j++)
                attr_put_scalar(b, &g->items[j]);
        }
        attr_list_end(b);
    }
    attr_put_end(b);
}

/* ---------------------------------------------------------------- decoder */

static enum attr_status attr_scan_bad(struct attr_scan *s, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Every rejection goes through here, so each reason names its offset. */
static enum attr_status attr_scan_bad(struct attr_scan *s, size_t offset, const char *fmt, ...)
{
    va_list ap;

    if (s->fill)
        msg_panic("attr_decode: second pass rejected what the first accepted");
    s->need = offset;
    if (s->err) {
        buf_reset(s->err);
        va_start(ap, fmt);
        buf_vprintf(s->err, fmt, ap);
        va_end(ap);
        buf_printf(s->err, " at offset %zu", offset);
    }
    return ATTR_BAD;
}

/*
 * Ensures n more bytes are there. The size limit is checked first, so a
 * message announcing more than the limit is rejected before it arrives.
 * Invariant: pos <= max_msg_size and pos <= len.
 */
static enum attr_status attr_scan_need(struct attr_scan *s, size_t n)
{
    if (n > s->lim->max_msg_size - s->pos)
        return attr_scan_bad(s, s->pos, "message exceeds size limit %zu", s->lim->max_msg_size);
    if (n > s->len - s->pos) {
        s->need = s->pos + n;
        return ATTR_NEED_MORE;
    }
    return ATTR_OK;
}

static uint32_t attr_get_u32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t attr_get_u64(const unsigned char *p)
{
    return ((uint64_t)attr_get_u32(p) << 32) | attr_get_u32(p + 4);
}

static int64_t attr_u64_to_i64(uint64_t u)
{
    /* Spelled out: converting an out-of-range value to int64_t is
     * implementation-defined in C11. */
    if (u <= (uint64_t)INT64_MAX)
        return (int64_t)u;
    return -(int64_t)(UINT64_MAX - u) - 1;
}

static enum attr_status attr_scan_name(struct attr_scan *s, const char *kind,
                                       const unsigned char **name, size_t *name_len)
{
    enum attr_status st;
    size_t n, i;

    if ((st = attr_scan_need(s, 1)) != ATTR_OK)
        return st;
    n = s->p[s->pos];
    if (n == 0)
        return attr_scan_bad(s, s->pos, "empty %s name", kind);
    if (n > s->lim->max_name_len)
        return attr_scan_bad(s, s->pos, "%s name too long (%zu > %zu bytes)", kind, n,
                             s->lim->max_name_len);
    s->pos++;
    if ((st = attr_scan_need(s, n)) != ATTR_OK)
        return st;
    for (i = 0; i < n; i++) {
        unsigned char c = s->p[s->pos + i];

        if (c == '\0')
            return attr_scan_bad(s, s->pos + i, "NUL byte in %s name", kind);
        if (!attr_name_char(c))
            return attr_scan_bad(s, s->pos + i, "invalid byte 0x%02x in %s name", c, kind);
    }
    *name = s->p + s->pos;
    *name_len = n;
    s->pos += n;
    return ATTR_OK;
}

static const char *attr_scan_copy(struct attr_scan *s, const void *data, size_t len)
{
    char *copy = s->arena_at;

    if (s->fill == NULL) {
        s->arena_size = mem_size_add(s->arena_size, mem_size_add(len, 1));
        return NULL;
    }
    if (len)
        memcpy(copy, data, len);
    copy[len] = '\0';
    s->arena_at += len + 1;
    return copy;
}

static enum attr_status attr_scan_count(struct attr_scan *s, size_t offset)
{
    if (s->n_items >= s->lim->max_attrs)
        return attr_scan_bad(s, offset, "too many attributes (limit %zu)", s->lim->max_attrs);
    s->n_items++;
    return ATTR_OK;
}

/* The next value slot: the top level or the open entry (pass 2 only).
 * in_entry is passed apart from entry because entry is NULL in pass 1. */
static struct attr_value *attr_scan_slot(struct attr_scan *s, int in_entry,
                                         struct attr_group *entry, const unsigned char *name,
                                         size_t name_len, enum attr_type type, size_t offset)
{
    struct attr_value *v;

    s->n_values++;
    if (!in_entry)
        s->n_top++;
    if (s->fill == NULL) {
        (void)attr_scan_copy(s, name, name_len);
        return NULL;
    }
    if (in_entry) {
        v = &s->fill->values_[s->entry_at++];
        entry->count++;
    } else {
        v = &s->fill->values_[s->top_at++];
    }
    v->type = type;
    v->name = attr_scan_copy(s, name, name_len);
    v->name_len = name_len;
    v->offset = offset;
    return v;
}

/* One scalar item after its type byte, at the top level or in an entry. */
static enum attr_status attr_scan_scalar(struct attr_scan *s, int type, size_t start, int in_entry,
                                         struct attr_group *entry)
{
    const unsigned char *name = NULL;
    const unsigned char *val;
    struct attr_value *v;
    enum attr_status st;
    size_t name_len = 0;
    size_t width;
    uint32_t slen = 0;

    if ((st = attr_scan_name(s, "attribute", &name, &name_len)) != ATTR_OK)
        return st;
    if ((st = attr_scan_count(s, start)) != ATTR_OK)
        return st;
    width = (type == ATTR_T_INT || type == ATTR_T_STR) ? 4 : 8;
    if ((st = attr_scan_need(s, width)) != ATTR_OK)
        return st;
    val = s->p + s->pos;
    if (type == ATTR_T_STR) {
        slen = attr_get_u32(val);
        if (slen > s->lim->max_str_len)
            return attr_scan_bad(s, s->pos, "string length %lu exceeds limit %zu",
                                 (unsigned long)slen, s->lim->max_str_len);
        s->pos += width;
        if ((st = attr_scan_need(s, slen)) != ATTR_OK)
            return st;
        val = s->p + s->pos;
        width = slen;
    }
    s->pos += width;
    switch (type) {
    case ATTR_T_INT:
        if ((v = attr_scan_slot(s, in_entry, entry, name, name_len, ATTR_INT, start)) != NULL)
            v->v.u32 = attr_get_u32(val);
        break;
    case ATTR_T_LONG:
        if ((v = attr_scan_slot(s, in_entry, entry, name, name_len, ATTR_LONG, start)) != NULL)
            v->v.i64 = attr_u64_to_i64(attr_get_u64(val));
        break;
    case ATTR_T_ULONG:
        if ((v = attr_scan_slot(s, in_entry, entry, name, name_len, ATTR_ULONG, start)) != NULL)
            v->v.u64 = attr_get_u64(val);
        break;
    default:
        v = attr_scan_slot(s, in_entry, entry, name, name_len, ATTR_STR, start);
        if (v == NULL) {
            (void)attr_scan_copy(s, val, slen);
        } else {
            v->v.str.data = attr_scan_copy(s, val, slen);
            v->v.str.len = slen;
        }
        break;
    }
    return ATTR_OK;
}

static enum attr_status attr_scan_announce(struct attr_scan *s, size_t start)
{
    const unsigned char *name = NULL;
    enum attr_status st;
    size_t name_len = 0;
    unsigned fmt;

    if (start != 0)
        return attr_scan_bad(s, start, "protocol announcement not at start of message");
    if ((st = attr_scan_need(s, 1)) != ATTR_OK)
        return st;
    fmt = s->p[s->pos];
    if (fmt != ATTR_FORMAT_VERSION)
        return attr_scan_bad(s, s->pos, "unsupported attribute format version %u (want %d)", fmt,
                             ATTR_FORMAT_VERSION);
    s->pos++;
    if ((st = attr_scan_name(s, "protocol", &name, &name_len)) != ATTR_OK)
        return st;
    if ((st = attr_scan_need(s, 4)) != ATTR_OK)
        return st;
    if (s->fill) {
        s->fill->proto = attr_scan_copy(s, name, name_len);
        s->fill->proto_version = attr_get_u32(s->p + s->pos);
    } else {
        (void)attr_scan_copy(s, name, name_len);
    }
    s->pos += 4;
    return ATTR_OK;
}

/* One pass over one message; on ATTR_OK, s->pos is its size. */
static enum attr_status attr_scan_msg(struct attr_scan *s)
{
    enum { IN_TOP, IN_LIST, IN_ENTRY } where = IN_TOP;
    struct attr_value *list = NULL;    /* pass 2: the open list */
    struct attr_group *entry = NULL;   /* pass 2: the open entry */
    const unsigned char *lname = NULL; /* the open list's name, for errors */
    size_t lname_len = 0;
    enum attr_status st;
    size_t start;
    int type;

    for (;;) {
        start = s->pos;
        if ((st = attr_scan_need(s, 1)) != ATTR_OK)
            return st;
        type = s->p[s->pos++];
        switch (type) {
        case ATTR_T_ANNOUNCE:
            st = attr_scan_announce(s, start);
            break;
        case ATTR_T_INT:
        case ATTR_T_LONG:
        case ATTR_T_ULONG:
        case ATTR_T_STR:
            if (where == IN_LIST)
                return attr_scan_bad(s, start, "attribute before the first entry of list \"%.*s\"",
                                     (int)lname_len, lname);
            st = attr_scan_scalar(s, type, start, where == IN_ENTRY, entry);
            break;
        case ATTR_T_LIST_BEGIN:
            if (where != IN_TOP)
                return attr_scan_bad(s, start, "list inside list \"%.*s\" (one level only)",
                                     (int)lname_len, lname);
            if ((st = attr_scan_name(s, "list", &lname, &lname_len)) != ATTR_OK)
                return st;
            if ((st = attr_scan_count(s, start)) != ATTR_OK)
                return st;
            list = attr_scan_slot(s, 0, NULL, lname, lname_len, ATTR_LIST, start);
            if (list) {
                list->v.list.entries = &s->fill->groups_[s->group_at];
                list->v.list.count = 0;
            }
            where = IN_LIST;
            break;
        case ATTR_T_ENTRY:
            if (where == IN_TOP)
                return attr_scan_bad(s, start, "list entry outside a list");
            if ((st = attr_scan_count(s, start)) != ATTR_OK)
                return st;
            s->n_groups++;
            if (s->fill) {
                entry = &s->fill->groups_[s->group_at++];
                entry->items = &s->fill->values_[s->entry_at];
                entry->sorted = &s->fill->index_[s->entry_at];
                entry->count = 0;
                list->v.list.count++;
            }
            where = IN_ENTRY;
            break;
        case ATTR_T_LIST_END:
            if (where == IN_TOP)
                return attr_scan_bad(s, start, "list end outside a list");
            where = IN_TOP;
            list = NULL;
            entry = NULL;
            break;
        case ATTR_T_END:
            if (where != IN_TOP)
                return attr_scan_bad(s, start,
                                     "end of message inside list \"%.*s\" (missing list end)",
                                     (int)lname_len, lname);
            return ATTR_OK;
        default:
            return attr_scan_bad(s, start, "unknown attribute type byte 0x%02x", type);
        }
        if (st != ATTR_OK)
            return st;
    }
}

static int attr_value_cmp(const void *a, const void *b)
{
    const struct attr_value *x = *(const struct attr_value *const *)a;
    const struct attr_value *y = *(const struct attr_value *const *)b;
    int c = strcmp(x->name, y->name);

    /* The offset tie-break makes the order total, so the duplicate that is
     * reported does not depend on the qsort implementation. */
    if (c)
        return c;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Sorts a group's index; a duplicate name is the second of an equal pair. */
static const struct attr_value *attr_group_index(const struct attr_group *g,
                                                 const struct attr_value **index)
{
    size_t i;

    for (i = 0; i < g->count; i++)
        index[i] = &g->items[i];
    if (g->count > 1)
        qsort(index, g->count, sizeof(*index), attr_value_cmp);
    for (i = 1; i < g->count; i++)
        if (strcmp(index[i - 1]->name, index[i]->name) == 0)
            return index[i];
    return NULL;
}

enum attr_status attr_decode(const void *data, size_t len, size_t *consumed, struct attr_msg *out,
                             struct buf *err)
{
    struct attr_scan s;
    struct attr_scan fill;
    const struct attr_value *dup;
    enum attr_status st;
    size_t i;

    attr_msg_clear(out);
    memset(&s, 0, sizeof(s));
    s.p = data;
    s.len = len;
    s.lim = &out->limits;
    s.err = err;
    if ((st = attr_scan_msg(&s)) != ATTR_OK) {
        *consumed = s.need;
        return st;
    }

    /* Every count below is bounded by max_attrs and max_msg_size. */
    out->values_ = mem_calloc(s.n_values, sizeof(*out->values_));
    out->groups_ = mem_calloc(s.n_groups, sizeof(*out->groups_));
    out->index_ = mem_calloc(s.n_values, sizeof(*out->index_));
    out->arena_ = mem_alloc(s.arena_size);
    memset(&fill, 0, sizeof(fill));
    fill.p = data;
    fill.len = len;
    fill.lim = &out->limits;
    fill.fill = out;
    fill.entry_at = s.n_top;
    fill.arena_at = out->arena_;
    if (attr_scan_msg(&fill) != ATTR_OK || fill.pos != s.pos || fill.top_at != s.n_top ||
        fill.entry_at != s.n_values || fill.group_at != s.n_groups)
        msg_panic("attr_decode: the two passes disagree");
    out->top.items = out->values_;
    out->top.sorted = out->index_;
    out->top.count = s.n_top;
    out->size = s.pos;

    dup = attr_group_index(&out->top, out->index_);
    for (i = 0; dup == NULL && i < s.n_groups; i++)
        dup = attr_group_index(&out->groups_[i],
                               out->index_ + (out->groups_[i].items - out->values_));
    if (dup) {
        (void)attr_scan_bad(&s, dup->offset, "duplicate attribute name \"%s\"", dup->name);
        attr_msg_clear(out);
        *consumed = s.need;
        return ATTR_BAD;
    }
    *consumed = s.pos;
    return ATTR_OK;
}

enum attr_status attr_decode_exact(const void *data, size_t len, struct attr_msg *out,
                                   struct buf *err)
{
    enum attr_status st;
    size_t used;

    st = attr_decode(data, len, &used, out, err);
    if (st == ATTR_NEED_MORE) {
        if (err) {
            buf_reset(err);
            buf_printf(err, "truncated message (%zu bytes, at least %zu needed)", len, used);
        }
        return ATTR_BAD;
    }
    if (st == ATTR_OK && used != len) {
        attr_msg_clear(out);
        if (err) {
            buf_reset(err);
            buf_printf(err, "%zu bytes of trailing data after end of message at offset %zu",
                       len - used, used);
        }
        return ATTR_BAD;
    }
    return st;
}

enum attr_status attr_check_announce(const struct attr_msg *m, const char *proto,
                                     uint32_t min_version, uint32_t max_version, struct buf *err)
{
    const char *why = NULL;

    if (m->proto == NULL)
        why = "no protocol announcement";
    else if (strcmp(m->proto, proto) != 0)
        why = "wrong protocol";
    else if (m->proto_version < min_version || m->proto_version > max_version)
        why = "unsupported protocol version";
    if (why == NULL)
        return ATTR_OK;
    if (err) {
        buf_reset(err);
        buf_printf(err, "%s: expected %s version %lu", why, proto, (unsigned long)min_version);
        if (max_version != min_version)
            buf_printf(err, "..%lu", (unsigned long)max_version);
        if (m->proto)
            buf_printf(err, ", peer announced %s version %lu", m->proto,
                       (unsigned long)m->proto_version);
    }
    return ATTR_BAD;
}

/* ----------------------------------------------------------------- lookup */

const struct attr_value *attr_find(const struct attr_group *g, const char *name)
{
    size_t lo = 0, hi = g->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, g->sorted[mid]->name);

        if (c == 0)
            return g->sorted[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static enum attr_find attr_lookup(const struct attr_group *g, const char *name, enum attr_type type,
                                  const struct attr_value **v)
{
    *v = attr_find(g, name);
    if (*v == NULL)
        return ATTR_MISSING;
    return (*v)->type == type ? ATTR_FOUND : ATTR_WRONG_TYPE;
}

enum attr_find attr_get_int(const struct attr_group *g, const char *name, uint32_t *out)
{
    const struct attr_value *v;
    enum attr_find f = attr_lookup(g, name, ATTR_INT, &v);

    if (f == ATTR_FOUND)
        *out = v->v.u32;
    return f;
}

enum attr_find attr_get_long(const struct attr_group *g, const char *name, int64_t *out)
{
    const struct attr_value *v;
    enum attr_find f = attr_lookup(g, name, ATTR_LONG, &v);

    if (f == ATTR_FOUND)
        *out = v->v.i64;
    return f;
}

enum attr_find attr_get_ulong(const struct attr_group *g, const char *name, uint64_t *out)
{
    const struct attr_value *v;
    enum attr_find f = attr_lookup(g, name, ATTR_ULONG, &v);

    if (f == ATTR_FOUND)
        *out = v->v.u64;
    return f;
}

enum attr_find attr_get_str(const struct attr_group *g, const char *name, const char **data,
                            size_t *len)
{
    const struct attr_value *v;
    enum attr_find f = attr_lookup(g, name, ATTR_STR, &v);

    if (f == ATTR_FOUND) {
        *data = v->v.str.data;
        *len = v->v.str.len;
    }
    return f;
}

enum attr_find attr_get_cstr(const struct attr_group *g, const char *name, const char **s)
{
    const struct attr_value *v;
    enum attr_find f = attr_lookup(g, name, ATTR_STR, &v);

    if (f != ATTR_FOUND)
        return f;
    /* A C string that stops early would silently drop the rest. */
    if (memchr(v->v.str.data, '\0', v->v.str.len) != NULL)
        return ATTR_WRONG_TYPE;
    *s = v->v.str.data;
    return ATTR_FOUND;
}

enum attr_find attr_get_list(const struct attr_group *g, const char *name,
                             const struct attr_list **list)
{
    const struct attr_value *v;
    enum attr_find f = attr_lookup(g, name, ATTR_LIST, &v);

    if (f == ATTR_FOUND)
        *list = &v->v.list;
    return f;
}

const struct attr_group *attr_list_at(const struct attr_list *list, size_t i)
{
    if (i >= list->count)
        msg_panic("attr_list_at: entry %zu of %zu", i, list->count);
    return &list->entries[i];
}

const char *attr_find_str(enum attr_find f)
{
    switch (f) {
    case ATTR_FOUND:
        return "found";
    case ATTR_MISSING:
        return "missing";
    case ATTR_WRONG_TYPE:
        return "wrong type";
    }
    return "unknown";
}

const char *attr_type_str(enum attr_type t)
{
    switch (t) {
    case ATTR_INT:
        return "int";
    case ATTR_LONG:
        return "long";
    case ATTR_ULONG:
        return "ulong";
    case ATTR_STR:
        return "str";
    case ATTR_LIST:
        return "list";
    }
    return "unknown";
}

/* ------------------------------------------------------------------- dump */

static void attr_dump_str(struct buf *out, const char *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)data;
    size_t i;

    buf_append_char(out, '"');
    for (i = 0; i < len; i++) {
        if (p[i] == '"' || p[i] == '\\') {
            buf_append_char(out, '\\');
            buf_append_char(out, p[i]);
        } else if (p[i] >= 0x20 && p[i] < 0x7f) {
            buf_append_char(out, p[i]);
        } else {
            char esc[4] = {'\\', 'x', hex[p[i] >> 4], hex[p[i] & 0xf]};

            buf_append(out, esc, sizeof(esc));
        }
    }
    buf_append_char(out, '"');
}

static void attr_dump_value(struct buf *out, const struct attr_value *v, int indent)
{
    size_t e, j;

    buf_printf(out, "%*s%s %s", indent, "", attr_type_str(v->type), v->name);
    switch (v->type) {
    case ATTR_INT:
        buf_printf(out, " %lu\n", (unsigned long)v->v.u32);
        break;
    case ATTR_LONG:
        buf_printf(out, " %lld\n", (long long)v->v.i64);
        break;
    case ATTR_ULONG:
        buf_printf(out, " %llu\n", (unsigned long long)v->v.u64);
        break;
    case ATTR_STR:
        buf_append_char(out, ' ');
        attr_dump_str(out, v->v.str.data, v->v.str.len);
        buf_append_char(out, '\n');
        break;
    case ATTR_LIST:
        buf_printf(out, " %zu\n", v->v.list.count);
        for (e = 0; e < v->v.list.count; e++) {
            const struct attr_group *g = &v->v.list.entries[e];

            buf_printf(out, "%*sentry %zu\n", indent + 2, "", e);
            for (j = 0; j < g->count; j++)
                attr_dump_value(out, &g->items[j], indent + 4);
        }
        break;
    }
}

void attr_dump(const struct attr_msg *m, struct buf *out)
{
    size_t i;

    if (m->proto)
        buf_printf(out, "announce %s %lu\n", m->proto, (unsigned long)m->proto_version);
    for (i = 0; i < m->top.count; i++)
        attr_dump_value(out, &m->top.items[i], 0);
    buf_append_str(out, "end\n");
}
