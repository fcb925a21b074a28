/*
 * cleanup_hooks.c - the hooks of cleanup (see cleanup_hooks.h): address
 * rewriting (lib/mail/rewrite.h: canonical maps, masquerading, @$myorigin),
 * virtual alias expansion, header rewriting, header_checks and
 * body_checks (lib/mail/header_checks.h).
 *
 * cleanup_hooks_init() opens every table once per process (post_init);
 * before it runs (unit tests of cleanup) the hooks do only the lookup-free
 * part. Hooks never write to the queue file except through the cleanup
 * functions that own it (cleanup_add_recipient, queue_file_put at the
 * end), and a table's temporary error always defers the message, never
 * passes it unrewritten.
 */
#include <string.h>

#include "cleanup.h"
#include "cleanup_hooks.h"
#include "conf/conf.h"
#include "mail/header_checks.h"
#include "mail/rewrite.h"
#include "util/mem.h"
#include "util/msg.h"

#define CLEANUP_REASON_LOOKUP "4.3.0 Error: temporary lookup failure"
/* Named attribute that carries a FILTER action (see cleanup_end_actions). */
#define CLEANUP_ATTR_CONTENT_FILTER "content_filter"
/* Named attribute that carries a REDIRECT action (qmgr must honour it). */
#define CLEANUP_ATTR_REDIRECT "redirect_to"

static struct rewrite_config cleanup_rw;
static struct hc_tables cleanup_hdr_checks, cleanup_mime_checks, cleanup_nested_checks;
static struct hc_tables cleanup_body_checks;
static int cleanup_hooks_ready;

void cleanup_rewrite_default(struct cleanup_state *state, enum cleanup_addr_class cls,
                             struct buf *addr)
{
    const char *at;

    (void)state;
    if (cls != CLEANUP_ADDR_ENV_SENDER && cls != CLEANUP_ADDR_ENV_RCPT)
        return;
    if (buf_len(addr) == 0)
        return; /* the null sender stays null */
    at = strrchr(buf_str(addr), '@');
    if (at == NULL) {
        if (var_append_at_myorigin && var_myorigin[0] != '\0')
            buf_printf(addr, "@%s", var_myorigin);
        return;
    }
    /* user@host: a domain without a dot gets .$mydomain (RFC 5321 wants
     * fully qualified names); a domain literal never does. */
    if (var_append_dot_mydomain && at[1] != '\0' && at[1] != '[' && strchr(at + 1, '.') == NULL &&
        var_mydomain[0] != '\0')
        buf_printf(addr, ".%s", var_mydomain);
}

static int cleanup_rw_class(enum cleanup_addr_class cls)
{
    switch (cls) {
    case CLEANUP_ADDR_ENV_SENDER:
        return REWRITE_ENV_SENDER;
    case CLEANUP_ADDR_ENV_RCPT:
        return REWRITE_ENV_RCPT;
    case CLEANUP_ADDR_HDR_SENDER:
        return REWRITE_HDR_SENDER;
    case CLEANUP_ADDR_HDR_RCPT:
        return REWRITE_HDR_RCPT;
    }
    return 0;
}

/*
 * Header addresses of remote mail are rewritten only with
 * remote_header_rewrite_domain set (smtpd says "remote" for clients not in
 * local_header_rewrite_clients); returns 0 when they are left alone, else
 * the domain for incomplete addresses in *domain.
 */
static int cleanup_header_context(const struct cleanup_state *state, const char **domain,
                                  int *append)
{
    if (state->rewrite_context != NULL && strcmp(state->rewrite_context, "remote") == 0) {
        if (var_remote_header_rewrite_domain[0] == '\0')
            return 0;
        *domain = var_remote_header_rewrite_domain;
        *append = 1;
        return 1;
    }
    *domain = var_myorigin;
    *append = var_append_at_myorigin;
    return 1;
}

static void cleanup_rewrite_tables(struct cleanup_state *state, enum cleanup_addr_class cls,
                                   struct buf *addr)
{
    const char *domain = var_myorigin;
    int append = var_append_at_myorigin;

    if (!cleanup_hooks_ready) {
        cleanup_rewrite_default(state, cls, addr);
        return;
    }
    if ((cls == CLEANUP_ADDR_HDR_SENDER || cls == CLEANUP_ADDR_HDR_RCPT) &&
        !cleanup_header_context(state, &domain, &append))
        return;
    if (rewrite_address(&cleanup_rw, cleanup_rw_class(cls), addr, domain, append) < 0) {
        msg_warn("%s: %s lookup error for %.100s", state->queue_id, "canonical_maps",
                 buf_str(addr));
        cleanup_set_error(state, CLEANUP_STAT_DEFER, CLEANUP_REASON_LOOKUP);
    }
}

