/*
 * test_sink_spec.c - unit tests for src/smtp-sink/sink_spec.c, smtp-sink's
 * injection, delay and extension options.
 *
 * The injected share must be exact (tests count on "10% of 2,000 is 200"),
 * so the picking is checked over whole runs and at 0 and 1; every parser is
 * checked at its range limits and must leave its output alone on error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/mem.h"

#include "sink_spec.h"

static unsigned long test_count_picks(struct sink_inject *in, unsigned long events)
{
    unsigned long i, picked = 0;

    for (i = 0; i < events; i++) {
        if (sink_inject_pick(in) != 0)
            picked++;
    }
    return picked;
}

static void test_inject_share(void **state)
{
    struct sink_inject in[SINK_STAGES];
    struct buf err = BUF_INIT;
    unsigned long i;

    memset(in, 0, sizeof(in));
    assert_int_equal(sink_spec_inject("rcpt:450:0.1", in, &err), 0);
    assert_int_equal(in[SINK_RCPT].code, 450);
    assert_int_equal(in[SINK_RCPT].ppm, 100000);
    /* Every tenth event, starting with the tenth. */
    for (i = 1; i <= 30; i++)
        assert_int_equal(sink_inject_pick(&in[SINK_RCPT]), i % 10 == 0 ? 450 : 0);
    assert_int_equal(test_count_picks(&in[SINK_RCPT], 1970), 197);
    /* Other stages were not touched. */
    assert_int_equal(sink_inject_pick(&in[SINK_MAIL]), 0);
    /* Re-parsing restarts the count; a share of 1 and of 0 are exact. */
    assert_int_equal(sink_spec_inject("RCPT:550", in, &err), 0);
    assert_int_equal(test_count_picks(&in[SINK_RCPT], 1000), 1000);
    assert_int_equal(sink_spec_inject("dot:451:0", in, &err), 0);
    assert_int_equal(test_count_picks(&in[SINK_DOT], 1000), 0);
    assert_int_equal(sink_spec_inject("greeting:421:0.333333", in, &err), 0);
    assert_int_equal(test_count_picks(&in[SINK_GREETING], 3000000), 999999);
    assert_int_equal(sink_spec_inject("mail:554:0.000001", in, &err), 0);
    assert_int_equal(test_count_picks(&in[SINK_MAIL], 2000000), 2);
    buf_release(&err);
}

static void test_inject_rejects(void **state)
{
    static const char *const bad[] = {
        "rcpt",         "rcpt:",         "rcpt:399",    "rcpt:600",      "rcpt:250",
        "rcpt:45",      "rcpt:4500",     "rcpt:+450",   "rcpt:450:",     "rcpt:450:1.1",
        "rcpt:450:2",   "rcpt:450:.5",   "rcpt:450:0.", "rcpt:450:-0.1", "rcpt:450:0.1234567",
        "rcpt:450:0,1", "rcpt:450:0.1x", "body:450",    ":450",          "",
    };
    struct sink_inject in[SINK_STAGES];
    struct buf err = BUF_INIT;
    size_t i;

    memset(in, 0, sizeof(in));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf_reset(&err);
        if (sink_spec_inject(bad[i], in, &err) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(buf_len(&err) > 0);
        assert_int_equal(in[SINK_RCPT].code, 0);
    }
    /* The limits themselves. */
    assert_int_equal(sink_spec_inject("rcpt:400:1", in, &err), 0);
    assert_int_equal(sink_spec_inject("rcpt:599:1.000000", in, &err), 0);
    assert_int_equal(in[SINK_RCPT].ppm, 1000000);
    buf_release(&err);
}

