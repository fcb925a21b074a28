/*
 * anvil_table.c - per-ident counters and the period maxima (anvil_table.h).
 * Counters saturate at UINT32_MAX instead of wrapping, so a flood can never
 * turn a huge rate into a small one.
 */
#include <string.h>

#include "anvil_table.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"

/* The rate counters, indexed like the maxima below. */
enum anvil_rate {
    ANVIL_RATE_CONN,
    ANVIL_RATE_MESSAGE,
    ANVIL_RATE_RCPT,
    ANVIL_RATE_NEWTLS,
    ANVIL_RATE_AUTH,
    ANVIL_RATE_COUNT
};

struct anvil_entry {
    uint32_t count;
    uint32_t rate[ANVIL_RATE_COUNT];
    int64_t start_ms; /* start of the current rate window */
};

struct anvil_max {
    uint32_t value;
    char *ident;
    time_t when;
};

/* Maxima: one per rate, then the connection count. */
#define ANVIL_MAX_COUNT (ANVIL_RATE_COUNT + 1)

struct anvil_table {
    struct htable *entries;
    int64_t unit_ms;
    struct anvil_max max[ANVIL_MAX_COUNT];
    size_t max_size;
    time_t max_size_when;
};

static const char *const anvil_max_label[ANVIL_MAX_COUNT] = {
    "connection rate", "message rate", "recipient rate",
    "newtls rate",     "auth rate",    "connection count",
};

struct anvil_table *anvil_table_new(int64_t rate_unit_ms)
{
    struct anvil_table *t = mem_calloc(1, sizeof(*t));

    if (rate_unit_ms <= 0)
        msg_panic("anvil_table_new: bad rate time unit %lld", (long long)rate_unit_ms);
    t->entries = htable_new(64);
    t->unit_ms = rate_unit_ms;
    return t;
}

void anvil_table_free(struct anvil_table *t)
{
    size_t i;

    if (t == NULL)
        return;
    htable_free(t->entries, mem_free);
    for (i = 0; i < ANVIL_MAX_COUNT; i++)
        mem_free(t->max[i].ident);
    mem_free(t);
}

static void anvil_incr(uint32_t *v)
{
    if (*v < UINT32_MAX)
        (*v)++;
}

static int anvil_expired(const struct anvil_table *t, const struct anvil_entry *e, int64_t now_ms)
{
    return now_ms - e->start_ms >= t->unit_ms || now_ms < e->start_ms;
}

/* Clears the rates of a window that is a time unit old. Only a counted
 * event opens a new window: a lookup or disconnect must not keep an idle
 * entry away from the sweep. */
static void anvil_window(const struct anvil_table *t, struct anvil_entry *e, int64_t now_ms,
                         int counted)
{
    if (anvil_expired(t, e, now_ms)) {
        memset(e->rate, 0, sizeof(e->rate));
        if (counted)
            e->start_ms = now_ms;
    }
}

static void anvil_note_max(struct anvil_table *t, size_t which, uint32_t value, const char *ident,
                           time_t wall)
{
    struct anvil_max *m = &t->max[which];

    if (value <= m->value)
        return;
    m->value = value;
    m->when = wall;
    if (m->ident == NULL || strcmp(m->ident, ident) != 0) {
        mem_free(m->ident);
        m->ident = mem_strdup(ident);
    }
}

static void anvil_fill(const struct anvil_entry *e, struct anvil_counts *out)
{
    out->count = e->count;
    out->rate = e->rate[ANVIL_RATE_CONN];
    out->message_rate = e->rate[ANVIL_RATE_MESSAGE];
    out->recipient_rate = e->rate[ANVIL_RATE_RCPT];
    out->newtls_rate = e->rate[ANVIL_RATE_NEWTLS];
    out->auth_rate = e->rate[ANVIL_RATE_AUTH];
}

