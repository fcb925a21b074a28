/*
 * test_mail_table.c - unit tests of the delivery agents' table cache
 * (lib/mail/mail_table.h): one handle per spec, a rebuilt table reopened
 * by mail_table_refresh() (and only then), an unchanged one kept, and a
 * table that cannot be opened reported with a reason.
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

#include "mail/mail_table.h"
#include "util/buf.h"

static char dir[64];

/* Builds hash:DIR/name with one key and value. */
static void build(const char *name, const char *key, const char *value)
{
    struct buf spec = BUF_INIT, err = BUF_INIT;
    struct dict *d;

    buf_printf(&spec, "hash:%s/%s", dir, name);
    d = dict_open(buf_str(&spec), DICT_FLAG_CREATE | DICT_FLAG_DUP_REPLACE | DICT_FLAG_FOLD, &err);
    assert_non_null(d);
    assert_int_equal(dict_update(d, key, value), DICT_FOUND);
    dict_close(d);
    buf_release(&spec);
    buf_release(&err);
}

static const char *lookup(const char *name, const char *key)
{
    static struct buf spec;
    struct buf err = BUF_INIT;
    struct dict *d;
    const char *value;

    buf_reset(&spec);
    buf_printf(&spec, "hash:%s/%s", dir, name);
    d = mail_table_get(buf_str(&spec), &err);
    assert_non_null(d);
    buf_release(&err);
    return dict_lookup(d, key, &value) == DICT_FOUND ? value : NULL;
}

static void test_reopen_on_change(void **state)
{
    struct buf spec = BUF_INIT, err = BUF_INIT;
    struct dict *first;
    const char *v;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_mail_table.XXXXXX");
    assert_non_null(mkdtemp(dir));
    build("aliases", "team", "alice");
    build("other", "x", "1");
    v = lookup("aliases", "team");
    assert_non_null(v);
    assert_string_equal(v, "alice");
    assert_non_null(lookup("other", "x"));
    buf_printf(&spec, "hash:%s/aliases", dir);
    first = mail_table_get(buf_str(&spec), &err);
    assert_ptr_equal(first, mail_table_get(buf_str(&spec), &err)); /* cached */
    assert_int_equal(first->refcount, 1);
    /* Nothing changed: nothing closed. */
    assert_int_equal(mail_table_refresh(), 0);
    /* Rebuilt (as newaliases does): the old handle answers until refresh. */
    usleep(20000);
    build("aliases", "team", "bob");
    assert_int_equal(mail_table_refresh(), 1);
    v = lookup("aliases", "team");
    assert_non_null(v);
    assert_string_equal(v, "bob");
    assert_int_equal(mail_table_refresh(), 0);
    mail_table_close_all();
    buf_release(&spec);
    buf_release(&err);
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_open_error(void **state)
{
    struct buf err = BUF_INIT;

    (void)state;
    assert_null(mail_table_get("hash:/nonexistent/postern/aliases", &err));
    assert_non_null(strstr(buf_str(&err), "/nonexistent/postern/aliases"));
    buf_reset(&err);
    assert_null(mail_table_get("nosuchtype:/x", &err));
    assert_true(buf_len(&err) > 0);
    buf_release(&err);
}

/* A list: the first table that answers wins; address forms; nis: skipped
 * only when asked; a table that cannot be opened is an error. */
static void test_list_lookup(void **state)
{
    struct buf maps = BUF_INIT, out = BUF_INIT, err = BUF_INIT;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_mail_table.XXXXXX");
    assert_non_null(mkdtemp(dir));
    build("first", "alice", "from-first");
    build("second", "bob", "from-second");
    build("addr", "@example.test", "catch-all");
    buf_printf(&maps, "hash:%s/first, hash:%s/second", dir, dir);
    assert_int_equal(mail_table_list_lookup(buf_str(&maps), "bob", 0, NULL, &out, &err), 1);
    assert_string_equal(buf_str(&out), "from-second");
    assert_int_equal(mail_table_list_lookup(buf_str(&maps), "alice", 0, NULL, &out, &err), 1);
    assert_string_equal(buf_str(&out), "from-first");
    assert_int_equal(mail_table_list_lookup(buf_str(&maps), "carol", 0, NULL, &out, &err), 0);

    buf_reset(&maps);
    buf_printf(&maps, "hash:%s/addr", dir);
    assert_int_equal(mail_table_list_lookup(buf_str(&maps), "x+y@example.test",
                                            DICT_ADDR_FULL | DICT_ADDR_AT_DOMAIN, "+", &out, &err),
                     1);
    assert_string_equal(buf_str(&out), "catch-all");
    /* Without address forms the key must match as it is. */
    assert_int_equal(
        mail_table_list_lookup(buf_str(&maps), "x+y@example.test", 0, NULL, &out, &err), 0);

    buf_reset(&maps);
    buf_printf(&maps, "nis:mail.aliases hash:%s/first", dir);
    assert_int_equal(
        mail_table_list_lookup(buf_str(&maps), "alice", MAIL_TABLE_SKIP_NIS, NULL, &out, &err), 1);
    assert_int_equal(mail_table_list_lookup(buf_str(&maps), "alice", 0, NULL, &out, &err), -1);
    assert_true(buf_len(&err) > 0);
    buf_reset(&err);
    assert_int_equal(
        mail_table_list_lookup("hash:/nonexistent/postern/x", "a", 0, NULL, &out, &err), -1);
    assert_non_null(strstr(buf_str(&err), "/nonexistent/postern/x"));

    mail_table_close_all();
    buf_release(&maps);
    buf_release(&out);
    buf_release(&err);
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reopen_on_change),
        cmocka_unit_test(test_open_error),
        cmocka_unit_test(test_list_lookup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
