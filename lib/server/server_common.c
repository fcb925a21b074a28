/*
 * server_common.c - what every skeleton does before and around requests:
 * the command line of master_proto.h, configuration, logging, privileges,
 * status reports, use and idle limits, the watchdog, signals.
 *
 * Order matters and is the point of this file: main.cf and -o, then the
 * log sink (maillog_file opened while still privileged), then
 * conf_apply_globals() (so a bad value is logged), pre_init, chdir to
 * queue_directory, chroot, privilege drop, post_init. No client, queue or
 * trigger input is read before server_common_init() returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/maincf.h"
#include "server/instance.h"
#include "server/server_log.h"
#include "server/server_private.h"
#include "util/events.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/proc.h"
#include "util/sock.h"
#include "util/str.h"

struct server_state server_state;

static void (*server_master_gone_handler)(void);
static pid_t server_relay_pid = -1;

/* How long server_exit() waits for the stand-alone relay to copy the last
 * output to stdout before giving up on it. */
#define SERVER_RELAY_WAIT_MS 5000

static char *server_empty_argv[] = {NULL};

/* ---- accessors (server.h) ------------------------------------------------ */

const char *server_service_name(void)
{
    return server_state.service_name;
}

const char *server_transport(void)
{
    return server_state.transport;
}

uint32_t server_generation(void)
{
    return server_state.generation;
}

int server_standalone(void)
{
    return server_state.standalone;
}

struct event_loop *server_event_loop(void)
{
    return server_state.loop;
}

/* ---- options -------------------------------------------------------------- */

static void server_usage(const char *argv0)
{
    msg_fatal("usage: %s [-c config_dir] [-n name] [-t transport] [-o name=value] [-u] [-r] "
              "[-v] [-i max_idle] [-m max_use] [-S] [args...]",
              argv0);
}

static long server_number_option(int opt, const char *arg, long min, long max)
{
    long v;

    if (str_to_long(arg, &v) < 0 || v < min || v > max)
        msg_fatal("invalid -%c option value: \"%s\"", opt, arg);
    return v;
}

static void server_override(const char *arg)
{
    char *copy = mem_strdup(arg);
    char *name;
    char *value;
    struct buf err = BUF_INIT;

    if (maincf_split_assignment(copy, &name, &value, &err) < 0)
        msg_fatal("invalid \"-o %s\" option value: %s", arg, buf_str(&err));
    conf_set_override(name, value);
    mem_free(copy);
    buf_release(&err);
}

static int server_transport_ok(const char *t)
{
    static const char *const known[] = {"inet", "unix", "unix-dgram", "fifo", "pass", NULL};
    int i;

    for (i = 0; known[i]; i++)
        if (strcmp(t, known[i]) == 0)
            return 1;
    return 0;
}

/* Parses the command line into server_state; returns the config dir. */
static const char *server_parse_args(int argc, char **argv, long *max_idle, long *max_use)
{
    const char *config_dir = NULL;
    int ch;

    opterr = 0;
    optind = 1;
    while ((ch = getopt(argc, argv, "+c:n:t:o:urvSs:g:i:m:")) != -1) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'n':
            server_state.service_name = optarg;
            break;
        case 't':
            if (!server_transport_ok(optarg))
                msg_fatal("unknown transport type: \"%s\"", optarg);
            server_state.transport = optarg;
            break;
        case 'o':
            server_override(optarg);
            break;
        case 'u':
            server_state.unpriv = 1;
            break;
        case 'r':
            server_state.chroot = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'S':
            server_state.standalone = 1;
            break;
        case 's':
            server_state.listen_count = (int)server_number_option(ch, optarg, 0, MASTER_LISTEN_MAX);
            break;
        case 'g':
            server_state.generation = (uint32_t)server_number_option(ch, optarg, 0, 0xffffffffL);
            break;
        case 'i':
            *max_idle = server_number_option(ch, optarg, 1, 0x7fffffffL);
            break;
        case 'm':
            *max_use = server_number_option(ch, optarg, 1, 0x7fffffffL);
            break;
        default:
            server_usage(argv[0]);
        }
    }
    server_state.argv = optind < argc ? argv + optind : server_empty_argv;
    return config_dir;
}

