/*
 * test_buf.c - unit tests for lib/util/buf.c (growable byte buffers).
 *
 * Checks the invariants of buf.h after every kind of change: data[len] is a
 * NUL, len counts embedded NULs, cap leaves room for the NUL, an empty buffer
 * owns no memory. Growth is exercised at the 32-byte first allocation and at
 * 1 MiB; the SIZE_MAX reserve is fatal and runs in a forked child. Aliasing
 * (a buffer fed its own bytes) is tested only where the module can honour it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "unit_child.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"

#define TEST_PROGNAME "test_buf"
#define TEST_MIB      ((size_t)1 << 20)

/* The invariants every public operation must leave behind. */
static void assert_buf_sane(const struct buf *b)
{
    assert_non_null(b->data);
    if (b->cap == 0) {
        assert_int_equal(b->len, 0);
    } else {
        assert_true(b->len < b->cap);
    }
    assert_int_equal(b->data[b->len], '\0');
}

/* Deterministic, non-repeating-at-small-period content for growth tests. */
static char pattern_byte(size_t i)
{
    return (char)('a' + (i * 7 + i / 26) % 26);
}

static void test_empty_static_and_init(void **state)
{
    struct buf s = BUF_INIT;
    struct buf b;

    assert_string_equal(buf_str(&s), "");
    assert_int_equal(buf_len(&s), 0);
    assert_int_equal(s.cap, 0);
    buf_init(&b);
    assert_string_equal(buf_str(&b), "");
    assert_int_equal(buf_len(&b), 0);
    assert_int_equal(b.cap, 0);
    /* Operations that add nothing must not allocate. */
    buf_append(&b, "ignored", 0);
    buf_append_str(&b, "");
    buf_truncate(&b, 0);
    buf_truncate(&b, 5);
    buf_reset(&b);
    assert_int_equal(b.cap, 0);
    assert_buf_sane(&b);
    buf_release(&b); /* releasing an empty buffer is a no-op */
    buf_release(&s);
    assert_int_equal(b.cap, 0);
    assert_string_equal(buf_str(&b), "");
}

static void test_new_free(void **state)
{
    struct buf *b = buf_new();

    assert_non_null(b);
    assert_string_equal(buf_str(b), "");
    assert_int_equal(buf_len(b), 0);
    assert_int_equal(b->cap, 0);
    buf_append_str(b, "data");
    assert_string_equal(buf_str(b), "data");
    buf_free(b);
    buf_free(NULL);
}

static void test_release_reuse(void **state)
{
    struct buf b = BUF_INIT;

    buf_append_str(&b, "first");
    buf_release(&b);
    assert_int_equal(b.cap, 0);
    assert_int_equal(buf_len(&b), 0);
    assert_string_equal(buf_str(&b), "");
    buf_append_str(&b, "second");
    assert_string_equal(buf_str(&b), "second");
    buf_release(&b);
}

/* Appending n bytes to an empty buffer, in one call and byte by byte. */
static void check_append_size(size_t n)
{
    struct buf one = BUF_INIT;
    struct buf many = BUF_INIT;
    char *src = mem_alloc(n);
    size_t i;

    for (i = 0; i < n; i++)
        src[i] = pattern_byte(i);
    buf_append(&one, src, n);
    assert_int_equal(buf_len(&one), n);
    assert_memory_equal(buf_str(&one), src, n);
    assert_buf_sane(&one);
    for (i = 0; i < n; i++) {
        buf_append_char(&many, src[i]);
        assert_int_equal(many.data[many.len], '\0');
    }
    assert_int_equal(buf_len(&many), n);
    assert_memory_equal(buf_str(&many), src, n);
    assert_buf_sane(&many);
    /* One more byte after reaching exactly n must still fit and terminate. */
    buf_append_char(&one, '!');
    assert_int_equal(buf_len(&one), n + 1);
    assert_int_equal(one.data[n], '!');
    assert_buf_sane(&one);
    mem_free(src);
    buf_release(&one);
    buf_release(&many);
}

static void test_append_growth_boundaries(void **state)
{
    /* 31 + NUL fills a 32-byte first allocation exactly; 32 and 33 force growth. */
    check_append_size(1);
    check_append_size(31);
    check_append_size(32);
    check_append_size(33);
    check_append_size(63);
    check_append_size(64);
    check_append_size(65);
}

static void test_append_mib(void **state)
{
    check_append_size(TEST_MIB - 1);
    check_append_size(TEST_MIB);
    check_append_size(TEST_MIB + 1);
}

