/*
 * queue_rec.c - queue file records: header codec, order rules and the
 * fixed-format record parsers (see queue_rec.h for the layout).
 *
 * Shared by the writer and the reader so that both apply one set of rules.
 * Every check is on bytes from a file that may be corrupt or hostile: no
 * parser here trusts a length, reads past len, or accepts a value it would
 * have to guess the meaning of.
 */
#include <stdio.h>
#include <string.h>

#include "mail/queue_rec.h"
#include "util/str.h"

/* Bits of queue_rec_check.seen: records allowed at most once. */
#define SEEN_TIME   0x01
#define SEEN_CTIME  0x02
#define SEEN_SENDER 0x04
#define SEEN_ENVID  0x08
#define SEEN_RET    0x10
#define SEEN_WARN   0x20
#define SEEN_FILTER 0x40
#define SEEN_VERP   0x80

/* Bits of queue_rec_check.pending. */
#define PENDING_ORCPT  0x1
#define PENDING_NOTIFY 0x2

#define QUEUE_VARINT_MAX_BYTES (QUEUE_REC_HDR_MAX - 1)
#define QUEUE_USEC_LIMIT       1000000L

static const struct queue_rec_name_map {
    int type;
    const char *name;
} queue_rec_names[] = {
    {QUEUE_REC_VERSION, "queue_file_version"}, {QUEUE_REC_SIZE, "message_size"},
    {QUEUE_REC_TIME, "message_arrival_time"},  {QUEUE_REC_CTIME, "create_time"},
    {QUEUE_REC_ATTR, "named_attribute"},       {QUEUE_REC_SENDER, "sender"},
    {QUEUE_REC_ORCPT, "original_recipient"},   {QUEUE_REC_RCPT, "recipient"},
    {QUEUE_REC_DONE, "done_recipient"},        {QUEUE_REC_DSN_NOTIFY, "dsn_notify_flags"},
    {QUEUE_REC_DSN_ENVID, "dsn_envelope_id"},  {QUEUE_REC_DSN_RET, "dsn_return_flags"},
    {QUEUE_REC_WARN, "warning_message_time"},  {QUEUE_REC_FILTER, "content_filter"},
    {QUEUE_REC_VERP, "verp_delimiters"},       {QUEUE_REC_MESG, "message_content"},
    {QUEUE_REC_NORM, "regular_text"},          {QUEUE_REC_CONT, "unterminated_text"},
    {QUEUE_REC_XTRA, "extracted_info"},        {QUEUE_REC_END, "message_end"},
};

const char *queue_rec_name(int type)
{
    size_t i;

    for (i = 0; i < sizeof(queue_rec_names) / sizeof(queue_rec_names[0]); i++)
        if (queue_rec_names[i].type == type)
            return queue_rec_names[i].name;
    return NULL;
}

size_t queue_rec_put_header(unsigned char *out, int type, size_t len)
{
    size_t n = 0;

    out[n++] = (unsigned char)type;
    do {
        unsigned char byte = len & 0x7f;

        len >>= 7;
        out[n++] = byte | (len ? 0x80 : 0);
    } while (len && n < QUEUE_REC_HDR_MAX);
    return n;
}

void queue_rec_append(struct buf *out, int type, const void *data, size_t len)
{
    unsigned char hdr[QUEUE_REC_HDR_MAX];

    buf_append(out, hdr, queue_rec_put_header(hdr, type, len));
    buf_append(out, data, len);
}

enum queue_rec_hdr_status queue_rec_get_header(const unsigned char *p, size_t avail, size_t max_len,
                                               int *type, size_t *len, size_t *hdr_len,
                                               struct buf *why)
{
    size_t value = 0, i;
    unsigned shift = 0;

