/*
 * local_deliver.c - the final destinations of local(8): the user's mailbox
 * (Maildir, mbox in the home directory or mail_spool_directory, or
 * mailbox_command), a file, a command, and resubmission of non-local
 * addresses through cleanup. Called from local_expand.c.
 *
 * Root mode: file work runs with the owner's effective ids (and groups)
 * and returns to root right after; commands run in a child that gives up
 * root for good before exec. Non-root mode changes no ids. Commands get
 * the message from an unlinked temporary file and write into another, so
 * neither side can block the other; command_time_limit kills the command.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "local.h"
#include "mail/cleanup_client.h"
#include "mail/deliver_proto.h"
#include "server/instance.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/proc.h"
#include "util/safe_open.h"
#include "util/str.h"

#define LOCAL_OUTPUT_MAX 512 /* command output quoted in a reason */

/* ---- privileges ---------------------------------------------------------- */

void local_privs_from_pw(struct local_privs *privs, const struct passwd *pw)
{
    privs->uid = pw->pw_uid;
    privs->gid = pw->pw_gid;
    privs->user = mem_strdup(pw->pw_name);
    privs->home = mem_strdup(pw->pw_dir ? pw->pw_dir : "/");
    privs->shell = mem_strdup(pw->pw_shell ? pw->pw_shell : "");
}

void local_privs_release(struct local_privs *privs)
{
    mem_free(privs->user);
    mem_free(privs->home);
    mem_free(privs->shell);
    privs->user = privs->home = privs->shell = NULL;
}

int local_privs_enter(const struct local_privs *privs, struct buf *err)
{
    if (local_config.nonroot)
        return 0;
    if (privs->uid == 0) {
        buf_set(err, "refusing to deliver with root privileges");
        return -1;
    }
    if (initgroups(privs->user, privs->gid) < 0 || setegid(privs->gid) < 0 ||
        seteuid(privs->uid) < 0) {
        buf_printf(err, "cannot change to user %s: %s", privs->user, strerror(errno));
        local_privs_leave();
        return -1;
    }
    return 0;
}

void local_privs_leave(void)
{
    if (local_config.nonroot)
        return;
    /* Failing to become root again would leave the next delivery with the
     * wrong ids: that must not go on. */
    if (seteuid(0) < 0 || setegid(0) < 0 || setgroups(0, NULL) < 0)
        msg_fatal("cannot restore root privileges: %m");
}

/* ---- headers ---------------------------------------------------------------- */

void local_prepend(struct buf *out, const struct local_rcpt_state *rs, int delivered_to)
{
    const struct deliver_rcpt *rcpt = rs->rcpt;

    buf_reset(out);
    buf_printf(out, "Return-Path: <%s>\n", rs->sender);
    buf_printf(out, "X-Original-To: %s\n", rcpt->orcpt[0] ? rcpt->orcpt : rcpt->address);
    if (delivered_to)
        buf_printf(out, "Delivered-To: %s\n", rcpt->address);
}

static void local_mailbox_opts(struct mailbox_opts *o, const struct local_rcpt_state *rs,
                               const char *prepend)
{
    memset(o, 0, sizeof(*o));
    o->prepend = prepend;
    o->sender = rs->sender;
    o->size_limit = var_mailbox_size_limit;
    o->lock = local_config.lock;
    o->lock_attempts = var_deliver_lock_attempts;
    o->lock_delay_ms = var_deliver_lock_delay * 1000L;
    o->stale_lock_sec = var_stale_lock_time;
    o->uid = SAFE_OPEN_ANY_UID;
    o->gid = SAFE_OPEN_ANY_GID;
}

/* ---- mailbox ------------------------------------------------------------------ */

