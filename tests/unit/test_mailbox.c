/*
 * test_mailbox.c - unit tests of Maildir and mbox delivery
 * (lib/mail/mailbox.h): exact bytes of both formats, unique Maildir names
 * (tmp/ left empty, the inode in the name), >From quoting, the size limit
 * (a bounce that leaves the mailbox as it was), locking against a
 * concurrent writer (fcntl and dotlock, stale dotlocks), and a symbolic
 * link in place of a mailbox. Works in a scratch directory under /tmp.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/deliver_proto.h"
#include "mail/mailbox.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/safe_open.h"

static char scratch[64];

static const char message[] = "Subject: test\n"
                              "\n"
                              "From the start of a line.\n"
                              ">From already quoted\n"
                              "  From indented\n"
                              "last line\n";

/* 2026-11-22 04:46:15 UTC */
#define FIXED_TIME 1795322775L

static int setup(void **state)
{
    (void)state;
    snprintf(scratch, sizeof(scratch), "/tmp/test_mailbox.XXXXXX");
    assert_non_null(mkdtemp(scratch));
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

static void default_opts(struct mailbox_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->prepend = "Return-Path: <s@example.com>\nDelivered-To: u@example.com\n";
    o->sender = "s@example.com";
    o->now = FIXED_TIME;
    o->lock = MAILBOX_LOCK_FCNTL | MAILBOX_LOCK_DOTLOCK;
    o->lock_attempts = 2;
    o->lock_delay_ms = 10;
    o->stale_lock_sec = 500;
    o->uid = SAFE_OPEN_ANY_UID;
    o->gid = SAFE_OPEN_ANY_GID;
    o->hostname = "host.example";
}

static void read_file(const char *path, struct buf *out)
{
    char data[4096];
    ssize_t n;
    int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    buf_reset(out);
    while ((n = read(fd, data, sizeof(data))) > 0)
        buf_append(out, data, (size_t)n);
    close(fd);
}

/* The names in dir (not . and ..), sorted, LF-separated; returns the count. */
static int list_dir(const char *dir, struct buf *names)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    buf_reset(names);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        buf_printf(names, "%s\n", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static void test_maildir(void **state)
{
    struct mailbox_content c;
    struct mailbox_mem_source src;
    struct mailbox_opts o;
    struct buf dir = BUF_INIT, dsn = BUF_INIT, why = BUF_INIT, names = BUF_INIT;
    struct buf path = BUF_INIT, data = BUF_INIT, expect = BUF_INIT;
    regex_t re;
    struct stat st;
    char *first, *second, *nl;

    (void)state;
    default_opts(&o);
    mailbox_content_mem(&c, &src, message, strlen(message));
    buf_printf(&dir, "%s/home/u/Maildir/", scratch);
    assert_int_equal(maildir_deliver(buf_str(&dir), &c, &o, &dsn, &why), DELIVER_STATUS_OK);
    assert_string_equal(buf_str(&dsn), "2.0.0");
    assert_string_equal(buf_str(&why), "delivered to maildir");
    assert_int_equal(maildir_deliver(buf_str(&dir), &c, &o, &dsn, &why), DELIVER_STATUS_OK);
    /* tmp/ is empty, new/ has two different names, cur/ exists. */
    buf_printf(&path, "%stmp", buf_str(&dir));
    assert_int_equal(list_dir(buf_str(&path), &names), 0);
    buf_reset(&path);
    buf_printf(&path, "%scur", buf_str(&dir));
    assert_int_equal(stat(buf_str(&path), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    buf_reset(&path);
    buf_printf(&path, "%snew", buf_str(&dir));
    assert_int_equal(list_dir(buf_str(&path), &names), 2);
    assert_int_equal(regcomp(&re, "^1795322775\\.V[0-9a-f]+I[0-9a-f]+M[0-9]+\\.host\\.example$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    first = names.data;
    nl = strchr(first, '\n');
    *nl = '\0';
    assert_int_equal(regexec(&re, first, 0, NULL, 0), 0);
    second = nl + 1;
    *strchr(second, '\n') = '\0';
    assert_int_equal(regexec(&re, second, 0, NULL, 0), 0);
    assert_string_not_equal(first, second);
    regfree(&re);
    /* The inode in the name is the file's. */
    buf_reset(&path);
    buf_printf(&path, "%snew/%s", buf_str(&dir), first);
    assert_int_equal(stat(buf_str(&path), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    {
        char ino[64];

        snprintf(ino, sizeof(ino), "I%lxM", (unsigned long)st.st_ino);
        assert_non_null(strstr(first, ino));
    }
    /* Maildir: no From_ line, no quoting, no blank line at the end. */
    read_file(buf_str(&path), &data);
    buf_printf(&expect, "%s%s", o.prepend, message);
    assert_string_equal(buf_str(&data), buf_str(&expect));
    buf_release(&dir);
    buf_release(&dsn);
    buf_release(&why);
    buf_release(&names);
    buf_release(&path);
    buf_release(&data);
    buf_release(&expect);
}

static void test_maildir_name(void **state)
{
    struct buf out = BUF_INIT;

    (void)state;
    maildir_unique_name(&out, 1795322771, 220767, 0xfe00, 0xa740a4, "vm");
    assert_string_equal(buf_str(&out), "1795322771.Vfe00Ia740a4M220767.vm");
    buf_reset(&out);
    maildir_unique_name(&out, 1, 2, 3, 4, "a/b:c");
    assert_string_equal(buf_str(&out), "1.V3I4M2.a\\057b\\072c");
    buf_release(&out);
}

static void test_mbox_format(void **state)
{
    struct mailbox_content c;
    struct mailbox_mem_source src;
    struct mailbox_opts o;
    struct buf path = BUF_INIT, dsn = BUF_INIT, why = BUF_INIT, data = BUF_INIT;
    struct stat st;

    (void)state;
    default_opts(&o);
    mailbox_content_mem(&c, &src, message, strlen(message));
    buf_printf(&path, "%s/mbox", scratch);
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_OK);
    assert_string_equal(buf_str(&why), "delivered to mailbox");
    o.sender = "";
    o.prepend = "Return-Path: <>\n";
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_OK);
    read_file(buf_str(&path), &data);
    assert_string_equal(buf_str(&data), "From s@example.com  Sun Nov 22 04:46:15 2026\n"
                                        "Return-Path: <s@example.com>\n"
                                        "Delivered-To: u@example.com\n"
                                        "Subject: test\n"
                                        "\n"
                                        ">From the start of a line.\n"
                                        ">From already quoted\n"
                                        "  From indented\n"
                                        "last line\n"
                                        "\n"
                                        "From MAILER-DAEMON  Sun Nov 22 04:46:15 2026\n"
                                        "Return-Path: <>\n"
                                        "Subject: test\n"
                                        "\n"
                                        ">From the start of a line.\n"
                                        ">From already quoted\n"
                                        "  From indented\n"
                                        "last line\n"
                                        "\n");
    assert_int_equal(stat(buf_str(&path), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* The dotlock is gone afterwards. */
    buf_append_str(&path, ".lock");
    assert_int_equal(access(buf_str(&path), F_OK), -1);
    buf_release(&path);
    buf_release(&dsn);
    buf_release(&why);
    buf_release(&data);
}

static void test_size_limit(void **state)
{
    struct mailbox_content c;
    struct mailbox_mem_source src;
    struct mailbox_opts o;
    struct buf path = BUF_INIT, dsn = BUF_INIT, why = BUF_INIT, names = BUF_INIT;
    struct stat st;
    off_t one;

    (void)state;
    default_opts(&o);
    mailbox_content_mem(&c, &src, message, strlen(message));
    buf_printf(&path, "%s/limited", scratch);
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_OK);
    assert_int_equal(stat(buf_str(&path), &st), 0);
    one = st.st_size;
    /* Room for exactly two messages: the second fits, the third bounces. */
    o.size_limit = 2 * one;
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_OK);
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_BOUNCE);
    assert_string_equal(buf_str(&dsn), "5.2.2");
    assert_non_null(strstr(buf_str(&why), "File too large"));
    assert_int_equal(stat(buf_str(&path), &st), 0);
    assert_int_equal(st.st_size, 2 * one);
    /* Maildir: the limit is per message; nothing stays in tmp/ or new/. */
    buf_reset(&path);
    buf_printf(&path, "%s/md/", scratch);
    o.size_limit = (off_t)strlen(message);
    assert_int_equal(maildir_deliver(buf_str(&path), &c, &o, &dsn, &why), DELIVER_STATUS_BOUNCE);
    assert_string_equal(buf_str(&dsn), "5.2.2");
    buf_append_str(&path, "tmp");
    assert_int_equal(list_dir(buf_str(&path), &names), 0);
    buf_truncate(&path, buf_len(&path) - 3);
    buf_append_str(&path, "new");
    assert_int_equal(list_dir(buf_str(&path), &names), 0);
    o.size_limit = (off_t)(strlen(message) + strlen(o.prepend));
    buf_truncate(&path, buf_len(&path) - 3);
    assert_int_equal(maildir_deliver(buf_str(&path), &c, &o, &dsn, &why), DELIVER_STATUS_OK);
    buf_release(&path);
    buf_release(&dsn);
    buf_release(&why);
    buf_release(&names);
}

static void test_fcntl_lock(void **state)
{
    struct mailbox_content c;
    struct mailbox_mem_source src;
    struct mailbox_opts o;
    struct buf path = BUF_INIT, dsn = BUF_INIT, why = BUF_INIT, data = BUF_INIT;
    int ready[2], go[2], fd, status;
    struct timeval t0, t1;
    char ch;
    pid_t pid;

    (void)state;
    default_opts(&o);
    o.lock = MAILBOX_LOCK_FCNTL;
    mailbox_content_mem(&c, &src, message, strlen(message));
    buf_printf(&path, "%s/locked", scratch);
    fd = open(buf_str(&path), O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A concurrent writer: holds the lock until told to stop. */
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

        fd = open(buf_str(&path), O_WRONLY);
        if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0)
            _exit(1);
        if (write(ready[1], "x", 1) != 1 || read(go[0], &ch, 1) != 1)
            _exit(1);
        _exit(0);
    }
    assert_int_equal(read(ready[0], &ch, 1), 1);
    gettimeofday(&t0, NULL);
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_DEFER);
    gettimeofday(&t1, NULL);
    assert_string_equal(buf_str(&dsn), "4.2.0");
    assert_non_null(strstr(buf_str(&why), "unable to lock for exclusive access"));
    /* Two attempts, one 10 ms pause between them. */
    assert_true((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_usec - t0.tv_usec) >= 10000);
    read_file(buf_str(&path), &data);
    assert_int_equal(buf_len(&data), 0);
    assert_int_equal(write(go[1], "x", 1), 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_OK);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    buf_release(&path);
    buf_release(&dsn);
    buf_release(&why);
    buf_release(&data);
}

static void test_dotlock(void **state)
{
    struct mailbox_content c;
    struct mailbox_mem_source src;
    struct mailbox_opts o;
    struct buf path = BUF_INIT, lock = BUF_INIT, dsn = BUF_INIT, why = BUF_INIT;
    struct timespec old[2];
    int fd;

    (void)state;
    default_opts(&o);
    o.lock = MAILBOX_LOCK_DOTLOCK;
    mailbox_content_mem(&c, &src, message, strlen(message));
    buf_printf(&path, "%s/dotted", scratch);
    buf_printf(&lock, "%s.lock", buf_str(&path));
    fd = open(buf_str(&lock), O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_DEFER);
    assert_non_null(strstr(buf_str(&why), "unable to create lock file"));
    assert_int_equal(access(buf_str(&lock), F_OK), 0); /* someone else's: kept */
    /* A lock older than stale_lock_time was left by a crash: removed. */
    old[0].tv_sec = old[1].tv_sec = time(NULL) - 1000;
    old[0].tv_nsec = old[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, buf_str(&lock), old, 0), 0);
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_OK);
    assert_int_equal(access(buf_str(&lock), F_OK), -1);
    buf_release(&path);
    buf_release(&lock);
    buf_release(&dsn);
    buf_release(&why);
}

static void test_symlink_refused(void **state)
{
    struct mailbox_content c;
    struct mailbox_mem_source src;
    struct mailbox_opts o;
    struct buf path = BUF_INIT, target = BUF_INIT, dsn = BUF_INIT, why = BUF_INIT;
    struct stat st;
    int fd;

    (void)state;
    default_opts(&o);
    mailbox_content_mem(&c, &src, message, strlen(message));
    buf_printf(&target, "%s/target", scratch);
    buf_printf(&path, "%s/link", scratch);
    fd = open(buf_str(&target), O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(symlink(buf_str(&target), buf_str(&path)), 0);
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_DEFER);
    assert_int_equal(stat(buf_str(&target), &st), 0);
    assert_int_equal(st.st_size, 0);
    buf_release(&path);
    buf_release(&target);
    buf_release(&dsn);
    buf_release(&why);
}

static void test_strict_owner(void **state)
{
    struct mailbox_content c;
    struct mailbox_mem_source src;
    struct mailbox_opts o;
    struct buf path = BUF_INIT, dsn = BUF_INIT, why = BUF_INIT;
    struct stat st;
    int fd;

    (void)state;
    default_opts(&o);
    mailbox_content_mem(&c, &src, message, strlen(message));
    buf_printf(&path, "%s/owned", scratch);
    fd = open(buf_str(&path), O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    /* An existing mailbox that belongs to someone else is not written. */
    o.uid = getuid() + 1;
    o.gid = getgid();
    o.check_owner = 1;
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_DEFER);
    assert_int_equal(stat(buf_str(&path), &st), 0);
    assert_int_equal(st.st_size, 0);
    o.uid = getuid();
    assert_int_equal(mbox_deliver(buf_str(&path), &c, &o, MAILBOX_FORMAT_MBOX, &dsn, &why),
                     DELIVER_STATUS_OK);
    buf_release(&path);
    buf_release(&dsn);
    buf_release(&why);
}

static void test_lock_parse(void **state)
{
    struct buf err = BUF_INIT;
    int m;

    (void)state;
    assert_int_equal(mailbox_lock_parse("fcntl, dotlock", &m, &err), 0);
    assert_int_equal(m, MAILBOX_LOCK_FCNTL | MAILBOX_LOCK_DOTLOCK);
    assert_int_equal(mailbox_lock_parse("FLOCK", &m, &err), 0);
    assert_int_equal(m, MAILBOX_LOCK_FLOCK);
    assert_int_equal(mailbox_lock_parse("", &m, &err), 0);
    assert_int_equal(m, 0);
    assert_int_equal(mailbox_lock_parse("fcntl, lockf", &m, &err), -1);
    assert_non_null(strstr(buf_str(&err), "lockf"));
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maildir),         cmocka_unit_test(test_maildir_name),
        cmocka_unit_test(test_mbox_format),     cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_fcntl_lock),      cmocka_unit_test(test_dotlock),
        cmocka_unit_test(test_symlink_refused), cmocka_unit_test(test_strict_owner),
        cmocka_unit_test(test_lock_parse),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
