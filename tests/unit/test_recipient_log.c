/*
 * test_recipient_log.c - unit tests of the bounce/defer/trace recipient
 * logs (lib/mail/recipient_log.h): round trips of awkward values, the
 * parser's refusals, forward compatibility, appends into hashed queues,
 * torn records after a crash, and the reader over files and memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <cmocka.h>

#include "mail/queue_id.h"
#include "mail/recipient_log.h"
#include "queue_fixture.h"
#include "util/mem.h"

static void entry_fill(struct recipient_log_entry *e, const char *rcpt, const char *reason)
{
    recipient_log_entry_init(e);
    e->recipient = mem_strdup(rcpt);
    e->orig_rcpt = mem_strdup("Orig@Example.test");
    e->dsn_orcpt = mem_strdup("rfc822;orig=x@example.test");
    e->notify = 0x4 | 0x8;
    e->offset = 1234;
    e->time = 1795322847;
    e->dsn_status = mem_strdup("5.1.1");
    e->action = mem_strdup("failed");
    e->relay = mem_strdup("host[192.0.2.1]:25");
    e->mta = mem_strdup("dns; host");
    e->diag = mem_strdup("smtp; 550 5.1.1 no");
    e->reason = mem_strdup(reason);
}

static void test_roundtrip(void **state)
{
    struct recipient_log_entry in, out;
    struct buf line = BUF_INIT, why = BUF_INIT;
    /* Every byte that the encoding must protect, plus high bytes. */
    const char *reason = "a=b\tc\nd\re%41 100% \x01\x7f\xc3\xa9 end";

    (void)state;
    entry_fill(&in, "user@example.test", reason);
    recipient_log_format(&line, &in);
    /* One line, no raw TAB inside values: 13 fields, 12 TABs. */
    assert_non_null(strchr(buf_str(&line), '\n'));
    assert_true(strchr(buf_str(&line), '\n') == buf_str(&line) + buf_len(&line) - 1);
    {
        size_t tabs = 0;
        const char *p;

        for (p = buf_str(&line); *p; p++)
            tabs += *p == '\t';
        assert_int_equal(tabs, 12);
    }
    recipient_log_entry_init(&out);
    assert_int_equal(recipient_log_parse(buf_str(&line), buf_len(&line), &out, &why), 0);
    assert_string_equal(out.recipient, "user@example.test");
    assert_string_equal(out.orig_rcpt, "Orig@Example.test");
    assert_string_equal(out.dsn_orcpt, "rfc822;orig=x@example.test");
    assert_int_equal(out.notify, 12);
    assert_int_equal(out.offset, 1234);
    assert_int_equal(out.time, 1795322847);
    assert_string_equal(out.dsn_status, "5.1.1");
    assert_string_equal(out.action, "failed");
    assert_string_equal(out.relay, "host[192.0.2.1]:25");
    assert_string_equal(out.mta, "dns; host");
    assert_string_equal(out.diag, "smtp; 550 5.1.1 no");
    assert_string_equal(out.reason, reason);
    recipient_log_entry_free(&in);
    recipient_log_entry_free(&out);
    buf_release(&line);
    buf_release(&why);
}

static void test_minimal_and_unknown_fields(void **state)
{
    struct recipient_log_entry e;
    struct buf why = BUF_INIT;
    const char *line = "v=1\trecipient=a@b\tstatus=4.4.1\taction=delayed\tfuture=x%3D\n";

    (void)state;
    recipient_log_entry_init(&e);
    assert_int_equal(recipient_log_parse(line, strlen(line), &e, &why), 0);
    assert_string_equal(e.recipient, "a@b");
    assert_string_equal(e.reason, "");
    assert_string_equal(e.relay, "");
    assert_int_equal(e.offset, 0);
    /* Without the LF too. */
    assert_int_equal(recipient_log_parse(line, strlen(line) - 1, &e, &why), 0);
    assert_string_equal(e.dsn_status, "4.4.1");
    recipient_log_entry_free(&e);
    buf_release(&why);
}

