/*
 * smtp_proto.c - one SMTP or LMTP session of the delivery agent (RFC 5321,
 * RFC 2033): greeting, EHLO (HELO fallback) or LHLO, MAIL FROM, RCPT TO,
 * DATA, the message content, QUIT.
 *
 * Called by smtp_main.c with a connected fd. With PIPELINING the MAIL, all
 * RCPT and the DATA command go out in one write (RFC 2920) and their
 * replies are read in order; without it, one command at a time. Replies
 * are parsed by lib/smtp/smtp_reply_parse (bounded lines and line count).
 * Each stage has its own timeout. The content comes from the queue file
 * with every line ending in CRLF and a leading dot doubled (RFC 5321
 * 4.5.2); each recipient the server took is marked done at once (its only
 * write to the queue file). Recipients get results
 * in Postfix's words: "host H[A] said: 550 5.1.1 ... (in reply to RCPT TO
 * command)". Up to MAIL FROM nothing is decided, so the caller may try
 * another server; after that, a 4xx reply or a lost connection leaves the
 * recipient open for the next server unless this is the last one (never
 * after the final dot: the server may already have the message).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "conf/conf.h"
#include "mail/mailbox.h"
#include "mail/queue_reader.h"
#include "mail/queue_rec.h"
#include "smtp.h"
#include "smtp/smtp_reply_parse.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"
#include "util/stream.h"

/* The stage a reply answers, for "(in reply to X command)" and for the
 * "while ..." part of lost-connection reasons. */
enum smtp_stage {
    STAGE_GREETING,
    STAGE_EHLO,
    STAGE_HELO,
    STAGE_MAIL,
    STAGE_RCPT,
    STAGE_DATA,
    STAGE_BODY,
    STAGE_DOT,
    STAGE_QUIT,
};

static const char *smtp_stage_command(enum smtp_stage st, int lmtp)
{
    switch (st) {
    case STAGE_GREETING:
        return "initial server greeting";
    case STAGE_EHLO:
        return lmtp ? "LHLO" : "EHLO";
    case STAGE_HELO:
        return "HELO";
    case STAGE_MAIL:
        return "MAIL FROM";
    case STAGE_RCPT:
        return "RCPT TO";
    case STAGE_DATA:
        return "DATA";
    case STAGE_BODY:
        return "message body";
    case STAGE_DOT:
        return "end of data";
    case STAGE_QUIT:
        return "QUIT";
    }
    return "?";
}

/* "(in reply to RCPT TO command)", "(in reply to end of DATA command)". */
static void smtp_in_reply_to(struct buf *out, enum smtp_stage st, int lmtp)
{
    if (st == STAGE_GREETING)
        buf_append_str(out, " (in reply to initial server greeting)");
    else if (st == STAGE_DOT)
        buf_append_str(out, " (in reply to end of DATA command)");
    else
        buf_printf(out, " (in reply to %s command)", smtp_stage_command(st, lmtp));
}

struct smtp_reply {
    int code;
    char dsn[16];    /* enhanced status code, or derived from the code */
    struct buf text; /* "550 5.1.1 text", lines joined by a space, printable */
};

struct smtp_state {
    struct smtp_session s;
    const struct deliver_request *req;
    struct deliver_result *res;
    struct smtp_reply_parsed parsed;
    struct smtp_reply_limits lim;
    struct smtp_reply reply;
    struct buf line;
    struct buf acc;
    char next_dsn[16]; /* status for the reason when another server is tried */
    int clean;         /* the session is between transactions: QUIT or reuse */
    int final;         /* the last server to try: a 4xx is final here too */
    struct buf soft;   /* not final: the last 4xx or lost connection, for the caller */
    char soft_dsn[16];
};

/* Not the last server: a soft failure leaves the recipient open for the
 * next one (RFC 5321 5.1), and the caller gets the reason. */
static void smtp_soft(struct smtp_state *st, const char *dsn, const char *reason)
{
    buf_set(&st->soft, reason);
    snprintf(st->soft_dsn, sizeof(st->soft_dsn), "%s", dsn);
}

