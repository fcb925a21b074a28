/*
 * alias_value.c - the alias/.forward/:include: value parser (see
 * alias_value.h). One pass over the bytes with an explicit state; an item
 * is classified only after it is complete, from its unquoted text, so
 * "|cmd arg" in quotes and |"cmd arg" mean the same command.
 */
#include <string.h>
#include <strings.h>

#include "mail/alias_value.h"
#include "util/mem.h"

#define ALIAS_INCLUDE_PREFIX "include:"

/* The item being collected: raw keeps the quotes (an address needs them),
 * plain has them removed (commands, files, include paths). */
struct alias_token {
    struct buf raw;
    struct buf plain;
    int quoted;   /* a double quote appeared */
    int no_alias; /* started with a backslash */
    int started;
};

void alias_list_init(struct alias_list *list)
{
    list->items = NULL;
    list->count = 0;
}

void alias_list_free(struct alias_list *list)
{
    size_t i;

    for (i = 0; i < list->count; i++)
        mem_free(list->items[i].text);
    mem_free(list->items);
    alias_list_init(list);
}

const char *alias_item_type_name(enum alias_item_type type)
{
    switch (type) {
    case ALIAS_ITEM_ADDRESS:
        return "address";
    case ALIAS_ITEM_FILE:
        return "file";
    case ALIAS_ITEM_COMMAND:
        return "command";
    default:
        return "include";
    }
}

static void alias_add(struct alias_list *list, enum alias_item_type type, const char *text,
                      size_t len, int no_alias)
{
    list->items = mem_realloc(list->items, mem_size_mul(list->count + 1, sizeof(list->items[0])));
    list->items[list->count].type = type;
    list->items[list->count].text = mem_strndup(text, len);
    list->items[list->count].no_alias = no_alias;
    list->count++;
}

/* Classifies and stores a finished token. */
static int alias_finish(struct alias_token *tok, struct alias_list *list, size_t max_items,
                        size_t max_len, struct buf *err)
{
    const char *plain = buf_str(&tok->plain);
    const char *text;
    size_t len;
    int ret = 0;

    if (!tok->started)
        return 0;
    if (buf_len(&tok->raw) > max_len) {
        buf_printf(err, "alias item longer than %zu bytes", max_len);
        ret = -1;
    } else if (list->count >= max_items) {
        buf_printf(err, "more than %zu alias items", max_items);
        ret = -1;
    } else if (plain[0] == '|') {
        if (plain[1] == '\0') {
            buf_set(err, "empty command after '|'");
            ret = -1;
        } else {
            alias_add(list, ALIAS_ITEM_COMMAND, plain + 1, buf_len(&tok->plain) - 1, 0);
        }
    } else if (plain[0] == '/') {
        alias_add(list, ALIAS_ITEM_FILE, plain, buf_len(&tok->plain), 0);
    } else if (plain[0] == ':' &&
               strncasecmp(plain + 1, ALIAS_INCLUDE_PREFIX, strlen(ALIAS_INCLUDE_PREFIX)) == 0) {
        text = plain + 1 + strlen(ALIAS_INCLUDE_PREFIX);
        if (*text != '/') {
            buf_printf(err, ":include: path is not absolute: \"%s\"", text);
            ret = -1;
        } else {
            alias_add(list, ALIAS_ITEM_INCLUDE, text, strlen(text), 0);
        }
    } else {
        /* An address keeps its quotes ("john doe"@example.com) unless the
         * whole item was one quoted string. */
        const char *raw = buf_str(&tok->raw);
        size_t rlen = buf_len(&tok->raw);

        if (!tok->quoted || (rlen >= 2 && raw[0] == '"' && raw[rlen - 1] == '"' &&
                             memchr(raw + 1, '"', rlen - 2) == NULL)) {
            text = plain;
            len = buf_len(&tok->plain);
        } else {
            text = raw;
            len = rlen;
        }
        if (len > 0 && text[0] == '<') {
            if (len < 2 || text[len - 1] != '>') {
                buf_set(err, "unbalanced '<' in alias item");
                return -1;
            }
            text++;
            len -= 2;
        }
        if (len == 0) {
            buf_set(err, "empty address in alias value");
            ret = -1;
        } else {
            alias_add(list, ALIAS_ITEM_ADDRESS, text, len, tok->no_alias);
        }
    }
    buf_reset(&tok->raw);
    buf_reset(&tok->plain);
    tok->quoted = tok->no_alias = tok->started = 0;
    return ret;
}

int alias_value_parse(const char *value, size_t len, struct alias_list *list, size_t max_items,
                      size_t max_len, struct buf *err)
{
    struct alias_token tok;
    size_t i, depth;
    int in_quote = 0, ret = 0;
    unsigned char ch;

    buf_reset(err);
    memset(&tok, 0, sizeof(tok));
    buf_init(&tok.raw);
    buf_init(&tok.plain);
    for (i = 0; i < len && ret == 0; i++) {
        ch = (unsigned char)value[i];
        if (ch == '\0') {
            buf_set(err, "NUL byte in alias value");
            ret = -1;
        } else if (ch == '\\') {
            if (i + 1 == len) {
                buf_set(err, "backslash at the end of an alias value");
                ret = -1;
                break;
            }
            if (!tok.started && !in_quote)
                tok.no_alias = 1;
            else
                buf_append_char(&tok.raw, '\\');
            i++;
            if (value[i] == '\0') {
                buf_set(err, "NUL byte in alias value");
                ret = -1;
                break;
            }
            buf_append_char(&tok.raw, value[i]);
            buf_append_char(&tok.plain, value[i]);
            tok.started = 1;
        } else if (in_quote) {
            buf_append_char(&tok.raw, ch);
            if (ch == '"')
                in_quote = 0;
            else
                buf_append_char(&tok.plain, ch);
        } else if (ch == '"') {
            in_quote = 1;
            tok.quoted = tok.started = 1;
            buf_append_char(&tok.raw, ch);
        } else if (ch == '(') {
            /* A comment, possibly nested; backslash quotes inside it. */
            for (depth = 1, i++; i < len && depth > 0; i++) {
                if (value[i] == '\\' && i + 1 < len)
                    i++;
                else if (value[i] == '(')
                    depth++;
                else if (value[i] == ')')
                    depth--;
            }
            if (depth > 0) {
                buf_set(err, "unbalanced '(' in alias value");
                ret = -1;
            }
            i--;
        } else if (ch == ')') {
            buf_set(err, "unbalanced ')' in alias value");
            ret = -1;
        } else if (ch == ',' || ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            ret = alias_finish(&tok, list, max_items, max_len, err);
        } else {
            buf_append_char(&tok.raw, ch);
            buf_append_char(&tok.plain, ch);
            tok.started = 1;
        }
        if (ret == 0 && buf_len(&tok.raw) > max_len) {
            buf_printf(err, "alias item longer than %zu bytes", max_len);
            ret = -1;
        }
    }
    if (ret == 0 && in_quote) {
        buf_set(err, "unbalanced '\"' in alias value");
        ret = -1;
    }
    if (ret == 0)
        ret = alias_finish(&tok, list, max_items, max_len, err);
    buf_release(&tok.raw);
    buf_release(&tok.plain);
    return ret;
}
