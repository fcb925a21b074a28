/*
 * smtpd.h - the SMTP server's per-connection state and the seams between
 * its files: smtpd_main.c (skeleton, connection, command loop),
 * smtpd_cmd.c (one handler per verb), smtpd_data.c (DATA/BDAT and the
 * cleanup conversation), smtpd_check*.c (restriction evaluator, its
 * internals in smtpd_check.h; DNS-based rows in smtpd_check_dns.c),
 * smtpd_anvil.c (per-client limits through anvil), smtpd_reply.c
 * (buffered replies, error accounting, log lines) and smtpd_chat.c (session
 * transcript, postmaster notices).
 * Invariants: every reply goes through smtpd_reply(); "250 ... queued as"
 * is sent only after cleanup answered OK (its file is fsync'ed); no
 * handler parses protocol text itself (lib/smtp does).
 */
#ifndef POSTERN_SMTPD_SMTPD_H
#define POSTERN_SMTPD_SMTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "mail/cleanup_client.h"
#include "smtp/smtp_cmd.h"
#include "smtp/smtp_data.h"
#include "smtp/smtp_esmtp.h"
#include "util/buf.h"

/* Bytes of improperly pipelined input quoted in the log line. */
#define SMTPD_PIPE_LOG_MAX 100

struct stream;

/* Error classes of a session, for notify_classes (smtpd_chat.c). */
#define SMTPD_ERR_PROTOCOL (1 << 0) /* syntax, unknown command, bad sequence ... */
#define SMTPD_ERR_POLICY   (1 << 1) /* a restriction or an anvil limit rejected */
#define SMTPD_ERR_RESOURCE (1 << 2) /* queue file write error, cleanup unavailable */
#define SMTPD_ERR_SOFTWARE (1 << 3) /* internal or configuration error */

/* Per-verb counters for the "disconnect from ... ehlo=1 mail=1/2" line,
 * in Postfix's order. */
enum smtpd_stat {
    SMTPD_STAT_HELO,
    SMTPD_STAT_EHLO,
    SMTPD_STAT_STARTTLS,
    SMTPD_STAT_AUTH,
    SMTPD_STAT_MAIL,
    SMTPD_STAT_RCPT,
    SMTPD_STAT_DATA,
    SMTPD_STAT_BDAT,
    SMTPD_STAT_RSET,
    SMTPD_STAT_NOOP,
    SMTPD_STAT_VRFY,
    SMTPD_STAT_ETRN,
    SMTPD_STAT_QUIT,
    SMTPD_STAT_UNKNOWN,
    SMTPD_STAT_COUNT
};

/* One accepted recipient. */
struct smtpd_rcpt {
    char *address; /* internal form */
    char *orcpt;   /* "type;address" or "" */
    int notify;
};

