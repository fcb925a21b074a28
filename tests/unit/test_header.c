/*
 * test_header.c - unit tests of the incremental header parser
 * (lib/mail/header.c).
 *
 * Each case feeds content and compares a transcript of the callbacks
 * (headers with name, value, raw bytes and truncation, the end kind, body
 * bytes) with the expected one. Every case is also fed split at every
 * possible point and one byte at a time: the transcript must not change,
 * since content arrives in arbitrary chunks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mail/header.h"
#include "util/buf.h"

#define RAW(s) (s), (sizeof(s) - 1)

struct rec {
    struct buf log;
    struct buf body;
    int ends;
};

static void rec_escape(struct buf *out, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\n')
            buf_append_str(out, "\\n");
        else if (c == '\t')
            buf_append_str(out, "\\t");
        else if (c < 0x20 || c >= 0x7f || c == '\\')
            buf_printf(out, "\\x%02x", c);
        else
            buf_append_char(out, c);
    }
}

static void rec_header(void *ctx, const struct header_view *h)
{
    struct rec *r = ctx;

    /* name and value must point into raw */
    assert_true(h->name == h->raw);
    assert_true(h->value >= h->raw && h->value + h->value_len == h->raw + h->raw_len);
    assert_int_equal(r->ends, 0);
    buf_printf(&r->log, "H %s%s|", header_class_name(h->cls), h->truncated ? " T" : "");
    rec_escape(&r->log, h->name, h->name_len);
    buf_append_char(&r->log, '|');
    rec_escape(&r->log, h->value, h->value_len);
    buf_append_str(&r->log, "\n");
}

static void rec_end(void *ctx, enum header_end how)
{
    struct rec *r = ctx;
    static const char *names[] = {"BLANK", "NONHEADER", "EOF"};

    r->ends++;
    buf_printf(&r->log, "END %s\n", names[how]);
}

static void rec_body(void *ctx, const char *data, size_t len)
{
    struct rec *r = ctx;

    assert_int_equal(r->ends, 1);
    assert_true(len > 0);
    buf_append(&r->body, data, len);
}

static const struct header_callbacks rec_cb = {rec_header, rec_end, rec_body};

/* Feeds data in pieces starting at the offsets in cuts (sorted), returns
 * the transcript "log + BODY:escaped body". */
static void run_split(const char *data, size_t len, size_t limit, const size_t *cuts, size_t ncuts,
                      struct buf *out)
{
    struct rec r;
    struct header_parser *p;
    size_t prev = 0, i;

    buf_init(&r.log);
    buf_init(&r.body);
    r.ends = 0;
    p = header_parser_new(limit, &rec_cb, &r);
    for (i = 0; i <= ncuts; i++) {
        size_t at = i < ncuts ? cuts[i] : len;

        header_parser_feed(p, data + prev, at - prev);
        prev = at;
    }
    header_parser_finish(p);
    assert_int_equal(r.ends, 1);
    assert_true(header_parser_in_body(p));
    header_parser_free(p);
    buf_reset(out);
    buf_append(out, r.log.data, r.log.len);
    buf_append_str(out, "BODY:");
    rec_escape(out, r.body.data, r.body.len);
    buf_release(&r.log);
    buf_release(&r.body);
}

/* Checks data against want whole, at every split point, at every pair of
 * split points (for short inputs) and byte by byte. */
static void check(const char *data, size_t len, size_t limit, const char *want)
{
    struct buf got = BUF_INIT;
    size_t cuts[2];
    size_t i, j;
    size_t *all;

    run_split(data, len, limit, NULL, 0, &got);
    if (strcmp(buf_str(&got), want) != 0)
        fail_msg("whole input:\n got: %s\nwant: %s", buf_str(&got), want);
    for (i = 0; i <= len; i++) {
        cuts[0] = i;
        run_split(data, len, limit, cuts, 1, &got);
        if (strcmp(buf_str(&got), want) != 0)
            fail_msg("split at %zu:\n got: %s\nwant: %s", i, buf_str(&got), want);
    }
    if (len <= 80) {
        for (i = 0; i <= len; i++) {
            for (j = i; j <= len; j++) {
                cuts[0] = i;
                cuts[1] = j;
                run_split(data, len, limit, cuts, 2, &got);
                if (strcmp(buf_str(&got), want) != 0)
                    fail_msg("split at %zu,%zu:\n got: %s\nwant: %s", i, j, buf_str(&got), want);
            }
        }
    }
    all = test_malloc((len + 1) * sizeof(size_t));
    for (i = 0; i < len; i++)
        all[i] = i;
    run_split(data, len, limit, all, len, &got);
    if (strcmp(buf_str(&got), want) != 0)
        fail_msg("byte by byte:\n got: %s\nwant: %s", buf_str(&got), want);
    test_free(all);
    buf_release(&got);
}