static size_t cleanup_expand_virtual(struct cleanup_state *state, const char *addr,
                                     struct addr_list *out)
{
    struct buf err = BUF_INIT;
    long n;

    if (state->first_rcpt == NULL)
        state->first_rcpt = mem_strdup(addr);
    if (!cleanup_hooks_ready || cleanup_rw.virtual_alias.count == 0)
        return 0;
    n = rewrite_virtual_expand(&cleanup_rw, addr, out, &err);
    if (n < 0) {
        msg_warn("%s: %s", state->queue_id, buf_str(&err));
        cleanup_set_error(state, CLEANUP_STAT_DEFER, CLEANUP_REASON_LOOKUP);
        buf_release(&err);
        return 0;
    }
    buf_release(&err);
    return (size_t)n;
}

static void cleanup_origin(const struct cleanup_state *state, struct hc_origin *o)
{
    o->client_name = state->client_name;
    o->client_address = state->client_address;
    o->sender = state->sender;
    o->recipient = state->first_rcpt;
    o->protocol = state->protocol_name;
    o->helo = state->helo_name;
}

/* Logs the action (as "ID: warning: header ..."). */
static void cleanup_act_log(const struct cleanup_state *state, const char *action,
                            const char *where, const char *line, size_t len, const char *info,
                            size_t info_len)
{
    struct buf text = BUF_INIT;
    struct hc_origin o;

    cleanup_origin(state, &o);
    hc_log_format(&text, state->queue_id, action, where, line, len, &o, info, info_len);
    msg_info("%s", buf_str(&text));
    buf_release(&text);
}

/*
 * Looks line up in tables and applies what the action says to the
 * message as a whole; returns what happens to the line itself. For
 * REPLACE out holds the new text; for PREPEND out holds the text to put
 * before the line, *prepend is set and the line is kept.
 */
static enum cleanup_action cleanup_check(struct cleanup_state *state, const struct hc_tables *t,
                                         const char *where, const char *line, size_t len,
                                         struct buf *out, int *prepend)
{
    struct buf key = BUF_INIT;
    struct hc_action act;
    const char *value;
    enum cleanup_action ret = CLEANUP_ACT_KEEP;
    int r;

    /* Patterns see the unfolded text of one line as a C string. */
    buf_append(&key, line, len);
    r = hc_lookup(t, buf_str(&key), &value);
    if (r == DICT_ERROR) {
        msg_warn("%s: %s_checks lookup error", state->queue_id, where);
        cleanup_set_error(state, CLEANUP_STAT_DEFER, CLEANUP_REASON_LOOKUP);
        buf_release(&key);
        return CLEANUP_ACT_KEEP;
    }
    if (r != DICT_FOUND) {
        buf_release(&key);
        return CLEANUP_ACT_KEEP;
    }
    if (hc_action_parse(value, &act) < 0) {
        msg_warn("%s: unknown %s_checks action: \"%.100s\"", state->queue_id, where, value);
        buf_release(&key);
        return CLEANUP_ACT_KEEP;
    }
    switch (act.type) {
    case HC_DUNNO:
    case HC_OK:
        break;
    case HC_WARN:
    case HC_INFO:
        cleanup_act_log(state, act.name, where, line, len, act.text, act.text_len);
        break;
    case HC_REJECT:
        hc_reject_text(out, &act);
        cleanup_act_log(state, "reject", where, line, len, buf_str(out), buf_len(out));
        ret = CLEANUP_ACT_REJECT;
        break;
    case HC_IGNORE:
        ret = CLEANUP_ACT_DROP;
        break;
    case HC_REPLACE:
        cleanup_act_log(state, "replace", where, line, len, act.text, act.text_len);
        buf_reset(out);
        buf_append(out, act.text, act.text_len);
        ret = CLEANUP_ACT_REPLACE;
        break;
    case HC_PREPEND:
        cleanup_act_log(state, "prepend", where, line, len, act.text, act.text_len);
        buf_reset(out);
        buf_append(out, act.text, act.text_len);
        *prepend = 1;
        break;
    case HC_HOLD:
        cleanup_act_log(state, "hold", where, line, len, act.text, act.text_len);
        ret = CLEANUP_ACT_HOLD;
        break;
    case HC_DISCARD:
        cleanup_act_log(state, "discard", where, line, len, act.text, act.text_len);
        ret = CLEANUP_ACT_DISCARD;
        break;
    case HC_BCC: {
        struct buf tmp = BUF_INIT;

        cleanup_act_log(state, "bcc", where, line, len, act.text, act.text_len);
        buf_append(&tmp, act.text, act.text_len);
        addr_list_parse(&state->bcc, buf_str(&tmp), buf_len(&tmp), 0);
        buf_release(&tmp);
        break;
    }
    case HC_REDIRECT:
        /* The recipients are already in the envelope: the address is
         * recorded for qmgr (cleanup_end_actions), the last one wins. */
        cleanup_act_log(state, "redirect", where, line, len, act.text, act.text_len);
        mem_free(state->redirect);
        state->redirect = mem_strndup(act.text, act.text_len);
        break;
    case HC_FILTER:
        cleanup_act_log(state, "filter", where, line, len, act.text, act.text_len);
        mem_free(state->filter);
        state->filter = mem_strndup(act.text, act.text_len);
        break;
    }
    buf_release(&key);
    return ret;
}

