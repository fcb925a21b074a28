/*
 * test_showq_proto.c - unit tests of lib/mail/showq_proto.c: an entry
 * survives encode and decode; the end message; every malformed variant
 * the decoder must refuse (fail closed); the recipient cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/showq_proto.h"
#include "util/mem.h"

static void fill(struct showq_entry *e)
{
    showq_entry_init(e);
    memcpy(e->queue_name, "deferred", 9);
    memcpy(e->queue_id, "5B9E8A72201", 12);
    e->arrival = 1795322543;
    e->size = 385;
    e->sender = mem_strdup("");
    showq_entry_add_rcpt(e, "r1@refused.example.test", "Connection refused");
    showq_entry_add_rcpt(e, "s1@sink.example.test", NULL);
}

/* Decodes bytes as one message and then as a showq message. */
static int decode(const struct buf *b, struct showq_entry *e, long *count, struct buf *err)
{
    struct attr_limits lim;
    struct attr_msg m;
    int rc;

    showq_limits(&lim);
    attr_msg_init(&m, &lim);
    if (attr_decode_exact(buf_str(b), buf_len(b), &m, err) != ATTR_OK) {
        attr_msg_free(&m);
        return -2;
    }
    rc = showq_decode(&m, e, count, err);
    attr_msg_free(&m);
    return rc;
}

static void test_roundtrip(void **state)
{
    struct showq_entry e, d;
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;

    (void)state;
    fill(&e);
    showq_entry_init(&d);
    showq_encode_entry(&b, &e);
    assert_int_equal(decode(&b, &d, NULL, &err), 1);
    assert_string_equal(d.queue_name, "deferred");
    assert_string_equal(d.queue_id, "5B9E8A72201");
    assert_int_equal(d.arrival, 1795322543);
    assert_int_equal(d.size, 385);
    assert_string_equal(d.sender, "");
    assert_int_equal(d.nrcpt, 2);
    assert_string_equal(d.rcpts[0].reason, "Connection refused");
    assert_null(d.rcpts[1].reason);
    assert_int_equal(d.omitted, 0);
    /* set_reason matches by address only */
    assert_int_equal(showq_entry_set_reason(&d, "s1@sink.example.test", "x"), 1);
    assert_int_equal(showq_entry_set_reason(&d, "nobody@x", "x"), 0);
    showq_entry_free(&e);
    showq_entry_free(&d);
    buf_release(&b);
    buf_release(&err);
}

static void test_end(void **state)
{
    struct showq_entry d;
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;
    long count = -1;

    (void)state;
    showq_entry_init(&d);
    showq_encode_end(&b, 42);
    assert_int_equal(decode(&b, &d, &count, &err), 0);
    assert_int_equal(count, 42);
    buf_reset(&b);
    attr_put_int(&b, "end", 2);
    attr_put_long(&b, "count", 1);
    attr_put_end(&b);
    assert_int_equal(decode(&b, &d, &count, &err), -1);
    buf_reset(&b);
    attr_put_int(&b, "end", 1);
    attr_put_end(&b); /* no count */
    assert_int_equal(decode(&b, &d, &count, &err), -1);
    showq_entry_free(&d);
    buf_release(&b);
    buf_release(&err);
}

/* An entry with one field changed must be refused. */
static void bad_entry(const char *qname, const char *qid, int64_t t, uint32_t fe, int drop_sender,
                      int reason_int)
{
    struct showq_entry d;
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;

    showq_entry_init(&d);
    attr_put_cstr(&b, "queue_name", qname);
    attr_put_cstr(&b, "queue_id", qid);
    attr_put_long(&b, "time", t);
    attr_put_long(&b, "size", 10);
    attr_put_int(&b, "forced_expire", fe);
    if (!drop_sender)
        attr_put_cstr(&b, "sender", "a@b");
    attr_list_begin(&b, "recipients");
    attr_list_entry(&b);
    attr_put_cstr(&b, "address", "x@y");
    if (reason_int)
        attr_put_int(&b, "reason", 1);
    attr_list_end(&b);
    attr_put_end(&b);
    assert_int_equal(decode(&b, &d, NULL, &err), -1);
    assert_true(buf_len(&err) > 0);
    showq_entry_free(&d);
    buf_release(&b);
    buf_release(&err);
}

