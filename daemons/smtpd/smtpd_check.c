/*
 * smtpd_check.c - the restriction evaluator: smtpd_client_restrictions,
 * smtpd_helo_restrictions, smtpd_sender_restrictions,
 * smtpd_relay_restrictions, smtpd_recipient_restrictions,
 * smtpd_data_restrictions and smtpd_restriction_classes, with Postfix's
 * replies and "NOQUEUE: reject: ..." log lines.
 *
 * Extending it: a restriction is one row of smtpd_check_table (name,
 * whether it takes a table argument, function). A function returns
 * CHECK_DUNNO (next restriction), CHECK_OK (permit: this list is done) or
 * the result of smtpd_check_reject() (reply set, logged). With
 * smtpd_delay_reject = yes (the default) client, HELO and sender lists run
 * at RCPT time, before the relay and recipient lists. Routing decisions
 * come from lib/mail/resolve (never re-implemented here). A lookup-table
 * failure is a 4xx, never a permit. The DNS-based rows live in
 * smtpd_check_dns.c. defer_if_permit / defer_if_reject (the elements, and
 * the *_tempfail_action default) are pending deferrals of one evaluation:
 * a defer_if_permit gives its 4xx only when the evaluation would end in
 * an explicit or implicit permit (at the end of RCPT, DATA or
 * END-OF-MESSAGE; with smtpd_delay_reject = no, one left by the HELO/MAIL
 * lists waits for RCPT); a defer_if_reject turns a later 5xx into its
 * 4xx. A later explicit reject keeps its own reply.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "dict/dict.h"
#include "mail/cleanup_proto.h"
#include "mail/resolve.h"
#include "smtp/smtp_addr.h"
#include "smtp/smtp_reply.h"
#include "smtpd_check.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

#define CHECK_MAX_DEPTH 20 /* restriction classes nested deeper: configuration loop */

struct check_entry {
    const char *name;
    int takes_arg;
    check_fn fn;
};

static struct check_list check_client_list, check_helo_list, check_sender_list, check_relay_list,
    check_rcpt_list, check_data_list, check_eod_list;
static struct resolver *check_resolver;
static struct htable *check_classes; /* name -> struct check_list * */
static struct htable *check_dicts;   /* spec -> struct dict *, opened once per process */

/* Sets check_reply and logs it; a warning under warn_if_reject. */
static int smtpd_check_reply(struct check_ctx *ctx, int code, const char *dsn, const char *text)
{
    struct smtpd_state *state = ctx->state;

    /* A code outside 4xx/5xx (a bad *_reject_code) is a configuration
     * error: never let it turn into an accept. */
    if (code < 400 || code > 599)
        code = 451;
    buf_reset(&state->check_reply);
    buf_printf(&state->check_reply, "%d %c%s %s", code, '0' + code / 100, dsn + 1, text);
    smtpd_log_reject(state, ctx->warn ? "reject_warning" : "reject", ctx->cmd,
                     buf_str(&state->check_reply), ctx->rcpt);
    if (!ctx->warn)
        state->reply_class = SMTPD_ERR_POLICY;
    return ctx->warn ? CHECK_DUNNO : CHECK_REJECT;
}

/* The reply and the log line of a rejecting restriction. */
int smtpd_check_reject(struct check_ctx *ctx, int code, const char *dsn, const char *fmt, ...)
{
    const struct check_defer *d = &ctx->defer_if_reject;
    struct buf text = BUF_INIT;
    va_list ap;
    int result;

    va_start(ap, fmt);
    buf_vprintf(&text, fmt, ap);
    va_end(ap);
    /* defer_if_reject pending: a permanent reject becomes that deferral. */
    if (!ctx->warn && d->code && code >= 500)
        result = smtpd_check_reply(ctx, d->code, d->dsn, buf_str(&d->text));
    else
        result = smtpd_check_reply(ctx, code, dsn, buf_str(&text));
    buf_release(&text);
    return result;
}

