/*
 * fuzz_cleanup_proto.c - libFuzzer target for the cleanup request decoders
 * (lib/mail/cleanup_proto.c), as the cleanup daemon runs them.
 *
 * The input is a stream of attribute messages decoded with the cleanup
 * limits; each whole message goes through cleanup_decode_req() and the
 * decoder of its request. A request that decodes must obey the limits
 * (fields of at most CLEANUP_FIELD_MAX bytes, data of at most
 * CLEANUP_DATA_CHUNK) and survive a round trip: encoding the decoded
 * request and decoding it again gives the same values. Any breach
 * abort()s. "end" with its optional attributes is checked the same way.
 * Defines no main(): replay_main.c supplies one outside
 * libFuzzer builds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/cleanup_proto.h"
#include "util/attr.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_field(const char *s)
{
    if (s == NULL || strlen(s) > CLEANUP_FIELD_MAX)
        abort();
}

static void fuzz_env(const struct attr_msg *msg)
{
    struct cleanup_envelope env, again;
    struct attr_limits lim;
    struct attr_msg m2;
    struct buf err = BUF_INIT, enc = BUF_INIT;
    size_t i;

    if (cleanup_decode_env(msg, &env, &err) < 0) {
        if (buf_len(&err) == 0)
            abort();
        buf_release(&err);
        return;
    }
    fuzz_check_field(env.sender);
    fuzz_check_field(env.envid);
    fuzz_check_field(env.encoding);
    if (env.flags < 0 || env.ret < 0 || env.smtputf8 < 0 || env.arrival_sec < 0 ||
        env.arrival_usec < 0)
        abort();
    for (i = 0; i < env.nattr; i++) {
        fuzz_check_field(env.attr[i].name);
        fuzz_check_field(env.attr[i].value);
    }
    cleanup_encode_env(&enc, &env);
    cleanup_attr_limits(&lim);
    attr_msg_init(&m2, &lim);
    /* A decoded request re-encodes within the same limits, unless it was
     * at the message size limit with a shorter encoding upstream. */
    if (attr_decode_exact(enc.data, enc.len, &m2, &err) == ATTR_OK) {
        if (cleanup_decode_env(&m2, &again, &err) < 0)
            abort();
        if (strcmp(env.sender, again.sender) != 0 || env.flags != again.flags ||
            env.arrival_sec != again.arrival_sec || env.arrival_usec != again.arrival_usec ||
            strcmp(env.envid, again.envid) != 0 || env.ret != again.ret ||
            env.smtputf8 != again.smtputf8 || strcmp(env.encoding, again.encoding) != 0 ||
            env.nattr != again.nattr)
            abort();
        for (i = 0; i < env.nattr; i++)
            if (strcmp(env.attr[i].name, again.attr[i].name) != 0 ||
                strcmp(env.attr[i].value, again.attr[i].value) != 0)
                abort();
        cleanup_envelope_free(&again);
    }
    attr_msg_free(&m2);
    cleanup_envelope_free(&env);
    buf_release(&err);
    buf_release(&enc);
}

static void fuzz_rcpt(const struct attr_msg *msg)
{
    struct cleanup_rcpt *rcpt, *again;
    size_t count, count2, i;
    struct attr_limits lim;
    struct attr_msg m2;
    struct buf err = BUF_INIT, enc = BUF_INIT;

    if (cleanup_decode_rcpt(msg, &rcpt, &count, &err) < 0) {
        if (buf_len(&err) == 0)
            abort();
        buf_release(&err);
        return;
    }
    for (i = 0; i < count; i++) {
        fuzz_check_field(rcpt[i].address);
        fuzz_check_field(rcpt[i].orcpt);
        if (rcpt[i].notify < 0)
            abort();
    }
    cleanup_encode_rcpt(&enc, rcpt, count);
    cleanup_attr_limits(&lim);
    attr_msg_init(&m2, &lim);
    if (attr_decode_exact(enc.data, enc.len, &m2, &err) == ATTR_OK) {
        if (cleanup_decode_rcpt(&m2, &again, &count2, &err) < 0 || count2 != count)
            abort();
        for (i = 0; i < count; i++)
            if (strcmp(rcpt[i].address, again[i].address) != 0 ||
                strcmp(rcpt[i].orcpt, again[i].orcpt) != 0 || rcpt[i].notify != again[i].notify)
                abort();
        cleanup_rcpt_free(again, count2);
    }
    attr_msg_free(&m2);
    cleanup_rcpt_free(rcpt, count);
    buf_release(&err);
    buf_release(&enc);
}

static int fuzz_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The optional "end" attributes: bounded, only the late flags, and a
 * round trip keeps them (absent stays absent). */
static void fuzz_end(const struct attr_msg *msg)
{
    struct cleanup_end end, again;
    struct attr_limits lim;
    struct attr_msg m2;
    struct buf err = BUF_INIT, enc = BUF_INIT;

    if (cleanup_decode_end(msg, &end, &err) < 0) {
        if (buf_len(&err) == 0)
            abort();
        buf_release(&err);
        return;
    }
    if (end.flags & ~(CLEANUP_FLAG_HOLD | CLEANUP_FLAG_DISCARD))
        abort();
    if ((end.filter && strlen(end.filter) > CLEANUP_FIELD_MAX) ||
        (end.redirect && strlen(end.redirect) > CLEANUP_FIELD_MAX) ||
        (end.bcc && strlen(end.bcc) > CLEANUP_FIELD_MAX))
        abort();
    cleanup_encode_end_opts(&enc, &end);
    cleanup_attr_limits(&lim);
    attr_msg_init(&m2, &lim);
    if (attr_decode_exact(enc.data, enc.len, &m2, &err) != ATTR_OK ||
        cleanup_decode_end(&m2, &again, &err) < 0)
        abort();
    if (again.flags != end.flags || !fuzz_same(again.filter, end.filter) ||
        !fuzz_same(again.redirect, end.redirect) || !fuzz_same(again.bcc, end.bcc))
        abort();
    cleanup_end_free(&again);
    attr_msg_free(&m2);
    cleanup_end_free(&end);
    buf_release(&err);
    buf_release(&enc);
}

static void fuzz_data(const struct attr_msg *msg)
{
    struct buf err = BUF_INIT;
    const char *data;
    size_t len;

    if (cleanup_decode_data(msg, &data, &len, &err) < 0) {
        if (buf_len(&err) == 0)
            abort();
    } else {
        if (len > CLEANUP_DATA_CHUNK || data[len] != '\0')
            abort();
    }
    buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct attr_limits lim;
    struct attr_msg msg;
    struct buf err = BUF_INIT;
    enum cleanup_req req;
    size_t used;

    cleanup_attr_limits(&lim);
    attr_msg_init(&msg, &lim);
    while (size > 0) {
        buf_reset(&err);
        if (attr_decode(data, size, &used, &msg, &err) != ATTR_OK)
            break;
        if (used == 0 || used > size)
            abort();
        if (cleanup_decode_req(&msg, &req, &err) == 0) {
            switch (req) {
            case CLEANUP_REQ_ENV:
                fuzz_env(&msg);
                break;
            case CLEANUP_REQ_RCPT:
                fuzz_rcpt(&msg);
                break;
            case CLEANUP_REQ_DATA:
                fuzz_data(&msg);
                break;
            case CLEANUP_REQ_END:
                fuzz_end(&msg);
                break;
            }
        } else if (buf_len(&err) == 0) {
            abort();
        }
        data += used;
        size -= used;
    }
    attr_msg_free(&msg);
    buf_release(&err);
    return 0;
}
