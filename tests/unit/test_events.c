/*
 * test_events.c - unit tests for lib/util/events.c.
 *
 * Timers: deadline order, FIFO among equal deadlines, replacement by
 * (cb, ctx), cancel, timers set or cancelled from a timer callback. fds:
 * read/write callbacks, removal of other fds (and of a reused fd number)
 * from inside a callback of the same round, hangup delivery, run/stop.
 * Every wait is bounded (at most a few hundred ms).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/events.h"

/* A log of fired callbacks: small integers in firing order. */
static int fired[32];
static size_t nfired;

static void log_reset(void)
{
    nfired = 0;
    memset(fired, 0, sizeof(fired));
}

static void log_timer(void *ctx)
{
    assert_true(nfired < sizeof(fired) / sizeof(fired[0]));
    fired[nfired++] = (int)(intptr_t)ctx;
}

/* Runs rounds until want callbacks fired or max_ms passed. */
static void run_until(struct event_loop *loop, size_t want, long max_ms)
{
    int64_t end = event_clock_ms() + max_ms;

    while (nfired < want && event_clock_ms() < end)
        (void)event_loop_run_once(loop, 20);
}

static void test_clock_monotonic(void **state)
{
    int64_t a = event_clock_ms();
    int64_t b;

    usleep(20000);
    b = event_clock_ms();
    assert_true(b - a >= 19);
    assert_true(b - a < 1000);
}

static void test_timer_order(void **state)
{
    struct event_loop *loop = event_loop_new();

    log_reset();
    event_timer_set(loop, 60, log_timer, (void *)3);
    event_timer_set(loop, 10, log_timer, (void *)1);
    event_timer_set(loop, 35, log_timer, (void *)2);
    run_until(loop, 3, 1000);
    assert_int_equal(nfired, 3);
    assert_int_equal(fired[0], 1);
    assert_int_equal(fired[1], 2);
    assert_int_equal(fired[2], 3);
    /* All fired once: nothing is left to cancel. */
    assert_int_equal(event_timer_cancel(loop, log_timer, (void *)1), -1);
    event_loop_free(loop);
}

static void test_timer_equal_deadlines_fifo(void **state)
{
    struct event_loop *loop = event_loop_new();

    log_reset();
    event_timer_set(loop, 0, log_timer, (void *)1);
    event_timer_set(loop, -5, log_timer, (void *)2); /* negative counts as 0 */
    event_timer_set(loop, 0, log_timer, (void *)3);
    assert_int_equal(event_loop_run_once(loop, 100), 3);
    assert_int_equal(fired[0], 1);
    assert_int_equal(fired[1], 2);
    assert_int_equal(fired[2], 3);
    event_loop_free(loop);
}

static void test_timer_replace_and_cancel(void **state)
{
    struct event_loop *loop = event_loop_new();
    long left;

    log_reset();
    event_timer_set(loop, 10, log_timer, (void *)1);
    event_timer_set(loop, 400, log_timer, (void *)1); /* replaces: one timer, later */
    event_timer_set(loop, 40, log_timer, (void *)2);
    run_until(loop, 1, 1000);
    assert_int_equal(nfired, 1);
    assert_int_equal(fired[0], 2);
    /* ctx 1 did not fire at 10 ms, and is still pending with time left. */
    left = event_timer_cancel(loop, log_timer, (void *)1);
    assert_true(left > 200 && left <= 400);
    assert_int_equal(event_timer_cancel(loop, log_timer, (void *)1), -1);
    /* Nothing left: a short round runs no callback. */
    assert_int_equal(event_loop_run_once(loop, 30), 0);
    assert_int_equal(nfired, 1);
    event_loop_free(loop);
}

struct rearm {
    struct event_loop *loop;
    int count;
};

static void rearm_timer(void *ctx)
{
    struct rearm *r = ctx;

    r->count++;
    event_timer_set(r->loop, 0, rearm_timer, r);
}

static void test_timer_set_from_callback_waits_a_round(void **state)
{
    struct rearm r = {event_loop_new(), 0};

    event_timer_set(r.loop, 0, rearm_timer, &r);
    /* Without the round rule this would loop forever inside run_once. */
    assert_int_equal(event_loop_run_once(r.loop, 100), 1);
    assert_int_equal(r.count, 1);
    assert_int_equal(event_loop_run_once(r.loop, 100), 1);
    assert_int_equal(r.count, 2);
    assert_int_equal(event_timer_cancel(r.loop, rearm_timer, &r), 0);
    event_loop_free(r.loop);
}

static struct event_loop *cancel_loop;

static void cancel_other_timer(void *ctx)
{
    log_timer(ctx);
    assert_true(event_timer_cancel(cancel_loop, log_timer, (void *)2) >= 0);
}

