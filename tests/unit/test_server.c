/*
 * test_server.c - unit tests for the server skeletons (lib/server/server_*.c)
 * against a fake master: the test forks a child that gets the descriptors
 * of master_proto.h (status pipe on 3, a listener on 4) and runs
 * server_single_main(), server_multi_main() or server_trigger_main();
 * the parent reads the status messages, plays the client and watches how
 * the child ends (max_use, max_idle, master gone, crash at start, bad
 * options), and runs the stand-alone mode (-S) on a socket and on pipes.
 * Every read has a poll() deadline and every child is reaped with one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/master_proto.h"
#include "server/server.h"
#include "util/buf.h"
#include "util/events.h"
#include "util/msg.h"
#include "util/proc.h"
#include "util/sock.h"
#include "util/stream.h"

#define WAIT_MS 5000

enum kind { SINGLE, MULTI, TRIGGER, CRASH };

static char dir[64];
static char fifo_path[128];
static int report_fd = -1; /* the child's trigger callback writes here */

struct fake_master {
    pid_t pid;
    int status_fd; /* read end */
    int listen_fd;
    char port[16];
    int err_fd; /* the child's stderr */
};

/* ---- the child's callbacks ------------------------------------------------ */

static void echo_line(struct stream *client, int *done)
{
    struct buf line = BUF_INIT;

    if (stream_read_line(client, &line, 256, NULL) <= 0) {
        *done = 1;
    } else {
        stream_printf(client, "%s %u %ld: %s", server_service_name(), (unsigned)server_generation(),
                      (long)getpid(), buf_str(&line));
        *done = stream_flush(client) < 0;
    }
    buf_release(&line);
}

static void single_service(struct stream *client, const char *service, char **argv)
{
    int done = 0;

    (void)service;
    (void)argv;
    stream_set_timeout(client, WAIT_MS);
    while (!done)
        echo_line(client, &done);
}

static void multi_service(struct stream *client, const char *service, char **argv)
{
    int done = 0;

    (void)service;
    (void)argv;
    stream_set_timeout(client, WAIT_MS);
    echo_line(client, &done);
    if (done)
        server_multi_disconnect(client);
}

static void trigger_service(const char *data, size_t len, const char *service, char **argv)
{
    (void)service;
    if (write(report_fd, data, len) < 0 || (argv[0] && write(report_fd, argv[0], 1) < 0))
        _exit(96);
}

static void crash_post_init(const char *service, char **argv)
{
    (void)argv;
    msg_fatal("%s: cannot start", service);
}

/* ---- the fake master ---------------------------------------------------- */

/* Moves fd to target; every other descriptor above 2 is closed except
 * keep (the report pipe). */
static void child_fds(int status_fd, int listen_fd, int keep)
{
    int s = fcntl(status_fd, F_DUPFD, 100);
    int l = listen_fd >= 0 ? fcntl(listen_fd, F_DUPFD, 100) : -1;
    int k = keep >= 0 ? fcntl(keep, F_DUPFD, 200) : -1;

    if (s < 0 || dup2(s, MASTER_STATUS_FD) < 0)
        _exit(95);
    if (l >= 0 && dup2(l, MASTER_LISTEN_FD) < 0)
        _exit(95);
    report_fd = k;
    if (proc_close_fds_from(MASTER_LISTEN_FD + (l >= 0), &k, k >= 0 ? 1 : 0) < 0)
        _exit(95);
}

