/*
 * test_header_checks.c - unit tests of lib/mail/header_checks.h: every
 * action word (any case), actions that need text and lack it, unknown
 * words, the first matching table of a list, the Postfix-style log line
 * with and without client details, and the REJECT reply text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/header_checks.h"
#include "util/buf.h"

static void expect(const char *value, enum hc_type type, const char *name, const char *text)
{
    struct hc_action act;

    assert_int_equal(hc_action_parse(value, &act), 0);
    assert_int_equal(act.type, type);
    assert_string_equal(act.name, name);
    assert_int_equal(act.text_len, strlen(text));
    assert_memory_equal(act.text, text, act.text_len);
}

static void test_actions(void **st)
{
    (void)st;
    expect("REJECT", HC_REJECT, "reject", "");
    expect("reject  no spam here  ", HC_REJECT, "reject", "no spam here");
    expect("WARN look", HC_WARN, "warning", "look");
    expect("INFO x", HC_INFO, "info", "x");
    expect("IGNORE", HC_IGNORE, "ignore", "");
    expect("Replace X-A: b", HC_REPLACE, "replace", "X-A: b");
    expect("PREPEND Reply-To: me@x.test", HC_PREPEND, "prepend", "Reply-To: me@x.test");
    expect("HOLD", HC_HOLD, "hold", "");
    expect("DISCARD bye", HC_DISCARD, "discard", "bye");
    expect("REDIRECT a@b.test", HC_REDIRECT, "redirect", "a@b.test");
    expect("BCC a@b.test", HC_BCC, "bcc", "a@b.test");
    expect("FILTER smtp:[127.0.0.1]:10025", HC_FILTER, "filter", "smtp:[127.0.0.1]:10025");
    expect("DUNNO", HC_DUNNO, "dunno", "");
    expect("OK", HC_OK, "ok", "");
    expect("\t warn\ttabbed", HC_WARN, "warning", "tabbed");
}

static void test_bad_actions(void **st)
{
    struct hc_action act;

    (void)st;
    assert_int_equal(hc_action_parse("REPLACE", &act), -1);
    assert_int_equal(hc_action_parse("PREPEND   ", &act), -1);
    assert_int_equal(hc_action_parse("REDIRECT", &act), -1);
    assert_int_equal(hc_action_parse("BCC", &act), -1);
    assert_int_equal(hc_action_parse("FILTER", &act), -1);
    assert_int_equal(hc_action_parse("REJECTED text", &act), -1);
    assert_int_equal(hc_action_parse("", &act), -1);
    assert_int_equal(hc_action_parse("550 nope", &act), -1);
    assert_string_equal(act.text, "550 nope");
}

static void test_lookup(void **st)
{
    char path[] = "/tmp/test_hc_XXXXXX";
    int fd = mkstemp(path);
    struct hc_tables t = {0};
    struct buf err = BUF_INIT, spec = BUF_INIT;
    const char *value;
    static const char table[] = "/^Subject:.*viagra/ REJECT no pills\n"
                                "/^From:(.*)/ PREPEND Reply-To:$1\n";

    (void)st;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, table, sizeof(table) - 1), (ssize_t)(sizeof(table) - 1));
    close(fd);
    buf_printf(&spec, "regexp:%s, inline:{ {X-Test: a=WARN inline} }", path);
    assert_int_equal(hc_tables_open(&t, buf_str(&spec), &err), 0);
    assert_int_equal(t.count, 2);
    assert_int_equal(hc_lookup(&t, "Subject: Buy VIAGRA now", &value), DICT_FOUND);
    assert_string_equal(value, "REJECT no pills");
    assert_int_equal(hc_lookup(&t, "From: Bob <bob@x.test>", &value), DICT_FOUND);
    assert_string_equal(value, "PREPEND Reply-To: Bob <bob@x.test>");
    assert_int_equal(hc_lookup(&t, "X-Test: a", &value), DICT_FOUND);
    assert_string_equal(value, "WARN inline");
    assert_int_equal(hc_lookup(&t, "Subject: hello", &value), DICT_NOTFOUND);
    hc_tables_close(&t);
    assert_int_equal(hc_tables_open(&t, "regexp:/nonexistent/hc", &err), -1);
    assert_true(buf_len(&err) > 0);
    hc_tables_close(&t);
    unlink(path);
    buf_release(&err);
    buf_release(&spec);
}

static void test_log_format(void **st)
{
    struct buf out = BUF_INIT;
    struct hc_origin o = {"localhost", "127.0.0.1", "a@x.test", "b@y.test", "ESMTP", "client.test"};
    struct hc_origin local = {NULL, NULL, "root@x.test", NULL, NULL, NULL};
    char longline[300];

    (void)st;
    hc_log_format(&out, "4ABC", "warning", "header", "Subject: hi\n\tthere", 18, &o, "look", 4);
    assert_string_equal(buf_str(&out), "4ABC: warning: header Subject: hi  there from "
                                       "localhost[127.0.0.1]; from=<a@x.test> to=<b@y.test> "
                                       "proto=ESMTP helo=<client.test>: look");
    buf_reset(&out);
    hc_log_format(&out, "4ABC", "hold", "body", "spam", 4, &local, NULL, 0);
    assert_string_equal(buf_str(&out), "4ABC: hold: body spam from local; from=<root@x.test>");
    /* The line is cut at 200 bytes. */
    memset(longline, 'x', sizeof(longline));
    buf_reset(&out);
    hc_log_format(&out, "Q", "warning", "body", longline, sizeof(longline), &local, NULL, 0);
    assert_int_equal(strspn(buf_str(&out) + strlen("Q: warning: body "), "x"), 200);
    buf_release(&out);
}

static void test_reject_text(void **st)
{
    struct buf out = BUF_INIT;
    struct hc_action act;

    (void)st;
    hc_action_parse("REJECT", &act);
    hc_reject_text(&out, &act);
    assert_string_equal(buf_str(&out), "5.7.1 message content rejected");
    hc_action_parse("REJECT go away", &act);
    hc_reject_text(&out, &act);
    assert_string_equal(buf_str(&out), "5.7.1 go away");
    hc_action_parse("REJECT 4.7.0 later", &act);
    hc_reject_text(&out, &act);
    assert_string_equal(buf_str(&out), "4.7.0 later");
    buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions),     cmocka_unit_test(test_bad_actions),
        cmocka_unit_test(test_lookup),      cmocka_unit_test(test_log_format),
        cmocka_unit_test(test_reject_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
