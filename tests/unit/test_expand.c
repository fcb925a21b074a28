/*
 * test_expand.c - unit tests for lib/conf/expand.c: every expansion form,
 * conditionals, compatibility-level comparisons, loops and syntax errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conf/expand.h"

static const char *const table[][2] = {
    {"myhostname", "mx.example.com"},
    {"mydomain", "example.com"},
    {"empty", ""},
    {"level", "3.6"},
    {"nested", "$myhostname/$mydomain"},
    {"loop_a", "x$loop_b"},
    {"loop_b", "y${loop_a}"},
    {"self", "$self"},
    {"deep0", "$deep1"},
};

static char undefined_seen[256];

static const char *lookup(const char *name, void *ctx)
{
    size_t i;

    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i][0], name) == 0)
            return table[i][1];
    return NULL;
}

static void undefined(const char *name, void *ctx)
{
    strncat(undefined_seen, name, sizeof(undefined_seen) - strlen(undefined_seen) - 2);
    strcat(undefined_seen, ",");
}

static const struct expand_source src = {lookup, undefined, NULL};

static void check(const char *text, const char *want)
{
    struct buf out = BUF_INIT;
    struct buf err = BUF_INIT;

    if (expand_text(text, &src, &out, &err) != 0)
        fail_msg("expand \"%s\": %s", text, buf_str(&err));
    assert_string_equal(buf_str(&out), want);
    buf_release(&out);
    buf_release(&err);
}

static void check_error(const char *text, const char *want_err)
{
    struct buf out = BUF_INIT;
    struct buf err = BUF_INIT;

    assert_int_equal(expand_text(text, &src, &out, &err), -1);
    assert_string_equal(buf_str(&err), want_err);
    buf_release(&out);
    buf_release(&err);
}

static void test_plain_forms(void **state)
{
    check("", "");
    check("no dollars", "no dollars");
    check("$myhostname", "mx.example.com");
    check("${myhostname}", "mx.example.com");
    check("$(myhostname)", "mx.example.com");
    check("a.$mydomain.b", "a.example.com.b");
    check("$myhostname$mydomain", "mx.example.comexample.com");
    check("$nested", "mx.example.com/example.com");
    check("cost $", "cost $");
    check("$-x", "$-x");
}

static void test_undefined_is_empty_and_reported(void **state)
{
    undefined_seen[0] = '\0';
    check("[$nosuch]", "[]");
    check("${other}", "");
    assert_string_equal(undefined_seen, "nosuch,other,");
}

static void test_conditionals(void **state)
{
    check("${mydomain?yes}", "yes");
    check("${empty?yes}", "");
    check("${nosuch?yes}", "");
    check("${mydomain:no}", "");
    check("${empty:fallback $mydomain}", "fallback example.com");
    check("${mydomain?{$myhostname}:{other}}", "mx.example.com");
    check("${empty?{$myhostname}:{other}}", "other");
    check("${empty?{a}}", "");
    check("${nosuch:{b}}", "b");
    check("${stress?{10}:{300}}s", "300s");
}

static void test_relations(void **state)
{
    check("${{$level} <level {2} ? {old} : {new}}", "new");
    check("${{$level} <level {3.6} ? {md5} : {sha256}}", "sha256");
    check("${{$level} <=level {3.6} ? {le} : {gt}}", "le");
    check("${{0} <level {1} ? {no} : {yes}}", "no");
    check("${{3.10} >level {3.9} ? {newer} : {older}}", "newer");
    check("${{dane} == {dane} ? {dane} : {may}}", "dane");
    check("${{may} == {dane} ? {dane} : {may}}", "may");
    check("${{a} != {b} ? {diff}}", "diff");
    check("${{10} < {9} ? {lt} : {ge}}", "ge");
    check("${{$level} ==level {3.6.0} ? {same}}", "same");
}

static void test_level_compare(void **state)
{
    assert_int_equal(expand_compare_levels("3.6", "2"), 1);
    assert_int_equal(expand_compare_levels("2", "3.6"), -1);
    assert_int_equal(expand_compare_levels("3.6", "3.6.0"), 0);
    assert_int_equal(expand_compare_levels("3.10", "3.9"), 1);
    assert_int_equal(expand_compare_levels("x", "1"), -2);
    assert_int_equal(expand_compare_levels("1.", "1"), -2);
    assert_int_equal(expand_compare_levels("1.2.3.4", "1"), -2);
}

static void test_loops(void **state)
{
    check_error("$loop_a", "parameter loop_a: recursive reference to $loop_a");
    check_error("${self}", "parameter self: recursive reference to $self");
}

static void test_syntax_errors(void **state)
{
    check_error("${unbalanced", "unbalanced '{' in \"${unbalanced\"");
    check_error("$(paren", "unbalanced '(' in \"$(paren\"");
    check_error("${}", "bad parameter name syntax in \"${}\"");
    check_error("${a b}", "bad parameter name syntax in \"${a b}\"");
    check_error("${{a} =< {b} ? {t}}", "unknown operator \"=<\"");
    check_error("${{a} {b} ? {t}}", "missing operator in \"${{a} {b} ? {t}}\"");
    check_error("${{a} == {b} {t}}", "missing '?' in \"${{a} == {b} {t}}\"");
    check_error("${{x} <level {2} ? {a}}", "bad compatibility level in \"x\" or \"2\"");
    check_error("${mydomain?{a}:{b} junk}", "garbage after \"${mydomain?{a}:{b} \"");
}

static char refs[256];

static void collect(const char *name, void *ctx)
{
    strncat(refs, name, sizeof(refs) - strlen(refs) - 2);
    strcat(refs, ",");
}

static void test_references(void **state)
{
    refs[0] = '\0';
    expand_references("$a ${b} $(c) ${d?x} $ $$e text ${{$f} == {1} ? {$g}}", collect, NULL);
    assert_string_equal(refs, "a,b,c,d,e,f,g,");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_forms),
        cmocka_unit_test(test_undefined_is_empty_and_reported),
        cmocka_unit_test(test_conditionals),
        cmocka_unit_test(test_relations),
        cmocka_unit_test(test_level_compare),
        cmocka_unit_test(test_loops),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_references),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
