/*
 * expand.c - $name expansion (see expand.h).
 *
 * A recursive-descent expander over the raw text. Every step bounds its scan
 * by the text length, braces must balance, and the chain of names being
 * expanded is kept so that "a = $b" / "b = $a" is reported as a loop with
 * the names involved instead of recursing until the stack runs out.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "conf/expand.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

struct expand_state {
    const struct expand_source *src;
    const char *stack[EXPAND_MAX_DEPTH];
    int depth;
    struct buf *err;
};

static int expand_run(struct expand_state *st, const char *text, size_t len, struct buf *out);

static int expand_is_name_char(int c)
{
    return isalnum(c) || c == '_';
}

/* Given text[i] == open, returns the index of the matching close or -1. */
static long expand_match(const char *text, size_t len, size_t i, char open, char close)
{
    int depth = 0;

    for (; i < len; i++) {
        if (text[i] == open)
            depth++;
        else if (text[i] == close && --depth == 0)
            return (long)i;
    }
    return -1;
}

static int expand_name(struct expand_state *st, const char *name, struct buf *out)
{
    const char *value;
    int i;
    int ret;

    for (i = 0; i < st->depth; i++) {
        if (strcmp(st->stack[i], name) == 0) {
            buf_printf(st->err, "parameter %s: recursive reference to $%s", st->stack[0], name);
            return -1;
        }
    }
    if (st->depth >= EXPAND_MAX_DEPTH) {
        buf_printf(st->err, "parameter %s: unreasonable nesting of $name references",
                   st->depth ? st->stack[0] : name);
        return -1;
    }
    value = st->src->lookup(name, st->src->ctx);
    if (value == NULL) {
        if (st->src->undefined)
            st->src->undefined(name, st->src->ctx);
        return 0;
    }
    st->stack[st->depth++] = name;
    ret = expand_run(st, value, strlen(value), out);
    st->depth--;
    return ret;
}

/* Expands text[start..end) (trimmed) into a fresh buffer. */
static int expand_part(struct expand_state *st, const char *text, size_t start, size_t end,
                       struct buf *out)
{
    while (start < end && isspace((unsigned char)text[start]))
        start++;
    while (end > start && isspace((unsigned char)text[end - 1]))
        end--;
    return expand_run(st, text + start, end - start, out);
}

/* Skips white space; returns the new index. */
static size_t expand_skip_space(const char *text, size_t len, size_t i)
{
    while (i < len && isspace((unsigned char)text[i]))
        i++;
    return i;
}

/* Parses "{text}" at text[*i]; sets [*start, *end) to the inside. */
static int expand_braced(struct expand_state *st, const char *text, size_t len, size_t *i,
                         size_t *start, size_t *end)
{
    long close;

    *i = expand_skip_space(text, len, *i);
    if (*i >= len || text[*i] != '{') {
        buf_printf(st->err, "expected '{' in \"%.*s\"", (int)len, text);
        return -1;
    }
    if ((close = expand_match(text, len, *i, '{', '}')) < 0) {
        buf_printf(st->err, "unbalanced '{' in \"%.*s\"", (int)len, text);
        return -1;
    }
    *start = *i + 1;
    *end = (size_t)close;
    *i = (size_t)close + 1;
    return 0;
}

int expand_compare_levels(const char *a, const char *b)
{
    long pa[3] = {0, 0, 0};
    long pb[3] = {0, 0, 0};
    const char *s[2] = {a, b};
    long *p[2] = {pa, pb};
    int k;
    int n;

    for (k = 0; k < 2; k++) {
        const char *c = s[k];

        for (n = 0; n < 3; n++) {
            char *endp;

            if (!isdigit((unsigned char)*c))
                return -2;
            p[k][n] = strtol(c, &endp, 10);
            c = endp;
            if (*c == '\0')
                break;
            if (*c != '.' || n == 2)
                return -2;
            c++;
        }
    }
    for (n = 0; n < 3; n++)
        if (pa[n] != pb[n])
            return pa[n] < pb[n] ? -1 : 1;
    return 0;
}

