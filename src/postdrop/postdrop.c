/*
 * postdrop.c - the set-gid helper that puts a local submission into
 * queue_directory/maildrop/. sendmail runs it and writes the message on
 * its standard input in the maildrop format (lib/mail/maildrop.h); pickup
 * reads the file and hands it to cleanup.
 *
 * Installed set-gid setgid_group (in non-root mode: an ordinary program of
 * the instance user). Everything it gets comes from the user who runs it:
 * the environment is cleared, the configuration directory is checked
 * (Postfix's rule: -c or MAIL_CONFIG must be the default directory or be
 * listed in alternate_config_directories or multi_instance_directories of
 * the default main.cf, unless the real user is root; applied only when
 * postdrop runs set-id, since otherwise it has no privilege), every
 * record is checked before it is written, and the size is bounded by
 * message_size_limit. It never follows a path the user names and never
 * writes anywhere but maildrop/. A failure removes the unfinished file.
 * The queue file writer creates the file (mode 0600, under its queue ID at
 * once), fsyncs it and sets the complete bit; postdrop then gives it mode
 * 0744, Postfix's choice (observed on 3.7: -rwxr--r-- submitter:postdrop):
 * pickup runs as mail_owner and must read a file the submitter owns, while
 * other users cannot reach it because maildrop/ is mode 1730.
 *
 * Exit status (sysexits.h): 0 queued; EX_USAGE bad options; EX_DATAERR
 * malformed or oversized input; EX_NOPERM not authorized (user, sender,
 * configuration directory); EX_TEMPFAIL anything
 * that may work later (queue not writable, full disk, table failure,
 * configuration errors).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mail/maildrop.h"
#include "mail/queue_dir.h"
#include "mail/queue_file.h"
#include "postdrop.h"
#include "server/instance.h"
#include "server/server_log.h"
#include "server/trigger.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/proc.h"

#define POSTDROP_READ_CHUNK 65536

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POSTDROP_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(POSTDROP_ASAN)
#define POSTDROP_ASAN 1
#endif
#ifdef POSTDROP_ASAN
/*
 * Sanitizer builds only (tests): a set-gid process cannot be traced, so
 * LeakSanitizer dies at exit and turns success into exit status 1, and
 * the sanitizer ignores ASAN_OPTIONS in set-id processes. Leaks are
 * looked for in the unit tests instead.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

/* Exit status of msg_fatal() from anywhere (library code included). */
static volatile int postdrop_status = EX_TEMPFAIL;

/* The unfinished queue file, removed by a fatal error or a signal. The
 * path is copied here (fixed size, no allocation) so the signal handler
 * may unlink it. */
static struct queue_file *postdrop_qf;
static char postdrop_path[4096];
static volatile sig_atomic_t postdrop_path_set;

__attribute__((noreturn, format(printf, 2, 3))) static void postdrop_fatal(int status,
                                                                           const char *fmt, ...)
{
    struct buf text = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&text, fmt, ap);
    va_end(ap);
    postdrop_status = status;
    msg_fatal_status(status, "%s", buf_str(&text));
}

/* msg_fatal() hook: remove the unfinished file, exit with our status. */
static void postdrop_cleanup(void)
{
    if (postdrop_path_set)
        (void)unlink(postdrop_path);
    _exit(postdrop_status);
}

/* HUP, INT, QUIT, TERM: the input is incomplete; remove the file (Postfix
 * postdrop(1) DIAGNOSTICS). Only async-signal-safe calls. */
static void postdrop_on_signal(int sig)
{
    (void)sig;
    if (postdrop_path_set)
        (void)unlink(postdrop_path);
    _exit(EX_TEMPFAIL);
}

/*
 * Before anything else: descriptors 0-2 open, nothing else inherited, a
 * known umask, no environment but TZ (when it names no file), and no
 * signal or resource limit the user set that could stop us between the
 * first write and the cleanup. *mail_config gets MAIL_CONFIG (copied).
 */
