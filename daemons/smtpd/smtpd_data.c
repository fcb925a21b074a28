/*
 * smtpd_data.c - the message: the cleanup conversation (envelope at the
 * first valid recipient, our Received: header, content), DATA and BDAT.
 *
 * Content goes through lib/smtp/smtp_data (end of DATA, dot-stuffing,
 * smtpd_forbid_bare_newline, line and size limits) straight to cleanup.
 * Invariant: "250 2.0.0 Ok: queued as ID" is sent only after
 * cleanup_client_finish_opts() reported CLEANUP_STAT_OK, i.e. after cleanup
 * fsync'ed the queue file (or, for DISCARD, accepted and removed it); every
 * other outcome abandons the file (cleanup removes it when the connection
 * closes unfinished). Actions decided after the envelope went out (HOLD,
 * DISCARD, FILTER, REDIRECT, BCC) travel in cleanup's "end" request. Bytes a client
 * pipelines after the end of DATA stay in the stream for the command loop.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/conf.h"
#include "mail/cleanup_proto.h"
#include "mail/mail_date.h"
#include "server/instance.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_reply.h"
#include "smtpd.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/stream.h"

#define SMTPD_READ_CHUNK 65536 /* bytes read per BDAT step and per DATA piece */

static void smtpd_env_attr(struct cleanup_envelope *env, const char *name, const char *value)
{
    env->attr = mem_realloc_array(env->attr, env->nattr + 1, sizeof(*env->attr));
    env->attr[env->nattr].name = (char *)name;
    env->attr[env->nattr].value = (char *)value;
    env->nattr++;
}

/* The cleanup socket: public/cleanup (the usual master.cf entry), else private/. */
struct cleanup_client *smtpd_data_connect(struct buf *err)
{
    struct cleanup_client *client;
    struct buf path = BUF_INIT;
    struct stat st;

    instance_service_path(&path, 0, "cleanup");
    if (lstat(buf_str(&path), &st) < 0 || !S_ISSOCK(st.st_mode)) {
        buf_reset(&path);
        instance_service_path(&path, 1, "cleanup");
    }
    client = cleanup_client_open(buf_str(&path), var_ipc_timeout * 1000L, err);
    buf_release(&path);
    return client;
}

int smtpd_data_open(struct smtpd_state *state)
{
    struct cleanup_envelope env;
    const char *encoding = "";

    buf_reset(&state->data_err);
    state->cleanup = smtpd_data_connect(&state->data_err);
    if (state->cleanup == NULL) {
        msg_warn("connect to cleanup service: %s", buf_str(&state->data_err));
        smtpd_reply(state, 451, "4.3.0", "Error: queue file write error");
        return -1;
    }
    msg_info("%s: client=%s", smtpd_queue_id(state), state->namaddr);
    memset(&env, 0, sizeof(env));
    env.sender = state->sender;
    env.flags = state->cleanup_flags | (state->local_client ? CLEANUP_FLAG_LOCAL : 0);
    env.arrival_sec = (long)state->arrival;
    env.arrival_usec = state->arrival_usec;
    env.envid = (char *)(state->mail_params.have_envid ? buf_str(&state->mail_params.envid) : "");
    env.ret = state->mail_params.ret;
    env.smtputf8 = state->mail_params.smtputf8;
    if (state->mail_params.body == SMTP_BODY_7BIT)
        encoding = "7bit";
    else if (state->mail_params.body == SMTP_BODY_8BITMIME)
        encoding = "8bitmime";
    env.encoding = (char *)encoding;
    smtpd_env_attr(&env, "client_name", state->name);
    smtpd_env_attr(&env, "reverse_client_name", state->reverse_name);
    smtpd_env_attr(&env, "client_address", state->addr);
    smtpd_env_attr(&env, "client_port", state->port);
    if (state->helo_name)
        smtpd_env_attr(&env, "helo_name", state->helo_name);
    smtpd_env_attr(&env, "protocol_name", state->protocol);
    smtpd_env_attr(&env, "rewrite_context", state->local_client ? "local" : "remote");
    if (cleanup_client_env(state->cleanup, &env, &state->data_err) < 0) {
        mem_free(env.attr);
        msg_warn("%s: cleanup: %s", smtpd_queue_id(state), buf_str(&state->data_err));
        cleanup_client_close(state->cleanup);
        state->cleanup = NULL;
        smtpd_reply(state, 451, "4.3.0", "Error: queue file write error");
        return -1;
    }
    mem_free(env.attr);
    return 0;
}

