/*
 * master_proto.c - encode, decode and send master status messages (see
 * master_proto.h).
 *
 * Used by the server skeletons (sending) and the master (decoding). The
 * decoder accepts exactly one well-formed message and nothing else; it
 * never trusts a field it has not checked.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "server/master_proto.h"

static void master_put32(unsigned char *out, uint32_t v)
{
    memcpy(out, &v, sizeof(v));
}

static uint32_t master_get32(const unsigned char *in)
{
    uint32_t v;

    memcpy(&v, in, sizeof(v));
    return v;
}

void master_status_encode(unsigned char *out, pid_t pid, uint32_t generation, uint32_t status)
{
    master_put32(out, MASTER_PROTO_VERSION);
    master_put32(out + 4, (uint32_t)(int32_t)pid);
    master_put32(out + 8, generation);
    master_put32(out + 12, status);
}

int master_status_decode(const unsigned char *data, size_t len, struct master_status *out)
{
    int32_t pid;

    if (len != MASTER_STATUS_SIZE)
        return -1;
    out->version = master_get32(data);
    pid = (int32_t)master_get32(data + 4);
    out->generation = master_get32(data + 8);
    out->status = master_get32(data + 12);
    if (out->version != MASTER_PROTO_VERSION || pid <= 0)
        return -1;
    if (out->status != MASTER_STATUS_BUSY && out->status != MASTER_STATUS_AVAIL)
        return -1;
    out->pid = (pid_t)pid;
    return 0;
}

int master_status_send(int fd, pid_t pid, uint32_t generation, uint32_t status)
{
    unsigned char msg[MASTER_STATUS_SIZE];
    ssize_t n;

    master_status_encode(msg, pid, generation, status);
    do {
        n = write(fd, msg, sizeof(msg));
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if ((size_t)n != sizeof(msg)) {
        /* Cannot happen on a pipe for writes below PIPE_BUF. */
        errno = EIO;
        return -1;
    }
    return 0;
}
