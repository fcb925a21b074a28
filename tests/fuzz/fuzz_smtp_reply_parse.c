/*
 * fuzz_smtp_reply_parse.c - libFuzzer target for the SMTP reply parser
 * (lib/smtp/smtp_reply_parse.c), the part of the SMTP client and smtp-blast that reads what a
 * server sends.
 *
 * Parses the input as a stream of replies and checks the parser's contract
 * on each: an OK reply consumed 1..len bytes, has a 2yz-5yz code and 1 to
 * max_lines lines of text without CR, parses again to the same result on its
 * own, and every proper prefix of it asks for more; NEED_MORE never holds
 * more than max_lines * (max_line + 2) bytes; BAD always has a reason. Any
 * breach abort()s. Defines no main(): replay_main.c supplies one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#include "smtp/smtp_reply_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PREFIX_MAX 512 /* prefixes of replies up to this size are rechecked */

static void fuzz_check_ok(const char *p, size_t used, const struct smtp_reply_parsed *r,
                          const struct smtp_reply_limits *lim)
{
    struct smtp_reply_parsed again;
    struct buf err = BUF_INIT;
    size_t used2, cut;

    if (r->code < 200 || r->code > 599 || r->lines < 1 || r->lines > lim->max_lines)
        abort();
    if (memchr(buf_str(&r->text), '\r', buf_len(&r->text)) != NULL)
        abort();
    if (buf_len(&r->text) > r->lines * (lim->max_line + 1))
        abort();
    smtp_reply_parsed_init(&again);
    if (smtp_reply_parse(p, used, lim, &again, &used2, &err) != SMTP_REPLY_PARSE_OK ||
        used2 != used || again.code != r->code || again.lines != r->lines ||
        buf_len(&again.text) != buf_len(&r->text) ||
        memcmp(buf_str(&again.text), buf_str(&r->text), buf_len(&r->text)) != 0)
        abort();
    if (used <= FUZZ_PREFIX_MAX) {
        for (cut = 0; cut < used; cut++) {
            if (smtp_reply_parse(p, cut, lim, &again, &used2, &err) != SMTP_REPLY_PARSE_NEED_MORE)
                abort();
        }
    }
    (void)smtp_reply_has_ext(r, "PIPELINING");
    (void)smtp_reply_has_ext(r, "");
    smtp_reply_parsed_release(&again);
    buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Small limits, so that mutations cross them; the seeds fit inside. */
    const struct smtp_reply_limits lim = {64, 8};
    const char *p = (const char *)data;
    struct smtp_reply_parsed r;
    struct buf err = BUF_INIT;
    size_t pos = 0, used;

    smtp_reply_parsed_init(&r);
    while (pos < size) {
        enum smtp_reply_parse_status st =
            smtp_reply_parse(p + pos, size - pos, &lim, &r, &used, &err);

        if (st == SMTP_REPLY_PARSE_OK) {
            if (used == 0 || used > size - pos)
                abort();
            fuzz_check_ok(p + pos, used, &r, &lim);
            pos += used;
            continue;
        }
        if (st == SMTP_REPLY_PARSE_NEED_MORE && size - pos > lim.max_lines * (lim.max_line + 2))
            abort();
        if (st == SMTP_REPLY_PARSE_BAD && buf_len(&err) == 0)
            abort();
        break;
    }
    smtp_reply_parsed_release(&r);
    buf_release(&err);
    return 0;
}