/* Sets why to Postfix's reason for a broken conversation. */
static void smtp_lost(struct smtp_state *st, enum smtp_stage stage, struct buf *why)
{
    const struct smtp_target *t = st->s.target;
    enum stream_status ss = stream_error(st->s.stream);
    const char *what;
    char where[128];

    what = smtp_stage_command(stage, st->s.cfg->lmtp);
    switch (stage) {
    case STAGE_GREETING:
        snprintf(where, sizeof(where), "receiving the %s", what);
        break;
    case STAGE_EHLO:
    case STAGE_HELO:
        snprintf(where, sizeof(where), "performing the %s handshake", what);
        break;
    case STAGE_DOT:
        /* The server may have taken the message before it went away. */
        snprintf(where, sizeof(where), "sending end of data -- message may be sent more than once");
        break;
    default:
        snprintf(where, sizeof(where), "sending %s", what);
        break;
    }
    buf_reset(why);
    if (ss == STREAM_TIMEOUT)
        buf_printf(why, "conversation with %s[%s] timed out while %s", t->host,
                   t->unix_socket ? t->host : t->addr, where);
    else
        buf_printf(why, "lost connection with %s[%s] while %s", t->host,
                   t->unix_socket ? t->host : t->addr, where);
}

/* Reads one reply within timeout seconds. 0, or -1 (connection lost,
 * timed out or a malformed reply: why set). */
static int smtp_read_reply(struct smtp_state *st, long timeout, enum smtp_stage stage,
                           struct buf *why)
{
    struct buf err = BUF_INIT;
    const char *text, *p;
    int truncated;

    stream_set_timeout(st->s.stream, timeout * 1000L);
    buf_reset(&st->acc);
    for (;;) {
        size_t used;
        enum smtp_reply_parse_status ps;

        if (stream_read_line(st->s.stream, &st->line, st->lim.max_line + 2, &truncated) < 0 ||
            truncated) {
            if (truncated) {
                buf_reset(why);
                buf_printf(why, "host %s[%s] sent a reply line that is too long",
                           st->s.target->host, st->s.target->addr);
            } else {
                smtp_lost(st, stage, why);
            }
            buf_release(&err);
            return -1;
        }
        buf_append(&st->acc, buf_str(&st->line), buf_len(&st->line));
        ps = smtp_reply_parse(buf_str(&st->acc), buf_len(&st->acc), &st->lim, &st->parsed, &used,
                              &err);
        if (ps == SMTP_REPLY_PARSE_OK)
            break;
        if (ps == SMTP_REPLY_PARSE_BAD) {
            buf_reset(why);
            buf_printf(why, "host %s[%s] sent a %s", st->s.target->host, st->s.target->addr,
                       buf_str(&err));
            buf_release(&err);
            return -1;
        }
    }
    buf_release(&err);
    st->reply.code = st->parsed.code;
    /* The joined, printable text: "550 5.1.1 line one line two". */
    buf_reset(&st->reply.text);
    buf_printf(&st->reply.text, "%d ", st->parsed.code);
    for (p = buf_str(&st->parsed.text); *p; p++) {
        unsigned char c = (unsigned char)*p;

        buf_append_char(&st->reply.text, c == '\n' ? ' ' : (c < 0x20 || c >= 0x7f) ? '?' : c);
    }
    /* RFC 3463 code at the start of the text, its class matching. */
    text = buf_str(&st->parsed.text);
    {
        size_t n = strspn(text, "0123456789.");

        if (n >= 5 && n < sizeof(st->reply.dsn) && text[0] == '0' + st->parsed.code / 100 &&
            text[1] == '.' && (text[n] == ' ' || text[n] == '\0' || text[n] == '\n')) {
            memcpy(st->reply.dsn, text, n);
            st->reply.dsn[n] = '\0';
        } else {
            snprintf(st->reply.dsn, sizeof(st->reply.dsn), "%d.0.0", st->parsed.code / 100);
        }
    }
    return 0;
}

/* RFC 3464 Remote-MTA of a result: "dns; host". */
static void smtp_result_mta(const struct smtp_state *st, struct deliver_result *r)
{
    struct buf mta = BUF_INIT;

    buf_printf(&mta, "dns; %s", st->s.target->host);
    mem_free(r->mta);
    r->mta = buf_steal(&mta);
}

