/*
 * resolve.c - address resolution: class, transport, nexthop (resolve.h).
 *
 * The domain lists and the machine's own addresses are parsed once in
 * resolve_new(); resolve_addr() then only compares strings and looks up
 * tables. Answers without a table error are cached (bounded: the cache is
 * dropped whole when full, which keeps it simple and its memory fixed). A
 * table error is never cached, so the next attempt asks the table again.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "dict/dict.h"
#include "mail/resolve.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

/* Longest line read from a "/file" list entry, and nesting of such files. */
#define RESOLVE_FILE_LINE_MAX 4096
#define RESOLVE_FILE_DEPTH    3

enum resolve_item_kind { ITEM_NAME, ITEM_DICT };

struct resolve_item {
    int negate;
    int kind;
    char *name;        /* ITEM_NAME: folded, without a trailing dot */
    struct dict *dict; /* ITEM_DICT */
};

struct resolve_list {
    const char *param; /* for messages */
    int parent;        /* "domain" also matches subdomains */
    struct resolve_item *items;
    size_t count;
};

struct resolve_cached {
    int rclass;
    int flags;
    char *transport;
    char *nexthop;
    char *address;
};

struct resolver {
    char *myhostname;
    char *mydomain;
    char *myorigin;
    char *local_transport;
    char *virtual_transport;
    char *relay_transport;
    char *default_transport;
    char *relayhost;
    char *delims; /* recipient_delimiter */
    int append_at_myorigin;
    int append_dot_mydomain;
    int maps_parent;
    struct resolve_list mydestination;
    struct resolve_list alias_domains;
    struct resolve_list mailbox_domains;
    struct resolve_list relay_domains;
    struct dict **maps; /* transport_maps */
    size_t nmaps;
    char **own_addrs; /* canonical textual addresses of this machine */
    size_t nown;
    int own_all; /* inet_interfaces = all: ask getifaddrs() */
    struct htable *cache;
    size_t cache_size;
};

const char *resolve_class_name(int rclass)
{
    switch (rclass) {
    case RESOLVE_CLASS_LOCAL:
        return "local";
    case RESOLVE_CLASS_ALIAS:
        return "alias";
    case RESOLVE_CLASS_VIRTUAL:
        return "virtual";
    case RESOLVE_CLASS_RELAY:
        return "relay";
    default:
        return "default";
    }
}

void resolve_reply_init(struct resolve_reply *reply)
{
    reply->rclass = RESOLVE_CLASS_DEFAULT;
    reply->flags = 0;
    buf_init(&reply->transport);
    buf_init(&reply->nexthop);
    buf_init(&reply->address);
    buf_init(&reply->reason);
}

void resolve_reply_free(struct resolve_reply *reply)
{
    buf_release(&reply->transport);
    buf_release(&reply->nexthop);
    buf_release(&reply->address);
    buf_release(&reply->reason);
}

static char *resolve_dup(const char *s)
{
    return mem_strdup(s ? s : "");
}

/* Folds to lower case and drops one trailing dot, in place. */
static void resolve_fold_domain(char *d)
{
    size_t len;

    str_lower(d);
    len = strlen(d);
    if (len > 1 && d[len - 1] == '.')
        d[len - 1] = '\0';
}

/* Whether name appears in the list value (parent_domain_matches_subdomains). */
static int resolve_word_in(const char *list, const char *name)
{
    char *copy = mem_strdup(list ? list : "");
    char *cursor = copy;
    char *word;
    int found = 0;

    while (!found && (word = str_token_list(&cursor)) != NULL)
        found = strcmp(word, name) == 0;
    mem_free(copy);
    return found;
}

static void resolve_list_add(struct resolve_list *list, int negate, int kind, char *name,
                             struct dict *d)
{
    list->items = mem_realloc(list->items, mem_size_mul(list->count + 1, sizeof(list->items[0])));
    list->items[list->count].negate = negate;
    list->items[list->count].kind = kind;
    list->items[list->count].name = name;
    list->items[list->count].dict = d;
    list->count++;
}

static int resolve_list_parse(struct resolve_list *list, const char *value, int depth,
                              struct buf *err);

