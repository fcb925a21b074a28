/*
 * test_sendmail_input.c - unit tests for src/sendmail/sendmail_input.c: how
 * sendmail turns standard input into message lines.
 *
 * Every case is run twice: fed in one piece and fed one byte at a time, and
 * both must give the same lines, so no rule depends on how read() happened
 * to split the input (a CR at the end of one read and its LF at the start
 * of the next is the classic trap). Lines are recorded as "text|" for a
 * complete line and "text+" for a piece of a longer one.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sendmail.h"
#include "util/buf.h"
#include "util/msg.h"

struct record {
    struct buf out;
    int fail_after; /* -1: never fail */
    int calls;
};

static int record_line(void *ctx, const char *data, size_t len, int complete, struct buf *err)
{
    struct record *r = ctx;

    if (r->fail_after >= 0 && r->calls++ >= r->fail_after) {
        buf_set(err, "callback refused");
        return -1;
    }
    buf_append(&r->out, data, len);
    buf_append_char(&r->out, complete ? '|' : '+');
    return 0;
}

struct expect {
    int status; /* feed+finish result: 0, 1 (dot), -1 */
    const char *lines;
    int rcpt_headers;
};

struct settings {
    int dot_ends;
    enum sendmail_fix fix;
    size_t line_limit;
    long size_limit;
};

static const struct settings defaults = {1, SENDMAIL_FIX_ALWAYS, 64, 0};

/* Runs input through a reader in one piece (bytewise = 0) or byte by byte. */
static int run(const struct settings *s, const char *input, size_t len, int bytewise,
               struct buf *lines, int *rcpt_headers, enum sendmail_input_error *error)
{
    struct sendmail_input in;
    struct record r = {BUF_INIT, -1, 0};
    struct buf err = BUF_INIT;
    int status = 0;
    size_t i;

    sendmail_input_init(&in, s->dot_ends, s->fix, s->line_limit, s->size_limit, record_line, &r);
    if (bytewise) {
        for (i = 0; i < len && status == 0; i++)
            status = sendmail_input_feed(&in, input + i, 1, &err);
    } else {
        status = sendmail_input_feed(&in, input, len, &err);
    }
    if (status == 0)
        status = sendmail_input_finish(&in, &err);
    buf_set_mem(lines, r.out.data, r.out.len);
    *rcpt_headers = in.rcpt_headers;
    *error = in.error;
    if (status < 0)
        assert_true(err.len > 0);
    sendmail_input_free(&in);
    buf_release(&r.out);
    buf_release(&err);
    return status;
}

static void check(const struct settings *s, const char *input, const struct expect *want)
{
    struct buf lines = BUF_INIT;
    enum sendmail_input_error error;
    int rcpt;
    int bytewise;

    for (bytewise = 0; bytewise <= 1; bytewise++) {
        int status = run(s, input, strlen(input), bytewise, &lines, &rcpt, &error);

        if (status != want->status ||
            (want->lines != NULL && strcmp(buf_str(&lines), want->lines) != 0))
            fail_msg("input \"%s\" (%s): status %d lines \"%s\", expected %d \"%s\"", input,
                     bytewise ? "bytewise" : "whole", status, buf_str(&lines), want->status,
                     want->lines ? want->lines : "(any)");
        if (want->rcpt_headers >= 0 && rcpt != want->rcpt_headers)
            fail_msg("input \"%s\": %d recipient headers, expected %d", input, rcpt,
                     want->rcpt_headers);
    }
    buf_release(&lines);
}

static void test_plain_lines(void **state)
{
    (void)state;
    check(&defaults, "a\nb\n", &(struct expect){0, "a|b|", -1});
    check(&defaults, "", &(struct expect){0, "", -1});
    /* A last line without LF is still a line. */
    check(&defaults, "a\nno newline", &(struct expect){0, "a|no newline|", -1});
    check(&defaults, "\n\n", &(struct expect){0, "||", -1});
}

static void test_dot_ends_input(void **state)
{
    struct settings no_dot = defaults;

    (void)state;
    check(&defaults, "line before\n.\nline after\n", &(struct expect){1, "line before|", -1});
    check(&defaults, ".\r\nafter\r\n", &(struct expect){1, "", -1});
    /* Only a lone dot: no dot-unstuffing, ".." and ". " stay. */
    check(&defaults, "..\n. \n.x\n", &(struct expect){0, "..|. |.x|", -1});
    /* A final "." without LF ends the message too. */
    check(&defaults, "a\n.", &(struct expect){1, "a|", -1});
    no_dot.dot_ends = 0; /* -i / -oi */
    check(&no_dot, "line before\n.\nline after\n",
          &(struct expect){0, "line before|.|line after|", -1});
}