static void test_rule(void **state)
{
    struct sink_rule rule = {NULL, 0};
    struct buf err = BUF_INIT;

    assert_int_equal(sink_spec_rule("*@reject.test:550", &rule, &err), 0);
    assert_string_equal(rule.pattern, "*@reject.test");
    assert_int_equal(rule.code, 550);
    mem_free(rule.pattern);
    /* The code follows the last ':'. */
    assert_int_equal(sink_spec_rule("a:b@c:451", &rule, &err), 0);
    assert_string_equal(rule.pattern, "a:b@c");
    mem_free(rule.pattern);
    rule.pattern = NULL;
    assert_int_equal(sink_spec_rule(":550", &rule, &err), -1);
    assert_int_equal(sink_spec_rule("x@y", &rule, &err), -1);
    assert_int_equal(sink_spec_rule("x@y:250", &rule, &err), -1);
    assert_int_equal(sink_spec_rule("x@y:", &rule, &err), -1);
    assert_null(rule.pattern);
    buf_release(&err);
}

static void test_delay(void **state)
{
    long d[SINK_STAGES] = {0};
    struct buf err = BUF_INIT;

    assert_int_equal(sink_spec_delay("dot:100", d, &err), 0);
    assert_int_equal(d[SINK_DOT], 100);
    assert_int_equal(sink_spec_delay("Greeting:3600000", d, &err), 0);
    assert_int_equal(d[SINK_GREETING], 3600000);
    assert_int_equal(sink_spec_delay("helo:0", d, &err), 0);
    assert_int_equal(sink_spec_delay("dot:3600001", d, &err), -1);
    assert_int_equal(sink_spec_delay("dot:-1", d, &err), -1);
    assert_int_equal(sink_spec_delay("dot", d, &err), -1);
    assert_int_equal(sink_spec_delay("dot:", d, &err), -1);
    assert_int_equal(sink_spec_delay("quit:5", d, &err), -1);
    assert_int_equal(d[SINK_DOT], 100);
    buf_release(&err);
}

static void test_ext(void **state)
{
    struct buf err = BUF_INIT;
    unsigned bits = SINK_EXT_ALL;

    assert_int_equal(sink_spec_ext("pipelining,SIZE", &bits, &err), 0);
    assert_int_equal(bits, SINK_EXT_PIPELINING | SINK_EXT_SIZE);
    assert_int_equal(sink_spec_ext("none", &bits, &err), 0);
    assert_int_equal(bits, 0);
    assert_int_equal(sink_spec_ext("8BITMIME DSN CHUNKING ENHANCEDSTATUSCODES", &bits, &err), 0);
    assert_int_equal(bits,
                     SINK_EXT_8BITMIME | SINK_EXT_DSN | SINK_EXT_CHUNKING | SINK_EXT_ENHANCED);
    assert_int_equal(sink_spec_ext("PIPELINING,STARTTLS", &bits, &err), -1);
    assert_int_equal(sink_spec_ext("", &bits, &err), -1);
    assert_int_equal(sink_spec_ext("none,DSN", &bits, &err), -1);
    assert_int_equal(bits,
                     SINK_EXT_8BITMIME | SINK_EXT_DSN | SINK_EXT_CHUNKING | SINK_EXT_ENHANCED);
    buf_release(&err);
}

static void test_stage_names(void **state)
{
    assert_int_equal(sink_stage_parse("greeting"), SINK_GREETING);
    assert_int_equal(sink_stage_parse("HELO"), SINK_HELO);
    assert_int_equal(sink_stage_parse("mail"), SINK_MAIL);
    assert_int_equal(sink_stage_parse("rcpt"), SINK_RCPT);
    assert_int_equal(sink_stage_parse("data"), SINK_DATA);
    assert_int_equal(sink_stage_parse("dot"), SINK_DOT);
    assert_int_equal(sink_stage_parse("ehlo"), -1);
    assert_int_equal(sink_stage_parse(""), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inject_share), cmocka_unit_test(test_inject_rejects),
        cmocka_unit_test(test_rule),         cmocka_unit_test(test_delay),
        cmocka_unit_test(test_ext),          cmocka_unit_test(test_stage_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
