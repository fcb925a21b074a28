/*
 * master_spawn.c - running a service's processes: fork and exec with the
 * descriptors and command line of master_proto.h, the status pipe that
 * says which children are busy, process limits, reaping and throttling,
 * and wakeup triggers.
 *
 * The rule (as Postfix's): the master listens on a service's sockets only
 * while none of its children is available and the process limit allows
 * another; a connection then starts one child, which counts as available
 * until it says otherwise. A child that fails before its first status
 * report throttles the service for service_throttle_time, so a broken
 * program is not forked in a tight loop. This file never reads client data.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "master.h"
#include "server/trigger.h"
#include "util/events.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/proc.h"
#include "util/str.h"

extern char **environ;

/* The process limit warning is repeated at most this often per service. */
#define MASTER_LIMIT_WARN_MS (600 * 1000)

/* ---- children ------------------------------------------------------------- */

struct master_child *master_child_find(pid_t pid)
{
    struct master_child *child;

    for (child = master_children; child; child = child->next)
        if (child->pid == pid)
            return child;
    return NULL;
}

static void master_child_unlink(struct master_child *child)
{
    struct master_child **pp;

    for (pp = &master_children; *pp; pp = &(*pp)->next) {
        if (*pp == child) {
            *pp = child->next;
            return;
        }
    }
}

void master_signal_children(struct master_service *serv, int sig)
{
    struct master_child *child;

    for (child = master_children; child; child = child->next) {
        if (serv == NULL || child->serv == serv) {
            if (sig == SIGTERM || sig == SIGKILL)
                child->killed = 1;
            (void)kill(child->pid, sig);
        }
    }
}

/* ---- status pipe ------------------------------------------------------------ */

static void master_status_event(int fd, void *ctx)
{
    struct master_service *serv = ctx;
    unsigned char msg[MASTER_STATUS_SIZE];
    struct master_status st;
    struct master_child *child;
    ssize_t n;

    /* Children write whole messages atomically and we read whole messages,
     * so the stream of messages stays aligned. */
    while ((n = read(fd, msg, sizeof(msg))) > 0) {
        if (master_status_decode(msg, (size_t)n, &st) < 0) {
            msg_warn("service %s: malformed status message (%ld bytes) ignored", serv->name,
                     (long)n);
            continue;
        }
        child = master_child_find(st.pid);
        if (child == NULL || child->serv != serv || child->generation != st.generation) {
            if (msg_verbose)
                msg_info("service %s: status from unknown or retired pid %ld ignored", serv->name,
                         (long)st.pid);
            continue;
        }
        child->reported = 1;
        if (st.status == MASTER_STATUS_AVAIL && !child->avail) {
            child->avail = 1;
            serv->avail_proc++;
        } else if (st.status == MASTER_STATUS_BUSY) {
            serv->used = 1;
            if (child->avail) {
                child->avail = 0;
                serv->avail_proc--;
            }
        }
    }
    master_avail_update(serv);
}

int master_status_open(struct master_service *serv)
{
    if (pipe2(serv->status_fd, O_CLOEXEC) < 0)
        return -1;
    (void)fcntl(serv->status_fd[0], F_SETFL, O_NONBLOCK);
    if (event_add_read(master_loop, serv->status_fd[0], master_status_event, serv) < 0) {
        (void)close(serv->status_fd[0]);
        (void)close(serv->status_fd[1]);
        serv->status_fd[0] = serv->status_fd[1] = -1;
        return -1;
    }
    return 0;
}

/* Closing the read end is what tells the children of this generation to
 * exit when idle (master_proto.h); they are no longer counted as
 * available, but still count against the process limit until reaped. */
void master_status_close(struct master_service *serv)
{
    struct master_child *child;

    if (serv->status_fd[0] >= 0) {
        event_remove(master_loop, serv->status_fd[0]);
        (void)close(serv->status_fd[0]);
        (void)close(serv->status_fd[1]);
    }
    serv->status_fd[0] = serv->status_fd[1] = -1;
    for (child = master_children; child; child = child->next) {
        if (child->serv == serv && child->avail) {
            child->avail = 0;
            serv->avail_proc--;
        }
    }
}

/* ---- listening and limits ------------------------------------------------------ */

