/*
 * test_maildrop.c - unit tests for lib/mail/maildrop.c: which records and
 * attributes a local user may submit, and the envelope pickup builds.
 *
 * The refusals matter most: every record type outside the user set, every
 * attribute outside the allowed names, a duplicate, a value of the wrong
 * kind, a field one byte over its limit, anything after the content but
 * END and anything after END. Each refusal is checked on an otherwise
 * valid submission, so the test fails if the checker accepts it. A file
 * written by the real queue file writer is read back through the queue
 * reader (pickup's path) to show both ends agree.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/maildrop.h"
#include "mail/queue_dir.h"
#include "mail/queue_file.h"
#include "mail/queue_reader.h"
#include "util/buf.h"
#include "util/msg.h"

struct rec {
    int type;
    const char *data; /* NULL: empty */
};

#define END_OF_LIST                                                                                \
    {                                                                                              \
        0, NULL                                                                                    \
    }

/* A valid postdrop input; tests replace or insert one record. */
static const struct rec good[] = {
    {QUEUE_REC_TIME, "1795322771 220767"},
    {QUEUE_REC_ATTR, "rewrite_context=local"},
    {QUEUE_REC_ATTR, "full_name=Test Bob"},
    {QUEUE_REC_SENDER, "bob"},
    {QUEUE_REC_DSN_ENVID, "env-1"},
    {QUEUE_REC_DSN_RET, "2"},
    {QUEUE_REC_DSN_NOTIFY, "6"},
    {QUEUE_REC_RCPT, "carol"},
    {QUEUE_REC_RCPT, "alice@mx.example.test"},
    {QUEUE_REC_MESG, NULL},
    {QUEUE_REC_NORM, "Subject: x"},
    {QUEUE_REC_NORM, ""},
    {QUEUE_REC_CONT, "a long "},
    {QUEUE_REC_NORM, "line"},
    {QUEUE_REC_XTRA, NULL},
    {QUEUE_REC_END, NULL},
    END_OF_LIST,
};

/* Runs recs through a STREAM checker; returns the index of the first
 * refused record, or -1 when all pass and END was seen. */
static int run(const struct rec *recs, size_t n, struct buf *why)
{
    struct maildrop_check c;
    size_t i;
    off_t off = 0;

    maildrop_check_init(&c, MAILDROP_STREAM);
    for (i = 0; i < n; i++) {
        size_t len = recs[i].data ? strlen(recs[i].data) : 0;

        if (maildrop_check_record(&c, recs[i].type, recs[i].data ? recs[i].data : "", len, off,
                                  off + 2 + (off_t)len, why) < 0)
            return (int)i;
        off += 2 + (off_t)len;
    }
    if (!maildrop_check_ended(&c)) {
        buf_set(why, "no END");
        return (int)n;
    }
    return -1;
}

static size_t count(const struct rec *recs)
{
    size_t n = 0;

    while (recs[n].type != 0)
        n++;
    return n;
}

/* good with record at index replaced (replace = 1) or inserted before it. */
static int run_modified(size_t index, int replace, struct rec r, struct buf *why)
{
    struct rec recs[64];
    size_t n = count(good), i, j = 0;

    for (i = 0; i < n; i++) {
        if (i == index) {
            recs[j++] = r;
            if (replace)
                continue;
        }
        recs[j++] = good[i];
    }
    if (index == n)
        recs[j++] = r;
    return run(recs, j, why);
}

static void test_good_stream(void **state)
{
    struct buf why = BUF_INIT;

    (void)state;
    assert_int_equal(run(good, count(good), &why), -1);
    buf_release(&why);
}

