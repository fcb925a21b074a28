/*
 * test_dsn_build.c - unit tests of the delivery status notification
 * builder (lib/mail/dsn_build.c).
 *
 * The golden files in tests/unit/data/dsn (made from the reference
 * captures by extract.py there; found via $top_srcdir, else relative to
 * the current directory) are Postfix's notices byte for byte, with
 * "postern" for "Postfix": every kind (bounce, RET=HDRS with ENVID and
 * ORCPT, local failure, delay warning, forced expiry, success delivered,
 * relayed, expanded, postmaster copy, double bounce) is rebuilt from the
 * same inputs and compared exactly. Then the edges: wrapping, recipient
 * selection, the size limit, boundary clashes, hostile log text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mail/dsn_build.h"
#include "mail/queue_rec.h"
#include "util/mem.h"

#define DAY 86400L

static char *read_data(const char *name, size_t *len)
{
    const char *top = getenv("top_srcdir");
    struct buf path = BUF_INIT;
    struct buf data = BUF_INIT;
    char chunk[4096];
    size_t n;
    FILE *fp;

    buf_printf(&path, "%s/tests/unit/data/dsn/%s", top && *top ? top : ".", name);
    fp = fopen(buf_str(&path), "rb");
    if (fp == NULL)
        fail_msg("cannot open %s", buf_str(&path));
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        buf_append(&data, chunk, n);
    fclose(fp);
    buf_release(&path);
    if (len)
        *len = buf_len(&data);
    return buf_steal(&data);
}

/* One recipient of a golden case; NULL fields stay empty. */
struct rcpt_spec {
    const char *recipient, *orig_rcpt, *dsn_orcpt, *status, *action, *relay, *mta, *diag, *reason;
    int notify;
};

struct golden {
    const char *name;
    enum dsn_kind kind;
    int postmaster, full;
    const char *orig_id, *notice_id, *sender, *to, *envid;
    int ret;
    long arrival, now;
    struct rcpt_spec rcpt;
};

/* The SMTP 550 of sections 1 and 9 (a macro: C initialisers must be constant). */
#define SMTP_550                                                                                   \
    {                                                                                              \
        "user@bounce.example.test", NULL, "rfc822;user@bounce.example.test", "5.1.1", "failed",    \
            "127.0.0.1[127.0.0.1]:12060", "dns; 127.0.0.1",                                        \
            "smtp; 550 5.1.1 <user@bounce.example.test>: Recipient address rejected: User "        \
            "unknown",                                                                             \
            "host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <user@bounce.example.test>: Recipient "     \
            "address "                                                                             \
            "rejected: User unknown (in reply to RCPT TO command)",                                \
            0                                                                                      \
    }

#define REFUSED "connect to 127.0.0.1[127.0.0.1]:12071: Connection refused"

