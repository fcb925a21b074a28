/*
 * smtpd_check_access.c - check_client_access, check_helo_access,
 * check_sender_access and check_recipient_access, and what a table's
 * value means (access(5)): OK, all-numerical, REJECT, DEFER, DUNNO,
 * 4xx/5xx text, HOLD, DISCARD, PREPEND, WARN, INFO, or a restriction list
 * or class name (evaluated recursively, depth-limited). Lookup order as
 * Postfix: the full address, the domain and its parents, "user@"; for
 * clients the name and its parents, then the address and its prefixes.
 * A table error is a 4xx reply, never a permit.
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

/* Parses "4.7.1 text" off the front of a table's reply text. */
static const char *smtpd_check_split_dsn(const char *text, int code, char *dsn, size_t size)
{
    char tmp[16];
    int n = 0;

    if (sscanf(text, "%15[0-9.]%n", tmp, &n) == 1 && (text[n] == ' ' || text[n] == '\0')) {
        snprintf(dsn, size, "%s", tmp);
        if (smtp_reply_dsn_valid(dsn, code))
            return text[n] ? text + n + 1 : text + n;
    }
    snprintf(dsn, size, "%d.7.1", code / 100);
    return text;
}

/*
 * REDIRECT address, FILTER transport:nexthop, BCC address: remembered for
 * cleanup's "end" request (the last of each wins, as Postfix), logged like
 * HOLD. A malformed argument is warned about and ignored (Postfix too).
 */
static int smtpd_check_late_action(struct check_ctx *ctx, const char *word, const char *text,
                                   const char *key)
{
    struct smtpd_state *state = ctx->state;
    struct buf why = BUF_INIT, upper = BUF_INIT;
    char **slot;
    const char *colon = strchr(text, ':');
    size_t i;

    if (*text == '\0' || strpbrk(text, " \t") != NULL ||
        (strcasecmp(word, "FILTER") == 0 && (colon == NULL || colon == text))) {
        msg_warn("access table: bad %s action argument \"%.100s\": ignored", word, text);
        return CHECK_DUNNO;
    }
    for (i = 0; word[i]; i++)
        buf_append_char(&upper, (char)toupper((unsigned char)word[i]));
    slot = upper.data[0] == 'R'   ? &state->redirect
           : upper.data[0] == 'F' ? &state->filter
                                  : &state->bcc;
    mem_free(*slot);
    *slot = mem_strdup(text);
    buf_printf(&why, "<%s>: %s triggers %s %s", key, ctx->reply_what, buf_str(&upper), text);
    str_lower(upper.data);
    smtpd_log_reject(state, buf_str(&upper), ctx->cmd, buf_str(&why), ctx->rcpt);
    buf_release(&why);
    buf_release(&upper);
    return CHECK_DUNNO;
}

