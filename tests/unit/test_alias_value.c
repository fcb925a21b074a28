/*
 * test_alias_value.c - unit tests of the alias/.forward value parser
 * (lib/mail/alias_value.h): separators, quoting, item types, comments,
 * angle brackets, and the errors and limits at the edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/alias_value.h"
#include "util/buf.h"

static int parse(const char *value, struct alias_list *list, struct buf *err)
{
    alias_list_init(list);
    return alias_value_parse(value, strlen(value), list, 10, 64, err);
}

static void expect_item(const struct alias_list *list, size_t i, enum alias_item_type type,
                        const char *text, int no_alias)
{
    assert_true(i < list->count);
    assert_int_equal(list->items[i].type, type);
    assert_string_equal(list->items[i].text, text);
    assert_int_equal(list->items[i].no_alias, no_alias);
}

static void test_list_separators(void **state)
{
    struct alias_list list;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(parse("alice, bob,carol\n\tdave  ,, eve@example.com", &list, &err), 0);
    assert_int_equal(list.count, 5);
    expect_item(&list, 0, ALIAS_ITEM_ADDRESS, "alice", 0);
    expect_item(&list, 2, ALIAS_ITEM_ADDRESS, "carol", 0);
    expect_item(&list, 3, ALIAS_ITEM_ADDRESS, "dave", 0);
    expect_item(&list, 4, ALIAS_ITEM_ADDRESS, "eve@example.com", 0);
    alias_list_free(&list);
    assert_int_equal(list.count, 0);
    buf_release(&err);
}

static void test_types(void **state)
{
    struct alias_list list;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(parse("\"|/usr/bin/procmail -a x\", |\"/bin/cat > /tmp/o\", /var/f.mbox, "
                           ":include:/etc/list, :INCLUDE:/etc/l2, \\alice",
                           &list, &err),
                     0);
    assert_int_equal(list.count, 6);
    expect_item(&list, 0, ALIAS_ITEM_COMMAND, "/usr/bin/procmail -a x", 0);
    expect_item(&list, 1, ALIAS_ITEM_COMMAND, "/bin/cat > /tmp/o", 0);
    expect_item(&list, 2, ALIAS_ITEM_FILE, "/var/f.mbox", 0);
    expect_item(&list, 3, ALIAS_ITEM_INCLUDE, "/etc/list", 0);
    expect_item(&list, 4, ALIAS_ITEM_INCLUDE, "/etc/l2", 0);
    expect_item(&list, 5, ALIAS_ITEM_ADDRESS, "alice", 1);
    assert_string_equal(alias_item_type_name(ALIAS_ITEM_INCLUDE), "include");
    alias_list_free(&list);
    buf_release(&err);
}

static void test_addresses(void **state)
{
    struct alias_list list;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(parse("\"john doe\"@example.com, <bob@example.com>, \"carol\", "
                           "dave (the admin (really)), a\\,b",
                           &list, &err),
                     0);
    assert_int_equal(list.count, 5);
    expect_item(&list, 0, ALIAS_ITEM_ADDRESS, "\"john doe\"@example.com", 0);
    expect_item(&list, 1, ALIAS_ITEM_ADDRESS, "bob@example.com", 0);
    expect_item(&list, 2, ALIAS_ITEM_ADDRESS, "carol", 0);
    expect_item(&list, 3, ALIAS_ITEM_ADDRESS, "dave", 0);
    expect_item(&list, 4, ALIAS_ITEM_ADDRESS, "a,b", 0);
    alias_list_free(&list);
    buf_release(&err);
}

static void test_errors(void **state)
{
    static const char *const bad[] = {
        "\"unbalanced",      "a (b", "a )",  "|",   "\"|\"", ":include:",
        ":include:rel/path", "<>",   "<abc", "x\\",
    };
    struct alias_list list;
    struct buf err = BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf_reset(&err);
        assert_int_equal(parse(bad[i], &list, &err), -1);
        assert_true(buf_len(&err) > 0);
        alias_list_free(&list);
    }
    /* A NUL byte inside the value is refused. */
    alias_list_init(&list);
    assert_int_equal(alias_value_parse("a\0b", 3, &list, 10, 64, &err), -1);
    alias_list_free(&list);
    buf_release(&err);
}

static void test_limits(void **state)
{
    struct alias_list list;
    struct buf err = BUF_INIT, value = BUF_INIT;
    int i;

    (void)state;
    /* Exactly 10 items pass, 11 do not. */
    for (i = 0; i < 10; i++)
        buf_printf(&value, "u%d,", i);
    assert_int_equal(parse(buf_str(&value), &list, &err), 0);
    assert_int_equal(list.count, 10);
    alias_list_free(&list);
    buf_append_str(&value, "u10");
    assert_int_equal(parse(buf_str(&value), &list, &err), -1);
    assert_non_null(strstr(buf_str(&err), "more than 10"));
    alias_list_free(&list);
    /* 64 bytes pass, 65 do not (also inside quotes). */
    buf_reset(&value);
    for (i = 0; i < 64; i++)
        buf_append_char(&value, 'x');
    assert_int_equal(parse(buf_str(&value), &list, &err), 0);
    alias_list_free(&list);
    buf_set(&value, "\"|");
    for (i = 0; i < 70; i++)
        buf_append_char(&value, 'y');
    buf_append_char(&value, '"');
    assert_int_equal(parse(buf_str(&value), &list, &err), -1);
    assert_non_null(strstr(buf_str(&err), "longer than 64"));
    alias_list_free(&list);
    buf_release(&value);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_separators), cmocka_unit_test(test_types),
        cmocka_unit_test(test_addresses),       cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
