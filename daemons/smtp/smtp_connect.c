/*
 * smtp_connect.c - opens one connection for the SMTP/LMTP client: TCP to a
 * resolved address (bound to smtp_bind_address / smtp_bind_address6 when
 * set, within smtp_connect_timeout) or a unix-domain socket (LMTP).
 *
 * Called by smtp_main.c for each address it tries. Never resolves names
 * (the caller did) and never blocks past the timeout: the connect runs
 * non-blocking under poll(). The reason text on failure is Postfix's:
 * "connect to host[addr]:port: Connection refused".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "smtp.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/sock.h"

/* Binds fd to the configured local address of its family, if any. */
static int smtp_bind(const struct smtp_config *cfg, int fd, int family, struct buf *why)
{
    const char *addr = family == AF_INET ? cfg->bind4 : cfg->bind6;
    struct sockaddr_storage ss;
    socklen_t len;

    if (addr == NULL || *addr == '\0')
        return 0;
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

        sin->sin_family = AF_INET;
        len = sizeof(*sin);
        if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
            buf_reset(why);
            buf_printf(why, "bad smtp_bind_address: %s", addr);
            return -1;
        }
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

        sin6->sin6_family = AF_INET6;
        len = sizeof(*sin6);
        if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1) {
            buf_reset(why);
            buf_printf(why, "bad smtp_bind_address6: %s", addr);
            return -1;
        }
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        buf_reset(why);
        buf_printf(why, "bind %s: %s", addr, strerror(errno));
        return -1;
    }
    return 0;
}

/* Waits for a non-blocking connect to finish; 0 or -1 with errno. */
static int smtp_connect_wait(int fd, long timeout_sec)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int err = 0, n;
    socklen_t elen = sizeof(err);

    do {
        n = poll(&pfd, 1, timeout_sec > 0 ? (int)(timeout_sec * 1000) : -1);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (n < 0)
        return -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
        return -1;
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

int smtp_connect(const struct smtp_config *cfg, const struct smtp_target *t, struct buf *why)
{
    int fd, family;

    if (t->unix_socket) {
        struct buf err = BUF_INIT;

        fd = sock_connect_unix(t->host, cfg->connect_timeout * 1000L, &err);
        if (fd < 0) {
            buf_reset(why);
            buf_printf(why, "connect to %s: %s", t->host, strerror(errno));
        }
        buf_release(&err);
        return fd;
    }
    family = t->sa.ss_family;
    fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        buf_reset(why);
        buf_printf(why, "socket: %s", strerror(errno));
        return -1;
    }
    if (smtp_bind(cfg, fd, family, why) < 0) {
        close(fd);
        return -1;
    }
    if (connect(fd, (const struct sockaddr *)&t->sa, t->salen) < 0 &&
        (errno != EINPROGRESS || smtp_connect_wait(fd, cfg->connect_timeout) < 0)) {
        buf_reset(why);
        buf_printf(why, "connect to %s[%s]:%s: %s", t->host, t->addr, t->port,
                   errno == ETIMEDOUT ? "Connection timed out" : strerror(errno));
        close(fd);
        return -1;
    }
    /* The stream layer switches modes itself; hand over a blocking fd. */
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
        msg_warn("fcntl: %m");
    return fd;
}