static int smtpd_check_defer_record(struct check_ctx *ctx, struct check_defer *d, int code,
                                    const char *dsn, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static int smtpd_check_defer_record(struct check_ctx *ctx, struct check_defer *d, int code,
                                    const char *dsn, const char *fmt, va_list ap)
{
    struct buf text = BUF_INIT;

    buf_vprintf(&text, fmt, ap);
    if (ctx->warn) {
        (void)smtpd_check_reply(ctx, code, dsn, buf_str(&text));
    } else if (d->code == 0) {
        d->code = code;
        snprintf(d->dsn, sizeof(d->dsn), "%s", dsn);
        buf_set(&d->text, buf_str(&text));
    }
    buf_release(&text);
    return CHECK_DUNNO;
}

int smtpd_check_defer_if_permit(struct check_ctx *ctx, int code, const char *dsn, const char *fmt,
                                ...)
{
    va_list ap;
    int result;

    va_start(ap, fmt);
    result = smtpd_check_defer_record(ctx, &ctx->defer_if_permit, code, dsn, fmt, ap);
    va_end(ap);
    return result;
}

int smtpd_check_defer_if_reject(struct check_ctx *ctx, int code, const char *dsn, const char *fmt,
                                ...)
{
    va_list ap;
    int result;

    va_start(ap, fmt);
    result = smtpd_check_defer_record(ctx, &ctx->defer_if_reject, code, dsn, fmt, ap);
    va_end(ap);
    return result;
}

int smtpd_check_tempfail(struct check_ctx *ctx, const char *action, int code, const char *dsn,
                         const char *fmt, ...)
{
    struct buf text = BUF_INIT;
    va_list ap;
    int result = CHECK_DUNNO;

    va_start(ap, fmt);
    buf_vprintf(&text, fmt, ap);
    va_end(ap);
    if (strcasecmp(action, "defer") == 0)
        result = smtpd_check_reject(ctx, code, dsn, "%s", buf_str(&text));
    else if (strcasecmp(action, "defer_if_permit") == 0)
        result = smtpd_check_defer_if_permit(ctx, code, dsn, "%s", buf_str(&text));
    buf_release(&text);
    return result;
}

/* "451 4.3.5 Server configuration error" for a restriction we cannot run. */
static int smtpd_check_config_error(struct check_ctx *ctx, const char *why, const char *name)
{
    int result;

    msg_warn("%s: %s", why, name);
    result = smtpd_check_reject(ctx, 451, "4.3.5", "Server configuration error");
    ctx->state->reply_class = SMTPD_ERR_SOFTWARE;
    return result;
}

int smtpd_check_temp_error(struct check_ctx *ctx, const char *key)
{
    return smtpd_check_reject(ctx, 451, "4.3.0", "<%s>: Temporary lookup failure", key);
}

/* ---- tables -------------------------------------------------------------- */

/* Opens one table for a lookup; NULL when it cannot be used. *temp is set
 * when that is a temporary failure (the caller answers 4xx). */
struct dict *smtpd_check_dict(const char *spec, int *temp)
{
    struct buf err = BUF_INIT, type = BUF_INIT, name = BUF_INIT;
    struct dict *d = NULL;

    *temp = 0;
    if (dict_split_spec(spec, &type, &name) == 0 && !dict_type_known(buf_str(&type))) {
        /* Postfix, too, carries on when e.g. nis: is not available. */
        static struct htable *warned;

        if (warned == NULL)
            warned = htable_new(8);
        if (htable_get(warned, spec) == NULL) {
            htable_put(warned, spec, (void *)1);
            msg_warn("unsupported dictionary type in %s: ignored", spec);
        }
    } else if (check_dicts && (d = htable_get(check_dicts, spec)) != NULL) {
        /* Opened before: one handle per table for the process's life. */
    } else {
        d = dict_open(spec, DICT_FLAGS_LOOKUP, &err);
        if (d == NULL) {
            msg_warn("%s", buf_str(&err));
            *temp = 1;
        } else {
            if (check_dicts == NULL)
                check_dicts = htable_new(8);
            htable_put(check_dicts, spec, d);
        }
    }
    buf_release(&err);
    buf_release(&type);
    buf_release(&name);
    return d;
}

/* Looks addr up in every table of a list (FULL, AT_DOMAIN and as asked).
 * 1 found, 0 not, -1 temporary failure. */
static int smtpd_check_maps(const char *list, const char *addr, int how)
{
    char *copy = mem_strdup(list), *cursor = copy, *spec;
    const char *value;
    int result = 0, temp, st;

    while (result == 0 && (spec = str_token_list(&cursor)) != NULL) {
        struct dict *d;

        if (strcmp(spec, "proxy:unix:passwd.byname") == 0 ||
            strcmp(spec, "unix:passwd.byname") == 0) {
            /* The local part names a UNIX account (folded, without an
             * address extension). */
            struct buf local = BUF_INIT;
            size_t len = smtp_addr_local_len(addr);

            buf_set_mem(&local, addr, len);
            str_lower(local.data);
            if (getpwnam(buf_str(&local)) != NULL) {
                result = 1;
            } else if (*var_recipient_delimiter) {
                size_t cut = strcspn(buf_str(&local), var_recipient_delimiter);

                if (cut > 0 && cut < buf_len(&local)) {
                    buf_truncate(&local, cut);
                    result = getpwnam(buf_str(&local)) != NULL;
                }
            }
            buf_release(&local);
            continue;
        }
        d = smtpd_check_dict(spec, &temp);
        if (d == NULL) {
            if (temp)
                result = -1;
            continue;
        }
        st = dict_lookup_address(d, addr, how, var_recipient_delimiter, 0, &value, NULL);
        if (st == DICT_FOUND)
            result = 1;
        else if (st == DICT_ERROR)
            result = -1;
    }
    mem_free(copy);
    return result;
}

/* ---- routing ------------------------------------------------------------- */

/* May mail for addr be accepted from anyone? 1 yes, 0 no, -1 table error. */
static int smtpd_check_auth_dest(const char *addr)
{
    struct resolve_reply reply;
    int flags = smtp_addr_inspect(addr), result;

    /* Routing operators in the local part would let our own domain carry
     * mail elsewhere (user%other@here, other!user@here, "user@other"@here,
     * user@other.@here): never an authorized destination. */
    if (flags & (SMTP_ADDR_F_PERCENT | SMTP_ADDR_F_BANG | SMTP_ADDR_F_AT_LOCAL))
        return 0;
    resolve_reply_init(&reply);
    if (resolve_addr(check_resolver, addr, &reply) < 0)
        result = -1;
    else
        result = reply.rclass != RESOLVE_CLASS_DEFAULT;
    resolve_reply_free(&reply);
    return result;
}

/* reject_unlisted_recipient / _sender: is addr a known user of a domain
 * we are final (or relay with relay_recipient_maps) for? */
static int smtpd_check_unlisted(struct check_ctx *ctx, const char *addr, const char *what)
{
    struct resolve_reply reply;
    const char *table = NULL, *maps = NULL;
    int code = 550, found, result = CHECK_DUNNO;

    if (*addr == '\0')
        return CHECK_DUNNO;
    resolve_reply_init(&reply);
    if (resolve_addr(check_resolver, addr, &reply) < 0) {
        resolve_reply_free(&reply);
        return smtpd_check_temp_error(ctx, addr);
    }
    if (*var_virtual_alias_maps) {
        found = smtpd_check_maps(var_virtual_alias_maps, buf_str(&reply.address),
                                 DICT_ADDR_FULL | DICT_ADDR_AT_DOMAIN);
        if (found != 0) {
            resolve_reply_free(&reply);
            return found < 0 ? smtpd_check_temp_error(ctx, addr) : CHECK_DUNNO;
        }
    }
    switch (reply.rclass) {
    case RESOLVE_CLASS_LOCAL:
        /* "<@mx.example.test>": a route with no mailbox. Postfix accepts it
         * (250) in a local domain: the local recipient table is keyed by
         * user names and an empty name is not looked up. Relay and virtual
         * domains are still checked, so this opens no relay path. */
        if (*addr == '@')
            break;
        maps = var_local_recipient_maps;
        table = "local recipient table";
        code = var_unknown_local_recipient_reject_code;
        break;
    case RESOLVE_CLASS_ALIAS:
        maps = "";
        table = "virtual alias table";
        code = var_unknown_virtual_alias_reject_code;
        break;
    case RESOLVE_CLASS_VIRTUAL:
        maps = var_virtual_mailbox_maps;
        table = "virtual mailbox table";
        code = var_unknown_virtual_mailbox_reject_code;
        break;
    case RESOLVE_CLASS_RELAY:
        maps = var_relay_recipient_maps;
        table = "relay recipient table";
        code = var_unknown_relay_recipient_reject_code;
        break;
    default:
        break;
    }
    if (table != NULL && (*maps || reply.rclass == RESOLVE_CLASS_ALIAS)) {
        found = *maps ? smtpd_check_maps(maps, buf_str(&reply.address),
                                         reply.rclass == RESOLVE_CLASS_LOCAL
                                             ? DICT_ADDR_FULL | DICT_ADDR_LOCAL
                                             : DICT_ADDR_FULL | DICT_ADDR_AT_DOMAIN)
                      : 0;
        if (found < 0)
            result = smtpd_check_temp_error(ctx, addr);
        else if (found == 0)
            result = smtpd_check_reject(ctx, code, "5.1.1", "<%s>: %s rejected: User unknown in %s",
                                        addr, what, table);
    }
    resolve_reply_free(&reply);
    return result;
}

/* ---- host names ---------------------------------------------------------- */

static int smtpd_check_hostname_valid(const char *name)
{
    size_t label = 0, total = 0;
    const char *p;

    if (*name == '[') {
        struct check_net net;
        char text[INET6_ADDRSTRLEN + 8];
        size_t len = strlen(name);

        if (len < 3 || name[len - 1] != ']' || len >= sizeof(text))
            return 0;
        snprintf(text, sizeof(text), "%.*s", (int)(len - 2), name + 1);
        if (str_casecmp_prefix(text, "ipv6:"))
            memmove(text, text + 5, strlen(text + 5) + 1);
        return smtpd_check_net_parse(text, &net) == 0 && !net.negate;
    }
    for (p = name; *p; p++, total++) {
        if (*p == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return 0;
        if (++label > 63)
            return 0;
    }
    return total > 0 && total <= 255;
}

static int smtpd_check_fqdn(const char *name)
{
    const char *dot = strchr(name, '.');

    return *name == '[' || (dot != NULL && dot != name && dot[1] != '\0');
}

/* ---- simple restrictions ------------------------------------------------- */

static int smtpd_check_permit(struct check_ctx *ctx, const char *arg)
{
    (void)ctx;
    (void)arg;
    return CHECK_OK;
}

static int smtpd_check_reject_all(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_check_reject(ctx, var_reject_code, "5.7.1", "<%s>: %s rejected: Access denied",
                              ctx->reply_key, ctx->reply_what);
}

static int smtpd_check_defer_all(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_check_reject(ctx, var_defer_code, "4.7.1", "<%s>: %s rejected: Try again later",
                              ctx->reply_key, ctx->reply_what);
}

static int smtpd_check_defer_if_permit_elem(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_check_defer_if_permit(ctx, 450, "4.7.0",
                                       "<%s>: %s rejected: defer_if_permit requested",
                                       ctx->reply_key, ctx->reply_what);
}

static int smtpd_check_defer_if_reject_elem(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_check_defer_if_reject(ctx, 450, "4.7.0",
                                       "<%s>: %s rejected: defer_if_reject requested",
                                       ctx->reply_key, ctx->reply_what);
}

static int smtpd_check_warn_if_reject(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    ctx->warn_next = 1;
    return CHECK_DUNNO;
}

static int smtpd_check_permit_mynetworks(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_check_mynetworks(ctx->state) ? CHECK_OK : CHECK_DUNNO;
}

int smtpd_check_own_addr(const struct smtpd_state *state)
{
    return check_resolver != NULL && resolve_addr_is_own(check_resolver, state->addr);
}

static int smtpd_check_permit_sasl(struct check_ctx *ctx, const char *arg)
{
    /* True once lib/sasl exists and the client authenticated. */
    (void)ctx;
    (void)arg;
    return CHECK_DUNNO;
}

static int smtpd_check_unauth_dest(struct check_ctx *ctx, int code, const char *dsn)
{
    int ok;

    if (ctx->rcpt == NULL)
        return CHECK_DUNNO;
    ok = smtpd_check_auth_dest(ctx->rcpt);
    if (ok < 0)
        return smtpd_check_temp_error(ctx, ctx->rcpt);
    if (ok)
        return CHECK_DUNNO;
    return smtpd_check_reject(ctx, code, dsn, "<%s>: Relay access denied", ctx->rcpt);
}

static int smtpd_check_reject_unauth_dest(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_check_unauth_dest(ctx, var_relay_domains_reject_code, "5.7.1");
}

static int smtpd_check_defer_unauth_dest(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_check_unauth_dest(ctx, 454, "4.7.1");
}

static int smtpd_check_permit_auth_dest(struct check_ctx *ctx, const char *arg)
{
    int ok;

    (void)arg;
    if (ctx->rcpt == NULL)
        return CHECK_DUNNO;
    ok = smtpd_check_auth_dest(ctx->rcpt);
    if (ok < 0)
        return smtpd_check_temp_error(ctx, ctx->rcpt);
    return ok ? CHECK_OK : CHECK_DUNNO;
}

static int smtpd_check_unlisted_rcpt(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return ctx->rcpt ? smtpd_check_unlisted(ctx, ctx->rcpt, "Recipient address") : CHECK_DUNNO;
}

static int smtpd_check_unlisted_sender(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return ctx->sender ? smtpd_check_unlisted(ctx, ctx->sender, "Sender address") : CHECK_DUNNO;
}

static int smtpd_check_non_fqdn_addr(struct check_ctx *ctx, const char *addr, const char *what)
{
    const char *domain;

    if (addr == NULL || *addr == '\0')
        return CHECK_DUNNO;
    domain = smtp_addr_domain(addr);
    if (domain != NULL && smtpd_check_fqdn(domain))
        return CHECK_DUNNO;
    return smtpd_check_reject(ctx, var_non_fqdn_reject_code, "5.5.2",
                              "<%s>: %s rejected: need fully-qualified address", addr, what);
}

static int smtpd_check_non_fqdn_sender(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_check_non_fqdn_addr(ctx, ctx->sender, "Sender address");
}

static int smtpd_check_non_fqdn_rcpt(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    return smtpd_check_non_fqdn_addr(ctx, ctx->rcpt, "Recipient address");
}

static int smtpd_check_non_fqdn_helo(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    if (ctx->helo == NULL || smtpd_check_fqdn(ctx->helo))
        return CHECK_DUNNO;
    return smtpd_check_reject(ctx, var_non_fqdn_reject_code, "5.5.2",
                              "<%s>: Helo command rejected: need fully-qualified hostname",
                              ctx->helo);
}

static int smtpd_check_invalid_helo(struct check_ctx *ctx, const char *arg)
{
    (void)arg;
    if (ctx->helo == NULL || smtpd_check_hostname_valid(ctx->helo))
        return CHECK_DUNNO;
    return smtpd_check_reject(ctx, var_invalid_hostname_reject_code, "5.5.2",
                              "<%s>: Helo command rejected: Invalid name", ctx->helo);
}

/* The client sent commands ahead where RFC 2920 does not allow it
 * (smtpd_main.c decides; before the greeting counts too). */
static int smtpd_check_unauth_pipelining(struct check_ctx *ctx, const char *arg)
{
    int result;

    (void)arg;
    if (!ctx->state->ill_pipelining)
        return CHECK_DUNNO;
    result = smtpd_check_reject(ctx, 503, "5.5.0",
                                "<%s>: %s rejected: Improper use of SMTP command pipelining",
                                ctx->reply_key, ctx->reply_what);
    /* notify_classes counts improper pipelining as a protocol error. */
    if (result == CHECK_REJECT)
        ctx->state->reply_class = SMTPD_ERR_PROTOCOL;
    return result;
}

/* A bounce (null sender) has one recipient: more is a spammer's trick. */
static int smtpd_check_multi_rcpt_bounce(struct check_ctx *ctx, const char *arg)
{
    const struct smtpd_state *state = ctx->state;

    (void)arg;
    if (ctx->sender == NULL || *ctx->sender != '\0')
        return CHECK_DUNNO;
    /* At RCPT the one being checked counts too; at DATA the accepted ones. */
    if (state->rcpt_count + (strcmp(ctx->cmd, "RCPT") == 0 ? 1 : 0) <= 1)
        return CHECK_DUNNO;
    return smtpd_check_reject(ctx, var_multi_recipient_bounce_reject_code, "5.5.3",
                              "<%s>: %s rejected: Multi-recipient bounce", ctx->reply_key,
                              ctx->reply_what);
}

/* The restrictions smtpd knows. Add a row (and its function) to extend. */
static const struct check_entry smtpd_check_table[] = {
    {"permit", 0, smtpd_check_permit},
    {"reject", 0, smtpd_check_reject_all},
    {"defer", 0, smtpd_check_defer_all},
    {"warn_if_reject", 0, smtpd_check_warn_if_reject},
    {"defer_if_permit", 0, smtpd_check_defer_if_permit_elem},
    {"defer_if_reject", 0, smtpd_check_defer_if_reject_elem},
    {"permit_mynetworks", 0, smtpd_check_permit_mynetworks},
    {"permit_sasl_authenticated", 0, smtpd_check_permit_sasl},
    {"reject_unauth_destination", 0, smtpd_check_reject_unauth_dest},
    {"defer_unauth_destination", 0, smtpd_check_defer_unauth_dest},
    {"permit_auth_destination", 0, smtpd_check_permit_auth_dest},
    {"reject_unlisted_recipient", 0, smtpd_check_unlisted_rcpt},
    {"check_recipient_maps", 0, smtpd_check_unlisted_rcpt},
    {"reject_unlisted_sender", 0, smtpd_check_unlisted_sender},
    {"reject_non_fqdn_sender", 0, smtpd_check_non_fqdn_sender},
    {"reject_non_fqdn_recipient", 0, smtpd_check_non_fqdn_rcpt},
    {"reject_non_fqdn_helo_hostname", 0, smtpd_check_non_fqdn_helo},
    {"reject_non_fqdn_hostname", 0, smtpd_check_non_fqdn_helo},
    {"reject_invalid_helo_hostname", 0, smtpd_check_invalid_helo},
    {"reject_invalid_hostname", 0, smtpd_check_invalid_helo},
    {"reject_unauth_pipelining", 0, smtpd_check_unauth_pipelining},
    {"reject_unknown_sender_domain", 0, smtpd_check_unknown_sender_domain},
    {"reject_unknown_recipient_domain", 0, smtpd_check_unknown_rcpt_domain},
    {"reject_unknown_helo_hostname", 0, smtpd_check_unknown_helo},
    {"reject_unknown_hostname", 0, smtpd_check_unknown_helo},
    {"reject_unknown_client_hostname", 0, smtpd_check_unknown_client},
    {"reject_unknown_client", 0, smtpd_check_unknown_client},
    {"reject_unknown_reverse_client_hostname", 0, smtpd_check_unknown_reverse_client},
    {"reject_rbl_client", 1, smtpd_check_rbl_client},
    {"reject_rhsbl_client", 1, smtpd_check_rhsbl_client},
    {"reject_rhsbl_sender", 1, smtpd_check_rhsbl_sender},
    {"reject_rhsbl_helo", 1, smtpd_check_rhsbl_helo},
    {"reject_rhsbl_recipient", 1, smtpd_check_rhsbl_recipient},
    {"reject_multi_recipient_bounce", 0, smtpd_check_multi_rcpt_bounce},
    {"check_client_access", 1, smtpd_check_client_access},
    {"check_helo_access", 1, smtpd_check_helo_access},
    {"check_sender_access", 1, smtpd_check_sender_access},
    {"check_recipient_access", 1, smtpd_check_recipient_access},
};

static const struct check_entry *smtpd_check_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(smtpd_check_table) / sizeof(smtpd_check_table[0]); i++)
        if (strcasecmp(smtpd_check_table[i].name, name) == 0)
            return &smtpd_check_table[i];
    return NULL;
}

