/*
 * test_anvil_policy.c - smtpd's limit decisions (lib/mail/anvil_policy.c):
 * each limit allows exactly N and refuses N+1 with Postfix's reply and
 * warning text, 0 means no limit, the count is checked before the rate,
 * exemptions follow smtpd_client_event_limit_exceptions (CIDR, names,
 * table errors fail open), and a bad exceptions list is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail/anvil_policy.h"
#include "util/buf.h"
#include "util/msg.h"

static const struct anvil_peer peer = {
    .service = "smtp",
    .name = "client.example",
    .addr = "192.0.2.7",
    .myhostname = "mx.example.test",
};

static struct anvil_policy *policy(const struct anvil_limits *lim, const char *exceptions)
{
    struct buf err = BUF_INIT;
    struct anvil_policy *p = anvil_policy_create(lim, exceptions, &err);

    if (p == NULL)
        fail_msg("%s", buf_str(&err));
    buf_release(&err);
    return p;
}

/* Checks event with value at limit (allowed) and limit + 1 (refused),
 * the refusal's texts being want_reply and want_log. */
static void edge(enum anvil_event ev, uint32_t *field, struct anvil_counts *c,
                 const struct anvil_policy *p, uint32_t limit, const char *want_reply,
                 const char *want_log)
{
    struct buf reply = BUF_INIT, log = BUF_INIT;

    *field = limit;
    assert_int_equal(anvil_policy_check(p, ev, c, &peer, &reply, &log), 0);
    assert_int_equal(buf_len(&reply), 0);
    *field = limit + 1;
    assert_int_equal(anvil_policy_check(p, ev, c, &peer, &reply, &log), 1);
    assert_string_equal(buf_str(&reply), want_reply);
    assert_string_equal(buf_str(&log), want_log);
    buf_release(&reply);
    buf_release(&log);
}

static void test_limits(void **state)
{
    struct anvil_limits lim = {2, 5, 3, 10, 1, 4};
    struct anvil_policy *p = policy(&lim, "");
    struct anvil_counts c = {0};

    (void)state;
    edge(ANVIL_EVENT_CONNECT, &c.count, &c, p, 2,
         "421 4.7.0 mx.example.test Error: too many connections from 192.0.2.7",
         "Connection concurrency limit exceeded: 3 from client.example[192.0.2.7] for service "
         "smtp");
    c.count = 1;
    edge(ANVIL_EVENT_CONNECT, &c.rate, &c, p, 5,
         "421 4.7.0 mx.example.test Error: too many connections from 192.0.2.7",
         "Connection rate limit exceeded: 6 from client.example[192.0.2.7] for service smtp");
    edge(ANVIL_EVENT_MESSAGE, &c.message_rate, &c, p, 3,
         "450 4.7.1 Error: too much mail from 192.0.2.7",
         "Message delivery request rate limit exceeded: 4 from client.example[192.0.2.7] for "
         "service smtp");
    edge(ANVIL_EVENT_RECIPIENT, &c.recipient_rate, &c, p, 10,
         "450 4.7.1 Error: too many recipients from 192.0.2.7",
         "Recipient address rate limit exceeded: 11 from client.example[192.0.2.7] for service "
         "smtp");
    edge(ANVIL_EVENT_NEWTLS, &c.newtls_rate, &c, p, 1,
         "421 4.7.0 mx.example.test Error: too many new TLS sessions from 192.0.2.7",
         "New TLS session rate limit exceeded: 2 from client.example[192.0.2.7] for service smtp");
    edge(ANVIL_EVENT_AUTH, &c.auth_rate, &c, p, 4,
         "450 4.7.1 Error: too many AUTH commands from 192.0.2.7",
         "AUTH command rate limit exceeded: 5 from client.example[192.0.2.7] for service smtp");
    anvil_policy_free(p);
}

static void test_count_before_rate_and_zero(void **state)
{
    struct anvil_limits lim = {1, 1, 0, 0, 0, 0};
    struct anvil_limits none = {0};
    struct anvil_policy *p = policy(&lim, "");
    struct anvil_policy *q = policy(&none, "");
    struct anvil_counts c = {
        .count = 2, .rate = 9, .message_rate = UINT32_MAX, .recipient_rate = UINT32_MAX};
    struct buf reply = BUF_INIT, log = BUF_INIT;

    (void)state;
    assert_int_equal(anvil_policy_check(p, ANVIL_EVENT_CONNECT, &c, &peer, &reply, &log), 1);
    assert_non_null(strstr(buf_str(&log), "concurrency limit exceeded: 2 "));
    /* Limits of 0 never fire, however high the counter. */
    assert_int_equal(anvil_policy_check(p, ANVIL_EVENT_MESSAGE, &c, &peer, &reply, &log), 0);
    assert_int_equal(anvil_policy_check(q, ANVIL_EVENT_CONNECT, &c, &peer, &reply, &log), 0);
    assert_int_equal(anvil_policy_check(q, ANVIL_EVENT_RECIPIENT, &c, &peer, &reply, &log), 0);
    assert_int_equal(buf_len(&reply) + buf_len(&log), 0);
    assert_true(anvil_policy_wants(p, ANVIL_EVENT_CONNECT));
    assert_false(anvil_policy_wants(p, ANVIL_EVENT_MESSAGE));
    assert_false(anvil_policy_wants(q, ANVIL_EVENT_CONNECT));
    assert_false(anvil_policy_wants(q, ANVIL_EVENT_AUTH));
    anvil_policy_free(p);
    anvil_policy_free(q);
    buf_release(&reply);
    buf_release(&log);
}

static int warned;

static void count_warn(enum msg_level level, const char *text)
{
    (void)text;
    if (level == MSG_WARN)
        warned++;
}

static void test_exceptions(void **state)
{
    struct anvil_limits lim = {1, 0, 0, 0, 0, 0};
    struct anvil_policy *p = policy(&lim, "127.0.0.0/8 [::1]/128 192.0.2.0/25");
    struct anvil_policy *t = policy(&lim, "fail:broken");
    struct anvil_peer other = peer;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(anvil_policy_exempt(p, &peer), 1);
    other.addr = "192.0.2.128";
    assert_int_equal(anvil_policy_exempt(p, &other), 0);
    other.addr = "::1";
    assert_int_equal(anvil_policy_exempt(p, &other), 1);
    other.addr = "127.1.2.3";
    assert_int_equal(anvil_policy_exempt(p, &other), 1);
    /* A broken table must not lock clients out: exempt, with a warning. */
    warned = 0;
    msg_set_hook(count_warn);
    assert_int_equal(anvil_policy_exempt(t, &peer), 1);
    msg_set_hook(NULL);
    assert_int_equal(warned, 1);
    assert_null(anvil_policy_create(&lim, "192.0.2.1/24", &err));
    assert_non_null(strstr(buf_str(&err), "smtpd_client_event_limit_exceptions"));
    anvil_policy_free(p);
    anvil_policy_free(t);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_count_before_rate_and_zero),
        cmocka_unit_test(test_exceptions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
