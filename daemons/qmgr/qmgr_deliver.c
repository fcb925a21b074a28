/*
 * qmgr_deliver.c - the scheduler: recipients grouped per transport and
 * nexthop into delivery entries (one message, at most the transport's
 * destination_recipient_limit recipients), started in round robin over the
 * destinations of each transport within the destination's concurrency
 * window, and the conversation with the agent over
 * queue_directory/private/TRANSPORT (deliver_proto.h) on qmgr's event loop.
 *
 * Concurrency window: it starts at initial_destination_concurrency; each
 * successful attempt adds the positive feedback (qmgr_feedback.h) and each
 * failed one (the agent could not be reached or died, or every recipient
 * was deferred with a 4.4.X network status) the negative feedback to a
 * running sum; a whole unit moves the window by one, between 1 and
 * destination_concurrency_limit. Dead-destination throttle: a failed
 * attempt counts 1/window of a failed cohort; after
 * destination_concurrency_failed_cohort_limit consecutive cohorts the
 * destination is suspended for minimal_backoff_time: its waiting
 * recipients are deferred at once with the last reason, without
 * contacting anyone.
 *
 * Rate delays: with destination_rate_delay the window is one and the next
 * delivery to that destination starts that long after the previous one
 * ended; transport_rate_delay does the same for the whole transport. A
 * timer wakes the scheduler when the first such pause is over.
 *
 * An agent that dies in the middle of a request leaves every recipient of
 * that request deferred (4.3.0), never done.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "conf/conf.h"
#include "mail/deliver_log.h"
#include "qmgr.h"
#include "qmgr_feedback.h"
#include "server/server.h"
#include "util/attr_io.h"
#include "util/events.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/stream.h"

struct qmgr_transport;
struct qmgr_dest;

/* One delivery request's worth of recipients of one message. */
struct qmgr_entry {
    struct qmgr_message *msg;
    struct qmgr_rcpt **rcpt;
    size_t n;
    struct timeval queued;
    struct qmgr_entry *next;
};

struct qmgr_dest {
    char *name;
    struct qmgr_transport *transport;
    struct qmgr_entry *head, *tail;
    int active;
    int window;
    double success_sum; /* positive feedback not yet turned into window */
    double failure_sum; /* negative feedback not yet taken from the window */
    double fail_cohorts;
    long long next_start_ms; /* destination_rate_delay: not before this */
    time_t throttled_until;
    char *dead_reason;
    char *dead_dsn;
    int in_ring;
};

struct qmgr_transport {
    char *name;
    int conc_limit;
    int init_conc;
    int rcpt_limit;
    int failed_limit;
    struct qmgr_feedback pos_feedback;
    struct qmgr_feedback neg_feedback;
    long dest_rate_delay_ms;
    long transport_rate_delay_ms;
    long long next_start_ms; /* transport_rate_delay: not before this */
    int active;
    int max_active;
    struct htable *dests;
    struct qmgr_dest **ring; /* destinations with waiting entries */
    size_t nring;
    size_t cap;
    size_t cursor;
};

enum qmgr_job_state { JOB_ANNOUNCE, JOB_RESULTS };

struct qmgr_job {
    struct qmgr_entry *entry;
    struct qmgr_dest *dest;
    struct stream *stream;
    int fd;
    enum qmgr_job_state state;
};

static struct htable *qmgr_transports;
static int qmgr_running;
static int qmgr_run_again;
static long long qmgr_rate_timer_ms; /* when the rate-delay timer fires, or 0 */

static long long qmgr_now_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void qmgr_deliver_init(void)
{
    qmgr_transports = htable_new(16);
}

/* A per-transport parameter (TRANSPORT_name), else the default's value. */
static int qmgr_transport_int(const char *transport, const char *suffix, int fallback)
{
    struct buf name = BUF_INIT;
    int value = fallback;

    buf_printf(&name, "%s_%s", transport, suffix);
    if (conf_is_known(buf_str(&name)))
        value = conf_get_int(buf_str(&name));
    buf_release(&name);
    return value;
}

/* The TRANSPORT_name parameter's name if it exists, else the default's. */
static const char *qmgr_transport_param(const char *transport, const char *suffix,
                                        const char *fallback, struct buf *name)
{
    buf_reset(name);
    buf_printf(name, "%s_%s", transport, suffix);
    return conf_is_known(buf_str(name)) ? buf_str(name) : fallback;
}

