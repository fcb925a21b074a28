/*
 * pickup.c - the pickup daemon: hands the files that postdrop left in
 * maildrop/ to cleanup, which writes the real queue file in incoming/.
 *
 * A trigger server (lib/server/server.h): every trigger (postdrop's "W",
 * the master's wakeup timer) scans maildrop/ once. A file is taken only
 * when it is complete, a regular file with one link and no set-id or
 * group/other-writable mode bits; its records must pass the maildrop
 * rules (lib/mail/maildrop.h) or it goes to corrupt/ with a warning. The
 * submitter is the file's owner (from fstat, never from the content), sent
 * to cleanup as uid=; the sender is sent as written (a bare login name:
 * cleanup appends @$myorigin). The maildrop file is removed only after
 * cleanup has answered that its own queue file is on disk; on a temporary
 * failure it stays for the next scan. pickup never writes to a maildrop
 * file and never reads one that a user could still be writing.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mail/cleanup_client.h"
#include "mail/maildrop.h"
#include "mail/queue_dir.h"
#include "mail/queue_reader.h"
#include "server/instance.h"
#include "server/server.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

/* What became of one maildrop file. */
enum pickup_result {
    PICKUP_DONE,  /* handed to cleanup (or discarded) and removed */
    PICKUP_SKIP,  /* not ours to take now (incomplete, gone, unreadable) */
    PICKUP_RETRY, /* temporary failure: leave it for the next scan */
    PICKUP_STOP,  /* cleanup cannot be reached: end this scan */
};

static struct queue_dir *pickup_qd;
static uid_t pickup_owner_uid;

/* public/cleanup (cleanup's usual master.cf entry, private = n), else
 * private/cleanup. The names are relative to queue_directory, where the
 * skeleton has put us: instance_service_path() gives absolute names, which
 * would be wrong inside a chroot. */
static struct cleanup_client *pickup_connect(struct buf *err)
{
    const char *path = "public/cleanup";
    struct stat st;

    if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
        path = "private/cleanup";
    buf_reset(err);
    return cleanup_client_open(path, var_ipc_timeout * 1000L, err);
}

static void pickup_attr(struct cleanup_envelope *env, const char *name, const char *value)
{
    env->attr = mem_realloc_array(env->attr, env->nattr + 1, sizeof(*env->attr));
    env->attr[env->nattr].name = mem_strdup(name);
    env->attr[env->nattr].value = mem_strdup(value);
    env->nattr++;
}

/* The cleanup request for a maildrop envelope and its owner. */
static void pickup_envelope(const struct maildrop_env *md, uid_t uid, struct cleanup_envelope *env)
{
    struct buf num = BUF_INIT;

    memset(env, 0, sizeof(*env));
    env->sender = mem_strdup(md->sender ? md->sender : "");
    env->flags = CLEANUP_FLAG_LOCAL | (md->extract ? CLEANUP_FLAG_EXTRACT : 0);
    env->arrival_sec = md->arrival_sec;
    env->arrival_usec = md->arrival_usec;
    env->envid = mem_strdup(md->envid ? md->envid : "");
    env->ret = md->ret;
    env->encoding = mem_strdup(md->encoding ? md->encoding : "");
    pickup_attr(env, MAILDROP_ATTR_REWRITE, md->rewrite_context ? md->rewrite_context : "local");
    buf_printf(&num, "%lu", (unsigned long)uid);
    pickup_attr(env, "uid", buf_str(&num));
    if (md->full_name != NULL && *md->full_name != '\0')
        pickup_attr(env, MAILDROP_ATTR_FULL_NAME, md->full_name);
    if (md->notify_default) {
        buf_reset(&num);
        buf_printf(&num, "%d", md->notify_default);
        pickup_attr(env, MAILDROP_ATTR_NOTIFY, buf_str(&num));
    }
    buf_release(&num);
}

/* Why a file we opened must not be used; NULL when it may. */
static const char *pickup_file_refused(const struct stat *st)
{
    if (st->st_nlink != 1)
        return "file has more than one link";
    if (st->st_mode & (S_ISUID | S_ISGID | S_IWGRP | S_IWOTH))
        return "file has set-id or group/other write permission";
    return NULL;
}

static void pickup_corrupt(const char *id, const char *reason)
{
    (void)queue_reader_move_corrupt(pickup_qd, QUEUE_MAILDROP, id, reason);
}

