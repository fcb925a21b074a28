/*
 * server_multi.c - the multi-client skeleton (see server.h): one event
 * loop serves many connections; the daemon's callback runs whenever a
 * client has input.
 *
 * Used by cleanup and other daemons whose clients keep a connection open
 * across requests. The process is BUSY only while a callback runs. After
 * max_use connections, or when the master goes away, it stops accepting
 * and exits once its clients are gone (or after max_idle seconds), so a
 * client in the middle of a request is never cut off by a reload. A
 * client is freed only outside its own callback.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "server/server_private.h"
#include "util/events.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/stream.h"

struct multi_client {
    struct stream *stream;
    void *context;
    int closing;     /* server_multi_disconnect() was called */
    int in_callback; /* the service callback is running for it */
    struct multi_client *next;
};

static server_multi_fn multi_service;
static struct multi_client *multi_clients;
static size_t multi_count;
static int multi_draining; /* no longer accepting: exit when the last client is gone */

size_t server_multi_client_count(void)
{
    return multi_count;
}

static struct multi_client *multi_find(struct stream *stream)
{
    struct multi_client *c;

    for (c = multi_clients; c; c = c->next)
        if (c->stream == stream)
            return c;
    msg_panic("server_multi: unknown client stream");
}

void server_multi_set_context(struct stream *client, void *context)
{
    multi_find(client)->context = context;
}

void *server_multi_context(struct stream *client)
{
    return multi_find(client)->context;
}

/* Exits when draining and nothing is left; otherwise lets the idle timer
 * run while there are no clients. */
static void multi_check_idle(void)
{
    if (multi_count > 0)
        return;
    if (multi_draining)
        server_exit();
    server_idle_arm();
}

static void multi_close(struct multi_client *client)
{
    struct multi_client **pp;

    if (server_state.hooks->pre_disconnect)
        server_state.hooks->pre_disconnect(client->stream, server_state.service_name,
                                           server_state.argv);
    if (server_state.loop)
        event_remove(server_state.loop, stream_fd(client->stream));
    (void)stream_close(client->stream);
    for (pp = &multi_clients; *pp; pp = &(*pp)->next) {
        if (*pp == client) {
            *pp = client->next;
            break;
        }
    }
    mem_free(client);
    multi_count--;
}

void server_multi_disconnect(struct stream *stream)
{
    struct multi_client *client = multi_find(stream);

    if (client->in_callback) {
        client->closing = 1;
        return;
    }
    multi_close(client);
    multi_check_idle();
}

static void multi_drain_timeout(void *ctx)
{
    (void)ctx;
    if (msg_verbose)
        msg_info("%zu clients still connected after max_idle -- exiting", multi_count);
    server_exit();
}

/* Stops accepting; the master is told BUSY so it starts another process
 * for new clients if it still wants this service. */
static void multi_drain(void)
{
    int i;

    if (multi_draining)
        return;
    multi_draining = 1;
    for (i = 0; i < server_state.listen_count; i++)
        event_remove(server_state.loop, server_state.listen_fd[i]);
    server_report(MASTER_STATUS_BUSY);
    /* Clients that never hang up must not keep a retired process alive. */
    event_timer_set(server_state.loop, server_state.max_idle * 1000, multi_drain_timeout, NULL);
    multi_check_idle();
}

static void multi_readable(int fd, void *ctx)
{
    struct multi_client *client = ctx;

    (void)fd;
    server_request_begin();
    client->in_callback = 1;
    do {
        multi_service(client->stream, server_state.service_name, server_state.argv);
    } while (!client->closing && stream_error(client->stream) == STREAM_OK &&
             stream_pending(client->stream) > 0);
    client->in_callback = 0;
    if (client->closing)
        multi_close(client);
    alarm(0);
    /* A draining process has told the master BUSY for good. */
    if (!multi_draining)
        server_report(MASTER_STATUS_AVAIL);
    if (server_state.master_gone)
        multi_drain();
    multi_check_idle();
}

static struct multi_client *multi_add(int fd)
{
    struct multi_client *client = mem_calloc(1, sizeof(*client));

    client->stream = stream_open_fd(fd, 1);
    client->next = multi_clients;
    multi_clients = client;
    multi_count++;
    return client;
}

static void multi_accept(int listen_fd, void *ctx)
{
    struct multi_client *client;
    int fd;

    (void)ctx;
    if ((fd = server_accept(listen_fd)) < 0)
        return;
    server_idle_cancel();
    client = multi_add(fd);
    if (event_add_read(server_state.loop, fd, multi_readable, client) < 0)
        msg_fatal("watch client descriptor %d: %s", fd, strerror(errno));
    if (server_state.hooks->on_connect)
        server_state.hooks->on_connect(client->stream, server_state.service_name,
                                       server_state.argv);
    if (server_count_use()) {
        if (msg_verbose)
            msg_info("accepted %ld clients (max_use) -- exiting when they are done",
                     server_state.use_count);
        multi_drain();
    }
    server_pre_accept();
}

static void multi_master_gone(void)
{
    multi_drain();
}

void server_multi_main(int argc, char **argv, server_multi_fn service,
                       const struct server_hooks *hooks)
{
    struct multi_client *client;
    int i;

    multi_service = service;
    server_common_init(argc, argv, hooks, "multi-client", 1);
    server_set_master_gone_handler(multi_master_gone);
    server_common_ready();
    if (server_state.standalone) {
        /* One client on stdin/stdout; exit when it is gone. */
        multi_draining = 1;
        client = multi_add(server_standalone_fd());
        if (event_add_read(server_state.loop, stream_fd(client->stream), multi_readable, client) <
            0)
            msg_fatal("watch stand-alone client: %s", strerror(errno));
        if (server_state.hooks->on_connect)
            server_state.hooks->on_connect(client->stream, server_state.service_name,
                                           server_state.argv);
    } else {
        for (i = 0; i < server_state.listen_count; i++)
            if (event_add_read(server_state.loop, server_state.listen_fd[i], multi_accept, NULL) <
                0)
                msg_fatal("watch descriptor %d: %s", server_state.listen_fd[i], strerror(errno));
    }
    server_pre_accept();
    event_loop_run(server_state.loop);
    server_exit();
}
