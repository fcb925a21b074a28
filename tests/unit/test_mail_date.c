/*
 * test_mail_date.c - unit tests of the RFC 5322 date formatter
 * (lib/mail/mail_date.c).
 *
 * Fixed instants under fixed time zones (TZ set by the test): the exact
 * bytes Postfix writes ("Sun, 22 Nov 2026 04:46:11 +0000 (UTC)"), a
 * space-padded single-digit day, negative and half-hour offsets, and the
 * Message-Id stamp. English names whatever the locale.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdlib.h>
#include <time.h>

#include "mail/mail_date.h"
#include "util/buf.h"

static void check(const char *tz, time_t t, const char *want_date, const char *want_stamp)
{
    struct buf out = BUF_INIT;

    setenv("TZ", tz, 1);
    tzset();
    buf_set(&out, "x:");
    mail_date_format(&out, t);
    assert_string_equal(buf_str(&out), want_date);
    buf_reset(&out);
    mail_date_stamp(&out, t);
    assert_string_equal(buf_str(&out), want_stamp);
    buf_release(&out);
}

static void test_utc(void **state)
{
    (void)state;
    /* 2026-11-22 04:46:11 UTC, the reference transcripts' clock. */
    check("UTC", 1795322771, "x:Sun, 22 Nov 2026 04:46:11 +0000 (UTC)", "20261122044611");
    /* A single-digit day is space-padded, as Postfix writes it. */
    check("UTC", 1704067200, "x:Mon,  1 Jan 2024 00:00:00 +0000 (UTC)", "20240101000000");
    check("UTC", 0, "x:Thu,  1 Jan 1970 00:00:00 +0000 (UTC)", "19700101000000");
}

static void test_offsets(void **state)
{
    (void)state;
    /* POSIX TZ strings need no tz database: the sign is inverted there. */
    check("EST5", 1704067200, "x:Sun, 31 Dec 2023 19:00:00 -0500 (EST)", "20231231190000");
    check("IST-5:30", 1704067200, "x:Mon,  1 Jan 2024 05:30:00 +0530 (IST)", "20240101053000");
    check("XYZ+0:45", 1704067200, "x:Sun, 31 Dec 2023 23:15:00 -0045 (XYZ)", "20231231231500");
}

static void test_locale(void **state)
{
    (void)state;
    /* Whatever LC_TIME says, the names stay English. */
    (void)setlocale(LC_TIME, "de_DE.UTF-8");
    check("UTC", 1795322771, "x:Sun, 22 Nov 2026 04:46:11 +0000 (UTC)", "20261122044611");
    (void)setlocale(LC_TIME, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utc),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_locale),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
