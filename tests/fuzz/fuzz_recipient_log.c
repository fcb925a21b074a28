/*
 * fuzz_recipient_log.c - libFuzzer target for the bounce/defer/trace log
 * reader (lib/mail/recipient_log.h): the input is a log file. Every record
 * the reader accepts is formatted again and must parse back to the same
 * values (the writer can never produce a line the reader refuses).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/recipient_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const char *a, const char *b)
{
    if (strcmp(a ? a : "", b ? b : "") != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct recipient_log_reader *r = recipient_log_reader_open_mem(data, size);
    struct recipient_log_entry e, again;
    struct buf why = BUF_INIT;
    struct buf line = BUF_INIT;
    int st;
    size_t rounds = 0;

    recipient_log_entry_init(&e);
    recipient_log_entry_init(&again);
    while ((st = recipient_log_reader_next(r, &e, &why)) != 0) {
        if (++rounds > size + 1)
            abort(); /* the reader must always make progress */
        if (st < 0)
            continue;
        buf_reset(&line);
        recipient_log_format(&line, &e);
        if (recipient_log_parse(buf_str(&line), buf_len(&line), &again, &why) != 0)
            abort();
        same(e.recipient, again.recipient);
        same(e.orig_rcpt, again.orig_rcpt);
        same(e.dsn_orcpt, again.dsn_orcpt);
        same(e.dsn_status, again.dsn_status);
        same(e.action, again.action);
        same(e.relay, again.relay);
        same(e.mta, again.mta);
        same(e.diag, again.diag);
        same(e.reason, again.reason);
        if (e.notify != again.notify || e.offset != again.offset || e.time != again.time)
            abort();
    }
    recipient_log_reader_close(r);
    recipient_log_entry_free(&e);
    recipient_log_entry_free(&again);
    buf_release(&why);
    buf_release(&line);
    return 0;
}
