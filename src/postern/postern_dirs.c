/*
 * postern_dirs.c - the directories of an instance with their owners and
 * modes (Postfix's postfix-files): the queue under queue_directory, and
 * data_directory. Used by "postern check", "start" and "set-permissions".
 *
 * Root mode: mail_owner owns the queue directories, setgid_group is the
 * group of maildrop/ and public/ (postdrop writes, postqueue connects),
 * pid/ belongs to root. Non-root mode: the invoking user owns everything.
 * Directories are created and repaired through safe_mkdir_p(), which never
 * follows a symbolic link it changes; files inside are never touched.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "postern.h"
#include "server/instance.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/safe_open.h"

/* Who owns a directory. */
enum postern_owner {
    OWNER_MAIL,       /* mail_owner, group unchanged */
    OWNER_MAIL_GROUP, /* mail_owner:setgid_group */
    OWNER_ROOT,       /* root (the invoking user in non-root mode) */
};

static const struct {
    const char *name; /* below queue_directory */
    mode_t mode;
    enum postern_owner owner;
} postern_queue_dirs[] = {
    {"maildrop", 01730, OWNER_MAIL_GROUP},
    {"public", 0710, OWNER_MAIL_GROUP},
    {"pid", 0755, OWNER_ROOT},
    {"private", 0700, OWNER_MAIL},
    {"incoming", 0700, OWNER_MAIL},
    {"active", 0700, OWNER_MAIL},
    {"deferred", 0700, OWNER_MAIL},
    {"hold", 0700, OWNER_MAIL},
    {"corrupt", 0700, OWNER_MAIL},
    {"bounce", 0700, OWNER_MAIL},
    {"defer", 0700, OWNER_MAIL},
    {"trace", 0700, OWNER_MAIL},
    {"flush", 0700, OWNER_MAIL},
    {"saved", 0700, OWNER_MAIL},
};

/* Creates path (silently, as Postfix does), or repairs it (a warning: an
 * owner or mode changed behind our back deserves attention). */
static void postern_dir(const char *path, mode_t mode, uid_t uid, gid_t gid, int flags)
{
    struct buf why = BUF_INIT;
    struct stat st;
    int existed = lstat(path, &st) == 0;
    int rc;

    if ((rc = safe_mkdir_p(path, mode, uid, gid, flags, &why)) < 0)
        msg_fatal("%s", buf_str(&why));
    if (rc > 0 && buf_len(&why) > 0) {
        if (existed)
            msg_warn("%s", buf_str(&why));
        else if (msg_verbose)
            msg_info("%s", buf_str(&why));
    }
    buf_release(&why);
}

void postern_dirs_check(int repair)
{
    struct buf path = BUF_INIT;
    int flags = repair ? SAFE_MKDIR_REPAIR : 0;
    int nonroot = instance_nonroot();
    uid_t owner;
    gid_t owner_gid;
    gid_t group;
    uid_t uid;
    gid_t gid;
    size_t i;

    instance_owner_ids(&owner, &owner_gid);
    group = instance_group_id();

    /* The queue's top: created if missing (root's, 0755), left alone
     * otherwise; it may be a directory the administrator manages. */
    postern_dir(var_queue_directory, 0755, nonroot ? getuid() : 0,
                nonroot ? group : SAFE_OPEN_ANY_GID, 0);
    for (i = 0; i < sizeof(postern_queue_dirs) / sizeof(postern_queue_dirs[0]); i++) {
        switch (postern_queue_dirs[i].owner) {
        case OWNER_MAIL_GROUP:
            uid = owner;
            gid = group;
            break;
        case OWNER_ROOT:
            uid = nonroot ? getuid() : 0;
            gid = nonroot ? group : SAFE_OPEN_ANY_GID;
            break;
        default:
            uid = owner;
            gid = nonroot ? group : SAFE_OPEN_ANY_GID;
            break;
        }
        buf_reset(&path);
        buf_printf(&path, "%s/%s", var_queue_directory, postern_queue_dirs[i].name);
        postern_dir(buf_str(&path), postern_queue_dirs[i].mode, uid, gid, flags);
    }
    postern_dir(var_data_directory, 0700, owner, nonroot ? group : SAFE_OPEN_ANY_GID, flags);
    buf_release(&path);
}