void local_deliver_mailbox(const struct local_ctx *ctx, const struct passwd *pw,
                           const struct local_vars *vars)
{
    struct local_rcpt_state *rs = ctx->rs;
    struct local_privs privs;
    struct local_ctx sub;
    struct mailbox_opts o;
    struct buf path = BUF_INIT, prepend = BUF_INIT, dsn = BUF_INIT, why = BUF_INIT;
    struct buf command = BUF_INIT;
    int status, spool = 0;

    local_privs_from_pw(&privs, pw);
    /* mailbox_command_maps (keyed by the user name) before mailbox_command. */
    if (var_mailbox_command_maps[0] != '\0') {
        struct buf err = BUF_INIT;
        int rc = local_table_lookup(var_mailbox_command_maps, pw->pw_name, &command, &err);

        if (rc < 0) {
            msg_warn("mailbox_command_maps: %s", buf_str(&err));
            local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "table lookup failure");
            buf_release(&err);
            goto done;
        }
        if (rc == 0)
            buf_reset(&command);
        buf_release(&err);
    }
    if (buf_len(&command) == 0)
        buf_set(&command, var_mailbox_command);
    if (buf_len(&command) > 0) {
        struct buf cmd = BUF_INIT, err = BUF_INIT;

        if (local_expand(buf_str(&command), vars, var_command_expansion_filter, &cmd, &err) < 0) {
            local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.5", "mailbox_command: %s", buf_str(&err));
        } else {
            sub = *ctx;
            sub.privs = &privs;
            sub.source = LOCAL_SRC_NONE;
            local_deliver_command(&sub, buf_str(&cmd), vars);
        }
        buf_release(&cmd);
        buf_release(&err);
        goto done;
    }
    if (var_home_mailbox[0] != '\0') {
        buf_printf(&path, "%s/%s", pw->pw_dir, var_home_mailbox);
    } else {
        /* mail_spool_directory with a trailing '/' holds Maildirs. */
        spool = 1;
        buf_set(&path, var_mail_spool_directory);
        if (buf_len(&path) > 0 && buf_str(&path)[buf_len(&path) - 1] == '/') {
            buf_printf(&path, "%s/", pw->pw_name);
        } else {
            buf_printf(&path, "/%s", pw->pw_name);
        }
    }
    local_prepend(&prepend, rs, 1);
    local_mailbox_opts(&o, rs, buf_str(&prepend));
    /* The spool directory belongs to root: the mbox is created there as
     * root and handed to the user; a home mailbox is written as the user. */
    if (spool && !local_config.nonroot && buf_str(&path)[buf_len(&path) - 1] != '/') {
        o.uid = pw->pw_uid;
        o.gid = pw->pw_gid;
        o.check_owner = var_strict_mailbox_ownership;
    } else if (local_privs_enter(&privs, &why) < 0) {
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "%s", buf_str(&why));
        goto done;
    }
    if (buf_str(&path)[buf_len(&path) - 1] == '/') {
        status = maildir_deliver(buf_str(&path), &rs->msg->content, &o, &dsn, &why);
        local_outcome(rs, status, buf_str(&dsn), "%s", buf_str(&why));
    } else {
        status =
            mbox_deliver(buf_str(&path), &rs->msg->content, &o, MAILBOX_FORMAT_MBOX, &dsn, &why);
        if (status == DELIVER_STATUS_OK)
            local_outcome(rs, status, buf_str(&dsn), "%s", buf_str(&why));
        else
            local_outcome(rs, status, buf_str(&dsn), "cannot update mailbox %s for user %s. %s",
                          buf_str(&path), pw->pw_name, buf_str(&why));
    }
    if (o.uid == SAFE_OPEN_ANY_UID)
        local_privs_leave();
done:
    local_privs_release(&privs);
    buf_release(&path);
    buf_release(&prepend);
    buf_release(&dsn);
    buf_release(&why);
    buf_release(&command);
}

/* ---- file ----------------------------------------------------------------------- */

void local_deliver_file(const struct local_ctx *ctx, const char *path)
{
    struct local_rcpt_state *rs = ctx->rs;
    struct mailbox_opts o;
    struct buf prepend = BUF_INIT, dsn = BUF_INIT, why = BUF_INIT;
    int status;

    if (!(local_config.allow_files & (1 << ctx->source))) {
        local_outcome(rs, DELIVER_STATUS_BOUNCE, "5.7.1", "mail to file is restricted");
        return;
    }
    local_prepend(&prepend, rs, local_config.prepend_file);
    local_mailbox_opts(&o, rs, buf_str(&prepend));
    if (local_privs_enter(ctx->privs, &why) < 0) {
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "%s", buf_str(&why));
    } else {
        if (path[strlen(path) - 1] == '/')
            status = maildir_deliver(path, &rs->msg->content, &o, &dsn, &why);
        else
            status = mbox_deliver(path, &rs->msg->content, &o, MAILBOX_FORMAT_MBOX, &dsn, &why);
        local_privs_leave();
        if (status == DELIVER_STATUS_OK)
            local_outcome(rs, status, "2.0.0", "delivered to file: %s", path);
        else if (path[strlen(path) - 1] == '/')
            local_outcome(rs, status, buf_str(&dsn), "%s", buf_str(&why));
        else
            local_outcome(rs, status, buf_str(&dsn), "cannot append message to file %s: %s", path,
                          buf_str(&why));
    }
    buf_release(&prepend);
    buf_release(&dsn);
    buf_release(&why);
}

