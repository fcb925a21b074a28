/*
 * smtpd_cmd.c - one handler per SMTP verb, with Postfix's sequence rules
 * and replies (reference: smtp-session.txt).
 *
 * Called by the command loop (smtpd_main.c) with a parsed command in
 * state->cmd. Sequence checks (503) come first, then the argument checks
 * of lib/smtp, then the restrictions (smtpd_check.c). Each handler sends
 * exactly one reply and counts its command for the disconnect line.
 * STARTTLS and AUTH have their entry points here (answered as "not
 * available" until lib/tls and lib/sasl exist). Never parses text itself.
 */
#include <string.h>
#include <sys/time.h>

#include "conf/conf.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_reply.h"
#include "smtpd.h"
#include "util/mem.h"
#include "util/msg.h"

void smtpd_transaction_reset(struct smtpd_state *state)
{
    size_t i;

    if (state->cleanup) {
        /* Closing without finishing makes cleanup remove its file. */
        cleanup_client_close(state->cleanup);
        state->cleanup = NULL;
    }
    for (i = 0; i < state->rcpt_count; i++) {
        mem_free(state->rcpt[i].address);
        mem_free(state->rcpt[i].orcpt);
    }
    state->rcpt_count = 0;
    state->rcpt_overshoot = 0;
    mem_free(state->sender);
    state->sender = NULL;
    smtp_mail_params_release(&state->mail_params);
    smtp_mail_params_init(&state->mail_params);
    state->cleanup_flags = 0;
    state->discard = 0;
    buf_reset(&state->discard_reason);
    mem_free(state->filter);
    mem_free(state->redirect);
    mem_free(state->bcc);
    state->filter = state->redirect = state->bcc = NULL;
    buf_reset(&state->prepend);
    state->bdat_active = 0;
    state->bdat_error = 0;
    state->bdat_bytes = 0;
    state->data_failed = 0;
}

/* A failed argument check of lib/smtp: its reply, counted as a failure. */
static void smtpd_cmd_fail(struct smtpd_state *state, enum smtpd_stat which, const char *reply)
{
    smtpd_stat(state, which, 0);
    smtpd_reply_line(state, reply);
}

/* The HELO name as kept for logs and the Received: header: control
 * characters become '?' so that they can never reach either. */
