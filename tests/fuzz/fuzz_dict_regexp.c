/*
 * fuzz_dict_regexp.c - libFuzzer target for the regexp: and pcre: table
 * parsers (lib/dict/dict_regexp.c).
 *
 * The first byte chooses the type (even: regexp, odd: pcre); the rest is
 * table source text. After parsing, a few fixed keys and one key taken from
 * the input are looked up; every answer must be found or not found (these
 * tables have no error state) and a found value must be a C string. Inputs
 * are capped, and inputs with stacked quantifiers ("a*+++", "{9}{9}") are
 * skipped: glibc's regcomp() takes exponential memory on those (a known
 * limit of the C library; table files are written by the administrator), and
 * they would hide real bugs behind out-of-memory reports. Defines no main():
 * replay_main.c supplies one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dict/dict.h"
#include "dict/dict_regexp.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 4096

static void fuzz_lookup(struct dict *d, const char *key)
{
    const char *value = NULL;
    int rc = dict_lookup(d, key, &value);

    if (rc != DICT_FOUND && rc != DICT_NOTFOUND)
        abort();
    if (rc == DICT_FOUND && (value == NULL || strlen(value) > FUZZ_MAX_INPUT * 100))
        abort();
}

/* True when the input has more than two quantifiers in a row or a large bound. */
static int fuzz_stacked_quantifiers(const uint8_t *data, size_t size)
{
    size_t i, run = 0;

    for (i = 0; i < size; i++) {
        if (data[i] == '*' || data[i] == '+' || data[i] == '?' || data[i] == '}')
            run++;
        else if (data[i] == '{' || (data[i] >= '0' && data[i] <= '9') || data[i] == ',')
            continue; /* inside a {m,n} bound */
        else
            run = 0;
        if (run > 2)
            return 1;
        /* a bound of 100 or more: "(a{999}){999}" is as bad */
        if (data[i] == '{' && i + 3 < size && data[i + 1] >= '0' && data[i + 1] <= '9' &&
            data[i + 2] >= '0' && data[i + 2] <= '9' && data[i + 3] >= '0' && data[i + 3] <= '9')
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *keys[] = {"",
                                 "a",
                                 "user+ext@example.com",
                                 "Subject: hello",
                                 "x-thing",
                                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    char key[64];
    struct dict *d;
    size_t i, n;

    if (size < 1 || size > FUZZ_MAX_INPUT || fuzz_stacked_quantifiers(data, size))
        return 0;
    msg_set_stderr(0);
    d = dict_regexp_new((data[0] & 1) ? "pcre" : "regexp", "fuzz", DICT_FLAGS_LOOKUP);
    dict_regexp_load(d, (const char *)data + 1, size - 1, NULL);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        fuzz_lookup(d, keys[i]);
    n = size - 1 < sizeof(key) - 1 ? size - 1 : sizeof(key) - 1;
    memcpy(key, data + 1, n);
    key[n] = 0;
    fuzz_lookup(d, key);
    dict_close(d);
    return 0;
}
