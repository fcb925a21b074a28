/*
 * net_list.c - Postfix-style client network lists (net_list.h). Addresses
 * are kept as 16 bytes (IPv4 in the first 4) with a family and a prefix
 * length, so a match is a masked byte compare and never parses again.
 * A file entry is read once at parse time, with a depth limit so that a
 * file naming itself cannot recurse forever.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dict/dict.h"
#include "mail/net_list.h"
#include "util/mem.h"
#include "util/str.h"

#define NET_LIST_FILE_DEPTH 4
#define NET_LIST_LINE_MAX   4096

enum net_kind { NET_ADDR, NET_TABLE, NET_NAME };

struct net_entry {
    enum net_kind kind;
    int negate;
    int family; /* AF_INET or AF_INET6 */
    unsigned prefix;
    unsigned char net[16];
    struct dict *dict;
    char *name; /* NET_NAME, lower case */
};

struct net_list {
    struct net_entry *items;
    size_t count;
    size_t cap;
};

/* addr into 16 bytes; the family, or 0 when it is not an address. */
static int net_parse_addr(const char *s, unsigned char out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, out) == 1)
        return AF_INET6;
    return 0;
}

static int net_prefix_match(const unsigned char *a, const unsigned char *net, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;

    if (memcmp(a, net, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((a[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static struct net_entry *net_list_add(struct net_list *list)
{
    struct net_entry *e;

    if (list->count == list->cap) {
        list->cap = list->cap ? mem_size_mul(list->cap, 2) : 8;
        list->items = mem_realloc(list->items, mem_size_mul(list->cap, sizeof(*list->items)));
    }
    e = &list->items[list->count++];
    memset(e, 0, sizeof(*e));
    return e;
}

/* "addr", "[addr]", "addr/len" or "[addr]/len" (brackets optional for v6). */
static int net_parse_cidr(char *word, struct net_entry *e, struct buf *err)
{
    char *slash = strrchr(word, '/');
    char *host = word;
    unsigned char masked[16];
    long len = -1;
    size_t hl;

    if (slash != NULL) {
        *slash = 0;
        if (str_to_long(slash + 1, &len) < 0 || len < 0) {
            buf_printf(err, "bad network mask length in \"%s/%s\"", word, slash + 1);
            return -1;
        }
    }
    hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        host++;
    }
    e->family = net_parse_addr(host, e->net);
    if (e->family == 0) {
        buf_printf(err, "bad address \"%s\"", host);
        return -1;
    }
    if (len < 0)
        len = e->family == AF_INET ? 32 : 128;
    if (len > (e->family == AF_INET ? 32 : 128)) {
        buf_printf(err, "bad network mask length %ld for \"%s\"", len, host);
        return -1;
    }
    e->prefix = (unsigned)len;
    /* Postfix refuses 192.0.2.1/24: the writer probably meant the network. */
    memset(masked, 0, sizeof(masked));
    memcpy(masked, e->net, e->prefix / 8);
    if (e->prefix % 8)
        masked[e->prefix / 8] = e->net[e->prefix / 8] & (0xff << (8 - e->prefix % 8)) & 0xff;
    if (memcmp(masked, e->net, 16) != 0) {
        buf_printf(err, "non-null host address bits in \"%s/%ld\"", host, len);
        return -1;
    }
    e->kind = NET_ADDR;
    return 0;
}

static int net_list_add_text(struct net_list *list, const char *text, int depth, struct buf *err);

/* An address, with an optional "/len" (checked later), or digits and dots. */
static int net_looks_like_addr(const char *word)
{
    unsigned char tmp[16];
    const char *slash = strrchr(word, '/');
    size_t len = slash ? (size_t)(slash - word) : strlen(word);
    char host[64];

    if (strspn(word, "0123456789.") == strlen(word))
        return 1;
    if (len >= sizeof(host))
        return 0;
    memcpy(host, word, len);
    host[len] = 0;
    return net_parse_addr(host, tmp) != 0;
}

static int net_list_add_file(struct net_list *list, const char *path, int depth, struct buf *err)
{
    FILE *fp;
    struct buf text = BUF_INIT;
    char line[NET_LIST_LINE_MAX];
    int ret = 0;

    if (depth >= NET_LIST_FILE_DEPTH) {
        buf_printf(err, "%s: files nested too deeply", path);
        return -1;
    }
    if ((fp = fopen(path, "r")) == NULL) {
        buf_printf(err, "open %s: %m", path);
        return -1;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        char *hash = strchr(line, '#');

        /* A split line could cut an entry in two: refuse, never guess. */
        if (strchr(line, '\n') == NULL && !feof(fp)) {
            buf_printf(err, "%s: line longer than %d bytes", path, NET_LIST_LINE_MAX - 2);
            ret = -1;
            break;
        }
        if (hash != NULL)
            *hash = 0;
        buf_append_str(&text, line);
        buf_append_char(&text, ' ');
    }
    if (ret == 0 && ferror(fp)) {
        buf_printf(err, "read %s: %m", path);
        ret = -1;
    }
    fclose(fp);
    if (ret == 0)
        ret = net_list_add_text(list, buf_str(&text), depth + 1, err);
    buf_release(&text);
    return ret;
}

static int net_list_add_word(struct net_list *list, char *word, int depth, struct buf *err)
{
    struct net_entry *e;
    int negate = 0;

    while (*word == '!') {
        negate = !negate;
        word++;
    }
    if (*word == 0) {
        buf_set(err, "empty entry after \"!\"");
        return -1;
    }
    if (*word == '/') {
        if (negate) {
            buf_printf(err, "\"!\" before a file name is not supported: %s", word);
            return -1;
        }
        return net_list_add_file(list, word, depth, err);
    }
    e = net_list_add(list);
    e->negate = negate;
    /* "fe80::/10" and "hash:/etc/x" both hold ':' and '/': an address
     * first, then a table; a word of digits and dots is a broken address,
     * never a host name. */
    if (word[0] == '[' || net_looks_like_addr(word) ||
        (strchr(word, ':') == NULL && strchr(word, '/') != NULL)) {
        if (net_parse_cidr(word, e, err) < 0) {
            list->count--;
            return -1;
        }
    } else if (strchr(word, ':') != NULL) {
        e->kind = NET_TABLE;
        if ((e->dict = dict_open(word, DICT_FLAGS_LOOKUP, err)) == NULL) {
            list->count--;
            return -1;
        }
    } else {
        e->kind = NET_NAME;
        e->name = str_lower(mem_strdup(word));
    }
    return 0;
}

static int net_list_add_text(struct net_list *list, const char *text, int depth, struct buf *err)
{
    char *copy = mem_strdup(text), *cursor = copy, *word;
    int ret = 0;

    while (ret == 0 && (word = str_token_list(&cursor)) != NULL)
        ret = net_list_add_word(list, word, depth, err);
    mem_free(copy);
    return ret;
}

struct net_list *net_list_parse(const char *text, struct buf *err)
{
    struct net_list *list = mem_calloc(1, sizeof(*list));

    buf_reset(err);
    if (net_list_add_text(list, text, 0, err) < 0) {
        net_list_free(list);
        return NULL;
    }
    return list;
}

void net_list_free(struct net_list *list)
{
    size_t i;

    if (list == NULL)
        return;
    for (i = 0; i < list->count; i++) {
        if (list->items[i].dict != NULL)
            dict_close(list->items[i].dict);
        mem_free(list->items[i].name);
    }
    mem_free(list->items);
    mem_free(list);
}

static int net_name_match(const char *pattern, const char *name)
{
    size_t pl = strlen(pattern), nl = strlen(name);

    if (pattern[0] == '.')
        return nl > pl && strcasecmp(name + nl - pl, pattern) == 0;
    return strcasecmp(name, pattern) == 0;
}

int net_list_match(const struct net_list *list, const char *addr, const char *name)
{
    unsigned char a[16];
    int family = net_parse_addr(addr, a);
    size_t i;

    if (name != NULL && (name[0] == 0 || strcmp(name, "unknown") == 0))
        name = NULL;
    for (i = 0; i < list->count; i++) {
        const struct net_entry *e = &list->items[i];
        const char *value;
        int hit = 0, r;

        switch (e->kind) {
        case NET_ADDR:
            hit = family == e->family && net_prefix_match(a, e->net, e->prefix);
            break;
        case NET_NAME:
            hit = name != NULL && net_name_match(e->name, name);
            break;
        case NET_TABLE:
            r = dict_lookup(e->dict, addr, &value);
            if (r == DICT_NOTFOUND && name != NULL)
                r = dict_lookup(e->dict, name, &value);
            if (r == DICT_ERROR)
                return -1;
            hit = r == DICT_FOUND;
            break;
        }
        if (hit)
            return e->negate ? 0 : 1;
    }
    return 0;
}
