/*
 * test_smtp_data.c - unit tests for lib/smtp/smtp_data.c (DATA/BDAT content
 * receiver).
 *
 * The receiver guards against SMTP smuggling, so every smuggling variant is
 * run under every smtpd_forbid_bare_newline mode and fed split at every
 * byte position (and byte by byte): the result (bytes consumed, content,
 * status) must be the same as for one write, and must match what Postfix
 * 3.7.11 did in the reference sessions. Dot-stuffing, line splitting, size
 * limits, NUL and 8-bit bytes and BDAT are pinned down at their edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp_data.h"
#include "util/buf.h"

struct collect {
    struct buf out; /* all output, PARTIAL pieces followed by '|' */
    size_t pieces;
};

static void collect_line(void *ctx, const char *data, size_t len, int flags)
{
    struct collect *c = ctx;

    buf_append(&c->out, data, len);
    if (flags & SMTP_DATA_PARTIAL)
        buf_append_char(&c->out, '|');
    else
        assert_true(len > 0 && data[len - 1] == '\n');
    c->pieces++;
}

struct result {
    size_t consumed;
    int done;
    enum smtp_data_status status;
    uint64_t size;
    struct buf out;
};

/* Feeds in[0..len) split at the given offsets (sorted, ascending). */
static void run_split(struct result *r, enum smtp_bare_lf mode, size_t line_limit,
                      uint64_t size_limit, const char *in, size_t len, const size_t *cuts,
                      size_t ncuts)
{
    struct smtp_data_opts opts = {mode, line_limit, size_limit};
    struct collect c;
    struct smtp_data *d;
    size_t pos = 0;

    buf_init(&c.out);
    c.pieces = 0;
    d = smtp_data_new(&opts, collect_line, &c);
    r->consumed = 0;
    for (size_t k = 0; k <= ncuts; k++) {
        size_t end = k < ncuts ? cuts[k] : len;
        size_t n;

        if (end < pos)
            end = pos;
        n = smtp_data_feed(d, in + pos, end - pos);
        assert_true(n <= end - pos);
        r->consumed += n;
        if (n < end - pos) {
            /* Stopped: must be done, and must refuse more input. */
            assert_true(smtp_data_done(d));
            break;
        }
        pos = end;
    }
    if (smtp_data_done(d))
        assert_int_equal(smtp_data_feed(d, "x\r\n", 3), 0);
    r->done = smtp_data_done(d);
    r->status = smtp_data_status(d);
    r->size = smtp_data_size(d);
    r->out = c.out;
    smtp_data_free(d);
}

static void run(struct result *r, enum smtp_bare_lf mode, size_t line_limit, uint64_t size_limit,
                const char *in, size_t len)
{
    run_split(r, mode, line_limit, size_limit, in, len, NULL, 0);
}

/* Runs in once whole, then split at every position, at every pair of
 * positions (short inputs) and byte by byte; all must agree. */
static void run_all_splits(struct result *r, enum smtp_bare_lf mode, size_t line_limit,
                           uint64_t size_limit, const char *in, size_t len)
{
    struct result s;
    size_t cuts[2];
    size_t *each;

    run(r, mode, line_limit, size_limit, in, len);
    for (size_t a = 0; a <= len; a++) {
        cuts[0] = a;
        run_split(&s, mode, line_limit, size_limit, in, len, cuts, 1);
        assert_int_equal(s.consumed, r->consumed);
        assert_int_equal(s.done, r->done);
        assert_int_equal(s.status, r->status);
        assert_int_equal(buf_len(&s.out), buf_len(&r->out));
        assert_memory_equal(buf_str(&s.out), buf_str(&r->out), buf_len(&r->out));
        buf_release(&s.out);
        for (size_t b = a; len <= 64 && b <= len; b++) {
            cuts[1] = b;
            run_split(&s, mode, line_limit, size_limit, in, len, cuts, 2);
            assert_int_equal(s.consumed, r->consumed);
            assert_int_equal(buf_len(&s.out), buf_len(&r->out));
            assert_memory_equal(buf_str(&s.out), buf_str(&r->out), buf_len(&r->out));
            buf_release(&s.out);
        }
    }
    each = test_malloc((len + 1) * sizeof(*each));
    for (size_t i = 0; i < len; i++)
        each[i] = i + 1;
    run_split(&s, mode, line_limit, size_limit, in, len, each, len);
    test_free(each);
    assert_int_equal(s.consumed, r->consumed);
    assert_int_equal(s.status, r->status);
    assert_int_equal(s.size, r->size);
    assert_int_equal(buf_len(&s.out), buf_len(&r->out));
    assert_memory_equal(buf_str(&s.out), buf_str(&r->out), buf_len(&r->out));
    buf_release(&s.out);
}