static int expand_relation(struct expand_state *st, const char *op, size_t oplen, const char *a,
                           const char *b, int *result)
{
    int cmp;
    int is_level = (oplen > 5 && memcmp(op + oplen - 5, "level", 5) == 0);
    size_t base = is_level ? oplen - 5 : oplen;
    long na;
    long nb;

    if (is_level) {
        cmp = expand_compare_levels(a, b);
        if (cmp == -2) {
            buf_printf(st->err, "bad compatibility level in \"%s\" or \"%s\"", a, b);
            return -1;
        }
    } else if (str_to_long(a, &na) == 0 && str_to_long(b, &nb) == 0) {
        cmp = (na < nb) ? -1 : (na > nb);
    } else {
        cmp = strcmp(a, b);
        cmp = (cmp < 0) ? -1 : (cmp > 0);
    }
    if (base == 2 && memcmp(op, "==", 2) == 0)
        *result = (cmp == 0);
    else if (base == 2 && memcmp(op, "!=", 2) == 0)
        *result = (cmp != 0);
    else if (base == 2 && memcmp(op, "<=", 2) == 0)
        *result = (cmp <= 0);
    else if (base == 2 && memcmp(op, ">=", 2) == 0)
        *result = (cmp >= 0);
    else if (base == 1 && op[0] == '<')
        *result = (cmp < 0);
    else if (base == 1 && op[0] == '>')
        *result = (cmp > 0);
    else {
        buf_printf(st->err, "unknown operator \"%.*s\"", (int)oplen, op);
        return -1;
    }
    return 0;
}

/* ${{a} OP {b} ? {t} : {f}}: inside is text[0..len) without the outer ${ }. */
static int expand_conditional(struct expand_state *st, const char *text, size_t len,
                              struct buf *out)
{
    struct buf a = BUF_INIT;
    struct buf b = BUF_INIT;
    size_t i = 0;
    size_t s1, e1, s2, e2, st3, e3, s4 = 0, e4 = 0;
    size_t op_start;
    int have_false = 0;
    int result = 0;
    int ret = -1;

    if (expand_braced(st, text, len, &i, &s1, &e1) < 0)
        goto done;
    i = expand_skip_space(text, len, i);
    op_start = i;
    while (i < len && strchr("=!<>", text[i]) != NULL)
        i++;
    while (i < len && isalpha((unsigned char)text[i]))
        i++;
    if (i == op_start) {
        buf_printf(st->err, "missing operator in \"${%.*s}\"", (int)len, text);
        goto done;
    }
    if (expand_braced(st, text, len, &i, &s2, &e2) < 0)
        goto done;
    i = expand_skip_space(text, len, i);
    if (i >= len || text[i] != '?') {
        buf_printf(st->err, "missing '?' in \"${%.*s}\"", (int)len, text);
        goto done;
    }
    i++;
    if (expand_braced(st, text, len, &i, &st3, &e3) < 0)
        goto done;
    i = expand_skip_space(text, len, i);
    if (i < len && text[i] == ':') {
        i++;
        if (expand_braced(st, text, len, &i, &s4, &e4) < 0)
            goto done;
        have_false = 1;
        i = expand_skip_space(text, len, i);
    }
    if (i != len) {
        buf_printf(st->err, "garbage after conditional in \"${%.*s}\"", (int)len, text);
        goto done;
    }
    if (expand_part(st, text, s1, e1, &a) < 0 || expand_part(st, text, s2, e2, &b) < 0)
        goto done;
    {
        size_t op_end = op_start;

        while (op_end < len && (strchr("=!<>", text[op_end]) || isalpha((unsigned char)text[op_end])))
            op_end++;
        if (expand_relation(st, text + op_start, op_end - op_start, buf_str(&a), buf_str(&b),
                            &result) < 0)
            goto done;
    }
    if (result)
        ret = expand_part(st, text, st3, e3, out);
    else
        ret = have_false ? expand_part(st, text, s4, e4, out) : 0;
done:
    buf_release(&a);
    buf_release(&b);
    return ret;
}

/* ${name}, ${name?x}, ${name:x}, ${name?{x}:{y}}: inside as above. */
static int expand_braced_name(struct expand_state *st, const char *text, size_t len,
                              struct buf *out)
{
    struct buf value = BUF_INIT;
    char *name;
    size_t i = 0;
    int defined;
    int ret = -1;

