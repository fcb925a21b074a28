/*
 * server_private.h - what the three skeletons (server_single.c,
 * server_multi.c, server_trigger.c) share through server_common.c.
 *
 * Not for daemons: they use server.h only. The common code holds the one
 * process-wide server state; a skeleton must call server_common_init()
 * before anything else here and must never read input before it returns.
 */
#ifndef POSTERN_SERVER_SERVER_PRIVATE_H
#define POSTERN_SERVER_SERVER_PRIVATE_H

#include <stdint.h>

#include "server/master_proto.h"
#include "server/server.h"

struct server_state {
    const char *service_name;
    const char *transport; /* "inet", "unix", "unix-dgram", "fifo", "pass" */
    char **argv;           /* service arguments, NULL-terminated */
    int listen_fd[MASTER_LISTEN_MAX];
    int listen_count;
    uint32_t generation;
    int unpriv;
    int chroot;
    int standalone;
    long max_use;
    long max_idle; /* seconds */
    long use_count;
    int master_gone; /* the status pipe failed: exit when idle */
    const struct server_hooks *hooks;
    struct event_loop *loop;
};

extern struct server_state server_state;

/* Options, main.cf, logging, pre_init, chdir, chroot, privilege drop,
 * post_init, signals. kind ("single", "multi", "trigger") is for messages;
 * stream_only refuses fifo and unix-dgram listeners. */
void server_common_init(int argc, char **argv, const struct server_hooks *hooks, const char *kind,
                        int stream_only);

/* Creates the event loop, watches the status pipe (the master going away
 * ends the process when idle), reports AVAIL and arms the idle timer. */
void server_common_ready(void);

/* Status to the master (no-op in stand-alone mode or once it is gone). */
void server_report(uint32_t status);

/* Request bracketing: BUSY + watchdog + idle timer off; then AVAIL +
 * watchdog off. server_request_end() counts one use and returns 1 when
 * the process should exit now (max_use reached, or the master is gone);
 * otherwise it re-arms the idle timer. */
void server_request_begin(void);
int server_request_end(void);
/* Counts one use without status reports (multi-client connections);
 * returns 1 when max_use is reached. */
int server_count_use(void);

/* accept() on a listener the master passed: the client descriptor, or -1
 * (EAGAIN: another process of the service took the connection, silently;
 * anything else is logged). */
int server_accept(int listen_fd);

void server_idle_arm(void);
void server_idle_cancel(void);
void server_pre_accept(void);

/* Called when the master's status pipe fails; the skeleton decides when
 * to exit (server_common_ready() installs a default that exits at once,
 * which is right for single-client and trigger servers: the event loop
 * runs only while they are idle). */
void server_set_master_gone_handler(void (*handler)(void));

/* Stand-alone mode: a bidirectional descriptor for the stdin/stdout
 * client (fd 0 itself when it is a socket, else a socketpair relayed to
 * stdin/stdout by a helper process). */
int server_standalone_fd(void);

/* pre_exit hook, wait for the stand-alone relay, exit(0). */
__attribute__((noreturn)) void server_exit(void);

#endif