/* ---- command ----------------------------------------------------------------- */

/* sysexits.h codes and how Postfix reports them. */
static const struct {
    int code;
    const char *dsn;
    const char *text;
} local_sysexits[] = {
    {64, "5.3.0", "command line usage error"},  {65, "5.6.0", "data format error"},
    {66, "5.3.0", "cannot open input"},         {67, "5.1.1", "addressee unknown"},
    {68, "5.1.2", "host name unknown"},         {69, "5.3.0", "service unavailable"},
    {70, "5.3.0", "internal software error"},   {71, "4.3.0", "system resource problem"},
    {72, "5.3.0", "critical OS file missing"},  {73, "5.2.0", "can't create user output file"},
    {74, "5.3.0", "input/output error"},        {75, "4.3.0", "temporary failure"},
    {76, "5.5.0", "remote protocol error"},     {77, "5.7.0", "permission denied"},
    {78, "5.3.5", "local configuration error"},
};

static void local_setenv(const char *name, const char *value)
{
    if (setenv(name, value ? value : "", 1) < 0)
        _exit(75);
}

/* In the child: become the owner for good, set up the environment, exec. */
__attribute__((noreturn)) static void local_command_child(const struct local_ctx *ctx,
                                                          const char *command,
                                                          const struct local_vars *vars, int in,
                                                          int out)
{
    const struct local_privs *privs = ctx->privs;
    const struct deliver_rcpt *rcpt = ctx->rs->rcpt;
    char *keep, *cursor, *name, *saved;
    struct buf env = BUF_INIT;
    const char *shell;

    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(75);
    (void)proc_close_fds_from(3, NULL, 0);
    (void)setsid();
    if (!local_config.nonroot) {
        if (initgroups(privs->user, privs->gid) < 0 || setgid(privs->gid) < 0 ||
            setuid(privs->uid) < 0 || (privs->uid != 0 && setuid(0) == 0))
            _exit(75);
    }
    /* Only export_environment survives, plus the variables local(8) sets. */
    keep = mem_strdup(var_export_environment);
    for (cursor = keep; (name = str_token(&cursor, STR_LIST_SEP)) != NULL;) {
        if ((saved = getenv(name)) != NULL)
            buf_printf(&env, "%s=%s%c", name, saved, '\0');
    }
    clearenv();
    for (cursor = env.data; buf_len(&env) > 0 && cursor < env.data + buf_len(&env);
         cursor += strlen(cursor) + 1)
        if (putenv(mem_strdup(cursor)) != 0)
            _exit(75);
    local_setenv("PATH", "/usr/bin:/bin");
    local_setenv("HOME", privs->home);
    local_setenv("USER", privs->user);
    local_setenv("LOGNAME", privs->user);
    local_setenv("SHELL", privs->shell);
    local_setenv("SENDER", ctx->rs->sender);
    local_setenv("RECIPIENT", rcpt->address);
    local_setenv("ORIGINAL_RECIPIENT", rcpt->orcpt[0] ? rcpt->orcpt : rcpt->address);
    local_setenv("LOCAL", vars->local);
    local_setenv("EXTENSION", vars->extension);
    local_setenv("DOMAIN", vars->domain);
    if (chdir(var_command_execution_directory[0] ? var_command_execution_directory : privs->home) <
            0 &&
        chdir("/") < 0)
        _exit(75);
    shell = var_local_command_shell[0] ? var_local_command_shell : "/bin/sh";
    execl(shell, shell, "-c", command, (char *)NULL);
    _exit(71);
}

/* An unlinked temporary file (O_TMPFILE when the file system has it). */
static int local_tmpfile(void)
{
    char path[] = "/tmp/postern-local.XXXXXX";
    int fd;

    fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
        (void)unlink(path);
    return fd;
}

