/*
 * sendmail_main.c - the Sendmail-compatible mail submission command (also
 * run as mailq and newaliases): parses the command line, then either
 * queues the message from standard input through postdrop, or runs the
 * program that implements the mode (postqueue, postalias, postern, smtpd).
 *
 * Runs with the invoking user's privileges and trusts nothing it reads;
 * postdrop re-checks everything. Programs are found in command_directory
 * (postdrop, postqueue, postalias, postern) and daemon_directory (smtpd),
 * so a test instance points those parameters at a directory of links into
 * the build tree. Errors go to stderr as "sendmail: fatal: ..." with
 * Postfix's exit status 75 (EX_TEMPFAIL) for usage and input errors;
 * postdrop's own status (EX_DATAERR, EX_NOPERM, ...) is passed on.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf/conf.h"
#include "mail/addr_list.h"
#include "mail/maildrop.h"
#include "mail/queue_rec.h"
#include "sendmail.h"
#include "server/instance.h"
#include "server/trigger.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/proc.h"
#include "util/str.h"

/* Records are written to postdrop in batches of about this size. */
#define SENDMAIL_FLUSH_SIZE 65536

/* Exit status of msg_fatal() from anywhere (Postfix's sendmail: 75). */
static int sendmail_status = EX_TEMPFAIL;

__attribute__((noreturn, format(printf, 2, 3))) static void sendmail_fatal(int status,
                                                                           const char *fmt, ...)
{
    struct buf text = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&text, fmt, ap);
    va_end(ap);
    sendmail_status = status;
    msg_fatal_status(status, "%s", buf_str(&text));
}

static void sendmail_cleanup(void)
{
    _exit(sendmail_status);
}

/* ---- running the other programs ------------------------------------------ */

/* dir/name, if it is an executable file. */
static char *sendmail_program(const char *dir, const char *name)
{
    struct buf path = BUF_INIT;

    buf_printf(&path, "%s/%s", dir, name);
    if (access(buf_str(&path), X_OK) == 0)
        return buf_steal(&path);
    buf_release(&path);
    return NULL;
}

/* Replaces this process with path, argv (the configuration directory
 * passed on as -c when one was named). Never returns. */
__attribute__((noreturn)) static void sendmail_exec(const char *path, char **argv)
{
    execv(path, argv);
    sendmail_fatal(EX_OSERR, "execute %s: %s", path, strerror(errno));
}

/* argv for a command: name [-c dir] args... (NULL-terminated). */
static char **sendmail_argv(const char *name, const char *const *args)
{
    size_t n = 0, i = 0;
    char **argv;

    while (args[n] != NULL)
        n++;
    argv = mem_calloc(n + 4, sizeof(*argv));
    argv[i++] = mem_strdup(name);
    if (conf_config_dir_explicit()) {
        argv[i++] = mem_strdup("-c");
        argv[i++] = mem_strdup(conf_config_dir());
    }
    for (n = 0; args[n] != NULL; n++)
        argv[i++] = mem_strdup(args[n]);
    argv[i] = NULL;
    return argv;
}

static void sendmail_argv_free(char **argv)
{
    size_t i;

    for (i = 0; argv[i] != NULL; i++)
        mem_free(argv[i]);
    mem_free(argv);
}

