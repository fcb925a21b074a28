/*
 * addr_list.c - tolerant RFC 5322 address list parser (see addr_list.h).
 *
 * Two passes: a tokenizer (atoms, quoted strings, comments, domain
 * literals, specials; RFC 5322 section 3.2) that never fails, then a parser
 * over the tokens that splits the list at top-level ',' and ';', skips
 * group names, and turns each piece into addresses. Token text is decoded
 * into one arena, so the whole parse allocates O(len) bytes.
 */
#include <string.h>

#include "mail/addr_list.h"
#include "util/mem.h"

enum addr_tok_type {
    TOK_ATOM,
    TOK_QSTRING, /* text: the content without quotes or escapes */
    TOK_COMMENT, /* text: the content without the outer parentheses */
    TOK_DLIT,    /* text: "[...]" as written */
    TOK_SPECIAL, /* text: the one character */
};

struct addr_tok {
    enum addr_tok_type type;
    size_t off; /* into the arena */
    size_t len;
    int space_before; /* white space or a comment came before it */
};

struct addr_toks {
    struct addr_tok *v;
    size_t count;
    size_t cap;
    struct buf arena;
};

static int addr_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

static int addr_is_special(unsigned char c)
{
    return c != 0 && strchr("()<>@,;:\".[]", c) != NULL;
}

static struct addr_tok *addr_tok_add(struct addr_toks *t, enum addr_tok_type type, int space)
{
    struct addr_tok *tok;

    if (t->count == t->cap) {
        t->cap = t->cap ? mem_size_mul(t->cap, 2) : 16;
        t->v = mem_realloc_array(t->v, t->cap, sizeof(t->v[0]));
    }
    tok = &t->v[t->count++];
    tok->type = type;
    tok->off = buf_len(&t->arena);
    tok->len = 0;
    tok->space_before = space;
    return tok;
}

static void addr_tok_char(struct addr_toks *t, struct addr_tok *tok, char c)
{
    buf_append_char(&t->arena, (unsigned char)c);
    tok->len++;
}

/* Splits data into tokens, at most limit of them (0: no limit). Returns 1
 * when it stopped at the limit with input left over. */
static int addr_tokenize(struct addr_toks *t, const char *data, size_t len, size_t limit)
{
    size_t i = 0;
    int space = 0;

    while (i < len && (limit == 0 || t->count < limit)) {
        unsigned char c = (unsigned char)data[i];
        struct addr_tok *tok;

        if (addr_is_space(c)) {
            space = 1;
            i++;
            continue;
        }
        if (c == '(') {
            int depth = 1;

            tok = addr_tok_add(t, TOK_COMMENT, space);
            for (i++; i < len; i++) {
                c = (unsigned char)data[i];
                if (c == '\\' && i + 1 < len) {
                    i++;
                    if (data[i] != '\0')
                        addr_tok_char(t, tok, data[i]);
                    continue;
                }
                if (c == '(')
                    depth++;
                else if (c == ')' && --depth == 0)
                    break;
                if (c != '\0')
                    addr_tok_char(t, tok, (char)c);
            }
            i++; /* the ')' or past the end */
            space = 1;
            continue;
        }
        if (c == '"') {
            tok = addr_tok_add(t, TOK_QSTRING, space);
            for (i++; i < len && data[i] != '"'; i++) {
                if (data[i] == '\\' && i + 1 < len)
                    i++;
                if (data[i] != '\0')
                    addr_tok_char(t, tok, data[i]);
            }
            i++;
            space = 0;
            continue;
        }
        if (c == '[') {
            tok = addr_tok_add(t, TOK_DLIT, space);
            addr_tok_char(t, tok, '[');
            for (i++; i < len && data[i] != ']'; i++) {
                if (data[i] == '\\' && i + 1 < len)
                    i++;
                if (data[i] != '\0' && !addr_is_space((unsigned char)data[i]))
                    addr_tok_char(t, tok, data[i]);
            }
            addr_tok_char(t, tok, ']');
            i++;
            space = 0;
            continue;
        }
        if (addr_is_special(c)) {
            tok = addr_tok_add(t, TOK_SPECIAL, space);
            addr_tok_char(t, tok, (char)c);
            i++;
            space = 0;
            continue;
        }
        tok = addr_tok_add(t, TOK_ATOM, space);
        while (i < len && !addr_is_space((unsigned char)data[i]) &&
               !addr_is_special((unsigned char)data[i])) {
            addr_tok_char(t, tok, data[i]);
            i++;
        }
        space = 0;
    }
    while (i < len && addr_is_space((unsigned char)data[i]))
        i++;
    return i < len;
}