static void qmgr_transport_feedback(const char *transport, const char *suffix, const char *fallback,
                                    struct qmgr_feedback *fb)
{
    struct buf name = BUF_INIT;
    struct buf err = BUF_INIT;
    const char *param = qmgr_transport_param(transport, suffix, fallback, &name);

    if (qmgr_feedback_parse(conf_get(param), fb, &err) < 0)
        msg_fatal("%s: %s", param, buf_str(&err));
    buf_release(&name);
    buf_release(&err);
}

static long qmgr_transport_time_ms(const char *transport, const char *suffix, const char *fallback)
{
    struct buf name = BUF_INIT;
    long sec = conf_get_time(qmgr_transport_param(transport, suffix, fallback, &name));

    buf_release(&name);
    return sec * 1000L;
}

static struct qmgr_transport *qmgr_transport_find(const char *name)
{
    struct qmgr_transport *t = htable_get(qmgr_transports, name);

    if (t != NULL)
        return t;
    t = mem_calloc(1, sizeof(*t));
    t->name = mem_strdup(name);
    t->conc_limit = qmgr_transport_int(name, "destination_concurrency_limit",
                                       var_default_destination_concurrency_limit);
    t->init_conc = qmgr_transport_int(name, "initial_destination_concurrency",
                                      var_initial_destination_concurrency);
    t->rcpt_limit = qmgr_transport_int(name, "destination_recipient_limit",
                                       var_default_destination_recipient_limit);
    t->failed_limit = qmgr_transport_int(name, "destination_concurrency_failed_cohort_limit",
                                         var_default_destination_concurrency_failed_cohort_limit);
    /* 0 means "no limit" in Postfix; the protocol still caps a request. */
    if (t->rcpt_limit <= 0 || t->rcpt_limit > DELIVER_RCPT_MAX)
        t->rcpt_limit = DELIVER_RCPT_MAX;
    if (t->conc_limit <= 0)
        t->conc_limit = var_default_process_limit;
    if (t->init_conc > t->conc_limit)
        t->init_conc = t->conc_limit;
    if (t->failed_limit <= 0)
        t->failed_limit = 1;
    qmgr_transport_feedback(name, "destination_concurrency_positive_feedback",
                            "default_destination_concurrency_positive_feedback", &t->pos_feedback);
    qmgr_transport_feedback(name, "destination_concurrency_negative_feedback",
                            "default_destination_concurrency_negative_feedback", &t->neg_feedback);
    t->dest_rate_delay_ms =
        qmgr_transport_time_ms(name, "destination_rate_delay", "default_destination_rate_delay");
    t->transport_rate_delay_ms =
        qmgr_transport_time_ms(name, "transport_rate_delay", "default_transport_rate_delay");
    /* A rate delay means one delivery at a time, without tuning. */
    if (t->dest_rate_delay_ms > 0)
        t->init_conc = t->conc_limit = 1;
    t->max_active = var_default_process_limit;
    if (t->transport_rate_delay_ms > 0)
        t->max_active = 1;
    t->dests = htable_new(16);
    htable_put(qmgr_transports, name, t);
    return t;
}

static struct qmgr_dest *qmgr_dest_find(struct qmgr_transport *t, const char *name)
{
    struct qmgr_dest *d = htable_get(t->dests, name);

    if (d != NULL)
        return d;
    d = mem_calloc(1, sizeof(*d));
    d->name = mem_strdup(name);
    d->transport = t;
    d->window = t->init_conc;
    htable_put(t->dests, name, d);
    return d;
}

static void qmgr_ring_add(struct qmgr_dest *d)
{
    struct qmgr_transport *t = d->transport;

    if (d->in_ring)
        return;
    if (t->nring == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->ring = mem_realloc(t->ring, mem_size_mul(t->cap, sizeof(t->ring[0])));
    }
    t->ring[t->nring++] = d;
    d->in_ring = 1;
}

void qmgr_deliver_add(struct qmgr_rcpt *rcpt, const char *transport, const char *nexthop)
{
    struct qmgr_transport *t = qmgr_transport_find(transport);
    struct qmgr_dest *d = qmgr_dest_find(t, nexthop);
    struct qmgr_entry *e = d->tail;

    if (e == NULL || e->msg != rcpt->msg || e->n >= (size_t)t->rcpt_limit) {
        e = mem_calloc(1, sizeof(*e));
        e->msg = rcpt->msg;
        e->rcpt = mem_alloc(mem_size_mul((size_t)t->rcpt_limit, sizeof(e->rcpt[0])));
        gettimeofday(&e->queued, NULL);
        if (d->tail)
            d->tail->next = e;
        else
            d->head = e;
        d->tail = e;
    }
    e->rcpt[e->n++] = rcpt;
    qmgr_ring_add(d);
}