static void test_forbidden_types(void **state)
{
    static const struct rec bad[] = {
        {QUEUE_REC_ORCPT, "rfc822;x@y"},
        {QUEUE_REC_DONE, "x@y"},
        {QUEUE_REC_CTIME, "1 2"},
        {QUEUE_REC_WARN, "            100"},
        {QUEUE_REC_FILTER, "smtp:evil"},
        {QUEUE_REC_VERP, "+="},
        {QUEUE_REC_VERSION, "postern-queue 1"},
    };
    struct buf why = BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* In the envelope, before the first recipient. */
        assert_int_equal(run_modified(7, 0, bad[i], &why), 7);
        assert_non_null(strstr(buf_str(&why), "not allowed in a maildrop file"));
    }
    /* An unknown type byte. */
    assert_int_equal(run_modified(1, 0, (struct rec){'?', "x"}, &why), 1);
    assert_string_equal(buf_str(&why), "unknown record type 0x3f");
    buf_release(&why);
}

static void test_attributes(void **state)
{
    static const char *const refused[] = {
        "uid=0",                      /* the submitter is the file owner, never the file */
        "log_client_address=1.2.3.4", /* no SMTP client attributes */
        "rewrite_context=local2",
        "rewrite_context=",
        "encoding=binarymime",
        "extract_recipients=no",
        "notify_flags=0",
        "notify_flags=3",
        "notify_flags=16",
        "notify_flags=07",
        "full_name",
    };
    static const char *const accepted[] = {
        "encoding=8bitmime", "encoding=7bit",   "rewrite_context=remote",
        "notify_flags=1",    "notify_flags=14", "extract_recipients=yes",
        "full_name=",
    };
    struct buf why = BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        if (run_modified(3, 0, (struct rec){QUEUE_REC_ATTR, refused[i]}, &why) != 3)
            fail_msg("attribute \"%s\" was accepted", refused[i]);
    }
    for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        /* Replace the record of the same name, so the value is not a duplicate. */
        size_t at = strncmp(accepted[i], "rewrite_context=", 16) == 0 ? 1 : 2;

        if (run_modified(at, 1, (struct rec){QUEUE_REC_ATTR, accepted[i]}, &why) != -1)
            fail_msg("attribute \"%s\" was refused: %s", accepted[i], buf_str(&why));
    }
    /* Each name at most once. */
    assert_int_equal(run_modified(3, 0, (struct rec){QUEUE_REC_ATTR, "full_name=Again"}, &why), 3);
    assert_string_equal(buf_str(&why), "duplicate named attribute full_name");
    buf_release(&why);
}

static void test_extracted_section(void **state)
{
    struct buf why = BUF_INIT;
    size_t xtra = 14;

    (void)state;
    assert_int_equal(good[xtra].type, QUEUE_REC_XTRA);
    assert_int_equal(run_modified(xtra + 1, 0, (struct rec){QUEUE_REC_RCPT, "extra@x"}, &why),
                     (int)xtra + 1);
    assert_string_equal(buf_str(&why), "recipient record after the message content");
    assert_int_equal(run_modified(xtra + 1, 0, (struct rec){QUEUE_REC_ATTR, "full_name=x"}, &why),
                     (int)xtra + 1);
    /* After END nothing at all. */
    assert_int_equal(run_modified(xtra + 2, 0, (struct rec){QUEUE_REC_END, NULL}, &why),
                     (int)xtra + 2);
    assert_string_equal(buf_str(&why), "record after the END record");
    buf_release(&why);
}

static void test_order_and_completeness(void **state)
{
    struct buf why = BUF_INIT;

    (void)state;
    /* A recipient before the sender (inserted before index 3). */
    assert_int_equal(run_modified(3, 0, (struct rec){QUEUE_REC_RCPT, "early"}, &why), 3);
    /* No arrival time. */
    assert_int_equal(run(good + 1, count(good) - 1, &why), 8);
    /* Envelope records in the content. */
    assert_int_equal(run_modified(11, 0, (struct rec){QUEUE_REC_RCPT, "late"}, &why), 11);
    /* Truncated: no END record. */
    assert_int_equal(run(good, count(good) - 1, &why), (int)count(good) - 1);
    assert_string_equal(buf_str(&why), "no END");
    /* A DSN NOTIFY without its recipient. */
    assert_int_equal(run_modified(9, 0, (struct rec){QUEUE_REC_DSN_NOTIFY, "2"}, &why), 10);
    buf_release(&why);
}