static const struct golden goldens[] = {
    {"s1_bounce", DSN_FAILURE, 0, 0, "7C18DA74100", "8A2C0A74103", "alice@mx.example.test",
     "alice@mx.example.test", NULL, 0, 1795322845, 1795322845, SMTP_550},
    {"s2_hdrs",
     DSN_FAILURE,
     0,
     0,
     "330E6A74178",
     "3EC0CA7417A",
     "alice@mx.example.test",
     "alice@mx.example.test",
     "env-bounce-2",
     QUEUE_DSN_RET_HDRS,
     1795322846,
     1795322846,
     {"user@bounce.example.test", "user@bounce.example.test", "rfc822;User@Bounce.example.test",
      "5.1.1", "failed", NULL, "dns; 127.0.0.1",
      "smtp; 550 5.1.1 <user@bounce.example.test>: Recipient address rejected: User unknown",
      "host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <user@bounce.example.test>: Recipient "
      "address rejected: User unknown (in reply to RCPT TO command)",
      QUEUE_DSN_NOTIFY_FAILURE}},
    {"s3_local",
     DSN_FAILURE,
     0,
     0,
     "E2232A7417A",
     "E314BA7417B",
     "alice@mx.example.test",
     "alice@mx.example.test",
     "",
     0,
     1795322846,
     1795322846,
     {"nosuchuser@mx.example.test", NULL, "rfc822;nosuchuser@mx.example.test", "5.1.1", "failed",
      "local", NULL, NULL, "unknown user: \"nosuchuser\"", 0}},
    {"s4_delay",
     DSN_DELAY,
     0,
     0,
     "9A0C3A7417D",
     "9BD01A74181",
     "alice@mx.example.test",
     "alice@mx.example.test",
     NULL,
     0,
     1795322847,
     1795322847,
     {"user@refused.example.test", NULL, "rfc822;user@refused.example.test", "4.4.1", "delayed",
      "none", NULL, NULL, REFUSED, 0}},
    {"s5_expired",
     DSN_FAILURE,
     0,
     0,
     "9A0C3A7417D",
     "9CB16A74185",
     "alice@mx.example.test",
     "alice@mx.example.test",
     NULL,
     0,
     1795322847,
     1795322848,
     {"user@refused.example.test", NULL, "rfc822;user@refused.example.test", "4.4.1", "failed",
      "none", NULL, NULL, REFUSED, 0}},
    {"s6_success",
     DSN_SUCCESS,
     0,
     0,
     "CC67FA7418F",
     "CEE2DA74193",
     "alice@mx.example.test",
     "alice@mx.example.test",
     "env-success-6",
     QUEUE_DSN_RET_FULL,
     1795322854,
     1795322854,
     {"bob@mx.example.test", "bob@mx.example.test", "rfc822;bob@mx.example.test", "2.0.0",
      "delivered", "local", NULL, NULL, "delivered to maildir", QUEUE_DSN_NOTIFY_SUCCESS}},
    {"s7_relayed",
     DSN_SUCCESS,
     0,
     0,
     "844E9A74194",
     "8FF80A74196",
     "alice@mx.example.test",
     "alice@mx.example.test",
     "env-relay-7",
     QUEUE_DSN_RET_HDRS,
     1795322855,
     1795322855,
     {"user@relay.example.test", NULL, "rfc822;User@Relay.example.test", "2.0.0", "relayed",
      "127.0.0.1[127.0.0.1]:12060", "dns; 127.0.0.1", "smtp; 250 2.0.0 Ok: queued as SINK1",
      "250 2.0.0 Ok: queued as SINK1", QUEUE_DSN_NOTIFY_SUCCESS | QUEUE_DSN_NOTIFY_FAILURE}},
    {"s8_expanded",
     DSN_SUCCESS,
     0,
     0,
     "3C5B0A74198",
     "3EBF5A7419F",
     "alice@mx.example.test",
     "alice@mx.example.test",
     NULL,
     0,
     1795322856,
     1795322856,
     {"team@mx.example.test", NULL, "rfc822;team@mx.example.test", "2.0.0", "expanded", "local",
      NULL, NULL, "alias expanded", QUEUE_DSN_NOTIFY_SUCCESS}},
    {"s9_pmcopy", DSN_FAILURE, 1, 0, "48773A741D3", "56D44A741D8",
     "nosender@bounce-back.example.test", "postmaster@mx.example.test", NULL, 0, 1795322857,
     1795322857, SMTP_550},
    {"s9_2bounce",
     DSN_FAILURE,
     1,
     1,
     "56A24A741D7",
     "583DAA741D9",
     "",
     "postmaster@mx.example.test",
     NULL,
     0,
     1795322857,
     1795322857,
     {"nosender@bounce-back.example.test", NULL, "rfc822;nosender@bounce-back.example.test",
      "5.1.2", "failed", "none", NULL, NULL, "bounce address does not exist", 0}},
};

static char *dup_or_null(const char *s)
{
    return s ? mem_strdup(s) : NULL;
}

static void entry_from_spec(struct recipient_log_entry *e, const struct rcpt_spec *s)
{
    recipient_log_entry_init(e);
    e->recipient = dup_or_null(s->recipient);
    e->orig_rcpt = dup_or_null(s->orig_rcpt);
    e->dsn_orcpt = dup_or_null(s->dsn_orcpt);
    e->dsn_status = dup_or_null(s->status);
    e->action = dup_or_null(s->action);
    e->relay = dup_or_null(s->relay);
    e->mta = dup_or_null(s->mta);
    e->diag = dup_or_null(s->diag);
    e->reason = dup_or_null(s->reason);
    e->notify = s->notify;
}

