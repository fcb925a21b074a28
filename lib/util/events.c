/*
 * events.c - single-threaded epoll event loop with timers (see events.h).
 *
 * Each fd slot carries a generation number that is also stored in the epoll
 * event data; a pending event whose generation no longer matches (the fd was
 * removed, perhaps re-added, by an earlier callback of the same round) is
 * dropped. Timers live in a list sorted by (deadline, sequence): daemons
 * hold a handful of timers, so O(n) insertion beats a heap's bookkeeping.
 * This file must never call a callback through a pointer it read before an
 * earlier callback of the same round ran (the fd table may have moved).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "mem.h"
#include "msg.h"

#define EVENT_BATCH 64 /* epoll events fetched per round */

struct event_fd {
    event_fd_fn read_cb;
    void *read_ctx;
    event_fd_fn write_cb;
    void *write_ctx;
    uint32_t mask; /* EPOLLIN/EPOLLOUT currently registered with the kernel */
    uint32_t gen;  /* bumped when the fd is fully removed */
};

struct event_timer {
    int64_t deadline;
    uint64_t seq; /* tie-breaker and "set during this round" marker */
    event_timer_fn cb;
    void *ctx;
    struct event_timer *next;
};

struct event_loop {
    int epfd;
    struct event_fd *fds; /* indexed by fd */
    size_t nfds;
    struct event_timer *timers; /* sorted by (deadline, seq) */
    uint64_t timer_seq;
    volatile sig_atomic_t stop;
    int running;
    struct epoll_event events[EVENT_BATCH];
};

int64_t event_clock_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        msg_fatal("clock_gettime(CLOCK_MONOTONIC): %m");
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct event_loop *event_loop_new(void)
{
    struct event_loop *loop = mem_calloc(1, sizeof(*loop));

    if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        msg_fatal("epoll_create1: %m");
    return loop;
}

void event_loop_free(struct event_loop *loop)
{
    struct event_timer *t;

    if (loop == NULL)
        return;
    if (loop->running)
        msg_panic("event_loop_free: called from inside a callback");
    while ((t = loop->timers) != NULL) {
        loop->timers = t->next;
        mem_free(t);
    }
    (void)close(loop->epfd);
    mem_free(loop->fds);
    mem_free(loop);
}

/* Returns the slot for fd, growing the table as needed. */
static struct event_fd *event_slot(struct event_loop *loop, int fd)
{
    size_t n;

    if (fd < 0)
        msg_panic("event: negative fd %d", fd);
    if ((size_t)fd >= loop->nfds) {
        n = loop->nfds ? loop->nfds : 16;
        while (n <= (size_t)fd)
            n = mem_size_mul(n, 2);
        loop->fds = mem_realloc_array(loop->fds, n, sizeof(*loop->fds));
        memset(loop->fds + loop->nfds, 0, (n - loop->nfds) * sizeof(*loop->fds));
        loop->nfds = n;
    }
    return &loop->fds[fd];
}

/*
 * Tells the kernel about the new interest mask. The table may be out of step
 * with the kernel when a caller closed an fd without removing it first (the
 * kernel then forgot it), so ENOENT on MOD retries as ADD and EEXIST on ADD
 * retries as MOD; removing a closed fd is not an error.
 */
static int event_sync(struct event_loop *loop, int fd, struct event_fd *slot, uint32_t mask)
{
    struct epoll_event ev;
    int op;
    int ret;

    if (mask == slot->mask)
        return 0;
    memset(&ev, 0, sizeof(ev));
    if (mask == 0) {
        if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, &ev) < 0 && errno != ENOENT && errno != EBADF)
            msg_warn("epoll_ctl DEL fd %d: %m", fd);
        slot->mask = 0;
        slot->gen++;
        return 0;
    }
    ev.events = mask;
    ev.data.u64 = ((uint64_t)slot->gen << 32) | (uint32_t)fd;
    op = slot->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    ret = epoll_ctl(loop->epfd, op, fd, &ev);
    if (ret < 0 && op == EPOLL_CTL_MOD && errno == ENOENT)
        ret = epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
    else if (ret < 0 && op == EPOLL_CTL_ADD && errno == EEXIST)
        ret = epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev);
    if (ret < 0)
        return -1;
    slot->mask = mask;
    return 0;
}

int event_add_read(struct event_loop *loop, int fd, event_fd_fn cb, void *ctx)
{
    struct event_fd *slot = event_slot(loop, fd);

    if (event_sync(loop, fd, slot, slot->mask | EPOLLIN) < 0)
        return -1;
    slot->read_cb = cb;
    slot->read_ctx = ctx;
    return 0;
}

int event_add_write(struct event_loop *loop, int fd, event_fd_fn cb, void *ctx)
{
    struct event_fd *slot = event_slot(loop, fd);

    if (event_sync(loop, fd, slot, slot->mask | EPOLLOUT) < 0)
        return -1;
    slot->write_cb = cb;
    slot->write_ctx = ctx;
    return 0;
}

/* Drops the directions in mask; a failed MOD (the fd was closed behind our
 * back) degrades to a full removal, which is what the caller wanted anyway. */
