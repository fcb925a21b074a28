/*
 * smtpd_check_dns.c - the DNS-based restrictions: reject_unknown_sender_domain,
 * reject_unknown_recipient_domain, reject_unknown_helo_hostname,
 * reject_unknown_client_hostname, reject_unknown_reverse_client_hostname,
 * reject_rbl_client, reject_rhsbl_client/_sender/_helo/_recipient, with
 * Postfix's reply codes and texts (rbl_reply_maps / default_rbl_reply
 * expanded here).
 *
 * Rows of smtpd_check.c's table; lookups go through lib/dns (three-way
 * results): "not found" rejects, "try again" follows the *_tempfail_action
 * for domains and HELO names ("defer": 450 now; "defer_if_permit", the
 * default: a pending deferral, see smtpd_check.c), while a DNSBL that
 * cannot be reached never rejects (it only warns). Never trusts DNS data in a reply unescaped: the
 * TXT text goes through smtpd_reply_line(), which refuses control characters.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "conf/expand.h"
#include "dns/dns.h"
#include "smtp/smtp_addr.h"
#include "smtpd_check.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

/* ---- mail domains and host names ------------------------------------------ */

/* Does name have any of the types (MX, A, AAAA)? DNS_OK as soon as one is
 * found; DNS_RETRY when none was and a lookup failed temporarily. *nullmx
 * is set for RFC 7505's "MX 0 ." (the domain accepts no mail). */
static enum dns_status smtpd_dns_exists(const char *name, const int *types, size_t ntypes,
                                        int *nullmx)
{
    struct dns_rr_list list = {NULL, 0};
    struct buf why = BUF_INIT;
    enum dns_status st, result = DNS_NOTFOUND;
    size_t i;

    *nullmx = 0;
    for (i = 0; i < ntypes && result != DNS_OK; i++) {
        st = dns_lookup(name, types[i], &list, &why);
        if (st == DNS_OK) {
            result = DNS_OK;
            if (types[i] == DNS_T_MX && list.count == 1 &&
                (list.rr[0].data[0] == '\0' || strcmp(list.rr[0].data, ".") == 0))
                *nullmx = 1;
        } else if (st == DNS_RETRY) {
            result = DNS_RETRY;
        }
        dns_rr_list_free(&list);
    }
    buf_release(&why);
    return result;
}

static int smtpd_dns_domain(struct check_ctx *ctx, const char *addr, int sender)
{
    static const int types[] = {DNS_T_MX, DNS_T_A, DNS_T_AAAA};
    const char *domain, *what = sender ? "Sender address" : "Recipient address";
    const char *dsn = sender ? "4.1.8" : "4.1.2";
    int nullmx;
    enum dns_status st;

    if (addr == NULL || *addr == '\0' || (domain = smtp_addr_domain(addr)) == NULL ||
        *domain == '\0' || *domain == '[')
        return CHECK_DUNNO;
    st = smtpd_dns_exists(domain, types, sizeof(types) / sizeof(types[0]), &nullmx);
    if (st == DNS_OK && nullmx)
        return sender ? smtpd_check_reject(ctx, 550, "5.7.27",
                                           "<%s>: %s rejected: Domain %s does not accept mail "
                                           "(nullMX)",
                                           addr, what, domain)
                      : smtpd_check_reject(ctx, 556, "5.1.10",
                                           "<%s>: %s rejected: Domain %s does not accept mail "
                                           "(nullMX)",
                                           addr, what, domain);
    if (st == DNS_OK)
        return CHECK_DUNNO;
    if (st == DNS_RETRY)
        return smtpd_check_tempfail(ctx, var_unknown_address_tempfail_action, 450, dsn,
                                    "<%s>: %s rejected: Domain not found", addr, what);
    return smtpd_check_reject(ctx, var_unknown_address_reject_code, dsn,
                              "<%s>: %s rejected: Domain not found", addr, what);
}

int smtpd_check_unknown_sender_domain(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_dns_domain(ctx, ctx->sender, 1);
}

int smtpd_check_unknown_rcpt_domain(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_dns_domain(ctx, ctx->rcpt, 0);
}

