/*
 * test_qmgr_feedback.c - concurrency feedback values: the accepted forms,
 * the amounts per window, and every malformed value refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qmgr_feedback.h"

static void parse_ok(const char *text, double amount, int per_window)
{
    struct qmgr_feedback fb;
    struct buf err = BUF_INIT;

    assert_int_equal(qmgr_feedback_parse(text, &fb, &err), 0);
    assert_true(fb.amount > amount - 1e-9 && fb.amount < amount + 1e-9);
    assert_int_equal(fb.per_window, per_window);
    buf_release(&err);
}

static void parse_bad(const char *text)
{
    struct qmgr_feedback fb;
    struct buf err = BUF_INIT;

    assert_int_equal(qmgr_feedback_parse(text, &fb, &err), -1);
    assert_non_null(strstr(buf_str(&err), "bad concurrency feedback value"));
    buf_release(&err);
}

static void test_forms(void **state)
{
    (void)state;
    parse_ok("1", 1.0, 0);
    parse_ok("0", 0.0, 0);
    parse_ok(" 0.05 ", 0.05, 0);
    parse_ok("1/8", 0.125, 0);
    parse_ok("1/concurrency", 1.0, 1);
    parse_ok("2/Concurrency", 2.0, 1);
    parse_ok("1000", 1000.0, 0);
}

static void test_refused(void **state)
{
    (void)state;
    parse_bad("");
    parse_bad("-1");
    parse_bad("1e3");
    parse_bad("1/0");
    parse_bad("1/");
    parse_bad("/8");
    parse_bad("1/concurrency2");
    parse_bad("concurrency");
    parse_bad("1001");
    parse_bad("nan");
    parse_bad("1 / 8");
    parse_bad("12345678901234567890123456789012345678901234567890123456789012345678901");
}

static void test_amount(void **state)
{
    struct qmgr_feedback fb = {1.0, 1};
    struct qmgr_feedback fixed = {0.5, 0};

    (void)state;
    assert_true(qmgr_feedback_amount(&fb, 4) == 0.25);
    assert_true(qmgr_feedback_amount(&fb, 1) == 1.0);
    /* A window of 0 is never divided by. */
    assert_true(qmgr_feedback_amount(&fb, 0) == 1.0);
    assert_true(qmgr_feedback_amount(&fixed, 7) == 0.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_amount),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
