/*
 * fuzz_deliver_proto.c - libFuzzer target for the delivery request and
 * result decoders: the input is a stream of attribute messages; each one
 * that decodes is fed to both decoders, and a request that decodes is
 * re-encoded and must decode again to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/deliver_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct attr_limits lim;
    struct buf err = BUF_INIT;
    size_t off = 0;

    deliver_attr_limits(&lim);
    while (off < size) {
        struct attr_msg msg;
        struct deliver_request req;
        struct deliver_result *res;
        size_t n;
        size_t used = 0;

        attr_msg_init(&msg, &lim);
        if (attr_decode(data + off, size - off, &used, &msg, &err) != ATTR_OK) {
            attr_msg_free(&msg);
            break;
        }
        off += used;
        if (deliver_decode_request(&msg, &req, &err) == 0) {
            struct buf again = BUF_INIT;
            struct attr_msg msg2;
            struct deliver_request req2;

            deliver_encode_request(&again, &req);
            attr_msg_init(&msg2, &lim);
            if (attr_decode_exact(again.data, again.len, &msg2, &err) != ATTR_OK
                || deliver_decode_request(&msg2, &req2, &err) != 0)
                abort();
            if (req2.nrcpt != req.nrcpt || strcmp(req2.sender, req.sender) != 0)
                abort();
            deliver_request_free(&req2);
            attr_msg_free(&msg2);
            buf_release(&again);
            deliver_request_free(&req);
        }
        if (deliver_decode_results(&msg, &res, &n, &err) == 0)
            deliver_results_free(res, n);
        attr_msg_free(&msg);
        buf_reset(&err);
    }
    buf_release(&err);
    return 0;
}
