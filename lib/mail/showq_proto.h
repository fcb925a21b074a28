/*
 * showq_proto.h - the showq protocol: how the showq daemon (public/showq)
 * hands the queue listing to postqueue and mailq, so that ordinary users
 * see the queue without reading queue files themselves.
 *
 * Conversation (attribute messages, attr.h, over a UNIX stream socket):
 *   server: announce "showq" version SHOWQ_PROTO_VERSION
 *   client: request   str request = "list"
 *   server: per queue file one entry message
 *             str queue_name, str queue_id, long time (arrival, seconds),
 *             long size (content bytes), int forced_expire (0/1),
 *             str sender ("" = null sender),
 *             list recipients { str address [, str reason] },
 *             [long omitted: recipients left out past SHOWQ_RCPT_MAX]
 *           then one end message: int end = 1, long count (entries sent)
 * A message without "end" must be a complete entry; anything else (a
 * missing or mistyped field, an invalid queue name or ID, a NUL in a
 * string) is a protocol error and ends the conversation (fail closed).
 * Used by daemons/showq (encoder) and src/postqueue (decoder); the
 * decoder has a fuzz target (tests/fuzz/fuzz_showq_proto.c).
 */
#ifndef POSTERN_MAIL_SHOWQ_PROTO_H
#define POSTERN_MAIL_SHOWQ_PROTO_H

#include <stddef.h>

#include "mail/queue_id.h"
#include "util/attr.h"
#include "util/buf.h"

#define SHOWQ_PROTO_NAME    "showq"
#define SHOWQ_PROTO_VERSION 1
#define SHOWQ_REQ_LIST      "list"
/* Recipients sent per entry; more are counted in "omitted". */
#define SHOWQ_RCPT_MAX        5000
#define SHOWQ_QUEUE_NAME_SIZE 16

struct showq_rcpt {
    char *address;
    char *reason; /* deferral reason from the defer log, or NULL */
};

/* One queue file as listed. */
struct showq_entry {
    char queue_name[SHOWQ_QUEUE_NAME_SIZE];
    char queue_id[QUEUE_ID_SIZE];
    long arrival; /* seconds since the epoch */
    long size;    /* content bytes (the SIZE record's first field) */
    int forced_expire;
    char *sender; /* "" for the null sender */
    struct showq_rcpt *rcpts;
    size_t nrcpt;
    size_t cap;
    long omitted;
};

void showq_entry_init(struct showq_entry *e);
/* Frees the strings and empties e (it can be filled again). */
void showq_entry_reset(struct showq_entry *e);
void showq_entry_free(struct showq_entry *e);
/* Appends a recipient (copies; reason may be NULL). */
void showq_entry_add_rcpt(struct showq_entry *e, const char *address, const char *reason);
/* Sets the reason of every recipient whose address is address; returns how
 * many matched. */
size_t showq_entry_set_reason(struct showq_entry *e, const char *address, const char *reason);

/* Limits a client applies to the server's messages. */
void showq_limits(struct attr_limits *lim);

/* Encoders: each appends one whole message to out. */
void showq_encode_announce(struct buf *out);
void showq_encode_request(struct buf *out, const char *request);
void showq_encode_entry(struct buf *out, const struct showq_entry *e);
void showq_encode_end(struct buf *out, long count);

/* The request of a decoded client message: 0 with *request pointing into
 * msg, or -1 with the reason in err. */
int showq_decode_request(const struct attr_msg *msg, const char **request, struct buf *err);

/*
 * Decodes a server message: 1 an entry (e reset and filled), 0 the end
 * message (*count set if count is not NULL), -1 malformed (err says why).
 */
int showq_decode(const struct attr_msg *msg, struct showq_entry *e, long *count, struct buf *err);

#endif
