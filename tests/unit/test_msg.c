/*
 * test_msg.c - unit tests for lib/util/msg.c (Postfix-format logging).
 *
 * Log lines are an interface (pflogsumm, fail2ban parse them), so the tests
 * compare whole lines byte for byte: stderr is captured through a pipe dup2'ed
 * onto fd 2, the maillog through a temp file or a pipe. Exits and aborts run in
 * a forked child (unit_child.h). Every test starts from the same logging state
 * (setup/teardown), and never asserts while fd 2 is redirected, so a failure
 * message cannot vanish into the capture pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_child.h"
#include "util/msg.h"

#define TEST_PROGNAME "test_msg"
#define TEST_LONG_LEN 10000 /* longer than any sane internal line limit */
#define TEST_OUT_MAX  (TEST_LONG_LEN + 4096)

/* fd 2 while a capture is active (-1 otherwise), restored by the teardown. */
static int capture_saved_fd = -1;
static int capture_read_fd = -1;

/* A maillog temp file to remove in the teardown, if a test made one. */
static char maillog_path[64];

/* What the recording hook saw. */
static int hook_calls;
static enum msg_level hook_level;
static char hook_text[TEST_OUT_MAX];

static void hook_record(enum msg_level level, const char *text)
{
    hook_calls++;
    hook_level = level;
    snprintf(hook_text, sizeof(hook_text), "%s", text);
}

static void hook_clobber_errno(enum msg_level level, const char *text)
{
    errno = EPIPE;
}