/* -bp, -q, -qI, -qR: postqueue; -q falls back to a flush trigger for qmgr. */
__attribute__((noreturn)) static void sendmail_postqueue(const struct sendmail_opts *opts)
{
    char *path = sendmail_program(var_command_directory, "postqueue");
    const char *args[3] = {NULL, NULL, NULL};
    struct buf where = BUF_INIT;
    struct buf why = BUF_INIT;

    switch (opts->mode) {
    case SENDMAIL_MODE_MAILQ:
        args[0] = "-p";
        break;
    case SENDMAIL_MODE_FLUSH:
        args[0] = "-f";
        break;
    case SENDMAIL_MODE_FLUSH_ID:
        args[0] = "-i";
        args[1] = opts->queue_arg;
        break;
    default:
        args[0] = "-s";
        args[1] = opts->queue_arg;
        break;
    }
    if (path != NULL)
        sendmail_exec(path, sendmail_argv("postqueue", args));
    if (opts->mode == SENDMAIL_MODE_FLUSH) {
        /* Without postqueue, ask qmgr directly, as "postern flush" does. */
        instance_service_path(&where, 0, "qmgr");
        if (trigger_send(TRIGGER_FIFO, buf_str(&where), "F", 1, var_trigger_timeout * 1000, &why) ==
                0 ||
            trigger_send(TRIGGER_UNIX, buf_str(&where), "F", 1, var_trigger_timeout * 1000, &why) ==
                0)
            exit(0);
        sendmail_fatal(EX_UNAVAILABLE, "cannot flush the queue: %s", buf_str(&why));
    }
    sendmail_fatal(EX_UNAVAILABLE, "%s: postqueue is not installed in %s (command_directory)",
                   opts->mode == SENDMAIL_MODE_MAILQ ? "cannot list the queue"
                                                     : "cannot flush the queue",
                   var_command_directory);
}

/* -bi, -I, newaliases: postalias on alias_database (or -oA). */
__attribute__((noreturn)) static void sendmail_newaliases(const struct sendmail_opts *opts)
{
    char *path = sendmail_program(var_command_directory, "postalias");
    char *copy = mem_strdup(opts->alias_db ? opts->alias_db : var_alias_database);
    char *cursor = copy;
    const char **args;
    size_t n = 0;
    char *word;

    if (path == NULL)
        sendmail_fatal(EX_UNAVAILABLE,
                       "cannot rebuild the alias database: postalias is not installed in %s"
                       " (command_directory)",
                       var_command_directory);
    args = mem_calloc(strlen(copy) / 2 + 2, sizeof(*args));
    while ((word = str_token(&cursor, STR_LIST_SEP)) != NULL)
        args[n++] = word;
    args[n] = NULL;
    if (n == 0)
        exit(0); /* no alias database to build */
    sendmail_exec(path, sendmail_argv("postalias", args));
}

/* -bs: SMTP on stdin/stdout, which smtpd's stand-alone mode (-S) serves. */
__attribute__((noreturn)) static void sendmail_smtp(void)
{
    char *path = sendmail_program(var_daemon_directory, "smtpd");
    const char *args[] = {"-S", NULL};

    if (path == NULL)
        sendmail_fatal(EX_UNAVAILABLE,
                       "-bs (SMTP on standard input) needs postern's smtpd, which is not"
                       " installed in %s (daemon_directory)",
                       var_daemon_directory);
    sendmail_exec(path, sendmail_argv("smtpd", args));
}

/* -bd, -bl: start the mail system. */
__attribute__((noreturn)) static void sendmail_daemon(void)
{
    char *path = sendmail_program(var_command_directory, "postern");
    const char *args[] = {"start", NULL};

    if (path == NULL)
        sendmail_fatal(EX_UNAVAILABLE,
                       "cannot start the mail system: postern is not installed"
                       " in %s (command_directory)",
                       var_command_directory);
    sendmail_exec(path, sendmail_argv("postern", args));
}

/* ---- queueing a message --------------------------------------------------- */

struct sendmail_out {
    int fd;         /* postdrop's standard input */
    struct buf buf; /* records not yet written */
};

static void sendmail_out_flush(struct sendmail_out *out)
{
    size_t done = 0;
    ssize_t n;

    while (done < out->buf.len) {
        n = write(out->fd, out->buf.data + done, out->buf.len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            /* postdrop has gone (EPIPE): its exit status says why. */
            buf_reset(&out->buf);
            out->fd = -1;
            return;
        }
        done += (size_t)n;
    }
    buf_reset(&out->buf);
}

