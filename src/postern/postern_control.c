/*
 * postern_control.c - start, stop, abort, reload, status and flush: the
 * commands that talk to a running master.
 *
 * "Running" means a live process holds data_directory/master.lock (the pid
 * file alone can be stale after a crash). start returns only once the
 * master reported that its pid file is written and its listeners are
 * open; stop returns only once the master, which waits for its children,
 * has exited. Every wait here is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/mastercf.h"
#include "postern.h"
#include "server/instance.h"
#include "server/master_proto.h"
#include "server/trigger.h"
#include "util/buf.h"
#include "util/events.h"
#include "util/msg.h"
#include "util/proc.h"

/* stop: how long the master may take (it allows its children 5 seconds,
 * then kills them), and how long after SIGKILL. */
#define POSTERN_STOP_WAIT_MS  15000
#define POSTERN_FORCE_WAIT_MS 5000

static const struct timespec postern_tick = {0, 20 * 1000 * 1000};

void postern_check_master_cf(void)
{
    struct master_cf cf;
    struct buf path = BUF_INIT;
    struct buf err = BUF_INIT;

    buf_printf(&path, "%s/master.cf", conf_config_dir());
    if (master_cf_load(buf_str(&path), &cf, &err) < 0)
        msg_fatal("%s", buf_str(&err));
    master_cf_free(&cf);
    buf_release(&path);
    buf_release(&err);
}

int postern_running(pid_t *pid)
{
    struct buf path = BUF_INIT;
    struct buf why = BUF_INIT;
    int held;

    instance_master_lock_path(&path);
    held = proc_lock_holder_alive(buf_str(&path), pid, &why);
    if (held < 0)
        msg_fatal("%s", buf_str(&why));
    buf_release(&path);
    buf_release(&why);
    return held;
}

/* Whether pid is gone: no such process, or a zombie waiting for whoever
 * adopted it (it holds nothing any more). */
static int postern_pid_gone(pid_t pid)
{
    char path[64];
    char stat_line[512];
    char *paren;
    FILE *fp;
    int gone = 0;

    if (kill(pid, 0) < 0 && errno == ESRCH)
        return 1;
    if (snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid) >= (int)sizeof(path))
        return 0;
    if ((fp = fopen(path, "re")) == NULL)
        return errno == ENOENT;
    if (fgets(stat_line, sizeof(stat_line), fp) != NULL &&
        (paren = strrchr(stat_line, ')')) != NULL && paren[1] == ' ')
        gone = (paren[2] == 'Z' || paren[2] == 'X');
    (void)fclose(fp);
    return gone;
}

/* Waits until no master holds the lock and pid is gone; 0, or -1 at the
 * deadline. */
static int postern_wait_gone(pid_t pid, long ms)
{
    int64_t deadline = event_clock_ms() + ms;

    for (;;) {
        if (!postern_running(NULL) && postern_pid_gone(pid))
            return 0;
        if (event_clock_ms() > deadline)
            return -1;
        (void)nanosleep(&postern_tick, NULL);
    }
}

static void postern_not_running_fatal(void)
{
    msg_fatal("the %s mail system is not running", var_mail_name);
}

/* argv for daemon_directory/master. */
static void postern_master_argv(const char *mode, char *path, char **argv)
{
    size_t n = 0;

    argv[n++] = path;
    argv[n++] = (char *)"-c";
    argv[n++] = (char *)conf_config_dir();
    argv[n++] = (char *)mode;
    if (postern_verbose)
        argv[n++] = (char *)"-v";
    argv[n] = NULL;
}

