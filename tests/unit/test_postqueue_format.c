/*
 * test_postqueue_format.c - unit tests of src/postqueue/postqueue_format.c:
 * the "postqueue -p" layout and "postqueue -j" lines against Postfix's
 * output for the same entries (queue-listing.txt section 1 and 6), JSON
 * escaping, and the listing filters at their edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "postqueue.h"
#include "util/mem.h"

static void entry(struct showq_entry *e, const char *queue, const char *id, long size,
                  const char *sender)
{
    showq_entry_init(e);
    memcpy(e->queue_name, queue, strlen(queue) + 1);
    memcpy(e->queue_id, id, strlen(id) + 1);
    e->arrival = 1795322543; /* Sun Nov 22 04:42:23 2026 UTC */
    e->size = size;
    e->sender = mem_strdup(sender);
}

static int setup(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    return 0;
}

static void test_list_layout(void **state)
{
    struct showq_entry e;
    struct buf out = BUF_INIT;
    const char *refused = "connect to 127.0.0.1[127.0.0.1]:12071: Connection refused";
    const char *s451 = "host 127.0.0.1[127.0.0.1] said: 451 4.3.0 Temporary failure, try again "
                       "later (in reply to RCPT TO command)";

    (void)state;
    postqueue_format_header(&out, 0);
    entry(&e, "active", "5E8CCA72212", 366, "sender@client.example.test");
    showq_entry_add_rcpt(&e, "a1@tarpit.example.test", NULL);
    postqueue_format_entry(&out, &e, 0);
    showq_entry_free(&e);
    entry(&e, "deferred", "5C862A7202F", 393, "");
    showq_entry_add_rcpt(&e, "d1@deferred.example.test", "deferred transport");
    showq_entry_add_rcpt(&e, "d2@deferred.example.test", "deferred transport");
    postqueue_format_entry(&out, &e, 0);
    showq_entry_free(&e);
    entry(&e, "deferred", "5B9E8A72201", 385, "sender@client.example.test");
    showq_entry_add_rcpt(&e, "r1@refused.example.test", refused);
    showq_entry_add_rcpt(&e, "s1@sink451.example.test", s451);
    postqueue_format_entry(&out, &e, 0);
    showq_entry_free(&e);
    entry(&e, "hold", "5D623A72210", 359, "holdme@client.example.test");
    showq_entry_add_rcpt(&e, "alice@mx.example.test", NULL);
    postqueue_format_entry(&out, &e, 0);
    showq_entry_free(&e);
    postqueue_format_trailer(&out, 366 + 393 + 385 + 359, 4);
    assert_string_equal(
        buf_str(&out),
        "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
        "5E8CCA72212*     366 Sun Nov 22 04:42:23  sender@client.example.test\n"
        "                                         a1@tarpit.example.test\n"
        "\n"
        "5C862A7202F     393 Sun Nov 22 04:42:23  MAILER-DAEMON\n"
        "                                                          (deferred transport)\n"
        "                                         d1@deferred.example.test\n"
        "                                         d2@deferred.example.test\n"
        "\n"
        "5B9E8A72201     385 Sun Nov 22 04:42:23  sender@client.example.test\n"
        "                   (connect to 127.0.0.1[127.0.0.1]:12071: Connection refused)\n"
        "                                         r1@refused.example.test\n"
        "(host 127.0.0.1[127.0.0.1] said: 451 4.3.0 Temporary failure, try again later (in "
        "reply to RCPT TO command))\n"
        "                                         s1@sink451.example.test\n"
        "\n"
        "5D623A72210!     359 Sun Nov 22 04:42:23  holdme@client.example.test\n"
        "                                         alice@mx.example.test\n"
        "\n"
        "-- 1 Kbytes in 4 Requests.\n");
    buf_release(&out);
}