static void sendmail_rec(struct sendmail_out *out, int type, const void *data, size_t len)
{
    if (out->fd < 0)
        return;
    queue_rec_append(&out->buf, type, data, len);
    if (out->buf.len >= SENDMAIL_FLUSH_SIZE)
        sendmail_out_flush(out);
}

static void sendmail_rec_str(struct sendmail_out *out, int type, const char *str)
{
    sendmail_rec(out, type, str, strlen(str));
}

static void sendmail_rec_attr(struct sendmail_out *out, const char *name, const char *value)
{
    struct buf attr = BUF_INIT;

    buf_printf(&attr, "%s=%s", name, value);
    sendmail_rec(out, QUEUE_REC_ATTR, attr.data, attr.len);
    buf_release(&attr);
}

/* The input reader's line callback: lines become NORM, pieces CONT. */
static int sendmail_line(void *ctx, const char *data, size_t len, int complete, struct buf *err)
{
    struct sendmail_out *out = ctx;

    (void)err;
    sendmail_rec(out, complete ? QUEUE_REC_NORM : QUEUE_REC_CONT, data, len);
    return 0;
}

/* Starts postdrop with a pipe on its standard input. */
static pid_t sendmail_start_postdrop(int *fd)
{
    char *path = sendmail_program(var_command_directory, "postdrop");
    const char *args[] = {"-r", NULL};
    char **argv;
    int pipefd[2];
    pid_t pid;

    if (path == NULL)
        sendmail_fatal(EX_UNAVAILABLE, "postdrop is not installed in %s (command_directory)",
                       var_command_directory);
    argv = sendmail_argv("postdrop", args);
    if (pipe(pipefd) < 0)
        sendmail_fatal(EX_OSERR, "pipe: %s", strerror(errno));
    if ((pid = fork()) < 0)
        sendmail_fatal(EX_OSERR, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (dup2(pipefd[0], 0) < 0)
            _exit(EX_OSERR);
        (void)close(pipefd[0]);
        (void)close(pipefd[1]);
        execv(path, argv);
        msg_warn("execute %s: %s", path, strerror(errno));
        _exit(EX_OSERR);
    }
    (void)close(pipefd[0]);
    *fd = pipefd[1];
    sendmail_argv_free(argv);
    mem_free(path);
    return pid;
}

/* Collects the recipients of the command line. Each argument is an
 * address list, as in Postfix: "a@x, Bob <b@y>" is two recipients, and
 * quotes are removed ("a b"@x is a b@x). Empty addresses are skipped. */
static void sendmail_collect_recipients(const struct sendmail_opts *opts, struct addr_list *out)
{
    struct addr_list list;
    size_t i, k;

    addr_list_init(out);
    for (i = 0; i < opts->nrcpt; i++) {
        addr_list_init(&list);
        (void)addr_list_parse(&list, opts->rcpt[i], strlen(opts->rcpt[i]), 0);
        for (k = 0; k < list.count; k++) {
            const char *addr = list.items[k].addr;

            if (*addr == '\0')
                continue;
            if (strlen(addr) > MAILDROP_FIELD_MAX)
                sendmail_fatal(EX_DATAERR, "recipient address too long: %.100s...", addr);
            if (out->count == out->cap) {
                out->cap = out->cap ? mem_size_mul(out->cap, 2) : 8;
                out->items = mem_realloc_array(out->items, out->cap, sizeof(*out->items));
            }
            out->items[out->count].addr = mem_strdup(addr);
            out->items[out->count].display = mem_strdup("");
            out->items[out->count].angle = 0;
            out->count++;
        }
        addr_list_free(&list);
    }
}

/* Stops postdrop before it has seen the END record: its signal handler
 * removes the unfinished file without a message of its own. */
