/*
 * mail_table.c - per-process cache of open lookup tables with change
 * detection (see mail_table.h). The cache holds exactly one dict_open()
 * reference per spec, so dict_close() on refresh really closes the handle
 * and the registry opens the new file next time.
 */
#include "mail/mail_table.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"

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
