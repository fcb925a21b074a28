/*
 * discard.c - the discard delivery agent: accepts every recipient of a
 * request and drops the message, logging it as sent with relay=none and
 * the nexthop (transport_maps "discard:reason") or "discarded" as the
 * reason, as Postfix's discard(8) does.
 *
 * A single-client server (lib/server/server.h) on deliver_agent_serve().
 * It never reads the content; deliver_agent_serve() marks the recipients
 * done in the queue file.
 */
#include <string.h>

#include "mail/deliver_agent.h"
#include "mail/queue_dir.h"
#include "server/server.h"
#include "util/stream.h"

static struct queue_dir *discard_qd;

static void discard_deliver(const struct deliver_request *req, struct deliver_result *res,
                            struct deliver_times *times, void *ctx)
{
    const char *reason = req->nexthop[0] ? req->nexthop : "discarded";
    size_t i;

    (void)times;
    (void)ctx;
    for (i = 0; i < req->nrcpt; i++)
        deliver_result_set(&res[i], DELIVER_STATUS_OK, "2.0.0", "none", "%s", reason);
}

static void discard_service(struct stream *client, const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    (void)deliver_agent_serve(client, discard_qd, discard_deliver, NULL);
}

static void discard_post_init(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    discard_qd = queue_dir_from_conf_cwd();
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {.post_init = discard_post_init};

    server_single_main(argc, argv, discard_service, &hooks);
}