int smtpd_check_list_run(struct check_ctx *ctx, const struct check_list *list)
{
    const struct check_entry *entry;
    const struct check_list *class;
    const char *saved_what = ctx->reply_what;
    size_t i;
    int result = CHECK_DUNNO;

    if (++ctx->depth > CHECK_MAX_DEPTH) {
        ctx->depth--;
        return smtpd_check_config_error(ctx, "restriction classes nested too deeply",
                                        list->count ? list->word[0] : "");
    }
    for (i = 0; i < list->count && result == CHECK_DUNNO; i++) {
        ctx->warn = ctx->warn_next;
        ctx->warn_next = 0;
        ctx->reply_what = saved_what;
        if ((entry = smtpd_check_find(list->word[i])) != NULL) {
            const char *arg = NULL;

            if (entry->takes_arg) {
                if (i + 1 >= list->count) {
                    result =
                        smtpd_check_config_error(ctx, "restriction needs a table", entry->name);
                    break;
                }
                arg = list->word[++i];
            }
            result = entry->fn(ctx, arg);
        } else if (check_classes && (class = htable_get(check_classes, list->word[i])) != NULL) {
            result = smtpd_check_list_run(ctx, class);
        } else {
            result = smtpd_check_config_error(ctx, "unknown smtpd restriction", list->word[i]);
        }
    }
    ctx->warn = 0;
    ctx->reply_what = saved_what;
    ctx->depth--;
    return result;
}