static void notice_defaults(struct dsn_notice *n)
{
    memset(n, 0, sizeof(*n));
    n->kind = DSN_FAILURE;
    n->notice_id = "NEWID";
    n->to = "alice@mx.example.test";
    n->myhostname = "mx.example.test";
    n->myorigin = "mx.example.test";
    n->mail_name = "postern";
    n->delay_warning_time = 1;
    n->maximal_queue_lifetime = 5 * DAY;
    n->size_limit = 50000;
    n->now = 1795322845;
}

static void test_golden(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
        const struct golden *g = &goldens[i];
        struct buf name = BUF_INIT;
        struct buf out = BUF_INIT;
        struct dsn_notice n;
        struct dsn_original o;
        struct recipient_log_entry e;
        size_t content_len;
        char *content, *want;

        buf_printf(&name, "%s.content", g->name);
        content = read_data(buf_str(&name), &content_len);
        buf_reset(&name);
        buf_printf(&name, "%s.ref", g->name);
        want = read_data(buf_str(&name), NULL);
        notice_defaults(&n);
        n.kind = g->kind;
        n.postmaster = g->postmaster;
        n.full = g->full;
        n.notice_id = g->notice_id;
        n.to = g->to;
        n.now = g->now;
        memset(&o, 0, sizeof(o));
        o.queue_id = g->orig_id;
        o.sender = g->sender;
        o.envid = g->envid;
        o.ret = g->ret;
        o.arrival = g->arrival;
        o.content = content;
        o.content_len = content_len;
        entry_from_spec(&e, &g->rcpt);
        dsn_build(&out, &n, &o, &e, 1);
        if (strcmp(buf_str(&out), want) != 0) {
            fprintf(stderr, "%s: got:\n%s\n--- want:\n%s\n", g->name, buf_str(&out), want);
            fail_msg("%s differs from the reference", g->name);
        }
        recipient_log_entry_free(&e);
        mem_free(content);
        mem_free(want);
        buf_release(&name);
        buf_release(&out);
    }
}

static void wrap(const char *text, const char *want)
{
    struct buf out = BUF_INIT;

    dsn_wrap(&out, text, 20, "    ");
    assert_string_equal(buf_str(&out), want);
    buf_release(&out);
}

static void test_wrap(void **state)
{
    (void)state;
    /* Exactly 20 columns stay on one line; 21 break before the last word. */
    wrap("aaaa bbbb cccc dddde", "aaaa bbbb cccc dddde\n");
    wrap("aaaa bbbb cccc ddddee", "aaaa bbbb cccc\n    ddddee\n");
    /* A word longer than the width is never cut. */
    wrap("x 0123456789012345678901234 y", "x\n    0123456789012345678901234\n    y\n");
    wrap("0123456789012345678901234", "0123456789012345678901234\n");
    /* Runs of blanks and control characters separate words, nothing more. */
    wrap("a  b\r\nFrom: evil\tc", "a b From: evil c\n");
    wrap("", "\n");
    wrap("   ", "\n");
}

static void entry_simple(struct recipient_log_entry *e, const char *rcpt, long offset, int notify,
                         const char *reason)
{
    recipient_log_entry_init(e);
    e->recipient = mem_strdup(rcpt);
    e->offset = offset;
    e->notify = notify;
    e->dsn_status = mem_strdup("5.0.0");
    e->action = mem_strdup("failed");
    e->reason = mem_strdup(reason);
}

