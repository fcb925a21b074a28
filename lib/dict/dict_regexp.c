/*
 * dict_regexp.c - regexp: (POSIX ERE) and pcre: (PCRE2) tables.
 *
 * The source file is parsed once at open time with Postfix's syntax:
 * "/pattern/flags result", "!/pattern/flags result", "if /pattern/flags" ...
 * "endif", any non-alphanumeric delimiter, $1..$9 and ${n} in the result.
 * A bad rule is skipped with a warning "TYPE map FILE, line N: ...", never
 * fatal. Lookups walk the rules in order and answer the first match; they
 * never modify the rules, and keys are matched as given (case per flags).
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "dict/dict_impl.h"
#include "dict/dict_regexp.h"
#include "dict/dict_source.h"
#include "util/mem.h"
#include "util/msg.h"

enum rule_kind { RULE_MATCH, RULE_IF, RULE_ENDIF };

#define REGEXP_MAX_SUB 99 /* largest $n a result may name */

struct regexp_rule {
    enum rule_kind kind;
    int negate;
    int lineno;
    regex_t posix;    /* regexp: */
    pcre2_code *pcre; /* pcre: */
    size_t nsub;      /* capture groups in the pattern */
    char *result;     /* replacement text, "" when none */
    size_t skip_to;   /* IF: index of the rule after the matching ENDIF */
};

struct dict_regexp {
    struct dict d;
    int is_pcre;
    struct regexp_rule *rules;
    size_t count;
    size_t alloc;
    pcre2_match_data *match;
    size_t max_sub;
    struct buf result;
};

/*
 * Checks the $ references of a result against the pattern; -1 (warned) when
 * the rule must be skipped. *uses_ref tells whether any $n appears.
 */
static int regexp_check_result(const char *map, int lineno, const char *text, size_t nsub,
                               int *uses_ref)
{
    const char *p = text;

    *uses_ref = 0;
    while ((p = strchr(p, '$')) != NULL) {
        const char *start;
        long n = 0;
        int braced = 0;

        p++;
        if (*p == '$') {
            p++;
            continue;
        }
        if (*p == '{') {
            braced = 1;
            p++;
            start = p;
            while (*p && *p != '}')
                p++;
            if (*p != '}') {
                msg_warn("truncated macro reference: \"%s\"", text);
                goto bad;
            }
        } else {
            start = p;
            while (isalnum((unsigned char)*p) || *p == '_')
                p++;
            if (p == start) {
                msg_warn("empty macro name: \"%s\"", text);
                goto bad;
            }
        }
        {
            const char *q;

            for (q = start; q < p; q++) {
                if (!isdigit((unsigned char)*q)) {
                    msg_warn("%s, line %d: non-numeric replacement index \"%.*s\"", map, lineno,
                             (int)(p - start), start);
                    goto bad;
                }
                n = n * 10 + (*q - '0');
                if (n > REGEXP_MAX_SUB)
                    break;
            }
        }
        if (p == start) {
            msg_warn("empty macro name: \"%s\"", text);
            goto bad;
        }
        if (n == 0) {
            msg_warn("%s, line %d: out-of-range replacement index \"%.*s\"", map, lineno,
                     (int)(p - start), start);
            goto bad;
        }
        if ((size_t)n > nsub) {
            msg_warn("%s, line %d: out of range replacement index \"%.*s\": skipping this rule",
                     map, lineno, (int)(p - start), start);
            return -1;
        }
        *uses_ref = 1;
        if (braced)
            p++;
    }
    return 0;
bad:
    msg_warn("%s, line %d: bad replacement syntax: skipping this rule", map, lineno);
    return -1;
}

/* Parses "!/pattern/flags" at *pp; on success *pp points after the flags. */
static int regexp_parse_pattern(struct dict_regexp *dr, const char *map, int lineno, char **pp,
                                struct regexp_rule *rule)
{
    char *p = *pp;
    char delim;
    char *pat;
    struct buf pattern = BUF_INIT;
    int posix_flags = REG_EXTENDED | REG_ICASE;
    uint32_t pcre_flags = PCRE2_CASELESS;
    int rc = -1;

