/*
 * qmgr_main.c - the queue manager: a trigger server (master.cf "qmgr unix
 * n - n 300 1 qmgr", public/qmgr) that runs forever on its own event loop.
 *
 * Triggers: "I" (cleanup: new mail) and "W" (the master's wakeup) scan
 * incoming/; "A" (scan all) also makes every deferred message due now; "F"
 * (postern flush, sendmail -q, postqueue -f) does the same and lifts the
 * dead-destination suspensions. Timers: deferred/ every queue_run_delay (a file is due when its
 * mtime, the next retry time qmgr set when it deferred it, has come), and
 * another scan soon after memory was freed when a scan stopped at
 * qmgr_message_active_limit or qmgr_message_recipient_limit. At start,
 * files left in active/ by a crash are taken first. hold/ is never read.
 * A file in incoming/ without the complete bit is cleanup's (or, when old,
 * postsuper's) business: it is skipped.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "conf/conf.h"
#include "conf/mastercf.h"
#include "mail/queue_file.h"
#include "qmgr.h"
#include "server/server.h"
#include "util/buf.h"
#include "util/events.h"
#include "util/mem.h"
#include "util/msg.h"

struct queue_dir *qmgr_qd;
struct resolver *qmgr_resolver;
size_t qmgr_active_count;
size_t qmgr_rcpt_count;

static int qmgr_flush_pending;      /* "F": the next deferred scan ignores retry times */
static int qmgr_scan_active_wanted; /* crash leftovers in active/ not taken yet */
static int qmgr_scan_incoming_wanted;
static int qmgr_scan_deferred_wanted;

/* Delay before a requested scan: short, so that a burst of triggers
 * becomes one scan. */
#define QMGR_SCAN_DELAY_MS 10

static int qmgr_room(void)
{
    return qmgr_active_count < (size_t)var_qmgr_message_active_limit &&
           qmgr_rcpt_count < (size_t)var_qmgr_message_recipient_limit;
}

/*
 * Moves due files of queue to active/ and opens them, while there is room.
 * Returns 1 when it stopped for lack of room (another scan is needed).
 */
static int qmgr_scan(const char *queue, int ignore_time)
{
    struct queue_scan *scan;
    struct buf err = BUF_INIT;
    struct buf where = BUF_INIT;
    char id[QUEUE_ID_SIZE];
    time_t now = time(NULL);
    struct timespec start;
    int st, full = 0;

    clock_gettime(CLOCK_REALTIME, &start);

    if ((scan = queue_scan_open(qmgr_qd, queue, &err)) == NULL) {
        msg_warn("scan %s: %s", queue, buf_str(&err));
        buf_release(&err);
        return 0;
    }
    while ((st = queue_scan_next(scan, id, sizeof(id), &where)) != 0) {
        struct stat sb;

        if (st < 0)
            continue;
        if (!qmgr_room()) {
            full = 1;
            break;
        }
        if (strcmp(queue, QUEUE_ACTIVE) == 0) {
            if (qmgr_message_is_open(id))
                continue;
        } else {
            /* Held and released while qmgr still has it open (postsuper -h,
             * -H): leave it until that delivery ends; the recipients it
             * finishes are marked done in the file itself, so the next
             * scan delivers only what is left. */
            if (qmgr_message_is_open(id))
                continue;
            if (lstat(buf_str(&where), &sb) < 0 || !S_ISREG(sb.st_mode))
                continue;
            if (!queue_file_is_complete(&sb))
                continue; /* still being written, or a crash's leftover */
            if (strcmp(queue, QUEUE_DEFERRED) == 0) {
                if (!ignore_time && sb.st_mtime > now)
                    continue; /* not due yet */
                /* Deferred during this very scan: its turn is the next one. */
                if (sb.st_ctim.tv_sec > start.tv_sec ||
                    (sb.st_ctim.tv_sec == start.tv_sec && sb.st_ctim.tv_nsec >= start.tv_nsec))
                    continue;
            }
            buf_reset(&err);
            if (queue_dir_move(qmgr_qd, queue, id, QUEUE_ACTIVE, &err) < 0) {
                if (errno != ENOENT)
                    msg_warn("%s: move to active: %s", id, buf_str(&err));
                continue;
            }
        }
        (void)qmgr_message_open(id);
    }
    queue_scan_close(scan);
    buf_release(&err);
    buf_release(&where);
    qmgr_deliver_run();
    return full;
}

