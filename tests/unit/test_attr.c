/*
 * test_attr.c - unit tests of the attribute codec (lib/util/attr.c).
 *
 * Covers the wire bytes the encoder writes, round trips of every type at its
 * edges, every prefix of a valid message (must be NEED_MORE, never BAD or a
 * crash), each rejection rule with its exact reason and offset, the protocol
 * announcement check, and the golden files in tests/unit/data/attr (found via
 * $top_srcdir, else relative to the current directory). Golden .in files are
 * hex text: see tests/unit/data/attr/README. Setting ATTR_GOLDEN_WRITE=1
 * rewrites the .ref files instead of comparing (review the diff!).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/attr.h"
#include "util/buf.h"
#include "util/mem.h"

#include "unit_child.h"

#define RAW(s) (s), (sizeof(s) - 1)

/* Decodes exactly one message that must be fine and fill all of data. */
static void decode_ok(const void *data, size_t len, struct attr_msg *m)
{
    struct buf err = BUF_INIT;
    size_t used = 0;
    enum attr_status st = attr_decode(data, len, &used, m, &err);

    if (st != ATTR_OK)
        fail_msg("decode failed (%d): %s", (int)st, buf_str(&err));
    assert_int_equal(used, len);
    assert_int_equal(m->size, len);
    buf_release(&err);
}

/* Expects ATTR_BAD with exactly this reason and offset, and an empty msg. */
static void expect_bad(const struct attr_limits *lim, const void *data, size_t len,
                       const char *reason, size_t offset)
{
    struct attr_msg m;
    struct buf err = BUF_INIT;
    size_t used = 12345;

    attr_msg_init(&m, lim);
    buf_set(&err, "stale");
    assert_int_equal(attr_decode(data, len, &used, &m, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err), reason);
    assert_int_equal(used, offset);
    assert_null(m.proto);
    assert_int_equal(m.top.count, 0);
    assert_null(m.values_);
    attr_msg_free(&m);
    buf_release(&err);
}

static void encode_everything(struct buf *b)
{
    attr_put_announce(b, "cleanup", 1);
    attr_put_int(b, "zero", 0);
    attr_put_int(b, "umax", UINT32_MAX);
    attr_put_long(b, "lmin", INT64_MIN);
    attr_put_long(b, "minus1", -1);
    attr_put_long(b, "lmax", INT64_MAX);
    attr_put_ulong(b, "uzero", 0);
    attr_put_ulong(b, "ulmax", UINT64_MAX);
    attr_put_cstr(b, "empty", "");
    attr_put_str(b, "binary", "a\0b\xff\n", 5);
    attr_put_cstr(b, "sender", "MAILER-DAEMON@example.com");
    attr_list_begin(b, "rcpt");
    attr_list_entry(b);
    attr_put_cstr(b, "address", "one@example.com");
    attr_put_cstr(b, "orig_rcpt", "One@Example.COM");
    attr_put_ulong(b, "offset", 1234);
    attr_put_int(b, "dsn_notify", 6);
    attr_list_entry(b);
    attr_put_cstr(b, "address", "two@example.com");
    attr_put_str(b, "orig_rcpt", "", 0);
    attr_put_ulong(b, "offset", 99999999999ULL);
    attr_put_int(b, "dsn_notify", 0);
    attr_list_entry(b);
    attr_list_end(b);
    attr_list_begin(b, "empty_list");
    attr_list_end(b);
    attr_put_long(b, "after_lists", 7);
    attr_put_end(b);
}

/* ------------------------------------------------------------------ tests */

static void test_wire_bytes(void **state)
{
    static const char want[] = "P\x01\x07"
                               "cleanup\x00\x00\x00\x02"
                               "I\x01n\x01\x02\x03\x04"
                               "L\x01l\xff\xff\xff\xff\xff\xff\xff\xfe"
                               "U\x01u\x01\x02\x03\x04\x05\x06\x07\x08"
                               "S\x01s\x00\x00\x00\x03"
                               "a\x00\xff"
                               "[\x01r{I\x01x\x00\x00\x00\x09{]"
                               ".";
    struct buf b = BUF_INIT;

    (void)state;
    attr_put_announce(&b, "cleanup", 2);
    attr_put_int(&b, "n", 0x01020304);
    attr_put_long(&b, "l", -2);
    attr_put_ulong(&b, "u", 0x0102030405060708ULL);
    attr_put_str(&b, "s", "a\0\xff", 3);
    attr_list_begin(&b, "r");
    attr_list_entry(&b);
    attr_put_int(&b, "x", 9);
    attr_list_entry(&b);
    attr_list_end(&b);
    attr_put_end(&b);
    assert_int_equal(buf_len(&b), sizeof(want) - 1);
    assert_memory_equal(buf_str(&b), want, sizeof(want) - 1);
    buf_release(&b);
}

