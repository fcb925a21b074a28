/*
 * rewrite.c - address rewriting for cleanup (and later smtpd): see
 * rewrite.h. Addresses are in the internal form (no quotes); the header
 * rewriter converts to and from RFC 5322 spelling at its edges.
 *
 * Invariants: every loop is bounded (canonical mapping by
 * REWRITE_MAP_NEST, virtual aliases by recursion_limit/expansion_limit,
 * result length by length_limit); a lookup error is never taken for
 * "not found"; nothing here writes to a queue file.
 */
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "mail/rewrite.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

/* How often a canonical result is looked up again (a -> b -> c). */
#define REWRITE_MAP_NEST 10

void rewrite_config_init(struct rewrite_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->delims = mem_strdup("");
    cfg->myorigin = mem_strdup("");
    cfg->mydomain = mem_strdup("");
    cfg->recursion_limit = 1000;
    cfg->expansion_limit = 1000;
    cfg->length_limit = 1000;
}

static void rewrite_maps_free(struct rewrite_maps *maps)
{
    size_t i;

    for (i = 0; i < maps->count; i++)
        dict_close(maps->dicts[i]);
    mem_free(maps->dicts);
    maps->dicts = NULL;
    maps->count = 0;
}

static void rewrite_list_free(char **list, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++)
        mem_free(list[i]);
    mem_free(list);
}

void rewrite_config_free(struct rewrite_config *cfg)
{
    rewrite_maps_free(&cfg->canonical);
    rewrite_maps_free(&cfg->sender_canonical);
    rewrite_maps_free(&cfg->recipient_canonical);
    rewrite_maps_free(&cfg->virtual_alias);
    rewrite_list_free(cfg->masq_domains, cfg->masq_count);
    rewrite_list_free(cfg->masq_exceptions, cfg->masq_exc_count);
    rewrite_list_free(cfg->local_domains, cfg->local_count);
    mem_free(cfg->delims);
    mem_free(cfg->myorigin);
    mem_free(cfg->mydomain);
    memset(cfg, 0, sizeof(*cfg));
}

int rewrite_maps_open(struct rewrite_maps *maps, const char *list, struct buf *err)
{
    char *copy = mem_strdup(list), *cursor = copy, *spec;

    while ((spec = str_token_list(&cursor)) != NULL) {
        struct dict *d = dict_open(spec, DICT_FLAGS_LOOKUP, err);

        if (d == NULL) {
            mem_free(copy);
            return -1;
        }
        maps->dicts = mem_realloc(maps->dicts, mem_size_mul(maps->count + 1, sizeof(*maps->dicts)));
        maps->dicts[maps->count++] = d;
    }
    mem_free(copy);
    return 0;
}

int rewrite_parse_classes(const char *list, struct buf *err)
{
    static const struct {
        const char *name;
        int bit;
    } names[] = {
        {"envelope_sender", REWRITE_ENV_SENDER},
        {"envelope_recipient", REWRITE_ENV_RCPT},
        {"header_sender", REWRITE_HDR_SENDER},
        {"header_recipient", REWRITE_HDR_RCPT},
    };
    char *copy = mem_strdup(list), *cursor = copy, *word;
    int mask = 0;
    size_t i;

    while ((word = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcasecmp(word, names[i].name) == 0)
                break;
        if (i == sizeof(names) / sizeof(names[0])) {
            buf_reset(err);
            buf_printf(err, "unknown address class \"%s\"", word);
            mem_free(copy);
            return -1;
        }
        mask |= names[i].bit;
    }
    mem_free(copy);
    return mask;
}

