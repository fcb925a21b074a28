/*
 * test_queue_file.c - unit tests for the queue file writer and the in-place
 * updates (lib/mail/queue_file.c), read back through lib/mail/queue_reader.c.
 *
 * Each test runs in a private queue directory (queue_fixture.h). Covered:
 * round trip of every record type (8-bit bytes, NUL, CR, empty lines, a
 * 1 MiB line split into continued records), the complete bit (refused
 * before finish, set by finish, file removed by abort), the writer's order
 * checks, unique IDs from 4 processes writing at once, mark_done and the
 * SIZE-flags and warning-time rewrites.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/queue_file.h"
#include "mail/queue_reader.h"
#include "queue_fixture.h"
#include "util/buf.h"
#include "util/mem.h"

#define BIG_LINE (1024 * 1024)

static int setup(void **state)
{
    *state = queue_fixture_new("deferred, defer", 1, 0);
    return *state ? 0 : -1;
}

static int setup_long_hashed(void **state)
{
    *state = queue_fixture_new("incoming, deferred", 2, 1);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    return queue_fixture_free(*state) == 0 ? 0 : -1;
}

/* Entries in top/queue (not counting . and ..). */
static int count_entries(const struct queue_fixture *fx, const char *queue)
{
    char path[256];
    struct dirent *de;
    DIR *dir;
    int n = 0;

    snprintf(path, sizeof(path), "%s/%s", fx->top, queue);
    if ((dir = opendir(path)) == NULL)
        return -1;
    while ((de = readdir(dir)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(dir);
    return n;
}

static struct queue_file *create(const struct queue_fixture *fx, size_t chunk)
{
    struct queue_file_opts opts;
    struct buf err = BUF_INIT;
    struct queue_file *qf;

    queue_file_opts_init(&opts);
    opts.chunk = chunk;
    qf = queue_file_create(fx->qd, &opts, &err);
    if (qf == NULL)
        fail_msg("create: %s", buf_str(&err));
    buf_release(&err);
    return qf;
}

/* A minimal valid envelope. */
static void put_envelope(struct queue_file *qf)
{
    struct timeval tv = {1795322543, 374408};

    assert_int_equal(queue_file_put_time(qf, QUEUE_REC_TIME, &tv), 0);
    assert_int_equal(queue_file_put_sender(qf, "sender@example.test"), 0);
    assert_int_equal(queue_file_put_recipient(qf, NULL, 0, NULL, "r@example.test", NULL), 0);
}

/* The content lines of the round trip test. */
struct line {
    const char *data;
    size_t len;
};

static void test_round_trip(void **state)
{
    struct queue_fixture *fx = *state;
    struct timeval tv = {1795322543, 374408}, ct = {1795322544, 5};
    static const char nul_line[] = "before\0after";
    const struct line lines[] = {
        {"Subject: caf\xc3\xa9", 14}, {"", 0},  {"with CR\r", 8}, {nul_line, sizeof(nul_line) - 1},
        {"\xff\xfe\x80", 3},          {".", 1},
    };
    struct buf err = BUF_INIT, text = BUF_INIT, line = BUF_INIT;
    char *big = mem_alloc(BIG_LINE);
    struct queue_record rec;
    struct queue_reader *r;
    struct queue_file *qf;
    off_t rcpt_off[2];
    size_t i, n_lines = 0, expect_len = 0, cont_records = 0;
    int ret;
    char expect_types[64], got_types[64];
    size_t ntypes = 0;

    for (i = 0; i < BIG_LINE; i++)
        big[i] = (char)('a' + i % 26);
    qf = create(fx, 0);
    assert_true(queue_id_valid(queue_file_id(qf)));
    assert_string_equal(queue_file_queue(qf), "incoming");
    assert_int_equal(queue_file_put_time(qf, QUEUE_REC_TIME, &tv), 0);
    assert_int_equal(queue_file_put_time(qf, QUEUE_REC_CTIME, &ct), 0);
    assert_int_equal(queue_file_put_attr(qf, "log_ident", queue_file_id(qf)), 0);
    assert_int_equal(queue_file_put_sender(qf, "s\xc3\xa9nder@example.test"), 0);
    assert_int_equal(queue_file_put(qf, QUEUE_REC_DSN_ENVID, "envid+2B1", 9), 0);
    assert_int_equal(queue_file_putf(qf, QUEUE_REC_DSN_RET, "%d", QUEUE_DSN_RET_HDRS), 0);
    assert_int_equal(queue_file_put_warn(qf, 1795400000), 0);
    assert_int_equal(queue_file_put(qf, QUEUE_REC_FILTER, "smtp:[127.0.0.1]:10025", 22), 0);
    assert_int_equal(queue_file_put(qf, QUEUE_REC_VERP, "+=", 2), 0);
    assert_int_equal(queue_file_put_recipient(qf, "rfc822;a@example.test",
                                              QUEUE_DSN_NOTIFY_SUCCESS | QUEUE_DSN_NOTIFY_DELAY,
                                              "A@example.test", "a@example.test", &rcpt_off[0]),
                     0);
    assert_int_equal(queue_file_put_recipient(qf, NULL, 0, "", "b@example.test", &rcpt_off[1]), 0);
    memcpy(expect_types, "QCTcASi<WFVAnORORM", 18);
    ntypes = 18;
    assert_int_equal(queue_file_begin_content(qf), 0);
    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        assert_int_equal(queue_file_put_line(qf, lines[i].data, lines[i].len), 0);
        expect_types[ntypes++] = 'N';
        expect_len += lines[i].len + 1;
    }
    assert_int_equal(queue_file_put_line(qf, big, BIG_LINE), 0);
    expect_len += BIG_LINE + 1;
    /* A line arriving in pieces: 3000 bytes, then 10, then the end. */
    assert_int_equal(queue_file_put_line_part(qf, big, 3000), 0);
    assert_int_equal(queue_file_put_line_part(qf, big + 3000, 10), 0);
    assert_int_equal(queue_file_put_line(qf, big + 3010, 5), 0);
    expect_len += 3016;
    /* A line left open: end_content closes it. */
    assert_int_equal(queue_file_put_line_part(qf, "open", 4), 0);
    expect_len += 5;
    assert_int_equal(queue_file_end_content(qf), 0);
    assert_int_equal(queue_file_put_attr(qf, "extra", "1"), 0);
    assert_int_equal(queue_file_put_recipient(qf, NULL, 0, NULL, "late@example.test", NULL), 0);
    queue_file_set_flags(qf, 5, 1);
    assert_int_equal(queue_file_finish(qf), 0);
    assert_int_equal(queue_file_size(qf)->rcpt_count, 3);
    assert_int_equal(queue_file_size(qf)->content_length, (long)expect_len);

    r = queue_reader_open(fx->qd, "incoming", queue_file_id(qf), 0, &err);
    if (r == NULL)
        fail_msg("%s", buf_str(&err));
    assert_string_equal(queue_reader_id(r), queue_file_id(qf));
    assert_null(queue_reader_size(r));
    ntypes = 0;
    while ((ret = queue_reader_next(r, &rec)) == 1) {
        assert_int_equal(rec.data[rec.len], '\0');
        if (ntypes < 18)
            got_types[ntypes] = (char)rec.type;
        ntypes++;
        switch (rec.type) {
        case QUEUE_REC_SENDER:
            assert_string_equal(rec.data, "s\xc3\xa9nder@example.test");
            break;
        case QUEUE_REC_DSN_NOTIFY:
            assert_string_equal(rec.data, "10");
            break;
        case QUEUE_REC_RCPT:
            if (strcmp(rec.data, "a@example.test") == 0)
                assert_int_equal(rec.offset, rcpt_off[0]);
            else if (strcmp(rec.data, "b@example.test") == 0)
                assert_int_equal(rec.offset, rcpt_off[1]);
            else
                assert_string_equal(rec.data, "late@example.test");
            break;
        case QUEUE_REC_MESG:
            assert_int_equal(rec.offset + 2, queue_reader_size(r)->content_offset);
            break;
        case QUEUE_REC_CONT:
            assert_true(rec.len > 0 && rec.len <= QUEUE_FILE_CHUNK_DEFAULT);
            buf_append(&line, rec.data, rec.len);
            cont_records++;
            break;
        case QUEUE_REC_NORM:
            assert_true(rec.len <= QUEUE_FILE_CHUNK_DEFAULT);
            buf_append(&line, rec.data, rec.len);
            if (n_lines < sizeof(lines) / sizeof(lines[0])) {
                assert_int_equal(buf_len(&line), lines[n_lines].len);
                assert_memory_equal(buf_str(&line), lines[n_lines].data, lines[n_lines].len);
            } else if (n_lines == sizeof(lines) / sizeof(lines[0])) {
                assert_int_equal(buf_len(&line), BIG_LINE);
                assert_memory_equal(buf_str(&line), big, BIG_LINE);
            } else if (n_lines == sizeof(lines) / sizeof(lines[0]) + 1) {
                assert_int_equal(buf_len(&line), 3015);
                assert_memory_equal(buf_str(&line), big, 3015);
            } else {
                assert_string_equal(buf_str(&line), "open");
            }
            n_lines++;
            buf_reset(&line);
            break;
        default:
            break;
        }
    }
    if (ret < 0)
        fail_msg("%s", queue_reader_error(r));
    assert_memory_equal(got_types, expect_types, 18);
    assert_int_equal(n_lines, sizeof(lines) / sizeof(lines[0]) + 3);
    /* 1 MiB in 2048-byte records: 511 CONT + a full NORM; 3015 bytes: the
     * parts gave 2048 + 952 + 10, then NORM 5; "open": 1 CONT. */
    assert_int_equal(cont_records, 511 + 3 + 1);
    assert_int_equal(queue_reader_size(r)->rcpt_count, 3);
    assert_int_equal(queue_reader_size(r)->qmgr_flags, 5);
    assert_int_equal(queue_reader_size(r)->smtputf8, 1);
    assert_int_equal(queue_reader_size(r)->content_length, (long)expect_len);
    assert_int_equal(queue_reader_next(r, &rec), 0); /* stays at the end */
    queue_reader_close(r);
    queue_file_close(qf);
    mem_free(big);
    buf_release(&err);
    buf_release(&text);
    buf_release(&line);
}

/* A smaller chunk size splits lines at that size. */
static void test_chunk(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf err = BUF_INIT;
    struct queue_record rec;
    struct queue_reader *r;
    struct queue_file *qf = create(fx, 4);
    char types[16];
    size_t n = 0;

    put_envelope(qf);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_put_line(qf, "abcdefghij", 10), 0);   /* 4 + 4 + 2 */
    assert_int_equal(queue_file_put_line(qf, "abcd", 4), 0);          /* exactly one chunk */
    assert_int_equal(queue_file_put_line(qf, "abcdefgh", 8), 0);      /* 4 + 4 */
    assert_int_equal(queue_file_put(qf, QUEUE_REC_NORM, NULL, 0), 0); /* empty: NULL is fine */
    assert_int_equal(queue_file_finish(qf), 0);
    r = queue_reader_open_path(queue_file_path(qf), 0, &err);
    assert_non_null(r);
    assert_int_equal(queue_reader_seek_content(r), 0);
    while (queue_reader_next(r, &rec) == 1 && n < sizeof(types) - 1)
        types[n++] = (char)rec.type;
    types[n] = '\0';
    assert_string_equal(types, "LLNNLNNXE");
    queue_reader_close(r);
    queue_file_close(qf);
    buf_release(&err);
}

