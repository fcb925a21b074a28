/*
 * msg.c - logging in Postfix's formats (see msg.h).
 *
 * Every line is formatted once into a fixed stack buffer (longer text is
 * truncated, as syslog would) and then handed to each enabled sink with a
 * single write(), so concurrent processes appending to one maillog_file do
 * not interleave within a line. The process ID of maillog lines is asked
 * once per process (a fork() handler forgets it in the child), not once
 * per line: postsuper -d ALL logs one line per message.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

#define MSG_LINE_MAX 4096

int msg_verbose;

static char msg_argv0[256] = "postern";
static char msg_proc[64] = "postern";
static char msg_sysname[128] = "postern";
static char msg_host[256] = "localhost";
static int msg_to_stderr = 1;
static int msg_to_syslog;
static int msg_logfd = -1;
static void (*msg_cleanup)(void);
static void (*msg_hook)(enum msg_level, const char *);
static pid_t msg_pid; /* 0: not known in this process yet */

static void msg_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void msg_init(const char *argv0)
{
    const char *slash;

    if (argv0 == NULL || *argv0 == '\0')
        argv0 = "postern";
    msg_copy(msg_argv0, sizeof(msg_argv0), argv0);
    slash = strrchr(argv0, '/');
    msg_copy(msg_proc, sizeof(msg_proc), slash ? slash + 1 : argv0);
}

void msg_set_process_name(const char *name)
{
    msg_copy(msg_proc, sizeof(msg_proc), name);
}

const char *msg_process_name(void)
{
    return msg_proc;
}

void msg_set_syslog_name(const char *name)
{
    msg_copy(msg_sysname, sizeof(msg_sysname), name);
    if (msg_to_syslog) {
        closelog();
        msg_to_syslog = 0;
    }
}

const char *msg_syslog_name(void)
{
    return msg_sysname;
}

void msg_set_stderr(int enable)
{
    msg_to_stderr = enable;
}

static const struct {
    const char *name;
    int facility;
} msg_facilities[] = {
    {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}, {"auth", LOG_AUTH},
};

int msg_set_syslog(const char *facility)
{
    static char tag[256];
    size_t i;

    for (i = 0; i < sizeof(msg_facilities) / sizeof(msg_facilities[0]); i++) {
        if (strcasecmp(facility, msg_facilities[i].name) == 0) {
            snprintf(tag, sizeof(tag), "%s/%s", msg_sysname, msg_proc);
            openlog(tag, LOG_PID | LOG_NDELAY, msg_facilities[i].facility);
            msg_to_syslog = 1;
            return 0;
        }
    }
    return -1;
}

int msg_set_maillog_file(const char *path, const char *host)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);

    if (fd < 0)
        return -1;
    if (msg_logfd > 2)
        close(msg_logfd);
    msg_set_maillog_fd(fd, host);
    return 0;
}

void msg_set_maillog_fd(int fd, const char *host)
{
    const char *dot;

    msg_logfd = fd;
    if (host) {
        msg_copy(msg_host, sizeof(msg_host), host);
        if ((dot = strchr(msg_host, '.')) != NULL && dot != msg_host)
            msg_host[dot - msg_host] = '\0';
    }
}

int msg_maillog_fd(void)
{
    return msg_logfd;
}

void msg_set_cleanup(void (*cleanup)(void))
{
    msg_cleanup = cleanup;
}

void msg_set_hook(void (*hook)(enum msg_level, const char *))
{
    msg_hook = hook;
}

static const char *msg_prefix(enum msg_level level)
{
    switch (level) {
    case MSG_WARN:
        return "warning: ";
    case MSG_ERROR:
        return "error: ";
    case MSG_FATAL:
        return "fatal: ";
    case MSG_PANIC:
        return "panic: ";
    default:
        return "";
    }
}

/* fork() (atfork handler): the child has another process ID. */
static void msg_forget_pid(void)
{
    msg_pid = 0;
}

/* getpid(), asked once per process rather than once per maillog line. */
static pid_t msg_getpid(void)
{
    static int registered;

    if (msg_pid == 0) {
        if (!registered && pthread_atfork(NULL, NULL, msg_forget_pid) == 0)
            registered = 1;
        if (!registered)
            return getpid();
        msg_pid = getpid();
    }
    return msg_pid;
}

static void msg_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

void msg_vlog(enum msg_level level, const char *fmt, va_list ap)
{
    static const int prio[] = {LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT, LOG_CRIT};
    char text[MSG_LINE_MAX];
    char line[MSG_LINE_MAX + 512];
    int saved_errno = errno;
    int n;

    if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
        msg_copy(text, sizeof(text), "(unformattable log message)");
    if (msg_hook)
        msg_hook(level, text);
    if (msg_to_stderr) {
        n = snprintf(line, sizeof(line), "%s: %s%s\n", msg_argv0, msg_prefix(level), text);
        if (n > 0)
            msg_write_all(STDERR_FILENO, line,
                          (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    }
    if (msg_to_syslog)
        syslog(prio[level], "%s%s", msg_prefix(level), text);
    if (msg_logfd >= 0) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        if (strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
            stamp[0] = '\0';
        n = snprintf(line, sizeof(line), "%s %s %s/%s[%ld]: %s%s\n", stamp, msg_host, msg_sysname,
                     msg_proc, (long)msg_getpid(), msg_prefix(level), text);
        if (n > 0)
            msg_write_all(msg_logfd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    }
    errno = saved_errno;
}

#define MSG_VA(level)                                                                              \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        msg_vlog(level, fmt, ap);                                                                  \
        va_end(ap);                                                                                \
    } while (0)

void msg_info(const char *fmt, ...)
{
    MSG_VA(MSG_INFO);
}

void msg_warn(const char *fmt, ...)
{
    MSG_VA(MSG_WARN);
}

void msg_error(const char *fmt, ...)
{
    MSG_VA(MSG_ERROR);
}

static void msg_run_cleanup(void)
{
    void (*fn)(void) = msg_cleanup;

    msg_cleanup = NULL; /* a fatal error inside the cleanup must not recurse */
    if (fn)
        fn();
}

void msg_fatal(const char *fmt, ...)
{
    MSG_VA(MSG_FATAL);
    msg_run_cleanup();
    exit(1);
}

void msg_fatal_status(int status, const char *fmt, ...)
{
    MSG_VA(MSG_FATAL);
    msg_run_cleanup();
    exit(status);
}

void msg_panic(const char *fmt, ...)
{
    MSG_VA(MSG_PANIC);
    abort();
}
