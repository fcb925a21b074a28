/*
 * smtpd_check_nets.c - mynetworks-style address lists for the restriction
 * evaluator and smtpd_forbid_bare_newline_exclusions: "a.b.c.d/n",
 * "[v6::]/n", bare addresses, "!" exclusions; first match wins.
 * Called with the client's printable address. Table and /file entries are
 * not supported yet: they are warned about and skipped, which can only
 * make a list match fewer clients, never more.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "mail/cleanup_proto.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_reply.h"
#include "smtpd_check.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

static struct check_net *check_mynets;
static size_t check_mynet_count;

int smtpd_check_net_parse(const char *word, struct check_net *net)
{
    char text[INET6_ADDRSTRLEN + 8];
    char *slash, *p = text;
    long prefix;
    size_t len;

    memset(net, 0, sizeof(*net));
    if (*word == '!') {
        net->negate = 1;
        word++;
    }
    if (snprintf(text, sizeof(text), "%s", word) >= (int)sizeof(text))
        return -1;
    slash = strchr(text, '/');
    if (slash)
        *slash++ = '\0';
    if (*p == '[') {
        len = strlen(p);
        if (len < 2 || p[len - 1] != ']')
            return -1;
        p[len - 1] = '\0';
        p++;
    }
    if (inet_pton(AF_INET, p, net->addr) == 1) {
        net->family = AF_INET;
        net->prefix = 32;
    } else if (inet_pton(AF_INET6, p, net->addr) == 1) {
        net->family = AF_INET6;
        net->prefix = 128;
    } else {
        return -1;
    }
    if (slash) {
        if (str_to_long(slash, &prefix) < 0 || prefix < 0 || prefix > net->prefix)
            return -1;
        net->prefix = (int)prefix;
    }
    return 0;
}

/* The client address as family + bytes (IPv4-mapped IPv6 as IPv4). */
static int smtpd_check_client_bytes(const struct smtpd_state *state, unsigned char *out)
{
    if (inet_pton(AF_INET, state->addr, out) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, state->addr, out) == 1)
        return AF_INET6;
    return 0;
}

static int smtpd_check_net_match(const struct check_net *net, int family, const unsigned char *addr)
{
    int full = net->prefix / 8, rest = net->prefix % 8;

    if (family != net->family)
        return 0;
    if (memcmp(net->addr, addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((net->addr[full] ^ addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* Parses a list of networks; entries we cannot use are warned about once. */
static size_t smtpd_check_nets(const char *value, const char *param, struct check_net **out)
{
    char *copy = mem_strdup(value), *cursor = copy, *word;
    struct check_net *nets = NULL;
    size_t count = 0;

    while ((word = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        nets = mem_realloc_array(nets, count + 1, sizeof(*nets));
        if (smtpd_check_net_parse(word, &nets[count]) < 0) {
            /* Tables and /file names in network lists are not supported
             * yet: ignoring one can only narrow the list. */
            msg_warn("%s: ignoring unsupported network \"%s\"", param, word);
            continue;
        }
        count++;
    }
    mem_free(copy);
    *out = nets;
    return count;
}

static int smtpd_check_nets_match(const struct smtpd_state *state, const struct check_net *nets,
                                  size_t count)
{
    unsigned char addr[16];
    int family = smtpd_check_client_bytes(state, addr);
    size_t i;

    if (family == 0)
        return 0;
    for (i = 0; i < count; i++)
        if (smtpd_check_net_match(&nets[i], family, addr))
            return !nets[i].negate;
    return 0;
}

int smtpd_check_mynetworks(const struct smtpd_state *state)
{
    return smtpd_check_nets_match(state, check_mynets, check_mynet_count);
}

int smtpd_check_in_networks(const struct smtpd_state *state, const char *list)
{
    struct check_net *nets;
    size_t count;
    int match;

    if (strcmp(list, var_mynetworks) == 0)
        return smtpd_check_mynetworks(state);
    count = smtpd_check_nets(list, "network list", &nets);
    match = smtpd_check_nets_match(state, nets, count);
    mem_free(nets);
    return match;
}

void smtpd_check_nets_init(void)
{
    check_mynet_count = smtpd_check_nets(var_mynetworks, "mynetworks", &check_mynets);
}
