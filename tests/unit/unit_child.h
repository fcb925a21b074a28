/*
 * unit_child.h - run a function in a forked child and collect how it ended.
 *
 * For unit tests of code whose failure mode is "log and exit" or abort (mem,
 * buf, msg, attr, ...): the child's stderr goes to a pipe the parent drains, the child is
 * bounded by alarm() and the parent by a poll() deadline, so a hung child
 * fails the test instead of hanging the suite. Header-only (static inline) so
 * each test program stays a single .c file. The child must never return into
 * cmocka: if the function returns, the child _exit()s with UNIT_CHILD_RETURNED.
 */
#ifndef POSTERN_TESTS_UNIT_CHILD_H
#define POSTERN_TESTS_UNIT_CHILD_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UNIT_CHILD_RETURNED  99 /* exit status when the function came back */
#define UNIT_CHILD_ERR_MAX   16384
#define UNIT_CHILD_TIMEOUT_S 10

struct unit_child {
    int status;                   /* raw waitpid() status */
    int timed_out;                /* the parent gave up and killed the child */
    size_t err_len;               /* bytes kept in err (excess is drained and dropped) */
    char err[UNIT_CHILD_ERR_MAX]; /* child's stderr, NUL-terminated */
};

/* Returns 0 when the child ran and was reaped, -1 when fork/pipe failed. */
static inline int unit_child_run(void (*fn)(void *), void *arg, struct unit_child *res)
{
    struct timespec start, now;
    int fds[2];
    pid_t pid;

    memset(res, 0, sizeof(*res));
    if (pipe(fds) < 0)
        return -1;
    /* Anything left in stdio buffers would be written twice, once per process. */
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        struct rlimit nocore = {0, 0};

        (void)setrlimit(RLIMIT_CORE, &nocore); /* abort() tests must not litter core files */
        close(fds[0]);
        if (dup2(fds[1], STDERR_FILENO) < 0)
            _exit(98);
        close(fds[1]);
        alarm(UNIT_CHILD_TIMEOUT_S);
        fn(arg);
        _exit(UNIT_CHILD_RETURNED);
    }
    close(fds[1]);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd pfd = {fds[0], POLLIN, 0};
        char chunk[4096];
        long waited_ms;
        ssize_t n;
        int rc;

        clock_gettime(CLOCK_MONOTONIC, &now);
        waited_ms = (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
        if (waited_ms > (UNIT_CHILD_TIMEOUT_S + 5) * 1000L) {
            res->timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        rc = poll(&pfd, 1, 500);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        n = read(fds[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if ((size_t)n > sizeof(res->err) - 1 - res->err_len)
            n = (ssize_t)(sizeof(res->err) - 1 - res->err_len);
        memcpy(res->err + res->err_len, chunk, (size_t)n);
        res->err_len += (size_t)n;
    }
    res->err[res->err_len] = '\0';
    close(fds[0]);
    while (waitpid(pid, &res->status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

static inline int unit_child_exit_code(const struct unit_child *res)
{
    return (!res->timed_out && WIFEXITED(res->status)) ? WEXITSTATUS(res->status) : -1;
}

static inline int unit_child_signal(const struct unit_child *res)
{
    return (!res->timed_out && WIFSIGNALED(res->status)) ? WTERMSIG(res->status) : 0;
}

#endif