static void master_listen_event(int fd, void *ctx)
{
    struct master_service *serv = ctx;

    (void)fd;
    master_spawn(serv);
    master_avail_update(serv);
}

/* A client is waiting while every process is busy and no other may be
 * started: say so (rate-limited), then stop watching until a process
 * becomes available or exits. */
static void master_limit_event(int fd, void *ctx)
{
    struct master_service *serv = ctx;
    int64_t now = event_clock_ms();

    (void)fd;
    if (serv->limit_warned_ms == 0 || now - serv->limit_warned_ms > MASTER_LIMIT_WARN_MS) {
        serv->limit_warned_ms = now;
        msg_warn("service \"%s\" (%s) has reached its process limit \"%d\": new clients may "
                 "experience noticeable delays",
                 serv->name, serv->label, serv->max_proc);
    }
    serv->limit_noted = 1;
    master_avail_update(serv);
}

static int master_limit_ok(const struct master_service *serv)
{
    return serv->max_proc == 0 || serv->total_proc < serv->max_proc;
}

/* Registers (cb != NULL) or removes the listeners of serv. */
static void master_watch(struct master_service *serv, event_fd_fn cb)
{
    int i;

    if (serv->listening)
        for (i = 0; i < serv->listen_count; i++)
            event_remove(master_loop, serv->listen_fd[i]);
    serv->listening = 0;
    if (cb == NULL)
        return;
    for (i = 0; i < serv->listen_count; i++)
        if (event_add_read(master_loop, serv->listen_fd[i], cb, serv) < 0)
            msg_warn("service %s: watch listener: %s", serv->name, strerror(errno));
    serv->listening = 1;
}

void master_avail_update(struct master_service *serv)
{
    event_fd_fn want = NULL;

    if (serv->status_fd[0] < 0) /* stopped */
        return;
    if (!master_stopping && !serv->throttled && serv->avail_proc == 0) {
        if (master_limit_ok(serv) && serv->keepalive && serv->total_proc == 0)
            master_spawn(serv);
    }
    if (!master_stopping && !serv->throttled && serv->avail_proc == 0) {
        if (master_limit_ok(serv))
            want = master_listen_event;
        else if (serv->max_proc > 1 && !serv->limit_noted)
            /* One-process services (qmgr, pickup, anvil) are busy by
             * design now and then; only pools are worth a warning. */
            want = master_limit_event;
    }
    if (want != master_limit_event && (serv->avail_proc > 0 || master_limit_ok(serv)))
        serv->limit_noted = 0;
    if (want != serv->watching) {
        master_watch(serv, want);
        serv->watching = want;
    }
}

/* ---- throttling --------------------------------------------------------------- */

static void master_unthrottle_event(void *ctx)
{
    struct master_service *serv = ctx;

    serv->throttled = 0;
    master_avail_update(serv);
}

static void master_throttle(struct master_service *serv)
{
    msg_warn("%s: bad command startup -- throttling", serv->path);
    serv->throttled = 1;
    event_timer_set(master_loop, var_service_throttle_time * 1000, master_unthrottle_event, serv);
    master_avail_update(serv);
}

void master_throttle_cancel(struct master_service *serv)
{
    (void)event_timer_cancel(master_loop, master_unthrottle_event, serv);
    serv->throttled = 0;
}

/* ---- spawning ----------------------------------------------------------------- */

/* The child's environment: import_environment (NAME keeps the master's
 * value, NAME=value sets one), and MAIL_CONFIG. */
