/*
 * test_smtp_addr.c - unit tests for lib/smtp/smtp_addr.c (RFC 5321 paths,
 * external/internal forms, relay-check helpers).
 *
 * The accept/refuse table follows the Postfix 3.7.11 reference sessions
 * (A8, A9, A12) for the default lenient mode and RFC 5321 for the strict
 * one; every relay trick of issue 4 is parsed and its flags checked, and
 * every accepted address must survive externalize -> internalize.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp_addr.h"
#include "util/buf.h"

#define LENIENT 0
#define STRICT  SMTP_ADDR_STRICT
#define UTF8    SMTP_ADDR_UTF8
#define NULLOK  SMTP_ADDR_NULL_OK

struct addr_case {
    const char *path;
    int flags;
    const char *internal; /* NULL: must be refused */
    int routed;
};

static const struct addr_case cases[] = {
    /* Reference A8/A9 (lenient, the default). */
    {"<sender@client.example.test>", NULLOK, "sender@client.example.test", 0},
    {"<sender@client.example.test", NULLOK, NULL, 0},
    {"sender@client.example.test>", NULLOK, NULL, 0},
    {"sender@client.example.test", NULLOK, "sender@client.example.test", 0},
    {"<sender with space@client.example.test>", NULLOK, NULL, 0},
    {"<\"quoted local\"@client.example.test>", NULLOK, "quoted local@client.example.test", 0},
    {"<@route.example.test:sender@client.example.test>", NULLOK, "sender@client.example.test", 1},
    {"<@a.example,@b.example:u@c.example>", NULLOK, "u@c.example", 1},
    {"<@a.example,b.example:u@c.example>", NULLOK, NULL, 0},
    {"<@a..example:u@c.example>", NULLOK, NULL, 0},
    {"<@a.example:>", NULLOK, NULL, 0},
    {"<sender@[192.0.2.1]>", NULLOK, "sender@[192.0.2.1]", 0},
    {"<sender@[IPv6:2001:db8::1]>", NULLOK, "sender@[IPv6:2001:db8::1]", 0},
    {"<sender@[ipv6:::1]>", NULLOK, "sender@[ipv6:::1]", 0},
    {"<sender@[192.0.2.256]>", NULLOK, NULL, 0},
    {"<sender@[IPv6:192.0.2.1]>", NULLOK, NULL, 0},
    {"<sender@[2001:db8::1]>", NULLOK, NULL, 0},
    {"<sender@[]>", NULLOK, NULL, 0},
    {"<sender@[192.0.2.1>", NULLOK, NULL, 0},
    {"<sender@client..example.test>", NULLOK, NULL, 0},
    {"<sender@.client.example.test>", NULLOK, NULL, 0},
    {"<sender>", NULLOK, "sender", 0},
    {"<<sender@client.example.test>>", NULLOK, "sender@client.example.test", 0},
    {"<<sender@client.example.test>", NULLOK, NULL, 0},
    {"<>", NULLOK, "", 0},
    {"<>", 0, NULL, 0},
    {"<<>>", NULLOK, "", 0},
    {"", NULLOK, NULL, 0},
    {"<alice@>", 0, NULL, 0},
    {"<@mx.example.test>", 0, "@mx.example.test", 0},
    {"<@>", 0, NULL, 0},
    {"<@@x>", 0, NULL, 0},
    {"<postmaster>", 0, "postmaster", 0},
    {"<\"a@b\">", 0, NULL, 0},
    {"<\"a@b\"c>", 0, NULL, 0},
    {"<\"a@b\"@c>", 0, "a@b@c", 0},
    /* Relay tricks: all parse; the flags tell smtpd what they are. */
    {"<user%other@here>", 0, "user%other@here", 0},
    {"<other!user@here>", 0, "other!user@here", 0},
    {"<\"user@other\"@here>", 0, "user@other@here", 0},
    {"<user@other.@here>", 0, "user@other.@here", 0},
    {"<user@here.>", 0, "user@here.", 0},
    {"<user@here..>", 0, NULL, 0},
    /* Characters. */
    {"<a\"b\"c@x>", 0, "abc@x", 0},
    {"<\"a\\\"b\"@x>", 0, "a\"b@x", 0},
    {"<\"a\\\\b\"@x>", 0, "a\\b@x", 0},
    {"<\"unterminated@x>", 0, NULL, 0},
    {"<a\tb@x>", 0, NULL, 0},
    {"<\"a\tb\"@x>", 0, NULL, 0},
    {"<a(b)@x>", 0, NULL, 0},
    {"<a,b@x>", 0, NULL, 0},
    {"<a;b@x>", 0, NULL, 0},
    {"<a:b@x>", 0, NULL, 0},
    {"<a<b@x>", 0, NULL, 0},
    {"<a..b@x>", 0, "a..b@x", 0},
    {"<.a@x>", 0, ".a@x", 0},
    {"<a_b@my_host.example>", 0, "a_b@my_host.example", 0},
    {"<a@-x-.example>", 0, "a@-x-.example", 0},
    {"<a@x!y>", 0, NULL, 0},
    {"<!#$%&'*+-/=?^_`{|}~@x>", 0, "!#$%&'*+-/=?^_`{|}~@x", 0},
    /* UTF-8 only when allowed, and only well-formed. */
    {"<j\xc3\xb6rg@example.test>", 0, NULL, 0},
    {"<j\xc3\xb6rg@example.test>", UTF8, "j\xc3\xb6rg@example.test", 0},
    {"<u@b\xc3\xbc\x63her.example>", UTF8, "u@b\xc3\xbc\x63her.example", 0},
    {"<j\xc3rg@example.test>", UTF8, NULL, 0},
    {"<j\xc0\xafrg@example.test>", UTF8, NULL, 0},
    {"<j\xed\xa0\x80@example.test>", UTF8, NULL, 0},
    /* Strict RFC 5321. */
    {"<sender@client.example.test>", STRICT, "sender@client.example.test", 0},
    {"sender@client.example.test", STRICT, NULL, 0},
    {"<<sender@client.example.test>>", STRICT, NULL, 0},
    {"<sender>", STRICT, NULL, 0},
    {"<Postmaster>", STRICT, "Postmaster", 0},
    {"<a..b@x>", STRICT, NULL, 0},
    {"<a.@x>", STRICT, NULL, 0},
    {"<\"a..b\"@x>", STRICT, "a..b@x", 0},
    {"<a\"b\"@x>", STRICT, NULL, 0},
    {"<user@other@here>", STRICT, NULL, 0},
    {"<user@here.>", STRICT, NULL, 0},
    {"<@mx.example.test>", STRICT, NULL, 0},
    {"<a@-x.example>", STRICT, NULL, 0},
    {"<a@x_y.example>", STRICT, NULL, 0},
    {"<@a.example:u@c.example>", STRICT, "u@c.example", 1},
    {"<>", STRICT | NULLOK, "", 0},
};

