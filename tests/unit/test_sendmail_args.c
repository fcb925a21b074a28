/*
 * test_sendmail_args.c - unit tests for src/sendmail/sendmail_args.c: the
 * sendmail command line as Postfix 3.7 reads it.
 *
 * Pins down what was observed on Postfix: options end at the first
 * recipient (so a later "-f" is a recipient), grouped flags, arguments in
 * the same or the next word, -q's optional argument, the ignored options,
 * the fatal ones (-n, -bz, -X without V, a missing argument), and the
 * values that are warned about and ignored (-N, -R, -V). Warnings are
 * captured through msg_set_hook so a silent change fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/cleanup_proto.h"
#include "sendmail.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"

static struct buf warnings = BUF_INIT;

static void test_hook(enum msg_level level, const char *text)
{
    if (level == MSG_WARN) {
        buf_append_str(&warnings, text);
        buf_append_char(&warnings, '\n');
    }
}

/* Parses a NULL-terminated argument list (argv[0] first). */
static int parse(struct sendmail_opts *opts, struct buf *err, const char *const *args)
{
    static char *argv[64];
    int argc = 0;

    while (args[argc] != NULL) {
        assert_true(argc < 63);
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    buf_reset(&warnings);
    buf_reset(err);
    return sendmail_args_parse(opts, argc, argv, err);
}

static void test_defaults(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *args[] = {"/usr/sbin/sendmail", "alice", "bob@example.test", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, args), 0);
    assert_int_equal(o.mode, SENDMAIL_MODE_ENQUEUE);
    assert_int_equal(o.dot_ends, 1);
    assert_int_equal(o.extract, 0);
    assert_null(o.sender);
    assert_null(o.full_name);
    assert_int_equal(o.dsn_notify, 0);
    assert_int_equal(o.dsn_ret, 0);
    assert_int_equal(o.nrcpt, 2);
    assert_string_equal(o.rcpt[0], "alice");
    assert_string_equal(o.rcpt[1], "bob@example.test");
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_options_stop_at_first_recipient(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *args[] = {"sendmail", "-oi", "root", "-f", "x@y", "-oi", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, args), 0);
    assert_int_equal(o.dot_ends, 0);
    assert_null(o.sender);
    assert_int_equal(o.nrcpt, 4);
    assert_string_equal(o.rcpt[0], "root");
    assert_string_equal(o.rcpt[1], "-f");
    assert_string_equal(o.rcpt[3], "-oi");
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_double_dash_and_lone_dash(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *dd[] = {"sendmail", "-t", "--", "-evil@example.test", NULL};
    const char *dash[] = {"sendmail", "-", "-t", NULL};
    const char *only_dd[] = {"sendmail", "-i", "--", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, dd), 0);
    assert_int_equal(o.extract, 1);
    assert_int_equal(o.nrcpt, 1);
    assert_string_equal(o.rcpt[0], "-evil@example.test");
    sendmail_opts_free(&o);

    /* A lone "-" is not an option: it is the first recipient. */
    assert_int_equal(parse(&o, &err, dash), 0);
    assert_int_equal(o.extract, 0);
    assert_int_equal(o.nrcpt, 2);
    assert_string_equal(o.rcpt[0], "-");
    sendmail_opts_free(&o);

    assert_int_equal(parse(&o, &err, only_dd), 0);
    assert_int_equal(o.nrcpt, 0);
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_grouped_flags_and_arguments(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    /* -tif: f takes the next word; -Fname takes the rest of its word. */
    const char *args[] = {"sendmail", "-tif", "bob@x", "-FBob The Sender", "-r<r@x>", "c", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, args), 0);
    assert_int_equal(o.extract, 1);
    assert_int_equal(o.dot_ends, 0);
    /* -r comes later and wins; one pair of <> is removed. */
    assert_string_equal(o.sender, "r@x");
    assert_string_equal(o.full_name, "Bob The Sender");
    assert_int_equal(o.nrcpt, 1);
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_null_sender(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *angle[] = {"sendmail", "-f", "<>", "a", NULL};
    const char *empty[] = {"sendmail", "-f", "", "a", NULL};
    const char *one[] = {"sendmail", "-f", "<", "a", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, angle), 0);
    assert_string_equal(o.sender, "");
    sendmail_opts_free(&o);
    assert_int_equal(parse(&o, &err, empty), 0);
    assert_string_equal(o.sender, "");
    sendmail_opts_free(&o);
    /* A single "<" has no pair to remove. */
    assert_int_equal(parse(&o, &err, one), 0);
    assert_string_equal(o.sender, "<");
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_modes(void **state)
{
    static const struct {
        const char *arg0;
        const char *opt;
        enum sendmail_mode mode;
    } cases[] = {
        {"sendmail", "-bm", SENDMAIL_MODE_ENQUEUE},
        {"sendmail", "-bs", SENDMAIL_MODE_SMTP},
        {"sendmail", "-bp", SENDMAIL_MODE_MAILQ},
        {"sendmail", "-bi", SENDMAIL_MODE_NEWALIASES},
        {"sendmail", "-I", SENDMAIL_MODE_NEWALIASES},
        {"sendmail", "-bd", SENDMAIL_MODE_DAEMON},
        {"sendmail", "-bl", SENDMAIL_MODE_DAEMON},
        {"sendmail", "-bv", SENDMAIL_MODE_VERIFY},
        {"sendmail", "-bh", SENDMAIL_MODE_NOOP},
        {"sendmail", "-bH", SENDMAIL_MODE_NOOP},
        {"sendmail", "-q", SENDMAIL_MODE_FLUSH},
        {"sendmail", "-q30m", SENDMAIL_MODE_NOOP},
        {"/usr/bin/mailq", NULL, SENDMAIL_MODE_MAILQ},
        {"newaliases", NULL, SENDMAIL_MODE_NEWALIASES},
        {"/x/mailq.sh", NULL, SENDMAIL_MODE_ENQUEUE},
        /* An explicit mode wins over the program name. */
        {"mailq", "-bm", SENDMAIL_MODE_ENQUEUE},
    };
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = {cases[i].arg0, cases[i].opt, NULL};

        assert_int_equal(parse(&o, &err, args), 0);
        if (o.mode != cases[i].mode)
            fail_msg("%s %s: mode %d, expected %d", cases[i].arg0, cases[i].opt ? cases[i].opt : "",
                     o.mode, cases[i].mode);
        sendmail_opts_free(&o);
    }
    buf_release(&err);
}

