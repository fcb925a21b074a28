/*
 * fuzz_maincf.c - libFuzzer target for the main.cf parser and $name expansion.
 *
 * The input is a main.cf; it is parsed, and when it parses every value is
 * expanded against the entries themselves (loops, unbalanced braces and
 * conditional forms included). Nothing may crash, leak or read out of
 * bounds; errors are fine.
 */
#include <stdint.h>
#include <string.h>

#include "conf/expand.h"
#include "conf/maincf.h"
#include "util/msg.h"

static const char *fuzz_lookup(const char *name, void *ctx)
{
    const struct maincf_entry *e = maincf_find(ctx, name);

    return e ? e->value : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct maincf cf;
    struct buf err = BUF_INIT;
    struct buf out = BUF_INIT;
    size_t i;

    msg_set_stderr(0);
    if (maincf_parse("fuzz/main.cf", (const char *)data, size, &cf, &err) == 0) {
        struct expand_source src = {fuzz_lookup, NULL, &cf};

        for (i = 0; i < cf.count; i++) {
            buf_reset(&out);
            buf_reset(&err);
            (void)expand_text(cf.entry[i].value, &src, &out, &err);
        }
        maincf_free(&cf);
    }
    buf_release(&err);
    buf_release(&out);
    return 0;
}
