/*
 * test_sock.c - unit tests for lib/util/sock.c.
 *
 * Loopback only: listen on 127.0.0.1 and ::1 (skipped when the host has no
 * IPv6 loopback) port 0, connect, accept, printable addresses, refused
 * connections, unix sockets (modes, stale files, paths too long), fd
 * passing (round trip and malformed messages) and the endpoint parser's
 * accepted forms and errors. Every wait is bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/events.h"
#include "util/sock.h"

static void assert_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);

    assert_true(flags >= 0);
    assert_true(flags & FD_CLOEXEC);
}

/* Accepts within 2 s from a non-blocking listener. */
static int accept_one(int lfd)
{
    struct pollfd pfd = {lfd, POLLIN, 0};

    assert_int_equal(poll(&pfd, 1, 2000), 1);
    return sock_accept(lfd);
}

/* Connects to the listener at want_addr, checks both ends' addresses;
 * listen_addr (if not NULL) is what the listener itself must report. */
static void round_trip(int lfd, const char *listen_addr, const char *want_addr)
{
    char addr[64], port[16], peer[64], pport[16], caddr[64], cport[16];
    struct buf err = BUF_INIT;
    int cfd;
    int sfd;
    char c;

    assert_int_equal(sock_local_addr(lfd, addr, sizeof(addr), port, sizeof(port)), 0);
    if (listen_addr)
        assert_string_equal(addr, listen_addr);
    assert_true(atoi(port) > 0);
    cfd = sock_connect_inet(want_addr, port, 2000, &err);
    assert_true(cfd >= 0);
    assert_cloexec(cfd);
    assert_false(fcntl(cfd, F_GETFL) & O_NONBLOCK); /* handed over blocking */
    sfd = accept_one(lfd);
    assert_true(sfd >= 0);
    assert_cloexec(sfd);
    assert_int_equal(sock_peer_addr(sfd, peer, sizeof(peer), pport, sizeof(pport)), 0);
    assert_int_equal(sock_local_addr(cfd, caddr, sizeof(caddr), cport, sizeof(cport)), 0);
    assert_string_equal(peer, want_addr);
    assert_string_equal(pport, cport);
    assert_int_equal(write(cfd, "!", 1), 1);
    assert_int_equal(read(sfd, &c, 1), 1);
    assert_int_equal(c, '!');
    /* Buffers too small are reported, not overrun. */
    assert_int_equal(sock_peer_addr(sfd, peer, 3, pport, sizeof(pport)), -1);
    assert_int_equal(errno, ENOSPC);
    close(sfd);
    close(cfd);
    buf_release(&err);
}

