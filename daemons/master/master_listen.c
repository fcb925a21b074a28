/*
 * master_listen.c - the listening endpoints of master.cf services: inet
 * (one socket per inet_interfaces address for a port-only name), unix
 * stream and datagram sockets and fifos under queue_directory/private or
 * public.
 *
 * Called by master_ent.c when services are created or reloaded. Every
 * descriptor is close-on-exec and non-blocking; master_spawn.c hands them
 * to children on purpose. The "endpoint" string identifies what a service
 * is bound to, so a reload can keep a listener whose endpoint did not
 * change (no connection is refused during a reload). Public sockets get
 * mode 0666 and fifos 0622: access is controlled by the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/conf.h"
#include "master.h"
#include "server/instance.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/str.h"

#define MASTER_SOCKET_MODE 0666
#define MASTER_FIFO_MODE   0622

/* Which address families inet_protocols allows. */
static void master_protocols(int *v4, int *v6)
{
    char *copy = mem_strdup(var_inet_protocols);
    char *cursor = copy;
    char *word;

    *v4 = *v6 = 0;
    while ((word = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        if (strcasecmp(word, "all") == 0)
            *v4 = *v6 = 1;
        else if (strcasecmp(word, "ipv4") == 0)
            *v4 = 1;
        else if (strcasecmp(word, "ipv6") == 0)
            *v6 = 1;
    }
    mem_free(copy);
    if (!*v4 && !*v6) /* Postfix refuses an empty list; assume the default */
        *v4 = *v6 = 1;
}

/*
 * Appends the hosts to bind for a port-only service, one per line, from
 * inet_interfaces: "*" stands for "every address" of the allowed
 * families (one dual-stack socket when both are allowed).
 */
static int master_inet_hosts(struct buf *hosts)
{
    int count = 0;
    char *copy = mem_strdup(var_inet_interfaces);
    char *cursor = copy;
    char *word;
    int v4, v6;

    master_protocols(&v4, &v6);
    while ((word = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        if (strcasecmp(word, "all") == 0) {
            buf_append_str(hosts, v4 && v6 ? "*\n" : v4 ? "0.0.0.0\n" : "::\n");
            count++;
        } else if (strcasecmp(word, "loopback-only") == 0) {
            if (v4 && ++count)
                buf_append_str(hosts, "127.0.0.1\n");
            if (v6 && ++count)
                buf_append_str(hosts, "::1\n");
        } else if (strchr(word, ':') != NULL) { /* an IPv6 address, maybe in brackets */
            if (v6 && ++count)
                buf_printf(hosts, "%s\n", word);
        } else if (strspn(word, "0123456789.") == strlen(word)) {
            if (v4 && ++count)
                buf_printf(hosts, "%s\n", word);
        } else {
            buf_printf(hosts, "%s\n", word); /* a host name: let the resolver decide */
            count++;
        }
    }
    mem_free(copy);
    return count;
}

int master_listen_describe(struct master_service *serv, struct buf *why)
{
    struct sock_endpoint ep;
    struct buf label = BUF_INIT;
    struct buf endpoint = BUF_INIT;
    struct buf path = BUF_INIT;
    int nhosts;

    buf_reset(why);
    if (serv->type == MASTER_TYPE_INET) {
        if (sock_parse_endpoint(serv->name, NULL, &ep, why) < 0)
            return -1;
        if (ep.kind != SOCK_ENDPOINT_INET) {
            buf_printf(why, "service %s: not an inet address", serv->name);
            return -1;
        }
        buf_append_str(&endpoint, "inet\n");
        if (ep.host[0] == '\0' || strcmp(ep.host, "*") == 0) {
            buf_set(&label, ep.port);
            nhosts = master_inet_hosts(&endpoint);
        } else {
            buf_printf(&label, "[%s]:%s", ep.host, ep.port);
            buf_printf(&endpoint, "%s\n", ep.host);
            nhosts = 1;
        }
        buf_printf(&endpoint, "port %s", ep.port);
        if (nhosts == 0) {
            buf_printf(why, "service %s: inet_interfaces leaves no address to listen on",
                       serv->name);
            buf_release(&label);
            buf_release(&endpoint);
            return -1;
        }
    } else {
        if (serv->name[0] == '\0' || strchr(serv->name, '/') != NULL ||
            strcmp(serv->name, ".") == 0 || strcmp(serv->name, "..") == 0) {
            buf_printf(why, "service %s: invalid name for a %s service", serv->name,
                       master_type_name(serv->type));
            return -1;
        }
        buf_printf(&label, "%s/%s", serv->private_flag ? "private" : "public", serv->name);
        instance_service_path(&path, serv->private_flag, serv->name);
        buf_printf(&endpoint, "%s\n%s", master_type_name(serv->type), buf_str(&path));
        serv->socket_path = buf_steal(&path);
    }
    serv->label = buf_steal(&label);
    buf_printf(&path, "%s/%s", master_type_name(serv->type), serv->label);
    serv->key = buf_steal(&path);
    serv->endpoint = buf_steal(&endpoint);
    return 0;
}

/* The listen backlog: enough for the service's processes, and never
 * below default_process_limit. */
static int master_backlog(const struct master_service *serv)
{
    return serv->max_proc > var_default_process_limit ? serv->max_proc : var_default_process_limit;
}

static int master_listen_inet(struct master_service *serv, struct buf *why)
{
    char *copy = mem_strdup(serv->endpoint);
    char *cursor = copy;
    char *line;
    const char *port = NULL;
    char *hosts[MASTER_LISTEN_MAX];
    size_t nhosts = 0;
    size_t i;
    int fd;

    (void)str_token(&cursor, "\n"); /* "inet" */
    while ((line = str_token(&cursor, "\n")) != NULL) {
        if (strncmp(line, "port ", 5) == 0) {
            port = line + 5;
        } else if (nhosts < MASTER_LISTEN_MAX) {
            hosts[nhosts++] = line;
        } else {
            buf_printf(why, "service %s: more than %d addresses to listen on", serv->name,
                       MASTER_LISTEN_MAX);
            mem_free(copy);
            return -1;
        }
    }
    for (i = 0; i < nhosts; i++) {
        fd = sock_listen_inet(strcmp(hosts[i], "*") == 0 ? NULL : hosts[i], port,
                              master_backlog(serv), why);
        if (fd < 0) {
            master_listen_close(serv);
            mem_free(copy);
            return -1;
        }
        serv->listen_fd[serv->listen_count++] = fd;
    }
    mem_free(copy);
    return 0;
}

/* Removes a stale socket at path (never anything else). */
static int master_remove_stale(const char *path, int want_fifo, struct buf *why)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return 0;
    if (want_fifo ? S_ISFIFO(st.st_mode) : S_ISSOCK(st.st_mode)) {
        if (want_fifo)
            return 0; /* an existing fifo is reused as it is */
        if (unlink(path) < 0 && errno != ENOENT) {
            buf_printf(why, "remove stale socket %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    buf_printf(why, "%s exists and is not a %s", path, want_fifo ? "fifo" : "socket");
    return -1;
}

static int master_listen_dgram(struct master_service *serv, struct buf *why)
{
    struct sockaddr_un sun;
    mode_t old_umask;
    size_t len = strlen(serv->socket_path);
    int fd;
    int ret;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (len >= sizeof(sun.sun_path)) {
        buf_printf(why, "socket path too long: %s", serv->socket_path);
        return -1;
    }
    memcpy(sun.sun_path, serv->socket_path, len + 1);
    if (master_remove_stale(serv->socket_path, 0, why) < 0)
        return -1;
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
        buf_printf(why, "socket: %s", strerror(errno));
        return -1;
    }
    old_umask = umask(~MASTER_SOCKET_MODE & 0777);
    ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    (void)umask(old_umask);
    if (ret < 0 || chmod(serv->socket_path, MASTER_SOCKET_MODE) < 0) {
        buf_printf(why, "bind %s: %s", serv->socket_path, strerror(errno));
        (void)close(fd);
        return -1;
    }
    serv->listen_fd[serv->listen_count++] = fd;
    return 0;
}

static int master_listen_fifo(struct master_service *serv, struct buf *why)
{
    struct stat st;
    int fd;

    if (master_remove_stale(serv->socket_path, 1, why) < 0)
        return -1;
    if (mkfifo(serv->socket_path, MASTER_FIFO_MODE) < 0 && errno != EEXIST) {
        buf_printf(why, "create fifo %s: %s", serv->socket_path, strerror(errno));
        return -1;
    }
    /* Read-write, so that the fifo never reports end of file when the
     * last writer goes away. */
    if ((fd = open(serv->socket_path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        buf_printf(why, "open fifo %s: %s", serv->socket_path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || fchmod(fd, MASTER_FIFO_MODE) < 0) {
        buf_printf(why, "fifo %s: not a fifo, or cannot set its mode", serv->socket_path);
        (void)close(fd);
        return -1;
    }
    serv->listen_fd[serv->listen_count++] = fd;
    return 0;
}

int master_listen_open(struct master_service *serv, struct buf *why)
{
    int fd;

    buf_reset(why);
    serv->listen_count = 0;
    switch (serv->type) {
    case MASTER_TYPE_INET:
        return master_listen_inet(serv, why);
    case MASTER_TYPE_UNIX:
        if ((fd = sock_listen_unix(serv->socket_path, master_backlog(serv), MASTER_SOCKET_MODE,
                                   why)) < 0)
            return -1;
        serv->listen_fd[serv->listen_count++] = fd;
        return 0;
    case MASTER_TYPE_UNIX_DGRAM:
        return master_listen_dgram(serv, why);
    case MASTER_TYPE_FIFO:
        return master_listen_fifo(serv, why);
    case MASTER_TYPE_PASS:
        break;
    }
    buf_printf(why, "service %s: type %s is not supported", serv->name,
               master_type_name(serv->type));
    return -1;
}

void master_listen_close(struct master_service *serv)
{
    int i;

    for (i = 0; i < serv->listen_count; i++)
        (void)close(serv->listen_fd[i]);
    serv->listen_count = 0;
    serv->listening = 0;
    serv->watching = NULL;
}
