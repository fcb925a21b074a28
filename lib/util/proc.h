/*
 * proc.h - process helpers for the master, the daemons and the control
 * command: daemonising with a readiness report, pid/lock files, privilege
 * drop and chroot, user/group lookup, signals (with a self-pipe for event
 * loops) and closing inherited descriptors.
 *
 * Non-root mode (DESIGN.md section 1): dropping to the uid the process
 * already runs as is a no-op, so callers need no special case. Nothing here
 * may leave a process half-privileged: a failed drop returns an error the
 * caller must treat as fatal, and a drop that could be undone is fatal here.
 */
#ifndef POSTERN_UTIL_PROC_H
#define POSTERN_UTIL_PROC_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* ---- daemonising -------------------------------------------------------- */

#define PROC_DAEMON_CLOSE_STDIO 0x1 /* stdin/stdout/stderr to /dev/null */
#define PROC_DAEMON_FORK_TWICE  0x2 /* fork again after setsid(): never a session leader */

/*
 * Detaches from the terminal: fork, setsid, optionally fork again, chdir("/").
 * Returns 0 in the daemon only; the calling process never returns from a
 * successful call. Returns -1 with why (and the caller still in the
 * foreground) if the pipe or the first fork fails.
 *
 * With ready_fd NULL the foreground process exits 0 at once. Otherwise
 * *ready_fd receives the daemon's end of a readiness channel and the
 * foreground process waits (at most ready_timeout seconds, 0 = no limit)
 * until the daemon calls proc_daemonise_ready(): it then exits with the
 * status the daemon sent. If the daemon exits or closes the channel without
 * reporting, or the wait times out, it logs why and exits 1. This lets
 * `postern start` return only after the master wrote its pid file.
 * File descriptors 0-2 are open on return (on /dev/null if they were closed),
 * so a later open() can never become stdout by accident.
 */
int proc_daemonise(int flags, int *ready_fd, int ready_timeout, struct buf *why);

/* Reports status (0-255) to the waiting foreground process and closes
 * ready_fd. Returns 0, or -1 with why if the foreground process is gone
 * (never raises SIGPIPE when ready_fd is a socket, as proc_daemonise makes). */
int proc_daemonise_ready(int ready_fd, int status, struct buf *why);

/* The foreground side, for callers that start the daemon another way (e.g.
 * fork + exec with the write end inherited): waits for one status byte on
 * read_fd, at most timeout seconds (0 = no limit). Returns the status 0-255,
 * or -1 with why on end of file, timeout or error. Does not close read_fd. */
int proc_ready_wait(int read_fd, int timeout, struct buf *why);

/* ---- pid and lock files ------------------------------------------------- */

/*
 * Opens (creating with mode 0644 if needed, through safe_open()) and locks
 * path with an exclusive, non-blocking open-file-description lock, and
 * returns the descriptor, which must stay open for the life of the process
 * (closing it releases the lock). The lock is not taken from fcntl()'s
 * per-process table, so opening and closing the file elsewhere in the
 * process does not release it. The descriptor is close-on-exec; a child
 * that forks without exec shares the lock and must close it (see
 * proc_close_fds_from). Returns -1 with why (naming the holder's pid when the
 * file holds one) and errno EWOULDBLOCK when another process holds the lock.
 */
int proc_lock_file(const char *path, struct buf *why);

/* Replaces the file's contents with pid as "%10ld\n" (Postfix master.pid
 * format). Returns 0 or -1 with why. */
int proc_write_pid_file(int fd, pid_t pid, struct buf *why);

/* Reads a pid file written by proc_write_pid_file (leading blanks, digits,
 * optional newline; nothing else). Returns 0, or -1 with why and errno. */
int proc_read_pid_file(const char *path, pid_t *out, struct buf *why);

/*
 * Whether a live process holds the lock of path (for `postern status` and
 * `stop`), tested without taking the lock. Returns 1 if held (with *pid_out,
 * if not NULL, set from the file's contents, 0 if unreadable), 0 if not held
 * or the file does not exist, -1 with why on other errors.
 */
int proc_lock_holder_alive(const char *path, pid_t *pid_out, struct buf *why);

/* ---- privileges ----------------------------------------------------------- */

/*
 * Becomes uid:gid for good: supplementary groups = {gid}, real, effective
 * and saved ids all set. Afterwards verifies the ids and, for a non-root
 * uid, that setuid(0) fails (fatal if it does not). When not root and
 * already running as uid (real and effective), it changes nothing and
 * returns 0. Returns -1 with why when the change is impossible; the caller
 * must not go on to handle input then.
 */
int proc_drop_privileges(uid_t uid, gid_t gid, struct buf *why);

/* chroot(path) then chdir("/") inside it. Returns 0 or -1 with why. */
int proc_chroot(const char *path, struct buf *why);

/* Looks a user up by name or numeric id (a name is tried first). gid_out
 * (may be NULL) receives the primary group; a numeric id without a passwd
 * entry is accepted only when gid_out is NULL. Returns 0, or -1 with why. */
int proc_lookup_user(const char *name, uid_t *uid_out, gid_t *gid_out, struct buf *why);

/* Looks a group up by name or numeric id (a name is tried first; any
 * numeric id is accepted). Returns 0, or -1 with why. */
int proc_lookup_group(const char *name, gid_t *gid_out, struct buf *why);

/* ---- signals ---------------------------------------------------------------- */

/*
 * Installs handler for sig without SA_RESTART: a blocking read(), accept()
 * or wait() is interrupted with EINTR, so a loop that blocks learns of the
 * signal at once instead of sleeping on with a flag set. All other signals
 * are blocked while the handler runs. handler may be SIG_IGN or SIG_DFL.
 * SIGCHLD gets SA_NOCLDSTOP: only children that end need attention.
 * Returns 0 or -1 (errno from sigaction).
 */
int proc_signal(int sig, void (*handler)(int));

/* A write to a closed socket or pipe must be an EPIPE error to handle, not
 * a silent death. Returns 0 or -1. */
int proc_ignore_sigpipe(void);

/*
 * Self-pipe for event loops. proc_sigpipe_open() creates the pipe (both ends
 * non-blocking, close-on-exec) and returns the read end to watch for input;
 * proc_sigpipe_catch() routes sig to it: the handler marks sig pending and
 * writes one byte. proc_sigpipe_collect() drains the pipe and moves the
 * pending signals into *got (emptied first), returning how many there were;
 * a signal is never lost, even if the pipe was full, but several deliveries
 * of one signal between two calls count once (SIGCHLD callers reap with
 * WNOHANG until none is left). proc_sigpipe_close() restores the default
 * actions and closes the pipe: a forked child must call it before it does
 * anything else, or its signals would wake its parent's loop.
 */
int proc_sigpipe_open(struct buf *why);
int proc_sigpipe_catch(int sig, struct buf *why);
int proc_sigpipe_collect(sigset_t *got);
void proc_sigpipe_close(void);

/* ---- descriptors ------------------------------------------------------------- */

/* Closes every descriptor >= lowfd except the nkeep ones in keep (which may
 * be NULL when nkeep is 0). Returns 0, or -1 (errno) if it could not. */
int proc_close_fds_from(int lowfd, const int *keep, size_t nkeep);

#endif
