/*
 * test_bounce_proto.c - unit tests of the bounce protocol codec
 * (lib/mail/bounce_proto.c): round trips of every request kind and of
 * replies, the optional fall-back fields, and the refusals that keep a
 * request from naming a file outside the queue or from being guessed at.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/bounce_proto.h"
#include "mail/queue_rec.h"

#define ID "7C18DA74100"

/* Decodes the encoded bytes of out into msg (must be one whole message). */
static void decode(const struct buf *out, struct attr_msg *msg)
{
    struct attr_limits lim;
    struct buf err = BUF_INIT;

    bounce_attr_limits(&lim);
    attr_msg_init(msg, &lim);
    assert_int_equal(attr_decode_exact(out->data, out->len, msg, &err), ATTR_OK);
    buf_release(&err);
}

static void test_request_roundtrip(void **state)
{
    int kind;

    (void)state;
    for (kind = BOUNCE_REQ_FLUSH; kind <= BOUNCE_REQ_TRACE; kind++) {
        struct bounce_request req = {kind,
                                     (char *)"active",
                                     (char *)ID,
                                     (char *)"alice@example.test",
                                     (char *)"env-1",
                                     QUEUE_DSN_RET_HDRS};
        struct bounce_request got;
        struct buf out = BUF_INIT, err = BUF_INIT;
        struct attr_msg msg;

        bounce_encode_request(&out, &req);
        decode(&out, &msg);
        assert_int_equal(bounce_decode_request(&msg, &got, &err), 0);
        assert_int_equal(got.kind, kind);
        assert_string_equal(got.queue_name, "active");
        assert_string_equal(got.queue_id, ID);
        assert_string_equal(got.sender, "alice@example.test");
        assert_string_equal(got.envid, "env-1");
        assert_int_equal(got.ret, QUEUE_DSN_RET_HDRS);
        bounce_request_free(&got);
        attr_msg_free(&msg);
        buf_release(&out);
        buf_release(&err);
    }
    assert_string_equal(bounce_req_name(BOUNCE_REQ_FLUSH), "flush");
    assert_string_equal(bounce_req_name(BOUNCE_REQ_WARN), "warn");
    assert_string_equal(bounce_req_name(BOUNCE_REQ_TRACE), "trace");
    assert_null(bounce_req_name(0));
    assert_null(bounce_req_name(4));
}

/* What qmgr's first version sends (daemons/qmgr/qmgr_bounce.c) and a
 * minimal request without the optional fields both decode. */
static void test_request_optional(void **state)
{
    struct bounce_request got;
    struct buf out = BUF_INIT, err = BUF_INIT;
    struct attr_msg msg;

    (void)state;
    attr_put_cstr(&out, "request", "warn");
    attr_put_cstr(&out, "queue_name", "active");
    attr_put_cstr(&out, "queue_id", ID);
    attr_put_cstr(&out, "unknown_future_field", "ignored");
    attr_put_end(&out);
    decode(&out, &msg);
    assert_int_equal(bounce_decode_request(&msg, &got, &err), 0);
    assert_int_equal(got.kind, BOUNCE_REQ_WARN);
    assert_string_equal(got.sender, "");
    assert_string_equal(got.envid, "");
    assert_int_equal(got.ret, 0);
    bounce_request_free(&got);
    attr_msg_free(&msg);
    buf_release(&out);
    buf_release(&err);
}

/* One request with one attribute replaced (value NULL: left out). */
static void refused(const char *name, const char *value, int ret, const char *why)
{
    static const char *const names[] = {"request", "queue_name", "queue_id", "sender"};
    static const char *const values[] = {"flush", "active", ID, "a@b"};
    struct bounce_request got;
    struct buf out = BUF_INIT, err = BUF_INIT;
    struct attr_msg msg;
    size_t i;

    for (i = 0; i < 4; i++) {
        if (strcmp(names[i], name) == 0) {
            if (value)
                attr_put_cstr(&out, names[i], value);
        } else {
            attr_put_cstr(&out, names[i], values[i]);
        }
    }
    if (ret >= 0)
        attr_put_int(&out, "ret", (uint32_t)ret);
    attr_put_end(&out);
    decode(&out, &msg);
    assert_int_equal(bounce_decode_request(&msg, &got, &err), -1);
    assert_non_null(strstr(buf_str(&err), why));
    assert_null(got.queue_id);
    attr_msg_free(&msg);
    buf_release(&out);
    buf_release(&err);
}