static void test_refusals(void **state)
{
    static const char *const bad[] = {
        "",
        "recipient=a@b\tv=1\tstatus=5.0.0\taction=failed",                /* v= not first */
        "v=2\trecipient=a@b\tstatus=5.0.0\taction=failed",                /* unknown version */
        "v=1\tv=1\trecipient=a@b\tstatus=5.0.0\taction=failed",           /* v twice */
        "v=1\tstatus=5.0.0\taction=failed",                               /* no recipient */
        "v=1\trecipient=a@b\taction=failed",                              /* no status */
        "v=1\trecipient=a@b\tstatus=5.0.0",                               /* no action */
        "v=1\trecipient=a@b\tstatus=5.0.0\taction=",                      /* empty action */
        "v=1\trecipient=a@b\tstatus=3.0.0\taction=failed",                /* class 3 */
        "v=1\trecipient=a@b\tstatus=5.0\taction=failed",                  /* two parts */
        "v=1\trecipient=a@b\tstatus=5.0000.0\taction=failed",             /* 4 digits */
        "v=1\trecipient=a@b\tstatus=5.0.0x\taction=failed",               /* trailing junk */
        "v=1\trecipient=a@b\tstatus=5.0.0\taction=failed\trecipient=c@d", /* duplicate */
        "v=1\trecipient=a%4\tstatus=5.0.0\taction=failed",                /* short escape */
        "v=1\trecipient=a%zz\tstatus=5.0.0\taction=failed",               /* bad hex */
        "v=1\trecipient=a%00\tstatus=5.0.0\taction=failed",               /* NUL */
        "v=1\trecipient=a=b\tstatus=5.0.0\taction=failed",                /* raw '=' */
        "v=1\trecipient=a@b\tstatus=5.0.0\taction=failed\tnoequals",
        "v=1\trecipient=a@b\tstatus=5.0.0\taction=failed\t=x", /* empty name */
        "v=1\trecipient=a@b\tstatus=5.0.0\taction=failed\toffset=-1",
        "v=1\trecipient=a@b\tstatus=5.0.0\taction=failed\toffset=99999999999999999999",
        "v=1\trecipient=a@b\tstatus=5.0.0\taction=failed\tnotify=256",
        "v=1\trecipient=a@b\tstatus=5.0.0\taction=failed\ttime=1x",
        "v=1\trecipient=a@b\tstatus=5.0.0\taction=failed\t", /* empty field */
        "v=1\trecipient=a\rb\tstatus=5.0.0\taction=failed",  /* raw CR */
    };
    struct recipient_log_entry e;
    struct buf why = BUF_INIT;
    size_t i;

    (void)state;
    recipient_log_entry_init(&e);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf_reset(&why);
        if (recipient_log_parse(bad[i], strlen(bad[i]), &e, &why) != -1)
            fail_msg("accepted bad line %zu: %s", i, bad[i]);
        assert_true(buf_len(&why) > 0);
    }
    /* A refused line leaves e as it was (empty here). */
    assert_null(e.recipient);
    buf_release(&why);
}

static void make_id(char *id, size_t size, unsigned n)
{
    struct timeval tv = {1795322847, 123456};

    assert_true(queue_id_make(id, size, 1000 + n, &tv, 0) > 0);
}

static void test_append_and_read(void **state)
{
    struct queue_fixture *fx = queue_fixture_new("deferred, defer", 1, 0);
    struct recipient_log_entry e, out;
    struct recipient_log *log;
    struct recipient_log_reader *r;
    struct buf err = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    int i;

    (void)state;
    assert_non_null(fx);
    make_id(id, sizeof(id), 1);
    assert_false(recipient_log_exists(fx->qd, QUEUE_DEFER, id));
    /* The hashed defer/X/ directory is created on demand. */
    log = recipient_log_open(fx->qd, QUEUE_DEFER, id, &err);
    assert_non_null(log);
    for (i = 0; i < 3; i++) {
        char rcpt[32];

        snprintf(rcpt, sizeof(rcpt), "u%d@example.test", i);
        entry_fill(&e, rcpt, "try later");
        assert_int_equal(recipient_log_append(log, &e, &err), 0);
        recipient_log_entry_free(&e);
    }
    assert_int_equal(recipient_log_close(log, 1, &err), 0);
    assert_true(recipient_log_exists(fx->qd, QUEUE_DEFER, id));

    r = recipient_log_reader_open(fx->qd, QUEUE_DEFER, id, &err);
    assert_non_null(r);
    recipient_log_entry_init(&out);
    for (i = 0; i < 3; i++) {
        char rcpt[32];

        snprintf(rcpt, sizeof(rcpt), "u%d@example.test", i);
        assert_int_equal(recipient_log_reader_next(r, &out, &err), 1);
        assert_string_equal(out.recipient, rcpt);
    }
    assert_int_equal(recipient_log_reader_next(r, &out, &err), 0);
    assert_int_equal(recipient_log_reader_next(r, &out, &err), 0);
    recipient_log_reader_close(r);
    recipient_log_entry_free(&out);

    assert_int_equal(recipient_log_remove(fx->qd, QUEUE_DEFER, id), 0);
    assert_false(recipient_log_exists(fx->qd, QUEUE_DEFER, id));
    /* Removing what is not there is fine; opening it is ENOENT. */
    assert_int_equal(recipient_log_remove(fx->qd, QUEUE_DEFER, id), 0);
    assert_null(recipient_log_reader_open(fx->qd, QUEUE_DEFER, id, &err));
    assert_int_equal(errno, ENOENT);
    /* Bad queue or ID. */
    assert_null(recipient_log_open(fx->qd, "nosuchqueue", id, &err));
    assert_null(recipient_log_open(fx->qd, QUEUE_BOUNCE, "../x", &err));
    buf_release(&err);
    assert_int_equal(queue_fixture_free(fx), 0);
}

