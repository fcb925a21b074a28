/*
 * test_queue_reader.c - unit tests for the queue file reader and the record
 * rules (lib/mail/queue_reader.c, lib/mail/queue_rec.c).
 *
 * A queue file is untrusted input: the tests cut a valid file at every byte
 * offset, flip each record's type byte, mutate bytes at random, and feed
 * hand-made bad headers, records out of order and SIZE mismatches; every
 * case must end in a precise error, never a crash (ASan/UBSan builds). The
 * golden files tests/unit/data/queue/NAME.in (hex text, see the README
 * there) are dumped and compared with NAME.ref; QUEUE_GOLDEN_WRITE=1
 * rewrites the .ref files. Also: file-level refusals, save/restore, the
 * record limit, and the move to corrupt/ with its log line.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/queue_file.h"
#include "mail/queue_reader.h"
#include "queue_fixture.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"

static int setup(void **state)
{
    *state = queue_fixture_new("deferred", 1, 0);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    return queue_fixture_free(*state) == 0 ? 0 : -1;
}

static int read_all(const char *path, struct buf *out)
{
    FILE *fp = fopen(path, "rb");
    char chunk[4096];
    size_t n;

    if (fp == NULL)
        return -1;
    buf_reset(out);
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        buf_append(out, chunk, n);
    return fclose(fp);
}

/* Writes a small valid file with the writer; its ID goes to id, its bytes
 * to bytes. */
static void make_sample(const struct queue_fixture *fx, char *id, struct buf *bytes)
{
    struct buf err = BUF_INIT;
    struct queue_file *qf = queue_file_create(fx->qd, NULL, &err);

    assert_non_null(qf);
    assert_int_equal(queue_file_put_time(qf, QUEUE_REC_TIME, &(struct timeval){1700000000, 1}), 0);
    assert_int_equal(queue_file_put_attr(qf, "rewrite_context", "local"), 0);
    assert_int_equal(queue_file_put_sender(qf, "s@example.test"), 0);
    assert_int_equal(queue_file_put_recipient(qf, "rfc822;r@example.test", 0, "r@example.test",
                                              "r@example.test", NULL),
                     0);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_put_line(qf, "Subject: hi", 11), 0);
    assert_int_equal(queue_file_put_line(qf, "", 0), 0);
    assert_int_equal(queue_file_put_line(qf, "body", 4), 0);
    assert_int_equal(queue_file_finish(qf), 0);
    memcpy(id, queue_file_id(qf), strlen(queue_file_id(qf)) + 1);
    assert_int_equal(read_all(queue_file_path(qf), bytes), 0);
    queue_file_close(qf);
    buf_release(&err);
}

/* Reads data to the end: 0 (valid) or -1, with the error in err. Checks
 * the reader's own promises on the way. */
static int read_mem(const void *data, size_t len, struct buf *err)
{
    struct queue_reader *r = queue_reader_open_mem(data, len);
    struct queue_record rec;
    off_t next = 0;
    int ret;

    while ((ret = queue_reader_next(r, &rec)) == 1) {
        assert_true(rec.offset == next);
        assert_true((size_t)rec.offset + rec.len <= len);
        assert_int_equal(rec.data[rec.len], '\0');
        assert_non_null(queue_rec_name(rec.type));
        next = rec.offset + 1 +
               (off_t)(rec.len < 128     ? 1
                       : rec.len < 16384 ? 2
                                         : 3) +
               (off_t)rec.len;
    }
    buf_set(err, queue_reader_error(r));
    if (ret < 0)
        assert_int_equal(strncmp(buf_str(err), "offset ", 7), 0);
    else
        assert_true((size_t)next == len);
    assert_int_equal(queue_reader_next(r, &rec), ret); /* sticky */
    queue_reader_close(r);
    return ret;
}

/* Cut at every offset: never valid, never a crash; the error names the
 * offset where the bytes ran out. Also through the file reader. */
