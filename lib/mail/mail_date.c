/*
 * mail_date.c - RFC 5322 dates for added headers (see mail_date.h).
 *
 * Formats by hand instead of strftime("%a %b") so that a daemon started
 * under another LC_TIME can never write a localised day or month name.
 */
#include <stdlib.h>
#include <time.h>

#include "mail/mail_date.h"

static const char mail_date_days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char mail_date_months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void mail_date_format(struct buf *out, time_t t)
{
    struct tm tm;
    long off;

    if (localtime_r(&t, &tm) == NULL) {
        t = 0;
        gmtime_r(&t, &tm);
    }
    off = tm.tm_gmtoff / 60;
    buf_printf(out, "%s, %2d %s %d %02d:%02d:%02d %c%02ld%02ld", mail_date_days[tm.tm_wday % 7],
               tm.tm_mday, mail_date_months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
               tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
    if (tm.tm_zone != NULL && tm.tm_zone[0] != '\0')
        buf_printf(out, " (%s)", tm.tm_zone);
}

void mail_date_stamp(struct buf *out, time_t t)
{
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL) {
        t = 0;
        gmtime_r(&t, &tm);
    }
    buf_printf(out, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
               tm.tm_hour, tm.tm_min, tm.tm_sec);
}
