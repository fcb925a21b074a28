/*
 * test_conf.c - unit tests for lib/conf/conf.c and defaults.c: an instance
 * directory with a real main.cf, lookup order (override, main.cf, default),
 * lazy expansion, computed defaults, typed values and Postfix's messages for
 * bad ones (checked in forked children, since they are fatal).
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

#include "conf/conf.h"
#include "conf/defaults.h"
#include "conf/mastercf.h"
#include "unit_child.h"
#include "util/msg.h"

static char dir[] = "/tmp/test_conf.XXXXXX";

static void write_main(const char *text)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/main.cf", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    conf_reset();
    conf_set_config_dir(dir);
}

static int group_setup(void **state)
{
    if (mkdtemp(dir) == NULL)
        return -1;
    msg_set_stderr(0);
    return 0;
}

static int group_teardown(void **state)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/main.cf", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}

static void test_lookup_order_and_expansion(void **state)
{
    struct buf err = BUF_INIT;

    write_main("myhostname = mx.example.test\nmyorigin = $mydomain\nrelayhost = [$myorigin]\n"
               "compatibility_level = 3.6\n");
    assert_int_equal(conf_load(&err), 0);
    assert_string_equal(conf_raw("myorigin"), "$mydomain");
    assert_string_equal(conf_get("mydomain"), "example.test");
    assert_string_equal(conf_get("relayhost"), "[example.test]");
    assert_string_equal(conf_get("relay_domains"), "");
    assert_string_equal(conf_get("smtputf8_enable"), "yes");
    assert_string_equal(conf_get("mydestination"),
                        "mx.example.test, localhost.example.test, localhost");
    assert_true(conf_is_set("myorigin"));
    assert_false(conf_is_set("mydestination"));
    assert_null(conf_raw("no_such_parameter"));
    /* An override wins over main.cf and drops cached expansions. */
    conf_set_override("myhostname", "other.example.org");
    assert_string_equal(conf_get("relayhost"), "[example.org]");
    buf_release(&err);
}

static void test_compat_level_zero_defaults(void **state)
{
    struct buf err = BUF_INIT;

    write_main("myhostname = h.example.test\n");
    assert_int_equal(conf_load(&err), 0);
    assert_string_equal(conf_get("relay_domains"),
                        "h.example.test, localhost.example.test, localhost");
    assert_string_equal(conf_get("mynetworks_style"), "subnet");
    assert_string_equal(conf_get("append_dot_mydomain"), "yes");
    buf_release(&err);
}

static void test_defaults_only(void **state)
{
    struct buf err = BUF_INIT;

    write_main("message_size_limit = 20000\n");
    assert_int_equal(conf_load(&err), 0);
    assert_string_equal(conf_raw("message_size_limit"), "20000");
    conf_set_defaults_only(1);
    assert_string_equal(conf_raw("message_size_limit"), "10240000");
    conf_set_defaults_only(0);
    buf_release(&err);
}

static void test_typed_values(void **state)
{
    struct buf err = BUF_INIT;

    write_main("message_size_limit = 52428800\nqueue_run_delay = 5m\nmaximal_queue_lifetime = 2\n"
               "biff = NO\nsmtpd_timeout = ${stress?{10}:{300}}s\n");
    assert_int_equal(conf_load(&err), 0);
    assert_int_equal(conf_get_long("message_size_limit"), 52428800L);
    assert_int_equal(conf_get_time("queue_run_delay"), 300);
    assert_int_equal(conf_get_time("maximal_queue_lifetime"), 2 * 86400);
    assert_int_equal(conf_get_bool("biff"), 0);
    assert_int_equal(conf_get_time("smtpd_timeout"), 300);
    assert_int_equal(conf_get_int("default_process_limit"), 100);
    conf_apply_globals();
    assert_int_equal(var_message_size_limit, 52428800L);
    assert_string_equal(var_mail_owner, "postfix");
    assert_int_equal(var_smtpd_timeout, 300);
    buf_release(&err);
}

static void check_message(const struct param_def *def, const char *value, const char *want)
{
    struct buf err = BUF_INIT;

    assert_int_equal(conf_check_value(def, value, &err), -1);
    assert_string_equal(buf_str(&err), want);
    buf_release(&err);
}

static void test_bad_value_messages(void **state)
{
    check_message(param_find("message_size_limit"), "notanumber",
                  "bad numerical configuration: message_size_limit = notanumber");
    check_message(param_find("enable_long_queue_ids"), "maybe",
                  "bad boolean configuration: enable_long_queue_ids = maybe");
    check_message(param_find("daemon_timeout"), "5x",
                  "parameter daemon_timeout: bad time value or unit: 5x");
    check_message(param_find("default_process_limit"), "0",
                  "invalid default_process_limit parameter value 0 < 1");
}