/* ---- privileges ------------------------------------------------------------ */

static void server_drop_privileges(void)
{
    const struct server_hooks *hooks = server_state.hooks;
    struct buf why = BUF_INIT;
    uid_t uid;
    gid_t gid;

    /* chdir first, while still privileged: the path leading to the queue
     * may be closed to mail_owner, the queue itself never is. */
    if (chdir(var_queue_directory) < 0)
        msg_fatal("chdir %s: %s", var_queue_directory, strerror(errno));
    if (instance_nonroot()) {
        if (msg_verbose && (server_state.chroot || server_state.unpriv))
            msg_info("non-root mode: no chroot and no privilege change");
        return;
    }
    if (server_state.chroot && proc_chroot(var_queue_directory, &why) < 0)
        msg_fatal("%s", buf_str(&why));
    if (server_state.unpriv && hooks->privileged) {
        msg_warn("service %s: this program needs root privileges; ignoring the unpriv column",
                 server_state.service_name);
    } else if (server_state.unpriv) {
        if (hooks->unpriv_user) {
            if (proc_lookup_user(hooks->unpriv_user, &uid, &gid, &why) < 0)
                msg_fatal("%s", buf_str(&why));
        } else {
            instance_owner_ids(&uid, &gid);
        }
        if (proc_drop_privileges(uid, gid, &why) < 0)
            msg_fatal("%s", buf_str(&why));
    }
    buf_release(&why);
}

/* ---- signals ---------------------------------------------------------------- */

/* The master (stop, or a removed service) wants this process gone now.
 * Only async-signal-safe calls here; an unfinished queue file is never
 * delivered, so nothing needs cleaning up. */
static void server_sigterm(int sig)
{
    (void)sig;
    _exit(0);
}

static void server_signals(void)
{
    if (proc_ignore_sigpipe() < 0 || proc_signal(SIGTERM, server_sigterm) < 0)
        msg_fatal("sigaction: %s", strerror(errno));
    /* The watchdog: a request that takes longer than daemon_timeout ends
     * the process (the master logs "killed by signal 14"). */
    if (proc_signal(SIGALRM, SIG_DFL) < 0)
        msg_fatal("sigaction: %s", strerror(errno));
}

/* ---- init -------------------------------------------------------------------- */