/* "/file": its words are list entries (Postfix's list syntax). */
static int resolve_list_file(struct resolve_list *list, const char *path, int depth,
                             struct buf *err)
{
    FILE *fp;
    char line[RESOLVE_FILE_LINE_MAX];
    int ret = 0;

    if (depth >= RESOLVE_FILE_DEPTH) {
        buf_printf(err, "%s: file %s: nested too deeply", list->param, path);
        return -1;
    }
    if ((fp = fopen(path, "r")) == NULL) {
        buf_printf(err, "%s: open %s: %s", list->param, path, strerror(errno));
        return -1;
    }
    while (ret == 0 && fgets(line, sizeof(line), fp) != NULL) {
        char *hash = strchr(line, '#');

        if (hash)
            *hash = '\0';
        ret = resolve_list_parse(list, line, depth + 1, err);
    }
    fclose(fp);
    return ret;
}

/* The next list entry of *cursor: like str_token(), but separators inside
 * {braces} do not split ("inline:{ a=b, c=d }" is one entry); an entry that
 * is all braced ("{ a b }") loses its outer braces. NULL at the end, or
 * with *bad set on unbalanced braces. */
static char *resolve_next_word(char **cursor, int *bad)
{
    char *start = *cursor + strspn(*cursor, STR_LIST_SEP);
    char *p;
    int depth = 0;

    *bad = 0;
    if (*start == '\0') {
        *cursor = start;
        return NULL;
    }
    for (p = start; *p && (depth > 0 || strchr(STR_LIST_SEP, *p) == NULL); p++) {
        if (*p == '{')
            depth++;
        else if (*p == '}' && depth > 0)
            depth--;
    }
    if (depth > 0) {
        *bad = 1;
        *cursor = p;
        return NULL;
    }
    *cursor = *p ? p + 1 : p;
    *p = '\0';
    if (start[0] == '{' && p > start + 1 && p[-1] == '}') {
        p[-1] = '\0';
        start = str_trim(start + 1);
    }
    return start;
}

static int resolve_list_parse(struct resolve_list *list, const char *value, int depth,
                              struct buf *err)
{
    char *copy = mem_strdup(value ? value : "");
    char *cursor = copy;
    char *word;
    int ret = 0;
    int bad = 0;

    while (ret == 0 && (word = resolve_next_word(&cursor, &bad)) != NULL) {
        int negate = 0;

        while (*word == '!') {
            negate = !negate;
            word++;
        }
        if (*word == '\0')
            continue;
        if (*word == '/') {
            ret = resolve_list_file(list, word, depth, err);
        } else if (strchr(word, ':') != NULL && word[0] != '[') {
            struct buf derr = BUF_INIT;
            struct dict *d = dict_open(word, DICT_FLAGS_LOOKUP, &derr);

            if (d == NULL) {
                buf_printf(err, "%s: %s", list->param, buf_str(&derr));
                ret = -1;
            } else {
                resolve_list_add(list, negate, ITEM_DICT, NULL, d);
            }
            buf_release(&derr);
        } else {
            char *name = mem_strdup(word);

            resolve_fold_domain(name);
            resolve_list_add(list, negate, ITEM_NAME, name, NULL);
        }
    }
    if (ret == 0 && bad) {
        buf_printf(err, "%s: missing '}' in \"%s\"", list->param, value);
        ret = -1;
    }
    mem_free(copy);
    return ret;
}

static void resolve_list_free(struct resolve_list *list)
{
    size_t i;

    for (i = 0; i < list->count; i++) {
        mem_free(list->items[i].name);
        if (list->items[i].dict)
            dict_close(list->items[i].dict);
    }
    mem_free(list->items);
    list->items = NULL;
    list->count = 0;
}

/* Looks up domain, then its parents ("parent" or ".parent"), in d. */
static int resolve_dict_domain(struct dict *d, const char *domain, int parent, const char **value)
{
    const char *p;
    int st;
    struct buf key = BUF_INIT;

    st = dict_lookup(d, domain, value);
    for (p = strchr(domain, '.'); st == DICT_NOTFOUND && p != NULL; p = strchr(p + 1, '.')) {
        buf_reset(&key);
        buf_append_str(&key, parent ? p + 1 : p);
        if (buf_len(&key) > 0 && !(parent && p[1] == '\0'))
            st = dict_lookup(d, buf_str(&key), value);
    }
    buf_release(&key);
    return st;
}

