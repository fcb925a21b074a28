/*
 * mail_date.h - RFC 5322 date-time strings as Postfix writes them in the
 * headers it adds (Received:, Date:, Resent-Date:), and the timestamp
 * part of the Message-Id it adds.
 *
 * Used by cleanup (and by smtpd and bounce for their own headers). The
 * output never depends on the locale: day and month names are English, as
 * RFC 5322 section 3.3 requires, whatever LC_TIME says.
 */
#ifndef POSTERN_MAIL_MAIL_DATE_H
#define POSTERN_MAIL_MAIL_DATE_H

#include <time.h>

#include "util/buf.h"

/* Appends "Sun, 22 Nov 2026 04:46:11 +0000 (UTC)" for t in local time: the
 * day of the month is space-padded ("Mon,  1 Jan ..."), the zone name in
 * parentheses is the system's abbreviation (omitted when it has none). */
void mail_date_format(struct buf *out, time_t t);
/* Appends "YYYYMMDDHHMMSS" for t in local time. */
void mail_date_stamp(struct buf *out, time_t t);

#endif
