/*
 * anvil_table.h - the anvil daemon's counters: per ident ("service:addr")
 * the simultaneous connection count and the connection, message,
 * recipient, new-TLS and AUTH rates over one rate time unit, plus the
 * maxima that anvil logs every anvil_status_update_time.
 *
 * Only daemons/anvil and its unit test use this. Rates are counted in a
 * fixed window that starts with the first event of an ident and restarts
 * once it is a time unit old. Memory stays bounded by the clients seen in
 * the last time unit plus those still connected: anvil_table_sweep() drops
 * every entry with no connection whose window has expired. Time is passed
 * in (milliseconds, any monotonic origin), so tests never sleep.
 */
#ifndef POSTERN_ANVIL_TABLE_H
#define POSTERN_ANVIL_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mail/anvil_proto.h"

struct anvil_table;

/* rate_unit_ms > 0 (anvil_rate_time_unit). */
struct anvil_table *anvil_table_new(int64_t rate_unit_ms);
void anvil_table_free(struct anvil_table *t);

/*
 * Applies one request at now_ms and fills *out with the ident's counters
 * afterwards. A disconnect below zero stays at zero (the caller checks
 * that the connection was registered, see anvil_table_release). A lookup
 * of an unknown ident answers zeros and creates nothing. wall is the
 * wall-clock time recorded with a new maximum ("at Nov 22 04:37:51").
 */
void anvil_table_apply(struct anvil_table *t, enum anvil_req_type type, const char *ident,
                       int64_t now_ms, time_t wall, struct anvil_counts *out);
/* Takes n connections of ident away (a client stream went away without
 * disconnecting them). */
void anvil_table_release(struct anvil_table *t, const char *ident, uint32_t n, int64_t now_ms);

/* Drops idle entries; returns how many were dropped. */
size_t anvil_table_sweep(struct anvil_table *t, int64_t now_ms);
size_t anvil_table_size(const struct anvil_table *t);

/*
 * Logs the maxima since the last report with msg_info(), Postfix's lines:
 *   statistics: max connection rate N/Ts for (ident) at Mon dd hh:mm:ss
 *   statistics: max connection count N for (ident) at ...
 *   statistics: max message rate N/Ts for (ident) at ...
 *   statistics: max recipient rate N/Ts for (ident) at ...
 *   statistics: max newtls rate N/Ts for (ident) at ...
 *   statistics: max auth rate N/Ts for (ident) at ...
 *   statistics: max cache size N at ...
 * each only when its maximum is not zero, then starts a new period.
 */
void anvil_table_report(struct anvil_table *t);

#endif
