/*
 * test_proc.c - unit tests for lib/util/proc.c.
 *
 * Tests that change process-wide state (daemonising, privileges, chroot,
 * closing descriptors) run in forked children and report through the exit
 * status; every wait is bounded with alarm() so a hang fails the test. Files
 * live in a private mkdtemp() directory under /tmp removed at the end.
 * Privilege and chroot tests need root and skip otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
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

#include "util/buf.h"
#include "util/msg.h"
#include "util/proc.h"

struct fixture {
    char dir[64];
    char path[128]; /* dir/master.pid */
    struct buf why;
};

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/postern-proc-XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/master.pid", fx->dir);
    buf_init(&fx->why);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc = nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

    alarm(0);
    buf_release(&fx->why);
    free(fx);
    return rc;
}

/* Waits for pid and returns its exit status, or -1 if it did not exit. */
static int wait_exit(pid_t pid)
{
    pid_t rc;
    int status;

    /* Our handlers have no SA_RESTART, so a caught signal ends waitpid(). */
    while ((rc = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (rc != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void write_text(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* ---- pid files ------------------------------------------------------------ */

static void test_pid_file_round_trip(void **state)
{
    struct fixture *fx = *state;
    char text[64];
    pid_t pid = 0;
    ssize_t n;
    int fd;

    fd = proc_lock_file(fx->path, &fx->why);
    assert_true(fd >= 0);
    assert_int_equal(proc_write_pid_file(fd, 1234567890, &fx->why), 0);
    assert_int_equal(proc_write_pid_file(fd, 12345, &fx->why), 0); /* shorter: no leftovers */
    n = pread(fd, text, sizeof(text), 0);
    assert_int_equal(n, 11);
    text[n] = '\0';
    assert_string_equal(text, "     12345\n");
    assert_int_equal(proc_read_pid_file(fx->path, &pid, &fx->why), 0);
    assert_int_equal(pid, 12345);

    /* The largest pid fills the 10 columns exactly. */
    assert_int_equal(proc_write_pid_file(fd, INT_MAX, &fx->why), 0);
    assert_int_equal(proc_read_pid_file(fx->path, &pid, &fx->why), 0);
    assert_int_equal(pid, INT_MAX);
    close(fd);
}

static void test_pid_file_malformed(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad[] = {
        "", "abc\n", "12x\n", "         0\n", "99999999999\n", "12\n\n", "-5\n", "\n", " 12 \n",
    };
    char big[100];
    pid_t pid = 77;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_text(fx->path, bad[i], strlen(bad[i]));
        assert_int_equal(proc_read_pid_file(fx->path, &pid, &fx->why), -1);
        assert_int_equal(pid, 77);
    }
    memset(big, ' ', sizeof(big));
    big[sizeof(big) - 2] = '7';
    big[sizeof(big) - 1] = '\n';
    write_text(fx->path, big, sizeof(big));
    assert_int_equal(proc_read_pid_file(fx->path, &pid, &fx->why), -1);
    assert_non_null(strstr(buf_str(&fx->why), "too long"));

    /* Accepted: no padding, no newline. */
    write_text(fx->path, "42", 2);
    assert_int_equal(proc_read_pid_file(fx->path, &pid, &fx->why), 0);
    assert_int_equal(pid, 42);

    char missing[256];
    snprintf(missing, sizeof(missing), "%s/none.pid", fx->dir);
    assert_int_equal(proc_read_pid_file(missing, &pid, &fx->why), -1);
    assert_int_equal(errno, ENOENT);
}

/* ---- lock files ----------------------------------------------------------- */

static void test_lock_held_by_child(void **state)
{
    struct fixture *fx = *state;
    int ready[2];
    int go[2];
    char byte = 0;
    char expect[256];
    pid_t child;
    pid_t holder = 0;
    int fd;

    alarm(10);
    assert_int_equal(proc_lock_holder_alive(fx->path, &holder, &fx->why), 0); /* no file yet */
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct buf why = BUF_INIT;
        int lfd = proc_lock_file(fx->path, &why);

        if (lfd < 0 || proc_write_pid_file(lfd, getpid(), &why) < 0)
            _exit(2);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &byte, 1) != 1)
            _exit(3);
        _exit(0); /* the lock goes with the process */
    }
    close(ready[1]);
    close(go[0]);
    assert_int_equal(read(ready[0], &byte, 1), 1);

    assert_int_equal(proc_lock_file(fx->path, &fx->why), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    snprintf(expect, sizeof(expect), "%s is locked by process %ld", fx->path, (long)child);
    assert_string_equal(buf_str(&fx->why), expect);
    assert_int_equal(proc_lock_holder_alive(fx->path, &holder, &fx->why), 1);
    assert_int_equal(holder, child);
    /* Asking did not take the lock: the child still holds it. */
    assert_int_equal(proc_lock_file(fx->path, &fx->why), -1);

    assert_int_equal(write(go[1], "g", 1), 1);
    assert_int_equal(wait_exit(child), 0);
    close(ready[0]);
    close(go[1]);

    assert_int_equal(proc_lock_holder_alive(fx->path, &holder, &fx->why), 0);
    fd = proc_lock_file(fx->path, &fx->why);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}

static void test_lock_survives_other_close(void **state)
{
    struct fixture *fx = *state;
    pid_t holder = 0;
    pid_t child;
    int fd;

    alarm(10);
    fd = proc_lock_file(fx->path, &fx->why);
    assert_true(fd >= 0);
    assert_int_equal(proc_write_pid_file(fd, getpid(), &fx->why), 0);
    /* Reading the pid file opens and closes it: with fcntl() process locks
     * that would drop our lock; with open-file-description locks it must not. */
    assert_int_equal(proc_read_pid_file(fx->path, &holder, &fx->why), 0);
    assert_int_equal(proc_lock_holder_alive(fx->path, &holder, &fx->why), 1);
    assert_int_equal(holder, getpid());

    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct buf why = BUF_INIT;

        close(fd); /* the child must not share our description */
        _exit(proc_lock_file(fx->path, &why) < 0 && errno == EWOULDBLOCK ? 0 : 1);
    }
    assert_int_equal(wait_exit(child), 0);
    close(fd);
    assert_int_equal(proc_lock_holder_alive(fx->path, &holder, &fx->why), 0);
}

static void test_lock_refuses_symlink(void **state)
{
    struct fixture *fx = *state;
    char target[256];

    snprintf(target, sizeof(target), "%s/target", fx->dir);
    write_text(target, "x", 1);
    assert_int_equal(symlink(target, fx->path), 0);
    assert_int_equal(proc_lock_file(fx->path, &fx->why), -1);
    assert_int_equal(errno, ELOOP);
    assert_non_null(strstr(buf_str(&fx->why), "symbolic link"));
}

/* ---- daemonising ---------------------------------------------------------- */

enum daemon_mode { DAEMON_REPORT, DAEMON_EXIT_SILENT, DAEMON_NO_PIPE };

/* Runs proc_daemonise() in a launcher process and returns the launcher's
 * exit status, i.e. what `postern start` would see. */
static int run_launcher(int flags, enum daemon_mode mode)
{
    pid_t launcher;

    launcher = fork();
    assert_true(launcher >= 0);
    if (launcher == 0) {
        struct buf why = BUF_INIT;
        struct stat null_st;
        struct stat in_st;
        char cwd[64];
        pid_t old_sid = getsid(0);
        int rfd = -1;
        int ok;

        msg_set_stderr(0); /* the expected "did not report" error is noise here */
        if (proc_daemonise(flags, mode == DAEMON_NO_PIPE ? NULL : &rfd, 10, &why) < 0)
            _exit(100);
        /* Daemon: verify what proc_daemonise promises, report 42 if all
         * holds, 99 if not. */
        ok = getsid(0) != old_sid && getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") == 0 &&
             fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0;
        if (flags & PROC_DAEMON_CLOSE_STDIO)
            ok = ok && stat("/dev/null", &null_st) == 0 && fstat(0, &in_st) == 0 &&
                 in_st.st_rdev == null_st.st_rdev;
        if (flags & PROC_DAEMON_FORK_TWICE)
            ok = ok && getsid(0) != getpid(); /* not a session leader */
        else
            ok = ok && getsid(0) == getpid();
        if (mode == DAEMON_REPORT)
            proc_daemonise_ready(rfd, ok ? 42 : 99, &why);
        _exit(0);
    }
    return wait_exit(launcher);
}

static void test_daemonise_ready(void **state)
{
    (void)state;
    alarm(20);
    assert_int_equal(run_launcher(PROC_DAEMON_CLOSE_STDIO, DAEMON_REPORT), 42);
    assert_int_equal(run_launcher(PROC_DAEMON_CLOSE_STDIO | PROC_DAEMON_FORK_TWICE, DAEMON_REPORT),
                     42);
    assert_int_equal(run_launcher(PROC_DAEMON_FORK_TWICE, DAEMON_REPORT), 42);
    /* A daemon that dies before reporting makes the launcher fail. */
    assert_int_equal(run_launcher(PROC_DAEMON_CLOSE_STDIO, DAEMON_EXIT_SILENT), 1);
    assert_int_equal(
        run_launcher(PROC_DAEMON_CLOSE_STDIO | PROC_DAEMON_FORK_TWICE, DAEMON_EXIT_SILENT), 1);
    /* Without a readiness channel the launcher exits 0 at once. */
    assert_int_equal(run_launcher(PROC_DAEMON_CLOSE_STDIO, DAEMON_NO_PIPE), 0);
}

static void test_ready_wait_edges(void **state)
{
    struct fixture *fx = *state;
    struct timespec t0;
    struct timespec t1;
    long elapsed_ms;
    int sv[2];

    alarm(10);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(proc_ready_wait(sv[0], 1, &fx->why), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(errno, ETIMEDOUT);
    elapsed_ms = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
    assert_true(elapsed_ms >= 950 && elapsed_ms < 3000);

    assert_int_equal(proc_daemonise_ready(sv[1], 0, &fx->why), 0); /* closes sv[1] */
    assert_int_equal(proc_ready_wait(sv[0], 1, &fx->why), 0);
    assert_int_equal(proc_ready_wait(sv[0], 1, &fx->why), -1); /* then end of file */
    assert_int_equal(errno, EPIPE);
    close(sv[0]);

    /* Reporting to a launcher that is gone is an error, not SIGPIPE. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[0]);
    assert_int_equal(proc_daemonise_ready(sv[1], 0, &fx->why), -1);
    assert_int_equal(errno, EPIPE);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(proc_daemonise_ready(sv[1], 256, &fx->why), -1);
    assert_int_equal(errno, EINVAL);
    close(sv[0]);
}

/* ---- privileges ----------------------------------------------------------- */

static void test_drop_privileges_root(void **state)
{
    pid_t child;

    (void)state;
    if (geteuid() != 0)
        skip();
    alarm(10);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct buf why = BUF_INIT;
        gid_t groups[8];
        uid_t r, e, s;

        if (proc_drop_privileges(65534, 65534, &why) != 0)
            _exit(2);
        if (getresuid(&r, &e, &s) < 0 || r != 65534 || e != 65534 || s != 65534)
            _exit(3);
        if (getgid() != 65534 || getegid() != 65534)
            _exit(4);
        if (getgroups(8, groups) != 1 || groups[0] != 65534)
            _exit(5);
        if (setuid(0) != -1 || errno != EPERM || seteuid(0) != -1)
            _exit(6);
        /* Now in non-root mode: same uid is a no-op, another is refused. */
        if (proc_drop_privileges(65534, 65534, &why) != 0)
            _exit(7);
        if (proc_drop_privileges(0, 0, &why) != -1 || errno != EPERM ||
            strstr(buf_str(&why), "not root") == NULL)
            _exit(8);
        _exit(0);
    }
    assert_int_equal(wait_exit(child), 0);
}

static void test_drop_privileges_nonroot(void **state)
{
    struct fixture *fx = *state;

    if (geteuid() == 0)
        skip(); /* covered inside test_drop_privileges_root's child */
    assert_int_equal(proc_drop_privileges(geteuid(), getegid(), &fx->why), 0);
    assert_int_equal(proc_drop_privileges(geteuid() + 1, getegid(), &fx->why), -1);
    assert_int_equal(errno, EPERM);
}

static void test_chroot(void **state)
{
    struct fixture *fx = *state;
    char marker[256];
    pid_t child;

    if (geteuid() != 0)
        skip();
    alarm(10);
    snprintf(marker, sizeof(marker), "%s/marker", fx->dir);
    write_text(marker, "x", 1);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct buf why = BUF_INIT;
        char cwd[16];

        if (proc_chroot(fx->dir, &why) != 0)
            _exit(2);
        if (access("/marker", F_OK) != 0 || getcwd(cwd, sizeof(cwd)) == NULL ||
            strcmp(cwd, "/") != 0)
            _exit(3);
        _exit(0);
    }
    assert_int_equal(wait_exit(child), 0);
    assert_int_equal(proc_chroot("/nonexistent/postern", &fx->why), -1);
    assert_non_null(strstr(buf_str(&fx->why), "/nonexistent/postern"));
}

static void test_lookup(void **state)
{
    struct fixture *fx = *state;
    uid_t uid = 1;
    gid_t gid = 1;

    assert_int_equal(proc_lookup_user("root", &uid, &gid, &fx->why), 0);
    assert_int_equal(uid, 0);
    assert_int_equal(gid, 0);
    uid = gid = 1;
    assert_int_equal(proc_lookup_user("0", &uid, &gid, &fx->why), 0);
    assert_int_equal(uid, 0);
    assert_int_equal(gid, 0);
    assert_int_equal(proc_lookup_user("nobody", &uid, &gid, &fx->why), 0);
    assert_int_equal(uid, 65534);

    assert_int_equal(proc_lookup_user("no-such-user-postern", &uid, &gid, &fx->why), -1);
    assert_string_equal(buf_str(&fx->why), "unknown user \"no-such-user-postern\"");
    /* A numeric id without passwd entry: fine unless a group is wanted. */
    assert_int_equal(proc_lookup_user("4000000", &uid, &gid, &fx->why), -1);
    uid = 1;
    assert_int_equal(proc_lookup_user("4000000", &uid, NULL, &fx->why), 0);
    assert_int_equal(uid, 4000000);
    assert_int_equal(proc_lookup_user("-1", &uid, NULL, &fx->why), -1);
    assert_int_equal(proc_lookup_user("4294967295", &uid, NULL, &fx->why), -1);
    assert_int_equal(proc_lookup_user("+5", &uid, NULL, &fx->why), -1);
    assert_int_equal(proc_lookup_user("", &uid, NULL, &fx->why), -1);

    gid = 1;
    assert_int_equal(proc_lookup_group("root", &gid, &fx->why), 0);
    assert_int_equal(gid, 0);
    assert_int_equal(proc_lookup_group("12345", &gid, &fx->why), 0);
    assert_int_equal(gid, 12345);
    assert_int_equal(proc_lookup_group("no-such-group-postern", &gid, &fx->why), -1);
    assert_string_equal(buf_str(&fx->why), "unknown group \"no-such-group-postern\"");
    assert_int_equal(proc_lookup_group("4294967295", &gid, &fx->why), -1);
}

/* ---- signals -------------------------------------------------------------- */

static int wait_readable(int fd, int ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    return poll(&pfd, 1, ms);
}

static void test_sigpipe_delivers(void **state)
{
    struct fixture *fx = *state;
    struct sigaction sa;
    sigset_t got;
    pid_t child;
    int rfd;
    int i;

    alarm(10);
    rfd = proc_sigpipe_open(&fx->why);
    assert_true(rfd >= 0);
    assert_int_equal(proc_sigpipe_open(&fx->why), rfd); /* idempotent */
    assert_int_equal(proc_sigpipe_catch(SIGUSR1, &fx->why), 0);
    assert_int_equal(proc_sigpipe_catch(SIGUSR2, &fx->why), 0);
    assert_int_equal(proc_sigpipe_catch(0, &fx->why), -1);

    assert_int_equal(wait_readable(rfd, 0), 0);
    raise(SIGUSR1);
    raise(SIGUSR1);
    assert_int_equal(wait_readable(rfd, 1000), 1);
    assert_int_equal(proc_sigpipe_collect(&got), 1);
    assert_int_equal(sigismember(&got, SIGUSR1), 1);
    assert_int_equal(sigismember(&got, SIGUSR2), 0);
    assert_int_equal(proc_sigpipe_collect(&got), 0);
    assert_int_equal(wait_readable(rfd, 0), 0);

    /* From another process. */
    child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(kill(getppid(), SIGUSR2) == 0 ? 0 : 1);
    assert_int_equal(wait_exit(child), 0);
    assert_int_equal(wait_readable(rfd, 1000), 1);
    assert_int_equal(proc_sigpipe_collect(&got), 1);
    assert_int_equal(sigismember(&got, SIGUSR2), 1);

    /* A full pipe loses bytes but not signals. */
    for (i = 0; i < 70000; i++)
        raise(SIGUSR1);
    raise(SIGUSR2);
    assert_int_equal(proc_sigpipe_collect(&got), 2);
    assert_int_equal(sigismember(&got, SIGUSR1), 1);
    assert_int_equal(sigismember(&got, SIGUSR2), 1);

    /* Closing restores the default action. */
    proc_sigpipe_close();
    assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
    assert_true(sa.sa_handler == SIG_DFL);
    assert_int_equal(proc_sigpipe_catch(SIGUSR1, &fx->why), -1);
    assert_int_equal(fcntl(rfd, F_GETFD), -1);
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    (void)sig;
    got_usr1 = 1;
}

static void test_signal_interrupts_read(void **state)
{
    struct sigaction sa;
    int fds[2];
    char byte;
    pid_t child;
    ssize_t n;

    (void)state;
    alarm(10); /* with SA_RESTART the read would block until this fires */
    assert_int_equal(proc_signal(SIGUSR1, on_usr1), 0);
    assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
    assert_int_equal(sa.sa_flags & SA_RESTART, 0);
    assert_int_equal(pipe(fds), 0);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        usleep(200000);
        _exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
    }
    n = read(fds[0], &byte, 1); /* nobody writes: only the signal ends this */
    assert_int_equal(n, -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(got_usr1, 1);
    assert_int_equal(wait_exit(child), 0);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(proc_signal(SIGUSR1, SIG_DFL), 0);

    /* SIGPIPE ignored: writing to a closed pipe is EPIPE. */
    assert_int_equal(proc_ignore_sigpipe(), 0);
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    assert_int_equal(write(fds[1], "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    close(fds[1]);
    assert_int_equal(proc_signal(SIGPIPE, SIG_DFL), 0);
}

/* ---- descriptors ---------------------------------------------------------- */

static void test_close_fds_from(void **state)
{
    pid_t child;

    (void)state;
    alarm(10);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int low = open("/dev/null", O_RDONLY);
        int a = dup(low);
        int keep1 = dup(low);
        int b = dup(low);
        int keep2 = dup2(low, 200);
        int high = dup2(low, 300);
        /* Unsorted, with a duplicate, a closed fd and one below low. */
        int keep[] = {keep2, 900, keep1, keep2, 1};
        int code = 0;

        if (low < 3 || high != 300 || keep2 != 200)
            _exit(99);
        if (proc_close_fds_from(low, keep, sizeof(keep) / sizeof(keep[0])) != 0)
            _exit(98);
        if (fcntl(low, F_GETFD) != -1 || errno != EBADF)
            code |= 1;
        if (fcntl(a, F_GETFD) != -1 || fcntl(b, F_GETFD) != -1)
            code |= 2;
        if (fcntl(high, F_GETFD) != -1)
            code |= 4;
        if (fcntl(keep1, F_GETFD) < 0 || fcntl(keep2, F_GETFD) < 0)
            code |= 8;
        if (fcntl(2, F_GETFD) < 0 || fcntl(1, F_GETFD) < 0) /* below lowfd: untouched */
            code |= 16;
        if (proc_close_fds_from(-1, NULL, 0) != -1 || errno != EINVAL)
            code |= 32;
        /* Everything from 3 up, no keep-list. */
        if (proc_close_fds_from(3, NULL, 0) != 0 || fcntl(keep1, F_GETFD) != -1 ||
            fcntl(keep2, F_GETFD) != -1)
            code |= 64;
        _exit(code);
    }
    assert_int_equal(wait_exit(child), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pid_file_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pid_file_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_held_by_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_survives_other_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_refuses_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_daemonise_ready, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ready_wait_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_privileges_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_privileges_nonroot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chroot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigpipe_delivers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_interrupts_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_fds_from, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