static void test_select(void **state)
{
    struct recipient_log_entry e[6];
    size_t n, i;

    (void)state;
    entry_simple(&e[0], "a@x", 10, 0, "first a");
    entry_simple(&e[1], "b@x", 20, QUEUE_DSN_NOTIFY_NEVER, "b");
    entry_simple(&e[2], "a@x", 10, 0, "second a");
    entry_simple(&e[3], "c@x", 30, QUEUE_DSN_NOTIFY_SUCCESS, "c");
    entry_simple(&e[4], "d@x", 40, QUEUE_DSN_NOTIFY_DELAY, "d");
    entry_simple(&e[5], "a@x", 11, 0, "a at another offset");
    /* For the postmaster: every recipient once, the last entry wins at
     * the place of the first. */
    n = dsn_select(e, 6, DSN_FAILURE, 0);
    assert_int_equal(n, 5);
    assert_string_equal(e[0].reason, "second a");
    assert_string_equal(e[1].recipient, "b@x");
    assert_string_equal(e[2].recipient, "c@x");
    assert_string_equal(e[3].recipient, "d@x");
    assert_string_equal(e[4].reason, "a at another offset");
    assert_null(e[5].recipient);
    /* For the sender: NEVER, SUCCESS-only and DELAY-only drop out. */
    n = dsn_select(e, 5, DSN_FAILURE, 1);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].reason, "second a");
    assert_string_equal(e[1].reason, "a at another offset");
    for (i = 0; i < 6; i++)
        recipient_log_entry_free(&e[i]);

    entry_simple(&e[0], "a@x", 10, 0, "a");
    entry_simple(&e[1], "b@x", 20, QUEUE_DSN_NOTIFY_DELAY | QUEUE_DSN_NOTIFY_FAILURE, "b");
    entry_simple(&e[2], "c@x", 30, QUEUE_DSN_NOTIFY_FAILURE, "c");
    entry_simple(&e[3], "d@x", 40, QUEUE_DSN_NOTIFY_SUCCESS, "d");
    n = dsn_select(e, 4, DSN_DELAY, 1);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].recipient, "a@x");
    assert_string_equal(e[1].recipient, "b@x");
    n = dsn_select(e, 2, DSN_SUCCESS, 1);
    assert_int_equal(n, 0);
    for (i = 0; i < 4; i++)
        recipient_log_entry_free(&e[i]);
    assert_int_equal(dsn_select(NULL, 0, DSN_FAILURE, 1), 0);
}

/* The quoted part: what follows the part 3 header block. */
static const char *quoted(const char *notice)
{
    const char *p = strstr(notice, "Content-Type: message/rfc822\n");

    if (p == NULL)
        p = strstr(notice, "Content-Type: text/rfc822-headers\n");
    assert_non_null(p);
    p = strstr(p, "\n\n");
    assert_non_null(p);
    return p + 2;
}

static void build_simple(struct buf *out, const struct dsn_notice *n, const char *content, int ret,
                         const char *reason)
{
    struct recipient_log_entry e;
    struct dsn_original o;

    memset(&o, 0, sizeof(o));
    o.queue_id = "ORIGID";
    o.sender = "s@x";
    o.ret = ret;
    o.arrival = n->now;
    o.content = content;
    o.content_len = content ? strlen(content) : 0;
    entry_simple(&e, "r@x", 10, 0, reason);
    buf_reset(out);
    dsn_build(out, n, &o, &e, 1);
    recipient_log_entry_free(&e);
}

static void assert_quoted(const struct buf *out, const char *want)
{
    const char *q = quoted(buf_str(out));

    if (strncmp(q, want, strlen(want)) != 0)
        fail_msg("quoted part: got \"%.60s\", want \"%s\"", q, want);
}

static void test_size_limit(void **state)
{
    struct buf out = BUF_INIT;
    struct dsn_notice n;
    const char *msg = "Subject: a\n\nline1\nline2\n";

    (void)state;
    notice_defaults(&n);
    /* Whole lines only: 18 bytes hold the header, the blank line and
     * line1, not line2. */
    n.size_limit = 18;
    build_simple(&out, &n, msg, 0, "x");
    assert_quoted(&out, "Return-Path: <s@x>\nSubject: a\n\nline1\n\n--");
    n.size_limit = 17;
    build_simple(&out, &n, msg, 0, "x");
    assert_quoted(&out, "Return-Path: <s@x>\nSubject: a\n\n\n--");
    /* Smaller than the first line: only the Return-Path. */
    n.size_limit = 3;
    build_simple(&out, &n, msg, 0, "x");
    assert_quoted(&out, "Return-Path: <s@x>\n\n--");
    /* RET=HDRS stops at the empty line whatever the limit. */
    n.size_limit = 50000;
    build_simple(&out, &n, msg, QUEUE_DSN_RET_HDRS, "x");
    assert_quoted(&out, "Return-Path: <s@x>\nSubject: a\n\n--");
    assert_non_null(strstr(buf_str(&out), "Content-Type: text/rfc822-headers\n"));
    /* A last line without its LF gets one. */
    build_simple(&out, &n, "Subject: a\n\nno newline", 0, "x");
    assert_quoted(&out, "Return-Path: <s@x>\nSubject: a\n\nno newline\n\n--");
    /* Without the original there is no third part. */
    build_simple(&out, &n, NULL, 0, "x");
    assert_null(strstr(buf_str(&out), "Content-Type: message/rfc822"));
    assert_null(strstr(buf_str(&out), "Return-Path"));
    assert_non_null(strstr(buf_str(&out), "\n\n--ORIGID.1795322845/mx.example.test--\n"));
    buf_release(&out);
}

