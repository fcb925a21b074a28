/*
 * smtpd_anvil.c - the per-client connection and rate limits
 * (smtpd_client_*_limit): asks anvil (lib/mail/anvil_client.h) to count an
 * event and lets lib/mail/anvil_policy.h decide, reply and word the warning.
 *
 * Called by smtpd_main.c (connect/disconnect) and smtpd_cmd.c (MAIL, RCPT).
 * Clients in smtpd_client_event_limit_exceptions are never registered.
 * Fails open: an unreachable anvil allows the client (anvil_client warns).
 * Never sends a reply itself except through smtpd_reply_line().
 */
#include "conf/conf.h"
#include "mail/anvil_client.h"
#include "mail/anvil_policy.h"
#include "smtpd.h"
#include "util/msg.h"

/* Bounds on one anvil round trip, and on how often a dead anvil is retried:
 * a limit is a convenience, never worth stalling a session for. */
#define SMTPD_ANVIL_TIMEOUT_MS 5000
#define SMTPD_ANVIL_RETRY_MS   60000

static struct anvil_policy *smtpd_anvil_policy;
static struct anvil_client *smtpd_anvil_client;

void smtpd_anvil_init(void)
{
    struct buf err = BUF_INIT;

    if ((smtpd_anvil_policy = anvil_policy_from_conf(&err)) == NULL)
        msg_fatal("%s", buf_str(&err));
    buf_release(&err);
    smtpd_anvil_client =
        anvil_client_create("private/anvil", SMTPD_ANVIL_TIMEOUT_MS, SMTPD_ANVIL_RETRY_MS);
}

static void smtpd_anvil_peer(const struct smtpd_state *state, struct anvil_peer *peer)
{
    peer->service = state->service;
    peer->name = state->name;
    peer->addr = state->addr;
    peer->myhostname = var_myhostname;
}

/* Is this event limited for this client at all? Exemption is decided once
 * per session (the list may hold tables). */
static int smtpd_anvil_applies(struct smtpd_state *state, enum anvil_event event)
{
    struct anvil_peer peer;

    if (smtpd_anvil_policy == NULL || !anvil_policy_wants(smtpd_anvil_policy, event))
        return 0;
    if (state->anvil_exempt < 0) {
        smtpd_anvil_peer(state, &peer);
        state->anvil_exempt = anvil_policy_exempt(smtpd_anvil_policy, &peer);
    }
    return state->anvil_exempt == 0;
}

/* The verdict on counts: 0 allow, -1 with the reply sent and the warning logged. */
static int smtpd_anvil_verdict(struct smtpd_state *state, enum anvil_event event,
                               const struct anvil_counts *counts)
{
    struct buf reply = BUF_INIT, log = BUF_INIT;
    struct anvil_peer peer;
    int result = 0;

    smtpd_anvil_peer(state, &peer);
    if (anvil_policy_check(smtpd_anvil_policy, event, counts, &peer, &reply, &log)) {
        state->reply_class = SMTPD_ERR_POLICY;
        smtpd_reply_line(state, buf_str(&reply));
        msg_warn("%s", buf_str(&log));
        result = -1;
    }
    buf_release(&reply);
    buf_release(&log);
    return result;
}

int smtpd_anvil_connect(struct smtpd_state *state)
{
    struct anvil_counts counts;

    if (!smtpd_anvil_applies(state, ANVIL_EVENT_CONNECT))
        return 0;
    if (anvil_client_request(smtpd_anvil_client, ANVIL_REQ_CONNECT, state->service, state->addr,
                             &counts) < 0)
        return 0;
    /* Registered: the disconnect must follow whatever the verdict. */
    state->anvil_connected = 1;
    if (smtpd_anvil_verdict(state, ANVIL_EVENT_CONNECT, &counts) < 0) {
        state->quit = 1;
        return -1;
    }
    return 0;
}

void smtpd_anvil_disconnect(struct smtpd_state *state)
{
    if (!state->anvil_connected)
        return;
    state->anvil_connected = 0;
    (void)anvil_client_disconnect(smtpd_anvil_client, state->service, state->addr);
}

int smtpd_anvil_event(struct smtpd_state *state, enum smtpd_anvil_what what)
{
    enum anvil_event event =
        what == SMTPD_ANVIL_MESSAGE ? ANVIL_EVENT_MESSAGE : ANVIL_EVENT_RECIPIENT;
    enum anvil_req_type req = what == SMTPD_ANVIL_MESSAGE ? ANVIL_REQ_MESSAGE : ANVIL_REQ_RECIPIENT;
    struct anvil_counts counts;

    if (!smtpd_anvil_applies(state, event))
        return 0;
    if (anvil_client_request(smtpd_anvil_client, req, state->service, state->addr, &counts) < 0)
        return 0;
    return smtpd_anvil_verdict(state, event, &counts);
}