int smtpd_check_unknown_helo(struct check_ctx *ctx, const char *arg)
{
    static const int types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_MX};
    enum dns_status st;
    int nullmx;

    (void)arg;
    if (ctx->helo == NULL || *ctx->helo == '\0' || *ctx->helo == '[')
        return CHECK_DUNNO;
    st = smtpd_dns_exists(ctx->helo, types, sizeof(types) / sizeof(types[0]), &nullmx);
    if (st == DNS_OK)
        return CHECK_DUNNO;
    if (st == DNS_RETRY)
        return smtpd_check_tempfail(ctx, var_unknown_helo_hostname_tempfail_action, 450, "4.7.1",
                                    "<%s>: Helo command rejected: Host not found", ctx->helo);
    return smtpd_check_reject(ctx, var_unknown_hostname_reject_code, "4.7.1",
                              "<%s>: Helo command rejected: Host not found", ctx->helo);
}

/* The client's names come from smtpd_main.c (PTR, then forward-confirmed). */
int smtpd_check_unknown_client(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    if (strcmp(ctx->state->name, "unknown") != 0)
        return CHECK_DUNNO;
    return smtpd_check_reject(ctx, var_unknown_client_reject_code, "4.7.25",
                              "Client host rejected: cannot find your hostname, [%s]",
                              ctx->state->addr);
}

int smtpd_check_unknown_reverse_client(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    if (strcmp(ctx->state->reverse_name, "unknown") != 0)
        return CHECK_DUNNO;
    return smtpd_check_reject(ctx, var_unknown_client_reject_code, "4.7.25",
                              "Client host rejected: cannot find your reverse hostname, [%s]",
                              ctx->state->addr);
}

/* ---- DNS blocklists -------------------------------------------------------- */

/* One octet of a "domain=127.0.0.2" filter against value: "2", "[2..4]",
 * "[2;4;8]" or "[1..3;9]". */
static int smtpd_rbl_octet(const char *pat, size_t len, unsigned value)
{
    char part[64];
    char *cursor, *item;

    if (len == 0 || len >= sizeof(part))
        return 0;
    if (pat[0] != '[') {
        unsigned long v;
        char *end;

        snprintf(part, sizeof(part), "%.*s", (int)len, pat);
        v = strtoul(part, &end, 10);
        return *end == '\0' && isdigit((unsigned char)part[0]) && v == value;
    }
    if (len < 3 || pat[len - 1] != ']')
        return 0;
    snprintf(part, sizeof(part), "%.*s", (int)(len - 2), pat + 1);
    cursor = part;
    while ((item = strsep(&cursor, ";")) != NULL) {
        unsigned lo, hi;
        int n = 0;

        if (sscanf(item, "%u..%u%n", &lo, &hi, &n) == 2 && item[n] == '\0') {
            if (value >= lo && value <= hi)
                return 1;
        } else if (sscanf(item, "%u%n", &lo, &n) == 1 && item[n] == '\0' && lo == value) {
            return 1;
        }
    }
    return 0;
}

/* Does an A record (4 bytes) match the filter "a.b.c.d" (octet patterns)? */
static int smtpd_rbl_filter_match(const char *filter, const unsigned char *addr)
{
    const char *p = filter;
    size_t i;

    for (i = 0; i < 4; i++) {
        size_t len = 0;
        int bracket = 0;

        while (p[len] && (bracket || p[len] != '.')) {
            if (p[len] == '[')
                bracket = 1;
            else if (p[len] == ']')
                bracket = 0;
            len++;
        }
        if (!smtpd_rbl_octet(p, len, addr[i]))
            return 0;
        p += len;
        if (i < 3) {
            if (*p != '.')
                return 0;
            p++;
        }
    }
    return *p == '\0';
}

/* Values for default_rbl_reply's $rbl_* and a few session names. */
struct smtpd_rbl_vars {
    struct check_ctx *ctx;
    char code[16];
    const char *class_name, *what, *domain, *reason;
};