int smtpd_data_add_rcpt(struct smtpd_state *state, const struct smtpd_rcpt *rcpt)
{
    struct cleanup_rcpt cr;

    cr.address = rcpt->address;
    cr.orcpt = rcpt->orcpt;
    cr.notify = rcpt->notify;
    buf_reset(&state->data_err);
    return cleanup_client_rcpt(state->cleanup, &cr, 1, &state->data_err);
}

/* smtp_data's output: one content line (or piece) for cleanup. */
static void smtpd_data_output(void *ctx, const char *data, size_t len, int flags)
{
    struct smtpd_state *state = ctx;

    (void)flags;
    if (state->data_failed || state->discard || state->cleanup == NULL)
        return;
    if (cleanup_client_data(state->cleanup, data, len, &state->data_err) < 0)
        state->data_failed = 1;
}

/* Our Received: header, as Postfix writes it (RFC 5321 4.4): "for <rcpt>"
 * only when there is exactly one recipient. */
static void smtpd_data_received(struct smtpd_state *state)
{
    struct buf hdr = BUF_INIT, date = BUF_INIT;

    /* Headers from PREPEND actions go above ours, as Postfix writes them. */
    if (buf_len(&state->prepend) > 0)
        smtpd_data_output(state, buf_str(&state->prepend), buf_len(&state->prepend), 0);
    mail_date_format(&date, state->arrival);
    /* Without HELO the client's name stands in; an IPv6 address is
     * written as an RFC 5321 address literal ("IPv6:..."). */
    buf_printf(&hdr, "Received: from %s (%s [%s%s])\n",
               state->helo_name ? state->helo_name : state->name, state->name,
               strchr(state->addr, ':') ? "IPv6:" : "", state->addr);
    buf_printf(&hdr, "\tby %s (%s) with %s id %s", var_myhostname, var_mail_name, state->protocol,
               smtpd_queue_id(state));
    if (state->rcpt_count == 1) {
        buf_append_str(&hdr, "\n\tfor <");
        smtp_addr_externalize(&hdr, state->rcpt[0].address);
        buf_printf(&hdr, ">; %s\n", buf_str(&date));
    } else {
        buf_printf(&hdr, ";\n\t%s\n", buf_str(&date));
    }
    smtpd_data_output(state, buf_str(&hdr), buf_len(&hdr), 0);
    buf_release(&hdr);
    buf_release(&date);
}

/* The content receiver for this client, started for a new message. */
static void smtpd_data_begin(struct smtpd_state *state)
{
    struct smtp_data_opts opts;

    if (state->data == NULL) {
        opts.bare_lf = (enum smtp_bare_lf)smtpd_bare_lf_mode;
        if (opts.bare_lf != SMTP_BARE_LF_NO &&
            smtpd_check_in_networks(state, var_smtpd_forbid_bare_newline_exclusions))
            opts.bare_lf = SMTP_BARE_LF_NO;
        opts.line_limit = (size_t)var_line_length_limit;
        opts.size_limit = var_message_size_limit > 0 ? (uint64_t)var_message_size_limit : 0;
        state->data = smtp_data_new(&opts, smtpd_data_output, state);
    }
    smtp_data_begin(state->data);
    state->data_failed = 0;
    smtpd_data_received(state);
}

void smtpd_data_free(struct smtpd_state *state)
{
    if (state->data) {
        smtp_data_free(state->data);
        state->data = NULL;
    }
}

