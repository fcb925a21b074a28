/*
 * header_checks.c - the action language of header_checks/body_checks
 * tables and the log line of each action (see header_checks.h).
 *
 * Called by cleanup for every primary header and body line, so lookups
 * stay allocation-free apart from the table's own work. Never acts on
 * anything itself: the caller decides what an action does to the message.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mail/header_checks.h"
#include "mail/rewrite.h"
#include "util/mem.h"
#include "util/str.h"

static const struct {
    const char *word;
    enum hc_type type;
    const char *name;
    int needs_text;
} hc_words[] = {
    {"DUNNO", HC_DUNNO, "dunno", 0},
    {"OK", HC_OK, "ok", 0},
    {"REJECT", HC_REJECT, "reject", 0},
    {"WARN", HC_WARN, "warning", 0},
    {"INFO", HC_INFO, "info", 0},
    {"IGNORE", HC_IGNORE, "ignore", 0},
    {"REPLACE", HC_REPLACE, "replace", 1},
    {"PREPEND", HC_PREPEND, "prepend", 1},
    {"HOLD", HC_HOLD, "hold", 0},
    {"DISCARD", HC_DISCARD, "discard", 0},
    {"REDIRECT", HC_REDIRECT, "redirect", 1},
    {"BCC", HC_BCC, "bcc", 1},
    {"FILTER", HC_FILTER, "filter", 1},
};

static int hc_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int hc_action_parse(const char *value, struct hc_action *act)
{
    const char *p = value, *w;
    size_t wlen, i;

    while (hc_space(*p))
        p++;
    w = p;
    while (*p && !hc_space(*p))
        p++;
    wlen = (size_t)(p - w);
    while (hc_space(*p))
        p++;
    act->text = p;
    act->text_len = strlen(p);
    while (act->text_len > 0 && hc_space(p[act->text_len - 1]))
        act->text_len--;
    for (i = 0; i < sizeof(hc_words) / sizeof(hc_words[0]); i++) {
        if (strlen(hc_words[i].word) == wlen && strncasecmp(w, hc_words[i].word, wlen) == 0) {
            act->type = hc_words[i].type;
            act->name = hc_words[i].name;
            if (hc_words[i].needs_text && act->text_len == 0)
                break;
            return 0;
        }
    }
    act->type = HC_DUNNO;
    act->name = "unknown";
    act->text = value;
    act->text_len = strlen(value);
    return -1;
}

int hc_tables_open(struct hc_tables *t, const char *list, struct buf *err)
{
    char *copy = mem_strdup(list), *cursor = copy, *spec;

    while ((spec = str_token_list(&cursor)) != NULL) {
        /* Patterns see the header as written: no folding of the key. */
        struct dict *d = dict_open(spec, DICT_FLAG_DUP_WARN, err);

        if (d == NULL) {
            mem_free(copy);
            return -1;
        }
        t->dicts = mem_realloc(t->dicts, mem_size_mul(t->count + 1, sizeof(*t->dicts)));
        t->dicts[t->count++] = d;
    }
    mem_free(copy);
    return 0;
}

void hc_tables_close(struct hc_tables *t)
{
    size_t i;

    for (i = 0; i < t->count; i++)
        dict_close(t->dicts[i]);
    mem_free(t->dicts);
    t->dicts = NULL;
    t->count = 0;
}

int hc_lookup(const struct hc_tables *t, const char *line, const char **value)
{
    size_t i;

    for (i = 0; i < t->count; i++) {
        int r = dict_lookup(t->dicts[i], line, value);

        if (r != DICT_NOTFOUND)
            return r;
    }
    return DICT_NOTFOUND;
}

static void hc_append_clean(struct buf *out, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        buf_append_char(out, c < 0x20 || c == 0x7f ? ' ' : c);
    }
}

void hc_log_format(struct buf *out, const char *queue_id, const char *action, const char *where,
                   const char *line, size_t len, const struct hc_origin *o, const char *info,
                   size_t info_len)
{
    buf_printf(out, "%s: %s: %s ", queue_id, action, where);
    hc_append_clean(out, line, len > 200 ? 200 : len);
    buf_append_str(out, " from ");
    if (o->client_name != NULL || o->client_address != NULL)
        buf_printf(out, "%s[%s]", o->client_name ? o->client_name : "unknown",
                   o->client_address ? o->client_address : "unknown");
    else
        buf_append_str(out, "local");
    buf_append_char(out, ';');
    if (o->sender != NULL)
        buf_printf(out, " from=<%s>", o->sender);
    if (o->recipient != NULL)
        buf_printf(out, " to=<%s>", o->recipient);
    if (o->protocol != NULL)
        buf_printf(out, " proto=%s", o->protocol);
    if (o->helo != NULL)
        buf_printf(out, " helo=<%s>", o->helo);
    if (info != NULL && info_len > 0) {
        buf_append_str(out, ": ");
        hc_append_clean(out, info, info_len);
    }
}

void hc_reject_text(struct buf *out, const struct hc_action *act)
{
    const char *t = act->text;
    size_t n = act->text_len;

    buf_reset(out);
    /* "4.7.1 text" or "5.x.y text" is used as given. */
    if (n >= 5 && (t[0] == '4' || t[0] == '5') && t[1] == '.' && isdigit((unsigned char)t[2])) {
        hc_append_clean(out, t, n);
        return;
    }
    buf_append_str(out, "5.7.1 ");
    if (n > 0)
        hc_append_clean(out, t, n);
    else
        buf_append_str(out, "message content rejected");
}