/* Sets one recipient's result from the current reply. */
static void smtp_result_from_reply(struct smtp_state *st, size_t i, enum smtp_stage stage)
{
    const struct smtp_target *t = st->s.target;
    struct deliver_result *r = &st->res[i];
    struct buf reason = BUF_INIT;
    int code = st->reply.code;

    if (code / 100 == 2) {
        buf_set(&reason, buf_str(&st->reply.text));
        deliver_result_set(r, DELIVER_STATUS_OK, st->reply.dsn, st->s.relay, "%s",
                           buf_str(&reason));
        if (st->s.cfg->lmtp && st->s.cfg->assume_final) {
            mem_free(r->action);
            r->action = mem_strdup("delivered");
        }
    } else {
        buf_printf(&reason, "host %s[%s] said: %s", t->host, t->unix_socket ? t->host : t->addr,
                   buf_str(&st->reply.text));
        smtp_in_reply_to(&reason, stage, st->s.cfg->lmtp);
        if (code / 100 == 4 && !st->final) {
            smtp_soft(st, st->reply.dsn, buf_str(&reason));
            buf_release(&reason);
            return;
        }
        deliver_result_set(r, code / 100 == 5 ? DELIVER_STATUS_BOUNCE : DELIVER_STATUS_DEFER,
                           st->reply.dsn, st->s.relay, "%s", buf_str(&reason));
    }
    smtp_result_mta(st, r);
    buf_reset(&reason);
    buf_printf(&reason, "%s; %s", st->s.cfg->proto, buf_str(&st->reply.text));
    mem_free(r->diag);
    r->diag = buf_steal(&reason);
    buf_release(&reason);
}

/* Every recipient without a result yet gets this one. */
static void smtp_fill(struct smtp_state *st, int status, const char *dsn, const char *reason)
{
    deliver_result_fill(st->res, st->req->nrcpt, status, dsn, st->s.relay, reason);
}

/* Every recipient without a result gets the current (non-2xx) reply. */
static void smtp_fill_reply(struct smtp_state *st, enum smtp_stage stage)
{
    size_t i;

    for (i = 0; i < st->req->nrcpt; i++)
        if (st->res[i].dsn_status == NULL)
            smtp_result_from_reply(st, i, stage);
}

/* Records the server's extensions from an EHLO/LHLO reply. */
static void smtp_parse_features(struct smtp_state *st)
{
    const char *p = strchr(buf_str(&st->parsed.text), '\n');

    st->s.features = SMTP_FEAT_ESMTP;
    st->s.size_limit = 0;
    mem_free(st->s.auth_mechs);
    st->s.auth_mechs = NULL;
    /* The first line is the server's name, never a keyword. */
    while (p != NULL) {
        const char *line = ++p, *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        size_t kw = strcspn(line, " =\n");

#define KW(name) (kw == sizeof(name) - 1 && strncasecmp(line, name, kw) == 0)
        if (KW("PIPELINING"))
            st->s.features |= SMTP_FEAT_PIPELINING;
        else if (KW("8BITMIME"))
            st->s.features |= SMTP_FEAT_8BITMIME;
        else if (KW("DSN"))
            st->s.features |= SMTP_FEAT_DSN;
        else if (KW("STARTTLS"))
            st->s.features |= SMTP_FEAT_STARTTLS;
        else if (KW("SMTPUTF8"))
            st->s.features |= SMTP_FEAT_SMTPUTF8;
        else if (KW("ENHANCEDSTATUSCODES"))
            st->s.features |= SMTP_FEAT_ENHANCED;
        else if (KW("AUTH") && kw < n) {
            st->s.features |= SMTP_FEAT_AUTH;
            mem_free(st->s.auth_mechs);
            st->s.auth_mechs = mem_strndup(line + kw + 1, n - kw - 1);
        } else if (KW("SIZE")) {
            long v = 0;
            char num[24];
            size_t len = n > kw ? n - kw - 1 : 0;

            st->s.features |= SMTP_FEAT_SIZE;
            if (len > 0 && len < sizeof(num)) {
                memcpy(num, line + kw + 1, len);
                num[len] = '\0';
                if (str_to_long(num, &v) == 0 && v > 0)
                    st->s.size_limit = v;
            }
        }
#undef KW
        p = end;
    }
}

static int smtp_flush(struct smtp_state *st, enum smtp_stage stage, long timeout, struct buf *why)
{
    stream_set_timeout(st->s.stream, timeout * 1000L);
    if (stream_flush(st->s.stream) < 0) {
        smtp_lost(st, stage, why);
        return -1;
    }
    return 0;
}

/* Greeting and EHLO/HELO/LHLO. SMTP_ATTEMPT_NEXT with why when this
 * server cannot be used; -1 when every recipient got a result. */