/* 1 match, 0 no match, -1 table error. domain is folded. The first item
 * that matches decides (a negated one says no), as Postfix's lists do. */
static int resolve_list_match(const struct resolve_list *list, const char *domain)
{
    size_t i;
    size_t dlen = strlen(domain);

    for (i = 0; i < list->count; i++) {
        const struct resolve_item *it = &list->items[i];
        int hit = 0;

        if (it->kind == ITEM_DICT) {
            const char *value;
            int st = resolve_dict_domain(it->dict, domain, list->parent, &value);

            if (st == DICT_ERROR)
                return -1;
            hit = st == DICT_FOUND;
        } else if (it->name[0] == '.') {
            size_t nlen = strlen(it->name);

            hit = dlen > nlen && strcmp(domain + dlen - nlen, it->name) == 0;
        } else {
            size_t nlen = strlen(it->name);

            hit = strcmp(domain, it->name) == 0 ||
                  (list->parent && dlen > nlen && domain[dlen - nlen - 1] == '.' &&
                   strcmp(domain + dlen - nlen, it->name) == 0);
        }
        if (hit)
            return it->negate ? 0 : 1;
    }
    return 0;
}

/* Canonical text of a numeric address, or -1. */
static int resolve_canon_addr(const char *text, char *out, size_t size)
{
    unsigned char bin[sizeof(struct in6_addr)];

    if (inet_pton(AF_INET, text, bin) == 1)
        return inet_ntop(AF_INET, bin, out, (socklen_t)size) ? 0 : -1;
    if (inet_pton(AF_INET6, text, bin) == 1)
        return inet_ntop(AF_INET6, bin, out, (socklen_t)size) ? 0 : -1;
    return -1;
}

static void resolve_own_add(struct resolver *r, const char *canon)
{
    size_t i;

    for (i = 0; i < r->nown; i++)
        if (strcmp(r->own_addrs[i], canon) == 0)
            return;
    r->own_addrs = mem_realloc(r->own_addrs, mem_size_mul(r->nown + 1, sizeof(r->own_addrs[0])));
    r->own_addrs[r->nown++] = mem_strdup(canon);
}

/* Adds every address of an inet_interfaces/proxy_interfaces entry
 * (numeric, [numeric], or a host name looked up once). */
static void resolve_own_entry(struct resolver *r, const char *entry)
{
    char host[NI_MAXHOST];
    char canon[INET6_ADDRSTRLEN];
    struct addrinfo hints, *res, *ai;
    size_t len = strlen(entry);

    if (len >= sizeof(host))
        return;
    if (entry[0] == '[' && len > 2 && entry[len - 1] == ']') {
        memcpy(host, entry + 1, len - 2);
        host[len - 2] = '\0';
    } else {
        memcpy(host, entry, len + 1);
    }
    if (resolve_canon_addr(host, canon, sizeof(canon)) == 0) {
        resolve_own_add(r, canon);
        return;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0) {
        msg_warn("inet_interfaces: cannot look up \"%s\"; it is not counted as local", host);
        return;
    }
    for (ai = res; ai; ai = ai->ai_next)
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, canon, sizeof(canon), NULL, 0,
                        NI_NUMERICHOST) == 0)
            resolve_own_add(r, canon);
    freeaddrinfo(res);
}

static void resolve_own_list(struct resolver *r, const char *value)
{
    char *copy = mem_strdup(value ? value : "");
    char *cursor = copy;
    char *word;

    while ((word = str_token_list(&cursor)) != NULL) {
        if (strcasecmp(word, "all") == 0) {
            r->own_all = 1;
        } else if (strcasecmp(word, "loopback-only") == 0) {
            resolve_own_add(r, "127.0.0.1");
            resolve_own_add(r, "::1");
        } else {
            resolve_own_entry(r, word);
        }
    }
    mem_free(copy);
}