static void smtpd_check_list_parse(struct check_list *list, const char *value)
{
    char *copy = mem_strdup(value), *cursor = copy, *word;

    memset(list, 0, sizeof(*list));
    while ((word = str_token_list(&cursor)) != NULL) {
        list->word = mem_realloc_array(list->word, list->count + 1, sizeof(char *));
        list->word[list->count++] = mem_strdup(word);
    }
    mem_free(copy);
}

void smtpd_check_init(void)
{
    struct buf err = BUF_INIT;
    char *copy, *cursor, *name;

    smtpd_check_list_parse(&check_client_list, var_smtpd_client_restrictions);
    smtpd_check_list_parse(&check_helo_list, var_smtpd_helo_restrictions);
    smtpd_check_list_parse(&check_sender_list, var_smtpd_sender_restrictions);
    smtpd_check_list_parse(&check_relay_list, var_smtpd_relay_restrictions);
    smtpd_check_list_parse(&check_rcpt_list, var_smtpd_recipient_restrictions);
    smtpd_check_list_parse(&check_data_list, var_smtpd_data_restrictions);
    smtpd_check_list_parse(&check_eod_list, var_smtpd_end_of_data_restrictions);
    smtpd_check_nets_init();
    check_classes = htable_new(8);
    copy = mem_strdup(var_smtpd_restriction_classes);
    cursor = copy;
    while ((name = str_token_list(&cursor)) != NULL) {
        struct check_list *list = mem_calloc(1, sizeof(*list));
        const char *value = conf_raw(name) ? conf_get(name) : "";

        smtpd_check_list_parse(list, value);
        htable_put(check_classes, name, list);
    }
    mem_free(copy);
    if ((check_resolver = resolve_from_conf(&err)) == NULL)
        msg_fatal("%s", buf_str(&err));
    buf_release(&err);
}

