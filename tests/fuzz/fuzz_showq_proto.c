/*
 * fuzz_showq_proto.c - libFuzzer target for the showq protocol decoder
 * (lib/mail/showq_proto.h): the input is what a showq server might send,
 * one or more attribute messages. Every entry the decoder accepts is
 * encoded again and must decode to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/showq_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_entry(const struct showq_entry *a, const struct showq_entry *b)
{
    size_t i;

    if (strcmp(a->queue_name, b->queue_name) != 0 || strcmp(a->queue_id, b->queue_id) != 0 ||
        a->arrival != b->arrival || a->size != b->size || a->forced_expire != b->forced_expire ||
        strcmp(a->sender, b->sender) != 0 || a->nrcpt != b->nrcpt)
        abort();
    for (i = 0; i < a->nrcpt; i++) {
        if (strcmp(a->rcpts[i].address, b->rcpts[i].address) != 0)
            abort();
        if ((a->rcpts[i].reason == NULL) != (b->rcpts[i].reason == NULL))
            abort();
        if (a->rcpts[i].reason && strcmp(a->rcpts[i].reason, b->rcpts[i].reason) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct attr_limits lim;
    struct attr_msg msg, msg2;
    struct showq_entry e, e2;
    struct buf err = BUF_INIT;
    struct buf again = BUF_INIT;
    size_t off = 0;
    size_t used;
    long count;

    showq_limits(&lim);
    attr_msg_init(&msg, &lim);
    attr_msg_init(&msg2, &lim);
    showq_entry_init(&e);
    showq_entry_init(&e2);
    while (off < size) {
        if (attr_decode(data + off, size - off, &used, &msg, &err) != ATTR_OK)
            break;
        off += used;
        if (showq_decode(&msg, &e, &count, &err) == 1) {
            buf_reset(&again);
            showq_encode_entry(&again, &e);
            if (attr_decode_exact(buf_str(&again), buf_len(&again), &msg2, &err) != ATTR_OK ||
                showq_decode(&msg2, &e2, NULL, &err) != 1)
                abort();
            same_entry(&e, &e2);
        }
    }
    showq_entry_free(&e);
    showq_entry_free(&e2);
    attr_msg_free(&msg);
    attr_msg_free(&msg2);
    buf_release(&err);
    buf_release(&again);
    return 0;
}
