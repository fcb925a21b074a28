/*
 * postqueue.c - the user's queue command: -p (list, also as "mailq"), -j
 * (JSON lines), -f (flush), -i ID (deliver one deferred message now), -s
 * SITE (flush one destination), -c DIR, -v; postern adds listing filters
 * -S sender, -R recipient, -D domain, -A age.
 *
 * Installed set-gid setgid_group at most (like postdrop), only to reach
 * public/: the listing comes from the showq daemon over public/showq (the
 * daemon reads the queue as mail_owner), and a flush is a trigger to qmgr,
 * so an ordinary user never touches a queue file. Only when showq
 * cannot be reached does postqueue read the queue itself (as Postfix
 * does), which works for root and the queue owner. Permission lists are
 * authorized_mailq_users and authorized_flush_users. Messages go to
 * stderr as "postqueue: ..." and fatal errors exit with sysexits codes.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "../postdrop/postdrop.h"
#include "conf/conf.h"
#include "mail/queue_dir.h"
#include "mail/queue_list.h"
#include "mail/showq_proto.h"
#include "postqueue.h"
#include "server/instance.h"
#include "server/server_log.h"
#include "server/trigger.h"
#include "util/attr_io.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/str.h"
#include "util/stream.h"

enum postqueue_mode { PQ_NONE, PQ_LIST, PQ_JSON, PQ_FLUSH, PQ_FLUSH_ID, PQ_FLUSH_SITE };

/* What one listing collects as entries arrive. */
struct postqueue_listing {
    enum postqueue_mode mode;
    const struct postqueue_filter *filter;
    long now;
    long count;
    long long total;
    int long_ids;
    struct buf out;
};

static void postqueue_usage(void)
{
    msg_fatal_status(EX_USAGE, "usage: postqueue -f | postqueue -i queueid | postqueue -j | "
                               "postqueue -p | postqueue -s site [-S sender] [-R recipient] "
                               "[-D domain] [-A age] [-c config_dir] [-v]");
}

static char *postqueue_login(void)
{
    struct passwd *pw = getpwuid(getuid());
    struct buf name = BUF_INIT;

    if (pw != NULL)
        return mem_strdup(pw->pw_name);
    buf_printf(&name, "uid:%lu", (unsigned long)getuid());
    return buf_steal(&name);
}

/* Root and the queue owner may always; others as the list says. */
static void postqueue_authorize(const char *list, const char *param, const char *what)
{
    struct buf err = BUF_INIT;
    struct passwd *pw;
    char *login;
    int ok;

    if (getuid() == 0 || instance_nonroot())
        return;
    if ((pw = getpwnam(var_mail_owner)) != NULL && pw->pw_uid == getuid())
        return;
    login = postqueue_login();
    ok = postdrop_user_authorized(list, login, &err);
    if (ok < 0)
        msg_fatal_status(EX_TEMPFAIL, "%s: %s", param, buf_str(&err));
    if (ok == 0)
        msg_fatal_status(EX_NOPERM, "User %s(%lu) is not allowed to %s", login,
                         (unsigned long)getuid(), what);
    mem_free(login);
    buf_release(&err);
}

static void postqueue_emit(struct postqueue_listing *l, const struct showq_entry *e)
{
    if (l->filter != NULL && !postqueue_filter_match(l->filter, e, l->now))
        return;
    if (l->mode == PQ_JSON) {
        postqueue_format_json(&l->out, e);
    } else {
        if (l->count == 0)
            postqueue_format_header(&l->out, l->long_ids);
        postqueue_format_entry(&l->out, e, l->long_ids);
    }
    l->count++;
    l->total += e->size;
    if (buf_len(&l->out) >= 64 * 1024) {
        if (fwrite(buf_str(&l->out), 1, buf_len(&l->out), stdout) != buf_len(&l->out))
            msg_fatal_status(EX_IOERR, "write error on standard output: %s", strerror(errno));
        buf_reset(&l->out);
    }
}