static void test_complete_bit(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf err = BUF_INIT, path = BUF_INIT;
    struct queue_record rec;
    struct queue_reader *r;
    struct queue_file *qf = create(fx, 0);
    struct stat st;

    buf_set(&path, queue_file_path(qf));
    assert_int_equal(stat(buf_str(&path), &st), 0);
    assert_int_equal(st.st_mode & 07777, QUEUE_FILE_MODE_INCOMPLETE);
    assert_false(queue_file_is_complete(&st));
    put_envelope(qf);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_put_line(qf, "x", 1), 0);

    /* Not finished: refused, unless asked; then the missing END shows. */
    errno = 0;
    assert_null(queue_reader_open(fx->qd, "incoming", queue_file_id(qf), 0, &err));
    assert_int_equal(errno, EAGAIN);
    assert_non_null(strstr(buf_str(&err), "not complete"));
    r = queue_reader_open(fx->qd, "incoming", queue_file_id(qf), QUEUE_READ_INCOMPLETE, &err);
    assert_non_null(r);
    while (queue_reader_next(r, &rec) == 1)
        ;
    assert_non_null(strstr(queue_reader_error(r), "empty file"));
    queue_reader_close(r);

    assert_int_equal(queue_file_finish(qf), 0);
    assert_int_equal(stat(buf_str(&path), &st), 0);
    assert_int_equal(st.st_mode & 07777, QUEUE_FILE_MODE_COMPLETE);
    assert_true(queue_file_is_complete(&st));
    r = queue_reader_open(fx->qd, "incoming", queue_file_id(qf), 0, &err);
    assert_non_null(r);
    assert_true(queue_file_is_complete(queue_reader_stat(r)));
    queue_reader_close(r);
    /* Nothing may be written after finish. */
    assert_int_equal(queue_file_put_line(qf, "x", 1), -1);
    queue_file_close(qf); /* a finished file stays */
    assert_int_equal(stat(buf_str(&path), &st), 0);
    assert_int_equal(count_entries(fx, "incoming"), 1);
    buf_release(&err);
    buf_release(&path);
}