char **rewrite_split_list(const char *list, size_t *count)
{
    char *copy = mem_strdup(list), *cursor = copy, *word;
    char **out = NULL;

    *count = 0;
    while ((word = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        out = mem_realloc(out, mem_size_mul(*count + 1, sizeof(*out)));
        out[(*count)++] = str_lower(mem_strdup(word));
    }
    mem_free(copy);
    return out;
}

int rewrite_config_from_params(struct rewrite_config *cfg, struct buf *err)
{
    char *locals;
    size_t n;
    char **words;

    rewrite_config_init(cfg);
    if (rewrite_maps_open(&cfg->canonical, var_canonical_maps, err) < 0 ||
        rewrite_maps_open(&cfg->sender_canonical, var_sender_canonical_maps, err) < 0 ||
        rewrite_maps_open(&cfg->recipient_canonical, var_recipient_canonical_maps, err) < 0 ||
        rewrite_maps_open(&cfg->virtual_alias, var_virtual_alias_maps, err) < 0)
        return -1;
    if ((cfg->canonical_classes = rewrite_parse_classes(var_canonical_classes, err)) < 0 ||
        (cfg->sender_classes = rewrite_parse_classes(var_sender_canonical_classes, err)) < 0 ||
        (cfg->recipient_classes = rewrite_parse_classes(var_recipient_canonical_classes, err)) <
            0 ||
        (cfg->masq_classes = rewrite_parse_classes(var_masquerade_classes, err)) < 0)
        return -1;
    cfg->masq_domains = rewrite_split_list(var_masquerade_domains, &cfg->masq_count);
    cfg->masq_exceptions = rewrite_split_list(var_masquerade_exceptions, &cfg->masq_exc_count);
    words = rewrite_split_list(var_propagate_unmatched_extensions, &n);
    while (n-- > 0) {
        if (strcmp(words[n], "canonical") == 0)
            cfg->propagate_canonical = 1;
        else if (strcmp(words[n], "virtual") == 0)
            cfg->propagate_virtual = 1;
        mem_free(words[n]);
    }
    mem_free(words);
    mem_free(cfg->delims);
    cfg->delims = mem_strdup(var_recipient_delimiter);
    mem_free(cfg->myorigin);
    cfg->myorigin = mem_strdup(var_myorigin);
    mem_free(cfg->mydomain);
    cfg->mydomain = mem_strdup(var_mydomain);
    locals = mem_strdup(var_mydestination);
    {
        struct buf all = BUF_INIT;

        buf_printf(&all, "%s %s %s", var_myorigin, var_myhostname, locals);
        cfg->local_domains = rewrite_split_list(buf_str(&all), &cfg->local_count);
        buf_release(&all);
    }
    mem_free(locals);
    cfg->append_at_myorigin = var_append_at_myorigin;
    cfg->append_dot_mydomain = var_append_dot_mydomain;
    cfg->swap_bangpath = var_swap_bangpath;
    cfg->allow_percent_hack = var_allow_percent_hack;
    cfg->recursion_limit = var_virtual_alias_recursion_limit;
    cfg->expansion_limit = var_virtual_alias_expansion_limit;
    cfg->length_limit = var_virtual_alias_address_length_limit;
    return 0;
}

/* ------------------------------------------------------------------------ */

void rewrite_canonicalize(const struct rewrite_config *cfg, struct buf *addr, const char *domain,
                          int append_domain)
{
    char *s = addr->data;
    char *at, *bang, *pct;

    if (buf_len(addr) == 0)
        return;
    at = strrchr(s, '@');
    /* site!user -> user@site: only for a bang path without a domain, and
     * not for "!user" or "site!" which are no paths. */
    if (cfg->swap_bangpath && at == NULL && (bang = strchr(s, '!')) != NULL && bang != s &&
        bang[1] != '\0') {
        struct buf tmp = BUF_INIT;

        buf_printf(&tmp, "%s@%.*s", bang + 1, (int)(bang - s), s);
        buf_set(addr, buf_str(&tmp));
        buf_release(&tmp);
        s = addr->data;
        at = strrchr(s, '@');
    }
    /* user%domain -> user@domain (the last '%' of a local address). */
    if (cfg->allow_percent_hack && at == NULL && (pct = strrchr(s, '%')) != NULL && pct != s &&
        pct[1] != '\0') {
        *pct = '@';
        at = pct;
    }
    if (at == NULL) {
        if (append_domain && domain != NULL && domain[0] != '\0')
            buf_printf(addr, "@%s", domain);
        return;
    }
    if (cfg->append_dot_mydomain && at[1] != '\0' && at[1] != '[' && strchr(at + 1, '.') == NULL &&
        cfg->mydomain[0] != '\0')
        buf_printf(addr, ".%s", cfg->mydomain);
}

static int rewrite_domain_is_local(const struct rewrite_config *cfg, const char *domain)
{
    size_t i;

    for (i = 0; i < cfg->local_count; i++)
        if (strcasecmp(cfg->local_domains[i], domain) == 0)
            return 1;
    return 0;
}

/* The extension of addr ("+ext" with its delimiter) into ext; 0 if none. */
static int rewrite_extension(const struct rewrite_config *cfg, const char *addr, struct buf *ext)
{
    const char *at = strrchr(addr, '@');
    size_t local_len = at ? (size_t)(at - addr) : strlen(addr);
    size_t i;

    buf_reset(ext);
    if (cfg->delims[0] == '\0')
        return 0;
    for (i = 0; i < local_len; i++) {
        if (strchr(cfg->delims, addr[i]) != NULL && i > 0) {
            buf_append(ext, addr + i, local_len - i);
            return 1;
        }
    }
    return 0;
}

/* Looks addr up in maps (first table that has it). */
static int rewrite_lookup(const struct rewrite_config *cfg, const struct rewrite_maps *maps,
                          const char *addr, const char **value, const char **matched)
{
    const char *at = strrchr(addr, '@');
    int how = DICT_ADDR_FULL | DICT_ADDR_AT_DOMAIN;
    size_t i;

    if (at == NULL || rewrite_domain_is_local(cfg, at + 1))
        how |= DICT_ADDR_LOCAL;
    for (i = 0; i < maps->count; i++) {
        int r = dict_lookup_address(maps->dicts[i], addr, how, cfg->delims, 0, value, matched);

        if (r != DICT_NOTFOUND)
            return r;
    }
    return DICT_NOTFOUND;
}

/*
 * Builds the result of a lookup of addr: "@domain" keeps addr's local
 * part; an unmatched extension goes back in when propagate says so.
 */
static void rewrite_result(const struct rewrite_config *cfg, const char *addr, const char *value,
                           size_t value_len, const char *matched, int propagate, struct buf *out)
{
    struct buf ext = BUF_INIT;
    const char *at = strrchr(addr, '@');
    int has_ext = rewrite_extension(cfg, addr, &ext);
    int add_ext = has_ext && propagate && matched != NULL && strstr(matched, buf_str(&ext)) == NULL;

    buf_reset(out);
    if (value_len > 0 && value[0] == '@') {
        /* @domain -> the local part as it was (the extension included). */
        buf_append(out, addr, at ? (size_t)(at - addr) : strlen(addr));
        buf_append(out, value, value_len);
    } else {
        const char *vat = memrchr(value, '@', value_len);
        size_t local_len = vat ? (size_t)(vat - value) : value_len;

        buf_append(out, value, local_len);
        if (add_ext)
            buf_append(out, buf_str(&ext), buf_len(&ext));
        buf_append(out, value + local_len, value_len - local_len);
    }
    buf_release(&ext);
}

/* One value token: white space and commas trimmed from the first item. */
static void rewrite_first_item(const char *value, const char **start, size_t *len)
{
    const char *s = value + strspn(value, STR_LIST_SEP);

    *start = s;
    *len = strcspn(s, STR_LIST_SEP);
}

static int rewrite_map11(const struct rewrite_config *cfg, const struct rewrite_maps *maps,
                         struct buf *addr)
{
    struct buf next = BUF_INIT;
    int round;

    for (round = 0; round < REWRITE_MAP_NEST; round++) {
        const char *value, *matched = NULL, *item;
        size_t len;
        int r = rewrite_lookup(cfg, maps, buf_str(addr), &value, &matched);

        if (r == DICT_ERROR) {
            buf_release(&next);
            return REWRITE_ERROR;
        }
        if (r != DICT_FOUND)
            break;
        rewrite_first_item(value, &item, &len);
        if (len == 0)
            break;
        rewrite_result(cfg, buf_str(addr), item, len, matched, cfg->propagate_canonical, &next);
        if (strcasecmp(buf_str(&next), buf_str(addr)) == 0)
            break;
        buf_set(addr, buf_str(&next));
    }
    if (round == REWRITE_MAP_NEST)
        msg_warn("unreasonable canonical mapping nesting for %.100s", buf_str(addr));
    buf_release(&next);
    return REWRITE_OK;
}

int rewrite_canonical(const struct rewrite_config *cfg, int cls, struct buf *addr)
{
    const struct rewrite_maps *first = NULL;
    int first_classes = 0;

    if (buf_len(addr) == 0)
        return REWRITE_OK;
    if (cls & (REWRITE_ENV_SENDER | REWRITE_HDR_SENDER)) {
        first = &cfg->sender_canonical;
        first_classes = cfg->sender_classes;
    } else {
        first = &cfg->recipient_canonical;
        first_classes = cfg->recipient_classes;
    }
    if ((first_classes & cls) && first->count > 0 && rewrite_map11(cfg, first, addr) < 0)
        return REWRITE_ERROR;
    if ((cfg->canonical_classes & cls) && cfg->canonical.count > 0 &&
        rewrite_map11(cfg, &cfg->canonical, addr) < 0)
        return REWRITE_ERROR;
    return REWRITE_OK;
}

int rewrite_masquerade(const struct rewrite_config *cfg, int cls, struct buf *addr)
{
    char *at = strrchr(addr->data, '@');
    const char *domain;
    size_t i, dlen;

    if (!(cfg->masq_classes & cls) || cfg->masq_count == 0 || at == NULL || at[1] == '[')
        return 0;
    for (i = 0; i < cfg->masq_exc_count; i++) {
        size_t n = strlen(cfg->masq_exceptions[i]);

        if (n == (size_t)(at - addr->data) &&
            strncasecmp(addr->data, cfg->masq_exceptions[i], n) == 0)
            return 0;
    }
    domain = at + 1;
    dlen = strlen(domain);
    for (i = 0; i < cfg->masq_count; i++) {
        const char *m = cfg->masq_domains[i];
        int negate = (m[0] == '!');
        size_t mlen;

        if (negate)
            m++;
        mlen = strlen(m);
        if (mlen == 0)
            continue;
        if (dlen == mlen && strcasecmp(domain, m) == 0)
            return 0; /* already the masquerade domain (or an exception) */
        if (dlen > mlen && domain[dlen - mlen - 1] == '.' &&
            strcasecmp(domain + dlen - mlen, m) == 0) {
            if (negate)
                return 0;
            buf_truncate(addr, (size_t)(at - addr->data) + 1);
            buf_append_str(addr, m);
            return 1;
        }
    }
    return 0;
}

int rewrite_address(const struct rewrite_config *cfg, int cls, struct buf *addr, const char *domain,
                    int append_domain)
{
    struct buf before = BUF_INIT;

    rewrite_canonicalize(cfg, addr, domain, append_domain);
    buf_set(&before, buf_str(addr));
    if (rewrite_canonical(cfg, cls, addr) < 0) {
        buf_release(&before);
        return REWRITE_ERROR;
    }
    /* A table may answer with a bare name: it is completed like input. */
    if (strcmp(buf_str(&before), buf_str(addr)) != 0)
        rewrite_canonicalize(cfg, addr, domain, append_domain);
    buf_release(&before);
    rewrite_masquerade(cfg, cls, addr);
    return REWRITE_OK;
}

/* ------------------------------------------------------------------------ */

static void rewrite_list_append(struct addr_list *list, const char *addr)
{
    if (list->count == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->items = mem_realloc(list->items, mem_size_mul(list->cap, sizeof(*list->items)));
    }
    list->items[list->count].addr = mem_strdup(addr);
    list->items[list->count].display = mem_strdup("");
    list->items[list->count].angle = 1;
    list->count++;
}

struct rewrite_expand {
    const struct rewrite_config *cfg;
    struct addr_list *out;
    size_t start; /* out->count before this expansion */
    struct buf *err;
    int warned;
};

static int rewrite_expand_one(struct rewrite_expand *x, const char *addr, long depth)
{
    const struct rewrite_config *cfg = x->cfg;
    const char *value, *matched = NULL;
    char *copy, *cursor, *item;
    struct buf next = BUF_INIT;
    int r;

    if ((long)(x->out->count - x->start) >= cfg->expansion_limit) {
        if (!x->warned++)
            msg_warn("%.100s: virtual_alias_expansion_limit of %ld addresses exceeded", addr,
                     cfg->expansion_limit);
        return 0;
    }
    if (depth > cfg->recursion_limit) {
        if (!x->warned++)
            msg_warn("%.100s: virtual_alias_recursion_limit of %ld levels exceeded", addr,
                     cfg->recursion_limit);
        rewrite_list_append(x->out, addr);
        return 0;
    }
    r = rewrite_lookup(cfg, &cfg->virtual_alias, addr, &value, &matched);
    if (r == DICT_ERROR) {
        buf_reset(x->err);
        buf_printf(x->err, "virtual_alias_maps lookup failure for %.100s", addr);
        return REWRITE_ERROR;
    }
    if (r != DICT_FOUND) {
        rewrite_list_append(x->out, addr);
        return 0;
    }
    /* The value belongs to the table: copy it before the next lookup. */
    copy = mem_strdup(value);
    cursor = copy;
    r = 0;
    {
        char *mcopy = matched ? mem_strdup(matched) : NULL;

        while (r == 0 && (item = str_token_list(&cursor)) != NULL) {
            rewrite_result(cfg, addr, item, strlen(item), mcopy, cfg->propagate_virtual, &next);
            rewrite_canonicalize(cfg, &next, cfg->myorigin, cfg->append_at_myorigin);
            if ((long)buf_len(&next) > cfg->length_limit) {
                msg_warn("%.100s: virtual alias result longer than %ld bytes: skipped", addr,
                         cfg->length_limit);
                continue;
            }
            /* An address that maps to itself (among others) stops here. */
            if (strcasecmp(buf_str(&next), addr) == 0)
                rewrite_list_append(x->out, buf_str(&next));
            else
                r = rewrite_expand_one(x, buf_str(&next), depth + 1);
        }
        mem_free(mcopy);
    }
    mem_free(copy);
    buf_release(&next);
    return r;
}

long rewrite_virtual_expand(const struct rewrite_config *cfg, const char *addr,
                            struct addr_list *out, struct buf *err)
{
    struct rewrite_expand x = {cfg, out, out->count, err, 0};

    if (cfg->virtual_alias.count == 0 || addr[0] == '\0') {
        rewrite_list_append(out, addr);
        return 1;
    }
    if (rewrite_expand_one(&x, addr, 0) < 0)
        return REWRITE_ERROR;
    return (long)(out->count - x.start);
}

/* ------------------------------------------------------------------------ */

/*
 * Header values. The scanner keeps the text as it is and finds the spans
 * that hold an address: the inside of <...> (after an obsolete route), or
 * the whole of a member without angle brackets. Comments and quoted
 * strings are skipped as units so that their commas, colons and brackets
 * do not count.
 */

/* End of a comment starting at p (which is '('), bounded by end. */
static const char *rewrite_skip_comment(const char *p, const char *end)
{
    int depth = 0;

    for (; p < end; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        else if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p + 1;
    }
    return end;
}

static const char *rewrite_skip_quoted(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\' && p + 1 < end)
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return end;
}

/* The internal form of an RFC 5322 addr-spec: quotes and escapes
 * removed. Returns -1 for white space outside quotes: "Joe User" without
 * an address is a phrase, not an address to complete. */
static int rewrite_unquote(const char *s, size_t len, struct buf *out)
{
    const char *end = s + len;
    int quoted = 0;

    buf_reset(out);
    for (; s < end; s++) {
        if (*s == '\\' && s + 1 < end) {
            buf_append_char(out, (unsigned char)*++s);
        } else if (*s == '"') {
            quoted = !quoted;
        } else if (!quoted && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
            return -1;
        } else {
            buf_append_char(out, (unsigned char)*s);
        }
    }
    return 0;
}

/* Rewrites the addr-spec text s/len into out (as is when unchanged). */
static int rewrite_spec(const struct rewrite_config *cfg, int cls, const char *s, size_t len,
                        struct buf *out, const char *domain, int append_domain, long *changed)
{
    struct buf addr = BUF_INIT, orig = BUF_INIT;
    int r = 0;

    if (rewrite_unquote(s, len, &addr) < 0 || buf_len(&addr) == 0 || memchr(s, '(', len) != NULL) {
        /* A phrase, "<>" or a comment inside the address: leave it alone. */
        buf_append(out, s, len);
        goto done;
    }
    buf_set(&orig, buf_str(&addr));
    if (rewrite_address(cfg, cls, &addr, domain, append_domain) < 0) {
        r = REWRITE_ERROR;
        goto done;
    }
    if (strcmp(buf_str(&orig), buf_str(&addr)) == 0) {
        buf_append(out, s, len);
    } else {
        addr_quote_external(out, buf_str(&addr));
        (*changed)++;
    }
done:
    buf_release(&addr);
    buf_release(&orig);
    return r;
}

/* One list member [s, e): copies it to out with its address rewritten. */
static int rewrite_member(const struct rewrite_config *cfg, int cls, const char *s, const char *e,
                          struct buf *out, const char *domain, int append_domain, long *changed)
{
    const char *p, *lt = NULL, *gt = NULL, *core_s = NULL, *core_e = NULL;

    for (p = s; p < e;) {
        if (*p == '(') {
            p = rewrite_skip_comment(p, e);
        } else if (*p == '"') {
            if (core_s == NULL)
                core_s = p;
            p = rewrite_skip_quoted(p, e);
            core_e = p;
        } else if (*p == '<' && lt == NULL) {
            lt = p;
            for (p++; p < e && *p != '>'; p++)
                if (*p == '"')
                    p = rewrite_skip_quoted(p, e) - 1;
            gt = p < e ? p : NULL;
            p = p < e ? p + 1 : e;
        } else {
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
                if (core_s == NULL)
                    core_s = p;
                core_e = p + 1;
            }
            p++;
        }
    }
    if (lt != NULL && gt != NULL) {
        const char *a = lt + 1, *colon;

        /* Obsolete route "<@a,@b:user@x>": keep the route, rewrite user@x. */
        if (*a == '@' && (colon = memchr(a, ':', (size_t)(gt - a))) != NULL)
            a = colon + 1;
        buf_append(out, s, (size_t)(a - s));
        if (rewrite_spec(cfg, cls, a, (size_t)(gt - a), out, domain, append_domain, changed) < 0)
            return REWRITE_ERROR;
        buf_append(out, gt, (size_t)(e - gt));
        return 0;
    }
    if (lt != NULL || core_s == NULL) {
        buf_append(out, s, (size_t)(e - s)); /* broken or empty: as is */
        return 0;
    }
    buf_append(out, s, (size_t)(core_s - s));
    if (rewrite_spec(cfg, cls, core_s, (size_t)(core_e - core_s), out, domain, append_domain,
                     changed) < 0)
        return REWRITE_ERROR;
    buf_append(out, core_e, (size_t)(e - core_e));
    return 0;
}

