/*
 * test_dict_db.c - unit tests for lib/dict/dict_db.c: hash and btree builds
 * (atomic NAME.db.tmp + rename, duplicate policies and their warning), the
 * NUL key formats (-N/-n and reading both), update/delete in place, sequence
 * order, folding, and dict_changed() after a rebuild.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "dict/dict.h"
#include "test_dict_common.h"

static char dir[] = "/tmp/test_dict_db.XXXXXX";

static int group_setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    struct buf cmd = BUF_INIT;
    int rc;

    (void)state;
    buf_printf(&cmd, "rm -rf '%s'", dir);
    rc = system(buf_str(&cmd));
    buf_release(&cmd);
    buf_release(&warned);
    return rc == 0 ? 0 : -1;
}

static struct dict *db_open(const char *type, const char *name, int flags, struct buf *err)
{
    struct buf spec = BUF_INIT;
    struct dict *d;

    buf_printf(&spec, "%s:%s/%s", type, dir, name);
    d = dict_open(buf_str(&spec), flags, err);
    buf_release(&spec);
    return d;
}

static int exists(const char *name)
{
    struct buf path = BUF_INIT;
    struct stat st;
    int rc;

    buf_printf(&path, "%s/%s", dir, name);
    rc = stat(buf_str(&path), &st) == 0;
    buf_release(&path);
    return rc;
}

static void test_build_and_lookup(void **state)
{
    struct buf err = BUF_INIT;
    struct dict *d, *r;
    const char *v;

    (void)state;
    assert_null(db_open("hash", "t1", DICT_FLAGS_LOOKUP, &err));
    assert_non_null(strstr(buf_str(&err), "t1.db: No such file or directory"));
    d = db_open("hash", "t1", DICT_FLAGS_LOOKUP | DICT_FLAG_CREATE, &err);
    assert_non_null(d);
    assert_true(exists("t1.db.tmp"));
    assert_false(exists("t1.db")); /* nothing visible before the commit */
    assert_int_equal(dict_update(d, "Alice@Example.TEST", "a"), DICT_FOUND);
    assert_int_equal(dict_update(d, "alice@example.test", "second"), DICT_NOTFOUND);
    assert_non_null(strstr(buf_str(&warned), "/t1.db: duplicate entry: \"alice@example.test\""));
    assert_int_equal(dict_update(d, "dup", "1"), DICT_FOUND);
    dict_close(d);
    assert_true(exists("t1.db"));
    assert_false(exists("t1.db.tmp"));
    r = db_open("hash", "t1", DICT_FLAGS_LOOKUP, &err);
    assert_non_null(r);
    assert_int_equal(dict_lookup(r, "ALICE@example.test", &v), DICT_FOUND);
    assert_string_equal(v, "a");
    assert_int_equal(dict_lookup(r, "bob", &v), DICT_NOTFOUND);
    assert_false(dict_changed(r));
    /* A rebuild replaces the file: the open handle notices. */
    d = db_open("hash", "t1", DICT_FLAGS_LOOKUP | DICT_FLAG_CREATE, &err);
    assert_int_equal(dict_update(d, "bob", "b"), DICT_FOUND);
    dict_close(d);
    assert_true(dict_changed(r));
    assert_int_equal(dict_lookup(r, "alice@example.test", &v), DICT_FOUND); /* old snapshot */
    dict_close(r);
    r = db_open("hash", "t1", DICT_FLAGS_LOOKUP, &err);
    assert_int_equal(dict_lookup(r, "alice@example.test", &v), DICT_NOTFOUND);
    assert_int_equal(dict_lookup(r, "bob", &v), DICT_FOUND);
    dict_close(r);
    buf_release(&err);
}

static void test_duplicates(void **state)
{
    struct buf err = BUF_INIT;
    struct buf want = BUF_INIT;
    struct dict *d;
    const char *v;

    (void)state;
    d = db_open("hash", "t2", DICT_FLAGS_LOOKUP | DICT_FLAG_CREATE, &err);
    dict_update(d, "k", "first");
    assert_int_equal(dict_update(d, "K", "second"), DICT_NOTFOUND);
    buf_printf(&want, "%s/t2.db: duplicate entry: \"k\"\n", dir);
    assert_string_equal(buf_str(&warned), buf_str(&want));
    dict_close(d);
    buf_reset(&warned);
    d = db_open("hash", "t2", DICT_FLAG_FOLD | DICT_FLAG_DUP_IGNORE | DICT_FLAG_CREATE, &err);
    dict_update(d, "k", "first");
    assert_int_equal(dict_update(d, "k", "second"), DICT_NOTFOUND);
    assert_int_equal(dict_lookup(d, "k", &v), DICT_FOUND);
    assert_string_equal(v, "first");
    dict_close(d);
    d = db_open("hash", "t2", DICT_FLAG_FOLD | DICT_FLAG_DUP_REPLACE | DICT_FLAG_CREATE, &err);
    dict_update(d, "k", "first");
    assert_int_equal(dict_update(d, "k", "second"), DICT_FOUND);
    assert_int_equal(dict_lookup(d, "k", &v), DICT_FOUND);
    assert_string_equal(v, "second");
    dict_close(d);
    assert_string_equal(buf_str(&warned), ""); /* -w and -r are silent */
    buf_release(&err);
    buf_release(&want);
}

