/*
 * test_stream.c - unit tests for lib/util/stream.c.
 *
 * Over socketpairs and pipes: line limits (exact, one over, pieces, skip),
 * NUL bytes, EOF inside a line, lines arriving in pieces, pending input
 * after a pipelined read and stream_peek, read deadlines (per call and per wait) against a
 * silent or trickling peer, sticky errors, writes to a closed peer without
 * SIGPIPE, large writes through a full socket buffer, and an I/O layer.
 * Timeouts are 50-200 ms; helper children are bounded and reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/events.h"
#include "util/stream.h"

struct pair {
    int peer;              /* the test's end */
    struct stream *stream; /* the end under test */
};

static void pair_open(struct pair *p)
{
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    p->peer = sv[1];
    p->stream = stream_open_fd(sv[0], 1);
}

static void pair_close(struct pair *p)
{
    stream_free(p->stream);
    if (p->peer >= 0)
        close(p->peer);
}

static void peer_send(struct pair *p, const void *data, size_t len)
{
    assert_int_equal(write(p->peer, data, len), (ssize_t)len);
}

/* Forks a child that writes chunks to fd with delay_ms between them. */
static pid_t trickle(int fd, const char *const *chunks, long delay_ms)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        for (; *chunks; chunks++) {
            usleep((useconds_t)delay_ms * 1000);
            if (write(fd, *chunks, strlen(*chunks)) < 0)
                _exit(1);
        }
        _exit(0);
    }
    return pid;
}

static void reap(pid_t pid)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_line_basic_and_pending(void **state)
{
    struct pair p;
    struct buf line = BUF_INIT;
    const char in[] = "EHLO a\r\nMAIL FROM:<x>\r\nRCPT TO:<y>\r\n";
    int trunc = -1;

    pair_open(&p);
    assert_int_equal(stream_pending(p.stream), 0);
    peer_send(&p, in, sizeof(in) - 1);
    assert_int_equal(stream_read_line(p.stream, &line, 512, &trunc), 8);
    assert_string_equal(buf_str(&line), "EHLO a\r\n");
    assert_int_equal(trunc, 0);
    /* The rest of the pipelined group is buffered: replies wait. */
    assert_int_equal(stream_pending(p.stream), sizeof(in) - 1 - 8);
    assert_int_equal(stream_read_line(p.stream, &line, 512, &trunc), 15);
    assert_int_equal(stream_pending(p.stream), 13);
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), 13);
    assert_string_equal(buf_str(&line), "RCPT TO:<y>\r\n");
    assert_int_equal(stream_pending(p.stream), 0);
    assert_int_equal(stream_error(p.stream), STREAM_OK);
    buf_release(&line);
    pair_close(&p);
}

/* stream_peek shows exactly the unread buffered bytes, and consumes none. */
static void test_peek_buffered(void **state)
{
    struct pair p;
    struct buf line = BUF_INIT;
    const char in[] = "HELO a\r\nMAIL FROM:<x>\r\n";
    const char *ptr = NULL;

    pair_open(&p);
    assert_int_equal(stream_peek(p.stream, &ptr), 0); /* nothing read yet */
    assert_non_null(ptr);
    peer_send(&p, in, sizeof(in) - 1);
    assert_int_equal(stream_peek(p.stream, &ptr), 0); /* peek never reads */
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), 8);
    assert_int_equal(stream_peek(p.stream, &ptr), 15);
    assert_memory_equal(ptr, "MAIL FROM:<x>\r\n", 15);
    assert_int_equal(stream_peek(p.stream, &ptr), 15); /* consumes nothing */
    assert_int_equal(stream_getc(p.stream), 'M');
    assert_int_equal(stream_peek(p.stream, &ptr), 14);
    assert_int_equal(*ptr, 'A');
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), 14);
    assert_int_equal(stream_peek(p.stream, &ptr), 0);
    buf_release(&line);
    pair_close(&p);
}

