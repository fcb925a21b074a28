/*
 * smtpd_chat.c - the session transcript and the postmaster notice
 * (notify_classes, error_notice_recipient, smtpd_history_flush_threshold).
 *
 * The command loop records each command line ("In:  EHLO x"), every reply
 * line buffered for the client ("Out: 250 ..."); the history is cleared at
 * HELO/EHLO, RSET and the end of a message once it holds more than
 * smtpd_history_flush_threshold lines. Replies of 4xx/5xx mark the session
 * with an error class (protocol unless the caller said policy, resource or
 * software). When the session ends and notify_classes names one of its
 * classes, the transcript goes to error_notice_recipient through cleanup,
 * from the double-bounce address (a notice about a notice never loops).
 * Never records message content (DATA and BDAT chunks are not read by
 * the command loop); the AUTH line is recorded with its secret masked;
 * client text is escaped before it reaches the notice.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf/conf.h"
#include "smtpd.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

/* Shown for anything after the mechanism of an AUTH command. */
#define SMTPD_CHAT_MASK "********"

static const struct {
    int bit;
    const char *name;
} smtpd_chat_classes[] = {
    {SMTPD_ERR_PROTOCOL, "protocol"},
    {SMTPD_ERR_POLICY, "policy"},
    {SMTPD_ERR_RESOURCE, "resource"},
    {SMTPD_ERR_SOFTWARE, "software"},
};

static void smtpd_chat_append(struct smtpd_state *state, const char *prefix, const char *text,
                              size_t len)
{
    struct buf line = BUF_INIT;

    buf_append_str(&line, prefix);
    smtpd_escape(&line, text, len);
    if (state->history_count == state->history_cap) {
        state->history_cap = state->history_cap ? mem_size_mul(state->history_cap, 2) : 32;
        state->history =
            mem_realloc_array(state->history, state->history_cap, sizeof(*state->history));
    }
    state->history[state->history_count++] = buf_steal(&line);
}

/*
 * The hook for AUTH (lib/sasl): "AUTH PLAIN secret" is kept as
 * "AUTH PLAIN ********"; SASL responses the AUTH handler reads itself must
 * be recorded through smtpd_chat_in_secret().
 */
void smtpd_chat_in(struct smtpd_state *state, const char *line, size_t len)
{
    size_t verb, sp, mech;

    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    verb = 0;
    while (verb < len && line[verb] != ' ')
        verb++;
    if (verb == 4 && strncasecmp(line, "AUTH", 4) == 0) {
        sp = verb;
        while (sp < len && line[sp] == ' ')
            sp++;
        mech = sp;
        while (mech < len && line[mech] != ' ')
            mech++;
        if (mech < len) {
            struct buf masked = BUF_INIT;

            buf_append(&masked, line, mech);
            buf_append_str(&masked, " " SMTPD_CHAT_MASK);
            smtpd_chat_append(state, "In:  ", buf_str(&masked), buf_len(&masked));
            buf_release(&masked);
            return;
        }
    }
    smtpd_chat_append(state, "In:  ", line, len);
}

void smtpd_chat_in_secret(struct smtpd_state *state)
{
    smtpd_chat_append(state, "In:  ", SMTPD_CHAT_MASK, strlen(SMTPD_CHAT_MASK));
}

void smtpd_chat_out(struct smtpd_state *state, const char *text, size_t len)
{
    const char *end = text + len, *eol;

    while (text < end) {
        eol = memchr(text, '\n', (size_t)(end - text));
        if (eol == NULL)
            eol = end;
        smtpd_chat_append(state, "Out: ", text,
                          (size_t)(eol - text) - (eol > text && eol[-1] == '\r' ? 1 : 0));
        text = eol < end ? eol + 1 : end;
    }
}

void smtpd_chat_reset(struct smtpd_state *state)
{
    size_t i;

    if (state->history_count <= (size_t)var_smtpd_history_flush_threshold)
        return;
    for (i = 0; i < state->history_count; i++)
        mem_free(state->history[i]);
    state->history_count = 0;
}

void smtpd_chat_free(struct smtpd_state *state)
{
    size_t i;

    for (i = 0; i < state->history_count; i++)
        mem_free(state->history[i]);
    mem_free(state->history);
    state->history = NULL;
    state->history_count = state->history_cap = 0;
}

