/*
 * test_smtp_esmtp.c - unit tests for lib/smtp/smtp_esmtp.c (MAIL/RCPT
 * parameters, xtext).
 *
 * Replies are compared byte for byte with the Postfix 3.7.11 reference
 * sessions A5, A10 and B (SIZE limits); duplicates, case and every value
 * boundary (ENVID 100 bytes, SIZE at and past the limit and past 2^63) are
 * covered, and xtext must round-trip every byte value but NUL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp_esmtp.h"
#include "util/buf.h"

/* Splits words (blank separated) of a test string into argv. */
static size_t split(char *s, char **argv, size_t max)
{
    size_t n = 0;
    char *tok;

    while (n < max && (tok = strsep(&s, " ")) != NULL) {
        if (*tok)
            argv[n++] = tok;
    }
    return n;
}

static const struct smtp_esmtp_opts opts_default = {10240000, 1};

/* Runs MAIL parameters; returns the reply ("" if accepted). */
static const char *mail(struct smtp_mail_params *p, const char *params,
                        const struct smtp_esmtp_opts *opts)
{
    static struct buf reply = BUF_INIT;
    char copy[1024];
    char *argv[32];
    size_t argc;

    assert_true(strlen(params) < sizeof(copy));
    strncpy(copy, params, sizeof(copy) - 1);
    copy[sizeof(copy) - 1] = 0;
    argc = split(copy, argv, 32);
    buf_set(&reply, "");
    if (smtp_esmtp_mail(p, argv, argc, opts, &reply) == 0)
        assert_string_equal(buf_str(&reply), "");
    else
        assert_true(buf_len(&reply) > 0);
    return buf_str(&reply);
}

static const char *rcpt(struct smtp_rcpt_params *p, const char *params)
{
    static struct buf reply = BUF_INIT;
    char copy[1024];
    char *argv[32];
    size_t argc;

    strncpy(copy, params, sizeof(copy) - 1);
    copy[sizeof(copy) - 1] = 0;
    argc = split(copy, argv, 32);
    buf_set(&reply, "");
    if (smtp_esmtp_rcpt(p, argv, argc, &opts_default, &reply) == 0)
        assert_string_equal(buf_str(&reply), "");
    return buf_str(&reply);
}

static void test_mail_reference(void **state)
{
    struct smtp_mail_params p;
    struct smtp_esmtp_opts limit20k = {20000, 1};
    struct smtp_esmtp_opts nolimit = {0, 1};

    (void)state;
    smtp_mail_params_init(&p);
    /* A5 */
    assert_string_equal(mail(&p, "SIZE=300 BODY=8BITMIME RET=HDRS ENVID=abc123", &opts_default),
                        "");
    assert_true(p.have_size);
    assert_int_equal(p.size, 300);
    assert_int_equal(p.body, SMTP_BODY_8BITMIME);
    assert_int_equal(p.ret, SMTP_DSN_RET_HDRS);
    assert_string_equal(buf_str(&p.envid), "abc123");
    /* A10 */
    assert_string_equal(mail(&p, "FOO=BAR", &opts_default),
                        "555 5.5.4 Unsupported option: FOO=BAR");
    assert_string_equal(mail(&p, "FOO", &opts_default), "555 5.5.4 Unsupported option: FOO");
    assert_string_equal(mail(&p, "F\x01O\x7fO=\x1b", &opts_default),
                        "555 5.5.4 Unsupported option: F?O?O=?");
    assert_string_equal(mail(&p, "<x@y.example.test>", &opts_default),
                        "555 5.5.4 Unsupported option: <x@y.example.test>");
    assert_string_equal(mail(&p, "SIZE=abc", &opts_default), "501 5.5.4 Bad message size syntax");
    assert_string_equal(mail(&p, "SIZE=", &opts_default), "501 5.5.4 Bad message size syntax");
    assert_string_equal(mail(&p, "BODY=9BIT", &opts_default),
                        "555 5.5.4 Unsupported option: BODY=9BIT");
    assert_string_equal(mail(&p, "RET=ALL", &opts_default), "501 5.5.4 Bad RET parameter syntax");
    assert_string_equal(mail(&p, "ENVID=bad\x01", &opts_default),
                        "501 5.5.4 Bad ENVID parameter syntax");
    assert_string_equal(mail(&p, "SMTPUTF8", &opts_default), "");
    assert_true(p.smtputf8);
    assert_string_equal(mail(&p, "AUTH=<>", &opts_default), "");
    assert_true(p.have_auth);
    assert_string_equal(buf_str(&p.auth), "<>");
    /* B: message_size_limit = 20000, and 0 */
    assert_string_equal(mail(&p, "SIZE=20000", &limit20k), "");
    assert_string_equal(mail(&p, "SIZE=20001", &limit20k),
                        "552 5.3.4 Message size exceeds fixed limit");
    assert_string_equal(mail(&p, "SIZE=99999999999999999999", &limit20k),
                        "552 5.3.4 Message size exceeds file system imposed limit");
    assert_string_equal(mail(&p, "SIZE=99999999999", &nolimit), "");
    assert_int_equal(p.size, 99999999999LL);
    assert_string_equal(mail(&p, "SIZE=9223372036854775807", &nolimit), "");
    assert_string_equal(mail(&p, "SIZE=9223372036854775808", &nolimit),
                        "552 5.3.4 Message size exceeds file system imposed limit");
    assert_string_equal(mail(&p, "SIZE=99999999999999999999x", &nolimit),
                        "501 5.5.4 Bad message size syntax");
    smtp_mail_params_release(&p);
}

