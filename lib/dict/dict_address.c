/*
 * dict_address.c - address-shaped lookups in Postfix's order.
 *
 * Called by cleanup (canonical, virtual), local (aliases) and smtpd (access
 * maps) so that every part tries the same keys in the same order. It only
 * builds keys and calls dict_lookup(): it never rewrites the address, and an
 * error from the table ends the search at once (the caller defers).
 */
#include <string.h>

#include "dict/dict.h"
#include "util/buf.h"
#include "util/mem.h"

static struct buf dict_address_key = BUF_INIT;

/* One probe; keeps the key so that the caller can see what matched. */
static int dict_address_try(struct dict *d, const char *key, size_t len, const char **value,
                            const char **matched)
{
    int rc;

    buf_set_mem(&dict_address_key, key, len);
    rc = dict_lookup(d, buf_str(&dict_address_key), value);
    if (rc == DICT_FOUND && matched != NULL)
        *matched = buf_str(&dict_address_key);
    return rc;
}

int dict_lookup_address(struct dict *d, const char *address, int how, const char *delims,
                        int parent_matches, const char **value, const char **matched)
{
    const char *at = strrchr(address, '@');
    size_t local_len = at ? (size_t)(at - address) : strlen(address);
    const char *domain = at ? at + 1 : NULL;
    size_t base_len = local_len; /* local part without its extension */
    struct buf probe = BUF_INIT;
    int rc = DICT_NOTFOUND;

    if (delims != NULL && *delims) {
        size_t i;

        for (i = 0; i < local_len; i++)
            if (strchr(delims, address[i]) != NULL) {
                base_len = i;
                break;
            }
        /* "+ext" alone, or a delimiter first, is a name, not an extension (Postfix). */
        if (base_len == 0)
            base_len = local_len;
    }
#define TRY(k, n)                                                                                  \
    do {                                                                                           \
        rc = dict_address_try(d, (k), (n), value, matched);                                        \
        if (rc != DICT_NOTFOUND)                                                                   \
            goto out;                                                                              \
    } while (0)
    if ((how & DICT_ADDR_FULL) && domain != NULL) {
        TRY(address, strlen(address));
        if (base_len < local_len) {
            buf_set_mem(&probe, address, base_len);
            buf_append_str(&probe, at);
            TRY(buf_str(&probe), buf_len(&probe));
        }
    }
    if (how & DICT_ADDR_LOCAL) {
        TRY(address, local_len);
        if (base_len < local_len)
            TRY(address, base_len);
    }
    if ((how & DICT_ADDR_AT_DOMAIN) && domain != NULL && *domain)
        TRY(at, strlen(at));
    if ((how & DICT_ADDR_DOMAIN) && domain != NULL && *domain) {
        const char *dot;

        TRY(domain, strlen(domain));
        for (dot = strchr(domain, '.'); dot != NULL && dot[1]; dot = strchr(dot + 1, '.')) {
            if (parent_matches)
                TRY(dot + 1, strlen(dot + 1));
            else
                TRY(dot, strlen(dot));
        }
    }
#undef TRY
out:
    buf_release(&probe);
    return rc;
}
