/*
 * test_anvil_table.c - the anvil daemon's counters (daemons/anvil/
 * anvil_table.c): counts and each rate, the window restarting exactly at
 * one time unit, disconnects never going below zero, release of a dead
 * client's connections, the sweep keeping connected and recent entries
 * and dropping idle ones, and the statistics lines with their reset.
 * Time is passed in, so nothing sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "anvil_table.h"
#include "util/buf.h"
#include "util/msg.h"

#define UNIT 60000

static struct buf logged = BUF_INIT;

static void capture(enum msg_level level, const char *text)
{
    (void)level;
    buf_append_str(&logged, text);
    buf_append_char(&logged, '\n');
}

static struct anvil_counts apply(struct anvil_table *t, enum anvil_req_type type, const char *ident,
                                 int64_t now)
{
    struct anvil_counts c;

    anvil_table_apply(t, type, ident, now, (time_t)1700000000, &c);
    return c;
}

static void test_counts_and_rates(void **state)
{
    struct anvil_table *t = anvil_table_new(UNIT);
    struct anvil_counts c;
    int i;

    (void)state;
    c = apply(t, ANVIL_REQ_CONNECT, "smtp:1.2.3.4", 0);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.rate, 1);
    c = apply(t, ANVIL_REQ_CONNECT, "smtp:1.2.3.4", 10);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.rate, 2);
    for (i = 1; i <= 3; i++) {
        c = apply(t, ANVIL_REQ_MESSAGE, "smtp:1.2.3.4", 20);
        assert_int_equal(c.message_rate, i);
    }
    c = apply(t, ANVIL_REQ_RECIPIENT, "smtp:1.2.3.4", 20);
    assert_int_equal(c.recipient_rate, 1);
    c = apply(t, ANVIL_REQ_NEWTLS, "smtp:1.2.3.4", 20);
    assert_int_equal(c.newtls_rate, 1);
    c = apply(t, ANVIL_REQ_AUTH, "smtp:1.2.3.4", 20);
    assert_int_equal(c.auth_rate, 1);
    assert_int_equal(c.message_rate, 3);
    assert_int_equal(c.count, 2);
    /* Another service of the same address is another ident. */
    c = apply(t, ANVIL_REQ_CONNECT, "submission:1.2.3.4", 20);
    assert_int_equal(c.count, 1);
    c = apply(t, ANVIL_REQ_DISCONNECT, "smtp:1.2.3.4", 30);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.rate, 2); /* a disconnect is not a connection */
    c = apply(t, ANVIL_REQ_DISCONNECT, "smtp:1.2.3.4", 30);
    c = apply(t, ANVIL_REQ_DISCONNECT, "smtp:1.2.3.4", 30);
    assert_int_equal(c.count, 0);
    /* Lookups and disconnects of unknown idents create nothing. */
    c = apply(t, ANVIL_REQ_LOOKUP, "smtp:9.9.9.9", 30);
    assert_int_equal(c.count + c.rate + c.message_rate, 0);
    apply(t, ANVIL_REQ_DISCONNECT, "smtp:9.9.9.8", 30);
    assert_int_equal(anvil_table_size(t), 2);
    anvil_table_free(t);
}

static void test_window(void **state)
{
    struct anvil_table *t = anvil_table_new(UNIT);
    struct anvil_counts c;

    (void)state;
    apply(t, ANVIL_REQ_CONNECT, "smtp:a", 1000);
    apply(t, ANVIL_REQ_RECIPIENT, "smtp:a", 1000);
    c = apply(t, ANVIL_REQ_CONNECT, "smtp:a", 1000 + UNIT - 1);
    assert_int_equal(c.rate, 2);
    assert_int_equal(c.recipient_rate, 1);
    /* Exactly one unit after the window opened, it starts again; the
     * connection count is not a rate and survives. */
    c = apply(t, ANVIL_REQ_CONNECT, "smtp:a", 1000 + UNIT);
    assert_int_equal(c.rate, 1);
    assert_int_equal(c.recipient_rate, 0);
    assert_int_equal(c.count, 3);
    c = apply(t, ANVIL_REQ_LOOKUP, "smtp:a", 1000 + 3 * UNIT);
    assert_int_equal(c.rate, 0);
    assert_int_equal(c.count, 3);
    anvil_table_free(t);
}

