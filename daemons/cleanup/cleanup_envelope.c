/*
 * cleanup_envelope.c - the envelope part of a message: arrival time,
 * named attributes, sender and recipients, written to the queue file as
 * they arrive.
 *
 * Called by cleanup_main.c for "env" and "rcpt" requests and by
 * cleanup_message.c for recipients extracted from headers. Recipients go
 * through the rewrite and virtual alias hooks, then the duplicate filter:
 * the same final address with the same original recipient and DSN ORCPT is
 * written once (up to duplicate_filter_limit remembered addresses; beyond
 * that, duplicates are written, never dropped by guess).
 */
#include <string.h>
#include <sys/time.h>

#include "cleanup.h"
#include "cleanup_hooks.h"
#include "conf/conf.h"
#include "util/mem.h"
#include "util/msg.h"

/* Attributes cleanup itself interprets; they are written as well. */
#define CLEANUP_ATTR_FULL_NAME "full_name"
#define CLEANUP_ATTR_UID       "uid"
#define CLEANUP_ATTR_REWRITE   "rewrite_context"

static void cleanup_env_attr(struct cleanup_state *state, const char *name, const char *value,
                             size_t *written)
{
    if (state->status)
        return;
    if (strcmp(name, CLEANUP_ATTR_FULL_NAME) == 0) {
        mem_free(state->full_name);
        state->full_name = mem_strdup(value);
    } else if (strcmp(name, CLEANUP_ATTR_UID) == 0) {
        mem_free(state->uid);
        state->uid = mem_strdup(value);
    } else if (strcmp(name, CLEANUP_ATTR_REWRITE) == 0) {
        mem_free(state->rewrite_context);
        state->rewrite_context = mem_strdup(value);
    } else if (strcmp(name, "client_name") == 0) {
        mem_free(state->client_name);
        state->client_name = mem_strdup(value);
    } else if (strcmp(name, "client_address") == 0) {
        mem_free(state->client_address);
        state->client_address = mem_strdup(value);
    } else if (strcmp(name, "helo_name") == 0) {
        mem_free(state->helo_name);
        state->helo_name = mem_strdup(value);
    } else if (strcmp(name, "protocol_name") == 0) {
        mem_free(state->protocol_name);
        state->protocol_name = mem_strdup(value);
    }
    /* The recipient's DSN attribute belongs to the RCPT that follows it: a
     * client must not be able to forge one into the envelope. */
    if (name[0] == '\0' || strchr(name, '=') != NULL || strcmp(name, QUEUE_ATTR_DSN_ORCPT) == 0) {
        msg_warn("%s: ignoring named attribute \"%.100s\"", state->queue_id, name);
        return;
    }
    if (*written >= (size_t)var_queue_file_attribute_count_limit) {
        msg_warn("%s: more than %d named attributes: ignoring %.100s", state->queue_id,
                 var_queue_file_attribute_count_limit, name);
        return;
    }
    if (queue_file_put_attr(state->qf, name, value) < 0)
        cleanup_write_error(state);
    (*written)++;
}

void cleanup_envelope(struct cleanup_state *state, const struct cleanup_envelope *env)
{
    struct buf addr = BUF_INIT;
    struct timeval now;
    size_t i, written = 0;

    gettimeofday(&now, NULL);
    state->flags = env->flags;
    if (env->arrival_sec > 0 && env->arrival_usec < 1000000) {
        state->arrival.tv_sec = env->arrival_sec;
        state->arrival.tv_usec = env->arrival_usec;
    } else {
        state->arrival = now;
    }
    state->local_headers = (env->flags & CLEANUP_FLAG_LOCAL) || var_always_add_missing_headers;
    queue_file_set_flags(state->qf, 0, env->smtputf8 ? 1 : 0);
    if (queue_file_put_time(state->qf, QUEUE_REC_TIME, &state->arrival) < 0 ||
        queue_file_put_time(state->qf, QUEUE_REC_CTIME, &now) < 0) {
        cleanup_write_error(state);
        return;
    }
    for (i = 0; i < env->nattr; i++)
        cleanup_env_attr(state, env->attr[i].name, env->attr[i].value, &written);
    buf_set(&addr, env->sender);
    cleanup_hooks.rewrite_address(state, CLEANUP_ADDR_ENV_SENDER, &addr);
    state->sender = mem_strdup(buf_str(&addr));
    buf_release(&addr);
    if (state->status)
        return;
    if (queue_file_put_sender(state->qf, state->sender) < 0 ||
        (env->envid[0] != '\0' &&
         queue_file_put(state->qf, QUEUE_REC_DSN_ENVID, env->envid, strlen(env->envid)) < 0) ||
        ((env->ret == DSN_RET_FULL || env->ret == DSN_RET_HDRS) &&
         queue_file_putf(state->qf, QUEUE_REC_DSN_RET, "%d", env->ret) < 0))
        cleanup_write_error(state);
}

