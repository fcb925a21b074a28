/*
 * deliver_log.h - the per-recipient delivery log line every delivery agent
 * writes, in Postfix's exact format so that pflogsumm and fail2ban read it:
 *   ID: to=<rcpt>, orig_to=<orcpt>, relay=R, delay=D, delays=a/b/c/d,
 *       dsn=X.Y.Z, status=sent (reason)
 * (orig_to only when the original recipient differs). Delays follow
 * delay_logging_resolution_limit: a = before the active queue, b = in qmgr,
 * c = connection setup, d = transmission. It never logs raw bytes of a
 * peer's reply without passing them through a printable filter.
 */
#ifndef POSTERN_MAIL_DELIVER_LOG_H
#define POSTERN_MAIL_DELIVER_LOG_H

#include <sys/time.h>

#include "mail/deliver_proto.h"
#include "util/buf.h"

/* Timestamps an agent collects for one delivery attempt. */
struct deliver_times {
    struct timeval agent_start; /* the agent took the request */
    struct timeval conn_done;   /* connection set up (== agent_start for local agents) */
    struct timeval done;        /* delivery finished */
};

/* Formats seconds the way Postfix logs delays ("0", "0.05", "1.2", "300"). */
void deliver_log_format_delay(struct buf *out, double seconds, int resolution_digits);

/* Appends the log text (without the "ID: " prefix) for one recipient. */
void deliver_log_format(struct buf *out, const struct deliver_request *req,
                        const struct deliver_rcpt *rcpt, const struct deliver_result *res,
                        const struct deliver_times *times, int resolution_digits);

/* Logs the line with msg_info(), queue ID first. */
void deliver_log(const struct deliver_request *req, const struct deliver_rcpt *rcpt,
                 const struct deliver_result *res, const struct deliver_times *times);

#endif