#define S(lit) lit, sizeof(lit) - 1

static void assert_out(const struct result *r, const char *expect, size_t len)
{
    assert_int_equal(buf_len(&r->out), len);
    assert_memory_equal(buf_str(&r->out), expect, len);
}

static const enum smtp_bare_lf all_modes[] = {SMTP_BARE_LF_NO, SMTP_BARE_LF_NORMALIZE,
                                              SMTP_BARE_LF_REJECT};

/* The reference sessions I-*-2: "\r\n.\n" then a second transaction. */
static const char smuggle_ref[] =
    "Subject: smuggle\r\n\r\nbefore\r\n.\nMAIL FROM:<evil@client.example.test>\r\nRCPT "
    "TO:<bob@mx.example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n";

static void test_smuggle_reference(void **state)
{
    static const char body_normalize[] =
        "Subject: smuggle\n\nbefore\nMAIL FROM:<evil@client.example.test>\nRCPT "
        "TO:<bob@mx.example.test>\nDATA\nSubject: smuggled\n\nsmuggled\n";
    struct result r;
    const char *after;

    (void)state;
    /* no: the bare-LF dot ends the message; the rest is read as commands. */
    run_all_splits(&r, SMTP_BARE_LF_NO, 2048, 0, S(smuggle_ref));
    after = strstr(smuggle_ref, ".\nMAIL") + 2;
    assert_int_equal(r.consumed, (size_t)(after - smuggle_ref));
    assert_true(r.done);
    assert_int_equal(r.status, SMTP_DATA_OK);
    assert_out(&r, S("Subject: smuggle\n\nbefore\n"));
    buf_release(&r.out);
    /* normalize: one message, the lone ".\n" line gone, like Postfix. */
    run_all_splits(&r, SMTP_BARE_LF_NORMALIZE, 2048, 0, S(smuggle_ref));
    assert_int_equal(r.consumed, sizeof(smuggle_ref) - 1);
    assert_true(r.done);
    assert_int_equal(r.status, SMTP_DATA_OK);
    assert_out(&r, S(body_normalize));
    buf_release(&r.out);
    /* reject: read to the real end, then refuse. */
    run_all_splits(&r, SMTP_BARE_LF_REJECT, 2048, 0, S(smuggle_ref));
    assert_int_equal(r.consumed, sizeof(smuggle_ref) - 1);
    assert_true(r.done);
    assert_int_equal(r.status, SMTP_DATA_BARE_LF);
    buf_release(&r.out);
}

/* Every smuggling end variant, in every mode, split everywhere. */
static void test_smuggle_variants(void **state)
{
    static const struct {
        const char *mark;
        int ends_in_no; /* does "no" end DATA at the mark? */
        int bare;       /* does the mark hold a bare LF? */
    } variants[] = {
        {"\r\n.\n", 1, 1}, {"\n.\n", 1, 1},  {"\n.\r\n", 1, 1},     {"\r.\r\n", 0, 0},
        {"\r.\n", 0, 1},   {"\n..\n", 0, 1}, {"\r\n.\r\r\n", 0, 0}, {"\r\n .\r\n", 0, 0},
    };
    struct buf in = BUF_INIT;
    struct result r;

    (void)state;
    for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        size_t mark_end;

        buf_set(&in, "Subject: s\r\n\r\nbefore");
        buf_append_str(&in, variants[v].mark);
        mark_end = buf_len(&in);
        buf_append_str(&in, "MAIL FROM:<e@x>\r\nafter\r\n.\r\n");
        for (size_t m = 0; m < 3; m++) {
            enum smtp_bare_lf mode = all_modes[m];

            run_all_splits(&r, mode, 2048, 0, buf_str(&in), buf_len(&in));
            assert_true(r.done);
            if (mode == SMTP_BARE_LF_NO && variants[v].ends_in_no) {
                assert_int_equal(r.consumed, mark_end);
            } else {
                /* The smuggled command stays inside the message. */
                assert_int_equal(r.consumed, buf_len(&in));
                if (mode != SMTP_BARE_LF_REJECT || !variants[v].bare)
                    assert_non_null(
                        memmem(buf_str(&r.out), buf_len(&r.out), "MAIL FROM:<e@x>\nafter\n", 22));
            }
            if (mode == SMTP_BARE_LF_REJECT)
                assert_int_equal(r.status, variants[v].bare ? SMTP_DATA_BARE_LF : SMTP_DATA_OK);
            else
                assert_int_equal(r.status, SMTP_DATA_OK);
            buf_release(&r.out);
        }
    }
    buf_release(&in);
}