static char tok_special(const struct addr_toks *t, const struct addr_tok *tok)
{
    return tok->type == TOK_SPECIAL ? t->arena.data[tok->off] : '\0';
}

static int tok_is_word(const struct addr_tok *tok)
{
    return tok->type == TOK_ATOM || tok->type == TOK_QSTRING || tok->type == TOK_DLIT;
}

static void addr_list_add(struct addr_list *list, const char *addr, const char *display, int angle)
{
    struct addr_item *it;

    if (list->count == list->cap) {
        list->cap = list->cap ? mem_size_mul(list->cap, 2) : 4;
        list->items = mem_realloc_array(list->items, list->cap, sizeof(list->items[0]));
    }
    it = &list->items[list->count++];
    it->addr = mem_strdup(addr);
    it->display = mem_strdup(display);
    it->angle = angle;
}

/* An addr-spec from tokens [s, e): words, '.' and '@' joined, comments and
 * other specials dropped (they are junk inside an address). */
static void addr_join(const struct addr_toks *t, size_t s, size_t e, struct buf *out)
{
    size_t i;

    buf_reset(out);
    for (i = s; i < e; i++) {
        const struct addr_tok *tok = &t->v[i];
        char sp = tok_special(t, tok);

        if (tok_is_word(tok) || sp == '.' || sp == '@')
            buf_append(out, t->arena.data + tok->off, tok->len);
    }
}

/* A display name from tokens [s, e): words and specials with one space
 * where the original had blanks or a comment; comments dropped. */
static void addr_phrase(const struct addr_toks *t, size_t s, size_t e, struct buf *out)
{
    size_t i;

    buf_reset(out);
    for (i = s; i < e; i++) {
        const struct addr_tok *tok = &t->v[i];

        if (tok->type == TOK_COMMENT)
            continue;
        if (buf_len(out) > 0 && (tok->space_before || (i > s && t->v[i - 1].type == TOK_COMMENT)))
            buf_append_char(out, ' ');
        buf_append(out, t->arena.data + tok->off, tok->len);
    }
}

/* The text of the last comment in [s, e), blanks at its ends removed. */
static void addr_comment_name(const struct addr_toks *t, size_t s, size_t e, struct buf *out)
{
    size_t i;

    buf_reset(out);
    for (i = e; i > s; i--) {
        const struct addr_tok *tok = &t->v[i - 1];

        if (tok->type == TOK_COMMENT) {
            const char *p = t->arena.data + tok->off;
            size_t n = tok->len;

            while (n > 0 && addr_is_space((unsigned char)*p)) {
                p++;
                n--;
            }
            while (n > 0 && addr_is_space((unsigned char)p[n - 1]))
                n--;
            buf_append(out, p, n);
            return;
        }
    }
}

/* Inside <...>: drops an obsolete route "@a,@b:" (RFC 5322 section 4.4). */
static size_t addr_skip_route(const struct addr_toks *t, size_t s, size_t e)
{
    size_t i;

    while (s < e && t->v[s].type == TOK_COMMENT)
        s++;
    if (s >= e || tok_special(t, &t->v[s]) != '@')
        return s;
    for (i = s; i < e; i++) {
        if (tok_special(t, &t->v[i]) == ':')
            return i + 1;
    }
    return s; /* no ':': not a route after all */
}

/* One list member with angle brackets: "phrase <addr> ...". */
static size_t addr_unit_angle(struct addr_list *list, const struct addr_toks *t, size_t s, size_t e,
                              struct buf *a, struct buf *d)
{
    size_t added = 0;
    size_t phrase_start = s;
    size_t j = s;

