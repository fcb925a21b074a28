/*
 * mail_table.h - the lookup tables a long-running delivery agent keeps
 * open between requests (alias_maps, virtual_mailbox_maps, ...), opened
 * once per "type:name" and reopened when the file behind one changes
 * (newaliases, postmap), so that a new request never sees stale data.
 *
 * Used by local(8) and virtual(8): mail_table_refresh() at the start of a
 * request, mail_table_get() for each lookup. Holds one dict_open()
 * reference per table; never closes a table in the middle of a request.
 */
#ifndef POSTERN_MAIL_MAIL_TABLE_H
#define POSTERN_MAIL_MAIL_TABLE_H

#include "dict/dict.h"
#include "util/buf.h"

/* The open table for spec (DICT_FLAGS_LOOKUP), or NULL with err. */
struct dict *mail_table_get(const char *spec, struct buf *err);

/* mail_table_list_lookup() how: besides DICT_ADDR_* (dict.h), skip "nis:"
 * tables, which this system cannot open (alias_maps defaults name one). */
#define MAIL_TABLE_SKIP_NIS 0x100

/*
 * Looks key up in each "type:table" of maps (a main.cf list) until one
 * answers: 1 with the value in out, 0 when none has it, -1 with err (a
 * table that cannot be opened or fails). how 0: key as is; else the
 * DICT_ADDR_* forms of dict_lookup_address() with the extension delimiters
 * delims; MAIL_TABLE_SKIP_NIS may be added.
 */
int mail_table_list_lookup(const char *maps, const char *key, int how, const char *delims,
                           struct buf *out, struct buf *err);

/* Closes every table whose file changed (logged as "table SPEC has
 * changed -- reopening"); the next mail_table_get() opens it afresh.
 * Returns how many were closed. */
int mail_table_refresh(void);

/* Closes every table (tests, exit). */
void mail_table_close_all(void);

#endif