static void test_mail_edges(void **state)
{
    struct smtp_mail_params p;
    struct smtp_esmtp_opts noutf8 = {0, 0};
    char envid[160];

    (void)state;
    smtp_mail_params_init(&p);
    /* Case-insensitive names and values. */
    assert_string_equal(mail(&p, "size=1 body=7bit ret=full smtputf8", &opts_default), "");
    assert_int_equal(p.body, SMTP_BODY_7BIT);
    assert_int_equal(p.ret, SMTP_DSN_RET_FULL);
    /* Every call starts afresh. */
    assert_string_equal(mail(&p, "", &opts_default), "");
    assert_false(p.have_size);
    assert_int_equal(p.body, SMTP_BODY_NONE);
    assert_int_equal(p.ret, 0);
    assert_false(p.smtputf8);
    /* Not offered: BINARYMIME, SMTPUTF8 when disabled, a SIZE without '='. */
    assert_string_equal(mail(&p, "BODY=BINARYMIME", &opts_default),
                        "555 5.5.4 Unsupported option: BODY=BINARYMIME");
    assert_string_equal(mail(&p, "SMTPUTF8", &noutf8), "555 5.5.4 Unsupported option: SMTPUTF8");
    assert_string_equal(mail(&p, "SMTPUTF8=yes", &opts_default),
                        "555 5.5.4 Unsupported option: SMTPUTF8=yes");
    assert_string_equal(mail(&p, "SIZE", &opts_default), "555 5.5.4 Unsupported option: SIZE");
    assert_string_equal(mail(&p, "SIZE=-1", &opts_default), "501 5.5.4 Bad message size syntax");
    assert_string_equal(mail(&p, "SIZE=+1", &opts_default), "501 5.5.4 Bad message size syntax");
    /* Duplicates never override. */
    assert_string_equal(mail(&p, "RET=FULL RET=FULL", &opts_default),
                        "501 5.5.4 Bad RET parameter syntax");
    assert_string_equal(mail(&p, "SIZE=1 SIZE=1", &opts_default),
                        "501 5.5.4 Bad message size syntax");
    assert_string_equal(mail(&p, "ENVID=a ENVID=a", &opts_default),
                        "501 5.5.4 Bad ENVID parameter syntax");
    assert_string_equal(mail(&p, "BODY=7BIT BODY=8BITMIME", &opts_default),
                        "501 5.5.4 Bad BODY parameter syntax");
    assert_string_equal(mail(&p, "AUTH=<> AUTH=<>", &opts_default),
                        "501 5.5.4 Bad AUTH parameter syntax");
    assert_string_equal(mail(&p, "SMTPUTF8 SMTPUTF8", &opts_default),
                        "501 5.5.4 Bad SMTPUTF8 parameter syntax");
    /* The first bad parameter decides; the size limit is checked last. */
    assert_string_equal(mail(&p, "SIZE=99999999 FOO", &opts_default),
                        "555 5.5.4 Unsupported option: FOO");
    /* ENVID: xtext, printable, at most 100 decoded bytes. */
    assert_string_equal(mail(&p, "ENVID=a+2Bb+3Dc", &opts_default), "");
    assert_string_equal(buf_str(&p.envid), "a+b=c");
    assert_string_equal(mail(&p, "ENVID=", &opts_default), "501 5.5.4 Bad ENVID parameter syntax");
    assert_string_equal(mail(&p, "ENVID=a+0A", &opts_default),
                        "501 5.5.4 Bad ENVID parameter syntax");
    assert_string_equal(mail(&p, "ENVID=a=b", &opts_default),
                        "501 5.5.4 Bad ENVID parameter syntax");
    memcpy(envid, "ENVID=", 6);
    memset(envid + 6, 'e', 100);
    envid[106] = 0;
    assert_string_equal(mail(&p, envid, &opts_default), "");
    envid[106] = 'e';
    envid[107] = 0;
    assert_string_equal(mail(&p, envid, &opts_default), "501 5.5.4 Bad ENVID parameter syntax");
    /* AUTH=xtext */
    assert_string_equal(mail(&p, "AUTH=u+40x", &opts_default), "");
    assert_string_equal(buf_str(&p.auth), "u@x");
    assert_string_equal(mail(&p, "AUTH=", &opts_default), "501 5.5.4 Bad AUTH parameter syntax");
    assert_string_equal(mail(&p, "AUTH=+4", &opts_default), "501 5.5.4 Bad AUTH parameter syntax");
    smtp_mail_params_release(&p);
}

