/*
 * test_blast_pattern.c - unit tests for src/smtp-blast/blast_pattern.c, the
 * sender/recipient patterns of smtp-blast.
 *
 * Checks every placeholder, the '%' escapes at the edges of a pattern, and
 * that the check refuses anything that could break or inject into an SMTP
 * command line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "util/buf.h"

#include "blast_pattern.h"

static void test_expand(void **state)
{
    const struct blast_pattern_vars v = {12, 3, 7};
    static const char *const cases[][2] = {
        {"user%m@example.test", "user12@example.test"},
        {"user%d@example.test", "user12@example.test"},
        {"s%s-r%r@x", "s3-r7@x"},
        {"%m", "12"},
        {"100%%", "100%"},
        {"%%m", "%m"},
        {"plain@example.test", "plain@example.test"},
        {"", ""},
    };
    struct buf out = BUF_INIT;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(blast_pattern_check(cases[i][0], NULL), 0);
        buf_set(&out, ">");
        blast_pattern_expand(&out, cases[i][0], &v);
        assert_string_equal(buf_str(&out) + 1, cases[i][1]);
        assert_int_equal(buf_str(&out)[0], '>'); /* appends, never replaces */
    }
    buf_release(&out);
}

static void test_large_numbers(void **state)
{
    const struct blast_pattern_vars v = {(unsigned long)-1, 0, 1};
    struct buf out = BUF_INIT;
    char want[64];

    blast_pattern_expand(&out, "%m.%s.%r", &v);
    assert_true(snprintf(want, sizeof(want), "%lu.0.1", (unsigned long)-1) > 0);
    assert_string_equal(buf_str(&out), want);
    buf_release(&out);
}

static void test_check_rejects(void **state)
{
    static const char *const bad[] = {
        "user%", "user%x@a", "%M", "a b@c", "a\tb", "a\r\nRCPT TO:<x>", "a>b", "<a", "a\nb",
    };
    struct buf err = BUF_INIT;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf_reset(&err);
        if (blast_pattern_check(bad[i], &err) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(buf_len(&err) > 0);
    }
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_large_numbers),
        cmocka_unit_test(test_check_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