/* Reference I-*-1: a bare LF inside a body line. */
static void test_bare_lf_body(void **state)
{
    static const char in[] = "Subject: bare lf\r\n\r\nline one\nline two\r\nline three\r\n.\r\n";
    struct result r;
    struct buf reply = BUF_INIT;
    struct smtp_data_opts opts = {SMTP_BARE_LF_REJECT, 2048, 0};
    struct collect c = {BUF_INIT, 0};
    struct smtp_data *d;

    (void)state;
    for (size_t m = 0; m < 2; m++) {
        run_all_splits(&r, all_modes[m], 2048, 0, S(in));
        assert_out(&r, S("Subject: bare lf\n\nline one\nline two\nline three\n"));
        assert_int_equal(r.status, SMTP_DATA_OK);
        buf_release(&r.out);
    }
    /* reject: the content stops at the offending line. */
    run_all_splits(&r, SMTP_BARE_LF_REJECT, 2048, 0, S(in));
    assert_out(&r, S("Subject: bare lf\n\n"));
    assert_int_equal(r.status, SMTP_DATA_BARE_LF);
    buf_release(&r.out);
    d = smtp_data_new(&opts, collect_line, &c);
    assert_int_equal(smtp_data_feed(d, S(in)), sizeof(in) - 1);
    assert_int_equal(smtp_data_status(d), SMTP_DATA_BARE_LF);
    assert_int_equal(smtp_data_bare_lf_count(d), 1);
    smtp_data_reply(d, "mx.example.test", 550, &reply);
    assert_string_equal(buf_str(&reply), "550 5.5.2 mx.example.test Error: bare <LF> received");
    smtp_data_reply(d, "mx.example.test", 450, &reply);
    assert_string_equal(buf_str(&reply), "450 4.5.2 mx.example.test Error: bare <LF> received");
    /* A new message starts clean. */
    smtp_data_begin(d);
    assert_int_equal(smtp_data_status(d), SMTP_DATA_OK);
    assert_int_equal(smtp_data_feed(d, S(".\r\n")), 3);
    assert_true(smtp_data_done(d));
    smtp_data_reply(d, "h", 550, &reply);
    assert_string_equal(buf_str(&reply), "");
    smtp_data_free(d);
    buf_release(&reply);
    buf_release(&c.out);
}

static void test_dot_stuffing(void **state)
{
    static const char in[] = "..\r\n...\r\n.x\r\nx.\r\n. \r\n\r\n.\r\r\n.\r\n";
    struct result r;

    (void)state;
    for (size_t m = 0; m < 3; m++) {
        run_all_splits(&r, all_modes[m], 2048, 0, S(in));
        assert_true(r.done);
        assert_int_equal(r.consumed, sizeof(in) - 1);
        assert_out(&r, S(".\n..\nx\nx.\n \n\n\r\n"));
        buf_release(&r.out);
    }
    /* An empty message: the end at the very start. */
    run_all_splits(&r, SMTP_BARE_LF_NORMALIZE, 2048, 0, S(".\r\nQUIT\r\n"));
    assert_int_equal(r.consumed, 3);
    assert_int_equal(buf_len(&r.out), 0);
    assert_int_equal(r.size, 0);
    buf_release(&r.out);
    /* Data after the end is not consumed. */
    run(&r, SMTP_BARE_LF_NORMALIZE, 2048, 0, S("a\r\n.\r\n.\r\n"));
    assert_int_equal(r.consumed, 6);
    assert_out(&r, S("a\n"));
    buf_release(&r.out);
}

