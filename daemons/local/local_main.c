/*
 * local_main.c - the local delivery agent: takes one delivery request from
 * qmgr at a time (deliver_agent_serve), reads the message from the queue
 * file, and delivers each recipient through aliases, .forward files and
 * mailboxes (local_expand.c, local_deliver.c).
 *
 * A single-client server that stays root (hooks.privileged) so that each
 * delivery can run as its recipient; in non-root mode the instance user
 * owns every mailbox and no ids change. It writes nothing in the queue
 * file but the done mark right after each recipient (deliver_agent.h), and
 * never delivers to a recipient whose address already appears in a
 * Delivered-To: header (mail loop).
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "local.h"
#include "mail/deliver_agent.h"
#include "mail/mail_table.h"
#include "mail/queue_dir.h"
#include "mail/queue_reader.h"
#include "server/instance.h"
#include "server/server.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"
#include "util/stream.h"

struct local_config local_config;
static struct queue_dir *local_qd;

void local_record(struct local_rcpt_state *rs, int status, const char *dsn, const char *reason,
                  const struct deliver_result *passed)
{
    int rank_new, rank_old;

    /* DEFER wins over BOUNCE wins over OK: a deferred expansion makes qmgr
     * try the recipient again; a bounce tells the sender about the failure. */
    rank_new = status == DELIVER_STATUS_DEFER ? 2 : status == DELIVER_STATUS_BOUNCE ? 1 : 0;
    rank_old = rs->status == DELIVER_STATUS_DEFER ? 2 : rs->status == DELIVER_STATUS_BOUNCE ? 1 : 0;
    rs->count++;
    if (rs->count > 1 && rank_new < rank_old)
        return;
    rs->status = status;
    buf_set(&rs->dsn, dsn);
    buf_set(&rs->reason, reason);
    buf_set(&rs->relay, passed && passed->relay ? passed->relay : "local");
    buf_set(&rs->action, passed && passed->action ? passed->action : "");
    buf_set(&rs->mta, passed && passed->mta ? passed->mta : "");
    buf_set(&rs->diag, passed && passed->diag ? passed->diag : "");
}

void local_log(const struct local_rcpt_state *rs, const char *address, int status, const char *dsn,
               const char *reason)
{
    const struct deliver_request *req = rs->msg->req;
    struct deliver_rcpt rcpt;
    struct deliver_result res;
    struct deliver_times times;

    if (req->flags & DELIVER_FLAG_VERIFY)
        return;
    /* orig_to is the request's original recipient, whatever the depth. */
    memset(&rcpt, 0, sizeof(rcpt));
    rcpt.address = (char *)address;
    rcpt.orcpt = rs->rcpt->orcpt[0] ? rs->rcpt->orcpt : rs->rcpt->address;
    memset(&res, 0, sizeof(res));
    res.status = status;
    res.dsn_status = (char *)dsn;
    res.reason = (char *)reason;
    res.relay = (char *)"local";
    if (rs->msg->times) {
        times = *rs->msg->times;
    } else {
        gettimeofday(&times.agent_start, NULL);
        times.conn_done = times.agent_start;
    }
    gettimeofday(&times.done, NULL);
    deliver_log(req, &rcpt, &res, &times);
}

void local_outcome(struct local_rcpt_state *rs, int status, const char *dsn, const char *fmt, ...)
{
    struct buf reason = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&reason, fmt, ap);
    va_end(ap);
    local_log(rs, rs->current ? rs->current : rs->rcpt->address, status, dsn, buf_str(&reason));
    local_record(rs, status, dsn, buf_str(&reason), NULL);
    buf_release(&reason);
}

/* Collects the Delivered-To: values of the message headers. */
static int local_scan_headers(struct local_msg *msg, struct buf *err)
{
    const struct mailbox_content *c = &msg->content;
    struct buf line = BUF_INIT;
    const char *data;
    size_t len;
    int eol, rc;

    if (c->rewind(c->ctx, err) < 0)
        return -1;
    while ((rc = c->next(c->ctx, &data, &len, &eol, err)) > 0) {
        buf_append(&line, data, len);
        if (!eol)
            continue;
        if (buf_len(&line) == 0)
            break;
        if (strncasecmp(buf_str(&line), "Delivered-To:", 13) == 0) {
            char *value = str_trim(line.data + 13);

            htable_put(msg->delivered_to, str_lower(value), NULL);
        }
        buf_reset(&line);
    }
    buf_release(&line);
    return rc < 0 ? -1 : 0;
}

