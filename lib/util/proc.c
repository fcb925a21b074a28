/*
 * proc.c - process helpers (see proc.h).
 *
 * Used by the master (daemonise, pid lock, self-pipe), every daemon
 * (privilege drop, chroot, signals) and the control command (readiness wait,
 * lock holder test). Error reasons name the file or id concerned, so callers
 * log them as they are. Signal handlers here only touch lock-free atomics and
 * write(2), nothing else: never allocate or log from a handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "msg.h"
#include "proc.h"
#include "safe_open.h"
#include "str.h"

/* A pid file holds "%10ld\n"; anything this long is not one of ours. */
#define PROC_PID_FILE_MAX 64

/* getpwnam_r()/getgrnam_r() buffers grow up to this; a bigger entry (a
 * group with a huge member list) is an error rather than unbounded memory. */
#define PROC_NSS_BUF_MAX ((size_t)4 * 1024 * 1024)

/* The self-pipe handler must not take a lock, so its flags must be
 * lock-free atomics (async-signal-safe). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int must be lock-free for signal handlers");

__attribute__((format(printf, 3, 4))) static int proc_fail(struct buf *why, int err,
                                                           const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_reset(why);
    buf_vprintf(why, fmt, ap);
    va_end(ap);
    errno = err;
    return -1;
}

static void proc_close_keep_errno(int fd)
{
    int saved = errno;

    (void)close(fd);
    errno = saved;
}

/* ---- daemonising -------------------------------------------------------- */

/* Makes sure 0, 1 and 2 are open; with all set, points them at /dev/null. */
static void proc_stdio_to_null(int all)
{
    int fd;

    for (fd = 0; fd < 3; fd++) {
        int null;

        if (!all && fcntl(fd, F_GETFD) >= 0)
            continue;
        if ((null = open("/dev/null", O_RDWR | O_NOCTTY)) < 0)
            msg_fatal("open /dev/null: %s", strerror(errno));
        if (null != fd) {
            if (dup2(null, fd) < 0)
                msg_fatal("dup2 /dev/null: %s", strerror(errno));
            (void)close(null);
        }
    }
}

