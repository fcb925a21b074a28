/*
 * test_deliver_log.c - unit tests for lib/mail/deliver_log.c: the delay
 * formats seen in Postfix's logs and the whole per-recipient line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/deliver_log.h"

static void check_delay(double seconds, const char *want)
{
    struct buf out = BUF_INIT;

    deliver_log_format_delay(&out, seconds, 2);
    assert_string_equal(buf_str(&out), want);
    buf_release(&out);
}

static void test_delay_formats(void **state)
{
    check_delay(0, "0");
    check_delay(0.004, "0");
    check_delay(0.01, "0.01");
    check_delay(0.05, "0.05");
    check_delay(0.5, "0.5");
    check_delay(1.04, "1");
    check_delay(1.1, "1.1");
    check_delay(2.25, "2.2");
    check_delay(44.4, "44");
    check_delay(132.0, "132");
    check_delay(-3, "0");
}

static void test_line(void **state)
{
    struct deliver_request req;
    struct deliver_rcpt rcpt;
    struct deliver_result res;
    struct deliver_times t;
    struct buf out = BUF_INIT;

    memset(&req, 0, sizeof(req));
    memset(&rcpt, 0, sizeof(rcpt));
    memset(&res, 0, sizeof(res));
    req.arrival_sec = 100;
    req.active_sec = 100;
    t.agent_start.tv_sec = 100;
    t.agent_start.tv_usec = 0;
    t.conn_done = t.agent_start;
    t.done.tv_sec = 100;
    t.done.tv_usec = 50000;
    rcpt.address = "alice@mx.example.test";
    rcpt.orcpt = "alice";
    res.relay = "local";
    res.dsn_status = "2.0.0";
    res.reason = "delivered to maildir";
    deliver_log_format(&out, &req, &rcpt, &res, &t, 2);
    assert_string_equal(buf_str(&out),
                        "to=<alice@mx.example.test>, orig_to=<alice>, relay=local, delay=0.05, "
                        "delays=0/0/0/0.05, dsn=2.0.0, status=sent (delivered to maildir)");
    buf_reset(&out);
    rcpt.orcpt = "alice@mx.example.test";
    res.status = DELIVER_STATUS_DEFER;
    res.dsn_status = "4.4.1";
    res.reason = "connect to x[1.2.3.4]:25: Connection refused\r\n";
    res.relay = "";
    deliver_log_format(&out, &req, &rcpt, &res, &t, 2);
    assert_string_equal(buf_str(&out),
                        "to=<alice@mx.example.test>, relay=none, delay=0.05, delays=0/0/0/0.05, "
                        "dsn=4.4.1, status=deferred (connect to x[1.2.3.4]:25: Connection "
                        "refused?" "?)");
    buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delay_formats),
        cmocka_unit_test(test_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