static void test_queue_run_arguments(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *qi[] = {"sendmail", "-qI4F2B", NULL};
    const char *qr[] = {"sendmail", "-qRexample.test", "ignored", NULL};
    const char *qi_empty[] = {"sendmail", "-qI", "4F2B", NULL};
    const char *qs[] = {"sendmail", "-qSexample.test", NULL};
    /* -q never takes the next word: "-q" then a recipient-looking word. */
    const char *q_next[] = {"sendmail", "-q", "I4F2B", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, qi), 0);
    assert_int_equal(o.mode, SENDMAIL_MODE_FLUSH_ID);
    assert_string_equal(o.queue_arg, "4F2B");
    sendmail_opts_free(&o);
    assert_int_equal(parse(&o, &err, qr), 0);
    assert_int_equal(o.mode, SENDMAIL_MODE_FLUSH_SITE);
    assert_string_equal(o.queue_arg, "example.test");
    sendmail_opts_free(&o);
    assert_int_equal(parse(&o, &err, qi_empty), -1);
    assert_string_equal(buf_str(&err), "-qI needs an argument");
    assert_int_equal(parse(&o, &err, qs), -1);
    assert_non_null(strstr(buf_str(&err), "-qS is not implemented"));
    assert_int_equal(parse(&o, &err, q_next), 0);
    assert_int_equal(o.mode, SENDMAIL_MODE_FLUSH);
    assert_int_equal(o.nrcpt, 1);
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_ignored_options(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *args[] = {"sendmail", "-Am",
                          "-h",       "5",
                          "-L",       "label",
                          "-U",       "-m",
                          "-o7",      "-o8",
                          "-om",      "-oQ/var/spool",
                          "-O",       "DeliveryMode=b",
                          "-v",       "-v",
                          "-G",       "alice",
                          NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, args), 0);
    assert_int_equal(o.mode, SENDMAIL_MODE_ENQUEUE);
    assert_int_equal(o.dot_ends, 1); /* only -oi changes it */
    assert_int_equal(o.verbose, 2);
    assert_int_equal(o.gateway, 1);
    assert_int_equal(o.nrcpt, 1);
    assert_string_equal(o.rcpt[0], "alice");
    assert_string_equal(buf_str(&warnings), "");
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_alias_db_and_config(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *args[] = {"newaliases", "-oAhash:/etc/other", "-C", "/etc/x/main.cf", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, args), 0);
    assert_int_equal(o.mode, SENDMAIL_MODE_NEWALIASES);
    assert_string_equal(o.alias_db, "hash:/etc/other");
    assert_string_equal(o.config, "/etc/x/main.cf");
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_fatal_options(void **state)
{
    static const struct {
        const char *opt;
        const char *arg;
        const char *err;
    } cases[] = {
        {"-n", NULL, "-n option not supported"},
        {"-bz", NULL, "unsupported: -bz"},
        {"-bmx", NULL, "unsupported: -bmx"},
        {"-X", "/tmp/log", "unsupported: -X/"},
        {"-B", "binarymime", "-B option needs 8BITMIME or 7BIT"},
        {"-z", NULL, "invalid option -- 'z'"},
        {"-t\x01", NULL, "invalid option -- '\\x01'"},
        {"-f", NULL, "option requires an argument -- 'f'"},
        {"-ti", "-F", "option requires an argument -- 'F'"},
    };
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = {"sendmail", cases[i].opt, cases[i].arg, NULL};

        assert_int_equal(parse(&o, &err, args), -1);
        assert_string_equal(buf_str(&err), cases[i].err);
        sendmail_opts_free(&o);
    }
    buf_release(&err);
}