static void test_rcpt(void **state)
{
    struct smtp_rcpt_params p;

    (void)state;
    smtp_rcpt_params_init(&p);
    /* A5 */
    assert_string_equal(rcpt(&p, "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@mx.example.test"), "");
    assert_int_equal(p.notify, SMTP_DSN_NOTIFY_SUCCESS | SMTP_DSN_NOTIFY_FAILURE);
    assert_true(p.have_orcpt);
    assert_string_equal(buf_str(&p.orcpt_type), "rfc822");
    assert_string_equal(buf_str(&p.orcpt_addr), "alice@mx.example.test");
    assert_string_equal(rcpt(&p, "NOTIFY=NEVER"), "");
    assert_int_equal(p.notify, SMTP_DSN_NOTIFY_NEVER);
    assert_false(p.have_orcpt);
    /* A10 */
    assert_string_equal(rcpt(&p, "FOO=BAR"), "555 5.5.4 Unsupported option: FOO=BAR");
    assert_string_equal(rcpt(&p, "NOTIFY=SOMETIMES"),
                        "501 5.5.4 Error: Bad NOTIFY parameter syntax");
    assert_string_equal(rcpt(&p, "NOTIFY=NEVER,SUCCESS"),
                        "501 5.5.4 Error: Bad NOTIFY parameter syntax");
    assert_string_equal(rcpt(&p, "ORCPT=bogus"), "501 5.5.4 Error: Bad ORCPT parameter syntax");
    assert_string_equal(rcpt(&p, "SIZE=10"), "555 5.5.4 Unsupported option: SIZE=10");
    assert_string_equal(rcpt(&p, "<x>"), "555 5.5.4 Unsupported option: <x>");
    /* Edges. */
    assert_string_equal(rcpt(&p, "notify=delay,failure,success"), "");
    assert_int_equal(p.notify,
                     SMTP_DSN_NOTIFY_DELAY | SMTP_DSN_NOTIFY_FAILURE | SMTP_DSN_NOTIFY_SUCCESS);
    assert_string_equal(rcpt(&p, "NOTIFY="), "501 5.5.4 Error: Bad NOTIFY parameter syntax");
    assert_string_equal(rcpt(&p, "NOTIFY=SUCCESS,"),
                        "501 5.5.4 Error: Bad NOTIFY parameter syntax");
    assert_string_equal(rcpt(&p, "NOTIFY=SUCCESS NOTIFY=DELAY"),
                        "501 5.5.4 Error: Bad NOTIFY parameter syntax");
    assert_string_equal(rcpt(&p, "ORCPT=rfc822;"), "501 5.5.4 Error: Bad ORCPT parameter syntax");
    assert_string_equal(rcpt(&p, "ORCPT=;a@b"), "501 5.5.4 Error: Bad ORCPT parameter syntax");
    assert_string_equal(rcpt(&p, "ORCPT=rfc 822;a@b"),
                        "501 5.5.4 Error: Bad ORCPT parameter syntax");
    assert_string_equal(rcpt(&p, "ORCPT=rfc822;a+2Bb@c"), "");
    assert_string_equal(buf_str(&p.orcpt_addr), "a+b@c");
    assert_string_equal(rcpt(&p, "ORCPT=rfc822;a+C3+B6@c"),
                        "501 5.5.4 Error: Bad ORCPT parameter syntax");
    assert_string_equal(rcpt(&p, "ORCPT=utf-8;a+C3+B6@c"), "");
    assert_string_equal(rcpt(&p, "ORCPT=rfc822;a@b ORCPT=rfc822;a@b"),
                        "501 5.5.4 Error: Bad ORCPT parameter syntax");
    smtp_rcpt_params_release(&p);
}