static void apply_globals_child(void *arg)
{
    struct buf err = BUF_INIT;

    msg_set_stderr(1);
    msg_init("test_conf");
    write_main(arg);
    if (conf_load(&err) < 0)
        _exit(2);
    conf_apply_globals();
    _exit(0);
}

static void test_apply_globals_fatal(void **state)
{
    struct unit_child res;

    assert_int_equal(unit_child_run(apply_globals_child, "message_size_limit = notanumber\n", &res),
                     0);
    assert_int_equal(unit_child_exit_code(&res), 1);
    assert_string_equal(res.err,
                        "test_conf: fatal: bad numerical configuration: message_size_limit = "
                        "notanumber\n");
}

static void expand_loop_child(void *arg)
{
    msg_set_stderr(1);
    msg_init("test_conf");
    write_main("a = $b\nb = $a\nmyorigin = x$a\n");
    conf_load_or_die();
    (void)conf_get("myorigin");
    _exit(0);
}

static void test_expansion_loop_names_file_and_line(void **state)
{
    struct unit_child res;
    char want[512];

    assert_int_equal(unit_child_run(expand_loop_child, NULL, &res), 0);
    assert_int_equal(unit_child_exit_code(&res), 1);
    snprintf(want, sizeof(want),
             "test_conf: fatal: %s/main.cf, line 3: parameter myorigin: parameter a: "
             "recursive reference to $a\n",
             dir);
    assert_string_equal(res.err, want);
}

static void test_computed_defaults(void **state)
{
    struct buf err = BUF_INIT;
    struct buf nets = BUF_INIT;

    write_main("mydomain = example.net\n");
    assert_int_equal(conf_load(&err), 0);
    assert_non_null(strchr(conf_get("myhostname"), '.'));
    write_main("myhostname = a.b.c.example\n");
    assert_int_equal(conf_load(&err), 0);
    assert_string_equal(conf_get("mydomain"), "b.c.example");
    write_main("myhostname = single\n");
    assert_int_equal(conf_load(&err), 0);
    assert_string_equal(conf_get("mydomain"), "localdomain");
    defaults_mynetworks("subnet", "127.0.0.1", "ipv4", &nets);
    assert_string_equal(buf_str(&nets), "127.0.0.0/8");
    buf_reset(&nets);
    defaults_mynetworks("host", "127.0.0.1", "ipv4", &nets);
    assert_string_equal(buf_str(&nets), "127.0.0.1/32");
    buf_reset(&nets);
    defaults_mynetworks("class", "loopback-only", "ipv4", &nets);
    assert_string_equal(buf_str(&nets), "127.0.0.0/8");
    buf_release(&nets);
    buf_release(&err);
}

static void test_transport_params(void **state)
{
    struct master_cf mcf;
    struct buf err = BUF_INIT;
    static const char text[] = "relay unix - - n - - smtp\nmy-pipe unix - n n - - pipe "
                               "user=nobody argv=/bin/cat\nshowq unix n - n - - showq\n";

    write_main("relay_destination_concurrency_limit = 3\n");
    assert_int_equal(conf_load(&err), 0);
    assert_int_equal(master_cf_parse("master.cf", text, sizeof(text) - 1, &mcf, &err), 0);
    conf_register_services(&mcf);
    assert_true(conf_is_known("relay_destination_concurrency_limit"));
    assert_true(conf_is_known("my-pipe_destination_recipient_limit"));
    assert_false(conf_is_known("showq_destination_recipient_limit"));
    assert_string_equal(conf_default("my-pipe_destination_recipient_limit"),
                        "$default_destination_recipient_limit");
    assert_string_equal(conf_get("my-pipe_destination_recipient_limit"), "50");
    assert_int_equal(conf_get_int("relay_destination_concurrency_limit"), 3);
    master_cf_free(&mcf);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_order_and_expansion),
        cmocka_unit_test(test_compat_level_zero_defaults),
        cmocka_unit_test(test_defaults_only),
        cmocka_unit_test(test_typed_values),
        cmocka_unit_test(test_bad_value_messages),
        cmocka_unit_test(test_apply_globals_fatal),
        cmocka_unit_test(test_expansion_loop_names_file_and_line),
        cmocka_unit_test(test_computed_defaults),
        cmocka_unit_test(test_transport_params),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