static void test_line_limits(void **state)
{
    struct pair p;
    struct buf line = BUF_INIT;
    const char in[] = "abcde\nabcdef\nabcdefghijk\nnext\n";
    int trunc = -1;

    pair_open(&p);
    peer_send(&p, in, sizeof(in) - 1);
    /* Exactly at the limit (5 content bytes): whole, with its newline. */
    assert_int_equal(stream_read_line(p.stream, &line, 5, &trunc), 6);
    assert_string_equal(buf_str(&line), "abcde\n");
    assert_int_equal(trunc, 0);
    /* One byte over: a piece of 5 without newline, then the rest. */
    assert_int_equal(stream_read_line(p.stream, &line, 5, &trunc), 5);
    assert_string_equal(buf_str(&line), "abcde");
    assert_int_equal(trunc, 1);
    assert_int_equal(stream_read_line(p.stream, &line, 5, &trunc), 2);
    assert_string_equal(buf_str(&line), "f\n");
    assert_int_equal(trunc, 0);
    /* Far over: one piece, then skip the rest of that line. */
    assert_int_equal(stream_read_line(p.stream, &line, 5, &trunc), 5);
    assert_int_equal(trunc, 1);
    assert_int_equal(stream_skip_line(p.stream), 7); /* "fghijk\n" */
    assert_int_equal(stream_read_line(p.stream, &line, 5, &trunc), 5);
    assert_string_equal(buf_str(&line), "next\n");
    assert_int_equal(trunc, 0);
    buf_release(&line);
    pair_close(&p);
}

static void test_line_limit_across_reads(void **state)
{
    /* The newline right after a full line arrives in a later packet: the
     * stream waits for it rather than reporting a truncation. */
    struct pair p;
    struct buf line = BUF_INIT;
    const char *const chunks[] = {"abc", "\n", NULL};
    int trunc = -1;
    pid_t pid;

    pair_open(&p);
    stream_set_timeout(p.stream, 2000);
    pid = trickle(p.peer, chunks, 30);
    assert_int_equal(stream_read_line(p.stream, &line, 3, &trunc), 4);
    assert_string_equal(buf_str(&line), "abc\n");
    assert_int_equal(trunc, 0);
    reap(pid);
    buf_release(&line);
    pair_close(&p);
}

static void test_line_nul_bytes(void **state)
{
    struct pair p;
    struct buf line = BUF_INIT;
    const char in[] = "a\0b\0\r\nz\n";

    pair_open(&p);
    peer_send(&p, in, sizeof(in) - 1);
    assert_int_equal(stream_read_line(p.stream, &line, 100, NULL), 6);
    assert_int_equal(buf_len(&line), 6);
    assert_memory_equal(buf_str(&line), "a\0b\0\r\n", 6);
    assert_int_equal(stream_read_line(p.stream, &line, 100, NULL), 2);
    buf_release(&line);
    pair_close(&p);
}

static void test_line_eof_inside(void **state)
{
    struct pair p;
    struct buf line = BUF_INIT;
    int trunc = -1;

    pair_open(&p);
    peer_send(&p, "one\npartial", 11);
    close(p.peer);
    p.peer = -1;
    assert_int_equal(stream_read_line(p.stream, &line, 100, &trunc), 4);
    assert_int_equal(stream_error(p.stream), STREAM_OK);
    assert_int_equal(stream_read_line(p.stream, &line, 100, &trunc), 7);
    assert_string_equal(buf_str(&line), "partial");
    assert_int_equal(trunc, 0);
    assert_int_equal(stream_error(p.stream), STREAM_EOF);
    /* Sticky: nothing more, and no wait. */
    assert_int_equal(stream_read_line(p.stream, &line, 100, &trunc), -1);
    assert_int_equal(buf_len(&line), 0);
    assert_int_equal(stream_getc(p.stream), -1);
    /* Cleared, the next read meets EOF again before any byte. */
    stream_clear_error(p.stream);
    assert_int_equal(stream_read_line(p.stream, &line, 100, &trunc), -1);
    assert_int_equal(stream_error(p.stream), STREAM_EOF);
    assert_int_equal(stream_errno(p.stream), 0);
    buf_release(&line);
    pair_close(&p);
}

