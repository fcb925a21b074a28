/*
 * dict_source.c - logical lines and key/value records of table source files.
 *
 * Called by postmap/postalias and by the texthash, regexp, pcre and cidr
 * tables. Every input byte is untrusted: lines are bounded by max_line and a
 * NUL inside a line simply ends the text seen by the record parsers.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dict/dict_source.h"
#include "util/msg.h"

void dict_source_init_file(struct dict_source *s, FILE *fp, const char *origin)
{
    memset(s, 0, sizeof(*s));
    s->fp = fp;
    s->origin = origin;
    buf_init(&s->phys);
    buf_init(&s->line);
}

void dict_source_init_mem(struct dict_source *s, const char *data, size_t len, const char *origin)
{
    memset(s, 0, sizeof(*s));
    s->data = data;
    s->len = len;
    s->origin = origin;
    buf_init(&s->phys);
    buf_init(&s->line);
}

void dict_source_release(struct dict_source *s)
{
    buf_release(&s->phys);
    buf_release(&s->line);
}

/* Reads one physical line (without its newline) into s->phys; 0 at end. */
static int dict_source_read_phys(struct dict_source *s)
{
    buf_reset(&s->phys);
    if (s->eof)
        return 0;
    if (s->fp != NULL) {
        /* Chunked fgets: fast, and a huge line costs no more than max_line. */
        char chunk[4096];
        int any = 0;

        while (fgets(chunk, sizeof(chunk), s->fp) != NULL) {
            size_t n = strlen(chunk);
            int nl = n > 0 && chunk[n - 1] == '\n';

            any = 1;
            if (nl)
                n--;
            if (s->max_line != 0 && buf_len(&s->phys) + n > s->max_line)
                n = s->max_line > buf_len(&s->phys) ? s->max_line - buf_len(&s->phys) : 0;
            buf_append(&s->phys, chunk, n);
            if (nl)
                break;
        }
        if (!any) {
            s->eof = 1;
            return 0;
        }
    } else {
        const char *start, *nl;
        size_t n;

        if (s->pos >= s->len) {
            s->eof = 1;
            return 0;
        }
        start = s->data + s->pos;
        nl = memchr(start, '\n', s->len - s->pos);
        n = nl ? (size_t)(nl - start) : s->len - s->pos;
        s->pos += n + (nl ? 1 : 0);
        if (s->max_line != 0 && n > s->max_line)
            n = s->max_line;
        buf_append(&s->phys, start, n);
    }
    s->phys_lineno++;
    /* A trailing CR (file edited on another system) is not part of the text. */
    if (buf_len(&s->phys) > 0 && buf_str(&s->phys)[buf_len(&s->phys) - 1] == '\r')
        buf_truncate(&s->phys, buf_len(&s->phys) - 1);
    return 1;
}

/* Blank and comment lines are invisible to the logical-line structure. */
static int dict_source_is_skipped(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == 0 || *p == '#';
}

int dict_source_next(struct dict_source *s)
{
    buf_reset(&s->line);
    s->truncated = 0;
    for (;;) {
        if (!s->pending) {
            if (!dict_source_read_phys(s))
                break;
            s->pending = 1;
            s->pending_lineno = s->phys_lineno;
        }
        if (dict_source_is_skipped(buf_str(&s->phys))) {
            s->pending = 0;
            continue;
        }
        if (buf_len(&s->line) > 0 && !isspace((unsigned char)buf_str(&s->phys)[0]))
            break; /* starts the next logical line: keep it pending */
        if (buf_len(&s->line) == 0 && isspace((unsigned char)buf_str(&s->phys)[0])) {
            /* Nothing to continue: Postfix warns and drops the line. */
            msg_warn("%s: logical line must not start with whitespace: \"%s\"", s->origin,
                     buf_str(&s->phys));
            s->pending = 0;
            continue;
        }
        if (buf_len(&s->line) == 0)
            s->lineno = s->pending_lineno;
        if (s->max_line != 0 && buf_len(&s->line) + buf_len(&s->phys) > s->max_line) {
            s->truncated = 1;
            buf_append(&s->line, buf_str(&s->phys), s->max_line - buf_len(&s->line));
        } else {
            buf_append(&s->line, buf_str(&s->phys), buf_len(&s->phys));
        }
        s->pending = 0;
    }
    return buf_len(&s->line) > 0;
}

int dict_source_split(struct dict_source *s, char *line, char **key, char **value)
{
    char *p = line;
    char *end;

    while (isspace((unsigned char)*p))
        p++;
    *key = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p)
        *p++ = 0;
    while (isspace((unsigned char)*p))
        p++;
    end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1]))
        *--end = 0;
    *value = p;
    if (**key == 0 || *p == 0) {
        msg_warn("%s, line %d: expected format: key whitespace value", s->origin, s->lineno);
        return -1;
    }
    if ((*key)[strlen(*key) - 1] == ':')
        msg_warn("%s, line %d: record is in \"key: value\" format; is this an alias file?",
                 s->origin, s->lineno);
    return 0;
}

/* Appends one alias list element, trimmed, with ", " between elements. */
static void dict_source_alias_item(struct buf *out, const char *start, const char *end)
{
    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    if (start == end)
        return;
    if (buf_len(out) > 0)
        buf_append_str(out, ", ");
    buf_append(out, start, (size_t)(end - start));
}

int dict_source_split_alias(struct dict_source *s, char *line, char **key, struct buf *value)
{
    char *p = line;
    char *colon = NULL;
    char *end;
    const char *item;
    int quoted = 0;

    while (isspace((unsigned char)*p))
        p++;
    *key = p;
    for (; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\\' && p[1])
            p++;
        else if (*p == ':' && !quoted) {
            colon = p;
            break;
        }
    }
    if (colon == NULL || colon == *key) {
        msg_warn("%s, line %d: need name:value pair", s->origin, s->lineno);
        return -1;
    }
    end = colon;
    while (end > *key && isspace((unsigned char)end[-1]))
        end--;
    *end = 0;
    /* A quoted name "a b": drop the quotes, as the local delivery agent sees it. */
    if (end - *key >= 2 && **key == '"' && end[-1] == '"') {
        end[-1] = 0;
        (*key)++;
    }
    buf_reset(value);
    quoted = 0;
    for (item = p = colon + 1; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\\' && p[1])
            p++;
        else if (*p == ',' && !quoted) {
            dict_source_alias_item(value, item, p);
            item = p + 1;
        }
    }
    dict_source_alias_item(value, item, p);
    if (buf_len(value) == 0) {
        msg_warn("%s, line %d: need name:value pair", s->origin, s->lineno);
        return -1;
    }
    return 0;
}