    while (j < e) {
        size_t k;
        int depth = 0;

        if (tok_special(t, &t->v[j]) != '<') {
            j++;
            continue;
        }
        for (k = j; k < e; k++) {
            char sp = tok_special(t, &t->v[k]);

            if (sp == '<')
                depth++;
            else if (sp == '>' && --depth == 0)
                break;
        }
        addr_phrase(t, phrase_start, j, d);
        if (buf_len(d) == 0)
            addr_comment_name(t, phrase_start, k < e ? k + 1 : e, d);
        addr_join(t, addr_skip_route(t, j + 1, k), k, a);
        addr_list_add(list, buf_str(a), buf_str(d), 1);
        added++;
        j = k < e ? k + 1 : e;
        phrase_start = j;
    }
    return added;
}

/*
 * One list member without angle brackets: "addr (comment)". Two words in a
 * row with no '.' or '@' between them cannot be one address, so they start
 * a new segment; segments with an '@' are addresses, and a lone segment
 * without one is a bare local name ("To: bob"). Several segments without
 * '@' are a display name with the address missing ("To: John Smith"):
 * nothing is taken from them.
 */
static size_t addr_unit_bare(struct addr_list *list, const struct addr_toks *t, size_t s, size_t e,
                             struct buf *a, struct buf *d)
{
    size_t starts_cap = 8, nseg = 0, with_at = 0, added = 0, i;
    size_t *seg_s = mem_alloc(starts_cap * sizeof(size_t) * 3);
    size_t *seg_e = seg_s + starts_cap;
    size_t *seg_at = seg_e + starts_cap;
    const struct addr_tok *prev = NULL;

    for (i = s; i < e; i++) {
        const struct addr_tok *tok = &t->v[i];
        char sp = tok_special(t, tok);
        int breaks;

        if (tok->type == TOK_COMMENT)
            continue;
        if (!tok_is_word(tok) && sp != '.' && sp != '@') {
            /* Stray '>', ']', ':' ... : junk that ends a segment. */
            prev = NULL;
            if (nseg > 0 && seg_e[nseg - 1] == (size_t)-1)
                seg_e[nseg - 1] = i;
            continue;
        }
        breaks = prev == NULL || (tok_is_word(tok) && tok_is_word(prev));
        if (breaks) {
            if (nseg > 0 && seg_e[nseg - 1] == (size_t)-1)
                seg_e[nseg - 1] = i;
            if (nseg == starts_cap) {
                size_t ncap = mem_size_mul(starts_cap, 2);
                size_t *n = mem_alloc(mem_size_mul(ncap, 3 * sizeof(size_t)));

                memcpy(n, seg_s, starts_cap * sizeof(size_t));
                memcpy(n + ncap, seg_e, starts_cap * sizeof(size_t));
                memcpy(n + 2 * ncap, seg_at, starts_cap * sizeof(size_t));
                mem_free(seg_s);
                seg_s = n;
                seg_e = n + ncap;
                seg_at = n + 2 * ncap;
                starts_cap = ncap;
            }
            seg_s[nseg] = i;
            seg_e[nseg] = (size_t)-1;
            seg_at[nseg] = 0;
            nseg++;
        }
        if (sp == '@' && !seg_at[nseg - 1]) {
            seg_at[nseg - 1] = 1;
            with_at++;
        }
        prev = tok;
    }
    if (nseg > 0 && seg_e[nseg - 1] == (size_t)-1)
        seg_e[nseg - 1] = e;
    addr_comment_name(t, s, e, d);
    for (i = 0; i < nseg; i++) {
        size_t j;
        int has_word = 0;

        if (!seg_at[i] && !(nseg == 1 && with_at == 0))
            continue;
        for (j = seg_s[i]; j < seg_e[i]; j++)
            has_word |= tok_is_word(&t->v[j]);
        if (!has_word)
            continue;
        addr_join(t, seg_s[i], seg_e[i], a);
        addr_list_add(list, buf_str(a), buf_str(d), 0);
        added++;
    }
    mem_free(seg_s);
    return added;
}

