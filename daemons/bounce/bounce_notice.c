/*
 * bounce_notice.c - the inputs of a notice and its submission: reads the
 * original's envelope and content from its queue file (mail/queue_reader.h)
 * and its recipient outcomes from bounce/, defer/ or trace/ (mail/
 * recipient_log.h), builds the notice (mail/dsn_build.h) and hands it to
 * cleanup (mail/cleanup_client.h) like any other message.
 *
 * Called by bounce_main.c for each request. Both files are untrusted:
 * a bad log line is logged and skipped, a bad queue file means "no
 * original" (the sender still hears about the failure), and at most
 * bounce_size_limit + 1 content bytes are ever held in memory.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bounce.h"
#include "conf/conf.h"
#include "mail/cleanup_client.h"
#include "mail/queue_reader.h"
#include "mail/queue_rec.h"
#include "server/instance.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

void bounce_qualify(struct buf *out, const char *addr)
{
    buf_set(out, addr);
    if (strchr(addr, '@') == NULL) {
        buf_append_char(out, '@');
        buf_append_str(out, var_myorigin);
    }
}

void bounce_input_free(struct bounce_input *in)
{
    size_t i;

    mem_free(in->queue_id);
    mem_free(in->sender);
    mem_free(in->envid);
    buf_release(&in->content);
    for (i = 0; i < in->nrcpt; i++)
        recipient_log_entry_free(&in->rcpt[i]);
    mem_free(in->rcpt);
    memset(in, 0, sizeof(*in));
}

/* Envelope and content of queue/id into in; -1 (logged) when the file
 * cannot be read, in which case the caller's fall-back values stay. */
static int bounce_read_queue_file(struct bounce_input *in, const char *queue, const char *id,
                                  size_t limit)
{
    struct buf err = BUF_INIT;
    struct queue_reader *r = queue_reader_open(bounce_qd, queue, id, 0, &err);
    struct queue_record rec;
    struct timeval tv;
    int st, in_content = 0;

    if (r == NULL) {
        msg_warn("%s: cannot read the original message: %s", id, buf_str(&err));
        buf_release(&err);
        return -1;
    }
    while ((st = queue_reader_next(r, &rec)) > 0) {
        switch (rec.type) {
        case QUEUE_REC_TIME:
            if (queue_time_parse(rec.data, rec.len, &tv, &err) == 0)
                in->arrival = (long)tv.tv_sec;
            break;
        case QUEUE_REC_SENDER:
            mem_free(in->sender);
            in->sender = mem_strndup(rec.data, rec.len);
            break;
        case QUEUE_REC_DSN_ENVID:
            mem_free(in->envid);
            in->envid = mem_strndup(rec.data, rec.len);
            break;
        case QUEUE_REC_DSN_RET: {
            long v;

            if (str_to_long(rec.data, &v) == 0 &&
                (v == QUEUE_DSN_RET_FULL || v == QUEUE_DSN_RET_HDRS))
                in->ret = (int)v;
            break;
        }
        case QUEUE_REC_MESG:
            in_content = 1;
            break;
        case QUEUE_REC_NORM:
        case QUEUE_REC_CONT:
            if (!in_content)
                break;
            buf_append(&in->content, rec.data, rec.len);
            if (rec.type == QUEUE_REC_NORM)
                buf_append_char(&in->content, '\n');
            break;
        default:
            break;
        }
        if (rec.type == QUEUE_REC_XTRA)
            break;
        /* dsn_build() quotes whole lines up to the limit: one byte more
         * tells it where the limit cut a line. */
        if (buf_len(&in->content) > limit) {
            buf_truncate(&in->content, limit + 1);
            break;
        }
    }
    if (st < 0) {
        msg_warn("%s: cannot read the original message: %s", id, queue_reader_error(r));
        buf_reset(&in->content);
        queue_reader_close(r);
        buf_release(&err);
        return -1;
    }
    in->have_content = 1;
    queue_reader_close(r);
    buf_release(&err);
    return 0;
}