/* What an access table's value means (access(5)). key is shown in the reply. */
static int smtpd_check_action(struct check_ctx *ctx, const char *value, const char *key)
{
    struct smtpd_state *state = ctx->state;
    const char *text;
    char word[32], dsn[16];
    size_t wlen = strcspn(value, " \t");
    int code;

    snprintf(word, sizeof(word), "%.*s", (int)(wlen < sizeof(word) ? wlen : sizeof(word) - 1),
             value);
    text = value + wlen;
    while (*text == ' ' || *text == '\t')
        text++;
    /* OK, or an all-numerical value other than a 4xx/5xx code. */
    if (strcasecmp(word, "OK") == 0 || (wlen > 0 && strspn(word, "0123456789") == wlen &&
                                        !(wlen == 3 && (word[0] == '4' || word[0] == '5'))))
        return CHECK_OK;
    if (strcasecmp(word, "DUNNO") == 0)
        return CHECK_DUNNO;
    if (strcasecmp(word, "REJECT") == 0)
        return smtpd_check_reject(ctx, var_access_map_reject_code, "5.7.1", "<%s>: %s rejected: %s",
                                  key, ctx->reply_what, *text ? text : "Access denied");
    if (strcasecmp(word, "DEFER") == 0)
        return smtpd_check_reject(ctx, var_access_map_defer_code, "4.7.1", "<%s>: %s rejected: %s",
                                  key, ctx->reply_what, *text ? text : "Access denied");
    if (strcasecmp(word, "HOLD") == 0 || strcasecmp(word, "DISCARD") == 0) {
        struct buf why = BUF_INIT;
        int hold = strcasecmp(word, "HOLD") == 0;

        if (*text)
            buf_set(&why, text);
        else
            buf_printf(&why, "<%s>: %s triggers %s action", key, ctx->reply_what,
                       hold ? "HOLD" : "DISCARD");
        smtpd_log_reject(state, hold ? "hold" : "discard", ctx->cmd, buf_str(&why), ctx->rcpt);
        if (hold) {
            state->cleanup_flags |= CLEANUP_FLAG_HOLD;
        } else {
            state->discard = 1;
            buf_set(&state->discard_reason, buf_str(&why));
        }
        buf_release(&why);
        return CHECK_DUNNO;
    }
    if (strcasecmp(word, "WARN") == 0 || strcasecmp(word, "INFO") == 0) {
        smtpd_log_reject(state, strcasecmp(word, "WARN") == 0 ? "warn" : "info", ctx->cmd,
                         *text ? text : key, ctx->rcpt);
        return CHECK_DUNNO;
    }
    if (wlen == 3 && (word[0] == '4' || word[0] == '5') && isdigit((unsigned char)word[1]) &&
        isdigit((unsigned char)word[2])) {
        code = (word[0] - '0') * 100 + (word[1] - '0') * 10 + (word[2] - '0');
        text = smtpd_check_split_dsn(text, code, dsn, sizeof(dsn));
        return smtpd_check_reject(ctx, code, dsn, "<%s>: %s rejected: %s", key, ctx->reply_what,
                                  *text ? text : "Access denied");
    }
    if (strcasecmp(word, "PREPEND") == 0) {
        /* A header "Name: value" for this message (one line: the table
         * value cannot hold a line break). */
        if (*text == '\0' || strchr(text, ':') == NULL) {
            msg_warn("access table: PREPEND without a header: %.100s", value);
            return CHECK_DUNNO;
        }
        buf_printf(&state->prepend, "%s\n", text);
        return CHECK_DUNNO;
    }
    if (strcasecmp(word, "REDIRECT") == 0 || strcasecmp(word, "FILTER") == 0 ||
        strcasecmp(word, "BCC") == 0)
        return smtpd_check_late_action(ctx, word, text, key);
    /* Anything else is a restriction list (a class name, or restrictions
     * written in the table). */
    {
        struct check_list list = {0};
        char *copy = mem_strdup(value), *cursor = copy, *w;
        int result;

        while ((w = str_token_list(&cursor)) != NULL) {
            list.word = mem_realloc_array(list.word, list.count + 1, sizeof(char *));
            list.word[list.count++] = w;
        }
        result = smtpd_check_list_run(ctx, &list);
        mem_free(list.word);
        mem_free(copy);
        return result;
    }
}

/* Looks key up, then its parent domains (smtpd_access_maps in
 * parent_domain_matches_subdomains: "example.com" matches sub.example.com). */
static int smtpd_check_domain_lookup(struct check_ctx *ctx, struct dict *d, const char *domain,
                                     const char *key)
{
    const char *p = domain, *value;
    int parent = strstr(var_parent_domain_matches_subdomains, "smtpd_access_maps") != NULL;
    struct buf probe = BUF_INIT;
    int st;

    while (p && *p) {
        buf_reset(&probe);
        if (p != domain && !parent)
            buf_append_char(&probe, '.');
        buf_append_str(&probe, p);
        st = dict_lookup(d, buf_str(&probe), &value);
        if (st == DICT_ERROR) {
            buf_release(&probe);
            return smtpd_check_temp_error(ctx, key);
        }
        if (st == DICT_FOUND) {
            char *copy = mem_strdup(value);

            buf_release(&probe);
            st = smtpd_check_action(ctx, copy, key);
            mem_free(copy);
            return st;
        }
        p = strchr(p, '.');
        if (p)
            p++;
    }
    buf_release(&probe);
    return -1; /* not found */
}