static void test_xtext(void **state)
{
    struct buf enc = BUF_INIT;
    struct buf dec = BUF_INIT;
    char all[255];

    (void)state;
    for (int i = 0; i < 255; i++)
        all[i] = (char)(i + 1);
    smtp_xtext_encode(&enc, all, sizeof(all));
    for (size_t i = 0; i < buf_len(&enc); i++) {
        unsigned char c = (unsigned char)buf_str(&enc)[i];

        assert_true(c >= 0x21 && c <= 0x7e && c != '=');
    }
    assert_int_equal(smtp_xtext_decode(&dec, buf_str(&enc), buf_len(&enc)), 0);
    assert_int_equal(buf_len(&dec), sizeof(all));
    assert_memory_equal(buf_str(&dec), all, sizeof(all));
    buf_reset(&enc);
    smtp_xtext_encode(&enc, "a+b=c d", 7);
    assert_string_equal(buf_str(&enc), "a+2Bb+3Dc+20d");
    buf_reset(&dec);
    assert_int_equal(smtp_xtext_decode(&dec, "+2b", 3), 0);
    assert_string_equal(buf_str(&dec), "+");
    assert_int_equal(smtp_xtext_decode(&dec, "+00", 3), -1);
    assert_int_equal(smtp_xtext_decode(&dec, "+2", 2), -1);
    assert_int_equal(smtp_xtext_decode(&dec, "+G0", 3), -1);
    assert_int_equal(smtp_xtext_decode(&dec, "a b", 3), -1);
    assert_int_equal(smtp_xtext_decode(&dec, "\x7f", 1), -1);
    assert_int_equal(smtp_dsn_notify_parse("never"), SMTP_DSN_NOTIFY_NEVER);
    assert_int_equal(smtp_dsn_notify_parse("NEVER,NEVER"), SMTP_DSN_NOTIFY_NEVER);
    assert_int_equal(smtp_dsn_notify_parse(",SUCCESS"), 0);
    assert_int_equal(smtp_dsn_notify_parse("SUCCESSX"), 0);
    buf_release(&enc);
    buf_release(&dec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mail_reference),
        cmocka_unit_test(test_mail_edges),
        cmocka_unit_test(test_rcpt),
        cmocka_unit_test(test_xtext),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
