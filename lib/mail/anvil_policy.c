/*
 * anvil_policy.c - limit decisions and Postfix's texts for them
 * (anvil_policy.h). The reply and warning wording is what log parsers
 * (fail2ban, pflogsumm) and SMTP clients already know: do not reword.
 */
#include "conf/param.h"
#include "mail/anvil_policy.h"
#include "mail/net_list.h"
#include "util/mem.h"
#include "util/msg.h"

struct anvil_policy {
    struct anvil_limits limits;
    struct net_list *exceptions;
};

struct anvil_policy *anvil_policy_create(const struct anvil_limits *limits, const char *exceptions,
                                         struct buf *err)
{
    struct anvil_policy *p;
    struct net_list *list = net_list_parse(exceptions ? exceptions : "", err);

    if (list == NULL) {
        buf_printf(err, " (in smtpd_client_event_limit_exceptions)");
        return NULL;
    }
    p = mem_calloc(1, sizeof(*p));
    p->limits = *limits;
    p->exceptions = list;
    return p;
}

static unsigned anvil_limit_value(int v)
{
    return v > 0 ? (unsigned)v : 0;
}

struct anvil_policy *anvil_policy_from_conf(struct buf *err)
{
    struct anvil_limits lim = {
        .conn_count = anvil_limit_value(var_smtpd_client_connection_count_limit),
        .conn_rate = anvil_limit_value(var_smtpd_client_connection_rate_limit),
        .message_rate = anvil_limit_value(var_smtpd_client_message_rate_limit),
        .recipient_rate = anvil_limit_value(var_smtpd_client_recipient_rate_limit),
        .newtls_rate = anvil_limit_value(var_smtpd_client_new_tls_session_rate_limit),
        .auth_rate = anvil_limit_value(var_smtpd_client_auth_rate_limit),
    };

    return anvil_policy_create(&lim, var_smtpd_client_event_limit_exceptions, err);
}

void anvil_policy_free(struct anvil_policy *p)
{
    if (p == NULL)
        return;
    net_list_free(p->exceptions);
    mem_free(p);
}

int anvil_policy_exempt(const struct anvil_policy *p, const struct anvil_peer *peer)
{
    int r = net_list_match(p->exceptions, peer->addr, peer->name);

    if (r < 0) {
        msg_warn("smtpd_client_event_limit_exceptions: table lookup failed for %s[%s]; "
                 "not limiting this client",
                 peer->name, peer->addr);
        return 1;
    }
    return r;
}

int anvil_policy_wants(const struct anvil_policy *p, enum anvil_event event)
{
    switch (event) {
    case ANVIL_EVENT_CONNECT:
        return p->limits.conn_count > 0 || p->limits.conn_rate > 0;
    case ANVIL_EVENT_MESSAGE:
        return p->limits.message_rate > 0;
    case ANVIL_EVENT_RECIPIENT:
        return p->limits.recipient_rate > 0;
    case ANVIL_EVENT_NEWTLS:
        return p->limits.newtls_rate > 0;
    case ANVIL_EVENT_AUTH:
        return p->limits.auth_rate > 0;
    }
    return 0;
}

static int anvil_over(unsigned limit, uint32_t value)
{
    return limit > 0 && value > limit;
}

int anvil_policy_check(const struct anvil_policy *p, enum anvil_event event,
                       const struct anvil_counts *n, const struct anvil_peer *peer,
                       struct buf *reply, struct buf *log)
{
    const char *what;
    uint32_t value;

    buf_reset(reply);
    buf_reset(log);
    switch (event) {
    case ANVIL_EVENT_CONNECT:
        if (anvil_over(p->limits.conn_count, n->count)) {
            what = "Connection concurrency";
            value = n->count;
        } else if (anvil_over(p->limits.conn_rate, n->rate)) {
            what = "Connection rate";
            value = n->rate;
        } else {
            return 0;
        }
        buf_printf(reply, "421 4.7.0 %s Error: too many connections from %s", peer->myhostname,
                   peer->addr);
        break;
    case ANVIL_EVENT_MESSAGE:
        if (!anvil_over(p->limits.message_rate, value = n->message_rate))
            return 0;
        what = "Message delivery request rate";
        buf_printf(reply, "450 4.7.1 Error: too much mail from %s", peer->addr);
        break;
    case ANVIL_EVENT_RECIPIENT:
        if (!anvil_over(p->limits.recipient_rate, value = n->recipient_rate))
            return 0;
        what = "Recipient address rate";
        buf_printf(reply, "450 4.7.1 Error: too many recipients from %s", peer->addr);
        break;
    case ANVIL_EVENT_NEWTLS:
        if (!anvil_over(p->limits.newtls_rate, value = n->newtls_rate))
            return 0;
        what = "New TLS session rate";
        buf_printf(reply, "421 4.7.0 %s Error: too many new TLS sessions from %s", peer->myhostname,
                   peer->addr);
        break;
    case ANVIL_EVENT_AUTH:
        if (!anvil_over(p->limits.auth_rate, value = n->auth_rate))
            return 0;
        what = "AUTH command rate";
        buf_printf(reply, "450 4.7.1 Error: too many AUTH commands from %s", peer->addr);
        break;
    default:
        return 0;
    }
    buf_printf(log, "%s limit exceeded: %u from %s[%s] for service %s", what, (unsigned)value,
               peer->name, peer->addr, peer->service);
    return 1;
}