void server_common_init(int argc, char **argv, const struct server_hooks *hooks, const char *kind,
                        int stream_only)
{
    static const struct server_hooks no_hooks;
    long max_idle = 0;
    long max_use = 0;
    const char *config_dir;
    int i;

    msg_init(argv[0]);
    server_state.hooks = hooks ? hooks : &no_hooks;
    server_state.transport = "unix";
    server_state.service_name = mem_strdup(msg_process_name());
    config_dir = server_parse_args(argc, argv, &max_idle, &max_use);
    /* A daemon's stderr is the master's (/dev/null once detached): log
     * there only when run by hand. */
    msg_set_stderr(server_state.standalone);

    conf_set_config_dir(config_dir);
    conf_load_or_die();
    /* $service_name in -o values (e.g. -o syslog_name=postfix/$service_name). */
    conf_set_override("service_name", server_state.service_name);
    (void)server_log_open(NULL);
    conf_apply_globals();
    server_state.max_idle = max_idle ? max_idle : var_max_idle;
    server_state.max_use = max_use ? max_use : var_max_use;

    if (strcmp(server_state.transport, "pass") == 0)
        msg_fatal("service %s: transport type pass is not supported yet",
                  server_state.service_name);
    if (stream_only && (strcmp(server_state.transport, "fifo") == 0 ||
                        strcmp(server_state.transport, "unix-dgram") == 0))
        msg_fatal("service %s: a %s server needs a stream listener, not %s",
                  server_state.service_name, kind, server_state.transport);
    if (!server_state.standalone) {
        if (server_state.listen_count < 1)
            msg_fatal("service %s: no listening socket (-s); use -S to run without master",
                      server_state.service_name);
        if (fcntl(MASTER_STATUS_FD, F_GETFD) < 0)
            msg_fatal("service %s: status descriptor %d is not open: not started by the master",
                      server_state.service_name, MASTER_STATUS_FD);
        for (i = 0; i < server_state.listen_count; i++) {
            server_state.listen_fd[i] = MASTER_LISTEN_FD + i;
            if (fcntl(server_state.listen_fd[i], F_GETFD) < 0)
                msg_fatal("service %s: listening descriptor %d is not open",
                          server_state.service_name, server_state.listen_fd[i]);
            /* The master's listeners are non-blocking; make sure, as a
             * blocking accept() would hang when another child won. */
            (void)fcntl(server_state.listen_fd[i], F_SETFD, FD_CLOEXEC);
            (void)fcntl(server_state.listen_fd[i], F_SETFL,
                        fcntl(server_state.listen_fd[i], F_GETFL) | O_NONBLOCK);
        }
        (void)fcntl(MASTER_STATUS_FD, F_SETFD, FD_CLOEXEC);
    }
    if (msg_verbose)
        msg_info("%s server for service %s, transport %s, %d listener(s), generation %u", kind,
                 server_state.service_name, server_state.transport, server_state.listen_count,
                 (unsigned)server_state.generation);

    if (server_state.hooks->pre_init)
        server_state.hooks->pre_init(server_state.service_name, server_state.argv);
    server_drop_privileges();
    /* The loop exists from post_init on, for daemons that add timers. */
    server_state.loop = event_loop_new();
    if (server_state.hooks->post_init)
        server_state.hooks->post_init(server_state.service_name, server_state.argv);
    server_signals();
}

/* ---- master status ----------------------------------------------------------- */

void server_set_master_gone_handler(void (*handler)(void))
{
    server_master_gone_handler = handler;
}

static void server_master_gone(void)
{
    if (!server_state.master_gone && msg_verbose)
        msg_info("master disconnect -- exiting when idle");
    server_state.master_gone = 1;
    if (server_state.loop)
        event_remove(server_state.loop, MASTER_STATUS_FD);
}

/* The master closed its end of the status pipe (exit or reload). */
static void server_master_event(int fd, void *ctx)
{
    (void)fd;
    (void)ctx;
    server_master_gone();
    if (server_master_gone_handler)
        server_master_gone_handler();
    else
        server_exit();
}

void server_report(uint32_t status)
{
    if (server_state.standalone || server_state.master_gone)
        return;
    if (master_status_send(MASTER_STATUS_FD, getpid(), server_state.generation, status) < 0)
        server_master_gone();
}

static void server_idle_event(void *ctx)
{
    (void)ctx;
    if (msg_verbose)
        msg_info("idle timeout -- exiting");
    server_exit();
}

void server_idle_arm(void)
{
    if (server_state.loop == NULL || server_state.hooks->run_forever || server_state.standalone)
        return;
    event_timer_set(server_state.loop, server_state.max_idle * 1000, server_idle_event, NULL);
}

