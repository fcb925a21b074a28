/*
 * deliver_client.h - one delivery request sent synchronously to a delivery
 * agent (deliver_proto.h), for an agent that hands a recipient on to
 * another transport: local's mailbox_transport and fallback_transport.
 * qmgr keeps its own asynchronous client; this one blocks.
 *
 * It connects to the agent's UNIX socket, checks the announcement, sends
 * the request and decodes the results (fail closed: a malformed reply is
 * an error, never a guess). It never touches the queue file and never
 * logs a delivery: the agent at the other end does that.
 */
#ifndef POSTERN_MAIL_DELIVER_CLIENT_H
#define POSTERN_MAIL_DELIVER_CLIENT_H

#include "mail/deliver_proto.h"
#include "util/buf.h"

/* Sends req to the agent listening on path and waits for its answer
 * (timeout_ms for the connection and each read or write). Returns 0 with
 * *res holding req->nrcpt results (deliver_results_free()), or -1 with a
 * reason in err. *connected says whether the agent was reached: after
 * that, a failure may come after a delivery, so the caller must defer
 * (deliver again later), never bounce. */
int deliver_client_request(const char *path, long timeout_ms, const struct deliver_request *req,
                           struct deliver_result **res, int *connected, struct buf *err);

#endif
