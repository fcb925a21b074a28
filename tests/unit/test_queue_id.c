/*
 * test_queue_id.c - unit tests for lib/mail/queue_id.c.
 *
 * Known IDs from the reference captures (a short "5B9E8A72201" and a long
 * "4jXGhF2l6yz1bY2T" made by Postfix) pin both layouts; the rest checks the
 * edges of validation (anything that could name another file must fail),
 * arrival-order sorting of long IDs and the hash subdirectories.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/queue_id.h"

static void test_make_short(void **state)
{
    struct timeval tv = {1795322543, 0x5B9E8};
    char id[QUEUE_ID_SIZE];

    (void)state;
    assert_int_equal(queue_id_make(id, sizeof(id), 0xA72201, &tv, 0), 11);
    assert_string_equal(id, "5B9E8A72201");
    tv.tv_usec = 0;
    assert_int_equal(queue_id_make(id, sizeof(id), 0, &tv, 0), 6);
    assert_string_equal(id, "000000");
    tv.tv_usec = 999999;
    assert_int_equal(queue_id_make(id, sizeof(id), UINT64_MAX, &tv, 0), 21);
    assert_string_equal(id, "F423FFFFFFFFFFFFFFFFF");
    assert_int_equal(queue_id_check(id), QUEUE_ID_SHORT);
}

static void test_make_long(void **state)
{
    /* Postfix made 4jXGhF2l6yz1bY2T at 1795322685 (postqueue -j). */
    struct timeval tv = {1795322685, 387034};
    struct queue_id_parts parts;
    char id[QUEUE_ID_SIZE];

    (void)state;
    assert_int_equal(queue_id_make(id, sizeof(id), 10952938, &tv, 1), 16);
    assert_string_equal(id, "4jXGhF2l6yz1bY2T");
    assert_int_equal(queue_id_check(id), QUEUE_ID_LONG);
    assert_int_equal(queue_id_parse(id, &parts), 0);
    assert_int_equal(parts.form, QUEUE_ID_LONG);
    assert_int_equal(parts.sec, 1795322685);
    assert_int_equal(parts.usec, 387034);
    assert_int_equal(parts.inode, 10952938);

    /* The widest: 64-bit inode, 12 base-51 digits. */
    assert_int_equal(queue_id_make(id, sizeof(id), UINT64_MAX, &tv, 1), QUEUE_ID_MAX_LEN);
    assert_int_equal(queue_id_parse(id, &parts), 0);
    assert_true(parts.inode == UINT64_MAX);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    assert_int_equal(queue_id_make(id, sizeof(id), 0, &tv, 1), 12);
    assert_string_equal(id, "0000000000z0");
}

static void test_make_refuses(void **state)
{
    struct timeval tv = {1, 1000000};
    char id[QUEUE_ID_SIZE];
    char small[QUEUE_ID_SIZE - 1];

    (void)state;
    assert_int_equal(queue_id_make(id, sizeof(id), 1, &tv, 0), -1);
    assert_int_equal(errno, EINVAL);
    tv.tv_usec = -1;
    assert_int_equal(queue_id_make(id, sizeof(id), 1, &tv, 1), -1);
    tv.tv_usec = 0;
    tv.tv_sec = -1;
    assert_int_equal(queue_id_make(id, sizeof(id), 1, &tv, 1), -1);
    tv.tv_sec = 19770609664L; /* 52^6: no longer fits six digits */
    assert_int_equal(queue_id_make(id, sizeof(id), 1, &tv, 1), -1);
    tv.tv_sec = 19770609663L;
    assert_int_equal(queue_id_make(id, sizeof(id), 1, &tv, 1), 12);
    assert_string_equal(id, "zzzzzz0000z1");
    assert_int_equal(queue_id_make(small, sizeof(small), 1, &tv, 1), -1);
    assert_int_equal(queue_id_make(NULL, 100, 1, &tv, 1), -1);
    assert_int_equal(queue_id_make(id, sizeof(id), 1, NULL, 1), -1);
}

static void test_check_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        ".",
        "..",
        "../5B9E8A72201",
        "5B9E8A72201/..",
        "5B9E8/A72201",
        "/5B9E8A72201",
        "5B9E8A72201/",
        "5B9E8",                    /* no inode */
        "5b9e8a72201",              /* lower-case hex */
        "5B9E8A7220G",              /* not hex */
        "F4240A72201",              /* microseconds 1000000 */
        "5B9E80A72201",             /* inode with a leading zero */
        "5B9E8A72201 ",             /* trailing blank */
        " 5B9E8A72201",             /* leading blank */
        "5B9E8A722\n01",            /* line break */
        "5B9E81234567890ABCDEF0",   /* 17 inode digits: 22 > 21 */
        "4jXGhF2l6yz",              /* long without inode */
        "4jXGhF2l6yz01",            /* long inode with a leading zero */
        "4jXGhF2l6yzz",             /* 'z' is not a base-51 digit */
        "4jXGhF2l6yz1bY2T/",        /* trailing slash */
        "4jXGhF2l6Az1bY2T",         /* vowel */
        "4jXGhFzzzzz1bY2T",         /* microseconds above 999999 */
        "4jXGhF2l6yzyyyyyyyyyyyy",  /* 12 inode digits that overflow 64 bits */
        "4jXGhF2l6yz1bY2T1bY2T1bY", /* overlong */
        "4jXGh-2l6yz1bY2T",
        "4jXGhF2l6y.1bY2T",
    };
    char longer[200];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (queue_id_check(bad[i]) != QUEUE_ID_INVALID)
            fail_msg("\"%s\" passed", bad[i]);
        assert_false(queue_id_valid(bad[i]));
        assert_int_equal(queue_id_parse(bad[i], NULL), -1);
    }
    assert_false(queue_id_valid(NULL));
    memset(longer, 'A', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_false(queue_id_valid(longer));
}

