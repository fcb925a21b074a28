/*
 * safe_open.c - race-free open/create of files and directories (see
 * safe_open.h).
 *
 * The rule: whatever lstat() saw is only a hint; the decision is made on the
 * fstat() of the descriptor actually opened, compared with that hint. Flags
 * that change the file (O_TRUNC) or block on special files are kept out of
 * open() and applied after the checks. Reasons never name the path for
 * safe_open*(): the caller does; safe_mkdir_p() names the directory at fault
 * because it may be a parent the caller did not name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "safe_open.h"

/* A file that appears and disappears under us more often than this is an
 * attack or a broken setup, not bad luck. */
#define SAFE_OPEN_TRIES 3

static void (*safe_open_race_hook)(const char *path);

void safe_open_set_race_hook(void (*hook)(const char *path))
{
    safe_open_race_hook = hook;
}

/* Sets why and errno and returns -1, so every refusal is one statement. */
__attribute__((format(printf, 3, 4))) static int safe_open_fail(struct buf *why, int err,
                                                                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_reset(why);
    buf_vprintf(why, fmt, ap);
    va_end(ap);
    errno = err;
    return -1;
}

/* Closes fd without letting close() overwrite the errno being reported. */
static void safe_open_close(int fd)
{
    int saved = errno;

    (void)close(fd);
    errno = saved;
}

int safe_open_verify(const struct stat *before, const struct stat *after, uid_t owner, int checks,
                     struct buf *why)
{
    if (S_ISLNK(after->st_mode))
        return safe_open_fail(why, ELOOP, "file is a symbolic link");
    if (S_ISDIR(after->st_mode))
        return safe_open_fail(why, EISDIR, "not a regular file (directory)");
    if (!S_ISREG(after->st_mode))
        return safe_open_fail(why, EPERM, "not a regular file");
    if (before->st_dev != after->st_dev || before->st_ino != after->st_ino)
        return safe_open_fail(why, EPERM, "file was replaced while it was being opened");
    if (after->st_nlink == 0)
        return safe_open_fail(why, EPERM, "file was removed while it was being opened");
    if (after->st_nlink > 1)
        return safe_open_fail(why, EPERM, "file has %lu hard links",
                              (unsigned long)after->st_nlink);
    if ((checks & SAFE_OPEN_CHECK_OWNER) && owner != SAFE_OPEN_ANY_UID && after->st_uid != owner)
        return safe_open_fail(why, EPERM, "file is owned by uid %ld, not %ld", (long)after->st_uid,
                              (long)owner);
    return 0;
}

/* Opens a file that lstat() (lst) saw; -1 with errno ENOENT lets the caller
 * retry a creation if the file vanished in between. */
static int safe_open_existing(int dirfd, const char *path, int flags, const struct stat *lst,
                              struct stat *st_out, uid_t uid, int checks, struct buf *why)
{
    struct stat fst;
    struct stat again;
    int oflags;
    int fd;

    /* Not O_TRUNC: it would act before the checks. O_NONBLOCK: a FIFO
     * swapped in after lstat() must not hang us in open(). */
    oflags = (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;
    if (safe_open_race_hook)
        safe_open_race_hook(path);
    if ((fd = openat(dirfd, path, oflags)) < 0) {
        int err = errno;

        if (err == ELOOP && fstatat(dirfd, path, &again, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(again.st_mode))
            return safe_open_fail(why, ELOOP, "file is a symbolic link");
        return safe_open_fail(why, err, "open: %s", strerror(err));
    }
    if (fstat(fd, &fst) < 0) {
        safe_open_fail(why, errno, "fstat: %s", strerror(errno));
        safe_open_close(fd);
        return -1;
    }
    if (safe_open_verify(lst, &fst, uid, checks, why) < 0) {
        safe_open_close(fd);
        return -1;
    }
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
        safe_open_fail(why, errno, "fcntl: %s", strerror(errno));
        safe_open_close(fd);
        return -1;
    }
    if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY) {
        if (ftruncate(fd, 0) < 0 || fstat(fd, &fst) < 0) {
            safe_open_fail(why, errno, "truncate: %s", strerror(errno));
            safe_open_close(fd);
            return -1;
        }
    }
    if (st_out)
        *st_out = fst;
    return fd;
}

/* Creates a new file exclusively; errno EEXIST when it already exists. */
static int safe_open_create(int dirfd, const char *path, int flags, mode_t mode,
                            struct stat *st_out, uid_t uid, gid_t gid, struct buf *why)
{
    struct stat fst;
    struct stat now;
    int fd;