/* The reply for a cleanup verdict other than OK (Postfix's wording). */
static void smtpd_data_cleanup_reply(struct smtpd_state *state, int status, const char *reason)
{
    char dsn[16];
    const char *text = reason;
    int n = 0;

    if (status & CLEANUP_STAT_CONT || status & CLEANUP_STAT_DEFER) {
        int code = (status & CLEANUP_STAT_CONT) ? 550 : 451;

        state->reply_class = (status & CLEANUP_STAT_CONT) ? SMTPD_ERR_POLICY : SMTPD_ERR_RESOURCE;

        /* cleanup's reason is "X.Y.Z text": keep its code when it fits. */
        if (sscanf(reason, "%15[0-9.]%n", dsn, &n) == 1 && reason[n] == ' ' &&
            smtp_reply_dsn_valid(dsn, code)) {
            text = reason + n + 1;
        } else {
            snprintf(dsn, sizeof(dsn), "%s", code == 550 ? "5.7.1" : "4.7.1");
        }
        smtpd_reply(state, code, dsn, "%s", *text ? text : "Error: message content rejected");
    } else if (status & CLEANUP_STAT_SIZE) {
        smtpd_reply(state, 552, "5.3.4", "Error: message file too big");
    } else if (status & CLEANUP_STAT_HOPS) {
        smtpd_reply(state, 554, "5.4.0", "Error: too many hops");
    } else if (status & CLEANUP_STAT_RCPT) {
        smtpd_reply(state, 554, "5.5.1", "Error: no valid recipients");
    } else {
        smtpd_reply(state, 451, "4.3.0", "Error: queue file write error");
    }
}

/* Ends the cleanup conversation with the actions decided since the
 * envelope: HOLD (it may come from a later RCPT), DISCARD (cleanup accepts
 * and removes the file), FILTER, REDIRECT, BCC. */
static int smtpd_data_end(struct smtpd_state *state, int *status, struct buf *reason)
{
    struct cleanup_end end;

    memset(&end, 0, sizeof(end));
    end.flags =
        (state->cleanup_flags & CLEANUP_FLAG_HOLD) | (state->discard ? CLEANUP_FLAG_DISCARD : 0);
    end.filter = state->filter;
    end.redirect = state->redirect;
    end.bcc = state->bcc;
    if (state->discard)
        msg_info("%s: discard: END-OF-MESSAGE from %s: %s", smtpd_queue_id(state), state->namaddr,
                 buf_str(&state->discard_reason));
    return cleanup_client_finish_opts(state->cleanup, &end, status, reason, &state->data_err);
}

/* The end of a message: the verdict, then the reply. ok_fmt gets the
 * queue ID ("Ok: queued as %s"). Returns 1 when queued. */
static int smtpd_data_finish(struct smtpd_state *state, const char *what)
{
    struct buf reply = BUF_INIT, reason = BUF_INIT;
    enum smtp_data_status dst = smtp_data_status(state->data);
    char qid[64];
    int status, queued = 0;

    snprintf(qid, sizeof(qid), "%s", smtpd_queue_id(state));
    if (dst == SMTP_DATA_OK && !state->data_failed && smtpd_check_eod(state) < 0) {
        smtpd_reply_line(state, buf_str(&state->check_reply));
    } else if (dst != SMTP_DATA_OK) {
        smtp_data_reply(state->data, var_myhostname, var_smtpd_forbid_bare_newline_reject_code,
                        &reply);
        if (dst == SMTP_DATA_BARE_LF)
            smtpd_log_reject(state, "reject", "END-OF-MESSAGE", "bare <LF> received",
                             state->rcpt_count ? state->rcpt[0].address : NULL);
        smtpd_reply_line(state, buf_str(&reply));
    } else if (state->data_failed) {
        msg_warn("%s: cleanup: %s", qid, buf_str(&state->data_err));
        smtpd_reply(state, 451, "4.3.0", "Error: queue file write error");
    } else if (smtpd_data_end(state, &status, &reason) < 0) {
        msg_warn("%s: cleanup: %s", qid, buf_str(&state->data_err));
        smtpd_reply(state, 451, "4.3.0", "Error: queue file write error");
    } else if (status == CLEANUP_STAT_OK) {
        smtpd_reply(state, 250, "2.0.0", "Ok: %s%squeued as %s", what, *what ? " " : "", qid);
        queued = 1;
    } else {
        smtpd_data_cleanup_reply(state, status, buf_str(&reason));
    }
    buf_release(&reply);
    buf_release(&reason);
    smtpd_transaction_reset(state);
    smtpd_chat_reset(state);
    smtpd_where_set(state, "END-OF-MESSAGE");
    return queued;
}