static void test_crlf_always(void **state)
{
    (void)state;
    check(&defaults, "a\r\nb\nc\r\n", &(struct expect){0, "a|b|c|", -1});
    /* Only CR before LF goes; a bare CR and CR CR LF keep the rest. */
    check(&defaults, "a\rb\r\r\n", &(struct expect){0, "a\rb\r|", -1});
    /* A CR at the very end (no LF) is data. */
    check(&defaults, "a\r", &(struct expect){0, "a\r|", -1});
}

static void test_crlf_strict_and_never(void **state)
{
    struct settings strict = defaults;
    struct settings never = defaults;

    (void)state;
    strict.fix = SENDMAIL_FIX_STRICT;
    check(&strict, "a\r\nb\r\n", &(struct expect){0, "a|b|", -1});
    check(&strict, "a\nb\r\n", &(struct expect){0, "a|b\r|", -1});
    never.fix = SENDMAIL_FIX_NEVER;
    check(&never, "a\r\nb\r\n", &(struct expect){0, "a\r|b\r|", -1});
    /* With "never", ".\r" is not a lone dot. */
    check(&never, ".\r\nx\n", &(struct expect){0, ".\r|x|", -1});
}

static void test_from_line(void **state)
{
    (void)state;
    check(&defaults, "From bob Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody\n",
          &(struct expect){0, "Subject: x||body|", -1});
    /* Only the first line, and only "From " with the space. */
    check(&defaults, "a\nFrom bob\n", &(struct expect){0, "a|From bob|", -1});
    check(&defaults, "From: bob\n", &(struct expect){0, "From: bob|", -1});
    check(&defaults, "From \n", &(struct expect){0, "", -1});
}

static void test_long_lines(void **state)
{
    struct settings s = defaults;

    (void)state;
    s.line_limit = 16;
    check(&s, "0123456789abcdef\n", &(struct expect){0, "0123456789abcdef|", -1});
    check(&s, "0123456789abcdefg\n", &(struct expect){0, "0123456789abcdef+g|", -1});
    /* Exactly the limit plus CRLF: the CR must not end up in a piece. */
    check(&s, "0123456789abcdef\r\n", &(struct expect){0, "0123456789abcdef|", -1});
    check(&s, "0123456789abcdef0123456789abcdef\n",
          &(struct expect){0, "0123456789abcdef+0123456789abcdef|", -1});
    /* A line that ends exactly at a piece boundary without LF gets an empty end. */
    check(&s, "0123456789abcdef0", &(struct expect){0, "0123456789abcdef+0|", -1});
    /* A long From_ line is dropped whole. */
    check(&s, "From 0123456789abcdef0123456789\nX: y\n", &(struct expect){0, "X: y|", -1});
    /* A line with a dot first that is long is not the end marker. */
    check(&s, ".0123456789abcdeXYZ\n", &(struct expect){0, ".0123456789abcde+XYZ|", -1});
}

static void test_size_limit(void **state)
{
    struct settings s = defaults;
    struct buf lines = BUF_INIT;
    enum sendmail_input_error error;
    int rcpt;

    (void)state;
    s.size_limit = 6; /* "abc\n" + "d\n" = 6 bytes */
    check(&s, "abc\nd\n", &(struct expect){0, "abc|d|", -1});
    assert_int_equal(run(&s, "abc\nde\n", 7, 0, &lines, &rcpt, &error), -1);
    assert_int_equal(error, SENDMAIL_INPUT_TOO_BIG);
    assert_string_equal(buf_str(&lines), "abc|");
    /* The From_ line and the end dot do not count. */
    check(&s, "From x\nabc\nd\n.\n", &(struct expect){1, "abc|d|", -1});
    buf_release(&lines);
}

