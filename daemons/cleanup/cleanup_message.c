/*
 * cleanup_message.c - the content of a message: headers through the
 * header parser (drop, count hops, extract recipients, add the missing
 * ones for local submissions), then the body, line by line into content
 * records.
 *
 * Called by cleanup_main.c for each "data" request and at "end". Content
 * is streamed: nothing but the header being assembled is held in memory.
 * Added headers follow Postfix byte for byte (reference/delivered-
 * messages.txt, sections 2-2c): a local submission gets "Received: by"
 * first, and Message-Id, Date, From at the end of the header block, each
 * only when missing; To: is never added. After the first error nothing is
 * written any more: the file is going to be removed.
 */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "cleanup_hooks.h"
#include "conf/conf.h"
#include "mail/mail_date.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

#define CLEANUP_REASON_CONT "5.7.1 Error: content rejected"

/* Acts on what a hook decided; returns 1 when the item is to be written
 * (as received, or as replaced in out), 0 when not. */
static int cleanup_hook_result(struct cleanup_state *state, enum cleanup_action act,
                               struct buf *out)
{
    switch (act) {
    case CLEANUP_ACT_KEEP:
    case CLEANUP_ACT_REPLACE:
        return 1;
    case CLEANUP_ACT_DROP:
        return 0;
    case CLEANUP_ACT_REJECT:
        cleanup_set_error(state, CLEANUP_STAT_CONT,
                          buf_len(out) > 0 ? buf_str(out) : CLEANUP_REASON_CONT);
        return 0;
    case CLEANUP_ACT_HOLD:
        state->flags |= CLEANUP_FLAG_HOLD;
        return 1;
    case CLEANUP_ACT_DISCARD:
        state->discard = 1;
        return 1;
    }
    return 1;
}

/* Writes text (lines separated by "\n", no final "\n") as content lines. */
static void cleanup_put_lines(struct cleanup_state *state, const char *text, size_t len)
{
    const char *end = text + len;

    while (state->status == 0) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        const char *stop = nl ? nl : end;

        if (queue_file_put_line(state->qf, text, (size_t)(stop - text)) < 0)
            cleanup_write_error(state);
        if (nl == NULL)
            break;
        text = nl + 1;
    }
}

static void cleanup_put_header(struct cleanup_state *state, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void cleanup_put_header(struct cleanup_state *state, const char *fmt, ...)
{
    struct buf text = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&text, fmt, ap);
    va_end(ap);
    cleanup_put_lines(state, buf_str(&text), buf_len(&text));
    buf_release(&text);
}

/* Whether message_drop_headers removes this header. */
static int cleanup_drop_header(struct cleanup_state *state, const struct header_view *h)
{
    char name[128];

    if (h->name_len >= sizeof(name))
        return 0; /* longer than any name in the list could be */
    memcpy(name, h->name, h->name_len);
    name[h->name_len] = '\0';
    str_lower(name);
    if (htable_find(cleanup_config.drop_headers, name) == NULL)
        return 0;
    /* sendmail -t may ask to keep Bcc: (CLEANUP_FLAG_BCC_OK). */
    if ((h->cls == HDR_BCC || h->cls == HDR_RESENT_BCC) && (state->flags & CLEANUP_FLAG_BCC_OK))
        return 0;
    return 1;
}

/* The Message-ID value for the log: folds joined, made printable. */
static void cleanup_note_message_id(struct cleanup_state *state, const struct header_view *h)
{
    struct buf tmp = BUF_INIT;
    size_t i, len = h->value_len < 1000 ? h->value_len : 1000;
    char *trimmed;

    for (i = 0; i < len; i++)
        buf_append_char(
            &tmp, h->value[i] == '\n' || h->value[i] == '\t' ? ' ' : (unsigned char)h->value[i]);
    trimmed = str_trim(tmp.data);
    buf_reset(&state->message_id);
    str_printable(&state->message_id, trimmed, strlen(trimmed));
    buf_release(&tmp);
}

static void cleanup_header_cb(void *ctx, const struct header_view *h)
{
    struct cleanup_state *state = ctx;
    struct buf *out = &state->scratch;

    if (state->status)
        return;
    state->headers_seen |= 1UL << h->cls;
    if (header_is_resent(h->cls))
        state->resent = 1;
    if (h->cls == HDR_RECEIVED || h->cls == HDR_DELIVERED_TO) {
        if (++state->hop_count > var_hopcount_limit) {
            msg_info("%s: reject: too many hops: more than %d Received/Delivered-To headers",
                     state->queue_id, var_hopcount_limit);
            cleanup_set_error(state, CLEANUP_STAT_HOPS, CLEANUP_REASON_HOPS);
            return;
        }
    }
    if (h->cls == HDR_MESSAGE_ID && buf_len(&state->message_id) == 0)
        cleanup_note_message_id(state, h);
    if (state->flags & CLEANUP_FLAG_EXTRACT) {
        size_t limit = (size_t)var_header_address_token_limit;

        if (h->cls == HDR_TO || h->cls == HDR_CC || h->cls == HDR_BCC)
            addr_list_parse(&state->extract_plain, h->value, h->value_len, limit);
        else if (h->cls == HDR_RESENT_TO || h->cls == HDR_RESENT_CC || h->cls == HDR_RESENT_BCC)
            addr_list_parse(&state->extract_resent, h->value, h->value_len, limit);
    }
    buf_reset(out);
    {
        enum cleanup_action act = cleanup_hooks.header_check(state, h, out);

        if (!cleanup_hook_result(state, act, out))
            return;
        if (act == CLEANUP_ACT_REPLACE) {
            cleanup_put_lines(state, buf_str(out), buf_len(out));
            return;
        }
    }
    if (cleanup_drop_header(state, h))
        return;
    cleanup_put_lines(state, h->raw, h->raw_len);
}