static void test_field_limits(void **state)
{
    static char big[MAILDROP_FIELD_MAX + 2];
    static char attr[MAILDROP_FIELD_MAX + 32];
    static char envid[102];
    struct buf why = BUF_INIT;

    (void)state;
    memset(big, 'a', MAILDROP_FIELD_MAX);
    big[MAILDROP_FIELD_MAX] = '\0';
    assert_int_equal(run_modified(3, 1, (struct rec){QUEUE_REC_SENDER, big}, &why), -1);
    assert_int_equal(run_modified(7, 1, (struct rec){QUEUE_REC_RCPT, big}, &why), -1);
    big[MAILDROP_FIELD_MAX] = 'a';
    assert_int_equal(run_modified(3, 1, (struct rec){QUEUE_REC_SENDER, big}, &why), 3);
    assert_non_null(strstr(buf_str(&why), "longer than"));
    assert_int_equal(run_modified(7, 1, (struct rec){QUEUE_REC_RCPT, big}, &why), 7);
    snprintf(attr, sizeof(attr), "full_name=%s", big);
    assert_int_equal(run_modified(2, 1, (struct rec){QUEUE_REC_ATTR, attr}, &why), 2);
    attr[strlen(attr) - 1] = '\0';
    assert_int_equal(run_modified(2, 1, (struct rec){QUEUE_REC_ATTR, attr}, &why), -1);

    memset(envid, 'e', 100);
    envid[100] = '\0';
    assert_int_equal(run_modified(4, 1, (struct rec){QUEUE_REC_DSN_ENVID, envid}, &why), -1);
    envid[100] = 'e';
    assert_int_equal(run_modified(4, 1, (struct rec){QUEUE_REC_DSN_ENVID, envid}, &why), 4);
    assert_int_equal(run_modified(4, 1, (struct rec){QUEUE_REC_DSN_ENVID, "a\tb"}, &why), 4);
    /* NUL and line breaks come from the queue format's own rules. */
    assert_int_equal(run_modified(2, 1, (struct rec){QUEUE_REC_ATTR, "full_name=a\nb"}, &why), 2);
    buf_release(&why);
}

static void test_envelope(void **state)
{
    struct maildrop_env env;
    struct buf why = BUF_INIT;
    size_t i, n = count(good);
    static const struct rec more[] = {
        {QUEUE_REC_ATTR, "extract_recipients=yes"},
        {QUEUE_REC_ATTR, "notify_flags=1"},
        {QUEUE_REC_ATTR, "encoding=8bitmime"},
    };

    (void)state;
    maildrop_env_init(&env);
    for (i = 0; i < n; i++)
        assert_int_equal(maildrop_env_add(&env, good[i].type, good[i].data ? good[i].data : "",
                                          good[i].data ? strlen(good[i].data) : 0, &why),
                         0);
    for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
        assert_int_equal(
            maildrop_env_add(&env, more[i].type, more[i].data, strlen(more[i].data), &why), 0);
    assert_int_equal(env.arrival_sec, 1795322771L);
    assert_int_equal(env.arrival_usec, 220767L);
    assert_string_equal(env.sender, "bob");
    assert_string_equal(env.full_name, "Test Bob");
    assert_string_equal(env.rewrite_context, "local");
    assert_string_equal(env.envid, "env-1");
    assert_string_equal(env.encoding, "8bitmime");
    assert_int_equal(env.ret, DSN_RET_HDRS);
    assert_int_equal(env.extract, 1);
    assert_int_equal(env.notify_default, DSN_NOTIFY_NEVER);
    assert_int_equal(env.nrcpt, 2);
    assert_string_equal(env.rcpt[0].address, "carol");
    assert_int_equal(env.rcpt[0].notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE);
    assert_string_equal(env.rcpt[1].address, "alice@mx.example.test");
    assert_int_equal(env.rcpt[1].notify, 0); /* NOTIFY belongs to one recipient only */
    assert_string_equal(env.rcpt[1].orcpt, "");
    maildrop_env_free(&env);
    buf_release(&why);
}