static void test_listen_ipv4_port0(void **state)
{
    struct buf err = BUF_INIT;
    int lfd = sock_listen_inet("127.0.0.1", "0", 16, &err);

    assert_true(lfd >= 0);
    assert_cloexec(lfd);
    assert_true(fcntl(lfd, F_GETFL) & O_NONBLOCK);
    /* Nothing pending: a non-blocking listener says so instead of hanging. */
    assert_int_equal(sock_accept(lfd), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    round_trip(lfd, "127.0.0.1", "127.0.0.1");
    close(lfd);
    buf_release(&err);
}

static void test_listen_ipv6_loopback(void **state)
{
    struct buf err = BUF_INIT;
    int lfd = sock_listen_inet("[::1]", "0", 16, &err);

    if (lfd < 0) {
        buf_release(&err);
        skip(); /* no IPv6 loopback on this host */
    }
    round_trip(lfd, "::1", "::1");
    close(lfd);
    buf_release(&err);
}

static void test_listen_all_and_busy_port(void **state)
{
    char addr[64], port[16];
    struct buf err = BUF_INIT;
    int lfd = sock_listen_inet(NULL, "0", 16, &err);
    int lfd2;

    assert_true(lfd >= 0);
    assert_int_equal(sock_local_addr(lfd, addr, sizeof(addr), port, sizeof(port)), 0);
    assert_true(strcmp(addr, "::") == 0 || strcmp(addr, "0.0.0.0") == 0);
    /* Every address includes IPv4 loopback, even on a dual-stack socket
     * (whose peer address must print as plain IPv4). */
    round_trip(lfd, NULL, "127.0.0.1");
    /* The port is taken now: a second listener fails and says where. */
    lfd2 = sock_listen_inet("127.0.0.1", port, 16, &err);
    assert_int_equal(lfd2, -1);
    assert_non_null(strstr(buf_str(&err), "bind 127.0.0.1 port"));
    assert_non_null(strstr(buf_str(&err), "in use"));
    close(lfd);
    buf_release(&err);
}

static void test_connect_refused(void **state)
{
    char addr[64], port[16];
    struct buf err = BUF_INIT;
    int lfd = sock_listen_inet("127.0.0.1", "0", 1, &err);

    assert_true(lfd >= 0);
    assert_int_equal(sock_local_addr(lfd, addr, sizeof(addr), port, sizeof(port)), 0);
    close(lfd);
    assert_int_equal(sock_connect_inet("127.0.0.1", port, 1000, &err), -1);
    assert_non_null(strstr(buf_str(&err), "connect to 127.0.0.1[127.0.0.1]:"));
    assert_non_null(strstr(buf_str(&err), "refused"));
    assert_int_equal(sock_connect_inet("", port, 1000, &err), -1);
    assert_int_equal(sock_connect_inet("127.0.0.1", "no-such-service-x", 1000, &err), -1);
    assert_true(buf_len(&err) > 0);
    buf_release(&err);
}

/* A listener that never accepts, with backlog 0: once its queue is full the
 * kernel drops further SYNs (or parks unix connects), so connect must give
 * up at the timeout. At most 8 attempts; the first ones may still fit. */
static void fill_until_timeout(const char *host, const char *port, const char *path)
{
    struct buf err = BUF_INIT;
    int fds[8];
    int n = 0;
    int fd = 0;
    int64_t start = 0;
    int64_t took;
    int i;

    while (n < 8) {
        start = event_clock_ms();
        fd = path ? sock_connect_unix(path, 150, &err) : sock_connect_inet(host, port, 150, &err);
        if (fd < 0)
            break;
        fds[n++] = fd;
    }
    took = event_clock_ms() - start;
    assert_true(fd < 0);
    assert_non_null(strstr(buf_str(&err), "timed out"));
    assert_true(took >= 140 && took < 1500);
    for (i = 0; i < n; i++)
        close(fds[i]);
    buf_release(&err);
}

static void test_connect_timeout(void **state)
{
    char addr[64], port[16];
    struct buf err = BUF_INIT;
    int lfd = sock_listen_inet("127.0.0.1", "0", 0, &err);

    assert_true(lfd >= 0);
    assert_int_equal(sock_local_addr(lfd, addr, sizeof(addr), port, sizeof(port)), 0);
    fill_until_timeout("127.0.0.1", port, NULL);
    close(lfd);
    buf_release(&err);
}

static char tmpdir[64];

static int setup_tmpdir(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sock.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
    DIR *dir = opendir(tmpdir);
    struct dirent *de;

    while (dir && (de = readdir(dir)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            (void)unlinkat(dirfd(dir), de->d_name, 0);
    if (dir)
        closedir(dir);
    return rmdir(tmpdir);
}

static void test_unix_listen_connect(void **state)
{
    char path[128], addr[128], port[8];
    struct buf err = BUF_INIT;
    struct stat st;
    int lfd, cfd, sfd;

    snprintf(path, sizeof(path), "%s/private-cleanup", tmpdir);
    lfd = sock_listen_unix(path, 8, 0622, &err);
    assert_true(lfd >= 0);
    assert_cloexec(lfd);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0622);
    cfd = sock_connect_unix(path, 1000, &err);
    assert_true(cfd >= 0);
    assert_cloexec(cfd);
    sfd = accept_one(lfd);
    assert_true(sfd >= 0);
    assert_int_equal(sock_local_addr(sfd, addr, sizeof(addr), port, sizeof(port)), 0);
    assert_string_equal(addr, path);
    assert_string_equal(port, "");
    close(sfd);
    close(cfd);
    close(lfd);
    /* The socket file is stale now: listening again replaces it. */
    lfd = sock_listen_unix(path, 8, 0600, &err);
    assert_true(lfd >= 0);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    close(lfd);
    buf_release(&err);
}

static void test_unix_errors(void **state)
{
    char path[300];
    struct buf err = BUF_INIT;
    struct stat st;
    int fd;

    /* A regular file in the way is never removed. */
    snprintf(path, sizeof(path), "%s/regular", tmpdir);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sock_listen_unix(path, 8, 0600, &err), -1);
    assert_non_null(strstr(buf_str(&err), "not a socket"));
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    /* Nobody listening. */
    snprintf(path, sizeof(path), "%s/absent", tmpdir);
    assert_int_equal(sock_connect_unix(path, 1000, &err), -1);
    assert_non_null(strstr(buf_str(&err), "No such file"));
    /* sun_path holds 107 bytes and a NUL: 108 is one too many. */
    memset(path, 'p', sizeof(path));
    path[0] = '/';
    path[108] = '\0';
    assert_int_equal(sock_listen_unix(path, 8, 0600, &err), -1);
    assert_non_null(strstr(buf_str(&err), "108 bytes, must be 1 to 107"));
    assert_int_equal(sock_connect_unix(path, 1000, &err), -1);
    assert_non_null(strstr(buf_str(&err), "must be 1 to 107"));
    assert_int_equal(sock_connect_unix("", 1000, &err), -1);
    /* 107 bytes fits (it fails later, for want of a directory). */
    path[107] = '\0';
    assert_int_equal(sock_connect_unix(path, 1000, &err), -1);
    assert_null(strstr(buf_str(&err), "must be 1 to"));
    buf_release(&err);
}

static void test_unix_connect_timeout(void **state)
{
    char path[128];
    struct buf err = BUF_INIT;
    int lfd;

    snprintf(path, sizeof(path), "%s/busy", tmpdir);
    lfd = sock_listen_unix(path, 0, 0600, &err);
    assert_true(lfd >= 0);
    fill_until_timeout(NULL, NULL, path);
    close(lfd);
    buf_release(&err);
}

static int count_open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(dir);
    while (readdir(dir) != NULL)
        n++;
    closedir(dir);
    return n;
}