static int smtp_helo(struct smtp_state *st, struct buf *why)
{
    const struct smtp_config *cfg = st->s.cfg;
    const struct smtp_target *t = st->s.target;
    const char *addr = t->unix_socket ? t->host : t->addr;

    snprintf(st->next_dsn, sizeof(st->next_dsn), "4.4.2");
    if (smtp_read_reply(st, cfg->helo_timeout, STAGE_GREETING, why) < 0)
        return 1;
    if (st->reply.code / 100 != 2) {
        snprintf(st->next_dsn, sizeof(st->next_dsn), "4%s", st->reply.dsn + 1);
        buf_reset(why);
        buf_printf(why, "host %s[%s] refused to talk to me: %s", t->host, addr,
                   buf_str(&st->reply.text));
        /* 5xx greeting: with smtp_skip_5xx_greeting the server is skipped
         * like a 4xx one (and the mail waits), else the mail bounces. */
        if (st->reply.code / 100 == 5 && !cfg->skip_5xx_greeting) {
            smtp_fill(st, DELIVER_STATUS_BOUNCE, st->reply.dsn, buf_str(why));
            return -1;
        }
        return 1;
    }
    stream_printf(st->s.stream, "%s %s\r\n", cfg->lmtp ? "LHLO" : "EHLO", cfg->helo_name);
    if (smtp_flush(st, STAGE_EHLO, cfg->helo_timeout, why) < 0 ||
        smtp_read_reply(st, cfg->helo_timeout, STAGE_EHLO, why) < 0)
        return 1;
    if (st->reply.code / 100 == 2) {
        smtp_parse_features(st);
    } else if (!cfg->lmtp) {
        /* RFC 5321 3.2: a server without ESMTP; try HELO. */
        stream_printf(st->s.stream, "HELO %s\r\n", cfg->helo_name);
        if (smtp_flush(st, STAGE_HELO, cfg->helo_timeout, why) < 0 ||
            smtp_read_reply(st, cfg->helo_timeout, STAGE_HELO, why) < 0)
            return 1;
        st->s.features = 0;
    }
    if (st->reply.code / 100 != 2) {
        buf_reset(why);
        buf_printf(why, "host %s[%s] said: %s", t->host, addr, buf_str(&st->reply.text));
        smtp_in_reply_to(why, cfg->lmtp ? STAGE_EHLO : STAGE_HELO, cfg->lmtp);
        if (st->reply.code / 100 == 5) {
            smtp_fill(st, DELIVER_STATUS_BOUNCE, st->reply.dsn, buf_str(why));
            return -1;
        }
        snprintf(st->next_dsn, sizeof(st->next_dsn), "%s", st->reply.dsn);
        return 1;
    }
    return 0;
}

/* MAIL FROM command with its ESMTP parameters. */
static void smtp_put_mail(struct smtp_state *st)
{
    const struct deliver_request *req = st->req;
    struct buf cmd = BUF_INIT;

    buf_printf(&cmd, "MAIL FROM:<%s>", req->sender);
    if (st->s.features & SMTP_FEAT_SIZE)
        buf_printf(&cmd, " SIZE=%ld", req->data_size);
    if ((st->s.features & SMTP_FEAT_8BITMIME) && (req->flags & DELIVER_FLAG_8BIT))
        buf_append_str(&cmd, " BODY=8BITMIME");
    if ((st->s.features & SMTP_FEAT_SMTPUTF8) && (req->flags & DELIVER_FLAG_SMTPUTF8))
        buf_append_str(&cmd, " SMTPUTF8");
    if (st->s.features & SMTP_FEAT_DSN) {
        if (req->ret == QUEUE_DSN_RET_FULL)
            buf_append_str(&cmd, " RET=FULL");
        else if (req->ret == QUEUE_DSN_RET_HDRS)
            buf_append_str(&cmd, " RET=HDRS");
        if (req->envid[0] != '\0') {
            buf_append_str(&cmd, " ENVID=");
            smtp_xtext_append(&cmd, req->envid);
        }
    }
    buf_append_str(&cmd, "\r\n");
    stream_write(st->s.stream, buf_str(&cmd), buf_len(&cmd));
    buf_release(&cmd);
}

