/*
 * sock.h - socket helpers: listen, connect with a timeout, accept, printable
 * addresses, fd passing, and Postfix's endpoint notation.
 *
 * Used by the master (listeners from master.cf), the servers (accept), the
 * clients of internal services, smtp/lmtp, milter and policy clients.
 * Every socket is created close-on-exec; listeners are non-blocking (several
 * children may wake for one connection; the losers get EAGAIN from
 * sock_accept, never a hang). Functions that take a struct buf *err replace
 * its contents with a one-line reason on failure (err may be NULL).
 */
#ifndef POSTERN_UTIL_SOCK_H
#define POSTERN_UTIL_SOCK_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

#include "buf.h"

/*
 * Listens on host (numeric address or name, "[addr]" accepted) and port
 * (number or service name; "0" picks a free port). host NULL or "" means
 * every address: one dual-stack IPv6 socket when the system has IPv6, else
 * IPv4 0.0.0.0. An explicit IPv6 address is IPv6-only, so that "0.0.0.0"
 * and "::" can be bound side by side. A name with several addresses binds
 * the first that works. Returns the fd or -1.
 */
int sock_listen_inet(const char *host, const char *port, int backlog, struct buf *err);
/* Tries every address of host in getaddrinfo() order; each attempt may take
 * timeout_ms (<= 0: the kernel's limit). Returns a blocking fd or -1; err
 * names the last failure, "connect to host[addr]:port: reason". */
int sock_connect_inet(const char *host, const char *port, long timeout_ms, struct buf *err);

/* Removes a stale socket at path first (but never a file of another type),
 * creates it with permissions mode. Returns the fd or -1. */
int sock_listen_unix(const char *path, int backlog, mode_t mode, struct buf *err);
/* timeout_ms bounds the wait when the listener's backlog is full. */
int sock_connect_unix(const char *path, long timeout_ms, struct buf *err);

/* Accepts one connection (close-on-exec, blocking). Retries on EINTR and on
 * connections that died in the queue. -1 with errno (EAGAIN: none left). */
int sock_accept(int listen_fd);
int sock_set_nonblock(int fd, int on);

/* Numeric address and port of the peer or of our end; IPv4-mapped IPv6
 * addresses are shown as IPv4. For a unix socket, addr is its path (may be
 * "") and port "". 0, or -1 with errno (ENOSPC: a buffer is too small). */
int sock_peer_addr(int fd, char *addr, size_t addrlen, char *port, size_t portlen);
int sock_local_addr(int fd, char *addr, size_t addrlen, char *port, size_t portlen);

/* Passes an fd over a unix stream socket (SCM_RIGHTS, with one data byte).
 * sock_recv_fd returns the new fd (close-on-exec) or -1 with errno:
 * ECONNRESET when the peer closed, EBADMSG when the message did not carry
 * exactly one fd (any fds that came with it are closed). */
int sock_send_fd(int unix_sock, int fd);
int sock_recv_fd(int unix_sock);

/*
 * Postfix endpoint notation, as in master.cf service names, milter, policy
 * and relay parameters:
 *   "2525", "smtp"                port only (when default_port is NULL)
 *   "host:port", "[addr]:port"    IPv6 addresses must be in brackets
 *   "host", "[addr]"              only when default_port is given
 *   "inet:<any of the above>"     same as without the prefix
 *   "unix:/path", "local:/path"   a unix-domain socket
 * default_port decides what a word without ':' means: NULL, a port (the
 * master.cf reading); otherwise a host that gets default_port. bracketed
 * records "[host]" (relayhost's "no MX lookup"). Ports are checked (1-65535
 * or a service name); nothing is resolved. Returns 0, or -1 with err set.
 */
#define SOCK_HOST_MAX 256
#define SOCK_PORT_MAX 32
#define SOCK_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

enum sock_endpoint_kind { SOCK_ENDPOINT_INET, SOCK_ENDPOINT_UNIX };

struct sock_endpoint {
    enum sock_endpoint_kind kind;
    char host[SOCK_HOST_MAX]; /* inet; "" means every address */
    char port[SOCK_PORT_MAX]; /* inet */
    char path[SOCK_PATH_MAX]; /* unix */
    int bracketed;
};

int sock_parse_endpoint(const char *spec, const char *default_port, struct sock_endpoint *ep,
                        struct buf *err);

#endif
