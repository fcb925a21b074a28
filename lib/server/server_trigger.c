/*
 * server_trigger.c - the trigger skeleton (see server.h): qmgr and pickup
 * wait for short "something changed" messages ("W" wakeup from the
 * master's timer, "F" flush, ...) on a fifo, a unix-dgram socket, or a
 * unix/inet stream socket (one connection carries one trigger).
 *
 * A trigger is only a hint to look at the queue, so a lost or truncated
 * one is harmless; what must never happen is a process stuck on a client
 * that connects and sends nothing, hence the bounded read below.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server_private.h"
#include "server/trigger.h"
#include "util/events.h"
#include "util/msg.h"
#include "util/sock.h"

/* How long a stream client may take to send its trigger and close. */
#define TRIGGER_READ_TIMEOUT_MS 10000

static server_trigger_fn trigger_service;

static void trigger_deliver(const char *data, size_t len)
{
    server_request_begin();
    trigger_service(data, len, server_state.service_name, server_state.argv);
    if (server_request_end())
        server_exit();
    server_pre_accept();
}

/* Reads a stream client's trigger: until end of file, TRIGGER_MAX_LEN
 * bytes or the timeout, whichever comes first. */
static size_t trigger_read_stream(int fd, char *data)
{
    int64_t deadline = event_clock_ms() + TRIGGER_READ_TIMEOUT_MS;
    struct pollfd pfd;
    size_t len = 0;
    int64_t left;
    ssize_t n;

    (void)sock_set_nonblock(fd, 1);
    while (len < TRIGGER_MAX_LEN) {
        n = read(fd, data + len, TRIGGER_MAX_LEN - len);
        if (n > 0) {
            len += (size_t)n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            break;
        if ((left = deadline - event_clock_ms()) <= 0)
            break;
        pfd.fd = fd;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
            break;
    }
    return len;
}

static void trigger_stream_event(int listen_fd, void *ctx)
{
    char data[TRIGGER_MAX_LEN];
    size_t len;
    int fd;

    (void)ctx;
    if ((fd = server_accept(listen_fd)) < 0)
        return;
    len = trigger_read_stream(fd, data);
    (void)close(fd);
    if (len > 0)
        trigger_deliver(data, len);
}

/* fifo and unix-dgram: each read is one trigger. The master holds the
 * fifo open for writing, so end of file does not happen; EAGAIN means
 * another process of this service read it first. */
static void trigger_packet_event(int fd, void *ctx)
{
    char data[TRIGGER_MAX_LEN];
    ssize_t n;

    (void)ctx;
    n = read(fd, data, sizeof(data));
    if (n > 0) {
        trigger_deliver(data, (size_t)n);
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        msg_warn("read trigger on descriptor %d: %s", fd, strerror(errno));
    }
}

/* Stand-alone: every read of stdin is one trigger, until end of file. */
__attribute__((noreturn)) static void trigger_standalone(void)
{
    char data[TRIGGER_MAX_LEN];
    ssize_t n;

    for (;;) {
        server_pre_accept();
        n = read(STDIN_FILENO, data, sizeof(data));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        trigger_service(data, (size_t)n, server_state.service_name, server_state.argv);
        (void)server_count_use();
    }
    server_exit();
}

void server_trigger_main(int argc, char **argv, server_trigger_fn service,
                         const struct server_hooks *hooks)
{
    event_fd_fn handler = trigger_stream_event;
    int i;

    trigger_service = service;
    server_common_init(argc, argv, hooks, "trigger", 0);
    if (server_state.standalone)
        trigger_standalone();
    if (strcmp(server_state.transport, "fifo") == 0 ||
        strcmp(server_state.transport, "unix-dgram") == 0)
        handler = trigger_packet_event;
    server_common_ready();
    for (i = 0; i < server_state.listen_count; i++)
        if (event_add_read(server_state.loop, server_state.listen_fd[i], handler, NULL) < 0)
            msg_fatal("watch descriptor %d: %s", server_state.listen_fd[i], strerror(errno));
    server_pre_accept();
    event_loop_run(server_state.loop);
    server_exit();
}