/* "Full Name <sender>", or just the sender; the null sender is
 * MAILER-DAEMON (as Postfix writes it). */
static void cleanup_from_value(struct cleanup_state *state, struct buf *out)
{
    struct buf name = BUF_INIT;
    const char *cp;
    char *trimmed = name.data;

    if (state->sender[0] == '\0') {
        buf_append_str(out, "MAILER-DAEMON");
        return;
    }
    if (state->full_name != NULL) {
        /* A GECOS field must not smuggle a line break into the header. */
        for (cp = state->full_name; *cp; cp++)
            buf_append_char(&name, (unsigned char)*cp < 0x20 ? ' ' : (unsigned char)*cp);
        trimmed = str_trim(name.data);
    }
    if (trimmed[0] != '\0') {
        addr_quote_phrase(out, trimmed);
        buf_append_str(out, " <");
        addr_quote_external(out, state->sender);
        buf_append_char(out, '>');
    } else {
        addr_quote_external(out, state->sender);
    }
    buf_release(&name);
}

/* Adds Message-Id, Date and From when missing, in that order (the
 * Resent- versions when the message has Resent- headers). */
static void cleanup_add_missing(struct cleanup_state *state)
{
    const char *prefix = state->resent ? "Resent-" : "";
    enum header_class id_cls = state->resent ? HDR_RESENT_MESSAGE_ID : HDR_MESSAGE_ID;
    enum header_class date_cls = state->resent ? HDR_RESENT_DATE : HDR_DATE;
    enum header_class from_cls = state->resent ? HDR_RESENT_FROM : HDR_FROM;
    struct buf val = BUF_INIT;

    if ((state->headers_seen & (1UL << id_cls)) == 0) {
        mail_date_stamp(&val, time(NULL));
        buf_printf(&val, ".%s@%s", state->queue_id, var_myhostname);
        cleanup_put_header(state, "%sMessage-Id: <%s>", prefix, buf_str(&val));
        if (!state->resent) {
            buf_reset(&state->message_id);
            buf_printf(&state->message_id, "<%s>", buf_str(&val));
        }
    }
    if ((state->headers_seen & (1UL << date_cls)) == 0) {
        buf_reset(&val);
        mail_date_format(&val, state->arrival.tv_sec);
        cleanup_put_header(state, "%sDate: %s", prefix, buf_str(&val));
    }
    if ((state->headers_seen & (1UL << from_cls)) == 0) {
        buf_reset(&val);
        cleanup_from_value(state, &val);
        cleanup_put_header(state, "%sFrom: %s", prefix, buf_str(&val));
    }
    buf_release(&val);
}

static void cleanup_end_cb(void *ctx, enum header_end how)
{
    struct cleanup_state *state = ctx;

    if (state->status)
        return;
    if (state->local_headers)
        cleanup_add_missing(state);
    /* Postfix logs the line with an empty ID when there is none. */
    msg_info("%s: message-id=%s", state->queue_id,
             buf_len(&state->message_id) ? buf_str(&state->message_id) : "<>");
    buf_reset(&state->scratch);
    cleanup_hook_result(state, cleanup_hooks.milter_headers(state, &state->scratch),
                        &state->scratch);
    /* The body is set apart by an empty line even when the sender left it
     * out: otherwise its first line would read as a header. */
    if (how != HEADER_END_EOF && state->status == 0 && queue_file_put_line(state->qf, "", 0) < 0)
        cleanup_write_error(state);
}

/* One piece of a body line; line_end when the piece ends the line. */
static void cleanup_body_piece(struct cleanup_state *state, const char *data, size_t len,
                               int line_end)
{
    enum cleanup_action act;
    int ret;

    buf_reset(&state->scratch);
    act = cleanup_hooks.body_check(state, data, len, line_end, &state->scratch);
    if (!cleanup_hook_result(state, act, &state->scratch) || state->status)
        return;
    if (act == CLEANUP_ACT_REPLACE) {
        data = buf_str(&state->scratch);
        len = buf_len(&state->scratch);
        /* A replacement of a whole line may be several lines (PREPEND). */
        if (line_end && memchr(data, '\n', len) != NULL) {
            cleanup_put_lines(state, data, len);
            state->line_open = 0;
            return;
        }
    }
    if (line_end)
        ret = queue_file_put_line(state->qf, data, len);
    else
        ret = queue_file_put_line_part(state->qf, data, len);
    if (ret < 0)
        cleanup_write_error(state);
    state->line_open = !line_end;
}