/* Lists through showq: 0 done, -1 showq unreachable (why set) before any output. */
static int postqueue_list_showq(struct postqueue_listing *l, struct buf *why)
{
    struct buf path = BUF_INIT;
    struct buf msgbuf = BUF_INIT;
    struct buf scratch = BUF_INIT;
    struct buf err = BUF_INIT;
    struct attr_limits lim;
    struct attr_msg msg;
    struct showq_entry e;
    struct stream *s;
    int fd;
    int rc;

    instance_service_path(&path, 0, "showq");
    if (msg_verbose)
        msg_info("connect to subsystem public/showq");
    if ((fd = sock_connect_unix(buf_str(&path), var_ipc_timeout * 1000L, &err)) < 0) {
        buf_printf(why, "Connect to the %s showq service: %s", var_mail_name, strerror(errno));
        buf_release(&path);
        buf_release(&err);
        return -1;
    }
    s = stream_open_fd(fd, 1);
    stream_set_timeout(s, var_ipc_timeout * 1000L);
    showq_limits(&lim);
    attr_msg_init(&msg, &lim);
    showq_entry_init(&e);
    if (attr_io_read(s, &msg, &scratch, &err) < 0 ||
        attr_check_announce(&msg, SHOWQ_PROTO_NAME, 1, SHOWQ_PROTO_VERSION, &err) != ATTR_OK) {
        buf_printf(why, "Connect to the %s showq service: %s", var_mail_name, buf_str(&err));
        rc = -1;
        goto out;
    }
    showq_encode_request(&msgbuf, SHOWQ_REQ_LIST);
    if (attr_io_write(s, &msgbuf, &err) < 0) {
        buf_printf(why, "Connect to the %s showq service: %s", var_mail_name, buf_str(&err));
        rc = -1;
        goto out;
    }
    for (;;) {
        if (attr_io_read(s, &msg, &scratch, &err) < 0)
            msg_fatal_status(EX_SOFTWARE, "public/showq: %s", buf_str(&err));
        rc = showq_decode(&msg, &e, NULL, &err);
        if (rc < 0)
            msg_fatal_status(EX_SOFTWARE, "public/showq: malformed reply: %s", buf_str(&err));
        if (rc == 0)
            break;
        postqueue_emit(l, &e);
    }
    rc = 0;
out:
    showq_entry_free(&e);
    attr_msg_free(&msg);
    stream_free(s);
    buf_release(&path);
    buf_release(&msgbuf);
    buf_release(&scratch);
    buf_release(&err);
    return rc;
}

/* The mail system is down: read the queue here (root or the owner only). */
static void postqueue_list_direct(struct postqueue_listing *l)
{
    struct queue_dir *qd = queue_dir_from_conf();
    struct showq_entry e;
    struct buf err = BUF_INIT;
    size_t q;

    showq_entry_init(&e);
    for (q = 0; queue_list_queues[q] != NULL; q++) {
        char **ids;
        long n;
        long i;

        if ((n = queue_list_ids(qd, queue_list_queues[q], &ids, &err)) < 0) {
            if (errno != ENOENT)
                msg_warn("%s", buf_str(&err));
            buf_reset(&err);
            continue;
        }
        for (i = 0; i < n; i++) {
            int rc = queue_list_load(qd, queue_list_queues[q], ids[i], &e, &err);

            if (rc < 0)
                msg_warn("%s: %s", ids[i], buf_str(&err));
            buf_reset(&err);
            if (rc > 0)
                postqueue_emit(l, &e);
        }
        queue_list_ids_free(ids, n);
    }
    showq_entry_free(&e);
    queue_dir_free(qd);
    buf_release(&err);
}