long rewrite_header_value(const struct rewrite_config *cfg, int cls, const char *value, size_t len,
                          struct buf *out, const char *domain, int append_domain)
{
    const char *p = value, *end = value + len, *member = value;
    long changed = 0;
    int angle = 0, seen_at = 0;

    while (p <= end) {
        int sep = 0;

        if (p == end) {
            sep = 1;
        } else if (*p == '(') {
            p = rewrite_skip_comment(p, end);
            continue;
        } else if (*p == '"') {
            p = rewrite_skip_quoted(p, end);
            continue;
        } else if (*p == '<') {
            angle = 1;
        } else if (*p == '>') {
            angle = 0;
        } else if (*p == '@' && !angle) {
            seen_at = 1;
        } else if (!angle && (*p == ',' || *p == ';')) {
            sep = 1;
        } else if (!angle && *p == ':' && !seen_at) {
            /* "Group name:" - the name is no address. */
            buf_append(out, member, (size_t)(p + 1 - member));
            member = p + 1;
            p++;
            continue;
        }
        if (sep) {
            if (rewrite_member(cfg, cls, member, p, out, domain, append_domain, &changed) < 0)
                return REWRITE_ERROR;
            if (p < end)
                buf_append_char(out, (unsigned char)*p);
            member = p + 1;
            seen_at = 0;
            angle = 0;
            if (p == end)
                break;
        }
        p++;
    }
    return changed;
}