static void smtp_put_rcpt(struct smtp_state *st, const struct deliver_rcpt *rcpt)
{
    struct buf cmd = BUF_INIT;

    buf_printf(&cmd, "RCPT TO:<%s>", rcpt->address);
    if (st->s.features & SMTP_FEAT_DSN) {
        if (rcpt->notify & QUEUE_DSN_NOTIFY_NEVER) {
            buf_append_str(&cmd, " NOTIFY=NEVER");
        } else if (rcpt->notify != 0) {
            const char *sep = " NOTIFY=";

            if (rcpt->notify & QUEUE_DSN_NOTIFY_SUCCESS) {
                buf_printf(&cmd, "%sSUCCESS", sep);
                sep = ",";
            }
            if (rcpt->notify & QUEUE_DSN_NOTIFY_FAILURE) {
                buf_printf(&cmd, "%sFAILURE", sep);
                sep = ",";
            }
            if (rcpt->notify & QUEUE_DSN_NOTIFY_DELAY)
                buf_printf(&cmd, "%sDELAY", sep);
        }
        /* ORCPT=type;xtext(address), RFC 3461 4.2 */
        if (rcpt->dsn_orcpt[0] != '\0') {
            const char *semi = strchr(rcpt->dsn_orcpt, ';');

            if (semi != NULL) {
                buf_append_str(&cmd, " ORCPT=");
                buf_append(&cmd, rcpt->dsn_orcpt, (size_t)(semi - rcpt->dsn_orcpt + 1));
                smtp_xtext_append(&cmd, semi + 1);
            }
        }
    }
    buf_append_str(&cmd, "\r\n");
    stream_write(st->s.stream, buf_str(&cmd), buf_len(&cmd));
    buf_release(&cmd);
}

/* Sends the message content with dot-stuffing and CRLF, then ".". */
static int smtp_put_content(struct smtp_state *st, struct buf *why)
{
    const struct smtp_config *cfg = st->s.cfg;
    struct mailbox_content content;
    struct mailbox_queue_source src;
    struct buf err = BUF_INIT;
    int bol = 1, rc = 0, n, eol;
    size_t col = 0;
    const char *data;
    size_t len;

    if (st->req->queue == NULL || mailbox_content_queue(&content, &src, st->req->queue, &err) < 0) {
        msg_warn("%s: cannot read queue file %s/%s: %s", st->req->queue_id, st->req->queue_name,
                 st->req->queue_id, buf_str(&err));
        buf_set(why, "error reading message file");
        rc = -2;
        goto done;
    }
    stream_set_timeout(st->s.stream, cfg->data_xfer_timeout * 1000L);
    while ((n = content.next(content.ctx, &data, &len, &eol, &err)) > 0) {
        if (bol && len > 0 && data[0] == '.') {
            stream_write(st->s.stream, ".", 1);
            col++;
        }
        /* smtp_line_length_limit: break long lines with CRLF SPACE, as
         * Postfix does, so that no server truncates them. */
        while (cfg->line_length_limit > 0 && col + len > (size_t)cfg->line_length_limit) {
            size_t part = (size_t)cfg->line_length_limit - col;

            stream_write(st->s.stream, data, part);
            stream_write(st->s.stream, "\r\n ", 3);
            data += part;
            len -= part;
            col = 1;
        }
        stream_write(st->s.stream, data, len);
        col += len;
        bol = eol;
        if (eol) {
            stream_write(st->s.stream, "\r\n", 2);
            col = 0;
        }
        if (stream_error(st->s.stream) != STREAM_OK) {
            smtp_lost(st, STAGE_BODY, why);
            rc = -1;
            goto done;
        }
    }
    if (n < 0) {
        msg_warn("%s: cannot read queue file: %s", st->req->queue_id, buf_str(&err));
        buf_set(why, "error reading message file");
        rc = -2;
        goto done;
    }
    if (!bol)
        stream_write(st->s.stream, "\r\n", 2);
    stream_write(st->s.stream, ".\r\n", 3);
    if (smtp_flush(st, STAGE_BODY, cfg->data_xfer_timeout, why) < 0)
        rc = -1;
done:
    buf_release(&err);
    return rc;
}

static void smtp_quit(struct smtp_state *st)
{
    struct buf ignore = BUF_INIT;

    stream_clear_error(st->s.stream);
    stream_puts(st->s.stream, "QUIT\r\n");
    if (smtp_flush(st, STAGE_QUIT, st->s.cfg->quit_timeout, &ignore) == 0 &&
        !st->s.cfg->skip_quit_response)
        (void)smtp_read_reply(st, st->s.cfg->quit_timeout, STAGE_QUIT, &ignore);
    buf_release(&ignore);
}

