/*
 * test_dict_regexp.c - unit tests for lib/dict/dict_regexp.c: Postfix's
 * regexp_table(5) and pcre_table(5) examples, flags (i x m and PCRE's s A E
 * U X), negation, if/endif nesting, $n and ${n} substitution, and every
 * parse warning with its file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "dict/dict.h"
#include "dict/dict_regexp.h"
#include "test_dict_common.h"

static struct dict *load(const char *type, const char *text)
{
    struct dict *d = dict_regexp_new(type, "/etc/t", DICT_FLAGS_LOOKUP);

    dict_regexp_load(d, text, strlen(text), NULL);
    return d;
}

static void expect(struct dict *d, const char *key, int want_rc, const char *want_value)
{
    const char *value = NULL;

    if (dict_lookup(d, key, &value) != want_rc)
        fail_msg("lookup \"%s\": not the expected result", key);
    if (want_value != NULL)
        assert_string_equal(value, want_value);
}

static const char reference_regexp[] =
    "# header checks style\n"
    "/^Subject:.*viagra/    REJECT spam subject\n"
    "/^From: (.*)@old\\.example\\.test$/   FROM $1@new.example.test\n"
    "/(^|@)example\\.test$/  OK\n"
    "/^x-(.+)$/i            found ${1} (the i flag makes this rule case-SENSITIVE)\n"
    "!/@/                   DUNNO no at-sign\n";

static void test_regexp_reference(void **state)
{
    struct dict *d = load("regexp", reference_regexp);

    (void)state;
    expect(d, "Subject: cheap VIAGRA now", DICT_FOUND, "REJECT spam subject");
    expect(d, "From: joe@old.example.test", DICT_FOUND, "FROM joe@new.example.test");
    expect(d, "user@example.test", DICT_FOUND, "OK");
    expect(d, "localpart-only", DICT_FOUND, "DUNNO no at-sign");
    expect(d, "x-thing", DICT_FOUND, "found thing (the i flag makes this rule case-SENSITIVE)");
    expect(d, "X-Thing", DICT_FOUND, "DUNNO no at-sign");
    expect(d, "nothing@else.example", DICT_NOTFOUND, NULL);
    assert_string_equal(buf_str(&warned), "");
    assert_int_equal(dict_sequence(d, 1, &(const char *){NULL}, &(const char *){NULL}), DICT_ERROR);
    dict_close(d);
}

static void test_regexp_errors(void **state)
{
    struct dict *d = load("regexp", "/good/ OK\n"
                                    "/unbalanced(/ REJECT\n"
                                    "/no-closing-delimiter REJECT\n"
                                    "/x/q REJECT bad flag\n"
                                    "/bad-ref/ REJECT $3\n"
                                    "if /foo/\n"
                                    "/bar/ OK\n");

    (void)state;
    expect(d, "good", DICT_FOUND, "OK");
    assert_string_equal(
        buf_str(&warned),
        "regexp map /etc/t, line 2: Unmatched ( or \\(\n"
        "regexp map /etc/t, line 3: no closing regexp delimiter \"/\": skipping this rule\n"
        "regexp map /etc/t, line 4: unknown regexp option \"q\": skipping this rule\n"
        "regexp map /etc/t, line 5: out of range replacement index \"3\": skipping this rule\n"
        "regexp map /etc/t, line 6: IF has no matching ENDIF\n");
    /* The unterminated IF still guards what follows it. */
    expect(d, "bar", DICT_NOTFOUND, NULL);
    expect(d, "foobar", DICT_FOUND, "OK");
    dict_close(d);
    buf_reset(&warned);
    d = load("regexp", "endif\n/x/\n/(a)/ $x\n/(a)/ ${1\n/(a)/ a$\n/(a)/ $0\n!/(a)/ $1\nabc/ r\n"
                       "/(b)/ $$ ok $1\n");
    assert_string_equal(
        buf_str(&warned),
        "regexp map /etc/t, line 1: ignoring ENDIF without matching IF\n"
        "regexp map /etc/t, line 2: no replacement text: using empty string\n"
        "regexp map /etc/t, line 3: non-numeric replacement index \"x\"\n"
        "regexp map /etc/t, line 3: bad replacement syntax: skipping this rule\n"
        "truncated macro reference: \"${1\"\n"
        "regexp map /etc/t, line 4: bad replacement syntax: skipping this rule\n"
        "empty macro name: \"a$\"\n"
        "regexp map /etc/t, line 5: bad replacement syntax: skipping this rule\n"
        "regexp map /etc/t, line 6: out-of-range replacement index \"0\"\n"
        "regexp map /etc/t, line 6: bad replacement syntax: skipping this rule\n"
        "regexp map /etc/t, line 7: $number found in negative match replacement text: skipping "
        "this rule\n"
        "regexp map /etc/t, line 8: ignoring unrecognized request\n");
    expect(d, "x", DICT_FOUND, "");
    expect(d, "b", DICT_FOUND, "$ ok b");
    expect(d, "a", DICT_NOTFOUND, NULL);
    dict_close(d);
}