/* finish_in: the file is complete only in its final queue; a move that
 * cannot be made (the name is taken there) fails and leaves nothing. */
static void test_finish_in(void **state)
{
    struct queue_fixture *fx = *state;
    struct queue_file *qf;
    struct buf path = BUF_INIT;
    struct stat st;
    char id[QUEUE_ID_SIZE];
    int fd;

    buf_printf(&path, "%s/hold", fx->top);
    if (mkdir(buf_str(&path), 0700) < 0)
        assert_int_equal(errno, EEXIST);
    qf = create(fx, 0);
    put_envelope(qf);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_put_line(qf, "held", 4), 0);
    assert_int_equal(queue_file_finish_in(qf, fx->qd, "hold"), 0);
    buf_reset(&path);
    buf_printf(&path, "%s/hold/%s", fx->top, queue_file_id(qf));
    assert_string_equal(queue_file_path(qf), buf_str(&path));
    assert_int_equal(stat(buf_str(&path), &st), 0);
    assert_true(queue_file_is_complete(&st));
    assert_int_equal(count_entries(fx, "incoming"), 0);
    queue_file_close(qf); /* finished: stays in hold/ */
    assert_int_equal(count_entries(fx, "hold"), 1);

    /* The name is taken in hold/: refused, and abort removes the file. */
    qf = create(fx, 0);
    put_envelope(qf);
    assert_int_equal(queue_file_begin_content(qf), 0);
    snprintf(id, sizeof(id), "%s", queue_file_id(qf));
    buf_reset(&path);
    buf_printf(&path, "%s/hold/%s", fx->top, id);
    fd = open(buf_str(&path), O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    (void)close(fd);
    assert_int_equal(queue_file_finish_in(qf, fx->qd, "hold"), -1);
    assert_non_null(strstr(queue_file_error(qf), id));
    queue_file_abort(qf);
    assert_int_equal(count_entries(fx, "incoming"), 0);
    assert_int_equal(stat(buf_str(&path), &st), 0); /* the other file is untouched */
    assert_false(queue_file_is_complete(&st));
    assert_int_equal(count_entries(fx, "hold"), 2);
    buf_release(&path);
}