    fd = openat(dirfd, path, (flags & ~O_TRUNC) | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, mode);
    if (fd < 0)
        return safe_open_fail(why, errno, "create: %s", strerror(errno));
    if (fstat(fd, &fst) < 0) {
        safe_open_fail(why, errno, "fstat: %s", strerror(errno));
        safe_open_close(fd);
        return -1;
    }
    if (uid != SAFE_OPEN_ANY_UID || gid != SAFE_OPEN_ANY_GID) {
        if (fchown(fd, uid, gid) < 0 || fstat(fd, &fst) < 0) {
            safe_open_fail(why, errno, "fchown to %ld:%ld: %s", (long)uid, (long)gid,
                           strerror(errno));
            /* Do not leave a file with the wrong owner behind, but remove
             * only the file we created, not whatever the name points to now. */
            if (fstatat(dirfd, path, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == fst.st_dev &&
                now.st_ino == fst.st_ino)
                (void)unlinkat(dirfd, path, 0);
            safe_open_close(fd);
            return -1;
        }
    }
    if (st_out)
        *st_out = fst;
    return fd;
}

/* The one implementation behind safe_open() and safe_openat(). */
static int safe_open_at(int dirfd, const char *path, int flags, mode_t mode, struct stat *st_out,
                        uid_t uid, gid_t gid, int checks, struct buf *why)
{
    struct stat lst;
    int tries;
    int fd;

    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        return safe_open_create(dirfd, path, flags, mode, st_out, uid, gid, why);
    for (tries = 0; tries < SAFE_OPEN_TRIES; tries++) {
        if (fstatat(dirfd, path, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT || !(flags & O_CREAT))
                return safe_open_fail(why, errno, "lstat: %s", strerror(errno));
            fd = safe_open_create(dirfd, path, flags, mode, st_out, uid, gid, why);
            if (fd >= 0 || errno != EEXIST)
                return fd;
            continue; /* created by someone else meanwhile: open it */
        }
        /* Refuse what lstat() already shows is wrong, before open() can
         * touch a device or FIFO. */
        if (safe_open_verify(&lst, &lst, uid, checks, why) < 0)
            return -1;
        fd = safe_open_existing(dirfd, path, flags, &lst, st_out, uid, checks, why);
        if (fd >= 0 || errno != ENOENT || !(flags & O_CREAT))
            return fd;
    }
    return safe_open_fail(why, EAGAIN, "file keeps appearing and disappearing (%d attempts)",
                          SAFE_OPEN_TRIES);
}

int safe_open_checked(const char *path, int flags, mode_t mode, struct stat *st_out, uid_t uid,
                      gid_t gid, int checks, struct buf *why)
{
    if (path == NULL || *path == '\0')
        return safe_open_fail(why, ENOENT, "empty path name");
    return safe_open_at(AT_FDCWD, path, flags, mode, st_out, uid, gid, checks, why);
}

int safe_open(const char *path, int flags, mode_t mode, struct stat *st_out, uid_t uid, gid_t gid,
              struct buf *why)
{
    return safe_open_checked(path, flags, mode, st_out, uid, gid, 0, why);
}

int safe_openat(int dirfd, const char *name, int flags, mode_t mode, struct stat *st_out, uid_t uid,
                gid_t gid, int checks, struct buf *why)
{
    /* One component only: a '/' or ".." would leave the pinned directory. */
    if (name == NULL || *name == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return safe_open_fail(why, EINVAL, "invalid file name \"%s\" (one path component needed)",
                              name ? name : "");
    return safe_open_at(dirfd, name, flags, mode, st_out, uid, gid, checks, why);
}

int safe_open_dir(const char *path, struct buf *why)
{
    struct stat st;
    int fd;

    if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) >= 0)
        return fd;
    /* Linux says ENOTDIR, not ELOOP, for a symlink with O_DIRECTORY. */
    if ((errno == ELOOP || errno == ENOTDIR) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return safe_open_fail(why, ELOOP, "%s: is a symbolic link", path);
    if (errno == ENOTDIR)
        return safe_open_fail(why, ENOTDIR, "%s: not a directory", path);
    return safe_open_fail(why, errno, "open %s: %s", path, strerror(errno));
}

/* Appends one change to the report that safe_mkdir_p() returns. */
__attribute__((format(printf, 2, 3))) static void safe_mkdir_note(struct buf *what, const char *fmt,
                                                                  ...)
{
    va_list ap;

    if (buf_len(what))
        buf_append_str(what, "; ");
    va_start(ap, fmt);
    buf_vprintf(what, fmt, ap);
    va_end(ap);
}

/*
 * Brings the open directory fd to owner uid:gid and mode. Owner first:
 * chown may clear set-id bits, the chmod that follows restores them.
 * Returns -1 with why, else the number of changes made.
 */
static int safe_mkdir_fix(int fd, const char *path, mode_t mode, uid_t uid, gid_t gid,
                          struct buf *what, struct buf *why)
{
    struct stat st;
    int changes = 0;
    uid_t new_uid;
    gid_t new_gid;

