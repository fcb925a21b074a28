/*
 * test_addr_list.c - unit tests of the address list parser and quoting
 * (lib/mail/addr_list.c).
 *
 * Each case parses a header value and compares the result, written as
 * "addr|display|angle" lines, with the expected text: display names, angle
 * addresses, quoted local parts, nested comments, groups, routes, bare
 * names, junk, NUL bytes, the token limit, and every prefix of a hard
 * input (a truncated header must never crash or read past its end: the
 * prefixes are copied into exact-size heap blocks for ASan to watch).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mail/addr_list.h"
#include "util/buf.h"
#include "util/mem.h"

#define RAW(s) (s), (sizeof(s) - 1)

static void parse_text(const char *data, size_t len, size_t limit, struct buf *out)
{
    struct addr_list l;
    size_t n, i;

    addr_list_init(&l);
    n = addr_list_parse(&l, data, len, limit);
    assert_int_equal(n, l.count);
    buf_reset(out);
    for (i = 0; i < l.count; i++)
        buf_printf(out, "%s|%s|%d\n", l.items[i].addr, l.items[i].display, l.items[i].angle);
    addr_list_free(&l);
    assert_int_equal(l.count, 0);
}

static void check_lim(const char *data, size_t len, size_t limit, const char *want)
{
    struct buf got = BUF_INIT;
    char *copy = mem_memdup(data, len ? len : 1);

    parse_text(copy, len, limit, &got);
    if (strcmp(buf_str(&got), want) != 0)
        fail_msg("input \"%.*s\":\n got: %s\nwant: %s", (int)len, data, buf_str(&got), want);
    mem_free(copy);
    buf_release(&got);
}

#define CHECK(in, want) check_lim(RAW(in), 0, want)

static void test_plain(void **state)
{
    (void)state;
    CHECK("a@x", "a@x||0\n");
    CHECK("  a@x  ", "a@x||0\n");
    CHECK("a@x, b@y,c@z", "a@x||0\nb@y||0\nc@z||0\n");
    CHECK("a@x,\n\tb@y", "a@x||0\nb@y||0\n");
    CHECK("", "");
    CHECK("   \n\t ", "");
    CHECK(",,,a@x,,,", "a@x||0\n");
    CHECK("bob", "bob||0\n");
    CHECK("a . b @ x . y", "a.b@x.y||0\n");
    CHECK("u@[1.2.3.4]", "u@[1.2.3.4]||0\n");
    CHECK("u@[ 1.2.3.4 ]", "u@[1.2.3.4]||0\n");
    CHECK("j\xc3\xb6hn@\xc3\xa9x.example", "j\xc3\xb6hn@\xc3\xa9x.example||0\n");
}

static void test_display(void **state)
{
    (void)state;
    CHECK("Name <a@x>", "a@x|Name|1\n");
    CHECK("<a@x>", "a@x||1\n");
    CHECK("<>", "||1\n");
    CHECK("John Q. Public <jqp@x>", "jqp@x|John Q. Public|1\n");
    CHECK("\"Doe, John\" <j@x>, k@y", "j@x|Doe, John|1\nk@y||0\n");
    CHECK("\"a \\\"q\\\" b\" <j@x>", "j@x|a \"q\" b|1\n");
    CHECK("Test  \t Bob<bob@x>", "bob@x|Test Bob|1\n");
    CHECK("Name (c) Last <a@x>", "a@x|Name Last|1\n");
    CHECK("(Just Comment) <a@x>", "a@x|Just Comment|1\n");
    CHECK("=?utf-8?q?J=C3=B6rg?= <j@x>", "j@x|=?utf-8?q?J=C3=B6rg?=|1\n");
    CHECK("A <a@x>, B <b@y>", "a@x|A|1\nb@y|B|1\n");
}

static void test_quoted(void **state)
{
    (void)state;
    CHECK("\"a b\"@x", "a b@x||0\n");
    CHECK("\"a\\\"b\"@x", "a\"b@x||0\n");
    CHECK("\"a@b\"@x", "a@b@x||0\n");
    CHECK("\"a,b\"@x, c@y", "a,b@x||0\nc@y||0\n");
    CHECK("Name <\"a b\"@x>", "a b@x|Name|1\n");
    CHECK("\"\"@x", "@x||0\n");
    /* Unterminated quote: runs to the end, nothing read past it. */
    CHECK("\"abc", "abc||0\n");
    CHECK("Name <\"abc", "abc|Name|1\n");
}