static void test_parse_table(void **state)
{
    struct smtp_addr addr;
    struct buf ext = BUF_INIT;
    struct buf back = BUF_INIT;

    (void)state;
    smtp_addr_init(&addr);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct addr_case *c = &cases[i];
        int rc = smtp_addr_parse(&addr, c->path, strlen(c->path), c->flags, 0);

        if (c->internal == NULL) {
            if (rc != -1)
                fail_msg("accepted \"%s\" as \"%s\"", c->path, buf_str(&addr.internal));
            continue;
        }
        if (rc != 0)
            fail_msg("refused \"%s\"", c->path);
        assert_string_equal(buf_str(&addr.internal), c->internal);
        assert_int_equal(addr.routed, c->routed);
        assert_int_equal(addr.flags, smtp_addr_inspect(c->internal));
        /* Round trip through the external form. */
        buf_reset(&ext);
        buf_reset(&back);
        smtp_addr_externalize(&ext, buf_str(&addr.internal));
        if (smtp_addr_internalize(&back, buf_str(&ext)) != 0)
            fail_msg("external form \"%s\" of \"%s\" does not parse", buf_str(&ext), c->path);
        assert_string_equal(buf_str(&back), c->internal);
    }
    smtp_addr_release(&addr);
    buf_release(&ext);
    buf_release(&back);
}

static void test_limits(void **state)
{
    struct smtp_addr addr;
    struct buf path = BUF_INIT;

    (void)state;
    smtp_addr_init(&addr);
    /* max_len is on the whole path as sent. */
    assert_int_equal(smtp_addr_parse(&addr, "<a@b.c>", 7, 0, 7), 0);
    assert_int_equal(smtp_addr_parse(&addr, "<a@b.c>", 7, 0, 6), -1);
    /* NUL inside is always refused. */
    assert_int_equal(smtp_addr_parse(&addr, "<a\0b@c>", 7, 0, 0), -1);
    assert_int_equal(smtp_addr_parse(&addr, "<\"a\0b\"@c>", 9, UTF8, 0), -1);
    /* Strict: local part 64, label 63. */
    buf_set(&path, "<");
    for (int i = 0; i < 64; i++)
        buf_append_char(&path, 'a');
    buf_append_str(&path, "@x>");
    assert_int_equal(smtp_addr_parse(&addr, buf_str(&path), buf_len(&path), STRICT, 0), 0);
    buf_set(&path, "<a");
    for (int i = 0; i < 64; i++)
        buf_append_char(&path, 'a');
    buf_append_str(&path, "@x>");
    assert_int_equal(smtp_addr_parse(&addr, buf_str(&path), buf_len(&path), STRICT, 0), -1);
    assert_int_equal(smtp_addr_parse(&addr, buf_str(&path), buf_len(&path), 0, 0), 0);
    buf_set(&path, "<a@");
    for (int i = 0; i < 64; i++)
        buf_append_char(&path, 'b');
    buf_append_str(&path, ".x>");
    assert_int_equal(smtp_addr_parse(&addr, buf_str(&path), buf_len(&path), 0, 0), -1);
    /* Reference A12: a truncated over-long path lacks its '>'. */
    buf_set(&path, "<");
    for (int i = 0; i < 2040; i++)
        buf_append_char(&path, 'a');
    assert_int_equal(smtp_addr_parse(&addr, buf_str(&path), buf_len(&path), 0, 2048), -1);
    smtp_addr_release(&addr);
    buf_release(&path);
}

