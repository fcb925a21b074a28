/*
 * sendmail_input.c - reads the message that sendmail gets on standard input
 * and hands it on one line (or line piece) at a time.
 *
 * Applies sendmail_fix_line_endings (CRLF -> LF: always, strict = only when
 * the first line ends in CRLF, never), drops a leading mbox "From " line,
 * ends the message at a line holding a single "." unless -i/-oi was given
 * (no dot-unstuffing: ".." stays, as in Postfix), cuts lines longer than
 * line_limit into pieces, and refuses more than size_limit content bytes.
 * It also notes whether the primary header block holds a To/Cc/Bcc header
 * with something in it, so that "sendmail -t" can fail at once, as Postfix
 * does, when no recipient can be found. Called by sendmail_main.c and the
 * unit tests; it never holds more than line_limit + 2 bytes of a line.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sendmail.h"
#include "util/msg.h"
#include "util/str.h"

#define SENDMAIL_READ_CHUNK 65536

/* "From " must fit in the first piece of a line. */
#define SENDMAIL_LINE_LIMIT_MIN 16

int sendmail_parse_fix(const char *value, enum sendmail_fix *out)
{
    if (strcasecmp(value, "always") == 0)
        *out = SENDMAIL_FIX_ALWAYS;
    else if (strcasecmp(value, "strict") == 0)
        *out = SENDMAIL_FIX_STRICT;
    else if (strcasecmp(value, "never") == 0)
        *out = SENDMAIL_FIX_NEVER;
    else
        return -1;
    return 0;
}

void sendmail_input_init(struct sendmail_input *in, int dot_ends, enum sendmail_fix fix,
                         size_t line_limit, long size_limit, sendmail_line_fn fn, void *ctx)
{
    if (line_limit < SENDMAIL_LINE_LIMIT_MIN)
        msg_panic("sendmail_input_init: line limit %zu too small", line_limit);
    memset(in, 0, sizeof(*in));
    buf_init(&in->line);
    in->dot_ends = dot_ends;
    in->fix = fix;
    in->line_limit = line_limit;
    in->size_limit = size_limit;
    in->line_fn = fn;
    in->ctx = ctx;
    in->convert = (fix == SENDMAIL_FIX_ALWAYS);
    in->in_header = 1;
}

void sendmail_input_free(struct sendmail_input *in)
{
    buf_release(&in->line);
}

/* RFC 5322 field name: printable ASCII except ':' (section 2.2). */
static size_t sendmail_header_name_len(const char *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];

        if (c == ':')
            return i;
        if (c <= 0x20 || c >= 0x7f)
            break;
    }
    return 0;
}

static int sendmail_is_rcpt_header(const char *name, size_t len)
{
    static const char *const names[] = {"to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
            return 1;
    return 0;
}

/* Counts a To/Cc/Bcc header once something other than white space shows up. */
static void sendmail_note_rcpt_value(struct sendmail_input *in, const char *data, size_t len)
{
    size_t i;

    if (!in->header_is_rcpt)
        return;
    for (i = 0; i < len; i++) {
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r') {
            in->rcpt_headers++;
            in->header_is_rcpt = 0;
            return;
        }
    }
}

/* Header bookkeeping for one piece; first says it starts a line. */
static void sendmail_track_header(struct sendmail_input *in, const char *data, size_t len,
                                  int first, int complete)
{
    size_t name_len;

    if (!in->in_header)
        return;
    if (!first) {
        sendmail_note_rcpt_value(in, data, len);
        return;
    }
    if (len == 0 && complete) {
        in->in_header = 0; /* the empty line between header and body */
        return;
    }
    if (len > 0 && (data[0] == ' ' || data[0] == '\t')) {
        sendmail_note_rcpt_value(in, data, len); /* folded header (RFC 5322 2.2.3) */
        return;
    }
    if ((name_len = sendmail_header_name_len(data, len)) == 0) {
        in->in_header = 0; /* not a header: the body starts here */
        return;
    }
    in->header_is_rcpt = sendmail_is_rcpt_header(data, name_len);
    sendmail_note_rcpt_value(in, data + name_len + 1, len - name_len - 1);
}

/* Passes one piece on, after the From_, dot and size rules. Returns 0, 1 at
 * the end-of-message dot, -1 on error. */
