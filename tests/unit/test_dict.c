/*
 * test_dict.c - unit tests for lib/dict/dict.c, dict_mem.c, dict_union.c and
 * dict_address.c: type dispatch and errors, the registry, case folding,
 * static/fail/inline/texthash, unionmap/pipemap, change detection and the
 * address lookup order.
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

#include "dict/dict.h"
#include "util/buf.h"
#include "util/msg.h"

static struct buf warned = BUF_INIT;

static void capture(enum msg_level level, const char *text)
{
    if (level == MSG_WARN) {
        buf_append_str(&warned, text);
        buf_append_char(&warned, '\n');
    }
}

static int setup(void **state)
{
    (void)state;
    buf_reset(&warned);
    msg_set_stderr(0);
    msg_set_hook(capture);
    return 0;
}

static struct dict *open_ok(const char *spec, int flags)
{
    struct buf err = BUF_INIT;
    struct dict *d = dict_open(spec, flags, &err);

    if (d == NULL)
        fail_msg("dict_open(%s): %s", spec, buf_str(&err));
    buf_release(&err);
    return d;
}

static void open_fails(const char *spec, const char *want)
{
    struct buf err = BUF_INIT;

    assert_null(dict_open(spec, DICT_FLAGS_LOOKUP, &err));
    assert_string_equal(buf_str(&err), want);
    buf_release(&err);
}

static void expect(struct dict *d, const char *key, int want_rc, const char *want_value)
{
    const char *value = NULL;
    int rc = dict_lookup(d, key, &value);

    assert_int_equal(rc, want_rc);
    if (want_value != NULL)
        assert_string_equal(value, want_value);
}

static void test_open_errors(void **state)
{
    (void)state;
    open_fails("nosuchtype:/x", "unsupported dictionary type: nosuchtype");
    open_fails("mysql:/etc/x.cf", "unsupported dictionary type: mysql");
    open_fails("static:", "open dictionary: expecting \"type:name\" form instead of \"static:\"");
    open_fails("noColon", "open dictionary: expecting \"type:name\" form instead of \"noColon\"");
    open_fails("inline:{ k1=v1, broken }", "missing '=' after attribute name: \"inline:{ k1=v1, "
                                           "broken }\"; need \"inline:{name=value...}\"");
    open_fails("inline:{ k1=v1", "bad syntax: \"inline:{ k1=v1\"; need \"inline:{name=value...}\"");
    open_fails("inline:{}", "bad syntax: \"inline:{}\"; need \"inline:{name=value...}\"");
    open_fails("inline:{ a=1 } }",
               "bad syntax: \"inline:{ a=1 } }\"; need \"inline:{name=value...}\"");
    open_fails("unionmap:{}", "bad syntax: \"unionmap:{}\"; need \"unionmap:{type:name...}\"");
    open_fails("unionmap:x", "bad syntax: \"unionmap:x\"; need \"unionmap:{type:name...}\"");
    open_fails("unionmap:{static:a, nosuch:b}", "unsupported dictionary type: nosuch");
    open_fails("texthash:/nonexistent/t",
               "open database /nonexistent/t: No such file or directory");
    open_fails("hash:/nonexistent/t", "open database /nonexistent/t.db: No such file or directory");
    open_fails("regexp:/nonexistent/r", "open /nonexistent/r: No such file or directory");
    open_fails("cidr:/nonexistent/c", "open /nonexistent/c: No such file or directory");
    assert_true(dict_type_known("pcre"));
    assert_false(dict_type_known("ldap"));
}

static void test_static_fail(void **state)
{
    struct dict *d;

    (void)state;
    d = open_ok("static:some value", DICT_FLAGS_LOOKUP);
    expect(d, "anything", DICT_FOUND, "some value");
    expect(d, "", DICT_FOUND, "some value");
    assert_int_equal(dict_sequence(d, 1, &(const char *){NULL}, &(const char *){NULL}), DICT_ERROR);
    dict_close(d);
    d = open_ok("static:{ text with spaces }", DICT_FLAGS_LOOKUP);
    expect(d, "x", DICT_FOUND, "text with spaces");
    dict_close(d);
    d = open_ok("fail:oops", DICT_FLAGS_LOOKUP);
    expect(d, "x", DICT_ERROR, NULL);
    assert_int_equal(dict_update(d, "a", "b"), DICT_ERROR);
    assert_int_equal(dict_delete(d, "a"), DICT_ERROR);
    dict_close(d);
}

static void test_inline(void **state)
{
    struct dict *d;
    const char *k, *v;

    (void)state;
    d = open_ok("inline:{ k1=v1, { k2 = value two }, K3=v3 }", DICT_FLAGS_LOOKUP);
    expect(d, "k1", DICT_FOUND, "v1");
    expect(d, "K2", DICT_FOUND, "value two");
    expect(d, "k3", DICT_FOUND, "v3");
    expect(d, "nope", DICT_NOTFOUND, NULL);
    assert_int_equal(dict_sequence(d, 1, &k, &v), DICT_FOUND);
    assert_string_equal(k, "k1");
    assert_int_equal(dict_sequence(d, 0, &k, &v), DICT_FOUND);
    assert_string_equal(k, "k2");
    assert_string_equal(v, "value two");
    assert_int_equal(dict_sequence(d, 0, &k, &v), DICT_FOUND);
    assert_string_equal(k, "k3");
    assert_int_equal(dict_sequence(d, 0, &k, &v), DICT_NOTFOUND);
    dict_close(d);
    /* Duplicates: the last one wins, silently. */
    d = open_ok("inline:{a=1, a=2}", DICT_FLAGS_LOOKUP);
    expect(d, "a", DICT_FOUND, "2");
    dict_close(d);
    /* Values may contain '=' and commas inside braces; empty values are allowed. */
    d = open_ok("inline:{ {a = x=y, z}, b= }", DICT_FLAGS_LOOKUP);
    expect(d, "a", DICT_FOUND, "x=y, z");
    expect(d, "b", DICT_FOUND, "");
    dict_close(d);
    /* Without DICT_FLAG_FOLD, case matters. */
    d = open_ok("inline:{ Key=v }", DICT_FLAG_DUP_WARN);
    expect(d, "Key", DICT_FOUND, "v");
    expect(d, "key", DICT_NOTFOUND, NULL);
    dict_close(d);
    assert_string_equal(buf_str(&warned), "");
}