/* MAIL, RCPT, DATA, content, final reply(s). Every recipient gets a
 * result (a broken connection defers the ones still open). */
static void smtp_transaction(struct smtp_state *st)
{
    const struct smtp_config *cfg = st->s.cfg;
    const struct deliver_request *req = st->req;
    int pipe = (st->s.features & SMTP_FEAT_PIPELINING) != 0;
    int verify = (req->flags & DELIVER_FLAG_VERIFY) != 0;
    struct buf why = BUF_INIT;
    size_t i, accepted = 0, *ok = mem_calloc(req->nrcpt ? req->nrcpt : 1, sizeof(*ok));
    size_t ntodo = 0, *todo = mem_calloc(req->nrcpt ? req->nrcpt : 1, sizeof(*todo));
    int data_sent = 0, at_dot = 0, rc;

    /* Only recipients that an earlier server left open. */
    for (i = 0; i < req->nrcpt; i++)
        if (st->res[i].dsn_status == NULL)
            todo[ntodo++] = i;
    smtp_put_mail(st);
    if (pipe) {
        for (i = 0; i < ntodo; i++)
            smtp_put_rcpt(st, &req->rcpt[todo[i]]);
        /* An address probe stops after RCPT: no DATA. */
        if (!verify) {
            stream_puts(st->s.stream, "DATA\r\n");
            data_sent = 1;
        }
    }
    if (smtp_flush(st, STAGE_MAIL, cfg->mail_timeout, &why) < 0 ||
        smtp_read_reply(st, cfg->mail_timeout, STAGE_MAIL, &why) < 0)
        goto lost;
    if (st->reply.code / 100 != 2) {
        smtp_fill_reply(st, STAGE_MAIL);
        /* The replies to the pipelined RCPTs and DATA must be read before
         * the session can be used again. */
        for (i = 0; pipe && i < ntodo + (size_t)data_sent; i++)
            if (smtp_read_reply(st, cfg->rcpt_timeout, STAGE_RCPT, &why) < 0)
                goto out;
        goto quit;
    }
    for (i = 0; i < ntodo; i++) {
        if (!pipe) {
            smtp_put_rcpt(st, &req->rcpt[todo[i]]);
            if (smtp_flush(st, STAGE_RCPT, cfg->rcpt_timeout, &why) < 0)
                goto lost;
        }
        if (smtp_read_reply(st, cfg->rcpt_timeout, STAGE_RCPT, &why) < 0)
            goto lost;
        if (st->reply.code / 100 == 2) {
            ok[accepted++] = todo[i];
            if (verify)
                smtp_result_from_reply(st, todo[i], STAGE_RCPT);
        } else {
            smtp_result_from_reply(st, todo[i], STAGE_RCPT);
        }
    }
    if (verify)
        goto quit; /* the next transaction starts with RSET (or QUIT) */
    if (accepted == 0 && !data_sent)
        goto quit;
    if (!data_sent) {
        stream_puts(st->s.stream, "DATA\r\n");
        if (smtp_flush(st, STAGE_DATA, cfg->data_init_timeout, &why) < 0)
            goto lost;
    }
    if (smtp_read_reply(st, cfg->data_init_timeout, STAGE_DATA, &why) < 0)
        goto lost;
    if (accepted == 0) {
        /* A pipelined DATA after no accepted RCPT: the server refused it
         * (or, if it said 354, gets an empty message we abandon). */
        if (st->reply.code == 354)
            goto lost_quiet;
        goto quit;
    }
    if (st->reply.code != 354) {
        smtp_fill_reply(st, STAGE_DATA);
        goto quit;
    }
    rc = smtp_put_content(st, &why);
    if (rc == -2) {
        smtp_fill(st, DELIVER_STATUS_DEFER, "4.3.0", buf_str(&why));
        goto out; /* the session is unusable: we are inside DATA */
    }
    if (rc < 0)
        goto lost;
    at_dot = 1;
    for (i = 0; i < (cfg->lmtp ? accepted : 1); i++) {
        if (smtp_read_reply(st, cfg->data_done_timeout, STAGE_DOT, &why) < 0)
            goto lost;
        /* Each recipient the server took is marked done at once. */
        if (cfg->lmtp) {
            smtp_result_from_reply(st, ok[i], STAGE_DOT);
            deliver_agent_mark_done(req, ok[i], &st->res[ok[i]]);
        } else {
            size_t j;

            for (j = 0; j < accepted; j++) {
                smtp_result_from_reply(st, ok[j], STAGE_DOT);
                deliver_agent_mark_done(req, ok[j], &st->res[ok[j]]);
            }
        }
    }
quit:
    st->clean = 1; /* the caller says QUIT or keeps the session */
    goto out;
lost_quiet:
    buf_set(&why, "server accepted DATA without recipients");
lost:
    /* After the final dot the server may have the message: never again. */
    if (st->final || at_dot)
        smtp_fill(st, DELIVER_STATUS_DEFER, "4.4.2", buf_str(&why));
    else
        smtp_soft(st, "4.4.2", buf_str(&why));
out:
    mem_free(todo);
    mem_free(ok);
    buf_release(&why);
}

