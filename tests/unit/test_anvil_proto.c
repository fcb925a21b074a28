/*
 * test_anvil_proto.c - the anvil protocol codec (lib/mail/anvil_proto.c):
 * every request round-trips, the decoders refuse what they must (unknown
 * request, missing, empty, oversized or unprintable idents, replies with a
 * field missing or an unknown status), and ident formatting stops exactly
 * at ANVIL_IDENT_MAX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/anvil_proto.h"
#include "util/attr.h"
#include "util/buf.h"

/* Decodes exactly one message of b with the anvil limits. */
static enum attr_status decode(const struct buf *b, struct attr_msg *m)
{
    struct attr_limits lim;
    struct buf err = BUF_INIT;
    enum attr_status st;

    anvil_attr_limits(&lim);
    attr_msg_init(m, &lim);
    st = attr_decode_exact(b->data, b->len, m, &err);
    buf_release(&err);
    return st;
}

static void test_request_roundtrip(void **state)
{
    enum anvil_req_type t;

    (void)state;
    for (t = ANVIL_REQ_CONNECT; t <= ANVIL_REQ_LOOKUP; t++) {
        struct anvil_request req = {.type = t}, out;
        struct buf b = BUF_INIT, err = BUF_INIT;
        struct attr_msg m;

        memcpy(req.ident, "smtp:192.0.2.1", sizeof("smtp:192.0.2.1"));
        anvil_encode_request(&b, &req);
        assert_int_equal(decode(&b, &m), ATTR_OK);
        memset(&out, 0x55, sizeof(out));
        assert_int_equal(anvil_decode_request(&m, &out, &err), 0);
        assert_int_equal(out.type, t);
        assert_string_equal(out.ident, "smtp:192.0.2.1");
        attr_msg_free(&m);
        buf_release(&b);
        buf_release(&err);
    }
    assert_null(anvil_req_name((enum anvil_req_type)99));
    assert_string_equal(anvil_req_name(ANVIL_REQ_NEWTLS), "newtls");
}

static void test_reply_roundtrip(void **state)
{
    struct anvil_reply r = {ANVIL_STAT_OK, {1, 2, 3, 4, 5, UINT32_MAX}}, out;
    struct buf b = BUF_INIT, err = BUF_INIT;
    struct attr_msg m;

    (void)state;
    anvil_encode_reply(&b, &r);
    assert_int_equal(decode(&b, &m), ATTR_OK);
    assert_int_equal(anvil_decode_reply(&m, &out, &err), 0);
    assert_memory_equal(&r, &out, sizeof(r));
    attr_msg_free(&m);
    buf_release(&b);
    buf_release(&err);
}

/* Decodes a hand-built request; returns anvil_decode_request's result
 * (or -2 when the attribute layer already refused it). */
static int decode_raw(const char *request, const char *ident, size_t ident_len, struct buf *err)
{
    struct buf b = BUF_INIT;
    struct attr_msg m;
    struct anvil_request out;
    int ret;

    if (request != NULL)
        attr_put_cstr(&b, "request", request);
    if (ident != NULL)
        attr_put_str(&b, "ident", ident, ident_len);
    attr_put_end(&b);
    if (decode(&b, &m) != ATTR_OK)
        ret = -2;
    else
        ret = anvil_decode_request(&m, &out, err);
    attr_msg_free(&m);
    buf_release(&b);
    return ret;
}

