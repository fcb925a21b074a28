/*
 * virtual.c - the virtual delivery agent: delivers recipients of
 * virtual_mailbox_domains to virtual_mailbox_base + the virtual_mailbox_maps
 * result (a value ending in '/' is a Maildir, anything else an mbox file),
 * as the virtual_uid_maps / virtual_gid_maps ids.
 *
 * A single-client server that stays root (hooks.privileged) to take each
 * recipient's ids for the delivery and return to root after it; in
 * non-root mode the instance user owns every mailbox and no ids change.
 * It writes nothing in the queue file but the done mark right after each
 * delivery (deliver_agent_mark_done()), never
 * delivers with a uid below virtual_minimum_uid, and never follows a
 * mailbox path out of virtual_mailbox_base ("..": deferred as a
 * configuration error).
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dict/dict.h"
#include "mail/deliver_agent.h"
#include "mail/mail_table.h"
#include "mail/mailbox.h"
#include "mail/queue_dir.h"
#include "mail/queue_reader.h"
#include "server/instance.h"
#include "server/server.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/safe_open.h"
#include "util/str.h"
#include "util/stream.h"

static struct queue_dir *virtual_qd;
static int virtual_lock;
static int virtual_nonroot;

/* Looks address up in the first table of a list that answers: 1 found
 * (value in out), 0 not found, -1 error (err). */
static int virtual_lookup(const char *maps, const char *address, struct buf *out, struct buf *err)
{
    return mail_table_list_lookup(maps, address, DICT_ADDR_FULL | DICT_ADDR_AT_DOMAIN,
                                  var_recipient_delimiter, out, err);
}

/* A uid or gid from its maps: 0 with *id, or -1 with the reason. */
static int virtual_id(const char *param, const char *maps, const char *address, long *id,
                      struct buf *why)
{
    struct buf value = BUF_INIT, err = BUF_INIT;
    int rc, ret = -1;

    rc = virtual_lookup(maps, address, &value, &err);
    if (rc < 0)
        buf_printf(why, "%s lookup error: %s", param, buf_str(&err));
    else if (rc == 0)
        buf_printf(why, "recipient %s: uid not found in %s", address, param);
    else if (str_to_long(str_trim(value.data), id) < 0 || *id < 0)
        buf_printf(why, "recipient %s: bad %s result: %s", address, param, buf_str(&value));
    else
        ret = 0;
    buf_release(&value);
    buf_release(&err);
    return ret;
}

static int virtual_become(uid_t uid, gid_t gid, struct buf *why)
{
    if (virtual_nonroot)
        return 0;
    if (setgroups(1, &gid) < 0 || setegid(gid) < 0 || seteuid(uid) < 0) {
        buf_printf(why, "cannot change to uid %ld gid %ld: %s", (long)uid, (long)gid,
                   strerror(errno));
        return -1;
    }
    return 0;
}

static void virtual_restore(void)
{
    if (virtual_nonroot)
        return;
    if (seteuid(0) < 0 || setegid(0) < 0 || setgroups(0, NULL) < 0)
        msg_fatal("cannot restore root privileges: %m");
}

