/*
 * test_anvil_client.c - the anvil client (lib/mail/anvil_client.c) against
 * scripted servers in a forked child on a private unix socket: a good
 * conversation over one persistent connection, fail-open with a warning
 * when the socket is missing, the retry delay, a wrong announcement, a
 * malformed reply and a server that never answers (bounded by the timeout).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/anvil_client.h"
#include "util/attr.h"
#include "util/attr_io.h"
#include "util/events.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/stream.h"

enum script { GOOD, BAD_ANNOUNCE, BAD_REPLY, SILENT };

static char sock_path[64];
static int warnings;
static struct buf last_warning = BUF_INIT;

static void capture(enum msg_level level, const char *text)
{
    if (level == MSG_WARN) {
        warnings++;
        buf_set(&last_warning, text);
    }
}

/* The child: accepts one connection and plays the script; exits when the
 * client goes away. A GOOD server answers request n with count n. */
static void serve(int lfd, enum script script)
{
    int fd = sock_accept(lfd);
    struct stream *s;
    struct buf out = BUF_INIT, scratch = BUF_INIT, err = BUF_INIT;
    struct attr_limits lim;
    struct attr_msg m;
    uint32_t n = 0;

    if (fd < 0)
        _exit(2);
    s = stream_open_fd(fd, 1);
    stream_set_timeout(s, 5000);
    if (script == SILENT) {
        sleep(5);
        _exit(0);
    }
    attr_put_announce(&out, script == BAD_ANNOUNCE ? "cleanup" : ANVIL_PROTO_NAME,
                      ANVIL_PROTO_VERSION);
    attr_put_end(&out);
    attr_io_write(s, &out, &err);
    anvil_attr_limits(&lim);
    attr_msg_init(&m, &lim);
    while (attr_io_read(s, &m, &scratch, &err) == 0) {
        struct anvil_request req;
        struct anvil_reply r = {0};

        if (anvil_decode_request(&m, &req, &err) < 0)
            _exit(3);
        buf_reset(&out);
        if (script == BAD_REPLY) {
            attr_put_int(&out, "status", 0);
            attr_put_end(&out);
        } else {
            r.counts.count = ++n;
            r.counts.rate = n * 10;
            r.counts.message_rate = req.type == ANVIL_REQ_MESSAGE ? 7 : 0;
            r.counts.auth_rate = strcmp(req.ident, "smtp:192.0.2.9") == 0 ? 9 : 0;
            anvil_encode_reply(&out, &r);
        }
        if (attr_io_write(s, &out, &err) < 0)
            break;
    }
    _exit(0);
}

static pid_t start_server(enum script script)
{
    struct buf err = BUF_INIT;
    int lfd;
    pid_t pid;

    assert_true(snprintf(sock_path, sizeof(sock_path), "/tmp/test_anvil_client.%ld",
                         (long)getpid()) < (int)sizeof(sock_path));
    lfd = sock_listen_unix(sock_path, 4, 0600, &err);
    assert_true(lfd >= 0);
    sock_set_nonblock(lfd, 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10);
        serve(lfd, script);
    }
    close(lfd);
    buf_release(&err);
    return pid;
}

static void stop_server(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(sock_path);
}

static void test_good(void **state)
{
    pid_t pid = start_server(GOOD);
    struct anvil_client *c = anvil_client_create(sock_path, 2000, 0);
    unsigned count = 99, rate = 99;

    (void)state;
    assert_int_equal(anvil_client_connect(c, "smtp", "192.0.2.1", &count, &rate), 0);
    assert_int_equal(count, 1);
    assert_int_equal(rate, 10);
    assert_int_equal(anvil_client_message(c, "smtp", "192.0.2.1", &rate), 0);
    assert_int_equal(rate, 7);
    assert_int_equal(anvil_client_auth(c, "smtp", "192.0.2.9", &rate), 0);
    assert_int_equal(rate, 9);
    /* Same connection: the server's request counter kept going. */
    assert_int_equal(anvil_client_connect(c, "smtp", "192.0.2.1", &count, &rate), 0);
    assert_int_equal(count, 4);
    assert_int_equal(anvil_client_disconnect(c, "smtp", "192.0.2.1"), 0);
    anvil_client_free(c);
    stop_server(pid);
}

static void test_fail_open(void **state)
{
    struct anvil_client *c;
    unsigned count = 99, rate = 99;
    struct anvil_counts n;

    (void)state;
    msg_set_hook(capture);
    warnings = 0;
    c = anvil_client_create("/tmp/test_anvil_client.none/anvil", 500, 60000);
    assert_int_equal(anvil_client_connect(c, "smtp", "192.0.2.1", &count, &rate), -1);
    assert_int_equal(count, 0);
    assert_int_equal(rate, 0);
    assert_int_equal(warnings, 1);
    assert_non_null(strstr(buf_str(&last_warning), "connect to /tmp/test_anvil_client.none"));
    /* Within the retry delay: no new attempt, no new warning. */
    assert_int_equal(anvil_client_request(c, ANVIL_REQ_RECIPIENT, "smtp", "x", &n), -1);
    assert_int_equal(warnings, 1);
    anvil_client_free(c);
    /* A bad ident fails without touching the network. */
    c = anvil_client_create("/tmp/test_anvil_client.none/anvil", 500, 0);
    assert_int_equal(anvil_client_request(c, ANVIL_REQ_LOOKUP, "smtp", "a b", &n), -1);
    assert_int_equal(warnings, 2);
    assert_non_null(strstr(buf_str(&last_warning), "invalid anvil ident"));
    anvil_client_free(c);
    msg_set_hook(NULL);
}

static void test_bad_servers(void **state)
{
    enum script scripts[] = {BAD_ANNOUNCE, BAD_REPLY, SILENT};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        pid_t pid = start_server(scripts[i]);
        struct anvil_client *c = anvil_client_create(sock_path, 300, 0);
        unsigned count = 99, rate = 99;
        int64_t t0 = event_clock_ms();

        msg_set_hook(capture);
        warnings = 0;
        assert_int_equal(anvil_client_connect(c, "smtp", "192.0.2.1", &count, &rate), -1);
        msg_set_hook(NULL);
        assert_int_equal(warnings, 1);
        assert_non_null(strstr(buf_str(&last_warning),
                               i == 1 ? "anvil: connect request for " : "anvil server at /tmp/"));
        assert_int_equal(count, 0);
        /* Bounded by the timeout (0.3 s), with room for a slow machine. */
        assert_true(event_clock_ms() - t0 < 3000);
        anvil_client_free(c);
        stop_server(pid);
    }
    buf_release(&last_warning);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_fail_open),
        cmocka_unit_test(test_bad_servers),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