/* Starts a server of that kind with extra options (NULL-terminated). */
static void start(struct fake_master *fm, enum kind kind, const char *type, const char **extra,
                  int report)
{
    const char *argv[32];
    int status[2];
    int err[2];
    struct buf why = BUF_INIT;
    char port[16];
    char addr[64];
    int n = 0;

    memset(fm, 0, sizeof(*fm));
    assert_int_equal(pipe(status), 0);
    assert_int_equal(pipe(err), 0);
    if (strcmp(type, "fifo") == 0) {
        (void)unlink(fifo_path);
        assert_int_equal(mkfifo(fifo_path, 0622), 0);
        fm->listen_fd = open(fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    } else {
        fm->listen_fd = sock_listen_inet("127.0.0.1", "0", 10, &why);
        assert_int_equal(sock_local_addr(fm->listen_fd, addr, sizeof(addr), port, sizeof(port)), 0);
        snprintf(fm->port, sizeof(fm->port), "%s", port);
    }
    assert_true(fm->listen_fd >= 0);
    argv[n++] = "testsrv";
    argv[n++] = "-c";
    argv[n++] = dir;
    argv[n++] = "-n";
    argv[n++] = "svc";
    argv[n++] = "-t";
    argv[n++] = type;
    argv[n++] = "-s";
    argv[n++] = "1";
    argv[n++] = "-g";
    argv[n++] = "7";
    while (extra && *extra)
        argv[n++] = *extra++;
    argv[n] = NULL;
    fflush(NULL);
    fm->pid = fork();
    assert_true(fm->pid >= 0);
    if (fm->pid == 0) {
        static const struct server_hooks crash = {.post_init = crash_post_init};

        close(status[0]);
        close(err[0]);
        dup2(err[1], STDERR_FILENO);
        alarm(30);
        child_fds(status[1], fm->listen_fd, report);
        if (kind == MULTI)
            server_multi_main(n, (char **)argv, multi_service, NULL);
        if (kind == TRIGGER)
            server_trigger_main(n, (char **)argv, trigger_service, NULL);
        server_single_main(n, (char **)argv, single_service, kind == CRASH ? &crash : NULL);
    }
    close(status[1]);
    close(err[1]);
    fm->status_fd = status[0];
    fm->err_fd = err[0];
    buf_release(&why);
}

/* Next status message: MASTER_STATUS_*, or -1 at end of file or timeout. */
static int next_status(struct fake_master *fm, struct master_status *st)
{
    unsigned char msg[MASTER_STATUS_SIZE];
    struct pollfd pfd = {fm->status_fd, POLLIN, 0};

    if (poll(&pfd, 1, WAIT_MS) <= 0)
        return -1;
    if (read(fm->status_fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
        return -1;
    assert_int_equal(master_status_decode(msg, sizeof(msg), st), 0);
    assert_int_equal(st->pid, fm->pid);
    assert_int_equal(st->generation, 7);
    return (int)st->status;
}

static int expect_status(struct fake_master *fm)
{
    struct master_status st;

    return next_status(fm, &st);
}

/* Waits for the child; returns its exit status (-1: killed or timeout). */
static int finish_child(struct fake_master *fm)
{
    int64_t deadline = event_clock_ms() + WAIT_MS;
    struct timespec tick = {0, 10 * 1000 * 1000};
    int status = 0;
    pid_t ret;

    while ((ret = waitpid(fm->pid, &status, WNOHANG)) == 0 && event_clock_ms() < deadline)
        nanosleep(&tick, NULL);
    if (ret == 0) {
        kill(fm->pid, SIGKILL);
        waitpid(fm->pid, &status, 0);
        status = -1;
    }
    close(fm->status_fd);
    close(fm->listen_fd);
    close(fm->err_fd);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* The child's stderr so far (after it exited). */
static void child_stderr(struct fake_master *fm, char *out, size_t size)
{
    ssize_t n = read(fm->err_fd, out, size - 1);

    out[n > 0 ? n : 0] = '\0';
}

static int client_connect(struct fake_master *fm)
{
    struct buf why = BUF_INIT;
    int fd = sock_connect_inet("127.0.0.1", fm->port, WAIT_MS, &why);

    buf_release(&why);
    assert_true(fd >= 0);
    return fd;
}

/* Sends one line, returns the reply line (without checking its text). */
static void client_request(int fd, const char *line, char *reply, size_t size)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    ssize_t n;

    assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
    assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
    n = read(fd, reply, size - 1);
    assert_true(n > 0);
    reply[n] = '\0';
}

/* ---- tests -------------------------------------------------------------- */

static void test_single(void **state)
{
    static const char *extra[] = {"-m", "2", NULL};
    struct fake_master fm;
    char reply[256];
    char expect[256];
    int fd;

    (void)state;
    start(&fm, SINGLE, "inet", extra, -1);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_AVAIL);
    fd = client_connect(&fm);
    client_request(fd, "hello\n", reply, sizeof(reply));
    snprintf(expect, sizeof(expect), "svc 7 %ld: hello\n", (long)fm.pid);
    assert_string_equal(reply, expect);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_BUSY);
    client_request(fd, "again\n", reply, sizeof(reply));
    close(fd);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_AVAIL);
    /* Second and last client (max_use 2). */
    fd = client_connect(&fm);
    client_request(fd, "two\n", reply, sizeof(reply));
    close(fd);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_BUSY);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_AVAIL);
    assert_int_equal(finish_child(&fm), 0);
}