static void test_malformed(void **state)
{
    struct showq_entry d;
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;

    (void)state;
    bad_entry("nosuchqueue", "5B9E8A72201", 1, 0, 0, 0);
    bad_entry("deferred", "../etc", 1, 0, 0, 0);
    bad_entry("deferred", "5B9E8A72201", -1, 0, 0, 0);
    bad_entry("deferred", "5B9E8A72201", 1, 2, 0, 0);
    bad_entry("deferred", "5B9E8A72201", 1, 0, 1, 0);
    bad_entry("deferred", "5B9E8A72201", 1, 0, 0, 1);
    /* the same fields but valid: accepted (the helper's baseline) */
    showq_entry_init(&d);
    attr_put_cstr(&b, "queue_name", "hold");
    attr_put_cstr(&b, "queue_id", "5B9E8A72201");
    attr_put_long(&b, "time", 0);
    attr_put_long(&b, "size", 0);
    attr_put_int(&b, "forced_expire", 1);
    attr_put_cstr(&b, "sender", "a@b");
    attr_list_begin(&b, "recipients");
    attr_list_end(&b);
    attr_put_end(&b);
    assert_int_equal(decode(&b, &d, NULL, &err), 1);
    assert_int_equal(d.forced_expire, 1);
    assert_int_equal(d.nrcpt, 0);
    /* a string with a NUL byte is refused */
    buf_reset(&b);
    attr_put_cstr(&b, "queue_name", "hold");
    attr_put_str(&b, "queue_id", "5B9E8\0A72201", 12);
    attr_put_end(&b);
    assert_int_equal(decode(&b, &d, NULL, &err), -1);
    /* an announcement where an entry belongs is refused */
    buf_reset(&b);
    showq_encode_announce(&b);
    assert_int_equal(decode(&b, &d, NULL, &err), -1);
    showq_entry_free(&d);
    buf_release(&b);
    buf_release(&err);
}

static void test_cap(void **state)
{
    struct showq_entry e, d;
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;
    size_t i;

    (void)state;
    fill(&e);
    showq_entry_init(&d);
    for (i = e.nrcpt; i < SHOWQ_RCPT_MAX + 3; i++)
        showq_entry_add_rcpt(&e, "many@example.test", NULL);
    showq_encode_entry(&b, &e);
    assert_int_equal(decode(&b, &d, NULL, &err), 1);
    assert_int_equal(d.nrcpt, SHOWQ_RCPT_MAX);
    assert_int_equal(d.omitted, 3);
    showq_entry_free(&e);
    showq_entry_free(&d);
    buf_release(&b);
    buf_release(&err);
}

static void test_request(void **state)
{
    struct attr_msg m;
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;
    const char *req = NULL;

    (void)state;
    attr_msg_init(&m, NULL);
    showq_encode_request(&b, SHOWQ_REQ_LIST);
    assert_int_equal(attr_decode_exact(buf_str(&b), buf_len(&b), &m, &err), ATTR_OK);
    assert_int_equal(showq_decode_request(&m, &req, &err), 0);
    assert_string_equal(req, "list");
    buf_reset(&b);
    attr_put_int(&b, "request", 1);
    attr_put_end(&b);
    assert_int_equal(attr_decode_exact(buf_str(&b), buf_len(&b), &m, &err), ATTR_OK);
    assert_int_equal(showq_decode_request(&m, &req, &err), -1);
    attr_msg_free(&m);
    buf_release(&b);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_end),
        cmocka_unit_test(test_malformed), cmocka_unit_test(test_cap),
        cmocka_unit_test(test_request),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