static void postqueue_list(enum postqueue_mode mode, const struct postqueue_filter *filter)
{
    struct postqueue_listing l;
    struct buf why = BUF_INIT;

    memset(&l, 0, sizeof(l));
    l.mode = mode;
    l.filter = postqueue_filter_active(filter) ? filter : NULL;
    l.now = (long)time(NULL);
    l.long_ids = var_enable_long_queue_ids;
    buf_init(&l.out);
    if (postqueue_list_showq(&l, &why) < 0) {
        msg_warn("Mail system is down -- accessing queue directly (%s)", buf_str(&why));
        postqueue_list_direct(&l);
    }
    if (mode == PQ_LIST)
        postqueue_format_trailer(&l.out, l.total, l.count);
    if (fwrite(buf_str(&l.out), 1, buf_len(&l.out), stdout) != buf_len(&l.out) ||
        fflush(stdout) != 0)
        msg_fatal_status(EX_IOERR, "write error on standard output: %s", strerror(errno));
    buf_release(&l.out);
    buf_release(&why);
}

/* One trigger to qmgr (unix socket, else fifo): 0 or -1. */
static int postqueue_trigger_qmgr(const char *req)
{
    struct buf path = BUF_INIT;
    struct buf why = BUF_INIT;
    int rc;

    instance_service_path(&path, 0, "qmgr");
    rc = trigger_send(TRIGGER_UNIX, buf_str(&path), req, strlen(req), var_trigger_timeout * 1000L,
                      &why);
    if (rc < 0)
        rc = trigger_send(TRIGGER_FIFO, buf_str(&path), req, strlen(req),
                          var_trigger_timeout * 1000L, &why);
    if (rc < 0 && msg_verbose)
        msg_info("qmgr trigger: %s", buf_str(&why));
    buf_release(&path);
    buf_release(&why);
    return rc;
}

/*
 * -i ID: a deferred message goes back to incoming/ (never replacing a
 * file), where qmgr picks it up at once, as Postfix's flush service does.
 * An unknown ID is not an error (Postfix exits 0 too).
 */
