/*
 * local_transport.c - mailbox_transport(_maps) and fallback_transport(_maps):
 * local(8) hands the address it is delivering to another master.cf
 * service (lmtp:unix:private/dovecot-lmtp, say) instead of writing a
 * mailbox. Called from local_expand.c after aliases and .forward.
 *
 * The hand-over is a delivery request like qmgr's (deliver_client.h): the
 * same queue file, content and sender, the one address with the request
 * recipient's original address and DSN attributes, and the nexthop of the
 * "transport:nexthop" value. That agent logs its own line and its result
 * becomes this address's outcome. Failing to reach it defers (4.3.0),
 * never bounces; a failure after it was reached also defers, since the
 * message may or may not have been delivered.
 */
#include <string.h>

#include "conf/conf.h"
#include "local.h"
#include "mail/deliver_client.h"
#include "server/instance.h"
#include "util/mem.h"
#include "util/msg.h"

/* Sends the current address to spec ("transport" or "transport:nexthop"). */
static void local_pass(const struct local_ctx *ctx, const char *name, const char *spec)
{
    struct local_rcpt_state *rs = ctx->rs;
    const struct deliver_request *req = rs->msg->req;
    const struct deliver_rcpt *top = rs->rcpt;
    struct deliver_request sub;
    struct deliver_rcpt one;
    struct deliver_result *res = NULL;
    struct buf transport = BUF_INIT, path = BUF_INIT, err = BUF_INIT;
    const char *colon = strchr(spec, ':');
    int connected;

    buf_set_mem(&transport, spec, colon ? (size_t)(colon - spec) : strlen(spec));
    if (buf_len(&transport) == 0 || strchr(buf_str(&transport), '/') != NULL) {
        msg_warn("%s: bad transport name in \"%s\"", name, spec);
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.5", "mail system configuration error");
        goto done;
    }
    sub = *req;
    sub.transport = (char *)buf_str(&transport);
    sub.nexthop = colon && colon[1] ? (char *)colon + 1 : req->nexthop;
    memset(&one, 0, sizeof(one));
    one.address = (char *)rs->current;
    one.orcpt = top->orcpt[0] ? top->orcpt : strcmp(rs->current, top->address) ? top->address : "";
    one.dsn_orcpt = top->dsn_orcpt;
    one.notify = top->notify;
    /* The request recipient's record only when this address is all of it:
     * an agent may mark that record done, which must not happen while
     * other destinations of an alias or .forward are still pending. Offset
     * 0 is never a recipient record (the version record comes first). */
    one.offset = ctx->level == 0 ? top->offset : 0;
    sub.rcpt = &one;
    sub.nrcpt = 1;
    instance_service_path(&path, 1, buf_str(&transport));
    if (deliver_client_request(buf_str(&path), var_ipc_timeout * 1000L, &sub, &res, &connected,
                               &err) < 0) {
        if (!connected)
            msg_warn("connect to transport private/%s: %s", buf_str(&transport), buf_str(&err));
        else
            msg_warn("%s: %s: delivery request to transport private/%s: %s", req->queue_id, name,
                     buf_str(&transport), buf_str(&err));
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "mail transport unavailable");
        goto done;
    }
    /* That agent logged the address; its result is this address's outcome. */
    local_record(rs, res[0].status, res[0].dsn_status, res[0].reason, &res[0]);
    deliver_results_free(res, 1);
done:
    buf_release(&transport);
    buf_release(&path);
    buf_release(&err);
}

int local_try_transport(const struct local_ctx *ctx, const char *name, const char *maps,
                        const char *value, const char *user)
{
    struct buf found = BUF_INIT, err = BUF_INIT;
    int rc = 0;

    /* name_maps, keyed by the user name (no extension), wins over name. */
    if (maps[0] != '\0') {
        rc = local_table_lookup(maps, user, &found, &err);
        if (rc < 0) {
            msg_warn("%s_maps: %s", name, buf_str(&err));
            local_outcome(ctx->rs, DELIVER_STATUS_DEFER, "4.3.0", "table lookup failure");
            goto done;
        }
    }
    if (rc == 0 && value[0] != '\0') {
        buf_set(&found, value);
        rc = 1;
    }
    if (rc > 0)
        local_pass(ctx, name, buf_str(&found));
done:
    buf_release(&found);
    buf_release(&err);
    return rc != 0;
}