    while (i < len && expand_is_name_char((unsigned char)text[i]))
        i++;
    if (i == 0) {
        buf_printf(st->err, "bad parameter name syntax in \"${%.*s}\"", (int)len, text);
        return -1;
    }
    name = mem_strndup(text, i);
    if (i == len) {
        ret = expand_name(st, name, out);
        goto done;
    }
    if (text[i] != '?' && text[i] != ':') {
        buf_printf(st->err, "bad parameter name syntax in \"${%.*s}\"", (int)len, text);
        goto done;
    }
    if (expand_name(st, name, &value) < 0)
        goto done;
    defined = buf_len(&value) > 0;
    {
        char how = text[i++];
        size_t j = expand_skip_space(text, len, i);

        if (j < len && text[j] == '{') {
            size_t s1, e1, s2 = 0, e2 = 0;
            int have_else = 0;

            if (expand_braced(st, text, len, &j, &s1, &e1) < 0)
                goto done;
            j = expand_skip_space(text, len, j);
            if (j < len && text[j] == ':' && how == '?') {
                j++;
                if (expand_braced(st, text, len, &j, &s2, &e2) < 0)
                    goto done;
                have_else = 1;
                j = expand_skip_space(text, len, j);
            }
            if (j != len) {
                buf_printf(st->err, "garbage after \"${%.*s\"", (int)j, text);
                goto done;
            }
            if (how == '?')
                ret = defined ? expand_part(st, text, s1, e1, out)
                              : (have_else ? expand_part(st, text, s2, e2, out) : 0);
            else
                ret = defined ? 0 : expand_part(st, text, s1, e1, out);
        } else {
            int want = (how == '?') ? defined : !defined;

            ret = want ? expand_run(st, text + i, len - i, out) : 0;
        }
    }
done:
    mem_free(name);
    buf_release(&value);
    return ret;
}

static int expand_run(struct expand_state *st, const char *text, size_t len, struct buf *out)
{
    size_t i = 0;

    while (i < len) {
        const char *dollar = memchr(text + i, '$', len - i);
        size_t at;

        if (dollar == NULL) {
            buf_append(out, text + i, len - i);
            break;
        }
        at = (size_t)(dollar - text);
        buf_append(out, text + i, at - i);
        i = at + 1;
        if (i >= len) {
            buf_append_char(out, '$');
            break;
        }
        if (text[i] == '{' || text[i] == '(') {
            char open = text[i];
            char close = (open == '{') ? '}' : ')';
            long end = expand_match(text, len, i, open, close);
            int ret;

            if (end < 0) {
                buf_printf(st->err, "unbalanced '%c' in \"%.*s\"", open, (int)len, text);
                return -1;
            }
            if (open == '{' && i + 1 < (size_t)end && text[i + 1] == '{')
                ret = expand_conditional(st, text + i + 1, (size_t)end - i - 1, out);
            else
                ret = expand_braced_name(st, text + i + 1, (size_t)end - i - 1, out);
            if (ret < 0)
                return -1;
            i = (size_t)end + 1;
        } else if (expand_is_name_char((unsigned char)text[i])) {
            size_t start = i;
            char *name;
            int ret;

            while (i < len && expand_is_name_char((unsigned char)text[i]))
                i++;
            name = mem_strndup(text + start, i - start);
            ret = expand_name(st, name, out);
            mem_free(name);
            if (ret < 0)
                return -1;
        } else {
            buf_append_char(out, '$');
        }
    }
    return 0;
}

int expand_text(const char *text, const struct expand_source *src, struct buf *out,
                struct buf *err)
{
    struct expand_state st;

    st.src = src;
    st.depth = 0;
    st.err = err;
    return expand_run(&st, text, strlen(text), out);
}

void expand_references(const char *text, void (*cb)(const char *name, void *ctx), void *ctx)
{
    const char *p = text;

    while ((p = strchr(p, '$')) != NULL) {
        const char *start;
        char *name;

        p++;
        if (*p == '{' || *p == '(')
            p++;
        start = p;
        while (expand_is_name_char((unsigned char)*p))
            p++;
        if (p > start) {
            name = mem_strndup(start, (size_t)(p - start));
            cb(name, ctx);
            mem_free(name);
        }
    }
}
