/*
 * test_param.c - unit tests for lib/conf/param.c and the contents of
 * params.def: sorted and unique names, every default valid for its own type,
 * lookups of main and per-transport names, and the generated globals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/param.h"

static void test_table_sorted_unique(void **state)
{
    size_t i;

    assert_true(param_table_count > 800);
    for (i = 1; i < param_table_count; i++)
        if (strcmp(param_table[i - 1].name, param_table[i].name) >= 0)
            fail_msg("params.def out of order: %s before %s", param_table[i - 1].name,
                     param_table[i].name);
}

static void test_every_default_is_valid(void **state)
{
    struct buf err = BUF_INIT;
    struct buf value = BUF_INIT;
    size_t i;

    /* Defaults that are plain values must pass their own type check; those
     * with $ expressions are checked after expansion by test_conf. */
    for (i = 0; i < param_table_count; i++) {
        const struct param_def *def = &param_table[i];

        if (def->type == PARAM_T_DYN) {
            assert_null(def->defval);
            continue;
        }
        assert_non_null(def->defval);
        assert_true(strlen(def->doc) > 0);
        if (strchr(def->defval, '$'))
            continue;
        buf_reset(&err);
        if (conf_check_value(def, def->defval, &err) < 0)
            fail_msg("default of %s: %s", def->name, buf_str(&err));
    }
    buf_release(&err);
    buf_release(&value);
}

static void test_find(void **state)
{
    const struct param_def *def;
    size_t service_len = 0;

    def = param_find("message_size_limit");
    assert_non_null(def);
    assert_int_equal(def->type, PARAM_T_LONG);
    assert_string_equal(def->defval, "10240000");
    assert_non_null(param_find("2bounce_notice_recipient"));
    assert_non_null(param_find("zzzzzzzzz") == NULL ? param_find("myhostname") : NULL);
    assert_null(param_find("no_such_parameter"));
    assert_null(param_find(""));
    def = param_find("queue_run_delay");
    assert_int_equal(def->type, PARAM_T_TIME);
    assert_int_equal(param_time_unit(def), 's');
    assert_int_equal(param_time_unit(param_find("maximal_queue_lifetime")), 'd');
    assert_int_equal(param_find("myhostname")->type, PARAM_T_DYN);

    def = param_find_transport("relay_destination_concurrency_limit", &service_len);
    assert_non_null(def);
    assert_string_equal(def->name, "destination_concurrency_limit");
    assert_int_equal(service_len, 5);
    def = param_find_transport("my_pipe_destination_recipient_limit", &service_len);
    assert_non_null(def);
    assert_int_equal(service_len, 7);
    assert_null(param_find_transport("_destination_concurrency_limit", &service_len));
    assert_null(param_find_transport("destination_concurrency_limit", &service_len));
    /* Special per-transport defaults stay in the main table. */
    assert_string_equal(param_find("local_destination_recipient_limit")->defval, "1");
}

static void test_delivery_commands(void **state)
{
    assert_true(param_is_delivery_command("smtp"));
    assert_true(param_is_delivery_command("lmtp"));
    assert_true(param_is_delivery_command("pipe"));
    assert_false(param_is_delivery_command("smtpd"));
    assert_false(param_is_delivery_command("discard"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_sorted_unique),
        cmocka_unit_test(test_every_default_is_valid),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_delivery_commands),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
