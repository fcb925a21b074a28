/*
 * server_log.h - where a postern program's log lines go, decided once from
 * main.cf (and -o overrides): syslog_name as the tag prefix, the program's
 * name as the process name, and maillog_file when it is set and allowed by
 * maillog_file_prefixes, else syslog with syslog_facility.
 *
 * Called by the server skeletons, the master and the postern command
 * after conf_load() and the -o overrides, and before privileges are
 * dropped (the maillog_file may be writable only by root). Values are read
 * with conf_get(), so this works before conf_apply_globals() has checked
 * every parameter: a bad value can then still be logged.
 */
#ifndef POSTERN_SERVER_SERVER_LOG_H
#define POSTERN_SERVER_SERVER_LOG_H

/* Results of server_log_open(). */
#define SERVER_LOG_MAILLOG 1
#define SERVER_LOG_SYSLOG  2

/* process_name NULL keeps the one msg_init() derived from argv[0]. Never
 * fails: a maillog_file that cannot be used is warned about and syslog is
 * used instead. Returns SERVER_LOG_MAILLOG or SERVER_LOG_SYSLOG. */
int server_log_open(const char *process_name);

/* Whether path starts with one of the prefixes in the list (Postfix list
 * syntax: separated by blanks or commas). Exposed for tests. */
int server_log_prefix_ok(const char *path, const char *prefixes);

#endif