/* Writes one final recipient unless the duplicate filter has seen it. */
static void cleanup_put_recipient(struct cleanup_state *state, const char *rcpt, const char *orig,
                                  const char *dsn_orcpt, int notify)
{
    struct buf *key = &state->scratch;

    buf_reset(key);
    buf_printf(key, "%s\n%s\n%s", rcpt, orig, dsn_orcpt ? dsn_orcpt : "");
    if (htable_find(state->dups, buf_str(key)) != NULL)
        return;
    if (var_duplicate_filter_limit == 0 || state->dup_count < (size_t)var_duplicate_filter_limit) {
        htable_put(state->dups, buf_str(key), NULL);
        state->dup_count++;
    }
    if (queue_file_put_recipient(state->qf, dsn_orcpt && dsn_orcpt[0] ? dsn_orcpt : NULL,
                                 notify & (DSN_NOTIFY_NEVER | DSN_NOTIFY_SUCCESS |
                                           DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY),
                                 var_enable_original_recipient ? orig : NULL, rcpt, NULL) < 0) {
        cleanup_write_error(state);
        return;
    }
    state->rcpt_count++;
}

void cleanup_add_recipient(struct cleanup_state *state, const char *orig, const char *dsn_orcpt,
                           int notify)
{
    struct buf addr = BUF_INIT;
    struct addr_list expanded;
    size_t i;

    if (state->status)
        return;
    if (orig[0] == '\0') {
        msg_warn("%s: ignoring empty recipient address", state->queue_id);
        return;
    }
    buf_set(&addr, orig);
    cleanup_hooks.rewrite_address(state, CLEANUP_ADDR_ENV_RCPT, &addr);
    addr_list_init(&expanded);
    if (cleanup_hooks.expand_recipient(state, buf_str(&addr), &expanded) == 0) {
        cleanup_put_recipient(state, buf_str(&addr), orig, dsn_orcpt, notify);
    } else {
        for (i = 0; i < expanded.count && state->status == 0; i++)
            cleanup_put_recipient(state, expanded.items[i].addr, orig, dsn_orcpt, notify);
    }
    addr_list_free(&expanded);
    buf_release(&addr);
}

void cleanup_recipients(struct cleanup_state *state, const struct cleanup_rcpt *rcpt, size_t count)
{
    size_t i;

    for (i = 0; i < count && state->status == 0; i++)
        cleanup_add_recipient(state, rcpt[i].address, rcpt[i].orcpt, rcpt[i].notify);
}

void cleanup_end_options(struct cleanup_state *state, const struct cleanup_end *end)
{
    struct addr_item *item;

    if (end->flags & CLEANUP_FLAG_HOLD)
        state->flags |= CLEANUP_FLAG_HOLD;
    if (end->flags & CLEANUP_FLAG_DISCARD)
        state->discard = 1;
    if (end->filter != NULL && state->filter == NULL)
        state->filter = mem_strdup(end->filter);
    if (end->redirect != NULL && state->redirect == NULL)
        state->redirect = mem_strdup(end->redirect);
    if (end->bcc != NULL && *end->bcc != '\0') {
        /* Already in internal form: appended as it is, not parsed as a
         * header (a quoted local part must survive). */
        if (state->bcc.count == state->bcc.cap) {
            state->bcc.cap = state->bcc.cap ? 2 * state->bcc.cap : 4;
            state->bcc.items = mem_realloc_array(state->bcc.items, state->bcc.cap, sizeof(*item));
        }
        item = &state->bcc.items[state->bcc.count++];
        item->addr = mem_strdup(end->bcc);
        item->display = mem_strdup("");
        item->angle = 1;
    }
}