static void test_recipient_headers(void **state)
{
    struct settings s = defaults;

    (void)state;
    check(&defaults, "To: alice\nSubject: x\n\nbody\n", &(struct expect){0, NULL, 1});
    check(&defaults, "to:alice\nCC: b\nbcc: c\nResent-To: d\n\n", &(struct expect){0, NULL, 4});
    /* Empty values do not count, a folded value does. */
    check(&defaults, "To: \nCc:\n\t carol\n\n", &(struct expect){0, NULL, 1});
    check(&defaults, "To:   \n\n", &(struct expect){0, NULL, 0});
    /* After the header block, or after a non-header line, nothing counts. */
    check(&defaults, "Subject: x\n\nTo: alice\n", &(struct expect){0, NULL, 0});
    check(&defaults, "not a header\nTo: alice\n", &(struct expect){0, NULL, 0});
    check(&defaults, "From bob\nTo: alice\n", &(struct expect){0, NULL, 1});
    check(&defaults, "X-To: alice\nToo: b\n\n", &(struct expect){0, NULL, 0});
    /* A value that starts past the first piece of a long line still counts. */
    s.line_limit = 16;
    check(&s, "To:                        alice\n\n", &(struct expect){0, NULL, 1});
}

static void test_callback_failure(void **state)
{
    struct sendmail_input in;
    struct record r = {BUF_INIT, 1, 0};
    struct buf err = BUF_INIT;

    (void)state;
    sendmail_input_init(&in, 1, SENDMAIL_FIX_ALWAYS, 64, 0, record_line, &r);
    assert_int_equal(sendmail_input_feed(&in, "a\nb\nc\n", 6, &err), -1);
    assert_int_equal(in.error, SENDMAIL_INPUT_CALLBACK);
    assert_string_equal(buf_str(&err), "callback refused");
    /* Errors are sticky. */
    assert_int_equal(sendmail_input_feed(&in, "d\n", 2, &err), -1);
    assert_int_equal(sendmail_input_finish(&in, &err), -1);
    assert_string_equal(buf_str(&r.out), "a|");
    sendmail_input_free(&in);
    buf_release(&r.out);
    buf_release(&err);
}

static void test_read_fd(void **state)
{
    struct sendmail_input in;
    struct record r = {BUF_INIT, -1, 0};
    struct buf err = BUF_INIT;
    int fds[2];
    const char *text = "From x\r\nSubject: s\r\n\r\nbody\r\n.\r\nnot read\r\n";

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    sendmail_input_init(&in, 1, SENDMAIL_FIX_ALWAYS, 64, 0, record_line, &r);
    assert_int_equal(sendmail_input_read_fd(&in, fds[0], &err), 0);
    assert_string_equal(buf_str(&r.out), "Subject: s||body|");
    sendmail_input_free(&in);
    close(fds[0]);

    /* A read error is reported, not taken for the end of the message. */
    buf_reset(&r.out);
    sendmail_input_init(&in, 1, SENDMAIL_FIX_ALWAYS, 64, 0, record_line, &r);
    assert_int_equal(sendmail_input_read_fd(&in, -1, &err), -1);
    assert_int_equal(in.error, SENDMAIL_INPUT_IO);
    assert_non_null(strstr(buf_str(&err), "read message from standard input"));
    sendmail_input_free(&in);
    buf_release(&r.out);
    buf_release(&err);
}

static void test_parse_fix(void **state)
{
    enum sendmail_fix f = SENDMAIL_FIX_NEVER;

    (void)state;
    assert_int_equal(sendmail_parse_fix("Always", &f), 0);
    assert_int_equal(f, SENDMAIL_FIX_ALWAYS);
    assert_int_equal(sendmail_parse_fix("strict", &f), 0);
    assert_int_equal(f, SENDMAIL_FIX_STRICT);
    assert_int_equal(sendmail_parse_fix("never", &f), 0);
    assert_int_equal(f, SENDMAIL_FIX_NEVER);
    assert_int_equal(sendmail_parse_fix("sometimes", &f), -1);
    assert_int_equal(sendmail_parse_fix("", &f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_lines),      cmocka_unit_test(test_dot_ends_input),
        cmocka_unit_test(test_crlf_always),      cmocka_unit_test(test_crlf_strict_and_never),
        cmocka_unit_test(test_from_line),        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_size_limit),       cmocka_unit_test(test_recipient_headers),
        cmocka_unit_test(test_callback_failure), cmocka_unit_test(test_read_fd),
        cmocka_unit_test(test_parse_fix),
    };

    msg_init("test_sendmail_input");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
