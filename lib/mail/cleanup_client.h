/*
 * cleanup_client.h - the client side of the cleanup protocol, used by smtpd,
 * pickup and bounce to submit a message (protocol in cleanup_proto.h).
 *
 * The caller learns the queue ID as soon as the connection is open (so it
 * can log "ID: client=..."), streams the envelope and content, and gets the
 * final status only after cleanup has fsync'ed the queue file. Closing
 * without cleanup_client_finish() abandons the message: cleanup removes
 * its unfinished file. This module never retries on its own.
 */
#ifndef POSTERN_MAIL_CLEANUP_CLIENT_H
#define POSTERN_MAIL_CLEANUP_CLIENT_H

#include <stddef.h>

#include "mail/cleanup_proto.h"
#include "util/buf.h"

struct cleanup_client;

/* Connects to the cleanup socket at path. NULL with err set on failure. */
struct cleanup_client *cleanup_client_open(const char *path, long timeout_ms, struct buf *err);
const char *cleanup_client_queue_id(const struct cleanup_client *client);

int cleanup_client_env(struct cleanup_client *client, const struct cleanup_envelope *env,
                       struct buf *err);
int cleanup_client_rcpt(struct cleanup_client *client, const struct cleanup_rcpt *rcpt,
                        size_t count, struct buf *err);
/* Message bytes with LF line ends; buffered into CLEANUP_DATA_CHUNK pieces. */
int cleanup_client_data(struct cleanup_client *client, const void *data, size_t len,
                        struct buf *err);
/* Sends the end, waits for the verdict: *status is CLEANUP_STAT_*, reason
 * the text cleanup gave (may be empty). -1 with err on a protocol failure,
 * in which case the message must be treated as not queued. */
int cleanup_client_finish(struct cleanup_client *client, int *status, struct buf *reason,
                          struct buf *err);
/* The same, with smtpd's late actions in the "end" request (end may be NULL). */
int cleanup_client_finish_opts(struct cleanup_client *client, const struct cleanup_end *end,
                               int *status, struct buf *reason, struct buf *err);
void cleanup_client_close(struct cleanup_client *client);

#endif