    if (avail < 1)
        return QUEUE_HDR_SHORT;
    if (queue_rec_name(p[0]) == NULL) {
        buf_printf(why, "unknown record type 0x%02x", p[0]);
        return QUEUE_HDR_BAD;
    }
    for (i = 1; i <= QUEUE_VARINT_MAX_BYTES; i++, shift += 7) {
        if (i >= avail)
            return QUEUE_HDR_SHORT;
        value |= (size_t)(p[i] & 0x7f) << shift;
        if (value > max_len) {
            buf_printf(why, "record length exceeds the limit of %zu bytes", max_len);
            return QUEUE_HDR_BAD;
        }
        if ((p[i] & 0x80) == 0) {
            /* A last byte of zero after the first adds nothing: there is
             * exactly one encoding of each length. */
            if (i > 1 && p[i] == 0) {
                buf_set(why, "malformed record length (superfluous zero byte)");
                return QUEUE_HDR_BAD;
            }
            *type = p[0];
            *len = value;
            *hdr_len = i + 1;
            return QUEUE_HDR_OK;
        }
    }
    buf_set(why, "malformed record length (too many bytes)");
    return QUEUE_HDR_BAD;
}

/* One right-aligned "%15ld" field, value >= 0. */
static int queue_field_parse(const char *p, long *out)
{
    size_t i = 0;
    long value = 0;

    while (i < QUEUE_TIME_WIDTH && p[i] == ' ')
        i++;
    if (i == QUEUE_TIME_WIDTH)
        return -1;
    for (; i < QUEUE_TIME_WIDTH; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        value = value * 10 + (p[i] - '0'); /* 15 digits cannot overflow a 64-bit long */
    }
    *out = value;
    return 0;
}

int queue_size_parse(const char *data, size_t len, struct queue_size *size, struct buf *why)
{
    long v[QUEUE_SIZE_FIELDS];
    size_t i;

    if (len != QUEUE_SIZE_DATA_LEN) {
        buf_printf(why, "SIZE record has %zu bytes, not %d", len, QUEUE_SIZE_DATA_LEN);
        return -1;
    }
    for (i = 0; i < QUEUE_SIZE_FIELDS; i++) {
        const char *p = data + i * (QUEUE_TIME_WIDTH + 1);

        if ((i > 0 && p[-1] != ' ') || queue_field_parse(p, &v[i]) < 0) {
            buf_printf(why, "malformed SIZE record field %zu", i + 1);
            return -1;
        }
    }
    size->content_size = v[0];
    size->content_offset = v[1];
    size->rcpt_count = v[2];
    size->qmgr_flags = v[3];
    size->content_length = v[4];
    size->smtputf8 = v[5];
    return 0;
}

int queue_time_parse(const char *data, size_t len, struct timeval *tv, struct buf *why)
{
    long sec = 0, usec = 0;
    size_t i = 0, digits;

    for (digits = 0; i < len && data[i] >= '0' && data[i] <= '9'; i++, digits++)
        if (digits < QUEUE_TIME_WIDTH)
            sec = sec * 10 + (data[i] - '0');
    if (digits == 0 || digits > QUEUE_TIME_WIDTH || i >= len || data[i++] != ' ')
        goto bad;
    for (digits = 0; i < len && data[i] >= '0' && data[i] <= '9'; i++, digits++)
        if (digits < 6)
            usec = usec * 10 + (data[i] - '0');
    if (digits == 0 || digits > 6 || i != len || usec >= QUEUE_USEC_LIMIT)
        goto bad;
    tv->tv_sec = sec;
    tv->tv_usec = usec;
    return 0;
bad:
    buf_set(why, "malformed time (expected \"seconds microseconds\")");
    return -1;
}

int queue_warn_parse(const char *data, size_t len, long *when, struct buf *why)
{
    if (len != QUEUE_TIME_WIDTH || queue_field_parse(data, when) < 0) {
        buf_printf(why, "malformed warning time (expected %d-column number)", QUEUE_TIME_WIDTH);
        return -1;
    }
    return 0;
}

void queue_size_format(struct buf *out, const struct queue_size *s)
{
    buf_reset(out);
    buf_printf(out, "%15ld %15ld %15ld %15ld %15ld %15ld", s->content_size, s->content_offset,
               s->rcpt_count, s->qmgr_flags, s->content_length, s->smtputf8);
}

void queue_time_format(struct buf *out, const struct timeval *tv)
{
    buf_reset(out);
    buf_printf(out, "%ld %ld", (long)tv->tv_sec, (long)tv->tv_usec);
}