static void test_incomplete(void **state)
{
    struct result r;

    (void)state;
    /* No end yet: everything consumed, complete lines delivered, the rest held. */
    run_all_splits(&r, SMTP_BARE_LF_NORMALIZE, 2048, 0, S("a\r\nb\r\n.\r"));
    assert_false(r.done);
    assert_int_equal(r.consumed, 8);
    assert_out(&r, S("a\nb\n"));
    buf_release(&r.out);
}

static void test_line_limit(void **state)
{
    struct result r;

    (void)state;
    run_all_splits(&r, SMTP_BARE_LF_NORMALIZE, 4, 0,
                   S("abcdefghij\r\nabcd\r\n.abcd\r\nabcd.\r\nabcd\r\r\n....\r\n.\r\n"));
    assert_true(r.done);
    /* Pieces of at most 4 raw bytes; a "." after a split is content, not the
     * end; dot-stuffing only at the start of a line. */
    assert_out(&r, S("abcd|efgh|ij\nabcd\nabc|d\nabcd|.\nabcd|\r\n...\n"));
    buf_release(&r.out);
    /* The reference J: lines of 2048 and 2049 bytes with the default limit. */
    {
        struct buf in = BUF_INIT;
        struct buf expect = BUF_INIT;

        for (int i = 0; i < 2048; i++)
            buf_append_char(&in, 'z');
        buf_append_str(&in, "\r\n");
        for (int i = 0; i < 2049; i++)
            buf_append_char(&in, 'w');
        buf_append_str(&in, "\r\n.\r\n");
        run(&r, SMTP_BARE_LF_NORMALIZE, 2048, 0, buf_str(&in), buf_len(&in));
        for (int i = 0; i < 2048; i++)
            buf_append_char(&expect, 'z');
        buf_append_char(&expect, '\n');
        for (int i = 0; i < 2048; i++)
            buf_append_char(&expect, 'w');
        buf_append_str(&expect, "|w\n");
        assert_out(&r, buf_str(&expect), buf_len(&expect));
        assert_int_equal(r.size, 2048 + 2 + 2049 + 2);
        buf_release(&r.out);
        buf_release(&in);
        buf_release(&expect);
    }
}

static void test_size_limit(void **state)
{
    struct result r;
    struct buf reply = BUF_INIT;
    struct smtp_data_opts opts = {SMTP_BARE_LF_NORMALIZE, 2048, 10};
    struct collect c = {BUF_INIT, 0};
    struct smtp_data *d;

    (void)state;
    /* Exactly at the limit: 8 bytes + CRLF = 10. */
    run_all_splits(&r, SMTP_BARE_LF_NORMALIZE, 2048, 10, S("01234567\r\n.\r\n"));
    assert_int_equal(r.status, SMTP_DATA_OK);
    assert_int_equal(r.size, 10);
    buf_release(&r.out);
    /* One over: still read to the end, output stops, 552. */
    run_all_splits(&r, SMTP_BARE_LF_NORMALIZE, 2048, 10, S("a\r\n012345678\r\nmore\r\n.\r\n"));
    assert_int_equal(r.status, SMTP_DATA_TOO_BIG);
    assert_true(r.done);
    assert_int_equal(r.consumed, 23);
    assert_out(&r, S("a\n"));
    buf_release(&r.out);
    /* Dot-stuffing does not count: ".." is 1 byte of content + CRLF. */
    run(&r, SMTP_BARE_LF_NORMALIZE, 2048, 4, S("..\r\n.\r\n"));
    assert_int_equal(r.size, 3);
    assert_int_equal(r.status, SMTP_DATA_OK);
    buf_release(&r.out);
    d = smtp_data_new(&opts, collect_line, &c);
    smtp_data_feed(d, S("0123456789\r\n.\r\n"));
    smtp_data_reply(d, "h", 550, &reply);
    assert_string_equal(buf_str(&reply), "552 5.3.4 Error: message file too big");
    smtp_data_free(d);
    buf_release(&reply);
    buf_release(&c.out);
}

