/*
 * fuzz_maildrop.c - libFuzzer target for what pickup and postdrop do with
 * a maildrop submission: the queue reader plus the maildrop rules plus the
 * envelope builder on a whole file (pickup), and the record splitter plus
 * the rules on a postdrop input stream (the same bytes, read as records
 * without VERSION and SIZE).
 *
 * Checks the contract on every input: a refusal always has a reason; an
 * accepted file has a sender and an arrival time, and every recipient is
 * non-empty and free of line breaks and NUL; nothing is accepted after
 * END. Any breach abort()s. Defines no main(): replay_main.c supplies one
 * outside libFuzzer builds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/maildrop.h"
#include "mail/queue_reader.h"
#include "mail/queue_rec.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Records above this are refused here, as postdrop refuses them (small, so
 * the fuzzer reaches the limit). */
#define FUZZ_REC_MAX 8192

static void fuzz_check_env(const struct maildrop_env *env)
{
    size_t i;

    if (env->sender == NULL)
        abort();
    for (i = 0; i < env->nrcpt; i++) {
        const char *a = env->rcpt[i].address;

        if (*a == '\0' || strpbrk(a, "\r\n") != NULL || strlen(a) > MAILDROP_FIELD_MAX)
            abort();
        if (env->rcpt[i].notify < 0 || env->rcpt[i].notify > 15)
            abort();
    }
    if (env->ret != 0 && env->ret != DSN_RET_FULL && env->ret != DSN_RET_HDRS)
        abort();
}

/* pickup's path: a whole maildrop file. */
static void fuzz_file(const uint8_t *data, size_t size)
{
    struct queue_reader *r = queue_reader_open_mem(data, size);
    struct maildrop_check check;
    struct maildrop_env env;
    struct queue_record rec;
    struct buf why = BUF_INIT;
    int n, refused = 0;

    maildrop_check_init(&check, MAILDROP_FILE);
    maildrop_env_init(&env);
    while ((n = queue_reader_next(r, &rec)) == 1) {
        if (maildrop_check_queue_record(&check, &rec, &why) < 0) {
            if (why.len == 0)
                abort();
            refused = 1;
            break;
        }
        if (maildrop_env_add(&env, rec.type, rec.data, rec.len, &why) < 0) {
            if (why.len == 0)
                abort();
            refused = 1;
            break;
        }
    }
    if (n < 0 && *queue_reader_error(r) == '\0')
        abort();
    if (!refused && n == 0) {
        /* The reader stops only after END, and END only passes here after
         * a complete envelope and content. */
        if (!maildrop_check_ended(&check))
            abort();
        fuzz_check_env(&env);
        /* Nothing may follow END. */
        if (maildrop_check_record(&check, QUEUE_REC_END, "", 0, 0, 1, &why) == 0)
            abort();
    }
    maildrop_env_free(&env);
    queue_reader_close(r);
    buf_release(&why);
}

/* postdrop's path: records on standard input. */
static void fuzz_stream(const uint8_t *data, size_t size)
{
    struct maildrop_check check;
    struct maildrop_env env;
    struct buf why = BUF_INIT;
    size_t pos = 0;
    int type;
    size_t len, hdr_len;

    maildrop_check_init(&check, MAILDROP_STREAM);
    maildrop_env_init(&env);
    while (pos < size && !maildrop_check_ended(&check)) {
        enum queue_rec_hdr_status hs;

        buf_reset(&why);
        hs =
            queue_rec_get_header(data + pos, size - pos, FUZZ_REC_MAX, &type, &len, &hdr_len, &why);
        if (hs == QUEUE_HDR_BAD && why.len == 0)
            abort();
        if (hs != QUEUE_HDR_OK || hdr_len + len > size - pos)
            break;
        if (len > FUZZ_REC_MAX)
            abort();
        if (maildrop_check_record(&check, type, (const char *)data + pos + hdr_len, len, (off_t)pos,
                                  (off_t)(pos + hdr_len + len), &why) < 0) {
            if (why.len == 0)
                abort();
            break;
        }
        if (maildrop_env_add(&env, type, (const char *)data + pos + hdr_len, len, &why) < 0)
            break;
        pos += hdr_len + len;
    }
    if (maildrop_check_ended(&check))
        fuzz_check_env(&env);
    maildrop_env_free(&env);
    buf_release(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file(data, size);
    fuzz_stream(data, size);
    return 0;
}