/* The classes of notify_classes that smtpd reports. */
static int smtpd_chat_notify_mask(void)
{
    char *copy = mem_strdup(var_notify_classes), *cursor = copy, *word;
    int mask = 0;
    size_t i;

    while ((word = str_token_list(&cursor)) != NULL)
        for (i = 0; i < sizeof(smtpd_chat_classes) / sizeof(smtpd_chat_classes[0]); i++)
            if (strcasecmp(word, smtpd_chat_classes[i].name) == 0)
                mask |= smtpd_chat_classes[i].bit;
    mem_free(copy);
    return mask;
}

static void smtpd_chat_qualify(struct buf *out, const char *addr)
{
    buf_set(out, addr);
    if (strchr(addr, '@') == NULL && *var_myorigin)
        buf_printf(out, "@%s", var_myorigin);
}

void smtpd_chat_notify(struct smtpd_state *state)
{
    struct buf text = BUF_INIT, sender = BUF_INIT, rcpt = BUF_INIT, err = BUF_INIT;
    struct buf reason = BUF_INIT;
    struct cleanup_client *client;
    struct cleanup_envelope env;
    struct cleanup_attr attr = {(char *)"rewrite_context", (char *)"local"};
    struct cleanup_rcpt cr;
    int mask = state->error_mask & smtpd_chat_notify_mask(), status = 0, sep = 0;
    size_t i;

    if (mask == 0)
        return;
    buf_printf(&text, "From: Mail Delivery System <MAILER-DAEMON>\n");
    buf_printf(&text, "To: Postmaster <%s>\n", var_error_notice_recipient);
    buf_printf(&text, "Subject: %s SMTP server: errors from %s\n\n", var_mail_name, state->namaddr);
    buf_printf(&text, "Client: %s\nErrors:", state->namaddr);
    for (i = 0; i < sizeof(smtpd_chat_classes) / sizeof(smtpd_chat_classes[0]); i++) {
        if (state->error_mask & smtpd_chat_classes[i].bit) {
            buf_printf(&text, "%s %s", sep ? "," : "", smtpd_chat_classes[i].name);
            sep = 1;
        }
    }
    buf_append_str(&text, "\n\nTranscript of session follows.\n\n");
    for (i = 0; i < state->history_count; i++)
        buf_printf(&text, " %s\n", state->history[i]);
    if (state->abort_reason)
        buf_printf(&text, "\nSession aborted, reason: %s\n", state->abort_reason);
    buf_append_str(&text, "\nFor other details, see the local mail logfile\n");

    smtpd_chat_qualify(&sender, var_double_bounce_sender);
    smtpd_chat_qualify(&rcpt, var_error_notice_recipient);
    if ((client = smtpd_data_connect(&err)) == NULL) {
        msg_warn("connect to cleanup service: %s: postmaster notice not sent", buf_str(&err));
        goto done;
    }
    memset(&env, 0, sizeof(env));
    env.sender = (char *)buf_str(&sender);
    env.flags = CLEANUP_FLAG_LOCAL;
    env.arrival_sec = (long)time(NULL);
    env.envid = (char *)"";
    env.encoding = (char *)"";
    env.attr = &attr;
    env.nattr = 1;
    memset(&cr, 0, sizeof(cr));
    cr.address = (char *)buf_str(&rcpt);
    cr.orcpt = (char *)"";
    if (cleanup_client_env(client, &env, &err) < 0 ||
        cleanup_client_rcpt(client, &cr, 1, &err) < 0 ||
        cleanup_client_data(client, buf_str(&text), buf_len(&text), &err) < 0 ||
        cleanup_client_finish(client, &status, &reason, &err) < 0)
        msg_warn("%s: cleanup: %s: postmaster notice not sent", cleanup_client_queue_id(client),
                 buf_str(&err));
    else if (status != CLEANUP_STAT_OK)
        msg_warn("%s: cleanup status %d %s: postmaster notice not sent",
                 cleanup_client_queue_id(client), status, buf_str(&reason));
    cleanup_client_close(client);
done:
    buf_release(&text);
    buf_release(&sender);
    buf_release(&rcpt);
    buf_release(&err);
    buf_release(&reason);
}
