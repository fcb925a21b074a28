/*
 * smtp.h - the SMTP and LMTP delivery agent (one program; LMTP when the
 * program or the master.cf service is named "lmtp").
 *
 * smtp_main.c serves delivery requests (deliver_agent_serve), turns the
 * nexthop into a list of addresses (MX lookup through lib/dns unless the
 * host is [bracketed] or the protocol is LMTP), and tries them in order,
 * then the fallback relays. smtp_connect.c opens one connection (TCP with
 * smtp_bind_address and smtp_connect_timeout, or a unix socket).
 * smtp_proto.c runs one session: greeting, EHLO/HELO/LHLO, MAIL, RCPT,
 * DATA (pipelined when offered), the content with dot-stuffing, QUIT, and
 * fills one result per recipient from the server's replies; it keeps a
 * cleanly ended session for the next request to the same nexthop
 * (smtp_connection_cache_time_limit). smtp_ext.c: xtext and the STARTTLS
 * and AUTH entry points (next milestone). The agent reads the message
 * content and writes nothing in the queue file but the done mark of each
 * recipient the server took (deliver_agent_mark_done()).
 */
#ifndef POSTERN_DAEMONS_SMTP_H
#define POSTERN_DAEMONS_SMTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "mail/deliver_agent.h"
#include "mail/queue_dir.h"
#include "util/buf.h"

struct stream;
struct smtp_conn;

/* The knobs of one protocol: smtp_* or lmtp_* parameters. */
struct smtp_config {
    int lmtp;              /* LMTP (LHLO, one DATA reply per recipient) */
    const char *proto;     /* "smtp" or "lmtp": for Diagnostic-Code and logs */
    const char *helo_name; /* smtp_helo_name / lmtp_lhlo_name */
    const char *bind4;     /* smtp_bind_address */
    const char *bind6;     /* smtp_bind_address6 */
    const char *fallback;  /* smtp_fallback_relay */
    const char *tcp_port;  /* smtp_tcp_port / lmtp_tcp_port */
    int family;            /* from inet_protocols: AF_UNSPEC, AF_INET, AF_INET6 */
    int skip_5xx_greeting;
    int skip_quit_response;
    int mx_address_limit;  /* 0: no limit */
    int line_length_limit; /* 0: no limit */
    long connect_timeout;  /* seconds; 0: the kernel's limit */
    long helo_timeout, mail_timeout, rcpt_timeout, rset_timeout;
    long data_init_timeout, data_xfer_timeout, data_done_timeout, quit_timeout;
    size_t reply_line_max;  /* longest reply line accepted */
    size_t reply_lines_max; /* lines of one reply */
    int assume_final;       /* lmtp_assume_final: "delivered" instead of "relayed" */
    long cache_time_limit;  /* smtp_connection_cache_time_limit; 0: no reuse */
};

/* One place to connect to. */
struct smtp_target {
    char host[256]; /* name for logs: MX host, literal address, or the socket path */
    char addr[64];  /* numeric address, "" for a unix socket */
    char port[16];  /* numeric port, "" for a unix socket */
    struct sockaddr_storage sa;
    socklen_t salen;
    int unix_socket;
};

/* Server capabilities from the EHLO/LHLO reply. */
#define SMTP_FEAT_ESMTP      (1u << 0)
#define SMTP_FEAT_PIPELINING (1u << 1)
#define SMTP_FEAT_SIZE       (1u << 2)
#define SMTP_FEAT_8BITMIME   (1u << 3)
#define SMTP_FEAT_DSN        (1u << 4)
#define SMTP_FEAT_STARTTLS   (1u << 5)
#define SMTP_FEAT_AUTH       (1u << 6)
#define SMTP_FEAT_SMTPUTF8   (1u << 7)
#define SMTP_FEAT_ENHANCED   (1u << 8)

struct smtp_session {
    const struct smtp_config *cfg;
    const struct smtp_target *target;
    struct stream *stream;
    unsigned features;
    long long size_limit; /* the server's SIZE, 0 when none given */
    char *auth_mechs;     /* the server's AUTH mechanisms (for the AUTH milestone) */
    char relay[400];      /* "host[addr]:port" for results */
};

/* Outcome of one session attempt, as the caller needs it. */
enum smtp_attempt {
    SMTP_ATTEMPT_DONE, /* every recipient has a final result from this server */
    SMTP_ATTEMPT_NEXT, /* nothing was decided: try the next address (why says why) */
};

/* smtp_connect.c */
int smtp_connect(const struct smtp_config *cfg, const struct smtp_target *t, struct buf *why);

/* smtp_proto.c: runs one session on an open fd (which it closes), for
 * the recipients without a result. Unless final (the last server to try),
 * a 4xx reply or a lost connection leaves recipients open for the next
 * server (RFC 5321 5.1) and the result is SMTP_ATTEMPT_NEXT, with why and
 * dsn (a 4.X.Y code) saying what went wrong. */
enum smtp_attempt smtp_session_deliver(const struct smtp_config *cfg, const struct smtp_target *t,
                                       int fd, const struct deliver_request *req,
                                       struct deliver_result *res, struct deliver_times *times,
                                       struct buf *why, char *dsn, size_t dsn_size,
                                       struct smtp_conn **cache, const char *dest, int final);

/*
 * Connection reuse: a session that ended cleanly is kept in *cache (one
 * per process: this is a single-client server) for the next request to
 * the same nexthop dest within smtp_connection_cache_time_limit, and
 * reused after RSET. smtp_session_reuse() takes the cached session; 0 when
 * it delivered (every recipient has a result), -1 when the session was
 * unusable (closed; no result set: connect afresh).
 */
struct smtp_conn {
    char *dest;
    struct smtp_target target;
    struct stream *stream;
    unsigned features;
    long long size_limit;
    char *auth_mechs;
    struct timeval idle_since;
};
int smtp_session_reuse(const struct smtp_config *cfg, struct smtp_conn **cache,
                       const struct deliver_request *req, struct deliver_result *res,
                       struct deliver_times *times);
/* Says QUIT on the cached session and frees it (no-op when none). */
void smtp_conn_close(const struct smtp_config *cfg, struct smtp_conn **cache);

/* Next milestone: STARTTLS and SASL AUTH. Each is called at its place in
 * the session and currently does nothing (returns 0: go on in plaintext,
 * unauthenticated). */
int smtp_starttls(struct smtp_session *session, struct buf *why);
int smtp_auth(struct smtp_session *session, struct buf *why);

/* smtp_ext.c: appends text as RFC 3461 xtext (ENVID, ORCPT). */
void smtp_xtext_append(struct buf *out, const char *text);

#endif