/* "DATA (20 bytes)" for the timeout and lost-connection lines. */
static void smtpd_data_where(struct smtpd_state *state, const char *verb, uint64_t bytes)
{
    char where[64];

    snprintf(where, sizeof(where), "%s (%" PRIu64 " bytes)", verb, bytes);
    smtpd_where_set(state, where);
}

void smtpd_data_cmd(struct smtpd_state *state)
{
    struct buf reply = BUF_INIT, early = BUF_INIT;
    size_t early_left = 0, used;
    ssize_t len;

    if (state->sender == NULL) {
        smtpd_stat(state, SMTPD_STAT_DATA, 0);
        smtpd_reply(state, 503, "5.5.1", "Error: need RCPT command");
        return;
    }
    if (state->rcpt_count == 0 || state->cleanup == NULL) {
        smtpd_stat(state, SMTPD_STAT_DATA, 0);
        smtpd_reply(state, 554, "5.5.1", "Error: no valid recipients");
        return;
    }
    if (smtp_cmd_check_args(&state->cmd, &reply) < 0) {
        smtpd_stat(state, SMTPD_STAT_DATA, 0);
        smtpd_reply_line(state, buf_str(&reply));
        buf_release(&reply);
        return;
    }
    if (smtpd_check_data(state) < 0) {
        smtpd_stat(state, SMTPD_STAT_DATA, 0);
        smtpd_reply_line(state, buf_str(&state->check_reply));
        buf_release(&reply);
        return;
    }
    smtpd_data_begin(state);
    smtpd_reply(state, 354, NULL, "End data with <CR><LF>.<CR><LF>");
    /* RFC 2920 3.1: DATA ends a pipelined group; content sent before our
     * 354 is logged (Postfix: "improper command pipelining after DATA"). */
    if (stream_pending(state->client) > 0) {
        early_left = SMTPD_PIPE_LOG_MAX;
        state->ill_pipelining = 1;
    }
    while (!smtp_data_done(state->data)) {
        if (stream_pending(state->client) == 0 && smtpd_reply_flush(state) < 0)
            break;
        len = stream_read_line(state->client, &state->line, SMTPD_READ_CHUNK, NULL);
        if (len <= 0)
            break;
        if (early_left > 0) {
            size_t take = (size_t)len < early_left ? (size_t)len : early_left;

            buf_append(&early, buf_str(&state->line), take);
            early_left -= take;
        }
        used = smtp_data_feed(state->data, buf_str(&state->line), (size_t)len);
        if (used < (size_t)len)
            msg_warn("%s: %zu bytes after the end of DATA in one line", smtpd_queue_id(state),
                     (size_t)len - used);
        if (stream_error(state->client) != STREAM_OK)
            break;
    }
    if (buf_len(&early) > 0) {
        struct buf text = BUF_INIT;

        smtpd_escape(&text, buf_str(&early), buf_len(&early));
        msg_info("improper command pipelining after DATA from %s: %s", state->namaddr,
                 buf_str(&text));
        buf_release(&text);
    }
    buf_release(&early);
    buf_release(&reply);
    if (!smtp_data_done(state->data)) {
        smtpd_data_where(state, "DATA", smtp_data_size(state->data));
        smtpd_stat(state, SMTPD_STAT_DATA, 0);
        smtpd_read_failed(state);
        state->quit = 1;
        smtpd_transaction_reset(state);
        return;
    }
    smtpd_stat(state, SMTPD_STAT_DATA, smtpd_data_finish(state, ""));
}

