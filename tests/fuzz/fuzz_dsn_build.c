/*
 * fuzz_dsn_build.c - libFuzzer target for the delivery status notification
 * builder (lib/mail/dsn_build.h) fed by the recipient log reader, as the
 * bounce daemon runs them.
 *
 * Input: one control byte (kind, postmaster copy, whole original, RET),
 * one byte for the size limit, then a recipient log and the original
 * message separated by the first "\n--\n" (no separator: all log, no
 * original). The output must be a well-formed MIME report whatever the
 * input: every line ends in LF, the top headers declare the boundary, the
 * human and delivery-status parts hold no control characters and every
 * status field is a "Name: value" line or its indented continuation, and
 * the boundary occurs exactly as 2 or 3 part delimiters and one closing
 * delimiter at the very end. Anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dsn_build.h"
#include "mail/queue_rec.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* The next line of [*p, end) without its LF; the output must end in LF. */
static size_t next_line(const char **p, const char *end, const char **line)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t len;

    check(nl != NULL);
    *line = *p;
    len = (size_t)(nl - *p);
    *p = nl + 1;
    return len;
}

static int starts(const char *line, size_t len, const char *s)
{
    return len >= strlen(s) && memcmp(line, s, strlen(s)) == 0;
}

/* No control characters but TAB at the start of a header continuation. */
static void check_clean(const char *line, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        check(((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] != 0x7f) ||
              (i == 0 && line[i] == '\t'));
}

static void check_report(const char *text, size_t size)
{
    const char *p = text, *end = text + size, *line, *b;
    size_t len, blen, delims = 0, part = 0;
    char boundary[128];
    int closed = 0, in_headers;

    check(size > 0 && text[size - 1] == '\n');
    /* Top headers: the boundary is on the "\tboundary=" continuation. */
    boundary[0] = '\0';
    while ((len = next_line(&p, end, &line)) > 0) {
        check_clean(line, len);
        if (starts(line, len, "\tboundary=\"")) {
            b = line + 11;
            blen = len - 12;
            check(line[len - 1] == '"' && blen > 0 && blen < sizeof(boundary));
            memcpy(boundary, b, blen);
            boundary[blen] = '\0';
        }
    }
    blen = strlen(boundary);
    check(blen > 0 && blen <= 70);
    in_headers = 0;
    while (p < end) {
        len = next_line(&p, end, &line);
        check(!closed);
        if (len >= blen + 2 && line[0] == '-' && line[1] == '-' &&
            memcmp(line + 2, boundary, blen) == 0) {
            if (len == blen + 4 && line[blen + 2] == '-' && line[blen + 3] == '-') {
                closed = 1;
                check(p == end);
            } else {
                check(len == blen + 2);
                delims++;
                part++;
                in_headers = 1;
            }
            continue;
        }
        if (part == 0 || part > 3)
            continue; /* the preamble */
        if (in_headers) {
            check_clean(line, len);
            if (len == 0)
                in_headers = 0;
            else
                check(starts(line, len, "Content-"));
            continue;
        }
        if (part == 1) {
            check_clean(line, len);
        } else if (part == 2) {
            check_clean(line, len);
            /* A field, a continuation, or the blank line between groups. */
            check(len == 0 || starts(line, len, "    ") ||
                  (memchr(line, ':', len) != NULL && line[0] != ' '));
        }
    }
    check(closed);
    check(delims == 2 || delims == 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char sep[] = "\n--\n";
    struct recipient_log_reader *r;
    struct recipient_log_entry *rcpt = NULL;
    struct recipient_log_entry e;
    struct dsn_notice n;
    struct dsn_original o;
    struct buf why = BUF_INIT;
    struct buf out = BUF_INIT;
    const char *log, *msg = NULL;
    size_t log_len, msg_len = 0, nrcpt = 0, i, rounds = 0;
    int st, ctl;

    if (size < 2)
        return 0;
    ctl = data[0];
    memset(&n, 0, sizeof(n));
    n.kind = (enum dsn_kind)(ctl % 3);
    n.postmaster = (ctl >> 2) & 1;
    n.full = (ctl >> 3) & 1;
    n.notice_id = "NEWID";
    n.to = "sender@example.test";
    n.myhostname = "mx.example.test";
    n.myorigin = "example.test";
    n.mail_name = "postern";
    n.delay_warning_time = 3600;
    n.maximal_queue_lifetime = 5 * 86400;
    n.size_limit = (size_t)data[1] * 8;
    n.now = 1795322845;
    log = (const char *)data + 2;
    log_len = size - 2;
    for (i = 0; i + sizeof(sep) - 1 <= log_len; i++) {
        if (memcmp(log + i, sep, sizeof(sep) - 1) == 0) {
            msg = log + i + sizeof(sep) - 1;
            msg_len = log_len - i - (sizeof(sep) - 1);
            log_len = i + 1;
            break;
        }
    }
    r = recipient_log_reader_open_mem(log, log_len);
    recipient_log_entry_init(&e);
    while ((st = recipient_log_reader_next(r, &e, &why)) != 0) {
        check(++rounds <= log_len + 1);
        if (st < 0)
            continue;
        rcpt = mem_realloc(rcpt, mem_size_mul(nrcpt + 1, sizeof(*rcpt)));
        rcpt[nrcpt++] = e;
        recipient_log_entry_init(&e);
    }
    recipient_log_reader_close(r);
    nrcpt = dsn_select(rcpt, nrcpt, n.kind, (ctl >> 4) & 1);
    memset(&o, 0, sizeof(o));
    o.queue_id = "ORIGID";
    o.sender = (ctl >> 5) & 1 ? "" : "alice@example.test";
    o.envid = (ctl >> 6) & 1 ? "env-1" : NULL;
    o.ret = (ctl >> 7) & 1 ? QUEUE_DSN_RET_HDRS : 0;
    o.arrival = n.now - 100;
    o.content = msg;
    o.content_len = msg_len;
    dsn_build(&out, &n, &o, rcpt, nrcpt);
    check_report(buf_str(&out), buf_len(&out));
    for (i = 0; i < nrcpt; i++)
        recipient_log_entry_free(&rcpt[i]);
    mem_free(rcpt);
    recipient_log_entry_free(&e);
    buf_release(&why);
    buf_release(&out);
    return 0;
}