int bounce_input_read(struct bounce_input *in, const char *queue, const char *id,
                      const char *log_queue, const char *sender, const char *envid, int ret,
                      size_t limit, struct buf *why)
{
    struct recipient_log_reader *r;
    struct recipient_log_entry e;
    struct buf err = BUF_INIT;
    size_t cap = 0;
    int st;

    memset(in, 0, sizeof(*in));
    buf_init(&in->content);
    in->queue_id = mem_strdup(id);
    in->sender = mem_strdup(sender);
    in->envid = mem_strdup(envid);
    in->ret = ret;
    in->arrival = (long)time(NULL);

    r = recipient_log_reader_open(bounce_qd, log_queue, id, &err);
    if (r == NULL) {
        int saved = errno;

        if (saved == ENOENT) {
            buf_release(&err);
            return 0;
        }
        buf_printf(why, "%s", buf_str(&err));
        buf_release(&err);
        return -1;
    }
    recipient_log_entry_init(&e);
    while ((st = recipient_log_reader_next(r, &e, &err)) != 0) {
        if (st < 0) {
            msg_warn("%s: %s log: %s", id, log_queue, buf_str(&err));
            continue;
        }
        if (in->nrcpt == cap) {
            cap = cap ? mem_size_mul(cap, 2) : 16;
            in->rcpt = mem_realloc(in->rcpt, mem_size_mul(cap, sizeof(in->rcpt[0])));
        }
        in->rcpt[in->nrcpt++] = e;
        recipient_log_entry_init(&e);
    }
    recipient_log_entry_free(&e);
    recipient_log_reader_close(r);
    buf_release(&err);
    (void)bounce_read_queue_file(in, queue, id, limit);
    return in->nrcpt > 0;
}

void bounce_notice_init(struct dsn_notice *n, enum dsn_kind kind, int postmaster, int full)
{
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->postmaster = postmaster;
    n->full = full;
    n->myhostname = var_myhostname;
    n->myorigin = var_myorigin;
    n->mail_name = var_mail_name;
    n->delay_warning_time = var_delay_warning_time;
    n->maximal_queue_lifetime = var_maximal_queue_lifetime;
    n->size_limit = (size_t)var_bounce_size_limit;
    n->now = (long)time(NULL);
}

int bounce_notice_send(struct dsn_notice *n, const struct bounce_input *in,
                       const struct recipient_log_entry *rcpt, size_t nrcpt, const char *env_sender,
                       const char *to, struct buf *new_id, struct buf *why)
{
    struct buf path = BUF_INIT;
    struct buf text = BUF_INIT;
    struct buf reason = BUF_INIT;
    struct cleanup_client *client;
    struct cleanup_envelope env;
    struct cleanup_rcpt cr;
    struct dsn_original orig;
    struct stat st;
    int status = 0, ret = -1;

    /* public/cleanup (cleanup's usual master.cf entry has private = n),
     * else private/cleanup. */
    instance_service_path(&path, 0, var_cleanup_service_name);
    if (lstat(buf_str(&path), &st) < 0 || !S_ISSOCK(st.st_mode)) {
        buf_reset(&path);
        instance_service_path(&path, 1, var_cleanup_service_name);
    }
    client = cleanup_client_open(buf_str(&path), var_ipc_timeout * 1000L, why);
    buf_release(&path);
    if (client == NULL)
        return -1;
    buf_set(new_id, cleanup_client_queue_id(client));

    memset(&orig, 0, sizeof(orig));
    orig.queue_id = in->queue_id;
    orig.sender = in->sender;
    orig.envid = in->envid;
    orig.ret = in->ret;
    orig.arrival = in->arrival;
    orig.content = in->have_content ? buf_str(&in->content) : NULL;
    orig.content_len = in->have_content ? buf_len(&in->content) : 0;
    n->notice_id = buf_str(new_id);
    n->to = to;
    dsn_build(&text, n, &orig, rcpt, nrcpt);

    memset(&env, 0, sizeof(env));
    env.sender = (char *)env_sender;
    env.arrival_sec = n->now;
    env.envid = (char *)"";
    env.encoding = (char *)"";
    memset(&cr, 0, sizeof(cr));
    cr.address = (char *)to;
    cr.orcpt = (char *)"";
    if (cleanup_client_env(client, &env, why) < 0 || cleanup_client_rcpt(client, &cr, 1, why) < 0 ||
        cleanup_client_data(client, buf_str(&text), buf_len(&text), why) < 0 ||
        cleanup_client_finish(client, &status, &reason, why) < 0)
        goto done;
    if (status != CLEANUP_STAT_OK) {
        buf_printf(why, "cleanup status %d%s%s", status, buf_len(&reason) ? ": " : "",
                   buf_str(&reason));
        goto done;
    }
    ret = 0;
done:
    cleanup_client_close(client);
    buf_release(&text);
    buf_release(&reason);
    return ret;
}