static void test_boundary_clash(void **state)
{
    struct buf out = BUF_INIT;
    struct dsn_notice n;

    (void)state;
    notice_defaults(&n);
    build_simple(&out, &n, "Subject: a\n\n--ORIGID.1795322845/mx.example.test--\n", 0, "x");
    assert_non_null(
        strstr(buf_str(&out), "boundary=\"ORIGID.1795322845/mx.example.test.0000000\""));
    assert_non_null(strstr(buf_str(&out), "\n--ORIGID.1795322845/mx.example.test.0000000--\n"));
    /* Suffixes that occur are skipped. */
    build_simple(&out, &n,
                 "Subject: a\n\n--ORIGID.1795322845/mx.example.test\n"
                 "--ORIGID.1795322845/mx.example.test.0000000\n"
                 "--ORIGID.1795322845/mx.example.test.0000001xyz\n",
                 0, "x");
    assert_non_null(
        strstr(buf_str(&out), "boundary=\"ORIGID.1795322845/mx.example.test.0000002\""));
    /* A clash past the size limit is not quoted, so it does not count. */
    n.size_limit = 12;
    build_simple(&out, &n, "Subject: a\n\n--ORIGID.1795322845/mx.example.test\n", 0, "x");
    assert_non_null(strstr(buf_str(&out), "boundary=\"ORIGID.1795322845/mx.example.test\""));
    /* Characters MIME does not allow in a boundary are replaced. */
    n.myhostname = "bad\"host name";
    build_simple(&out, &n, NULL, 0, "x");
    assert_non_null(strstr(buf_str(&out), "boundary=\"ORIGID.1795322845/bad_host_name\""));
    buf_release(&out);
}

static void test_hostile_text(void **state)
{
    struct buf out = BUF_INIT;
    struct dsn_notice n;
    struct recipient_log_entry e;
    struct dsn_original o;

    (void)state;
    notice_defaults(&n);
    build_simple(&out, &n, "Subject: a\n\nb\n", 0,
                 "bad\n--ORIGID.1795322845/mx.example.test--\nX-Injected: yes");
    assert_null(strstr(buf_str(&out), "\nX-Injected"));
    assert_null(strstr(buf_str(&out), "\n--ORIGID.1795322845/mx.example.test--\nX"));
    assert_non_null(strstr(buf_str(&out),
                           "<r@x>: bad --ORIGID.1795322845/mx.example.test-- X-Injected: yes\n"));

    /* Every field from the log is cleaned; a changed address is shown
     * with the one it was expanded from. */
    memset(&o, 0, sizeof(o));
    o.queue_id = "ID\nX";
    o.sender = "";
    o.envid = "env\r\nX-Bad: 1";
    o.arrival = n.now;
    recipient_log_entry_init(&e);
    e.recipient = mem_strdup("bob@x\nX-Bad: 2");
    e.orig_rcpt = mem_strdup("team@x");
    e.action = mem_strdup("failed\n");
    e.mta = mem_strdup("dns; h\n");
    e.diag = mem_strdup("smtp; 550\nX-Bad: 3");
    buf_reset(&out);
    dsn_build(&out, &n, &o, &e, 1);
    assert_null(strstr(buf_str(&out), "\nX-Bad"));
    assert_null(strstr(buf_str(&out), "\r"));
    assert_non_null(
        strstr(buf_str(&out), "<bob@x X-Bad: 2> (expanded from <team@x>): unknown reason\n"));
    assert_non_null(
        strstr(buf_str(&out), "X-Postern-Sender: rfc822; MAILER-DAEMON@mx.example.test\n"));
    assert_non_null(strstr(buf_str(&out), "Original-Recipient: rfc822;team@x\n"));
    assert_non_null(strstr(buf_str(&out), "Status: 5.0.0\n"));
    recipient_log_entry_free(&e);
    buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),         cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_select),         cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_boundary_clash), cmocka_unit_test(test_hostile_text),
    };

    setenv("TZ", "UTC", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