static struct qmgr_entry *qmgr_dest_pop(struct qmgr_dest *d)
{
    struct qmgr_entry *e = d->head;

    if (e) {
        d->head = e->next;
        if (d->head == NULL)
            d->tail = NULL;
        e->next = NULL;
    }
    return e;
}

static void qmgr_entry_free(struct qmgr_entry *e)
{
    mem_free(e->rcpt);
    mem_free(e);
}

static void qmgr_request_fill(struct deliver_request *req, struct qmgr_entry *e,
                              struct qmgr_dest *d);

/* Gives every recipient of e the same outcome, decided by qmgr itself
 * (logged in the agents' format, as Postfix's qmgr does), then lets the
 * message go on. */
static void qmgr_entry_finish(struct qmgr_entry *e, struct qmgr_dest *d, int status,
                              const char *dsn, const char *reason)
{
    struct deliver_result res;
    struct deliver_request req;
    struct deliver_times times;
    struct qmgr_message *msg = e->msg;
    size_t i;

    memset(&res, 0, sizeof(res));
    res.status = status;
    res.dsn_status = (char *)dsn;
    res.action = (char *)(status == DELIVER_STATUS_DEFER ? "delayed" : "failed");
    res.relay = (char *)"none";
    res.mta = (char *)"";
    res.diag = (char *)"";
    res.reason = (char *)reason;
    qmgr_request_fill(&req, e, d);
    gettimeofday(&times.agent_start, NULL);
    times.conn_done = times.agent_start;
    times.done = times.agent_start;
    for (i = 0; i < e->n; i++)
        deliver_log(&req, &req.rcpt[i], &res, &times);
    mem_free(req.rcpt);
    for (i = 0; i < e->n; i++)
        qmgr_message_outcome(e->rcpt[i], &res);
    qmgr_entry_free(e);
    qmgr_message_flush(msg);
}

static void qmgr_feedback_debug(const struct qmgr_dest *d, const char *what, double amount)
{
    if (var_destination_concurrency_feedback_debug)
        msg_info("%s: %s feedback %.3f for %s: window %d, success %.3f, failure %.3f, "
                 "failed cohorts %.3f",
                 d->transport->name, what, amount, d->name, d->window, d->success_sum,
                 d->failure_sum, d->fail_cohorts);
}

#define QMGR_ATTEMPT_OK           0
#define QMGR_ATTEMPT_FAILED       1 /* counts against the destination */
#define QMGR_ATTEMPT_NO_TRANSPORT 2 /* the agent cannot be reached: suspend now */

/* Feedback after an attempt (QMGR_ATTEMPT_*; see the file comment). */
static void qmgr_dest_feedback(struct qmgr_dest *d, int failed, const char *dsn, const char *reason)
{
    struct qmgr_transport *t = d->transport;

    if (t->dest_rate_delay_ms > 0) {
        /* A rate delay keeps the window at one: no tuning, but failed
         * attempts still count towards the dead-destination throttle. */
        d->fail_cohorts = failed ? d->fail_cohorts + 1.0 : 0;
    } else if (!failed) {
        double amount = qmgr_feedback_amount(&t->pos_feedback, d->window);

        d->fail_cohorts = 0;
        d->failure_sum = 0;
        d->success_sum += amount;
        while (d->success_sum >= 1.0) {
            d->success_sum -= 1.0;
            if (d->window < t->conc_limit)
                d->window++;
        }
        if (d->window >= t->conc_limit)
            d->success_sum = 0;
        qmgr_feedback_debug(d, "positive", amount);
    } else {
        double amount = qmgr_feedback_amount(&t->neg_feedback, d->window);

        d->fail_cohorts += 1.0 / d->window;
        d->success_sum = 0;
        d->failure_sum += amount;
        while (d->failure_sum >= 1.0) {
            d->failure_sum -= 1.0;
            if (d->window > 1)
                d->window--;
        }
        qmgr_feedback_debug(d, "negative", amount);
    }
    if (!failed)
        return;
    /* Without its agent no delivery can work, whatever the cohorts say. */
    if (failed == QMGR_ATTEMPT_NO_TRANSPORT && d->fail_cohorts < t->failed_limit)
        d->fail_cohorts = t->failed_limit;
    if (d->fail_cohorts >= t->failed_limit - 1e-9 && d->throttled_until == 0) {
        d->throttled_until = time(NULL) + var_minimal_backoff_time;
        mem_free(d->dead_reason);
        mem_free(d->dead_dsn);
        d->dead_reason = mem_strdup(reason);
        d->dead_dsn = mem_strdup(dsn);
        msg_info("%s: destination %s is not responding; suspended for %lds: %s", t->name, d->name,
                 var_minimal_backoff_time, reason);
    }
}