void queue_warn_format(struct buf *out, long when)
{
    buf_reset(out);
    buf_printf(out, "%15ld", when);
}

void queue_rec_check_init(struct queue_rec_check *check, int writer)
{
    memset(check, 0, sizeof(*check));
    check->section = QUEUE_SECTION_VERSION;
    check->writer = writer;
}

/* Envelope text: no NUL and no line break (they would end up in log lines
 * and SMTP commands); empty only where allowed. */
static int queue_text_ok(const char *data, size_t len, int allow_empty)
{
    if (len == 0)
        return allow_empty;
    return memchr(data, '\0', len) == NULL && memchr(data, '\n', len) == NULL &&
           memchr(data, '\r', len) == NULL;
}

/* A small decimal number without sign or leading zero. */
static int queue_small_parse(const char *data, size_t len, long *out)
{
    long v = 0;
    size_t i;

    if (len == 0 || len > 4 || (len > 1 && data[0] == '0'))
        return -1;
    for (i = 0; i < len; i++) {
        if (data[i] < '0' || data[i] > '9')
            return -1;
        v = v * 10 + (data[i] - '0');
    }
    *out = v;
    return 0;
}

/* The data rules of each record type, wherever it appears. */
static int queue_rec_check_data(struct queue_rec_check *c, int type, const char *data, size_t len,
                                struct buf *why)
{
    const char *eq;
    struct timeval tv;
    long v;

    switch (type) {
    case QUEUE_REC_VERSION:
        if (len <= strlen(QUEUE_FILE_VERSION_PREFIX) ||
            memcmp(data, QUEUE_FILE_VERSION_PREFIX, strlen(QUEUE_FILE_VERSION_PREFIX)) != 0 ||
            queue_small_parse(data + strlen(QUEUE_FILE_VERSION_PREFIX),
                              len - strlen(QUEUE_FILE_VERSION_PREFIX), &v) < 0) {
            buf_set(why, "malformed VERSION record");
            return -1;
        }
        if (v < 1 || v > QUEUE_FILE_VERSION) {
            buf_printf(why, "unsupported queue file version %ld", v);
            return -1;
        }
        c->version = (int)v;
        return 0;
    case QUEUE_REC_SIZE:
        return queue_size_parse(data, len, &c->size, why);
    case QUEUE_REC_TIME:
    case QUEUE_REC_CTIME:
        return queue_time_parse(data, len, &tv, why);
    case QUEUE_REC_WARN:
        return queue_warn_parse(data, len, &v, why);
    case QUEUE_REC_ATTR:
        eq = memchr(data, '=', len);
        if (eq == NULL || eq == data || !queue_text_ok(data, len, 0) ||
            memchr(data, ' ', (size_t)(eq - data)) != NULL) {
            buf_set(why, "malformed named attribute (expected name=value)");
            return -1;
        }
        return 0;
    case QUEUE_REC_DSN_NOTIFY:
        if (queue_small_parse(data, len, &v) < 0 || v < 1 || v > 15 ||
            ((v & QUEUE_DSN_NOTIFY_NEVER) && v != QUEUE_DSN_NOTIFY_NEVER)) {
            buf_set(why, "malformed DSN NOTIFY flags");
            return -1;
        }
        return 0;
    case QUEUE_REC_DSN_RET:
        if (queue_small_parse(data, len, &v) < 0 ||
            (v != QUEUE_DSN_RET_FULL && v != QUEUE_DSN_RET_HDRS)) {
            buf_set(why, "malformed DSN RET flags");
            return -1;
        }
        return 0;
    case QUEUE_REC_VERP:
        if (len != 2 || !queue_text_ok(data, len, 0)) {
            buf_set(why, "malformed VERP delimiters (expected two characters)");
            return -1;
        }
        return 0;
    case QUEUE_REC_SENDER:
    case QUEUE_REC_ORCPT:
    case QUEUE_REC_RCPT:
    case QUEUE_REC_DONE:
    case QUEUE_REC_DSN_ENVID:
    case QUEUE_REC_FILTER:
        /* The null sender and an unknown original recipient are empty. */
        if (!queue_text_ok(data, len, type == QUEUE_REC_SENDER || type == QUEUE_REC_ORCPT)) {
            buf_printf(why, "malformed %s record (%s)", queue_rec_name(type),
                       len ? "NUL or line break in the data" : "empty");
            return -1;
        }
        return 0;
    case QUEUE_REC_MESG:
    case QUEUE_REC_XTRA:
    case QUEUE_REC_END:
        if (len != 0) {
            buf_printf(why, "%s record with data", queue_rec_name(type));
            return -1;
        }
        return 0;
    default: /* NORM and CONT hold any bytes */
        return 0;
    }
}

