/*
 * test_trigger.c - unit tests for lib/server/trigger.c: one trigger to each
 * endpoint kind, and the failures a caller must be able to tell apart
 * (missing endpoint, nobody listening, full endpoint, bad length), all
 * without blocking. Files live in a private mkdtemp() directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/trigger.h"
#include "util/buf.h"
#include "util/sock.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/postern-trigger-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    static const char *const names[] = {"unix", "full", "dgram", "fifo", "notfifo", "len"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        (void)unlink(path);
    }
    return rmdir(dir);
}

static void set_path(const char *name)
{
    (void)unlink(path);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
}

static void test_unix(void **state)
{
    struct buf why = BUF_INIT;
    char data[8];
    int lfd;
    int fd;

    (void)state;
    set_path("unix");
    lfd = sock_listen_unix(path, 10, 0666, &why);
    assert_true(lfd >= 0);
    assert_int_equal(trigger_send(TRIGGER_UNIX, path, "W", 1, 0, &why), 0);
    fd = sock_accept(lfd);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, data, sizeof(data)), 1);
    assert_int_equal(data[0], 'W');
    /* The trigger is one connection: the sender closed it. */
    assert_int_equal(read(fd, data, sizeof(data)), 0);
    close(fd);
    close(lfd);

    /* The socket file is still there, nobody listens. */
    assert_int_equal(trigger_send(TRIGGER_UNIX, path, "W", 1, 0, &why), -1);
    assert_int_equal(errno, ECONNREFUSED);
    assert_non_null(strstr(buf_str(&why), path));
    buf_release(&why);
}

static void test_unix_full(void **state)
{
    struct buf why = BUF_INIT;
    int lfd;
    int i;
    int rc = 0;

    (void)state;
    set_path("full");
    lfd = sock_listen_unix(path, 1, 0666, &why);
    assert_true(lfd >= 0);
    /* Nobody accepts: after the backlog fills, a trigger fails at once
     * with EAGAIN instead of blocking. */
    for (i = 0; i < 64 && rc == 0; i++)
        rc = trigger_send(TRIGGER_UNIX, path, "W", 1, 0, &why);
    assert_int_equal(rc, -1);
    assert_int_equal(errno, EAGAIN);
    close(lfd);
    buf_release(&why);
}

static void test_dgram(void **state)
{
    struct buf why = BUF_INIT;
    struct sockaddr_un sun;
    char data[8];
    int fd;

    (void)state;
    set_path("dgram");
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    assert_true(strlen(path) < sizeof(sun.sun_path));
    memcpy(sun.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(trigger_send(TRIGGER_DGRAM, path, "FA", 2, 0, &why), 0);
    assert_int_equal(recv(fd, data, sizeof(data), 0), 2);
    assert_memory_equal(data, "FA", 2);
    close(fd);
    assert_int_equal(trigger_send(TRIGGER_DGRAM, path, "W", 1, 0, &why), -1);
    assert_int_equal(errno, ECONNREFUSED);
    buf_release(&why);
}

static void test_fifo(void **state)
{
    struct buf why = BUF_INIT;
    struct stat st;
    char data[8];
    int fd;

    (void)state;
    set_path("fifo");
    /* A missing fifo is reported and never created. */
    assert_int_equal(trigger_send(TRIGGER_FIFO, path, "W", 1, 0, &why), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(stat(path, &st), -1);

    assert_int_equal(mkfifo(path, 0622), 0);
    /* No reader: ENXIO, not a hang. */
    assert_int_equal(trigger_send(TRIGGER_FIFO, path, "W", 1, 0, &why), -1);
    assert_int_equal(errno, ENXIO);
    fd = open(path, O_RDWR | O_NONBLOCK);
    assert_true(fd >= 0);
    assert_int_equal(trigger_send(TRIGGER_FIFO, path, "W", 1, 0, &why), 0);
    assert_int_equal(read(fd, data, sizeof(data)), 1);
    assert_int_equal(data[0], 'W');
    close(fd);

    /* A regular file where the fifo should be is refused. */
    set_path("notfifo");
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(trigger_send(TRIGGER_FIFO, path, "W", 1, 0, &why), -1);
    assert_non_null(strstr(buf_str(&why), "not a fifo"));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    buf_release(&why);
}

static void test_inet(void **state)
{
    struct buf why = BUF_INIT;
    char addr[64];
    char port[16];
    char where[96];
    char data[8];
    int lfd;
    int fd;

    (void)state;
    lfd = sock_listen_inet("127.0.0.1", "0", 10, &why);
    assert_true(lfd >= 0);
    assert_int_equal(sock_local_addr(lfd, addr, sizeof(addr), port, sizeof(port)), 0);
    snprintf(where, sizeof(where), "127.0.0.1:%s", port);
    assert_int_equal(trigger_send(TRIGGER_INET, where, "W", 1, 1000, &why), 0);
    fd = -1;
    for (int i = 0; i < 100 && fd < 0; i++) {
        fd = sock_accept(lfd);
        if (fd < 0)
            usleep(10000);
    }
    assert_true(fd >= 0);
    assert_int_equal(read(fd, data, sizeof(data)), 1);
    close(fd);
    close(lfd);
    assert_int_equal(trigger_send(TRIGGER_INET, "2525", "W", 1, 1000, &why), -1);
    assert_int_equal(errno, EINVAL);
    buf_release(&why);
}

static void test_bad_length(void **state)
{
    struct buf why = BUF_INIT;
    static char big[TRIGGER_MAX_LEN + 1];

    (void)state;
    set_path("len");
    assert_int_equal(trigger_send(TRIGGER_UNIX, path, "", 0, 0, &why), -1);
    assert_int_equal(errno, EMSGSIZE);
    assert_int_equal(trigger_send(TRIGGER_UNIX, path, big, sizeof(big), 0, &why), -1);
    assert_int_equal(errno, EMSGSIZE);
    /* The largest allowed length gets as far as the (missing) endpoint. */
    assert_int_equal(trigger_send(TRIGGER_UNIX, path, big, TRIGGER_MAX_LEN, 0, &why), -1);
    assert_int_equal(errno, ENOENT);
    buf_release(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix),  cmocka_unit_test(test_unix_full),
        cmocka_unit_test(test_dgram), cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_inet),  cmocka_unit_test(test_bad_length),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
