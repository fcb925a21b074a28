/*
 * sock.c - socket helpers (see sock.h).
 *
 * Every socket is opened with SOCK_CLOEXEC so that a child the master
 * forks sees only the listeners it is handed on purpose. Error texts name
 * the numeric address and port, Postfix style, so a log line says which of
 * several addresses failed. This file never resolves an endpoint while
 * parsing it, and never unlinks anything but a socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "events.h"
#include "sock.h"

static void sock_err(struct buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sock_err(struct buf *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    buf_reset(err);
    va_start(ap, fmt);
    buf_vprintf(err, fmt, ap);
    va_end(ap);
}

/* Copies host without the brackets of "[addr]" into out; -1 if too long. */
static int sock_unbracket(const char *host, char *out, size_t outlen)
{
    size_t len = strlen(host);

    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (len >= outlen)
        return -1;
    memcpy(out, host, len);
    out[len] = '\0';
    return 0;
}

/* Numeric text of an address, for messages; never fails. Keeps errno, as
 * it is evaluated next to strerror(errno) in unspecified order. */
static const char *sock_ntop(const struct sockaddr *sa, socklen_t salen, char *out, size_t len)
{
    int saved = errno;

    if (getnameinfo(sa, salen, out, (socklen_t)len, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(out, len, "(unknown)");
    errno = saved;
    return out;
}

/* Creates, binds and listens on one address; -1 with errno on failure. */
static int sock_listen_addr(const struct addrinfo *ai, int v6only, int backlog)
{
    int on = 1;
    int fd;
    int saved;

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
        (ai->ai_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
        saved = errno;
        (void)close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Tries each address of a getaddrinfo() list; err names the last failure. */
static int sock_listen_list(const struct addrinfo *res, int v6only, int backlog, const char *port,
                            struct buf *err)
{
    char addr[NI_MAXHOST];
    int fd;

    for (; res != NULL; res = res->ai_next) {
        if ((fd = sock_listen_addr(res, v6only, backlog)) >= 0)
            return fd;
        sock_err(err, "bind %s port %s: %s",
                 sock_ntop(res->ai_addr, res->ai_addrlen, addr, sizeof(addr)), port,
                 strerror(errno));
    }
    return -1;
}

int sock_listen_inet(const char *host, const char *port, int backlog, struct buf *err)
{
    struct addrinfo hints;
    struct addrinfo *res;
    char name[SOCK_HOST_MAX];
    int all = (host == NULL || *host == '\0');
    int gai;
    int fd = -1;

    if (!all && sock_unbracket(host, name, sizeof(name)) < 0) {
        sock_err(err, "host name too long: %.40s...", host);
        return -1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    if (all) {
        /* One dual-stack socket takes IPv4 and IPv6; without IPv6 support
         * the AF_INET6 attempt fails and IPv4 alone is used. */
        hints.ai_family = AF_INET6;
        if (getaddrinfo(NULL, port, &hints, &res) == 0) {
            fd = sock_listen_list(res, 0, backlog, port, err);
            freeaddrinfo(res);
            if (fd >= 0)
                return fd;
        }
        hints.ai_family = AF_INET;
    } else {
        hints.ai_family = AF_UNSPEC;
    }
    if ((gai = getaddrinfo(all ? NULL : name, port, &hints, &res)) != 0) {
        sock_err(err, "%s port %s: %s", all ? "*" : name, port, gai_strerror(gai));
        return -1;
    }
    fd = sock_listen_list(res, 1, backlog, port, err);
    freeaddrinfo(res);
    return fd;
}

/* Waits for a non-blocking connect; 0 or -1 with errno. */
static int sock_connect_wait(int fd, long timeout_ms)
{
    struct pollfd pfd;
    int64_t deadline = event_clock_ms() + timeout_ms;
    int64_t left;
    socklen_t len = sizeof(int);
    int soerr = 0;
    int ret;

    for (;;) {
        left = timeout_ms > 0 ? deadline - event_clock_ms() : -1;
        if (timeout_ms > 0 && left < 0)
            left = 0;
        pfd.fd = fd;
        pfd.events = POLLOUT;
        ret = poll(&pfd, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
        if (ret > 0)
            break;
        if (ret == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR)
            return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        return -1;
    if (soerr != 0) {
        errno = soerr;
        return -1;
    }
    return 0;
}

int sock_connect_inet(const char *host, const char *port, long timeout_ms, struct buf *err)
{
    struct addrinfo hints;
    struct addrinfo *res;
    struct addrinfo *ai;
    char name[SOCK_HOST_MAX];
    char addr[NI_MAXHOST];
    int gai;
    int fd = -1;
    int ret;

    if (host == NULL || *host == '\0' || sock_unbracket(host, name, sizeof(name)) < 0) {
        sock_err(err, "connect: bad host name \"%.40s\"", host ? host : "");
        return -1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if ((gai = getaddrinfo(name, port, &hints, &res)) != 0) {
        sock_err(err, "connect to %s:%s: %s", name, port, gai_strerror(gai));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd >= 0) {
            ret = connect(fd, ai->ai_addr, ai->ai_addrlen);
            if (ret < 0 && (errno == EINPROGRESS || errno == EINTR))
                ret = sock_connect_wait(fd, timeout_ms);
            if (ret == 0 && sock_set_nonblock(fd, 0) == 0)
                break;
        }
        sock_err(err, "connect to %s[%s]:%s: %s", name,
                 sock_ntop(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr)), port, strerror(errno));
        if (fd >= 0)
            (void)close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* Fills sun with path; -1 with err if it does not fit. */
static int sock_unix_addr(struct sockaddr_un *sun, const char *path, struct buf *err)
{
    size_t len = strlen(path);

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (len == 0 || len >= sizeof(sun->sun_path)) {
        sock_err(err, "unix socket path %s: %zu bytes, must be 1 to %zu", len ? path : "\"\"", len,
                 sizeof(sun->sun_path) - 1);
        return -1;
    }
    memcpy(sun->sun_path, path, len + 1);
    return 0;
}

int sock_listen_unix(const char *path, int backlog, mode_t mode, struct buf *err)
{
    struct sockaddr_un sun;
    struct stat st;
    mode_t old_umask;
    int fd;
    int ret;

    if (sock_unix_addr(&sun, path, err) < 0)
        return -1;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            sock_err(err, "%s exists and is not a socket", path);
            return -1;
        }
        if (unlink(path) < 0 && errno != ENOENT) {
            sock_err(err, "remove stale socket %s: %s", path, strerror(errno));
            return -1;
        }
    }
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
        sock_err(err, "socket: %s", strerror(errno));
        return -1;
    }
    /* The umask closes the window between bind() and chmod() in which the
     * socket would otherwise carry looser permissions than asked. */
    old_umask = umask(~mode & 0777);
    ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    (void)umask(old_umask);
    if (ret < 0) {
        sock_err(err, "bind %s: %s", path, strerror(errno));
        (void)close(fd);
        return -1;
    }
    if (chmod(path, mode) < 0 || listen(fd, backlog) < 0) {
        sock_err(err, "listen %s: %s", path, strerror(errno));
        (void)close(fd);
        (void)unlink(path);
        return -1;
    }
    return fd;
}

int sock_connect_unix(const char *path, long timeout_ms, struct buf *err)
{
    struct sockaddr_un sun;
    struct timeval tv = {0, 0};
    int fd;
    int ret;

    if (sock_unix_addr(&sun, path, err) < 0)
        return -1;
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
        sock_err(err, "socket: %s", strerror(errno));
        return -1;
    }
    /* A unix connect only waits when the backlog is full; Linux bounds that
     * wait by SO_SNDTIMEO (EAGAIN when it expires). */
    if (timeout_ms > 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    while ((ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun))) < 0 && errno == EINTR)
        ;
    if (ret < 0 && errno != EISCONN) {
        sock_err(err, "connect to %s: %s", path,
                 errno == EAGAIN ? "Connection timed out" : strerror(errno));
        (void)close(fd);
        return -1;
    }
    tv.tv_sec = tv.tv_usec = 0;
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

int sock_accept(int listen_fd)
{
    int fd;

    for (;;) {
        if ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
            return fd;
        /* accept(2): Linux passes errors of the dying connection up to
         * accept; they concern that connection, not the listener. */
        if (errno != EINTR && errno != ECONNABORTED && errno != EPROTO && errno != ENETDOWN &&
            errno != ENOPROTOOPT && errno != EHOSTDOWN && errno != ENONET &&
            errno != EHOSTUNREACH && errno != ENETUNREACH)
            return -1;
    }
}

int sock_set_nonblock(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -1;
    if (((flags & O_NONBLOCK) != 0) == (on != 0))
        return 0;
    return fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

/* Formats a socket address for sock_peer_addr/sock_local_addr. */
static int sock_format(struct sockaddr_storage *ss, socklen_t sslen, char *addr, size_t addrlen,
                       char *port, size_t portlen)
{
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    struct sockaddr_in sin;
    struct sockaddr_un *sun = (struct sockaddr_un *)ss;
    size_t len;
    int gai;

    if (addrlen == 0 || portlen == 0) {
        errno = ENOSPC;
        return -1;
    }
    if (ss->ss_family == AF_UNIX) {
        len = sslen > offsetof(struct sockaddr_un, sun_path)
                  ? strnlen(sun->sun_path, sslen - offsetof(struct sockaddr_un, sun_path))
                  : 0;
        if (len >= addrlen) {
            errno = ENOSPC;
            return -1;
        }
        memcpy(addr, sun->sun_path, len);
        addr[len] = '\0';
        port[0] = '\0';
        return 0;
    }
    if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
        /* Logs and access tables know the client as 1.2.3.4, not ::ffff:... */
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = sin6->sin6_port;
        memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
        memcpy(ss, &sin, sizeof(sin));
        sslen = sizeof(sin);
    }
    gai = getnameinfo((struct sockaddr *)ss, sslen, addr, (socklen_t)addrlen, port,
                      (socklen_t)portlen, NI_NUMERICHOST | NI_NUMERICSERV);
    if (gai != 0) {
        errno = (gai == EAI_OVERFLOW) ? ENOSPC : (gai == EAI_SYSTEM ? errno : EAFNOSUPPORT);
        return -1;
    }
    return 0;
}

int sock_peer_addr(int fd, char *addr, size_t addrlen, char *port, size_t portlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    memset(&ss, 0, sizeof(ss));
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return sock_format(&ss, len, addr, addrlen, port, portlen);
}

int sock_local_addr(int fd, char *addr, size_t addrlen, char *port, size_t portlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return sock_format(&ss, len, addr, addrlen, port, portlen);
}

int sock_send_fd(int unix_sock, int fd)
{
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg;
    struct cmsghdr *cmsg;
    struct iovec iov;
    char byte = 'F';
    ssize_t n;

    memset(&msg, 0, sizeof(msg));
    memset(&control, 0, sizeof(control));
    iov.iov_base = &byte;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof(control.space);
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    while ((n = sendmsg(unix_sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    return n == 1 ? 0 : -1;
}

/* Room for a few fds, so that a peer sending more than one is detected and
 * the extras closed instead of leaking silently. */
#define SOCK_RECV_FDS 8

int sock_recv_fd(int unix_sock)
{
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(SOCK_RECV_FDS * sizeof(int))];
    } control;
    struct msghdr msg;
    struct cmsghdr *cmsg;
    struct iovec iov;
    char byte;
    int fds[SOCK_RECV_FDS];
    size_t nfds = 0;
    size_t count;
    size_t i;
    ssize_t n;
    int ok;

    memset(&msg, 0, sizeof(msg));
    iov.iov_base = &byte;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof(control.space);
    while ((n = recvmsg(unix_sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return -1;
    for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
            cmsg->cmsg_len < CMSG_LEN(0))
            continue;
        count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (i = 0; i < count && nfds < SOCK_RECV_FDS; i++)
            memcpy(&fds[nfds++], CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
    }
    ok = (n == 1 && nfds == 1 && !(msg.msg_flags & MSG_CTRUNC));
    if (ok)
        return fds[0];
    for (i = 0; i < nfds; i++)
        (void)close(fds[i]);
    errno = (n == 0 && nfds == 0) ? ECONNRESET : EBADMSG;
    return -1;
}

/* Port: a number 1-65535 or a service name (letters, digits, '-', '_'). */
static int sock_check_port(const char *port, struct buf *err)
{
    const char *cp;
    long num = 0;
    int digits_only = 1;

    if (*port == '\0') {
        sock_err(err, "missing port");
        return -1;
    }
    for (cp = port; *cp; cp++) {
        if (*cp >= '0' && *cp <= '9') {
            if (digits_only && (num = num * 10 + (*cp - '0')) > 65535)
                break;
        } else if ((*cp >= 'a' && *cp <= 'z') || (*cp >= 'A' && *cp <= 'Z') || *cp == '-' ||
                   *cp == '_') {
            digits_only = 0;
        } else {
            sock_err(err, "bad character in port \"%s\"", port);
            return -1;
        }
    }
    if (digits_only && (num < 1 || num > 65535)) {
        sock_err(err, "port %s out of range 1-65535", port);
        return -1;
    }
    return 0;
}

/* Copies len bytes of src into a field of size outlen; -1 if too long. */
static int sock_copy_field(char *out, size_t outlen, const char *src, size_t len, const char *what,
                           struct buf *err)
{
    if (len >= outlen) {
        sock_err(err, "%s too long (%zu bytes, at most %zu)", what, len, outlen - 1);
        return -1;
    }
    memcpy(out, src, len);
    out[len] = '\0';
    return 0;
}

/* Host: a name or IPv4 address; inside brackets also ':' and '%' (IPv6,
 * scope). The resolver decides whether it exists, not this parser. */
static int sock_check_host(const char *host, int bracketed, struct buf *err)
{
    const char *cp;

    if (*host == '\0') {
        sock_err(err, "missing host");
        return -1;
    }
    for (cp = host; *cp; cp++) {
        if ((*cp >= 'a' && *cp <= 'z') || (*cp >= 'A' && *cp <= 'Z') ||
            (*cp >= '0' && *cp <= '9') || *cp == '.' || *cp == '-' || *cp == '_')
            continue;
        if (bracketed && (*cp == ':' || *cp == '%'))
            continue;
        sock_err(err, "bad character in host \"%s\"", host);
        return -1;
    }
    return 0;
}

static int sock_parse_inet(const char *spec, const char *default_port, struct sock_endpoint *ep,
                           struct buf *err)
{
    const char *end;
    const char *colon;
    const char *port;

    if (*spec == '[') {
        if ((end = strchr(spec, ']')) == NULL) {
            sock_err(err, "missing ']' in \"%s\"", spec);
            return -1;
        }
        if (sock_copy_field(ep->host, sizeof(ep->host), spec + 1, (size_t)(end - spec - 1), "host",
                            err) < 0 ||
            sock_check_host(ep->host, 1, err) < 0)
            return -1;
        ep->bracketed = 1;
        if (end[1] == '\0' && default_port != NULL) {
            port = default_port;
        } else if (end[1] == ':') {
            port = end + 2;
        } else {
            sock_err(err, end[1] ? "junk after ']' in \"%s\"" : "missing port in \"%s\"", spec);
            return -1;
        }
    } else if ((colon = strchr(spec, ':')) != NULL) {
        if (strchr(colon + 1, ':') != NULL) {
            sock_err(err, "IPv6 address must be in brackets, as in [::1]:25: \"%s\"", spec);
            return -1;
        }
        if (sock_copy_field(ep->host, sizeof(ep->host), spec, (size_t)(colon - spec), "host", err) <
                0 ||
            sock_check_host(ep->host, 0, err) < 0)
            return -1;
        port = colon + 1;
    } else if (default_port == NULL) {
        port = spec; /* master.cf: a lone word is the port, on every address */
    } else {
        if (sock_copy_field(ep->host, sizeof(ep->host), spec, strlen(spec), "host", err) < 0 ||
            sock_check_host(ep->host, 0, err) < 0)
            return -1;
        port = default_port;
    }
    if (sock_copy_field(ep->port, sizeof(ep->port), port, strlen(port), "port", err) < 0)
        return -1;
    return sock_check_port(ep->port, err);
}

int sock_parse_endpoint(const char *spec, const char *default_port, struct sock_endpoint *ep,
                        struct buf *err)
{
    const char *cp;
    const char *path = NULL;
    int ret;

    memset(ep, 0, sizeof(*ep));
    if (spec == NULL || *spec == '\0') {
        sock_err(err, "empty endpoint");
        return -1;
    }
    for (cp = spec; *cp; cp++) {
        if ((unsigned char)*cp <= ' ' || (unsigned char)*cp >= 0x7f) {
            sock_err(err, "bad character 0x%02x at offset %zu of endpoint", (unsigned char)*cp,
                     (size_t)(cp - spec));
            return -1;
        }
    }
    if (strncmp(spec, "unix:", 5) == 0)
        path = spec + 5;
    else if (strncmp(spec, "local:", 6) == 0)
        path = spec + 6;
    if (path != NULL) {
        ep->kind = SOCK_ENDPOINT_UNIX;
        if (*path == '\0') {
            sock_err(err, "missing path in \"%s\"", spec);
            return -1;
        }
        return sock_copy_field(ep->path, sizeof(ep->path), path, strlen(path), "unix socket path",
                               err);
    }
    ep->kind = SOCK_ENDPOINT_INET;
    if (strncmp(spec, "inet:", 5) == 0)
        spec += 5;
    if (*spec == '\0') {
        sock_err(err, "missing host and port after \"inet:\"");
        return -1;
    }
    if ((ret = sock_parse_inet(spec, default_port, ep, err)) < 0)
        memset(ep, 0, sizeof(*ep));
    return ret;
}