/* Sets up the per-call state around an open stream. */
static void smtp_state_init(struct smtp_state *st, const struct smtp_config *cfg,
                            const struct smtp_target *t, const struct deliver_request *req,
                            struct deliver_result *res)
{
    memset(st, 0, sizeof(*st));
    st->s.cfg = cfg;
    st->s.target = t;
    st->req = req;
    st->res = res;
    st->lim.max_line = cfg->reply_line_max;
    st->lim.max_lines = cfg->reply_lines_max;
    smtp_reply_parsed_init(&st->parsed);
    buf_init(&st->reply.text);
    buf_init(&st->line);
    buf_init(&st->acc);
    buf_init(&st->soft);
    if (t->unix_socket)
        snprintf(st->s.relay, sizeof(st->s.relay), "%s[%s]", var_myhostname, t->host);
    else
        snprintf(st->s.relay, sizeof(st->s.relay), "%s[%s]:%s", t->host, t->addr, t->port);
}

static void smtp_state_release(struct smtp_state *st)
{
    smtp_reply_parsed_release(&st->parsed);
    buf_release(&st->reply.text);
    buf_release(&st->line);
    buf_release(&st->acc);
    buf_release(&st->soft);
}

/* 1 when a recipient still has no result. */
static int smtp_undecided(const struct smtp_state *st)
{
    size_t i;

    for (i = 0; i < st->req->nrcpt; i++)
        if (st->res[i].dsn_status == NULL)
            return 1;
    return 0;
}

/* Checks what this server can take before MAIL FROM; 0, or -1 when every
 * recipient got a result (bounced). */
static int smtp_precheck(struct smtp_state *st, struct buf *why)
{
    const struct smtp_target *t = st->s.target;
    const struct deliver_request *req = st->req;

    if (st->s.size_limit > 0 && req->data_size > st->s.size_limit) {
        buf_reset(why);
        buf_printf(why, "message size %ld exceeds size limit %lld of server %s[%s]", req->data_size,
                   st->s.size_limit, t->host, t->unix_socket ? t->host : t->addr);
        smtp_fill(st, DELIVER_STATUS_BOUNCE, "5.3.4", buf_str(why));
        return -1;
    }
    if ((req->flags & DELIVER_FLAG_SMTPUTF8) && !(st->s.features & SMTP_FEAT_SMTPUTF8)) {
        buf_reset(why);
        buf_printf(why, "SMTPUTF8 is required, but was not offered by host %s[%s]", t->host,
                   t->unix_socket ? t->host : t->addr);
        smtp_fill(st, DELIVER_STATUS_BOUNCE, "5.6.7", buf_str(why));
        return -1;
    }
    return 0;
}

/* After a transaction: keeps the session for the next request to dest
 * (cache != NULL and the session ended cleanly), else says QUIT. */
static void smtp_session_end(struct smtp_state *st, struct smtp_conn *conn,
                             struct smtp_conn **cache, const char *dest)
{
    if (cache != NULL && st->clean && st->s.cfg->cache_time_limit > 0) {
        if (conn == NULL) {
            conn = mem_calloc(1, sizeof(*conn));
            conn->target = *st->s.target;
        }
        if (conn->dest != dest) { /* a reused session passes its own */
            mem_free(conn->dest);
            conn->dest = mem_strdup(dest);
        }
        conn->stream = st->s.stream;
        conn->features = st->s.features;
        conn->size_limit = st->s.size_limit;
        if (conn->auth_mechs != st->s.auth_mechs) {
            mem_free(conn->auth_mechs);
            conn->auth_mechs = st->s.auth_mechs;
        }
        gettimeofday(&conn->idle_since, NULL);
        *cache = conn;
        return;
    }
    if (st->clean)
        smtp_quit(st);
    stream_free(st->s.stream);
    mem_free(st->s.auth_mechs);
    if (conn != NULL) {
        mem_free(conn->dest);
        mem_free(conn);
    }
}

