/*
 * postsuper.c - queue maintenance for the super-user (and mail_owner):
 * -d (delete), -h (hold), -H (release), -r (requeue through cleanup), -e
 * and -f (expire, force-expire), each with a queue ID, "ALL", or "-" for
 * IDs on standard input; queue names after the options limit where they
 * look. -s (structure check and repair), -p (purge temporary files), -v,
 * -c DIR; postern adds -j (one JSON line per action on stdout).
 *
 * Prints Postfix's lines ("postsuper: ID: removed", "postsuper: Deleted:
 * 3 messages") on stderr and in the maillog. With no action at all it
 * runs -s and -p, as Postfix does. "-" reads one ID per line and also
 * takes postqueue -p output (the first word of each entry line, with the
 * status mark removed), so that "postqueue -p -S sender | postsuper -d -"
 * works.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mail/queue_dir.h"
#include "postsuper.h"
#include "server/instance.h"
#include "server/server_log.h"
#include "server/trigger.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

#define PS_MAX_REQUESTS 1024
#define PS_LINE_MAX     1024

struct ps_request {
    enum postsuper_op op;
    const char *arg;
};

static const char *const ps_summary[PS_NOPS] = {
    "Deleted", "Placed on hold", "Released from hold", "Requeued", "Expired", "Expired",
};

static void postsuper_usage(void)
{
    msg_fatal("usage: postsuper [-c config_dir] [-d queue_id] [-e queue_id] [-f queue_id] "
              "[-h queue_id] [-H queue_id] [-j] [-p] [-r queue_id] [-s] [-v] [queue...]");
}

/* Root, or the account that owns the queue (mail_owner; the invoking
 * user in non-root mode). */
static void postsuper_authorize(void)
{
    struct passwd *pw;
    struct stat st;

    if (getuid() == 0)
        return;
    if ((pw = getpwnam(var_mail_owner)) != NULL && pw->pw_uid == getuid())
        return;
    if (instance_nonroot() && stat(var_queue_directory, &st) == 0 && st.st_uid == getuid())
        return;
    msg_fatal("use of this command is reserved for the superuser");
}

/*
 * Root works on the queue as mail_owner (effective ids only), as Postfix's
 * postsuper does: every hash directory and maildrop file it creates then
 * belongs to the account the daemons run as. A root-owned deferred/X/
 * would hide its files from qmgr.
 */
static void postsuper_become_owner(void)
{
    uid_t uid;
    gid_t gid;

    if (geteuid() != 0 || instance_nonroot())
        return;
    instance_owner_ids(&uid, &gid);
    if (setgroups(0, NULL) < 0 || setegid(gid) < 0 || seteuid(uid) < 0)
        msg_fatal("cannot switch to mail_owner (uid %lu): %s", (unsigned long)uid, strerror(errno));
}

/* The ID in one line of "-" input, or NULL to skip the line quietly. */
static const char *postsuper_stdin_id(char *line)
{
    char *cursor = line;
    char *word;
    size_t len;

    if (line[0] == ' ' || line[0] == '\t' || line[0] == '\0')
        return NULL; /* recipients and reasons of postqueue -p, blank lines */
    if ((word = str_token(&cursor, " \t\r\n")) == NULL)
        return NULL;
    if (word[0] == '-' || strcmp(word, "Mail") == 0)
        return NULL; /* postqueue -p's header and trailer lines */
    len = strlen(word);
    if (len > 1 && strchr("*!#", word[len - 1]) != NULL)
        word[len - 1] = '\0';
    return word;
}

/* Postfix's syntax rule for a queue ID argument: letters and digits. A
 * well-formed name that no file can have (queue_id_valid() says no) is
 * simply not found, as with Postfix. */
static int postsuper_id_syntax_ok(const char *id)
{
    size_t len = strspn(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    return len > 0 && id[len] == '\0' && len <= QUEUE_ID_MAX_LEN;
}

static void postsuper_one(struct postsuper *ps, enum postsuper_op op, const char *id)
{
    if (!postsuper_id_syntax_ok(id)) {
        msg_warn("invalid mail queue id: %s", id);
        return;
    }
    if (queue_id_valid(id))
        (void)postsuper_apply(ps, op, id, NULL);
}

/* Whether op removes the logs of the messages it acts on. */
static int postsuper_op_removes_logs(enum postsuper_op op)
{
    return op == PS_DELETE || op == PS_REQUEUE;
}

static void postsuper_all(struct postsuper *ps, enum postsuper_op op)
{
    const char *const *qs = postsuper_op_queues(op);
    struct buf err = BUF_INIT;
    size_t i;
    size_t j;

    if (postsuper_op_removes_logs(op))
        postsuper_logs_begin(ps);
    for (i = 0; qs[i] != NULL; i++) {
        struct queue_scan *scan;
        char id[QUEUE_ID_SIZE];
        char **ids = NULL;
        size_t n = 0;
        size_t cap = 0;
        int rc;

        if (ps->restrict_queues != NULL) {
            for (j = 0; ps->restrict_queues[j] != NULL; j++)
                if (strcmp(ps->restrict_queues[j], qs[i]) == 0)
                    break;
            if (ps->restrict_queues[j] == NULL)
                continue;
        }
        if ((scan = queue_scan_open(ps->qd, qs[i], &err)) == NULL) {
            if (errno != ENOENT)
                msg_warn("%s", buf_str(&err));
            buf_reset(&err);
            continue;
        }
        /* Collect first: acting while reading a directory may show a
         * moved file twice or not at all. */
        while ((rc = queue_scan_next(scan, id, sizeof(id), NULL)) != 0) {
            if (rc < 0)
                continue;
            if (n == cap) {
                cap = cap ? mem_size_mul(cap, 2) : 256;
                ids = mem_realloc(ids, mem_size_mul(cap, sizeof(*ids)));
            }
            ids[n++] = mem_strdup(id);
        }
        queue_scan_close(scan);
        for (j = 0; j < n; j++) {
            (void)postsuper_apply(ps, op, ids[j], qs[i]);
            mem_free(ids[j]);
        }
        mem_free(ids);
    }
    postsuper_logs_end(ps);
    buf_release(&err);
}

static void postsuper_stdin(struct postsuper *ps, enum postsuper_op op)
{
    char line[PS_LINE_MAX];

    if (postsuper_op_removes_logs(op))
        postsuper_logs_begin(ps);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        const char *id;
        size_t len = strlen(line);

        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            int c;

            while ((c = getchar()) != EOF && c != '\n')
                ;
            msg_warn("invalid mail queue id: line too long");
            continue;
        }
        if ((id = postsuper_stdin_id(line)) != NULL)
            postsuper_one(ps, op, id);
    }
    postsuper_logs_end(ps);
}

