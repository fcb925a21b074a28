/*
 * cleanup_state.c - life of one message in the cleanup daemon: the queue
 * file is created when the client connects, and cleanup_finish() either
 * makes it durable and visible or removes it.
 *
 * Called by cleanup_main.c. The order in cleanup_finish() is the contract
 * of DESIGN.md section 3: the status that lets smtpd say "250" is returned
 * only after queue_file_finish() (one fsync, then the complete bit); a
 * message with any error never leaves a file behind. qmgr is woken after
 * the file is complete, never before.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "conf/conf.h"
#include "server/trigger.h"
#include "util/mem.h"
#include "util/msg.h"

struct cleanup_state *cleanup_state_create(struct buf *err)
{
    struct queue_file_opts opts;
    struct cleanup_state *state;
    struct queue_file *qf;

    queue_file_opts_init(&opts);
    opts.queue = QUEUE_INCOMING;
    opts.uid = cleanup_config.owner_uid;
    opts.gid = cleanup_config.owner_gid;
    opts.chunk = (size_t)var_line_length_limit;
    if ((qf = queue_file_create(cleanup_config.qd, &opts, err)) == NULL)
        return NULL;
    state = mem_calloc(1, sizeof(*state));
    state->qf = qf;
    if (cleanup_lock_file(qf) < 0)
        msg_warn("%s: lock queue file: %s", queue_file_id(qf), strerror(errno));
    if (snprintf(state->queue_id, sizeof(state->queue_id), "%s", queue_file_id(qf)) >=
        (int)sizeof(state->queue_id))
        msg_panic("queue ID %s too long", queue_file_id(qf));
    state->phase = CLEANUP_PHASE_ENV;
    buf_init(&state->reason);
    buf_init(&state->message_id);
    buf_init(&state->scratch);
    buf_init(&state->line);
    addr_list_init(&state->extract_plain);
    addr_list_init(&state->extract_resent);
    addr_list_init(&state->bcc);
    state->dups = htable_new(16);
    return state;
}

void cleanup_state_free(struct cleanup_state *state)
{
    if (state == NULL)
        return;
    if (state->qf)
        queue_file_abort(state->qf);
    header_parser_free(state->hp);
    htable_free(state->dups, NULL);
    addr_list_free(&state->extract_plain);
    addr_list_free(&state->extract_resent);
    mem_free(state->sender);
    mem_free(state->full_name);
    mem_free(state->uid);
    mem_free(state->rewrite_context);
    mem_free(state->client_name);
    mem_free(state->client_address);
    mem_free(state->helo_name);
    mem_free(state->protocol_name);
    mem_free(state->first_rcpt);
    mem_free(state->filter);
    mem_free(state->redirect);
    addr_list_free(&state->bcc);
    mime_scan_free(state->mime);
    buf_release(&state->reason);
    buf_release(&state->message_id);
    buf_release(&state->scratch);
    buf_release(&state->line);
    mem_free(state);
}

void cleanup_set_error(struct cleanup_state *state, int status, const char *reason)
{
    if (state->status == 0)
        buf_set(&state->reason, reason);
    state->status |= status;
}

void cleanup_write_error(struct cleanup_state *state)
{
    if ((state->status & CLEANUP_STAT_WRITE) == 0)
        msg_warn("%s: %s", state->queue_id, queue_file_error(state->qf));
    cleanup_set_error(state, CLEANUP_STAT_WRITE, CLEANUP_REASON_WRITE);
}

void cleanup_abandon(struct cleanup_state *state, const char *why)
{
    if (state->qf == NULL)
        return;
    msg_warn("%s: %s: queue file removed", state->queue_id, why);
    queue_file_abort(state->qf);
    state->qf = NULL;
    state->phase = CLEANUP_PHASE_DONE;
}

/* Wakes qmgr with "I" (new mail in incoming/). qmgr may not run (yet):
 * a missing or dead endpoint is not an error, the queue scan finds the
 * file later. Never blocks. */
static void cleanup_wake_qmgr(void)
{
    struct buf path = BUF_INIT, why = BUF_INIT;
    struct stat st;
    enum trigger_kind kind;

    /* Relative: the working directory is queue_directory (maybe a chroot). */
    buf_set(&path, "public/qmgr");
    if (stat(buf_str(&path), &st) == 0) {
        kind = S_ISFIFO(st.st_mode) ? TRIGGER_FIFO : TRIGGER_UNIX;
        if (trigger_send(kind, buf_str(&path), "I", 1, 1000, &why) < 0 && errno != ENOENT &&
            errno != ECONNREFUSED && errno != EAGAIN && errno != ENXIO)
            msg_warn("wake up qmgr: %s", buf_str(&why));
    }
    buf_release(&path);
    buf_release(&why);
}

int cleanup_finish(struct cleanup_state *state)
{
    if (state->phase == CLEANUP_PHASE_ENV)
        cleanup_set_error(state, CLEANUP_STAT_PROTO, CLEANUP_REASON_PROTO);
    if (state->status == 0)
        cleanup_content_end(state);
    if (state->status == 0 && state->discard) {
        msg_info("%s: discard: message accepted and removed", state->queue_id);
        queue_file_abort(state->qf);
        state->qf = NULL;
        state->phase = CLEANUP_PHASE_DONE;
        return 0;
    }
    if (state->status == 0 && state->rcpt_count == 0)
        cleanup_set_error(state, CLEANUP_STAT_RCPT, CLEANUP_REASON_RCPT);
    /* The one fsync: nothing below may send a status before it. A message
     * to be held goes to hold/ before it is complete, so qmgr never sees it
     * in incoming/; if it cannot, it is refused (4xx), never delivered. */
    if (state->status == 0 &&
        queue_file_finish_in(state->qf, cleanup_config.qd,
                             (state->flags & CLEANUP_FLAG_HOLD) ? QUEUE_HOLD : QUEUE_INCOMING) < 0)
        cleanup_write_error(state);
    if (state->status != 0) {
        /* Nothing of a failed message may stay in the queue. */
        queue_file_abort(state->qf);
        state->qf = NULL;
        state->phase = CLEANUP_PHASE_DONE;
        return state->status;
    }
    if (!(state->flags & CLEANUP_FLAG_HOLD))
        cleanup_wake_qmgr();
    queue_file_close(state->qf);
    state->qf = NULL;
    state->phase = CLEANUP_PHASE_DONE;
    return 0;
}