/* Reads and drops count octets of a chunk that cannot be accepted. */
static int smtpd_bdat_skip(struct smtpd_state *state, uint64_t count)
{
    char chunk[8192];

    while (count > 0) {
        size_t n = count < sizeof(chunk) ? (size_t)count : sizeof(chunk);

        if (stream_read(state->client, chunk, n) < 0)
            return -1;
        count -= n;
    }
    return 0;
}

void smtpd_bdat_cmd(struct smtpd_state *state, uint64_t count, int last)
{
    char *chunk;
    uint64_t left = count;
    int ok;

    if (state->sender == NULL || state->rcpt_count == 0 || state->cleanup == NULL ||
        state->bdat_error) {
        /* The chunk must be read anyway: it is not commands. */
        if (smtpd_bdat_skip(state, count) < 0) {
            smtpd_stat(state, SMTPD_STAT_BDAT, 0);
            smtpd_read_failed(state);
            state->quit = 1;
            return;
        }
        smtpd_stat(state, SMTPD_STAT_BDAT, 0);
        if (state->bdat_error) {
            smtpd_reply(state, 503, "5.5.1", "Error: previous BDAT chunk failed");
            if (last)
                smtpd_transaction_reset(state);
        } else if (state->sender == NULL || state->rcpt_count == 0) {
            smtpd_reply(state, 503, "5.5.1", "Error: need RCPT command");
        } else {
            smtpd_reply(state, 554, "5.5.1", "Error: no valid recipients");
        }
        return;
    }
    if (!state->bdat_active) {
        if (smtpd_check_data(state) < 0) {
            state->bdat_error = 1;
            (void)smtpd_bdat_skip(state, count);
            smtpd_stat(state, SMTPD_STAT_BDAT, 0);
            smtpd_reply_line(state, buf_str(&state->check_reply));
            if (last)
                smtpd_transaction_reset(state);
            return;
        }
        smtpd_data_begin(state);
        state->bdat_active = 1;
        state->bdat_bytes = 0;
    }
    chunk = mem_alloc(SMTPD_READ_CHUNK);
    while (left > 0) {
        size_t n = left < SMTPD_READ_CHUNK ? (size_t)left : SMTPD_READ_CHUNK;

        if (stream_read(state->client, chunk, n) < 0) {
            mem_free(chunk);
            smtpd_data_where(state, "BDAT", state->bdat_bytes);
            smtpd_stat(state, SMTPD_STAT_BDAT, 0);
            smtpd_read_failed(state);
            state->quit = 1;
            smtpd_transaction_reset(state);
            return;
        }
        smtp_data_feed_bdat(state->data, chunk, n);
        state->bdat_bytes += n;
        left -= n;
    }
    mem_free(chunk);
    if (last) {
        char what[64];

        smtp_data_bdat_last(state->data);
        snprintf(what, sizeof(what), "%" PRIu64 " bytes", state->bdat_bytes);
        smtpd_stat(state, SMTPD_STAT_BDAT, smtpd_data_finish(state, what));
        return;
    }
    ok = smtp_data_status(state->data) == SMTP_DATA_OK && !state->data_failed;
    smtpd_stat(state, SMTPD_STAT_BDAT, ok);
    if (ok) {
        smtpd_reply(state, 250, "2.0.0", "Ok: %" PRIu64 " bytes", state->bdat_bytes);
    } else {
        struct buf reply = BUF_INIT;

        state->bdat_error = 1;
        if (state->data_failed) {
            buf_set(&reply, "451 4.3.0 Error: queue file write error");
        } else {
            smtp_data_reply(state->data, var_myhostname, var_smtpd_forbid_bare_newline_reject_code,
                            &reply);
        }
        smtpd_reply_line(state, buf_str(&reply));
        buf_release(&reply);
    }
}