/* Removes the maildrop file after cleanup took the message. */
static void pickup_remove(const char *id)
{
    struct buf path = BUF_INIT;

    if (queue_dir_path(pickup_qd, QUEUE_MAILDROP, id, &path) == 0 && unlink(buf_str(&path)) < 0 &&
        errno != ENOENT)
        msg_warn("%s: remove %s: %s", id, buf_str(&path), strerror(errno));
    buf_release(&path);
}

/* Sends the envelope at MESG; logs Postfix's "ID: uid=N from=<sender>". */
static enum pickup_result pickup_begin(struct cleanup_client **clientp,
                                       const struct maildrop_env *md, uid_t uid, const char *id,
                                       struct buf *err)
{
    struct cleanup_envelope env;
    struct cleanup_client *client;
    struct buf sender = BUF_INIT;

    if ((client = pickup_connect(err)) == NULL) {
        msg_warn("%s: cannot connect to cleanup: %s", id, buf_str(err));
        return PICKUP_STOP;
    }
    pickup_envelope(md, uid, &env);
    if (cleanup_client_env(client, &env, err) < 0 ||
        cleanup_client_rcpt(client, md->rcpt, md->nrcpt, err) < 0) {
        msg_warn("%s: cleanup: %s", id, buf_str(err));
        cleanup_envelope_free(&env);
        cleanup_client_close(client);
        return PICKUP_RETRY;
    }
    cleanup_envelope_free(&env);
    str_printable(&sender, md->sender ? md->sender : "", md->sender ? strlen(md->sender) : 0);
    /* A requeued file (postsuper -r) belongs to the mail owner in root
     * mode; Postfix then names the old ID. */
    if (!instance_nonroot() && uid == pickup_owner_uid)
        msg_info("%s: uid=%lu from=<%s> orig_id=%s", cleanup_client_queue_id(client),
                 (unsigned long)uid, buf_str(&sender), id);
    else
        msg_info("%s: uid=%lu from=<%s>", cleanup_client_queue_id(client), (unsigned long)uid,
                 buf_str(&sender));
    buf_release(&sender);
    *clientp = client;
    return PICKUP_DONE;
}

/* cleanup's verdict on a whole message. */
static enum pickup_result pickup_finish(struct cleanup_client *client, const char *id,
                                        struct buf *err)
{
    struct buf reason = BUF_INIT;
    const char *cid = cleanup_client_queue_id(client);
    enum pickup_result result = PICKUP_DONE;
    int status;

    if (cleanup_client_finish(client, &status, &reason, err) < 0) {
        msg_warn("%s: cleanup: %s", id, buf_str(err));
        result = PICKUP_RETRY;
    } else if (status & (CLEANUP_STAT_BAD | CLEANUP_STAT_WRITE | CLEANUP_STAT_DEFER)) {
        msg_warn("%s: cleanup could not queue the message, will retry: %s", id,
                 reason.len ? buf_str(&reason) : "temporary failure");
        result = PICKUP_RETRY;
    } else if (status & CLEANUP_STAT_PROTO) {
        /* Deterministic: retrying would loop forever. Keep the file. */
        pickup_corrupt(id, reason.len ? buf_str(&reason) : "cleanup refused the request");
        result = PICKUP_SKIP;
    } else if (status != CLEANUP_STAT_OK) {
        /* Postfix has cleanup bounce such a message to the sender; the
         * cleanup protocol has no bounce request yet, so it is logged. */
        msg_warn("%s: %s: message rejected, not queued (no bounce sent): %s", cid, id,
                 reason.len ? buf_str(&reason) : "rejected by cleanup");
        pickup_remove(id);
    } else {
        pickup_remove(id);
    }
    buf_release(&reason);
    cleanup_client_close(client);
    return result;
}

/* One maildrop file, from open to removal. */
static enum pickup_result pickup_file(const char *id)
{
    struct queue_reader *r;
    struct queue_record rec;
    struct maildrop_check check;
    struct maildrop_env md;
    struct cleanup_client *client = NULL;
    struct buf err = BUF_INIT;
    const char *refused;
    enum pickup_result result = PICKUP_DONE;
    uid_t uid;
    int n;