static void test_roundtrip_all_types(void **state)
{
    struct buf b = BUF_INIT;
    struct buf again = BUF_INIT;
    struct attr_msg m;
    const struct attr_group *top, *e;
    const struct attr_list *list;
    const char *s;
    size_t len;
    uint32_t u32 = 0;
    int64_t i64 = 0;
    uint64_t u64 = 0;

    (void)state;
    encode_everything(&b);
    attr_msg_init(&m, NULL);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    top = attr_msg_top(&m);
    assert_string_equal(m.proto, "cleanup");
    assert_int_equal(m.proto_version, 1);
    assert_int_equal(top->count, 13);

    assert_int_equal(attr_get_int(top, "zero", &u32), ATTR_FOUND);
    assert_int_equal(u32, 0);
    assert_int_equal(attr_get_int(top, "umax", &u32), ATTR_FOUND);
    assert_true(u32 == UINT32_MAX);
    assert_int_equal(attr_get_long(top, "lmin", &i64), ATTR_FOUND);
    assert_true(i64 == INT64_MIN);
    assert_int_equal(attr_get_long(top, "minus1", &i64), ATTR_FOUND);
    assert_true(i64 == -1);
    assert_int_equal(attr_get_long(top, "lmax", &i64), ATTR_FOUND);
    assert_true(i64 == INT64_MAX);
    assert_int_equal(attr_get_ulong(top, "uzero", &u64), ATTR_FOUND);
    assert_true(u64 == 0);
    assert_int_equal(attr_get_ulong(top, "ulmax", &u64), ATTR_FOUND);
    assert_true(u64 == UINT64_MAX);

    assert_int_equal(attr_get_str(top, "empty", &s, &len), ATTR_FOUND);
    assert_int_equal(len, 0);
    assert_int_equal(s[0], '\0');
    assert_int_equal(attr_get_str(top, "binary", &s, &len), ATTR_FOUND);
    assert_int_equal(len, 5);
    assert_memory_equal(s, "a\0b\xff\n", 6); /* and the NUL after it */
    assert_int_equal(attr_get_cstr(top, "sender", &s), ATTR_FOUND);
    assert_string_equal(s, "MAILER-DAEMON@example.com");

    /* Missing and wrong type leave the output alone. */
    u32 = 77;
    assert_int_equal(attr_get_int(top, "nosuch", &u32), ATTR_MISSING);
    assert_int_equal(attr_get_int(top, "lmax", &u32), ATTR_WRONG_TYPE);
    assert_int_equal(attr_get_int(top, "rcpt", &u32), ATTR_WRONG_TYPE);
    assert_int_equal(u32, 77);
    assert_int_equal(attr_get_long(top, "ulmax", &i64), ATTR_WRONG_TYPE);
    assert_int_equal(attr_get_ulong(top, "lmax", &u64), ATTR_WRONG_TYPE);
    assert_int_equal(attr_get_str(top, "zero", &s, &len), ATTR_WRONG_TYPE);
    assert_int_equal(attr_get_list(top, "sender", &list), ATTR_WRONG_TYPE);
    assert_int_equal(attr_get_list(top, "", &list), ATTR_MISSING);
    s = "untouched";
    assert_int_equal(attr_get_cstr(top, "binary", &s), ATTR_WRONG_TYPE); /* holds NUL */
    assert_string_equal(s, "untouched");
    assert_string_equal(attr_find_str(ATTR_WRONG_TYPE), "wrong type");
    assert_string_equal(attr_find_str(ATTR_MISSING), "missing");

    /* The nested list. */
    assert_int_equal(attr_get_list(top, "rcpt", &list), ATTR_FOUND);
    assert_int_equal(list->count, 3);
    e = attr_list_at(list, 0);
    assert_int_equal(e->count, 4);
    assert_int_equal(attr_get_cstr(e, "address", &s), ATTR_FOUND);
    assert_string_equal(s, "one@example.com");
    assert_int_equal(attr_get_ulong(e, "offset", &u64), ATTR_FOUND);
    assert_true(u64 == 1234);
    assert_int_equal(attr_get_int(e, "dsn_notify", &u32), ATTR_FOUND);
    assert_int_equal(u32, 6);
    assert_int_equal(attr_get_cstr(e, "sender", &s), ATTR_MISSING); /* groups are separate */
    e = attr_list_at(list, 1);
    assert_int_equal(attr_get_cstr(e, "address", &s), ATTR_FOUND);
    assert_string_equal(s, "two@example.com");
    assert_int_equal(attr_get_str(e, "orig_rcpt", &s, &len), ATTR_FOUND);
    assert_int_equal(len, 0);
    assert_int_equal(attr_get_ulong(e, "offset", &u64), ATTR_FOUND);
    assert_true(u64 == 99999999999ULL);
    e = attr_list_at(list, 2);
    assert_int_equal(e->count, 0);
    assert_int_equal(attr_get_int(e, "dsn_notify", &u32), ATTR_MISSING);
    assert_int_equal(attr_get_list(top, "empty_list", &list), ATTR_FOUND);
    assert_int_equal(list->count, 0);
    assert_int_equal(attr_get_long(top, "after_lists", &i64), ATTR_FOUND);
    assert_true(i64 == 7);

    /* Canonical: re-encoding gives the same bytes. */
    attr_put_msg(&again, &m);
    assert_int_equal(buf_len(&again), buf_len(&b));
    assert_memory_equal(buf_str(&again), buf_str(&b), buf_len(&b));

    attr_msg_free(&m);
    buf_release(&b);
    buf_release(&again);
}

