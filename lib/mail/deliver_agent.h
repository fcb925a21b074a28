/*
 * deliver_agent.h - the agent side of the delivery request (deliver_proto.h),
 * shared by local, virtual, smtp, lmtp, error and discard.
 *
 * deliver_agent_serve() runs one request on a connection from qmgr:
 * announces the protocol, reads and decodes the request, calls the agent's
 * function once for the whole batch, logs one line per recipient in
 * Postfix's format (deliver_log.h) and sends the results back. The agent's
 * function must fill every result (status, dsn_status, reason, relay...)
 * with strings from mem_strdup(); this module frees them. An agent never
 * writes the queue file: qmgr applies the results.
 */
#ifndef POSTERN_MAIL_DELIVER_AGENT_H
#define POSTERN_MAIL_DELIVER_AGENT_H

#include "mail/deliver_log.h"
#include "mail/deliver_proto.h"

struct stream;

/* Delivers req's recipients; res has req->nrcpt zeroed entries. times has
 * agent_start set; the function sets conn_done (when its connection or
 * mailbox was ready) and may leave done to the caller. */
typedef void (*deliver_agent_fn)(const struct deliver_request *req, struct deliver_result *res,
                                 struct deliver_times *times, void *ctx);

/* Serves one request on client. Returns 0, or -1 when the conversation
 * failed (logged); the caller then drops the connection. */
int deliver_agent_serve(struct stream *client, deliver_agent_fn fn, void *ctx);

/* Sets one result (strings copied); action NULL picks it from status. */
void deliver_result_set(struct deliver_result *res, int status, const char *dsn_status,
                        const char *relay, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sets every result that is still empty (no dsn_status) to the same outcome. */
void deliver_result_fill(struct deliver_result *res, size_t count, int status,
                         const char *dsn_status, const char *relay, const char *reason);

#endif
