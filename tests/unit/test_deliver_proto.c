/*
 * test_deliver_proto.c - unit tests for lib/mail/deliver_proto.c: request
 * and result round trips, limits, and fail-closed decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/deliver_proto.h"

static void sample_request(struct deliver_request *req, struct deliver_rcpt *rcpt,
                           struct deliver_attr *attr)
{
    memset(req, 0, sizeof(*req));
    req->queue_name = "active";
    req->queue_id = "5B9E8A72201";
    req->data_offset = 998;
    req->data_size = 385;
    req->transport = "smtp";
    req->nexthop = "[127.0.0.1]:12060";
    req->sender = "";
    req->envid = "env\x01id";
    req->ret = 2;
    req->flags = DELIVER_FLAG_8BIT;
    req->arrival_sec = 1795322771;
    req->arrival_usec = 999999;
    req->active_sec = 1795322772;
    attr[0].name = "client_address";
    attr[0].value = "127.0.0.1";
    req->attr = attr;
    req->nattr = 1;
    rcpt[0].address = "r1@example.test";
    rcpt[0].orcpt = "R1@Example.test";
    rcpt[0].dsn_orcpt = "rfc822;R1@Example.test";
    rcpt[0].notify = 6;
    rcpt[0].offset = 685;
    rcpt[1].address = "r2@example.test";
    rcpt[1].orcpt = "";
    rcpt[1].dsn_orcpt = "";
    rcpt[1].offset = 781;
    req->rcpt = rcpt;
    req->nrcpt = 2;
}

static int decode(const struct buf *wire, struct attr_msg *msg)
{
    struct attr_limits lim;
    struct buf err = BUF_INIT;
    int ret;

    deliver_attr_limits(&lim);
    attr_msg_init(msg, &lim);
    ret = attr_decode_exact(wire->data, wire->len, msg, &err) == ATTR_OK ? 0 : -1;
    buf_release(&err);
    return ret;
}

static void test_request_round_trip(void **state)
{
    struct deliver_request req;
    struct deliver_request got;
    struct deliver_rcpt rcpt[2];
    struct deliver_attr attr[1];
    struct buf wire = BUF_INIT;
    struct buf err = BUF_INIT;
    struct attr_msg msg;

    memset(rcpt, 0, sizeof(rcpt));
    sample_request(&req, rcpt, attr);
    deliver_encode_request(&wire, &req);
    assert_int_equal(decode(&wire, &msg), 0);
    assert_int_equal(deliver_decode_request(&msg, &got, &err), 0);
    assert_string_equal(got.queue_id, "5B9E8A72201");
    assert_string_equal(got.nexthop, "[127.0.0.1]:12060");
    assert_string_equal(got.sender, "");
    assert_string_equal(got.envid, "env\x01id");
    assert_int_equal(got.ret, 2);
    assert_int_equal(got.arrival_usec, 999999);
    assert_int_equal(got.nrcpt, 2);
    assert_string_equal(got.rcpt[0].dsn_orcpt, "rfc822;R1@Example.test");
    assert_int_equal(got.rcpt[0].notify, 6);
    assert_int_equal(got.rcpt[1].offset, 781);
    assert_string_equal(deliver_request_attr(&got, "client_address"), "127.0.0.1");
    assert_null(deliver_request_attr(&got, "nosuch"));
    deliver_request_free(&got);
    attr_msg_free(&msg);
    buf_release(&wire);
    buf_release(&err);
}

static void test_request_without_recipients_is_refused(void **state)
{
    struct deliver_request req;
    struct deliver_request got;
    struct deliver_rcpt rcpt[2];
    struct deliver_attr attr[1];
    struct buf wire = BUF_INIT;
    struct buf err = BUF_INIT;
    struct attr_msg msg;

    memset(rcpt, 0, sizeof(rcpt));
    sample_request(&req, rcpt, attr);
    req.nrcpt = 0;
    deliver_encode_request(&wire, &req);
    assert_int_equal(decode(&wire, &msg), 0);
    assert_int_equal(deliver_decode_request(&msg, &got, &err), -1);
    assert_string_equal(buf_str(&err), "delivery protocol: 0 recipients (1..1000 allowed)");
    attr_msg_free(&msg);
    buf_release(&wire);
    buf_release(&err);
}

static void test_missing_field_is_refused(void **state)
{
    struct buf wire = BUF_INIT;
    struct buf err = BUF_INIT;
    struct attr_msg msg;
    struct deliver_request got;

    attr_put_cstr(&wire, "queue_name", "active");
    attr_put_end(&wire);
    assert_int_equal(decode(&wire, &msg), 0);
    assert_int_equal(deliver_decode_request(&msg, &got, &err), -1);
    assert_string_equal(buf_str(&err), "delivery protocol: attribute queue_id: missing");
    attr_msg_free(&msg);
    buf_release(&wire);
    buf_release(&err);
}

static void test_results_round_trip(void **state)
{
    struct deliver_result res[2];
    struct deliver_result *got;
    size_t n;
    struct buf wire = BUF_INIT;
    struct buf err = BUF_INIT;
    struct attr_msg msg;

    memset(res, 0, sizeof(res));
    res[0].status = DELIVER_STATUS_OK;
    res[0].dsn_status = "2.0.0";
    res[0].action = "relayed";
    res[0].reason = "250 2.0.0 Ok: queued as X";
    res[0].relay = "127.0.0.1[127.0.0.1]:12060";
    res[1].status = DELIVER_STATUS_BOUNCE;
    res[1].dsn_status = "5.1.1";
    res[1].diag = "smtp; 550 5.1.1 unknown";
    deliver_encode_results(&wire, res, 2);
    assert_int_equal(decode(&wire, &msg), 0);
    assert_int_equal(deliver_decode_results(&msg, &got, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(got[0].relay, "127.0.0.1[127.0.0.1]:12060");
    assert_int_equal(got[1].status, DELIVER_STATUS_BOUNCE);
    assert_string_equal(got[1].reason, "");
    assert_string_equal(got[1].diag, "smtp; 550 5.1.1 unknown");
    deliver_results_free(got, n);
    attr_msg_free(&msg);

    /* A status outside the enum is refused. */
    buf_reset(&wire);
    res[0].status = 7;
    deliver_encode_results(&wire, res, 1);
    assert_int_equal(decode(&wire, &msg), 0);
    assert_int_equal(deliver_decode_results(&msg, &got, &n, &err), -1);
    attr_msg_free(&msg);
    buf_release(&wire);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_request_without_recipients_is_refused),
        cmocka_unit_test(test_missing_field_is_refused),
        cmocka_unit_test(test_results_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
