/*
 * test_str.c - unit tests for lib/util/str.c (tokenising, trimming, strict
 * number/bool/time parsing, printable copies).
 *
 * The parsers guard configuration and protocol input, so most cases here are
 * rejections: every accepted spelling is pinned down and every near miss
 * (sign, space, suffix, one past the range) must return -1 and leave the
 * output alone. Tokenisers are checked on modifiable copies, as callers use them.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/str.h"

#define TEST_SENTINEL 424242L

/* Splits src (copied) with str_token and compares with the NULL-ended list. */
static void assert_tokens(const char *src, const char *delims, const char *const *expect)
{
    char copy[256];
    char *cursor = copy;
    char *tok;
    size_t i = 0;
    int n;

    n = snprintf(copy, sizeof(copy), "%s", src);
    assert_true(n >= 0 && (size_t)n < sizeof(copy));
    while ((tok = str_token(&cursor, delims)) != NULL) {
        if (expect[i] == NULL) {
            fail_msg("unexpected extra token \"%s\"", tok);
            return;
        }
        assert_string_equal(tok, expect[i]);
        i++;
    }
    assert_null(expect[i]);
    /* Exhausted stays exhausted. */
    assert_null(str_token(&cursor, delims));
    assert_non_null(cursor);
}

static void test_token_basic_and_runs(void **state)
{
    static const char *const abc[] = {"a", "b", "c", NULL};
    static const char *const one[] = {"word", NULL};
    static const char *const none[] = {NULL};

    assert_tokens("a b c", STR_LIST_SEP, abc);
    assert_tokens("a,, b\t\t,c", STR_LIST_SEP, abc);       /* runs of mixed separators */
    assert_tokens(" ,\ta , b,c,\r\n ", STR_LIST_SEP, abc); /* leading and trailing */
    assert_tokens("word", STR_LIST_SEP, one);
    assert_tokens("word", "", one); /* no delimiters: the whole string */
    assert_tokens("", STR_LIST_SEP, none);
    assert_tokens(" , \t\r\n", STR_LIST_SEP, none);
}

static void test_token_modifies_in_place(void **state)
{
    char s[] = "ab,cd";
    char *cursor = s;
    char *tok;

    tok = str_token(&cursor, ",");
    assert_ptr_equal(tok, s);
    assert_string_equal(tok, "ab");
    assert_ptr_equal(cursor, s + 3);
    tok = str_token(&cursor, ",");
    assert_ptr_equal(tok, s + 3);
    assert_string_equal(tok, "cd");
}

static void test_token_null_cursor(void **state)
{
    char *cursor = NULL;
    const char *err = "unchanged";

    assert_null(str_token(&cursor, STR_LIST_SEP));
    assert_null(cursor);
    assert_null(str_token_braced(&cursor, STR_LIST_SEP, &err));
    assert_null(err);
}

static void test_token_braced_groups(void **state)
{
    char s[] = "x, { a, b }, {c} ,y { nested {p q} r }";
    char *cursor = s;
    const char *err = "unset";
    char *tok;

    tok = str_token_braced(&cursor, STR_LIST_SEP, &err);
    assert_string_equal(tok, "x");
    assert_null(err);
    tok = str_token_braced(&cursor, STR_LIST_SEP, &err);
    assert_string_equal(tok, "a, b"); /* outer braces and inner padding removed */
    assert_null(err);
    tok = str_token_braced(&cursor, STR_LIST_SEP, &err);
    assert_string_equal(tok, "c");
    tok = str_token_braced(&cursor, STR_LIST_SEP, &err);
    assert_string_equal(tok, "y");
    tok = str_token_braced(&cursor, STR_LIST_SEP, &err);
    assert_string_equal(tok, "nested {p q} r"); /* inner braces kept whole */
    assert_null(err);
    assert_null(str_token_braced(&cursor, STR_LIST_SEP, &err));
    assert_null(err);
    assert_null(str_token_braced(&cursor, STR_LIST_SEP, &err));
    assert_null(err);
}

static void test_token_braced_empty_group(void **state)
{
    char s[] = "{ } next";
    char *cursor = s;
    const char *err;
    char *tok;

    /* An empty group is an empty token, distinct from the end of the list. */
    tok = str_token_braced(&cursor, STR_LIST_SEP, &err);
    assert_non_null(tok);
    assert_string_equal(tok, "");
    assert_null(err);
    tok = str_token_braced(&cursor, STR_LIST_SEP, &err);
    assert_string_equal(tok, "next");
}

