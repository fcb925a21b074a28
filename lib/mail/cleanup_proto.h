/*
 * cleanup_proto.h - the cleanup protocol: how smtpd, pickup and bounce hand
 * a message to the cleanup daemon, which writes the queue file.
 *
 * Over a UNIX stream socket (queue_directory/private/cleanup, or
 * public/cleanup for pickup), in attribute messages (util/attr.h):
 *   server: announce "cleanup" v1, str queue_id            (file already created)
 *   client: req="env"  sender, flags, arrival_sec/usec, envid, ret, smtputf8,
 *                      encoding, list attr [name value]
 *   client: req="rcpt" list rcpt [address orcpt notify]    (any number of these)
 *   client: req="data" str data                            (message bytes, LF line
 *                                                           ends, any number)
 *   client: req="end"   [flags] [filter] [redirect] [bcc]  (optional: the
 *                      smtpd actions decided after "env", see cleanup_end)
 *   server: int status, str reason, str queue_id
 * The client may stop early (close): cleanup then removes the unfinished
 * file. The server sends the final status only after the queue file is
 * fsync'ed and marked complete, so "250 queued" can never precede it.
 * Decoding is fail-closed: an unknown request, a missing attribute or a
 * value over its limit ends the conversation.
 */
#ifndef POSTERN_MAIL_CLEANUP_PROTO_H
#define POSTERN_MAIL_CLEANUP_PROTO_H

#include <stddef.h>

#include "util/attr.h"
#include "util/buf.h"

#define CLEANUP_PROTO_NAME    "cleanup"
#define CLEANUP_PROTO_VERSION 1

/* Largest "data" chunk a client sends; the decoder refuses more. */
#define CLEANUP_DATA_CHUNK    65536
/* Largest address, attribute name or value accepted in an envelope. */
#define CLEANUP_FIELD_MAX     4096
/* Recipients per "rcpt" request (more go in further requests). */
#define CLEANUP_RCPT_BATCH    500

/* Request flags (env: flags). */
#define CLEANUP_FLAG_EXTRACT  (1 << 0) /* sendmail -t: recipients from To/Cc/Bcc */
#define CLEANUP_FLAG_BCC_OK   (1 << 1) /* keep Bcc: headers (default: removed) */
#define CLEANUP_FLAG_HOLD     (1 << 2) /* place the message on hold */
#define CLEANUP_FLAG_LOCAL    (1 << 3) /* local submission: add missing headers */
#define CLEANUP_FLAG_DISCARD  (1 << 4) /* end only: accept, then throw the message away */

/* DSN NOTIFY bits (RFC 3461), as kept in the queue file. */
#define DSN_NOTIFY_NEVER   (1 << 0)
#define DSN_NOTIFY_SUCCESS (1 << 1)
#define DSN_NOTIFY_FAILURE (1 << 2)
#define DSN_NOTIFY_DELAY   (1 << 3)
/* DSN RET values. */
#define DSN_RET_FULL 1
#define DSN_RET_HDRS 2

/* Completion status bits (server: status). */
#define CLEANUP_STAT_OK    0
#define CLEANUP_STAT_BAD   (1 << 0) /* internal error: try again later */
#define CLEANUP_STAT_WRITE (1 << 1) /* queue file write error: try again later */
#define CLEANUP_STAT_SIZE  (1 << 2) /* message_size_limit exceeded */
#define CLEANUP_STAT_CONT  (1 << 3) /* content rejected (reason has the reply) */
#define CLEANUP_STAT_HOPS  (1 << 4) /* hopcount_limit exceeded */
#define CLEANUP_STAT_RCPT  (1 << 5) /* no recipients */
#define CLEANUP_STAT_DEFER (1 << 6) /* temporary failure (reason has the reply) */
#define CLEANUP_STAT_PROTO (1 << 7) /* client broke the protocol */

struct cleanup_attr {
    char *name;
    char *value;
};

struct cleanup_rcpt {
    char *address; /* as it will be delivered */
    char *orcpt;   /* DSN original recipient "type;address", or "" */
    int notify;    /* DSN_NOTIFY_* bits, 0 when not given */
};

struct cleanup_envelope {
    char *sender; /* "" is the null sender */
    int flags;
    long arrival_sec;
    long arrival_usec;
    char *envid;    /* DSN ENVID, or "" */
    int ret;        /* DSN_RET_*, or 0 */
    int smtputf8;   /* SMTPUTF8 requested */
    char *encoding; /* "7bit", "8bitmime" or "" */
    struct cleanup_attr *attr;
    size_t nattr;
};

/*
 * The optional attributes of "end": access-table actions smtpd decides
 * while recipients arrive, after the envelope went out. Absent attributes
 * decode as 0 / NULL, so an old client's "end" means "nothing more".
 * flags: CLEANUP_FLAG_HOLD and CLEANUP_FLAG_DISCARD only (added to the
 * envelope's); filter: "transport:nexthop" (FILTER); redirect: the one
 * address to deliver to instead (REDIRECT); bcc: one more recipient (BCC).
 */
struct cleanup_end {
    int flags;
    char *filter;
    char *redirect;
    char *bcc;
};

enum cleanup_req { CLEANUP_REQ_ENV, CLEANUP_REQ_RCPT, CLEANUP_REQ_DATA, CLEANUP_REQ_END };

/* Encoding (client side). */
void cleanup_encode_env(struct buf *out, const struct cleanup_envelope *env);
void cleanup_encode_rcpt(struct buf *out, const struct cleanup_rcpt *rcpt, size_t count);
void cleanup_encode_data(struct buf *out, const void *data, size_t len);
void cleanup_encode_end(struct buf *out);
/* "end" with the optional attributes that are set (end may be NULL). */
void cleanup_encode_end_opts(struct buf *out, const struct cleanup_end *end);
void cleanup_encode_status(struct buf *out, int status, const char *reason,
                           const char *queue_id);

/* Decoding (server side): the request type of a message, then its parts.
 * Each returns 0 or -1 with a reason in err; decoded strings are copies the
 * caller frees with the matching free function. */
int cleanup_decode_req(const struct attr_msg *msg, enum cleanup_req *req, struct buf *err);
int cleanup_decode_env(const struct attr_msg *msg, struct cleanup_envelope *env, struct buf *err);
int cleanup_decode_rcpt(const struct attr_msg *msg, struct cleanup_rcpt **rcpt, size_t *count,
                        struct buf *err);
/* Points into msg: valid until the message is freed. */
int cleanup_decode_data(const struct attr_msg *msg, const char **data, size_t *len,
                        struct buf *err);
/* The optional attributes of an "end" request (absent: 0 / NULL); -1 when
 * one is present with a wrong type, an unknown flag or too long a value. */
int cleanup_decode_end(const struct attr_msg *msg, struct cleanup_end *end, struct buf *err);
void cleanup_end_free(struct cleanup_end *end);
void cleanup_envelope_free(struct cleanup_envelope *env);
void cleanup_rcpt_free(struct cleanup_rcpt *rcpt, size_t count);

/* Limits for decoding cleanup messages (sized for the chunk limits above). */
void cleanup_attr_limits(struct attr_limits *lim);

#endif