static void test_max_lengths(void **state)
{
    struct attr_limits lim;
    struct attr_msg m;
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;
    char name[256];
    char *big;
    const char *s;
    size_t len, used;

    (void)state;
    /* Default limits: a 64-byte name and a 1 MiB string pass, one more fails. */
    memset(name, 'n', sizeof(name));
    name[ATTR_DEFAULT_MAX_NAME_LEN] = '\0';
    big = mem_alloc(ATTR_DEFAULT_MAX_STR_LEN + 1);
    memset(big, 0xff, ATTR_DEFAULT_MAX_STR_LEN + 1);
    attr_put_str(&b, name, big, ATTR_DEFAULT_MAX_STR_LEN);
    attr_put_end(&b);
    attr_msg_init(&m, NULL);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    assert_int_equal(attr_get_str(attr_msg_top(&m), name, &s, &len), ATTR_FOUND);
    assert_int_equal(len, ATTR_DEFAULT_MAX_STR_LEN);
    assert_memory_equal(s, big, len);

    buf_reset(&b);
    attr_put_str(&b, "s", big, ATTR_DEFAULT_MAX_STR_LEN + 1);
    attr_put_end(&b);
    assert_int_equal(attr_decode(buf_str(&b), buf_len(&b), &used, &m, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err), "string length 1048577 exceeds limit 1048576 at offset 3");

    buf_reset(&b);
    name[ATTR_DEFAULT_MAX_NAME_LEN] = 'n';
    name[ATTR_DEFAULT_MAX_NAME_LEN + 1] = '\0';
    attr_put_int(&b, name, 1);
    attr_put_end(&b);
    assert_int_equal(attr_decode(buf_str(&b), buf_len(&b), &used, &m, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err), "attribute name too long (65 > 64 bytes) at offset 1");
    attr_msg_free(&m);

    /* The wire maximum name (255) with a receiver that allows it. */
    attr_limits_init(&lim);
    lim.max_name_len = ATTR_NAME_MAX_WIRE;
    attr_msg_init(&m, &lim);
    memset(name, 'x', sizeof(name));
    name[255] = '\0';
    buf_reset(&b);
    attr_put_announce(&b, name, UINT32_MAX);
    attr_put_int(&b, name, 5);
    attr_put_end(&b);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    assert_int_equal(strlen(m.proto), 255);
    assert_true(m.proto_version == UINT32_MAX);
    assert_int_equal(attr_find(attr_msg_top(&m), name)->name_len, 255);
    attr_msg_free(&m);

    /* A small limit set: each limit is inclusive. */
    lim.max_name_len = 4;
    lim.max_str_len = 10;
    lim.max_attrs = 3;
    lim.max_msg_size = 3 + 4 + 10 + 1; /* 'S' 01 's' len:4 bytes:10 '.' */
    attr_msg_init(&m, &lim);
    buf_reset(&b);
    attr_put_str(&b, "s", "0123456789", 10);
    attr_put_end(&b);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    buf_truncate(&b, 0);
    attr_put_str(&b, "s", "0123456789", 10);
    attr_put_int(&b, "i", 1); /* within max_attrs, but the message is now too big */
    attr_put_end(&b);
    assert_int_equal(attr_decode(buf_str(&b), buf_len(&b), &used, &m, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err), "message exceeds size limit 18 at offset 18");
    assert_int_equal(used, 18);
    attr_msg_free(&m);

    mem_free(big);
    buf_release(&b);
    buf_release(&err);
}