static void test_token_braced_empty_input(void **state)
{
    char s[] = "  ,\t";
    char *cursor = s;
    const char *err = "unset";

    assert_null(str_token_braced(&cursor, STR_LIST_SEP, &err));
    assert_null(err);
}

static void test_token_braced_missing_close(void **state)
{
    static const char *const inputs[] = {"{ a, b", "{", "ok, { a {b} ", "{ {a}"};
    size_t i;

    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char s[64];
        char *cursor = s;
        const char *err = NULL;
        char *tok;

        snprintf(s, sizeof(s), "%s", inputs[i]);
        while ((tok = str_token_braced(&cursor, STR_LIST_SEP, &err)) != NULL)
            assert_string_equal(tok, "ok");
        assert_non_null(err);
        assert_string_equal(err, "missing '}'");
    }
}

static void test_token_braced_garbage_after(void **state)
{
    static const char *const inputs[] = {"{a}b", "{ a }x, c", "{a}}", "{a}{b}"};
    size_t i;

    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char s[64];
        char *cursor = s;
        const char *err = NULL;

        snprintf(s, sizeof(s), "%s", inputs[i]);
        assert_null(str_token_braced(&cursor, STR_LIST_SEP, &err));
        assert_non_null(err);
        assert_string_equal(err, "garbage after '}'");
    }
}

static void test_trim(void **state)
{
    char a[] = "  \t hello world \r\n ";
    char b[] = "";
    char c[] = " \t\n ";
    char d[] = "x";
    char e[] = "x  ";
    char *t;

    t = str_trim(a);
    assert_string_equal(t, "hello world");
    assert_ptr_equal(t, a + 4); /* returns a pointer into the same string */
    assert_string_equal(str_trim(b), "");
    assert_string_equal(str_trim(c), "");
    t = str_trim(d);
    assert_ptr_equal(t, d);
    assert_string_equal(t, "x");
    assert_string_equal(str_trim(e), "x");
    assert_int_equal(e[1], '\0');
}

static void test_lower_and_prefix(void **state)
{
    char s[] = "MiXeD-123";

    assert_ptr_equal(str_lower(s), s);
    assert_string_equal(s, "mixed-123");
    assert_true(str_prefix("smtpd_banner", "smtpd_"));
    assert_true(str_prefix("abc", ""));
    assert_true(str_prefix("abc", "abc"));
    assert_false(str_prefix("ab", "abc"));
    assert_false(str_prefix("SMTPD_x", "smtpd_"));
    assert_true(str_casecmp_prefix("SMTPD_x", "smtpd_"));
    assert_false(str_casecmp_prefix("smtp", "smtpd"));
}

static void assert_long_ok(const char *s, long expect)
{
    long v = TEST_SENTINEL;

    assert_int_equal(str_to_long(s, &v), 0);
    assert_true(v == expect);
}

static void assert_long_bad(const char *s)
{
    long v = TEST_SENTINEL;

    if (str_to_long(s, &v) != -1)
        fail_msg("str_to_long accepted \"%s\" as %ld", s, v);
    assert_true(v == TEST_SENTINEL);
}

static void test_to_long(void **state)
{
    char edge[64];

    assert_long_ok("0", 0);
    assert_long_ok("-5", -5);
    assert_long_ok("42", 42);
    assert_long_ok("007", 7); /* decimal, never octal */
    snprintf(edge, sizeof(edge), "%ld", LONG_MAX);
    assert_long_ok(edge, LONG_MAX);
    snprintf(edge, sizeof(edge), "%ld", LONG_MIN);
    assert_long_ok(edge, LONG_MIN);

    assert_long_bad("");
    assert_long_bad(" 1");
    assert_long_bad("\t1");
    assert_long_bad("1 ");
    assert_long_bad("1\n");
    assert_long_bad("1x");
    assert_long_bad("x1");
    assert_long_bad("-");
    assert_long_bad("0x10");
    assert_long_bad("1.5");
    assert_long_bad("99999999999999999999");
    assert_long_bad("-99999999999999999999");
    /* One past each end (assumes the usual two's complement LONG_MIN = -LONG_MAX - 1). */
    snprintf(edge, sizeof(edge), "%lu", (unsigned long)LONG_MAX + 1);
    assert_long_bad(edge);
    snprintf(edge, sizeof(edge), "-%lu", (unsigned long)LONG_MAX + 2);
    assert_long_bad(edge);
}

