/*
 * postqueue_format.c - the queue listing formats and filters (see
 * postqueue.h). The column layout is Postfix's: a 78-column page, the
 * sender and recipients in one column, a deferral reason right-aligned in
 * parentheses above the recipients it applies to, and the status mark
 * after the ID ('*' active, '!' on hold, '#' force-expired).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/queue_dir.h"
#include "postqueue.h"

#define POSTQUEUE_PAGE_WIDTH 78

void postqueue_format_header(struct buf *out, int long_ids)
{
    if (long_ids)
        buf_append_str(out, "----Queue ID----- --Size-- ---Arrival Time---- "
                            "--Sender/Recipient------\n");
    else
        buf_append_str(out, "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n");
}

static char postqueue_status_char(const struct showq_entry *e)
{
    if (e->forced_expire)
        return '#';
    if (strcmp(e->queue_name, QUEUE_ACTIVE) == 0)
        return '*';
    if (strcmp(e->queue_name, QUEUE_HOLD) == 0)
        return '!';
    return ' ';
}

void postqueue_format_entry(struct buf *out, const struct showq_entry *e, int long_ids)
{
    char date[32];
    time_t t = (time_t)e->arrival;
    struct tm tm;
    const char *sender = *e->sender ? e->sender : "MAILER-DAEMON";
    const char *last_reason = NULL;
    struct buf idmark = BUF_INIT;
    int indent;
    size_t i;

    /* "Sun Nov 22 04:42:23": local time, as the arrival column shows it. */
    if (localtime_r(&t, &tm) == NULL || strftime(date, sizeof(date), "%a %b %e %H:%M:%S", &tm) == 0)
        date[0] = '\0';
    /* The mark is part of the ID column, as with Postfix: an entry without
     * one starts its size a column further left than one with it. */
    buf_set(&idmark, e->queue_id);
    if (postqueue_status_char(e) != ' ')
        buf_append_char(&idmark, postqueue_status_char(e));
    if (long_ids) {
        buf_printf(out, "%-17s %8ld %-19.19s %s\n", buf_str(&idmark), e->size, date, sender);
        indent = 47;
    } else {
        buf_printf(out, "%-11s %7ld %-20.20s %s\n", buf_str(&idmark), e->size, date, sender);
        indent = 41;
    }
    buf_release(&idmark);
    for (i = 0; i < e->nrcpt; i++) {
        const char *reason = e->rcpts[i].reason;

        if (reason != NULL && (last_reason == NULL || strcmp(reason, last_reason) != 0)) {
            int width = POSTQUEUE_PAGE_WIDTH - 2 - (int)strlen(reason);

            buf_printf(out, "%*s(%s)\n", width > 0 ? width : 0, "", reason);
        }
        last_reason = reason;
        buf_printf(out, "%*s%s\n", indent, "", e->rcpts[i].address);
    }
    if (e->omitted > 0)
        buf_printf(out, "%*s(%ld more recipients not shown)\n", indent, "", e->omitted);
    buf_append_char(out, '\n');
}

void postqueue_format_trailer(struct buf *out, long long total_size, long count)
{
    if (count == 0)
        buf_append_str(out, "Mail queue is empty\n");
    else
        buf_printf(out, "-- %lld Kbytes in %ld Request%s.\n", total_size / 1024, count,
                   count == 1 ? "" : "s");
}

void postqueue_json_escape(struct buf *out, const char *s)
{
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            buf_append_char(out, '\\');
            buf_append_char(out, (char)*p);
        } else if (*p < 0x20 || *p >= 0x7f) {
            buf_printf(out, "\\u%04x", (unsigned)*p);
        } else {
            buf_append_char(out, (char)*p);
        }
    }
}

void postqueue_format_json(struct buf *out, const struct showq_entry *e)
{
    size_t i;

    buf_append_str(out, "{\"queue_name\": \"");
    postqueue_json_escape(out, e->queue_name);
    buf_append_str(out, "\", \"queue_id\": \"");
    postqueue_json_escape(out, e->queue_id);
    buf_printf(out, "\", \"arrival_time\": %ld, \"message_size\": %ld, \"forced_expire\": %s, ",
               e->arrival, e->size, e->forced_expire ? "true" : "false");
    buf_append_str(out, "\"sender\": \"");
    postqueue_json_escape(out, *e->sender ? e->sender : "MAILER-DAEMON");
    buf_append_str(out, "\", \"recipients\": [");
    for (i = 0; i < e->nrcpt; i++) {
        buf_append_str(out, i ? ", {\"address\": \"" : "{\"address\": \"");
        postqueue_json_escape(out, e->rcpts[i].address);
        buf_append_char(out, '"');
        if (e->rcpts[i].reason != NULL) {
            buf_append_str(out, ", \"delay_reason\": \"");
            postqueue_json_escape(out, e->rcpts[i].reason);
            buf_append_char(out, '"');
        }
        buf_append_char(out, '}');
    }
    buf_append_str(out, "]}\n");
}

int postqueue_filter_active(const struct postqueue_filter *f)
{
    return f->sender != NULL || f->rcpt != NULL || f->domain != NULL || f->min_age > 0;
}

/* Whether addr's domain is domain or one of its subdomains. */
static int postqueue_domain_match(const char *addr, const char *domain)
{
    const char *at = strrchr(addr, '@');
    size_t dlen = strlen(domain);
    size_t alen;

    if (at == NULL)
        return 0;
    at++;
    alen = strlen(at);
    if (strcasecmp(at, domain) == 0)
        return 1;
    return alen > dlen && at[alen - dlen - 1] == '.' && strcasecmp(at + alen - dlen, domain) == 0;
}

int postqueue_filter_match(const struct postqueue_filter *f, const struct showq_entry *e, long now)
{
    size_t i;
    int ok;

    if (f->sender != NULL) {
        const char *want = strcmp(f->sender, "<>") == 0 ? "" : f->sender;

        if (strcasecmp(e->sender, want) != 0)
            return 0;
    }
    if (f->min_age > 0 && now - e->arrival < f->min_age)
        return 0;
    if (f->rcpt != NULL) {
        for (ok = 0, i = 0; i < e->nrcpt && !ok; i++)
            ok = strcasecmp(e->rcpts[i].address, f->rcpt) == 0;
        if (!ok)
            return 0;
    }
    if (f->domain != NULL) {
        for (ok = 0, i = 0; i < e->nrcpt && !ok; i++)
            ok = postqueue_domain_match(e->rcpts[i].address, f->domain);
        if (!ok)
            return 0;
    }
    return 1;
}