static void local_deliver_rcpt(struct local_msg *msg, const struct deliver_rcpt *rcpt,
                               struct deliver_result *res)
{
    struct local_rcpt_state rs;
    struct local_ctx ctx;
    struct buf lower = BUF_INIT;

    memset(&rs, 0, sizeof(rs));
    rs.msg = msg;
    rs.rcpt = rcpt;
    rs.sender = msg->req->sender;
    rs.seen = htable_new(8);
    buf_init(&rs.forward);
    buf_init(&rs.dsn);
    buf_init(&rs.reason);
    buf_init(&rs.relay);
    buf_init(&rs.action);
    buf_init(&rs.mta);
    buf_init(&rs.diag);
    rs.current = rcpt->address;
    buf_set(&lower, rcpt->address);
    str_lower(lower.data);
    if (htable_find(msg->delivered_to, buf_str(&lower)) != NULL) {
        local_outcome(&rs, DELIVER_STATUS_BOUNCE, "5.4.6", "mail forwarding loop for %s",
                      rcpt->address);
    } else if (msg->req->flags & DELIVER_FLAG_VERIFY) {
        struct buf err = BUF_INIT;
        int known = local_address_known(rcpt->address, &err);

        if (known < 0)
            local_outcome(&rs, DELIVER_STATUS_DEFER, "4.3.0", "alias database unavailable: %s",
                          buf_str(&err));
        else if (known)
            local_outcome(&rs, DELIVER_STATUS_OK, "2.0.0", "deliverable");
        else
            local_outcome(&rs, DELIVER_STATUS_BOUNCE, "5.1.1", "unknown user: \"%s\"",
                          rcpt->address);
        buf_release(&err);
    } else {
        memset(&ctx, 0, sizeof(ctx));
        ctx.rs = &rs;
        ctx.source = LOCAL_SRC_NONE;
        ctx.privs = &local_config.default_privs;
        local_deliver_address(&ctx, rcpt->address, 0);
        local_forward_flush(&rs);
    }
    if (rs.count == 0)
        local_outcome(&rs, DELIVER_STATUS_BOUNCE, "5.4.6", "alias expansion of %s is empty",
                      rcpt->address);
    /* The combined outcome goes to qmgr; every line is logged already
     * (except for address verification, which logs nothing here). */
    deliver_result_set(res, rs.status, buf_str(&rs.dsn), buf_str(&rs.relay), "%s",
                       buf_str(&rs.reason));
    if (buf_len(&rs.action)) {
        mem_free(res->action);
        res->action = mem_strdup(buf_str(&rs.action));
    }
    if (buf_len(&rs.mta)) {
        mem_free(res->mta);
        res->mta = mem_strdup(buf_str(&rs.mta));
    }
    if (buf_len(&rs.diag)) {
        mem_free(res->diag);
        res->diag = mem_strdup(buf_str(&rs.diag));
    }
    res->logged = !(msg->req->flags & DELIVER_FLAG_VERIFY);
    htable_free(rs.seen, NULL);
    buf_release(&rs.forward);
    buf_release(&rs.dsn);
    buf_release(&rs.reason);
    buf_release(&rs.relay);
    buf_release(&rs.action);
    buf_release(&rs.mta);
    buf_release(&rs.diag);
    buf_release(&lower);
}

static void local_deliver(const struct deliver_request *req, struct deliver_result *res,
                          struct deliver_times *times, void *ctx)
{
    struct local_msg msg;
    struct mailbox_queue_source src;
    struct buf err = BUF_INIT;
    size_t i;

