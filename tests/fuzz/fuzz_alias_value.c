/*
 * fuzz_alias_value.c - libFuzzer target for the alias/.forward/:include:
 * value parser (lib/mail/alias_value.h), whose input a user controls
 * through ~/.forward.
 *
 * Checks the contract on every input: a refusal has a reason; every item
 * is non-empty and within the length limit, and the count stays
 * within the limit; files and include paths are absolute. Any breach
 * abort()s. Defines no main(): replay_main.c supplies one outside
 * libFuzzer builds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/alias_value.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ITEMS 50
#define FUZZ_MAX_LEN   200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct alias_list list;
    struct buf err = BUF_INIT;
    size_t i;
    int rc;

    alias_list_init(&list);
    rc = alias_value_parse((const char *)data, size, &list, FUZZ_MAX_ITEMS, FUZZ_MAX_LEN, &err);
    if (rc < 0 && buf_len(&err) == 0)
        abort();
    if (rc == 0 && buf_len(&err) != 0)
        abort();
    if (list.count > FUZZ_MAX_ITEMS)
        abort();
    for (i = 0; i < list.count; i++) {
        const struct alias_item *item = &list.items[i];
        size_t len = strlen(item->text);

        if (len == 0 || len > FUZZ_MAX_LEN)
            abort();
        if (item->type == ALIAS_ITEM_FILE && item->text[0] != '/')
            abort();
        if (item->type == ALIAS_ITEM_INCLUDE && item->text[0] != '/')
            abort();
        if (alias_item_type_name(item->type) == NULL)
            abort();
    }
    alias_list_free(&list);
    buf_release(&err);
    return 0;
}