int smtpd_check_client_access(struct check_ctx *ctx, const char *arg)
{
    struct smtpd_state *state = ctx->state;
    struct dict *d;
    struct buf probe = BUF_INIT;
    const char *value;
    char *dot;
    int temp, st;

    if ((d = smtpd_check_dict(arg, &temp)) == NULL)
        return temp ? smtpd_check_temp_error(ctx, state->namaddr) : CHECK_DUNNO;
    ctx->reply_what = "Client host";
    if (strcmp(state->name, "unknown") != 0) {
        st = smtpd_check_domain_lookup(ctx, d, state->name, state->namaddr);
        if (st >= 0)
            return st;
    }
    /* The address, then shorter prefixes: 192.0.2.1, 192.0.2, 192.0, 192. */
    buf_set(&probe, state->addr);
    for (;;) {
        st = dict_lookup(d, buf_str(&probe), &value);
        if (st == DICT_ERROR) {
            buf_release(&probe);
            return smtpd_check_temp_error(ctx, state->namaddr);
        }
        if (st == DICT_FOUND) {
            char *copy = mem_strdup(value);

            buf_release(&probe);
            st = smtpd_check_action(ctx, copy, state->namaddr);
            mem_free(copy);
            return st;
        }
        dot = strrchr(probe.data, strchr(state->addr, ':') ? ':' : '.');
        if (dot == NULL || dot == probe.data)
            break;
        buf_truncate(&probe, (size_t)(dot - probe.data));
    }
    buf_release(&probe);
    return CHECK_DUNNO;
}

int smtpd_check_helo_access(struct check_ctx *ctx, const char *arg)
{
    struct dict *d;
    int temp, st;

    if (ctx->helo == NULL)
        return CHECK_DUNNO;
    if ((d = smtpd_check_dict(arg, &temp)) == NULL)
        return temp ? smtpd_check_temp_error(ctx, ctx->helo) : CHECK_DUNNO;
    ctx->reply_what = "Helo command";
    st = smtpd_check_domain_lookup(ctx, d, ctx->helo, ctx->helo);
    return st >= 0 ? st : CHECK_DUNNO;
}

/* Sender or recipient: user@domain, domain and parents, user@ (access(5)). */
static int smtpd_check_addr_access(struct check_ctx *ctx, const char *arg, const char *addr,
                                   const char *what)
{
    struct dict *d;
    const char *value, *domain;
    const char *key = *addr ? addr : var_smtpd_null_access_lookup_key;
    struct buf probe = BUF_INIT;
    int temp, st;

    if ((d = smtpd_check_dict(arg, &temp)) == NULL)
        return temp ? smtpd_check_temp_error(ctx, addr) : CHECK_DUNNO;
    ctx->reply_what = what;
    st = dict_lookup_address(d, key, DICT_ADDR_FULL, var_recipient_delimiter, 0, &value, NULL);
    if (st == DICT_NOTFOUND && (domain = smtp_addr_domain(addr)) != NULL) {
        int r = smtpd_check_domain_lookup(ctx, d, domain, addr);

        if (r >= 0)
            return r;
        buf_set_mem(&probe, addr, smtp_addr_local_len(addr) + 1);
        st = dict_lookup(d, buf_str(&probe), &value);
    }
    buf_release(&probe);
    if (st == DICT_ERROR)
        return smtpd_check_temp_error(ctx, addr);
    if (st == DICT_FOUND) {
        char *copy = mem_strdup(value);

        st = smtpd_check_action(ctx, copy, addr);
        mem_free(copy);
        return st;
    }
    return CHECK_DUNNO;
}

int smtpd_check_sender_access(struct check_ctx *ctx, const char *arg)
{
    if (ctx->sender == NULL)
        return CHECK_DUNNO;
    return smtpd_check_addr_access(ctx, arg, ctx->sender, "Sender address");
}

int smtpd_check_recipient_access(struct check_ctx *ctx, const char *arg)
{
    if (ctx->rcpt == NULL)
        return CHECK_DUNNO;
    return smtpd_check_addr_access(ctx, arg, ctx->rcpt, "Recipient address");
}
