/*
 * fuzz_dict_source.c - libFuzzer target for the table source-file reader
 * (lib/dict/dict_source.c: logical lines, "key value" and "name: value"
 * records) and the inline:{...} syntax (lib/dict/dict_mem.c).
 *
 * The first byte chooses the mode: 0 postmap records, 1 postalias records,
 * 2 an inline: spec (looked up and sequenced), 3 a static: spec. Checks the
 * reader's contract: logical lines are non-empty, within max_line, start on
 * a non-blank line and are numbered in increasing order; a record's key is
 * non-empty and has no white space (postmap). Defines no main().
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dict/dict.h"
#include "dict/dict_source.h"
#include "util/buf.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LINE 256

static void fuzz_records(const char *text, size_t len, int alias)
{
    struct dict_source s;
    struct buf value = BUF_INIT;
    int last = 0;
    char *k, *v;

    dict_source_init_mem(&s, text, len, "fuzz");
    s.max_line = FUZZ_MAX_LINE;
    while (dict_source_next(&s)) {
        if (buf_len(&s.line) == 0 || buf_len(&s.line) > FUZZ_MAX_LINE || s.lineno <= last)
            abort();
        last = s.lineno;
        if (alias) {
            if (dict_source_split_alias(&s, s.line.data, &k, &value) == 0 && buf_len(&value) == 0)
                abort();
        } else if (dict_source_split(&s, s.line.data, &k, &v) == 0) {
            const char *p;

            if (*k == 0 || *v == 0)
                abort();
            for (p = k; *p; p++)
                if (isspace((unsigned char)*p))
                    abort();
        }
    }
    buf_release(&value);
    dict_source_release(&s);
}

static void fuzz_spec(const char *type, const char *text, size_t len)
{
    struct buf spec = BUF_INIT;
    struct buf err = BUF_INIT;
    struct dict *d;
    const char *k, *v;
    int rc, count = 0;

    buf_append_str(&spec, type);
    buf_append(&spec, text, len);
    if (strlen(buf_str(&spec)) != buf_len(&spec))
        goto out; /* a NUL inside: not a spec anyone can write */
    d = dict_open(buf_str(&spec), DICT_FLAGS_LOOKUP | DICT_FLAG_NO_REGISTRY, &err);
    if (d == NULL) {
        if (buf_len(&err) == 0)
            abort();
        goto out;
    }
    rc = dict_lookup(d, "k", &v);
    if (rc != DICT_FOUND && rc != DICT_NOTFOUND)
        abort();
    if (d->sequence != NULL) {
        for (rc = dict_sequence(d, 1, &k, &v); rc == DICT_FOUND; rc = dict_sequence(d, 0, &k, &v))
            if (++count > (int)len)
                abort(); /* more entries than bytes: impossible */
        if (rc != DICT_NOTFOUND)
            abort();
    }
    dict_close(d);
out:
    buf_release(&spec);
    buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    msg_set_stderr(0);
    switch (data[0] & 3) {
    case 0:
    case 1:
        fuzz_records((const char *)data + 1, size - 1, data[0] & 1);
        break;
    case 2:
        fuzz_spec("inline:", (const char *)data + 1, size - 1);
        break;
    default:
        fuzz_spec("static:", (const char *)data + 1, size - 1);
        break;
    }
    return 0;
}