static char *smtpd_cmd_clean_name(const char *name)
{
    char *copy = mem_strdup(name), *p;

    for (p = copy; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return copy;
}

static void smtpd_cmd_helo(struct smtpd_state *state, int esmtp)
{
    enum smtpd_stat which = esmtp ? SMTPD_STAT_EHLO : SMTPD_STAT_HELO;
    struct buf reply = BUF_INIT;
    struct smtp_ehlo_opts opts;
    size_t before;

    if (smtp_cmd_check_args(&state->cmd, &reply) < 0) {
        smtpd_cmd_fail(state, which, buf_str(&reply));
        buf_release(&reply);
        return;
    }
    if (smtpd_check_helo(state, state->cmd.rest) < 0) {
        smtpd_cmd_fail(state, which, buf_str(&state->check_reply));
        buf_release(&reply);
        return;
    }
    /* RFC 5321 4.1.4: a new EHLO/HELO ends any transaction. */
    smtpd_transaction_reset(state);
    smtpd_chat_reset(state);
    mem_free(state->helo_name);
    state->helo_name = smtpd_cmd_clean_name(state->cmd.rest);
    smtpd_stat(state, which, 1);
    if (!esmtp) {
        state->protocol = "SMTP";
        smtpd_reply(state, 250, NULL, "%s", var_myhostname);
        buf_release(&reply);
        return;
    }
    state->protocol = "ESMTP";
    memset(&opts, 0, sizeof(opts));
    opts.hostname = var_myhostname;
    opts.size_limit = var_message_size_limit;
    opts.disable_vrfy = var_disable_vrfy_command;
    opts.smtputf8_enable = var_smtputf8_enable;
    opts.discard = smtp_ehlo_discard_mask(var_smtpd_discard_ehlo_keywords);
    /* STARTTLS and AUTH join opts.offer once lib/tls and lib/sasl exist. */
    before = buf_len(&state->out);
    state->ehlo_offered = smtp_ehlo_build(&state->out, &opts);
    smtpd_chat_out(state, buf_str(&state->out) + before, buf_len(&state->out) - before);
    state->enhanced = (state->ehlo_offered & SMTP_EHLO_ENHANCEDSTATUSCODES) != 0;
    buf_release(&reply);
}

static void smtpd_cmd_mail(struct smtpd_state *state)
{
    struct smtp_esmtp_opts eopts = {var_message_size_limit, var_smtputf8_enable};
    struct smtp_addr addr;
    struct buf reply = BUF_INIT;
    struct timeval now;
    const char *path;
    size_t path_len, first;
    int flags;

    if (var_smtpd_helo_required && state->helo_name == NULL) {
        smtpd_stat(state, SMTPD_STAT_MAIL, 0);
        smtpd_reply(state, 503, "5.5.1", "Error: send HELO/EHLO first");
        return;
    }
    if (state->sender != NULL) {
        smtpd_stat(state, SMTPD_STAT_MAIL, 0);
        smtpd_reply(state, 503, "5.5.1", "Error: nested MAIL command");
        return;
    }
    if (smtp_cmd_path(&state->cmd, &path, &path_len, &first, &reply) < 0) {
        smtpd_cmd_fail(state, SMTPD_STAT_MAIL, buf_str(&reply));
        buf_release(&reply);
        return;
    }
    /* smtpd_client_message_rate_limit: counted once the command is well
     * formed, before its parameters and the restrictions (Postfix's place). */
    if (smtpd_anvil_event(state, SMTPD_ANVIL_MESSAGE) < 0) {
        smtpd_stat(state, SMTPD_STAT_MAIL, 0);
        buf_release(&reply);
        return;
    }
    if (smtp_esmtp_mail(&state->mail_params, state->cmd.argv + first, state->cmd.argc - first,
                        &eopts, &reply) < 0) {
        smtpd_cmd_fail(state, SMTPD_STAT_MAIL, buf_str(&reply));
        buf_release(&reply);
        return;
    }
    buf_release(&reply);
    smtp_addr_init(&addr);
    flags = SMTP_ADDR_NULL_OK | (var_strict_rfc821_envelopes ? SMTP_ADDR_STRICT : 0) |
            (var_smtputf8_enable ? SMTP_ADDR_UTF8 : 0);
    if (smtp_addr_parse(&addr, path, path_len, flags, (size_t)var_line_length_limit) < 0) {
        smtp_addr_release(&addr);
        smtpd_stat(state, SMTPD_STAT_MAIL, 0);
        smtpd_reply(state, 501, "5.1.7", "Bad sender address syntax");
        return;
    }
    /* Not an IP socket (-S on a pipe): a local submission, as Postfix's
     * stand-alone mode; else local_header_rewrite_clients decides, per
     * MAIL since AUTH may change the answer. */
    if (state->sa_len == 0) {
        state->local_client = 1;
    } else if (smtpd_check_rewrite(state) < 0) {
        smtp_addr_release(&addr);
        smtpd_cmd_fail(state, SMTPD_STAT_MAIL, buf_str(&state->check_reply));
        return;
    }
    if (smtpd_check_mail(state, buf_str(&addr.internal)) < 0) {
        smtp_addr_release(&addr);
        smtpd_cmd_fail(state, SMTPD_STAT_MAIL, buf_str(&state->check_reply));
        return;
    }
    state->sender = buf_steal(&addr.internal);
    smtp_addr_release(&addr);
    gettimeofday(&now, NULL);
    state->arrival = now.tv_sec;
    state->arrival_usec = now.tv_usec;
    if (!var_smtpd_delay_open_until_valid_rcpt && smtpd_data_open(state) < 0) {
        smtpd_stat(state, SMTPD_STAT_MAIL, 0);
        mem_free(state->sender);
        state->sender = NULL;
        return;
    }
    smtpd_stat(state, SMTPD_STAT_MAIL, 1);
    smtpd_reply(state, 250, "2.1.0", "Ok");
}

static void smtpd_cmd_rcpt(struct smtpd_state *state)
{
    struct smtp_esmtp_opts eopts = {var_message_size_limit, var_smtputf8_enable};
    struct smtp_rcpt_params params;
    struct smtp_addr addr;
    struct smtpd_rcpt *rcpt;
    struct buf reply = BUF_INIT;
    const char *path;
    size_t path_len, first;
    int flags;

    if (state->sender == NULL) {
        smtpd_stat(state, SMTPD_STAT_RCPT, 0);
        smtpd_reply(state, 503, "5.5.1", "Error: need MAIL command");
        return;
    }
    if (smtp_cmd_path(&state->cmd, &path, &path_len, &first, &reply) < 0) {
        smtpd_cmd_fail(state, SMTPD_STAT_RCPT, buf_str(&reply));
        buf_release(&reply);
        return;
    }
    if (smtpd_anvil_event(state, SMTPD_ANVIL_RECIPIENT) < 0) {
        smtpd_stat(state, SMTPD_STAT_RCPT, 0);
        buf_release(&reply);
        return;
    }
    smtp_rcpt_params_init(&params);
    if (smtp_esmtp_rcpt(&params, state->cmd.argv + first, state->cmd.argc - first, &eopts, &reply) <
        0) {
        smtpd_cmd_fail(state, SMTPD_STAT_RCPT, buf_str(&reply));
        smtp_rcpt_params_release(&params);
        buf_release(&reply);
        return;
    }
    buf_release(&reply);
    smtp_addr_init(&addr);
    flags = (var_strict_rfc821_envelopes ? SMTP_ADDR_STRICT : 0) |
            (var_smtputf8_enable ? SMTP_ADDR_UTF8 : 0);
    if (smtp_addr_parse(&addr, path, path_len, flags, (size_t)var_line_length_limit) < 0) {
        smtpd_stat(state, SMTPD_STAT_RCPT, 0);
        smtpd_reply(state, 501, "5.1.3", "Bad recipient address syntax");
        goto done;
    }
    if (state->rcpt_count >= (size_t)var_smtpd_recipient_limit) {
        smtpd_stat(state, SMTPD_STAT_RCPT, 0);
        smtpd_reply(state, 452, "4.5.3", "Error: too many recipients");
        /* Postfix: recipients over the limit count as errors only past
         * smtpd_recipient_overshoot_limit (a legitimate bulk sender just
         * sends the rest in another transaction). */
        if (++state->rcpt_overshoot <= var_smtpd_recipient_overshoot_limit)
            state->error_count--;
        goto done;
    }
    if (smtpd_check_rcpt(state, buf_str(&addr.internal)) < 0) {
        smtpd_cmd_fail(state, SMTPD_STAT_RCPT, buf_str(&state->check_reply));
        goto done;
    }
    if (state->rcpt_count == state->rcpt_cap) {
        state->rcpt_cap = state->rcpt_cap ? state->rcpt_cap * 2 : 8;
        state->rcpt = mem_realloc_array(state->rcpt, state->rcpt_cap, sizeof(*state->rcpt));
    }
    rcpt = &state->rcpt[state->rcpt_count];
    rcpt->address = mem_strdup(buf_str(&addr.internal));
    if (params.have_orcpt) {
        struct buf orcpt = BUF_INIT;

        buf_printf(&orcpt, "%s;%s", buf_str(&params.orcpt_type), buf_str(&params.orcpt_addr));
        rcpt->orcpt = buf_steal(&orcpt);
    } else {
        rcpt->orcpt = mem_strdup("");
    }
    rcpt->notify = params.notify;
    state->rcpt_count++;
    /* The queue file is created at the first valid recipient
     * (smtpd_delay_open_until_valid_rcpt), as Postfix does. */
    if ((state->cleanup == NULL && smtpd_data_open(state) < 0) ||
        smtpd_data_add_rcpt(state, rcpt) < 0) {
        if (state->cleanup != NULL) {
            msg_warn("%s: cleanup: %s", smtpd_queue_id(state), buf_str(&state->data_err));
            cleanup_client_close(state->cleanup);
            state->cleanup = NULL;
            smtpd_reply(state, 451, "4.3.0", "Error: queue file write error");
        }
        state->rcpt_count--;
        mem_free(rcpt->address);
        mem_free(rcpt->orcpt);
        smtpd_stat(state, SMTPD_STAT_RCPT, 0);
        goto done;
    }
    smtpd_stat(state, SMTPD_STAT_RCPT, 1);
    smtpd_reply(state, 250, "2.1.5", "Ok");
done:
    smtp_addr_release(&addr);
    smtp_rcpt_params_release(&params);
}

static void smtpd_cmd_vrfy(struct smtpd_state *state)
{
    struct buf reply = BUF_INIT;
    struct smtp_addr addr;
    const char *arg;

    if (var_disable_vrfy_command) {
        smtpd_stat(state, SMTPD_STAT_VRFY, 0);
        smtpd_reply(state, 502, "5.5.1", "VRFY command is disabled");
        return;
    }
    if (smtp_cmd_check_args(&state->cmd, &reply) < 0) {
        smtpd_cmd_fail(state, SMTPD_STAT_VRFY, buf_str(&reply));
        buf_release(&reply);
        return;
    }
    buf_release(&reply);
    arg = state->cmd.argv[1];
    smtp_addr_init(&addr);
    if (smtp_addr_parse(&addr, arg, strlen(arg), var_smtputf8_enable ? SMTP_ADDR_UTF8 : 0,
                        (size_t)var_line_length_limit) < 0) {
        smtpd_stat(state, SMTPD_STAT_VRFY, 0);
        smtpd_reply(state, 501, "5.1.3", "Bad recipient address syntax");
    } else if (smtpd_check_vrfy(state, buf_str(&addr.internal)) < 0) {
        smtpd_cmd_fail(state, SMTPD_STAT_VRFY, buf_str(&state->check_reply));
    } else {
        /* 252: we do not promise delivery (RFC 5321 3.5.3). */
        smtpd_stat(state, SMTPD_STAT_VRFY, 1);
        smtpd_reply(state, 252, "2.0.0", "%s", arg);
    }
    smtp_addr_release(&addr);
}

static void smtpd_cmd_etrn(struct smtpd_state *state)
{
    struct buf reply = BUF_INIT;
    const char *domain;

    if (smtp_cmd_check_args(&state->cmd, &reply) < 0) {
        smtpd_cmd_fail(state, SMTPD_STAT_ETRN, buf_str(&reply));
        buf_release(&reply);
        return;
    }
    buf_release(&reply);
    if (state->helo_name == NULL) {
        smtpd_stat(state, SMTPD_STAT_ETRN, 0);
        smtpd_reply(state, 503, "5.5.1", "Error: send HELO/EHLO first");
        return;
    }
    if (state->sender != NULL) {
        smtpd_stat(state, SMTPD_STAT_ETRN, 0);
        smtpd_reply(state, 503, "5.5.1", "Error: MAIL transaction in progress");
        return;
    }
    domain = state->cmd.rest;
    if (*domain == '#' || *domain == '@')
        domain++;
    /* The flush service is not there yet: Postfix's answer when it
     * cannot reach it. */
    smtpd_stat(state, SMTPD_STAT_ETRN, 0);
    smtpd_reply(state, 459, NULL, "<%s>: service unavailable", domain);
}

static void smtpd_cmd_bdat(struct smtpd_state *state)
{
    struct buf reply = BUF_INIT;
    uint64_t count;
    int last;

    if (smtp_cmd_bdat(&state->cmd, &count, &last, &reply) < 0) {
        /* The chunk size is unknown: nothing after this can be read as
         * commands, so Postfix disconnects. */
        smtpd_cmd_fail(state, SMTPD_STAT_BDAT, buf_str(&reply));
        state->quit = 1;
        buf_release(&reply);
        return;
    }
    buf_release(&reply);
    smtpd_bdat_cmd(state, count, last);
}

/* NOOP VRFY ETRN RSET: past smtpd_junk_command_limit each one is an error. */
static void smtpd_cmd_junk(struct smtpd_state *state)
{
    if (++state->junk_count > var_smtpd_junk_command_limit)
        state->error_count++;
}

void smtpd_cmd_dispatch(struct smtpd_state *state)
{
    struct smtp_cmd *cmd = &state->cmd;
    struct buf reply = BUF_INIT;

    smtpd_where_set(state, smtp_verb_name(cmd->verb));
    if (smtp_verb_is_junk(cmd->verb))
        smtpd_cmd_junk(state);
    switch (cmd->verb) {
    case SMTP_VERB_EHLO:
        smtpd_cmd_helo(state, 1);
        break;
    case SMTP_VERB_HELO:
        smtpd_cmd_helo(state, 0);
        break;
    case SMTP_VERB_MAIL:
        smtpd_cmd_mail(state);
        break;
    case SMTP_VERB_RCPT:
        smtpd_cmd_rcpt(state);
        break;
    case SMTP_VERB_DATA:
        smtpd_data_cmd(state);
        break;
    case SMTP_VERB_BDAT:
        smtpd_cmd_bdat(state);
        break;
    case SMTP_VERB_RSET:
        if (smtp_cmd_check_args(cmd, &reply) < 0) {
            smtpd_cmd_fail(state, SMTPD_STAT_RSET, buf_str(&reply));
            break;
        }
        smtpd_transaction_reset(state);
        smtpd_chat_reset(state);
        smtpd_stat(state, SMTPD_STAT_RSET, 1);
        smtpd_reply(state, 250, "2.0.0", "Ok");
        break;
    case SMTP_VERB_NOOP:
        smtpd_stat(state, SMTPD_STAT_NOOP, 1);
        smtpd_reply(state, 250, "2.0.0", "Ok");
        break;
    case SMTP_VERB_QUIT:
        smtpd_stat(state, SMTPD_STAT_QUIT, 1);
        smtpd_reply(state, 221, "2.0.0", "Bye");
        state->quit = 1;
        break;
    case SMTP_VERB_VRFY:
        smtpd_cmd_vrfy(state);
        break;
    case SMTP_VERB_ETRN:
        smtpd_cmd_etrn(state);
        break;
    case SMTP_VERB_AUTH:
        /* Entry point for lib/sasl. */
        smtpd_stat(state, SMTPD_STAT_AUTH, 0);
        smtpd_reply(state, 503, "5.5.1", "Error: authentication not enabled");
        break;
    case SMTP_VERB_STARTTLS:
        /* Entry point for lib/tls. */
        smtpd_stat(state, SMTPD_STAT_STARTTLS, 0);
        smtpd_reply(state, 502, "5.5.1", "Error: command not implemented");
        break;
    case SMTP_VERB_XCLIENT:
    case SMTP_VERB_XFORWARD:
        smtpd_stat(state, SMTPD_STAT_UNKNOWN, 0);
        smtpd_reply(state, 550, "5.7.0", "Error: insufficient authorization");
        break;
    case SMTP_VERB_HELP:
    case SMTP_VERB_NONE:
    default:
        smtpd_where_set(state, "UNKNOWN");
        smtpd_stat(state, SMTPD_STAT_UNKNOWN, 0);
        smtpd_reply(state, 500, "5.5.2", "Error: command not recognized");
        break;
    }
    buf_release(&reply);
}