static void test_truncate_everywhere(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf bytes = BUF_INIT, err = BUF_INIT, path = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    size_t cut;

    make_sample(fx, id, &bytes);
    assert_int_equal(read_mem(buf_str(&bytes), buf_len(&bytes), &err), 0);
    for (cut = 0; cut < buf_len(&bytes); cut++) {
        /* An exact-size copy, so ASan sees a read past the cut. */
        char *copy = mem_memdup(buf_str(&bytes), cut ? cut : 1);

        if (read_mem(copy, cut, &err) != -1)
            fail_msg("a file cut at %zu of %zu bytes was accepted", cut, buf_len(&bytes));
        if (cut == 0)
            assert_string_equal(buf_str(&err), "offset 0: empty file (missing VERSION record)");
        mem_free(copy);
    }
    assert_int_equal(queue_dir_path(fx->qd, "incoming", id, &path), 0);
    for (cut = 0; cut < buf_len(&bytes); cut += 7) {
        struct queue_reader *r;
        struct queue_record rec;
        int ret;

        assert_int_equal(truncate(buf_str(&path), (off_t)cut), 0);
        r = queue_reader_open(fx->qd, "incoming", id, 0, &err);
        assert_non_null(r);
        while ((ret = queue_reader_next(r, &rec)) == 1)
            ;
        assert_int_equal(ret, -1);
        queue_reader_close(r);
    }
    buf_release(&bytes);
    buf_release(&err);
    buf_release(&path);
}

/* Each record's type byte changed to every other value: an error (unknown
 * type, record out of place, data that does not fit the type), except
 * where the rules cannot tell: an envelope text record that becomes a
 * once-only text record (content_filter, dsn_envelope_id), and the
 * recipient that becomes done. */
static void test_flip_types(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf bytes = BUF_INIT, err = BUF_INIT, copy = BUF_INIT;
    struct queue_reader *r;
    struct queue_record rec;
    off_t offsets[64];
    size_t n = 0, i;
    struct buf accepted = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    int v;

    make_sample(fx, id, &bytes);
    r = queue_reader_open_mem(buf_str(&bytes), buf_len(&bytes));
    while (queue_reader_next(r, &rec) == 1 && n < 64)
        offsets[n++] = rec.offset;
    queue_reader_close(r);
    for (i = 0; i < n; i++) {
        for (v = 0; v < 256; v++) {
            if (v == (unsigned char)buf_str(&bytes)[offsets[i]])
                continue;
            buf_set_mem(&copy, buf_str(&bytes), buf_len(&bytes));
            copy.data[offsets[i]] = (char)v;
            if (read_mem(buf_str(&copy), buf_len(&copy), &err) == 0) {
                buf_printf(&accepted, "%zu%c ", i, v);
            } else if (queue_rec_name(v) == NULL) {
                char want[64];

                snprintf(want, sizeof(want), "offset %ld: unknown record type 0x%02x",
                         (long)offsets[i], v);
                assert_string_equal(buf_str(&err), want);
            }
        }
    }
    /* Records 3 and 5 are named attributes, 6 the ORCPT, 7 the RCPT. */
    assert_string_equal(buf_str(&accepted), "3F 3i 5F 5i 6F 6i 7D ");
    buf_release(&accepted);
    buf_release(&bytes);
    buf_release(&err);
    buf_release(&copy);
}

/* Random byte changes: anything may happen except a crash, and an accepted
 * file must re-encode to exactly its bytes (one encoding per file). */
static void test_mutate(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf bytes = BUF_INIT, err = BUF_INIT, copy = BUF_INIT, again = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    int i, k;

    make_sample(fx, id, &bytes);
    srandom(3);
    for (i = 0; i < 20000; i++) {
        buf_set_mem(&copy, buf_str(&bytes), buf_len(&bytes));
        for (k = 0; k < 1 + i % 3; k++)
            copy.data[(size_t)random() % buf_len(&copy)] = (char)random();
        if (read_mem(buf_str(&copy), buf_len(&copy), &err) == 0) {
            struct queue_reader *r = queue_reader_open_mem(buf_str(&copy), buf_len(&copy));
            struct queue_record rec;

            buf_reset(&again);
            while (queue_reader_next(r, &rec) == 1)
                queue_rec_append(&again, rec.type, rec.data, rec.len);
            queue_reader_close(r);
            assert_int_equal(buf_len(&again), buf_len(&copy));
            assert_memory_equal(buf_str(&again), buf_str(&copy), buf_len(&copy));
        }
    }
    buf_release(&bytes);
    buf_release(&err);
    buf_release(&copy);
    buf_release(&again);
}

/* ---------------------------------------------------------------- golden */

/* .in syntax (data/queue/README): hex byte pairs, "literal text", #
 * comments, %max_record=N; white space only separates. */