static int sendmail_emit(struct sendmail_input *in, const char *data, size_t len, int complete,
                         struct buf *err)
{
    int first = !in->in_piece;

    if (first && in->lines == 0 && len >= 5 && memcmp(data, "From ", 5) == 0)
        in->skipping = 1;
    in->in_piece = !complete;
    if (in->skipping) {
        if (complete) {
            in->skipping = 0;
            in->lines++;
        }
        return 0;
    }
    if (first && complete && in->dot_ends && len == 1 && data[0] == '.') {
        in->done = 1;
        return 1;
    }
    sendmail_track_header(in, data, len, first, complete);
    if (complete)
        in->lines++;
    in->size += (long)len + (complete ? 1 : 0);
    if (in->size_limit > 0 && in->size > in->size_limit) {
        buf_set(err, "");
        buf_printf(err, "message too large: more than %ld bytes (message_size_limit)",
                   in->size_limit);
        in->error = SENDMAIL_INPUT_TOO_BIG;
        return -1;
    }
    if (in->line_fn(in->ctx, data, len, complete, err) < 0) {
        in->error = SENDMAIL_INPUT_CALLBACK;
        return -1;
    }
    return 0;
}

/* A whole line (or its last part) is in in->line; newline says it ended in '\n'. */
static int sendmail_line_end(struct sendmail_input *in, int newline, struct buf *err)
{
    const char *data = in->line.data;
    size_t len = in->line.len;
    int status;

    /* Strict: the first line decides for the whole message. The first line
     * is the mbox From_ line when there is one, as in Postfix. */
    if (in->fix == SENDMAIL_FIX_STRICT && in->lines == 0)
        in->convert = newline && len > 0 && data[len - 1] == '\r';
    if (in->convert && newline && len > 0 && data[len - 1] == '\r')
        len--;
    if (len > in->line_limit) {
        if ((status = sendmail_emit(in, data, in->line_limit, 0, err)) != 0)
            return status;
        data += in->line_limit;
        len -= in->line_limit;
    }
    status = sendmail_emit(in, data, len, 1, err);
    buf_reset(&in->line);
    return status;
}

int sendmail_input_feed(struct sendmail_input *in, const void *data, size_t len, struct buf *err)
{
    const char *p = data;
    const char *end = p + len;
    int status;

    if (in->error != SENDMAIL_INPUT_OK)
        return -1;
    while (p < end && !in->done) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t room = in->line_limit + 2 - in->line.len;
        size_t take = (size_t)((nl ? nl : end) - p);

        if (take > room)
            take = room;
        buf_append(&in->line, p, take);
        p += take;
        if (nl != NULL && p == nl) {
            p++;
            if ((status = sendmail_line_end(in, 1, err)) != 0)
                return status;
        } else if (in->line.len == in->line_limit + 2) {
            /* The line is too long even if it ends in CRLF. The last two
             * bytes stay back: they may be the CR of a CRLF and one more. */
            if ((status = sendmail_emit(in, in->line.data, in->line_limit, 0, err)) != 0)
                return status;
            buf_set_mem(&in->line, in->line.data + in->line_limit, in->line.len - in->line_limit);
        }
    }
    return in->done ? 1 : 0;
}

int sendmail_input_finish(struct sendmail_input *in, struct buf *err)
{
    if (in->error != SENDMAIL_INPUT_OK)
        return -1;
    if (in->done)
        return 1;
    if (in->line.len > 0 || in->in_piece)
        return sendmail_line_end(in, 0, err);
    return 0;
}

int sendmail_input_read_fd(struct sendmail_input *in, int fd, struct buf *err)
{
    char chunk[SENDMAIL_READ_CHUNK];
    ssize_t n;
    int status;

    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            buf_set(err, "");
            buf_printf(err, "read message from standard input: %s", strerror(errno));
            in->error = SENDMAIL_INPUT_IO;
            return -1;
        }
        if (n == 0)
            return sendmail_input_finish(in, err) < 0 ? -1 : 0;
        if ((status = sendmail_input_feed(in, chunk, (size_t)n, err)) < 0)
            return -1;
        if (status == 1)
            return 0;
    }
}
