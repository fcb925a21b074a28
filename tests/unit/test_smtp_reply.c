/*
 * test_smtp_reply.c - unit tests for lib/smtp/smtp_reply.c (reply format,
 * enhanced status codes, EHLO keyword list).
 *
 * The EHLO replies must equal the Postfix 3.7.11 reference byte for byte
 * (A1, B with SIZE 20000 and SIZE 0, E without VRFY); discarding keywords
 * is case-insensitive and "silent-discard" only changes logging; reply
 * text can never inject a line; bad codes and DSNs are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp_reply.h"
#include "util/buf.h"

static void test_append(void **state)
{
    struct buf out = BUF_INIT;

    (void)state;
    assert_int_equal(smtp_reply_append(&out, 250, "2.1.0", "Ok", 1), 0);
    assert_string_equal(buf_str(&out), "250 2.1.0 Ok\r\n");
    buf_reset(&out);
    assert_int_equal(smtp_reply_append(&out, 250, "2.1.0", "Ok", 0), 0);
    assert_string_equal(buf_str(&out), "250 Ok\r\n");
    buf_reset(&out);
    assert_int_equal(smtp_reply_append(&out, 550, "5.7.1", "first\nsecond\nthird", 1), 0);
    assert_string_equal(buf_str(&out),
                        "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n");
    buf_reset(&out);
    assert_int_equal(smtp_reply_append(&out, 221, NULL, "Bye", 1), 0);
    assert_string_equal(buf_str(&out), "221 Bye\r\n");
    buf_reset(&out);
    assert_int_equal(smtp_reply_append(&out, 250, "2.0.0", "", 1), 0);
    assert_string_equal(buf_str(&out), "250 2.0.0\r\n");
    buf_reset(&out);
    /* No injected lines: CR and other controls become '?'. */
    assert_int_equal(smtp_reply_append(&out, 550, "5.1.1", "<a\r250 b>\x01", 1), 0);
    assert_string_equal(buf_str(&out), "550 5.1.1 <a?250 b>?\r\n");
    buf_reset(&out);
    /* Refused: code out of range, DSN class not matching, bad DSN. */
    assert_int_equal(smtp_reply_append(&out, 199, NULL, "x", 1), -1);
    assert_int_equal(smtp_reply_append(&out, 600, NULL, "x", 1), -1);
    assert_int_equal(smtp_reply_append(&out, 550, "4.1.1", "x", 1), -1);
    assert_int_equal(smtp_reply_append(&out, 550, "5.1", "x", 1), -1);
    assert_int_equal(smtp_reply_append(&out, 550, "5.1000.1", "x", 1), -1);
    assert_int_equal(buf_len(&out), 0);
    buf_release(&out);
}

static void test_dsn_valid(void **state)
{
    (void)state;
    assert_true(smtp_reply_dsn_valid("2.0.0", 250));
    assert_true(smtp_reply_dsn_valid("5.123.999", 554));
    assert_true(smtp_reply_dsn_valid("4.7.1", 454));
    assert_false(smtp_reply_dsn_valid("3.0.0", 354));
    assert_false(smtp_reply_dsn_valid("5.0.0", 450));
    assert_false(smtp_reply_dsn_valid("5.0.0.", 550));
    assert_false(smtp_reply_dsn_valid("5..0", 550));
    assert_false(smtp_reply_dsn_valid("5.0.", 550));
    assert_false(smtp_reply_dsn_valid("5.0.0 ", 550));
    assert_false(smtp_reply_dsn_valid("", 550));
}

static void test_append_line(void **state)
{
    struct buf out = BUF_INIT;
    char dsn[16];
    const char *text;
    int code;

    (void)state;
    assert_int_equal(smtp_reply_append_line(&out, "501 5.5.4 Syntax: RSET", 1), 0);
    assert_int_equal(smtp_reply_append_line(&out, "501 5.5.4 Syntax: RSET", 0), 0);
    assert_int_equal(smtp_reply_append_line(&out, "501 Syntax: EHLO hostname", 1), 0);
    assert_int_equal(smtp_reply_append_line(&out, "500 Syntax: ETRN domain", 1), 0);
    assert_string_equal(buf_str(&out), "501 5.5.4 Syntax: RSET\r\n501 Syntax: RSET\r\n"
                                       "501 Syntax: EHLO hostname\r\n500 Syntax: ETRN domain\r\n");
    assert_int_equal(smtp_reply_split("552 5.3.4 Message size exceeds fixed limit", &code, dsn,
                                      sizeof(dsn), &text),
                     0);
    assert_int_equal(code, 552);
    assert_string_equal(dsn, "5.3.4");
    assert_string_equal(text, "Message size exceeds fixed limit");
    assert_int_equal(smtp_reply_split("250", &code, dsn, sizeof(dsn), &text), 0);
    assert_string_equal(text, "");
    assert_int_equal(smtp_reply_split("25", &code, dsn, sizeof(dsn), &text), -1);
    assert_int_equal(smtp_reply_split("250x", &code, dsn, sizeof(dsn), &text), -1);
    assert_int_equal(smtp_reply_split("650 x", &code, dsn, sizeof(dsn), &text), -1);
    buf_release(&out);
}