/* Every proper prefix of a valid message is NEED_MORE, with a usable hint. */
static void test_every_prefix_needs_more(void **state)
{
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;
    struct attr_msg m;
    size_t cut, used, have, rounds;

    (void)state;
    encode_everything(&b);
    attr_msg_init(&m, NULL);
    for (cut = 0; cut < buf_len(&b); cut++) {
        used = 0;
        buf_reset(&err);
        if (attr_decode(buf_str(&b), cut, &used, &m, &err) != ATTR_NEED_MORE)
            fail_msg("prefix %zu of %zu: not NEED_MORE: %s", cut, buf_len(&b), buf_str(&err));
        assert_true(used > cut);
        assert_true(used <= buf_len(&b)); /* the hint never asks past the message */
        assert_int_equal(m.top.count, 0);
        assert_int_equal(buf_len(&err), 0);
        assert_int_equal(attr_decode_exact(buf_str(&b), cut, &m, &err), ATTR_BAD);
        assert_non_null(strstr(buf_str(&err), "truncated message"));
    }
    /* A reader that reads exactly what the hint asks for gets there. */
    have = 0;
    for (rounds = 0; rounds < buf_len(&b); rounds++) {
        if (attr_decode(buf_str(&b), have, &used, &m, NULL) == ATTR_OK)
            break;
        have = used;
    }
    assert_int_equal(used, buf_len(&b));
    /* One round per field, not per byte: 5 for the announcement, 4 per
     * number, 4 or 5 per string (empty or not), 3 per list begin, 1 per
     * entry, list end and end marker; counted by hand for encode_everything. */
    assert_int_equal(rounds, 98);
    attr_msg_free(&m);
    buf_release(&b);
    buf_release(&err);
}

static void test_message_sequence(void **state)
{
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;
    struct attr_msg m;
    size_t used, first;
    uint32_t v = 0;

    (void)state;
    attr_put_announce(&b, "qmgr", 3);
    attr_put_end(&b);
    first = buf_len(&b);
    attr_put_int(&b, "v", 2);
    attr_put_end(&b);
    attr_put_int(&b, "v", 3); /* a third message, incomplete */

    attr_msg_init(&m, NULL);
    assert_int_equal(attr_decode(buf_str(&b), buf_len(&b), &used, &m, &err), ATTR_OK);
    assert_int_equal(used, first);
    assert_string_equal(m.proto, "qmgr");
    assert_int_equal(m.top.count, 0);
    assert_int_equal(attr_decode(buf_str(&b) + first, buf_len(&b) - first, &used, &m, &err),
                     ATTR_OK);
    assert_null(m.proto); /* the announcement belonged to the first message only */
    assert_int_equal(attr_get_int(attr_msg_top(&m), "v", &v), ATTR_FOUND);
    assert_int_equal(v, 2);
    first += used;
    assert_int_equal(attr_decode(buf_str(&b) + first, buf_len(&b) - first, &used, &m, &err),
                     ATTR_NEED_MORE);
    assert_int_equal(used, buf_len(&b) - first + 1);

    /* decode_exact wants exactly one message. */
    assert_int_equal(attr_decode_exact(buf_str(&b), buf_len(&b), &m, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err),
                        "15 bytes of trailing data after end of message at offset 12");
    assert_int_equal(m.top.count, 0);
    assert_null(m.proto);
    assert_int_equal(attr_decode_exact(buf_str(&b), 12, &m, &err), ATTR_OK);
    assert_string_equal(m.proto, "qmgr");
    assert_int_equal(attr_decode_exact(buf_str(&b), 5, &m, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err), "truncated message (5 bytes, at least 7 needed)");
    attr_msg_free(&m);
    buf_release(&b);
    buf_release(&err);
}