static void test_abort(void **state)
{
    struct queue_fixture *fx = *state;
    struct queue_file *qf = create(fx, 0);
    struct queue_file *qf2 = create(fx, 0);
    char path[256];
    struct stat st;

    assert_string_not_equal(queue_file_id(qf), queue_file_id(qf2));
    snprintf(path, sizeof(path), "%s", queue_file_path(qf));
    put_envelope(qf);
    assert_int_equal(count_entries(fx, "incoming"), 2); /* no temporary names left */
    queue_file_abort(qf);
    assert_int_equal(lstat(path, &st), -1);
    queue_file_close(qf2); /* unfinished: same as abort */
    assert_int_equal(count_entries(fx, "incoming"), 0);
}

/* Options: another queue, NULL queue (incoming), a bad queue or chunk. */
static void test_create_opts(void **state)
{
    struct queue_fixture *fx = *state;
    struct queue_file_opts opts;
    struct buf err = BUF_INIT;
    struct queue_file *qf;
    char path[128];

    queue_file_opts_init(&opts);
    opts.queue = "maildrop";
    qf = queue_file_create(fx->qd, &opts, &err);
    assert_non_null(qf);
    assert_string_equal(queue_file_queue(qf), "maildrop");
    assert_int_equal(count_entries(fx, "maildrop"), 1);
    queue_file_abort(qf);
    opts.queue = NULL;
    qf = queue_file_create(fx->qd, &opts, &err);
    assert_non_null(qf);
    assert_string_equal(queue_file_queue(qf), "incoming");
    queue_file_abort(qf);
    opts.queue = "../etc";
    assert_null(queue_file_create(fx->qd, &opts, &err));
    opts.queue = "incoming";
    opts.chunk = QUEUE_REC_MAX + 1;
    assert_null(queue_file_create(fx->qd, &opts, &err));
    /* A missing queue directory: the reason names the path. */
    opts.chunk = 0;
    opts.queue = "saved";
    snprintf(path, sizeof(path), "%s/saved", fx->top);
    assert_int_equal(rmdir(path), 0);
    buf_reset(&err);
    assert_null(queue_file_create(fx->qd, &opts, &err));
    assert_non_null(strstr(buf_str(&err), "/saved/tmp."));
    assert_int_equal(count_entries(fx, "incoming"), 0);
    assert_int_equal(count_entries(fx, "maildrop"), 0);
    buf_release(&err);
}