/* Once-only records of the envelope: the bit for type, or 0. */
static unsigned queue_rec_once_bit(int type)
{
    switch (type) {
    case QUEUE_REC_TIME:
        return SEEN_TIME;
    case QUEUE_REC_CTIME:
        return SEEN_CTIME;
    case QUEUE_REC_SENDER:
        return SEEN_SENDER;
    case QUEUE_REC_DSN_ENVID:
        return SEEN_ENVID;
    case QUEUE_REC_DSN_RET:
        return SEEN_RET;
    case QUEUE_REC_WARN:
        return SEEN_WARN;
    case QUEUE_REC_FILTER:
        return SEEN_FILTER;
    case QUEUE_REC_VERP:
        return SEEN_VERP;
    default:
        return 0;
    }
}

/* ORCPT, DSN_NOTIFY, RCPT and DONE, in the envelope or extracted section. */
static int queue_rec_check_rcpt(struct queue_rec_check *c, int type, struct buf *why)
{
    unsigned bit = type == QUEUE_REC_ORCPT ? PENDING_ORCPT : PENDING_NOTIFY;

    if (!(c->seen & SEEN_SENDER)) {
        buf_printf(why, "%s record before the sender record", queue_rec_name(type));
        return -1;
    }
    if (type == QUEUE_REC_RCPT || type == QUEUE_REC_DONE) {
        c->pending = 0;
        c->rcpt_count++;
        return 0;
    }
    if (c->pending & bit) {
        buf_printf(why, "two %s records for one recipient", queue_rec_name(type));
        return -1;
    }
    c->pending |= bit;
    return 0;
}

/* A record that ends a recipient list must not leave ORCPT/NOTIFY dangling. */
static int queue_rec_check_pending(const struct queue_rec_check *c, struct buf *why)
{
    if (c->pending) {
        buf_printf(
            why, "%s record without its recipient record",
            queue_rec_name((c->pending & PENDING_ORCPT) ? QUEUE_REC_ORCPT : QUEUE_REC_DSN_NOTIFY));
        return -1;
    }
    return 0;
}

static int queue_rec_check_envelope(struct queue_rec_check *c, int type, off_t next,
                                    struct buf *why)
{
    unsigned bit;

    switch (type) {
    case QUEUE_REC_ATTR:
        return 0;
    case QUEUE_REC_ORCPT:
    case QUEUE_REC_DSN_NOTIFY:
    case QUEUE_REC_RCPT:
    case QUEUE_REC_DONE:
        return queue_rec_check_rcpt(c, type, why);
    case QUEUE_REC_MESG:
        if ((c->seen & (SEEN_TIME | SEEN_SENDER)) != (SEEN_TIME | SEEN_SENDER)) {
            buf_printf(why, "message content before the %s record",
                       (c->seen & SEEN_TIME) ? "sender" : "arrival time");
            return -1;
        }
        if (queue_rec_check_pending(c, why) < 0)
            return -1;
        if (!c->writer && c->size.content_offset != (long)next) {
            buf_printf(why, "content starts at offset %ld, SIZE record says %ld", (long)next,
                       c->size.content_offset);
            return -1;
        }
        c->content_start = next;
        c->section = QUEUE_SECTION_CONTENT;
        return 0;
    default:
        if ((bit = queue_rec_once_bit(type)) == 0) {
            buf_printf(why, "%s record in the envelope", queue_rec_name(type));
            return -1;
        }
        if (c->seen & bit) {
            buf_printf(why, "duplicate %s record", queue_rec_name(type));
            return -1;
        }
        c->seen |= bit;
        return 0;
    }
}