static void test_malformed(void **state)
{
    struct attr_limits small;

    (void)state;
    attr_limits_init(&small);
    small.max_attrs = 3;

    expect_bad(NULL, RAW("X"), "unknown attribute type byte 0x58 at offset 0", 0);
    expect_bad(NULL,
               RAW("I\x01"
                   "a\0\0\0\0"
                   "\x00"),
               "unknown attribute type byte 0x00 at offset 7", 7);
    expect_bad(NULL, RAW("[\x01r{\xff"), "unknown attribute type byte 0xff at offset 4", 4);
    /* Lengths over a limit are rejected before the bytes they announce. */
    expect_bad(NULL,
               RAW("S\x01"
                   "a\xff\xff\xff\xff"),
               "string length 4294967295 exceeds limit 1048576 at offset 3", 3);
    expect_bad(NULL, RAW("I\xc8"), "attribute name too long (200 > 64 bytes) at offset 1", 1);
    expect_bad(NULL, RAW("[\xff"), "list name too long (255 > 64 bytes) at offset 1", 1);
    expect_bad(NULL, RAW("I\x00"), "empty attribute name at offset 1", 1);
    expect_bad(NULL,
               RAW("I\x03"
                   "a\0b"),
               "NUL byte in attribute name at offset 3", 3);
    expect_bad(NULL,
               RAW("U\x02"
                   "a "),
               "invalid byte 0x20 in attribute name at offset 3", 3);
    expect_bad(NULL, RAW("S\x01\xe9"), "invalid byte 0xe9 in attribute name at offset 2", 2);
    expect_bad(&small,
               RAW("I\x01"
                   "a\0\0\0\0I\x01"
                   "b\0\0\0\0I\x01"
                   "c\0\0\0\0I\x01"
                   "d"),
               "too many attributes (limit 3) at offset 21", 21);
    expect_bad(&small, RAW("[\x01r{{{"), "too many attributes (limit 3) at offset 5", 5);
    expect_bad(&small,
               RAW("I\x01"
                   "a\0\0\0\0I\x01"
                   "b\0\0\0\0I\x01"
                   "c\0\0\0\0[\x01l"),
               "too many attributes (limit 3) at offset 21", 21);
    expect_bad(NULL,
               RAW("[\x01r{I\x01"
                   "a\0\0\0\0."),
               "end of message inside list \"r\" (missing list end) at offset 11", 11);
    expect_bad(NULL, RAW("[\x01r."),
               "end of message inside list \"r\" (missing list end) at offset 3", 3);
    expect_bad(NULL, RAW("]"), "list end outside a list at offset 0", 0);
    expect_bad(NULL, RAW("[\x01r]]"), "list end outside a list at offset 4", 4);
    expect_bad(NULL, RAW("{"), "list entry outside a list at offset 0", 0);
    expect_bad(NULL, RAW("[\x01r{[\x01s"), "list inside list \"r\" (one level only) at offset 4",
               4);
    expect_bad(NULL, RAW("[\x01r[\x01s"), "list inside list \"r\" (one level only) at offset 3", 3);
    expect_bad(NULL, RAW("[\x01rI"), "attribute before the first entry of list \"r\" at offset 3",
               3);
    expect_bad(NULL,
               RAW("I\x01"
                   "a\0\0\0\0P\x01\x01x\0\0\0\1."),
               "protocol announcement not at start of message at offset 7", 7);
    expect_bad(NULL, RAW("P\x01\x01x\0\0\0\1P"),
               "protocol announcement not at start of message at offset 8", 8);
    expect_bad(NULL, RAW("P\x02"), "unsupported attribute format version 2 (want 1) at offset 1",
               1);
    expect_bad(NULL, RAW("P\x01\x00"), "empty protocol name at offset 2", 2);
    /* Duplicates: top level, inside one entry, list against scalar. */
    expect_bad(NULL,
               RAW("I\x01"
                   "a\0\0\0\0S\x01"
                   "b\0\0\0\0I\x01"
                   "a\0\0\0\1."),
               "duplicate attribute name \"a\" at offset 14", 14);
    expect_bad(NULL,
               RAW("[\x01r{I\x01"
                   "a\0\0\0\0{I\x01"
                   "a\0\0\0\0I\x01"
                   "a\0\0\0\0]."),
               "duplicate attribute name \"a\" at offset 19", 19);
    expect_bad(NULL, RAW("[\x01r]S\x01r\0\0\0\0."), "duplicate attribute name \"r\" at offset 4",
               4);
}

static void test_same_name_in_other_groups(void **state)
{
    struct buf b = BUF_INIT;
    struct attr_msg m;
    const struct attr_list *list;
    uint32_t v = 0;

    (void)state;
    attr_put_int(&b, "a", 1);
    attr_list_begin(&b, "r");
    attr_list_entry(&b);
    attr_put_int(&b, "a", 2);
    attr_list_entry(&b);
    attr_put_int(&b, "a", 3);
    attr_list_end(&b);
    attr_put_end(&b);
    attr_msg_init(&m, NULL);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    assert_int_equal(attr_get_int(attr_msg_top(&m), "a", &v), ATTR_FOUND);
    assert_int_equal(v, 1);
    assert_int_equal(attr_get_list(attr_msg_top(&m), "r", &list), ATTR_FOUND);
    assert_int_equal(attr_get_int(attr_list_at(list, 1), "a", &v), ATTR_FOUND);
    assert_int_equal(v, 3);
    attr_msg_free(&m);
    buf_release(&b);
}

/* The size limit holds before the announced bytes arrive. */
static void test_size_limit_before_data(void **state)
{
    struct attr_limits lim;

    (void)state;
    attr_limits_init(&lim);
    lim.max_msg_size = 100;
    expect_bad(&lim, RAW("S\x01s\x00\x00\x00\x60"), "message exceeds size limit 100 at offset 7",
               7);
    /* 100 bytes without an end marker: the 101st byte can never fit. */
    expect_bad(&lim,
               RAW("S\x01s\x00\x00\x00\x5d" /* 7 + 93 = 100 bytes */
                   "0123456789012345678901234567890123456789"
                   "0123456789012345678901234567890123456789"
                   "0123456789012"),
               "message exceeds size limit 100 at offset 100", 100);
}