static void test_binary(void **state)
{
    static const char in[] = "a\0b\xff\xfe\r\n\0\r\n\x80.\r\n.\r\n";
    struct result r;

    (void)state;
    run_all_splits(&r, SMTP_BARE_LF_REJECT, 2048, 0, S(in));
    assert_int_equal(r.status, SMTP_DATA_OK);
    assert_out(&r, S("a\0b\xff\xfe\n\0\n\x80.\n"));
    buf_release(&r.out);
}

struct bdat_case {
    enum smtp_bare_lf mode;
    const char *const *chunks;
    size_t nchunks;
};

static void run_bdat(struct result *r, enum smtp_bare_lf mode, uint64_t size_limit,
                     const char *const *chunks, const size_t *lens, size_t n)
{
    struct smtp_data_opts opts = {mode, 4, size_limit};
    struct collect c = {BUF_INIT, 0};
    struct smtp_data *d = smtp_data_new(&opts, collect_line, &c);

    smtp_data_begin(d);
    for (size_t i = 0; i < n; i++)
        smtp_data_feed_bdat(d, chunks[i], lens[i]);
    smtp_data_bdat_last(d);
    r->done = smtp_data_done(d);
    r->status = smtp_data_status(d);
    r->size = smtp_data_size(d);
    r->out = c.out;
    smtp_data_free(d);
}

static void test_bdat(void **state)
{
    static const char *const ref[] = {"Subject: b", "dat\r\n\r\nchunked body\r\n"};
    static const size_t ref_len[] = {10, 21};
    static const char *const dots[] = {".\r\n..\r", "\n.\r\n", "x\ny"};
    static const size_t dots_len[] = {6, 4, 3};
    struct result r;

    (void)state;
    /* The reference A13: 10 + 21 bytes. Limit 4 splits lines. */
    run_bdat(&r, SMTP_BARE_LF_NORMALIZE, 0, ref, ref_len, 2);
    assert_true(r.done);
    assert_int_equal(r.size, 31);
    assert_out(&r, S("Subj|ect:| bda|t\n\nchun|ked |body\n"));
    buf_release(&r.out);
    /* No dot processing, no end marker, CR LF across chunks joined. */
    run_bdat(&r, SMTP_BARE_LF_NORMALIZE, 0, dots, dots_len, 3);
    assert_out(&r, S(".\n..\n.\nx\ny\n"));
    assert_int_equal(r.status, SMTP_DATA_OK);
    buf_release(&r.out);
    run_bdat(&r, SMTP_BARE_LF_REJECT, 0, dots, dots_len, 3);
    assert_int_equal(r.status, SMTP_DATA_BARE_LF);
    buf_release(&r.out);
    run_bdat(&r, SMTP_BARE_LF_NORMALIZE, 30, ref, ref_len, 2);
    assert_int_equal(r.status, SMTP_DATA_TOO_BIG);
    buf_release(&r.out);
    /* A trailing CR is kept as content. */
    {
        static const char *const cr[] = {"a\r"};
        static const size_t cr_len[] = {2};

        run_bdat(&r, SMTP_BARE_LF_NORMALIZE, 0, cr, cr_len, 1);
        assert_out(&r, S("a\r\n"));
        buf_release(&r.out);
    }
}

static void test_bare_lf_parse(void **state)
{
    enum smtp_bare_lf m = SMTP_BARE_LF_REJECT;

    (void)state;
    assert_int_equal(smtp_bare_lf_parse("no", &m), 0);
    assert_int_equal(m, SMTP_BARE_LF_NO);
    assert_int_equal(smtp_bare_lf_parse("Yes", &m), 0);
    assert_int_equal(m, SMTP_BARE_LF_NORMALIZE);
    assert_int_equal(smtp_bare_lf_parse("normalize", &m), 0);
    assert_int_equal(m, SMTP_BARE_LF_NORMALIZE);
    assert_int_equal(smtp_bare_lf_parse("REJECT", &m), 0);
    assert_int_equal(m, SMTP_BARE_LF_REJECT);
    assert_int_equal(smtp_bare_lf_parse("maybe", &m), -1);
    assert_int_equal(smtp_bare_lf_parse("", &m), -1);
    assert_int_equal(m, SMTP_BARE_LF_REJECT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smuggle_reference),
        cmocka_unit_test(test_smuggle_variants),
        cmocka_unit_test(test_bare_lf_body),
        cmocka_unit_test(test_dot_stuffing),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_bdat),
        cmocka_unit_test(test_bare_lf_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