int proc_ready_wait(int read_fd, int timeout, struct buf *why)
{
    struct timespec now;
    struct pollfd pfd;
    long long deadline_ms = 0;
    long long left;
    unsigned char status;
    ssize_t n;
    int rc;

    if (timeout > 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        deadline_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 + timeout * 1000LL;
    }
    for (;;) {
        left = -1;
        if (timeout > 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            left = deadline_ms - ((long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
            if (left <= 0)
                return proc_fail(why, ETIMEDOUT, "no readiness report within %d seconds", timeout);
        }
        pfd.fd = read_fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        rc = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return proc_fail(why, errno, "poll: %s", strerror(errno));
        if (rc == 0)
            continue; /* the deadline check above ends the wait */
        n = read(read_fd, &status, 1);
        if (n == 1)
            return status;
        if (n == 0)
            return proc_fail(why, EPIPE, "process exited before it reported readiness");
        if (errno != EINTR && errno != EAGAIN)
            return proc_fail(why, errno, "read: %s", strerror(errno));
    }
}

int proc_daemonise(int flags, int *ready_fd, int ready_timeout, struct buf *why)
{
    int chan[2] = {-1, -1};
    pid_t pid;
    int status;

    /* A socket, not a pipe, so proc_daemonise_ready() can use MSG_NOSIGNAL. */
    if (ready_fd && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) < 0)
        return proc_fail(why, errno, "socketpair: %s", strerror(errno));
    (void)fflush(NULL); /* or buffered output would be written twice */
    if ((pid = fork()) < 0) {
        proc_fail(why, errno, "fork: %s", strerror(errno));
        if (ready_fd) {
            proc_close_keep_errno(chan[0]);
            proc_close_keep_errno(chan[1]);
        }
        return -1;
    }
    if (pid > 0) {
        /* Foreground: _exit, so atexit handlers and stdio buffers that
         * belong to the daemon now are not run or flushed here. */
        if (ready_fd == NULL)
            _exit(0);
        (void)close(chan[1]);
        if ((status = proc_ready_wait(chan[0], ready_timeout, why)) < 0) {
            msg_error("daemon process %ld: %s", (long)pid, buf_str(why));
            _exit(1);
        }
        _exit(status);
    }
    if (ready_fd)
        (void)close(chan[0]);
    if (setsid() < 0)
        msg_fatal("setsid: %s", strerror(errno));
    if (flags & PROC_DAEMON_FORK_TWICE) {
        if ((pid = fork()) < 0)
            msg_fatal("fork: %s", strerror(errno));
        if (pid > 0)
            _exit(0);
    }
    if (chdir("/") < 0)
        msg_fatal("chdir /: %s", strerror(errno));
    proc_stdio_to_null(flags & PROC_DAEMON_CLOSE_STDIO);
    if (ready_fd)
        *ready_fd = chan[1];
    return 0;
}

int proc_daemonise_ready(int ready_fd, int status, struct buf *why)
{
    unsigned char byte = (unsigned char)status;
    ssize_t n;

    if (status < 0 || status > 255) {
        proc_close_keep_errno(ready_fd);
        return proc_fail(why, EINVAL, "readiness status %d out of range 0-255", status);
    }
    do {
        n = send(ready_fd, &byte, 1, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK)
            n = write(ready_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
        proc_fail(why, n < 0 ? errno : EIO, "report readiness: %s",
                  n < 0 ? strerror(errno) : "short write");
        proc_close_keep_errno(ready_fd);
        return -1;
    }
    (void)close(ready_fd);
    return 0;
}

/* ---- pid and lock files ------------------------------------------------- */

/* Parses "   1234\n": blanks, digits, optional newline, nothing else. */
static int proc_pid_parse(const char *text, size_t len, pid_t *out)
{
    size_t i = 0;
    long value = 0;
    int digits = 0;

    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++, digits++) {
        value = value * 10 + (text[i] - '0');
        if (value > INT_MAX) /* pid_t is an int on every system we run on */
            return -1;
    }
    if (i < len && text[i] == '\n')
        i++;
    if (digits == 0 || i != len || value <= 0)
        return -1;
    *out = (pid_t)value;
    return 0;
}

/* Reads and parses the pid stored in the file open on fd. */
static int proc_pid_read_fd(int fd, const char *path, pid_t *out, struct buf *why)
{
    char text[PROC_PID_FILE_MAX];
    ssize_t n;

    do {
        n = pread(fd, text, sizeof(text), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return proc_fail(why, errno, "read %s: %s", path, strerror(errno));
    if (n == 0)
        return proc_fail(why, ENODATA, "%s: empty pid file", path);
    if ((size_t)n == sizeof(text))
        return proc_fail(why, EINVAL, "%s: pid file is too long", path);
    if (proc_pid_parse(text, (size_t)n, out) < 0)
        return proc_fail(why, EINVAL, "%s: malformed pid file", path);
    return 0;
}

int proc_lock_file(const char *path, struct buf *why)
{
    struct flock fl;
    struct buf reason = BUF_INIT;
    pid_t holder;
    int fd;
    int err;

    if ((fd = safe_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644, NULL, SAFE_OPEN_ANY_UID,
                        SAFE_OPEN_ANY_GID, &reason)) < 0) {
        err = errno;
        proc_fail(why, err, "open %s: %s", path, buf_str(&reason));
        buf_release(&reason);
        return -1;
    }
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET; /* l_start = l_len = 0: the whole file */
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
        buf_release(&reason);
        return fd;
    }
    err = errno;
    if (err == EAGAIN || err == EACCES) {
        if (proc_pid_read_fd(fd, path, &holder, &reason) == 0)
            proc_fail(why, EWOULDBLOCK, "%s is locked by process %ld", path, (long)holder);
        else
            proc_fail(why, EWOULDBLOCK, "%s is locked by another process", path);
    } else {
        proc_fail(why, err, "lock %s: %s", path, strerror(err));
    }
    buf_release(&reason);
    proc_close_keep_errno(fd);
    return -1;
}

int proc_write_pid_file(int fd, pid_t pid, struct buf *why)
{
    char text[PROC_PID_FILE_MAX];
    size_t done = 0;
    ssize_t n;
    int len;

    len = snprintf(text, sizeof(text), "%10ld\n", (long)pid);
    if (len < 0 || (size_t)len >= sizeof(text))
        return proc_fail(why, EINVAL, "cannot format pid %ld", (long)pid);
    if (ftruncate(fd, 0) < 0)
        return proc_fail(why, errno, "truncate pid file: %s", strerror(errno));
    while (done < (size_t)len) {
        n = pwrite(fd, text + done, (size_t)len - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return proc_fail(why, n < 0 ? errno : EIO, "write pid file: %s",
                             n < 0 ? strerror(errno) : "no progress");
        done += (size_t)n;
    }
    return 0;
}

int proc_read_pid_file(const char *path, pid_t *out, struct buf *why)
{
    int fd;
    int rc;

    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
        return proc_fail(why, errno, "open %s: %s", path, strerror(errno));
    rc = proc_pid_read_fd(fd, path, out, why);
    proc_close_keep_errno(fd);
    return rc;
}

int proc_lock_holder_alive(const char *path, pid_t *pid_out, struct buf *why)
{
    struct flock fl;
    struct buf ignored = BUF_INIT;
    pid_t holder = 0;
    int fd;

    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT)
            return 0;
        return proc_fail(why, errno, "open %s: %s", path, strerror(errno));
    }
    /* F_OFD_GETLK only asks: taking the lock, even briefly, could make a
     * concurrent start fail. */
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
        proc_fail(why, errno, "test lock on %s: %s", path, strerror(errno));
        proc_close_keep_errno(fd);
        return -1;
    }
    if (fl.l_type == F_UNLCK) {
        (void)close(fd);
        return 0;
    }
    if (pid_out) {
        if (proc_pid_read_fd(fd, path, &holder, &ignored) < 0)
            holder = 0;
        *pid_out = holder;
    }
    buf_release(&ignored);
    (void)close(fd);
    return 1;
}