static void test_to_bool(void **state)
{
    static const char *const yes[] = {"yes", "YES", "Yes", "yEs", "true", "TRUE", "True", "tRuE"};
    static const char *const no[] = {"no", "NO", "No", "nO", "false", "FALSE", "False", "fAlSe"};
    static const char *const bad[] = {"maybe", "",     "y",   "n",    "1",   "0",   "on",
                                      "off",   "yes ", " no", "yess", "tru", "no\n"};
    size_t i;
    int v;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        v = -7;
        assert_int_equal(str_to_bool(yes[i], &v), 0);
        assert_int_equal(v, 1);
    }
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        v = -7;
        assert_int_equal(str_to_bool(no[i], &v), 0);
        assert_int_equal(v, 0);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = -7;
        if (str_to_bool(bad[i], &v) != -1)
            fail_msg("str_to_bool accepted \"%s\"", bad[i]);
        assert_int_equal(v, -7);
    }
}

static void assert_time_ok(const char *s, int unit, long expect)
{
    long v = TEST_SENTINEL;

    if (str_to_time(s, unit, &v) != 0)
        fail_msg("str_to_time rejected \"%s\" (unit '%c')", s, unit);
    assert_true(v == expect);
}

static void assert_time_bad(const char *s, int unit)
{
    long v = TEST_SENTINEL;

    if (str_to_time(s, unit, &v) != -1)
        fail_msg("str_to_time accepted \"%s\" (unit '%c') as %ld", s, unit, v);
    assert_true(v == TEST_SENTINEL);
}

static void test_to_time_default_unit(void **state)
{
    assert_time_ok("10", 's', 10);
    assert_time_ok("10", 'm', 600);
    assert_time_ok("10", 'h', 36000);
    assert_time_ok("10", 'd', 864000);
    assert_time_ok("10", 'w', 6048000);
    assert_time_ok("0", 'd', 0);
    assert_time_bad("10", 'x'); /* an unknown default unit is an error, not seconds */
    assert_time_bad("10", 0);
}

static void test_to_time_suffix(void **state)
{
    /* An explicit suffix wins over the default unit. */
    assert_time_ok("10s", 'd', 10);
    assert_time_ok("5m", 's', 300);
    assert_time_ok("2h", 's', 7200);
    assert_time_ok("1d", 's', 86400);
    assert_time_ok("1w", 's', 604800);
    assert_time_ok("0w", 's', 0);
    assert_time_ok("3600s", 'h', 3600);
}

static void test_to_time_rejects(void **state)
{
    assert_time_bad("5x", 's');
    assert_time_bad("s", 's');
    assert_time_bad("", 's');
    assert_time_bad("-1", 's');
    assert_time_bad("+1", 's');
    assert_time_bad(" 1", 's');
    assert_time_bad("1 ", 's');
    assert_time_bad("1 s", 's');
    assert_time_bad("10ss", 's');
    assert_time_bad("10sm", 's');
    assert_time_bad("1.5h", 's');
    assert_time_bad("99999999999999999999", 's');
    assert_time_bad("99999999999999999999s", 's');
}

static void test_to_time_overflow_boundary(void **state)
{
    static const struct {
        char unit;
        long mult;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    char s[64];
    size_t i;

    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        long max = LONG_MAX / units[i].mult;

        /* Largest count that fits, with suffix and as a default unit ... */
        snprintf(s, sizeof(s), "%ld%c", max, units[i].unit);
        assert_time_ok(s, 's', max * units[i].mult);
        snprintf(s, sizeof(s), "%ld", max);
        assert_time_ok(s, units[i].unit, max * units[i].mult);
        if (units[i].mult == 1)
            continue; /* LONG_MAX + 1 seconds is already covered by strtol overflow */
        /* ... and one more, whose product no longer fits in a long. */
        snprintf(s, sizeof(s), "%ld%c", max + 1, units[i].unit);
        assert_time_bad(s, 's');
        snprintf(s, sizeof(s), "%ld", max + 1);
        assert_time_bad(s, units[i].unit);
    }
}