static void event_drop(struct event_loop *loop, int fd, uint32_t mask)
{
    struct event_fd *slot;
    uint32_t want;

    if (fd < 0 || (size_t)fd >= loop->nfds)
        return;
    slot = &loop->fds[fd];
    if (mask & EPOLLIN) {
        slot->read_cb = NULL;
        slot->read_ctx = NULL;
    }
    if (mask & EPOLLOUT) {
        slot->write_cb = NULL;
        slot->write_ctx = NULL;
    }
    want = slot->mask & ~mask;
    if (event_sync(loop, fd, slot, want) < 0)
        (void)event_sync(loop, fd, slot, 0);
}

void event_remove_read(struct event_loop *loop, int fd)
{
    event_drop(loop, fd, EPOLLIN);
}

void event_remove_write(struct event_loop *loop, int fd)
{
    event_drop(loop, fd, EPOLLOUT);
}

void event_remove(struct event_loop *loop, int fd)
{
    event_drop(loop, fd, EPOLLIN | EPOLLOUT);
}

/* Unlinks the timer for (cb, ctx) and returns it, or NULL. */
static struct event_timer *event_timer_unlink(struct event_loop *loop, event_timer_fn cb, void *ctx)
{
    struct event_timer **pp;
    struct event_timer *t;

    for (pp = &loop->timers; (t = *pp) != NULL; pp = &t->next) {
        if (t->cb == cb && t->ctx == ctx) {
            *pp = t->next;
            return t;
        }
    }
    return NULL;
}

void event_timer_set(struct event_loop *loop, long delay_ms, event_timer_fn cb, void *ctx)
{
    struct event_timer *t;
    struct event_timer **pp;

    if (cb == NULL)
        msg_panic("event_timer_set: null callback");
    if ((t = event_timer_unlink(loop, cb, ctx)) == NULL)
        t = mem_alloc(sizeof(*t));
    t->deadline = event_clock_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->seq = loop->timer_seq++;
    t->cb = cb;
    t->ctx = ctx;
    /* Insert after every timer with the same or an earlier deadline. */
    for (pp = &loop->timers; *pp != NULL && (*pp)->deadline <= t->deadline; pp = &(*pp)->next)
        ;
    t->next = *pp;
    *pp = t;
}

long event_timer_cancel(struct event_loop *loop, event_timer_fn cb, void *ctx)
{
    struct event_timer *t = event_timer_unlink(loop, cb, ctx);
    int64_t left;

    if (t == NULL)
        return -1;
    left = t->deadline - event_clock_ms();
    mem_free(t);
    if (left < 0)
        return 0;
    return left > LONG_MAX ? LONG_MAX : (long)left;
}

/* The epoll_wait timeout: the caller's limit or the next deadline. */
static int event_wait_ms(const struct event_loop *loop, long max_wait_ms)
{
    int64_t wait = max_wait_ms;
    int64_t until;

    if (loop->timers != NULL) {
        until = loop->timers->deadline - event_clock_ms();
        if (until < 0)
            until = 0;
        if (wait < 0 || until < wait)
            wait = until;
    }
    if (wait < 0)
        return -1;
    return wait > INT_MAX ? INT_MAX : (int)wait;
}

/* Delivers one epoll event; returns the number of callbacks run. The slot
 * is looked up again after each callback, which may have changed it. */
static int event_dispatch(struct event_loop *loop, const struct epoll_event *ev)
{
    int fd = (int)(uint32_t)(ev->data.u64 & 0xffffffffu);
    uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
    struct event_fd *slot;
    event_fd_fn cb;
    int ran = 0;

    if ((size_t)fd >= loop->nfds)
        return 0;
    slot = &loop->fds[fd];
    if (slot->gen == gen && slot->read_cb != NULL &&
        (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        cb = slot->read_cb;
        cb(fd, slot->read_ctx);
        ran++;
        slot = &loop->fds[fd];
    }
    if (slot->gen == gen && slot->write_cb != NULL &&
        (ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
        cb = slot->write_cb;
        cb(fd, slot->write_ctx);
        ran++;
    }
    return ran;
}

/* Runs the timers that are due now and were set before this round began. */
static int event_run_timers(struct event_loop *loop)
{
    uint64_t round = loop->timer_seq;
    int64_t now = event_clock_ms();
    struct event_timer *t;
    event_timer_fn cb;
    void *ctx;
    int ran = 0;

    /* Timers set during the round sort after every older due timer (their
     * deadline is >= now and ties go to the older one), so stopping at the
     * first new timer skips no old one. */
    while ((t = loop->timers) != NULL && t->deadline <= now && t->seq < round) {
        loop->timers = t->next;
        cb = t->cb;
        ctx = t->ctx;
        mem_free(t);
        cb(ctx);
        ran++;
    }
    return ran;
}

int event_loop_run_once(struct event_loop *loop, long max_wait_ms)
{
    int n;
    int i;
    int ran = 0;

    if (loop->running)
        msg_panic("event_loop_run_once: nested call from a callback");
    loop->running = 1;
    n = epoll_wait(loop->epfd, loop->events, EVENT_BATCH, event_wait_ms(loop, max_wait_ms));
    if (n < 0) {
        if (errno != EINTR)
            msg_fatal("epoll_wait: %m");
        n = 0;
    }
    for (i = 0; i < n; i++)
        ran += event_dispatch(loop, &loop->events[i]);
    ran += event_run_timers(loop);
    loop->running = 0;
    return ran;
}

void event_loop_run(struct event_loop *loop)
{
    while (!loop->stop)
        (void)event_loop_run_once(loop, -1);
    loop->stop = 0;
}

void event_loop_stop(struct event_loop *loop)
{
    loop->stop = 1;
}
