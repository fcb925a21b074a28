/*
 * master.h - the master daemon's shared state: the service table built
 * from master.cf, the children it runs, and the functions the master's
 * files call across (master_ent.c, master_listen.c, master_spawn.c,
 * master_sig.c, master_main.c).
 *
 * One event loop, one process: nothing here is thread-safe or needs to be.
 * A child is always on master_children until it has been reaped, even
 * after its service was removed (then serv is NULL), so that stop can wait
 * for every process the master started.
 */
#ifndef POSTERN_MASTER_MASTER_H
#define POSTERN_MASTER_MASTER_H

#include <stdint.h>
#include <sys/types.h>

#include "conf/mastercf.h"
#include "server/master_proto.h"
#include "util/buf.h"

struct event_loop;

struct master_service {
    char *name;     /* service column as written, e.g. "127.0.0.1:2525" */
    char *label;    /* for logs: "[127.0.0.1]:2525", "2525", "private/cleanup" */
    char *key;      /* type + label: identity across duplicates and reloads */
    char *endpoint; /* what the listeners are bound to; equal = reusable */
    enum master_type type;
    int private_flag;
    int unpriv;
    int chroot;
    int wakeup; /* seconds, 0 = none */
    int wakeup_if_used;
    int max_proc; /* resolved; 0 = no limit */
    char *command;
    char *path; /* daemon_directory/command */
    char **args;
    size_t nargs;
    char *socket_path; /* unix, unix-dgram, fifo: the file; else NULL */

    int listen_fd[MASTER_LISTEN_MAX];
    int listen_count;
    int listening;                 /* listeners registered with the event loop */
    void (*watching)(int, void *); /* the callback they are registered with */
    int limit_noted;               /* a client waited at the process limit; not watched again */
    int status_fd[2];              /* [0] read end (master), [1] write end (children) */
    uint32_t generation;

    int total_proc; /* children alive, retired ones included */
    int avail_proc; /* current-generation children able to take a client */
    int throttled;
    int used;      /* a child reported BUSY at least once (wakeup "?") */
    int keepalive; /* wakeup service: keep one process running */
    int64_t limit_warned_ms;
    struct master_service *next;
};

struct master_child {
    pid_t pid;
    struct master_service *serv; /* NULL once its service was removed */
    uint32_t generation;
    int avail;    /* counted in serv->avail_proc */
    int reported; /* sent a status message: its start-up succeeded */
    int killed;   /* the master sent SIGTERM: do not log its end */
    char *path;   /* for log lines after the service is gone */
    struct master_child *next;
};

/* master_main.c */
extern struct event_loop *master_loop;
extern struct master_service *master_services;
extern struct master_child *master_children;
extern const char *master_config_dir;
extern int master_stopping;

/* master_ent.c: (re)reads master.cf and reconciles the service table.
 * initial: errors are fatal; otherwise they are warned about and the
 * current services stay. */
void master_config(int initial);
/* Stops one service: listeners and status pipe closed, timers cancelled,
 * children told to go (SIGTERM when kill_children) and left to be reaped. */
void master_service_stop(struct master_service *serv, int kill_children);
void master_service_free(struct master_service *serv);

/* master_listen.c */
/* Computes label, key, endpoint and socket_path of a service from its
 * entry and main.cf; -1 with why for a name that cannot be used. */
int master_listen_describe(struct master_service *serv, struct buf *why);
/* Opens every listener of serv; -1 with why (nothing left open). */
int master_listen_open(struct master_service *serv, struct buf *why);
void master_listen_close(struct master_service *serv);

/* master_spawn.c */
int master_status_open(struct master_service *serv);
void master_status_close(struct master_service *serv);
/* Re-evaluates what a service needs: listening when all its children are
 * busy and the limit allows, a keep-alive process, nothing when throttled. */
void master_avail_update(struct master_service *serv);
void master_spawn(struct master_service *serv);
void master_reap(void);
void master_wakeup_start(struct master_service *serv);
void master_wakeup_stop(struct master_service *serv);
void master_throttle_cancel(struct master_service *serv);
/* Sends sig to every child (of serv, or of every service when NULL). */
void master_signal_children(struct master_service *serv, int sig);
struct master_child *master_child_find(pid_t pid);

/* master_sig.c */
void master_signals_init(void);
void master_reload(void);
/* SIGTERM: terminate children, wait for them (bounded), exit. abort: do
 * not wait. Never returns. */
__attribute__((noreturn)) void master_shutdown(int sig, int wait_children);
/* Removes the pid file (fatal errors and shutdown). */
void master_pid_file_remove(void);

#endif
