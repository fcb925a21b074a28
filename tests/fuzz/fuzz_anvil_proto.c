/*
 * fuzz_anvil_proto.c - libFuzzer target for the anvil protocol decoders
 * (lib/mail/anvil_proto.c), as the anvil daemon and its clients run them.
 *
 * The input is a stream of attribute messages decoded with the anvil
 * limits; each goes through both the request and the reply decoder. A
 * decoded request must hold a valid ident (1..ANVIL_IDENT_MAX printable
 * bytes) and a known type, and must round-trip: encoding it and decoding
 * again gives the same request; a decoded reply round-trips too. A failed
 * decode must say why. Any breach abort()s. Defines no main():
 * replay_main.c supplies one outside libFuzzer builds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/anvil_proto.h"
#include "util/attr.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_redecode(const struct buf *enc, struct attr_msg *m2)
{
    struct attr_limits lim;
    struct buf err = BUF_INIT;

    anvil_attr_limits(&lim);
    attr_msg_init(m2, &lim);
    if (attr_decode_exact(enc->data, enc->len, m2, &err) != ATTR_OK)
        abort();
    buf_release(&err);
}

static void fuzz_request(const struct attr_msg *msg)
{
    struct anvil_request req, again;
    struct buf err = BUF_INIT, enc = BUF_INIT;
    struct attr_msg m2;
    size_t len, i;

    if (anvil_decode_request(msg, &req, &err) < 0) {
        if (buf_len(&err) == 0)
            abort();
        buf_release(&err);
        return;
    }
    len = strnlen(req.ident, sizeof(req.ident));
    if (len == 0 || len > ANVIL_IDENT_MAX || anvil_req_name(req.type) == NULL)
        abort();
    for (i = 0; i < len; i++)
        if ((unsigned char)req.ident[i] <= 0x20 || (unsigned char)req.ident[i] >= 0x7f)
            abort();
    anvil_encode_request(&enc, &req);
    fuzz_redecode(&enc, &m2);
    if (anvil_decode_request(&m2, &again, &err) < 0 || again.type != req.type ||
        strcmp(again.ident, req.ident) != 0)
        abort();
    attr_msg_free(&m2);
    buf_release(&enc);
    buf_release(&err);
}

static void fuzz_reply(const struct attr_msg *msg)
{
    struct anvil_reply r, again;
    struct buf err = BUF_INIT, enc = BUF_INIT;
    struct attr_msg m2;

    if (anvil_decode_reply(msg, &r, &err) < 0) {
        if (buf_len(&err) == 0)
            abort();
        buf_release(&err);
        return;
    }
    if (r.status != ANVIL_STAT_OK && r.status != ANVIL_STAT_FAIL)
        abort();
    anvil_encode_reply(&enc, &r);
    fuzz_redecode(&enc, &m2);
    if (anvil_decode_reply(&m2, &again, &err) < 0 || memcmp(&r, &again, sizeof(r)) != 0)
        abort();
    attr_msg_free(&m2);
    buf_release(&enc);
    buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct attr_limits lim;
    struct attr_msg msg;
    struct buf err = BUF_INIT;
    size_t used;

    anvil_attr_limits(&lim);
    attr_msg_init(&msg, &lim);
    while (size > 0) {
        buf_reset(&err);
        if (attr_decode(data, size, &used, &msg, &err) != ATTR_OK)
            break;
        if (used == 0 || used > size)
            abort();
        fuzz_request(&msg);
        fuzz_reply(&msg);
        data += used;
        size -= used;
    }
    attr_msg_free(&msg);
    buf_release(&err);
    return 0;
}