static void test_line_in_pieces(void **state)
{
    struct pair p;
    struct buf line = BUF_INIT;
    const char *const chunks[] = {"HE", "LO ex", "ample.org\r", "\nQUIT\r\n", NULL};
    pid_t pid;

    pair_open(&p);
    stream_set_timeout(p.stream, 2000);
    pid = trickle(p.peer, chunks, 20);
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), 18);
    assert_string_equal(buf_str(&line), "HELO example.org\r\n");
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), 6);
    assert_string_equal(buf_str(&line), "QUIT\r\n");
    reap(pid);
    buf_release(&line);
    pair_close(&p);
}

static void test_read_timeout_silent_peer(void **state)
{
    struct pair p;
    struct buf line = BUF_INIT;
    char reply[64];
    int64_t start;
    int64_t took;

    pair_open(&p);
    stream_set_timeout(p.stream, 100);
    start = event_clock_ms();
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), -1);
    took = event_clock_ms() - start;
    assert_int_equal(stream_error(p.stream), STREAM_TIMEOUT);
    assert_true(took >= 95 && took < 1000);
    assert_string_equal(stream_status_str(STREAM_TIMEOUT), "timeout");
    /* Sticky: the next read fails at once. */
    start = event_clock_ms();
    assert_int_equal(stream_getc(p.stream), -1);
    assert_int_equal(stream_puts(p.stream, "x"), -1);
    assert_true(event_clock_ms() - start < 50);
    /* Cleared, the server can still say goodbye. */
    stream_clear_error(p.stream);
    assert_int_equal(stream_printf(p.stream, "421 4.4.2 %s Error: timeout exceeded\r\n", "mx"), 0);
    assert_int_equal(stream_flush(p.stream), 0);
    assert_int_equal(read(p.peer, reply, sizeof(reply)), 38);
    assert_memory_equal(reply, "421 4.4.2 mx Error: timeout exceeded\r\n", 38);
    buf_release(&line);
    pair_close(&p);
}

static void test_deadline_modes_trickle(void **state)
{
    /* 8 bytes, one every 40 ms: each wait is short, the line is slow. */
    const char *const chunks[] = {"a", "b", "c", "d", "e", "f", "g", "\n", NULL};
    struct buf line = BUF_INIT;
    struct pair p;
    pid_t pid;

    pair_open(&p);
    stream_set_timeout(p.stream, 150);
    pid = trickle(p.peer, chunks, 40);
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), -1);
    assert_int_equal(stream_error(p.stream), STREAM_TIMEOUT);
    reap(pid);
    pair_close(&p);

    pair_open(&p);
    stream_set_timeout(p.stream, 150);
    stream_set_deadline_mode(p.stream, STREAM_DEADLINE_WAIT);
    pid = trickle(p.peer, chunks, 40);
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), 8);
    assert_string_equal(buf_str(&line), "abcdefg\n");
    reap(pid);
    buf_release(&line);
    pair_close(&p);
}

static void test_read_exact_and_getc(void **state)
{
    struct pair p;
    char data[8];

    pair_open(&p);
    peer_send(&p, "\377xyz12345", 9);
    assert_int_equal(stream_getc(p.stream), 255); /* not sign-extended */
    assert_int_equal(stream_read(p.stream, data, 3), 0);
    assert_memory_equal(data, "xyz", 3);
    assert_int_equal(stream_read(p.stream, data, 0), 0);
    assert_int_equal(stream_pending(p.stream), 5);
    close(p.peer);
    p.peer = -1;
    /* Asking for more than remains: a short read is an error. */
    assert_int_equal(stream_read(p.stream, data, 8), -1);
    assert_int_equal(stream_error(p.stream), STREAM_EOF);
    pair_close(&p);
}