static void test_registry(void **state)
{
    struct dict *a, *b, *c;

    (void)state;
    a = open_ok("inline:{x=1}", DICT_FLAGS_LOOKUP);
    b = open_ok("inline:{x=1}", DICT_FLAGS_LOOKUP);
    c = open_ok("inline:{x=1}", DICT_FLAGS_LOOKUP | DICT_FLAG_NO_REGISTRY);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    assert_int_equal(a->refcount, 2);
    dict_close(b);
    expect(a, "x", DICT_FOUND, "1"); /* still open after one close */
    dict_close(a);
    dict_close(c);
    /* After the last close a new handle is made. */
    a = open_ok("inline:{x=2}", DICT_FLAGS_LOOKUP);
    expect(a, "x", DICT_FOUND, "2");
    assert_int_equal(a->refcount, 1);
    dict_close(a);
}

static char *write_file(const char *text)
{
    char tmpl[] = "/tmp/test_dict.XXXXXX";
    int fd = mkstemp(tmpl);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return strdup(tmpl);
}

static void test_texthash_and_changed(void **state)
{
    char *path = write_file("KeyOne  value one\nkeytwo  value two\n  continued\nkeyone dup\n");
    struct buf spec = BUF_INIT;
    struct dict *d;
    const char *k, *v;

    (void)state;
    buf_printf(&spec, "texthash:%s", path);
    d = open_ok(buf_str(&spec), DICT_FLAGS_LOOKUP);
    expect(d, "KEYONE", DICT_FOUND, "value one");
    expect(d, "keytwo", DICT_FOUND, "value two  continued");
    assert_int_equal(dict_sequence(d, 1, &k, &v), DICT_FOUND);
    assert_string_equal(k, "keyone");
    assert_non_null(strstr(buf_str(&warned), ", line 4: duplicate entry: \"keyone\""));
    assert_false(dict_changed(d));
    assert_null(dict_changed_any());
    sleep(0); /* mtime granularity is nanoseconds here; rewrite with new content */
    {
        FILE *fp = fopen(path, "a");

        assert_non_null(fp);
        fputs("three 3\n", fp);
        fclose(fp);
    }
    assert_true(dict_changed(d));
    assert_string_equal(dict_changed_any(), buf_str(&spec));
    dict_close(d);
    unlink(path);
    free(path);
    buf_release(&spec);
}

