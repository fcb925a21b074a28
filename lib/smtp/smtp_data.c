/*
 * smtp_data.c - DATA/BDAT content receiver (see smtp_data.h).
 *
 * One byte-level state machine serves both commands, so chunk boundaries
 * can never matter: the only state carried between calls is a pending CR,
 * the current line piece (at most line_limit bytes), whether that piece
 * continues a split line, and how the previous line ended. The end of DATA
 * is recognised only on a whole line "." that did not continue a split
 * line; outside "no" mode it must also end in CRLF and follow a CRLF, which
 * is what defeats SMTP smuggling. Never writes to the network or the queue.
 */
#include <string.h>
#include <strings.h>

#include "smtp/smtp_data.h"
#include "util/mem.h"

struct smtp_data {
    struct smtp_data_opts opts;
    smtp_data_output_fn output;
    void *ctx;
    struct buf line; /* current piece of the current line, leading dot included */
    int pending_cr;  /* a CR was the last byte seen; LF may follow */
    int cont;        /* the piece continues a line split at line_limit */
    int prev_crlf;   /* the previous line ended in CRLF (true at the start) */
    int done;
    int bdat;
    enum smtp_data_status status;
    uint64_t size;
    uint64_t bare_lf;
};

int smtp_bare_lf_parse(const char *value, enum smtp_bare_lf *mode)
{
    if (strcasecmp(value, "no") == 0)
        *mode = SMTP_BARE_LF_NO;
    else if (strcasecmp(value, "normalize") == 0 || strcasecmp(value, "yes") == 0)
        *mode = SMTP_BARE_LF_NORMALIZE;
    else if (strcasecmp(value, "reject") == 0)
        *mode = SMTP_BARE_LF_REJECT;
    else
        return -1;
    return 0;
}

struct smtp_data *smtp_data_new(const struct smtp_data_opts *opts, smtp_data_output_fn output,
                                void *ctx)
{
    struct smtp_data *d = mem_calloc(1, sizeof(*d));

    d->opts = *opts;
    if (d->opts.line_limit == 0)
        d->opts.line_limit = 1;
    d->output = output;
    d->ctx = ctx;
    buf_init(&d->line);
    smtp_data_begin(d);
    return d;
}

void smtp_data_free(struct smtp_data *d)
{
    if (d == NULL)
        return;
    buf_release(&d->line);
    mem_free(d);
}

void smtp_data_begin(struct smtp_data *d)
{
    buf_reset(&d->line);
    d->pending_cr = 0;
    d->cont = 0;
    d->prev_crlf = 1;
    d->done = 0;
    d->bdat = 0;
    d->status = SMTP_DATA_OK;
    d->size = 0;
    d->bare_lf = 0;
}

static void smtp_data_count(struct smtp_data *d, uint64_t n)
{
    d->size = (UINT64_MAX - d->size < n) ? UINT64_MAX : d->size + n;
    if (d->status == SMTP_DATA_OK && d->opts.size_limit > 0 && d->size > d->opts.size_limit)
        d->status = SMTP_DATA_TOO_BIG;
}

/* Sends content (len bytes, plus data[len] == '\n' when complete). */
static void smtp_data_emit(struct smtp_data *d, const char *data, size_t len, int complete)
{
    if (!d->bdat)
        smtp_data_count(d, len + (complete ? 2 : 0));
    if (d->status == SMTP_DATA_OK)
        d->output(d->ctx, data, complete ? len + 1 : len, complete ? 0 : SMTP_DATA_PARTIAL);
}

/* Dot-stuffing (RFC 5321 4.5.2) applies to the first piece of a DATA line. */
static size_t smtp_data_unstuff(const struct smtp_data *d)
{
    return (!d->bdat && !d->cont && buf_len(&d->line) > 0 && buf_str(&d->line)[0] == '.') ? 1 : 0;
}

static void smtp_data_add(struct smtp_data *d, const char *p, size_t n)
{
    while (n > 0) {
        size_t room = d->opts.line_limit - buf_len(&d->line);
        size_t take;

        if (room == 0) {
            size_t skip = smtp_data_unstuff(d);

            smtp_data_emit(d, buf_str(&d->line) + skip, buf_len(&d->line) - skip, 0);
            d->cont = 1;
            buf_reset(&d->line);
            room = d->opts.line_limit;
        }
        take = n < room ? n : room;
        buf_append(&d->line, p, take);
        p += take;
        n -= take;
    }
}