static void test_append_mixed_chunks(void **state)
{
    /* Chunks of varying size straddle every growth step up to 1 MiB. */
    struct buf b = BUF_INIT;
    char chunk[97];
    size_t total = 0;
    size_t k = 0;
    size_t i;

    while (total < TEST_MIB) {
        size_t n = (k++ % sizeof(chunk)) + 1;

        for (i = 0; i < n; i++)
            chunk[i] = pattern_byte(total + i);
        buf_append(&b, chunk, n);
        total += n;
        assert_int_equal(buf_len(&b), total);
        assert_int_equal(b.data[total], '\0');
    }
    for (i = 0; i < total; i++) {
        if (b.data[i] != pattern_byte(i))
            fail_msg("byte %zu is '%c', expected '%c'", i, b.data[i], pattern_byte(i));
    }
    buf_release(&b);
}

static void test_binary_with_nuls(void **state)
{
    static const char bin[] = {'a', '\0', 'b', '\0', '\0', 'c'};
    struct buf b = BUF_INIT;

    buf_append(&b, bin, sizeof(bin));
    assert_int_equal(buf_len(&b), sizeof(bin));
    assert_memory_equal(buf_str(&b), bin, sizeof(bin));
    assert_int_equal(b.data[sizeof(bin)], '\0');
    assert_int_equal(strlen(buf_str(&b)), 1); /* a C-string view stops at the first NUL */
    buf_append_char(&b, '\0');
    assert_int_equal(buf_len(&b), sizeof(bin) + 1);
    assert_int_equal(b.data[sizeof(bin)], '\0');
    assert_buf_sane(&b);
    buf_set_mem(&b, "\0\0", 2);
    assert_int_equal(buf_len(&b), 2);
    assert_memory_equal(buf_str(&b), "\0\0\0", 3);
    buf_release(&b);
}

static void test_truncate(void **state)
{
    struct buf b = BUF_INIT;

    buf_set(&b, "hello");
    buf_truncate(&b, 100); /* beyond len: no-op, never extends */
    assert_int_equal(buf_len(&b), 5);
    assert_string_equal(buf_str(&b), "hello");
    buf_truncate(&b, SIZE_MAX);
    assert_int_equal(buf_len(&b), 5);
    buf_truncate(&b, 5); /* at len: no-op */
    assert_string_equal(buf_str(&b), "hello");
    buf_truncate(&b, 2);
    assert_int_equal(buf_len(&b), 2);
    assert_string_equal(buf_str(&b), "he");
    assert_buf_sane(&b);
    buf_truncate(&b, 0);
    assert_int_equal(buf_len(&b), 0);
    assert_string_equal(buf_str(&b), "");
    buf_release(&b);
}

static void test_reset_keeps_capacity(void **state)
{
    struct buf b = BUF_INIT;
    const char *before;
    size_t cap;

    buf_set(&b, "some text that needs memory");
    before = buf_str(&b);
    cap = b.cap;
    buf_reset(&b);
    assert_int_equal(buf_len(&b), 0);
    assert_string_equal(buf_str(&b), "");
    assert_ptr_equal(buf_str(&b), before);
    assert_int_equal(b.cap, cap);
    buf_append_str(&b, "again");
    assert_string_equal(buf_str(&b), "again");
    assert_ptr_equal(buf_str(&b), before);
    buf_release(&b);
}

static void test_set_replaces(void **state)
{
    struct buf b = BUF_INIT;

    buf_set(&b, "a much longer first value");
    buf_set(&b, "short");
    assert_int_equal(buf_len(&b), 5);
    assert_string_equal(buf_str(&b), "short");
    buf_set(&b, "");
    assert_int_equal(buf_len(&b), 0);
    assert_string_equal(buf_str(&b), "");
    buf_set_mem(&b, "xyz", 3);
    assert_string_equal(buf_str(&b), "xyz");
    buf_set_mem(&b, "ignored", 0);
    assert_int_equal(buf_len(&b), 0);
    assert_string_equal(buf_str(&b), "");
    buf_release(&b);
}

static void test_reserve(void **state)
{
    struct buf b = BUF_INIT;
    const char *data;
    size_t i;

    buf_reserve(&b, 100);
    assert_true(b.cap >= 101);
    assert_int_equal(buf_len(&b), 0);
    assert_string_equal(buf_str(&b), ""); /* a fresh allocation is terminated */
    buf_append_str(&b, "0123456789");
    buf_reserve(&b, 1000);
    assert_true(b.cap >= 10 + 1000 + 1);
    assert_string_equal(buf_str(&b), "0123456789"); /* content survives */
    /* Appends within the reserved room never move the data. */
    data = buf_str(&b);
    for (i = 0; i < 1000; i++)
        buf_append_char(&b, 'r');
    assert_ptr_equal(buf_str(&b), data);
    assert_int_equal(buf_len(&b), 1010);
    assert_buf_sane(&b);
    buf_release(&b);
}

