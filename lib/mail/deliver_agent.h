/*
 * deliver_agent.h - the agent side of the delivery request (deliver_proto.h),
 * shared by local, virtual, smtp, lmtp, error and discard.
 *
 * deliver_agent_serve() runs one request on a connection from qmgr:
 * announces the protocol, reads and decodes the request, calls the agent's
 * function once for the whole batch, logs one line per recipient in
 * Postfix's format (deliver_log.h) and sends the results back. The agent's
 * function must fill every result (status, dsn_status, reason, relay...)
 * with strings from mem_strdup(); this module frees them.
 *
 * Exactly once: the queue file is opened read-write before the agent runs
 * (req->queue: the agent reads the content from it and must not close
 * it), and a recipient is marked done in it as soon as its delivery succeeded
 * (deliver_agent_mark_done(), which an agent calls right after each
 * delivery; whatever it did not mark is marked when it returns, before the
 * results go to qmgr). A kill -9 of qmgr or of the agent after that point
 * cannot deliver the recipient again. The mark is not fsync()ed: it is in
 * the page cache, which survives any process crash; after a system crash
 * the recipient may be delivered twice, never lost. Nothing else in the
 * queue file is ever written here.
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

struct queue_dir;

/* Serves one request on client; qd locates the queue file named in the
 * request (NULL for an agent that never delivers: no done marks). Returns 0, or -1 when the
 * conversation failed (logged); the caller then drops the connection. */
int deliver_agent_serve(struct stream *client, const struct queue_dir *qd, deliver_agent_fn fn,
                        void *ctx);

/*
 * Marks request recipient i done in the queue file when res (its result)
 * says delivered, once. Not for NOTIFY=SUCCESS recipients (qmgr must write
 * their trace record first, so qmgr marks them) nor for address
 * verification. A failure is logged and leaves the mark to qmgr.
 */
void deliver_agent_mark_done(const struct deliver_request *req, size_t i,
                             struct deliver_result *res);

/* Sets one result (strings copied); action NULL picks it from status. */
void deliver_result_set(struct deliver_result *res, int status, const char *dsn_status,
                        const char *relay, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Sets every result that is still empty (no dsn_status) to the same outcome. */
void deliver_result_fill(struct deliver_result *res, size_t count, int status,
                         const char *dsn_status, const char *relay, const char *reason);

#endif