static void test_printable(void **state)
{
    static const unsigned char in[] = {'a',  0x00, 'b',  0x01, 0x1f, ' ',  '~',  0x7f,
                                       0x80, 0xc3, 0xa9, 0xff, '\t', '\r', '\n', 'z'};
    struct buf out = BUF_INIT;
    const char *res;

    res = str_printable(&out, in, sizeof(in));
    assert_ptr_equal(res, buf_str(&out));
    assert_string_equal(res, "a?b?? ~????????z");
    assert_int_equal(buf_len(&out), sizeof(in));
    /* It appends; it does not replace. */
    str_printable(&out, "ok\x1b", 3);
    assert_string_equal(buf_str(&out), "a?b?? ~????????zok?");
    buf_release(&out);
    /* Zero bytes on an empty buffer: still a valid empty string. */
    res = str_printable(&out, "", 0);
    assert_string_equal(res, "");
    assert_int_equal(buf_len(&out), 0);
    buf_release(&out);
}

static void test_printable_all_bytes(void **state)
{
    unsigned char in[256];
    struct buf out = BUF_INIT;
    size_t i;

    for (i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)i;
    str_printable(&out, in, sizeof(in));
    assert_int_equal(buf_len(&out), 256);
    for (i = 0; i < 256; i++) {
        char expect = (char)((i >= 0x20 && i <= 0x7e) ? i : '?');

        if (out.data[i] != expect)
            fail_msg("byte 0x%02zx became 0x%02x", i, (unsigned char)out.data[i]);
    }
    buf_release(&out);
}

/* Postfix list syntax: separators inside {braces} do not split a token. */
static void test_token_list(void **state)
{
    char text[] = " check_sender_access inline:{ a@x=OK, { b@y = REJECT no } },"
                  "permit_mynetworks\treject  {unbalanced";
    char *cursor = text;

    (void)state;
    assert_string_equal(str_token_list(&cursor), "check_sender_access");
    assert_string_equal(str_token_list(&cursor), "inline:{ a@x=OK, { b@y = REJECT no } }");
    assert_string_equal(str_token_list(&cursor), "permit_mynetworks");
    assert_string_equal(str_token_list(&cursor), "reject");
    assert_string_equal(str_token_list(&cursor), "{unbalanced");
    assert_null(str_token_list(&cursor));
    assert_null(str_token_list(&cursor));
    cursor = NULL;
    assert_null(str_token_list(&cursor));
}

static void test_token_list_checked(void **state)
{
    char text[] = "a inline:{ x=1, y=2 } b {open c";
    char *cursor = text;
    const char *err = "stale";

    (void)state;
    assert_string_equal(str_token_list_checked(&cursor, &err), "a");
    assert_null(err);
    assert_string_equal(str_token_list_checked(&cursor, &err), "inline:{ x=1, y=2 }");
    assert_string_equal(str_token_list_checked(&cursor, &err), "b");
    assert_null(str_token_list_checked(&cursor, &err));
    assert_string_equal(err, "missing '}'");
    /* The cursor is at the end: nothing more. */
    assert_null(str_token_list_checked(&cursor, &err));
    assert_null(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_list),
        cmocka_unit_test(test_token_list_checked),
        cmocka_unit_test(test_token_basic_and_runs),
        cmocka_unit_test(test_token_modifies_in_place),
        cmocka_unit_test(test_token_null_cursor),
        cmocka_unit_test(test_token_braced_groups),
        cmocka_unit_test(test_token_braced_empty_group),
        cmocka_unit_test(test_token_braced_empty_input),
        cmocka_unit_test(test_token_braced_missing_close),
        cmocka_unit_test(test_token_braced_garbage_after),
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_lower_and_prefix),
        cmocka_unit_test(test_to_long),
        cmocka_unit_test(test_to_bool),
        cmocka_unit_test(test_to_time_default_unit),
        cmocka_unit_test(test_to_time_suffix),
        cmocka_unit_test(test_to_time_rejects),
        cmocka_unit_test(test_to_time_overflow_boundary),
        cmocka_unit_test(test_printable),
        cmocka_unit_test(test_printable_all_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