struct reserve_req {
    struct buf *b;
    size_t extra;
};

static void child_reserve(void *arg)
{
    const struct reserve_req *req = arg;

    buf_reserve(req->b, req->extra);
}

static void assert_reserve_fatal(struct buf *b, size_t extra)
{
    struct reserve_req req = {b, extra};
    static const char expect[] = TEST_PROGNAME ": fatal: size overflow: ";
    struct unit_child res;

    assert_int_equal(unit_child_run(child_reserve, &req, &res), 0);
    assert_false(res.timed_out);
    assert_int_equal(unit_child_exit_code(&res), 1);
    assert_true(strncmp(res.err, expect, strlen(expect)) == 0);
    /* Exactly one complete line. */
    assert_non_null(strchr(res.err, '\n'));
    assert_ptr_equal(strchr(res.err, '\n'), res.err + res.err_len - 1);
}

static void test_reserve_overflow_fatal(void **state)
{
    struct buf b = BUF_INIT;

    /* Empty buffer: len + SIZE_MAX fits, the +1 for the NUL overflows. */
    assert_reserve_fatal(&b, SIZE_MAX);
    /* Non-empty: len + extra == SIZE_MAX exactly, still no room for the NUL. */
    buf_set(&b, "0123456789");
    assert_reserve_fatal(&b, SIZE_MAX - 10);
    /* len + extra itself wraps. */
    assert_reserve_fatal(&b, SIZE_MAX);
    assert_reserve_fatal(&b, SIZE_MAX - 9);
    /* The parent's buffer is untouched by what happened in the children. */
    assert_string_equal(buf_str(&b), "0123456789");
    buf_release(&b);
}

static void test_printf_appends(void **state)
{
    struct buf b = BUF_INIT;

    buf_printf(&b, "%s", ""); /* empty output on an empty buffer */
    assert_int_equal(buf_len(&b), 0);
    assert_string_equal(buf_str(&b), "");
    assert_buf_sane(&b);
    buf_append_str(&b, "x=");
    buf_printf(&b, "%d", 42);
    buf_printf(&b, ", y=%s, z=%zu", "abc", (size_t)7);
    assert_string_equal(buf_str(&b), "x=42, y=abc, z=7");
    assert_int_equal(buf_len(&b), strlen("x=42, y=abc, z=7"));
    buf_reset(&b);
    /* Crossing the first growth step inside one printf. */
    buf_append_str(&b, "0123456789012345678901234567"); /* 28 bytes */
    buf_printf(&b, "%05d", 12345);
    assert_int_equal(buf_len(&b), 33);
    assert_string_equal(buf_str(&b), "012345678901234567890123456712345");
    assert_buf_sane(&b);
    buf_release(&b);
}

static void test_printf_long(void **state)
{
    struct buf b = BUF_INIT;
    size_t n = 10000; /* well past any 4096-byte stack buffer */
    char *big = mem_alloc(n + 1);
    size_t i;

    memset(big, 'q', n);
    big[n] = '\0';
    buf_append_str(&b, "<");
    buf_printf(&b, "%s|%d|%s", big, -1, big);
    assert_int_equal(buf_len(&b), 1 + n + 4 + n);
    assert_int_equal(b.data[0], '<');
    for (i = 1; i <= n; i++)
        assert_int_equal(b.data[i], 'q');
    assert_memory_equal(b.data + 1 + n, "|-1|", 4);
    assert_int_equal(b.data[b.len - 1], 'q');
    assert_buf_sane(&b);
    /* A width-generated long string (no long argument). */
    buf_reset(&b);
    buf_printf(&b, "%*d", 5000, 9);
    assert_int_equal(buf_len(&b), 5000);
    assert_int_equal(b.data[4999], '9');
    assert_int_equal(b.data[0], ' ');
    assert_buf_sane(&b);
    mem_free(big);
    buf_release(&b);
}