static void test_fd_passing(void **state)
{
    int sv[2], p[2];
    char c;
    int got;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(sock_send_fd(sv[0], p[0]), 0);
    got = sock_recv_fd(sv[1]);
    assert_true(got >= 0);
    assert_true(got != p[0]);
    assert_cloexec(got);
    close(p[0]);
    assert_int_equal(write(p[1], "z", 1), 1);
    assert_int_equal(read(got, &c, 1), 1);
    assert_int_equal(c, 'z');
    close(got);
    close(p[1]);

    /* A data byte without an fd is malformed. */
    assert_int_equal(write(sv[0], "F", 1), 1);
    assert_int_equal(sock_recv_fd(sv[1]), -1);
    assert_int_equal(errno, EBADMSG);
    close(sv[0]);
    close(sv[1]);
}

/* Sends two fds in one message: the receiver must refuse and close both. */
static void send_two_fds(int sock, int a, int b)
{
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(2 * sizeof(int))];
    } control;
    struct msghdr msg;
    struct cmsghdr *cmsg;
    struct iovec iov;
    int fds[2] = {a, b};
    char byte = 'F';

    memset(&msg, 0, sizeof(msg));
    memset(&control, 0, sizeof(control));
    iov.iov_base = &byte;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof(control.space);
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
    assert_int_equal(sendmsg(sock, &msg, 0), 1);
}

