/*
 * header.c - incremental RFC 5322 header parser (see header.h).
 *
 * A byte-at-a-time state machine for the start of each line (where the
 * decision header / continuation / end of headers is made) and bulk copies
 * for the rest of a line and for the body. A header is reported only when
 * the first byte of the next line shows it is not continued (RFC 5322
 * section 2.2.3: a fold is a line starting with SP or HTAB). Every buffer
 * is bounded by the size limit; the parser never fails.
 */
#include <string.h>
#include <strings.h>

#include "mail/header.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"

enum header_line_state {
    LINE_START,     /* at the first byte of a line in the header block */
    LINE_CANDIDATE, /* bytes of a new line that may be a header, in p->line */
    LINE_HEADER,    /* rest of a header line (first or folded): into p->hdr */
};

/* Classification of a candidate line as far as it has been seen. */
enum header_cand { CAND_NAME, CAND_BLANKS };

struct header_parser {
    size_t limit;
    const struct header_callbacks *cb;
    void *ctx;
    int in_body;
    int finished;
    enum header_line_state state;
    /* The header being assembled (have_hdr), at most limit bytes. */
    int have_hdr;
    int truncated;
    size_t name_len;
    struct buf hdr;
    /* A new line being classified, at most limit bytes. */
    enum header_cand cand;
    struct buf line;
};

struct header_parser *header_parser_new(size_t size_limit, const struct header_callbacks *cb,
                                        void *ctx)
{
    struct header_parser *p;

    if (size_limit < 1 || cb == NULL || cb->header == NULL || cb->end == NULL)
        msg_panic("header_parser_new: bad arguments");
    p = mem_calloc(1, sizeof(*p));
    p->limit = size_limit;
    p->cb = cb;
    p->ctx = ctx;
    p->state = LINE_START;
    buf_init(&p->hdr);
    buf_init(&p->line);
    return p;
}

void header_parser_free(struct header_parser *p)
{
    if (p == NULL)
        return;
    buf_release(&p->hdr);
    buf_release(&p->line);
    mem_free(p);
}

int header_parser_in_body(const struct header_parser *p)
{
    return p->in_body;
}

/* Appends to the current header, dropping what exceeds the limit. */
static void header_add(struct header_parser *p, const char *data, size_t len)
{
    size_t room = p->limit - buf_len(&p->hdr);

    if (len > room) {
        len = room;
        p->truncated = 1;
    }
    if (len > 0)
        buf_append(&p->hdr, data, len);
}

/* Reports the pending header, if any. */
static void header_emit(struct header_parser *p)
{
    struct header_view v;
    const char *raw = buf_str(&p->hdr);
    size_t len = buf_len(&p->hdr);
    size_t i = p->name_len;

    if (!p->have_hdr)
        return;
    /* The classifier guaranteed name, blanks and ':' are inside raw. */
    while (i < len && raw[i] != ':')
        i++;
    if (i < len)
        i++;
    while (i < len && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n'))
        i++;
    v.cls = header_classify(raw, p->name_len);
    v.name = raw;
    v.name_len = p->name_len;
    v.value = raw + i;
    v.value_len = len - i;
    v.raw = raw;
    v.raw_len = len;
    v.truncated = p->truncated;
    p->cb->header(p->ctx, &v);
    p->have_hdr = 0;
    p->truncated = 0;
    buf_reset(&p->hdr);
}

static void header_body(struct header_parser *p, const char *data, size_t len)
{
    if (len > 0 && p->cb->body != NULL)
        p->cb->body(p->ctx, data, len);
}

/* Ends the header block; the pending header goes first. */
static void header_end_block(struct header_parser *p, enum header_end how)
{
    header_emit(p);
    p->in_body = 1;
    p->cb->end(p->ctx, how);
}

/* The candidate line is not a header: it and all that follows is body. */
static void header_candidate_is_body(struct header_parser *p)
{
    header_end_block(p, HEADER_END_NONHEADER);
    header_body(p, buf_str(&p->line), buf_len(&p->line));
    buf_reset(&p->line);
}

/* The candidate line is a header: its bytes so far start the new one. */
static void header_candidate_is_header(struct header_parser *p, size_t name_len)
{
    p->have_hdr = 1;
    p->truncated = 0;
    p->name_len = name_len;
    buf_reset(&p->hdr);
    header_add(p, buf_str(&p->line), buf_len(&p->line));
    buf_reset(&p->line);
    p->state = LINE_HEADER;
}

static int header_name_char(unsigned char c)
{
    return c >= 33 && c <= 126 && c != ':';
}

/*
 * Takes bytes of a candidate line one at a time until it is known to be a
 * header or not. Returns how many bytes were consumed; the state tells the
 * caller where the rest goes.
 */
static size_t header_classify_bytes(struct header_parser *p, const char *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];

        if (buf_len(&p->line) >= p->limit) {
            /* A name that long cannot be kept whole: treat as body. */
            header_candidate_is_body(p);
            return i;
        }
        if (p->cand == CAND_NAME && header_name_char(c)) {
            buf_append_char(&p->line, c);
            continue;
        }
        if (c == ':' && buf_len(&p->line) > 0) {
            size_t name_len = buf_len(&p->line);

            /* Blanks between name and colon are not part of the name. */
            while (name_len > 0 &&
                   (p->line.data[name_len - 1] == ' ' || p->line.data[name_len - 1] == '\t'))
                name_len--;
            buf_append_char(&p->line, c);
            header_candidate_is_header(p, name_len);
            return i + 1;
        }
        if ((c == ' ' || c == '\t') && buf_len(&p->line) > 0) {
            p->cand = CAND_BLANKS;
            buf_append_char(&p->line, c);
            continue;
        }
        /* Any other byte (LF included) before the colon: not a header. */
        header_candidate_is_body(p);
        return i;
    }
    return len;
}