int server_accept(int listen_fd)
{
    int fd = sock_accept(listen_fd);

    if (fd < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        msg_warn("accept on descriptor %d: %s", listen_fd, strerror(errno));
    return fd;
}

void server_idle_cancel(void)
{
    if (server_state.loop)
        (void)event_timer_cancel(server_state.loop, server_idle_event, NULL);
}

void server_common_ready(void)
{
    if (!server_state.standalone) {
        if (event_add_read(server_state.loop, MASTER_STATUS_FD, server_master_event, NULL) < 0)
            msg_fatal("watch status descriptor: %s", strerror(errno));
        server_report(MASTER_STATUS_AVAIL);
    }
    server_idle_arm();
}

void server_pre_accept(void)
{
    if (server_state.hooks->pre_accept)
        server_state.hooks->pre_accept(server_state.service_name, server_state.argv);
}

void server_request_begin(void)
{
    server_idle_cancel();
    server_report(MASTER_STATUS_BUSY);
    if (var_daemon_timeout > 0)
        alarm(var_daemon_timeout > 0x7fffffffL ? 0x7fffffffU : (unsigned)var_daemon_timeout);
}

int server_count_use(void)
{
    server_state.use_count++;
    return !server_state.hooks->run_forever && !server_state.standalone &&
           server_state.use_count >= server_state.max_use;
}

int server_request_end(void)
{
    int done;

    alarm(0);
    done = server_count_use();
    server_report(MASTER_STATUS_AVAIL);
    if (done && msg_verbose)
        msg_info("served %ld requests (max_use) -- exiting", server_state.use_count);
    if (done || server_state.master_gone)
        return 1;
    server_idle_arm();
    return 0;
}

/* ---- stand-alone mode -------------------------------------------------------- */

/* Writes all of data to fd; -1 when fd is gone. */
static int server_write_all(int fd, const char *data, size_t len)
{
    ssize_t n;

    while (len > 0) {
        n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The relay process: stdin to sock, sock to stdout, until sock closes. */
__attribute__((noreturn)) static void server_relay(int sock)
{
    struct pollfd pfd[2];
    char data[4096];
    int in_open = 1;
    ssize_t n;

    for (;;) {
        pfd[0].fd = in_open ? STDIN_FILENO : -1;
        pfd[0].events = POLLIN;
        pfd[1].fd = sock;
        pfd[1].events = POLLIN;
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (in_open && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            n = read(STDIN_FILENO, data, sizeof(data));
            if (n > 0 && server_write_all(sock, data, (size_t)n) == 0)
                continue;
            if (n < 0 && errno == EINTR)
                continue;
            in_open = 0;
            (void)shutdown(sock, SHUT_WR);
        }
        if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            n = read(sock, data, sizeof(data));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || server_write_all(STDOUT_FILENO, data, (size_t)n) < 0)
                _exit(0);
        }
    }
}

int server_standalone_fd(void)
{
    struct stat st;
    int pair[2];

    if (fstat(STDIN_FILENO, &st) == 0 && S_ISSOCK(st.st_mode))
        return STDIN_FILENO;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        msg_fatal("socketpair: %s", strerror(errno));
    if ((server_relay_pid = fork()) < 0)
        msg_fatal("fork: %s", strerror(errno));
    if (server_relay_pid == 0) {
        (void)close(pair[0]);
        server_relay(pair[1]);
    }
    (void)close(pair[1]);
    return pair[0];
}

/* Lets the relay copy what the service wrote before it closed, within a
 * bound: a stuck stdout must not keep this process forever. */
static void server_relay_wait(void)
{
    int64_t deadline = event_clock_ms() + SERVER_RELAY_WAIT_MS;
    struct timespec pause = {0, 10 * 1000 * 1000};
    int status;

    while (waitpid(server_relay_pid, &status, WNOHANG) == 0) {
        if (event_clock_ms() > deadline) {
            (void)kill(server_relay_pid, SIGKILL);
            (void)waitpid(server_relay_pid, &status, 0);
            break;
        }
        (void)nanosleep(&pause, NULL);
    }
    server_relay_pid = -1;
}

void server_exit(void)
{
    if (server_state.hooks && server_state.hooks->pre_exit)
        server_state.hooks->pre_exit(server_state.service_name, server_state.argv);
    if (server_relay_pid > 0)
        server_relay_wait();
    exit(0);
}