static void test_request_refused(void **state)
{
    (void)state;
    refused("request", "bounce-everything", -1, "unknown request");
    refused("request", NULL, -1, "request: missing");
    refused("queue_name", "../etc", -1, "bad queue name");
    refused("queue_name", "nosuchqueue", -1, "bad queue name");
    refused("queue_name", NULL, -1, "queue_name: missing");
    refused("queue_id", "../../etc/passwd", -1, "bad queue ID");
    refused("queue_id", "", -1, "bad queue ID");
    refused("queue_id", NULL, -1, "queue_id: missing");
    refused("none", NULL, 3, "ret: out of range");
}

static void test_request_wrong_type(void **state)
{
    struct bounce_request got;
    struct buf out = BUF_INIT, err = BUF_INIT;
    struct attr_msg msg;

    (void)state;
    attr_put_cstr(&out, "request", "flush");
    attr_put_cstr(&out, "queue_name", "active");
    attr_put_int(&out, "queue_id", 7);
    attr_put_end(&out);
    decode(&out, &msg);
    assert_int_equal(bounce_decode_request(&msg, &got, &err), -1);
    assert_non_null(strstr(buf_str(&err), "queue_id: wrong type"));
    attr_msg_free(&msg);
    buf_reset(&out);
    buf_reset(&err);
    /* A string with a NUL byte is not a C string: refused, not cut. */
    attr_put_cstr(&out, "request", "flush");
    attr_put_cstr(&out, "queue_name", "active");
    attr_put_cstr(&out, "queue_id", ID);
    attr_put_str(&out, "sender", "a\0b", 3);
    attr_put_end(&out);
    decode(&out, &msg);
    assert_int_equal(bounce_decode_request(&msg, &got, &err), -1);
    attr_msg_free(&msg);
    buf_release(&out);
    buf_release(&err);
}

static void test_reply(void **state)
{
    struct buf out = BUF_INIT, err = BUF_INIT, reason = BUF_INIT;
    struct attr_msg msg;
    int status = -1;

    (void)state;
    bounce_encode_reply(&out, BOUNCE_STAT_FAIL, "cleanup is down");
    decode(&out, &msg);
    assert_int_equal(bounce_decode_reply(&msg, &status, &reason, &err), 0);
    assert_int_equal(status, BOUNCE_STAT_FAIL);
    assert_string_equal(buf_str(&reason), "cleanup is down");
    attr_msg_free(&msg);
    buf_reset(&out);
    bounce_encode_reply(&out, BOUNCE_STAT_OK, NULL);
    decode(&out, &msg);
    assert_int_equal(bounce_decode_reply(&msg, &status, &reason, &err), 0);
    assert_int_equal(status, BOUNCE_STAT_OK);
    assert_string_equal(buf_str(&reason), "");
    attr_msg_free(&msg);
    /* An unknown status or none at all is a protocol error. */
    buf_reset(&out);
    attr_put_int(&out, "status", 2);
    attr_put_end(&out);
    decode(&out, &msg);
    assert_int_equal(bounce_decode_reply(&msg, &status, &reason, &err), -1);
    assert_non_null(strstr(buf_str(&err), "out of range"));
    attr_msg_free(&msg);
    buf_reset(&out);
    attr_put_cstr(&out, "reason", "x");
    attr_put_end(&out);
    decode(&out, &msg);
    assert_int_equal(bounce_decode_reply(&msg, &status, &reason, &err), -1);
    attr_msg_free(&msg);
    buf_release(&out);
    buf_release(&err);
    buf_release(&reason);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_roundtrip),
        cmocka_unit_test(test_request_optional),
        cmocka_unit_test(test_request_refused),
        cmocka_unit_test(test_request_wrong_type),
        cmocka_unit_test(test_reply),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