static size_t addr_unit(struct addr_list *list, const struct addr_toks *t, size_t s, size_t e,
                        struct buf *a, struct buf *d)
{
    size_t i;

    for (i = s; i < e; i++) {
        if (tok_special(t, &t->v[i]) == '<')
            return addr_unit_angle(list, t, s, e, a, d);
    }
    return addr_unit_bare(list, t, s, e, a, d);
}

size_t addr_list_parse(struct addr_list *list, const char *data, size_t len, size_t token_limit)
{
    struct addr_toks t;
    struct buf a = BUF_INIT, d = BUF_INIT;
    size_t added = 0, i = 0, s = 0;
    int depth = 0, seen_at = 0, seen_angle = 0, cut;

    memset(&t, 0, sizeof(t));
    buf_init(&t.arena);
    cut = addr_tokenize(&t, data, len, token_limit);
    for (i = 0; i < t.count; i++) {
        char sp = tok_special(&t, &t.v[i]);

        if (sp == '<') {
            depth++;
            seen_angle = 1;
        } else if (sp == '>' && depth > 0) {
            depth--;
        } else if (sp == '@') {
            seen_at = 1;
        }
        if (depth > 0)
            continue;
        if (sp == ',' || sp == ';') {
            added += addr_unit(list, &t, s, i, &a, &d);
            s = i + 1;
            seen_at = seen_angle = 0;
        } else if (sp == ':' && !seen_at && !seen_angle) {
            /* "name:" opens a group (RFC 5322 section 3.4): the name is not
             * an address, the members follow. */
            s = i + 1;
        }
    }
    /* A member cut short by the token limit is incomplete: "b@y" would
     * become "b". Only whole members count. */
    if (!cut)
        added += addr_unit(list, &t, s, t.count, &a, &d);
    mem_free(t.v);
    buf_release(&t.arena);
    buf_release(&a);
    buf_release(&d);
    return added;
}

void addr_list_init(struct addr_list *list)
{
    memset(list, 0, sizeof(*list));
}

void addr_list_free(struct addr_list *list)
{
    size_t i;

    for (i = 0; i < list->count; i++) {
        mem_free(list->items[i].addr);
        mem_free(list->items[i].display);
    }
    mem_free(list->items);
    memset(list, 0, sizeof(*list));
}

/* RFC 5322 atext, plus 8-bit bytes (RFC 6532 UTF-8). */
static int addr_atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c >= 0x80) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static void addr_append_quoted(struct buf *out, const char *s, size_t len)
{
    size_t i;

    buf_append_char(out, '"');
    for (i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\')
            buf_append_char(out, '\\');
        buf_append_char(out, (unsigned char)s[i]);
    }
    buf_append_char(out, '"');
}

void addr_quote_external(struct buf *out, const char *addr)
{
    const char *at = strrchr(addr, '@');
    size_t local_len = at ? (size_t)(at - addr) : strlen(addr);
    int quote = 0;
    size_t i;

    if (local_len == 0) {
        quote = at != NULL; /* "@x" needs ""@x; "" stays the null address */
    } else if (addr[0] == '.' || addr[local_len - 1] == '.') {
        quote = 1;
    } else {
        for (i = 0; i < local_len && !quote; i++) {
            unsigned char c = (unsigned char)addr[i];

            if (c == '.')
                quote = addr[i + 1] == '.';
            else
                quote = !addr_atext(c);
        }
    }
    if (quote)
        addr_append_quoted(out, addr, local_len);
    else
        buf_append(out, addr, local_len);
    if (at)
        buf_append_str(out, at);
}

void addr_quote_phrase(struct buf *out, const char *phrase)
{
    size_t len = strlen(phrase);
    int quote = len == 0 || phrase[0] == ' ' || phrase[len - 1] == ' ';
    size_t i;

    for (i = 0; i < len && !quote; i++) {
        unsigned char c = (unsigned char)phrase[i];

        if (c == ' ')
            quote = phrase[i + 1] == ' ';
        else
            quote = !addr_atext(c);
    }
    if (quote)
        addr_append_quoted(out, phrase, len);
    else
        buf_append(out, phrase, len);
}