static void test_comments(void **state)
{
    (void)state;
    CHECK("a@x (Full Name)", "a@x|Full Name|0\n");
    CHECK("a@x (Full (nested) Name)", "a@x|Full (nested) Name|0\n");
    CHECK("a(c1)@(c2)x(c3)", "a@x|c3|0\n");
    CHECK("(Name) a@x", "a@x|Name|0\n");
    CHECK("a@x (esc \\) paren)", "a@x|esc ) paren|0\n");
    CHECK("a@x (unterminated (nested", "a@x|unterminated (nested|0\n");
    CHECK("(only a comment)", "");
    CHECK("a@x (c, with comma), b@y", "a@x|c, with comma|0\nb@y||0\n");
}

static void test_groups(void **state)
{
    (void)state;
    CHECK("undisclosed-recipients:;", "");
    CHECK("undisclosed-recipients: ;", "");
    CHECK("team: a@x, b@y;", "a@x||0\nb@y||0\n");
    CHECK("team: a@x, Bee <b@y>;, c@z", "a@x||0\nb@y|Bee|1\nc@z||0\n");
    CHECK("g1: a@x;, g2: ;, g3:b@y", "a@x||0\nb@y||0\n");
    CHECK("\"quoted group\": a@x;", "a@x||0\n");
    CHECK("team: a@x, b@y", "a@x||0\nb@y||0\n");
}

static void test_routes(void **state)
{
    (void)state;
    CHECK("<@a,@b:user@x>", "user@x||1\n");
    CHECK("Name <@a.example:user@x>", "user@x|Name|1\n");
    CHECK("<@a, @b : user@x>, c@y", "user@x||1\nc@y||0\n");
    /* No ':' : not a route, the tokens are kept. */
    CHECK("<@x>", "@x||1\n");
}

static void test_junk(void **state)
{
    (void)state;
    CHECK("a@x junk", "a@x||0\n");
    CHECK("junk a@x", "a@x||0\n");
    CHECK("a@x b@y", "a@x||0\nb@y||0\n");
    CHECK("John Smith", "");
    CHECK("John Smith, a@x", "a@x||0\n");
    CHECK("a@x>, <b@y", "a@x||0\nb@y||1\n");
    CHECK(">>>", "");
    CHECK("]]] a@x", "a@x||0\n");
    CHECK("a@x) b@y", "a@x||0\nb@y||0\n");
    CHECK("Name <a@x> junk", "a@x|Name|1\n");
    CHECK("Name <a@x> <b@y>", "a@x|Name|1\nb@y||1\n");
    CHECK("<a@x", "a@x||1\n");
    CHECK("<<a@x>>", "a@x||1\n");
    CHECK("@", "");
    CHECK(".", "");
    CHECK("a@x; b@y", "a@x||0\nb@y||0\n");
    CHECK(":", "");
    CHECK("a@x:b@y", "a@x||0\nb@y||0\n");
}

static void test_nul_and_binary(void **state)
{
    (void)state;
    check_lim(RAW("a@x,\0b@y"), 0, "a@x||0\nb@y||0\n");
    check_lim(RAW("\"a\0b\"@x"), 0, "ab@x||0\n");
    check_lim(RAW("a@x (c\0m)"), 0, "a@x|cm|0\n");
    check_lim(RAW("\0\0\0"), 0, "");
    check_lim(RAW("N\x01me <a@x>"), 0, "a@x|N\x01me|1\n");
}

static void test_token_limit(void **state)
{
    (void)state;
    /* a @ x , b @ y , c @ z = 11 tokens */
    check_lim(RAW("a@x, b@y, c@z"), 11, "a@x||0\nb@y||0\nc@z||0\n");
    check_lim(RAW("a@x, b@y, c@z"), 0, "a@x||0\nb@y||0\nc@z||0\n");
    /* Cut inside c@z: the partial member is dropped, not taken as "c". */
    check_lim(RAW("a@x, b@y, c@z"), 9, "a@x||0\nb@y||0\n");
    check_lim(RAW("a@x, b@y, c@z"), 5, "a@x||0\n");
    check_lim(RAW("a@x, b@y, c@z "), 11, "a@x||0\nb@y||0\nc@z||0\n");
    check_lim(RAW("a@x"), 1, "");
}

/* Every prefix of hard inputs, in exact-size blocks: no crash, no
 * over-read (ASan), and the count matches the list. */