static void qmgr_job_end(struct qmgr_job *job)
{
    struct qmgr_dest *d = job->dest;
    struct qmgr_transport *t = d->transport;

    event_remove(server_event_loop(), job->fd);
    stream_free(job->stream);
    d->active--;
    t->active--;
    /* The pause counts from the end of this delivery. */
    if (t->dest_rate_delay_ms > 0)
        d->next_start_ms = qmgr_now_ms() + t->dest_rate_delay_ms;
    if (t->transport_rate_delay_ms > 0)
        t->next_start_ms = qmgr_now_ms() + t->transport_rate_delay_ms;
    mem_free(job);
}

static void qmgr_rate_timer(void *ctx)
{
    (void)ctx;
    qmgr_rate_timer_ms = 0;
    qmgr_deliver_run();
}

/* Makes sure the scheduler runs again by at_ms. */
static void qmgr_rate_wakeup(long long at_ms)
{
    long long now = qmgr_now_ms();

    if (qmgr_rate_timer_ms != 0 && qmgr_rate_timer_ms <= at_ms)
        return;
    qmgr_rate_timer_ms = at_ms;
    event_timer_set(server_event_loop(), at_ms > now ? (long)(at_ms - now) : 0, qmgr_rate_timer,
                    NULL);
}

/* The agent is gone or broke the protocol: defer the whole entry. */
static void qmgr_job_fail(struct qmgr_job *job, const char *why)
{
    struct qmgr_entry *e = job->entry;
    struct qmgr_dest *d = job->dest;
    struct buf reason = BUF_INIT;

    msg_warn("%s: delivery agent %s for %s: %s", e->msg->id, d->transport->name, d->name, why);
    buf_printf(&reason, "unknown mail transport error (delivery agent %s crashed or failed)",
               d->transport->name);
    qmgr_job_end(job);
    qmgr_dest_feedback(d, QMGR_ATTEMPT_FAILED, "4.3.0", buf_str(&reason));
    qmgr_entry_finish(e, d, DELIVER_STATUS_DEFER, "4.3.0", buf_str(&reason));
    buf_release(&reason);
    qmgr_deliver_run();
}

static void qmgr_request_fill(struct deliver_request *req, struct qmgr_entry *e,
                              struct qmgr_dest *d)
{
    struct qmgr_message *msg = e->msg;
    size_t i;

    memset(req, 0, sizeof(*req));
    req->queue_name = (char *)QUEUE_ACTIVE;
    req->queue_id = msg->id;
    req->data_offset = msg->content_offset;
    req->data_size = msg->content_size;
    req->transport = d->transport->name;
    req->nexthop = d->name;
    req->sender = msg->sender;
    req->envid = msg->envid;
    req->ret = msg->ret;
    req->flags = msg->flags;
    req->arrival_sec = msg->arrival.tv_sec;
    req->arrival_usec = msg->arrival.tv_usec;
    req->active_sec = msg->active.tv_sec;
    req->active_usec = msg->active.tv_usec;
    req->queued_sec = e->queued.tv_sec;
    req->queued_usec = e->queued.tv_usec;
    req->attr = msg->attr;
    req->nattr = msg->nattr;
    req->nrcpt = e->n;
    req->rcpt = mem_calloc(e->n, sizeof(req->rcpt[0]));
    for (i = 0; i < e->n; i++) {
        req->rcpt[i].address = e->rcpt[i]->address;
        req->rcpt[i].orcpt = e->rcpt[i]->orcpt;
        req->rcpt[i].dsn_orcpt = e->rcpt[i]->dsn_orcpt;
        req->rcpt[i].notify = e->rcpt[i]->notify;
        req->rcpt[i].offset = e->rcpt[i]->offset;
    }
}

