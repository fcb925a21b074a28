/*
 * smtpd_check_nets.c - mynetworks-style lists for the restriction
 * evaluator and smtpd_forbid_bare_newline_exclusions, matched by
 * lib/mail/net_list (CIDR, "!" exclusions, /file, type:table; first match
 * wins), and smtpd_check_net_parse() for HELO address literals.
 * Called with the client's printable address. A list that does not parse
 * matches nobody (mynetworks: fatal at start), which can only make
 * permit_mynetworks permit less, never more. Also local_header_rewrite_clients
 * (smtpd_check_rewrite): which clients get local-style header rewriting.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "mail/net_list.h"
#include "smtpd_check.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

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

/* Parsed lists by their text: mynetworks and the exclusion lists are
 * parsed (files read, tables opened) once per process. NULL values stand
 * for lists that did not parse (warned about once). */
static struct htable *check_net_lists;

static const struct net_list *smtpd_check_net_list(const char *text, const char *param)
{
    struct htable_entry *known;
    struct net_list *list;
    struct buf err = BUF_INIT;

    if (check_net_lists == NULL)
        check_net_lists = htable_new(4);
    if ((known = htable_find(check_net_lists, text)) != NULL)
        return known->value;
    if ((list = net_list_parse(text, &err)) == NULL)
        msg_warn("%s: %s: the list matches no client", param, buf_str(&err));
    htable_put(check_net_lists, text, list);
    buf_release(&err);
    return list;
}

/* Address entries only for mynetworks (Postfix matches no host names
 * there); a table lookup failure is "not in the list", never a permit. */
static int smtpd_check_nets_match(const struct smtpd_state *state, const struct net_list *list,
                                  const char *name)
{
    return list != NULL && net_list_match(list, state->addr, name) == 1;
}

int smtpd_check_mynetworks(const struct smtpd_state *state)
{
    return smtpd_check_nets_match(state, smtpd_check_net_list(var_mynetworks, "mynetworks"), NULL);
}

int smtpd_check_in_networks(const struct smtpd_state *state, const char *list)
{
    return smtpd_check_nets_match(state, smtpd_check_net_list(list, "network list"), state->name);
}

void smtpd_check_nets_init(void)
{
    struct buf err = BUF_INIT;
    struct net_list *list;

    /* A mynetworks that does not parse would silently change who may
     * relay: refuse to run, as Postfix does. */
    if ((list = net_list_parse(var_mynetworks, &err)) == NULL)
        msg_fatal("mynetworks: %s", buf_str(&err));
    net_list_free(list);
    (void)smtpd_check_net_list(var_mynetworks, "mynetworks");
    buf_release(&err);
}

/*
 * local_header_rewrite_clients, as Postfix evaluates it: the first element
 * that matches makes the client "local". A bare "type:table" (e.g.
 * static:all) stands for check_address_map with that table; any value
 * found for the client address matches. Unknown words are warned about
 * and skipped. A table error is a temporary failure (-1, check_reply set),
 * never a guess either way.
 */
int smtpd_check_rewrite(struct smtpd_state *state)
{
    char *copy = mem_strdup(var_local_header_rewrite_clients), *cursor = copy, *word;
    const char *value;
    int local = 0, result = 0, temp;

    while (!local && result == 0 && (word = str_token_list(&cursor)) != NULL) {
        const char *table = NULL;
        struct dict *d;
        int st;

        if (strcasecmp(word, "permit_inet_interfaces") == 0) {
            local = smtpd_check_own_addr(state);
        } else if (strcasecmp(word, "permit_mynetworks") == 0) {
            local = smtpd_check_mynetworks(state);
        } else if (strcasecmp(word, "permit_sasl_authenticated") == 0 ||
                   strcasecmp(word, "permit_tls_clientcerts") == 0 ||
                   strcasecmp(word, "permit_tls_all_clientcerts") == 0) {
            /* False until lib/sasl and lib/tls exist: no client has
             * authenticated or shown a certificate. */
            local = 0;
        } else if (strcasecmp(word, "check_address_map") == 0) {
            if ((table = str_token_list(&cursor)) == NULL)
                msg_warn("local_header_rewrite_clients: check_address_map needs a table");
        } else if (strchr(word, ':') != NULL) {
            table = word;
        } else {
            msg_warn("parameter local_header_rewrite_clients: invalid request: %s", word);
        }
        if (table == NULL)
            continue;
        d = smtpd_check_dict(table, &temp);
        if (d == NULL) {
            if (temp)
                result = -1;
            continue;
        }
        st = dict_lookup(d, state->addr, &value);
        if (st == DICT_FOUND)
            local = 1;
        else if (st == DICT_ERROR)
            result = -1;
        if (result < 0)
            msg_warn("local_header_rewrite_clients: %s: lookup error for %s", table, state->addr);
    }
    mem_free(copy);
    if (result < 0) {
        buf_set(&state->check_reply, "451 4.3.0 Temporary lookup failure");
        return -1;
    }
    state->local_client = local;
    return 0;
}