/* ---- the stages ---------------------------------------------------------- */

static void smtpd_check_ctx_init(struct check_ctx *ctx, struct smtpd_state *state, const char *cmd)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->state = state;
    ctx->cmd = cmd;
    ctx->sender = state->sender;
    ctx->helo = state->helo_name;
    buf_init(&ctx->defer_if_permit.text);
    buf_init(&ctx->defer_if_reject.text);
}

static void smtpd_check_ctx_done(struct check_ctx *ctx)
{
    buf_release(&ctx->defer_if_permit.text);
    buf_release(&ctx->defer_if_reject.text);
}

/*
 * The end of an evaluation that did not reject: a pending defer_if_permit
 * now gives its 4xx (logged as Postfix does, "reject: RCPT from ..."), as
 * the evaluation would otherwise permit. Returns 0 or -1. The context is
 * released either way.
 */
static int smtpd_check_finish(struct check_ctx *ctx, int status)
{
    const struct check_defer *d = &ctx->defer_if_permit;

    if (status == 0 && d->code) {
        ctx->warn = 0;
        (void)smtpd_check_reply(ctx, d->code, d->dsn, buf_str(&d->text));
        status = -1;
    }
    smtpd_check_ctx_done(ctx);
    return status;
}

/* One list; OK ends only that list (Postfix: each list is evaluated on
 * its own). Returns -1 for a reject. */