static char **master_child_env(void)
{
    char *copy = mem_strdup(var_import_environment);
    char *cursor = copy;
    char *word;
    char **env = NULL;
    size_t count = 0;
    const char *value;
    struct buf item = BUF_INIT;

    env = mem_realloc_array(env, 2, sizeof(*env));
    while ((word = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        buf_reset(&item);
        if (strchr(word, '=') != NULL) {
            buf_set(&item, word);
        } else if (strcmp(word, "MAIL_CONFIG") == 0 || (value = getenv(word)) == NULL) {
            continue;
        } else {
            buf_printf(&item, "%s=%s", word, value);
        }
        if (strncmp(buf_str(&item), "MAIL_CONFIG=", 12) == 0)
            continue;
        env = mem_realloc_array(env, mem_size_add(count, 3), sizeof(*env));
        env[count++] = mem_strdup(buf_str(&item));
    }
    buf_reset(&item);
    buf_printf(&item, "MAIL_CONFIG=%s", master_config_dir);
    env[count++] = buf_steal(&item);
    env[count] = NULL;
    mem_free(copy);
    return env;
}

static void master_free_vector(char **vec)
{
    size_t i;

    for (i = 0; vec[i]; i++)
        mem_free(vec[i]);
    mem_free(vec);
}

/* argv of master_proto.h: command, master options, master.cf arguments. */
static char **master_child_argv(const struct master_service *serv)
{
    char **argv = mem_calloc(mem_size_add(serv->nargs, 16), sizeof(*argv));
    struct buf num = BUF_INIT;
    size_t n = 0;
    size_t i;

    argv[n++] = mem_strdup(serv->command);
    argv[n++] = mem_strdup("-c");
    argv[n++] = mem_strdup(master_config_dir);
    argv[n++] = mem_strdup("-n");
    argv[n++] = mem_strdup(serv->name);
    argv[n++] = mem_strdup("-t");
    argv[n++] = mem_strdup(master_type_name(serv->type));
    buf_printf(&num, "%d", serv->listen_count);
    argv[n++] = mem_strdup("-s");
    argv[n++] = buf_steal(&num);
    buf_printf(&num, "%u", (unsigned)serv->generation);
    argv[n++] = mem_strdup("-g");
    argv[n++] = buf_steal(&num);
    if (serv->unpriv)
        argv[n++] = mem_strdup("-u");
    if (serv->chroot)
        argv[n++] = mem_strdup("-r");
    for (i = 0; i < serv->nargs; i++)
        argv[n++] = mem_strdup(serv->args[i]);
    argv[n] = NULL;
    return argv;
}

/* In the child, between fork and exec: only system calls from here on.
 * Logging is switched off first, as the descriptors of syslog and the
 * maillog_file may be overwritten below. */
__attribute__((noreturn)) static void master_exec_child(const struct master_service *serv,
                                                        char **argv, char **env, int err_fd)
{
    int top = MASTER_LISTEN_FD + serv->listen_count;
    int tmp[MASTER_LISTEN_MAX + 1];
    int keep;
    sigset_t none;
    int i;
    int saved;
    char name[128];

    /* Setting the syslog name closes syslog (a copy: source and target
     * must not be the same buffer). */
    snprintf(name, sizeof(name), "%s", msg_syslog_name());
    msg_set_syslog_name(name);
    msg_set_maillog_fd(-1, NULL);
    proc_sigpipe_close();
    (void)proc_signal(SIGPIPE, SIG_DFL);
    (void)proc_signal(SIGHUP, SIG_DFL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);

    /* Move everything above the target range first, so that no dup2()
     * below overwrites a source it still needs. */
    if ((keep = fcntl(err_fd, F_DUPFD_CLOEXEC, top + 1)) < 0)
        goto fail;
    err_fd = keep;
    if ((tmp[0] = fcntl(serv->status_fd[1], F_DUPFD, top + 1)) < 0)
        goto fail;
    for (i = 0; i < serv->listen_count; i++)
        if ((tmp[i + 1] = fcntl(serv->listen_fd[i], F_DUPFD, top + 1)) < 0)
            goto fail;
    if (dup2(tmp[0], MASTER_STATUS_FD) < 0)
        goto fail;
    for (i = 0; i < serv->listen_count; i++)
        if (dup2(tmp[i + 1], MASTER_LISTEN_FD + i) < 0)
            goto fail;
    if (proc_close_fds_from(top, &err_fd, 1) < 0)
        goto fail;
    execve(serv->path, argv, env);
fail:
    saved = errno;
    if (write(err_fd, &saved, sizeof(saved)) < 0) {
        /* the master will see only the exit status */
    }
    _exit(1);
}

void master_spawn(struct master_service *serv)
{
    struct master_child *child;
    char **argv;
    char **env;
    int err_pipe[2];
    int child_errno = 0;
    ssize_t n;
    pid_t pid;

    if (serv->max_proc > 0 && serv->total_proc >= serv->max_proc)
        return;
    argv = master_child_argv(serv);
    env = master_child_env();
    /* Tells the master why an exec failed: the pipe closes on a
     * successful exec, or carries errno. */
    if (pipe2(err_pipe, O_CLOEXEC) < 0) {
        msg_warn("service %s: pipe: %s", serv->name, strerror(errno));
        master_free_vector(argv);
        master_free_vector(env);
        return;
    }
    if ((pid = fork()) < 0) {
        msg_warn("service %s: fork: %s", serv->name, strerror(errno));
    } else if (pid == 0) {
        (void)close(err_pipe[0]);
        master_exec_child(serv, argv, env, err_pipe[1]);
    }
    (void)close(err_pipe[1]);
    master_free_vector(argv);
    master_free_vector(env);
    if (pid > 0) {
        do {
            n = read(err_pipe[0], &child_errno, sizeof(child_errno));
        } while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof(child_errno))
            msg_warn("service %s: cannot execute %s: %s", serv->name, serv->path,
                     strerror(child_errno));
        child = mem_calloc(1, sizeof(*child));
        child->pid = pid;
        child->serv = serv;
        child->generation = serv->generation;
        child->avail = 1; /* until it says otherwise (see the file header) */
        child->path = mem_strdup(serv->path);
        child->next = master_children;
        master_children = child;
        serv->total_proc++;
        serv->avail_proc++;
        if (msg_verbose)
            msg_info("service %s: started %s pid %ld", serv->name, serv->path, (long)pid);
    }
    (void)close(err_pipe[0]);
}

