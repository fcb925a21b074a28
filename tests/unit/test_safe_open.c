/*
 * test_safe_open.c - unit tests for lib/util/safe_open.c.
 *
 * Each test works in its own mkdtemp() directory under /tmp, removed in the
 * teardown. Ownership tests run only as root and skip otherwise; the
 * "chown fails" test needs the opposite and skips as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/safe_open.h"

struct fixture {
    char dir[64];
    struct buf why;
    mode_t old_umask;
};

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/postern-safe-open-XXXXXX");
    if (mkdtemp(fx->dir) == NULL || chdir(fx->dir) < 0) {
        free(fx);
        return -1;
    }
    buf_init(&fx->why);
    fx->old_umask = umask(022);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc;

    safe_open_set_race_hook(NULL);
    umask(fx->old_umask);
    rc = chdir("/");
    if (rc == 0)
        rc = nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    buf_release(&fx->why);
    free(fx);
    return rc;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
}

static off_t file_size(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void test_open_existing(void **state)
{
    struct fixture *fx = *state;
    struct stat st;
    struct stat lst;
    int fd;

    write_file("mbox", "hello\n");
    fd = safe_open("mbox", O_RDONLY, 0, &st, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &fx->why);
    assert_true(fd >= 0);
    assert_int_equal(lstat("mbox", &lst), 0);
    assert_true(st.st_ino == lst.st_ino && st.st_dev == lst.st_dev);
    assert_int_equal(st.st_size, 6);
    /* O_NONBLOCK used during the open must not stick unless asked for. */
    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    close(fd);

    /* O_TRUNC is honoured, after the checks. */
    fd = safe_open("mbox", O_WRONLY | O_TRUNC, 0, &st, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID,
                   &fx->why);
    assert_true(fd >= 0);
    assert_int_equal(st.st_size, 0);
    close(fd);
    assert_int_equal(file_size("mbox"), 0);

    /* Missing file without O_CREAT. */
    assert_int_equal(
        safe_open("nope", O_RDONLY, 0, NULL, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &fx->why), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(buf_str(&fx->why), "lstat"));
}

static void test_refuse_symlink(void **state)
{
    struct fixture *fx = *state;
    struct stat st;

    write_file("target", "precious\n");
    assert_int_equal(symlink("target", "link"), 0);
    errno = 0;
    assert_int_equal(safe_open("link", O_WRONLY | O_TRUNC, 0, NULL, SAFE_OPEN_ANY_UID,
                               SAFE_OPEN_ANY_GID, &fx->why),
                     -1);
    assert_int_equal(errno, ELOOP);
    assert_string_equal(buf_str(&fx->why), "file is a symbolic link");
    assert_int_equal(file_size("target"), 9); /* not truncated through the link */

    /* A dangling link with O_CREAT must not create its target... */
    assert_int_equal(symlink("created-by-attacker", "dangling"), 0);
    assert_int_equal(safe_open("dangling", O_WRONLY | O_CREAT, 0600, NULL, SAFE_OPEN_ANY_UID,
                               SAFE_OPEN_ANY_GID, &fx->why),
                     -1);
    assert_int_equal(errno, ELOOP);
    /* ...nor with O_EXCL. */
    assert_int_equal(safe_open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0600, NULL,
                               SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &fx->why),
                     -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(lstat("created-by-attacker", &st), -1);
    assert_int_equal(errno, ENOENT);
}

static void test_refuse_hardlink(void **state)
{
    struct fixture *fx = *state;

    write_file("a", "data\n");
    assert_int_equal(link("a", "b"), 0);
    assert_int_equal(
        safe_open("a", O_WRONLY | O_TRUNC, 0, NULL, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &fx->why),
        -1);
    assert_int_equal(errno, EPERM);
    assert_string_equal(buf_str(&fx->why), "file has 2 hard links");
    assert_int_equal(file_size("a"), 5);

    /* Back to one link: accepted again. */
    assert_int_equal(unlink("b"), 0);
    int fd = safe_open("a", O_RDONLY, 0, NULL, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &fx->why);
    assert_true(fd >= 0);
    close(fd);
}

static void test_refuse_non_regular(void **state)
{
    struct fixture *fx = *state;

    assert_int_equal(mkdir("d", 0755), 0);
    assert_int_equal(
        safe_open("d", O_RDONLY, 0, NULL, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &fx->why), -1);
    assert_int_equal(errno, EISDIR);
    assert_non_null(strstr(buf_str(&fx->why), "not a regular file"));

    /* A FIFO is refused without blocking in open() (alarm bounds a hang). */
    assert_int_equal(mkfifo("fifo", 0600), 0);
    alarm(5);
    assert_int_equal(
        safe_open("fifo", O_RDONLY, 0, NULL, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &fx->why), -1);
    alarm(0);
    assert_int_equal(errno, EPERM);
    assert_string_equal(buf_str(&fx->why), "not a regular file");
}