static void test_regexp_if_flags_delims(void **state)
{
    struct dict *d = load("regexp", "if /@example\\.com$/\n"
                                    "if !/^admin/\n"
                                    "/^(.*)\\+(.*)@/ user=$1 ext=${2}\n"
                                    "endif\n"
                                    "/./ inner\n"
                                    "ENDIF\n"
                                    "%^a/b%  slash in pattern\n"
                                    "/^CaSe$/i exact case\n"
                                    "/^multi$/m multiline\n"
                                    "/^a b$/x extended-off\n"
                                    "/(x)|(y)/ [$1][$2]\n");

    (void)state;
    expect(d, "joe+lists@example.com", DICT_FOUND, "user=joe ext=lists");
    expect(d, "admin+x@example.com", DICT_FOUND, "inner"); /* negated IF skipped its block */
    expect(d, "joe+z@test.org", DICT_NOTFOUND, NULL);      /* outer IF fails: block skipped */
    expect(d, "a/b", DICT_FOUND, "slash in pattern");
    expect(d, "CaSe", DICT_FOUND, "exact case");
    expect(d, "case", DICT_NOTFOUND, NULL);
    expect(d, "first\nmulti", DICT_FOUND, "multiline");
    expect(d, "a b", DICT_FOUND, "extended-off"); /* basic RE: still matches literally */
    expect(d, "y", DICT_FOUND, "[][y]");          /* unmatched group expands to nothing */
    assert_string_equal(buf_str(&warned), "");
    dict_close(d);
}

static void test_pcre(void **state)
{
    struct dict *d =
        load("pcre", "/^(\\w+)\\+(\\w+)@example\\.test$/   $1@example.test (ext $2)\n"
                     "/^CASE$/    case-insensitive by default\n"
                     "/^Strict$/i strict case (the i flag toggles case sensitivity ON)\n"
                     "/^a.b$/s dotall\n"
                     "/^(a+?)b/U ungreedy-toggled=$1\n"
                     "!/\\./      no dot\n");

    (void)state;
    expect(d, "alice+lists@example.test", DICT_FOUND, "alice@example.test (ext lists)");
    expect(d, "case", DICT_FOUND, "case-insensitive by default");
    expect(d, "Strict", DICT_FOUND, "strict case (the i flag toggles case sensitivity ON)");
    expect(d, "strict", DICT_FOUND, "no dot");
    expect(d, "a\nb", DICT_FOUND, "dotall");
    expect(d, "aaab", DICT_FOUND, "ungreedy-toggled=aaa");
    expect(d, "with.dot", DICT_NOTFOUND, NULL);
    assert_string_equal(buf_str(&warned), "");
    dict_close(d);
    d = load("pcre", "/(unclosed/ REJECT\n/ok/ OK\n/a/Q x\n/(a)/ $2\n");
    expect(d, "ok", DICT_FOUND, "OK");
    assert_string_equal(
        buf_str(&warned),
        "pcre map /etc/t, line 1: error in regex at offset 9: missing closing parenthesis\n"
        "pcre map /etc/t, line 3: unknown regexp option \"Q\": skipping this rule\n"
        "pcre map /etc/t, line 4: out of range replacement index \"2\": skipping this rule\n");
    dict_close(d);
}

static void test_open_file(void **state)
{
    char *path = write_file("/^a/ one\n  continued\n");
    struct buf spec = BUF_INIT;
    struct buf err = BUF_INIT;
    struct dict *d;

    (void)state;
    buf_printf(&spec, "regexp:%s", path);
    d = dict_open(buf_str(&spec), DICT_FLAGS_LOOKUP, &err);
    assert_non_null(d);
    expect(d, "abc", DICT_FOUND, "one  continued");
    expect(d, "ABC", DICT_FOUND, "one  continued"); /* not folded, but case-insensitive */
    dict_close(d);
    unlink(path);
    free(path);
    buf_release(&spec);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_regexp_reference, setup),
        cmocka_unit_test_setup(test_regexp_errors, setup),
        cmocka_unit_test_setup(test_regexp_if_flags_delims, setup),
        cmocka_unit_test_setup(test_pcre, setup),
        cmocka_unit_test_setup(test_open_file, setup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    buf_release(&warned);
    return rc;
}
