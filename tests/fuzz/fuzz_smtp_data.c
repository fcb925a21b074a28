/*
 * fuzz_smtp_data.c - libFuzzer target for the DATA/BDAT receiver
 * (lib/smtp/smtp_data.c).
 *
 * The first 4 input bytes choose the mode (DATA or BDAT, bare-LF policy),
 * line_length_limit (1-16, so splitting is exercised constantly), a size
 * limit and the chunking; the rest is client data, terminated by a real
 * <CRLF>.<CRLF>. The receiver, fed in pseudo-random chunks, must agree
 * exactly with a reference model written independently over the whole
 * input (split into lines first): same bytes consumed, same content, same
 * status. Outside "no" mode DATA must end right after the first
 * <CRLF>.<CRLF> of the input, never earlier. Any breach abort()s.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_data.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_model {
    struct buf out;
    size_t consumed;
    int done;
    enum smtp_data_status status;
    uint64_t size;
};

static void fuzz_collect(void *ctx, const char *data, size_t len, int flags)
{
    struct buf *out = ctx;

    if (flags & SMTP_DATA_PARTIAL) {
        if (len > 0 && memchr(data, '\n', len) != NULL)
            abort();
        buf_append(out, data, len);
        buf_append_char(out, '|');
    } else {
        if (len == 0 || data[len - 1] != '\n' || memchr(data, '\n', len - 1) != NULL)
            abort();
        buf_append(out, data, len);
    }
}

static void fuzz_model_count(struct fuzz_model *m, uint64_t n, uint64_t limit)
{
    m->size += n;
    if (m->status == SMTP_DATA_OK && limit > 0 && m->size > limit)
        m->status = SMTP_DATA_TOO_BIG;
}

/* One logical line: content c[0..n), crlf says how it ended. */
static void fuzz_model_line(struct fuzz_model *m, const struct smtp_data_opts *o, int bdat,
                            const char *c, size_t n, int crlf, int *prev_crlf)
{
    size_t start = (!bdat && n > 1 && c[0] == '.') ? 1 : 0;
    size_t off = 0;

    /* Full pieces before the last one leave first. */
    while (n - off > o->line_limit) {
        size_t piece = o->line_limit - (off == 0 ? start : 0);

        if (!bdat)
            fuzz_model_count(m, piece, o->size_limit);
        if (m->status == SMTP_DATA_OK) {
            buf_append(&m->out, c + off + (off == 0 ? start : 0), piece);
            buf_append_char(&m->out, '|');
        }
        off += o->line_limit;
    }
    if (!crlf && o->bare_lf == SMTP_BARE_LF_REJECT && m->status == SMTP_DATA_OK)
        m->status = SMTP_DATA_BARE_LF;
    if (!bdat && n == 1 && c[0] == '.') {
        if (o->bare_lf == SMTP_BARE_LF_NO || (crlf && *prev_crlf))
            m->done = 1;
        *prev_crlf = crlf;
        return;
    }
    if (off == 0)
        off = start;
    if (!bdat)
        fuzz_model_count(m, n - off + 2, o->size_limit);
    if (m->status == SMTP_DATA_OK) {
        buf_append(&m->out, c + off, n - off);
        buf_append_char(&m->out, '\n');
    }
    *prev_crlf = crlf;
}

static void fuzz_model_run(struct fuzz_model *m, const struct smtp_data_opts *o, int bdat,
                           const char *in, size_t len)
{
    size_t pos = 0;
    int prev_crlf = 1;

    buf_init(&m->out);
    m->done = 0;
    m->status = SMTP_DATA_OK;
    m->size = 0;
    if (bdat)
        fuzz_model_count(m, len, o->size_limit);
    while (pos < len && !m->done) {
        const char *nl = memchr(in + pos, '\n', len - pos);
        size_t n;
        int crlf;

        if (nl == NULL) {
            if (!bdat)
                abort(); /* the appended terminator always ends DATA */
            /* BDAT LAST: an unterminated last line leaves whole. */
            fuzz_model_line(m, o, bdat, in + pos, len - pos, 1, &prev_crlf);
            pos = len;
            break;
        }
        n = (size_t)(nl - (in + pos));
        crlf = n > 0 && in[pos + n - 1] == '\r';
        fuzz_model_line(m, o, bdat, in + pos, crlf ? n - 1 : n, crlf, &prev_crlf);
        pos += n + 1;
    }
    m->consumed = pos;
    if (bdat)
        m->done = 1;
}

