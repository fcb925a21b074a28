/*
 * server.h - the skeletons every postern daemon is built on: a daemon's
 * main() is one call to server_single_main(), server_multi_main() or
 * server_trigger_main() with its request callback and its hooks.
 *
 * The skeleton owns everything that is not the daemon's job: the command
 * line the master passes (master_proto.h), main.cf and -o overrides,
 * conf_apply_globals(), logging (syslog_name/process name, maillog_file),
 * chdir to queue_directory, chroot and the drop to mail_owner BEFORE any
 * client or queue input is read, the event loop, max_use and max_idle,
 * the daemon_timeout watchdog, status reports to the master, SIGTERM (exit
 * at once) and SIGPIPE (ignored). A daemon must never open a client
 * connection itself, never call exit() from a callback to end one request
 * (return instead), and never use alarm() (the watchdog owns it).
 *
 * Command line (from the master, or by hand for debugging):
 *   -c DIR   configuration directory (else MAIL_CONFIG, else the default)
 *   -n NAME  service name (default: the program name)
 *   -t TYPE  inet, unix, unix-dgram, fifo or pass (default unix)
 *   -o name=value   parameter override, applied before conf_apply_globals
 *   -u       drop privileges to mail_owner (when running as root)
 *   -r       chroot to queue_directory (when running as root)
 *   -v       more verbose logging (msg_verbose)
 *   -i SECS  max_idle, -m COUNT max_use (instead of main.cf's)
 *   -S       stand-alone: no master; serve stdin/stdout once, log to stderr
 *            as well (single, multi: one client; trigger: each read of
 *            stdin until end of file is one trigger)
 *   -s COUNT, -g GEN   from the master only (master_proto.h)
 * The first non-option argument and everything after it (e.g. pipe's
 * "flags=... argv=...") is passed to the callbacks as argv (NULL-terminated,
 * possibly empty). Options after it are not parsed.
 *
 * Logging: the tag is syslog_name/PROGRAM (so "-o syslog_name=postfix/
 * submission" logs as postfix/submission/smtpd), PROGRAM being the base
 * name of argv[0].
 */
#ifndef POSTERN_SERVER_SERVER_H
#define POSTERN_SERVER_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct stream;
struct event_loop;

/*
 * Single-client: called once per accepted connection; the skeleton closes
 * and frees client when the callback returns. The process serves one
 * client at a time; the master forks more processes when all are busy.
 */
typedef void (*server_single_fn)(struct stream *client, const char *service_name, char **argv);

/*
 * Multi-client: called whenever client has input (or the peer closed), and
 * again while input is still buffered in the stream. The callback handles
 * one request and returns; to end the connection it calls
 * server_multi_disconnect(client) (also on end of file or error, which it
 * sees as a failed read).
 */
typedef void (*server_multi_fn)(struct stream *client, const char *service_name, char **argv);

/*
 * Trigger: called with the bytes of one trigger (1 to TRIGGER_MAX_LEN, not
 * NUL-terminated), e.g. "W" for the master's wakeup timer or "F" for
 * flush. The listener is a unix or inet socket (one connection = one
 * trigger), a unix-dgram socket (one datagram) or a fifo (one read).
 */
typedef void (*server_trigger_fn)(const char *data, size_t len, const char *service_name,
                                  char **argv);

/* Hooks and per-daemon settings; every member may be NULL or 0. */
struct server_hooks {
    /* After main.cf, -o and logging; still privileged and outside the
     * chroot: open lookup tables, files and sockets that need root. */
    void (*pre_init)(const char *service_name, char **argv);
    /* After chroot and the privilege drop, before the first request. */
    void (*post_init)(const char *service_name, char **argv);
    /* Each time before the process waits for the next client or trigger. */
    void (*pre_accept)(const char *service_name, char **argv);
    /* Multi-client only: after accept, and before the skeleton closes a
     * client (after server_multi_disconnect(), or at exit). */
    void (*on_connect)(struct stream *client, const char *service_name, char **argv);
    void (*pre_disconnect)(struct stream *client, const char *service_name, char **argv);
    /* Before a voluntary exit: max_use, max_idle, or the master went away. */
    void (*pre_exit)(const char *service_name, char **argv);
    /* Account for the unprivileged drop instead of mail_owner. */
    const char *unpriv_user;
    /* The program must stay root (local, virtual: they change to the
     * recipient per delivery): -u is ignored, with a warning. */
    int privileged;
    /* Ignore max_use and max_idle (qmgr): run until the master goes away
     * or sends SIGTERM. */
    int run_forever;
};

/* Each runs the daemon and never returns (exit status 0 after max_use,
 * max_idle, or when the master goes away; fatal errors exit 1). */
__attribute__((noreturn)) void server_single_main(int argc, char **argv, server_single_fn service,
                                                  const struct server_hooks *hooks);
__attribute__((noreturn)) void server_multi_main(int argc, char **argv, server_multi_fn service,
                                                 const struct server_hooks *hooks);
__attribute__((noreturn)) void server_trigger_main(int argc, char **argv, server_trigger_fn service,
                                                   const struct server_hooks *hooks);

/* Multi-client: ends a connection (the stream is freed once the current
 * callback has returned); per-connection data for the daemon. */
void server_multi_disconnect(struct stream *client);
void server_multi_set_context(struct stream *client, void *context);
void *server_multi_context(struct stream *client);
size_t server_multi_client_count(void);

/* The event loop of a multi-client or trigger server (NULL in a
 * single-client server, or before *_main() set it up), for daemons that
 * add their own descriptors or timers (from post_init on). */
struct event_loop *server_event_loop(void);

/* What the master said: -n, -t, -g; whether -S is in effect. */
const char *server_service_name(void);
const char *server_transport(void);
uint32_t server_generation(void);
int server_standalone(void);

#endif
