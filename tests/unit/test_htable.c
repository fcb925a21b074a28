/*
 * test_htable.c - unit tests for lib/util/htable.c: insert, replace, remove,
 * growth across many keys, sorted listing, and value ownership on free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/htable.h"
#include "util/mem.h"

static void test_put_get_replace_remove(void **state)
{
    struct htable *t = htable_new(0);
    int a = 1;
    int b = 2;

    assert_null(htable_get(t, "x"));
    assert_null(htable_put(t, "x", &a));
    assert_ptr_equal(htable_get(t, "x"), &a);
    assert_ptr_equal(htable_put(t, "x", &b), &a);
    assert_ptr_equal(htable_get(t, "x"), &b);
    assert_int_equal(t->used, 1);
    assert_null(htable_put(t, "", &a));
    assert_ptr_equal(htable_get(t, ""), &a);
    assert_ptr_equal(htable_remove(t, "x"), &b);
    assert_null(htable_get(t, "x"));
    assert_null(htable_remove(t, "x"));
    assert_int_equal(t->used, 1);
    htable_free(t, NULL);
}

static void test_growth_and_sorted(void **state)
{
    struct htable *t = htable_new(4);
    struct htable_entry **list;
    char key[32];
    size_t n;
    size_t i;

    for (i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "k%05zu", 9999 - i);
        htable_put(t, key, mem_strdup(key));
    }
    assert_int_equal(t->used, 10000);
    assert_true(t->size >= 10000);
    for (i = 0; i < 10000; i += 777) {
        snprintf(key, sizeof(key), "k%05zu", i);
        assert_string_equal(htable_get(t, key), key);
    }
    list = htable_sorted(t, &n);
    assert_int_equal(n, 10000);
    for (i = 1; i < n; i++)
        assert_true(strcmp(list[i - 1]->key, list[i]->key) < 0);
    assert_string_equal(list[0]->key, "k00000");
    mem_free(list);
    htable_free(t, mem_free); /* ASan reports a leak if values were not freed */
}

static void test_sorted_empty(void **state)
{
    struct htable *t = htable_new(0);
    size_t n = 99;
    struct htable_entry **list = htable_sorted(t, &n);

    assert_int_equal(n, 0);
    mem_free(list);
    htable_free(t, NULL);
    htable_free(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace_remove),
        cmocka_unit_test(test_growth_and_sorted),
        cmocka_unit_test(test_sorted_empty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