/* Whether canon (canonical address text) is one of this machine's. */
static int resolve_own_match(const struct resolver *r, const char *canon)
{
    struct ifaddrs *ifa, *p;
    char text[INET6_ADDRSTRLEN];
    size_t i;
    int found = 0;

    for (i = 0; i < r->nown; i++)
        if (strcmp(r->own_addrs[i], canon) == 0)
            return 1;
    if (!r->own_all || getifaddrs(&ifa) < 0)
        return 0;
    for (p = ifa; p && !found; p = p->ifa_next) {
        if (p->ifa_addr == NULL)
            continue;
        if (p->ifa_addr->sa_family == AF_INET)
            found = inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr, text,
                              sizeof(text)) &&
                    strcmp(text, canon) == 0;
        else if (p->ifa_addr->sa_family == AF_INET6)
            found = inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr,
                              text, sizeof(text)) &&
                    strcmp(text, canon) == 0;
    }
    freeifaddrs(ifa);
    return found;
}

/* Whether a domain "[...]" names this machine. */
static int resolve_literal_is_own(const struct resolver *r, const char *domain)
{
    char inner[INET6_ADDRSTRLEN + 8];
    char canon[INET6_ADDRSTRLEN];
    const char *p = domain + 1;
    size_t len = strlen(domain);

    if (len < 3 || domain[len - 1] != ']' || len - 2 >= sizeof(inner))
        return 0;
    if (strncasecmp(p, "ipv6:", 5) == 0) {
        p += 5;
        len -= 5;
    }
    memcpy(inner, p, len - 2);
    inner[len - 2] = '\0';
    if (resolve_canon_addr(inner, canon, sizeof(canon)) < 0)
        return 0;
    return resolve_own_match(r, canon);
}

int resolve_addr_is_own(const struct resolver *r, const char *addr)
{
    char canon[INET6_ADDRSTRLEN];

    if (resolve_canon_addr(addr, canon, sizeof(canon)) < 0)
        return 0;
    return resolve_own_match(r, canon);
}

static void resolve_free_cached(void *p)
{
    struct resolve_cached *c = p;

    mem_free(c->transport);
    mem_free(c->nexthop);
    mem_free(c->address);
    mem_free(c);
}

static int resolve_open_maps(struct resolver *r, const char *value, struct buf *err)
{
    char *copy = mem_strdup(value ? value : "");
    char *cursor = copy;
    char *word;
    int ret = 0;
    int bad = 0;

    while (ret == 0 && (word = resolve_next_word(&cursor, &bad)) != NULL) {
        struct buf derr = BUF_INIT;
        struct dict *d = dict_open(word, DICT_FLAGS_LOOKUP, &derr);

        if (d == NULL) {
            buf_printf(err, "transport_maps: %s", buf_str(&derr));
            ret = -1;
        } else {
            r->maps = mem_realloc(r->maps, mem_size_mul(r->nmaps + 1, sizeof(r->maps[0])));
            r->maps[r->nmaps++] = d;
        }
        buf_release(&derr);
    }
    if (ret == 0 && bad) {
        buf_printf(err, "transport_maps: missing '}' in \"%s\"", value);
        ret = -1;
    }
    mem_free(copy);
    return ret;
}

struct resolver *resolve_new(const struct resolve_conf *conf, struct buf *err)
{
    struct resolver *r = mem_calloc(1, sizeof(*r));
    const char *pd = conf->parent_domain_matches_subdomains;