static void postsuper_trigger_pickup(void)
{
    struct buf path = BUF_INIT;
    struct buf why = BUF_INIT;

    instance_service_path(&path, 0, "pickup");
    if (trigger_send(TRIGGER_UNIX, buf_str(&path), "W", 1, var_trigger_timeout * 1000L, &why) < 0)
        (void)trigger_send(TRIGGER_FIFO, buf_str(&path), "W", 1, var_trigger_timeout * 1000L, &why);
    buf_release(&path);
    buf_release(&why);
}

int main(int argc, char **argv)
{
    struct ps_request req[PS_MAX_REQUESTS];
    size_t nreq = 0;
    int done_op[PS_NOPS] = {0};
    struct postsuper ps;
    struct buf err = BUF_INIT;
    const char *config = NULL;
    int check = 0;
    int purge = 0;
    int ch;
    size_t i;
    int op;

    memset(&ps, 0, sizeof(ps));
    ps.top_fd = -1;
    msg_init("postsuper");
    while ((ch = getopt(argc, argv, "c:d:e:f:h:H:jpr:sv")) != -1) {
        enum postsuper_op o;

        switch (ch) {
        case 'c':
            config = optarg;
            continue;
        case 'j':
            ps.json = 1;
            continue;
        case 'p':
            purge = 1;
            continue;
        case 's':
            check = 1;
            continue;
        case 'v':
            msg_verbose++;
            continue;
        case 'd':
            o = PS_DELETE;
            break;
        case 'e':
            o = PS_EXPIRE;
            break;
        case 'f':
            o = PS_FORCE_EXPIRE;
            break;
        case 'h':
            o = PS_HOLD;
            break;
        case 'H':
            o = PS_RELEASE;
            break;
        case 'r':
            o = PS_REQUEUE;
            break;
        default:
            postsuper_usage();
        }
        if (nreq == PS_MAX_REQUESTS)
            msg_fatal("too many queue ID arguments (at most %d)", PS_MAX_REQUESTS);
        req[nreq].op = o;
        req[nreq].arg = optarg;
        nreq++;
    }
    for (i = (size_t)optind; i < (size_t)argc; i++)
        if (!queue_name_valid(argv[i]))
            msg_fatal("invalid directory name: %s", argv[i]);
    if (optind < argc)
        ps.restrict_queues = (const char *const *)argv + optind;
    if (config != NULL)
        conf_set_config_dir(config);
    if (conf_load(&err) < 0)
        msg_fatal("%s", buf_str(&err));
    conf_apply_globals();
    postsuper_authorize();
    if (*var_maillog_file != '\0' && access(var_maillog_file, W_OK) == 0) {
        (void)server_log_open("postsuper");
    } else {
        msg_set_syslog_name(var_syslog_name);
        (void)msg_set_syslog(var_syslog_facility);
    }
    msg_set_stderr(1);
    postsuper_become_owner();
    ps.qd = queue_dir_from_conf();
    ps.top_fd = open(queue_dir_top(ps.qd), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (nreq == 0 && !check && !purge) {
        check = 1;
        purge = 1;
    }
    if (check)
        postsuper_check(&ps);
    if (purge)
        postsuper_purge(&ps);
    for (i = 0; i < nreq; i++) {
        done_op[req[i].op] = 1;
        if (strcmp(req[i].arg, "ALL") == 0)
            postsuper_all(&ps, req[i].op);
        else if (strcmp(req[i].arg, "-") == 0)
            postsuper_stdin(&ps, req[i].op);
        else
            postsuper_one(&ps, req[i].op, req[i].arg);
    }
    if (ps.pickup_wanted)
        postsuper_trigger_pickup();
    for (op = 0; op < PS_NOPS; op++) {
        if (!done_op[op])
            continue;
        if (ps.json) {
            printf("{\"summary\": \"%s\", \"count\": %ld}\n", ps_summary[op], ps.counts[op]);
            msg_set_stderr(0);
        }
        msg_info("%s: %ld message%s", ps_summary[op], ps.counts[op], ps.counts[op] == 1 ? "" : "s");
        msg_set_stderr(1);
    }
    if (fflush(stdout) != 0)
        msg_fatal("write error on standard output: %s", strerror(errno));
    if (ps.top_fd >= 0)
        (void)close(ps.top_fd);
    queue_dir_free(ps.qd);
    buf_release(&err);
    return 0;
}
