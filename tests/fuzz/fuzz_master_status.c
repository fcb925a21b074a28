/*
 * fuzz_master_status.c - libFuzzer target for the master's status pipe
 * decoder (lib/server/master_proto.h): the input is what children might
 * write on the pipe, cut into MASTER_STATUS_SIZE reads plus a short tail
 * (a short read must be refused). Every message the decoder accepts is
 * encoded again and must give the same bytes; nothing it refuses may
 * leave a pid <= 0 or an unknown status in use.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/master_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char again[MASTER_STATUS_SIZE];
    struct master_status st;
    size_t off;

    for (off = 0; off < size; off += MASTER_STATUS_SIZE) {
        size_t len = size - off < MASTER_STATUS_SIZE ? size - off : MASTER_STATUS_SIZE;

        if (master_status_decode(data + off, len, &st) < 0)
            continue;
        if (len != MASTER_STATUS_SIZE || st.pid <= 0 || st.version != MASTER_PROTO_VERSION ||
            (st.status != MASTER_STATUS_BUSY && st.status != MASTER_STATUS_AVAIL))
            abort();
        master_status_encode(again, st.pid, st.generation, st.status);
        if (memcmp(again, data + off, MASTER_STATUS_SIZE) != 0)
            abort();
    }
    return 0;
}