static void qmgr_job_results(struct qmgr_job *job, const struct attr_msg *m)
{
    struct qmgr_entry *e = job->entry;
    struct qmgr_dest *d = job->dest;
    struct qmgr_message *msg = e->msg;
    struct deliver_result *res = NULL;
    struct buf err = BUF_INIT;
    size_t count = 0, i, net_defer = 0;

    if (deliver_decode_results(m, &res, &count, &err) < 0 || count != e->n) {
        if (buf_len(&err) == 0)
            buf_printf(&err, "%zu results for %zu recipients", count, e->n);
        if (res)
            deliver_results_free(res, count);
        qmgr_job_fail(job, buf_str(&err));
        buf_release(&err);
        return;
    }
    buf_release(&err);
    for (i = 0; i < count; i++)
        if (res[i].status == DELIVER_STATUS_DEFER && strncmp(res[i].dsn_status, "4.4.", 4) == 0)
            net_defer++;
    qmgr_job_end(job);
    qmgr_dest_feedback(d, net_defer == count ? QMGR_ATTEMPT_FAILED : QMGR_ATTEMPT_OK,
                       count ? res[0].dsn_status : "4.4.0", count ? res[0].reason : "");
    for (i = 0; i < count; i++)
        qmgr_message_outcome(e->rcpt[i], &res[i]);
    deliver_results_free(res, count);
    qmgr_entry_free(e);
    qmgr_message_flush(msg);
    qmgr_deliver_run();
}

static void qmgr_job_event(int fd, void *ctx)
{
    struct qmgr_job *job = ctx;
    struct attr_limits lim;
    struct attr_msg m;
    struct buf scratch = BUF_INIT;
    struct buf err = BUF_INIT;
    struct buf out = BUF_INIT;

    (void)fd;
    deliver_attr_limits(&lim);
    attr_msg_init(&m, &lim);
    if (attr_io_read(job->stream, &m, &scratch, &err) < 0) {
        qmgr_job_fail(job, buf_str(&err));
    } else if (job->state == JOB_ANNOUNCE) {
        struct deliver_request req;

        if (attr_check_announce(&m, DELIVER_PROTO_NAME, DELIVER_PROTO_VERSION,
                                DELIVER_PROTO_VERSION, &err) != ATTR_OK) {
            qmgr_job_fail(job, buf_str(&err));
        } else {
            qmgr_request_fill(&req, job->entry, job->dest);
            deliver_encode_request(&out, &req);
            mem_free(req.rcpt);
            if (attr_io_write(job->stream, &out, &err) < 0)
                qmgr_job_fail(job, buf_str(&err));
            else
                job->state = JOB_RESULTS;
        }
    } else {
        qmgr_job_results(job, &m);
    }
    attr_msg_free(&m);
    buf_release(&scratch);
    buf_release(&err);
    buf_release(&out);
}

/* Starts e; returns 0, or -1 when the agent cannot be reached (e has then
 * been finished as deferred). */
static int qmgr_job_start(struct qmgr_dest *d, struct qmgr_entry *e)
{
    struct qmgr_transport *t = d->transport;
    struct qmgr_job *job;
    struct buf path = BUF_INIT;
    struct buf err = BUF_INIT;
    int fd;

    buf_printf(&path, "%s/%s", "private", t->name);
    fd = sock_connect_unix(buf_str(&path), var_qmgr_ipc_timeout * 1000L, &err);
    if (fd < 0) {
        struct buf reason = BUF_INIT;

        msg_warn("connect to transport %s: %s", buf_str(&path), buf_str(&err));
        buf_printf(&reason, "mail transport unavailable");
        qmgr_dest_feedback(d, QMGR_ATTEMPT_NO_TRANSPORT, "4.3.0", buf_str(&reason));
        qmgr_entry_finish(e, d, DELIVER_STATUS_DEFER, "4.3.0", buf_str(&reason));
        buf_release(&reason);
        buf_release(&path);
        buf_release(&err);
        return -1;
    }
    job = mem_calloc(1, sizeof(*job));
    job->entry = e;
    job->dest = d;
    job->fd = fd;
    job->stream = stream_open_fd(fd, 1);
    stream_set_timeout(job->stream, var_qmgr_ipc_timeout * 1000L);
    job->state = JOB_ANNOUNCE;
    d->active++;
    t->active++;
    if (event_add_read(server_event_loop(), fd, qmgr_job_event, job) < 0)
        msg_fatal("watch agent connection: %s", strerror(errno));
    buf_release(&path);
    buf_release(&err);
    return 0;
}

/* One round over t's destinations; returns whether anything was started
 * or finished. */