/* ---- privileges ----------------------------------------------------------- */

int proc_drop_privileges(uid_t uid, gid_t gid, struct buf *why)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;

    if (uid == (uid_t)-1 || gid == (gid_t)-1)
        return proc_fail(why, EINVAL, "invalid uid/gid %ld:%ld", (long)uid, (long)gid);
    if (geteuid() != 0) {
        /* Non-root mode: nothing to drop if we already are that user; the
         * saved id, if different, can still be given up without privilege. */
        if (getuid() == uid && geteuid() == uid) {
            if (setresuid(uid, uid, uid) < 0)
                return proc_fail(why, errno, "setresuid %ld: %s", (long)uid, strerror(errno));
            return 0;
        }
        return proc_fail(why, EPERM, "cannot change to uid %ld: running as uid %ld, not root",
                         (long)uid, (long)geteuid());
    }
    /* Groups first: after setuid() we would no longer be allowed to. */
    if (setgroups(1, &gid) < 0)
        return proc_fail(why, errno, "setgroups %ld: %s", (long)gid, strerror(errno));
    if (setresgid(gid, gid, gid) < 0)
        return proc_fail(why, errno, "setresgid %ld: %s", (long)gid, strerror(errno));
    if (setresuid(uid, uid, uid) < 0)
        return proc_fail(why, errno, "setresuid %ld: %s", (long)uid, strerror(errno));
    if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
        msg_fatal("getresuid/getresgid: %s", strerror(errno));
    if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid || sgid != gid)
        msg_fatal("privilege drop to %ld:%ld left ids %ld/%ld/%ld:%ld/%ld/%ld", (long)uid,
                  (long)gid, (long)ruid, (long)euid, (long)suid, (long)rgid, (long)egid,
                  (long)sgid);
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        msg_fatal("privilege drop to uid %ld can be undone: refusing to run", (long)uid);
    return 0;
}

int proc_chroot(const char *path, struct buf *why)
{
    if (chroot(path) < 0)
        return proc_fail(why, errno, "chroot %s: %s", path, strerror(errno));
    if (chdir("/") < 0)
        return proc_fail(why, errno, "chdir / in chroot %s: %s", path, strerror(errno));
    return 0;
}

/* A user or group id written as decimal digits only, below the (id_t)-1
 * that means "no id". */