static int smtpd_check_stage(struct check_ctx *ctx, const struct check_list *list, const char *what,
                             const char *key)
{
    ctx->reply_what = what;
    ctx->reply_key = key;
    return smtpd_check_list_run(ctx, list) == CHECK_REJECT ? -1 : 0;
}

/* Client, HELO and sender lists, in that order. */
static int smtpd_check_early(struct check_ctx *ctx, int helo, int sender)
{
    struct smtpd_state *state = ctx->state;

    if (smtpd_check_stage(ctx, &check_client_list, "Client host", state->namaddr) < 0)
        return -1;
    if (helo && ctx->helo &&
        smtpd_check_stage(ctx, &check_helo_list, "Helo command", ctx->helo) < 0)
        return -1;
    if (sender && ctx->sender &&
        smtpd_check_stage(ctx, &check_sender_list, "Sender address",
                          *ctx->sender ? ctx->sender : "") < 0)
        return -1;
    return 0;
}

/*
 * smtpd_delay_reject = no: the client, HELO and sender lists run at HELO or
 * MAIL, where only a reject ends the command; a defer_if_permit they leave
 * pending is kept in the session and applied at RCPT, where the recipient
 * lists give the final verdict (Postfix's order). Each HELO/MAIL
 * evaluation replaces what an earlier one kept.
 */
