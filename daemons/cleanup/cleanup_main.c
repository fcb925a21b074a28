/*
 * cleanup_main.c - the cleanup daemon: turns one cleanup conversation
 * (lib/mail/cleanup_proto.h) from smtpd, pickup or bounce into one queue
 * file in incoming/, then wakes qmgr.
 *
 * A multi-client server (lib/server/server.h): on connect the queue file
 * is created and its ID announced, each request is one attribute message
 * handled by one callback, and "end" is answered only after the file is
 * fsync'ed and marked complete (cleanup_finish()). A client that goes
 * away, a malformed or out-of-order request, or a write error removes the
 * unfinished file; nothing is ever guessed (fail closed).
 */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "cleanup_hooks.h"
#include "conf/conf.h"
#include "server/instance.h"
#include "server/server.h"
#include "util/attr_io.h"
#include "util/safe_open.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"
#include "util/stream.h"

/* An unfinished file is someone else's only while younger than this
 * (seconds): the time between the rename of a new file and its lock is
 * microseconds, so any margin above that is safe. */
#define CLEANUP_SWEEP_MIN_AGE 5

struct cleanup_config cleanup_config;

/* One connection. */
struct cleanup_conn {
    struct cleanup_state *state;
    struct attr_msg msg;
    struct buf scratch;
    struct buf out;
};

static void cleanup_conn_free(struct cleanup_conn *conn)
{
    if (conn == NULL)
        return;
    cleanup_state_free(conn->state);
    attr_msg_free(&conn->msg);
    buf_release(&conn->scratch);
    buf_release(&conn->out);
    mem_free(conn);
}

/* Sends the final status; the conversation is over either way. */
static void cleanup_reply(struct stream *client, struct cleanup_conn *conn, int status,
                          const char *reason)
{
    struct buf err = BUF_INIT;

    buf_reset(&conn->out);
    cleanup_encode_status(&conn->out, status, reason, conn->state->queue_id);
    if (attr_io_write(client, &conn->out, &err) < 0)
        msg_warn("%s: cannot send status %d to client: %s", conn->state->queue_id, status,
                 buf_str(&err));
    buf_release(&err);
    server_multi_disconnect(client);
}

/* The client broke the protocol: no file, a PROTO status, goodbye. */
static void cleanup_proto_error(struct stream *client, struct cleanup_conn *conn, const char *why)
{
    struct buf text = BUF_INIT;

    buf_printf(&text, "protocol error: %s", why);
    cleanup_abandon(conn->state, buf_str(&text));
    cleanup_reply(client, conn, CLEANUP_STAT_PROTO, CLEANUP_REASON_PROTO);
    buf_release(&text);
}

static void cleanup_handle(struct stream *client, struct cleanup_conn *conn, enum cleanup_req req)
{
    struct cleanup_state *state = conn->state;
    struct cleanup_envelope env;
    struct cleanup_end end;
    struct cleanup_rcpt *rcpt;
    struct buf err = BUF_INIT;
    const char *data;
    size_t count, len;
    int status;

    switch (req) {
    case CLEANUP_REQ_ENV:
        if (state->phase != CLEANUP_PHASE_ENV) {
            cleanup_proto_error(client, conn, "unexpected env request");
        } else if (cleanup_decode_env(&conn->msg, &env, &err) < 0) {
            cleanup_proto_error(client, conn, buf_str(&err));
        } else {
            cleanup_envelope(state, &env);
            cleanup_envelope_free(&env);
            state->phase = CLEANUP_PHASE_RCPT;
        }
        break;
    case CLEANUP_REQ_RCPT:
        if (state->phase != CLEANUP_PHASE_RCPT) {
            cleanup_proto_error(client, conn, "unexpected rcpt request");
        } else if (cleanup_decode_rcpt(&conn->msg, &rcpt, &count, &err) < 0) {
            cleanup_proto_error(client, conn, buf_str(&err));
        } else {
            cleanup_recipients(state, rcpt, count);
            cleanup_rcpt_free(rcpt, count);
        }
        break;
    case CLEANUP_REQ_DATA:
        if (state->phase != CLEANUP_PHASE_RCPT && state->phase != CLEANUP_PHASE_CONTENT) {
            cleanup_proto_error(client, conn, "unexpected data request");
        } else if (cleanup_decode_data(&conn->msg, &data, &len, &err) < 0) {
            cleanup_proto_error(client, conn, buf_str(&err));
        } else {
            cleanup_content(state, data, len);
        }
        break;
    case CLEANUP_REQ_END:
        if (state->phase == CLEANUP_PHASE_ENV) {
            cleanup_proto_error(client, conn, "end request before env");
            break;
        }
        if (cleanup_decode_end(&conn->msg, &end, &err) < 0) {
            cleanup_proto_error(client, conn, buf_str(&err));
            break;
        }
        cleanup_end_options(state, &end);
        cleanup_end_free(&end);
        status = cleanup_finish(state);
        cleanup_reply(client, conn, status, status ? buf_str(&state->reason) : "");
        break;
    }
    buf_release(&err);
}

