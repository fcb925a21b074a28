/*
 * smtpd_reply.c - smtpd's replies and session log lines.
 *
 * Every reply is built with lib/smtp/smtp_reply (so no reply can carry a
 * control character) into state->out, and goes to the client only at
 * smtpd_reply_flush(), which the command loop calls when the client's
 * input is drained (RFC 2920: a pipelined group gets its replies in one
 * write). 4xx/5xx replies count towards the error limits; past
 * smtpd_soft_error_limit each one waits smtpd_error_sleep_time first.
 * Never writes to the client anywhere but in smtpd_reply_flush().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "smtp/smtp_reply.h"
#include "smtpd.h"
#include "util/msg.h"
#include "util/stream.h"

static const char *const smtpd_stat_names[SMTPD_STAT_COUNT] = {
    "helo", "ehlo", "starttls", "auth", "mail", "rcpt", "data",
    "bdat", "rset", "noop",     "vrfy", "etrn", "quit", "unknown",
};

int smtpd_reply_flush(struct smtpd_state *state)
{
    if (buf_len(&state->out) > 0) {
        if (stream_write(state->client, buf_str(&state->out), buf_len(&state->out)) < 0) {
            buf_reset(&state->out);
            return -1;
        }
        buf_reset(&state->out);
    }
    return stream_flush(state->client);
}

/* The error class of a 4xx/5xx reply the caller did not classify. */
static int smtpd_reply_class(int code, const char *text)
{
    if (strstr(text, "queue file write error") != NULL)
        return SMTPD_ERR_RESOURCE;
    if (strstr(text, "internal error") != NULL)
        return SMTPD_ERR_SOFTWARE;
    return code == 421 ? 0 : SMTPD_ERR_PROTOCOL;
}

static void smtpd_reply_text(struct smtpd_state *state, int code, const char *dsn, const char *text)
{
    size_t before;

    if (code >= 400)
        state->error_mask |=
            state->reply_class ? state->reply_class : smtpd_reply_class(code, text);
    state->reply_class = 0;
    if (code >= 400 && code != 421) {
        state->error_count++;
        /* Slow down a client that keeps making errors (Postfix's tarpit):
         * what it already has must reach it before the pause. */
        if (state->error_count > var_smtpd_soft_error_limit && var_smtpd_error_sleep_time > 0) {
            (void)smtpd_reply_flush(state);
            sleep((unsigned)var_smtpd_error_sleep_time);
        }
    }
    before = buf_len(&state->out);
    if (smtp_reply_append(&state->out, code, dsn, text, state->enhanced) < 0)
        msg_panic("smtpd_reply: bad reply %d %s %s", code, dsn ? dsn : "", text);
    smtpd_chat_out(state, buf_str(&state->out) + before, buf_len(&state->out) - before);
}

void smtpd_reply(struct smtpd_state *state, int code, const char *dsn, const char *fmt, ...)
{
    struct buf text = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&text, fmt, ap);
    va_end(ap);
    smtpd_reply_text(state, code, dsn, buf_str(&text));
    buf_release(&text);
}

void smtpd_reply_line(struct smtpd_state *state, const char *line)
{
    char dsn[16];
    const char *text;
    int code;

    if (smtp_reply_split(line, &code, dsn, sizeof(dsn), &text) < 0 ||
        (dsn[0] != '\0' && !smtp_reply_dsn_valid(dsn, code))) {
        msg_warn("malformed reply text: %.100s", line);
        smtpd_reply_text(state, 451, "4.3.0", "Error: internal error");
        return;
    }
    smtpd_reply_text(state, code, dsn, text);
}

void smtpd_where_set(struct smtpd_state *state, const char *where)
{
    buf_set(&state->where, where);
}

void smtpd_stat(struct smtpd_state *state, enum smtpd_stat which, int ok)
{
    state->stats_total[which]++;
    if (ok)
        state->stats_ok[which]++;
}

void smtpd_stats_format(const struct smtpd_state *state, struct buf *out)
{
    int i, ok = 0, total = 0;

    for (i = 0; i < SMTPD_STAT_COUNT; i++) {
        if (state->stats_total[i] == 0)
            continue;
        ok += state->stats_ok[i];
        total += state->stats_total[i];
        if (state->stats_ok[i] == state->stats_total[i])
            buf_printf(out, " %s=%d", smtpd_stat_names[i], state->stats_ok[i]);
        else
            buf_printf(out, " %s=%d/%d", smtpd_stat_names[i], state->stats_ok[i],
                       state->stats_total[i]);
    }
    /* Postfix shows "commands=0/0" for a session without any command. */
    if (ok == total && total > 0)
        buf_printf(out, " commands=%d", total);
    else
        buf_printf(out, " commands=%d/%d", ok, total);
}

void smtpd_escape(struct buf *out, const char *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];

        if (ch == '\r')
            buf_append_str(out, "\\r");
        else if (ch == '\n')
            buf_append_str(out, "\\n");
        else if (ch < 0x20 || ch == 0x7f)
            buf_printf(out, "\\%03o", ch);
        else
            buf_append_char(out, ch);
    }
}

const char *smtpd_queue_id(const struct smtpd_state *state)
{
    return state->cleanup ? cleanup_client_queue_id(state->cleanup) : "NOQUEUE";
}

void smtpd_log_reject(const struct smtpd_state *state, const char *action, const char *cmd,
                      const char *reply, const char *rcpt)
{
    struct buf line = BUF_INIT, safe = BUF_INIT;

    buf_printf(&line, "%s: %s: %s from %s: %s;", smtpd_queue_id(state), action, cmd, state->namaddr,
               reply);
    if (state->sender)
        buf_printf(&line, " from=<%s>", state->sender);
    if (rcpt)
        buf_printf(&line, " to=<%s>", rcpt);
    buf_printf(&line, " proto=%s", state->protocol);
    if (state->helo_name)
        buf_printf(&line, " helo=<%s>", state->helo_name);
    buf_reset(&safe);
    smtpd_escape(&safe, buf_str(&line), buf_len(&line));
    msg_info("%s", buf_str(&safe));
    buf_release(&line);
    buf_release(&safe);
}