    if (*p == '!') {
        rule->negate = 1;
        p++;
    }
    delim = *p;
    if (delim == 0 || isalnum((unsigned char)delim) || isspace((unsigned char)delim)) {
        msg_warn("%s, line %d: ignoring unrecognized request", map, lineno);
        return -1;
    }
    pat = ++p;
    while (*p && *p != delim) {
        if (*p == '\\' && p[1])
            p++;
        p++;
    }
    if (*p != delim) {
        msg_warn("%s, line %d: no closing regexp delimiter \"%c\": skipping this rule", map, lineno,
                 delim);
        return -1;
    }
    buf_set_mem(&pattern, pat, (size_t)(p - pat));
    for (++p; *p && !isspace((unsigned char)*p); p++) {
        switch (*p) {
        case 'i':
            posix_flags ^= REG_ICASE;
            pcre_flags ^= PCRE2_CASELESS;
            continue;
        case 'x':
            posix_flags ^= REG_EXTENDED;
            pcre_flags ^= PCRE2_EXTENDED;
            continue;
        case 'm':
            posix_flags ^= REG_NEWLINE;
            pcre_flags ^= PCRE2_MULTILINE;
            continue;
        }
        if (dr->is_pcre) {
            switch (*p) {
            case 's':
                pcre_flags ^= PCRE2_DOTALL;
                continue;
            case 'A':
                pcre_flags ^= PCRE2_ANCHORED;
                continue;
            case 'E':
                pcre_flags ^= PCRE2_DOLLAR_ENDONLY;
                continue;
            case 'U':
                pcre_flags ^= PCRE2_UNGREEDY;
                continue;
            case 'X':
                continue; /* PCRE1's "extra" has no PCRE2 equivalent: accepted, no effect */
            }
        }
        msg_warn("%s, line %d: unknown regexp option \"%c\": skipping this rule", map, lineno, *p);
        goto out;
    }
    if (dr->is_pcre) {
        int errcode;
        PCRE2_SIZE erroff;
        uint32_t captures = 0;

        rule->pcre = pcre2_compile((PCRE2_SPTR)pattern.data, buf_len(&pattern), pcre_flags,
                                   &errcode, &erroff, NULL);
        if (rule->pcre == NULL) {
            PCRE2_UCHAR text[256];

            if (pcre2_get_error_message(errcode, text, sizeof(text)) < 0)
                snprintf((char *)text, sizeof(text), "error %d", errcode);
            msg_warn("%s, line %d: error in regex at offset %zu: %s", map, lineno, (size_t)erroff,
                     (char *)text);
            goto out;
        }
        pcre2_pattern_info(rule->pcre, PCRE2_INFO_CAPTURECOUNT, &captures);
        rule->nsub = captures;
    } else {
        int err = regcomp(&rule->posix, pattern.data, posix_flags);

        if (err != 0) {
            char text[256];

            regerror(err, &rule->posix, text, sizeof(text));
            msg_warn("%s, line %d: %s", map, lineno, text);
            goto out;
        }
        rule->nsub = rule->posix.re_nsub;
    }
    rc = 0;
    *pp = p;
out:
    buf_release(&pattern);
    return rc;
}

static void regexp_rule_free(struct dict_regexp *dr, struct regexp_rule *rule)
{
    if (rule->kind == RULE_ENDIF)
        return;
    if (dr->is_pcre)
        pcre2_code_free(rule->pcre);
    else
        regfree(&rule->posix);
    mem_free(rule->result);
}

static void regexp_add(struct dict_regexp *dr, const struct regexp_rule *rule)
{
    if (dr->count == dr->alloc) {
        dr->alloc = dr->alloc ? mem_size_mul(dr->alloc, 2) : 16;
        dr->rules = mem_realloc(dr->rules, mem_size_mul(dr->alloc, sizeof(*dr->rules)));
    }
    dr->rules[dr->count++] = *rule;
    if (rule->nsub > dr->max_sub)
        dr->max_sub = rule->nsub;
}

static int regexp_is_word(const char *p, const char *word, size_t len)
{
    return strncasecmp(p, word, len) == 0 && (p[len] == 0 || isspace((unsigned char)p[len]));
}