static void test_master_gone(void **state)
{
    struct fake_master fm;
    int64_t start_ms;

    (void)state;
    start(&fm, SINGLE, "inet", NULL, -1);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_AVAIL);
    start_ms = event_clock_ms();
    close(fm.status_fd);
    fm.status_fd = open("/dev/null", O_RDONLY);
    assert_int_equal(finish_child(&fm), 0);
    /* At once, not after max_idle (100 s by default). */
    assert_true(event_clock_ms() - start_ms < 3000);
}

static void test_max_idle(void **state)
{
    static const char *extra[] = {"-i", "1", NULL};
    struct fake_master fm;
    int64_t start_ms = event_clock_ms();

    (void)state;
    start(&fm, SINGLE, "inet", extra, -1);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_AVAIL);
    /* End of file on the status pipe: the child exited by itself. */
    assert_int_equal(expect_status(&fm), -1);
    assert_true(event_clock_ms() - start_ms >= 900);
    assert_int_equal(finish_child(&fm), 0);
}

/* Whether the instance's maillog_file has a line containing text. */
static int maillog_has(const char *text)
{
    char path[160];
    char line[1024];
    FILE *fp;
    int found = 0;

    snprintf(path, sizeof(path), "%s/maillog", dir);
    if ((fp = fopen(path, "r")) == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), fp))
        found = strstr(line, text) != NULL;
    fclose(fp);
    return found;
}

static void test_crash_at_start(void **state)
{
    struct fake_master fm;
    char text[128];

    (void)state;
    start(&fm, CRASH, "inet", NULL, -1);
    /* No status message at all: the master must see a startup failure. */
    assert_int_equal(expect_status(&fm), -1);
    assert_int_equal(finish_child(&fm), 1);
    /* Logged to maillog_file, tagged with the program name. */
    snprintf(text, sizeof(text), "postern/testsrv[%ld]: fatal: svc: cannot start", (long)fm.pid);
    assert_true(maillog_has(text));
}

static void test_bad_options(void **state)
{
    static const char *novalue[] = {"-o", "novalue", NULL};
    static const char *badtype[] = {NULL};
    struct fake_master fm;
    char err[1024];

    (void)state;
    start(&fm, SINGLE, "inet", novalue, -1);
    assert_int_equal(expect_status(&fm), -1);
    child_stderr(&fm, err, sizeof(err));
    assert_int_equal(finish_child(&fm), 1);
    assert_non_null(strstr(
        err, "fatal: invalid \"-o novalue\" option value: missing '=' after attribute name"));

    start(&fm, SINGLE, "pass", badtype, -1);
    assert_int_equal(expect_status(&fm), -1);
    assert_int_equal(finish_child(&fm), 1);

    /* A single-client server cannot serve a fifo. */
    start(&fm, SINGLE, "fifo", NULL, -1);
    assert_int_equal(expect_status(&fm), -1);
    assert_int_equal(finish_child(&fm), 1);
}

static void test_multi(void **state)
{
    static const char *extra[] = {"-m", "2", NULL};
    struct fake_master fm;
    char r1[256];
    char r2[256];
    int a;
    int b;

    (void)state;
    start(&fm, MULTI, "inet", extra, -1);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_AVAIL);
    a = client_connect(&fm);
    b = client_connect(&fm);
    client_request(a, "a\n", r1, sizeof(r1));
    client_request(b, "b\n", r2, sizeof(r2));
    /* One process, both clients at once: the same "svc 7 PID:" prefix. */
    assert_non_null(strstr(r1, ": a\n"));
    assert_non_null(strstr(r2, ": b\n"));
    *strchr(r1, ':') = '\0';
    *strchr(r2, ':') = '\0';
    assert_string_equal(r1, r2);
    client_request(a, "a2\n", r1, sizeof(r1));
    assert_non_null(strstr(r1, ": a2\n"));
    /* max_use 2 reached: it exits when both clients are gone. */
    close(a);
    client_request(b, "b2\n", r2, sizeof(r2));
    close(b);
    assert_int_equal(finish_child(&fm), 0);
}