    (void)ctx;
    memset(&msg, 0, sizeof(msg));
    msg.req = req;
    msg.times = times;
    if (req->queue == NULL || mailbox_content_queue(&msg.content, &src, req->queue, &err) < 0) {
        if (req->queue != NULL)
            msg_warn("%s: cannot read queue file %s/%s: %s", req->queue_id, req->queue_name,
                     req->queue_id, buf_str(&err));
        deliver_result_fill(res, req->nrcpt, DELIVER_STATUS_DEFER, "4.3.0", "local",
                            "queue file read error");
        goto done;
    }
    msg.delivered_to = htable_new(8);
    if (local_scan_headers(&msg, &err) < 0) {
        msg_warn("%s: reading the message: %s", req->queue_id, buf_str(&err));
        deliver_result_fill(res, req->nrcpt, DELIVER_STATUS_DEFER, "4.3.0", "local",
                            "queue file read error");
        goto done;
    }
    for (i = 0; i < req->nrcpt; i++) {
        local_deliver_rcpt(&msg, &req->rcpt[i], &res[i]);
        deliver_agent_mark_done(req, i, &res[i]);
    }
done:
    if (msg.delivered_to)
        htable_free(msg.delivered_to, NULL);
    buf_release(&err);
}

static void local_service(struct stream *client, const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    /* A table rebuilt since the last request (newaliases, postmap) is
     * reopened before this one looks anything up. */
    (void)mail_table_refresh();
    stream_set_timeout(client, var_ipc_timeout * 1000L);
    (void)deliver_agent_serve(client, local_qd, local_deliver, NULL);
}

/* "alias, forward, include" as a bit mask of sources. */
static int local_source_mask(const char *name, const char *value)
{
    char *list = mem_strdup(value), *cursor = list, *word;
    int mask = 0;

    while ((word = str_token_list(&cursor)) != NULL) {
        if (strcasecmp(word, "alias") == 0)
            mask |= 1 << LOCAL_SRC_ALIAS;
        else if (strcasecmp(word, "forward") == 0)
            mask |= 1 << LOCAL_SRC_FORWARD;
        else if (strcasecmp(word, "include") == 0)
            mask |= 1 << LOCAL_SRC_INCLUDE;
        else
            msg_fatal("unknown %s value: %s", name, word);
    }
    mem_free(list);
    return mask;
}

static int local_list_has(const char *value, const char *word)
{
    char *list = mem_strdup(value), *cursor = list, *w;
    int found = 0;

    while (!found && (w = str_token_list(&cursor)) != NULL)
        found = strcasecmp(w, word) == 0;
    mem_free(list);
    return found;
}

static void local_pre_init(const char *service_name, char **argv)
{
    struct buf err = BUF_INIT;
    struct passwd *pw;

    (void)service_name;
    (void)argv;
    local_config.nonroot = instance_nonroot();
    if (mailbox_lock_parse(var_mailbox_delivery_lock, &local_config.lock, &err) < 0)
        msg_fatal("mailbox_delivery_lock: %s", buf_str(&err));
    local_config.allow_files = local_source_mask("allow_mail_to_files", var_allow_mail_to_files);
    local_config.allow_commands =
        local_source_mask("allow_mail_to_commands", var_allow_mail_to_commands);
    local_config.prepend_command = local_list_has(var_prepend_delivered_header, "command");
    local_config.prepend_file = local_list_has(var_prepend_delivered_header, "file");
    local_config.prepend_forward = local_list_has(var_prepend_delivered_header, "forward");
    /* Alias files and commands run as default_privs in root mode; in
     * non-root mode everything runs as the instance user. */
    if (local_config.nonroot)
        pw = getpwuid(geteuid());
    else
        pw = getpwnam(var_default_privs);
    if (pw == NULL)
        msg_fatal("unknown default_privs user: %s", var_default_privs);
    if (!local_config.nonroot && pw->pw_uid == 0)
        msg_fatal("default_privs: %s has root privileges", var_default_privs);
    local_privs_from_pw(&local_config.default_privs, pw);
    buf_release(&err);
}

static void local_post_init(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    local_qd = queue_dir_from_conf_cwd();
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .pre_init = local_pre_init,
        .post_init = local_post_init,
        .privileged = 1,
    };

    server_single_main(argc, argv, local_service, &hooks);
}