    if ((r = queue_reader_open(pickup_qd, QUEUE_MAILDROP, id, 0, &err)) == NULL) {
        switch (errno) {
        case EAGAIN: /* postdrop is still writing it */
        case ENOENT: /* gone meanwhile */
        case EACCES: /* not yet readable for us (postdrop sets the mode last) */
            if (msg_verbose)
                msg_info("%s: skipped: %s", id, buf_str(&err));
            buf_release(&err);
            return PICKUP_SKIP;
        case ELOOP:
        case EPERM:
            pickup_corrupt(id, buf_str(&err));
            buf_release(&err);
            return PICKUP_SKIP;
        default:
            msg_warn("%s: %s", id, buf_str(&err));
            buf_release(&err);
            return PICKUP_RETRY;
        }
    }
    if ((refused = pickup_file_refused(queue_reader_stat(r))) != NULL) {
        queue_reader_close(r);
        pickup_corrupt(id, refused);
        buf_release(&err);
        return PICKUP_SKIP;
    }
    uid = queue_reader_stat(r)->st_uid;
    maildrop_check_init(&check, MAILDROP_FILE);
    maildrop_env_init(&md);
    while ((n = queue_reader_next(r, &rec)) == 1) {
        if (maildrop_check_queue_record(&check, &rec, &err) < 0 ||
            maildrop_env_add(&md, rec.type, rec.data, rec.len, &err) < 0) {
            struct buf why = BUF_INIT;

            buf_printf(&why, "offset %ld: %s", (long)rec.offset, buf_str(&err));
            buf_set(&err, buf_str(&why));
            buf_release(&why);
            n = -1;
            break;
        }
        if (rec.type == QUEUE_REC_MESG) {
            if ((result = pickup_begin(&client, &md, uid, id, &err)) != PICKUP_DONE)
                break;
        } else if (rec.type == QUEUE_REC_NORM || rec.type == QUEUE_REC_CONT) {
            if (cleanup_client_data(client, rec.data, rec.len, &err) < 0 ||
                (rec.type == QUEUE_REC_NORM && cleanup_client_data(client, "\n", 1, &err) < 0)) {
                msg_warn("%s: cleanup: %s", id, buf_str(&err));
                result = PICKUP_RETRY;
                break;
            }
        }
    }
    if (result == PICKUP_DONE && n < 0) {
        /* A reader error carries its own offset; ours got one above. */
        if (err.len == 0)
            buf_set(&err, queue_reader_error(r));
        if (client != NULL)
            cleanup_client_close(client); /* cleanup removes its unfinished file */
        client = NULL;
        queue_reader_close(r);
        r = NULL;
        pickup_corrupt(id, buf_str(&err));
        result = PICKUP_SKIP;
    } else if (result == PICKUP_DONE) {
        if (!maildrop_check_ended(&check) || client == NULL) {
            /* The reader ends only at END, after MESG: cannot happen. */
            msg_panic("%s: maildrop file ended without content", id);
        }
        result = pickup_finish(client, id, &err);
        client = NULL;
    }
    if (client != NULL)
        cleanup_client_close(client);
    if (r != NULL)
        queue_reader_close(r);
    maildrop_env_free(&md);
    buf_release(&err);
    return result;
}

/* One pass over maildrop/. */
static void pickup_scan(void)
{
    struct queue_scan *scan;
    struct buf err = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    int n;

    if ((scan = queue_scan_open(pickup_qd, QUEUE_MAILDROP, &err)) == NULL) {
        msg_warn("scan %s: %s", QUEUE_MAILDROP, buf_str(&err));
        buf_release(&err);
        return;
    }
    while ((n = queue_scan_next(scan, id, sizeof(id), NULL)) != 0) {
        if (n < 0)
            continue;
        if (pickup_file(id) == PICKUP_STOP)
            break;
    }
    queue_scan_close(scan);
    buf_release(&err);
}

/* Every trigger means "look": the byte itself does not matter. */
static void pickup_service(const char *data, size_t len, const char *service, char **argv)
{
    (void)data;
    (void)len;
    (void)service;
    (void)argv;
    pickup_scan();
}

static void pickup_post_init(const char *service, char **argv)
{
    struct buf err = BUF_INIT;
    gid_t gid;

    (void)service;
    (void)argv;
    /* Relative to queue_directory, where the skeleton has put us (inside
     * a chroot as well as outside). */
    pickup_qd = queue_dir_from_conf_cwd();
    instance_owner_ids(&pickup_owner_uid, &gid);
    buf_release(&err);
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .post_init = pickup_post_init,
    };

    server_trigger_main(argc, argv, pickup_service, &hooks);
}