int queue_rec_check(struct queue_rec_check *c, int type, const char *data, size_t len, off_t offset,
                    off_t next, struct buf *why)
{
    if (queue_rec_name(type) == NULL) {
        buf_printf(why, "unknown record type 0x%02x", (unsigned)type & 0xff);
        return -1;
    }
    switch (c->section) {
    case QUEUE_SECTION_VERSION:
        if (type != QUEUE_REC_VERSION) {
            buf_printf(why, "missing VERSION record (the file starts with %s)",
                       queue_rec_name(type));
            return -1;
        }
        if (queue_rec_check_data(c, type, data, len, why) < 0)
            return -1;
        c->section = QUEUE_SECTION_SIZE;
        return 0;
    case QUEUE_SECTION_SIZE:
        if (type != QUEUE_REC_SIZE) {
            buf_printf(why, "missing SIZE record (found %s)", queue_rec_name(type));
            return -1;
        }
        if (queue_rec_check_data(c, type, data, len, why) < 0)
            return -1;
        c->section = QUEUE_SECTION_ENVELOPE;
        return 0;
    case QUEUE_SECTION_DONE:
        buf_printf(why, "%s record after the END record", queue_rec_name(type));
        return -1;
    default:
        break;
    }
    if (queue_rec_check_data(c, type, data, len, why) < 0)
        return -1;
    if (type == QUEUE_REC_VERSION || type == QUEUE_REC_SIZE) {
        buf_printf(why, "duplicate %s record", queue_rec_name(type));
        return -1;
    }
    switch (c->section) {
    case QUEUE_SECTION_ENVELOPE:
        return queue_rec_check_envelope(c, type, next, why);
    case QUEUE_SECTION_CONTENT:
        if (type == QUEUE_REC_NORM || type == QUEUE_REC_CONT) {
            c->text_open = type == QUEUE_REC_CONT;
            c->content_len += (long)len + (type == QUEUE_REC_NORM);
            return 0;
        }
        if (type != QUEUE_REC_XTRA) {
            buf_printf(why, "%s record inside the message content", queue_rec_name(type));
            return -1;
        }
        if (c->text_open) {
            buf_set(why, "unterminated text line at the end of the content");
            return -1;
        }
        if (!c->writer && (c->size.content_size != (long)(offset - c->content_start) ||
                           c->size.content_length != c->content_len)) {
            buf_printf(why,
                       "content length %ld and record bytes %ld do not match the SIZE record "
                       "(length %ld, size %ld)",
                       c->content_len, (long)(offset - c->content_start), c->size.content_length,
                       c->size.content_size);
            return -1;
        }
        c->section = QUEUE_SECTION_EXTRACTED;
        return 0;
    case QUEUE_SECTION_EXTRACTED:
        switch (type) {
        case QUEUE_REC_ATTR:
            return 0;
        case QUEUE_REC_ORCPT:
        case QUEUE_REC_DSN_NOTIFY:
        case QUEUE_REC_RCPT:
        case QUEUE_REC_DONE:
            return queue_rec_check_rcpt(c, type, why);
        case QUEUE_REC_END:
            if (queue_rec_check_pending(c, why) < 0)
                return -1;
            if (!c->writer && c->size.rcpt_count != c->rcpt_count) {
                buf_printf(why, "recipient count %ld does not match the SIZE record (%ld)",
                           c->rcpt_count, c->size.rcpt_count);
                return -1;
            }
            c->section = QUEUE_SECTION_DONE;
            return 0;
        default:
            buf_printf(why, "%s record after the message content", queue_rec_name(type));
            return -1;
        }
    default:
        buf_set(why, "internal error: bad section");
        return -1;
    }
}

void queue_rec_dump(struct buf *out, off_t offset, int type, const char *data, size_t len)
{
    const char *name = queue_rec_name(type);

    buf_printf(out, "%ld ", (long)offset);
    if (name)
        buf_append_str(out, name);
    else
        buf_printf(out, "type_0x%02x", (unsigned)type & 0xff);
    if (len > 0) {
        buf_append_char(out, ' ');
        str_printable(out, data, len);
    }
    buf_append_char(out, '\n');
}