static void sendmail_abort_postdrop(struct sendmail_out *out, pid_t pid)
{
    (void)kill(pid, SIGTERM);
    if (out->fd >= 0)
        (void)close(out->fd);
    out->fd = -1;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

static int sendmail_enqueue(const struct sendmail_opts *opts)
{
    struct sendmail_out out = {-1, BUF_INIT};
    struct sendmail_input in;
    struct addr_list rcpt;
    struct buf err = BUF_INIT;
    struct buf text = BUF_INIT;
    struct passwd *pw;
    struct timeval now;
    enum sendmail_fix fix;
    uid_t uid = getuid();
    const char *login;
    const char *sender;
    char *full_name;
    size_t i;
    pid_t pid;
    int status;

    pw = getpwuid(uid);
    login = pw ? pw->pw_name : NULL;
    if ((sender = opts->sender) == NULL && (sender = login) == NULL)
        sendmail_fatal(EX_NOUSER, "no login name found for user ID %lu; use -f to name the sender",
                       (unsigned long)uid);
    if (strlen(sender) > MAILDROP_FIELD_MAX || strpbrk(sender, "\r\n") != NULL)
        sendmail_fatal(EX_DATAERR, "bad sender address");
    sendmail_collect_recipients(opts, &rcpt);
    if (!opts->extract && rcpt.count == 0)
        sendmail_fatal(EX_TEMPFAIL,
                       "%s(%lu): Recipient addresses must be specified on the command line or"
                       " via the -t option",
                       login ? login : "unknown", (unsigned long)uid);
    if (sendmail_parse_fix(var_sendmail_fix_line_endings, &fix) < 0)
        sendmail_fatal(EX_TEMPFAIL, "%s: bad sendmail_fix_line_endings value: %s", conf_main_path(),
                       var_sendmail_fix_line_endings);
    full_name = opts->full_name
                    ? mem_strdup(opts->full_name)
                    : sendmail_full_name(getenv("NAME"), pw ? pw->pw_gecos : NULL, login);
    /* A line break would be refused by postdrop: make it a space. */
    for (i = 0; full_name[i] != '\0'; i++)
        if (full_name[i] == '\r' || full_name[i] == '\n')
            full_name[i] = ' ';
    if (strlen(full_name) > MAILDROP_FIELD_MAX)
        full_name[MAILDROP_FIELD_MAX] = '\0';

    pid = sendmail_start_postdrop(&out.fd);
    gettimeofday(&now, NULL);
    buf_printf(&text, "%ld %ld", (long)now.tv_sec, (long)now.tv_usec);
    sendmail_rec(&out, QUEUE_REC_TIME, text.data, text.len);
    sendmail_rec_attr(&out, MAILDROP_ATTR_REWRITE, opts->gateway ? "remote" : "local");
    if (*full_name != '\0')
        sendmail_rec_attr(&out, MAILDROP_ATTR_FULL_NAME, full_name);
    if (opts->encoding != NULL)
        sendmail_rec_attr(&out, MAILDROP_ATTR_ENCODING, opts->encoding);
    if (opts->extract) {
        sendmail_rec_attr(&out, MAILDROP_ATTR_EXTRACT, "yes");
        if (opts->dsn_notify) {
            buf_reset(&text);
            buf_printf(&text, "%d", opts->dsn_notify);
            sendmail_rec_attr(&out, MAILDROP_ATTR_NOTIFY, buf_str(&text));
        }
    }
    sendmail_rec_str(&out, QUEUE_REC_SENDER, sender);
    if (opts->envid != NULL)
        sendmail_rec_str(&out, QUEUE_REC_DSN_ENVID, opts->envid);
    if (opts->dsn_ret != 0) {
        buf_reset(&text);
        buf_printf(&text, "%d", opts->dsn_ret);
        sendmail_rec(&out, QUEUE_REC_DSN_RET, text.data, text.len);
    }
    for (i = 0; i < rcpt.count; i++) {
        if (opts->dsn_notify) {
            buf_reset(&text);
            buf_printf(&text, "%d", opts->dsn_notify);
            sendmail_rec(&out, QUEUE_REC_DSN_NOTIFY, text.data, text.len);
        }
        sendmail_rec_str(&out, QUEUE_REC_RCPT, rcpt.items[i].addr);
    }
    sendmail_rec(&out, QUEUE_REC_MESG, "", 0);

    sendmail_input_init(&in, opts->dot_ends, fix, (size_t)var_line_length_limit,
                        var_message_size_limit, sendmail_line, &out);
    if (sendmail_input_read_fd(&in, 0, &err) < 0) {
        sendmail_abort_postdrop(&out, pid);
        sendmail_fatal(in.error == SENDMAIL_INPUT_TOO_BIG ? EX_DATAERR : EX_TEMPFAIL, "%s",
                       buf_str(&err));
    }
    if (opts->extract && rcpt.count == 0 && in.rcpt_headers == 0) {
        sendmail_abort_postdrop(&out, pid);
        sendmail_fatal(EX_TEMPFAIL, "%s(%lu): No recipient addresses found in message header",
                       login ? login : "unknown", (unsigned long)uid);
    }
    sendmail_rec(&out, QUEUE_REC_XTRA, "", 0);
    sendmail_rec(&out, QUEUE_REC_END, "", 0);
    sendmail_out_flush(&out);
    if (out.fd >= 0)
        (void)close(out.fd);
    sendmail_input_free(&in);
    addr_list_free(&rcpt);

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            sendmail_fatal(EX_OSERR, "wait for postdrop: %s", strerror(errno));
    }
    mem_free(full_name);
    buf_release(&err);
    buf_release(&text);
    buf_release(&out.buf);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    /* postdrop said why on stderr; its exit status is the verdict. */
    if (WIFEXITED(status))
        sendmail_fatal(WEXITSTATUS(status), "the message was not queued (postdrop exit status %d)",
                       WEXITSTATUS(status));
    sendmail_fatal(EX_TEMPFAIL, "the message was not queued (postdrop killed by signal %d)",
                   WTERMSIG(status));
}