static const char *smtpd_rbl_lookup(const char *name, void *context)
{
    struct smtpd_rbl_vars *v = context;
    struct smtpd_state *state = v->ctx->state;

    if (strcmp(name, "rbl_code") == 0)
        return v->code;
    if (strcmp(name, "rbl_class") == 0)
        return v->class_name;
    if (strcmp(name, "rbl_what") == 0)
        return v->what;
    if (strcmp(name, "rbl_domain") == 0)
        return v->domain;
    if (strcmp(name, "rbl_reason") == 0 || strcmp(name, "rbl_txt") == 0)
        return v->reason;
    if (strcmp(name, "client_address") == 0)
        return state->addr;
    if (strcmp(name, "client_name") == 0)
        return state->name;
    if (strcmp(name, "reverse_client_name") == 0)
        return state->reverse_name;
    if (strcmp(name, "client") == 0)
        return state->namaddr;
    if (strcmp(name, "helo_name") == 0)
        return v->ctx->helo ? v->ctx->helo : "";
    if (strcmp(name, "sender") == 0)
        return v->ctx->sender ? v->ctx->sender : "";
    if (strcmp(name, "recipient") == 0)
        return v->ctx->rcpt ? v->ctx->rcpt : "";
    /* Anything else: main.cf, as the template is a main.cf value too. */
    return conf_raw(name) ? conf_get(name) : NULL;
}

/* The reply template for a list: rbl_reply_maps (keyed by the list's
 * domain), else default_rbl_reply. NULL when a table failed (try later). */
static const char *smtpd_rbl_template(const char *domain)
{
    char *copy, *cursor, *spec;
    const char *value, *result = var_default_rbl_reply;
    int temp;

    if (*var_rbl_reply_maps == '\0')
        return result;
    copy = mem_strdup(var_rbl_reply_maps);
    cursor = copy;
    while ((spec = str_token_list(&cursor)) != NULL) {
        struct dict *d = smtpd_check_dict(spec, &temp);
        int st;

        if (d == NULL) {
            if (temp) {
                result = NULL;
                break;
            }
            continue;
        }
        if ((st = dict_lookup(d, domain, &value)) == DICT_FOUND) {
            result = value;
            break;
        }
        if (st == DICT_ERROR) {
            result = NULL;
            break;
        }
    }
    mem_free(copy);
    return result;
}

/* The reply for a listed name: the template expanded, its leading code
 * kept, a missing enhanced status code supplied as X.7.1. */
static int smtpd_rbl_reject(struct check_ctx *ctx, const char *class_name, const char *what,
                            const char *domain, const char *reason)
{
    struct smtpd_rbl_vars v = {ctx, "", class_name, what, domain, reason};
    struct expand_source src = {smtpd_rbl_lookup, NULL, &v};
    struct buf text = BUF_INIT, err = BUF_INIT;
    const char *rest, *template;
    char dsn[16] = "5.7.1";
    int code = 0, n = 0, result;

    snprintf(v.code, sizeof(v.code), "%d", var_maps_rbl_reject_code);
    if ((template = smtpd_rbl_template(domain)) == NULL) {
        buf_release(&text);
        buf_release(&err);
        return smtpd_check_temp_error(ctx, domain);
    }
    if (expand_text(template, &src, &text, &err) < 0 ||
        sscanf(buf_str(&text), "%3d%n", &code, &n) != 1 || n != 3 || buf_str(&text)[3] != ' ') {
        msg_warn("RBL reply template for %s: %s", domain,
                 buf_len(&err) ? buf_str(&err) : "no reply code");
        buf_release(&text);
        buf_release(&err);
        return smtpd_check_reject(ctx, 451, "4.3.5", "Server configuration error");
    }
    rest = buf_str(&text) + 4;
    n = 0;
    if (sscanf(rest, "%15[0-9.]%n", dsn, &n) == 1 && rest[n] == ' ' && dsn[0] == '0' + code / 100)
        rest += n + 1;
    else
        snprintf(dsn, sizeof(dsn), "%c.7.1", '0' + code / 100);
    result = smtpd_check_reject(ctx, code, dsn, "%s", rest);
    buf_release(&text);
    buf_release(&err);
    return result;
}

/* Queries "name.domain" in the list spec "domain[=filter]"; on a listing,
 * rejects with the list's TXT text as $rbl_reason. */