static void test_check_valid(void **state)
{
    static const char *const good_short[] = {"5B9E8A72201", "000000", "F423F1",
                                             "00000FFFFFFFFFFFFFFFF"};
    static const char *const good_long[] = {"4jXGhF2l6yz1bY2T", "0000000000z0",
                                            "zzzzzz70d0zyyyyyyyyyyy"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good_short) / sizeof(good_short[0]); i++)
        assert_int_equal(queue_id_check(good_short[i]), QUEUE_ID_SHORT);
    for (i = 0; i < sizeof(good_long) / sizeof(good_long[0]); i++)
        assert_int_equal(queue_id_check(good_long[i]), QUEUE_ID_LONG);
}

/* Round trip: every ID made checks, parses back to what made it, and has
 * only alphanumeric characters. */
static void test_round_trip(void **state)
{
    struct queue_id_parts parts;
    char id[QUEUE_ID_SIZE];
    struct timeval tv;
    uint64_t inode = 1;
    int i, form;

    (void)state;
    srandom(7);
    for (i = 0; i < 5000; i++) {
        tv.tv_sec = random() % 4000000000L;
        tv.tv_usec = random() % 1000000;
        inode = inode * 6364136223846793005ULL + 1442695040888963407ULL;
        form = i & 1;
        assert_true(queue_id_make(id, sizeof(id), inode >> (i % 64), &tv, form) > 0);
        assert_int_equal(
            strspn(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
            strlen(id));
        assert_int_equal(queue_id_parse(id, &parts), 0);
        assert_int_equal(parts.form, form ? QUEUE_ID_LONG : QUEUE_ID_SHORT);
        assert_true(parts.inode == inode >> (i % 64));
        assert_int_equal(parts.usec, tv.tv_usec);
        if (form)
            assert_int_equal(parts.sec, tv.tv_sec);
    }
}

/* 1000 long IDs made with increasing times (crossing microsecond and
 * second boundaries, with inodes in no order) sort in creation order. */
static void test_long_sorts(void **state)
{
    char prev[QUEUE_ID_SIZE], id[QUEUE_ID_SIZE];
    struct timeval tv = {1700000000, 999000};
    uint64_t inode;
    int i;

    (void)state;
    prev[0] = '\0';
    srandom(11);
    for (i = 0; i < 1000; i++) {
        tv.tv_usec += 1 + random() % 700;
        if (i % 97 == 0)
            tv.tv_usec += 999999; /* jump a second now and then */
        if (i == 500)
            tv.tv_sec = 1799999999; /* and a long time */
        while (tv.tv_usec >= 1000000) {
            tv.tv_usec -= 1000000;
            tv.tv_sec++;
        }
        inode = (uint64_t)random() * (uint64_t)random();
        assert_true(queue_id_make(id, sizeof(id), inode, &tv, 1) > 0);
        if (prev[0] != '\0' && strcmp(prev, id) >= 0)
            fail_msg("%s does not sort after %s", id, prev);
        memcpy(prev, id, sizeof(id));
    }
}

static void test_hash(void **state)
{
    char out[16];

    (void)state;
    assert_int_equal(queue_id_hash("5B9E8A72201", 1, out, sizeof(out)), 0);
    assert_string_equal(out, "5");
    assert_int_equal(queue_id_hash("5B9E8A72201", 2, out, sizeof(out)), 0);
    assert_string_equal(out, "5/B");
    assert_int_equal(queue_id_hash("5B9E8A72201", 4, out, sizeof(out)), 0);
    assert_string_equal(out, "5/B/9/E");
    /* Long IDs: microsecond digits, least significant first. */
    assert_int_equal(queue_id_hash("4jXGhF2l6yz1bY2T", 1, out, sizeof(out)), 0);
    assert_string_equal(out, "y");
    assert_int_equal(queue_id_hash("4jXGhF2l6yz1bY2T", 3, out, sizeof(out)), 0);
    assert_string_equal(out, "y/6/l");
    /* Refused: depth out of range, invalid ID, short buffer. */
    assert_int_equal(queue_id_hash("5B9E8A72201", 0, out, sizeof(out)), -1);
    assert_int_equal(queue_id_hash("5B9E8A72201", QUEUE_ID_HASH_MAX_DEPTH + 1, out, sizeof(out)),
                     -1);
    assert_int_equal(queue_id_hash("../x", 1, out, sizeof(out)), -1);
    assert_int_equal(queue_id_hash("5B9E8A72201", 2, out, 3), -1);
    assert_int_equal(queue_id_hash("5B9E8A72201", 2, out, 4), 0);
}

/* The hash of consecutive long IDs spreads over many directories, not one
 * per second as the first characters would. */
static void test_hash_spread(void **state)
{
    char id[QUEUE_ID_SIZE], out[4];
    int seen[256] = {0};
    struct timeval tv = {1700000000, 0};
    int i, dirs = 0;

    (void)state;
    for (i = 0; i < 1000; i++) {
        tv.tv_usec = i * 37;
        assert_true(queue_id_make(id, sizeof(id), (uint64_t)i + 100, &tv, 1) > 0);
        assert_int_equal(queue_id_hash(id, 1, out, sizeof(out)), 0);
        if (!seen[(unsigned char)out[0]]++)
            dirs++;
    }
    assert_int_equal(dirs, 52);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_short),   cmocka_unit_test(test_make_long),
        cmocka_unit_test(test_make_refuses), cmocka_unit_test(test_check_invalid),
        cmocka_unit_test(test_check_valid),  cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_long_sorts),   cmocka_unit_test(test_hash),
        cmocka_unit_test(test_hash_spread),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