/*
 * Body bytes: whole lines go out as one record each, whatever the chunk
 * boundaries were, so the queue file does not depend on how the client
 * cut its data. A line longer than line_length_limit goes out in pieces of
 * that size as it arrives, so memory stays bounded.
 */
static void cleanup_body_cb(void *ctx, const char *data, size_t len)
{
    struct cleanup_state *state = ctx;
    const char *end = data + len;
    size_t limit = (size_t)var_line_length_limit;

    while (data < end && state->status == 0) {
        const char *nl = memchr(data, '\n', (size_t)(end - data));
        const char *stop = nl ? nl : end;
        size_t n = (size_t)(stop - data);

        if (buf_len(&state->line) == 0 && nl != NULL) {
            cleanup_body_piece(state, data, n, 1); /* the usual case: no copy */
        } else {
            size_t room = limit > buf_len(&state->line) ? limit - buf_len(&state->line) : 0;

            if (nl == NULL && n >= room) {
                /* The line outgrows the limit: send what fills it. */
                buf_append(&state->line, data, room);
                cleanup_body_piece(state, state->line.data, state->line.len, 0);
                buf_reset(&state->line);
                data += room;
                continue;
            }
            buf_append(&state->line, data, n);
            if (nl == NULL)
                return;
            cleanup_body_piece(state, state->line.data, state->line.len, 1);
            buf_reset(&state->line);
        }
        data = nl + 1;
    }
}

static const struct header_callbacks cleanup_header_callbacks = {
    cleanup_header_cb,
    cleanup_end_cb,
    cleanup_body_cb,
};

/* The uid attribute is a number or nothing: it goes into a header. */
static int cleanup_uid_ok(const char *uid)
{
    long v;

    return uid != NULL && uid[0] != '\0' && strspn(uid, "0123456789") == strlen(uid) &&
           str_to_long(uid, &v) == 0;
}

/* MESG, then the local submission's Received: header. */
static void cleanup_content_begin(struct cleanup_state *state)
{
    struct buf date = BUF_INIT;

    state->phase = CLEANUP_PHASE_CONTENT;
    buf_reset(&state->scratch);
    cleanup_hook_result(state, cleanup_hooks.milter_envelope(state, &state->scratch),
                        &state->scratch);
    if (state->status)
        return;
    if (queue_file_begin_content(state->qf) < 0) {
        cleanup_write_error(state);
        return;
    }
    state->hp = header_parser_new((size_t)var_header_size_limit, &cleanup_header_callbacks, state);
    if ((state->flags & CLEANUP_FLAG_LOCAL) && cleanup_uid_ok(state->uid)) {
        mail_date_format(&date, state->arrival.tv_sec);
        cleanup_put_header(state, "Received: by %s (%s, from userid %s)\n\tid %s; %s",
                           var_myhostname, var_mail_name, state->uid, state->queue_id,
                           buf_str(&date));
    }
    buf_release(&date);
}

void cleanup_content(struct cleanup_state *state, const char *data, size_t len)
{
    if (state->phase != CLEANUP_PHASE_CONTENT)
        cleanup_content_begin(state);
    if (state->status)
        return;
    state->content_bytes += (long)len;
    if (var_message_size_limit > 0 && state->content_bytes > var_message_size_limit) {
        msg_info("%s: reject: message size exceeds message_size_limit (%ld bytes)", state->queue_id,
                 var_message_size_limit);
        cleanup_set_error(state, CLEANUP_STAT_SIZE, CLEANUP_REASON_SIZE);
        return;
    }
    header_parser_feed(state->hp, data, len);
}

void cleanup_content_end(struct cleanup_state *state)
{
    struct addr_list *extract;
    size_t i;

    if (state->phase != CLEANUP_PHASE_CONTENT)
        cleanup_content_begin(state);
    if (state->status)
        return;
    header_parser_finish(state->hp);
    if (state->status)
        return;
    /* A last line without its LF. */
    if (buf_len(&state->line) > 0 || state->line_open)
        cleanup_body_piece(state, state->line.data, state->line.len, 1);
    buf_reset(&state->line);
    if (state->status)
        return;
    if (queue_file_end_content(state->qf) < 0) {
        cleanup_write_error(state);
        return;
    }
    if (state->flags & CLEANUP_FLAG_EXTRACT) {
        /* Resent- recipients replace the others when present. */
        extract = (state->headers_seen &
                   ((1UL << HDR_RESENT_TO) | (1UL << HDR_RESENT_CC) | (1UL << HDR_RESENT_BCC)))
                      ? &state->extract_resent
                      : &state->extract_plain;
        for (i = 0; i < extract->count && state->status == 0; i++) {
            if (extract->items[i].addr[0] != '\0')
                cleanup_add_recipient(state, extract->items[i].addr, "", 0);
        }
    }
    buf_reset(&state->scratch);
    cleanup_hook_result(state, cleanup_hooks.milter_end(state, &state->scratch), &state->scratch);
}
