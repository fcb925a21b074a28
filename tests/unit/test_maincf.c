/*
 * test_maincf.c - unit tests for lib/conf/maincf.c: logical lines,
 * continuation, comments, warnings and the exact error messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conf/maincf.h"
#include "util/msg.h"

static char warned[4096];

static void capture(enum msg_level level, const char *text)
{
    if (level == MSG_WARN) {
        strncat(warned, text, sizeof(warned) - strlen(warned) - 2);
        strcat(warned, "\n");
    }
}

static int setup(void **state)
{
    warned[0] = '\0';
    msg_set_stderr(0);
    msg_set_hook(capture);
    return 0;
}

static int parse(const char *text, struct maincf *cf, struct buf *err)
{
    return maincf_parse("/etc/postern/main.cf", text, strlen(text), cf, err);
}

static void test_simple_and_order(void **state)
{
    struct maincf cf;
    struct buf err = BUF_INIT;

    assert_int_equal(parse("b = 2\na=1\n# c = 3\n\nd =\n", &cf, &err), 0);
    assert_int_equal(cf.count, 3);
    assert_string_equal(cf.entry[0].name, "b");
    assert_string_equal(cf.entry[0].value, "2");
    assert_string_equal(cf.entry[1].name, "a");
    assert_string_equal(cf.entry[1].value, "1");
    assert_string_equal(cf.entry[2].name, "d");
    assert_string_equal(cf.entry[2].value, "");
    assert_int_equal(cf.entry[2].first_line, 5);
    assert_null(maincf_find(&cf, "c"));
    maincf_free(&cf);
    buf_release(&err);
}

static void test_continuation_keeps_whitespace(void **state)
{
    struct maincf cf;
    struct buf err = BUF_INIT;

    /* Comments and blank lines between continuation lines do not end them. */
    assert_int_equal(parse("foo = a   b\n  # comment\n\n   c\nbar = x\n\t\ty\n", &cf, &err), 0);
    assert_int_equal(cf.count, 2);
    assert_string_equal(cf.entry[0].value, "a   b   c");
    assert_int_equal(cf.entry[0].first_line, 1);
    assert_int_equal(cf.entry[0].last_line, 4);
    assert_string_equal(cf.entry[1].value, "x\t\ty");
    maincf_free(&cf);
    buf_release(&err);
}

static void test_override_warning(void **state)
{
    struct maincf cf;
    struct buf err = BUF_INIT;

    assert_int_equal(parse("biff = no\nx = 1\nbiff = maybe\n", &cf, &err), 0);
    assert_int_equal(cf.count, 2);
    assert_string_equal(maincf_find(&cf, "biff")->value, "maybe");
    assert_int_equal(maincf_find(&cf, "biff")->first_line, 3);
    assert_string_equal(warned,
                        "/etc/postern/main.cf, line 3: overriding earlier entry: biff=no\n");
    maincf_free(&cf);
    buf_release(&err);
}

static void test_leading_whitespace_first_line(void **state)
{
    struct maincf cf;
    struct buf err = BUF_INIT;

    assert_int_equal(parse("  leading_whitespace = 1\nx = 2\n", &cf, &err), 0);
    assert_int_equal(cf.count, 1);
    assert_string_equal(warned, "/etc/postern/main.cf: logical line must not start with "
                                "whitespace: \"leading_whitespace = 1\"\n");
    maincf_free(&cf);
    buf_release(&err);
}

static void test_errors(void **state)
{
    struct maincf cf;
    struct buf err = BUF_INIT;

    assert_int_equal(parse("a = 1\nthis line has no equals sign\n", &cf, &err), -1);
    assert_string_equal(buf_str(&err), "/etc/postern/main.cf, line 2: missing '=' after "
                                       "attribute name: \"this line has no equals sign\"");
    assert_int_equal(cf.count, 0);
    buf_reset(&err);
    assert_int_equal(parse("= value_without_name\n", &cf, &err), -1);
    assert_string_equal(buf_str(&err), "/etc/postern/main.cf, line 1: missing attribute name: "
                                       "\"= value_without_name\"");
    buf_release(&err);
}

static void test_crlf_nul_and_no_final_newline(void **state)
{
    struct maincf cf;
    struct buf err = BUF_INIT;
    static const char text[] = "x = 1\r\n y\r\nz = 2\0ignored\nw = 3";

    assert_int_equal(maincf_parse("m", text, sizeof(text) - 1, &cf, &err), 0);
    assert_int_equal(cf.count, 3);
    assert_string_equal(maincf_find(&cf, "x")->value, "1\r y");
    assert_string_equal(maincf_find(&cf, "z")->value, "2");
    assert_string_equal(maincf_find(&cf, "w")->value, "3");
    maincf_free(&cf);
    buf_release(&err);
}

static void test_split_assignment(void **state)
{
    struct buf err = BUF_INIT;
    char a[] = "  relayhost =  [127.0.0.1]:12060 ";
    char b[] = "bogus line without equals";
    char c[] = "x==y";
    char *name;
    char *value;

    assert_int_equal(maincf_split_assignment(a, &name, &value, &err), 0);
    assert_string_equal(name, "relayhost");
    assert_string_equal(value, "[127.0.0.1]:12060");
    assert_int_equal(maincf_split_assignment(b, &name, &value, &err), -1);
    assert_string_equal(buf_str(&err),
                        "missing '=' after attribute name: \"bogus line without equals\"");
    assert_int_equal(maincf_split_assignment(c, &name, &value, &err), 0);
    assert_string_equal(name, "x");
    assert_string_equal(value, "=y");
    buf_release(&err);
}

static void test_load_missing_file(void **state)
{
    struct maincf cf;
    struct buf err = BUF_INIT;

    assert_int_equal(maincf_load("/nonexistent/postern/main.cf", &cf, &err), -1);
    assert_string_equal(buf_str(&err),
                        "open /nonexistent/postern/main.cf: No such file or directory");
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_simple_and_order, setup),
        cmocka_unit_test_setup(test_continuation_keeps_whitespace, setup),
        cmocka_unit_test_setup(test_override_warning, setup),
        cmocka_unit_test_setup(test_leading_whitespace_first_line, setup),
        cmocka_unit_test_setup(test_errors, setup),
        cmocka_unit_test_setup(test_crlf_nul_and_no_final_newline, setup),
        cmocka_unit_test_setup(test_split_assignment, setup),
        cmocka_unit_test_setup(test_load_missing_file, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
