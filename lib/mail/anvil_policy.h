/*
 * anvil_policy.h - what smtpd does with anvil's counters: whether a client
 * is exempt (smtpd_client_event_limit_exceptions, default $mynetworks), and
 * whether a count or rate is over its smtpd_client_*_limit, with Postfix's
 * reply and warning text.
 *
 * Pure decision code: no I/O, no anvil connection (anvil_client.h does the
 * asking). Postfix compares after registering the event: a limit of N
 * allows N, refuses N+1; 0 means no limit. An exempt client must not be
 * registered with anvil at all (Postfix does not count it either).
 */
#ifndef POSTERN_MAIL_ANVIL_POLICY_H
#define POSTERN_MAIL_ANVIL_POLICY_H

#include "mail/anvil_proto.h"
#include "util/buf.h"

/* smtpd_client_*_limit values; 0 means no limit. */
struct anvil_limits {
    unsigned conn_count;     /* smtpd_client_connection_count_limit */
    unsigned conn_rate;      /* smtpd_client_connection_rate_limit */
    unsigned message_rate;   /* smtpd_client_message_rate_limit */
    unsigned recipient_rate; /* smtpd_client_recipient_rate_limit */
    unsigned newtls_rate;    /* smtpd_client_new_tls_session_rate_limit */
    unsigned auth_rate;      /* smtpd_client_auth_rate_limit */
};

/* Which check: CONNECT checks the count, then the connection rate. */
enum anvil_event {
    ANVIL_EVENT_CONNECT,
    ANVIL_EVENT_MESSAGE,   /* at MAIL FROM */
    ANVIL_EVENT_RECIPIENT, /* at RCPT TO */
    ANVIL_EVENT_NEWTLS,    /* after a TLS handshake that did not resume */
    ANVIL_EVENT_AUTH,      /* at AUTH */
};

/* The client as smtpd logs it. */
struct anvil_peer {
    const char *service;    /* master.cf service name, e.g. "smtp" */
    const char *name;       /* verified name or "unknown" */
    const char *addr;       /* numeric address */
    const char *myhostname; /* for the 421 replies */
};

struct anvil_policy;

/* Reads the six limits and smtpd_client_event_limit_exceptions from the
 * var_ globals (after conf_apply_globals). NULL with err on a bad list. */
struct anvil_policy *anvil_policy_from_conf(struct buf *err);
/* The same with explicit values (tests, other services). */
struct anvil_policy *anvil_policy_create(const struct anvil_limits *limits, const char *exceptions,
                                         struct buf *err);
void anvil_policy_free(struct anvil_policy *policy);

/* 1: never limit this client (do not even tell anvil); 0: limit it. A
 * table lookup failure in the list counts as exempt (fail open), with a
 * warning. */
int anvil_policy_exempt(const struct anvil_policy *policy, const struct anvil_peer *peer);

/* Is any limit of this event switched on? (Skip the anvil round trip
 * when not; CONNECT counts as on when either limit is, since the
 * connection count must be kept for the disconnect.) */
int anvil_policy_wants(const struct anvil_policy *policy, enum anvil_event event);

/*
 * 0: allow. 1: over the limit: reply holds the SMTP reply without CRLF,
 * log the text for msg_warn() (the caller adds nothing), e.g.
 *   421 4.7.0 mx.example Error: too many connections from 192.0.2.1
 *   Connection concurrency limit exceeded: 3 from host[192.0.2.1] for service smtp
 *   Connection rate limit exceeded: 6 from host[192.0.2.1] for service smtp
 *   450 4.7.1 Error: too much mail from 192.0.2.1
 *   Message delivery request rate limit exceeded: 4 from ... for service smtp
 *   450 4.7.1 Error: too many recipients from 192.0.2.1
 *   Recipient address rate limit exceeded: 11 from ... for service smtp
 *   421 4.7.0 mx.example Error: too many new TLS sessions from 192.0.2.1
 *   New TLS session rate limit exceeded: 2 from ... for service smtp
 *   450 4.7.1 Error: too many AUTH commands from 192.0.2.1
 *   AUTH command rate limit exceeded: 6 from ... for service smtp
 * After a 421 smtpd ends the session (and still sends the disconnect).
 */
int anvil_policy_check(const struct anvil_policy *policy, enum anvil_event event,
                       const struct anvil_counts *counts, const struct anvil_peer *peer,
                       struct buf *reply, struct buf *log);

#endif
