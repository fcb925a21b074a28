/*
 * test_server_log.c - unit tests for lib/server/server_log.c: the
 * maillog_file_prefixes guard, the log line tag (syslog_name, -o override,
 * process name) in a maillog_file, and the fallback to syslog with one
 * warning. Each test gets a private instance directory under /tmp.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "server/server_log.h"
#include "util/buf.h"
#include "util/msg.h"

static char dir[64];
static char logfile[128];
static int warnings;
static char last_warning[512];

static void hook(enum msg_level level, const char *text)
{
    if (level == MSG_WARN) {
        warnings++;
        snprintf(last_warning, sizeof(last_warning), "%s", text);
    }
}

/* Writes main.cf with the given prefixes and loads it. */
static void load_config(const char *prefixes)
{
    char path[160];
    FILE *fp;
    struct buf err = BUF_INIT;

    snprintf(path, sizeof(path), "%s/main.cf", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "maillog_file = %s\nmaillog_file_prefixes = %s\nmyhostname = mx.example.test\n",
            logfile, prefixes);
    fclose(fp);
    conf_reset();
    conf_set_config_dir(dir);
    assert_int_equal(conf_load(&err), 0);
    buf_release(&err);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/postern-log-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(logfile, sizeof(logfile), "%s/maillog", dir);
    msg_init("test_server_log");
    msg_set_stderr(0);
    msg_set_hook(hook);
    return 0;
}

static int teardown(void **state)
{
    char path[160];

    (void)state;
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    (void)unlink(path);
    (void)unlink(logfile);
    return rmdir(dir);
}

static void test_prefix(void **state)
{
    (void)state;
    assert_true(server_log_prefix_ok("/var/log/mail.log", "/var, /dev/stdout"));
    assert_true(server_log_prefix_ok("/dev/stdout", "/var, /dev/stdout"));
    assert_true(server_log_prefix_ok("/dev/stdout", "/var\t\n/dev/stdout"));
    assert_false(server_log_prefix_ok("/tmp/mail.log", "/var, /dev/stdout"));
    assert_false(server_log_prefix_ok("/va", "/var"));
    assert_false(server_log_prefix_ok("/var/log/x", ""));
    assert_false(server_log_prefix_ok("/var/log/x", " , "));
    /* Plain string prefixes, as Postfix compares them. */
    assert_true(server_log_prefix_ok("/variable", "/var"));
}

/* Reads the log file into out. */
static void read_log(struct buf *out)
{
    char chunk[4096];
    ssize_t n;
    int fd = open(logfile, O_RDONLY);

    assert_true(fd >= 0);
    buf_reset(out);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        buf_append(out, chunk, (size_t)n);
    close(fd);
}

static void test_maillog(void **state)
{
    struct buf text = BUF_INIT;
    char expect[128];

    (void)state;
    load_config(dir);
    warnings = 0;
    assert_int_equal(server_log_open("testproc"), SERVER_LOG_MAILLOG);
    msg_info("hello from the test");
    read_log(&text);
    snprintf(expect, sizeof(expect), " mx postern/testproc[%ld]: hello from the test\n",
             (long)getpid());
    assert_non_null(strstr(buf_str(&text), expect));
    assert_int_equal(warnings, 0);

    /* -o syslog_name=postfix/submission: the tag gets the program name. */
    conf_set_override("syslog_name", "postfix/submission");
    assert_int_equal(server_log_open("smtpd"), SERVER_LOG_MAILLOG);
    msg_warn("second line");
    read_log(&text);
    snprintf(expect, sizeof(expect), " mx postfix/submission/smtpd[%ld]: warning: second line\n",
             (long)getpid());
    assert_non_null(strstr(buf_str(&text), expect));
    buf_release(&text);
}

static void test_refused(void **state)
{
    struct buf text = BUF_INIT;

    (void)state;
    (void)unlink(logfile);
    load_config("/nonexistent, /elsewhere");
    warnings = 0;
    assert_int_equal(server_log_open("testproc"), SERVER_LOG_SYSLOG);
    assert_int_equal(warnings, 1);
    assert_non_null(strstr(last_warning, "does not start with any of maillog_file_prefixes"));
    assert_non_null(strstr(last_warning, logfile));
    /* Not created, and not warned about twice. */
    assert_int_equal(access(logfile, F_OK), -1);
    assert_int_equal(server_log_open("testproc"), SERVER_LOG_SYSLOG);
    assert_int_equal(warnings, 1);
    buf_release(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_maillog),
        cmocka_unit_test(test_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
