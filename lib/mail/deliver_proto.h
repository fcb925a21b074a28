/*
 * deliver_proto.h - the delivery request: how qmgr hands a message and a
 * batch of its recipients to a delivery agent (local, virtual, smtp, lmtp,
 * error, discard), and how the agent answers for each recipient.
 *
 * Over the agent's UNIX socket (queue_directory/private/TRANSPORT), in
 * attribute messages (util/attr.h):
 *   agent: announce "deliver" v1
 *   qmgr:  the request (struct deliver_request)
 *   agent: one result per recipient, in request order (struct deliver_result)
 * The agent reads the content itself from the queue file (queue name, ID,
 * content offset) and logs each recipient's "to=<...>, relay=..., delay=...,
 * delays=a/b/c/d, dsn=..., status=..." line. The agent marks a recipient
 * done in the queue file right after delivering it (deliver_agent.h), so a
 * crash of qmgr or of the agent after that point never delivers it twice;
 * qmgr marks it again (a no-op), marks failed recipients done and appends
 * to the bounce/defer/trace logs. An agent changes nothing else in the
 * queue file. Decoding is fail-closed.
 */
#ifndef POSTERN_MAIL_DELIVER_PROTO_H
#define POSTERN_MAIL_DELIVER_PROTO_H

#include <stddef.h>

#include "util/attr.h"
#include "util/buf.h"

struct queue_reader;

#define DELIVER_PROTO_NAME    "deliver"
#define DELIVER_PROTO_VERSION 1

/* Largest string field and number of recipients in one request. */
#define DELIVER_FIELD_MAX 4096
#define DELIVER_RCPT_MAX  1000

/* Request flags. */
#define DELIVER_FLAG_SMTPUTF8 (1 << 0) /* the message needs SMTPUTF8 */
#define DELIVER_FLAG_8BIT     (1 << 1) /* BODY=8BITMIME */
#define DELIVER_FLAG_VERIFY   (1 << 2) /* address verification: do not deliver */

struct deliver_rcpt {
    char *address;   /* the recipient as it is to be delivered */
    char *orcpt;     /* original recipient (before rewriting), or "" */
    char *dsn_orcpt; /* DSN ORCPT "type;address", or "" */
    int notify;      /* QUEUE_DSN_NOTIFY_* mask, 0 when not given */
    long offset;     /* of its RCPT record in the queue file; 0: none, the
                      * agent marks nothing (a test tool's request) */
};

struct deliver_attr {
    char *name;
    char *value;
};

struct deliver_request {
    char *queue_name; /* "active" */
    char *queue_id;
    long data_offset; /* first content record (queue SIZE record) */
    long data_size;   /* content bytes */
    char *transport;  /* master.cf service name, for logs */
    char *nexthop;    /* "example.com", "[192.0.2.1]:25", "unix:/path", local host name */
    char *sender;     /* "" is the null sender */
    char *envid;      /* DSN ENVID or "" */
    int ret;          /* QUEUE_DSN_RET_* or 0 */
    int flags;        /* DELIVER_FLAG_* */
    long arrival_sec; /* message arrival, for delay= and delays=a */
    long arrival_usec;
    long active_sec; /* qmgr took the message, for delays=a/b */
    long active_usec;
    long queued_sec; /* this request was queued for the agent, for delays=b */
    long queued_usec;
    struct deliver_attr *attr; /* named attributes of the message (client, helo...) */
    size_t nattr;
    struct deliver_rcpt *rcpt;
    size_t nrcpt;
    struct queue_reader *queue; /* agent side, not on the wire: the queue
                                 * file, open read-write (content and done
                                 * marks), or NULL; deliver_agent.c owns it */
};

enum deliver_status {
    DELIVER_STATUS_OK = 0,     /* delivered, relayed or expanded: done */
    DELIVER_STATUS_DEFER = 1,  /* try again later */
    DELIVER_STATUS_BOUNCE = 2, /* failed permanently: done, notify the sender */
};

struct deliver_result {
    int status;       /* enum deliver_status */
    char *dsn_status; /* RFC 3463 code, "2.0.0" */
    char *action;     /* RFC 3464 action: delivered relayed expanded failed delayed */
    char *reason;     /* text for logs and notices: "delivered to maildir" */
    char *relay;      /* "local", "host[192.0.2.1]:25", "none" */
    char *mta;        /* RFC 3464 Remote-MTA "dns; host", or "" */
    char *diag;       /* RFC 3464 Diagnostic-Code "smtp; 550 5.1.1 ...", or "" */
    int logged;       /* not sent: the agent already logged this recipient (for
                       * example one line per alias expansion, as Postfix does) */
    int marked;       /* not sent: the agent marked the recipient done */
};

void deliver_attr_limits(struct attr_limits *lim);

void deliver_encode_request(struct buf *out, const struct deliver_request *req);
int deliver_decode_request(const struct attr_msg *msg, struct deliver_request *req,
                           struct buf *err);
void deliver_request_free(struct deliver_request *req);

/* The reply: one result per recipient of the request, in order. */
void deliver_encode_results(struct buf *out, const struct deliver_result *res, size_t count);
int deliver_decode_results(const struct attr_msg *msg, struct deliver_result **res, size_t *count,
                           struct buf *err);
void deliver_results_free(struct deliver_result *res, size_t count);

/* Looks up a named attribute of the request; NULL when absent. */
const char *deliver_request_attr(const struct deliver_request *req, const char *name);

#endif
