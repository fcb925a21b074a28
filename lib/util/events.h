/*
 * events.h - single-threaded epoll event loop with timers.
 *
 * Used by the master (status pipes, listeners, wakeup and throttle timers),
 * the multi-client servers (cleanup) and the trigger servers (qmgr, pickup).
 * Level-triggered: a callback that does not drain its fd is called again on
 * the next round. Callbacks may add or remove any fd or timer, including
 * ones whose events are pending in the same round: a removed fd's pending
 * events are dropped, never delivered to a later registration of the same
 * fd number. The loop must never be freed from inside one of its callbacks,
 * and it is not thread-safe.
 */
#ifndef POSTERN_UTIL_EVENTS_H
#define POSTERN_UTIL_EVENTS_H

#include <stdint.h>

struct event_loop;

/* fd callbacks get the fd that became ready; hangup and error conditions
 * are reported as readiness (the callback's read() then sees EOF/error). */
typedef void (*event_fd_fn)(int fd, void *ctx);
typedef void (*event_timer_fn)(void *ctx);

/* Milliseconds of CLOCK_MONOTONIC: for deadlines, never for wall time. */
int64_t event_clock_ms(void);

/* The epoll fd is close-on-exec; failure to create it is fatal. */
struct event_loop *event_loop_new(void);
void event_loop_free(struct event_loop *loop);

/* Register interest in fd. Re-adding replaces the callback and context of
 * that direction. Returns 0, or -1 with errno from epoll_ctl (EPERM for a
 * regular file, which epoll cannot watch). */
int event_add_read(struct event_loop *loop, int fd, event_fd_fn cb, void *ctx);
int event_add_write(struct event_loop *loop, int fd, event_fd_fn cb, void *ctx);

/* Drop interest in one direction or both. Removing an fd that is not
 * registered is a no-op. Call event_remove() before close(fd). */
void event_remove_read(struct event_loop *loop, int fd);
void event_remove_write(struct event_loop *loop, int fd);
void event_remove(struct event_loop *loop, int fd);

/* Timers are keyed by (cb, ctx), like Postfix's event_request_timer():
 * setting the same pair again replaces its deadline. Timers fire once, in
 * deadline order (equal deadlines in the order they were set). delay_ms < 0
 * counts as 0. A timer set from inside a timer callback never runs in the
 * same round, even with delay 0, so a zero-delay timer cannot starve I/O. */
void event_timer_set(struct event_loop *loop, long delay_ms, event_timer_fn cb, void *ctx);
/* Returns the milliseconds that were left (>= 0), or -1 if none was set. */
long event_timer_cancel(struct event_loop *loop, event_timer_fn cb, void *ctx);

/* One round: wait at most max_wait_ms (< 0: no limit other than the next
 * timer; 0: poll) for fd events, run the ready fd callbacks, then the due
 * timers. Returns the number of callbacks run (0 after a timeout or a
 * signal interrupted the wait). */
int event_loop_run_once(struct event_loop *loop, long max_wait_ms);
/* Runs rounds until event_loop_stop() is called; the round that calls it
 * completes first. event_loop_stop() only sets a flag, so a signal handler
 * may call it (the signal interrupts the wait and ends the round; a signal
 * that lands just before the wait is seen only after the next event, so a
 * process that must react at once also writes to a self-pipe). Rounds do
 * not nest: calling run_once from inside a callback is a bug (panic). */
void event_loop_run(struct event_loop *loop);
void event_loop_stop(struct event_loop *loop);

#endif