/* One logical line of the source. */
static void regexp_parse_line(struct dict_regexp *dr, const char *map, int lineno, char *line,
                              size_t **if_stack, size_t *if_depth, size_t *if_alloc)
{
    struct regexp_rule rule;
    char *p = line;
    char *end;

    memset(&rule, 0, sizeof(rule));
    rule.lineno = lineno;
    while (isspace((unsigned char)*p))
        p++;
    if (regexp_is_word(p, "endif", 5)) {
        p += 5;
        while (isspace((unsigned char)*p))
            p++;
        if (*p)
            msg_warn("%s, line %d: ignoring extra text after ENDIF", map, lineno);
        if (*if_depth == 0) {
            msg_warn("%s, line %d: ignoring ENDIF without matching IF", map, lineno);
            return;
        }
        rule.kind = RULE_ENDIF;
        regexp_add(dr, &rule);
        dr->rules[(*if_stack)[--*if_depth]].skip_to = dr->count;
        return;
    }
    if (regexp_is_word(p, "if", 2)) {
        p += 2;
        while (isspace((unsigned char)*p))
            p++;
        rule.kind = RULE_IF;
        if (regexp_parse_pattern(dr, map, lineno, &p, &rule) < 0)
            return; /* the ENDIF will then report itself as unmatched, as Postfix does */
        while (isspace((unsigned char)*p))
            p++;
        if (*p)
            msg_warn("%s, line %d: ignoring extra text after IF statement: \"%s\"", map, lineno, p);
        rule.result = mem_strdup("");
        if (*if_depth == *if_alloc) {
            *if_alloc = *if_alloc ? mem_size_mul(*if_alloc, 2) : 8;
            *if_stack = mem_realloc(*if_stack, mem_size_mul(*if_alloc, sizeof(**if_stack)));
        }
        (*if_stack)[(*if_depth)++] = dr->count;
        regexp_add(dr, &rule);
        return;
    }
    rule.kind = RULE_MATCH;
    if (regexp_parse_pattern(dr, map, lineno, &p, &rule) < 0)
        return;
    while (isspace((unsigned char)*p))
        p++;
    end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1]))
        *--end = 0;
    if (*p == 0) {
        msg_warn("%s, line %d: no replacement text: using empty string", map, lineno);
    } else {
        int uses_ref;

        if (regexp_check_result(map, lineno, p, rule.negate ? REGEXP_MAX_SUB : rule.nsub,
                                &uses_ref) < 0) {
            regexp_rule_free(dr, &rule);
            return;
        }
        if (rule.negate && uses_ref) {
            msg_warn("%s, line %d: $number found in negative match replacement text: "
                     "skipping this rule",
                     map, lineno);
            regexp_rule_free(dr, &rule);
            return;
        }
    }
    rule.result = mem_strdup(p);
    regexp_add(dr, &rule);
}

void dict_regexp_load(struct dict *d, const char *data, size_t len, FILE *fp)
{
    struct dict_regexp *dr = (struct dict_regexp *)d;
    struct dict_source src;
    struct buf map = BUF_INIT;
    size_t *if_stack = NULL;
    size_t if_depth = 0, if_alloc = 0;

    buf_printf(&map, "%s map %s", d->type, d->name);
    if (fp != NULL)
        dict_source_init_file(&src, fp, d->name);
    else
        dict_source_init_mem(&src, data, len, d->name);
    while (dict_source_next(&src))
        regexp_parse_line(dr, buf_str(&map), src.lineno, src.line.data, &if_stack, &if_depth,
                          &if_alloc);
    while (if_depth > 0) {
        struct regexp_rule *rule = &dr->rules[if_stack[--if_depth]];

        msg_warn("%s, line %d: IF has no matching ENDIF", buf_str(&map), rule->lineno);
        rule->skip_to = dr->count;
    }
    if (dr->is_pcre && dr->match == NULL)
        dr->match = pcre2_match_data_create((uint32_t)dr->max_sub + 1, NULL);
    mem_free(if_stack);
    dict_source_release(&src);
    buf_release(&map);
}

