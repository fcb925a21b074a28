/*
 * smtpd_main.c - the SMTP server: main(), one connection from greeting to
 * disconnect, and the command loop.
 *
 * A single-client server (lib/server/server.h): the master hands one
 * accepted connection to smtpd_service(), which learns the client's name
 * (reverse then forward DNS, as Postfix: "unknown" unless both agree),
 * greets, and reads commands within smtpd_timeout until QUIT, a fatal
 * error or the error limits. Replies are flushed only when no pipelined
 * input is waiting (smtpd_reply.c). Logs connect / lost connection /
 * timeout / disconnect lines in Postfix's words. Never reads input that
 * the client sent after a command that ended the session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/conf.h"
#include "server/server.h"
#include "smtp/smtp_reply.h"
#include "smtpd.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"
#include "util/stream.h"

int smtpd_bare_lf_mode;

/* The printable address of sa, IPv4-mapped IPv6 shown as IPv4. */
static void smtpd_peer_addr(struct smtpd_state *state)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (getnameinfo((struct sockaddr *)&state->sa, state->sa_len, host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        state->addr = mem_strdup("unknown");
        state->port = mem_strdup("unknown");
        return;
    }
    state->addr = mem_strdup(str_prefix(host, "::ffff:") && strchr(host, '.') ? host + 7 : host);
    state->port = mem_strdup(serv);
}

/* Does name resolve back to the client's address? */
static int smtpd_peer_forward_ok(const struct smtpd_state *state, const char *name)
{
    struct addrinfo hints, *res, *ai;
    char host[NI_MAXHOST];
    int ok = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return 0;
    for (ai = res; ai != NULL && !ok; ai = ai->ai_next) {
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST) !=
            0)
            continue;
        ok = strcmp(str_prefix(host, "::ffff:") ? host + 7 : host, state->addr) == 0;
    }
    freeaddrinfo(res);
    return ok;
}

static void smtpd_peer_name(struct smtpd_state *state)
{
    char host[NI_MAXHOST];

    state->reverse_name = NULL;
    if (var_smtpd_peername_lookup && getnameinfo((struct sockaddr *)&state->sa, state->sa_len, host,
                                                 sizeof(host), NULL, 0, NI_NAMEREQD) == 0) {
        state->reverse_name = mem_strdup(host);
        /* A PTR record is the client's claim; only the forward lookup
         * agreeing makes it the client's name (Postfix's rule). */
        if (smtpd_peer_forward_ok(state, host))
            state->name = mem_strdup(host);
    }
    if (state->reverse_name == NULL)
        state->reverse_name = mem_strdup("unknown");
    if (state->name == NULL)
        state->name = mem_strdup("unknown");
}

static void smtpd_state_init(struct smtpd_state *state, struct stream *client)
{
    struct buf na = BUF_INIT;

    memset(state, 0, sizeof(*state));
    state->client = client;
    buf_init(&state->where);
    buf_init(&state->out);
    buf_init(&state->line);
    buf_init(&state->check_reply);
    buf_init(&state->early_defer_text);
    buf_init(&state->discard_reason);
    buf_init(&state->prepend);
    buf_init(&state->data_err);
    smtp_cmd_init(&state->cmd);
    smtp_mail_params_init(&state->mail_params);
    state->protocol = "SMTP";
    state->enhanced = 1;
    state->anvil_exempt = -1;
    state->sa_len = sizeof(state->sa);
    if (getpeername(stream_fd(client), (struct sockaddr *)&state->sa, &state->sa_len) < 0 ||
        (state->sa.ss_family != AF_INET && state->sa.ss_family != AF_INET6)) {
        /* Not an IP socket (-S on a pipe, a UNIX socket): a local client. */
        state->sa_len = 0;
        state->addr = mem_strdup("127.0.0.1");
        state->port = mem_strdup("0");
        state->name = mem_strdup("localhost");
        state->reverse_name = mem_strdup("localhost");
    } else {
        smtpd_peer_addr(state);
        smtpd_peer_name(state);
    }
    buf_printf(&na, "%s[%s]", state->name, state->addr);
    if (var_smtpd_client_port_logging)
        buf_printf(&na, ":%s", state->port);
    state->namaddr = buf_steal(&na);
    smtpd_where_set(state, "CONNECT");
}

