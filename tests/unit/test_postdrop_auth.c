/*
 * test_postdrop_auth.c - unit tests for src/postdrop/postdrop_auth.c: the
 * three policy decisions postdrop makes for a local user.
 *
 * authorized_submit_users and local_login_sender_maps use inline: and
 * static: tables (no files needed); every list form is checked for both
 * answers, first-match-wins and "!" included, and a table that cannot be
 * opened must give -1 (try later), never a yes. The configuration
 * directory rule is checked for exact matches only: a prefix, a relative
 * name or a "/.." trick must not pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "postdrop.h"
#include "util/buf.h"
#include "util/msg.h"

static int warnings;

static void test_hook(enum msg_level level, const char *text)
{
    (void)text;
    if (level == MSG_WARN)
        warnings++;
}

static void test_submit_users(void **state)
{
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(postdrop_user_authorized("static:anyone", "bob", &err), 1);
    assert_int_equal(postdrop_user_authorized("", "bob", &err), 0);
    assert_int_equal(postdrop_user_authorized("alice, bob", "bob", &err), 1);
    assert_int_equal(postdrop_user_authorized("alice, bob", "carol", &err), 0);
    /* Names match exactly. */
    assert_int_equal(postdrop_user_authorized("bobby Bob", "bob", &err), 0);
    /* First match wins; "!" excludes. */
    assert_int_equal(postdrop_user_authorized("!bob, static:anyone", "bob", &err), 0);
    assert_int_equal(postdrop_user_authorized("!bob, static:anyone", "carol", &err), 1);
    assert_int_equal(postdrop_user_authorized("bob, !bob", "bob", &err), 1);
    /* A table with blanks inside its braces is one pattern. */
    assert_int_equal(postdrop_user_authorized("inline:{ alice=x, bob=y }", "bob", &err), 1);
    assert_int_equal(postdrop_user_authorized("inline:{ alice=x, bob=y }", "carol", &err), 0);
    assert_int_equal(postdrop_user_authorized("unknown", "unknown", &err), 1);
}

static void test_submit_users_errors(void **state)
{
    struct buf err = BUF_INIT;

    (void)state;
    warnings = 0;
    assert_int_equal(postdrop_user_authorized("/etc/submitters", "bob", &err), 0);
    assert_int_equal(warnings, 1);
    buf_reset(&err);
    assert_int_equal(postdrop_user_authorized("nosuchtype:x", "bob", &err), -1);
    assert_true(err.len > 0);
    buf_reset(&err);
    assert_int_equal(postdrop_user_authorized("fail:x, static:anyone", "bob", &err), -1);
    buf_reset(&err);
    assert_int_equal(postdrop_user_authorized("inline:{ bob=y", "bob", &err), -1);
    assert_non_null(strstr(buf_str(&err), "missing '}'"));
    /* An earlier match decides before a broken table is reached. */
    assert_int_equal(postdrop_user_authorized("bob, fail:x", "bob", &err), 1);
    buf_release(&err);
}

#define MAPS "inline:{ { bob = bob, bob@example.test }, { carol = @example.test <> } }"

static void test_sender_maps(void **state)
{
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(postdrop_sender_allowed("static:*", "bob", "anyone@else", "<>", "+", &err), 1);
    assert_int_equal(postdrop_sender_allowed("static:*", "bob", "", "<>", "+", &err), 1);
    assert_int_equal(postdrop_sender_allowed(MAPS, "bob", "bob", "<>", "+", &err), 1);
    assert_int_equal(postdrop_sender_allowed(MAPS, "bob", "BOB@Example.Test", "<>", "+", &err), 1);
    /* The address extension is ignored, with recipient_delimiter. */
    assert_int_equal(postdrop_sender_allowed(MAPS, "bob", "bob+tag@example.test", "<>", "+", &err),
                     1);
    assert_int_equal(postdrop_sender_allowed(MAPS, "bob", "bob+tag@example.test", "<>", "", &err),
                     0);
    assert_int_equal(postdrop_sender_allowed(MAPS, "bob", "alice@example.test", "<>", "+", &err),
                     0);
    /* The null sender only with the empty-address pattern. */
    assert_int_equal(postdrop_sender_allowed(MAPS, "bob", "", "<>", "+", &err), 0);
    assert_int_equal(postdrop_sender_allowed(MAPS, "carol", "", "<>", "+", &err), 1);
    assert_int_equal(postdrop_sender_allowed(MAPS, "carol", "", "NULL", "+", &err), 0);
    /* @domain: the domain only, not a subdomain or a suffix. */
    assert_int_equal(postdrop_sender_allowed(MAPS, "carol", "x@example.test", "<>", "+", &err), 1);
    assert_int_equal(postdrop_sender_allowed(MAPS, "carol", "x@sub.example.test", "<>", "+", &err),
                     0);
    assert_int_equal(postdrop_sender_allowed(MAPS, "carol", "x@badexample.test", "<>", "+", &err),
                     0);
    /* A login without an entry may not choose any sender. */
    assert_int_equal(postdrop_sender_allowed(MAPS, "dave", "dave", "<>", "+", &err), 0);
    /* The first table that answers wins. */
    assert_int_equal(
        postdrop_sender_allowed("inline:{ bob=bob } static:*", "bob", "x@y", "<>", "+", &err), 0);
    assert_int_equal(
        postdrop_sender_allowed("inline:{ bob=bob } static:*", "dave", "x@y", "<>", "+", &err), 1);
    assert_int_equal(postdrop_sender_allowed("fail:x", "bob", "bob", "<>", "+", &err), -1);
    buf_release(&err);
}

static void test_config_dir(void **state)
{
    const char *def = "/etc/postern";
    const char *alt = "/etc/postern-out, /srv/mail/etc";

    (void)state;
    assert_int_equal(postdrop_config_dir_allowed("/etc/postern", def, "", ""), 1);
    assert_int_equal(postdrop_config_dir_allowed("/etc/postern/", def, "", ""), 1);
    assert_int_equal(postdrop_config_dir_allowed("/etc/postern-out", def, alt, ""), 1);
    assert_int_equal(postdrop_config_dir_allowed("/srv/mail/etc//", def, alt, NULL), 1);
    assert_int_equal(postdrop_config_dir_allowed("/srv/mail/etc", def, NULL, alt), 1);
    assert_int_equal(postdrop_config_dir_allowed("/etc/postern-out", def, NULL, NULL), 0);
    assert_int_equal(postdrop_config_dir_allowed("/srv/mail", def, alt, ""), 0);
    assert_int_equal(postdrop_config_dir_allowed("/srv/mail/etc/x", def, alt, ""), 0);
    assert_int_equal(postdrop_config_dir_allowed("/etc/postern/../evil", def, alt, ""), 0);
    assert_int_equal(postdrop_config_dir_allowed("etc", def, "etc", ""), 0);
    assert_int_equal(postdrop_config_dir_allowed("/tmp/x", def, "", ""), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_users),
        cmocka_unit_test(test_submit_users_errors),
        cmocka_unit_test(test_sender_maps),
        cmocka_unit_test(test_config_dir),
    };

    msg_init("test_postdrop_auth");
    msg_set_stderr(0);
    msg_set_hook(test_hook);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
