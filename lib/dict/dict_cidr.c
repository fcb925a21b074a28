/*
 * dict_cidr.c - cidr: tables (IPv4 and IPv6 prefixes, first match wins).
 *
 * Source syntax as Postfix: "[!]address[/length] result" and
 * "if [!]address/length" ... "endif". A bad rule is skipped with a warning
 * "cidr map FILE, line N: ...". Lookup keys that are not IP addresses are
 * simply not found; an IPv4 key never matches an IPv6 rule or the reverse.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dict/dict_cidr.h"
#include "dict/dict_impl.h"
#include "dict/dict_source.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

enum cidr_kind { CIDR_MATCH, CIDR_IF, CIDR_ENDIF };

struct cidr_rule {
    enum cidr_kind kind;
    int negate;
    int family; /* AF_INET or AF_INET6 */
    unsigned char net[16];
    unsigned char mask[16];
    char *result;
    size_t skip_to;
    int lineno;
};

struct dict_cidr {
    struct dict d;
    struct cidr_rule *rules;
    size_t count;
    size_t alloc;
};

/* Address text to bytes; returns the family or 0. */
static int cidr_parse_addr(const char *text, unsigned char *out)
{
    if (inet_pton(AF_INET, text, out) == 1)
        return AF_INET;
    if (strchr(text, ':') != NULL && inet_pton(AF_INET6, text, out) == 1)
        return AF_INET6;
    return 0;
}

/* "[!]addr[/len]" -> rule; -1 (warned) when bad. */
static int cidr_parse_pattern(const char *map, int lineno, char *pat, struct cidr_rule *rule)
{
    char *slash;
    char text[INET6_ADDRSTRLEN + 1];
    unsigned char addr[16];
    size_t alen, i;
    long len;

    if (*pat == '!') {
        rule->negate = 1;
        pat++;
    }
    slash = strchr(pat, '/');
    if (slash != NULL)
        *slash = 0;
    /* Postfix also accepts [address] for IPv6. */
    if (*pat == '[' && pat[strlen(pat) - 1] == ']') {
        pat[strlen(pat) - 1] = 0;
        pat++;
    }
    rule->family = cidr_parse_addr(pat, addr);
    if (slash != NULL)
        *slash = '/';
    if (rule->family == 0) {
        msg_warn("%s, line %d: bad address pattern: \"%s\": skipping this rule", map, lineno, pat);
        return -1;
    }
    alen = rule->family == AF_INET ? 4 : 16;
    if (slash == NULL) {
        len = (long)alen * 8;
    } else if (str_to_long(slash + 1, &len) < 0 || !isdigit((unsigned char)slash[1])) {
        msg_warn("%s, line %d: bad mask value in \"%s\": skipping this rule", map, lineno, pat);
        return -1;
    } else if (len < 0 || len > (long)alen * 8) {
        msg_warn("%s, line %d: bad mask length in \"%s\": skipping this rule", map, lineno, pat);
        return -1;
    }
    memset(rule->mask, 0, sizeof(rule->mask));
    for (i = 0; i < alen; i++) {
        long bits = len - (long)i * 8;

        rule->mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
        rule->net[i] = addr[i] & rule->mask[i];
    }
    if (memcmp(rule->net, addr, alen) != 0) {
        if (inet_ntop(rule->family, rule->net, text, sizeof(text)) == NULL)
            text[0] = 0;
        if (slash != NULL)
            *slash = 0;
        msg_warn("%s, line %d: non-null host address bits in \"%s/%ld\", perhaps you should use "
                 "\"%s/%ld\" instead: skipping this rule",
                 map, lineno, pat, len, text, len);
        return -1;
    }
    return 0;
}

static void cidr_add(struct dict_cidr *dc, const struct cidr_rule *rule)
{
    if (dc->count == dc->alloc) {
        dc->alloc = dc->alloc ? mem_size_mul(dc->alloc, 2) : 16;
        dc->rules = mem_realloc(dc->rules, mem_size_mul(dc->alloc, sizeof(*dc->rules)));
    }
    dc->rules[dc->count++] = *rule;
}