static void test_steal(void **state)
{
    struct buf b = BUF_INIT;
    char *s;

    buf_append_str(&b, "owned");
    s = buf_steal(&b);
    assert_string_equal(s, "owned");
    assert_int_equal(buf_len(&b), 0);
    assert_int_equal(b.cap, 0);
    assert_string_equal(buf_str(&b), "");
    assert_ptr_not_equal(buf_str(&b), s);
    /* The buffer is immediately reusable and independent of the stolen string. */
    buf_append_str(&b, "fresh");
    assert_string_equal(buf_str(&b), "fresh");
    assert_string_equal(s, "owned");
    mem_free(s);
    buf_reset(&b);
    s = buf_steal(&b); /* allocated but empty */
    assert_string_equal(s, "");
    mem_free(s);
    /* Stealing from a never-allocated buffer still yields a freeable string. */
    s = buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(b.cap, 0);
    mem_free(s);
    buf_release(&b);
}

/*
 * Aliasing. buf_append() copies with memmove() after buf_reserve(), so a
 * source inside the buffer is safe exactly when no reallocation happens:
 * either the caller reserved the room first, or (buf_set_mem) the new content
 * is no longer than the old. Appending a buffer to itself without a reserve
 * may read freed memory and is NOT supported; it is deliberately not tested.
 */
static void test_self_append_after_reserve(void **state)
{
    struct buf b = BUF_INIT;
    const char *data;

    buf_set(&b, "abcdef");
    buf_reserve(&b, buf_len(&b));
    data = buf_str(&b);
    buf_append(&b, b.data, b.len);
    assert_ptr_equal(buf_str(&b), data);
    assert_string_equal(buf_str(&b), "abcdefabcdef");
    buf_reserve(&b, 3);
    buf_append(&b, b.data + 3, 3); /* a slice from the middle */
    assert_string_equal(buf_str(&b), "abcdefabcdefdef");
    assert_buf_sane(&b);
    buf_release(&b);
}

static void test_set_mem_own_suffix(void **state)
{
    struct buf b = BUF_INIT;

    /* The usual "keep the unconsumed tail" idiom: source overlaps the target. */
    buf_set(&b, "consumed|tail part");
    buf_set_mem(&b, b.data + 9, b.len - 9);
    assert_int_equal(buf_len(&b), 9);
    assert_string_equal(buf_str(&b), "tail part");
    buf_set(&b, "ab");
    buf_set_mem(&b, b.data + 1, 1);
    assert_string_equal(buf_str(&b), "b");
    assert_buf_sane(&b);
    buf_release(&b);
}

/* Tests that may fail get their buffer from a fixture, so a failed assert
 * does not leak it (the teardown runs either way). */
static int setup_buf(void **state)
{
    *state = buf_new();
    return 0;
}

static int teardown_buf(void **state)
{
    buf_free(*state);
    return 0;
}

/* BUG: buf_set_mem() with data == b->data (a prefix of, or the whole, own
 * content) returns a buffer whose first byte is NUL: buf_reset() stores '\0'
 * at data[0] (buf.c buf_truncate) before buf_append() copies from data. This
 * test fails until buf_set_mem copies before terminating. */
static void test_set_mem_own_prefix(void **state)
{
    struct buf *b = *state;

    buf_set(b, "hello world");
    buf_set_mem(b, b->data, 5);
    assert_int_equal(buf_len(b), 5);
    assert_memory_equal(buf_str(b), "hello", 6);
    buf_set_mem(b, b->data, b->len); /* set to itself: must be a no-op */
    assert_memory_equal(buf_str(b), "hello", 6);
}

/* BUG: buf_set(b, buf_str(b)) empties the buffer instead of leaving it
 * unchanged: buf_reset() writes '\0' at data[0], so the strlen() in
 * buf_append_str() then sees "". Same root cause as above (buf.c buf_set). */
static void test_set_own_string(void **state)
{
    struct buf *b = *state;

    buf_set(b, "same");
    buf_set(b, buf_str(b));
    assert_string_equal(buf_str(b), "same");
    assert_int_equal(buf_len(b), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_static_and_init),
        cmocka_unit_test(test_new_free),
        cmocka_unit_test(test_release_reuse),
        cmocka_unit_test(test_append_growth_boundaries),
        cmocka_unit_test(test_append_mib),
        cmocka_unit_test(test_append_mixed_chunks),
        cmocka_unit_test(test_binary_with_nuls),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_reset_keeps_capacity),
        cmocka_unit_test(test_set_replaces),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_reserve_overflow_fatal),
        cmocka_unit_test(test_printf_appends),
        cmocka_unit_test(test_printf_long),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_self_append_after_reserve),
        cmocka_unit_test(test_set_mem_own_suffix),
        cmocka_unit_test_setup_teardown(test_set_mem_own_prefix, setup_buf, teardown_buf),
        cmocka_unit_test_setup_teardown(test_set_own_string, setup_buf, teardown_buf),
    };

    msg_init(TEST_PROGNAME);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