void local_deliver_command(const struct local_ctx *ctx, const char *command,
                           const struct local_vars *vars)
{
    struct local_rcpt_state *rs = ctx->rs;
    struct mailbox_opts o;
    struct buf prepend = BUF_INIT, why = BUF_INIT, output = BUF_INIT;
    int in = -1, out = -1, wstatus = 0, code, timed_out = 0;
    char text[LOCAL_OUTPUT_MAX + 1];
    struct timespec pause = {0, 10 * 1000000L};
    time_t deadline;
    ssize_t n;
    pid_t pid, got;
    size_t i;

    if (ctx->source != LOCAL_SRC_NONE && !(local_config.allow_commands & (1 << ctx->source))) {
        local_outcome(rs, DELIVER_STATUS_BOUNCE, "5.7.1", "mail to command is restricted");
        return;
    }
    local_prepend(&prepend, rs, local_config.prepend_command);
    local_mailbox_opts(&o, rs, buf_str(&prepend));
    if ((in = local_tmpfile()) < 0 || (out = local_tmpfile()) < 0) {
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "cannot create temporary file: %s",
                      strerror(errno));
        goto done;
    }
    /* A "From " line and the message, unquoted, as Postfix gives commands. */
    if (mailbox_write(in, &rs->msg->content, &o, MAILBOX_FLAG_FROM_LINE, -1, &why) < 0 ||
        lseek(in, 0, SEEK_SET) < 0) {
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "cannot copy message: %s", buf_str(&why));
        goto done;
    }
    if ((pid = fork()) < 0) {
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "fork: %s", strerror(errno));
        goto done;
    }
    if (pid == 0)
        local_command_child(ctx, command, vars, in, out);
    deadline = time(NULL) + var_command_time_limit;
    while ((got = waitpid(pid, &wstatus, WNOHANG)) == 0 || (got < 0 && errno == EINTR)) {
        if (time(NULL) > deadline) {
            (void)kill(-pid, SIGKILL);
            (void)kill(pid, SIGKILL);
            timed_out = 1;
            while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
                continue;
            break;
        }
        nanosleep(&pause, NULL);
    }
    n = pread(out, text, LOCAL_OUTPUT_MAX, 0);
    if (n > 0) {
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
            n--;
        str_printable(&output, text, (size_t)n);
    }
    if (timed_out) {
        local_outcome(rs, DELIVER_STATUS_BOUNCE, "5.3.0", "Command time limit exceeded: \"%s\"",
                      command);
    } else if (WIFSIGNALED(wstatus)) {
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "Command died with signal %d: \"%s\"",
                      WTERMSIG(wstatus), command);
    } else if ((code = WEXITSTATUS(wstatus)) == 0) {
        local_outcome(rs, DELIVER_STATUS_OK, "2.0.0", "delivered to command: %s", command);
    } else {
        const char *dsn = "5.3.0", *label = NULL;

        for (i = 0; i < sizeof(local_sysexits) / sizeof(local_sysexits[0]); i++)
            if (local_sysexits[i].code == code) {
                dsn = local_sysexits[i].dsn;
                label = local_sysexits[i].text;
            }
        if (label)
            local_outcome(rs, dsn[0] == '4' ? DELIVER_STATUS_DEFER : DELIVER_STATUS_BOUNCE, dsn,
                          "%s%s%s", label, buf_len(&output) ? ". Command output: " : "",
                          buf_str(&output));
        else
            local_outcome(rs, DELIVER_STATUS_BOUNCE, dsn, "Command died with status %d: \"%s\"%s%s",
                          code, command, buf_len(&output) ? ". Command output: " : "",
                          buf_str(&output));
    }
done:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    buf_release(&prepend);
    buf_release(&why);
    buf_release(&output);
}

/* ---- forwarding through cleanup --------------------------------------------- */

/* One log line per forwarded address (as Postfix), one outcome in all. */
static void local_forward_outcome(struct local_rcpt_state *rs, const struct cleanup_rcpt *rcpts,
                                  size_t n, int status, const char *dsn, const char *reason)
{
    for (size_t i = 0; i < n; i++)
        local_log(rs, rcpts[i].address, status, dsn, reason);
    local_record(rs, status, dsn, reason, NULL);
}