static void test_many_lookups(void **state)
{
    struct attr_limits lim;
    struct buf b = BUF_INIT;
    struct attr_msg m;
    char name[32];
    char want[64];
    uint32_t v, i;
    size_t off;

    (void)state;
    attr_limits_init(&lim);
    lim.max_attrs = 5000;
    for (i = 5000; i > 0; i--) {
        snprintf(name, sizeof(name), "n%u", i);
        attr_put_int(&b, name, i);
    }
    attr_put_end(&b);
    attr_msg_init(&m, &lim);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    for (i = 1; i <= 5000; i++) {
        snprintf(name, sizeof(name), "n%u", i);
        v = 0;
        assert_int_equal(attr_get_int(attr_msg_top(&m), name, &v), ATTR_FOUND);
        assert_int_equal(v, i);
    }
    assert_int_equal(attr_get_int(attr_msg_top(&m), "n0", &v), ATTR_MISSING);
    assert_int_equal(attr_get_int(attr_msg_top(&m), "n5001", &v), ATTR_MISSING);
    /* One more attribute than allowed. */
    buf_truncate(&b, buf_len(&b) - 1);
    off = buf_len(&b);
    attr_put_int(&b, "extra", 0);
    attr_put_end(&b);
    snprintf(want, sizeof(want), "too many attributes (limit 5000) at offset %zu", off);
    expect_bad(&lim, buf_str(&b), buf_len(&b), want, off);
    attr_msg_free(&m);
    buf_release(&b);
}

static void test_announce(void **state)
{
    struct buf b = BUF_INIT;
    struct buf err = BUF_INIT;
    struct attr_msg m;

    (void)state;
    attr_put_announce(&b, "cleanup", 2);
    attr_put_end(&b);
    attr_msg_init(&m, NULL);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    assert_int_equal(attr_check_announce(&m, "cleanup", 2, 2, &err), ATTR_OK);
    assert_int_equal(attr_check_announce(&m, "cleanup", 1, 3, &err), ATTR_OK);
    assert_int_equal(attr_check_announce(&m, "cleanup", 1, 1, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err), "unsupported protocol version: expected cleanup version 1, "
                                       "peer announced cleanup version 2");
    assert_int_equal(attr_check_announce(&m, "cleanup", 3, 4, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err), "unsupported protocol version: expected cleanup version "
                                       "3..4, peer announced cleanup version 2");
    assert_int_equal(attr_check_announce(&m, "qmgr", 2, 2, NULL), ATTR_BAD);
    assert_int_equal(attr_check_announce(&m, "cleanupx", 2, 2, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err), "wrong protocol: expected cleanupx version 2, "
                                       "peer announced cleanup version 2");
    assert_int_equal(attr_check_announce(&m, "cleanu", 2, 2, &err), ATTR_BAD);

    buf_reset(&b);
    attr_put_cstr(&b, "protocol", "cleanup"); /* an attribute is not an announcement */
    attr_put_end(&b);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    assert_int_equal(attr_check_announce(&m, "cleanup", 1, 1, &err), ATTR_BAD);
    assert_string_equal(buf_str(&err), "no protocol announcement: expected cleanup version 1");
    attr_msg_free(&m);
    buf_release(&b);
    buf_release(&err);
}

static void test_dump(void **state)
{
    static const char want[] = "announce cleanup 1\n"
                               "int zero 0\n"
                               "int umax 4294967295\n"
                               "long lmin -9223372036854775808\n"
                               "long minus1 -1\n"
                               "long lmax 9223372036854775807\n"
                               "ulong uzero 0\n"
                               "ulong ulmax 18446744073709551615\n"
                               "str empty \"\"\n"
                               "str binary \"a\\x00b\\xff\\x0a\"\n"
                               "str sender \"MAILER-DAEMON@example.com\"\n"
                               "list rcpt 3\n"
                               "  entry 0\n"
                               "    str address \"one@example.com\"\n"
                               "    str orig_rcpt \"One@Example.COM\"\n"
                               "    ulong offset 1234\n"
                               "    int dsn_notify 6\n"
                               "  entry 1\n"
                               "    str address \"two@example.com\"\n"
                               "    str orig_rcpt \"\"\n"
                               "    ulong offset 99999999999\n"
                               "    int dsn_notify 0\n"
                               "  entry 2\n"
                               "list empty_list 0\n"
                               "long after_lists 7\n"
                               "end\n";
    struct buf b = BUF_INIT;
    struct buf out = BUF_INIT;
    struct attr_msg m;

    (void)state;
    encode_everything(&b);
    attr_msg_init(&m, NULL);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    attr_dump(&m, &out);
    assert_string_equal(buf_str(&out), want);

    /* Quotes and backslashes are escaped so the form stays unambiguous. */
    buf_reset(&b);
    attr_put_cstr(&b, "q", "say \"hi\" \\ \x7f~");
    attr_put_end(&b);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    buf_reset(&out);
    attr_dump(&m, &out);
    assert_string_equal(buf_str(&out), "str q \"say \\\"hi\\\" \\\\ \\x7f~\"\nend\n");
    attr_msg_free(&m);
    buf_release(&b);
    buf_release(&out);
}