static void test_timer_cancel_from_callback(void **state)
{
    cancel_loop = event_loop_new();
    log_reset();
    event_timer_set(cancel_loop, 0, cancel_other_timer, (void *)1);
    event_timer_set(cancel_loop, 0, log_timer, (void *)2); /* due in the same round */
    event_timer_set(cancel_loop, 0, log_timer, (void *)3);
    assert_int_equal(event_loop_run_once(cancel_loop, 100), 2);
    assert_int_equal(nfired, 2);
    assert_int_equal(fired[0], 1);
    assert_int_equal(fired[1], 3);
    event_loop_free(cancel_loop);
}

static void test_wait_times_out(void **state)
{
    struct event_loop *loop = event_loop_new();
    int64_t start = event_clock_ms();

    assert_int_equal(event_loop_run_once(loop, 60), 0);
    assert_true(event_clock_ms() - start >= 55);
    assert_true(event_clock_ms() - start < 1000);
    /* A timer shortens the wait. */
    log_reset();
    start = event_clock_ms();
    event_timer_set(loop, 20, log_timer, (void *)1);
    assert_int_equal(event_loop_run_once(loop, 5000), 1);
    assert_true(event_clock_ms() - start < 1000);
    event_loop_free(loop);
}

/* fd tests: two pipes whose callbacks remove each other. */
struct fdtest {
    struct event_loop *loop;
    int pipes[2][2];
    int calls[2];
    int new_calls;
};

static struct fdtest *fdt;

static void new_fd_cb(int fd, void *ctx)
{
    fdt->new_calls++;
}

/* Removes and closes the other pipe, then puts an unreadable fd with the
 * same number in its place: its pending event must not reach new_fd_cb. */
static void remove_other_cb(int fd, void *ctx)
{
    int me = (int)(intptr_t)ctx;
    int other = !me;
    int other_fd = fdt->pipes[other][0];
    int fresh[2];
    char c;

    assert_int_equal(read(fd, &c, 1), 1);
    fdt->calls[me]++;
    event_remove(fdt->loop, other_fd);
    assert_int_equal(close(other_fd), 0);
    assert_int_equal(pipe(fresh), 0);
    if (fresh[0] != other_fd) {
        assert_int_equal(dup2(fresh[0], other_fd), other_fd);
        assert_int_equal(close(fresh[0]), 0);
    }
    fdt->pipes[other][0] = other_fd;
    assert_int_equal(close(fdt->pipes[other][1]), 0);
    fdt->pipes[other][1] = fresh[1];
    assert_int_equal(event_add_read(fdt->loop, other_fd, new_fd_cb, NULL), 0);
}

static void test_remove_inside_callback(void **state)
{
    struct fdtest t;
    int i;

    memset(&t, 0, sizeof(t));
    fdt = &t;
    t.loop = event_loop_new();
    for (i = 0; i < 2; i++) {
        assert_int_equal(pipe(t.pipes[i]), 0);
        assert_int_equal(write(t.pipes[i][1], "x", 1), 1);
    }
    for (i = 0; i < 2; i++)
        assert_int_equal(
            event_add_read(t.loop, t.pipes[i][0], remove_other_cb, (void *)(intptr_t)i), 0);
    /* Both are readable before the wait, so both events come in one batch. */
    assert_int_equal(event_loop_run_once(t.loop, 100), 1);
    assert_int_equal(t.calls[0] + t.calls[1], 1);
    assert_int_equal(t.new_calls, 0);
    /* The replacement fd works normally once it has data. */
    for (i = 0; i < 2; i++)
        if (t.calls[i] == 0)
            assert_int_equal(write(t.pipes[i][1], "y", 1), 1);
    assert_int_equal(event_loop_run_once(t.loop, 100), 1);
    assert_int_equal(t.new_calls, 1);
    for (i = 0; i < 2; i++) {
        event_remove(t.loop, t.pipes[i][0]);
        close(t.pipes[i][0]);
        close(t.pipes[i][1]);
    }
    /* Removing twice, or an fd never added, is harmless. */
    event_remove(t.loop, t.pipes[0][0]);
    event_remove(t.loop, 1000);
    event_loop_free(t.loop);
}

static int write_calls;
static int read_calls;
static int self_remove_calls;

static void count_write_cb(int fd, void *ctx)
{
    write_calls++;
}

static void count_read_cb(int fd, void *ctx)
{
    char buf[16];

    read_calls++;
    (void)read(fd, buf, sizeof(buf));
}