/* Redirects fd 2 into a pipe; returns 0 or -1. No assert may run until capture_end(). */
static int capture_begin(void)
{
    int fds[2];

    if (pipe(fds) < 0)
        return -1;
    capture_saved_fd = dup(STDERR_FILENO);
    if (capture_saved_fd < 0 || dup2(fds[1], STDERR_FILENO) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    close(fds[1]);
    capture_read_fd = fds[0];
    return 0;
}

/* Restores fd 2 and returns what was written meanwhile (NUL-terminated, truncated to size). */
static size_t capture_end(char *out, size_t size)
{
    size_t len = 0;
    ssize_t n;

    if (capture_saved_fd >= 0) {
        dup2(capture_saved_fd, STDERR_FILENO);
        close(capture_saved_fd);
        capture_saved_fd = -1;
    }
    /* The only write end was fd 2, now replaced: read() ends at EOF. */
    while (capture_read_fd >= 0 && len < size - 1) {
        n = read(capture_read_fd, out + len, size - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    out[len] = '\0';
    if (capture_read_fd >= 0)
        close(capture_read_fd);
    capture_read_fd = -1;
    return len;
}

/* Reads a whole small file into out; returns its length or -1. */
static ssize_t read_file(const char *path, char *out, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0;
    ssize_t n;

    if (fd < 0)
        return -1;
    while (len < size - 1 && (n = read(fd, out + len, size - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fd);
    return (ssize_t)len;
}

/* Drains what is currently in a pipe (writer kept open) without blocking. */
static size_t read_pipe_now(int fd, char *out, size_t size)
{
    size_t len = 0;
    ssize_t n;
    int flags = fcntl(fd, F_GETFL);

    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    while (len < size - 1 && (n = read(fd, out + len, size - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    fcntl(fd, F_SETFL, flags);
    return len;
}

static void msg_state_reset(void)
{
    int fd = msg_maillog_fd();

    msg_set_maillog_fd(-1, "localhost");
    if (fd > 2)
        close(fd);
    msg_init(TEST_PROGNAME);
    msg_set_syslog_name("postern");
    msg_set_stderr(1);
    msg_set_hook(NULL);
    msg_set_cleanup(NULL);
    hook_calls = 0;
    hook_level = (enum msg_level) - 1;
    hook_text[0] = '\0';
}

static int setup_msg(void **state)
{
    msg_state_reset();
    return 0;
}

static int teardown_msg(void **state)
{
    char sink[256];

    if (capture_saved_fd >= 0 || capture_read_fd >= 0)
        (void)capture_end(sink, sizeof(sink));
    msg_state_reset();
    if (maillog_path[0]) {
        unlink(maillog_path);
        maillog_path[0] = '\0';
    }
    return 0;
}

static char *make_long_text(void)
{
    char *s = malloc(TEST_LONG_LEN + 1);

    assert_non_null(s);
    memset(s, 'x', TEST_LONG_LEN);
    s[TEST_LONG_LEN] = '\0';
    return s;
}

/* Asserts line == prefix + 'x' * k + "\n" for some k below the input length. */
static void assert_truncated_line(const char *line, size_t len, const char *prefix)
{
    size_t plen = strlen(prefix);
    size_t i;

    assert_true(len > plen + 1);
    assert_memory_equal(line, prefix, plen);
    assert_int_equal(line[len - 1], '\n');
    assert_ptr_equal(strchr(line, '\n'), line + len - 1); /* one line, nothing after it */
    for (i = plen; i < len - 1; i++) {
        if (line[i] != 'x')
            fail_msg("unexpected byte 0x%02x at offset %zu", (unsigned char)line[i], i);
    }
    /* Truncated, but not to nothing: a long line keeps most of its text. */
    assert_true(len - 1 - plen < TEST_LONG_LEN);
    assert_true(len - 1 - plen >= 1024);
}

static void test_stderr_warning_exact(void **state)
{
    char out[256];

    msg_init("/usr/sbin/postconf");
    if (capture_begin() < 0)
        fail_msg("capture: %s", strerror(errno));
    msg_warn("text");
    capture_end(out, sizeof(out));
    assert_string_equal(out, "/usr/sbin/postconf: warning: text\n");
    assert_string_equal(msg_process_name(), "postconf");
}

static void test_stderr_level_prefixes(void **state)
{
    char out[512];

    if (capture_begin() < 0)
        fail_msg("capture: %s", strerror(errno));
    msg_info("plain %d", 1);
    msg_warn("careful %s", "now");
    msg_error("broken %c", 'x');
    capture_end(out, sizeof(out));
    assert_string_equal(out, TEST_PROGNAME ": plain 1\n" TEST_PROGNAME
                                           ": warning: careful now\n" TEST_PROGNAME
                                           ": error: broken x\n");
}

static void test_stderr_disabled(void **state)
{
    char out[256];

    msg_set_hook(hook_record);
    msg_set_stderr(0);
    if (capture_begin() < 0)
        fail_msg("capture: %s", strerror(errno));
    msg_warn("silent");
    capture_end(out, sizeof(out));
    assert_string_equal(out, "");
    assert_int_equal(hook_calls, 1); /* the hook sees lines no sink takes */
    assert_string_equal(hook_text, "silent");
}

static void test_init_names(void **state)
{
    char longname[1000];
    char out[2048];
    size_t len;

    msg_init(NULL);
    assert_string_equal(msg_process_name(), "postern");
    msg_init("");
    assert_string_equal(msg_process_name(), "postern");
    msg_init("smtpd");
    assert_string_equal(msg_process_name(), "smtpd");
    msg_set_process_name("cleanup");
    assert_string_equal(msg_process_name(), "cleanup");
    msg_set_syslog_name("postern/outbound");
    assert_string_equal(msg_syslog_name(), "postern/outbound");

    /* Names longer than the internal copies are truncated, never overflowed. */
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    msg_set_process_name(longname);
    assert_true(strlen(msg_process_name()) < sizeof(longname) - 1);
    assert_true(strlen(msg_process_name()) > 0);
    msg_set_syslog_name(longname);
    assert_true(strlen(msg_syslog_name()) < sizeof(longname) - 1);
    msg_init(longname);
    if (capture_begin() < 0)
        fail_msg("capture: %s", strerror(errno));
    msg_warn("w");
    len = capture_end(out, sizeof(out));
    assert_true(len > strlen(": warning: w\n"));
    assert_string_equal(out + len - strlen(": warning: w\n"), ": warning: w\n");
    assert_int_equal(out[0], 'n');
}

static void test_hook_sees_level_and_text(void **state)
{
    msg_set_hook(hook_record);
    msg_set_stderr(0);
    msg_info("info %d", 1);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_level, MSG_INFO);
    assert_string_equal(hook_text, "info 1");
    msg_warn("warn %s", "two");
    assert_int_equal(hook_level, MSG_WARN);
    assert_string_equal(hook_text, "warn two"); /* no "warning: " prefix */
    msg_error("error 3");
    assert_int_equal(hook_level, MSG_ERROR);
    assert_string_equal(hook_text, "error 3");
    assert_int_equal(hook_calls, 3);
    msg_set_hook(NULL);
    msg_info("unseen");
    assert_int_equal(hook_calls, 3);
}

static void test_errno_preserved(void **state)
{
    int saved;

    msg_set_stderr(0);
    errno = EACCES;
    msg_info("plain");
    assert_int_equal(errno, EACCES);

    /* A hook that changes errno must not leak the change to the caller. */
    msg_set_hook(hook_clobber_errno);
    errno = ENOSPC;
    msg_warn("hooked");
    assert_int_equal(errno, ENOSPC);
    msg_set_hook(NULL);

    /* A failing write (fd 2 closed -> EBADF) must not leak either. */
    msg_set_stderr(1);
    saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    close(STDERR_FILENO);
    errno = ENOENT;
    msg_info("to a closed fd");
    {
        int after = errno;

        dup2(saved, STDERR_FILENO);
        close(saved);
        assert_int_equal(after, ENOENT);
    }
}

static void test_percent_m_uses_caller_errno(void **state)
{
    char expect[256];

    msg_set_hook(hook_record);
    msg_set_stderr(0);
    snprintf(expect, sizeof(expect), "open x: %s", strerror(ENOENT));
    errno = ENOENT;
    msg_warn("open %s: %m", "x");
    assert_string_equal(hook_text, expect);
    assert_int_equal(errno, ENOENT);
}

static void test_stderr_long_line_truncated(void **state)
{
    char *text = make_long_text();
    static char out[TEST_OUT_MAX];
    size_t len;

    msg_set_hook(hook_record);
    if (capture_begin() < 0)
        fail_msg("capture: %s", strerror(errno));
    msg_warn("%s", text);
    len = capture_end(out, sizeof(out));
    free(text);
    assert_truncated_line(out, len, TEST_PROGNAME ": warning: ");
    /* The hook got the same truncated text the line carries. */
    assert_int_equal(strlen(hook_text), len - 1 - strlen(TEST_PROGNAME ": warning: "));
}

/* "Mon DD HH:MM:SS" as msg.c writes it, for some second in [t0, t1]. */
static int stamp_in_range(const char *line, time_t t0, time_t t1)
{
    char stamp[32];
    struct tm tm;
    time_t t;

    for (t = t0; t <= t1; t++) {
        localtime_r(&t, &tm);
        if (strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
            return 0;
        if (strncmp(line, stamp, strlen(stamp)) == 0 && line[strlen(stamp)] == ' ')
            return 1;
    }
    return 0;
}

static void assert_line_matches(const char *line, const char *pattern)
{
    regex_t re;
    int rc;

    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    rc = regexec(&re, line, 0, NULL, 0);
    regfree(&re);
    if (rc != 0)
        fail_msg("line \"%s\" does not match /%s/", line, pattern);
}

static void test_maillog_file_format(void **state)
{
    static char out[2 * TEST_OUT_MAX];
    char expect[512];
    char pattern[512];
    const char *second;
    time_t t0, t1;
    ssize_t len;
    int fd;

    snprintf(maillog_path, sizeof(maillog_path), "/tmp/test_msg.XXXXXX");
    fd = mkstemp(maillog_path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(msg_set_maillog_file(maillog_path, "mx.example.test"), 0);
    assert_true(msg_maillog_fd() > 2);
    msg_set_syslog_name("postern/inbound");
    msg_set_process_name("smtpd");
    msg_set_stderr(0);
    t0 = time(NULL);
    msg_warn("hello");
    msg_info("second %s", "line");
    t1 = time(NULL);

    len = read_file(maillog_path, out, sizeof(out));
    assert_true(len > 0);
    /* Field by field: timestamp, host cut at the first dot, tag with pid, text. */
    if (!stamp_in_range(out, t0, t1))
        fail_msg("bad or stale timestamp in \"%s\"", out);
    snprintf(expect, sizeof(expect), " mx postern/inbound/smtpd[%ld]: warning: hello\n",
             (long)getpid());
    assert_true(strlen(out) > 15);
    second = strchr(out, '\n');
    assert_non_null(second);
    second++;
    assert_int_equal((size_t)(second - out), 15 + strlen(expect));
    assert_memory_equal(out + 15, expect, strlen(expect));
    /* The same shape as a pattern, independent of the clock. */
    snprintf(pattern, sizeof(pattern),
             "^[A-Z][a-z]{2} [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] mx "
             "postern/inbound/smtpd\\[%ld\\]: warning: hello\n"
             "[A-Z][a-z]{2} [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] mx "
             "postern/inbound/smtpd\\[%ld\\]: second line\n$",
             (long)getpid(), (long)getpid());
    assert_line_matches(out, pattern);
    if (!stamp_in_range(second, t0, t1))
        fail_msg("bad or stale timestamp in \"%s\"", second);
}

static void test_maillog_appends(void **state)
{
    static char out[2048];
    size_t lines = 0;
    const char *p;
    int fd;

    snprintf(maillog_path, sizeof(maillog_path), "/tmp/test_msg.XXXXXX");
    fd = mkstemp(maillog_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "existing\n", 9), 9);
    close(fd);
    assert_int_equal(msg_set_maillog_file(maillog_path, "h"), 0);
    msg_set_stderr(0);
    msg_error("one");
    /* Re-opening (as a reload would) appends as well and closes the old fd. */
    assert_int_equal(msg_set_maillog_file(maillog_path, NULL), 0);
    msg_error("two");
    assert_true(read_file(maillog_path, out, sizeof(out)) > 0);
    assert_memory_equal(out, "existing\n", 9);
    for (p = out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    assert_int_equal(lines, 3);
    assert_non_null(strstr(out, " h postern/" TEST_PROGNAME));
    assert_non_null(strstr(out, "]: error: one\n"));
    assert_non_null(strstr(out, "]: error: two\n"));
}

/* msg.c asks getpid() once per process: a child forked after the parent
 * has logged must still log its own process ID, and the parent its own. */
static void test_maillog_pid_after_fork(void **state)
{
    static char out[2048];
    char expect[128];
    pid_t child;
    int status;
    int fd;

    snprintf(maillog_path, sizeof(maillog_path), "/tmp/test_msg.XXXXXX");
    fd = mkstemp(maillog_path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(msg_set_maillog_file(maillog_path, "h"), 0);
    msg_set_stderr(0);
    msg_info("parent before");
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        msg_info("child");
        _exit(0);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    msg_info("parent after");
    assert_true(read_file(maillog_path, out, sizeof(out)) > 0);
    snprintf(expect, sizeof(expect), "[%ld]: parent before\n", (long)getpid());
    assert_non_null(strstr(out, expect));
    snprintf(expect, sizeof(expect), "[%ld]: child\n", (long)child);
    assert_non_null(strstr(out, expect));
    snprintf(expect, sizeof(expect), "[%ld]: parent after\n", (long)getpid());
    assert_non_null(strstr(out, expect));
}

static void test_maillog_open_failure(void **state)
{
    errno = 0;
    assert_int_equal(msg_set_maillog_file("/nonexistent-postern-dir/maillog", "h"), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(msg_maillog_fd(), -1);
}

/* Logs one warning to a maillog pipe with the given host; returns the line. */
static void maillog_line_for_host(const char *host, char *out, size_t size)
{
    int fds[2];

    assert_int_equal(pipe(fds), 0);
    msg_set_stderr(0);
    msg_set_maillog_fd(fds[1], host);
    msg_warn("w");
    msg_set_maillog_fd(-1, NULL);
    close(fds[1]);
    read_pipe_now(fds[0], out, size);
    close(fds[0]);
}

static void test_maillog_host_forms(void **state)
{
    char out[1024];
    char expect[256];

    snprintf(expect, sizeof(expect), " localhost postern/%s[%ld]: warning: w\n", TEST_PROGNAME,
             (long)getpid());
    maillog_line_for_host("localhost", out, sizeof(out));
    assert_true(strlen(out) > 15);
    assert_string_equal(out + 15, expect);

    /* A NULL host keeps the previous one. */
    maillog_line_for_host(NULL, out, sizeof(out));
    assert_string_equal(out + 15, expect);

    maillog_line_for_host("a.b.c", out, sizeof(out));
    assert_non_null(strstr(out, " a postern/"));

    /* A leading dot is not cut, or the host field would become empty. */
    maillog_line_for_host(".odd", out, sizeof(out));
    assert_non_null(strstr(out, " .odd postern/"));
}

static void test_maillog_long_line_truncated(void **state)
{
    char *text = make_long_text();
    static char out[TEST_OUT_MAX];
    char prefix[256];
    const char *tag;
    size_t len;
    int fds[2];

    assert_int_equal(pipe(fds), 0);
    msg_set_stderr(0);
    msg_set_maillog_fd(fds[1], "mx.example.test");
    msg_warn("%s", text);
    msg_set_maillog_fd(-1, NULL);
    close(fds[1]);
    free(text);
    len = read_pipe_now(fds[0], out, sizeof(out));
    close(fds[0]);
    tag = strstr(out, " mx ");
    assert_non_null(tag);
    snprintf(prefix, sizeof(prefix), " mx postern/%s[%ld]: warning: ", TEST_PROGNAME,
             (long)getpid());
    assert_truncated_line(tag, len - (size_t)(tag - out), prefix);
}

static void test_set_syslog_unknown_facility(void **state)
{
    /* Only the failure path: a successful call would log to the host's syslog. */
    assert_int_equal(msg_set_syslog("no-such-facility"), -1);
    assert_int_equal(msg_set_syslog(""), -1);
}

/* Children for the exit/abort tests. */
struct child_req {
    const char *argv0;
    int status;         /* 0: msg_fatal(), otherwise msg_fatal_status(status) */
    int fatal_in_clean; /* the cleanup hook itself calls msg_fatal_status(76) */
    int with_hook;      /* a msg hook reports what it saw on fd 2 */
};

static int child_fatal_in_clean;

static void child_write(const char *s)
{
    ssize_t n = write(STDERR_FILENO, s, strlen(s));

    (void)n;
}

static void child_cleanup(void)
{
    child_write("cleanup ran\n");
    if (child_fatal_in_clean)
        msg_fatal_status(76, "from cleanup");
}

static void child_hook(enum msg_level level, const char *text)
{
    char line[256];
    int n = snprintf(line, sizeof(line), "hook %d <%s>\n", (int)level, text);

    if (n > 0 && (size_t)n < sizeof(line))
        child_write(line);
}

static void child_fatal(void *arg)
{
    const struct child_req *req = arg;

    msg_init(req->argv0);
    msg_set_cleanup(child_cleanup);
    child_fatal_in_clean = req->fatal_in_clean;
    if (req->with_hook)
        msg_set_hook(child_hook);
    if (req->status == 0)
        msg_fatal("bad %d", 3);
    msg_fatal_status(req->status, "queue %s", "busy");
}

static void child_panic(void *arg)
{
    msg_init(TEST_PROGNAME);
    msg_panic("boom %d", 7);
}

static void test_fatal_exits_1(void **state)
{
    struct child_req req = {"/usr/sbin/postconf", 0, 0, 0};
    struct unit_child res;

    assert_int_equal(unit_child_run(child_fatal, &req, &res), 0);
    assert_false(res.timed_out);
    assert_int_equal(unit_child_exit_code(&res), 1);
    assert_string_equal(res.err, "/usr/sbin/postconf: fatal: bad 3\ncleanup ran\n");
}

static void test_fatal_status_and_cleanup_once(void **state)
{
    struct child_req req = {TEST_PROGNAME, 75, 0, 0};
    struct unit_child res;

    assert_int_equal(unit_child_run(child_fatal, &req, &res), 0);
    assert_int_equal(unit_child_exit_code(&res), 75);
    assert_string_equal(res.err, TEST_PROGNAME ": fatal: queue busy\ncleanup ran\n");
}

static void test_fatal_inside_cleanup_does_not_recurse(void **state)
{
    struct child_req req = {TEST_PROGNAME, 75, 1, 0};
    struct unit_child res;

    assert_int_equal(unit_child_run(child_fatal, &req, &res), 0);
    /* The cleanup ran once; its own fatal error wins the exit status. */
    assert_int_equal(unit_child_exit_code(&res), 76);
    assert_string_equal(res.err, TEST_PROGNAME ": fatal: queue busy\ncleanup ran\n" TEST_PROGNAME
                                               ": fatal: from cleanup\n");
}

static void test_fatal_seen_by_hook(void **state)
{
    struct child_req req = {TEST_PROGNAME, 75, 0, 1};
    struct unit_child res;
    char expect[64];

    snprintf(expect, sizeof(expect), "hook %d <queue busy>\n", (int)MSG_FATAL);
    assert_int_equal(unit_child_run(child_fatal, &req, &res), 0);
    assert_int_equal(unit_child_exit_code(&res), 75);
    assert_non_null(strstr(res.err, expect));
    assert_non_null(strstr(res.err, TEST_PROGNAME ": fatal: queue busy\n"));
}

static void test_panic_aborts(void **state)
{
    struct unit_child res;

    assert_int_equal(unit_child_run(child_panic, NULL, &res), 0);
    assert_false(res.timed_out);
    assert_int_equal(unit_child_signal(&res), SIGABRT);
    assert_string_equal(res.err, TEST_PROGNAME ": panic: boom 7\n");
}

#define MSG_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup_msg, teardown_msg)

int main(void)
{
    const struct CMUnitTest tests[] = {
        MSG_TEST(test_stderr_warning_exact),
        MSG_TEST(test_stderr_level_prefixes),
        MSG_TEST(test_stderr_disabled),
        MSG_TEST(test_init_names),
        MSG_TEST(test_hook_sees_level_and_text),
        MSG_TEST(test_errno_preserved),
        MSG_TEST(test_percent_m_uses_caller_errno),
        MSG_TEST(test_stderr_long_line_truncated),
        MSG_TEST(test_maillog_file_format),
        MSG_TEST(test_maillog_appends),
        MSG_TEST(test_maillog_pid_after_fork),
        MSG_TEST(test_maillog_open_failure),
        MSG_TEST(test_maillog_host_forms),
        MSG_TEST(test_maillog_long_line_truncated),
        MSG_TEST(test_set_syslog_unknown_facility),
        MSG_TEST(test_fatal_exits_1),
        MSG_TEST(test_fatal_status_and_cleanup_once),
        MSG_TEST(test_fatal_inside_cleanup_does_not_recurse),
        MSG_TEST(test_fatal_seen_by_hook),
        MSG_TEST(test_panic_aborts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