enum smtp_attempt smtp_session_deliver(const struct smtp_config *cfg, const struct smtp_target *t,
                                       int fd, const struct deliver_request *req,
                                       struct deliver_result *res, struct deliver_times *times,
                                       struct buf *why, char *dsn, size_t dsn_size,
                                       struct smtp_conn **cache, const char *dest, int final)
{
    struct smtp_state st;
    enum smtp_attempt outcome = SMTP_ATTEMPT_DONE;
    int rc;

    smtp_state_init(&st, cfg, t, req, res);
    st.final = final;
    st.s.stream = stream_open_fd(fd, 1);
    rc = smtp_helo(&st, why);
    if (rc == 0 && (smtp_starttls(&st.s, why) < 0 || smtp_auth(&st.s, why) < 0))
        rc = 1;
    if (rc > 0) {
        outcome = SMTP_ATTEMPT_NEXT;
        snprintf(dsn, dsn_size, "%s", st.next_dsn[0] ? st.next_dsn : "4.4.2");
        st.clean = 1;
    } else if (rc < 0) {
        st.clean = 1;
    } else {
        gettimeofday(&times->conn_done, NULL);
        if (smtp_precheck(&st, why) < 0) {
            st.clean = 1;
            cache = NULL;
        } else {
            smtp_transaction(&st);
            if (smtp_undecided(&st)) {
                outcome = SMTP_ATTEMPT_NEXT;
                buf_set(why, buf_str(&st.soft));
                snprintf(dsn, dsn_size, "%s", st.soft_dsn[0] ? st.soft_dsn : "4.4.2");
            }
        }
    }
    /* Only a session that decided everything is kept: at most one per
     * request, so *cache is never overwritten. */
    smtp_session_end(&st, NULL, outcome == SMTP_ATTEMPT_DONE && rc == 0 ? cache : NULL, dest);
    smtp_state_release(&st);
    return outcome;
}

int smtp_session_reuse(const struct smtp_config *cfg, struct smtp_conn **cache,
                       const struct deliver_request *req, struct deliver_result *res,
                       struct deliver_times *times)
{
    struct smtp_conn *conn = *cache;
    struct smtp_state st;
    struct buf why = BUF_INIT;
    int ok;

    *cache = NULL;
    smtp_state_init(&st, cfg, &conn->target, req, res);
    st.s.stream = conn->stream;
    st.s.features = conn->features;
    st.s.size_limit = conn->size_limit;
    st.s.auth_mechs = conn->auth_mechs;
    /* RFC 5321 4.1.1.5: RSET starts the next transaction afresh. */
    stream_puts(st.s.stream, "RSET\r\n");
    ok = smtp_flush(&st, STAGE_MAIL, cfg->rset_timeout, &why) == 0 &&
         smtp_read_reply(&st, cfg->rset_timeout, STAGE_MAIL, &why) == 0 && st.reply.code / 100 == 2;
    if (ok) {
        gettimeofday(&times->conn_done, NULL);
        if (smtp_precheck(&st, &why) < 0)
            st.clean = 1;
        else
            smtp_transaction(&st);
    }
    if (ok && smtp_undecided(&st))
        ok = 0; /* a 4xx: the caller tries the destination's servers in order */
    smtp_session_end(&st, conn, ok ? cache : NULL, conn->dest);
    smtp_state_release(&st);
    buf_release(&why);
    return ok ? 0 : -1;
}

void smtp_conn_close(const struct smtp_config *cfg, struct smtp_conn **cache)
{
    struct smtp_conn *conn = *cache;
    struct smtp_state st;

    if (conn == NULL)
        return;
    *cache = NULL;
    smtp_state_init(&st, cfg, &conn->target, NULL, NULL);
    st.s.stream = conn->stream;
    st.s.auth_mechs = conn->auth_mechs;
    st.clean = 1;
    smtp_session_end(&st, conn, NULL, conn->dest);
    smtp_state_release(&st);
}