static void qmgr_scan_event(void *ctx)
{
    (void)ctx;
    if (qmgr_scan_active_wanted) {
        qmgr_scan_active_wanted = 0;
        if (qmgr_scan(QUEUE_ACTIVE, 1)) {
            qmgr_scan_active_wanted = 1;
            return;
        }
    }
    if (qmgr_scan_incoming_wanted) {
        qmgr_scan_incoming_wanted = 0;
        if (qmgr_scan(QUEUE_INCOMING, 0))
            qmgr_scan_incoming_wanted = 1;
    }
    if (qmgr_scan_deferred_wanted && qmgr_room()) {
        int flush = qmgr_flush_pending;

        qmgr_scan_deferred_wanted = 0;
        qmgr_flush_pending = 0;
        if (qmgr_scan(QUEUE_DEFERRED, flush)) {
            qmgr_scan_deferred_wanted = 1;
            qmgr_flush_pending |= flush;
        }
    }
}

void qmgr_scan_request(void)
{
    if ((qmgr_scan_active_wanted || qmgr_scan_incoming_wanted || qmgr_scan_deferred_wanted) &&
        server_event_loop())
        event_timer_set(server_event_loop(), QMGR_SCAN_DELAY_MS, qmgr_scan_event, NULL);
}

/* The periodic deferred queue run. */
static void qmgr_deferred_timer(void *ctx)
{
    (void)ctx;
    qmgr_deliver_gc();
    qmgr_scan_deferred_wanted = 1;
    qmgr_scan_incoming_wanted = 1;
    qmgr_scan_request();
    event_timer_set(server_event_loop(), var_queue_run_delay * 1000L, qmgr_deferred_timer, NULL);
}

static void qmgr_trigger(const char *data, size_t len, const char *service_name, char **argv)
{
    size_t i;

    (void)service_name;
    (void)argv;
    for (i = 0; i < len; i++) {
        switch (data[i]) {
        case 'F':
            /* Flush: suspended destinations get another chance too. */
            qmgr_deliver_unthrottle();
            qmgr_flush_pending = 1;
            qmgr_scan_deferred_wanted = 1;
            qmgr_scan_incoming_wanted = 1;
            break;
        case 'A':
            /* Scan all: deferred mail is due now, as with Postfix's "A". */
            qmgr_flush_pending = 1;
            qmgr_scan_deferred_wanted = 1;
            qmgr_scan_incoming_wanted = 1;
            break;
        case 'I':
        case 'W':
            qmgr_scan_incoming_wanted = 1;
            break;
        default:
            break; /* unknown requests are ignored, as Postfix does */
        }
    }
    qmgr_scan_request();
}

static void qmgr_pre_init(const char *service_name, char **argv)
{
    struct master_cf mcf;
    struct buf path = BUF_INIT;
    struct buf err = BUF_INIT;

    (void)service_name;
    (void)argv;
    /* Per-transport parameters (smtp_destination_concurrency_limit, ...)
     * exist for the delivery services master.cf defines. */
    buf_printf(&path, "%s/master.cf", conf_config_dir());
    memset(&mcf, 0, sizeof(mcf));
    if (master_cf_load(buf_str(&path), &mcf, &err) == 0) {
        conf_register_services(&mcf);
        master_cf_free(&mcf);
        /* Registering clears conf's value cache, which the var_* strings
         * point into: fill them again. */
        conf_apply_globals();
    } else {
        msg_warn("%s; per-transport limits use the defaults", buf_str(&err));
    }
    buf_reset(&err);
    if ((qmgr_resolver = resolve_from_conf(&err)) == NULL)
        msg_fatal("%s", buf_str(&err));
    buf_release(&path);
    buf_release(&err);
}

static void qmgr_post_init(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    /* The skeleton has made queue_directory the working directory. */
    qmgr_qd = queue_dir_from_conf_cwd();
    qmgr_deliver_init();
    /* Files a crashed qmgr left in active/ come first. */
    qmgr_scan_active_wanted = 1;
    qmgr_scan_incoming_wanted = 1;
    qmgr_scan_deferred_wanted = 1;
    qmgr_scan_request();
    event_timer_set(server_event_loop(), var_queue_run_delay * 1000L, qmgr_deferred_timer, NULL);
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .pre_init = qmgr_pre_init,
        .post_init = qmgr_post_init,
        .run_forever = 1,
    };

    server_trigger_main(argc, argv, qmgr_trigger, &hooks);
}