    if (fstat(fd, &st) < 0)
        return safe_open_fail(why, errno, "fstat %s: %s", path, strerror(errno));
    new_uid = (uid == SAFE_OPEN_ANY_UID) ? st.st_uid : uid;
    new_gid = (gid == SAFE_OPEN_ANY_GID) ? st.st_gid : gid;
    if (new_uid != st.st_uid || new_gid != st.st_gid) {
        if (fchown(fd, new_uid, new_gid) < 0)
            return safe_open_fail(why, errno, "chown %s to %ld:%ld: %s", path, (long)new_uid,
                                  (long)new_gid, strerror(errno));
        safe_mkdir_note(what, "changed owner of %s from %ld:%ld to %ld:%ld", path, (long)st.st_uid,
                        (long)st.st_gid, (long)new_uid, (long)new_gid);
        changes++;
        if (fstat(fd, &st) < 0)
            return safe_open_fail(why, errno, "fstat %s: %s", path, strerror(errno));
    }
    if ((st.st_mode & 07777) != (mode & 07777)) {
        if (fchmod(fd, mode & 07777) < 0)
            return safe_open_fail(why, errno, "chmod %s to %04o: %s", path,
                                  (unsigned)(mode & 07777), strerror(errno));
        safe_mkdir_note(what, "changed mode of %s from %04o to %04o", path,
                        (unsigned)(st.st_mode & 07777), (unsigned)(mode & 07777));
        changes++;
    }
    return changes;
}

/*
 * Makes sure one directory exists. A directory we create gets mode and
 * uid:gid (through an O_NOFOLLOW descriptor, so the umask does not matter);
 * an existing one is checked to be a directory, and repaired if repair is
 * set. Returns -1 with why, or the number of changes made.
 */
static int safe_mkdir_one(const char *path, mode_t mode, uid_t uid, gid_t gid, int repair,
                          struct buf *what, struct buf *why)
{
    struct stat st;
    int created = 0;
    int changes;
    int fd;

    if (mkdir(path, mode & 07777) == 0) {
        created = 1;
    } else if (errno != EEXIST) {
        return safe_open_fail(why, errno, "mkdir %s: %s", path, strerror(errno));
    } else if (!repair) {
        /* Following a symlink is fine when nothing will be changed. */
        if (stat(path, &st) < 0)
            return safe_open_fail(why, errno, "stat %s: %s", path, strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return safe_open_fail(why, ENOTDIR, "%s: exists and is not a directory", path);
        return 0;
    }
    if ((fd = safe_open_dir(path, why)) < 0)
        return -1;
    if (created) {
        /* Owner and mode of a new directory are part of "created". */
        struct buf ignored = BUF_INIT;

        changes = safe_mkdir_fix(fd, path, mode, uid, gid, &ignored, why);
        buf_release(&ignored);
        if (changes >= 0) {
            safe_mkdir_note(what, "created %s", path);
            changes = 1;
        }
    } else {
        changes = safe_mkdir_fix(fd, path, mode, uid, gid, what, why);
    }
    safe_open_close(fd);
    return changes;
}

int safe_mkdir_p(const char *path, mode_t mode, uid_t uid, gid_t gid, int flags, struct buf *why)
{
    struct buf work = BUF_INIT;
    struct buf what = BUF_INIT;
    size_t len;
    char *p;
    int total = 0;
    int rc;

    if (path == NULL || *path == '\0')
        return safe_open_fail(why, ENOENT, "empty directory name");
    buf_set(&work, path);
    /* Drop trailing slashes, but keep "/" itself. */
    for (len = buf_len(&work); len > 1 && work.data[len - 1] == '/'; len--)
        buf_truncate(&work, len - 1);

    /* Parents: each prefix ending just before a '/' that follows a name. */
    for (p = work.data; *p == '/'; p++)
        ;
    while ((p = strchr(p, '/')) != NULL) {
        *p = '\0';
        rc = safe_mkdir_one(work.data, 0755, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, 0, &what, why);
        *p = '/';
        if (rc < 0)
            goto out;
        total += rc;
        while (*p == '/')
            p++;
    }
    rc = safe_mkdir_one(work.data, mode, uid, gid, flags & SAFE_MKDIR_REPAIR, &what, why);
    if (rc >= 0) {
        total += rc;
        rc = total > 0;
        buf_reset(why);
        buf_append(why, buf_str(&what), buf_len(&what));
    }
out:
    buf_release(&work);
    buf_release(&what);
    return rc;
}