/* Refused by the writer's rules: each error is sticky and precise. */
static void test_writer_refuses(void **state)
{
    struct queue_fixture *fx = *state;
    struct queue_file *qf;
    char *big;

    qf = create(fx, 0);
    assert_int_equal(queue_file_put_recipient(qf, NULL, 0, NULL, "r@x", NULL), -1);
    assert_string_equal(strchr(queue_file_error(qf), ':') + 2,
                        "cannot write record: recipient record before the sender record");
    assert_int_equal(queue_file_put_sender(qf, "s@x"), -1); /* sticky */
    queue_file_abort(qf);

    qf = create(fx, 0);
    put_envelope(qf);
    assert_int_equal(queue_file_finish(qf), -1);
    assert_non_null(strstr(queue_file_error(qf), "without message content"));
    queue_file_abort(qf);

    qf = create(fx, 0);
    assert_int_equal(queue_file_put_sender(qf, "bad\nsender"), -1);
    assert_non_null(strstr(queue_file_error(qf), "line break"));
    queue_file_abort(qf);

    qf = create(fx, 0);
    big = mem_calloc(1, QUEUE_REC_MAX + 1);
    memset(big, 'x', QUEUE_REC_MAX);
    assert_int_equal(queue_file_put(qf, QUEUE_REC_ATTR, big, QUEUE_REC_MAX + 1), -1);
    assert_non_null(strstr(queue_file_error(qf), "exceeds the limit"));
    mem_free(big);
    queue_file_abort(qf);

    qf = create(fx, 0);
    put_envelope(qf);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_put_sender(qf, "s@x"), -1);
    assert_non_null(strstr(queue_file_error(qf), "sender record inside the message content"));
    queue_file_abort(qf);
    assert_int_equal(count_entries(fx, "incoming"), 0);
}

/* Long IDs in a hashed incoming queue (depth 2): the file lands in its
 * hash subdirectory, made on demand. */
static void test_create_hashed(void **state)
{
    struct queue_fixture *fx = *state;
    struct queue_file *qf = create(fx, 0);
    struct buf want = BUF_INIT;

    assert_int_equal(queue_id_check(queue_file_id(qf)), QUEUE_ID_LONG);
    assert_int_equal(queue_dir_path(fx->qd, "incoming", queue_file_id(qf), &want), 0);
    assert_string_equal(queue_file_path(qf), buf_str(&want));
    put_envelope(qf);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_finish(qf), 0);
    if (queue_dir_move(fx->qd, "incoming", queue_file_id(qf), "deferred", &want) < 0)
        fail_msg("%s", buf_str(&want));
    assert_string_equal(queue_dir_find(fx->qd, queue_file_id(qf), NULL, &want), "deferred");
    queue_file_close(qf);
    buf_release(&want);
}

static int squat_calls;