static void test_fd_passing_malformed(void **state)
{
    int sv[2], p[2];
    int before;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(pipe(p), 0);
    before = count_open_fds();
    send_two_fds(sv[0], p[0], p[1]);
    assert_int_equal(sock_recv_fd(sv[1]), -1);
    assert_int_equal(errno, EBADMSG);
    assert_int_equal(count_open_fds(), before); /* nothing leaked */
    /* Peer gone: EOF is ECONNRESET. */
    close(sv[0]);
    assert_int_equal(sock_recv_fd(sv[1]), -1);
    assert_int_equal(errno, ECONNRESET);
    /* Sending to a closed peer fails without SIGPIPE. */
    assert_int_equal(sock_send_fd(sv[1], p[0]), -1);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

static void test_set_nonblock(void **state)
{
    int p[2];

    assert_int_equal(pipe(p), 0);
    assert_int_equal(sock_set_nonblock(p[0], 1), 0);
    assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    assert_int_equal(sock_set_nonblock(p[0], 1), 0);
    assert_int_equal(sock_set_nonblock(p[0], 0), 0);
    assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    close(p[0]);
    close(p[1]);
    assert_int_equal(sock_set_nonblock(p[0], 1), -1);
}

struct ep_case {
    const char *spec;
    const char *default_port;
    int kind;
    const char *host; /* or path for unix */
    const char *port;
    int bracketed;
};

static void test_endpoint_valid(void **state)
{
    static const struct ep_case cases[] = {
        {"2525", NULL, SOCK_ENDPOINT_INET, "", "2525", 0},
        {"smtp", NULL, SOCK_ENDPOINT_INET, "", "smtp", 0},
        {"127.0.0.1:2525", NULL, SOCK_ENDPOINT_INET, "127.0.0.1", "2525", 0},
        {"localhost:submission", NULL, SOCK_ENDPOINT_INET, "localhost", "submission", 0},
        {"[::1]:25", NULL, SOCK_ENDPOINT_INET, "::1", "25", 1},
        {"[fe80::1%eth0]:25", NULL, SOCK_ENDPOINT_INET, "fe80::1%eth0", "25", 1},
        {"[mail.example.com]:587", "smtp", SOCK_ENDPOINT_INET, "mail.example.com", "587", 1},
        {"[mail.example.com]", "smtp", SOCK_ENDPOINT_INET, "mail.example.com", "smtp", 1},
        {"mail.example.com", "smtp", SOCK_ENDPOINT_INET, "mail.example.com", "smtp", 0},
        {"inet:localhost:8891", NULL, SOCK_ENDPOINT_INET, "localhost", "8891", 0},
        {"inet:[::1]:10025", NULL, SOCK_ENDPOINT_INET, "::1", "10025", 1},
        {"inet:127.0.0.1:65535", NULL, SOCK_ENDPOINT_INET, "127.0.0.1", "65535", 0},
        {"host:1", NULL, SOCK_ENDPOINT_INET, "host", "1", 0},
        {"unix:/var/run/milter.sock", NULL, SOCK_ENDPOINT_UNIX, "/var/run/milter.sock", "", 0},
        {"local:private/policy", NULL, SOCK_ENDPOINT_UNIX, "private/policy", "", 0},
    };
    struct sock_endpoint ep;
    struct buf err = BUF_INIT;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct ep_case *c = &cases[i];

        if (sock_parse_endpoint(c->spec, c->default_port, &ep, &err) != 0)
            fail_msg("\"%s\": %s", c->spec, buf_str(&err));
        assert_int_equal(ep.kind, c->kind);
        if (c->kind == SOCK_ENDPOINT_UNIX) {
            assert_string_equal(ep.path, c->host);
        } else {
            assert_string_equal(ep.host, c->host);
            assert_string_equal(ep.port, c->port);
            assert_int_equal(ep.bracketed, c->bracketed);
        }
    }
    buf_release(&err);
}

