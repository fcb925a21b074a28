/*
 * safe_open.h - open or create files and directories without symlink or
 * hard-link races, for code that writes mailboxes and queue files as root.
 *
 * Called by local/virtual delivery (mailboxes), the queue code and the
 * control command's start/check (queue directories, pid files). Only the
 * last path component is checked: the directories leading to it must be
 * trusted (owned by root or the mail owner), as in Postfix. These functions
 * must never follow a symbolic link in the last component, never truncate a
 * file before it has been verified, and never chown/chmod through a symlink.
 */
#ifndef POSTERN_UTIL_SAFE_OPEN_H
#define POSTERN_UTIL_SAFE_OPEN_H

#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"

/* "Do not change / do not check this id" (the fchown(2) convention). */
#define SAFE_OPEN_ANY_UID ((uid_t)-1)
#define SAFE_OPEN_ANY_GID ((gid_t)-1)

/* Extra checks for safe_open_checked() on an existing file. */
#define SAFE_OPEN_CHECK_OWNER 0x1 /* the existing file must be owned by uid */

/*
 * Opens path with flags (O_RDONLY/O_WRONLY/O_RDWR plus O_APPEND, O_CREAT,
 * O_EXCL, O_TRUNC, O_CLOEXEC, ...) and returns the descriptor, or -1 with a
 * reason in why (the buffer is overwritten) and errno set.
 *
 * An existing file is opened with O_NOFOLLOW and accepted only if fstat()
 * shows a regular file with exactly one link whose dev/ino equal those that
 * lstat() saw before the open. O_TRUNC is applied with ftruncate() only after
 * these checks. A file that does not exist is created when O_CREAT is given,
 * always exclusively; when uid or gid is not SAFE_OPEN_ANY_*, the new file is
 * fchown()ed to them (a new file whose chown fails is removed). O_CREAT|O_EXCL
 * refuses an existing file (EEXIST). O_CREAT without O_EXCL opens the file if
 * it exists and creates it otherwise, retrying a bounded number of times if
 * the file appears or disappears under it.
 *
 * errno on refusal: ELOOP (symbolic link), EISDIR (directory), EPERM (other
 * non-regular file, hard links, file replaced during the open, wrong owner).
 * st_out (may be NULL) receives the fstat() of the opened file.
 */
int safe_open(const char *path, int flags, mode_t mode, struct stat *st_out, uid_t uid, gid_t gid,
              struct buf *why);

/* As safe_open(), with checks = SAFE_OPEN_CHECK_OWNER to also require that an
 * existing file be owned by uid (a mailbox must belong to its recipient). */
int safe_open_checked(const char *path, int flags, mode_t mode, struct stat *st_out, uid_t uid,
                      gid_t gid, int checks, struct buf *why);

/* As safe_open_checked(), relative to an open directory: name must be one
 * path component (no '/'), so a trusted directory fd (from safe_open_dir())
 * pins the directory against renames of its parents. */
int safe_openat(int dirfd, const char *name, int flags, mode_t mode, struct stat *st_out, uid_t uid,
                gid_t gid, int checks, struct buf *why);

/* Opens a directory for use with safe_openat() (O_DIRECTORY, O_NOFOLLOW on
 * the last component, close-on-exec). Returns fd or -1 with why and errno. */
int safe_open_dir(const char *path, struct buf *why);

/*
 * The checks safe_open() applies after the open, exposed so that tests and
 * callers that re-verify a descriptor (e.g. after taking a mailbox lock) use
 * the same rules. before is the lstat() of the path, after the fstat() of the
 * descriptor. Returns 0, or -1 with why and errno as for safe_open().
 */
int safe_open_verify(const struct stat *before, const struct stat *after, uid_t owner, int checks,
                     struct buf *why);

/* Flags for safe_mkdir_p(). */
#define SAFE_MKDIR_REPAIR 0x1 /* fix owner and mode of an existing last directory */

/*
 * Creates path and any missing parents. Missing parents are created with
 * mode 0755 (independent of the umask) and owned by the caller; only the last
 * directory gets mode, uid and gid (SAFE_OPEN_ANY_* leaves that id alone).
 * An existing last directory is left as it is, unless flags has
 * SAFE_MKDIR_REPAIR: then a wrong owner or mode is fixed through an
 * O_NOFOLLOW descriptor (a symbolic link there is refused, not followed).
 * Returns -1 with why on error, 0 if nothing had to change, 1 if something
 * was created or repaired, with why saying what (for the check command's log).
 */
int safe_mkdir_p(const char *path, mode_t mode, uid_t uid, gid_t gid, int flags, struct buf *why);

/* Test hook: when set, called between the lstat() and the open() of an
 * existing file, so a test can swap the file in that window. NULL disables. */
void safe_open_set_race_hook(void (*hook)(const char *path));

#endif
