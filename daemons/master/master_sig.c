/*
 * master_sig.c - the master's signals: SIGCHLD (reap), SIGHUP (reload),
 * SIGTERM and SIGINT (stop: children terminated and waited for), SIGQUIT
 * (abort: children told to terminate, not waited for).
 *
 * Signals arrive through proc.h's self-pipe and are handled in the event
 * loop, never in a handler. A reload first checks the new main.cf and
 * master.cf in a forked process, because a bad value is fatal where it is
 * read: a typo must cost a warning, not the running mail system.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "master.h"
#include "server/server_log.h"
#include "util/events.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/proc.h"

/* How long stop waits for children after SIGTERM before SIGKILL (what
 * postfix stop allows before its "with force"). */
#define MASTER_STOP_WAIT_MS 5000
/* How long the reload check may take. */
#define MASTER_CHECK_WAIT_MS 30000

static const struct timespec master_tick = {0, 10 * 1000 * 1000};

/* Reads main.cf and master.cf the way a reload will; exit status 0 when
 * both are good. Runs in a forked child: fatal errors end only it. */
__attribute__((noreturn)) static void master_check_config(void)
{
    struct master_cf cf;
    struct buf path = BUF_INIT;
    struct buf err = BUF_INIT;

    msg_set_cleanup(NULL); /* the pid file is not ours to remove */
    proc_sigpipe_close();
    conf_reset();
    conf_set_config_dir(master_config_dir);
    conf_load_or_die();
    conf_apply_globals();
    buf_printf(&path, "%s/master.cf", master_config_dir);
    if (master_cf_load(buf_str(&path), &cf, &err) < 0)
        msg_fatal("%s", buf_str(&err));
    _exit(0);
}

/* 0 when the configuration on disk can be loaded. */
static int master_config_ok(void)
{
    int64_t deadline = event_clock_ms() + MASTER_CHECK_WAIT_MS;
    pid_t pid;
    pid_t ret;
    int status;

    if ((pid = fork()) < 0) {
        msg_warn("reload: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        master_check_config();
    while ((ret = waitpid(pid, &status, WNOHANG)) == 0 && event_clock_ms() < deadline)
        (void)nanosleep(&master_tick, NULL);
    if (ret == 0) {
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, &status, 0);
        return -1;
    }
    return (ret == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : -1;
}

void master_reload(void)
{
    if (master_config_ok() < 0) {
        msg_warn("reload: configuration errors (see above); keeping the current configuration");
        return;
    }
    conf_reset();
    conf_set_config_dir(master_config_dir);
    conf_load_or_die();
    (void)server_log_open("master");
    conf_apply_globals();
    msg_info("reload -- version %s, configuration %s", var_mail_version, master_config_dir);
    master_config(0);
}

/* Waits until every child has been reaped or the deadline passed. */
static void master_wait_children(int64_t deadline)
{
    while (master_children && event_clock_ms() < deadline) {
        master_reap();
        if (master_children)
            (void)nanosleep(&master_tick, NULL);
    }
}

void master_shutdown(int sig, int wait_children)
{
    struct master_service *serv;

    msg_info("terminating on signal %d", sig);
    master_stopping = 1;
    for (serv = master_services; serv; serv = serv->next)
        master_service_stop(serv, 0);
    master_signal_children(NULL, SIGTERM);
    if (wait_children) {
        master_wait_children(event_clock_ms() + MASTER_STOP_WAIT_MS);
        if (master_children) {
            msg_warn("children still running after %d seconds; killing them",
                     MASTER_STOP_WAIT_MS / 1000);
            master_signal_children(NULL, SIGKILL);
            /* SIGKILL cannot be ignored: this wait ends. */
            master_wait_children(event_clock_ms() + MASTER_STOP_WAIT_MS);
        }
    }
    master_pid_file_remove();
    exit(0);
}

static void master_signal_event(int fd, void *ctx)
{
    sigset_t got;

    (void)fd;
    (void)ctx;
    if (proc_sigpipe_collect(&got) == 0)
        return;
    /* Stop requests first: children that died of the same signal (a
     * terminal's ^C reaches the whole process group) are then reaped
     * quietly by the shutdown. */
    if (sigismember(&got, SIGTERM))
        master_shutdown(SIGTERM, 1);
    if (sigismember(&got, SIGINT))
        master_shutdown(SIGINT, 1);
    if (sigismember(&got, SIGQUIT))
        master_shutdown(SIGQUIT, 0);
    if (sigismember(&got, SIGCHLD))
        master_reap();
    if (sigismember(&got, SIGHUP))
        master_reload();
}

void master_signals_init(void)
{
    static const int sigs[] = {SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGQUIT};
    struct buf why = BUF_INIT;
    size_t i;
    int fd;

    if ((fd = proc_sigpipe_open(&why)) < 0)
        msg_fatal("%s", buf_str(&why));
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (proc_sigpipe_catch(sigs[i], &why) < 0)
            msg_fatal("%s", buf_str(&why));
    if (proc_ignore_sigpipe() < 0)
        msg_fatal("ignore SIGPIPE: %s", strerror(errno));
    if (event_add_read(master_loop, fd, master_signal_event, NULL) < 0)
        msg_fatal("watch signal pipe: %s", strerror(errno));
    buf_release(&why);
}
