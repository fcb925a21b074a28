/*
 * server_log.c - choose and open a program's log sink (see server_log.h).
 *
 * maillog_file_prefixes is Postfix's guard against a typo that would make
 * a root process append to an arbitrary file: a maillog_file outside the
 * listed prefixes is refused with a warning and syslog is used instead.
 * Re-running this (the master on reload) replaces the previous sink.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "server/server_log.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

int server_log_prefix_ok(const char *path, const char *prefixes)
{
    char *copy = mem_strdup(prefixes);
    char *cursor = copy;
    char *prefix;
    int ok = 0;

    while (!ok && (prefix = str_token(&cursor, STR_LIST_SEP)) != NULL)
        ok = (strncmp(path, prefix, strlen(prefix)) == 0);
    mem_free(copy);
    return ok;
}

/* The refused maillog_file last warned about. */
static char *server_log_warned_file;

/* Stops writing to a maillog_file opened earlier (a reload that switched
 * to syslog, or to another file). */
static void server_log_close_file(void)
{
    int fd = msg_maillog_fd();

    if (fd > STDERR_FILENO)
        (void)close(fd);
    if (fd >= 0)
        msg_set_maillog_fd(-1, NULL);
}

int server_log_open(const char *process_name)
{
    const char *file = conf_get("maillog_file");
    const char *prefixes = conf_get("maillog_file_prefixes");
    const char *facility = conf_get("syslog_facility");
    int refused = 0;
    int open_errno = 0;

    if (prefixes == NULL)
        prefixes = "";
    if (process_name)
        msg_set_process_name(process_name);
    msg_set_syslog_name(conf_get("syslog_name"));
    if (file && *file) {
        if (!server_log_prefix_ok(file, prefixes)) {
            refused = 1;
        } else {
            server_log_close_file();
            if (msg_set_maillog_file(file, conf_get("myhostname")) == 0)
                return SERVER_LOG_MAILLOG;
            open_errno = errno;
        }
    }
    server_log_close_file();
    if (msg_set_syslog(facility ? facility : "mail") < 0) {
        (void)msg_set_syslog("mail");
        msg_warn("unknown syslog_facility \"%s\"; using mail", facility ? facility : "");
    }
    /* Warn only now, so that the warning reaches the sink actually used;
     * and once per file, though a program may call this more than once. */
    if (refused && (server_log_warned_file == NULL || strcmp(server_log_warned_file, file) != 0)) {
        mem_free(server_log_warned_file);
        server_log_warned_file = mem_strdup(file);
        msg_warn("maillog_file \"%s\" does not start with any of maillog_file_prefixes "
                 "(%s); logging to syslog instead",
                 file, prefixes);
    } else if (open_errno) {
        msg_warn("open maillog_file %s: %s; logging to syslog instead", file, strerror(open_errno));
    }
    return SERVER_LOG_SYSLOG;
}