static void test_simple(void **state)
{
    (void)state;
    check(RAW("From: a@x\nTo: b@y\n\nbody line\n"), 1000,
          "H From|From|a@x\nH To|To|b@y\nEND BLANK\nBODY:body line\\n");
}

static void test_folded(void **state)
{
    (void)state;
    check(RAW("Subject: one\n two\n\tthree\nX-A: b\n\nB"), 1000,
          "H Subject|Subject|one\\n two\\n\\tthree\nH |X-A|b\nEND BLANK\nBODY:B");
    /* A value that starts on the continuation line. */
    check(RAW("Subject:\n folded\n\n"), 1000, "H Subject|Subject|folded\nEND BLANK\nBODY:");
    /* Blank continuation line (only whitespace) still continues. */
    check(RAW("A: 1\n \nB: 2\n\n"), 1000, "H |A|1\\n \nH |B|2\nEND BLANK\nBODY:");
}

static void test_name_forms(void **state)
{
    (void)state;
    /* Blanks before the colon are allowed (obsolete syntax) and not part
     * of the name; an empty value is fine. */
    check(RAW("Subject  : x\nX-Empty:\nto:y\n\n"), 1000,
          "H Subject|Subject|x\nH |X-Empty|\nH To|to|y\nEND BLANK\nBODY:");
    /* Case-insensitive classes. */
    check(RAW("MESSAGE-id: <a@b>\nresent-BCC: q\nCONTENT-length: 5\n\n"), 1000,
          "H Message-ID|MESSAGE-id|<a@b>\nH Resent-Bcc|resent-BCC|q\n"
          "H Content-Length|CONTENT-length|5\nEND BLANK\nBODY:");
}

static void test_no_blank_line(void **state)
{
    (void)state;
    /* A line that is not a header ends the block and starts the body. */
    check(RAW("Subject: x\nthis is body\nmore\n"), 1000,
          "H Subject|Subject|x\nEND NONHEADER\nBODY:this is body\\nmore\\n");
    /* No headers at all. */
    check(RAW("just a body line\n"), 1000, "END NONHEADER\nBODY:just a body line\\n");
    /* A name with a space in it is not a header ("From " mbox line). */
    check(RAW("From bob Mon Jan 1\nSubject: x\n"), 1000,
          "END NONHEADER\nBODY:From bob Mon Jan 1\\nSubject: x\\n");
    /* A fold with no header before it. */
    check(RAW(" indented\nA: b\n"), 1000, "END NONHEADER\nBODY: indented\\nA: b\\n");
    /* An empty name. */
    check(RAW(":x\n"), 1000, "END NONHEADER\nBODY::x\\n");
    /* Blanks then a non-colon. */
    check(RAW("A: 1\nName  x: y\n"), 1000, "H |A|1\nEND NONHEADER\nBODY:Name  x: y\\n");
    /* The body may start with a colon-less word with no newline at all. */
    check(RAW("A: 1\nword"), 1000, "H |A|1\nEND NONHEADER\nBODY:word");
}

static void test_eof(void **state)
{
    (void)state;
    check(RAW(""), 1000, "END EOF\nBODY:");
    check(RAW("A: 1"), 1000, "H |A|1\nEND EOF\nBODY:");
    check(RAW("A: 1\n"), 1000, "H |A|1\nEND EOF\nBODY:");
    check(RAW("A: 1\n cont"), 1000, "H |A|1\\n cont\nEND EOF\nBODY:");
    check(RAW("A"), 1000, "END NONHEADER\nBODY:A");
    check(RAW("A "), 1000, "END NONHEADER\nBODY:A ");
    check(RAW("\n"), 1000, "END BLANK\nBODY:");
    check(RAW("\n\n"), 1000, "END BLANK\nBODY:\\n");
}