static void test_prefixes(void **state)
{
    static const char *const inputs[] = {
        "\"Doe, \\\"J\\\"\" (c (n) \\)) <@r1,@r2:\"x y\"@[1.2.3.4]>, g: a(b)@c;, d\\",
        "team: <a@x>, \"q\" <b@y> (z), [lit, <>, <@>, @:;",
        "((((((((((deep",
        "\"\\",
        "[\\",
        "(\\",
        "<@a,@b",
        "a@x, \"",
    };
    struct buf got = BUF_INIT;
    size_t k, n;

    (void)state;
    for (k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++) {
        size_t len = strlen(inputs[k]);

        for (n = 0; n <= len; n++) {
            char *copy = malloc(n ? n : 1);

            assert_non_null(copy);
            memcpy(copy, inputs[k], n);
            parse_text(copy, n, 0, &got);
            parse_text(copy, n, 3, &got);
            free(copy);
        }
    }
    /* The full first input. */
    check_lim(inputs[0], strlen(inputs[0]), 0, "x y@[1.2.3.4]|Doe, \"J\"|1\na@c|b|0\nd\\||0\n");
    buf_release(&got);
}

static void test_append(void **state)
{
    struct addr_list l;

    (void)state;
    /* Parsing appends to a list that already has items. */
    addr_list_init(&l);
    assert_int_equal(addr_list_parse(&l, RAW("a@x"), 0), 1);
    assert_int_equal(addr_list_parse(&l, RAW("b@y, c@z"), 0), 2);
    assert_int_equal(addr_list_parse(&l, RAW("undisclosed-recipients:;"), 0), 0);
    assert_int_equal(l.count, 3);
    assert_string_equal(l.items[2].addr, "c@z");
    addr_list_free(&l);
    addr_list_free(&l);
}

static void quote_ext(const char *in, const char *want)
{
    struct buf out = BUF_INIT;

    buf_set(&out, "pre:");
    addr_quote_external(&out, in);
    if (strcmp(buf_str(&out) + 4, want) != 0)
        fail_msg("quote \"%s\": got %s, want %s", in, buf_str(&out) + 4, want);
    buf_release(&out);
}

static void quote_phr(const char *in, const char *want)
{
    struct buf out = BUF_INIT;

    addr_quote_phrase(&out, in);
    if (strcmp(buf_str(&out), want) != 0)
        fail_msg("phrase \"%s\": got %s, want %s", in, buf_str(&out), want);
    buf_release(&out);
}

static void test_quote(void **state)
{
    (void)state;
    quote_ext("a@x", "a@x");
    quote_ext("a.b+c@x", "a.b+c@x");
    quote_ext("bob", "bob");
    quote_ext("", "");
    quote_ext("a b@x", "\"a b\"@x");
    quote_ext("a@b@x", "\"a@b\"@x");
    quote_ext("a\"b@x", "\"a\\\"b\"@x");
    quote_ext("a\\b@x", "\"a\\\\b\"@x");
    quote_ext(".a@x", "\".a\"@x");
    quote_ext("a.@x", "\"a.\"@x");
    quote_ext("a..b@x", "\"a..b\"@x");
    quote_ext("@x", "\"\"@x");
    quote_ext("a,b", "\"a,b\"");
    quote_ext("j\xc3\xb6hn@x", "j\xc3\xb6hn@x");
    quote_phr("Test Bob", "Test Bob");
    quote_phr("Bob", "Bob");
    quote_phr("Bob J. Smith", "\"Bob J. Smith\"");
    quote_phr("Smith, Bob", "\"Smith, Bob\"");
    quote_phr("a\"b", "\"a\\\"b\"");
    quote_phr("two  spaces", "\"two  spaces\"");
    quote_phr(" lead", "\" lead\"");
    quote_phr("", "\"\"");
    quote_phr("J\xc3\xb6rg", "J\xc3\xb6rg");
}

/* Round trip: the external form of a parsed address parses back to it. */
static void test_round_trip(void **state)
{
    static const char *const addrs[] = {"a b@x", "a\"b@x", "a@b@x", ".a@x", "plain@x", "q\\@x"};
    struct buf ext = BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        struct addr_list l;

        buf_reset(&ext);
        addr_quote_external(&ext, addrs[i]);
        addr_list_init(&l);
        assert_int_equal(addr_list_parse(&l, ext.data, ext.len, 0), 1);
        assert_string_equal(l.items[0].addr, addrs[i]);
        addr_list_free(&l);
    }
    buf_release(&ext);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),       cmocka_unit_test(test_display),
        cmocka_unit_test(test_quoted),      cmocka_unit_test(test_comments),
        cmocka_unit_test(test_groups),      cmocka_unit_test(test_routes),
        cmocka_unit_test(test_junk),        cmocka_unit_test(test_nul_and_binary),
        cmocka_unit_test(test_token_limit), cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_append),      cmocka_unit_test(test_quote),
        cmocka_unit_test(test_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
