/*
 * test_mastercf.c - unit tests of lib/conf/mastercf.c, the master.cf parser
 * and postconf -M printer.
 *
 * Expected texts come from the Postfix 3.7 capture in
 * shared/reference/postconf-usage.txt (sections 1, 5, 6 and 9): the sample
 * master.cf, its -M and -Mf output, and the wording of each syntax error.
 * The golden test parses tests/unit/data/mastercf/NAME.in and compares a dump
 * (format in that directory's README) with NAME.ref; it finds the directory
 * through $top_srcdir, else relative to the current directory.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/mastercf.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"

#define REF_PATH "<instances>/postconf/etc/master.cf"

/* Section 1: the capture instance's master.cf (27 lines, 25 entries). */
static const char ref_master_cf[] =
    "127.0.0.1:12025 inet n - n - - smtpd\n"
    "  -o smtpd_client_restrictions=permit_mynetworks,reject\n"
    "  -o syslog_name=postfix/inbound\n"
    "pickup    unix  n       -       n       60      1       pickup\n"
    "cleanup   unix  n       -       n       -       0       cleanup\n"
    "qmgr      unix  n       -       n       300     1       qmgr\n"
    "tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n"
    "rewrite   unix  -       -       n       -       -       trivial-rewrite\n"
    "bounce    unix  -       -       n       -       0       bounce\n"
    "defer     unix  -       -       n       -       0       bounce\n"
    "trace     unix  -       -       n       -       0       bounce\n"
    "verify    unix  -       -       n       -       1       verify\n"
    "flush     unix  n       -       n       1000?   0       flush\n"
    "proxymap  unix  -       -       n       -       -       proxymap\n"
    "proxywrite unix -       -       n       -       1       proxymap\n"
    "smtp      unix  -       -       n       -       -       smtp\n"
    "relay     unix  -       -       n       -       -       smtp\n"
    "showq     unix  n       -       n       -       -       showq\n"
    "error     unix  -       -       n       -       -       error\n"
    "retry     unix  -       -       n       -       -       error\n"
    "discard   unix  -       -       n       -       -       discard\n"
    "local     unix  -       n       n       -       -       local\n"
    "virtual   unix  -       n       n       -       -       virtual\n"
    "lmtp      unix  -       -       n       -       -       lmtp\n"
    "anvil     unix  -       -       n       -       1       anvil\n"
    "scache    unix  -       -       n       -       1       scache\n"
    "postlog   unix-dgram n  -       n       -       1       postlogd\n"
    "";

/* Section 5: postconf -M of the file above. */
static const char ref_dash_m[] =
    "127.0.0.1:12025 inet n   -       n       -       -       smtpd -o "
    "smtpd_client_restrictions=permit_mynetworks,reject -o syslog_name=postfix/inbound\n"
    "pickup     unix  n       -       n       60      1       pickup\n"
    "cleanup    unix  n       -       n       -       0       cleanup\n"
    "qmgr       unix  n       -       n       300     1       qmgr\n"
    "tlsmgr     unix  -       -       n       1000?   1       tlsmgr\n"
    "rewrite    unix  -       -       n       -       -       trivial-rewrite\n"
    "bounce     unix  -       -       n       -       0       bounce\n"
    "defer      unix  -       -       n       -       0       bounce\n"
    "trace      unix  -       -       n       -       0       bounce\n"
    "verify     unix  -       -       n       -       1       verify\n"
    "flush      unix  n       -       n       1000?   0       flush\n"
    "proxymap   unix  -       -       n       -       -       proxymap\n"
    "proxywrite unix  -       -       n       -       1       proxymap\n"
    "smtp       unix  -       -       n       -       -       smtp\n"
    "relay      unix  -       -       n       -       -       smtp\n"
    "showq      unix  n       -       n       -       -       showq\n"
    "error      unix  -       -       n       -       -       error\n"
    "retry      unix  -       -       n       -       -       error\n"
    "discard    unix  -       -       n       -       -       discard\n"
    "local      unix  -       n       n       -       -       local\n"
    "virtual    unix  -       n       n       -       -       virtual\n"
    "lmtp       unix  -       -       n       -       -       lmtp\n"
    "anvil      unix  -       -       n       -       1       anvil\n"
    "scache     unix  -       -       n       -       1       scache\n"
    "postlog    unix-dgram n  -       n       -       1       postlogd\n"
    "";

/* Section 5: postconf -Mf of the file above. */
static const char ref_dash_mf[] =
    "127.0.0.1:12025 inet n   -       n       -       -       smtpd\n"
    "    -o smtpd_client_restrictions=permit_mynetworks,reject\n"
    "    -o syslog_name=postfix/inbound\n"
    "pickup     unix  n       -       n       60      1       pickup\n"
    "cleanup    unix  n       -       n       -       0       cleanup\n"
    "qmgr       unix  n       -       n       300     1       qmgr\n"
    "tlsmgr     unix  -       -       n       1000?   1       tlsmgr\n"
    "rewrite    unix  -       -       n       -       -       trivial-rewrite\n"
    "bounce     unix  -       -       n       -       0       bounce\n"
    "defer      unix  -       -       n       -       0       bounce\n"
    "trace      unix  -       -       n       -       0       bounce\n"
    "verify     unix  -       -       n       -       1       verify\n"
    "flush      unix  n       -       n       1000?   0       flush\n"
    "proxymap   unix  -       -       n       -       -       proxymap\n"
    "proxywrite unix  -       -       n       -       1       proxymap\n"
    "smtp       unix  -       -       n       -       -       smtp\n"
    "relay      unix  -       -       n       -       -       smtp\n"
    "showq      unix  n       -       n       -       -       showq\n"
    "error      unix  -       -       n       -       -       error\n"
    "retry      unix  -       -       n       -       -       error\n"
    "discard    unix  -       -       n       -       -       discard\n"
    "local      unix  -       n       n       -       -       local\n"
    "virtual    unix  -       n       n       -       -       virtual\n"
    "lmtp       unix  -       -       n       -       -       lmtp\n"
    "anvil      unix  -       -       n       -       1       anvil\n"
    "scache     unix  -       -       n       -       1       scache\n"
    "postlog    unix-dgram n  -       n       -       1       postlogd\n"
    "";

