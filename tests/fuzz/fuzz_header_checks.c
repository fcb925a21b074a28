/*
 * fuzz_header_checks.c - libFuzzer target for the header_checks action
 * parser and log/reply formatting (lib/mail/header_checks.c).
 *
 * The input is a table value ("PREPEND X-A: b", "REJECT 4.7.1 later",
 * junk). Checks: a parsed action's text lies inside the input, actions
 * that need text have it, and the REJECT reply always starts with a
 * "4." or "5." status. The log line is built from the same bytes as the
 * header line (any bytes, control characters included) and must stay free
 * of line breaks. Defines no main(): replay_main.c supplies one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/header_checks.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf value = BUF_INIT, out = BUF_INIT;
    struct hc_origin o = {"client", "192.0.2.1", "s@x", "r@y", "ESMTP", "helo"};
    struct hc_action act;
    int r;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    buf_append(&value, data, size);
    r = hc_action_parse(buf_str(&value), &act);
    if (act.text < value.data || act.text + act.text_len > value.data + value.len)
        abort();
    if (r == 0 &&
        (act.type == HC_REPLACE || act.type == HC_PREPEND || act.type == HC_BCC ||
         act.type == HC_REDIRECT || act.type == HC_FILTER) &&
        act.text_len == 0)
        abort();
    if (r == 0 && act.type == HC_REJECT) {
        hc_reject_text(&out, &act);
        if (buf_len(&out) < 2 || (out.data[0] != '4' && out.data[0] != '5') || out.data[1] != '.')
            abort();
    }
    buf_reset(&out);
    hc_log_format(&out, "QID", act.name, "header", (const char *)data, size, &o, act.text,
                  act.text_len);
    if (memchr(out.data, '\n', out.len) != NULL || memchr(out.data, '\r', out.len) != NULL)
        abort();
    buf_release(&value);
    buf_release(&out);
    return 0;
}