static void test_body_type(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *b8[] = {"sendmail", "-B8bitMIME", "a", NULL};
    const char *b7[] = {"sendmail", "-B", "7BIT", "a", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, b8), 0);
    assert_string_equal(o.encoding, SENDMAIL_BODY_8BIT);
    sendmail_opts_free(&o);
    assert_int_equal(parse(&o, &err, b7), 0);
    assert_string_equal(o.encoding, SENDMAIL_BODY_7BIT);
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_dsn_options(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *good[] = {"sendmail", "-N", "Success,delay", "-R", "HDRS", "-V", "env-42",
                          "a",        NULL};
    const char *bad[] = {"sendmail", "-N", "bogus", "-R", "xx", "-V", "bad\tid", "a", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, good), 0);
    assert_int_equal(o.dsn_notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY);
    assert_int_equal(o.dsn_ret, DSN_RET_HDRS);
    assert_string_equal(o.envid, "env-42");
    assert_string_equal(buf_str(&warnings), "");
    sendmail_opts_free(&o);

    /* Bad values are warned about and ignored; the message still goes. */
    assert_int_equal(parse(&o, &err, bad), 0);
    assert_int_equal(o.dsn_notify, 0);
    assert_int_equal(o.dsn_ret, 0);
    assert_null(o.envid);
    assert_string_equal(buf_str(&warnings),
                        "unknown DSN NOTIFY command value \"bogus\" in \"bogus\"\n"
                        "bad -N option value -- ignored\n"
                        "bad -R option value -- ignored\n"
                        "bad -V option value -- ignored\n");
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_envid_length(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    char id[SENDMAIL_ENVID_MAX + 2];
    const char *args[] = {"sendmail", "-V", id, "a", NULL};

    (void)state;
    memset(id, 'e', SENDMAIL_ENVID_MAX);
    id[SENDMAIL_ENVID_MAX] = '\0';
    assert_int_equal(parse(&o, &err, args), 0);
    assert_non_null(o.envid);
    assert_int_equal(strlen(o.envid), SENDMAIL_ENVID_MAX);
    sendmail_opts_free(&o);
    id[SENDMAIL_ENVID_MAX] = 'e';
    id[SENDMAIL_ENVID_MAX + 1] = '\0';
    assert_int_equal(parse(&o, &err, args), 0);
    assert_null(o.envid);
    assert_string_equal(buf_str(&warnings), "bad -V option value -- ignored\n");
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_verp_ignored(void **state)
{
    struct sendmail_opts o;
    struct buf err = BUF_INIT;
    const char *args[] = {"sendmail", "-XV", "a", NULL};

    (void)state;
    assert_int_equal(parse(&o, &err, args), 0);
    assert_string_equal(buf_str(&warnings), "-XV (VERP) is not supported -- ignored\n");
    assert_int_equal(o.nrcpt, 1);
    sendmail_opts_free(&o);
    buf_release(&err);
}

static void test_parse_notify(void **state)
{
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(sendmail_parse_notify("never", &err), DSN_NOTIFY_NEVER);
    assert_int_equal(sendmail_parse_notify("FAILURE", &err), DSN_NOTIFY_FAILURE);
    assert_int_equal(sendmail_parse_notify("failure, delay ,success", &err),
                     DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY | DSN_NOTIFY_SUCCESS);
    /* NEVER must stand alone (RFC 3461 4.1); an empty list says nothing. */
    assert_int_equal(sendmail_parse_notify("never,success", &err), -1);
    assert_int_equal(sendmail_parse_notify("", &err), -1);
    assert_int_equal(sendmail_parse_notify(",", &err), -1);
    assert_int_equal(sendmail_parse_notify("failures", &err), -1);
    buf_release(&err);
}

static void test_config_dir(void **state)
{
    char dir[] = "/tmp/test_sendmail_args.XXXXXX";
    struct buf path = BUF_INIT;
    char *out;
    FILE *fp;

    (void)state;
    assert_non_null(mkdtemp(dir));
    buf_printf(&path, "%s/main.cf", dir);
    fp = fopen(buf_str(&path), "w");
    assert_non_null(fp);
    fclose(fp);

    out = sendmail_config_dir(buf_str(&path)); /* a file: its directory */
    assert_string_equal(out, dir);
    mem_free(out);
    buf_reset(&path);
    buf_printf(&path, "%s//", dir); /* a directory, trailing slashes dropped */
    out = sendmail_config_dir(buf_str(&path));
    assert_string_equal(out, dir);
    mem_free(out);
    out = sendmail_config_dir("/nonexistent/dir"); /* taken as given */
    assert_string_equal(out, "/nonexistent/dir");
    mem_free(out);
    out = sendmail_config_dir("/");
    assert_string_equal(out, "/");
    mem_free(out);

    buf_reset(&path);
    buf_printf(&path, "%s/main.cf", dir);
    assert_int_equal(unlink(buf_str(&path)), 0);
    assert_int_equal(rmdir(dir), 0);
    buf_release(&path);
}

static void test_full_name(void **state)
{
    char *s;

    (void)state;
    s = sendmail_full_name("From Env", "Test Bob,room 1", "bob");
    assert_string_equal(s, "From Env");
    mem_free(s);
    s = sendmail_full_name(NULL, "Test Bob,room 1,555", "bob");
    assert_string_equal(s, "Test Bob");
    mem_free(s);
    s = sendmail_full_name("", "& Builder", "bob");
    assert_string_equal(s, "Bob Builder");
    mem_free(s);
    s = sendmail_full_name(NULL, ",,,", "bob");
    assert_string_equal(s, "");
    mem_free(s);
    s = sendmail_full_name(NULL, NULL, "bob");
    assert_string_equal(s, "");
    mem_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_options_stop_at_first_recipient),
        cmocka_unit_test(test_double_dash_and_lone_dash),
        cmocka_unit_test(test_grouped_flags_and_arguments),
        cmocka_unit_test(test_null_sender),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_queue_run_arguments),
        cmocka_unit_test(test_ignored_options),
        cmocka_unit_test(test_alias_db_and_config),
        cmocka_unit_test(test_fatal_options),
        cmocka_unit_test(test_body_type),
        cmocka_unit_test(test_dsn_options),
        cmocka_unit_test(test_envid_length),
        cmocka_unit_test(test_verp_ignored),
        cmocka_unit_test(test_parse_notify),
        cmocka_unit_test(test_config_dir),
        cmocka_unit_test(test_full_name),
    };

    msg_init("test_sendmail_args");
    msg_set_stderr(0);
    msg_set_hook(test_hook);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