static int proc_parse_id(const char *s, unsigned long *out)
{
    long v;
    const char *p;

    for (p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    if (str_to_long(s, &v) < 0 || v < 0 || (unsigned long)v >= (unsigned long)(uid_t)-1)
        return -1;
    *out = (unsigned long)v;
    return 0;
}

/* getpw*_r/getgr*_r report "no such entry" in several ways (see the man
 * page); everything else is a lookup failure. */
static int proc_nss_not_found(int rc)
{
    return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM;
}

/* Initial size for the reentrant lookup buffers. */
static size_t proc_nss_start(int name)
{
    long n = sysconf(name);

    return (n > 0 && (unsigned long)n < PROC_NSS_BUF_MAX) ? (size_t)n : 1024;
}

/* One passwd lookup by name (byname) or by uid; 1 found, 0 not, -1 error. */
static int proc_getpw(const char *name, uid_t uid, int byname, uid_t *uid_out, gid_t *gid_out,
                      struct buf *why)
{
    struct passwd pw;
    struct passwd *res = NULL;
    size_t size = proc_nss_start(_SC_GETPW_R_SIZE_MAX);
    char *store = NULL;
    int rc;

    for (;;) {
        store = mem_realloc(store, size);
        rc = byname ? getpwnam_r(name, &pw, store, size, &res)
                    : getpwuid_r(uid, &pw, store, size, &res);
        if (rc != ERANGE || size >= PROC_NSS_BUF_MAX)
            break;
        size *= 2;
    }
    if (res) {
        *uid_out = pw.pw_uid;
        if (gid_out)
            *gid_out = pw.pw_gid;
        rc = 1;
    } else if (proc_nss_not_found(rc)) {
        rc = 0;
    } else {
        proc_fail(why, rc, "user lookup for \"%s\" failed: %s", name, strerror(rc));
        rc = -1;
    }
    mem_free(store);
    return rc;
}

int proc_lookup_user(const char *name, uid_t *uid_out, gid_t *gid_out, struct buf *why)
{
    unsigned long id;
    int rc;

    if (name == NULL || *name == '\0')
        return proc_fail(why, EINVAL, "empty user name");
    if ((rc = proc_getpw(name, 0, 1, uid_out, gid_out, why)) != 0)
        return rc > 0 ? 0 : -1;
    if (proc_parse_id(name, &id) < 0)
        return proc_fail(why, ENOENT, "unknown user \"%s\"", name);
    if ((rc = proc_getpw(name, (uid_t)id, 0, uid_out, gid_out, why)) != 0)
        return rc > 0 ? 0 : -1;
    if (gid_out)
        return proc_fail(why, ENOENT, "uid %lu has no passwd entry, so no primary group", id);
    *uid_out = (uid_t)id;
    return 0;
}

/* One group lookup by name or gid; 1 found, 0 not, -1 error. */
static int proc_getgr(const char *name, gid_t gid, int byname, gid_t *gid_out, struct buf *why)
{
    struct group gr;
    struct group *res = NULL;
    size_t size = proc_nss_start(_SC_GETGR_R_SIZE_MAX);
    char *store = NULL;
    int rc;

    for (;;) {
        store = mem_realloc(store, size);
        rc = byname ? getgrnam_r(name, &gr, store, size, &res)
                    : getgrgid_r(gid, &gr, store, size, &res);
        if (rc != ERANGE || size >= PROC_NSS_BUF_MAX)
            break;
        size *= 2;
    }
    if (res) {
        *gid_out = gr.gr_gid;
        rc = 1;
    } else if (proc_nss_not_found(rc)) {
        rc = 0;
    } else {
        proc_fail(why, rc, "group lookup for \"%s\" failed: %s", name, strerror(rc));
        rc = -1;
    }
    mem_free(store);
    return rc;
}

int proc_lookup_group(const char *name, gid_t *gid_out, struct buf *why)
{
    unsigned long id;
    int rc;

    if (name == NULL || *name == '\0')
        return proc_fail(why, EINVAL, "empty group name");
    if ((rc = proc_getgr(name, 0, 1, gid_out, why)) != 0)
        return rc > 0 ? 0 : -1;
    if (proc_parse_id(name, &id) < 0)
        return proc_fail(why, ENOENT, "unknown group \"%s\"", name);
    *gid_out = (gid_t)id;
    return 0;
}

/* ---- signals ---------------------------------------------------------------- */

int proc_signal(int sig, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigfillset(&sa.sa_mask);
    /* No SA_RESTART (see proc.h). SIGCHLD only for children that end: a
     * stopped child needs no attention from the master. */
    sa.sa_flags = (sig == SIGCHLD) ? SA_NOCLDSTOP : 0;
    return sigaction(sig, &sa, NULL);
}

int proc_ignore_sigpipe(void)
{
    return proc_signal(SIGPIPE, SIG_IGN);
}

static int proc_sigpipe_fds[2] = {-1, -1};
static atomic_int proc_sigpipe_pending[NSIG];
static sigset_t proc_sigpipe_caught;

static void proc_sigpipe_handler(int sig)
{
    int saved = errno;
    unsigned char byte = (unsigned char)sig;

    if (sig > 0 && sig < NSIG)
        atomic_store(&proc_sigpipe_pending[sig], 1);
    /* The byte only wakes the loop; the flag above is the record. If the
     * pipe is full a wake-up is already pending, so EAGAIN is fine. */
    if (proc_sigpipe_fds[1] >= 0 && write(proc_sigpipe_fds[1], &byte, 1) < 0) {
        /* nothing to do: see above */
    }
    errno = saved;
}

int proc_sigpipe_open(struct buf *why)
{
    if (proc_sigpipe_fds[0] >= 0)
        return proc_sigpipe_fds[0];
    if (pipe2(proc_sigpipe_fds, O_NONBLOCK | O_CLOEXEC) < 0) {
        proc_sigpipe_fds[0] = proc_sigpipe_fds[1] = -1;
        return proc_fail(why, errno, "pipe: %s", strerror(errno));
    }
    sigemptyset(&proc_sigpipe_caught);
    return proc_sigpipe_fds[0];
}

int proc_sigpipe_catch(int sig, struct buf *why)
{
    if (proc_sigpipe_fds[0] < 0)
        return proc_fail(why, EINVAL, "signal pipe is not open");
    if (sig <= 0 || sig >= NSIG)
        return proc_fail(why, EINVAL, "invalid signal number %d", sig);
    if (proc_signal(sig, proc_sigpipe_handler) < 0)
        return proc_fail(why, errno, "sigaction %s: %s", strsignal(sig), strerror(errno));
    sigaddset(&proc_sigpipe_caught, sig);
    return 0;
}

int proc_sigpipe_collect(sigset_t *got)
{
    unsigned char drain[64];
    int count = 0;
    int sig;

    sigemptyset(got);
    if (proc_sigpipe_fds[0] < 0)
        return 0;
    /* Drain first, then take the flags: a signal arriving in between leaves
     * its byte for the next wake-up, so none is missed. */
    while (read(proc_sigpipe_fds[0], drain, sizeof(drain)) > 0)
        ;
    for (sig = 1; sig < NSIG; sig++) {
        if (atomic_exchange(&proc_sigpipe_pending[sig], 0)) {
            sigaddset(got, sig);
            count++;
        }
    }
    return count;
}

void proc_sigpipe_close(void)
{
    int sig;

    if (proc_sigpipe_fds[0] < 0)
        return;
    for (sig = 1; sig < NSIG; sig++) {
        if (sigismember(&proc_sigpipe_caught, sig) == 1)
            (void)proc_signal(sig, SIG_DFL);
        atomic_store(&proc_sigpipe_pending[sig], 0);
    }
    sigemptyset(&proc_sigpipe_caught);
    (void)close(proc_sigpipe_fds[0]);
    (void)close(proc_sigpipe_fds[1]);
    proc_sigpipe_fds[0] = proc_sigpipe_fds[1] = -1;
}

/* ---- descriptors ------------------------------------------------------------- */

/* Closes lo..hi (inclusive). close_range(2) where the kernel has it, else
 * one close() per possible descriptor below the open-files limit. */
static int proc_close_range(unsigned int lo, unsigned int hi)
{
    struct rlimit rl;
    unsigned long limit;
    unsigned long fd;

#ifdef SYS_close_range
    if (syscall(SYS_close_range, lo, hi, 0) == 0)
        return 0;
    if (errno != ENOSYS)
        return -1;
#endif
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    limit = (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX) ? INT_MAX
                                                                    : (unsigned long)rl.rlim_cur;
    for (fd = lo; fd <= hi && fd < limit; fd++)
        (void)close((int)fd);
    return 0;
}

static int proc_int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a;
    int y = *(const int *)b;

    return (x > y) - (x < y);
}

int proc_close_fds_from(int lowfd, const int *keep, size_t nkeep)
{
    int *sorted = NULL;
    unsigned int lo;
    size_t i;
    int rc = 0;

    if (lowfd < 0 || (nkeep > 0 && keep == NULL)) {
        errno = EINVAL;
        return -1;
    }
    if (nkeep > 0) {
        sorted = mem_memdup(keep, mem_size_mul(nkeep, sizeof(*keep)));
        qsort(sorted, nkeep, sizeof(*sorted), proc_int_cmp);
    }
    lo = (unsigned int)lowfd;
    for (i = 0; i < nkeep && rc == 0; i++) {
        if (sorted[i] < 0 || (unsigned int)sorted[i] < lo)
            continue; /* below the range, or a duplicate already skipped */
        if ((unsigned int)sorted[i] > lo)
            rc = proc_close_range(lo, (unsigned int)sorted[i] - 1);
        lo = (unsigned int)sorted[i] + 1;
    }
    if (rc == 0)
        rc = proc_close_range(lo, ~0U);
    mem_free(sorted);
    return rc;
}