void header_parser_feed(struct header_parser *p, const void *data, size_t len)
{
    const char *cp = data;
    const char *end = cp + len;

    if (p->finished)
        msg_panic("header_parser_feed: called after finish");
    while (cp < end) {
        if (p->in_body) {
            header_body(p, cp, (size_t)(end - cp));
            return;
        }
        switch (p->state) {
        case LINE_START:
            if (*cp == '\n') {
                cp++;
                header_end_block(p, HEADER_END_BLANK);
            } else if (*cp == ' ' || *cp == '\t') {
                if (!p->have_hdr) {
                    /* A fold with nothing to continue: body. */
                    header_end_block(p, HEADER_END_NONHEADER);
                    continue;
                }
                header_add(p, "\n", 1);
                p->state = LINE_HEADER;
            } else {
                header_emit(p);
                buf_reset(&p->line);
                p->cand = CAND_NAME;
                p->state = LINE_CANDIDATE;
            }
            break;
        case LINE_CANDIDATE:
            cp += header_classify_bytes(p, cp, (size_t)(end - cp));
            break;
        case LINE_HEADER: {
            const char *nl = memchr(cp, '\n', (size_t)(end - cp));
            const char *stop = nl ? nl : end;

            header_add(p, cp, (size_t)(stop - cp));
            cp = stop;
            if (nl) {
                cp++;
                p->state = LINE_START;
            }
            break;
        }
        }
    }
}

void header_parser_finish(struct header_parser *p)
{
    if (p->finished)
        msg_panic("header_parser_finish: called twice");
    if (!p->in_body) {
        if (p->state == LINE_CANDIDATE && buf_len(&p->line) > 0) {
            /* A last line without ':' and without "\n". */
            header_candidate_is_body(p);
        } else {
            header_end_block(p, HEADER_END_EOF);
        }
    }
    p->finished = 1;
}

/* ---- names -------------------------------------------------------------- */

static const struct {
    const char *name;
    enum header_class cls;
    int address;
} header_names[] = {
    {"", HDR_OTHER, 0},
    {"From", HDR_FROM, 1},
    {"Sender", HDR_SENDER, 1},
    {"Reply-To", HDR_REPLY_TO, 1},
    {"To", HDR_TO, 1},
    {"Cc", HDR_CC, 1},
    {"Bcc", HDR_BCC, 1},
    {"Resent-From", HDR_RESENT_FROM, 1},
    {"Resent-Sender", HDR_RESENT_SENDER, 1},
    {"Resent-Reply-To", HDR_RESENT_REPLY_TO, 1},
    {"Resent-To", HDR_RESENT_TO, 1},
    {"Resent-Cc", HDR_RESENT_CC, 1},
    {"Resent-Bcc", HDR_RESENT_BCC, 1},
    {"Resent-Date", HDR_RESENT_DATE, 0},
    {"Resent-Message-ID", HDR_RESENT_MESSAGE_ID, 0},
    {"Message-ID", HDR_MESSAGE_ID, 0},
    {"Date", HDR_DATE, 0},
    {"Subject", HDR_SUBJECT, 0},
    {"Received", HDR_RECEIVED, 0},
    {"Delivered-To", HDR_DELIVERED_TO, 0},
    {"X-Original-To", HDR_X_ORIGINAL_TO, 0},
    {"Return-Path", HDR_RETURN_PATH, 0},
    {"Return-Receipt-To", HDR_RETURN_RECEIPT_TO, 1},
    {"Errors-To", HDR_ERRORS_TO, 1},
    {"Apparently-To", HDR_APPARENTLY_TO, 1},
    {"Disposition-Notification-To", HDR_DISPOSITION_NOTIFICATION_TO, 1},
    {"Content-Length", HDR_CONTENT_LENGTH, 0},
    {"Content-Type", HDR_CONTENT_TYPE, 0},
    {"Content-Transfer-Encoding", HDR_CONTENT_TRANSFER_ENCODING, 0},
    {"MIME-Version", HDR_MIME_VERSION, 0},
};

_Static_assert(sizeof(header_names) / sizeof(header_names[0]) == HDR_CLASS_COUNT,
               "header_names must list every class in enum order");

enum header_class header_classify(const char *name, size_t len)
{
    size_t i;

    /* Short table: a linear scan with a length check first is cheap. */
    for (i = 1; i < HDR_CLASS_COUNT; i++) {
        if (strlen(header_names[i].name) == len &&
            strncasecmp(header_names[i].name, name, len) == 0)
            return header_names[i].cls;
    }
    return HDR_OTHER;
}

const char *header_class_name(enum header_class cls)
{
    if ((int)cls < 0 || cls >= HDR_CLASS_COUNT)
        return "";
    return header_names[cls].name;
}

int header_is_address(enum header_class cls)
{
    if ((int)cls < 0 || cls >= HDR_CLASS_COUNT)
        return 0;
    return header_names[cls].address;
}

int header_is_resent(enum header_class cls)
{
    return cls >= HDR_RESENT_FROM && cls <= HDR_RESENT_MESSAGE_ID;
}

int header_line_is_header(const char *line, size_t len, size_t *name_len)
{
    size_t i = 0;
    size_t n;

    while (i < len && header_name_char((unsigned char)line[i]))
        i++;
    n = i;
    if (n == 0)
        return 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i >= len || line[i] != ':')
        return 0;
    if (name_len != NULL)
        *name_len = n;
    return 1;
}
