/*
 * bounce_proto.h - the bounce protocol: how qmgr asks the bounce daemon
 * (master.cf services bounce, defer and trace: one program) to send a
 * notice about a message whose outcomes are in its recipient logs
 * (recipient_log.h).
 *
 * Over queue_directory/private/bounce, in attribute messages (util/attr.h),
 * one request per connection:
 *   bounce: announce "bounce" v1
 *   qmgr:   str request    "flush" (non-delivery notice from bounce/ID),
 *                          "warn"  (delay warning from defer/ID),
 *                          "trace" (success notice from trace/ID)
 *           str queue_name the queue that holds the message ("active")
 *           str queue_id
 *           str sender, str envid, int ret   (optional: used only when the
 *                          queue file cannot be read; the file is the truth)
 *   bounce: int status     BOUNCE_STAT_OK: every notice due is queued (or
 *                          none was due); BOUNCE_STAT_FAIL: try again later
 *           str reason     why it failed ("" on success)
 * qmgr sends the request while the queue file is still in queue_name, and
 * removes the file and its logs only after BOUNCE_STAT_OK; the daemon
 * reads the logs and the file and never changes or removes either.
 * Decoding is fail-closed: an unknown request, a bad queue name or ID, a
 * missing attribute or a value over its limit ends the conversation.
 */
#ifndef POSTERN_MAIL_BOUNCE_PROTO_H
#define POSTERN_MAIL_BOUNCE_PROTO_H

#include "util/attr.h"
#include "util/buf.h"

#define BOUNCE_PROTO_NAME    "bounce"
#define BOUNCE_PROTO_VERSION 1

/* Largest string value accepted (addresses, ENVID, reasons). */
#define BOUNCE_FIELD_MAX 4096

enum bounce_req_kind {
    BOUNCE_REQ_FLUSH = 1, /* non-delivery notice from bounce/ID */
    BOUNCE_REQ_WARN = 2,  /* delay warning from defer/ID */
    BOUNCE_REQ_TRACE = 3, /* success notice from trace/ID */
};

#define BOUNCE_STAT_OK   0
#define BOUNCE_STAT_FAIL 1

struct bounce_request {
    int kind; /* enum bounce_req_kind */
    char *queue_name;
    char *queue_id;
    char *sender; /* "" when not given (or the null sender) */
    char *envid;  /* "" when not given */
    int ret;      /* QUEUE_DSN_RET_* or 0 */
};

/* "flush", "warn", "trace", or NULL for an unknown kind. */
const char *bounce_req_name(int kind);

/* Limits for decoding bounce messages. */
void bounce_attr_limits(struct attr_limits *lim);

void bounce_encode_request(struct buf *out, const struct bounce_request *req);
/* 0 with req filled (strings are copies; free with bounce_request_free),
 * or -1 with the reason in err and req empty. */
int bounce_decode_request(const struct attr_msg *msg, struct bounce_request *req, struct buf *err);
void bounce_request_free(struct bounce_request *req);

void bounce_encode_reply(struct buf *out, int status, const char *reason);
/* 0 with *status and reason set, or -1 with err. */
int bounce_decode_reply(const struct attr_msg *msg, int *status, struct buf *reason,
                        struct buf *err);

#endif
