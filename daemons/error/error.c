/*
 * error.c - the error and retry delivery agents: every recipient of a
 * request fails (service "error": bounced) or waits (service "retry", or an
 * error text whose status code is 4.X.Y: deferred), with the request's
 * nexthop as the reason, as transport_maps entries like
 * "error:5.1.2 bounce address does not exist" ask for.
 *
 * A single-client server (lib/server/server.h) on deliver_agent_serve():
 * qmgr connects, sends one request, reads one result per recipient. This
 * agent never reads the message content and never touches the queue file.
 */
#include <ctype.h>
#include <string.h>

#include "mail/deliver_agent.h"
#include "server/server.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/stream.h"

/* Whether the service defers (retry) rather than bounces (error). */
static int error_defer_service;

/* Length of a leading "X.Y.Z " status code in text (class 2, 4 or 5, one
 * to three digits per part, then a blank or the end), or 0. */
static size_t error_dsn_prefix(const char *text)
{
    const char *p = text;
    size_t n;

    if (*p != '2' && *p != '4' && *p != '5')
        return 0;
    if (*++p != '.')
        return 0;
    p++;
    n = strspn(p, "0123456789");
    if (n < 1 || n > 3 || p[n] != '.')
        return 0;
    p += n + 1;
    n = strspn(p, "0123456789");
    if (n < 1 || n > 3 || (p[n] != '\0' && !isspace((unsigned char)p[n])))
        return 0;
    return (size_t)(p + n - text);
}

static void error_deliver(const struct deliver_request *req, struct deliver_result *res,
                          struct deliver_times *times, void *ctx)
{
    const char *text = req->nexthop;
    char dsn[16];
    size_t n = error_dsn_prefix(text);
    int status;
    size_t i;

    (void)times;
    (void)ctx;
    if (n > 0 && n < sizeof(dsn)) {
        memcpy(dsn, text, n);
        dsn[n] = '\0';
        text += n;
        while (isspace((unsigned char)*text))
            text++;
    } else {
        memcpy(dsn, error_defer_service ? "4.0.0" : "5.0.0", sizeof("4.0.0"));
    }
    if (*text == '\0')
        text =
            error_defer_service ? "delivery temporarily suspended" : "unknown mail transport error";
    if (error_defer_service || dsn[0] == '4') {
        status = DELIVER_STATUS_DEFER;
        dsn[0] = '4';
    } else {
        status = DELIVER_STATUS_BOUNCE;
        dsn[0] = '5';
    }
    for (i = 0; i < req->nrcpt; i++)
        deliver_result_set(&res[i], status, dsn, "none", "%s", text);
}

static void error_service(struct stream *client, const char *service_name, char **argv)
{
    (void)argv;
    error_defer_service = strcmp(service_name, "retry") == 0;
    /* No queue directory: this agent never delivers, so it marks nothing. */
    (void)deliver_agent_serve(client, NULL, error_deliver, NULL);
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {0};

    server_single_main(argc, argv, error_service, &hooks);
}