static void test_nul_formats(void **state)
{
    struct buf err = BUF_INIT;
    struct dict *d;
    const char *v;

    (void)state;
    d = db_open("hash", "t3", DICT_FLAG_FOLD | DICT_FLAG_NO_NUL | DICT_FLAG_CREATE, &err);
    dict_update(d, "plain", "p");
    dict_close(d);
    d = db_open("hash", "t3", DICT_FLAGS_LOOKUP, &err);
    assert_int_equal(dict_lookup(d, "plain", &v), DICT_FOUND); /* default reads both forms */
    assert_string_equal(v, "p");
    dict_close(d);
    d = db_open("hash", "t3", DICT_FLAGS_LOOKUP | DICT_FLAG_NUL, &err);
    assert_int_equal(dict_lookup(d, "plain", &v), DICT_NOTFOUND); /* -N: only with NUL */
    dict_close(d);
    buf_release(&err);
}

static void test_update_delete_sequence(void **state)
{
    struct buf err = BUF_INIT;
    struct dict *d;
    const char *k, *v;
    struct buf all = BUF_INIT;
    int rc;

    (void)state;
    d = db_open("btree", "t4", DICT_FLAGS_LOOKUP | DICT_FLAG_CREATE, &err);
    dict_update(d, "b", "2");
    dict_update(d, "a", "1");
    dict_update(d, "c", "3");
    dict_close(d);
    d = db_open("btree", "t4", DICT_FLAGS_LOOKUP | DICT_FLAG_WRITE, &err);
    assert_non_null(d);
    assert_int_equal(dict_delete(d, "B"), DICT_FOUND);
    assert_int_equal(dict_delete(d, "b"), DICT_NOTFOUND);
    assert_int_equal(dict_update(d, "d", "4"), DICT_FOUND);
    for (rc = dict_sequence(d, 1, &k, &v); rc == DICT_FOUND; rc = dict_sequence(d, 0, &k, &v))
        buf_printf(&all, "%s=%s ", k, v);
    assert_int_equal(rc, DICT_NOTFOUND);
    assert_string_equal(buf_str(&all), "a=1 c=3 d=4 "); /* btree: sorted */
    /* Starting over works after the end. */
    assert_int_equal(dict_sequence(d, 1, &k, &v), DICT_FOUND);
    assert_string_equal(k, "a");
    dict_close(d);
    buf_release(&all);
    buf_release(&err);
}

/*
 * A second build waits for the first one's lock and then replaces its result.
 * The child is forked before the first build starts: a forked copy of the
 * lock descriptor would share (and keep) the flock.
 */
static void test_concurrent_builds(void **state)
{
    struct buf err = BUF_INIT;
    struct dict *a, *r;
    const char *v;
    int go[2];
    char byte = 0;
    pid_t pid;
    int status;

    (void)state;
    assert_int_equal(pipe(go), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct dict *b;

        alarm(10); /* never hang the test run */
        close(go[1]);
        if (read(go[0], &byte, 1) != 1)
            _exit(3);
        b = db_open("hash", "t5", DICT_FLAGS_LOOKUP | DICT_FLAG_CREATE, &err);
        if (b == NULL)
            _exit(2);
        dict_update(b, "from", "second");
        dict_close(b);
        _exit(0);
    }
    close(go[0]);
    a = db_open("hash", "t5", DICT_FLAGS_LOOKUP | DICT_FLAG_CREATE, &err);
    assert_non_null(a);
    dict_update(a, "from", "first");
    assert_int_equal(write(go[1], &byte, 1), 1);
    close(go[1]);
    usleep(300 * 1000);
    assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* still waiting for the lock */
    dict_close(a);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("builder child: status 0x%x", (unsigned)status);
    r = db_open("hash", "t5", DICT_FLAGS_LOOKUP, &err);
    assert_non_null(r);
    assert_int_equal(dict_lookup(r, "from", &v), DICT_FOUND);
    assert_string_equal(v, "second");
    dict_close(r);
    assert_false(exists("t5.db.tmp"));
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_build_and_lookup, setup),
        cmocka_unit_test_setup(test_duplicates, setup),
        cmocka_unit_test_setup(test_nul_formats, setup),
        cmocka_unit_test_setup(test_update_delete_sequence, setup),
        cmocka_unit_test_setup(test_concurrent_builds, setup),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