static void test_write_closed_socket_no_sigpipe(void **state)
{
    struct pair p;
    char big[4096];
    int i;
    int ret = 0;

    /* Default disposition: a stray SIGPIPE would kill the test process. */
    signal(SIGPIPE, SIG_DFL);
    memset(big, 'x', sizeof(big));
    pair_open(&p);
    close(p.peer);
    p.peer = -1;
    for (i = 0; i < 100 && ret == 0; i++)
        ret = stream_write(p.stream, big, sizeof(big));
    if (ret == 0)
        ret = stream_flush(p.stream);
    assert_int_equal(ret, -1);
    assert_int_equal(stream_error(p.stream), STREAM_ERR);
    assert_true(stream_errno(p.stream) == EPIPE || stream_errno(p.stream) == ECONNRESET);
    pair_close(&p);
}

static void test_write_closed_pipe_no_sigpipe(void **state)
{
    struct stream *s;
    sigset_t pending;
    int fds[2];

    signal(SIGPIPE, SIG_DFL);
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    s = stream_open_fd(fds[1], 1);
    assert_int_equal(stream_puts(s, "hello\n"), 0); /* buffered */
    assert_int_equal(stream_flush(s), -1);
    assert_int_equal(stream_error(s), STREAM_ERR);
    assert_int_equal(stream_errno(s), EPIPE);
    /* The signal was consumed, not left pending to strike later. */
    assert_int_equal(sigpending(&pending), 0);
    assert_false(sigismember(&pending, SIGPIPE));
    /* stream_close flushes, fails, and still frees. */
    stream_clear_error(s);
    assert_int_equal(stream_close(s), -1);
}

static void test_large_write_through_full_buffer(void **state)
{
    enum { TOTAL = 1 << 20 };
    struct pair p;
    char chunk[1000];
    size_t sent = 0;
    int status;
    pid_t pid;

    pair_open(&p);
    stream_set_timeout(p.stream, 5000);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Read slowly at first so that the writer must wait in poll(). */
        char in[65536];
        size_t got = 0;
        ssize_t n;

        close(stream_fd(p.stream)); /* or EOF never comes */
        usleep(100000);
        while ((n = read(p.peer, in, sizeof(in))) > 0) {
            for (ssize_t i = 0; i < n; i++)
                if (in[i] != (char)('a' + (got + (size_t)i) % 26))
                    _exit(2);
            got += (size_t)n;
        }
        _exit(got == TOTAL ? 0 : 1);
    }
    close(p.peer);
    p.peer = -1;
    while (sent < TOTAL) {
        size_t len = (sent / 7) % sizeof(chunk) + 1; /* odd sizes, some large */
        size_t i;

        if (len > TOTAL - sent)
            len = TOTAL - sent;
        for (i = 0; i < len; i++)
            chunk[i] = (char)('a' + (sent + i) % 26);
        assert_int_equal(stream_write(p.stream, chunk, len), 0);
        sent += len;
    }
    assert_int_equal(stream_close(p.stream), 0);
    p.stream = NULL;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_write_timeout_full_peer(void **state)
{
    struct pair p;
    char big[65536];
    int ret = 0;
    int i;

    memset(big, 'y', sizeof(big));
    pair_open(&p);
    stream_set_timeout(p.stream, 100);
    /* The peer never reads: the socket buffer fills and the write times out. */
    for (i = 0; i < 200 && ret == 0; i++)
        ret = stream_write(p.stream, big, sizeof(big));
    assert_int_equal(ret, -1);
    assert_int_equal(stream_error(p.stream), STREAM_TIMEOUT);
    pair_close(&p);
}

/* An I/O layer that XORs every byte with 0x20 (stands in for TLS). */
static int xor_reads;