static int smtpd_rbl_query(struct check_ctx *ctx, const char *spec, const char *name,
                           const char *class_name, const char *what)
{
    struct dns_rr_list list = {NULL, 0}, txt = {NULL, 0};
    struct buf query = BUF_INIT, why = BUF_INIT, domain = BUF_INIT, reason = BUF_INIT;
    const char *eq = strchr(spec, '=');
    enum dns_status st;
    int listed = 0, result = CHECK_DUNNO;
    size_t i;

    buf_set_mem(&domain, spec, eq ? (size_t)(eq - spec) : strlen(spec));
    buf_printf(&query, "%s.%s", name, buf_str(&domain));
    if (buf_len(&query) > DNS_NAME_MAX)
        goto done;
    st = dns_lookup(buf_str(&query), DNS_T_A, &list, &why);
    if (st == DNS_RETRY)
        msg_warn("%s: RBL lookup error: %s", buf_str(&query), buf_str(&why));
    for (i = 0; st == DNS_OK && i < list.count && !listed; i++)
        if (list.rr[i].addr_len == 4)
            listed = eq == NULL || smtpd_rbl_filter_match(eq + 1, list.rr[i].addr);
    if (listed) {
        if (dns_lookup(buf_str(&query), DNS_T_TXT, &txt, &why) == DNS_OK && txt.count > 0)
            buf_set(&reason, txt.rr[0].data);
        result = smtpd_rbl_reject(ctx, class_name, what, buf_str(&domain), buf_str(&reason));
    }
done:
    dns_rr_list_free(&list);
    dns_rr_list_free(&txt);
    buf_release(&query);
    buf_release(&why);
    buf_release(&domain);
    buf_release(&reason);
    return result;
}

/* "192.0.2.1" -> "1.2.0.192"; IPv6 -> 32 reversed nibbles. -1 if not numeric. */
static int smtpd_rbl_reverse(const char *addr, struct buf *out)
{
    unsigned char bin[16];
    int i;

    if (inet_pton(AF_INET, addr, bin) == 1) {
        buf_printf(out, "%u.%u.%u.%u", bin[3], bin[2], bin[1], bin[0]);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, bin) == 1) {
        for (i = 15; i >= 0; i--)
            buf_printf(out, "%s%x.%x", i == 15 ? "" : ".", bin[i] & 0xf, bin[i] >> 4);
        return 0;
    }
    return -1;
}

int smtpd_check_rbl_client(struct check_ctx *ctx, const char *arg)
{
    struct buf rev = BUF_INIT;
    int result = CHECK_DUNNO;

    if (smtpd_rbl_reverse(ctx->state->addr, &rev) == 0)
        result = smtpd_rbl_query(ctx, arg, buf_str(&rev), "Client host", ctx->state->addr);
    buf_release(&rev);
    return result;
}

/* A domain-based list (RHSBL) for name: not for address literals. */
static int smtpd_rhsbl(struct check_ctx *ctx, const char *arg, const char *name,
                       const char *class_name)
{
    if (name == NULL || *name == '\0' || *name == '[' || strcmp(name, "unknown") == 0)
        return CHECK_DUNNO;
    return smtpd_rbl_query(ctx, arg, name, class_name, name);
}

static const char *smtpd_rhsbl_domain(const char *addr)
{
    return addr && *addr ? smtp_addr_domain(addr) : NULL;
}

int smtpd_check_rhsbl_client(struct check_ctx *ctx, const char *arg)
{
    return smtpd_rhsbl(ctx, arg, ctx->state->name, "Client host");
}

int smtpd_check_rhsbl_sender(struct check_ctx *ctx, const char *arg)
{
    return smtpd_rhsbl(ctx, arg, smtpd_rhsbl_domain(ctx->sender), "Sender address");
}

int smtpd_check_rhsbl_helo(struct check_ctx *ctx, const char *arg)
{
    return smtpd_rhsbl(ctx, arg, ctx->helo, "Helo command");
}

int smtpd_check_rhsbl_recipient(struct check_ctx *ctx, const char *arg)
{
    return smtpd_rhsbl(ctx, arg, smtpd_rhsbl_domain(ctx->rcpt), "Recipient address");
}