/* Warnings captured through msg_set_hook(). */
static struct buf captured = BUF_INIT;
static int captured_count;

static void capture_hook(enum msg_level level, const char *text)
{
    buf_append_str(&captured, level == MSG_WARN ? "warning: " : "other: ");
    buf_append_str(&captured, text);
    buf_append_char(&captured, '\n');
    captured_count++;
}

static int setup(void **state)
{
    (void)state;
    buf_reset(&captured);
    captured_count = 0;
    msg_set_hook(capture_hook);
    msg_set_stderr(0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    msg_set_hook(NULL);
    msg_set_stderr(1);
    buf_release(&captured);
    return 0;
}

static int parse_str(const char *text, struct master_cf *cf, struct buf *err)
{
    return master_cf_parse(REF_PATH, text, strlen(text), cf, err);
}

/* Parses text that must be valid; fails the test with the message if not. */
static void parse_ok(const char *text, struct master_cf *cf)
{
    struct buf err = BUF_INIT;

    if (parse_str(text, cf, &err) != 0)
        fail_msg("unexpected parse error: %s", buf_str(&err));
    buf_release(&err);
}

/* Parses text that must fail; checks the exact message and that *cf is empty. */
static void parse_fails(const char *text, const char *expect)
{
    struct master_cf cf = {(struct master_entry *)1, 99};
    struct buf err = BUF_INIT;

    assert_int_equal(parse_str(text, &cf, &err), -1);
    assert_string_equal(buf_str(&err), expect);
    assert_null(cf.entry);
    assert_int_equal(cf.count, 0);
    buf_release(&err);
}

/* The reference file with extra text appended (section 9 experiments). */
static char *ref_plus(const char *tail)
{
    struct buf b = BUF_INIT;

    buf_append_str(&b, ref_master_cf);
    buf_append_str(&b, tail);
    return buf_steal(&b);
}

static void format_all(const struct master_cf *cf, int fold, struct buf *out)
{
    size_t i;

    buf_reset(out);
    for (i = 0; i < cf->count; i++)
        master_entry_format(&cf->entry[i], fold, out);
}

/*
 * Dump of a parse result, one line per entry (see data/mastercf/README):
 * L<first>-<last> [7 raw fields] [command] args=[..].. | parsed values | o[name]=[value]..
 */
static void dump_entry(const struct master_entry *e, int with_lines, struct buf *out)
{
    size_t i;

    if (with_lines)
        buf_printf(out, "L%zu-%zu ", e->first_line, e->last_line);
    for (i = 0; i < MASTER_FIELD_COUNT; i++)
        buf_printf(out, "[%s] ", e->field[i]);
    buf_printf(out, "[%s] args=", e->command);
    for (i = 0; i < e->nargs; i++)
        buf_printf(out, "[%s]", e->args[i]);
    buf_printf(out, " | type=%s private=%d unpriv=%d chroot=%d wakeup=%d if_used=%d maxproc=%d |",
               master_type_name(e->type), e->private_flag, e->unpriv_flag, e->chroot_flag,
               e->wakeup, e->wakeup_if_used, e->maxproc);
    for (i = 0; i < e->noverride; i++) {
        const struct master_override *ov = &e->override[i];

        buf_printf(out, " o@%zu%s[%s]", ov->arg, ov->has_next ? "+" : "", ov->name);
        if (ov->value)
            buf_printf(out, "=[%s]", ov->value);
    }
    buf_append_char(out, '\n');
}

static void dump_cf(const struct master_cf *cf, int with_lines, struct buf *out)
{
    size_t i;

    for (i = 0; i < cf->count; i++)
        dump_entry(&cf->entry[i], with_lines, out);
}

/* Formats cf (folded or not), parses the text back and expects the same
 * entries: the printer must never produce text that reads differently. */
static void check_round_trip(const struct master_cf *cf)
{
    struct buf want = BUF_INIT, got = BUF_INIT, text = BUF_INIT, err = BUF_INIT;
    int fold;

    dump_cf(cf, 0, &want);
    for (fold = 0; fold <= 1; fold++) {
        struct master_cf again;

        format_all(cf, fold, &text);
        if (master_cf_parse("round-trip", buf_str(&text), buf_len(&text), &again, &err) != 0)
            fail_msg("formatted text does not parse: %s\n%s", buf_str(&err), buf_str(&text));
        buf_reset(&got);
        dump_cf(&again, 0, &got);
        assert_string_equal(buf_str(&got), buf_str(&want));
        master_cf_free(&again);
    }
    buf_release(&want);
    buf_release(&got);
    buf_release(&text);
    buf_release(&err);
}

/* ---- the reference master.cf ---- */

static void test_reference_entries(void **state)
{
    static const char *const services[] = {
        "127.0.0.1:12025", "pickup",   "cleanup",    "qmgr",    "tlsmgr",
        "rewrite",         "bounce",   "defer",      "trace",   "verify",
        "flush",           "proxymap", "proxywrite", "smtp",    "relay",
        "showq",           "error",    "retry",      "discard", "local",
        "virtual",         "lmtp",     "anvil",      "scache",  "postlog",
    };
    struct master_cf cf;
    const struct master_entry *e;
    size_t i;

    (void)state;
    parse_ok(ref_master_cf, &cf);
    assert_int_equal(cf.count, 25);
    for (i = 0; i < cf.count; i++) {
        assert_string_equal(cf.entry[i].field[MASTER_FIELD_SERVICE], services[i]);
        /* Entry i > 0 sits alone on physical line i + 3. */
        if (i > 0) {
            assert_int_equal(cf.entry[i].first_line, i + 3);
            assert_int_equal(cf.entry[i].last_line, i + 3);
        }
    }

    e = &cf.entry[0];
    assert_int_equal(e->first_line, 1);
    assert_int_equal(e->last_line, 3);
    assert_int_equal(e->type, MASTER_TYPE_INET);
    assert_string_equal(e->field[MASTER_FIELD_PRIVATE], "n");
    assert_int_equal(e->private_flag, 0);
    assert_string_equal(e->field[MASTER_FIELD_UNPRIV], "-");
    assert_int_equal(e->unpriv_flag, 1);
    assert_int_equal(e->chroot_flag, 0);
    assert_int_equal(e->wakeup, 0);
    assert_int_equal(e->wakeup_if_used, 0);
    assert_int_equal(e->maxproc, -1);
    assert_string_equal(e->command, "smtpd");
    assert_int_equal(e->nargs, 4);
    assert_string_equal(e->args[0], "-o");
    assert_string_equal(e->args[1], "smtpd_client_restrictions=permit_mynetworks,reject");
    assert_string_equal(e->args[2], "-o");
    assert_string_equal(e->args[3], "syslog_name=postfix/inbound");
    assert_null(e->args[4]);
    assert_int_equal(e->noverride, 2);
    assert_string_equal(e->override[0].name, "smtpd_client_restrictions");
    assert_string_equal(e->override[0].value, "permit_mynetworks,reject");
    assert_int_equal(e->override[0].arg, 0);
    assert_int_equal(e->override[0].has_next, 1);
    assert_string_equal(e->override[1].name, "syslog_name");
    assert_string_equal(e->override[1].value, "postfix/inbound");
    assert_int_equal(e->override[1].arg, 2);

    e = &cf.entry[1]; /* pickup    unix  n       -       n       60      1       pickup */
    assert_int_equal(e->type, MASTER_TYPE_UNIX);
    assert_int_equal(e->wakeup, 60);
    assert_int_equal(e->wakeup_if_used, 0);
    assert_int_equal(e->maxproc, 1);
    assert_int_equal(e->nargs, 0);
    assert_non_null(e->args);
    assert_null(e->args[0]);
    assert_int_equal(e->noverride, 0);

    e = &cf.entry[2]; /* cleanup: maxproc 0 is "no limit", not the default */
    assert_int_equal(e->maxproc, 0);

    e = &cf.entry[4]; /* tlsmgr    unix  -       -       n       1000?   1       tlsmgr */
    assert_string_equal(e->field[MASTER_FIELD_WAKEUP], "1000?");
    assert_int_equal(e->wakeup, 1000);
    assert_int_equal(e->wakeup_if_used, 1);
    assert_int_equal(e->private_flag, 1);

    e = &cf.entry[5];
    assert_string_equal(e->command, "trivial-rewrite");

    e = &cf.entry[19]; /* local     unix  -       n       n       -       -       local */
    assert_string_equal(e->field[MASTER_FIELD_SERVICE], "local");
    assert_int_equal(e->unpriv_flag, 0);
    assert_int_equal(e->private_flag, 1);

    e = &cf.entry[24]; /* postlog   unix-dgram n  -       n       -       1       postlogd */
    assert_int_equal(e->type, MASTER_TYPE_UNIX_DGRAM);
    assert_string_equal(e->field[MASTER_FIELD_TYPE], "unix-dgram");
    assert_string_equal(e->command, "postlogd");
    assert_int_equal(e->first_line, 27);

    assert_int_equal(captured_count, 0);
    check_round_trip(&cf);
    master_cf_free(&cf);
    assert_null(cf.entry);
    assert_int_equal(cf.count, 0);
}

static void test_reference_format(void **state)
{
    struct master_cf cf;
    struct buf out = BUF_INIT;

    (void)state;
    parse_ok(ref_master_cf, &cf);
    format_all(&cf, 0, &out);
    assert_string_equal(buf_str(&out), ref_dash_m);
    format_all(&cf, 1, &out);
    assert_string_equal(buf_str(&out), ref_dash_mf);

    /* The formatter appends: existing content is kept. */
    buf_set(&out, "x");
    master_entry_format(&cf.entry[3], 0, &out);
    assert_string_equal(buf_str(&out),
                        "xqmgr       unix  n       -       n       300     1       qmgr\n");
    master_cf_free(&cf);
    buf_release(&out);
}

/* Section 6: postconf -M -e wrote this entry in -Mf layout. */
static void test_format_section6(void **state)
{
    struct master_cf cf;
    struct buf out = BUF_INIT;

    (void)state;
    parse_ok("127.0.0.1:12026 inet n - n - - smtpd -o syslog_name=postfix/second\n", &cf);
    master_entry_format(&cf.entry[0], 1, &out);
    assert_string_equal(buf_str(&out), "127.0.0.1:12026 inet n   -       n       -       -       "
                                       "smtpd\n    -o syslog_name=postfix/second\n");
    master_cf_free(&cf);
    buf_release(&out);
}

/* Column rule: pad to the next column start, or one space once reached. */
static void test_format_columns(void **state)
{
    struct master_cf cf;
    struct buf out = BUF_INIT;

    (void)state;
    parse_ok("abcdefghij unix - - - - - cmd\n"
             "abcdefghijk fifo y - - 1234567? 12345678 command\n"
             "a pass - - - - - commandname-that-is-long a b\n",
             &cf);
    assert_int_equal(cf.count, 3);
    master_entry_format(&cf.entry[0], 0, &out);
    master_entry_format(&cf.entry[1], 0, &out);
    master_entry_format(&cf.entry[2], 0, &out);
    assert_string_equal(buf_str(&out),
                        /* 10 characters: padded to column 11 */
                        "abcdefghij unix  -       -       -       -       -       cmd\n"
                        /* 11 characters reach column 11: one space; the same for wakeup
                         * reaching column 49 and maxproc passing column 57 */
                        "abcdefghijk fifo y       -       -       1234567? 12345678 command\n"
                        "a          pass  -       -       -       -       -       "
                        "commandname-that-is-long a b\n");
    master_cf_free(&cf);
    buf_release(&out);
}

/* -Mf: -o options on lines of their own, other words folded at column 80. */
static void test_format_fold(void **state)
{
    struct master_cf cf;
    struct buf out = BUF_INIT;

    (void)state;
    parse_ok(
        "maildrop  unix  -       n       n       -       -       pipe\n"
        "  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}\n"
        "submission inet n - y - - smtpd -v -o syslog_name=postfix/submission\n"
        "  -o smtpd_tls_security_level=encrypt -oa=b -o\n"
        /* 57 + "cmd" = 60; + " " + 19 = 80 exactly: stays; 20 would pass it */
        "edge80 unix - - - - - cmd aaaaaaaaaaaaaaaaaaa\n"
        "edge81 unix - - - - - cmd aaaaaaaaaaaaaaaaaaaa\n"
        /* a word too long for any line gets a line of its own */
        "long unix - - - - - cmd "
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb c\n"
        /* never fold before '#': the new line would read as a comment */
        "hash unix - - - - - cmd aaaaaaaaaaaaaaaaaa #bbbbbbbbbbbbbbbbbbbbbbbbb\n",
        &cf);
    format_all(&cf, 1, &out);
    assert_string_equal(
        buf_str(&out),
        "maildrop   unix  -       n       n       -       -       pipe flags=DRXhu\n"
        "    user=vmail argv=/usr/bin/maildrop -d ${recipient}\n"
        "submission inet  n       -       y       -       -       smtpd -v\n"
        "    -o syslog_name=postfix/submission\n"
        "    -o smtpd_tls_security_level=encrypt\n"
        "    -oa=b\n"
        "    -o\n"
        "edge80     unix  -       -       -       -       -       cmd aaaaaaaaaaaaaaaaaaa\n"
        "edge81     unix  -       -       -       -       -       cmd\n"
        "    aaaaaaaaaaaaaaaaaaaa\n"
        "long       unix  -       -       -       -       -       cmd\n"
        "    bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
        "    c\n"
        "hash       unix  -       -       -       -       -       cmd aaaaaaaaaaaaaaaaaa "
        "#bbbbbbbbbbbbbbbbbbbbbbbbb\n");
    format_all(&cf, 0, &out);
    assert_string_equal(
        buf_str(&out),
        "maildrop   unix  -       n       n       -       -       pipe flags=DRXhu user=vmail "
        "argv=/usr/bin/maildrop -d ${recipient}\n"
        "submission inet  n       -       y       -       -       smtpd -v -o "
        "syslog_name=postfix/submission -o smtpd_tls_security_level=encrypt -oa=b -o\n"
        "edge80     unix  -       -       -       -       -       cmd aaaaaaaaaaaaaaaaaaa\n"
        "edge81     unix  -       -       -       -       -       cmd aaaaaaaaaaaaaaaaaaaa\n"
        "long       unix  -       -       -       -       -       cmd "
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb c\n"
        "hash       unix  -       -       -       -       -       cmd aaaaaaaaaaaaaaaaaa "
        "#bbbbbbbbbbbbbbbbbbbbbbbbb\n");
    check_round_trip(&cf);
    master_cf_free(&cf);
    buf_release(&out);
}

/* ---- section 9: syntax errors, byte for byte ---- */

static void test_reference_errors(void **state)
{
    static const struct {
        const char *tail;
        const char *message;
    } cases[] = {
        {"127.0.0.1:12027 inet n - n - smtpd\n",
         "file <instances>/postconf/etc/master.cf: line 28: bad field count"},
        {"127.0.0.1:12027 inet x - n - - smtpd\n",
         "invalid private field \"x\" in \"127.0.0.1:12027 inet x - n - - smtpd\""},
        {"127.0.0.1:12027 inet n - n abc - smtpd\n",
         "invalid wakeup field \"abc\" in \"127.0.0.1:12027 inet n - n abc - smtpd\""},
        {"127.0.0.1:12027 inet n - n - z smtpd\n",
         "invalid process_limit field \"z\" in \"127.0.0.1:12027 inet n - n - z smtpd\""},
        {"foo bogus n - n - - smtpd\n",
         "invalid type field \"bogus\" in \"foo bogus n - n - - smtpd\""},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = ref_plus(cases[i].tail);

        parse_fails(text, cases[i].message);
        mem_free(text);
    }
    assert_int_equal(captured_count, 0);
}

static void test_other_errors(void **state)
{
    (void)state;
    parse_fails("x unix - q - - - cmd\n",
                "invalid unprivileged field \"q\" in \"x unix - q - - - cmd\"");
    parse_fails("x unix - - Y - - cmd\n", "invalid chroot field \"Y\" in \"x unix - - Y - - cmd\"");
    parse_fails("x unix yes - - - - cmd\n",
                "invalid private field \"yes\" in \"x unix yes - - - - cmd\"");
    /* The type is checked first, then the columns from left to right. */
    parse_fails("x INET q q q q q cmd\n",
                "invalid type field \"INET\" in \"x INET q q q q q cmd\"");
    parse_fails("x unix - q q q q cmd\n",
                "invalid unprivileged field \"q\" in \"x unix - q q q q cmd\"");
    /* Quoted text is the logical line, continuation lines joined without
     * their newline, trailing white space removed, control bytes as '?'. */
    parse_fails("foo bogus n - n - - smtpd\n  -o x=y  \n",
                "invalid type field \"bogus\" in \"foo bogus n - n - - smtpd  -o x=y\"");
    parse_fails("x unix \001 - - - - cmd\n",
                "invalid private field \"?\" in \"x unix ? - - - - cmd\"");
    /* The line of a bad entry is its first physical line. */
    parse_fails("# comment\n\nfoo unix\n# more\n  - - - -\n\n",
                "file <instances>/postconf/etc/master.cf: line 3: bad field count");
    parse_fails("a b c d e f g\n",
                "file <instances>/postconf/etc/master.cf: line 1: bad field count");
    /* An error in a later entry discards the earlier ones too. */
    parse_fails("ok unix - - - - - cmd\nbad unix - - - - -\n",
                "file <instances>/postconf/etc/master.cf: line 2: bad field count");
    /* Braces. */
    parse_fails("x unix - - - - - cmd { a b\n",
                "file <instances>/postconf/etc/master.cf: line 1: missing '}' in "
                "\"x unix - - - - - cmd { a b\"");
    parse_fails("x unix - - - - - cmd {a}b\n",
                "file <instances>/postconf/etc/master.cf: line 1: text after '}' in "
                "\"x unix - - - - - cmd {a}b\"");
    parse_fails("x unix - - - - - cmd { {a }\n",
                "file <instances>/postconf/etc/master.cf: line 1: missing '}' in "
                "\"x unix - - - - - cmd { {a }\"");
    /* A NUL byte is refused, with its line. */
    {
        static const char nul[] = "a unix - - - - - b\nc\0d unix - - - - - e\n";
        struct master_cf cf;
        struct buf err = BUF_INIT;

        assert_int_equal(master_cf_parse("m.cf", nul, sizeof(nul) - 1, &cf, &err), -1);
        assert_string_equal(buf_str(&err), "file m.cf: line 2: null byte in text");
        buf_release(&err);
    }
    assert_int_equal(captured_count, 0);
}

static void check_numbers(const char *wakeup, const char *maxproc, int ok, int want_wakeup,
                          int want_if_used, int want_maxproc)
{
    struct buf line = BUF_INIT, err = BUF_INIT;
    struct master_cf cf;
    int rc;

    buf_printf(&line, "svc unix - - - %s %s cmd\n", wakeup, maxproc);
    rc = master_cf_parse("m.cf", buf_str(&line), buf_len(&line), &cf, &err);
    if (!ok) {
        if (rc != -1)
            fail_msg("accepted wakeup \"%s\" maxproc \"%s\"", wakeup, maxproc);
        assert_true(strstr(buf_str(&err), "invalid ") == buf_str(&err));
    } else {
        if (rc != 0)
            fail_msg("refused wakeup \"%s\" maxproc \"%s\": %s", wakeup, maxproc, buf_str(&err));
        assert_int_equal(cf.entry[0].wakeup, want_wakeup);
        assert_int_equal(cf.entry[0].wakeup_if_used, want_if_used);
        assert_int_equal(cf.entry[0].maxproc, want_maxproc);
        master_cf_free(&cf);
    }
    buf_release(&line);
    buf_release(&err);
}

static void test_numbers(void **state)
{
    (void)state;
    check_numbers("-", "-", 1, 0, 0, -1);
    check_numbers("0", "0", 1, 0, 0, 0);
    check_numbers("1000?", "1", 1, 1000, 1, 1);
    check_numbers("0?", "100", 1, 0, 1, 100);
    check_numbers("007", "010", 1, 7, 0, 10);
    check_numbers("2147483647", "2147483647", 1, 2147483647, 0, 2147483647);
    check_numbers("2147483647?", "-", 1, 2147483647, 1, -1);
    check_numbers("2147483648", "-", 0, 0, 0, 0);
    check_numbers("-", "2147483648", 0, 0, 0, 0);
    check_numbers("99999999999999999999", "-", 0, 0, 0, 0);
    check_numbers("?", "-", 0, 0, 0, 0);
    check_numbers("-?", "-", 0, 0, 0, 0);
    check_numbers("5??", "-", 0, 0, 0, 0);
    check_numbers("?5", "-", 0, 0, 0, 0);
    check_numbers("10x", "-", 0, 0, 0, 0);
    check_numbers("-1", "-", 0, 0, 0, 0);
    check_numbers("+5", "-", 0, 0, 0, 0);
    check_numbers("-", "1?", 0, 0, 0, 0);
    check_numbers("-", "-1", 0, 0, 0, 0);
    check_numbers("-", "--", 0, 0, 0, 0);
    check_numbers("-", "0x10", 0, 0, 0, 0);
}

static void test_types_and_flags(void **state)
{
    static const struct {
        const char *name;
        enum master_type type;
    } types[] = {
        {"inet", MASTER_TYPE_INET},
        {"unix", MASTER_TYPE_UNIX},
        {"unix-dgram", MASTER_TYPE_UNIX_DGRAM},
        {"fifo", MASTER_TYPE_FIFO},
        {"pass", MASTER_TYPE_PASS},
    };
    static const char *const bad[] = {"INET", "dgram", "unix-", "", "inet6", "unixx"};
    struct master_cf cf;
    enum master_type t;
    size_t i;

    (void)state;
    parse_ok("a inet y y y - - c\n"
             "b unix n n n - - c\n"
             "c unix-dgram - - - - - c\n"
             "d fifo - - - - - c\n"
             "e pass - - - - - c\n",
             &cf);
    assert_int_equal(cf.count, 5);
    for (i = 0; i < 5; i++) {
        assert_int_equal(cf.entry[i].type, types[i].type);
        assert_string_equal(master_type_name(types[i].type), types[i].name);
        assert_int_equal(master_type_parse(types[i].name, &t), 0);
        assert_int_equal(t, types[i].type);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(master_type_parse(bad[i], &t), -1);
    assert_string_equal(master_type_name((enum master_type)42), "unknown");
    /* y / n / - for private, unpriv, chroot; "-" means y, y, n. */
    assert_int_equal(cf.entry[0].private_flag, 1);
    assert_int_equal(cf.entry[0].unpriv_flag, 1);
    assert_int_equal(cf.entry[0].chroot_flag, 1);
    assert_int_equal(cf.entry[1].private_flag, 0);
    assert_int_equal(cf.entry[1].unpriv_flag, 0);
    assert_int_equal(cf.entry[1].chroot_flag, 0);
    assert_int_equal(cf.entry[2].private_flag, 1);
    assert_int_equal(cf.entry[2].unpriv_flag, 1);
    assert_int_equal(cf.entry[2].chroot_flag, 0);
    master_cf_free(&cf);
}

/* ---- logical lines ---- */

static void test_continuation_and_comments(void **state)
{
    struct master_cf cf;

    (void)state;
    parse_ok("# leading comment\n"
             "\n"
             "smtp      inet  n       -       y       -       -       smtpd\n" /* line 3 */
             "#  -o smtpd_sasl_auth_enable=yes\n"
             "\n"
             "   \t \n"
             "  -o syslog_name=postfix/smtp\n"
             "    # indented comment\n"
             "\t-o smtpd_tls_security_level=may\n" /* line 9 */
             "# trailing comment\n"
             "\n"
             "pickup unix n - y 60 1 pickup\n" /* line 12 */
             "# the end",
             &cf);
    assert_int_equal(cf.count, 2);
    assert_int_equal(cf.entry[0].first_line, 3);
    assert_int_equal(cf.entry[0].last_line, 9);
    assert_int_equal(cf.entry[0].nargs, 4);
    assert_string_equal(cf.entry[0].args[1], "syslog_name=postfix/smtp");
    assert_string_equal(cf.entry[0].args[3], "smtpd_tls_security_level=may");
    assert_int_equal(cf.entry[0].noverride, 2);
    assert_int_equal(cf.entry[1].first_line, 12);
    assert_int_equal(cf.entry[1].last_line, 12);
    assert_int_equal(captured_count, 0);
    master_cf_free(&cf);

    /* Empty input and comment-only input have no entries. */
    parse_ok("", &cf);
    assert_int_equal(cf.count, 0);
    parse_ok("# nothing\n\n   # here\n", &cf);
    assert_int_equal(cf.count, 0);
    /* No final newline; fields split on any white space. */
    parse_ok("a\tunix\t-\t-\t-\t-\t-\tcmd\targ", &cf);
    assert_int_equal(cf.count, 1);
    assert_string_equal(cf.entry[0].args[0], "arg");
    assert_int_equal(cf.entry[0].last_line, 1);
    master_cf_free(&cf);
    /* A '#' inside a logical line is text, not a comment. */
    parse_ok("a unix - - - - - cmd #x\n", &cf);
    assert_int_equal(cf.entry[0].nargs, 1);
    assert_string_equal(cf.entry[0].args[0], "#x");
    master_cf_free(&cf);
}

static void test_crlf(void **state)
{
    struct buf crlf = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
    struct master_cf lf_cf, crlf_cf;
    const char *p;

    (void)state;
    for (p = ref_master_cf; *p; p++) {
        if (*p == '\n')
            buf_append_char(&crlf, '\r');
        buf_append_char(&crlf, *p);
    }
    parse_ok(ref_master_cf, &lf_cf);
    parse_ok(buf_str(&crlf), &crlf_cf);
    dump_cf(&lf_cf, 1, &a);
    dump_cf(&crlf_cf, 1, &b);
    assert_string_equal(buf_str(&a), buf_str(&b));
    master_cf_free(&lf_cf);
    master_cf_free(&crlf_cf);
    buf_release(&crlf);
    buf_release(&a);
    buf_release(&b);
}

/* Section 9: a continuation line before any service is ignored, with a warning. */
static void test_leading_whitespace(void **state)
{
    struct buf text = BUF_INIT, out = BUF_INIT;
    struct master_cf cf;

    (void)state;
    buf_append_str(&text, "  -o foo=bar\n");
    buf_append_str(&text, ref_master_cf);
    parse_ok(buf_str(&text), &cf);
    assert_int_equal(captured_count, 1);
    assert_string_equal(buf_str(&captured),
                        "warning: <instances>/postconf/etc/master.cf: logical line must not "
                        "start with whitespace: \"  -o foo=bar\"\n");
    assert_int_equal(cf.count, 25);
    assert_int_equal(cf.entry[0].first_line, 2);
    assert_int_equal(cf.entry[0].last_line, 4);
    format_all(&cf, 0, &out);
    assert_string_equal(buf_str(&out), ref_dash_m);
    master_cf_free(&cf);

    /* Several such lines (and comments between them) make one ignored line;
     * like all quoted text, control characters (the tab) show as '?'. */
    buf_reset(&captured);
    captured_count = 0;
    parse_ok("  -o a=1\n# c\n\t-o b=2\nsmtp inet n - n - - smtpd\n", &cf);
    assert_int_equal(captured_count, 1);
    assert_string_equal(buf_str(&captured),
                        "warning: <instances>/postconf/etc/master.cf: logical line must not "
                        "start with whitespace: \"  -o a=1?-o b=2\"\n");
    assert_int_equal(cf.count, 1);
    assert_int_equal(cf.entry[0].nargs, 0);
    assert_int_equal(cf.entry[0].first_line, 4);
    master_cf_free(&cf);
    buf_release(&text);
    buf_release(&out);
}

/* Section 9: "-o" without argument, and "-o name" without '=', are accepted. */
static void test_option_without_value(void **state)
{
    struct buf out = BUF_INIT;
    struct master_cf cf;
    const struct master_entry *e;
    char *text;

    (void)state;
    text = ref_plus("127.0.0.1:12027 inet n - n - - smtpd\n  -o\n");
    parse_ok(text, &cf);
    mem_free(text);
    assert_int_equal(cf.count, 26);
    e = &cf.entry[25];
    assert_int_equal(e->first_line, 28);
    assert_int_equal(e->last_line, 29);
    assert_int_equal(e->nargs, 1);
    assert_int_equal(e->noverride, 1);
    assert_string_equal(e->override[0].name, "");
    assert_null(e->override[0].value);
    assert_int_equal(e->override[0].has_next, 0);
    master_entry_format(e, 0, &out);
    assert_string_equal(buf_str(&out),
                        "127.0.0.1:12027 inet n   -       n       -       -       smtpd -o\n");
    master_cf_free(&cf);

    text = ref_plus("127.0.0.1:12027 inet n - n - - smtpd\n  -o novalue\n");
    parse_ok(text, &cf);
    mem_free(text);
    e = &cf.entry[25];
    assert_int_equal(e->noverride, 1);
    assert_string_equal(e->override[0].name, "novalue");
    assert_null(e->override[0].value);
    buf_reset(&out);
    master_entry_format(e, 0, &out);
    assert_string_equal(buf_str(&out), "127.0.0.1:12027 inet n   -       n       -       -       "
                                       "smtpd -o novalue\n");
    assert_int_equal(captured_count, 0);
    master_cf_free(&cf);
    buf_release(&out);
}

/* Which arguments are -o options: only the leading daemon options. */
static void test_overrides(void **state)
{
    static const struct {
        const char *args;
        const char *want; /* dump of the overrides */
    } cases[] = {
        {"-o a=b", " o@0+[a]=[b]"},
        {"-oa=b -o c=", " o@0[a]=[b] o@1+[c]=[]"},
        {"-o a=b=c", " o@0+[a]=[b=c]"},
        {"-o =x", " o@0+[]=[x]"},
        {"-o { name = value with  space }", " o@0+[name]=[value with  space]"},
        {"-v -o a=b", " o@1+[a]=[b]"},
        {"-vo a=b", " o@0+[a]=[b]"},
        {"-voa=b", " o@0[a]=[b]"},
        {"-n foo -o a=b", " o@2+[a]=[b]"},
        {"-nfoo -o a=b", " o@1+[a]=[b]"},
        {"-n -o a=b", ""},      /* -n takes "-o"; "a=b" ends the options */
        {"-o -v", " o@0+[-v]"}, /* -o takes the next word, whatever it is */
        {"flags=R argv=/bin/x -o a=b", ""},
        {"-- -o a=b", ""},
        {"- -o a=b", ""},
        {"-o a=b x -o c=d", " o@0+[a]=[b]"},
        {"", ""},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf line = BUF_INIT, got = BUF_INIT;
        struct master_cf cf;
        size_t j;

        buf_printf(&line, "x unix - - - - - cmd %s\n", cases[i].args);
        parse_ok(buf_str(&line), &cf);
        for (j = 0; j < cf.entry[0].noverride; j++) {
            const struct master_override *ov = &cf.entry[0].override[j];

            buf_printf(&got, " o@%zu%s[%s]", ov->arg, ov->has_next ? "+" : "", ov->name);
            if (ov->value)
                buf_printf(&got, "=[%s]", ov->value);
        }
        if (strcmp(buf_str(&got), cases[i].want) != 0)
            fail_msg("args \"%s\": got \"%s\", want \"%s\"", cases[i].args, buf_str(&got),
                     cases[i].want);
        check_round_trip(&cf);
        master_cf_free(&cf);
        buf_release(&line);
        buf_release(&got);
    }
}

static void test_braces(void **state)
{
    struct buf out = BUF_INIT;
    struct master_cf cf;
    const struct master_entry *e;

    (void)state;
    parse_ok("{ my svc } unix - - - - - cmd { a  b } {} { } {x} { {y} z } {\n"
             "  across lines } ${recipient} a}b }\n",
             &cf);
    e = &cf.entry[0];
    assert_string_equal(e->field[MASTER_FIELD_SERVICE], "my svc");
    assert_int_equal(e->nargs, 9);
    assert_string_equal(e->args[0], "a  b");
    assert_string_equal(e->args[1], "");
    assert_string_equal(e->args[2], "");
    assert_string_equal(e->args[3], "x");
    assert_string_equal(e->args[4], "{y} z");
    assert_string_equal(e->args[5], "across lines");
    assert_string_equal(e->args[6], "${recipient}");
    assert_string_equal(e->args[7], "a}b");
    assert_string_equal(e->args[8], "}");
    master_entry_format(e, 0, &out);
    assert_string_equal(buf_str(&out),
                        "{ my svc } unix  -       -       -       -       -       cmd "
                        "{ a  b } {} {} x { {y} z } { across lines } ${recipient} "
                        "a}b }\n");
    check_round_trip(&cf);
    master_cf_free(&cf);

    /* A service name starting with '#' must not print as a comment. */
    parse_ok("{#svc} unix - - - - - cmd\n", &cf);
    buf_reset(&out);
    master_entry_format(&cf.entry[0], 0, &out);
    assert_string_equal(buf_str(&out),
                        "{ #svc }   unix  -       -       -       -       -       cmd\n");
    check_round_trip(&cf);
    master_cf_free(&cf);
    buf_release(&out);
}

/* Section 9: duplicates are accepted; the master keeps the last one. */
static void test_duplicates(void **state)
{
    struct master_cf cf;
    char *text;

    (void)state;
    text = ref_plus("127.0.0.1:12027 inet n - n - - smtpd\n"
                    "127.0.0.1:12027 inet n - n - - smtpd -o x=y\n"
                    "smtp inet n - n - - smtpd\n");
    parse_ok(text, &cf);
    mem_free(text);
    assert_int_equal(cf.count, 28);
    assert_int_equal(master_cf_next_duplicate(&cf, 25), 26);
    assert_int_equal(master_cf_next_duplicate(&cf, 26), cf.count);
    assert_int_equal(master_cf_next_duplicate(&cf, 0), cf.count);
    /* same name, other type: not a duplicate */
    assert_int_equal(master_cf_next_duplicate(&cf, 13), cf.count);
    assert_int_equal(master_cf_next_duplicate(&cf, 27), cf.count);
    assert_int_equal(master_cf_next_duplicate(&cf, 1000), cf.count);
    assert_ptr_equal(master_cf_find(&cf, "127.0.0.1:12027", "inet"), &cf.entry[26]);
    assert_ptr_equal(master_cf_find(&cf, "smtp", "unix"), &cf.entry[13]);
    assert_ptr_equal(master_cf_find(&cf, "smtp", "inet"), &cf.entry[27]);
    assert_ptr_equal(master_cf_find(&cf, "postlog", "unix-dgram"), &cf.entry[24]);
    assert_null(master_cf_find(&cf, "postlog", "unix"));
    assert_null(master_cf_find(&cf, "nosuch", "unix"));
    assert_int_equal(captured_count, 0);
    master_cf_free(&cf);
    master_cf_free(&cf); /* freeing twice is harmless: the struct was emptied */
}

/* ---- files ---- */

static char *write_temp(const char *data, size_t len)
{
    char *path = mem_strdup("/tmp/test_mastercf.XXXXXX");
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_load(void **state)
{
    size_t size = strlen(ref_master_cf);
    char *path = write_temp(ref_master_cf, size);
    struct buf err = BUF_INIT, want = BUF_INIT;
    struct master_cf cf;

    (void)state;
    assert_int_equal(master_cf_load(path, &cf, &err), 0);
    assert_int_equal(cf.count, 25);
    master_cf_free(&cf);
    assert_int_equal(master_cf_load_max(path, size, &cf, &err), 0);
    assert_int_equal(cf.count, 25);
    master_cf_free(&cf);
    assert_int_equal(master_cf_load_max(path, size - 1, &cf, &err), -1);
    buf_printf(&want, "file %s: larger than %zu bytes", path, size - 1);
    assert_string_equal(buf_str(&err), buf_str(&want));
    assert_int_equal(cf.count, 0);
    unlink(path);
    assert_int_equal(master_cf_load(path, &cf, &err), -1);
    buf_reset(&want);
    buf_printf(&want, "open %s: No such file or directory", path);
    assert_string_equal(buf_str(&err), buf_str(&want));
    assert_int_equal(master_cf_load("/tmp", &cf, &err), -1);
    assert_string_equal(buf_str(&err), "read /tmp: Is a directory");
    mem_free(path);

    /* Errors from a loaded file name the file. */
    path = write_temp("a b\n", 4);
    assert_int_equal(master_cf_load(path, &cf, &err), -1);
    buf_reset(&want);
    buf_printf(&want, "file %s: line 1: bad field count", path);
    assert_string_equal(buf_str(&err), buf_str(&want));
    unlink(path);
    mem_free(path);
    buf_release(&err);
    buf_release(&want);
}

/* ---- golden files ---- */

static char *read_whole(const char *path, size_t *len)
{
    struct buf b = BUF_INIT;
    char chunk[4096];
    FILE *fp = fopen(path, "rb");
    size_t n;

    if (fp == NULL)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        buf_append(&b, chunk, n);
    fclose(fp);
    *len = buf_len(&b);
    return buf_steal(&b);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void test_golden(void **state)
{
    const char *top = getenv("top_srcdir");
    const char *update = getenv("MASTERCF_GOLDEN_UPDATE");
    struct buf dir = BUF_INIT;
    struct dirent *de;
    size_t files = 0;
    DIR *dp;

    (void)state;
    buf_printf(&dir, "%s/tests/unit/data/mastercf", top && *top ? top : ".");
    if ((dp = opendir(buf_str(&dir))) == NULL)
        fail_msg("cannot open %s (set top_srcdir): %s", buf_str(&dir), strerror(errno));
    while ((de = readdir(dp)) != NULL) {
        struct buf in_path = BUF_INIT, ref_path = BUF_INIT, got = BUF_INIT, err = BUF_INIT;
        struct master_cf cf;
        char *text, *ref;
        size_t len, ref_len;

        if (!ends_with(de->d_name, ".in"))
            continue;
        files++;
        buf_printf(&in_path, "%s/%s", buf_str(&dir), de->d_name);
        buf_append_str(&ref_path, buf_str(&in_path));
        buf_truncate(&ref_path, buf_len(&ref_path) - 3);
        buf_append_str(&ref_path, ".ref");
        text = read_whole(buf_str(&in_path), &len);
        assert_non_null(text);

        buf_reset(&captured);
        captured_count = 0;
        if (master_cf_parse("master.cf", text, len, &cf, &err) == 0) {
            buf_append_str(&got, buf_str(&captured));
            dump_cf(&cf, 1, &got);
            check_round_trip(&cf);
            master_cf_free(&cf);
        } else {
            buf_append_str(&got, buf_str(&captured));
            buf_printf(&got, "error: %s\n", buf_str(&err));
        }
        if (update && *update) {
            FILE *fp = fopen(buf_str(&ref_path), "wb");

            assert_non_null(fp);
            fputs(buf_str(&got), fp);
            fclose(fp);
        }
        ref = read_whole(buf_str(&ref_path), &ref_len);
        if (ref == NULL)
            fail_msg("missing %s", buf_str(&ref_path));
        else if (strcmp(ref, buf_str(&got)) != 0)
            fail_msg("%s: got\n%s\nwant\n%s", buf_str(&in_path), buf_str(&got), ref);
        mem_free(ref);
        mem_free(text);
        buf_release(&in_path);
        buf_release(&ref_path);
        buf_release(&got);
        buf_release(&err);
    }
    closedir(dp);
    /* An empty or missing data set must not pass silently. */
    assert_true(files >= 10);
    buf_release(&dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reference_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_section6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_fold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types_and_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_continuation_and_comments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leading_whitespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_option_without_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_braces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_golden, setup, teardown),
    };

    msg_init("test_mastercf");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
