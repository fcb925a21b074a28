/*
 * instance.c - instance-wide ownership and paths (see instance.h).
 *
 * The root-mode checks follow Postfix: mail_owner and setgid_group must
 * exist, must not be privileged, and must not share a group ID, because a
 * mistake there hands the queue to root or to every local user. Messages
 * name main.cf and the parameter, as Postfix's do.
 */
#include <unistd.h>

#include "conf/conf.h"
#include "server/instance.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/proc.h"

int instance_nonroot(void)
{
    return geteuid() != 0;
}

/* Whether the calling process has gid as its effective or a supplementary
 * group. */
static int instance_in_group(gid_t gid)
{
    gid_t *groups;
    int n;
    int i;
    int found = 0;

    if (getegid() == gid || getgid() == gid)
        return 1;
    if ((n = getgroups(0, NULL)) <= 0)
        return 0;
    groups = mem_calloc((size_t)n, sizeof(*groups));
    n = getgroups(n, groups);
    for (i = 0; i < n && !found; i++)
        found = (groups[i] == gid);
    mem_free(groups);
    return found;
}

/* setgid_group's gid, or -1 when it is unknown (why says so). */
static int instance_setgid_lookup(gid_t *gid, struct buf *why)
{
    return proc_lookup_group(var_setgid_group, gid, why);
}

gid_t instance_group_id(void)
{
    struct buf why = BUF_INIT;
    gid_t gid;

    if (instance_nonroot()) {
        if (instance_setgid_lookup(&gid, &why) < 0 || !instance_in_group(gid))
            gid = getgid();
        buf_release(&why);
        return gid;
    }
    if (instance_setgid_lookup(&gid, &why) < 0)
        msg_fatal("file %s: parameter setgid_group: unknown group name: %s", conf_main_path(),
                  var_setgid_group);
    if (gid == 0)
        msg_fatal("file %s: parameter setgid_group: group %s has privileged group ID",
                  conf_main_path(), var_setgid_group);
    buf_release(&why);
    return gid;
}

void instance_owner_ids(uid_t *uid, gid_t *gid)
{
    struct buf why = BUF_INIT;

    if (instance_nonroot()) {
        *uid = getuid();
        *gid = instance_group_id();
        return;
    }
    if (proc_lookup_user(var_mail_owner, uid, gid, &why) < 0)
        msg_fatal("file %s: parameter mail_owner: unknown user name value: %s", conf_main_path(),
                  var_mail_owner);
    if (*uid == 0)
        msg_fatal("file %s: parameter mail_owner: user %s has privileged user ID", conf_main_path(),
                  var_mail_owner);
    if (*gid == instance_group_id())
        msg_fatal("file %s: parameters mail_owner and setgid_group: user %s and group %s have "
                  "the same group ID: %ld",
                  conf_main_path(), var_mail_owner, var_setgid_group, (long)*gid);
    buf_release(&why);
}

void instance_master_lock_path(struct buf *out)
{
    buf_reset(out);
    buf_printf(out, "%s/master.lock", var_data_directory);
}

void instance_master_pid_path(struct buf *out)
{
    buf_reset(out);
    buf_printf(out, "%s/pid/master.pid", var_queue_directory);
}

void instance_service_path(struct buf *out, int private_flag, const char *name)
{
    buf_reset(out);
    buf_printf(out, "%s/%s/%s", var_queue_directory, private_flag ? "private" : "public", name);
}