static int smtpd_check_early_alone(struct check_ctx *ctx, int sender)
{
    struct smtpd_state *state = ctx->state;
    const struct check_defer *d = &ctx->defer_if_permit;
    int status = smtpd_check_early(ctx, 1, sender);

    state->early_defer_code = status == 0 ? d->code : 0;
    snprintf(state->early_defer_dsn, sizeof(state->early_defer_dsn), "%s", d->dsn);
    buf_set(&state->early_defer_text, buf_str(&d->text));
    smtpd_check_ctx_done(ctx);
    return status;
}

int smtpd_check_helo(struct smtpd_state *state, const char *helo)
{
    struct check_ctx ctx;

    if (var_smtpd_delay_reject)
        return 0;
    smtpd_check_ctx_init(&ctx, state, "HELO");
    ctx.helo = helo;
    return smtpd_check_early_alone(&ctx, 0);
}

int smtpd_check_mail(struct smtpd_state *state, const char *sender)
{
    struct check_ctx ctx;

    if (var_smtpd_delay_reject)
        return 0;
    smtpd_check_ctx_init(&ctx, state, "MAIL");
    ctx.sender = sender;
    return smtpd_check_early_alone(&ctx, 1);
}

static int smtpd_check_rcpt_lists(struct check_ctx *ctx, const char *rcpt)
{
    struct smtpd_state *state = ctx->state;

    /* smtpd_delay_reject: client, HELO and sender verdicts are given here;
     * without it, their pending deferral is carried over from MAIL. */
    if (var_smtpd_delay_reject) {
        if (smtpd_check_early(ctx, 1, 1) < 0)
            return -1;
    } else if (state->early_defer_code) {
        ctx->defer_if_permit.code = state->early_defer_code;
        snprintf(ctx->defer_if_permit.dsn, sizeof(ctx->defer_if_permit.dsn), "%s",
                 state->early_defer_dsn);
        buf_set(&ctx->defer_if_permit.text, buf_str(&state->early_defer_text));
    }
    if (var_smtpd_relay_before_recipient_restrictions) {
        if (smtpd_check_stage(ctx, &check_relay_list, "Recipient address", rcpt) < 0 ||
            smtpd_check_stage(ctx, &check_rcpt_list, "Recipient address", rcpt) < 0)
            return -1;
    } else {
        if (smtpd_check_stage(ctx, &check_rcpt_list, "Recipient address", rcpt) < 0 ||
            smtpd_check_stage(ctx, &check_relay_list, "Recipient address", rcpt) < 0)
            return -1;
    }
    /* smtpd_reject_unlisted_recipient applies even after a permit. */
    if (var_smtpd_reject_unlisted_recipient &&
        smtpd_check_unlisted(ctx, rcpt, "Recipient address") == CHECK_REJECT)
        return -1;
    if (var_smtpd_reject_unlisted_sender && state->sender &&
        smtpd_check_unlisted(ctx, state->sender, "Sender address") == CHECK_REJECT)
        return -1;
    return 0;
}