static void test_binary(void **state)
{
    (void)state;
    /* NUL and 8-bit bytes in values pass through. */
    check(RAW("Subject: a\0b\xff\nX: \xc3\xa9t\xc3\xa9\n\nbo\0dy\xfe"), 1000,
          "H Subject|Subject|a\\x00b\\xff\nH |X|\\xc3\\xa9t\\xc3\\xa9\nEND BLANK\n"
          "BODY:bo\\x00dy\\xfe");
    /* A NUL or an 8-bit byte in a name: not a header. */
    check(RAW("Sub\0ject: x\n"), 1000, "END NONHEADER\nBODY:Sub\\x00ject: x\\n");
    check(RAW("X-\xe9: x\n"), 1000, "END NONHEADER\nBODY:X-\\xe9: x\\n");
    /* CR is an ordinary byte here (content is LF-normalised upstream). */
    check(RAW("A: 1\r\n\r\n"), 1000, "H |A|1\\x0d\nEND NONHEADER\nBODY:\\x0d\\n");
}

static void test_size_limit(void **state)
{
    (void)state;
    /* "A: 12345" is 8 bytes: exactly at the limit it is whole. */
    check(RAW("A: 12345\nB: 1\n\n"), 8, "H |A|12345\nH |B|1\nEND BLANK\nBODY:");
    /* One byte over: truncated, the rest discarded, parsing goes on. */
    check(RAW("A: 123456\nB: 1\n\n"), 8, "H  T|A|12345\nH |B|1\nEND BLANK\nBODY:");
    /* The fold's newline counts; continuation bytes beyond are dropped
     * but still belong to the header (the next header is intact). */
    check(RAW("A: 123\n 45678\n 9\nB: 2\n\nx"), 8, "H  T|A|123\\n \nH |B|2\nEND BLANK\nBODY:x");
    check(RAW("A: 1234\n x\n\n"), 9, "H  T|A|1234\\n \nEND BLANK\nBODY:");
    /* A name that does not fit with its colon: treated as body. */
    check(RAW("Abcdefgh: x\nB: 1\n"), 8, "END NONHEADER\nBODY:Abcdefgh: x\\nB: 1\\n");
    check(RAW("Abcdefg: x\n"), 8, "H  T|Abcdefg|\nEND EOF\nBODY:");
    /* Limit 1: nothing can be a header. */
    check(RAW("A: b\n"), 1, "END NONHEADER\nBODY:A: b\\n");
}

/* A header much larger than the limit never makes the parser hold more
 * than the limit. */
static void test_huge_header(void **state)
{
    struct buf in = BUF_INIT, got = BUF_INIT;
    size_t cut[3];
    size_t i;

    (void)state;
    buf_append_str(&in, "Subject: ");
    for (i = 0; i < 100000; i++)
        buf_append_char(&in, 'a' + (int)(i % 26));
    buf_append_str(&in, "\n folded\nTo: x\n\nbody\n");
    cut[0] = 5;
    cut[1] = 50000;
    cut[2] = 100011;
    run_split(in.data, in.len, 100, cut, 3, &got);
    assert_non_null(strstr(got.data, "H Subject T|Subject|abcdefghijklmnopqrstuvwxyz"));
    assert_non_null(strstr(got.data, "\nH To|To|x\nEND BLANK\nBODY:body\\n"));
    /* 100 bytes kept: "Subject: " + 91 letters. */
    assert_true(strstr(got.data,
                       "|abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm"
                       "nopqrstuvwxyzabcdefghijklm\n") != NULL);
    /* A 100000-byte name without a colon. */
    buf_reset(&in);
    for (i = 0; i < 100000; i++)
        buf_append_char(&in, 'N');
    buf_append_str(&in, ": x\n");
    run_split(in.data, in.len, 100, NULL, 0, &got);
    assert_true(strncmp(got.data, "END NONHEADER\nBODY:NNNN", 23) == 0);
    assert_int_equal(got.len, strlen("END NONHEADER\nBODY:") + 100000 + strlen(": x\\n"));
    buf_release(&in);
    buf_release(&got);
}

