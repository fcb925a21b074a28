/*
 * trigger.h - send a short trigger ("W" wakeup, "F" flush, ...) to a
 * service's endpoint without waiting for the service.
 *
 * Used by the master (wakeup timers), "postern flush" and, later, the
 * commands that poke pickup and qmgr. A trigger is fire-and-forget: it is
 * written without blocking (a full socket backlog or fifo is an error the
 * caller may ignore, as the service is busy anyway) and no reply is read.
 * This module never creates the endpoint it writes to.
 */
#ifndef POSTERN_SERVER_TRIGGER_H
#define POSTERN_SERVER_TRIGGER_H

#include <stddef.h>

#include "util/buf.h"

enum trigger_kind {
    TRIGGER_UNIX,  /* unix stream socket: connect, write, close */
    TRIGGER_DGRAM, /* unix datagram socket: one datagram */
    TRIGGER_FIFO,  /* named pipe: open for writing (never creating), write */
    TRIGGER_INET,  /* "host:port": connect (bounded by timeout_ms), write, close */
};

/* The longest trigger accepted (servers read at most this much at once). */
#define TRIGGER_MAX_LEN 1024

/*
 * Writes len bytes (1 to TRIGGER_MAX_LEN) of data to where. Never blocks,
 * except for TRIGGER_INET's connect (at most timeout_ms). Returns 0, or -1
 * with a one-line reason in why ("connect to PATH: reason") and errno:
 * ENOENT when the endpoint does not exist, ECONNREFUSED when nobody listens,
 * EAGAIN when the endpoint is full.
 */
int trigger_send(enum trigger_kind kind, const char *where, const void *data, size_t len,
                 long timeout_ms, struct buf *why);

#endif
