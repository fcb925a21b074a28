/*
 * test_master_proto.c - unit tests for lib/server/master_proto.c: the status
 * message layout, the fail-closed decoder, and sending over a pipe
 * (including to a master that has gone away).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/master_proto.h"

static void test_round_trip(void **state)
{
    unsigned char msg[MASTER_STATUS_SIZE];
    struct master_status st;

    (void)state;
    master_status_encode(msg, 1234, 7, MASTER_STATUS_AVAIL);
    assert_int_equal(master_status_decode(msg, sizeof(msg), &st), 0);
    assert_int_equal(st.version, MASTER_PROTO_VERSION);
    assert_int_equal(st.pid, 1234);
    assert_int_equal(st.generation, 7);
    assert_int_equal(st.status, MASTER_STATUS_AVAIL);

    master_status_encode(msg, 0x7fffffff, 0xffffffffu, MASTER_STATUS_BUSY);
    assert_int_equal(master_status_decode(msg, sizeof(msg), &st), 0);
    assert_int_equal(st.pid, 0x7fffffff);
    assert_int_equal(st.generation, 0xffffffffu);
    assert_int_equal(st.status, MASTER_STATUS_BUSY);
}

static void test_wrong_length(void **state)
{
    unsigned char msg[MASTER_STATUS_SIZE + 1];
    struct master_status st;

    (void)state;
    master_status_encode(msg, 42, 1, MASTER_STATUS_AVAIL);
    msg[MASTER_STATUS_SIZE] = 0;
    assert_int_equal(master_status_decode(msg, MASTER_STATUS_SIZE - 1, &st), -1);
    assert_int_equal(master_status_decode(msg, MASTER_STATUS_SIZE + 1, &st), -1);
    assert_int_equal(master_status_decode(msg, 0, &st), -1);
    assert_int_equal(master_status_decode(msg, MASTER_STATUS_SIZE, &st), 0);
}

/* Overwrites one 32-bit field (index 0-3) of an encoded message. */
static void put_field(unsigned char *msg, int index, uint32_t value)
{
    memcpy(msg + 4 * index, &value, sizeof(value));
}

static void test_bad_fields(void **state)
{
    unsigned char msg[MASTER_STATUS_SIZE];
    struct master_status st;

    (void)state;
    master_status_encode(msg, 42, 1, MASTER_STATUS_AVAIL);
    put_field(msg, 0, MASTER_PROTO_VERSION + 1);
    assert_int_equal(master_status_decode(msg, sizeof(msg), &st), -1);
    put_field(msg, 0, 0);
    assert_int_equal(master_status_decode(msg, sizeof(msg), &st), -1);

    master_status_encode(msg, 42, 1, MASTER_STATUS_AVAIL);
    put_field(msg, 1, 0);
    assert_int_equal(master_status_decode(msg, sizeof(msg), &st), -1);
    put_field(msg, 1, (uint32_t)-5);
    assert_int_equal(master_status_decode(msg, sizeof(msg), &st), -1);
    put_field(msg, 1, 1);
    assert_int_equal(master_status_decode(msg, sizeof(msg), &st), 0);

    put_field(msg, 3, 2);
    assert_int_equal(master_status_decode(msg, sizeof(msg), &st), -1);
    put_field(msg, 3, 0xffffffffu);
    assert_int_equal(master_status_decode(msg, sizeof(msg), &st), -1);
}

static void test_send(void **state)
{
    unsigned char msg[2 * MASTER_STATUS_SIZE];
    struct master_status st;
    int fds[2];

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(master_status_send(fds[1], 99, 3, MASTER_STATUS_BUSY), 0);
    assert_int_equal(master_status_send(fds[1], 99, 3, MASTER_STATUS_AVAIL), 0);
    /* Reading whole messages keeps them aligned. */
    assert_int_equal(read(fds[0], msg, MASTER_STATUS_SIZE), MASTER_STATUS_SIZE);
    assert_int_equal(master_status_decode(msg, MASTER_STATUS_SIZE, &st), 0);
    assert_int_equal(st.status, MASTER_STATUS_BUSY);
    assert_int_equal(read(fds[0], msg, MASTER_STATUS_SIZE), MASTER_STATUS_SIZE);
    assert_int_equal(master_status_decode(msg, MASTER_STATUS_SIZE, &st), 0);
    assert_int_equal(st.status, MASTER_STATUS_AVAIL);
    assert_int_equal(st.pid, 99);

    /* The master went away: an error to handle, not a SIGPIPE death. */
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(master_status_send(fds[1], 99, 3, MASTER_STATUS_AVAIL), -1);
    assert_int_equal(errno, EPIPE);
    close(fds[1]);
    assert_int_equal(master_status_send(fds[1], 99, 3, MASTER_STATUS_AVAIL), -1);
    assert_int_equal(errno, EBADF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_wrong_length),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_send),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