static void postdrop_sanitise(char **mail_config)
{
    static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    const char *value;
    char *tz = NULL;
    struct rlimit rl;
    size_t i;
    int fd;

    for (fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) < 0) {
            int null = open("/dev/null", O_RDWR);

            if (null < 0)
                _exit(EX_OSERR);
            if (null != fd) { /* cannot happen: the lowest free number is fd */
                (void)close(null);
                _exit(EX_OSERR);
            }
        }
    }
    (void)proc_close_fds_from(3, NULL, 0);
    umask(077);
    value = getenv("MAIL_CONFIG");
    *mail_config = value && *value ? mem_strdup(value) : NULL;
    value = getenv("TZ");
    if (value != NULL && strchr(value, '/') == NULL && strlen(value) < 64)
        tz = mem_strdup(value);
    (void)clearenv();
    if (tz != NULL) {
        (void)setenv("TZ", tz, 1);
        mem_free(tz);
    }
    (void)setenv("PATH", "/usr/bin:/bin", 1);
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        (void)proc_signal(sigs[i], postdrop_on_signal);
    /* A user's small file size limit must give EFBIG (and our cleanup),
     * not SIGXFSZ (and a half-written file). */
    (void)proc_signal(SIGXFSZ, SIG_IGN);
    (void)proc_ignore_sigpipe();
    if (getrlimit(RLIMIT_CORE, &rl) == 0) {
        rl.rlim_cur = 0;
        (void)setrlimit(RLIMIT_CORE, &rl);
    }
}

/* Set-id: the real and effective ids differ, so there is something to
 * protect. Without it (non-root mode, or a test build) the user could
 * run any program with the same rights anyway. */
static int postdrop_is_setid(void)
{
    return getuid() != geteuid() || getgid() != getegid();
}

/* Picks the configuration directory (Postfix's rule, see postdrop(1)). */
static void postdrop_choose_config(const char *requested)
{
    struct buf err = BUF_INIT;

    if (requested != NULL && postdrop_is_setid() && getuid() != 0 &&
        strcmp(requested, POSTERN_CONFIG_DIR) != 0) {
        conf_set_config_dir(POSTERN_CONFIG_DIR);
        if (conf_load(&err) < 0)
            postdrop_fatal(EX_NOPERM,
                           "%s: non-default configuration directory not allowed:"
                           " cannot read the default main.cf: %s",
                           requested, buf_str(&err));
        if (!postdrop_config_dir_allowed(requested, POSTERN_CONFIG_DIR,
                                         conf_raw("alternate_config_directories"),
                                         conf_raw("multi_instance_directories")))
            postdrop_fatal(EX_NOPERM,
                           "%s: non-default configuration directory not allowed: it is not"
                           " listed in alternate_config_directories or"
                           " multi_instance_directories of %s",
                           requested, conf_main_path());
        conf_reset();
    }
    conf_set_config_dir(requested != NULL ? requested : POSTERN_CONFIG_DIR);
    buf_release(&err);
}

static void postdrop_usage(void)
{
    postdrop_fatal(EX_USAGE, "usage: postdrop [-rv] [-c config_dir]");
}

/* The login name, or "uid:N" when the password file has none (Postfix's
 * convention for local_login_sender_maps). */
static char *postdrop_login(uid_t uid, int *known)
{
    struct passwd *pw = getpwuid(uid);
    struct buf name = BUF_INIT;

    *known = pw != NULL;
    if (pw != NULL)
        return mem_strdup(pw->pw_name);
    buf_printf(&name, "uid:%lu", (unsigned long)uid);
    return buf_steal(&name);
}

/* Copies one checked record into the queue file. */
static int postdrop_put(struct queue_file *qf, int type, const char *data, size_t len)
{
    switch (type) {
    case QUEUE_REC_MESG:
        return queue_file_begin_content(qf);
    case QUEUE_REC_NORM:
        return queue_file_put_line(qf, data, len);
    case QUEUE_REC_CONT:
        return queue_file_put_line_part(qf, data, len);
    case QUEUE_REC_XTRA:
        return queue_file_end_content(qf);
    case QUEUE_REC_END:
        return 0; /* queue_file_finish() writes it */
    default:
        return queue_file_put(qf, type, data, len);
    }
}

struct postdrop_input {
    struct buf data; /* bytes read and not yet consumed, from pos */
    size_t pos;
    int eof;
};

/* Makes at least need bytes available from in->pos, unless the input
 * ends first (a read error is fatal). The buffer never holds much more
 * than one record: the caller bounds need. */