/* First "\r\n.\r\n" end (or ".\r\n" at the start) of in. */
static size_t fuzz_first_crlf_dot(const char *in, size_t len)
{
    const char *p;

    if (len >= 3 && memcmp(in, ".\r\n", 3) == 0)
        return 3;
    p = memmem(in, len, "\r\n.\r\n", 5);
    if (p == NULL)
        abort();
    return (size_t)(p - in) + 5;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct smtp_data_opts opts;
    struct fuzz_model model;
    struct buf in = BUF_INIT;
    struct buf out = BUF_INIT;
    struct smtp_data *d;
    uint32_t rng;
    size_t pos = 0;
    size_t consumed = 0;
    int bdat;

    if (size < 4)
        return 0;
    bdat = data[0] & 1;
    opts.bare_lf = (enum smtp_bare_lf)((data[0] >> 1) % 3);
    opts.line_limit = 1 + (data[1] & 15);
    opts.size_limit = (data[1] & 0x30) == 0x30 ? (uint64_t)data[2] * 4 : 0;
    rng = data[3] | 1u;
    buf_append(&in, data + 4, size - 4);
    if (!bdat)
        buf_append(&in, "\r\n.\r\n", 5);

    d = smtp_data_new(&opts, fuzz_collect, &out);
    while (pos < buf_len(&in)) {
        size_t chunk;

        rng = rng * 1103515245u + 12345u;
        chunk = (rng >> 16) % 40;
        if (chunk > buf_len(&in) - pos)
            chunk = buf_len(&in) - pos;
        if (bdat) {
            smtp_data_feed_bdat(d, buf_str(&in) + pos, chunk);
            consumed += chunk;
        } else {
            size_t n = smtp_data_feed(d, buf_str(&in) + pos, chunk);

            if (n > chunk || (n < chunk && !smtp_data_done(d)))
                abort();
            consumed += n;
            if (smtp_data_done(d))
                break;
        }
        pos += chunk;
    }
    if (bdat)
        smtp_data_bdat_last(d);
    if (!smtp_data_done(d))
        abort();

    fuzz_model_run(&model, &opts, bdat, buf_str(&in), buf_len(&in));
    if (model.consumed != consumed || model.done != 1 || model.size != smtp_data_size(d))
        abort();
    /* BDAT counts a chunk before scanning it, so which failure comes first
     * (size or bare LF) depends on chunking; whether one came must not. */
    if (bdat ? (model.status == SMTP_DATA_OK) != (smtp_data_status(d) == SMTP_DATA_OK)
             : model.status != smtp_data_status(d))
        abort();
    /* BDAT counts whole chunks, so where output stops after the size limit
     * depends on chunking; while the message is good it must not. */
    if (smtp_data_status(d) == SMTP_DATA_OK || !bdat) {
        if (buf_len(&model.out) != buf_len(&out) ||
            memcmp(buf_str(&model.out), buf_str(&out), buf_len(&out)) != 0)
            abort();
    }
    if (!bdat && opts.bare_lf != SMTP_BARE_LF_NO &&
        consumed != fuzz_first_crlf_dot(buf_str(&in), buf_len(&in)))
        abort();
    smtp_data_free(d);
    buf_release(&model.out);
    buf_release(&out);
    buf_release(&in);
    return 0;
}