/* Reads exactly n bytes from fd within the deadline; the count read. */
static size_t read_exact(int fd, char *data, size_t n)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    size_t got = 0;
    ssize_t r;

    while (got < n && poll(&pfd, 1, WAIT_MS) == 1) {
        if ((r = read(fd, data + got, n - got)) <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void test_trigger(void **state)
{
    static const char *extra[] = {"-m", "2", "out", NULL};
    struct fake_master fm;
    char data[16];
    int rep[2];
    int wfd;

    (void)state;
    assert_int_equal(pipe(rep), 0);
    start(&fm, TRIGGER, "fifo", extra, rep[1]);
    close(rep[1]);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_AVAIL);
    wfd = open(fifo_path, O_WRONLY | O_NONBLOCK);
    assert_true(wfd >= 0);
    assert_int_equal(write(wfd, "W", 1), 1);
    /* The trigger bytes, then the first service argument's first byte. */
    assert_int_equal(read_exact(rep[0], data, 2), 2);
    assert_memory_equal(data, "Wo", 2);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_BUSY);
    assert_int_equal(expect_status(&fm), MASTER_STATUS_AVAIL);
    assert_int_equal(write(wfd, "F", 1), 1);
    assert_int_equal(finish_child(&fm), 0);
    assert_int_equal(read_exact(rep[0], data, 2), 2);
    assert_memory_equal(data, "Fo", 2);
    /* Nothing more: max_use 2 ended it after the second trigger. */
    assert_int_equal(read_exact(rep[0], data, 1), 0);
    close(wfd);
    close(rep[0]);
}

/* Runs a stand-alone (-S) single server with in/out as stdin/stdout. */
static pid_t start_standalone(int in, int out)
{
    static const char *argv[] = {"testsrv", "-c", NULL, "-n", "alone", "-S", NULL};
    pid_t pid;

    argv[2] = dir;
    fflush(NULL);
    if ((pid = fork()) == 0) {
        alarm(30);
        dup2(in, STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        proc_close_fds_from(3, NULL, 0);
        server_single_main(6, (char **)argv, single_service, NULL);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    struct fake_master fm = {.pid = pid, .status_fd = -1, .listen_fd = -1, .err_fd = -1};

    return finish_child(&fm);
}

static void test_standalone(void **state)
{
    char reply[256];
    int sp[2];
    int in[2];
    int out[2];
    pid_t pid;
    ssize_t n;
    size_t got = 0;

    (void)state;
    /* On a socket: served directly. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    pid = start_standalone(sp[1], sp[1]);
    close(sp[1]);
    client_request(sp[0], "one\n", reply, sizeof(reply));
    assert_true(strncmp(reply, "alone 0 ", 8) == 0);
    assert_non_null(strstr(reply, ": one\n"));
    shutdown(sp[0], SHUT_WR);
    assert_int_equal(wait_exit(pid), 0);
    close(sp[0]);

    /* On pipes: relayed, and all output is written before exit. */
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    pid = start_standalone(in[0], out[1]);
    close(in[0]);
    close(out[1]);
    assert_int_equal(write(in[1], "x\ny\n", 4), 4);
    close(in[1]);
    assert_int_equal(wait_exit(pid), 0);
    while (got < sizeof(reply) - 1 && (n = read(out[0], reply + got, sizeof(reply) - 1 - got)) > 0)
        got += (size_t)n;
    reply[got] = '\0';
    close(out[0]);
    assert_non_null(strstr(reply, ": x\n"));
    assert_non_null(strstr(reply, ": y\n"));
}

static int setup(void **state)
{
    char path[160];
    FILE *fp;

    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof(dir), "/tmp/postern-server-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(fifo_path, sizeof(fifo_path), "%s/fifo", dir);
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    if ((fp = fopen(path, "w")) == NULL)
        return -1;
    fprintf(fp,
            "queue_directory = %s\ndata_directory = %s\nmaillog_file = %s/maillog\n"
            "maillog_file_prefixes = %s\n",
            dir, dir, dir, dir);
    fclose(fp);
    return 0;
}

static int teardown(void **state)
{
    char path[160];

    (void)state;
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/maillog", dir);
    unlink(path);
    unlink(fifo_path);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single),      cmocka_unit_test(test_master_gone),
        cmocka_unit_test(test_max_idle),    cmocka_unit_test(test_crash_at_start),
        cmocka_unit_test(test_bad_options), cmocka_unit_test(test_multi),
        cmocka_unit_test(test_trigger),     cmocka_unit_test(test_standalone),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