/* Race hooks: replace "victim" between lstat() and open(). */
static void swap_in_other_file(const char *path)
{
    assert_string_equal(path, "victim");
    assert_int_equal(rename("other", "victim"), 0);
}

static void swap_in_symlink(const char *path)
{
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink("other", path), 0);
}

static void test_refuse_swapped(void **state)
{
    struct fixture *fx = *state;

    write_file("victim", "mine\n");
    write_file("other", "theirs, longer\n");
    safe_open_set_race_hook(swap_in_other_file);
    assert_int_equal(safe_open("victim", O_WRONLY | O_TRUNC, 0, NULL, SAFE_OPEN_ANY_UID,
                               SAFE_OPEN_ANY_GID, &fx->why),
                     -1);
    assert_int_equal(errno, EPERM);
    assert_string_equal(buf_str(&fx->why), "file was replaced while it was being opened");
    assert_int_equal(file_size("victim"), 15); /* the swapped-in file was not truncated */

    write_file("other", "x\n");
    safe_open_set_race_hook(swap_in_symlink);
    assert_int_equal(
        safe_open("victim", O_WRONLY, 0, NULL, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &fx->why), -1);
    assert_int_equal(errno, ELOOP);
    assert_string_equal(buf_str(&fx->why), "file is a symbolic link");
    safe_open_set_race_hook(NULL);
}

static void test_verify_direct(void **state)
{
    struct fixture *fx = *state;
    struct stat before;
    struct stat after;

    memset(&before, 0, sizeof(before));
    before.st_mode = S_IFREG | 0600;
    before.st_dev = 8;
    before.st_ino = 1234;
    before.st_nlink = 1;
    before.st_uid = 100;
    after = before;
    assert_int_equal(safe_open_verify(&before, &after, SAFE_OPEN_ANY_UID, 0, &fx->why), 0);

    after.st_ino = 1235;
    assert_int_equal(safe_open_verify(&before, &after, SAFE_OPEN_ANY_UID, 0, &fx->why), -1);
    assert_int_equal(errno, EPERM);
    assert_non_null(strstr(buf_str(&fx->why), "replaced"));
    after.st_ino = 1234;
    after.st_dev = 9; /* same inode number on another file system */
    assert_int_equal(safe_open_verify(&before, &after, SAFE_OPEN_ANY_UID, 0, &fx->why), -1);
    after.st_dev = 8;

    after.st_nlink = 0;
    assert_int_equal(safe_open_verify(&before, &after, SAFE_OPEN_ANY_UID, 0, &fx->why), -1);
    assert_non_null(strstr(buf_str(&fx->why), "removed"));
    after.st_nlink = 3;
    assert_int_equal(safe_open_verify(&before, &after, SAFE_OPEN_ANY_UID, 0, &fx->why), -1);
    assert_string_equal(buf_str(&fx->why), "file has 3 hard links");
    after.st_nlink = 1;

    /* The owner is checked only when asked. */
    assert_int_equal(safe_open_verify(&before, &after, 101, 0, &fx->why), 0);
    assert_int_equal(safe_open_verify(&before, &after, 101, SAFE_OPEN_CHECK_OWNER, &fx->why), -1);
    assert_string_equal(buf_str(&fx->why), "file is owned by uid 100, not 101");
    assert_int_equal(safe_open_verify(&before, &after, 100, SAFE_OPEN_CHECK_OWNER, &fx->why), 0);

    after.st_mode = S_IFCHR | 0600;
    assert_int_equal(safe_open_verify(&before, &after, SAFE_OPEN_ANY_UID, 0, &fx->why), -1);
    assert_string_equal(buf_str(&fx->why), "not a regular file");
}

static void test_create_excl(void **state)
{
    struct fixture *fx = *state;
    struct stat st;
    int fd;

    umask(022);
    fd = safe_open("new", O_WRONLY | O_CREAT | O_EXCL, 0640, &st, SAFE_OPEN_ANY_UID,
                   SAFE_OPEN_ANY_GID, &fx->why);
    assert_true(fd >= 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(st.st_uid, geteuid());
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);

    assert_int_equal(safe_open("new", O_WRONLY | O_CREAT | O_EXCL, 0640, NULL, SAFE_OPEN_ANY_UID,
                               SAFE_OPEN_ANY_GID, &fx->why),
                     -1);
    assert_int_equal(errno, EEXIST);
    assert_non_null(strstr(buf_str(&fx->why), "create"));
    assert_int_equal(file_size("new"), 1);
}