static int qmgr_transport_round(struct qmgr_transport *t, time_t now)
{
    int progress = 0;
    size_t k, n = t->nring;

    for (k = 0; k < n && k < t->nring; k++) {
        struct qmgr_dest *d = t->ring[(t->cursor + k) % t->nring];
        struct qmgr_entry *e;

        if (d->throttled_until != 0 && now >= d->throttled_until) {
            d->throttled_until = 0;
            d->fail_cohorts = 0;
            d->failure_sum = 0;
            d->window = 1;
        }
        if (d->head == NULL)
            continue;
        if (d->throttled_until != 0) {
            struct buf reason = BUF_INIT;

            buf_printf(&reason, "delivery temporarily suspended: %s", d->dead_reason);
            while ((e = qmgr_dest_pop(d)) != NULL)
                qmgr_entry_finish(e, d, DELIVER_STATUS_DEFER, d->dead_dsn, buf_str(&reason));
            buf_release(&reason);
            progress = 1;
            continue;
        }
        if (d->active >= d->window || t->active >= t->max_active)
            continue;
        if (d->next_start_ms > 0 || t->next_start_ms > 0) {
            long long now_ms = qmgr_now_ms();
            long long at =
                d->next_start_ms > t->next_start_ms ? d->next_start_ms : t->next_start_ms;

            if (now_ms < at) {
                qmgr_rate_wakeup(at);
                continue;
            }
        }
        e = qmgr_dest_pop(d);
        (void)qmgr_job_start(d, e);
        progress = 1;
    }
    if (t->nring > 0)
        t->cursor = (t->cursor + 1) % t->nring;
    /* Drop destinations without waiting entries from the ring. */
    for (k = 0; k < t->nring;) {
        if (t->ring[k]->head == NULL) {
            t->ring[k]->in_ring = 0;
            t->ring[k] = t->ring[--t->nring];
        } else {
            k++;
        }
    }
    return progress;
}

/* Calls fn for every destination of every transport, over a snapshot: fn
 * may remove the destination it is given. */
static void qmgr_each_dest(void (*fn)(struct qmgr_transport *t, struct qmgr_dest *d, void *ctx),
                           void *ctx)
{
    struct htable_entry **all, **dests;
    size_t n, i, nd, j;

    all = htable_sorted(qmgr_transports, &n);
    for (i = 0; i < n; i++) {
        struct qmgr_transport *t = all[i]->value;

        dests = htable_sorted(t->dests, &nd);
        for (j = 0; j < nd; j++)
            fn(t, dests[j]->value, ctx);
        mem_free(dests);
    }
    mem_free(all);
}

static void qmgr_dest_unthrottle(struct qmgr_transport *t, struct qmgr_dest *d, void *ctx)
{
    (void)t;
    (void)ctx;
    d->throttled_until = 0;
    d->fail_cohorts = 0;
}

void qmgr_deliver_unthrottle(void)
{
    qmgr_each_dest(qmgr_dest_unthrottle, NULL);
}

struct qmgr_gc_now {
    time_t sec;
    long long ms;
};

/* Forgets d unless it has work, a suspension or a rate-delay pause to keep. */
static void qmgr_dest_gc(struct qmgr_transport *t, struct qmgr_dest *d, void *ctx)
{
    const struct qmgr_gc_now *now = ctx;

    if ((d->throttled_until != 0 && now->sec < d->throttled_until) || d->next_start_ms > now->ms ||
        d->active > 0 || d->head != NULL || d->in_ring)
        return;
    (void)htable_remove(t->dests, d->name);
    mem_free(d->name);
    mem_free(d->dead_reason);
    mem_free(d->dead_dsn);
    mem_free(d);
}

void qmgr_deliver_gc(void)
{
    struct qmgr_gc_now now;

    if (qmgr_running)
        return;
    now.sec = time(NULL);
    now.ms = qmgr_now_ms();
    qmgr_each_dest(qmgr_dest_gc, &now);
}

void qmgr_deliver_run(void)
{
    if (qmgr_running) {
        qmgr_run_again = 1;
        return;
    }
    qmgr_running = 1;
    do {
        struct htable_entry **all;
        size_t n, i;
        int progress = 0;

        qmgr_run_again = 0;
        all = htable_sorted(qmgr_transports, &n);
        for (i = 0; i < n; i++)
            progress |= qmgr_transport_round(all[i]->value, time(NULL));
        mem_free(all);
        if (progress)
            qmgr_run_again = 1;
    } while (qmgr_run_again);
    qmgr_running = 0;
}