/* Takes the name the writer is about to use, the first time only. */
static void squat_hook(const char *tmp_path, const struct timeval *tv)
{
    char id[QUEUE_ID_SIZE], path[256];
    struct stat st;
    const char *slash = strrchr(tmp_path, '/');
    FILE *fp;

    if (squat_calls++ > 0)
        return;
    assert_int_equal(stat(tmp_path, &st), 0);
    assert_true(queue_id_make(id, sizeof(id), (uint64_t)st.st_ino, tv, 0) > 0);
    snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - tmp_path), tmp_path, id);
    assert_non_null(fp = fopen(path, "w"));
    fclose(fp);
}

/* The name made from the inode and the time exists already (an inode
 * reused within one microsecond): the writer never replaces it, it takes
 * a new time and a new name. */
static void test_name_collision(void **state)
{
    struct queue_fixture *fx = *state;
    struct queue_file *qf;

    squat_calls = 0;
    queue_file_set_name_hook(squat_hook);
    qf = create(fx, 0);
    queue_file_set_name_hook(NULL);
    assert_int_equal(squat_calls, 2);
    assert_int_equal(count_entries(fx, "incoming"), 2); /* the squatter and the new file */
    put_envelope(qf);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_finish(qf), 0);
    queue_file_close(qf);
    assert_int_equal(count_entries(fx, "incoming"), 2);
}

#define UNIQ_PROCS 4
#define UNIQ_EACH  500

