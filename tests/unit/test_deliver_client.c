/*
 * test_deliver_client.c - the synchronous delivery-request client
 * (lib/mail/deliver_client.c) against scripted agents in a forked child on
 * a private unix socket: a good conversation (the agent sees the request
 * as sent, the caller gets the agent's result), a missing socket (not
 * connected), a wrong announcement, a result count that does not match
 * the request and an agent that never answers (connected, bounded by the
 * timeout): every failure after the connection says connected = 1.
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

#include "mail/deliver_client.h"
#include "util/attr.h"
#include "util/attr_io.h"
#include "util/mem.h"
#include "util/sock.h"
#include "util/stream.h"

enum script { GOOD, BAD_ANNOUNCE, TWO_RESULTS, SILENT };

static char sock_path[64];

/* The child: accepts one connection and plays the script. A GOOD agent
 * answers "sent to ADDRESS via TRANSPORT/NEXTHOP at OFFSET". */
static void serve(int lfd, enum script script)
{
    int fd = sock_accept(lfd);
    struct stream *s;
    struct buf out = BUF_INIT, scratch = BUF_INIT, err = BUF_INIT, text = BUF_INIT;
    struct attr_limits lim;
    struct attr_msg m;
    struct deliver_request req;
    struct deliver_result res[2];

    if (fd < 0)
        _exit(2);
    s = stream_open_fd(fd, 1);
    stream_set_timeout(s, 5000);
    if (script == SILENT) {
        sleep(5);
        _exit(0);
    }
    attr_put_announce(&out, script == BAD_ANNOUNCE ? "cleanup" : DELIVER_PROTO_NAME,
                      DELIVER_PROTO_VERSION);
    attr_put_end(&out);
    attr_io_write(s, &out, &err);
    deliver_attr_limits(&lim);
    attr_msg_init(&m, &lim);
    if (attr_io_read(s, &m, &scratch, &err) < 0 || deliver_decode_request(&m, &req, &err) < 0)
        _exit(3);
    memset(res, 0, sizeof(res));
    for (int i = 0; i < 2; i++) {
        res[i].status = DELIVER_STATUS_OK;
        res[i].dsn_status = "2.0.0";
        res[i].action = "delivered";
        res[i].relay = "sink[/x]";
        res[i].mta = "";
        res[i].diag = "";
    }
    buf_printf(&text, "sent to %s via %s/%s at %ld orcpt %s notify %d", req.rcpt[0].address,
               req.transport, req.nexthop, req.rcpt[0].offset, req.rcpt[0].orcpt,
               req.rcpt[0].notify);
    res[0].reason = res[1].reason = (char *)buf_str(&text);
    buf_reset(&out);
    deliver_encode_results(&out, res, script == TWO_RESULTS ? 2 : 1);
    attr_io_write(s, &out, &err);
    _exit(0);
}

static pid_t start_server(enum script script)
{
    struct buf err = BUF_INIT;
    int lfd;
    pid_t pid;

    assert_true(snprintf(sock_path, sizeof(sock_path), "/tmp/test_deliver_client.%ld",
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

static void make_request(struct deliver_request *req, struct deliver_rcpt *rcpt)
{
    memset(req, 0, sizeof(*req));
    memset(rcpt, 0, sizeof(*rcpt));
    req->queue_name = "active";
    req->queue_id = "4ABCDEF0123";
    req->data_offset = 100;
    req->data_size = 20;
    req->transport = "lmtp";
    req->nexthop = "unix:/run/lmtp";
    req->sender = "sender@example.test";
    req->envid = "";
    rcpt->address = "alice@mx.example.test";
    rcpt->orcpt = "team@mx.example.test";
    rcpt->dsn_orcpt = "";
    rcpt->notify = 2;
    rcpt->offset = 77;
    req->rcpt = rcpt;
    req->nrcpt = 1;
}

static void test_good(void **state)
{
    struct deliver_request req;
    struct deliver_rcpt rcpt;
    struct deliver_result *res = NULL;
    struct buf err = BUF_INIT;
    int connected = -1;
    pid_t pid = start_server(GOOD);

    (void)state;
    make_request(&req, &rcpt);
    assert_int_equal(deliver_client_request(sock_path, 2000, &req, &res, &connected, &err), 0);
    assert_int_equal(connected, 1);
    assert_non_null(res);
    assert_int_equal(res[0].status, DELIVER_STATUS_OK);
    assert_string_equal(res[0].dsn_status, "2.0.0");
    assert_string_equal(res[0].relay, "sink[/x]");
    assert_string_equal(res[0].reason, "sent to alice@mx.example.test via lmtp/unix:/run/lmtp "
                                       "at 77 orcpt team@mx.example.test notify 2");
    deliver_results_free(res, 1);
    stop_server(pid);
    buf_release(&err);
}

static void test_no_socket(void **state)
{
    struct deliver_request req;
    struct deliver_rcpt rcpt;
    struct deliver_result *res = NULL;
    struct buf err = BUF_INIT;
    int connected = -1;

    (void)state;
    make_request(&req, &rcpt);
    assert_int_equal(deliver_client_request("/tmp/test_deliver_client.none/lmtp", 500, &req, &res,
                                            &connected, &err),
                     -1);
    assert_int_equal(connected, 0);
    assert_null(res);
    assert_non_null(strstr(buf_str(&err), "No such file or directory"));
    buf_release(&err);
}

static void test_bad_agents(void **state)
{
    enum script scripts[] = {BAD_ANNOUNCE, TWO_RESULTS, SILENT};
    const char *why[] = {"cleanup", "2 results for 1 recipients", ""};

    (void)state;
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        struct deliver_request req;
        struct deliver_rcpt rcpt;
        struct deliver_result *res = NULL;
        struct buf err = BUF_INIT;
        int connected = -1;
        pid_t pid = start_server(scripts[i]);

        make_request(&req, &rcpt);
        assert_int_equal(deliver_client_request(sock_path, 300, &req, &res, &connected, &err), -1);
        assert_int_equal(connected, 1);
        assert_null(res);
        assert_non_null(strstr(buf_str(&err), why[i]));
        stop_server(pid);
        buf_release(&err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_no_socket),
        cmocka_unit_test(test_bad_agents),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