struct smtpd_state {
    struct stream *client;
    /* The client. */
    char *name;         /* verified host name, or "unknown" */
    char *reverse_name; /* PTR name, or "unknown" */
    char *addr;         /* printable address */
    char *port;
    char *namaddr; /* name[addr], for logs and client access replies */
    struct sockaddr_storage sa;
    socklen_t sa_len;
    int local_client;    /* local_header_rewrite_clients matched (at MAIL): "local"
                          * rewrite context, cleanup adds missing headers */
    const char *service; /* master.cf service name, for anvil */
    int anvil_exempt;    /* smtpd_client_event_limit_exceptions: -1 not yet known */
    int anvil_connected; /* anvil counts this connection: disconnect at the end */
    /* Session. */
    char *helo_name;
    const char *protocol; /* "SMTP" or "ESMTP" */
    uint32_t ehlo_offered;
    int enhanced;     /* enhanced status codes in replies */
    struct buf where; /* "CONNECT", "EHLO", "DATA (20 bytes)": for timeout/lost logs */
    int error_count;
    int junk_count;
    int stats_ok[SMTPD_STAT_COUNT];
    int stats_total[SMTPD_STAT_COUNT];
    int ill_pipelining; /* talked ahead where it may not: reject_unauth_pipelining */
    int quit;           /* end the session after this reply */
    /* Transcript for the postmaster notice (smtpd_chat.c). */
    char **history; /* "In:  EHLO x", "Out: 250 ..." */
    size_t history_count;
    size_t history_cap;
    int error_mask;           /* SMTPD_ERR_* seen in this session */
    int reply_class;          /* SMTPD_ERR_* of the next 4xx/5xx reply; 0: by its text */
    const char *abort_reason; /* "lost connection" ...: the session did not end with QUIT */
    struct buf out;           /* replies not yet written */
    struct buf line;
    struct smtp_cmd cmd;
    /* Transaction. */
    char *sender; /* internal form; NULL before MAIL */
    struct smtp_mail_params mail_params;
    time_t arrival;
    long arrival_usec;
    struct smtpd_rcpt *rcpt;
    size_t rcpt_count;
    size_t rcpt_cap;
    int rcpt_overshoot; /* recipients refused by smtpd_recipient_limit */
    struct cleanup_client *cleanup;
    int cleanup_flags; /* CLEANUP_FLAG_HOLD ... from access maps */
    int discard;       /* DISCARD action: accept, cleanup throws it away */
    struct buf discard_reason;
    char *filter;       /* FILTER action "transport:nexthop" (last wins), or NULL */
    char *redirect;     /* REDIRECT action address (last wins), or NULL */
    char *bcc;          /* BCC action address (last wins), or NULL */
    struct buf prepend; /* header lines from PREPEND actions, each ending in '\n' */
    struct smtp_data *data;
    int data_failed; /* a cleanup write failed during content */
    struct buf data_err;
    uint64_t bdat_bytes; /* BDAT octets so far in this message */
    int bdat_active;     /* inside a BDAT sequence */
    int bdat_error;      /* a BDAT chunk failed: discard until LAST */
    /* Restriction results (smtpd_check.c). */
    struct buf check_reply; /* one-line reply without CRLF */
    /* smtpd_delay_reject = no: a defer_if_permit left pending by the client,
     * HELO and sender lists at HELO/MAIL, applied at each RCPT (code 0: none). */
    int early_defer_code;
    char early_defer_dsn[16];
    struct buf early_defer_text;
};

/* smtpd_main.c */
extern int smtpd_bare_lf_mode; /* enum smtp_bare_lf before exclusions */
/* Logs input the client sent before it was allowed to (after "CONNECT", or the
 * command it sent ahead of, e.g. "EHLO"), and sets ill_pipelining when it did. */
void smtpd_log_improper_pipelining(struct smtpd_state *state, const char *after);
/* Is client input waiting (in our buffer or on the socket)? */
int smtpd_input_pending(const struct smtpd_state *state);
/* A read failed: logs "timeout after X" (and sends 421) or "lost connection after X". */
void smtpd_read_failed(struct smtpd_state *state);

/* smtpd_reply.c: buffered replies (PIPELINING: flushed when input is drained). */
/* Formats and buffers one reply; 4xx/5xx count as errors (and sleep past the
 * soft limit). text may hold '\n' for multi-line replies. */