    r->myhostname = resolve_dup(conf->myhostname);
    r->mydomain = resolve_dup(conf->mydomain);
    r->myorigin = resolve_dup(conf->myorigin);
    r->local_transport = resolve_dup(conf->local_transport);
    r->virtual_transport = resolve_dup(conf->virtual_transport);
    r->relay_transport = resolve_dup(conf->relay_transport);
    r->default_transport = resolve_dup(conf->default_transport);
    r->relayhost = resolve_dup(conf->relayhost);
    r->delims = resolve_dup(conf->recipient_delimiter);
    r->append_at_myorigin = conf->append_at_myorigin;
    r->append_dot_mydomain = conf->append_dot_mydomain;
    r->cache_size = conf->cache_size;
    r->maps_parent = resolve_word_in(pd, "transport_maps");
    r->mydestination.param = "mydestination";
    r->mydestination.parent = resolve_word_in(pd, "mydestination");
    r->alias_domains.param = "virtual_alias_domains";
    r->alias_domains.parent = resolve_word_in(pd, "virtual_alias_domains");
    r->mailbox_domains.param = "virtual_mailbox_domains";
    r->mailbox_domains.parent = resolve_word_in(pd, "virtual_mailbox_domains");
    r->relay_domains.param = "relay_domains";
    r->relay_domains.parent = resolve_word_in(pd, "relay_domains");
    resolve_own_list(r, conf->inet_interfaces);
    resolve_own_list(r, conf->proxy_interfaces);
    if (resolve_list_parse(&r->mydestination, conf->mydestination, 0, err) < 0 ||
        resolve_list_parse(&r->alias_domains, conf->virtual_alias_domains, 0, err) < 0 ||
        resolve_list_parse(&r->mailbox_domains, conf->virtual_mailbox_domains, 0, err) < 0 ||
        resolve_list_parse(&r->relay_domains, conf->relay_domains, 0, err) < 0 ||
        resolve_open_maps(r, conf->transport_maps, err) < 0) {
        resolve_free(r);
        return NULL;
    }
    return r;
}

struct resolver *resolve_from_conf(struct buf *err)
{
    struct resolve_conf c;

    memset(&c, 0, sizeof(c));
    c.myhostname = var_myhostname;
    c.mydomain = var_mydomain;
    c.myorigin = var_myorigin;
    c.mydestination = var_mydestination;
    c.inet_interfaces = var_inet_interfaces;
    c.proxy_interfaces = var_proxy_interfaces;
    c.virtual_alias_domains = var_virtual_alias_domains;
    c.virtual_mailbox_domains = var_virtual_mailbox_domains;
    c.relay_domains = var_relay_domains;
    c.local_transport = var_local_transport;
    c.virtual_transport = var_virtual_transport;
    c.relay_transport = var_relay_transport;
    c.default_transport = var_default_transport;
    c.relayhost = var_relayhost;
    c.recipient_delimiter = var_recipient_delimiter;
    c.transport_maps = var_transport_maps;
    c.parent_domain_matches_subdomains = var_parent_domain_matches_subdomains;
    c.append_at_myorigin = var_append_at_myorigin;
    c.append_dot_mydomain = var_append_dot_mydomain;
    c.cache_size = 1000;
    return resolve_new(&c, err);
}

void resolve_free(struct resolver *r)
{
    size_t i;

    if (r == NULL)
        return;
    mem_free(r->myhostname);
    mem_free(r->mydomain);
    mem_free(r->myorigin);
    mem_free(r->local_transport);
    mem_free(r->virtual_transport);
    mem_free(r->relay_transport);
    mem_free(r->default_transport);
    mem_free(r->relayhost);
    mem_free(r->delims);
    resolve_list_free(&r->mydestination);
    resolve_list_free(&r->alias_domains);
    resolve_list_free(&r->mailbox_domains);
    resolve_list_free(&r->relay_domains);
    for (i = 0; i < r->nmaps; i++)
        dict_close(r->maps[i]);
    mem_free(r->maps);
    for (i = 0; i < r->nown; i++)
        mem_free(r->own_addrs[i]);
    mem_free(r->own_addrs);
    if (r->cache)
        htable_free(r->cache, resolve_free_cached);
    mem_free(r);
}

void resolve_cache_flush(struct resolver *r)
{
    if (r->cache) {
        htable_free(r->cache, resolve_free_cached);
        r->cache = NULL;
    }
}

int resolve_domain_in(struct resolver *r, const char *list_name, const char *domain)
{
    const struct resolve_list *list;
    char *folded = mem_strdup(domain);
    int ret;

    if (strcmp(list_name, "mydestination") == 0)
        list = &r->mydestination;
    else if (strcmp(list_name, "virtual_alias_domains") == 0)
        list = &r->alias_domains;
    else if (strcmp(list_name, "virtual_mailbox_domains") == 0)
        list = &r->mailbox_domains;
    else if (strcmp(list_name, "relay_domains") == 0)
        list = &r->relay_domains;
    else
        msg_panic("resolve_domain_in: unknown list %s", list_name);
    resolve_fold_domain(folded);
    ret = resolve_list_match(list, folded);
    mem_free(folded);
    return ret;
}