static ssize_t xor_read(void *ctx, int fd, void *data, size_t len, int *want)
{
    ssize_t n = read(fd, data, len);
    ssize_t i;

    xor_reads++;
    if (n < 0 && errno == EAGAIN)
        *want = STREAM_WANT_READ;
    for (i = 0; i < n; i++)
        ((char *)data)[i] ^= 0x20;
    return n;
}

static ssize_t xor_write(void *ctx, int fd, const void *data, size_t len, int *want)
{
    char tmp[256];

    if (len > sizeof(tmp))
        len = sizeof(tmp);
    for (size_t i = 0; i < len; i++)
        tmp[i] = ((const char *)data)[i] ^ 0x20;
    return write(fd, tmp, len);
}

static size_t xor_pending(void *ctx)
{
    return *(size_t *)ctx;
}

static void test_io_layer_and_starttls_discard(void **state)
{
    static const struct stream_io xor_io = {xor_read, xor_write, xor_pending};
    struct buf line = BUF_INIT;
    size_t layer_pending = 3;
    char out[16];
    struct pair p;

    pair_open(&p);
    peer_send(&p, "STARTTLS\r\nRSET\r\n", 16);
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), 10);
    /* Plaintext pipelined after STARTTLS is dropped, and counted. */
    assert_int_equal(stream_set_io(p.stream, &xor_io, &layer_pending), 6);
    assert_int_equal(stream_pending(p.stream), 3); /* only the layer's own */
    peer_send(&p, "helo\x2d\x2a", 6);              /* "HELO\r\n" ^ 0x20 */
    layer_pending = 0;
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), 6);
    assert_string_equal(buf_str(&line), "HELO\r\n");
    assert_true(xor_reads >= 1);
    assert_int_equal(stream_puts(p.stream, "250 OK"), 0);
    assert_int_equal(stream_flush(p.stream), 0);
    assert_int_equal(read(p.peer, out, sizeof(out)), 6);
    assert_memory_equal(out, "\x12\x15\x10\x00ok", 6);
    /* Back to the plain fd. */
    assert_int_equal(stream_set_io(p.stream, NULL, NULL), 0);
    peer_send(&p, "x\n", 2);
    assert_int_equal(stream_read_line(p.stream, &line, 512, NULL), 2);
    assert_string_equal(buf_str(&line), "x\n");
    buf_release(&line);
    pair_close(&p);
}

static void test_flags_restored_and_wait(void **state)
{
    struct stream *s;
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    s = stream_open_fd(sv[0], 0);
    assert_int_equal(stream_fd(s), sv[0]);
    assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    /* stream_wait: writable at once; readable only after the timeout. */
    stream_set_timeout(s, 60);
    assert_int_equal(stream_wait(s, STREAM_WANT_WRITE), 0);
    assert_int_equal(stream_wait(s, STREAM_WANT_READ), -1);
    assert_int_equal(stream_error(s), STREAM_TIMEOUT);
    stream_free(s);
    /* Not ours to close: still open, blocking again. */
    assert_false(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    assert_int_equal(close(sv[0]), 0);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_basic_and_pending),
        cmocka_unit_test(test_peek_buffered),
        cmocka_unit_test(test_line_limits),
        cmocka_unit_test(test_line_limit_across_reads),
        cmocka_unit_test(test_line_nul_bytes),
        cmocka_unit_test(test_line_eof_inside),
        cmocka_unit_test(test_line_in_pieces),
        cmocka_unit_test(test_read_timeout_silent_peer),
        cmocka_unit_test(test_deadline_modes_trickle),
        cmocka_unit_test(test_read_exact_and_getc),
        cmocka_unit_test(test_write_closed_socket_no_sigpipe),
        cmocka_unit_test(test_write_closed_pipe_no_sigpipe),
        cmocka_unit_test(test_large_write_through_full_buffer),
        cmocka_unit_test(test_write_timeout_full_peer),
        cmocka_unit_test(test_io_layer_and_starttls_discard),
        cmocka_unit_test(test_flags_restored_and_wait),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