static const char ehlo_a1[] = "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                              "250-VRFY\r\n250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
                              "250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";

static void test_ehlo(void **state)
{
    struct smtp_ehlo_opts o = {"mx.example.test", 10240000, 0, 1, 0, NULL, 0, 0};
    struct buf out = BUF_INIT;
    uint32_t sent;

    (void)state;
    sent = smtp_ehlo_build(&out, &o);
    assert_string_equal(buf_str(&out), ehlo_a1);
    assert_true(sent & SMTP_EHLO_ENHANCEDSTATUSCODES);
    assert_false(sent & SMTP_EHLO_STARTTLS);
    /* B: SIZE 0 means "SIZE" alone. */
    buf_reset(&out);
    o.size_limit = 0;
    smtp_ehlo_build(&out, &o);
    assert_non_null(strstr(buf_str(&out), "\r\n250-SIZE\r\n"));
    /* E: disable_vrfy_command = yes. */
    buf_reset(&out);
    o.size_limit = 10240000;
    o.disable_vrfy = 1;
    smtp_ehlo_build(&out, &o);
    assert_string_equal(buf_str(&out),
                        "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                        "250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
                        "250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n");
    /* STARTTLS and AUTH entry points, in Postfix's order. */
    buf_reset(&out);
    o.disable_vrfy = 0;
    o.smtputf8_enable = 0;
    o.offer = SMTP_EHLO_STARTTLS | SMTP_EHLO_AUTH;
    o.auth_mechs = "PLAIN LOGIN";
    o.auth_compat = 1;
    sent = smtp_ehlo_build(&out, &o);
    assert_string_equal(buf_str(&out),
                        "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                        "250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n"
                        "250-AUTH=PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
                        "250-DSN\r\n250 CHUNKING\r\n");
    assert_true(sent & SMTP_EHLO_AUTH);
    assert_false(sent & SMTP_EHLO_SMTPUTF8);
    /* XCLIENT and XFORWARD for authorized clients, after AUTH. */
    buf_reset(&out);
    o.offer = SMTP_EHLO_XCLIENT | SMTP_EHLO_XFORWARD;
    o.discard = smtp_ehlo_discard_mask("silent-discard pipelining size vrfy etrn dsn "
                                       "8bitmime chunking");
    sent = smtp_ehlo_build(&out, &o);
    assert_string_equal(buf_str(&out),
                        "250-mx.example.test\r\n"
                        "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR "
                        "DESTPORT\r\n250-XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT\r\n"
                        "250 ENHANCEDSTATUSCODES\r\n");
    assert_int_equal(sent, SMTP_EHLO_XCLIENT | SMTP_EHLO_XFORWARD | SMTP_EHLO_ENHANCEDSTATUSCODES);
    /* Discarding, case-insensitive, down to the host name alone. */
    buf_reset(&out);
    o.offer = SMTP_EHLO_STARTTLS | SMTP_EHLO_AUTH;
    o.discard = smtp_ehlo_discard_mask("pipelining, Size,VRFY etrn starttls auth "
                                       "enhancedstatuscodes 8bitmime dsn smtputf8 CHUNKING");
    sent = smtp_ehlo_build(&out, &o);
    assert_string_equal(buf_str(&out), "250 mx.example.test\r\n");
    assert_int_equal(sent, 0);
    buf_release(&out);
}

static void test_discard_mask(void **state)
{
    (void)state;
    assert_int_equal(smtp_ehlo_discard_mask(""), 0);
    assert_int_equal(smtp_ehlo_discard_mask("  ,, "), 0);
    assert_int_equal(smtp_ehlo_discard_mask("nosuch, sizes, siz"), 0);
    assert_int_equal(smtp_ehlo_discard_mask("DSN"), SMTP_EHLO_DSN);
    assert_int_equal(smtp_ehlo_discard_mask("silent-discard, dsn"),
                     SMTP_EHLO_SILENT | SMTP_EHLO_DSN);
    assert_int_equal(smtp_ehlo_discard_mask("EnhancedStatusCodes\tchunking\n"),
                     SMTP_EHLO_ENHANCEDSTATUSCODES | SMTP_EHLO_CHUNKING);
    assert_int_equal(smtp_ehlo_discard_mask("xclient xforward"),
                     SMTP_EHLO_XCLIENT | SMTP_EHLO_XFORWARD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append),       cmocka_unit_test(test_dsn_valid),
        cmocka_unit_test(test_append_line),  cmocka_unit_test(test_ehlo),
        cmocka_unit_test(test_discard_mask),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