static void smtpd_state_free(struct smtpd_state *state)
{
    smtpd_transaction_reset(state);
    smtpd_data_free(state);
    smtpd_chat_free(state);
    smtp_cmd_release(&state->cmd);
    smtp_mail_params_release(&state->mail_params);
    mem_free(state->name);
    mem_free(state->reverse_name);
    mem_free(state->addr);
    mem_free(state->port);
    mem_free(state->namaddr);
    mem_free(state->helo_name);
    mem_free(state->rcpt);
    buf_release(&state->where);
    buf_release(&state->out);
    buf_release(&state->line);
    buf_release(&state->check_reply);
    buf_release(&state->early_defer_text);
    buf_release(&state->discard_reason);
    buf_release(&state->prepend);
    buf_release(&state->data_err);
}

/* Logs what a client sent before it was allowed to (RFC 2920 section 3.1:
 * the greeting, DATA's 354, and without PIPELINING every reply, must be
 * waited for): up to SMTPD_PIPE_LOG_MAX bytes, first those already read into
 * the stream's buffer, then those still in the socket (MSG_PEEK consumes
 * nothing). smtpd has no TLS layer; with one, the socket holds ciphertext
 * and only the buffered part could be shown. Logs nothing, and leaves
 * ill_pipelining alone, when no input is waiting. */
void smtpd_log_improper_pipelining(struct smtpd_state *state, const char *after)
{
    char peek[SMTPD_PIPE_LOG_MAX];
    struct buf text = BUF_INIT;
    const char *buffered;
    size_t have = stream_peek(state->client, &buffered);
    size_t used;
    ssize_t n = 0;

    used = have < sizeof(peek) ? have : sizeof(peek);
    memcpy(peek, buffered, used);
    if (used < sizeof(peek)) {
        n = recv(stream_fd(state->client), peek + used, sizeof(peek) - used,
                 MSG_PEEK | MSG_DONTWAIT);
        if (n > 0)
            used += (size_t)n;
    }
    if (used == 0)
        return;
    state->ill_pipelining = 1;
    smtpd_escape(&text, peek, used);
    msg_info("improper command pipelining after %s from %s: %s", after, state->namaddr,
             buf_str(&text));
    buf_release(&text);
}

