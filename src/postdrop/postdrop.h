/*
 * postdrop.h - the policy checks of postdrop, the set-gid helper that puts
 * a local submission into maildrop/: may this user submit mail at all
 * (authorized_submit_users), may they use this envelope sender
 * (local_login_sender_maps), and may they name this configuration
 * directory (alternate_config_directories). Split out of postdrop.c so the
 * unit tests can drive them; postdrop.c is the only other caller.
 *
 * These run with the privileges of the setgid_group and on input from the
 * user: a table that cannot be read is a temporary error (-1), never a
 * "yes".
 */
#ifndef POSTERN_SRC_POSTDROP_H
#define POSTERN_SRC_POSTDROP_H

#include "util/buf.h"

/*
 * authorized_submit_users: a list of login names, "!name" exclusions and
 * "type:table" lookups (matched when the login name is found), separated
 * by blanks or commas ({} groups kept whole), matched left to right; the
 * first match decides and no match means no. "/file/name" patterns are
 * not supported and never match (a warning says so). Returns 1 (allowed),
 * 0 (not allowed) or -1 with err (a table failed).
 */
int postdrop_user_authorized(const char *list, const char *login, struct buf *err);

/*
 * local_login_sender_maps: the tables are searched by login name (the
 * first that answers wins); the result is a list of sender patterns:
 * "*" (anything), empty_key (empty_address_local_login_sender_maps_lookup_key,
 * "<>" by default: the null sender), "@domain" (that domain), or an
 * address (compared without
 * case and without the address extension after a recipient_delimiter
 * character). Not found: not allowed. Returns 1, 0 or -1 with err.
 */
int postdrop_sender_allowed(const char *maps, const char *login, const char *sender,
                            const char *empty_key, const char *delimiters, struct buf *err);

/*
 * Whether dir may be used by a set-id postdrop run by a user other than
 * root: it is the default configuration directory, or it appears (exactly,
 * trailing slashes ignored) in alternate_config_directories or
 * multi_instance_directories (raw values from the default main.cf; Postfix
 * does not expand $name there either). Returns 1 or 0.
 */
int postdrop_config_dir_allowed(const char *dir, const char *default_dir, const char *alternates,
                                const char *multi_instance);

#endif