static void postdrop_fill(struct postdrop_input *in, size_t need)
{
    char chunk[POSTDROP_READ_CHUNK];
    ssize_t n;

    if (in->pos > 0 && in->pos == in->data.len) {
        buf_reset(&in->data);
        in->pos = 0;
    }
    while (!in->eof && in->data.len - in->pos < need) {
        if (in->pos > POSTDROP_READ_CHUNK) {
            buf_set_mem(&in->data, in->data.data + in->pos, in->data.len - in->pos);
            in->pos = 0;
        }
        n = read(0, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            postdrop_fatal(EX_TEMPFAIL, "read standard input: %s", strerror(errno));
        if (n == 0) {
            in->eof = 1;
            break;
        }
        buf_append(&in->data, chunk, (size_t)n);
    }
}

/*
 * Reads, checks and copies records until END. The size that
 * message_size_limit bounds is, as in Postfix, the envelope and the
 * content: each record counts its data plus one byte (the LF of a line;
 * so that a flood of empty records is bounded too).
 */
static void postdrop_copy(struct queue_file *qf, const char *login, size_t max_rec)
{
    struct postdrop_input in = {BUF_INIT, 0, 0};
    long size = 0;
    struct maildrop_check check;
    struct buf why = BUF_INIT;
    off_t offset = 0;
    int type;
    size_t len, hdr_len;

    maildrop_check_init(&check, MAILDROP_STREAM);
    while (!maildrop_check_ended(&check)) {
        const unsigned char *p;
        enum queue_rec_hdr_status hs;

        postdrop_fill(&in, QUEUE_REC_HDR_MAX);
        if (in.data.len == in.pos)
            postdrop_fatal(EX_DATAERR, "malformed input: premature end of input (no END record)");
        p = (const unsigned char *)in.data.data + in.pos;
        buf_reset(&why);
        hs = queue_rec_get_header(p, in.data.len - in.pos, max_rec, &type, &len, &hdr_len, &why);
        if (hs == QUEUE_HDR_SHORT)
            postdrop_fatal(EX_DATAERR, "malformed input: truncated record at offset %ld",
                           (long)offset);
        if (hs == QUEUE_HDR_BAD)
            postdrop_fatal(EX_DATAERR, "malformed input at offset %ld: %s", (long)offset,
                           buf_str(&why));
        postdrop_fill(&in, hdr_len + len);
        if (in.data.len - in.pos < hdr_len + len)
            postdrop_fatal(EX_DATAERR, "malformed input: truncated record at offset %ld",
                           (long)offset);
        p = (const unsigned char *)in.data.data + in.pos;
        size += (long)len + 1;
        if (var_message_size_limit > 0 && size > var_message_size_limit)
            postdrop_fatal(EX_DATAERR,
                           "message too large: more than %ld bytes (message_size_limit)",
                           var_message_size_limit);
        if (maildrop_check_record(&check, type, (const char *)p + hdr_len, len, offset,
                                  offset + (off_t)(hdr_len + len), &why) < 0)
            postdrop_fatal(EX_DATAERR, "malformed input at offset %ld: %s", (long)offset,
                           buf_str(&why));
        if (type == QUEUE_REC_SENDER) {
            struct buf sender = BUF_INIT;
            int ok;

            buf_append(&sender, p + hdr_len, len);
            ok = postdrop_sender_allowed(var_local_login_sender_maps, login, buf_str(&sender),
                                         var_empty_address_local_login_sender_maps_lookup_key,
                                         var_recipient_delimiter, &why);
            if (ok < 0)
                postdrop_fatal(EX_TEMPFAIL, "local_login_sender_maps: %s", buf_str(&why));
            if (ok == 0)
                postdrop_fatal(EX_NOPERM, "User %s(%lu) is not allowed to use sender address <%s>",
                               login, (unsigned long)getuid(), buf_str(&sender));
            buf_release(&sender);
        }
        if (postdrop_put(qf, type, (const char *)p + hdr_len, len) < 0)
            postdrop_fatal(EX_TEMPFAIL, "write maildrop file: %s", queue_file_error(qf));
        in.pos += hdr_len + len;
        offset += (off_t)(hdr_len + len);
    }
    postdrop_fill(&in, 1);
    if (in.data.len > in.pos)
        postdrop_fatal(EX_DATAERR, "malformed input: data after the END record");
    buf_release(&in.data);
    buf_release(&why);
}

/* Tells pickup to look (ENOENT: no master running; the next start or
 * wakeup picks the file up). */
static void postdrop_trigger_pickup(void)
{
    struct buf path = BUF_INIT;
    struct buf why = BUF_INIT;
    struct stat st;
    enum trigger_kind kind;

    instance_service_path(&path, 0, "pickup");
    if (stat(buf_str(&path), &st) < 0) {
        if (errno != ENOENT)
            msg_warn("unable to look up %s: %s", buf_str(&path), strerror(errno));
        goto done;
    }
    if (S_ISFIFO(st.st_mode)) {
        kind = TRIGGER_FIFO;
    } else if (S_ISSOCK(st.st_mode)) {
        kind = TRIGGER_UNIX;
    } else {
        msg_warn("%s is neither a socket nor a fifo", buf_str(&path));
        goto done;
    }
    if (trigger_send(kind, buf_str(&path), "W", 1, var_trigger_timeout * 1000, &why) < 0 &&
        errno != ENOENT && errno != ECONNREFUSED && errno != ENXIO && errno != EAGAIN)
        msg_warn("unable to trigger pickup: %s", buf_str(&why));
done:
    buf_release(&path);
    buf_release(&why);
}

int main(int argc, char **argv)
{
    char *mail_config;
    const char *config = NULL;
    struct queue_dir *qd;
    struct queue_file_opts opts;
    struct buf err = BUF_INIT;
    sigset_t block, saved;
    char *login;
    int known;
    int ch;
    size_t max_rec;

    postdrop_sanitise(&mail_config);
    msg_init("postdrop");
    msg_set_cleanup(postdrop_cleanup);
    while ((ch = getopt(argc, argv, "+c:rv")) != -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'r': /* the record protocol: the only one there is */
            break;
        case 'v': /* verbose logging is for the super-user only */
            if (getuid() == 0)
                msg_verbose++;
            break;
        default:
            postdrop_usage();
        }
    }
    if (optind != argc)
        postdrop_usage();
    postdrop_choose_config(config != NULL ? config : mail_config);
    if (conf_load(&err) < 0)
        postdrop_fatal(EX_TEMPFAIL, "%s", buf_str(&err));
    conf_apply_globals();
    /* The maillog_file belongs to the mail system, not to the user who
     * runs postdrop: use it only when it is writable (non-root mode), so
     * that a user's submission never prints a warning about it. */
    if (*var_maillog_file != '\0' && access(var_maillog_file, W_OK) == 0) {
        (void)server_log_open("postdrop");
    } else {
        msg_set_syslog_name(var_syslog_name);
        (void)msg_set_syslog(var_syslog_facility);
    }
    msg_set_stderr(1);

    login = postdrop_login(getuid(), &known);
    switch (
        postdrop_user_authorized(var_authorized_submit_users, known ? login : "unknown", &err)) {
    case -1:
        postdrop_fatal(EX_TEMPFAIL, "authorized_submit_users: %s", buf_str(&err));
    case 0:
        postdrop_fatal(EX_NOPERM, "User %s(%lu) is not allowed to submit mail", login,
                       (unsigned long)getuid());
    }
    if (chdir(var_queue_directory) < 0)
        postdrop_fatal(EX_TEMPFAIL, "chdir %s: %s", var_queue_directory, strerror(errno));
    qd = queue_dir_from_conf();

    /* No signal may land between the file's creation and the copy of its
     * name that the handler removes. */
    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved);
    queue_file_opts_init(&opts);
    opts.queue = QUEUE_MAILDROP;
    if ((postdrop_qf = queue_file_create(qd, &opts, &err)) == NULL)
        postdrop_fatal(EX_TEMPFAIL, "cannot create file in %s/%s: %s", var_queue_directory,
                       QUEUE_MAILDROP, buf_str(&err));
    if (snprintf(postdrop_path, sizeof(postdrop_path), "%s", queue_file_path(postdrop_qf)) >=
        (int)sizeof(postdrop_path)) {
        queue_file_abort(postdrop_qf);
        postdrop_fatal(EX_TEMPFAIL, "queue file path too long");
    }
    postdrop_path_set = 1;
    sigprocmask(SIG_SETMASK, &saved, NULL);

    max_rec = (size_t)var_line_length_limit;
    if (max_rec < MAILDROP_FIELD_MAX + 64)
        max_rec = MAILDROP_FIELD_MAX + 64;
    postdrop_copy(postdrop_qf, login, max_rec);

    if (queue_file_finish(postdrop_qf) < 0)
        postdrop_fatal(EX_TEMPFAIL, "write maildrop file: %s", queue_file_error(postdrop_qf));
    /*
     * pickup runs as mail_owner and must read a file that belongs to the
     * submitter: Postfix gives finished maildrop files mode 0744. Other
     * users cannot reach it: maildrop/ is mode 1730 and not searchable
     * by them.
     */
    if (fchmod(queue_file_fd(postdrop_qf), QUEUE_FILE_MODE_COMPLETE | S_IRGRP | S_IROTH) < 0)
        postdrop_fatal(EX_TEMPFAIL, "chmod maildrop file: %s", strerror(errno));
    postdrop_path_set = 0; /* done: a late signal must not remove it */
    if (msg_verbose)
        msg_info("%s: queued in %s", queue_file_id(postdrop_qf), QUEUE_MAILDROP);
    queue_file_close(postdrop_qf);
    postdrop_qf = NULL;
    postdrop_trigger_pickup();
    queue_dir_free(qd);
    mem_free(login);
    mem_free(mail_config);
    buf_release(&err);
    return 0;
}
