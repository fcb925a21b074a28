/*
 * test_queue_dir.c - unit tests for lib/mail/queue_dir.c.
 *
 * Each test builds a private queue directory (queue_fixture.h) and checks
 * layouts (hashed and flat, both ID forms), refusals of bad names, moves
 * between queues (hash subdirectories made on demand, never replacing a
 * file) and the scanner (finds IDs at any hash depth, skips everything else).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/queue_dir.h"
#include "queue_fixture.h"
#include "util/buf.h"

static const char ID1[] = "5B9E8A72201";
static const char ID2[] = "5C862A7202F";
static const char LONG_ID[] = "4jXGhF2l6yz1bY2T";

static int setup(void **state)
{
    *state = queue_fixture_new("deferred, defer", 2, 0);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    return queue_fixture_free(*state) == 0 ? 0 : -1;
}

static void test_new_refuses(void **state)
{
    struct buf err = BUF_INIT;
    struct queue_dir *qd;

    (void)state;
    assert_null(queue_dir_new("/q", "deferred", 0, 0, &err));
    assert_non_null(strstr(buf_str(&err), "hash_queue_depth"));
    buf_reset(&err);
    assert_null(queue_dir_new("/q", "deferred", QUEUE_ID_HASH_MAX_DEPTH + 1, 0, &err));
    assert_non_null(strstr(buf_str(&err), "hash_queue_depth"));
    buf_reset(&err);
    assert_null(queue_dir_new("/q", "deferred, ../etc", 1, 0, &err));
    assert_string_equal(buf_str(&err), "hash_queue_names: unknown queue name \"../etc\"");
    buf_reset(&err);
    assert_null(queue_dir_new("", "deferred", 1, 0, &err));
    assert_non_null(strstr(buf_str(&err), "queue_directory"));

    qd = queue_dir_new("/q", " deferred,defer\thold ", 1, 1, &err);
    assert_non_null(qd);
    assert_true(queue_dir_is_hashed(qd, "deferred"));
    assert_true(queue_dir_is_hashed(qd, "defer"));
    assert_true(queue_dir_is_hashed(qd, "hold"));
    assert_false(queue_dir_is_hashed(qd, "incoming"));
    assert_false(queue_dir_is_hashed(qd, "nosuch"));
    assert_int_equal(queue_dir_long_ids(qd), 1);
    assert_int_equal(queue_dir_hash_depth(qd), 1);
    assert_string_equal(queue_dir_top(qd), "/q");
    queue_dir_free(qd);
    qd = queue_dir_new("/q", "", 1, 0, &err);
    assert_non_null(qd);
    assert_false(queue_dir_is_hashed(qd, "deferred"));
    queue_dir_free(qd);
    buf_release(&err);
}

static void test_names(void **state)
{
    (void)state;
    assert_true(queue_name_valid("maildrop"));
    assert_true(queue_name_valid("saved"));
    assert_true(queue_name_valid("flush"));
    assert_false(queue_name_valid("private"));
    assert_false(queue_name_valid(""));
    assert_false(queue_name_valid(".."));
    assert_false(queue_name_valid("deferred/"));
    assert_false(queue_name_valid(NULL));
}

static void test_paths(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf path = BUF_INIT, want = BUF_INIT;

    assert_int_equal(queue_dir_path(fx->qd, "deferred", ID1, &path), 0);
    buf_printf(&want, "%s/deferred/5/B/%s", fx->top, ID1);
    assert_string_equal(buf_str(&path), buf_str(&want));
    assert_int_equal(queue_dir_path_dir(fx->qd, "deferred", ID1, &path), 0);
    buf_reset(&want);
    buf_printf(&want, "%s/deferred/5/B", fx->top);
    assert_string_equal(buf_str(&path), buf_str(&want));
    assert_int_equal(queue_dir_path(fx->qd, "incoming", ID1, &path), 0);
    buf_reset(&want);
    buf_printf(&want, "%s/incoming/%s", fx->top, ID1);
    assert_string_equal(buf_str(&path), buf_str(&want));
    assert_int_equal(queue_dir_path_rel(fx->qd, "defer", LONG_ID, &path), 0);
    assert_string_equal(buf_str(&path), "defer/y/6/4jXGhF2l6yz1bY2T");
    assert_int_equal(queue_dir_path_rel(fx->qd, "hold", LONG_ID, &path), 0);
    assert_string_equal(buf_str(&path), "hold/4jXGhF2l6yz1bY2T");

    errno = 0;
    assert_int_equal(queue_dir_path(fx->qd, "..", ID1, &path), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(queue_dir_path(fx->qd, "incoming", "../../etc/passwd", &path), -1);
    assert_int_equal(queue_dir_path(fx->qd, "incoming", "..", &path), -1);
    assert_int_equal(queue_dir_path(fx->qd, "incoming", "", &path), -1);
    assert_int_equal(queue_dir_path(fx->qd, NULL, ID1, &path), -1);
    buf_release(&path);
    buf_release(&want);
}

static void test_rename_excl(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf a = BUF_INIT, b = BUF_INIT;

    assert_int_equal(queue_fixture_touch(fx, "incoming/a"), 0);
    assert_int_equal(queue_fixture_touch(fx, "incoming/b"), 0);
    buf_printf(&a, "%s/incoming/a", fx->top);
    buf_printf(&b, "%s/incoming/b", fx->top);
    errno = 0;
    assert_int_equal(queue_dir_rename_excl(buf_str(&a), buf_str(&b)), -1);
    assert_int_equal(errno, EEXIST);
    assert_true(queue_fixture_exists(fx, "incoming/a"));
    assert_int_equal(unlink(buf_str(&b)), 0);
    assert_int_equal(queue_dir_rename_excl(buf_str(&a), buf_str(&b)), 0);
    assert_false(queue_fixture_exists(fx, "incoming/a"));
    assert_true(queue_fixture_exists(fx, "incoming/b"));
    buf_release(&a);
    buf_release(&b);
}

static void test_move(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf err = BUF_INIT, path = BUF_INIT;

    assert_int_equal(queue_fixture_touch(fx, "incoming/5B9E8A72201"), 0);
    /* Into a hashed queue: deferred/5/B is made on demand. */
    assert_false(queue_fixture_exists(fx, "deferred/5"));
    assert_int_equal(queue_dir_move(fx->qd, "incoming", ID1, "deferred", &err), 0);
    assert_false(queue_fixture_exists(fx, "incoming/5B9E8A72201"));
    assert_true(queue_fixture_exists(fx, "deferred/5/B/5B9E8A72201"));
    assert_string_equal(queue_dir_find(fx->qd, ID1, NULL, &path), "deferred");
    /* Out of it, into a flat queue. */
    assert_int_equal(queue_dir_move(fx->qd, "deferred", ID1, "hold", &err), 0);
    assert_true(queue_fixture_exists(fx, "hold/5B9E8A72201"));
    assert_string_equal(queue_dir_find(fx->qd, ID1, NULL, &path), "hold");
    /* Gone: ENOENT, and no hash directory made for it. */
    errno = 0;
    assert_int_equal(queue_dir_move(fx->qd, "incoming", ID2, "defer", &err), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(buf_str(&err), "No such file"));
    assert_false(queue_fixture_exists(fx, "defer/5"));
    /* The target exists: EEXIST, both files stay. */
    assert_int_equal(queue_fixture_touch(fx, "incoming/5B9E8A72201"), 0);
    buf_reset(&err);
    errno = 0;
    assert_int_equal(queue_dir_move(fx->qd, "incoming", ID1, "hold", &err), -1);
    assert_int_equal(errno, EEXIST);
    assert_true(queue_fixture_exists(fx, "incoming/5B9E8A72201"));
    assert_true(queue_fixture_exists(fx, "hold/5B9E8A72201"));
    /* Bad names. */
    errno = 0;
    assert_int_equal(queue_dir_move(fx->qd, "incoming", ID1, "../x", &err), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(queue_dir_move(fx->qd, "incoming", "../x", "hold", &err), -1);
    assert_int_equal(errno, EINVAL);
    /* Not found anywhere; invalid ID. */
    assert_null(queue_dir_find(fx->qd, ID2, NULL, &path));
    assert_int_equal(errno, ENOENT);
    assert_null(queue_dir_find(fx->qd, "..", NULL, &path));
    assert_int_equal(errno, EINVAL);
    {
        static const char *const only_active[] = {"active", NULL};

        assert_null(queue_dir_find(fx->qd, ID1, only_active, &path));
    }
    buf_release(&err);
    buf_release(&path);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Scans queue and returns "where" paths, sorted, joined by spaces. */
static void scan_all(struct queue_fixture *fx, const char *queue, struct buf *out)
{
    struct buf err = BUF_INIT, where = BUF_INIT;
    struct queue_scan *scan;
    char id[QUEUE_ID_SIZE];
    char *list[64];
    size_t n = 0, i;
    int rc;

    scan = queue_scan_open(fx->qd, queue, &err);
    assert_non_null(scan);
    while ((rc = queue_scan_next(scan, id, sizeof(id), &where)) == 1) {
        assert_true(n < 64);
        /* where ends in the ID */
        assert_string_equal(buf_str(&where) + buf_len(&where) - strlen(id), id);
        list[n++] = buf_steal(&where);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(queue_scan_next(scan, id, sizeof(id), NULL), 0); /* stays done */
    queue_scan_close(scan);
    qsort(list, n, sizeof(list[0]), str_cmp);
    buf_reset(out);
    for (i = 0; i < n; i++) {
        if (i)
            buf_append_char(out, ' ');
        buf_append_str(out, list[i]);
        free(list[i]);
    }
    buf_release(&err);
    buf_release(&where);
}

static void test_scan(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf got = BUF_INIT, err = BUF_INIT, path = BUF_INIT;
    static const char *const dirs[] = {
        "deferred/5",  "deferred/5/B",   "deferred/C",       "deferred/5B9E8A72209",
        "deferred/AB", "deferred/5/B/9", "deferred/5/B/9/E", "deferred/5/B/9/E/8"};
    static const char *const files[] = {
        "deferred/5/B/5B9E8A72201",       /* current depth */
        "deferred/C/C0000A1",             /* an older depth 1 */
        "deferred/5/B/9/E/5B9E8A72202",   /* depth 4 */
        "deferred/5/B/9/E/8/5B9E8A72203", /* too deep: not found */
        "deferred/5C862A7202F",           /* flat, left from before hashing */
        "deferred/4jXGhF2l6yz1bY2T",      /* long */
        "deferred/tmp.123.0",             /* the writer's temporary name */
        "deferred/README",
        "deferred/5b9e8a72201", /* lower case: not an ID */
        "deferred/5B9E8A72201.lock",
        "deferred/.5B9E8A72201",
        "deferred/A",              /* a one-character file, not a directory */
        "deferred/AB/5B9E8A72204", /* inside a non-hash directory */
    };
    size_t i;

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        buf_reset(&path);
        buf_printf(&path, "%s/%s", fx->top, dirs[i]);
        assert_int_equal(mkdir(buf_str(&path), 0700), 0);
    }
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        assert_int_equal(queue_fixture_touch(fx, files[i]), 0);
    buf_reset(&path);
    buf_printf(&path, "%s/deferred/5B9E8A72205", fx->top);
    assert_int_equal(symlink("/etc/passwd", buf_str(&path)), 0); /* never yielded */

    scan_all(fx, "deferred", &got);
    assert_string_equal(buf_str(&got), "deferred/4jXGhF2l6yz1bY2T deferred/5/B/5B9E8A72201 "
                                       "deferred/5/B/9/E/5B9E8A72202 deferred/5C862A7202F "
                                       "deferred/C/C0000A1");
    scan_all(fx, "active", &got);
    assert_string_equal(buf_str(&got), "");

    assert_null(queue_scan_open(fx->qd, "private", &err));
    assert_int_equal(errno, EINVAL);
    buf_reset(&err);
    buf_reset(&path);
    buf_printf(&path, "%s/saved", fx->top);
    assert_int_equal(rmdir(buf_str(&path)), 0);
    assert_null(queue_scan_open(fx->qd, "saved", &err));
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(buf_str(&err), "saved"));
    buf_release(&got);
    buf_release(&err);
    buf_release(&path);
}

/* An ID longer than the caller's buffer is an error, not an overflow. */
static void test_scan_small_buffer(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf err = BUF_INIT;
    struct queue_scan *scan;
    char id[8];

    assert_int_equal(queue_fixture_touch(fx, "hold/5B9E8A72201"), 0);
    scan = queue_scan_open(fx->qd, "hold", &err);
    assert_non_null(scan);
    assert_int_equal(queue_scan_next(scan, id, sizeof(id), NULL), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    queue_scan_close(scan);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_refuses),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_excl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_small_buffer, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