static void virtual_deliver_rcpt(const struct deliver_request *req, const struct deliver_rcpt *rcpt,
                                 const struct mailbox_content *content, struct deliver_result *res)
{
    struct buf mbox = BUF_INIT, err = BUF_INIT, path = BUF_INIT, prepend = BUF_INIT;
    struct buf dsn = BUF_INIT, why = BUF_INIT;
    struct mailbox_opts o;
    long uid = 0, gid = 0;
    int rc, status;

    rc = virtual_lookup(var_virtual_mailbox_maps, rcpt->address, &mbox, &err);
    if (rc < 0) {
        deliver_result_set(res, DELIVER_STATUS_DEFER, "4.3.0", "virtual",
                           "virtual_mailbox_maps lookup error: %s", buf_str(&err));
        goto done;
    }
    if (rc == 0) {
        deliver_result_set(res, DELIVER_STATUS_BOUNCE, "5.1.1", "virtual", "unknown user: \"%s\"",
                           rcpt->address);
        goto done;
    }
    buf_set(&mbox, str_trim(mbox.data));
    if (buf_len(&mbox) == 0 || strstr(buf_str(&mbox), "..") != NULL ||
        var_virtual_mailbox_base[0] != '/') {
        msg_warn("recipient %s: bad virtual_mailbox_maps result \"%s\" or virtual_mailbox_base",
                 rcpt->address, buf_str(&mbox));
        deliver_result_set(res, DELIVER_STATUS_DEFER, "4.3.5", "virtual",
                           "mail system configuration error");
        goto done;
    }
    if (virtual_id("virtual_uid_maps", var_virtual_uid_maps, rcpt->address, &uid, &why) < 0 ||
        virtual_id("virtual_gid_maps", var_virtual_gid_maps, rcpt->address, &gid, &why) < 0) {
        msg_warn("%s", buf_str(&why));
        deliver_result_set(res, DELIVER_STATUS_DEFER, "4.3.5", "virtual",
                           "mail system configuration error");
        goto done;
    }
    if (uid < var_virtual_minimum_uid) {
        msg_warn("recipient %s: bad uid %ld in virtual_uid_maps", rcpt->address, uid);
        deliver_result_set(res, DELIVER_STATUS_DEFER, "4.3.5", "virtual",
                           "mail system configuration error");
        goto done;
    }
    buf_printf(&path, "%s/%s", var_virtual_mailbox_base, buf_str(&mbox));
    buf_printf(&prepend, "Return-Path: <%s>\nX-Original-To: %s\nDelivered-To: %s\n", req->sender,
               rcpt->orcpt[0] ? rcpt->orcpt : rcpt->address, rcpt->address);
    memset(&o, 0, sizeof(o));
    o.prepend = buf_str(&prepend);
    o.sender = req->sender;
    o.size_limit = var_virtual_mailbox_limit;
    o.lock = virtual_lock;
    o.lock_attempts = var_deliver_lock_attempts;
    o.lock_delay_ms = var_deliver_lock_delay * 1000L;
    o.stale_lock_sec = var_stale_lock_time;
    o.uid = SAFE_OPEN_ANY_UID;
    o.gid = SAFE_OPEN_ANY_GID;
    if (req->flags & DELIVER_FLAG_VERIFY) {
        deliver_result_set(res, DELIVER_STATUS_OK, "2.0.0", "virtual", "deliverable");
        goto done;
    }
    if (virtual_become((uid_t)uid, (gid_t)gid, &why) < 0) {
        deliver_result_set(res, DELIVER_STATUS_DEFER, "4.3.0", "virtual", "%s", buf_str(&why));
        goto done;
    }
    if (buf_str(&path)[buf_len(&path) - 1] == '/') {
        status = maildir_deliver(buf_str(&path), content, &o, &dsn, &why);
        deliver_result_set(res, status, buf_str(&dsn), "virtual", "%s", buf_str(&why));
    } else {
        status = mbox_deliver(buf_str(&path), content, &o, MAILBOX_FORMAT_MBOX, &dsn, &why);
        if (status == DELIVER_STATUS_OK)
            deliver_result_set(res, status, buf_str(&dsn), "virtual", "%s", buf_str(&why));
        else
            deliver_result_set(res, status, buf_str(&dsn), "virtual",
                               "cannot update mailbox %s for user %s. %s", buf_str(&path),
                               rcpt->address, buf_str(&why));
    }
    virtual_restore();
done:
    buf_release(&mbox);
    buf_release(&err);
    buf_release(&path);
    buf_release(&prepend);
    buf_release(&dsn);
    buf_release(&why);
}

static void virtual_deliver(const struct deliver_request *req, struct deliver_result *res,
                            struct deliver_times *times, void *ctx)
{
    struct mailbox_content content;
    struct mailbox_queue_source src;
    struct buf err = BUF_INIT;
    size_t i;

    (void)times;
    (void)ctx;
    if (req->queue == NULL || mailbox_content_queue(&content, &src, req->queue, &err) < 0) {
        if (req->queue != NULL)
            msg_warn("%s: cannot read queue file %s/%s: %s", req->queue_id, req->queue_name,
                     req->queue_id, buf_str(&err));
        deliver_result_fill(res, req->nrcpt, DELIVER_STATUS_DEFER, "4.3.0", "virtual",
                            "queue file read error");
    } else {
        for (i = 0; i < req->nrcpt; i++) {
            virtual_deliver_rcpt(req, &req->rcpt[i], &content, &res[i]);
            deliver_agent_mark_done(req, i, &res[i]);
        }
    }
    buf_release(&err);
}

static void virtual_service(struct stream *client, const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    /* A table rebuilt since the last request (newaliases, postmap) is
     * reopened before this one looks anything up. */
    (void)mail_table_refresh();
    stream_set_timeout(client, var_ipc_timeout * 1000L);
    (void)deliver_agent_serve(client, virtual_qd, virtual_deliver, NULL);
}

static void virtual_pre_init(const char *service_name, char **argv)
{
    struct buf err = BUF_INIT;

    (void)service_name;
    (void)argv;
    virtual_nonroot = instance_nonroot();
    if (mailbox_lock_parse(var_virtual_mailbox_lock, &virtual_lock, &err) < 0)
        msg_fatal("virtual_mailbox_lock: %s", buf_str(&err));
    buf_release(&err);
}

static void virtual_post_init(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    virtual_qd = queue_dir_from_conf_cwd();
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .pre_init = virtual_pre_init,
        .post_init = virtual_post_init,
        .privileged = 1,
    };

    server_single_main(argc, argv, virtual_service, &hooks);
}
