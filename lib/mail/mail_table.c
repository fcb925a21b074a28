/*
 * mail_table.c - per-process cache of open lookup tables with change
 * detection (see mail_table.h). The cache holds exactly one dict_open()
 * reference per spec, so dict_close() on refresh really closes the handle
 * and the registry opens the new file next time.
 */
#include <string.h>

#include "mail/mail_table.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

static struct htable *mail_tables;

struct dict *mail_table_get(const char *spec, struct buf *err)
{
    struct dict *d;

    if (mail_tables == NULL)
        mail_tables = htable_new(8);
    if ((d = htable_get(mail_tables, spec)) != NULL)
        return d;
    if ((d = dict_open(spec, DICT_FLAGS_LOOKUP, err)) != NULL)
        htable_put(mail_tables, spec, d);
    return d;
}

/* Closes the tables that changed, or all of them. */
static int mail_table_close_some(int all)
{
    struct htable_entry **entries;
    size_t n, i;
    int closed = 0;

    if (mail_tables == NULL)
        return 0;
    entries = htable_sorted(mail_tables, &n);
    for (i = 0; i < n; i++) {
        struct dict *d = entries[i]->value;

        if (!all && !dict_changed(d))
            continue;
        if (!all)
            msg_info("table %s has changed -- reopening", entries[i]->key);
        dict_close(d);
        htable_remove(mail_tables, entries[i]->key);
        closed++;
    }
    mem_free(entries);
    return closed;
}

int mail_table_refresh(void)
{
    return mail_table_close_some(0);
}

void mail_table_close_all(void)
{
    mail_table_close_some(1);
}

int mail_table_list_lookup(const char *maps, const char *key, int how, const char *delims,
                           struct buf *out, struct buf *err)
{
    char *list = mem_strdup(maps), *cursor = list, *spec;
    int addr_how = how & ~MAIL_TABLE_SKIP_NIS;
    int ret = 0, rc;

    while (ret == 0 && (spec = str_token_list(&cursor)) != NULL) {
        struct dict *d;
        const char *value;

        if ((d = mail_table_get(spec, err)) == NULL) {
            if ((how & MAIL_TABLE_SKIP_NIS) && strncmp(spec, "nis:", 4) == 0) {
                buf_reset(err);
                continue;
            }
            ret = -1;
            break;
        }
        rc = addr_how ? dict_lookup_address(d, key, addr_how, delims, 0, &value, NULL)
                      : dict_lookup(d, key, &value);
        if (rc == DICT_FOUND) {
            buf_set(out, value);
            ret = 1;
        } else if (rc == DICT_ERROR) {
            buf_printf(err, "%s: table lookup error", spec);
            ret = -1;
        }
    }
    mem_free(list);
    return ret;
}