static void uniq_child(const struct queue_fixture *fx, int fd)
{
    struct queue_file *qf;
    struct buf err = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    int i;

    for (i = 0; i < UNIQ_EACH; i++) {
        /* No cmocka asserts here: a child must never return into cmocka. */
        if ((qf = queue_file_create(fx->qd, NULL, &err)) == NULL)
            _exit(2);
        if (queue_file_put_time(qf, QUEUE_REC_TIME, &(struct timeval){1, 2}) < 0 ||
            queue_file_put_sender(qf, "s@x") < 0 || queue_file_begin_content(qf) < 0 ||
            queue_file_finish(qf) < 0)
            _exit(3);
        memset(id, 0, sizeof(id));
        memcpy(id, queue_file_id(qf), strlen(queue_file_id(qf)));
        if (write(fd, id, sizeof(id)) != (ssize_t)sizeof(id))
            _exit(4);
        queue_file_close(qf);
    }
    _exit(0);
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* 2,000 IDs from 4 processes creating files in one directory at once. */
static void test_unique_ids(void **state)
{
    struct queue_fixture *fx = *state;
    char(*ids)[QUEUE_ID_SIZE] = mem_calloc(UNIQ_PROCS * UNIQ_EACH, QUEUE_ID_SIZE);
    pid_t pids[UNIQ_PROCS];
    size_t got = 0, i;
    int fds[2], status, p;
    ssize_t n;

    assert_int_equal(pipe(fds), 0);
    for (p = 0; p < UNIQ_PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            close(fds[0]);
            uniq_child(fx, fds[1]);
        }
    }
    close(fds[1]);
    /* Each ID is written in one write() of QUEUE_ID_SIZE bytes (< PIPE_BUF),
     * so reads never see two IDs interleaved. */
    while (got < UNIQ_PROCS * UNIQ_EACH &&
           (n = read(fds[0], ids[got], QUEUE_ID_SIZE)) == QUEUE_ID_SIZE)
        got++;
    close(fds[0]);
    for (p = 0; p < UNIQ_PROCS; p++) {
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(got, UNIQ_PROCS * UNIQ_EACH);
    qsort(ids, got, QUEUE_ID_SIZE, id_cmp);
    for (i = 0; i < got; i++) {
        assert_true(queue_id_valid(ids[i]));
        if (i > 0 && strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("duplicate queue ID %s", ids[i]);
    }
    assert_int_equal(count_entries(fx, "incoming"), UNIQ_PROCS * UNIQ_EACH);
    mem_free(ids);
}

static void test_mark_done(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf err = BUF_INIT;
    struct queue_record rec;
    struct queue_reader *r;
    struct queue_file *qf = create(fx, 0);
    off_t off[3];
    int i, done = 0, rcpt = 0, fd;

    assert_int_equal(queue_file_put_sender(qf, "s@x"), 0);
    assert_int_equal(queue_file_put_time(qf, QUEUE_REC_TIME, &(struct timeval){1, 2}), 0);
    for (i = 0; i < 3; i++)
        assert_int_equal(queue_file_put_recipient(qf, NULL, 0, "o@x", "r@x", &off[i]), 0);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_finish(qf), 0);

    r = queue_reader_open(fx->qd, "incoming", queue_file_id(qf), QUEUE_READ_RDWR, &err);
    assert_non_null(r);
    fd = queue_reader_fd(r);
    assert_int_equal(queue_file_mark_done(fd, off[1], QUEUE_UPDATE_SYNC), 0);
    assert_int_equal(queue_file_mark_done(fd, off[1], 0), 0); /* again: no-op */
    assert_int_equal(queue_file_mark_done(fd, off[2], 0), 0);
    errno = 0;
    assert_int_equal(queue_file_mark_done(fd, off[0] - 1, 0), -1); /* the ORCPT data */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(queue_file_mark_done(fd, 0, 0), -1);       /* VERSION */
    assert_int_equal(queue_file_mark_done(fd, 1 << 30, 0), -1); /* past the end */
    assert_int_equal(errno, EINVAL);
    while ((i = queue_reader_next(r, &rec)) == 1) {
        if (rec.type == QUEUE_REC_DONE) {
            assert_true(rec.offset == off[1] || rec.offset == off[2]);
            done++;
        } else if (rec.type == QUEUE_REC_RCPT) {
            assert_true(rec.offset == off[0]);
            rcpt++;
        }
    }
    assert_int_equal(i, 0); /* still a valid file */
    assert_int_equal(done, 2);
    assert_int_equal(rcpt, 1);
    queue_reader_close(r);
    queue_file_close(qf);
    buf_release(&err);
}

static void test_update_flags_warn(void **state)
{
    struct queue_fixture *fx = *state;
    struct buf err = BUF_INIT;
    struct queue_record rec;
    struct queue_reader *r;
    struct queue_file *qf = create(fx, 0);
    off_t warn_off = 0;
    long when = -1;
    int ret;

    put_envelope(qf);
    warn_off = queue_file_offset(qf);
    assert_int_equal(queue_file_put_warn(qf, 0), 0);
    assert_int_equal(queue_file_begin_content(qf), 0);
    assert_int_equal(queue_file_put_line(qf, "body", 4), 0);
    assert_int_equal(queue_file_finish(qf), 0);

    r = queue_reader_open(fx->qd, "incoming", queue_file_id(qf), QUEUE_READ_RDWR, &err);
    assert_non_null(r);
    assert_int_equal(
        queue_file_update_flags(queue_reader_fd(r), 123456789012345L, QUEUE_UPDATE_SYNC), 0);
    assert_int_equal(queue_file_update_warn(queue_reader_fd(r), warn_off, 1795400000, 0), 0);
    errno = 0;
    assert_int_equal(queue_file_update_warn(queue_reader_fd(r), warn_off - 1, 1, 0), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(queue_file_update_warn(queue_reader_fd(r), warn_off, -1, 0), -1);
    assert_int_equal(queue_file_update_flags(queue_reader_fd(r), -1, 0), -1);
    while ((ret = queue_reader_next(r, &rec)) == 1)
        if (rec.type == QUEUE_REC_WARN)
            assert_int_equal(queue_warn_parse(rec.data, rec.len, &when, &err), 0);
    if (ret < 0)
        fail_msg("%s", queue_reader_error(r));
    assert_int_equal(when, 1795400000);
    assert_int_equal(queue_reader_size(r)->qmgr_flags, 123456789012345L);
    assert_int_equal(queue_reader_size(r)->rcpt_count, 1);
    queue_reader_close(r);

    /* Not a queue file: refused. */
    {
        int fd = open(queue_file_path(qf), O_RDWR);
        char junk[] = "not a queue file at all";

        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
        errno = 0;
        assert_int_equal(queue_file_update_flags(fd, 1, 0), -1);
        assert_int_equal(errno, EINVAL);
        close(fd);
    }
    queue_file_close(qf);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finish_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_opts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_hashed, setup_long_hashed, teardown),
        cmocka_unit_test_setup_teardown(test_name_collision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mark_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_flags_warn, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