void smtpd_reply(struct smtpd_state *state, int code, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A one-line reply as the lib/smtp parsers and the checks leave them
 * ("501 5.5.4 Syntax: RSET"). */
void smtpd_reply_line(struct smtpd_state *state, const char *line);
/* Writes buffered replies to the stream and flushes it. -1 on error. */
int smtpd_reply_flush(struct smtpd_state *state);
void smtpd_where_set(struct smtpd_state *state, const char *where);
void smtpd_stat(struct smtpd_state *state, enum smtpd_stat which, int ok);
/* "ehlo=1 mail=1 rcpt=1/2 ... commands=5/6" */
void smtpd_stats_format(const struct smtpd_state *state, struct buf *out);
/* Appends data with CR, LF and other control bytes escaped (\r, \n, \ooo):
 * client text is never logged raw. 8-bit bytes pass (UTF-8 names). */
void smtpd_escape(struct buf *out, const char *data, size_t len);
/* "ID" of the open cleanup transaction, or "NOQUEUE". */
const char *smtpd_queue_id(const struct smtpd_state *state);
/* Logs "ID: reject: CMD from name[addr]: reply; from=<..> to=<..> proto=.. helo=<..>". */
void smtpd_log_reject(const struct smtpd_state *state, const char *action, const char *cmd,
                      const char *reply, const char *rcpt);

/* smtpd_chat.c: the session transcript and the postmaster notice. */
/* One command line as the client sent it (the AUTH argument masked). */
void smtpd_chat_in(struct smtpd_state *state, const char *line, size_t len);
/* For lib/sasl: a SASL response line, recorded only as a mask. */
void smtpd_chat_in_secret(struct smtpd_state *state);
/* Reply lines (CRLF-terminated text) as buffered for the client. */
void smtpd_chat_out(struct smtpd_state *state, const char *text, size_t len);
/* At HELO/EHLO, RSET and the end of a message: clears the history when it
 * holds more than smtpd_history_flush_threshold lines. */
void smtpd_chat_reset(struct smtpd_state *state);
/* At the end of the session: the notice, when notify_classes asks for it. */
void smtpd_chat_notify(struct smtpd_state *state);
void smtpd_chat_free(struct smtpd_state *state);

/* smtpd_cmd.c: the command handlers; each answers its command. */
void smtpd_cmd_dispatch(struct smtpd_state *state);
/* Ends the transaction: drops the recipients and abandons cleanup. */
void smtpd_transaction_reset(struct smtpd_state *state);

/* smtpd_data.c */
/* Opens cleanup and sends the envelope (at the first accepted RCPT, or at
 * MAIL with smtpd_delay_open_until_valid_rcpt = no). 0 or -1 with a reply sent. */
int smtpd_data_open(struct smtpd_state *state);
/* A connection to cleanup (public/, else private/); NULL with err. */
struct cleanup_client *smtpd_data_connect(struct buf *err);
/* Sends one accepted recipient to cleanup. 0 or -1 (reply not yet sent). */
int smtpd_data_add_rcpt(struct smtpd_state *state, const struct smtpd_rcpt *rcpt);
void smtpd_data_cmd(struct smtpd_state *state);
void smtpd_bdat_cmd(struct smtpd_state *state, uint64_t count, int last);
void smtpd_data_free(struct smtpd_state *state);

/* smtpd_anvil.c: smtpd_client_*_limit through anvil (fail open). */
enum smtpd_anvil_what { SMTPD_ANVIL_MESSAGE, SMTPD_ANVIL_RECIPIENT };
/* Reads the limits (pre_init); fatal on a bad exceptions list. */
void smtpd_anvil_init(void);
/* At connect: 0, or -1 with the 421 reply sent and state->quit set. */
int smtpd_anvil_connect(struct smtpd_state *state);
/* At the end of every session that smtpd_anvil_connect() registered. */
void smtpd_anvil_disconnect(struct smtpd_state *state);
/* At MAIL / RCPT: 0, or -1 with the 450 reply sent and the warning logged. */
int smtpd_anvil_event(struct smtpd_state *state, enum smtpd_anvil_what what);

/* smtpd_check.c: the restriction evaluator. */
void smtpd_check_init(void);
/* Is the client in mynetworks? In a network list of the same syntax? */
int smtpd_check_mynetworks(const struct smtpd_state *state);
int smtpd_check_in_networks(const struct smtpd_state *state, const char *list);
/* Each returns 0 (go on) or -1 with state->check_reply set and the reject
 * logged. smtpd_delay_reject governs where the client, HELO and sender
 * lists run: at HELO/MAIL when it is "no", else inside smtpd_check_rcpt(). */
int smtpd_check_helo(struct smtpd_state *state, const char *helo);
int smtpd_check_mail(struct smtpd_state *state, const char *sender);
int smtpd_check_rcpt(struct smtpd_state *state, const char *rcpt);
int smtpd_check_data(struct smtpd_state *state);
/* smtpd_end_of_data_restrictions, after the content and before cleanup's verdict. */
int smtpd_check_eod(struct smtpd_state *state);
/* local_header_rewrite_clients: sets state->local_client (the rewrite
 * context cleanup gets); -1 with check_reply on a table error. */
int smtpd_check_rewrite(struct smtpd_state *state);
/* VRFY: 0 if the address may exist, -1 with check_reply. */
int smtpd_check_vrfy(struct smtpd_state *state, const char *addr);

#endif
