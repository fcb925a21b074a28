/*
 * cleanup_sweep.c - removal of queue files that a killed cleanup process
 * left unfinished in incoming/ (or in hold/: a message to be held moves
 * there just before it gets the complete bit).
 *
 * Every cleanup process holds an open-file-description write lock on the
 * queue file it is writing (cleanup_lock_file(), right after the file is
 * created). The lock dies with the process, so at start-up a new cleanup
 * can tell a dead writer's file (no lock, no complete bit) from a live
 * one. The lock is taken just after the file got its name, so a file is
 * removed only when it is also older than min_age seconds: that closes
 * the window between the rename and the lock. A file with the complete
 * bit is never touched; this code never removes anything outside
 * incoming/ and hold/ and never follows a symbolic link.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util/msg.h"

static int cleanup_ofd_lock(int fd, short type)
{
    struct flock fl;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;
    return fcntl(fd, F_OFD_SETLK, &fl);
}

int cleanup_lock_file(struct queue_file *qf)
{
    return cleanup_ofd_lock(queue_file_fd(qf), F_WRLCK);
}

/* Removes one file if it is unfinished, old enough and not locked. */
static void cleanup_sweep_one(const char *path, const char *id, long min_age)
{
    struct stat st_fd, st_path;
    int fd;

    if (lstat(path, &st_path) < 0 || !S_ISREG(st_path.st_mode) ||
        queue_file_is_complete(&st_path) || time(NULL) - st_path.st_mtime < min_age)
        return;
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0)
        return;
    /* A read lock conflicts with the live writer's write lock. */
    if (cleanup_ofd_lock(fd, F_RDLCK) == 0 && fstat(fd, &st_fd) == 0 &&
        !queue_file_is_complete(&st_fd) && st_fd.st_ino == st_path.st_ino &&
        st_fd.st_dev == st_path.st_dev && lstat(path, &st_path) == 0 &&
        st_fd.st_ino == st_path.st_ino && st_fd.st_dev == st_path.st_dev) {
        if (unlink(path) == 0)
            msg_warn("%s: removed unfinished queue file left by a cleanup process that died", id);
        else if (errno != ENOENT)
            msg_warn("%s: remove unfinished queue file: %s", id, strerror(errno));
    }
    (void)close(fd);
}

static void cleanup_sweep_queue(const char *queue, long min_age)
{
    struct queue_scan *scan;
    struct buf err = BUF_INIT, where = BUF_INIT, path = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    int ret;

    if ((scan = queue_scan_open(cleanup_config.qd, queue, &err)) == NULL) {
        msg_warn("scan %s: %s", queue, buf_str(&err));
        buf_release(&err);
        return;
    }
    while ((ret = queue_scan_next(scan, id, sizeof(id), &where)) != 0) {
        if (ret < 0)
            continue;
        buf_reset(&path);
        buf_printf(&path, "%s/%s", queue_dir_top(cleanup_config.qd), buf_str(&where));
        cleanup_sweep_one(buf_str(&path), id, min_age);
    }
    queue_scan_close(scan);
    buf_release(&err);
    buf_release(&where);
    buf_release(&path);
}

void cleanup_sweep(long min_age)
{
    cleanup_sweep_queue(QUEUE_INCOMING, min_age);
    cleanup_sweep_queue(QUEUE_HOLD, min_age);
}