static int cleanup_header_addr_class(enum header_class cls)
{
    switch (cls) {
    case HDR_FROM:
    case HDR_SENDER:
    case HDR_RESENT_FROM:
    case HDR_RESENT_SENDER:
        return CLEANUP_ADDR_HDR_SENDER;
    case HDR_TO:
    case HDR_CC:
    case HDR_BCC:
    case HDR_REPLY_TO:
    case HDR_RESENT_TO:
    case HDR_RESENT_CC:
    case HDR_RESENT_BCC:
    case HDR_RESENT_REPLY_TO:
    case HDR_RETURN_RECEIPT_TO:
    case HDR_ERRORS_TO:
    case HDR_APPARENTLY_TO:
    case HDR_DISPOSITION_NOTIFICATION_TO:
        return CLEANUP_ADDR_HDR_RCPT;
    default:
        return -1;
    }
}

/* Rewrites the addresses of an address header into out; 1 when changed. */
static int cleanup_rewrite_header(struct cleanup_state *state, const char *raw, size_t raw_len,
                                  const struct header_view *h, struct buf *out)
{
    int cls = cleanup_header_addr_class(h->cls);
    const char *domain, *colon;
    struct buf value = BUF_INIT;
    int append;
    long n;

    if (cls < 0 || !cleanup_header_context(state, &domain, &append))
        return 0;
    colon = memchr(raw, ':', raw_len);
    if (colon == NULL)
        return 0;
    n = rewrite_header_value(&cleanup_rw, cleanup_rw_class((enum cleanup_addr_class)cls), colon + 1,
                             raw_len - (size_t)(colon + 1 - raw), &value, domain, append);
    if (n < 0) {
        msg_warn("%s: canonical_maps lookup error in a header", state->queue_id);
        cleanup_set_error(state, CLEANUP_STAT_DEFER, CLEANUP_REASON_LOOKUP);
        buf_release(&value);
        return 0;
    }
    if (n > 0) {
        buf_reset(out);
        buf_append(out, raw, (size_t)(colon + 1 - raw));
        buf_append(out, buf_str(&value), buf_len(&value));
    }
    buf_release(&value);
    return n > 0;
}

static enum cleanup_action cleanup_header_tables(struct cleanup_state *state,
                                                 const struct header_view *h, struct buf *out)
{
    enum cleanup_action act = CLEANUP_ACT_KEEP;
    struct buf prefix = BUF_INIT, rewritten = BUF_INIT;
    size_t len = h->raw_len;
    int prepend = 0, changed;

    if (!cleanup_hooks_ready)
        return CLEANUP_ACT_KEEP;
    /* The primary Content-Type says how to read the body (MIME checks). */
    if (h->cls == HDR_CONTENT_TYPE &&
        (cleanup_mime_checks.count > 0 || cleanup_nested_checks.count > 0)) {
        if (state->mime == NULL)
            state->mime = mime_scan_new((size_t)var_mime_nesting_limit);
        mime_scan_content_type(state->mime, h->value, h->value_len);
    }
    /* The raw header without its last newline (the parser may keep it). */
    while (len > 0 && (h->raw[len - 1] == '\n' || h->raw[len - 1] == '\r'))
        len--;
    if (cleanup_hdr_checks.count > 0) {
        act = cleanup_check(state, &cleanup_hdr_checks, "header", h->raw, len, out, &prepend);
        if (act == CLEANUP_ACT_DROP || act == CLEANUP_ACT_REJECT || act == CLEANUP_ACT_REPLACE)
            return act;
        if (prepend)
            buf_set(&prefix, buf_str(out));
    }
    /* HOLD and DISCARD act on the message: their effect is recorded here,
     * so that the header itself can still be rewritten or prepended to. */
    if (act == CLEANUP_ACT_HOLD)
        state->flags |= CLEANUP_FLAG_HOLD;
    else if (act == CLEANUP_ACT_DISCARD)
        state->discard = 1;
    act = CLEANUP_ACT_KEEP;
    changed = state->status == 0 && cleanup_rewrite_header(state, h->raw, len, h, &rewritten);
    if (prepend || changed) {
        buf_reset(out);
        if (prepend) {
            buf_append(out, buf_str(&prefix), buf_len(&prefix));
            buf_append_char(out, '\n');
        }
        if (changed)
            buf_append(out, buf_str(&rewritten), buf_len(&rewritten));
        else
            buf_append(out, h->raw, len);
        act = CLEANUP_ACT_REPLACE;
    }
    buf_release(&prefix);
    buf_release(&rewritten);
    return act;
}

