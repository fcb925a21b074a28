/*
 * testd.c - one test daemon for the server skeletons and the master, built
 * only for "make check". What it does depends on the name it runs under
 * (the master.cf command, a symbolic link in the test's daemon_directory):
 *
 *   echod     single-client: answers each line with "pid PID gen N: LINE"
 *   multid    multi-client: the same, many clients per process
 *   triggerd  trigger server: appends "PID: DATA" to the file named by its
 *             first argument (master.cf: "... triggerd /path/file")
 *   crashd    exits with status 1 before it reports available (throttling)
 *   any other name behaves as echod.
 * "testd freeport" prints a free TCP port on 127.0.0.1 (for the tests).
 * It must never be installed: it echoes whatever a client sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/stream.h"

#define TESTD_LINE_MAX   1024
#define TESTD_TIMEOUT_MS 60000

/* Answers one line; -1 at end of input or on error. */
static int testd_echo_line(struct stream *client)
{
    struct buf line = BUF_INIT;
    ssize_t n;
    int rc = -1;

    n = stream_read_line(client, &line, TESTD_LINE_MAX, NULL);
    if (n >= 0) {
        while (buf_len(&line) > 0 &&
               (line.data[buf_len(&line) - 1] == '\n' || line.data[buf_len(&line) - 1] == '\r'))
            buf_truncate(&line, buf_len(&line) - 1);
        if (stream_printf(client, "pid %ld gen %u: %s\n", (long)getpid(),
                          (unsigned)server_generation(), buf_str(&line)) == 0 &&
            stream_flush(client) == 0)
            rc = 0;
    }
    buf_release(&line);
    return rc;
}

static void testd_echo(struct stream *client, const char *service, char **argv)
{
    (void)service;
    (void)argv;
    stream_set_timeout(client, TESTD_TIMEOUT_MS);
    while (testd_echo_line(client) == 0)
        ;
}

static void testd_multi(struct stream *client, const char *service, char **argv)
{
    (void)service;
    (void)argv;
    stream_set_timeout(client, TESTD_TIMEOUT_MS);
    if (testd_echo_line(client) < 0)
        server_multi_disconnect(client);
}

static void testd_trigger(const char *data, size_t len, const char *service, char **argv)
{
    struct buf text = BUF_INIT;
    ssize_t n;
    int fd;

    (void)service;
    if (argv[0] == NULL)
        msg_fatal("triggerd: no output file argument");
    if ((fd = open(argv[0], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
        msg_fatal("open %s: %s", argv[0], strerror(errno));
    buf_printf(&text, "%ld: ", (long)getpid());
    buf_append(&text, data, len);
    buf_append_char(&text, '\n');
    n = write(fd, buf_str(&text), buf_len(&text));
    if (n < 0 || (size_t)n != buf_len(&text))
        msg_warn("write %s: %s", argv[0], n < 0 ? strerror(errno) : "short write");
    (void)close(fd);
    buf_release(&text);
}

static void testd_crash(const char *service, char **argv)
{
    (void)argv;
    msg_fatal("service %s: crashing at start, as asked", service);
}

static int testd_freeport(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        perror("testd freeport");
        return 1;
    }
    printf("%d\n", ntohs(sin.sin_port));
    (void)close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct server_hooks crash_hooks = {.post_init = testd_crash};
    const char *slash = strrchr(argv[0], '/');
    const char *name = slash ? slash + 1 : argv[0];

    if (argc == 2 && strcmp(argv[1], "freeport") == 0)
        return testd_freeport();
    if (strcmp(name, "multid") == 0)
        server_multi_main(argc, argv, testd_multi, NULL);
    if (strcmp(name, "triggerd") == 0)
        server_trigger_main(argc, argv, testd_trigger, NULL);
    if (strcmp(name, "crashd") == 0)
        server_single_main(argc, argv, testd_echo, &crash_hooks);
    server_single_main(argc, argv, testd_echo, NULL);
}