static void test_classify(void **state)
{
    static const struct {
        const char *name;
        enum header_class cls;
        int address;
        int resent;
    } cases[] = {
        {"from", HDR_FROM, 1, 0},
        {"SENDER", HDR_SENDER, 1, 0},
        {"To", HDR_TO, 1, 0},
        {"cc", HDR_CC, 1, 0},
        {"bCC", HDR_BCC, 1, 0},
        {"Resent-From", HDR_RESENT_FROM, 1, 1},
        {"Resent-Sender", HDR_RESENT_SENDER, 1, 1},
        {"Resent-To", HDR_RESENT_TO, 1, 1},
        {"resent-cc", HDR_RESENT_CC, 1, 1},
        {"Resent-Bcc", HDR_RESENT_BCC, 1, 1},
        {"Resent-Message-Id", HDR_RESENT_MESSAGE_ID, 0, 1},
        {"Resent-Date", HDR_RESENT_DATE, 0, 1},
        {"Message-Id", HDR_MESSAGE_ID, 0, 0},
        {"Date", HDR_DATE, 0, 0},
        {"Received", HDR_RECEIVED, 0, 0},
        {"Delivered-To", HDR_DELIVERED_TO, 0, 0},
        {"Return-Path", HDR_RETURN_PATH, 0, 0},
        {"Content-Length", HDR_CONTENT_LENGTH, 0, 0},
        {"Content-Type", HDR_CONTENT_TYPE, 0, 0},
        {"Content-Transfer-Encoding", HDR_CONTENT_TRANSFER_ENCODING, 0, 0},
        {"MIME-Version", HDR_MIME_VERSION, 0, 0},
        {"Reply-To", HDR_REPLY_TO, 1, 0},
        {"Subject", HDR_SUBJECT, 0, 0},
        {"X-Original-To", HDR_X_ORIGINAL_TO, 0, 0},
        {"Errors-To", HDR_ERRORS_TO, 1, 0},
        {"Tox", HDR_OTHER, 0, 0},
        {"T", HDR_OTHER, 0, 0},
        {"", HDR_OTHER, 0, 0},
        {"Resent-", HDR_OTHER, 0, 0},
        {"X-Mailer", HDR_OTHER, 0, 0},
    };
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum header_class c = header_classify(cases[i].name, strlen(cases[i].name));

        if (c != cases[i].cls)
            fail_msg("%s: class %d, want %d", cases[i].name, c, cases[i].cls);
        assert_int_equal(header_is_address(c), cases[i].address);
        assert_int_equal(header_is_resent(c), cases[i].resent);
    }
    /* Only the given length counts: "To" inside "Tomato". */
    assert_int_equal(header_classify("Tomato", 2), HDR_TO);
    assert_string_equal(header_class_name(HDR_MESSAGE_ID), "Message-ID");
    assert_string_equal(header_class_name(HDR_OTHER), "");
    assert_string_equal(header_class_name(HDR_CLASS_COUNT), "");
    assert_int_equal(header_is_address(HDR_CLASS_COUNT), 0);
    assert_true(header_line_is_header(RAW("A: b"), &n));
    assert_int_equal(n, 1);
    assert_true(header_line_is_header(RAW("Abc \t:"), &n));
    assert_int_equal(n, 3);
    assert_false(header_line_is_header(RAW(": b"), &n));
    assert_false(header_line_is_header(RAW("A b: c"), &n));
    assert_false(header_line_is_header(RAW("Abc"), &n));
    assert_false(header_line_is_header(RAW("Abc  "), &n));
    assert_false(header_line_is_header(RAW(" A: b"), &n));
    assert_false(header_line_is_header("", 0, &n));
    assert_true(header_line_is_header(RAW("A:"), NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),     cmocka_unit_test(test_folded),
        cmocka_unit_test(test_name_forms), cmocka_unit_test(test_no_blank_line),
        cmocka_unit_test(test_eof),        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_size_limit), cmocka_unit_test(test_huge_header),
        cmocka_unit_test(test_classify),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