static void test_endpoint_errors(void **state)
{
    static const struct {
        const char *spec;
        const char *default_port;
        const char *why;
    } cases[] = {
        {"", NULL, "empty"},
        {"::1:25", NULL, "brackets"},
        {"inet:::1:25", NULL, "brackets"},
        {"[::1", NULL, "missing ']'"},
        {"[::1]x", NULL, "junk after ']'"},
        {"[::1]25", NULL, "junk after ']'"},
        {"[::1]", NULL, "missing port"},
        {"[]:25", NULL, "missing host"},
        {"host:", NULL, "missing port"},
        {":25", NULL, "missing host"},
        {"host:0", NULL, "out of range"},
        {"host:65536", NULL, "out of range"},
        {"host:99999999999999999999999", NULL, "out of range"},
        {"host:2 5", NULL, "bad character 0x20 at offset 6"},
        {"host:25\n", NULL, "bad character 0x0a"},
        {"ho/st:25", NULL, "bad character in host"},
        {"host:s/mtp", NULL, "bad character in port"},
        {"[a b]:25", NULL, "bad character"},
        {"[1.2.3.4]:25:26", NULL, "bad character in port"},
        {"unix:", NULL, "missing path"},
        {"inet:", NULL, "missing host and port"},
        {"h\xc3\xa9:25", NULL, "bad character 0xc3"},
    };
    struct sock_endpoint ep;
    struct buf err = BUF_INIT;
    char longhost[400];
    char longspec[300];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (sock_parse_endpoint(cases[i].spec, cases[i].default_port, &ep, &err) != -1)
            fail_msg("\"%s\" was accepted", cases[i].spec);
        if (strstr(buf_str(&err), cases[i].why) == NULL)
            fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].spec, buf_str(&err), cases[i].why);
        /* Nothing half-parsed is left for a careless caller. */
        assert_string_equal(ep.host, "");
        assert_string_equal(ep.port, "");
    }
    assert_int_equal(sock_parse_endpoint(NULL, NULL, &ep, &err), -1);
    /* A host of 255 bytes fits, 256 does not. */
    memset(longhost, 'h', sizeof(longhost));
    memcpy(longhost + 255, ":25", 4);
    assert_int_equal(sock_parse_endpoint(longhost, NULL, &ep, &err), 0);
    assert_int_equal(strlen(ep.host), 255);
    memset(longhost, 'h', sizeof(longhost));
    memcpy(longhost + 256, ":25", 4);
    assert_int_equal(sock_parse_endpoint(longhost, NULL, &ep, &err), -1);
    assert_non_null(strstr(buf_str(&err), "host too long"));
    /* A unix path must fit sun_path. */
    memcpy(longspec, "unix:/", 6);
    memset(longspec + 6, 'u', sizeof(longspec) - 7);
    longspec[sizeof(longspec) - 1] = '\0';
    assert_int_equal(sock_parse_endpoint(longspec, NULL, &ep, &err), -1);
    assert_non_null(strstr(buf_str(&err), "path too long"));
    longspec[5 + 107] = '\0'; /* exactly 107 bytes */
    assert_int_equal(sock_parse_endpoint(longspec, NULL, &ep, &err), 0);
    assert_int_equal(strlen(ep.path), 107);
    /* err may be NULL. */
    assert_int_equal(sock_parse_endpoint("::1:25", NULL, &ep, NULL), -1);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_ipv4_port0),
        cmocka_unit_test(test_listen_ipv6_loopback),
        cmocka_unit_test(test_listen_all_and_busy_port),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test_setup_teardown(test_unix_listen_connect, setup_tmpdir, teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_unix_errors, setup_tmpdir, teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_unix_connect_timeout, setup_tmpdir, teardown_tmpdir),
        cmocka_unit_test(test_fd_passing),
        cmocka_unit_test(test_fd_passing_malformed),
        cmocka_unit_test(test_set_nonblock),
        cmocka_unit_test(test_endpoint_valid),
        cmocka_unit_test(test_endpoint_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