/* Runs one rule against key; fills offsets (start/end pairs, -1 when unset). */
static int regexp_match(struct dict_regexp *dr, const struct regexp_rule *rule, const char *key,
                        regmatch_t *pm, size_t npm)
{
    size_t i;

    if (dr->is_pcre) {
        int rc = pcre2_match(rule->pcre, (PCRE2_SPTR)key, strlen(key), 0, 0, dr->match, NULL);
        PCRE2_SIZE *ov;
        uint32_t n;

        if (rc < 0) {
            if (rc != PCRE2_ERROR_NOMATCH)
                msg_warn("pcre map %s, line %d: matching error %d", dr->d.name, rule->lineno, rc);
            return 0;
        }
        ov = pcre2_get_ovector_pointer(dr->match);
        n = pcre2_get_ovector_count(dr->match);
        for (i = 0; i < npm; i++) {
            if (i < (size_t)rc && i < n && ov[2 * i] != PCRE2_UNSET) {
                pm[i].rm_so = (regoff_t)ov[2 * i];
                pm[i].rm_eo = (regoff_t)ov[2 * i + 1];
            } else {
                pm[i].rm_so = pm[i].rm_eo = -1;
            }
        }
        return 1;
    }
    for (i = 0; i < npm; i++)
        pm[i].rm_so = pm[i].rm_eo = -1;
    return regexec(&rule->posix, key, npm, pm, 0) == 0;
}

static const char *regexp_expand(struct dict_regexp *dr, const char *text, const char *key,
                                 const regmatch_t *pm, size_t npm)
{
    const char *p;

    buf_reset(&dr->result);
    for (p = text; *p; p++) {
        size_t n = 0;

        if (*p != '$') {
            buf_append_char(&dr->result, *p);
            continue;
        }
        if (p[1] == '$') {
            buf_append_char(&dr->result, '$');
            p++;
            continue;
        }
        if (p[1] == '{') {
            for (p += 2; isdigit((unsigned char)*p); p++)
                n = n * 10 + (size_t)(*p - '0');
        } else {
            for (p += 1; isdigit((unsigned char)*p); p++)
                n = n * 10 + (size_t)(*p - '0');
            p--;
        }
        if (n < npm && pm[n].rm_so >= 0)
            buf_append(&dr->result, key + pm[n].rm_so, (size_t)(pm[n].rm_eo - pm[n].rm_so));
    }
    return buf_str(&dr->result);
}

static int dict_regexp_lookup(struct dict *d, const char *key, const char **value)
{
    struct dict_regexp *dr = (struct dict_regexp *)d;
    regmatch_t pm[REGEXP_MAX_SUB + 1];
    size_t i = 0;

    while (i < dr->count) {
        const struct regexp_rule *rule = &dr->rules[i];
        size_t npm = rule->nsub + 1 > REGEXP_MAX_SUB + 1 ? REGEXP_MAX_SUB + 1 : rule->nsub + 1;
        int hit;

        if (rule->kind == RULE_ENDIF) {
            i++;
            continue;
        }
        hit = regexp_match(dr, rule, key, pm, npm) != rule->negate;
        if (rule->kind == RULE_IF) {
            i = hit ? i + 1 : rule->skip_to;
            continue;
        }
        if (hit) {
            *value = rule->negate ? rule->result : regexp_expand(dr, rule->result, key, pm, npm);
            return DICT_FOUND;
        }
        i++;
    }
    return DICT_NOTFOUND;
}

static void dict_regexp_close(struct dict *d)
{
    struct dict_regexp *dr = (struct dict_regexp *)d;
    size_t i;

    for (i = 0; i < dr->count; i++)
        regexp_rule_free(dr, &dr->rules[i]);
    mem_free(dr->rules);
    if (dr->match != NULL)
        pcre2_match_data_free(dr->match);
    buf_release(&dr->result);
    dict_base_release(d);
    mem_free(dr);
}

struct dict *dict_regexp_new(const char *type, const char *name, int flags)
{
    struct dict_regexp *dr = mem_calloc(1, sizeof(*dr));

    /* Case is governed by the i flag of each rule, never by key folding. */
    dict_base_init(&dr->d, type, name, flags & ~DICT_FLAG_FOLD);
    dr->is_pcre = strcmp(type, "pcre") == 0;
    buf_init(&dr->result);
    dr->d.lookup = dict_regexp_lookup;
    dr->d.close = dict_regexp_close;
    return &dr->d;
}

struct dict *dict_regexp_open(const char *type, const char *name, int flags, struct buf *err)
{
    struct dict *d;
    FILE *fp;

    if ((fp = fopen(name, "r")) == NULL) {
        buf_printf(err, "open %s: %s", name, strerror(errno));
        return NULL;
    }
    d = dict_regexp_new(type, name, flags);
    dict_regexp_load(d, NULL, 0, fp);
    fclose(fp);
    dict_watch_file(d, name);
    return d;
}