/* Splits "transport:nexthop" (no ':' means all transport). */
static void resolve_split(const char *value, struct buf *transport, struct buf *nexthop)
{
    const char *colon = strchr(value, ':');

    buf_reset(transport);
    buf_reset(nexthop);
    if (colon == NULL) {
        buf_append_str(transport, value);
    } else {
        buf_append(transport, value, (size_t)(colon - value));
        buf_append_str(nexthop, colon + 1);
    }
}

/* transport_maps in order: the address (with and without its extension),
 * the domain and its parents, "*". DICT_FOUND (*value), DICT_NOTFOUND or
 * DICT_ERROR (why says which table). */
static int resolve_maps_lookup(struct resolver *r, const char *addr, const char *domain,
                               const char **value, struct buf *why)
{
    size_t i;
    int st = DICT_NOTFOUND;

    for (i = 0; i < r->nmaps && st == DICT_NOTFOUND; i++) {
        if (addr[0] != '\0')
            st = dict_lookup_address(r->maps[i], addr, DICT_ADDR_FULL, r->delims, 0, value, NULL);
        if (st == DICT_NOTFOUND && domain[0] != '\0')
            st = resolve_dict_domain(r->maps[i], domain, r->maps_parent, value);
        if (st == DICT_NOTFOUND)
            st = dict_lookup(r->maps[i], "*", value);
        if (st == DICT_ERROR)
            buf_printf(why, "transport_maps lookup failure: table %s", r->maps[i]->spec);
    }
    return st;
}

/* The class's default transport and nexthop from a "transport[:nexthop]"
 * parameter; an empty nexthop falls back to fallback (relayhost) and then
 * to the recipient domain. */
static void resolve_class_route(const char *param, const char *fallback, const char *domain,
                                struct resolve_reply *reply)
{
    resolve_split(param, &reply->transport, &reply->nexthop);
    if (buf_len(&reply->nexthop) == 0)
        buf_set(&reply->nexthop, fallback && *fallback ? fallback : domain);
}

static void resolve_from_cache(const struct resolve_cached *c, struct resolve_reply *reply)
{
    reply->rclass = c->rclass;
    reply->flags = c->flags;
    buf_set(&reply->transport, c->transport);
    buf_set(&reply->nexthop, c->nexthop);
    buf_set(&reply->address, c->address);
    buf_reset(&reply->reason);
}

static void resolve_to_cache(struct resolver *r, const char *key, const struct resolve_reply *reply)
{
    struct resolve_cached *c;

    if (r->cache_size == 0)
        return;
    if (r->cache && r->cache->used >= r->cache_size)
        resolve_cache_flush(r);
    if (r->cache == NULL)
        r->cache = htable_new(r->cache_size);
    c = mem_alloc(sizeof(*c));
    c->rclass = reply->rclass;
    c->flags = reply->flags;
    c->transport = mem_strdup(buf_str(&reply->transport));
    c->nexthop = mem_strdup(buf_str(&reply->nexthop));
    c->address = mem_strdup(buf_str(&reply->address));
    c = htable_put(r->cache, key, c);
    if (c)
        resolve_free_cached(c);
}

/* Completes addr into reply->address (@$myorigin, .$mydomain); returns the
 * offset of the domain in it, or -1 when there is no domain. */
static long resolve_complete(const struct resolver *r, const char *addr, struct buf *out)
{
    const char *at = strrchr(addr, '@');
    const char *domain;
    size_t at_off;

    buf_set(out, addr);
    if (addr[0] == '\0')
        return -1;
    if (at == NULL) {
        if (!r->append_at_myorigin || r->myorigin[0] == '\0')
            return -1;
        buf_append_char(out, '@');
        buf_append_str(out, r->myorigin);
        at = strrchr(buf_str(out), '@');
        at_off = (size_t)(at - buf_str(out));
    } else {
        at_off = (size_t)(at - addr);
    }
    domain = buf_str(out) + at_off + 1;
    if (r->append_dot_mydomain && domain[0] != '\0' && domain[0] != '[' &&
        strchr(domain, '.') == NULL && r->mydomain[0] != '\0') {
        buf_append_char(out, '.');
        buf_append_str(out, r->mydomain);
    }
    return (long)at_off + 1;
}