/* One body line (or MIME header line) through tables: PREPEND becomes a
 * replacement of the line by the text and the line (whole lines only: a
 * piece of an over-long line cannot have a line put before it). */
static enum cleanup_action cleanup_body_check(struct cleanup_state *state,
                                              const struct hc_tables *tables, const char *where,
                                              const char *data, size_t len, int line_end,
                                              struct buf *out)
{
    int prepend = 0;
    enum cleanup_action act = cleanup_check(state, tables, where, data, len, out, &prepend);

    if (prepend && line_end) {
        buf_append_char(out, '\n');
        buf_append(out, data, len);
        return CLEANUP_ACT_REPLACE;
    }
    return act;
}

static enum cleanup_action cleanup_body_tables(struct cleanup_state *state, const char *data,
                                               size_t len, int line_end, struct buf *out)
{
    const struct hc_tables *tables = &cleanup_body_checks;
    const char *where = "body";

    if (!cleanup_hooks_ready)
        return CLEANUP_ACT_KEEP;
    /* MIME part headers and attached messages' headers have their own
     * tables (a piece of an over-long line is always body). */
    if (state->mime != NULL && line_end) {
        switch (mime_scan_line(state->mime, data, len)) {
        case MIME_LINE_BODY:
            break;
        case MIME_LINE_BOUNDARY:
            return CLEANUP_ACT_KEEP;
        case MIME_LINE_MIME_HEADER:
            tables = &cleanup_mime_checks;
            where = "header";
            break;
        case MIME_LINE_NESTED_HEADER:
            tables = &cleanup_nested_checks;
            where = "header";
            break;
        }
    }
    if (tables->count == 0)
        return CLEANUP_ACT_KEEP;
    if (tables != &cleanup_body_checks)
        return cleanup_body_check(state, tables, where, data, len, line_end, out);
    /* body_checks_size_limit: only the first bytes of the body are looked
     * at (counted here: content_bytes runs ahead by a whole chunk). */
    if (state->body_bytes >= var_body_checks_size_limit)
        return CLEANUP_ACT_KEEP;
    state->body_bytes += (long)len + (line_end ? 1 : 0);
    return cleanup_body_check(state, tables, where, data, len, line_end, out);
}

static enum cleanup_action cleanup_milter_none(struct cleanup_state *state, struct buf *out)
{
    (void)state;
    (void)out;
    return CLEANUP_ACT_KEEP;
}

/* End of the message: BCC recipients and the FILTER record. */
static enum cleanup_action cleanup_end_actions(struct cleanup_state *state, struct buf *out)
{
    size_t i;

    for (i = 0; i < state->bcc.count && state->status == 0; i++)
        if (state->bcc.items[i].addr[0] != '\0')
            cleanup_add_recipient(state, state->bcc.items[i].addr, "", 0);
    /* The queue format allows a FILTER record only in the envelope, which
     * is written before the content is seen: the action is recorded as a
     * named attribute of the extracted section for qmgr to honour. */
    if (state->filter != NULL && state->status == 0 &&
        queue_file_put_attr(state->qf, CLEANUP_ATTR_CONTENT_FILTER, state->filter) < 0)
        cleanup_write_error(state);
    if (state->redirect != NULL && state->status == 0 &&
        queue_file_put_attr(state->qf, CLEANUP_ATTR_REDIRECT, state->redirect) < 0)
        cleanup_write_error(state);
    return cleanup_milter_none(state, out);
}

void cleanup_hooks_init(void)
{
    struct buf err = BUF_INIT;

    if (rewrite_config_from_params(&cleanup_rw, &err) < 0)
        msg_fatal("address rewriting: %s", buf_str(&err));
    if (hc_tables_open(&cleanup_hdr_checks, var_header_checks, &err) < 0 ||
        hc_tables_open(&cleanup_mime_checks, var_mime_header_checks, &err) < 0 ||
        hc_tables_open(&cleanup_nested_checks, var_nested_header_checks, &err) < 0 ||
        hc_tables_open(&cleanup_body_checks, var_body_checks, &err) < 0)
        msg_fatal("content checks: %s", buf_str(&err));
    buf_release(&err);
    cleanup_hooks_ready = 1;
}

struct cleanup_hooks cleanup_hooks = {
    .rewrite_address = cleanup_rewrite_tables,
    .expand_recipient = cleanup_expand_virtual,
    .header_check = cleanup_header_tables,
    .body_check = cleanup_body_tables,
    .milter_envelope = cleanup_milter_none,
    .milter_headers = cleanup_milter_none,
    .milter_end = cleanup_end_actions,
};
