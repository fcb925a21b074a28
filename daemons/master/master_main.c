/*
 * master_main.c - the master daemon: one per instance, root (or the
 * invoking user in non-root mode), owner of every listening socket.
 *
 * Usage: master [-c config_dir] [-d] [-w] [-t] [-v]
 *   -d  stay in the foreground ("postern start-fg", systemd, containers)
 *   -w  detach, but let the calling process exit only once this master
 *       holds its lock, wrote its pid file and opened every listener
 *       (exit status 0), or failed (1): what "postern start" waits for
 *   -t  test: exit 0 when no master runs for this instance, 1 when one does
 * Started by "postern start"; never by a daemon. It must never read mail or
 * client data itself, and it must never run two masters on one instance:
 * data_directory/master.lock is held for the life of the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "master.h"
#include "server/instance.h"
#include "server/server_log.h"
#include "util/events.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/proc.h"
#include "util/safe_open.h"

/* How long "master -w" lets its caller wait for the readiness report. */
#define MASTER_READY_TIMEOUT 60

struct event_loop *master_loop;
struct master_service *master_services;
struct master_child *master_children;
const char *master_config_dir;
int master_stopping;

static char *master_pid_path;
static int master_pid_written;

void master_pid_file_remove(void)
{
    if (master_pid_written && master_pid_path)
        (void)unlink(master_pid_path);
    master_pid_written = 0;
}

static void master_fatal_cleanup(void)
{
    master_pid_file_remove();
}

static void master_usage(const char *argv0)
{
    msg_fatal("usage: %s [-c config_dir] [-d] [-w] [-t] [-v]", argv0);
}

/* Writes the pid into the lock file and queue_directory/pid/master.pid. */
static void master_write_pid_files(int lock_fd, const char *lock_path)
{
    struct buf path = BUF_INIT;
    struct buf why = BUF_INIT;
    int fd;

    if (proc_write_pid_file(lock_fd, getpid(), &why) < 0)
        msg_fatal("%s: %s", lock_path, buf_str(&why));
    instance_master_pid_path(&path);
    master_pid_path = buf_steal(&path);
    if ((fd = safe_open(master_pid_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644, NULL,
                        SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &why)) < 0)
        msg_fatal("open %s: %s", master_pid_path, buf_str(&why));
    master_pid_written = 1;
    if (proc_write_pid_file(fd, getpid(), &why) < 0)
        msg_fatal("%s: %s", master_pid_path, buf_str(&why));
    (void)close(fd);
    buf_release(&why);
}

/* -t: 0 when no master holds the lock. */
static int master_test_running(void)
{
    struct buf path = BUF_INIT;
    struct buf why = BUF_INIT;
    int held;

    instance_master_lock_path(&path);
    held = proc_lock_holder_alive(buf_str(&path), NULL, &why);
    if (held < 0)
        msg_fatal("%s", buf_str(&why));
    return held ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL;
    int foreground = 0;
    int wait_ready = 0;
    int test_only = 0;
    int ready_fd = -1;
    int lock_fd;
    struct buf path = BUF_INIT;
    struct buf why = BUF_INIT;
    char *resolved;
    uid_t uid;
    gid_t gid;
    int ch;

    msg_init(argv[0]);
    msg_set_process_name("master");
    /* Like postern: stderr only for a person at a terminal. */
    msg_set_stderr(isatty(STDERR_FILENO));
    while ((ch = getopt(argc, argv, "c:dwtv")) != -1) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'd':
            foreground = 1;
            break;
        case 'w':
            wait_ready = 1;
            break;
        case 't':
            test_only = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            master_usage(argv[0]);
        }
    }
    if (optind < argc)
        master_usage(argv[0]);

    conf_set_config_dir(config_dir);
    /* Absolute: the master changes directories, and uses the name again
     * on every reload and in every child's command line. */
    if ((resolved = realpath(conf_config_dir(), NULL)) != NULL) {
        conf_set_config_dir(resolved);
        free(resolved);
    }
    master_config_dir = mem_strdup(conf_config_dir());
    conf_load_or_die();
    if (test_only) {
        conf_apply_globals();
        exit(master_test_running());
    }
    (void)server_log_open("master");
    conf_apply_globals();
    if (!instance_nonroot())
        instance_owner_ids(&uid, &gid); /* fatal when mail_owner is unusable */

    if (!foreground && proc_daemonise(PROC_DAEMON_CLOSE_STDIO, wait_ready ? &ready_fd : NULL,
                                      MASTER_READY_TIMEOUT, &why) < 0)
        msg_fatal("%s", buf_str(&why));
    /* Only the log from here on: stderr is /dev/null once detached, and
     * the terminal of start-fg gets the maillog_file if it wants it. */
    msg_set_stderr(0);
    if (chdir(var_queue_directory) < 0)
        msg_fatal("chdir %s: %s", var_queue_directory, strerror(errno));

    instance_master_lock_path(&path);
    if ((lock_fd = proc_lock_file(buf_str(&path), &why)) < 0) {
        if (errno == EWOULDBLOCK)
            msg_fatal("open lock file %s: unable to set exclusive lock: %s", buf_str(&path),
                      strerror(EWOULDBLOCK));
        msg_fatal("%s", buf_str(&why));
    }
    msg_set_cleanup(master_fatal_cleanup);
    master_write_pid_files(lock_fd, buf_str(&path));

    master_loop = event_loop_new();
    master_signals_init();
    master_config(1);
    msg_info("daemon started -- version %s, configuration %s", var_mail_version, master_config_dir);
    if (ready_fd >= 0 && proc_daemonise_ready(ready_fd, 0, &why) < 0)
        msg_warn("%s", buf_str(&why));
    buf_release(&path);
    buf_release(&why);
    event_loop_run(master_loop);
    return 0;
}