int resolve_addr(struct resolver *r, const char *addr, struct resolve_reply *reply)
{
    struct resolve_cached *c;
    char *domain;
    const char *value;
    long off;
    int in;
    int st;

    reply->flags = 0;
    buf_reset(&reply->reason);
    if (r->cache && (c = htable_get(r->cache, addr)) != NULL) {
        resolve_from_cache(c, reply);
        return 0;
    }
    off = resolve_complete(r, addr, &reply->address);
    domain = mem_strdup(off < 0 ? "" : buf_str(&reply->address) + off);
    resolve_fold_domain(domain);

    /* The class. An address without a domain is local (Postfix's rule). */
    if (domain[0] == '\0') {
        reply->rclass = RESOLVE_CLASS_LOCAL;
    } else if (domain[0] == '[') {
        reply->rclass =
            resolve_literal_is_own(r, domain) ? RESOLVE_CLASS_LOCAL : RESOLVE_CLASS_DEFAULT;
    } else if ((in = resolve_list_match(&r->mydestination, domain)) != 0) {
        if (in < 0)
            goto table_error_list;
        reply->rclass = RESOLVE_CLASS_LOCAL;
    } else if ((in = resolve_list_match(&r->alias_domains, domain)) != 0) {
        if (in < 0)
            goto table_error_list;
        reply->rclass = RESOLVE_CLASS_ALIAS;
    } else if ((in = resolve_list_match(&r->mailbox_domains, domain)) != 0) {
        if (in < 0)
            goto table_error_list;
        reply->rclass = RESOLVE_CLASS_VIRTUAL;
    } else if ((in = resolve_list_match(&r->relay_domains, domain)) != 0) {
        if (in < 0)
            goto table_error_list;
        reply->rclass = RESOLVE_CLASS_RELAY;
    } else {
        reply->rclass = RESOLVE_CLASS_DEFAULT;
    }

    switch (reply->rclass) {
    case RESOLVE_CLASS_LOCAL:
        resolve_class_route(r->local_transport, r->myhostname, domain, reply);
        break;
    case RESOLVE_CLASS_ALIAS:
        /* Aliases that exist were expanded by cleanup; what is left is unknown. */
        buf_set(&reply->transport, "error");
        buf_set(&reply->nexthop, "5.1.1 User unknown in virtual alias table");
        break;
    case RESOLVE_CLASS_VIRTUAL:
        resolve_class_route(r->virtual_transport, NULL, domain, reply);
        break;
    case RESOLVE_CLASS_RELAY:
        resolve_class_route(r->relay_transport, r->relayhost, domain, reply);
        break;
    default:
        resolve_class_route(r->default_transport, r->relayhost, domain, reply);
        break;
    }

    if (reply->rclass != RESOLVE_CLASS_ALIAS && r->nmaps > 0) {
        st = resolve_maps_lookup(r, buf_str(&reply->address), domain, &value, &reply->reason);
        if (st == DICT_ERROR)
            goto table_error;
        if (st == DICT_FOUND) {
            struct buf t = BUF_INIT, n = BUF_INIT;

            resolve_split(value, &t, &n);
            if (buf_len(&t) > 0)
                buf_set(&reply->transport, buf_str(&t));
            if (buf_len(&n) > 0)
                buf_set(&reply->nexthop, buf_str(&n));
            reply->flags |= RESOLVE_FLAG_ROUTED;
            buf_release(&t);
            buf_release(&n);
        }
    }
    mem_free(domain);
    resolve_to_cache(r, addr, reply);
    return 0;

table_error_list:
    buf_printf(&reply->reason, "domain list lookup failure for %s", domain);
table_error:
    reply->flags |= RESOLVE_FLAG_ERROR;
    mem_free(domain);
    return -1;
}
