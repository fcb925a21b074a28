/*
 * fuzz_header.c - libFuzzer target for the header parser
 * (lib/mail/header.c) and the address list parser (lib/mail/addr_list.c)
 * on the header values it yields.
 *
 * Input layout: byte 0 picks header_size_limit (1..256), byte 1 the
 * header_address_token_limit (0..255), byte 2 a chunk size (1..256); the
 * rest is message content. The content is parsed whole and in chunks:
 * both transcripts must be identical (content arrives in arbitrary
 * pieces), the end callback must come exactly once, no header may exceed
 * the limit, and header plus body bytes must account for the input. Every
 * header value goes through addr_list_parse(); each address must be a C
 * string and its external form must parse again. Any breach abort()s.
 * Defines no main(): replay_main.c supplies one outside libFuzzer builds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addr_list.h"
#include "mail/header.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_rec {
    struct buf log;
    size_t limit;
    size_t token_limit;
    size_t raw_bytes; /* header bytes reported, folds and final LFs added */
    size_t body_bytes;
    int ends;
    int check_addr;
};

static void fuzz_addresses(struct fuzz_rec *r, const struct header_view *h)
{
    struct addr_list l, l2;
    struct buf ext = BUF_INIT;
    size_t i;

    addr_list_init(&l);
    if (addr_list_parse(&l, h->value, h->value_len, r->token_limit) != l.count)
        abort();
    for (i = 0; i < l.count; i++) {
        if (strlen(l.items[i].addr) > h->value_len + 1 || strlen(l.items[i].display) > h->value_len)
            abort();
        buf_reset(&ext);
        addr_quote_external(&ext, l.items[i].addr);
        addr_list_init(&l2);
        addr_list_parse(&l2, ext.data, ext.len, 0);
        addr_list_free(&l2);
        buf_reset(&ext);
        addr_quote_phrase(&ext, l.items[i].display);
    }
    addr_list_free(&l);
    buf_release(&ext);
}

static void fuzz_header(void *ctx, const struct header_view *h)
{
    struct fuzz_rec *r = ctx;

    if (r->ends != 0 || h->raw_len > r->limit || h->name != h->raw || h->name_len == 0 ||
        h->value < h->raw || h->value + h->value_len != h->raw + h->raw_len)
        abort();
    if (header_classify(h->name, h->name_len) != h->cls)
        abort();
    buf_printf(&r->log, "H%d:%zu:%d:", (int)h->cls, h->name_len, h->truncated);
    buf_append(&r->log, h->raw, h->raw_len);
    buf_append_char(&r->log, '\0');
    r->raw_bytes += h->raw_len;
    if (r->check_addr)
        fuzz_addresses(r, h);
}

static void fuzz_end(void *ctx, enum header_end how)
{
    struct fuzz_rec *r = ctx;

    r->ends++;
    buf_printf(&r->log, "E%d", (int)how);
    buf_append_char(&r->log, '\0');
}

static void fuzz_body(void *ctx, const char *data, size_t len)
{
    struct fuzz_rec *r = ctx;

    if (r->ends != 1 || len == 0)
        abort();
    buf_append(&r->log, data, len);
    r->body_bytes += len;
}

static const struct header_callbacks fuzz_cb = {fuzz_header, fuzz_end, fuzz_body};

static void fuzz_run(const uint8_t *data, size_t size, size_t chunk, struct fuzz_rec *r)
{
    struct header_parser *p = header_parser_new(r->limit, &fuzz_cb, r);
    size_t off;

    for (off = 0; off < size; off += chunk)
        header_parser_feed(p, data + off, size - off < chunk ? size - off : chunk);
    header_parser_finish(p);
    if (r->ends != 1 || !header_parser_in_body(p))
        abort();
    header_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_rec whole, pieces;
    size_t chunk;

    if (size < 3)
        return 0;
    memset(&whole, 0, sizeof(whole));
    buf_init(&whole.log);
    whole.limit = (size_t)data[0] + 1;
    whole.token_limit = data[1];
    whole.check_addr = 1;
    chunk = (size_t)data[2] + 1;
    pieces = whole;
    buf_init(&pieces.log);
    pieces.check_addr = 0;
    data += 3;
    size -= 3;
    fuzz_run(data, size, size ? size : 1, &whole);
    fuzz_run(data, size, chunk, &pieces);
    if (whole.log.len != pieces.log.len || memcmp(whole.log.data, pieces.log.data, whole.log.len))
        abort();
    /* Headers can only lose bytes (the limit, the separator line). */
    if (whole.raw_bytes + whole.body_bytes > size)
        abort();
    buf_release(&whole.log);
    buf_release(&pieces.log);
    return 0;
}
