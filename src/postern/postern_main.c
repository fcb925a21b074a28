/*
 * postern_main.c - "postern [-c config_dir] [-v] command": the control
 * command of a postern instance (Postfix's postfix(1)).
 *
 * main.cf is loaded and every parameter checked first, as "postern: fatal:
 * bad numerical configuration: ..."; the commands then speak as
 * "SYSLOG_NAME/postern-script", like Postfix's postfix-script. Both go to
 * the log (maillog_file or syslog) and, only when stderr is a terminal, to
 * stderr. Exit status: 0 on success, 1 on failure or "not running".
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "postern.h"
#include "server/server_log.h"
#include "util/buf.h"
#include "util/msg.h"

int postern_verbose;

static const char postern_commands[] =
    "start (or stop, reload, abort, flush, check, status, set-permissions, start-fg)";

/* From here on messages come from "SYSLOG_NAME/postern-script". */
static void postern_script_identity(void)
{
    struct buf name = BUF_INIT;

    buf_printf(&name, "%s/postern-script", var_syslog_name);
    msg_init(buf_str(&name));
    (void)server_log_open("postern-script");
    buf_release(&name);
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL;
    const char *command;
    char *resolved;
    int ch;

    msg_init(argv[0]);
    msg_set_stderr(isatty(STDERR_FILENO));
    while ((ch = getopt(argc, argv, "c:Dv")) != -1) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'D': /* Postfix: run daemons under a debugger; accepted, ignored */
            break;
        case 'v':
            postern_verbose++;
            msg_verbose++;
            break;
        default:
            msg_fatal("usage: %s [-c config_dir] [-v] %s", argv[0], postern_commands);
        }
    }
    if (optind >= argc)
        msg_fatal("usage: %s [-c config_dir] [-v] %s", argv[0], postern_commands);
    command = argv[optind];

    conf_set_config_dir(config_dir);
    /* The master gets this name and changes directories: make it absolute. */
    if ((resolved = realpath(conf_config_dir(), NULL)) != NULL) {
        conf_set_config_dir(resolved);
        free(resolved);
    }
    conf_load_or_die();
    (void)server_log_open(NULL);
    conf_apply_globals();
    postern_script_identity();

    if (strcmp(command, "start") == 0)
        return postern_start(0);
    if (strcmp(command, "start-fg") == 0)
        return postern_start(1);
    if (strcmp(command, "stop") == 0)
        return postern_stop(0);
    if (strcmp(command, "abort") == 0)
        return postern_stop(1);
    if (strcmp(command, "reload") == 0)
        return postern_reload();
    if (strcmp(command, "status") == 0)
        return postern_status();
    if (strcmp(command, "flush") == 0)
        return postern_flush();
    if (strcmp(command, "check") == 0) {
        postern_check_master_cf();
        postern_dirs_check(1);
        return 0;
    }
    if (strcmp(command, "set-permissions") == 0) {
        postern_dirs_check(1);
        return 0;
    }
    msg_fatal("unknown command: '%s'. Usage: postern %s", command, postern_commands);
}