static void test_release_and_sweep(void **state)
{
    struct anvil_table *t = anvil_table_new(UNIT);
    struct anvil_counts c;

    (void)state;
    apply(t, ANVIL_REQ_CONNECT, "smtp:connected", 0);
    apply(t, ANVIL_REQ_CONNECT, "smtp:connected", 0);
    apply(t, ANVIL_REQ_CONNECT, "smtp:gone", 0);
    apply(t, ANVIL_REQ_DISCONNECT, "smtp:gone", 0);
    apply(t, ANVIL_REQ_MESSAGE, "smtp:recent", UNIT / 2);
    /* Before the unit ends, nothing is idle. */
    assert_int_equal(anvil_table_sweep(t, UNIT - 1), 0);
    assert_int_equal(anvil_table_sweep(t, UNIT), 1); /* smtp:gone */
    assert_int_equal(anvil_table_size(t), 2);
    assert_int_equal(anvil_table_sweep(t, UNIT / 2 + UNIT), 1); /* smtp:recent */
    /* Still connected: kept however old. */
    assert_int_equal(anvil_table_sweep(t, 100 * UNIT), 0);
    anvil_table_release(t, "smtp:connected", 1, 100 * UNIT);
    c = apply(t, ANVIL_REQ_LOOKUP, "smtp:connected", 100 * UNIT);
    assert_int_equal(c.count, 1);
    anvil_table_release(t, "smtp:connected", 5, 100 * UNIT); /* never below 0 */
    anvil_table_release(t, "smtp:unknown", 5, 100 * UNIT);
    c = apply(t, ANVIL_REQ_LOOKUP, "smtp:connected", 100 * UNIT);
    assert_int_equal(c.count, 0);
    assert_int_equal(anvil_table_sweep(t, 100 * UNIT), 1);
    assert_int_equal(anvil_table_size(t), 0);
    anvil_table_free(t);
}

static void test_report(void **state)
{
    struct anvil_table *t = anvil_table_new(UNIT);

    (void)state;
    apply(t, ANVIL_REQ_CONNECT, "smtp:127.0.0.1", 0);
    apply(t, ANVIL_REQ_CONNECT, "smtp:10.0.0.1", 0);
    apply(t, ANVIL_REQ_CONNECT, "smtp:10.0.0.1", 0);
    apply(t, ANVIL_REQ_RECIPIENT, "smtp:127.0.0.1", 0);
    buf_reset(&logged);
    msg_set_hook(capture);
    anvil_table_report(t);
    msg_set_hook(NULL);
    assert_non_null(
        strstr(buf_str(&logged), "statistics: max connection rate 2/60s for (smtp:10.0.0.1) at "));
    assert_non_null(
        strstr(buf_str(&logged), "statistics: max connection count 2 for (smtp:10.0.0.1) at "));
    assert_non_null(
        strstr(buf_str(&logged), "statistics: max recipient rate 1/60s for (smtp:127.0.0.1) at "));
    assert_non_null(strstr(buf_str(&logged), "statistics: max cache size 2 at "));
    /* Nothing happened in the message, newtls and auth columns. */
    assert_null(strstr(buf_str(&logged), "message rate"));
    assert_null(strstr(buf_str(&logged), "auth rate"));
    /* The time is "Mon dd hh:mm:ss" (15 characters) at the end of the line. */
    {
        const char *at = strstr(buf_str(&logged), "(smtp:10.0.0.1) at ");
        const char *nl = strchr(at, '\n');

        assert_int_equal(nl - (at + strlen("(smtp:10.0.0.1) at ")), 15);
    }
    /* A new period starts empty. */
    buf_reset(&logged);
    msg_set_hook(capture);
    anvil_table_report(t);
    msg_set_hook(NULL);
    assert_int_equal(buf_len(&logged), 0);
    anvil_table_free(t);
    buf_release(&logged);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_rates),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_release_and_sweep),
        cmocka_unit_test(test_report),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