void dict_cidr_load(struct dict *d, const char *data, size_t len, FILE *fp)
{
    struct dict_cidr *dc = (struct dict_cidr *)d;
    struct dict_source src;
    struct buf map = BUF_INIT;
    size_t *stack = NULL;
    size_t depth = 0, alloc = 0;

    buf_printf(&map, "cidr map %s", d->name);
    if (fp != NULL)
        dict_source_init_file(&src, fp, d->name);
    else
        dict_source_init_mem(&src, data, len, d->name);
    while (dict_source_next(&src)) {
        struct cidr_rule rule;
        char *p = str_trim(src.line.data);
        char *pat;

        memset(&rule, 0, sizeof(rule));
        rule.lineno = src.lineno;
        if (strncasecmp(p, "endif", 5) == 0 && (p[5] == 0 || isspace((unsigned char)p[5]))) {
            if (depth == 0) {
                msg_warn("%s, line %d: ignoring ENDIF without matching IF", buf_str(&map),
                         src.lineno);
                continue;
            }
            rule.kind = CIDR_ENDIF;
            cidr_add(dc, &rule);
            dc->rules[stack[--depth]].skip_to = dc->count;
            continue;
        }
        if (strncasecmp(p, "if", 2) == 0 && isspace((unsigned char)p[2])) {
            rule.kind = CIDR_IF;
            p = str_trim(p + 2);
            pat = str_token(&p, " \t");
            if (pat == NULL || cidr_parse_pattern(buf_str(&map), src.lineno, pat, &rule) < 0)
                continue;
            if (depth == alloc) {
                alloc = alloc ? mem_size_mul(alloc, 2) : 8;
                stack = mem_realloc(stack, mem_size_mul(alloc, sizeof(*stack)));
            }
            stack[depth++] = dc->count;
            cidr_add(dc, &rule);
            continue;
        }
        pat = str_token(&p, " \t");
        if (pat == NULL)
            continue;
        if (cidr_parse_pattern(buf_str(&map), src.lineno, pat, &rule) < 0)
            continue;
        p = p ? str_trim(p) : NULL;
        if (p == NULL || *p == 0) {
            msg_warn("%s, line %d: no lookup result: skipping this rule", buf_str(&map),
                     src.lineno);
            continue;
        }
        rule.kind = CIDR_MATCH;
        rule.result = mem_strdup(p);
        cidr_add(dc, &rule);
    }
    while (depth > 0) {
        struct cidr_rule *rule = &dc->rules[stack[--depth]];

        msg_warn("%s, line %d: IF has no matching ENDIF", buf_str(&map), rule->lineno);
        rule->skip_to = dc->count;
    }
    mem_free(stack);
    dict_source_release(&src);
    buf_release(&map);
}

static int cidr_match(const struct cidr_rule *rule, int family, const unsigned char *addr)
{
    size_t i, alen = family == AF_INET ? 4 : 16;
    int hit = 1;

    /* A rule of the other family never matches, negated or not (as Postfix). */
    if (rule->family != family)
        return 0;
    for (i = 0; hit && i < alen; i++)
        if ((addr[i] & rule->mask[i]) != rule->net[i])
            hit = 0;
    return hit != rule->negate;
}

static int dict_cidr_lookup(struct dict *d, const char *key, const char **value)
{
    struct dict_cidr *dc = (struct dict_cidr *)d;
    unsigned char addr[16];
    int family;
    size_t i = 0;

    if ((family = cidr_parse_addr(key, addr)) == 0)
        return DICT_NOTFOUND;
    while (i < dc->count) {
        const struct cidr_rule *rule = &dc->rules[i];

        if (rule->kind == CIDR_ENDIF) {
            i++;
        } else if (rule->kind == CIDR_IF) {
            i = cidr_match(rule, family, addr) ? i + 1 : rule->skip_to;
        } else if (cidr_match(rule, family, addr)) {
            *value = rule->result;
            return DICT_FOUND;
        } else {
            i++;
        }
    }
    return DICT_NOTFOUND;
}

static void dict_cidr_close(struct dict *d)
{
    struct dict_cidr *dc = (struct dict_cidr *)d;
    size_t i;

    for (i = 0; i < dc->count; i++)
        mem_free(dc->rules[i].result);
    mem_free(dc->rules);
    dict_base_release(d);
    mem_free(dc);
}

struct dict *dict_cidr_new(const char *name, int flags)
{
    struct dict_cidr *dc = mem_calloc(1, sizeof(*dc));

    dict_base_init(&dc->d, "cidr", name, flags & ~DICT_FLAG_FOLD);
    dc->d.lookup = dict_cidr_lookup;
    dc->d.close = dict_cidr_close;
    return &dc->d;
}

struct dict *dict_cidr_open(const char *type, const char *name, int flags, struct buf *err)
{
    struct dict *d;
    FILE *fp;

    (void)type;
    if ((fp = fopen(name, "r")) == NULL) {
        buf_printf(err, "open %s: %s", name, strerror(errno));
        return NULL;
    }
    d = dict_cidr_new(name, flags);
    dict_cidr_load(d, NULL, 0, fp);
    fclose(fp);
    dict_watch_file(d, name);
    return d;
}
