/*
 * trigger.c - fire-and-forget triggers to service endpoints (see trigger.h).
 *
 * Every descriptor is opened non-blocking and close-on-exec, so a caller
 * such as the master can never hang on a busy service or leak the
 * descriptor into a child. A fifo is opened with O_NONBLOCK and without
 * O_CREAT: a missing fifo is reported, never created as a regular file.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/trigger.h"
#include "util/sock.h"

/* "what where: reason" (reason NULL: strerror(err)); errno = err. */
static int trigger_fail_why(struct buf *why, int err, const char *what, const char *where,
                            const char *reason)
{
    if (why) {
        buf_reset(why);
        buf_printf(why, "%s %s: %s", what, where, reason ? reason : strerror(err));
    }
    errno = err;
    return -1;
}

static int trigger_fail(struct buf *why, int err, const char *what, const char *where)
{
    return trigger_fail_why(why, err, what, where, NULL);
}

/* Writes everything in one call; a short write is an error (the data is
 * far below any socket or pipe buffer, so it means the peer is full). */
static int trigger_write(int fd, const void *data, size_t len, const char *where, struct buf *why)
{
    ssize_t n;
    int err;

    do {
        n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == ENOTSOCK)
            n = write(fd, data, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != len) {
        err = n < 0 ? errno : EAGAIN;
        (void)close(fd);
        return trigger_fail(why, err, "write to", where);
    }
    (void)close(fd);
    return 0;
}

static int trigger_unix_addr(struct sockaddr_un *sun, const char *path, struct buf *why)
{
    size_t len = strlen(path);

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (len == 0 || len >= sizeof(sun->sun_path))
        return trigger_fail_why(why, ENAMETOOLONG, "connect to", path, "socket path too long");
    memcpy(sun->sun_path, path, len + 1);
    return 0;
}

static int trigger_unix(int type, const char *path, const void *data, size_t len, struct buf *why)
{
    struct sockaddr_un sun;
    int fd;
    int ret;

    if (trigger_unix_addr(&sun, path, why) < 0)
        return -1;
    if ((fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return trigger_fail(why, errno, "socket for", path);
    do {
        ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        int err = errno;

        (void)close(fd);
        return trigger_fail(why, err, "connect to", path);
    }
    return trigger_write(fd, data, len, path, why);
}

static int trigger_fifo(const char *path, const void *data, size_t len, struct buf *why)
{
    struct stat st;
    int fd;

    if ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0)
        return trigger_fail(why, errno, "open", path);
    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
        (void)close(fd);
        return trigger_fail_why(why, EINVAL, "open", path, "not a fifo");
    }
    return trigger_write(fd, data, len, path, why);
}

static int trigger_inet(const char *where, const void *data, size_t len, long timeout_ms,
                        struct buf *why)
{
    struct sock_endpoint ep;
    int fd;

    if (sock_parse_endpoint(where, NULL, &ep, why) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (ep.kind != SOCK_ENDPOINT_INET || ep.host[0] == '\0')
        return trigger_fail_why(why, EINVAL, "connect to", where, "not host:port");
    if ((fd = sock_connect_inet(ep.host, ep.port, timeout_ms, why)) < 0) {
        errno = ECONNREFUSED;
        return -1;
    }
    return trigger_write(fd, data, len, where, why);
}

int trigger_send(enum trigger_kind kind, const char *where, const void *data, size_t len,
                 long timeout_ms, struct buf *why)
{
    if (len == 0 || len > TRIGGER_MAX_LEN)
        return trigger_fail_why(why, EMSGSIZE, "trigger to", where, "bad trigger length");
    switch (kind) {
    case TRIGGER_UNIX:
        return trigger_unix(SOCK_STREAM, where, data, len, why);
    case TRIGGER_DGRAM:
        return trigger_unix(SOCK_DGRAM, where, data, len, why);
    case TRIGGER_FIFO:
        return trigger_fifo(where, data, len, why);
    case TRIGGER_INET:
        return trigger_inet(where, data, len, timeout_ms, why);
    }
    return trigger_fail_why(why, EINVAL, "trigger to", where, "unknown endpoint type");
}