int smtpd_input_pending(const struct smtpd_state *state)
{
    char byte;

    return stream_pending(state->client) > 0 ||
           recv(stream_fd(state->client), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/*
 * RFC 2920: a client may send ahead only when PIPELINING was offered in
 * answer to its EHLO, and never past a command that changes the session
 * (EHLO, HELO, STARTTLS) or waits for a go-ahead (DATA), nor past NOOP or
 * VRFY. A client that does is remembered for reject_unauth_pipelining
 * (BDAT's chunk follows its command by design).
 */
static void smtpd_pipelining_check(struct smtpd_state *state)
{
    enum smtp_verb verb = state->cmd.verb;
    int offered =
        strcmp(state->protocol, "ESMTP") == 0 && (state->ehlo_offered & SMTP_EHLO_PIPELINING) != 0;

    if (state->ill_pipelining || verb == SMTP_VERB_BDAT)
        return;
    if (offered && verb != SMTP_VERB_EHLO && verb != SMTP_VERB_HELO && verb != SMTP_VERB_STARTTLS &&
        verb != SMTP_VERB_DATA && verb != SMTP_VERB_NOOP && verb != SMTP_VERB_VRFY)
        return;
    if (!smtpd_input_pending(state))
        return;
    /* Logged once per session, as Postfix; DATA's early content is logged
     * by smtpd_data.c, which sees all of it as it is read. */
    if (verb != SMTP_VERB_DATA)
        smtpd_log_improper_pipelining(state, smtp_verb_name(verb));
    state->ill_pipelining = 1;
}

/* The end of a session that did not end with QUIT. */
void smtpd_read_failed(struct smtpd_state *state)
{
    if (stream_error(state->client) == STREAM_TIMEOUT) {
        msg_info("timeout after %s from %s", buf_str(&state->where), state->namaddr);
        state->abort_reason = "timeout exceeded";
        stream_clear_error(state->client);
        buf_reset(&state->out);
        smtpd_reply(state, 421, "4.4.2", "%s Error: timeout exceeded", var_myhostname);
        (void)smtpd_reply_flush(state);
    } else {
        msg_info("lost connection after %s from %s", buf_str(&state->where), state->namaddr);
        state->abort_reason = "lost connection";
    }
}

static void smtpd_command_loop(struct smtpd_state *state)
{
    struct smtp_cmd_opts opts = {var_smtputf8_enable, 0};
    enum smtp_cmd_status st;
    int truncated;
    ssize_t len;

    while (!state->quit) {
        /* PIPELINING: replies wait while the client has more commands
         * in our buffer, so that a group is answered in one write. */
        if (stream_pending(state->client) == 0 && smtpd_reply_flush(state) < 0) {
            msg_info("lost connection after %s from %s", buf_str(&state->where), state->namaddr);
            state->abort_reason = "lost connection";
            return;
        }
        len = stream_read_line(state->client, &state->line, (size_t)var_line_length_limit,
                               &truncated);
        if (len < 0 || (len == 0 && stream_error(state->client) != STREAM_OK) ||
            (stream_error(state->client) == STREAM_EOF &&
             (len == 0 || buf_str(&state->line)[len - 1] != '\n'))) {
            (void)smtpd_reply_flush(state);
            smtpd_read_failed(state);
            return;
        }
        if (truncated) {
            msg_warn("%s: request longer than %d: %.30s...", state->namaddr, var_line_length_limit,
                     buf_str(&state->line));
            if (stream_skip_line(state->client) < 0) {
                (void)smtpd_reply_flush(state);
                smtpd_read_failed(state);
                return;
            }
        }
        smtpd_chat_in(state, buf_str(&state->line), (size_t)len);
        if (state->error_count >= var_smtpd_hard_error_limit) {
            msg_info("too many errors after %s from %s", buf_str(&state->where), state->namaddr);
            state->abort_reason = "too many errors";
            smtpd_reply(state, 421, "4.7.0", "%s Error: too many errors", var_myhostname);
            state->quit = 1;
            break;
        }
        st = smtp_cmd_parse(&state->cmd, buf_str(&state->line), (size_t)len, truncated, &opts);
        if (st != SMTP_CMD_OK) {
            smtpd_where_set(state, "UNKNOWN");
            smtpd_stat(state, SMTPD_STAT_UNKNOWN, 0);
            smtpd_reply_line(state, buf_str(&state->cmd.reply));
            continue;
        }
        smtpd_pipelining_check(state);
        smtpd_cmd_dispatch(state);
    }
    (void)smtpd_reply_flush(state);
}

static void smtpd_service(struct stream *client, const char *service_name, char **argv)
{
    struct smtpd_state state;
    struct buf stats = BUF_INIT;

    (void)argv;
    stream_set_timeout(client, var_smtpd_timeout * 1000L);
    stream_set_deadline_mode(client, var_smtpd_per_request_deadline ? STREAM_DEADLINE_CALL
                                                                    : STREAM_DEADLINE_WAIT);
    smtpd_state_init(&state, client);
    state.service = service_name;
    msg_info("connect from %s", state.namaddr);
    smtpd_log_improper_pipelining(&state, "CONNECT");
    /* Over a connection limit: 421 instead of the greeting, then the
     * disconnect line (Postfix's order). */
    if (smtpd_anvil_connect(&state) == 0) {
        smtpd_reply(&state, 220, NULL, "%s", var_smtpd_banner);
        smtpd_command_loop(&state);
    } else {
        (void)smtpd_reply_flush(&state);
    }
    smtpd_anvil_disconnect(&state);
    smtpd_chat_notify(&state);
    smtpd_stats_format(&state, &stats);
    msg_info("disconnect from %s%s", state.namaddr, buf_str(&stats));
    buf_release(&stats);
    smtpd_state_free(&state);
}

static void smtpd_pre_init(const char *service_name, char **argv)
{
    enum smtp_bare_lf mode;

    (void)service_name;
    (void)argv;
    if (smtp_bare_lf_parse(var_smtpd_forbid_bare_newline, &mode) < 0)
        msg_fatal("bad smtpd_forbid_bare_newline value: %s", var_smtpd_forbid_bare_newline);
    smtpd_bare_lf_mode = (int)mode;
    smtpd_check_init();
    smtpd_anvil_init();
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .pre_init = smtpd_pre_init,
    };

    server_single_main(argc, argv, smtpd_service, &hooks);
}
