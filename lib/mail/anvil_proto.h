/*
 * anvil_proto.h - the anvil protocol: how smtpd registers client events
 * with the anvil daemon and learns the client's connection count and rates.
 *
 * Over a UNIX stream socket (queue_directory/private/anvil), in attribute
 * messages (util/attr.h); one connection carries any number of requests:
 *   server: announce "anvil" v1                     (once, on connect)
 *   client: str request  connect | disconnect | message | recipient |
 *                        newtls | auth | lookup
 *           str ident    "service:client-address" (1..ANVIL_IDENT_MAX bytes,
 *                        printable, no NUL)
 *   server: int status (ANVIL_STAT_*), int count, int rate, int message_rate,
 *           int recipient_rate, int newtls_rate, int auth_rate
 * Every reply carries every counter of the ident after the request was
 * applied ("rate" is the connection rate), so one reply layout serves all
 * requests. Decoding is fail-closed: an unknown request, a missing or
 * oversized attribute ends the conversation. Pure codec: no I/O here.
 */
#ifndef POSTERN_MAIL_ANVIL_PROTO_H
#define POSTERN_MAIL_ANVIL_PROTO_H

#include <stdint.h>

#include "util/attr.h"
#include "util/buf.h"

#define ANVIL_PROTO_NAME    "anvil"
#define ANVIL_PROTO_VERSION 1

/* Longest ident: a service name plus an IPv6 address fit easily. */
#define ANVIL_IDENT_MAX 512
/* Largest encoded request or reply the decoders accept. */
#define ANVIL_MSG_MAX 2048

#define ANVIL_STAT_OK   0
#define ANVIL_STAT_FAIL 1 /* the server could not apply the request */

enum anvil_req_type {
    ANVIL_REQ_CONNECT,
    ANVIL_REQ_DISCONNECT,
    ANVIL_REQ_MESSAGE,
    ANVIL_REQ_RECIPIENT,
    ANVIL_REQ_NEWTLS,
    ANVIL_REQ_AUTH,
    ANVIL_REQ_LOOKUP,
};

struct anvil_request {
    enum anvil_req_type type;
    char ident[ANVIL_IDENT_MAX + 1];
};

/* The counters of one ident; all rates are per anvil_rate_time_unit. */
struct anvil_counts {
    uint32_t count;          /* simultaneous connections */
    uint32_t rate;           /* connections */
    uint32_t message_rate;   /* MAIL FROM requests */
    uint32_t recipient_rate; /* RCPT TO requests */
    uint32_t newtls_rate;    /* new (not resumed) TLS sessions */
    uint32_t auth_rate;      /* AUTH commands */
};

struct anvil_reply {
    uint32_t status; /* ANVIL_STAT_* */
    struct anvil_counts counts;
};

/* The limits both sides decode with. */
void anvil_attr_limits(struct attr_limits *lim);

/* "connect", ...; NULL for a value outside the enum. */
const char *anvil_req_name(enum anvil_req_type type);

/* Builds "service:addr" into out; -1 (err set) when it would exceed
 * ANVIL_IDENT_MAX or holds a byte outside printable ASCII. */
int anvil_ident_format(struct buf *out, const char *service, const char *addr, struct buf *err);

/* Encoders append one whole message (end marker included). The request's
 * ident must be valid (checked: a bad one panics, it is a caller bug). */
void anvil_encode_request(struct buf *out, const struct anvil_request *req);
void anvil_encode_reply(struct buf *out, const struct anvil_reply *reply);

/* Decoders: 0, or -1 with a reason in err. */
int anvil_decode_request(const struct attr_msg *msg, struct anvil_request *req, struct buf *err);
int anvil_decode_reply(const struct attr_msg *msg, struct anvil_reply *reply, struct buf *err);

#endif