static void test_create_or_open(void **state)
{
    struct fixture *fx = *state;
    struct stat first;
    struct stat second;
    int fd;

    fd = safe_open("q", O_WRONLY | O_CREAT | O_APPEND, 0600, &first, SAFE_OPEN_ANY_UID,
                   SAFE_OPEN_ANY_GID, &fx->why);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    fd = safe_open("q", O_WRONLY | O_CREAT | O_APPEND, 0600, &second, SAFE_OPEN_ANY_UID,
                   SAFE_OPEN_ANY_GID, &fx->why);
    assert_true(fd >= 0);
    assert_true(first.st_ino == second.st_ino);
    assert_int_equal(second.st_size, 3); /* opened, not re-created */
    close(fd);
}

static void test_owner_check(void **state)
{
    struct fixture *fx = *state;
    uid_t me = geteuid();
    int fd;

    write_file("owned", "x");
    fd = safe_open_checked("owned", O_RDONLY, 0, NULL, me, SAFE_OPEN_ANY_GID, SAFE_OPEN_CHECK_OWNER,
                           &fx->why);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(safe_open_checked("owned", O_RDONLY, 0, NULL, me + 1, SAFE_OPEN_ANY_GID,
                                       SAFE_OPEN_CHECK_OWNER, &fx->why),
                     -1);
    assert_int_equal(errno, EPERM);
    assert_non_null(strstr(buf_str(&fx->why), "is owned by uid"));
}

static void test_create_chown_root(void **state)
{
    struct fixture *fx = *state;
    struct stat st;
    struct stat now;
    int fd;

    if (geteuid() != 0)
        skip();
    fd = safe_open("mailbox", O_WRONLY | O_CREAT | O_EXCL, 0600, &st, 65534, 65534, &fx->why);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(st.st_uid, 65534);
    assert_int_equal(st.st_gid, 65534);
    assert_int_equal(stat("mailbox", &now), 0);
    assert_int_equal(now.st_uid, 65534);
    assert_int_equal(now.st_gid, 65534);

    /* Only uid given: gid stays the creator's. */
    fd = safe_open("mailbox2", O_WRONLY | O_CREAT | O_EXCL, 0600, &st, 65534, SAFE_OPEN_ANY_GID,
                   &fx->why);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(st.st_uid, 65534);
    assert_int_equal(st.st_gid, getegid());
}

static void test_create_chown_fails(void **state)
{
    struct fixture *fx = *state;
    struct stat st;

    if (geteuid() == 0)
        skip(); /* root may chown to anyone */
    assert_int_equal(safe_open("mailbox", O_WRONLY | O_CREAT | O_EXCL, 0600, NULL, 0, 0, &fx->why),
                     -1);
    assert_int_equal(errno, EPERM);
    assert_non_null(strstr(buf_str(&fx->why), "fchown"));
    assert_int_equal(lstat("mailbox", &st), -1); /* removed again */
}