/* After a failure the message is empty and can be decoded into again. */
static void test_reuse_after_bad(void **state)
{
    struct buf b = BUF_INIT;
    struct attr_msg m;
    size_t used;
    uint32_t v = 0;

    (void)state;
    attr_put_int(&b, "x", 5);
    attr_put_end(&b);
    attr_msg_init(&m, NULL);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    assert_int_equal(attr_decode(RAW("?"), &used, &m, NULL), ATTR_BAD);
    assert_int_equal(attr_get_int(attr_msg_top(&m), "x", &v), ATTR_MISSING);
    assert_int_equal(attr_decode(buf_str(&b), 3, &used, &m, NULL), ATTR_NEED_MORE);
    assert_int_equal(m.top.count, 0);
    decode_ok(buf_str(&b), buf_len(&b), &m);
    assert_int_equal(attr_get_int(attr_msg_top(&m), "x", &v), ATTR_FOUND);
    assert_int_equal(v, 5);
    assert_int_equal(attr_decode(NULL, 0, &used, &m, NULL), ATTR_NEED_MORE);
    assert_int_equal(used, 1);
    attr_msg_free(&m);
    attr_msg_free(&m); /* idempotent */
    buf_release(&b);
}

/* Programming errors panic (abort) instead of writing a bad message. */
static void put_empty_name(void *arg)
{
    attr_put_int(arg, "", 1);
}

static void put_space_name(void *arg)
{
    attr_put_cstr(arg, "a b", "x");
}

static void put_long_name(void *arg)
{
    char name[300];

    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    attr_list_begin(arg, name);
}

static void list_at_past_end(void *arg)
{
    struct attr_list list = {NULL, 0};

    (void)arg;
    (void)attr_list_at(&list, 0);
}

static void bad_limits(void *arg)
{
    struct attr_limits lim;
    struct attr_msg m;

    (void)arg;
    attr_limits_init(&lim);
    lim.max_name_len = 256;
    attr_msg_init(&m, &lim);
}

static void test_panics(void **state)
{
    void (*fns[])(void *) = {put_empty_name, put_space_name, put_long_name, list_at_past_end,
                             bad_limits};
    struct unit_child *res = mem_alloc(sizeof(*res));
    struct buf b = BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        assert_int_equal(unit_child_run(fns[i], &b, res), 0);
        assert_int_equal(unit_child_signal(res), SIGABRT);
        assert_non_null(strstr(res->err, "panic"));
    }
    mem_free(res);
    buf_release(&b);
}

/* ----------------------------------------------------------------- golden */

/* Golden .in syntax (also in data/attr/README): hex byte pairs, "literal
 * text", # comments, and %limit=N directives; whitespace separates. */
static int golden_parse(const char *text, struct buf *bytes, struct attr_limits *lim,
                        struct buf *why)
{
    const char *p = text;

    while (*p) {
        if (isspace((unsigned char)*p)) {
            p++;
        } else if (*p == '#') {
            while (*p && *p != '\n')
                p++;
        } else if (*p == '"') {
            const char *end = strchr(p + 1, '"');

            if (end == NULL) {
                buf_set(why, "unterminated string");
                return -1;
            }
            buf_append(bytes, p + 1, (size_t)(end - p - 1));
            p = end + 1;
        } else if (*p == '%') {
            char key[32];
            unsigned long val;
            int n = 0;

            if (sscanf(p, "%%%31[a-z_]=%lu%n", key, &val, &n) != 2 || n == 0) {
                buf_printf(why, "bad directive near \"%.20s\"", p);
                return -1;
            }
            if (strcmp(key, "max_name_len") == 0)
                lim->max_name_len = val;
            else if (strcmp(key, "max_str_len") == 0)
                lim->max_str_len = val;
            else if (strcmp(key, "max_attrs") == 0)
                lim->max_attrs = val;
            else if (strcmp(key, "max_msg_size") == 0)
                lim->max_msg_size = val;
            else {
                buf_printf(why, "unknown limit %s", key);
                return -1;
            }
            p += n;
        } else if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
            char hex[3] = {p[0], p[1], '\0'};

            buf_append_char(bytes, (int)strtoul(hex, NULL, 16));
            p += 2;
        } else {
            buf_printf(why, "bad input near \"%.20s\"", p);
            return -1;
        }
    }
    return 0;
}

