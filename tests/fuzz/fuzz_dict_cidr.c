/*
 * fuzz_dict_cidr.c - libFuzzer target for the cidr: table parser
 * (lib/dict/dict_cidr.c).
 *
 * The input is table source text. After parsing, IPv4 and IPv6 keys and one
 * key taken from the input are looked up; every answer must be found or not
 * found, and a found value must be non-empty (rules without a result are
 * skipped at parse time). Defines no main(): replay_main.c supplies one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dict/dict.h"
#include "dict/dict_cidr.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_lookup(struct dict *d, const char *key)
{
    const char *value = NULL;
    int rc = dict_lookup(d, key, &value);

    if (rc != DICT_FOUND && rc != DICT_NOTFOUND)
        abort();
    if (rc == DICT_FOUND && (value == NULL || *value == 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *keys[] = {
        "1.2.3.4",     "0.0.0.0",        "255.255.255.255", "10.0.0.1",  "::", "::1",
        "2001:db8::1", "::ffff:1.2.3.4", "fe80::1%eth0",    "not-an-ip", ""};
    char key[64];
    struct dict *d;
    size_t i, n;

    if (size > 65536)
        return 0;
    msg_set_stderr(0);
    d = dict_cidr_new("fuzz", DICT_FLAGS_LOOKUP);
    dict_cidr_load(d, (const char *)data, size, NULL);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        fuzz_lookup(d, keys[i]);
    n = size < sizeof(key) - 1 ? size : sizeof(key) - 1;
    memcpy(key, data, n);
    key[n] = 0;
    fuzz_lookup(d, key);
    dict_close(d);
    return 0;
}