int main(int argc, char **argv)
{
    struct sendmail_opts opts;
    struct buf err = BUF_INIT;
    const char *base = strrchr(argv[0], '/');
    char *dir;

    msg_init(base ? base + 1 : argv[0]);
    msg_set_cleanup(sendmail_cleanup);
    (void)proc_ignore_sigpipe();
    if (sendmail_args_parse(&opts, argc, argv, &err) < 0) {
        if (opts.usage) {
            msg_warn("%s", buf_str(&err));
            sendmail_fatal(EX_TEMPFAIL, "usage: %s [options]", base ? base + 1 : argv[0]);
        }
        sendmail_fatal(EX_TEMPFAIL, "%s", buf_str(&err));
    }
    if (opts.verbose > 1)
        msg_verbose += opts.verbose - 1;
    if (opts.config != NULL) {
        dir = sendmail_config_dir(opts.config);
        conf_set_config_dir(dir);
        mem_free(dir);
    } else {
        conf_set_config_dir(NULL);
    }
    if (conf_load(&err) < 0)
        sendmail_fatal(EX_TEMPFAIL, "%s", buf_str(&err));
    conf_apply_globals();

    switch (opts.mode) {
    case SENDMAIL_MODE_ENQUEUE:
        return sendmail_enqueue(&opts);
    case SENDMAIL_MODE_SMTP:
        sendmail_smtp();
    case SENDMAIL_MODE_MAILQ:
    case SENDMAIL_MODE_FLUSH:
    case SENDMAIL_MODE_FLUSH_ID:
    case SENDMAIL_MODE_FLUSH_SITE:
        sendmail_postqueue(&opts);
    case SENDMAIL_MODE_NEWALIASES:
        sendmail_newaliases(&opts);
    case SENDMAIL_MODE_DAEMON:
        sendmail_daemon();
    case SENDMAIL_MODE_VERIFY:
        sendmail_fatal(EX_UNAVAILABLE, "-bv (address verification report) is not supported");
    case SENDMAIL_MODE_NOOP:
        break;
    }
    sendmail_opts_free(&opts);
    buf_release(&err);
    return 0;
}