/* ---- reaping ------------------------------------------------------------------ */

static void master_child_ended(struct master_child *child, int status)
{
    struct master_service *serv = child->serv;
    int abnormal = !WIFEXITED(status) || WEXITSTATUS(status) != 0;

    if (!child->killed && !master_stopping) {
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            msg_warn("process %s pid %ld exit status %d", child->path, (long)child->pid,
                     WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            msg_warn("process %s pid %ld killed by signal %d", child->path, (long)child->pid,
                     WTERMSIG(status));
    }
    if (serv) {
        serv->total_proc--;
        if (child->avail)
            serv->avail_proc--;
        if (abnormal && !child->reported && !child->killed && !master_stopping &&
            child->generation == serv->generation && !serv->throttled)
            master_throttle(serv);
    }
    master_child_unlink(child);
    mem_free(child->path);
    mem_free(child);
    if (serv)
        master_avail_update(serv);
}

void master_reap(void)
{
    struct master_child *child;
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if ((child = master_child_find(pid)) == NULL) {
            if (msg_verbose)
                msg_info("reaped unknown pid %ld", (long)pid);
            continue;
        }
        master_child_ended(child, status);
    }
}

/* ---- wakeup ------------------------------------------------------------------- */

static void master_wakeup_event(void *ctx)
{
    struct master_service *serv = ctx;
    struct buf why = BUF_INIT;
    static const char wakeup[1] = {MASTER_TRIGGER_WAKEUP};
    enum trigger_kind kind = TRIGGER_UNIX;

    if (!serv->wakeup_if_used || serv->used) {
        if (serv->type == MASTER_TYPE_FIFO)
            kind = TRIGGER_FIFO;
        else if (serv->type == MASTER_TYPE_UNIX_DGRAM)
            kind = TRIGGER_DGRAM;
        /* A full socket or fifo means a wakeup is already pending. */
        if (trigger_send(kind, serv->socket_path, wakeup, sizeof(wakeup), 0, &why) < 0 &&
            errno != EAGAIN && msg_verbose)
            msg_info("service %s: wakeup: %s", serv->name, buf_str(&why));
    }
    buf_release(&why);
    event_timer_set(master_loop, (long)serv->wakeup * 1000, master_wakeup_event, serv);
}

void master_wakeup_start(struct master_service *serv)
{
    if (serv->wakeup <= 0 || serv->socket_path == NULL)
        return;
    /* Right away for a service that runs all the time (qmgr and pickup
     * look at the queue once they start), else after one period. */
    event_timer_set(master_loop, serv->wakeup_if_used ? (long)serv->wakeup * 1000 : 0,
                    master_wakeup_event, serv);
}

void master_wakeup_stop(struct master_service *serv)
{
    (void)event_timer_cancel(master_loop, master_wakeup_event, serv);
}
