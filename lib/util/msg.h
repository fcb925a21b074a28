/*
 * msg.h - logging in Postfix's formats.
 *
 * Lines go to any mix of: stderr ("progname: warning: text", for commands),
 * syslog (facility per syslog_facility, tag "syslog_name/process"), and a
 * maillog_file (including /dev/stdout) as "Mon DD HH:MM:SS host
 * syslog_name/process[pid]: text". Formatting uses a stack buffer, so this
 * module never allocates and is safe to call when memory is exhausted. It must
 * never write raw client bytes: callers pass untrusted text through a
 * printable() filter first.
 */
#ifndef POSTERN_UTIL_MSG_H
#define POSTERN_UTIL_MSG_H

#include <stdarg.h>

enum msg_level { MSG_INFO, MSG_WARN, MSG_ERROR, MSG_FATAL, MSG_PANIC };

extern int msg_verbose;

/* Setup. msg_init() takes argv[0]: stderr lines use it as given, the
 * process name (syslog tag suffix) is its basename. */
void msg_init(const char *argv0);
void msg_set_process_name(const char *name);
void msg_set_syslog_name(const char *name);
void msg_set_stderr(int enable);
int msg_set_syslog(const char *facility); /* -1: unknown facility name */
int msg_set_maillog_file(const char *path, const char *host); /* -1 + errno */
void msg_set_maillog_fd(int fd, const char *host);
int msg_maillog_fd(void);
void msg_set_cleanup(void (*cleanup)(void));
/* A hook sees every line (level, text without prefix); for tests. */
void msg_set_hook(void (*hook)(enum msg_level level, const char *text));
const char *msg_process_name(void);
const char *msg_syslog_name(void);

void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void msg_fatal_status(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void msg_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void msg_vlog(enum msg_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
