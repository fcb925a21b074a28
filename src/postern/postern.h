/*
 * postern.h - the postern control command (Postfix's postfix(1) and
 * postfix-script): start, stop, abort, reload, status, check, flush,
 * start-fg, set-permissions.
 *
 * postern_main.c parses the command line, loads and checks main.cf and
 * dispatches; postern_dirs.c creates and repairs the queue and data
 * directories; postern_control.c talks to the master through its lock and
 * pid files and signals. Messages go to the log, and to stderr only when
 * stderr is a terminal, as Postfix's do. Exit status 0 on success, 1 on any
 * failure; nothing here may leave a half-started master behind silently.
 */
#ifndef POSTERN_SRC_POSTERN_H
#define POSTERN_SRC_POSTERN_H

#include <sys/types.h>

/* -v, passed on to the master. */
extern int postern_verbose;

/* postern_dirs.c: creates missing directories and, with repair, fixes
 * owner and mode of existing ones (each repair is logged as a warning).
 * Fatal on errors (unknown mail_owner, a path that is not a directory). */
void postern_dirs_check(int repair);

/* postern_control.c */
/* Validates master.cf; fatal with the parser's message. */
void postern_check_master_cf(void);
/* 1 and *pid when a master holds the instance lock, else 0. */
int postern_running(pid_t *pid);
int postern_start(int foreground);
int postern_stop(int abort_now);
int postern_status(void);
int postern_reload(void);
int postern_flush(void);

#endif