static void test_openat(void **state)
{
    struct fixture *fx = *state;
    struct stat st;
    int dirfd;
    int fd;

    assert_int_equal(mkdir("queue", 0700), 0);
    assert_int_equal(mkdir("queue/sub", 0700), 0);
    dirfd = safe_open_dir("queue", &fx->why);
    assert_true(dirfd >= 0);

    fd = safe_openat(dirfd, "ABC123", O_WRONLY | O_CREAT | O_EXCL, 0600, NULL, SAFE_OPEN_ANY_UID,
                     SAFE_OPEN_ANY_GID, 0, &fx->why);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(stat("queue/ABC123", &st), 0);

    assert_int_equal(safe_openat(dirfd, "sub/x", O_RDONLY, 0, NULL, SAFE_OPEN_ANY_UID,
                                 SAFE_OPEN_ANY_GID, 0, &fx->why),
                     -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(safe_openat(dirfd, "..", O_RDONLY, 0, NULL, SAFE_OPEN_ANY_UID,
                                 SAFE_OPEN_ANY_GID, 0, &fx->why),
                     -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(safe_openat(dirfd, "", O_RDONLY, 0, NULL, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID,
                                 0, &fx->why),
                     -1);
    assert_int_equal(errno, EINVAL);

    assert_int_equal(symlinkat("/etc/passwd", dirfd, "evil"), 0);
    assert_int_equal(safe_openat(dirfd, "evil", O_RDONLY, 0, NULL, SAFE_OPEN_ANY_UID,
                                 SAFE_OPEN_ANY_GID, 0, &fx->why),
                     -1);
    assert_int_equal(errno, ELOOP);
    close(dirfd);

    /* safe_open_dir refuses a symlink and a file. */
    assert_int_equal(symlink("queue", "qlink"), 0);
    assert_int_equal(safe_open_dir("qlink", &fx->why), -1);
    assert_int_equal(errno, ELOOP);
    assert_non_null(strstr(buf_str(&fx->why), "symbolic link"));
    write_file("plain", "x");
    assert_int_equal(safe_open_dir("plain", &fx->why), -1);
    assert_int_equal(errno, ENOTDIR);
}

static void test_mkdir_p_nested(void **state)
{
    struct fixture *fx = *state;
    struct stat st;

    umask(077); /* parents must still come out 0755 */
    assert_int_equal(safe_mkdir_p("spool/postern/active", 0700, SAFE_OPEN_ANY_UID,
                                  SAFE_OPEN_ANY_GID, 0, &fx->why),
                     1);
    assert_non_null(strstr(buf_str(&fx->why), "created spool/postern/active"));
    assert_non_null(strstr(buf_str(&fx->why), "created spool;"));
    assert_int_equal(stat("spool", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(stat("spool/postern", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(stat("spool/postern/active", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);

    /* Second run: nothing to do, nothing reported. */
    assert_int_equal(safe_mkdir_p("spool/postern/active", 0700, SAFE_OPEN_ANY_UID,
                                  SAFE_OPEN_ANY_GID, SAFE_MKDIR_REPAIR, &fx->why),
                     0);
    assert_string_equal(buf_str(&fx->why), "");

    /* Absolute path, doubled and trailing slashes. */
    char path[128];
    snprintf(path, sizeof(path), "%s//abs/x//", fx->dir);
    assert_int_equal(safe_mkdir_p(path, 0750, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, 0, &fx->why),
                     1);
    assert_int_equal(stat("abs/x", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);

    /* A file in the way. */
    write_file("file", "x");
    assert_int_equal(
        safe_mkdir_p("file/sub", 0700, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, 0, &fx->why), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_non_null(strstr(buf_str(&fx->why), "file"));
    assert_int_equal(safe_mkdir_p("", 0700, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, 0, &fx->why), -1);
}

static void test_mkdir_p_repair(void **state)
{
    struct fixture *fx = *state;
    struct stat st;

    assert_int_equal(mkdir("deferred", 0700), 0);
    assert_int_equal(chmod("deferred", 0777), 0);

    /* Without repair an existing directory is left alone. */
    assert_int_equal(
        safe_mkdir_p("deferred", 0700, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, 0, &fx->why), 0);
    assert_int_equal(stat("deferred", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0777);

    assert_int_equal(safe_mkdir_p("deferred", 0700, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID,
                                  SAFE_MKDIR_REPAIR, &fx->why),
                     1);
    assert_string_equal(buf_str(&fx->why), "changed mode of deferred from 0777 to 0700");
    assert_int_equal(stat("deferred", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);

    /* Set-id bits count as part of the mode. */
    assert_int_equal(safe_mkdir_p("deferred", 02710, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID,
                                  SAFE_MKDIR_REPAIR, &fx->why),
                     1);
    assert_int_equal(stat("deferred", &st), 0);
    assert_int_equal(st.st_mode & 07777, 02710);

    /* Never repair through a symlink; without repair, following is fine. */
    assert_int_equal(symlink("deferred", "dlink"), 0);
    assert_int_equal(safe_mkdir_p("dlink", 0755, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID,
                                  SAFE_MKDIR_REPAIR, &fx->why),
                     -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(stat("deferred", &st), 0);
    assert_int_equal(st.st_mode & 07777, 02710);
    assert_int_equal(safe_mkdir_p("dlink", 0755, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, 0, &fx->why),
                     0);
}

static void test_mkdir_p_owner_root(void **state)
{
    struct fixture *fx = *state;
    struct stat st;

    if (geteuid() != 0)
        skip();
    /* New last directory gets the owner; the parent stays root's. */
    assert_int_equal(safe_mkdir_p("q/maildrop", 0730, 65534, 65534, 0, &fx->why), 1);
    assert_int_equal(stat("q/maildrop", &st), 0);
    assert_int_equal(st.st_uid, 65534);
    assert_int_equal(st.st_gid, 65534);
    assert_int_equal(st.st_mode & 07777, 0730);
    assert_int_equal(stat("q", &st), 0);
    assert_int_equal(st.st_uid, 0);

    /* Repair a wrong owner. */
    assert_int_equal(chown("q/maildrop", 0, 0), 0);
    assert_int_equal(safe_mkdir_p("q/maildrop", 0730, 65534, 65534, SAFE_MKDIR_REPAIR, &fx->why),
                     1);
    assert_string_equal(buf_str(&fx->why), "changed owner of q/maildrop from 0:0 to 65534:65534");
    assert_int_equal(stat("q/maildrop", &st), 0);
    assert_int_equal(st.st_uid, 65534);
    assert_int_equal(st.st_gid, 65534);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_hardlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_non_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_swapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_direct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_excl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_or_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_chown_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_chown_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p_repair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p_owner_root, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
