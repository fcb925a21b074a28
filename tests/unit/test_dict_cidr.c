/*
 * test_dict_cidr.c - unit tests for lib/dict/dict_cidr.c: Postfix's
 * cidr_table(5) examples, IPv4 and IPv6 prefixes, first match, negation,
 * if/endif, edge prefixes (/0, /32, /128) and every parse warning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "dict/dict.h"
#include "dict/dict_cidr.h"
#include "test_dict_common.h"

static struct dict *load(const char *text)
{
    struct dict *d = dict_cidr_new("/etc/c", DICT_FLAGS_LOOKUP);

    dict_cidr_load(d, text, strlen(text), NULL);
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

static void test_reference(void **state)
{
    struct dict *d = load("192.0.2.0/24      REJECT documentation net\n"
                          "192.0.2.7         OK single host (but the /24 above matches first)\n"
                          "198.51.100.5/32   OK\n"
                          "2001:db8::/32     REJECT v6 doc net\n"
                          "!203.0.113.0/24   DUNNO not in 203.0.113.0/24\n"
                          "10.0.0.0/33       bad prefix length\n"
                          "10.1.2.3/8        host bits set\n");

    (void)state;
    assert_string_equal(buf_str(&warned),
                        "cidr map /etc/c, line 6: bad mask length in \"10.0.0.0/33\": skipping "
                        "this rule\n"
                        "cidr map /etc/c, line 7: non-null host address bits in \"10.1.2.3/8\", "
                        "perhaps you should use \"10.0.0.0/8\" instead: skipping this rule\n");
    expect(d, "192.0.2.7", DICT_FOUND, "REJECT documentation net");
    expect(d, "198.51.100.5", DICT_FOUND, "OK");
    expect(d, "198.51.100.6", DICT_FOUND, "DUNNO not in 203.0.113.0/24");
    expect(d, "2001:db8::1", DICT_FOUND, "REJECT v6 doc net");
    expect(d, "2001:db9::1", DICT_NOTFOUND, NULL); /* negated v4 rule never matches v6 */
    expect(d, "203.0.113.9", DICT_NOTFOUND, NULL);
    expect(d, "8.8.8.8", DICT_FOUND, "DUNNO not in 203.0.113.0/24");
    expect(d, "not-an-ip", DICT_NOTFOUND, NULL);
    expect(d, "192.0.2.7 ", DICT_NOTFOUND, NULL);
    dict_close(d);
}

static void test_errors_and_edges(void **state)
{
    struct dict *d = load("foo 1\n1.2.3.4/x y\n1.2.3.4\n1.2.3.0/24\n2001:db8::1/129 z\n"
                          "2001:db8::1/64 h\nendif\n[::1] bracketed\n0.0.0.0/0 any-v4\n"
                          "::/0 any-v6\n");

    (void)state;
    assert_string_equal(
        buf_str(&warned),
        "cidr map /etc/c, line 1: bad address pattern: \"foo\": skipping this rule\n"
        "cidr map /etc/c, line 2: bad mask value in \"1.2.3.4/x\": skipping this rule\n"
        "cidr map /etc/c, line 3: no lookup result: skipping this rule\n"
        "cidr map /etc/c, line 4: no lookup result: skipping this rule\n"
        "cidr map /etc/c, line 5: bad mask length in \"2001:db8::1/129\": skipping this rule\n"
        "cidr map /etc/c, line 6: non-null host address bits in \"2001:db8::1/64\", perhaps you "
        "should use \"2001:db8::/64\" instead: skipping this rule\n"
        "cidr map /etc/c, line 7: ignoring ENDIF without matching IF\n");
    expect(d, "::1", DICT_FOUND, "bracketed");
    expect(d, "1.2.3.4", DICT_FOUND, "any-v4");
    expect(d, "fe80::1", DICT_FOUND, "any-v6");
    dict_close(d);
}

static void test_if_endif(void **state)
{
    struct dict *d = load("if 10.0.0.0/8\n"
                          "if !10.1.0.0/16\n"
                          "10.2.0.0/16 ten-two\n"
                          "endif\n"
                          "10.0.0.0/8 ten\n"
                          "endif\n"
                          "0.0.0.0/0 other\n");

    (void)state;
    assert_string_equal(buf_str(&warned), "");
    expect(d, "10.2.3.4", DICT_FOUND, "ten-two");
    expect(d, "10.1.3.4", DICT_FOUND, "ten");
    expect(d, "11.0.0.1", DICT_FOUND, "other");
    dict_close(d);
    d = load("if 10.0.0.0/8\n10.0.0.1 x\n");
    assert_string_equal(buf_str(&warned), "cidr map /etc/c, line 1: IF has no matching ENDIF\n");
    expect(d, "10.0.0.1", DICT_FOUND, "x");
    dict_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reference, setup),
        cmocka_unit_test_setup(test_errors_and_edges, setup),
        cmocka_unit_test_setup(test_if_endif, setup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    buf_release(&warned);
    return rc;
}
