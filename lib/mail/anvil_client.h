/*
 * anvil_client.h - smtpd's side of the anvil protocol (anvil_proto.h): one
 * persistent connection to private/anvil, opened on first use.
 *
 * FAIL OPEN: anvil only limits abuse, so when it cannot be reached or
 * answers badly, each call logs one warning ("warning: connect to
 * private/anvil: ...", "warning: anvil server at private/anvil: ...",
 * "warning: anvil: ...") and returns -1 with the
 * counters zeroed; the caller then allows the client. After a failure the
 * client does not try again for retry_ms, so a dead anvil costs smtpd no
 * more than one timeout per retry period. Every wait is bounded by
 * timeout_ms. Never decides anything itself (see anvil_policy.h).
 */
#ifndef POSTERN_MAIL_ANVIL_CLIENT_H
#define POSTERN_MAIL_ANVIL_CLIENT_H

#include "mail/anvil_proto.h"

struct anvil_client;

/* path: the socket (relative to the working directory, e.g.
 * "private/anvil"); nothing is opened yet. timeout_ms > 0. */
struct anvil_client *anvil_client_create(const char *path, long timeout_ms, long retry_ms);
void anvil_client_free(struct anvil_client *client);

/*
 * One request for (service, addr) — e.g. ("smtp", "192.0.2.1"); counts
 * (may be NULL) receives the counters after it. 0 on success; -1 when
 * anvil failed (logged; counts zeroed): allow the client.
 */
int anvil_client_request(struct anvil_client *client, enum anvil_req_type type, const char *service,
                         const char *addr, struct anvil_counts *counts);

/* Shorthands: the value smtpd compares with its limit. */
int anvil_client_connect(struct anvil_client *client, const char *service, const char *addr,
                         unsigned *count, unsigned *rate);
int anvil_client_disconnect(struct anvil_client *client, const char *service, const char *addr);
int anvil_client_message(struct anvil_client *client, const char *service, const char *addr,
                         unsigned *rate);
int anvil_client_recipient(struct anvil_client *client, const char *service, const char *addr,
                           unsigned *rate);
int anvil_client_newtls(struct anvil_client *client, const char *service, const char *addr,
                        unsigned *rate);
int anvil_client_auth(struct anvil_client *client, const char *service, const char *addr,
                      unsigned *rate);

#endif