/* A maildrop file made by the queue file writer, read back as pickup does. */
static int write_and_check(const char *top, int with_filter, struct buf *why)
{
    struct queue_dir *qd;
    struct queue_file *qf;
    struct queue_file_opts opts;
    struct queue_reader *r;
    struct queue_record rec;
    struct maildrop_check c;
    struct buf err = BUF_INIT;
    struct timeval tv = {1795322771, 220767};
    char id[QUEUE_ID_SIZE];
    int status = 0;
    int n;

    qd = queue_dir_new(top, "", 1, 0, &err);
    assert_non_null(qd);
    queue_file_opts_init(&opts);
    opts.queue = QUEUE_MAILDROP;
    qf = queue_file_create(qd, &opts, &err);
    assert_non_null(qf);
    assert_int_equal(queue_file_put_time(qf, QUEUE_REC_TIME, &tv), 0);
    assert_int_equal(queue_file_put_attr(qf, "full_name", "Test Bob"), 0);
    assert_int_equal(queue_file_put_sender(qf, "bob"), 0);
    if (with_filter)
        assert_int_equal(queue_file_put(qf, QUEUE_REC_FILTER, "smtp:evil", 9), 0);
    assert_int_equal(queue_file_put_recipient(qf, NULL, 0, NULL, "carol", NULL), 0);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_put_line(qf, "body", 4), 0);
    assert_int_equal(queue_file_finish(qf), 0);
    snprintf(id, sizeof(id), "%s", queue_file_id(qf));
    queue_file_close(qf);

    r = queue_reader_open(qd, QUEUE_MAILDROP, id, 0, &err);
    assert_non_null(r);
    maildrop_check_init(&c, MAILDROP_FILE);
    while ((n = queue_reader_next(r, &rec)) == 1) {
        if (maildrop_check_queue_record(&c, &rec, why) < 0) {
            status = -1;
            break;
        }
    }
    if (status == 0)
        assert_int_equal(n, 0);
    if (status == 0 && !maildrop_check_ended(&c))
        status = -1;
    queue_reader_close(r);
    {
        struct buf path = BUF_INIT;

        assert_int_equal(queue_dir_path(qd, QUEUE_MAILDROP, id, &path), 0);
        assert_int_equal(unlink(buf_str(&path)), 0);
        buf_release(&path);
    }
    queue_dir_free(qd);
    buf_release(&err);
    return status;
}

static void test_file_roundtrip(void **state)
{
    char top[] = "/tmp/test_maildrop.XXXXXX";
    struct buf sub = BUF_INIT;
    struct buf why = BUF_INIT;

    (void)state;
    assert_non_null(mkdtemp(top));
    buf_printf(&sub, "%s/%s", top, QUEUE_MAILDROP);
    assert_int_equal(mkdir(buf_str(&sub), 0700), 0);
    assert_int_equal(write_and_check(top, 0, &why), 0);
    assert_int_equal(write_and_check(top, 1, &why), -1);
    assert_string_equal(buf_str(&why), "content_filter record not allowed in a maildrop file");
    assert_int_equal(rmdir(buf_str(&sub)), 0);
    assert_int_equal(rmdir(top), 0);
    buf_release(&sub);
    buf_release(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_stream),
        cmocka_unit_test(test_forbidden_types),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_extracted_section),
        cmocka_unit_test(test_order_and_completeness),
        cmocka_unit_test(test_field_limits),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_file_roundtrip),
    };

    msg_init("test_maildrop");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