static void test_read_and_write_directions(void **state)
{
    struct event_loop *loop = event_loop_new();
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    write_calls = read_calls = 0;
    assert_int_equal(event_add_write(loop, sv[0], count_write_cb, NULL), 0);
    assert_int_equal(event_add_read(loop, sv[0], count_read_cb, NULL), 0);
    assert_int_equal(event_loop_run_once(loop, 100), 1);
    assert_int_equal(write_calls, 1);
    assert_int_equal(read_calls, 0);
    /* Dropping the write side keeps the read side. */
    event_remove_write(loop, sv[0]);
    assert_int_equal(write(sv[1], "abc", 3), 3);
    assert_int_equal(event_loop_run_once(loop, 100), 1);
    assert_int_equal(read_calls, 1);
    assert_int_equal(write_calls, 1);
    /* Level-triggered but drained: nothing more. */
    assert_int_equal(event_loop_run_once(loop, 30), 0);
    /* Hangup is reported to the read callback. */
    close(sv[1]);
    assert_int_equal(event_loop_run_once(loop, 100), 1);
    assert_int_equal(read_calls, 2);
    event_remove_read(loop, sv[0]);
    assert_int_equal(event_loop_run_once(loop, 30), 0);
    close(sv[0]);
    event_loop_free(loop);
}

static void self_remove_cb(int fd, void *ctx)
{
    struct event_loop *loop = ctx;

    self_remove_calls++;
    event_remove(loop, fd);
}

static void test_remove_self_both_directions(void **state)
{
    struct event_loop *loop = event_loop_new();
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[1], "x", 1), 1);
    self_remove_calls = 0;
    write_calls = 0;
    /* Readable and writable in one event: the read callback removes the fd,
     * so the write callback of the same event must not run. */
    assert_int_equal(event_add_read(loop, sv[0], self_remove_cb, loop), 0);
    assert_int_equal(event_add_write(loop, sv[0], count_write_cb, NULL), 0);
    assert_int_equal(event_loop_run_once(loop, 100), 1);
    assert_int_equal(self_remove_calls, 1);
    assert_int_equal(write_calls, 0);
    assert_int_equal(event_loop_run_once(loop, 30), 0);
    close(sv[0]);
    close(sv[1]);
    event_loop_free(loop);
}

static void test_regular_file_refused(void **state)
{
    struct event_loop *loop = event_loop_new();
    char path[] = "/tmp/test_events.XXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    unlink(path);
    errno = 0;
    assert_int_equal(event_add_read(loop, fd, count_read_cb, NULL), -1);
    assert_int_equal(errno, EPERM);
    /* The failed add left nothing behind. */
    assert_int_equal(event_loop_run_once(loop, 10), 0);
    close(fd);
    event_loop_free(loop);
}

static void stop_timer(void *ctx)
{
    struct event_loop *loop = ctx;

    log_timer((void *)9);
    event_loop_stop(loop);
}

static void test_run_until_stop(void **state)
{
    struct event_loop *loop = event_loop_new();
    int64_t start = event_clock_ms();

    log_reset();
    event_timer_set(loop, 10, log_timer, (void *)1);
    event_timer_set(loop, 30, stop_timer, loop);
    event_timer_set(loop, 5000, log_timer, (void *)2); /* must not be waited for */
    event_loop_run(loop);
    assert_int_equal(nfired, 2);
    assert_int_equal(fired[0], 1);
    assert_int_equal(fired[1], 9);
    assert_true(event_clock_ms() - start < 2000);
    event_loop_free(loop); /* frees the pending 5 s timer */
}

static void test_cloexec(void **state)
{
    /* The loop's epoll fd is the lowest free fd right after creation. */
    int probe = dup(0);
    struct event_loop *loop;
    int flags;

    assert_true(probe >= 0);
    close(probe);
    loop = event_loop_new();
    flags = fcntl(probe, F_GETFD);
    assert_true(flags >= 0);
    assert_true(flags & FD_CLOEXEC);
    event_loop_free(loop);
    assert_int_equal(fcntl(probe, F_GETFD), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_monotonic),
        cmocka_unit_test(test_timer_order),
        cmocka_unit_test(test_timer_equal_deadlines_fifo),
        cmocka_unit_test(test_timer_replace_and_cancel),
        cmocka_unit_test(test_timer_set_from_callback_waits_a_round),
        cmocka_unit_test(test_timer_cancel_from_callback),
        cmocka_unit_test(test_wait_times_out),
        cmocka_unit_test(test_remove_inside_callback),
        cmocka_unit_test(test_read_and_write_directions),
        cmocka_unit_test(test_remove_self_both_directions),
        cmocka_unit_test(test_regular_file_refused),
        cmocka_unit_test(test_run_until_stop),
        cmocka_unit_test(test_cloexec),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