static void smtp_data_end_line(struct smtp_data *d, int crlf)
{
    size_t skip;

    if (!crlf) {
        d->bare_lf++;
        if (d->opts.bare_lf == SMTP_BARE_LF_REJECT && d->status == SMTP_DATA_OK)
            d->status = SMTP_DATA_BARE_LF;
    }
    if (!d->bdat && !d->cont && buf_len(&d->line) == 1 && buf_str(&d->line)[0] == '.') {
        /* "no" keeps the old lenient end; otherwise only <CRLF>.<CRLF> ends
         * DATA, and a lone dot that does not is dropped (Postfix 3.7.11
         * under normalize: the smuggled ".\n" leaves no line behind). */
        if (d->opts.bare_lf == SMTP_BARE_LF_NO || (crlf && d->prev_crlf))
            d->done = 1;
        d->prev_crlf = crlf;
        buf_reset(&d->line);
        return;
    }
    skip = smtp_data_unstuff(d);
    buf_append_char(&d->line, '\n');
    smtp_data_emit(d, buf_str(&d->line) + skip, buf_len(&d->line) - 1 - skip, 1);
    d->prev_crlf = crlf;
    d->cont = 0;
    buf_reset(&d->line);
}

/* The common scanner; stops after the end-of-data line in DATA mode. */
static size_t smtp_data_scan(struct smtp_data *d, const char *b, size_t len)
{
    size_t i = 0;

    while (i < len && !d->done) {
        size_t j;

        if (d->pending_cr) {
            d->pending_cr = 0;
            if (b[i] == '\n') {
                i++;
                smtp_data_end_line(d, 1);
                continue;
            }
            /* A CR not followed by LF is content (RFC 5321 2.3.8 forbids it,
             * but Postfix keeps it and so do we: nothing is lost). */
            smtp_data_add(d, "\r", 1);
        }
        if (b[i] == '\r') {
            d->pending_cr = 1;
            i++;
            continue;
        }
        if (b[i] == '\n') {
            i++;
            smtp_data_end_line(d, 0);
            continue;
        }
        for (j = i; j < len && b[j] != '\r' && b[j] != '\n'; j++)
            ;
        smtp_data_add(d, b + i, j - i);
        i = j;
    }
    return i;
}

size_t smtp_data_feed(struct smtp_data *d, const void *bytes, size_t len)
{
    if (d->done || d->bdat)
        return 0;
    return smtp_data_scan(d, bytes, len);
}

int smtp_data_done(const struct smtp_data *d)
{
    return d->done;
}

void smtp_data_feed_bdat(struct smtp_data *d, const void *bytes, size_t len)
{
    if (d->done)
        return;
    d->bdat = 1;
    smtp_data_count(d, len);
    smtp_data_scan(d, bytes, len);
}

void smtp_data_bdat_last(struct smtp_data *d)
{
    if (d->done)
        return;
    d->bdat = 1;
    if (d->pending_cr) {
        d->pending_cr = 0;
        smtp_data_add(d, "\r", 1);
    }
    if (buf_len(&d->line) > 0 || d->cont)
        smtp_data_end_line(d, 1);
    d->done = 1;
}

enum smtp_data_status smtp_data_status(const struct smtp_data *d)
{
    return d->status;
}

uint64_t smtp_data_size(const struct smtp_data *d)
{
    return d->size;
}

uint64_t smtp_data_bare_lf_count(const struct smtp_data *d)
{
    return d->bare_lf;
}

void smtp_data_reply(const struct smtp_data *d, const char *hostname, int bare_lf_code,
                     struct buf *reply)
{
    buf_reset(reply);
    switch (d->status) {
    case SMTP_DATA_TOO_BIG:
        buf_set(reply, "552 5.3.4 Error: message file too big");
        break;
    case SMTP_DATA_BARE_LF:
        if (bare_lf_code < 400 || bare_lf_code > 599)
            bare_lf_code = 550;
        buf_printf(reply, "%d %d.5.2 %s Error: bare <LF> received", bare_lf_code,
                   bare_lf_code / 100, hostname);
        break;
    default:
        break;
    }
}
