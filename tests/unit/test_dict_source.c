/*
 * test_dict_source.c - unit tests for lib/dict/dict_source.c: logical lines
 * (continuation, comments, blank lines, CR, length limit, line numbers) and
 * the postmap and postalias record syntaxes with their exact warnings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "dict/dict_source.h"
#include "test_dict_common.h"

/* All logical lines of text as "lineno:text|". */
static void lines_of(const char *text, size_t max_line, struct buf *out)
{
    struct dict_source s;

    dict_source_init_mem(&s, text, strlen(text), "t");
    s.max_line = max_line;
    buf_reset(out);
    while (dict_source_next(&s))
        buf_printf(out, "%d:%s|", s.lineno, buf_str(&s.line));
    dict_source_release(&s);
}

static void test_logical_lines(void **state)
{
    struct buf out = BUF_INIT;

    (void)state;
    lines_of("", 0, &out);
    assert_string_equal(buf_str(&out), "");
    lines_of("a b", 0, &out); /* no final newline */
    assert_string_equal(buf_str(&out), "1:a b|");
    lines_of("# c\nfoo bar\n  \n\n  cont\n#c\n  cont2\nx y\r\n", 0, &out);
    assert_string_equal(buf_str(&out), "2:foo bar  cont  cont2|8:x y|");
    lines_of("  # indented comment\n\tk v\n  more\nx y\n", 0, &out);
    assert_string_equal(buf_str(&out), "4:x y|"); /* nothing to continue: dropped */
    assert_string_equal(buf_str(&warned),
                        "t: logical line must not start with whitespace: \"\tk v\"\n"
                        "t: logical line must not start with whitespace: \"  more\"\n");
    lines_of("k 0123456789\n more\n", 6, &out);
    assert_string_equal(buf_str(&out), "1:k 0123|");
    buf_release(&out);
}

static void test_file_reader(void **state)
{
    char *path = write_file("a 1\n b\nc 2");
    FILE *fp = fopen(path, "r");
    struct dict_source s;

    (void)state;
    assert_non_null(fp);
    dict_source_init_file(&s, fp, path);
    assert_int_equal(dict_source_next(&s), 1);
    assert_string_equal(buf_str(&s.line), "a 1 b");
    assert_int_equal(dict_source_next(&s), 1);
    assert_string_equal(buf_str(&s.line), "c 2");
    assert_int_equal(s.lineno, 3);
    assert_int_equal(dict_source_next(&s), 0);
    assert_int_equal(dict_source_next(&s), 0);
    dict_source_release(&s);
    fclose(fp);
    unlink(path);
    free(path);
}

static void test_split(void **state)
{
    struct dict_source s;
    char line1[] = "  key   value with  spaces  \t";
    char line2[] = "novalue";
    char line3[] = "key: value";
    char *k, *v;

    (void)state;
    dict_source_init_mem(&s, "", 0, "/etc/x");
    s.lineno = 10;
    assert_int_equal(dict_source_split(&s, line1, &k, &v), 0);
    assert_string_equal(k, "key");
    assert_string_equal(v, "value with  spaces");
    assert_int_equal(dict_source_split(&s, line2, &k, &v), -1);
    assert_string_equal(buf_str(&warned),
                        "/etc/x, line 10: expected format: key whitespace value\n");
    buf_reset(&warned);
    assert_int_equal(dict_source_split(&s, line3, &k, &v), 0);
    assert_string_equal(buf_str(&warned), "/etc/x, line 10: record is in \"key: value\" format; is "
                                          "this an alias file?\n");
    dict_source_release(&s);
}

static void alias(const char *text, int want, const char *want_key, const char *want_value)
{
    struct dict_source s;
    struct buf value = BUF_INIT;
    char *line = strdup(text);
    char *k;

    dict_source_init_mem(&s, "", 0, "aliases");
    s.lineno = 9;
    assert_int_equal(dict_source_split_alias(&s, line, &k, &value), want);
    if (want == 0) {
        assert_string_equal(k, want_key);
        assert_string_equal(buf_str(&value), want_value);
    }
    buf_release(&value);
    dict_source_release(&s);
    free(line);
}

static void test_alias_split(void **state)
{
    (void)state;
    alias("Team: alice, bob,  carol", 0, "Team", "alice, bob, carol");
    alias("quoted: \"|/bin/cat\"", 0, "quoted", "\"|/bin/cat\"");
    alias("q: \"a, b\" , c,,", 0, "q", "\"a, b\", c");
    alias("include: :include:/tmp/list", 0, "include", ":include:/tmp/list");
    alias("\"odd name\": x", 0, "odd name", "x");
    alias("a\\:b: x", 0, "a\\:b", "x");
    assert_string_equal(buf_str(&warned), "");
    alias("nocolon alice", -1, NULL, NULL);
    alias(": x", -1, NULL, NULL);
    alias("empty:  , ", -1, NULL, NULL);
    assert_string_equal(buf_str(&warned), "aliases, line 9: need name:value pair\n"
                                          "aliases, line 9: need name:value pair\n"
                                          "aliases, line 9: need name:value pair\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_logical_lines, setup),
        cmocka_unit_test_setup(test_file_reader, setup),
        cmocka_unit_test_setup(test_split, setup),
        cmocka_unit_test_setup(test_alias_split, setup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    buf_release(&warned);
    return rc;
}