static void test_long_ids_and_trailer(void **state)
{
    struct showq_entry e;
    struct buf out = BUF_INIT;

    (void)state;
    postqueue_format_header(&out, 1);
    entry(&e, "hold", "4jXGhF2l6yz1bY2T", 416, "holdme@client.example.test");
    e.arrival = 1795322685;
    showq_entry_add_rcpt(&e, "alice@mx.example.test", NULL);
    postqueue_format_entry(&out, &e, 1);
    showq_entry_free(&e);
    postqueue_format_trailer(&out, 416, 1);
    assert_string_equal(
        buf_str(&out), "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------\n"
                       "4jXGhF2l6yz1bY2T!      416 Sun Nov 22 04:44:45 holdme@client.example.test\n"
                       "                                               alice@mx.example.test\n"
                       "\n"
                       "-- 0 Kbytes in 1 Request.\n");
    buf_reset(&out);
    postqueue_format_trailer(&out, 0, 0);
    assert_string_equal(buf_str(&out), "Mail queue is empty\n");
    buf_reset(&out);
    postqueue_format_trailer(&out, 1023, 2);
    assert_string_equal(buf_str(&out), "-- 0 Kbytes in 2 Requests.\n");
    buf_reset(&out);
    postqueue_format_trailer(&out, 1024, 2);
    assert_string_equal(buf_str(&out), "-- 1 Kbytes in 2 Requests.\n");
    /* a forced-expired message shows '#' whatever its queue */
    buf_reset(&out);
    entry(&e, "hold", "5D623A72210", 1, "a@b");
    e.forced_expire = 1;
    postqueue_format_entry(&out, &e, 0);
    assert_int_equal(buf_str(&out)[11], '#');
    showq_entry_free(&e);
    buf_release(&out);
}

static void test_json(void **state)
{
    struct showq_entry e;
    struct buf out = BUF_INIT;

    (void)state;
    entry(&e, "deferred", "5C862A7202F", 393, "");
    showq_entry_add_rcpt(&e, "d1@deferred.example.test", "deferred transport");
    showq_entry_add_rcpt(&e, "x@y", NULL);
    postqueue_format_json(&out, &e);
    assert_string_equal(buf_str(&out),
                        "{\"queue_name\": \"deferred\", \"queue_id\": \"5C862A7202F\", "
                        "\"arrival_time\": 1795322543, \"message_size\": 393, \"forced_expire\": "
                        "false, \"sender\": \"MAILER-DAEMON\", \"recipients\": [{\"address\": "
                        "\"d1@deferred.example.test\", \"delay_reason\": \"deferred transport\"}, "
                        "{\"address\": \"x@y\"}]}\n");
    showq_entry_free(&e);
    buf_reset(&out);
    postqueue_json_escape(&out, "a\"b\\c\n\x01\xc3");
    assert_string_equal(buf_str(&out), "a\\\"b\\\\c\\u000a\\u0001\\u00c3");
    buf_release(&out);
}

static void test_filters(void **state)
{
    struct showq_entry e;
    struct postqueue_filter f;
    long now = 1795322543 + 3600;

    (void)state;
    entry(&e, "deferred", "5C862A7202F", 393, "");
    showq_entry_add_rcpt(&e, "d1@Deferred.Example.TEST", NULL);
    memset(&f, 0, sizeof(f));
    assert_false(postqueue_filter_active(&f));
    assert_true(postqueue_filter_match(&f, &e, now));
    f.sender = "<>";
    assert_true(postqueue_filter_match(&f, &e, now));
    f.sender = "a@b";
    assert_false(postqueue_filter_match(&f, &e, now));
    f.sender = NULL;
    f.domain = "example.test";
    assert_true(postqueue_filter_match(&f, &e, now));
    f.domain = "ample.test"; /* not a parent domain: no match */
    assert_false(postqueue_filter_match(&f, &e, now));
    f.domain = "deferred.example.test";
    assert_true(postqueue_filter_match(&f, &e, now));
    f.domain = NULL;
    f.rcpt = "D1@deferred.example.test";
    assert_true(postqueue_filter_match(&f, &e, now));
    f.rcpt = "d1@deferred.example";
    assert_false(postqueue_filter_match(&f, &e, now));
    f.rcpt = NULL;
    f.min_age = 3600; /* exactly as old: matches */
    assert_true(postqueue_filter_match(&f, &e, now));
    f.min_age = 3601;
    assert_false(postqueue_filter_match(&f, &e, now));
    assert_true(postqueue_filter_active(&f));
    showq_entry_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_layout),
        cmocka_unit_test(test_long_ids_and_trailer),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_filters),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