static int golden_parse(const char *text, struct buf *bytes, size_t *limit, struct buf *why)
{
    const char *p = text, *end;
    unsigned long val;
    int n;

    while (*p) {
        if (isspace((unsigned char)*p)) {
            p++;
        } else if (*p == '#') {
            while (*p && *p != '\n')
                p++;
        } else if (*p == '"') {
            if ((end = strchr(p + 1, '"')) == NULL) {
                buf_set(why, "unterminated string");
                return -1;
            }
            buf_append(bytes, p + 1, (size_t)(end - p - 1));
            p = end + 1;
        } else if (*p == '%') {
            n = 0;
            if (sscanf(p, "%%max_record=%lu%n", &val, &n) != 1 || n == 0) {
                buf_printf(why, "bad directive near \"%.20s\"", p);
                return -1;
            }
            *limit = val;
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

/* The dump: one line per record, then "== end" or "== error: ...". */
static void golden_run(const struct buf *in, size_t limit, struct buf *out)
{
    struct queue_reader *r = queue_reader_open_mem(buf_str(in), buf_len(in));
    struct queue_record rec;
    int ret;

    queue_reader_set_limit(r, limit);
    buf_reset(out);
    while ((ret = queue_reader_next(r, &rec)) == 1)
        queue_rec_dump(out, rec.offset, rec.type, rec.data, rec.len);
    if (ret == 0)
        buf_append_str(out, "== end\n");
    else
        buf_printf(out, "== error: %s\n", queue_reader_error(r));
    queue_reader_close(r);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden(void **state)
{
    const char *top = getenv("top_srcdir");
    const char *rewrite = getenv("QUEUE_GOLDEN_WRITE");
    struct buf dir = BUF_INIT, path = BUF_INIT, text = BUF_INIT, why = BUF_INIT;
    struct buf bytes = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
    char **names = NULL;
    struct dirent *de;
    size_t count = 0, i, len, limit;
    DIR *dp;

    (void)state;
    buf_printf(&dir, "%s/tests/unit/data/queue", top && *top ? top : ".");
    if ((dp = opendir(buf_str(&dir))) == NULL)
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
        qsort(names, count, sizeof(*names), name_cmp);
    assert_true(count >= 10); /* a missing data directory must not pass */
    for (i = 0; i < count; i++) {
        limit = QUEUE_REC_MAX;
        buf_reset(&bytes);
        buf_reset(&path);
        buf_printf(&path, "%s/%s.in", buf_str(&dir), names[i]);
        if (read_all(buf_str(&path), &text) < 0)
            fail_msg("cannot read %s", buf_str(&path));
        if (golden_parse(buf_str(&text), &bytes, &limit, &why) < 0)
            fail_msg("%s: %s", buf_str(&path), buf_str(&why));
        golden_run(&bytes, limit, &got);
        buf_reset(&path);
        buf_printf(&path, "%s/%s.ref", buf_str(&dir), names[i]);
        if (rewrite && *rewrite) {
            FILE *fp = fopen(buf_str(&path), "wb");

            assert_non_null(fp);
            assert_int_equal(fwrite(buf_str(&got), 1, buf_len(&got), fp), buf_len(&got));
            assert_int_equal(fclose(fp), 0);
        } else if (read_all(buf_str(&path), &want) < 0) {
            fail_msg("cannot read %s", buf_str(&path));
        } else if (strcmp(buf_str(&got), buf_str(&want)) != 0) {
            fail_msg("%s differs:\n--- got\n%s--- want\n%s", names[i], buf_str(&got),
                     buf_str(&want));
        }
        mem_free(names[i]);
    }
    mem_free(names);
    buf_release(&dir);
    buf_release(&path);
    buf_release(&text);
    buf_release(&why);
    buf_release(&bytes);
    buf_release(&got);
    buf_release(&want);
}

/* ------------------------------------------------------------ the rest */

static void test_open_refuses(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf err = BUF_INIT, path = BUF_INIT;

    errno = 0;
    assert_null(queue_reader_open(fx->qd, "incoming", "5B9E8A72201", 0, &err));
    assert_int_equal(errno, ENOENT);
    assert_null(queue_reader_open(fx->qd, "incoming", "../x", 0, &err));
    assert_int_equal(errno, EINVAL);
    assert_null(queue_reader_open(fx->qd, "nosuch", "5B9E8A72201", 0, &err));
    assert_int_equal(errno, EINVAL);
    buf_printf(&path, "%s/incoming/5B9E8A72201", fx->top);
    assert_int_equal(symlink("/etc/passwd", buf_str(&path)), 0);
    assert_null(queue_reader_open(fx->qd, "incoming", "5B9E8A72201", 0, &err));
    assert_int_equal(errno, ELOOP);
    assert_int_equal(unlink(buf_str(&path)), 0);
    assert_int_equal(mkfifo(buf_str(&path), 0700), 0);
    buf_reset(&err);
    assert_null(queue_reader_open(fx->qd, "incoming", "5B9E8A72201", QUEUE_READ_INCOMPLETE, &err));
    assert_int_equal(errno, EPERM);
    assert_non_null(strstr(buf_str(&err), "not a regular file"));
    buf_release(&err);
    buf_release(&path);
}

static void test_save_restore_limit(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf bytes = BUF_INIT;
    struct queue_reader_pos pos;
    struct queue_record rec;
    struct queue_reader *r;
    char id[QUEUE_ID_SIZE], first[64];
    int n = 0, first_type;

    make_sample(fx, id, &bytes);
    r = queue_reader_open_mem(buf_str(&bytes), buf_len(&bytes));
    assert_int_equal(queue_reader_section(r), QUEUE_SECTION_VERSION);
    while (queue_reader_next(r, &rec) == 1 && rec.type != QUEUE_REC_SENDER)
        ;
    queue_reader_save(r, &pos);
    assert_int_equal(queue_reader_next(r, &rec), 1);
    first_type = rec.type;
    snprintf(first, sizeof(first), "%s", rec.data);
    while (queue_reader_next(r, &rec) == 1)
        n++;
    assert_true(n > 3);
    queue_reader_restore(r, &pos);
    assert_int_equal(queue_reader_next(r, &rec), 1);
    assert_int_equal(rec.type, first_type);
    assert_string_equal(rec.data, first);
    /* A limit below a record's length is an error at that record. */
    queue_reader_restore(r, &pos);
    queue_reader_set_limit(r, 8);
    assert_int_equal(queue_reader_next(r, &rec), -1);
    assert_non_null(strstr(queue_reader_error(r), "record length exceeds the limit of 8 bytes"));
    /* seek_content refuses once past the content start. */
    queue_reader_set_limit(r, QUEUE_REC_MAX);
    queue_reader_restore(r, &pos);
    assert_int_equal(queue_reader_seek_content(r), 0);
    assert_int_equal(queue_reader_next(r, &rec), 1);
    assert_string_equal(rec.data, "Subject: hi");
    assert_int_equal(queue_reader_seek_content(r), -1);
    queue_reader_close(r);
    buf_release(&bytes);
}

static char last_log[512];

static void log_hook(enum msg_level level, const char *text)
{
    if (level == MSG_WARN)
        snprintf(last_log, sizeof(last_log), "%s", text);
}

static void test_move_corrupt(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf bytes = BUF_INIT, err = BUF_INIT, path = BUF_INIT, want = BUF_INIT;
    struct queue_record rec;
    struct queue_reader *r;
    char id[QUEUE_ID_SIZE];

    make_sample(fx, id, &bytes);
    assert_int_equal(queue_dir_move(fx->qd, "incoming", id, "deferred", &err), 0);
    assert_int_equal(queue_dir_path(fx->qd, "deferred", id, &path), 0);
    assert_int_equal(truncate(buf_str(&path), (off_t)buf_len(&bytes) - 2), 0);
    r = queue_reader_open(fx->qd, "deferred", id, 0, &err);
    assert_non_null(r);
    while (queue_reader_next(r, &rec) == 1)
        ;
    msg_set_hook(log_hook);
    assert_int_equal(queue_reader_move_corrupt(fx->qd, "deferred", id, queue_reader_error(r)), 0);
    assert_non_null(strstr(queue_reader_error(r), "missing END record"));
    buf_printf(&want, "%s: corrupt queue file deferred/%c/%s: %s; moved to corrupt", id, id[0], id,
               queue_reader_error(r));
    assert_string_equal(last_log, buf_str(&want));
    assert_non_null(queue_dir_find(fx->qd, id, (const char *const[]){"corrupt", NULL}, &path));
    /* Again: it is gone from deferred, so the move fails and says so. */
    assert_int_equal(queue_reader_move_corrupt(fx->qd, "deferred", id, "x"), -1);
    assert_non_null(strstr(last_log, "; cannot move it to corrupt: "));
    msg_set_hook(NULL);
    queue_reader_close(r);
    buf_release(&bytes);
    buf_release(&err);
    buf_release(&path);
    buf_release(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_truncate_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flip_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutate, setup, teardown),
        cmocka_unit_test(test_golden),
        cmocka_unit_test_setup_teardown(test_open_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_restore_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_corrupt, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