/* What a golden .ref holds: each message's dump, then how the input ended. */
static void golden_run(const struct buf *in, const struct attr_limits *lim, struct buf *out)
{
    struct buf err = BUF_INIT;
    struct attr_msg m;
    size_t pos = 0, used, n = 0;
    enum attr_status st;

    attr_msg_init(&m, lim);
    while (pos < buf_len(in)) {
        st = attr_decode(buf_str(in) + pos, buf_len(in) - pos, &used, &m, &err);
        if (st == ATTR_OK) {
            buf_printf(out, "== message %zu, %zu bytes\n", ++n, used);
            attr_dump(&m, out);
            pos += used;
        } else if (st == ATTR_NEED_MORE) {
            buf_printf(out, "== incomplete: %zu bytes, at least %zu needed\n", buf_len(in) - pos,
                       used);
            break;
        } else {
            buf_printf(out, "== bad: %s\n", buf_str(&err));
            break;
        }
    }
    attr_msg_free(&m);
    buf_release(&err);
}

static int golden_read(const char *path, struct buf *out)
{
    FILE *fp = fopen(path, "rb");
    char chunk[4096];
    size_t n;

    if (fp == NULL)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        buf_append(out, chunk, n);
    fclose(fp);
    return 0;
}

static int golden_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden(void **state)
{
    const char *top = getenv("top_srcdir");
    const char *rewrite = getenv("ATTR_GOLDEN_WRITE");
    struct buf dir = BUF_INIT, path = BUF_INIT, text = BUF_INIT;
    struct buf bytes = BUF_INIT, got = BUF_INIT, want = BUF_INIT, why = BUF_INIT;
    struct dirent *de;
    char **names = NULL;
    size_t count = 0, i, len;
    DIR *dp;

    (void)state;
    buf_printf(&dir, "%s/tests/unit/data/attr", top && *top ? top : ".");
    dp = opendir(buf_str(&dir));
    if (dp == NULL)
        fail_msg("cannot open %s: %s", buf_str(&dir), strerror(errno));
    while ((de = readdir(dp)) != NULL) {
        len = strlen(de->d_name);
        if (len > 3 && strcmp(de->d_name + len - 3, ".in") == 0) {
            names = mem_realloc_array(names, count + 1, sizeof(*names));
            names[count++] = mem_strndup(de->d_name, len - 3);
        }
    }
    closedir(dp);
    if (count > 1)
        qsort(names, count, sizeof(*names), golden_cmp);
    assert_true(count >= 10); /* a missing data directory must not pass */

    for (i = 0; i < count; i++) {
        struct attr_limits lim;

        attr_limits_init(&lim);
        buf_reset(&text);
        buf_reset(&bytes);
        buf_reset(&got);
        buf_reset(&want);
        buf_reset(&why);
        buf_reset(&path);
        buf_printf(&path, "%s/%s.in", buf_str(&dir), names[i]);
        if (golden_read(buf_str(&path), &text) < 0)
            fail_msg("cannot read %s", buf_str(&path));
        if (golden_parse(buf_str(&text), &bytes, &lim, &why) < 0)
            fail_msg("%s: %s", buf_str(&path), buf_str(&why));
        golden_run(&bytes, &lim, &got);
        buf_reset(&path);
        buf_printf(&path, "%s/%s.ref", buf_str(&dir), names[i]);
        if (rewrite && *rewrite) {
            FILE *fp = fopen(buf_str(&path), "wb");

            assert_non_null(fp);
            assert_int_equal(fwrite(buf_str(&got), 1, buf_len(&got), fp), buf_len(&got));
            assert_int_equal(fclose(fp), 0);
        } else {
            if (golden_read(buf_str(&path), &want) < 0)
                fail_msg("cannot read %s", buf_str(&path));
            if (strcmp(buf_str(&got), buf_str(&want)) != 0)
                fail_msg("%s differs; got:\n%s", buf_str(&path), buf_str(&got));
        }
        mem_free(names[i]);
    }
    mem_free(names);
    buf_release(&dir);
    buf_release(&path);
    buf_release(&text);
    buf_release(&bytes);
    buf_release(&got);
    buf_release(&want);
    buf_release(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_bytes),
        cmocka_unit_test(test_roundtrip_all_types),
        cmocka_unit_test(test_max_lengths),
        cmocka_unit_test(test_every_prefix_needs_more),
        cmocka_unit_test(test_message_sequence),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_same_name_in_other_groups),
        cmocka_unit_test(test_size_limit_before_data),
        cmocka_unit_test(test_many_lookups),
        cmocka_unit_test(test_announce),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_reuse_after_bad),
        cmocka_unit_test(test_panics),
        cmocka_unit_test(test_golden),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