static void test_inspect(void **state)
{
    struct buf key = BUF_INIT;

    (void)state;
    assert_int_equal(smtp_addr_inspect(""), SMTP_ADDR_F_NULL);
    assert_int_equal(smtp_addr_inspect("postmaster"), SMTP_ADDR_F_NO_DOMAIN);
    assert_int_equal(smtp_addr_inspect("user%other@here"), SMTP_ADDR_F_PERCENT);
    assert_int_equal(smtp_addr_inspect("other!user@here"), SMTP_ADDR_F_BANG);
    assert_int_equal(smtp_addr_inspect("user@other@here"), SMTP_ADDR_F_AT_LOCAL);
    assert_int_equal(smtp_addr_inspect("user@other.@here"),
                     SMTP_ADDR_F_AT_LOCAL | SMTP_ADDR_F_TRAIL_DOT);
    assert_int_equal(smtp_addr_inspect("user@here."), SMTP_ADDR_F_TRAIL_DOT);
    assert_int_equal(smtp_addr_inspect("user@[192.0.2.1]"), SMTP_ADDR_F_LITERAL);
    assert_int_equal(smtp_addr_inspect("@here"), SMTP_ADDR_F_EMPTY_LOCAL);
    assert_int_equal(smtp_addr_inspect("j\xc3\xb6@x"), SMTP_ADDR_F_8BIT);
    assert_int_equal(smtp_addr_inspect("a@b"), 0);
    assert_string_equal(smtp_addr_domain("user@other@Here"), "Here");
    assert_null(smtp_addr_domain("user"));
    assert_int_equal(smtp_addr_local_len("user@other@here"), 10);
    assert_int_equal(smtp_addr_local_len("user"), 4);
    assert_int_equal(smtp_addr_domain_key(&key, "u@MX.Example.Test.."), 0);
    assert_string_equal(buf_str(&key), "mx.example.test");
    assert_int_equal(smtp_addr_domain_key(&key, "u"), -1);
    buf_release(&key);
}

static void test_forms(void **state)
{
    static const struct {
        const char *internal;
        const char *external;
    } forms[] = {
        {"a@b", "a@b"},
        {"a b@c", "\"a b\"@c"},
        {"a\"b@c", "\"a\\\"b\"@c"},
        {"a\\b@c", "\"a\\\\b\"@c"},
        {"user@other@here", "\"user@other\"@here"},
        {".a@b", "\".a\"@b"},
        {"a.@b", "\"a.\"@b"},
        {"a..b@b", "\"a..b\"@b"},
        {"@b", "\"\"@b"},
        {"j\xc3\xb6@x", "j\xc3\xb6@x"},
        {"postmaster", "postmaster"},
        {"", ""},
    };
    struct buf out = BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        buf_reset(&out);
        smtp_addr_externalize(&out, forms[i].internal);
        assert_string_equal(buf_str(&out), forms[i].external);
        buf_reset(&out);
        assert_int_equal(smtp_addr_internalize(&out, forms[i].external), 0);
        assert_string_equal(buf_str(&out), forms[i].internal);
    }
    buf_reset(&out);
    assert_int_equal(smtp_addr_internalize(&out, "a b@c"), -1);
    assert_int_equal(smtp_addr_internalize(&out, "@r:a@c"), -1);
    buf_release(&out);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(smtp_utf8_valid("", 0));
    assert_true(smtp_utf8_valid("abc", 3));
    assert_true(smtp_utf8_valid("\xc3\xb6", 2));
    assert_true(smtp_utf8_valid("\xf0\x9f\x98\x80", 4));
    assert_true(smtp_utf8_valid("\xf4\x8f\xbf\xbf", 4));
    assert_false(smtp_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(smtp_utf8_valid("\xc3", 1));
    assert_false(smtp_utf8_valid("\xc1\xbf", 2));     /* overlong */
    assert_false(smtp_utf8_valid("\xe0\x9f\xbf", 3)); /* overlong */
    assert_false(smtp_utf8_valid("\xed\xbf\xbf", 3)); /* surrogate */
    assert_false(smtp_utf8_valid("\x80", 1));
    assert_false(smtp_utf8_valid("a\0b", 3));
    assert_false(smtp_utf8_valid("\xf0\x9f\x98", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_inspect),     cmocka_unit_test(test_forms),
        cmocka_unit_test(test_utf8),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
