/*
 * master_proto.h - the contract between the master and the children it runs.
 *
 * Written by the master (daemons/master) and read by the server skeletons
 * (server.h); nothing else may depend on the descriptor numbers or the
 * message layout below. The status channel is one-way (child to master);
 * a malformed status message is dropped by the master, never guessed at.
 *
 * COMMAND LINE. The master runs daemon_directory/COMMAND with
 *
 *   argv[0] = COMMAND (the master.cf command column, e.g. "smtpd")
 *   -c CONFIG_DIR     configuration directory (MAIL_CONFIG is set as well)
 *   -n SERVICE        master.cf service name, as written ("127.0.0.1:2525")
 *   -t TYPE           inet | unix | unix-dgram | fifo | pass
 *   -s COUNT          number of listening descriptors, at MASTER_LISTEN_FD..
 *   -g GENERATION     the service generation (decimal), echoed in status
 *   -u                the unpriv column said y: drop to mail_owner
 *   -r                the chroot column said y: chroot to queue_directory
 * followed by the master.cf arguments unchanged ("-o name=value" options
 * and any non-option arguments, which the skeleton hands to the service).
 * Skeletons also accept -i SECONDS (max_idle), -m COUNT (max_use) and
 * -S (stand-alone: no master, serve stdin/stdout once).
 *
 * ENVIRONMENT. Only the names in import_environment survive (NAME=value
 * entries are set), plus MAIL_CONFIG=CONFIG_DIR.
 *
 * DESCRIPTORS. 0-2 are inherited from the master (/dev/null once it has
 * detached). MASTER_STATUS_FD is the write end of the service's status
 * pipe; MASTER_LISTEN_FD .. MASTER_LISTEN_FD + COUNT - 1 are the listeners
 * (non-blocking; several children may race for one connection). Nothing
 * else is open. When the master exits or reloads, it closes the read end
 * of the status pipe: a child sees an error condition on MASTER_STATUS_FD
 * and must exit as soon as it is idle (that is how a reload makes every
 * child pick up the new main.cf).
 *
 * STATUS. After its initialisation (privileges dropped, hooks run) a child
 * sends MASTER_STATUS_AVAIL; it sends MASTER_STATUS_BUSY before it starts
 * a request and MASTER_STATUS_AVAIL when it is done. A child that exits
 * abnormally before its first AVAIL makes the master throttle the service
 * ("bad command startup"). Each message is one write of MASTER_STATUS_SIZE
 * bytes (atomic on a pipe), in host byte order (the pipe never leaves the
 * machine): u32 version, s32 pid, u32 generation, u32 status.
 *
 * WAKEUP. For a service with a wakeup time the master writes the single
 * byte MASTER_TRIGGER_WAKEUP to its endpoint (one connection on a unix
 * socket, one datagram, or one write to the fifo; inet services get no
 * wakeup). A service with a wakeup time (not "N?") is kept running: the
 * master starts one process at once and replaces it when it exits.
 *
 * SIGNALS. SIGTERM from the master (stop, or a service removed by a
 * reload) means exit now. Children must not rely on any other signal.
 */
#ifndef POSTERN_SERVER_MASTER_PROTO_H
#define POSTERN_SERVER_MASTER_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MASTER_STATUS_FD 3
#define MASTER_LISTEN_FD 4

/* The most listeners one service may have (an inet service binds one per
 * inet_interfaces address). */
#define MASTER_LISTEN_MAX 64

#define MASTER_PROTO_VERSION 1
#define MASTER_STATUS_SIZE   16

#define MASTER_STATUS_BUSY  0
#define MASTER_STATUS_AVAIL 1

/* Trigger requests (one byte each). The master sends only WAKEUP; FLUSH is
 * what "postern flush" sends to qmgr (forget dead destinations and scan
 * every queue). Trigger servers define what any other byte means. */
#define MASTER_TRIGGER_WAKEUP 'W'
#define MASTER_TRIGGER_FLUSH  'F'

struct master_status {
    uint32_t version;
    pid_t pid;
    uint32_t generation;
    uint32_t status;
};

/* Fills out[MASTER_STATUS_SIZE]. */
void master_status_encode(unsigned char *out, pid_t pid, uint32_t generation, uint32_t status);

/* Decodes exactly MASTER_STATUS_SIZE bytes. Returns 0, or -1 (fail closed)
 * for a wrong length, an unknown version, a pid <= 0 or an unknown status. */
int master_status_decode(const unsigned char *data, size_t len, struct master_status *out);

/* Sends one status message on fd; 0, or -1 with errno (EPIPE when the
 * master has gone; SIGPIPE is ignored by every server). */
int master_status_send(int fd, pid_t pid, uint32_t generation, uint32_t status);

#endif