void anvil_table_apply(struct anvil_table *t, enum anvil_req_type type, const char *ident,
                       int64_t now_ms, time_t wall, struct anvil_counts *out)
{
    struct anvil_entry *e = htable_get(t->entries, ident);
    int rate = -1;

    memset(out, 0, sizeof(*out));
    if (e == NULL) {
        /* Nothing to look up or take away: do not grow the table for it. */
        if (type == ANVIL_REQ_LOOKUP || type == ANVIL_REQ_DISCONNECT)
            return;
        e = mem_calloc(1, sizeof(*e));
        e->start_ms = now_ms;
        htable_put(t->entries, ident, e);
        if (t->entries->used > t->max_size) {
            t->max_size = t->entries->used;
            t->max_size_when = wall;
        }
    }
    anvil_window(t, e, now_ms, type != ANVIL_REQ_LOOKUP && type != ANVIL_REQ_DISCONNECT);
    switch (type) {
    case ANVIL_REQ_CONNECT:
        anvil_incr(&e->count);
        rate = ANVIL_RATE_CONN;
        anvil_note_max(t, ANVIL_RATE_COUNT, e->count, ident, wall);
        break;
    case ANVIL_REQ_DISCONNECT:
        if (e->count > 0)
            e->count--;
        break;
    case ANVIL_REQ_MESSAGE:
        rate = ANVIL_RATE_MESSAGE;
        break;
    case ANVIL_REQ_RECIPIENT:
        rate = ANVIL_RATE_RCPT;
        break;
    case ANVIL_REQ_NEWTLS:
        rate = ANVIL_RATE_NEWTLS;
        break;
    case ANVIL_REQ_AUTH:
        rate = ANVIL_RATE_AUTH;
        break;
    case ANVIL_REQ_LOOKUP:
        break;
    }
    if (rate >= 0) {
        anvil_incr(&e->rate[rate]);
        anvil_note_max(t, (size_t)rate, e->rate[rate], ident, wall);
    }
    anvil_fill(e, out);
}

void anvil_table_release(struct anvil_table *t, const char *ident, uint32_t n, int64_t now_ms)
{
    struct anvil_entry *e = htable_get(t->entries, ident);

    (void)now_ms;
    if (e == NULL)
        return;
    e->count = e->count > n ? e->count - n : 0;
}

size_t anvil_table_sweep(struct anvil_table *t, int64_t now_ms)
{
    struct htable_entry **all;
    size_t n, i, dropped = 0;

    all = htable_sorted(t->entries, &n);
    for (i = 0; i < n; i++) {
        struct anvil_entry *e = all[i]->value;

        if (e->count == 0 && anvil_expired(t, e, now_ms)) {
            mem_free(htable_remove(t->entries, all[i]->key));
            dropped++;
        }
    }
    mem_free(all);
    return dropped;
}

size_t anvil_table_size(const struct anvil_table *t)
{
    return t->entries->used;
}

/* "Nov 22 04:37:51", as Postfix's statistics lines show it. */
static const char *anvil_when(time_t when, char *out, size_t len)
{
    struct tm tm;

    if (localtime_r(&when, &tm) == NULL || strftime(out, len, "%b %d %H:%M:%S", &tm) == 0)
        return "?";
    return out;
}

void anvil_table_report(struct anvil_table *t)
{
    long unit_s = (long)(t->unit_ms / 1000);
    char when[64];

    /* Postfix's order: connection rate and count first. */
    static const size_t order[ANVIL_MAX_COUNT] = {
        ANVIL_RATE_CONN, ANVIL_RATE_COUNT,  ANVIL_RATE_MESSAGE,
        ANVIL_RATE_RCPT, ANVIL_RATE_NEWTLS, ANVIL_RATE_AUTH,
    };
    size_t k;

    for (k = 0; k < ANVIL_MAX_COUNT; k++) {
        size_t i = order[k];
        struct anvil_max *m = &t->max[i];

        if (m->value == 0)
            continue;
        if (i == ANVIL_RATE_COUNT)
            msg_info("statistics: max %s %u for (%s) at %s", anvil_max_label[i], (unsigned)m->value,
                     m->ident, anvil_when(m->when, when, sizeof(when)));
        else
            msg_info("statistics: max %s %u/%lds for (%s) at %s", anvil_max_label[i],
                     (unsigned)m->value, unit_s, m->ident, anvil_when(m->when, when, sizeof(when)));
        m->value = 0;
    }
    if (t->max_size > 0)
        msg_info("statistics: max cache size %zu at %s", t->max_size,
                 anvil_when(t->max_size_when, when, sizeof(when)));
    t->max_size = 0;
}