void local_forward_flush(struct local_rcpt_state *rs)
{
    struct cleanup_envelope env;
    struct cleanup_rcpt *rcpts = NULL;
    struct cleanup_client *client = NULL;
    struct buf path = BUF_INIT, err = BUF_INIT, reason = BUF_INIT, prepend = BUF_INIT;
    struct buf orcpt = BUF_INIT, chunk = BUF_INIT;
    const char *data;
    char *list, *cursor, *addr;
    size_t n = 0, len;
    int eol, status, rc;
    struct stat st;
    struct timeval now;

    if (buf_len(&rs->forward) == 0)
        return;
    list = mem_strdup(buf_str(&rs->forward));
    for (cursor = list; (addr = str_token(&cursor, "\n")) != NULL; n++) {
        rcpts = mem_realloc(rcpts, mem_size_mul(n + 1, sizeof(rcpts[0])));
        rcpts[n].address = addr;
        rcpts[n].orcpt = NULL;
        rcpts[n].notify = rs->rcpt->notify;
    }
    /* The original recipient goes with the copy as its DSN ORCPT. */
    if (rs->rcpt->dsn_orcpt[0])
        buf_set(&orcpt, rs->rcpt->dsn_orcpt);
    else
        buf_printf(&orcpt, "rfc822;%s", rs->rcpt->orcpt[0] ? rs->rcpt->orcpt : rs->rcpt->address);
    for (size_t i = 0; i < n; i++)
        rcpts[i].orcpt = (char *)buf_str(&orcpt);
    instance_service_path(&path, 0, "cleanup");
    if (lstat(buf_str(&path), &st) < 0 || !S_ISSOCK(st.st_mode)) {
        buf_reset(&path);
        instance_service_path(&path, 1, "cleanup");
    }
    memset(&env, 0, sizeof(env));
    env.sender = (char *)rs->sender;
    gettimeofday(&now, NULL);
    env.arrival_sec = now.tv_sec;
    env.arrival_usec = now.tv_usec;
    env.envid = rs->msg->req->envid;
    env.ret = rs->msg->req->ret;
    env.encoding = "";
    if ((client = cleanup_client_open(buf_str(&path), var_ipc_timeout * 1000L, &err)) == NULL ||
        cleanup_client_env(client, &env, &err) < 0 ||
        cleanup_client_rcpt(client, rcpts, n, &err) < 0)
        goto failed;
    if (local_config.prepend_forward) {
        buf_printf(&prepend, "Delivered-To: %s\n", rs->rcpt->address);
        if (cleanup_client_data(client, buf_str(&prepend), buf_len(&prepend), &err) < 0)
            goto failed;
    }
    if (rs->msg->content.rewind(rs->msg->content.ctx, &err) < 0)
        goto failed;
    while ((rc = rs->msg->content.next(rs->msg->content.ctx, &data, &len, &eol, &err)) > 0) {
        buf_append(&chunk, data, len);
        if (eol)
            buf_append_char(&chunk, '\n');
        if (buf_len(&chunk) >= CLEANUP_DATA_CHUNK / 2) {
            if (cleanup_client_data(client, buf_str(&chunk), buf_len(&chunk), &err) < 0)
                goto failed;
            buf_reset(&chunk);
        }
    }
    if (rc < 0 || (buf_len(&chunk) &&
                   cleanup_client_data(client, buf_str(&chunk), buf_len(&chunk), &err) < 0))
        goto failed;
    if (cleanup_client_finish(client, &status, &reason, &err) < 0)
        goto failed;
    if (status != CLEANUP_STAT_OK) {
        buf_printf(&err, "cleanup status %d%s%s", status, buf_len(&reason) ? ": " : "",
                   buf_str(&reason));
        goto failed;
    }
    buf_reset(&reason);
    buf_printf(&reason, "forwarded as %s", cleanup_client_queue_id(client));
    local_forward_outcome(rs, rcpts, n, DELIVER_STATUS_OK, "2.0.0", buf_str(&reason));
    goto done;
failed:
    buf_reset(&reason);
    buf_printf(&reason, "cannot forward message: %s", buf_str(&err));
    local_forward_outcome(rs, rcpts, n, DELIVER_STATUS_DEFER, "4.3.0", buf_str(&reason));
done:
    if (client)
        cleanup_client_close(client);
    mem_free(rcpts);
    mem_free(list);
    buf_release(&path);
    buf_release(&err);
    buf_release(&reason);
    buf_release(&prepend);
    buf_release(&orcpt);
    buf_release(&chunk);
}