static void test_request_refused(void **state)
{
    struct buf err = BUF_INIT;
    char big[ANVIL_IDENT_MAX + 2];

    (void)state;
    assert_int_equal(decode_raw(NULL, "smtp:x", 6, &err), -1);
    assert_non_null(strstr(buf_str(&err), "request"));
    assert_int_equal(decode_raw("explode", "smtp:x", 6, &err), -1);
    assert_non_null(strstr(buf_str(&err), "unknown anvil request \"explode\""));
    assert_int_equal(decode_raw("Connect", "smtp:x", 6, &err), -1); /* case matters */
    assert_int_equal(decode_raw("connect", NULL, 0, &err), -1);
    assert_int_equal(decode_raw("connect", "", 0, &err), -1);
    assert_int_equal(decode_raw("connect", "smtp x", 6, &err), -1);
    assert_int_equal(decode_raw("connect", "smtp\0x", 6, &err), -1);
    assert_int_equal(decode_raw("connect", "smtp:\x80", 6, &err), -1);
    memset(big, 'a', sizeof(big));
    assert_int_equal(decode_raw("connect", big, ANVIL_IDENT_MAX, &err), 0);
    /* One byte more: the attribute layer refuses it before anvil sees it. */
    assert_int_equal(decode_raw("connect", big, ANVIL_IDENT_MAX + 1, &err), -2);
    buf_release(&err);
}

static void test_reply_refused(void **state)
{
    struct buf b = BUF_INIT, err = BUF_INIT;
    struct attr_msg m;
    struct anvil_reply out;

    (void)state;
    /* No auth_rate. */
    attr_put_int(&b, "status", 0);
    attr_put_int(&b, "count", 1);
    attr_put_int(&b, "rate", 1);
    attr_put_int(&b, "message_rate", 1);
    attr_put_int(&b, "recipient_rate", 1);
    attr_put_int(&b, "newtls_rate", 1);
    attr_put_end(&b);
    assert_int_equal(decode(&b, &m), ATTR_OK);
    assert_int_equal(anvil_decode_reply(&m, &out, &err), -1);
    assert_non_null(strstr(buf_str(&err), "auth_rate"));
    attr_msg_free(&m);
    /* Status 2 is not a status. */
    buf_reset(&b);
    buf_reset(&err);
    anvil_encode_reply(&b, &(struct anvil_reply){.status = 2});
    assert_int_equal(decode(&b, &m), ATTR_OK);
    assert_int_equal(anvil_decode_reply(&m, &out, &err), -1);
    attr_msg_free(&m);
    /* A count sent as a string is the wrong type. */
    buf_reset(&b);
    attr_put_int(&b, "status", 0);
    attr_put_cstr(&b, "count", "1");
    attr_put_end(&b);
    assert_int_equal(decode(&b, &m), ATTR_OK);
    assert_int_equal(anvil_decode_reply(&m, &out, &err), -1);
    attr_msg_free(&m);
    buf_release(&b);
    buf_release(&err);
}

static void test_ident_format(void **state)
{
    struct buf out = BUF_INIT, err = BUF_INIT;
    char addr[ANVIL_IDENT_MAX + 1];

    (void)state;
    assert_int_equal(anvil_ident_format(&out, "smtp", "2001:db8::1", &err), 0);
    assert_string_equal(buf_str(&out), "smtp:2001:db8::1");
    /* "smtp:" is 5 bytes: 507 more fill the ident exactly. */
    memset(addr, '1', ANVIL_IDENT_MAX - 5);
    addr[ANVIL_IDENT_MAX - 5] = 0;
    assert_int_equal(anvil_ident_format(&out, "smtp", addr, &err), 0);
    assert_int_equal(buf_len(&out), ANVIL_IDENT_MAX);
    memset(addr, '1', ANVIL_IDENT_MAX - 4);
    addr[ANVIL_IDENT_MAX - 4] = 0;
    assert_int_equal(anvil_ident_format(&out, "smtp", addr, &err), -1);
    assert_int_equal(buf_len(&out), 0);
    assert_int_equal(anvil_ident_format(&out, "sm tp", "1.2.3.4", &err), -1);
    assert_int_equal(anvil_ident_format(&out, "smtp", "1.2.3.4\n", &err), -1);
    buf_release(&out);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_roundtrip), cmocka_unit_test(test_reply_roundtrip),
        cmocka_unit_test(test_request_refused),   cmocka_unit_test(test_reply_refused),
        cmocka_unit_test(test_ident_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
