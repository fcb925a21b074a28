/*
 * test_smtp_reply_parse.c - unit tests for lib/smtp/smtp_reply_parse.c, the
 * SMTP reply parser of the SMTP/LMTP client and smtp-blast.
 *
 * The parser reads outside input, so most cases are edges: every prefix of a
 * good reply must ask for more, limits must hold exactly at their value and
 * fail one past it, and lines that disagree or are not replies must fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"

#include "smtp/smtp_reply_parse.h"

static const struct smtp_reply_limits test_lim = {16, 4};

static enum smtp_reply_parse_status test_parse(const char *data, struct smtp_reply_parsed *r,
                                               size_t *used)
{
    struct buf err = BUF_INIT;
    enum smtp_reply_parse_status st;

    *used = 0;
    st = smtp_reply_parse(data, strlen(data), &test_lim, r, used, &err);
    if (st == SMTP_REPLY_PARSE_BAD)
        assert_true(buf_len(&err) > 0);
    buf_release(&err);
    return st;
}

static void test_single_line(void **state)
{
    struct smtp_reply_parsed r;
    size_t used;

    smtp_reply_parsed_init(&r);
    assert_int_equal(test_parse("250 2.0.0 Ok\r\nMORE", &r, &used), SMTP_REPLY_PARSE_OK);
    assert_int_equal(r.code, 250);
    assert_int_equal(r.lines, 1);
    assert_int_equal(used, 14);
    assert_string_equal(buf_str(&r.text), "2.0.0 Ok");
    /* A bare code is a complete last line (RFC 5321 4.2); bare LF is taken. */
    assert_int_equal(test_parse("354\n", &r, &used), SMTP_REPLY_PARSE_OK);
    assert_int_equal(r.code, 354);
    assert_int_equal(used, 4);
    assert_string_equal(buf_str(&r.text), "");
    smtp_reply_parsed_release(&r);
}

static void test_multi_line(void **state)
{
    const char *ehlo = "250-mx.test\r\n250-SIZE 100\r\n250-pipelining\r\n250 DSN\r\n";
    struct smtp_reply_parsed r;
    size_t used;

    smtp_reply_parsed_init(&r);
    assert_int_equal(test_parse(ehlo, &r, &used), SMTP_REPLY_PARSE_OK);
    assert_int_equal(used, strlen(ehlo));
    assert_int_equal(r.lines, 4);
    assert_string_equal(buf_str(&r.text), "mx.test\nSIZE 100\npipelining\nDSN");
    assert_true(smtp_reply_has_ext(&r, "PIPELINING"));
    assert_true(smtp_reply_has_ext(&r, "size"));
    assert_true(smtp_reply_has_ext(&r, "DSN"));
    /* The greeting line and keyword prefixes are not extensions. */
    assert_false(smtp_reply_has_ext(&r, "mx.test"));
    assert_false(smtp_reply_has_ext(&r, "SIZ"));
    assert_false(smtp_reply_has_ext(&r, "CHUNKING"));
    smtp_reply_parsed_release(&r);
}

static void test_every_prefix_needs_more(void **state)
{
    const char *text = "451-4.3.0 first\r\n451 4.3.0 second\r\n";
    struct smtp_reply_parsed r;
    struct buf err = BUF_INIT;
    size_t cut, used;

    smtp_reply_parsed_init(&r);
    for (cut = 0; cut < strlen(text); cut++)
        assert_int_equal(smtp_reply_parse(text, cut, &test_lim, &r, &used, &err),
                         SMTP_REPLY_PARSE_NEED_MORE);
    assert_int_equal(smtp_reply_parse(text, strlen(text), &test_lim, &r, &used, &err),
                     SMTP_REPLY_PARSE_OK);
    assert_int_equal(r.code, 451);
    buf_release(&err);
    smtp_reply_parsed_release(&r);
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "25\r\n",                               /* too short */
        "2500 x\r\n",                           /* fourth character */
        "150 x\r\n",                            /* 1yz is not an SMTP reply */
        "650 x\r\n",                            /* nor 6yz */
        "260 x\r\n",                            /* second digit 0-5 */
        "25x ok\r\n",                           /* not a digit */
        "250-a\r\n251 b\r\n",                   /* codes differ */
        "250-a\r\n24",                          /* ... already a bad prefix */
        "250 a\rb\r\n",                         /* CR inside */
        "250 a\r\r\n",                          /* two CRs */
        "x",                                    /* a bad first byte is bad at once */
        "250 1234567890123\r\n",                /* 17 bytes: one past max_line */
        "250-a\r\n250-b\r\n250-c\r\n250-d\r\n", /* 5th line would pass max_lines */
        "\r\n",
    };
    struct smtp_reply_parsed r;
    size_t i, used;

    smtp_reply_parsed_init(&r);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (test_parse(bad[i], &r, &used) != SMTP_REPLY_PARSE_BAD)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    /* NUL inside a line (strlen cannot carry it). */
    {
        struct buf err = BUF_INIT;

        assert_int_equal(smtp_reply_parse("250 a\0b\r\n", 9, &test_lim, &r, &used, &err),
                         SMTP_REPLY_PARSE_BAD);
        buf_release(&err);
    }
    smtp_reply_parsed_release(&r);
}

static void test_limits_exact(void **state)
{
    struct smtp_reply_parsed r;
    size_t used;

    smtp_reply_parsed_init(&r);
    /* 16 bytes of line: exactly max_line, with or without CR. */
    assert_int_equal(test_parse("250 123456789012\r\n", &r, &used), SMTP_REPLY_PARSE_OK);
    assert_int_equal(test_parse("250 123456789012\n", &r, &used), SMTP_REPLY_PARSE_OK);
    /* A partial line at the limit whose last byte is CR may still be good. */
    assert_int_equal(test_parse("250 123456789012\r", &r, &used), SMTP_REPLY_PARSE_NEED_MORE);
    assert_int_equal(test_parse("250 1234567890123", &r, &used), SMTP_REPLY_PARSE_BAD);
    /* Four lines: exactly max_lines. */
    assert_int_equal(test_parse("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", &r, &used),
                     SMTP_REPLY_PARSE_OK);
    assert_int_equal(r.lines, 4);
    assert_int_equal(test_parse("250-a\r\n250-b\r\n250-c\r\n250-d", &r, &used),
                     SMTP_REPLY_PARSE_BAD);
    smtp_reply_parsed_release(&r);
}

static void test_back_to_back(void **state)
{
    const char *text = "250 a\r\n354 go\r\n550-x\r\n550 y\r\n";
    struct smtp_reply_parsed r;
    struct buf err = BUF_INIT;
    size_t off = 0, used;
    int codes[3], n = 0;

    smtp_reply_parsed_init(&r);
    while (off < strlen(text)) {
        assert_int_equal(
            smtp_reply_parse(text + off, strlen(text) - off, &test_lim, &r, &used, &err),
            SMTP_REPLY_PARSE_OK);
        assert_true(n < 3);
        codes[n++] = r.code;
        off += used;
    }
    assert_int_equal(n, 3);
    assert_int_equal(codes[0], 250);
    assert_int_equal(codes[1], 354);
    assert_int_equal(codes[2], 550);
    assert_int_equal(r.lines, 2);
    buf_release(&err);
    smtp_reply_parsed_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_line),
        cmocka_unit_test(test_multi_line),
        cmocka_unit_test(test_every_prefix_needs_more),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits_exact),
        cmocka_unit_test(test_back_to_back),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
