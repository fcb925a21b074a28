/*
 * anvil.c - the anvil daemon: connection count and rate counters per client
 * for smtpd (master.cf: "anvil unix - - n - 1 anvil", one process).
 *
 * Serves the anvil protocol (lib/mail/anvil_proto.h) to any number of
 * clients on one event loop (server_multi_main). The counters live in
 * anvil_table.c. A connection registered over a client stream belongs to
 * that stream: when an smtpd dies without disconnecting, its connections
 * are taken away when its stream closes, so counts never leak. Statistics
 * are logged every anvil_status_update_time and at exit; idle entries are
 * swept every anvil_rate_time_unit. anvil only counts: it never decides
 * (lib/mail/anvil_policy.h does, in smtpd) and never blocks on a client
 * longer than ipc_timeout.
 */
#include <stdint.h>
#include <time.h>

#include "anvil_table.h"
#include "conf/param.h"
#include "mail/anvil_proto.h"
#include "server/server.h"
#include "util/attr_io.h"
#include "util/events.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/stream.h"

/* One client stream: its decoder state, and the connections it registered
 * (ident -> count, stored in the pointer, never 0). */
struct anvil_conn {
    struct attr_msg msg;
    struct buf scratch;
    struct buf out;
    struct htable *owned;
};

static struct anvil_table *anvil_counters;

static uintptr_t anvil_owned(const struct anvil_conn *conn, const char *ident)
{
    return (uintptr_t)htable_get(conn->owned, ident);
}

static void anvil_set_owned(struct anvil_conn *conn, const char *ident, uintptr_t n)
{
    if (n == 0)
        htable_remove(conn->owned, ident);
    else
        htable_put(conn->owned, ident, (void *)n);
}

static void anvil_service(struct stream *client, const char *service_name, char **argv)
{
    struct anvil_conn *conn = server_multi_context(client);
    struct anvil_request req;
    struct anvil_reply reply = {.status = ANVIL_STAT_OK};
    struct buf err = BUF_INIT;
    int64_t now = event_clock_ms();

    (void)service_name;
    (void)argv;
    if (conn == NULL) {
        server_multi_disconnect(client);
        return;
    }
    if (attr_io_read(client, &conn->msg, &conn->scratch, &err) < 0) {
        /* End of file is how clients say goodbye; anything else is worth
         * a line, and in both cases there is nobody left to answer. */
        if (stream_error(client) != STREAM_EOF)
            msg_warn("anvil client: %s", buf_str(&err));
        server_multi_disconnect(client);
        buf_release(&err);
        return;
    }
    if (anvil_decode_request(&conn->msg, &req, &err) < 0) {
        msg_warn("anvil client: %s", buf_str(&err));
        server_multi_disconnect(client);
        buf_release(&err);
        return;
    }
    if (req.type == ANVIL_REQ_DISCONNECT) {
        uintptr_t n = anvil_owned(conn, req.ident);

        /* Only what this stream registered may be taken away. */
        if (n > 0) {
            anvil_set_owned(conn, req.ident, n - 1);
            anvil_table_apply(anvil_counters, req.type, req.ident, now, time(NULL), &reply.counts);
        } else {
            anvil_table_apply(anvil_counters, ANVIL_REQ_LOOKUP, req.ident, now, time(NULL),
                              &reply.counts);
        }
    } else {
        anvil_table_apply(anvil_counters, req.type, req.ident, now, time(NULL), &reply.counts);
        if (req.type == ANVIL_REQ_CONNECT)
            anvil_set_owned(conn, req.ident, anvil_owned(conn, req.ident) + 1);
    }
    if (msg_verbose)
        msg_info("%s %s: count=%u rate=%u", anvil_req_name(req.type), req.ident,
                 (unsigned)reply.counts.count, (unsigned)reply.counts.rate);
    buf_reset(&conn->out);
    anvil_encode_reply(&conn->out, &reply);
    if (attr_io_write(client, &conn->out, &err) < 0) {
        msg_warn("anvil client: %s", buf_str(&err));
        server_multi_disconnect(client);
    }
    buf_release(&err);
}

static void anvil_connect(struct stream *client, const char *service_name, char **argv)
{
    struct anvil_conn *conn = mem_calloc(1, sizeof(*conn));
    struct attr_limits lim;
    struct buf err = BUF_INIT;

    (void)service_name;
    (void)argv;
    anvil_attr_limits(&lim);
    attr_msg_init(&conn->msg, &lim);
    buf_init(&conn->scratch);
    buf_init(&conn->out);
    conn->owned = htable_new(4);
    server_multi_set_context(client, conn);
    stream_set_timeout(client, var_ipc_timeout * 1000L);
    attr_put_announce(&conn->out, ANVIL_PROTO_NAME, ANVIL_PROTO_VERSION);
    attr_put_end(&conn->out);
    if (attr_io_write(client, &conn->out, &err) < 0) {
        msg_warn("anvil client: %s", buf_str(&err));
        server_multi_disconnect(client);
    }
    buf_release(&err);
}

static void anvil_disconnect(struct stream *client, const char *service_name, char **argv)
{
    struct anvil_conn *conn = server_multi_context(client);
    struct htable_entry **all;
    size_t n, i;

    (void)service_name;
    (void)argv;
    if (conn == NULL)
        return;
    all = htable_sorted(conn->owned, &n);
    for (i = 0; i < n; i++)
        anvil_table_release(anvil_counters, all[i]->key, (uint32_t)(uintptr_t)all[i]->value,
                            event_clock_ms());
    mem_free(all);
    htable_free(conn->owned, NULL);
    attr_msg_free(&conn->msg);
    buf_release(&conn->scratch);
    buf_release(&conn->out);
    mem_free(conn);
    server_multi_set_context(client, NULL);
}

static void anvil_sweep_timer(void *ctx)
{
    (void)ctx;
    anvil_table_sweep(anvil_counters, event_clock_ms());
    event_timer_set(server_event_loop(), var_anvil_rate_time_unit * 1000L, anvil_sweep_timer, NULL);
}

static void anvil_status_timer(void *ctx)
{
    (void)ctx;
    anvil_table_report(anvil_counters);
    event_timer_set(server_event_loop(), var_anvil_status_update_time * 1000L, anvil_status_timer,
                    NULL);
}

static void anvil_post_init(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    anvil_counters = anvil_table_new((int64_t)var_anvil_rate_time_unit * 1000);
    if (server_event_loop() != NULL) {
        event_timer_set(server_event_loop(), var_anvil_rate_time_unit * 1000L, anvil_sweep_timer,
                        NULL);
        event_timer_set(server_event_loop(), var_anvil_status_update_time * 1000L,
                        anvil_status_timer, NULL);
    }
}

static void anvil_pre_exit(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    if (anvil_counters != NULL)
        anvil_table_report(anvil_counters);
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .post_init = anvil_post_init,
        .on_connect = anvil_connect,
        .pre_disconnect = anvil_disconnect,
        .pre_exit = anvil_pre_exit,
    };

    server_multi_main(argc, argv, anvil_service, &hooks);
}