int postern_start(int foreground)
{
    struct buf path = BUF_INIT;
    struct buf pidfile = BUF_INIT;
    char *argv[8];
    struct stat st;
    pid_t pid;
    int status;

    if (postern_running(NULL))
        msg_fatal("the %s mail system is already running", var_mail_name);
    postern_check_master_cf();
    postern_dirs_check(1);
    buf_printf(&path, "%s/master", var_daemon_directory);
    if (access(buf_str(&path), X_OK) < 0)
        msg_fatal("cannot execute %s: %s", buf_str(&path), strerror(errno));
    msg_info("starting the %s mail system", var_mail_name);
    postern_master_argv(foreground ? "-d" : "-w", path.data, argv);
    if (setenv("MAIL_CONFIG", conf_config_dir(), 1) < 0)
        msg_fatal("setenv: %s", strerror(errno));
    if (foreground) {
        execv(buf_str(&path), argv);
        msg_fatal("execute %s: %s", buf_str(&path), strerror(errno));
    }
    if ((pid = fork()) < 0)
        msg_fatal("fork: %s", strerror(errno));
    if (pid == 0) {
        execv(buf_str(&path), argv);
        msg_fatal("execute %s: %s", buf_str(&path), strerror(errno));
    }
    /* "master -w" exits only when the daemon reported (or after its own
     * timeout), so this wait is bounded. */
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            msg_fatal("waitpid: %s", strerror(errno));
    }
    instance_master_pid_path(&pidfile);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || stat(buf_str(&pidfile), &st) < 0 ||
        !postern_running(NULL))
        msg_fatal("mail system startup failed");
    buf_release(&path);
    buf_release(&pidfile);
    return 0;
}

int postern_stop(int abort_now)
{
    pid_t pid = 0;

    if (!postern_running(&pid) || pid <= 0)
        postern_not_running_fatal();
    if (abort_now) {
        /* The master tells its children to terminate and exits without
         * waiting for them. */
        msg_info("aborting the %s mail system", var_mail_name);
        if (kill(pid, SIGQUIT) < 0)
            msg_fatal("kill %ld: %s", (long)pid, strerror(errno));
        return 0;
    }
    msg_info("stopping the %s mail system", var_mail_name);
    if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
        msg_fatal("kill %ld: %s", (long)pid, strerror(errno));
    if (postern_wait_gone(pid, POSTERN_STOP_WAIT_MS) == 0)
        return 0;
    msg_warn("stopping the %s mail system with force", var_mail_name);
    /* The master leads the process group of its children when detached. */
    if (getpgid(pid) == pid)
        (void)kill(-pid, SIGKILL);
    else
        (void)kill(pid, SIGKILL);
    if (postern_wait_gone(pid, POSTERN_FORCE_WAIT_MS) < 0)
        msg_fatal("the %s mail system did not stop (pid %ld)", var_mail_name, (long)pid);
    return 0;
}

int postern_status(void)
{
    pid_t pid = 0;

    if (postern_running(&pid)) {
        msg_info("the %s mail system is running: PID: %ld", var_mail_name, (long)pid);
        return 0;
    }
    msg_info("the %s mail system is not running", var_mail_name);
    return 1;
}

int postern_reload(void)
{
    pid_t pid = 0;

    if (!postern_running(&pid) || pid <= 0)
        postern_not_running_fatal();
    postern_check_master_cf();
    msg_info("refreshing the %s mail system", var_mail_name);
    if (kill(pid, SIGHUP) < 0)
        msg_fatal("kill %ld: %s", (long)pid, strerror(errno));
    return 0;
}

int postern_flush(void)
{
    static const char flush[1] = {MASTER_TRIGGER_FLUSH};
    struct buf path = BUF_INIT;
    struct buf why = BUF_INIT;
    struct stat st;

    instance_service_path(&path, 0, "qmgr");
    /* No public/qmgr means no qmgr service (not written yet, or not in
     * master.cf): there is nothing to flush, which is not an error. */
    if (lstat(buf_str(&path), &st) < 0) {
        buf_release(&path);
        return 0;
    }
    if (trigger_send(S_ISFIFO(st.st_mode) ? TRIGGER_FIFO : TRIGGER_UNIX, buf_str(&path), flush,
                     sizeof(flush), 0, &why) < 0 &&
        errno != EAGAIN) { /* EAGAIN: qmgr has triggers waiting already */
        if (msg_verbose)
            msg_info("%s", buf_str(&why));
        msg_fatal("Cannot flush mail queue - mail system is down");
    }
    buf_release(&path);
    buf_release(&why);
    return 0;
}