static void cleanup_service(struct stream *client, const char *service_name, char **argv)
{
    struct cleanup_conn *conn = server_multi_context(client);
    struct buf err = BUF_INIT;
    enum cleanup_req req;

    (void)service_name;
    (void)argv;
    if (conn == NULL || conn->state->phase == CLEANUP_PHASE_DONE) {
        server_multi_disconnect(client);
        return;
    }
    if (attr_io_read(client, &conn->msg, &conn->scratch, &err) < 0) {
        /* End of file, timeout or a malformed message: nobody to answer. */
        buf_printf(&err, " before end of message");
        cleanup_abandon(conn->state, buf_str(&err));
        server_multi_disconnect(client);
    } else if (cleanup_decode_req(&conn->msg, &req, &err) < 0) {
        cleanup_proto_error(client, conn, buf_str(&err));
    } else {
        cleanup_handle(client, conn, req);
    }
    attr_msg_free(&conn->msg);
    buf_release(&err);
}

static void cleanup_connect(struct stream *client, const char *service_name, char **argv)
{
    struct cleanup_conn *conn;
    struct attr_limits lim;
    struct buf err = BUF_INIT;

    (void)service_name;
    (void)argv;
    conn = mem_calloc(1, sizeof(*conn));
    buf_init(&conn->scratch);
    buf_init(&conn->out);
    cleanup_attr_limits(&lim);
    attr_msg_init(&conn->msg, &lim);
    stream_set_timeout(client, var_ipc_timeout * 1000L);
    if ((conn->state = cleanup_state_create(&err)) == NULL) {
        msg_warn("%s", buf_str(&err));
        cleanup_conn_free(conn);
        server_multi_disconnect(client);
        buf_release(&err);
        return;
    }
    server_multi_set_context(client, conn);
    attr_put_announce(&conn->out, CLEANUP_PROTO_NAME, CLEANUP_PROTO_VERSION);
    attr_put_cstr(&conn->out, "queue_id", conn->state->queue_id);
    attr_put_end(&conn->out);
    if (attr_io_write(client, &conn->out, &err) < 0) {
        cleanup_abandon(conn->state, buf_str(&err));
        server_multi_disconnect(client);
    }
    buf_release(&err);
}

static void cleanup_disconnect(struct stream *client, const char *service_name, char **argv)
{
    struct cleanup_conn *conn = server_multi_context(client);

    (void)service_name;
    (void)argv;
    if (conn == NULL)
        return;
    if (conn->state->phase != CLEANUP_PHASE_DONE)
        cleanup_abandon(conn->state, "connection closed before end of message");
    cleanup_conn_free(conn);
    server_multi_set_context(client, NULL);
}

static void cleanup_pre_init(const char *service_name, char **argv)
{
    char *list, *cursor, *name;

    (void)service_name;
    (void)argv;
    if (instance_nonroot()) {
        cleanup_config.owner_uid = SAFE_OPEN_ANY_UID;
        cleanup_config.owner_gid = SAFE_OPEN_ANY_GID;
    } else {
        instance_owner_ids(&cleanup_config.owner_uid, &cleanup_config.owner_gid);
    }
    cleanup_config.drop_headers = htable_new(8);
    list = mem_strdup(var_message_drop_headers);
    for (cursor = list; (name = str_token(&cursor, STR_LIST_SEP)) != NULL;)
        htable_put(cleanup_config.drop_headers, str_lower(name), NULL);
    mem_free(list);
}

static void cleanup_post_init(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    /* The skeleton has made queue_directory the working directory, and it
     * may be the root of a chroot: paths are relative to it. */
    cleanup_config.qd = queue_dir_from_conf_cwd();
    cleanup_hooks_init();
    cleanup_sweep(CLEANUP_SWEEP_MIN_AGE);
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .pre_init = cleanup_pre_init,
        .post_init = cleanup_post_init,
        .on_connect = cleanup_connect,
        .pre_disconnect = cleanup_disconnect,
    };

    server_multi_main(argc, argv, cleanup_service, &hooks);
}
