/*
 * server_single.c - the single-client skeleton (see server.h): accept one
 * connection at a time on the master's listeners and hand it to the
 * daemon's callback.
 *
 * Used by smtpd, the delivery agents and any daemon whose request is one
 * connection. The process reports BUSY for the whole connection, so the
 * master can start another process for the next client. The event loop
 * runs only between clients, so a reload or master exit is acted on when
 * the current client is done, never in the middle of it.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "server/server_private.h"
#include "util/events.h"
#include "util/msg.h"
#include "util/stream.h"

static server_single_fn single_service;

/* Runs the callback on one connection and closes it. */
static void single_serve(int fd)
{
    struct stream *client = stream_open_fd(fd, 1);

    single_service(client, server_state.service_name, server_state.argv);
    (void)stream_close(client);
}

static void single_accept(int listen_fd, void *ctx)
{
    int fd;

    (void)ctx;
    if ((fd = server_accept(listen_fd)) < 0)
        return;
    server_request_begin();
    single_serve(fd);
    if (server_request_end())
        server_exit();
    server_pre_accept();
}

void server_single_main(int argc, char **argv, server_single_fn service,
                        const struct server_hooks *hooks)
{
    int i;

    single_service = service;
    server_common_init(argc, argv, hooks, "single-client", 1);
    if (server_state.standalone) {
        server_pre_accept();
        single_serve(server_standalone_fd());
        server_exit();
    }
    server_common_ready();
    for (i = 0; i < server_state.listen_count; i++)
        if (event_add_read(server_state.loop, server_state.listen_fd[i], single_accept, NULL) < 0)
            msg_fatal("watch descriptor %d: %s", server_state.listen_fd[i], strerror(errno));
    server_pre_accept();
    event_loop_run(server_state.loop);
    server_exit();
}