static void test_union_pipe(void **state)
{
    struct dict *d;

    (void)state;
    d = open_ok("unionmap:{inline:{a=1}, static:2, inline:{b=3}}", DICT_FLAGS_LOOKUP);
    expect(d, "a", DICT_FOUND, "1,2");
    expect(d, "b", DICT_FOUND, "2,3");
    dict_close(d);
    d = open_ok("unionmap:{inline:{a=1},inline:{b=3}}", DICT_FLAGS_LOOKUP);
    expect(d, "c", DICT_NOTFOUND, NULL);
    dict_close(d);
    d = open_ok("unionmap:{inline:{a=1},fail:x}", DICT_FLAGS_LOOKUP);
    expect(d, "a", DICT_ERROR, NULL);
    dict_close(d);
    d = open_ok("pipemap:{inline:{a=1},inline:{1=2}}", DICT_FLAGS_LOOKUP);
    expect(d, "A", DICT_FOUND, "2");
    expect(d, "b", DICT_NOTFOUND, NULL);
    dict_close(d);
    d = open_ok("pipemap:{inline:{a=1},inline:{x=2}}", DICT_FLAGS_LOOKUP);
    expect(d, "a", DICT_NOTFOUND, NULL); /* the second stage misses */
    dict_close(d);
}

static void test_address_order(void **state)
{
    struct dict *d;
    const char *v, *m;

    (void)state;
    d = open_ok("inline:{ user+ext@example.com=1, user@example.com=2, user+ext=3, user=4, "
                "@example.com=5, example.com=6, .com=7, org=8 }",
                DICT_FLAGS_LOOKUP);
    assert_int_equal(dict_lookup_address(d, "User+Ext@Example.COM", DICT_ADDR_FULL, "+", 0, &v, &m),
                     DICT_FOUND);
    assert_string_equal(v, "1");
    assert_string_equal(m, "User+Ext@Example.COM"); /* the probe, as spelled */
    assert_int_equal(
        dict_lookup_address(d, "user+other@example.com", DICT_ADDR_FULL, "+", 0, &v, &m),
        DICT_FOUND);
    assert_string_equal(v, "2");
    /* Without recipient_delimiter the +ext form is not stripped. */
    assert_int_equal(
        dict_lookup_address(d, "user+other@example.com", DICT_ADDR_FULL, "", 0, &v, NULL),
        DICT_NOTFOUND);
    assert_int_equal(dict_lookup_address(d, "user+ext@other.net", DICT_ADDR_FULL | DICT_ADDR_LOCAL,
                                         "+-", 0, &v, NULL),
                     DICT_FOUND);
    assert_string_equal(v, "3");
    assert_int_equal(dict_lookup_address(d, "user-x@other.net", DICT_ADDR_FULL | DICT_ADDR_LOCAL,
                                         "+-", 0, &v, NULL),
                     DICT_FOUND);
    assert_string_equal(v, "4");
    assert_int_equal(dict_lookup_address(d, "nobody@example.com",
                                         DICT_ADDR_FULL | DICT_ADDR_LOCAL | DICT_ADDR_AT_DOMAIN,
                                         "+", 0, &v, &m),
                     DICT_FOUND);
    assert_string_equal(v, "5");
    assert_string_equal(m, "@example.com");
    /* Access-map style: domain, then parents as ".parent" or "parent". */
    assert_int_equal(dict_lookup_address(d, "x@a.b.example.com", DICT_ADDR_DOMAIN, NULL, 1, &v, &m),
                     DICT_FOUND);
    assert_string_equal(m, "example.com");
    assert_int_equal(dict_lookup_address(d, "x@a.b.example.com", DICT_ADDR_DOMAIN, NULL, 0, &v, &m),
                     DICT_FOUND);
    assert_string_equal(m, ".com");
    assert_int_equal(dict_lookup_address(d, "x@sub.org", DICT_ADDR_DOMAIN, NULL, 0, &v, NULL),
                     DICT_NOTFOUND);
    assert_int_equal(dict_lookup_address(d, "x@sub.org", DICT_ADDR_DOMAIN, NULL, 1, &v, NULL),
                     DICT_FOUND);
    /* A bare "+ext" local part is a name, and an address without @ has no domain forms. */
    assert_int_equal(dict_lookup_address(d, "+ext",
                                         DICT_ADDR_FULL | DICT_ADDR_AT_DOMAIN | DICT_ADDR_DOMAIN,
                                         "+", 1, &v, NULL),
                     DICT_NOTFOUND);
    dict_close(d);
    d = open_ok("fail:x", DICT_FLAGS_LOOKUP);
    assert_int_equal(
        dict_lookup_address(d, "a@b", DICT_ADDR_FULL | DICT_ADDR_DOMAIN, "+", 0, &v, NULL),
        DICT_ERROR); /* an error stops the search */
    dict_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_open_errors, setup),
        cmocka_unit_test_setup(test_static_fail, setup),
        cmocka_unit_test_setup(test_inline, setup),
        cmocka_unit_test_setup(test_registry, setup),
        cmocka_unit_test_setup(test_texthash_and_changed, setup),
        cmocka_unit_test_setup(test_union_pipe, setup),
        cmocka_unit_test_setup(test_address_order, setup),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    buf_release(&warned);
    return rc;
}