static void test_torn_record(void **state)
{
    struct queue_fixture *fx = queue_fixture_new("deferred, defer", 1, 0);
    struct recipient_log_entry e, out;
    struct recipient_log *log;
    struct recipient_log_reader *r;
    struct buf err = BUF_INIT, path = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    FILE *fp;

    (void)state;
    assert_non_null(fx);
    make_id(id, sizeof(id), 2);
    /* A crash left half a record without its LF in bounce/ID. */
    assert_int_equal(queue_dir_path(fx->qd, QUEUE_BOUNCE, id, &path), 0);
    fp = fopen(buf_str(&path), "w");
    assert_non_null(fp);
    fputs("v=1\trecipient=first@x\tstatus=5.0.0\taction=failed\n", fp);
    fputs("v=1\trecipient=torn@x\tsta", fp);
    fclose(fp);
    log = recipient_log_open(fx->qd, QUEUE_BOUNCE, id, &err);
    assert_non_null(log);
    entry_fill(&e, "after@x", "r");
    assert_int_equal(recipient_log_append(log, &e, &err), 0);
    recipient_log_entry_free(&e);
    assert_int_equal(recipient_log_close(log, 0, &err), 0);

    r = recipient_log_reader_open(fx->qd, QUEUE_BOUNCE, id, &err);
    assert_non_null(r);
    recipient_log_entry_init(&out);
    assert_int_equal(recipient_log_reader_next(r, &out, &err), 1);
    assert_string_equal(out.recipient, "first@x");
    assert_int_equal(recipient_log_reader_next(r, &out, &err), -1);
    assert_non_null(strstr(buf_str(&err), "line 2"));
    assert_int_equal(recipient_log_reader_next(r, &out, &err), 1);
    assert_string_equal(out.recipient, "after@x");
    assert_int_equal(recipient_log_reader_next(r, &out, &err), 0);
    recipient_log_reader_close(r);
    recipient_log_entry_free(&out);
    buf_release(&err);
    buf_release(&path);
    assert_int_equal(queue_fixture_free(fx), 0);
}

static void test_reader_mem(void **state)
{
    const char data[] = "v=1\trecipient=a@x\tstatus=2.0.0\taction=delivered\n"
                        "garbage\n"
                        "\n"
                        "v=1\trecipient=b@x\tstatus=4.0.0\taction=delayed\n"
                        "v=1\trecipient=c@x\tstatus=4.0.0\taction=delayed";
    struct recipient_log_reader *r = recipient_log_reader_open_mem(data, sizeof(data) - 1);
    struct recipient_log_entry e;
    struct buf why = BUF_INIT;

    (void)state;
    recipient_log_entry_init(&e);
    assert_int_equal(recipient_log_reader_next(r, &e, &why), 1);
    assert_string_equal(e.recipient, "a@x");
    assert_int_equal(recipient_log_reader_next(r, &e, &why), -1);
    assert_non_null(strstr(buf_str(&why), "line 2"));
    assert_int_equal(recipient_log_reader_next(r, &e, &why), -1); /* empty line */
    assert_int_equal(recipient_log_reader_next(r, &e, &why), 1);
    assert_string_equal(e.recipient, "b@x");
    /* The last record lacks its LF: torn. */
    assert_int_equal(recipient_log_reader_next(r, &e, &why), -1);
    assert_non_null(strstr(buf_str(&why), "torn"));
    assert_int_equal(recipient_log_reader_next(r, &e, &why), 0);
    recipient_log_reader_close(r);
    recipient_log_entry_free(&e);
    buf_release(&why);
}

static void test_overlong_line(void **state)
{
    struct queue_fixture *fx = queue_fixture_new("deferred, defer", 1, 0);
    struct recipient_log_reader *r;
    struct recipient_log_entry e;
    struct buf err = BUF_INIT, path = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    FILE *fp;
    size_t i;

    (void)state;
    assert_non_null(fx);
    make_id(id, sizeof(id), 3);
    assert_int_equal(queue_dir_path(fx->qd, QUEUE_BOUNCE, id, &path), 0);
    fp = fopen(buf_str(&path), "w");
    assert_non_null(fp);
    fputs("v=1\trecipient=", fp);
    for (i = 0; i < RECIPIENT_LOG_LINE_MAX + 100000; i++)
        fputc('x', fp);
    fputs("\tstatus=5.0.0\taction=failed\n", fp);
    fputs("v=1\trecipient=ok@x\tstatus=5.0.0\taction=failed\n", fp);
    fclose(fp);
    r = recipient_log_reader_open(fx->qd, QUEUE_BOUNCE, id, &err);
    assert_non_null(r);
    recipient_log_entry_init(&e);
    assert_int_equal(recipient_log_reader_next(r, &e, &err), -1);
    assert_non_null(strstr(buf_str(&err), "longer than"));
    assert_int_equal(recipient_log_reader_next(r, &e, &err), 1);
    assert_string_equal(e.recipient, "ok@x");
    assert_int_equal(recipient_log_reader_next(r, &e, &err), 0);
    recipient_log_reader_close(r);
    recipient_log_entry_free(&e);
    buf_release(&err);
    buf_release(&path);
    assert_int_equal(queue_fixture_free(fx), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),     cmocka_unit_test(test_minimal_and_unknown_fields),
        cmocka_unit_test(test_refusals),      cmocka_unit_test(test_append_and_read),
        cmocka_unit_test(test_torn_record),   cmocka_unit_test(test_reader_mem),
        cmocka_unit_test(test_overlong_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
