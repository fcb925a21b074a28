/*
 * instance.h - facts about one postern instance that the master, the
 * servers and the control command must agree on: who owns the queue
 * (root mode or non-root mode), and where the master's lock and pid files
 * and the service sockets live.
 *
 * Read after conf_apply_globals(): everything comes from var_* globals.
 * Nothing here creates a file or changes an id; the ownership rules are
 * those of DESIGN.md section 1 ("Non-root mode").
 */
#ifndef POSTERN_SERVER_INSTANCE_H
#define POSTERN_SERVER_INSTANCE_H

#include <sys/types.h>

#include "util/buf.h"

/* Non-root mode: the effective user is not root, so every process runs as
 * that user and privilege changes are skipped. */
int instance_nonroot(void);

/*
 * The account that owns the queue. Root mode: mail_owner and its primary
 * group; fatal, with Postfix's messages, when mail_owner is unknown or has
 * user ID 0. Non-root mode: the invoking user and instance_group_id().
 */
void instance_owner_ids(uid_t *uid, gid_t *gid);

/* The group of maildrop/ and public/. Root mode: setgid_group (fatal when
 * unknown or 0). Non-root mode: setgid_group if the invoking user belongs
 * to it, else the user's primary group. */
gid_t instance_group_id(void);

/* data_directory/master.lock: held by the running master for its life. */
void instance_master_lock_path(struct buf *out);
/* queue_directory/pid/master.pid: "%10ld\n", written by the master. */
void instance_master_pid_path(struct buf *out);
/* queue_directory/private/NAME (private_flag) or queue_directory/public/NAME. */
void instance_service_path(struct buf *out, int private_flag, const char *name);

#endif