static void postqueue_flush_id(const char *id)
{
    struct queue_dir *qd;
    struct buf err = BUF_INIT;

    if (!queue_id_valid(id)) {
        buf_release(&err);
        return;
    }
    qd = queue_dir_from_conf();
    if (queue_dir_move(qd, QUEUE_DEFERRED, id, QUEUE_INCOMING, &err) == 0) {
        (void)postqueue_trigger_qmgr("I");
    } else if (errno == EACCES || errno == EPERM) {
        /* Not the queue owner: ask qmgr for a full flush instead. */
        if (postqueue_trigger_qmgr("F") < 0)
            msg_fatal_status(EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
    }
    queue_dir_free(qd);
    buf_release(&err);
}

/* Whether site is listed in fast_flush_domains (a domain or a parent). */
static int postqueue_flush_site_ok(const char *site)
{
    char *copy = mem_strdup(var_fast_flush_domains);
    char *cursor = copy;
    char *word;
    int ok = 0;

    while (!ok && (word = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        size_t wl = strlen(word);
        size_t sl = strlen(site);

        if (strcasecmp(word, site) == 0)
            ok = 1;
        else if (sl > wl && site[sl - wl - 1] == '.' && strcasecmp(site + sl - wl, word) == 0)
            ok = 1;
    }
    mem_free(copy);
    return ok;
}

/*
 * Installed set-gid (setgid_group, to reach public/), postqueue must not
 * let a user point it at a configuration of their own: as postdrop, a
 * non-default directory must be listed in the default main.cf's
 * alternate_config_directories or multi_instance_directories.
 */
static void postqueue_choose_config(const char *requested)
{
    struct buf err = BUF_INIT;

    if (requested != NULL && getuid() != 0 && (getuid() != geteuid() || getgid() != getegid()) &&
        strcmp(requested, POSTERN_CONFIG_DIR) != 0) {
        conf_set_config_dir(POSTERN_CONFIG_DIR);
        if (conf_load(&err) < 0 ||
            !postdrop_config_dir_allowed(requested, POSTERN_CONFIG_DIR,
                                         conf_raw("alternate_config_directories"),
                                         conf_raw("multi_instance_directories")))
            msg_fatal_status(EX_NOPERM, "%s: non-default configuration directory not allowed",
                             requested);
        conf_reset();
    }
    if (requested != NULL)
        conf_set_config_dir(requested);
    buf_release(&err);
}

int main(int argc, char **argv)
{
    enum postqueue_mode mode = PQ_NONE;
    struct postqueue_filter filter;
    struct buf err = BUF_INIT;
    const char *config = NULL;
    const char *arg = NULL;
    const char *base = strrchr(argv[0], '/');
    int ch;

    memset(&filter, 0, sizeof(filter));
    msg_init("postqueue");
    base = base ? base + 1 : argv[0];
    if (strcmp(base, "mailq") == 0)
        mode = PQ_LIST;
    while ((ch = getopt(argc, argv, "c:fi:jps:vS:R:D:A:")) != -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'f':
            mode = PQ_FLUSH;
            break;
        case 'i':
            mode = PQ_FLUSH_ID;
            arg = optarg;
            break;
        case 'j':
            mode = PQ_JSON;
            break;
        case 'p':
            mode = PQ_LIST;
            break;
        case 's':
            mode = PQ_FLUSH_SITE;
            arg = optarg;
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'S':
            filter.sender = optarg;
            break;
        case 'R':
            filter.rcpt = optarg;
            break;
        case 'D':
            filter.domain = optarg;
            break;
        case 'A':
            if (str_to_time(optarg, 's', &filter.min_age) < 0 || filter.min_age < 0)
                msg_fatal_status(EX_USAGE, "bad -A age: %s", optarg);
            break;
        default:
            postqueue_usage();
        }
    }
    if (optind != argc || mode == PQ_NONE)
        postqueue_usage();
    postqueue_choose_config(config != NULL ? config : getenv("MAIL_CONFIG"));
    if (conf_load(&err) < 0)
        msg_fatal_status(EX_CONFIG, "%s", buf_str(&err));
    conf_apply_globals();
    if (*var_maillog_file != '\0' && access(var_maillog_file, W_OK) == 0) {
        (void)server_log_open("postqueue");
    } else {
        msg_set_syslog_name(var_syslog_name);
        (void)msg_set_syslog(var_syslog_facility);
    }
    msg_set_stderr(1);
    if (chdir(var_queue_directory) < 0)
        msg_fatal_status(EX_UNAVAILABLE, "chdir %s: %s", var_queue_directory, strerror(errno));

    switch (mode) {
    case PQ_LIST:
    case PQ_JSON:
        postqueue_authorize(var_authorized_mailq_users, "authorized_mailq_users",
                            "view the mail queue");
        postqueue_list(mode, &filter);
        break;
    case PQ_FLUSH:
        postqueue_authorize(var_authorized_flush_users, "authorized_flush_users",
                            "flush the mail queue");
        if (postqueue_trigger_qmgr("F") < 0)
            msg_fatal_status(EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
        break;
    case PQ_FLUSH_ID:
        postqueue_authorize(var_authorized_flush_users, "authorized_flush_users",
                            "flush the mail queue");
        postqueue_flush_id(arg);
        break;
    case PQ_FLUSH_SITE:
        postqueue_authorize(var_authorized_flush_users, "authorized_flush_users",
                            "flush the mail queue");
        if (!postqueue_flush_site_ok(arg))
            msg_fatal_status(EX_UNAVAILABLE,
                             "Flush service is not configured for destination \"%s\"", arg);
        if (postqueue_trigger_qmgr("F") < 0)
            msg_fatal_status(EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
        break;
    default:
        postqueue_usage();
    }
    buf_release(&err);
    return 0;
}