int smtpd_check_rcpt(struct smtpd_state *state, const char *rcpt)
{
    struct check_ctx ctx;

    smtpd_check_ctx_init(&ctx, state, "RCPT");
    ctx.rcpt = rcpt;
    return smtpd_check_finish(&ctx, smtpd_check_rcpt_lists(&ctx, rcpt));
}

int smtpd_check_data(struct smtpd_state *state)
{
    struct check_ctx ctx;

    smtpd_check_ctx_init(&ctx, state, "DATA");
    ctx.rcpt = state->rcpt_count ? state->rcpt[0].address : NULL;
    return smtpd_check_finish(&ctx,
                              smtpd_check_stage(&ctx, &check_data_list, "Data command", "DATA"));
}

int smtpd_check_eod(struct smtpd_state *state)
{
    struct check_ctx ctx;

    smtpd_check_ctx_init(&ctx, state, "END-OF-MESSAGE");
    ctx.rcpt = state->rcpt_count ? state->rcpt[0].address : NULL;
    return smtpd_check_finish(
        &ctx, smtpd_check_stage(&ctx, &check_eod_list, "End-of-data", "END-OF-MESSAGE"));
}

int smtpd_check_vrfy(struct smtpd_state *state, const char *addr)
{
    struct check_ctx ctx;
    int status;

    smtpd_check_ctx_init(&ctx, state, "VRFY");
    ctx.rcpt = addr;
    status = smtpd_check_unlisted(&ctx, addr, "Recipient address") == CHECK_REJECT ? -1 : 0;
    smtpd_check_ctx_done(&ctx);
    return status;
}
