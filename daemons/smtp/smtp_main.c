/*
 * smtp_main.c - the SMTP/LMTP delivery agent's entry: a single-client
 * server (lib/server) that answers qmgr's delivery requests with
 * deliver_agent_serve() (master.cf "smtp unix - - n - - smtp", "relay ...
 * smtp", "lmtp unix - - n - - lmtp": LMTP when the program or the service
 * is named lmtp).
 *
 * It turns the request's nexthop ("example.com" with MX lookup, "[host]",
 * "[host]:port", "host:port", LMTP "unix:/path" or "inet:host:port"; a
 * comma/space separated list is tried in order) and then smtp_fallback_relay
 * into addresses, and tries them until one server decides every recipient.
 * If none does, the recipients are deferred with the last reason (or
 * bounced when the destination does not exist in DNS and no fallback
 * relay is left). It writes nothing in the queue file but done marks.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "mail/deliver_agent.h"
#include "server/server.h"
#include "smtp.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/sock.h"
#include "util/str.h"
#include "util/stream.h"

static struct smtp_config smtp_cfg;
static struct queue_dir *smtp_qd;
static struct smtp_conn *smtp_cache; /* an idle session kept for reuse */

/* Result of trying one destination. */
enum smtp_dest_status { DEST_DONE, DEST_RETRY, DEST_NOTFOUND };

/* A numeric port for a port spec (number or service name). */
static int smtp_port_number(const char *spec, int lmtp, char *out, size_t outsize)
{
    long n;
    struct servent *se;

    if (str_to_long(spec, &n) == 0) {
        if (n < 1 || n > 65535)
            return -1;
    } else if ((se = getservbyname(spec, "tcp")) != NULL) {
        n = ntohs((uint16_t)se->s_port);
    } else if (strcmp(spec, "smtp") == 0) {
        n = 25;
    } else if (strcmp(spec, "lmtp") == 0) {
        n = 24;
    } else {
        return -1;
    }
    (void)lmtp;
    return snprintf(out, outsize, "%ld", n) < (int)outsize ? 0 : -1;
}

/* Tries the addresses of one destination in order. */
static enum smtp_dest_status smtp_try_dest(const char *spec, int last_dest,
                                           const struct deliver_request *req,
                                           struct deliver_result *res, struct deliver_times *times,
                                           struct buf *why, char *dsn, size_t dsn_size)
{
    struct sock_endpoint ep;
    struct dns_addr_list addrs = {NULL, 0};
    struct buf err = BUF_INIT;
    enum dns_status ds;
    enum smtp_dest_status result = DEST_RETRY;
    char port[16];
    size_t i, ntry;

    if (sock_parse_endpoint(spec, smtp_cfg.tcp_port, &ep, &err) < 0) {
        buf_reset(why);
        buf_printf(why, "bad next-hop destination \"%s\": %s", spec, buf_str(&err));
        snprintf(dsn, dsn_size, "4.3.5");
        buf_release(&err);
        return DEST_RETRY;
    }
    if (ep.kind == SOCK_ENDPOINT_UNIX) {
        struct smtp_target t;
        int fd;

        memset(&t, 0, sizeof(t));
        t.unix_socket = 1;
        snprintf(t.host, sizeof(t.host), "%s", ep.path);
        fd = smtp_connect(&smtp_cfg, &t, why);
        snprintf(dsn, dsn_size, "4.4.1");
        if (fd >= 0 &&
            smtp_session_deliver(&smtp_cfg, &t, fd, req, res, times, why, dsn, dsn_size,
                                 &smtp_cache, req->nexthop, last_dest) == SMTP_ATTEMPT_DONE)
            result = DEST_DONE;
        buf_release(&err);
        return result;
    }
    if (smtp_port_number(ep.port, smtp_cfg.lmtp, port, sizeof(port)) < 0) {
        buf_reset(why);
        buf_printf(why, "bad port in next-hop destination \"%s\"", spec);
        snprintf(dsn, dsn_size, "4.3.5");
        buf_release(&err);
        return DEST_RETRY;
    }
    /* RFC 5321 5.1: MX lookup unless [bracketed]; LMTP never uses MX. */
    if (!ep.bracketed && !smtp_cfg.lmtp)
        ds = dns_mx_addrs(ep.host, smtp_cfg.family, &addrs, why);
    else
        ds = dns_host_addrs(ep.host, 0, smtp_cfg.family, &addrs, why);
    if (ds != DNS_OK) {
        snprintf(dsn, dsn_size, ds == DNS_NOTFOUND ? "5.4.4" : "4.4.3");
        dns_addr_list_free(&addrs);
        buf_release(&err);
        return ds == DNS_NOTFOUND ? DEST_NOTFOUND : DEST_RETRY;
    }
    ntry = addrs.count;
    if (smtp_cfg.mx_address_limit > 0 && ntry > (size_t)smtp_cfg.mx_address_limit)
        ntry = (size_t)smtp_cfg.mx_address_limit;
    for (i = 0; i < ntry; i++) {
        struct smtp_target t;
        int fd;

        memset(&t, 0, sizeof(t));
        snprintf(t.host, sizeof(t.host), "%s", addrs.addr[i].host);
        snprintf(t.addr, sizeof(t.addr), "%s", addrs.addr[i].text);
        snprintf(t.port, sizeof(t.port), "%s", port);
        t.sa = addrs.addr[i].sa;
        t.salen = addrs.addr[i].salen;
        if (t.sa.ss_family == AF_INET)
            ((struct sockaddr_in *)&t.sa)->sin_port = htons((uint16_t)atoi(port));
        else
            ((struct sockaddr_in6 *)&t.sa)->sin6_port = htons((uint16_t)atoi(port));
        fd = smtp_connect(&smtp_cfg, &t, why);
        if (fd < 0) {
            snprintf(dsn, dsn_size, "4.4.1");
            msg_info("%s: %s", req->queue_id, buf_str(why));
            continue;
        }
        if (smtp_session_deliver(&smtp_cfg, &t, fd, req, res, times, why, dsn, dsn_size,
                                 &smtp_cache, req->nexthop,
                                 last_dest && i + 1 == ntry) == SMTP_ATTEMPT_DONE) {
            result = DEST_DONE;
            break;
        }
    }
    dns_addr_list_free(&addrs);
    buf_release(&err);
    return result;
}

/* Appends the words of list (comma/space separated) to dests. */
static void smtp_dest_split(const char *list, char ***dests, size_t *count)
{
    char *copy = mem_strdup(list), *cursor = copy, *word;

    while ((word = str_token(&cursor, ", \t\r\n")) != NULL) {
        *dests = mem_realloc(*dests, mem_size_mul(*count + 1, sizeof(**dests)));
        (*dests)[(*count)++] = mem_strdup(word);
    }
    mem_free(copy);
}

static void smtp_deliver(const struct deliver_request *req, struct deliver_result *res,
                         struct deliver_times *times, void *ctx)
{
    char **dests = NULL;
    size_t ndest = 0, nprimary, i;
    struct buf why = BUF_INIT;
    char dsn[16] = "4.4.1";
    int notfound = 0, retry = 0;

    (void)ctx;
    /* A session kept from the previous request: same nexthop and still
     * fresh, else it is closed now. */
    if (smtp_cache != NULL) {
        struct timeval now;

        gettimeofday(&now, NULL);
        if (strcmp(smtp_cache->dest, req->nexthop) != 0 ||
            now.tv_sec - smtp_cache->idle_since.tv_sec > smtp_cfg.cache_time_limit)
            smtp_conn_close(&smtp_cfg, &smtp_cache);
        else if (smtp_session_reuse(&smtp_cfg, &smtp_cache, req, res, times) == 0)
            return;
    }
    smtp_dest_split(req->nexthop, &dests, &ndest);
    nprimary = ndest;
    smtp_dest_split(smtp_cfg.fallback, &dests, &ndest);
    gettimeofday(&times->conn_done, NULL);
    for (i = 0; i < ndest; i++) {
        enum smtp_dest_status st;

        st = smtp_try_dest(dests[i], i + 1 == ndest, req, res, times, &why, dsn, sizeof(dsn));
        if (st == DEST_DONE)
            break;
        if (st == DEST_NOTFOUND && i < nprimary)
            notfound = 1;
        else
            retry = 1;
    }
    if (i == ndest) {
        if (ndest == 0)
            buf_set(&why, "no next-hop destination");
        /* Bounce only when the destination does not exist and nothing
         * else was worth a retry. */
        if (notfound && !retry) {
            deliver_result_fill(res, req->nrcpt, DELIVER_STATUS_BOUNCE, "5.4.4", "none",
                                buf_str(&why));
        } else {
            if (dsn[0] != '4')
                dsn[0] = '4';
            deliver_result_fill(res, req->nrcpt, DELIVER_STATUS_DEFER, dsn, "none", buf_str(&why));
        }
    }
    for (i = 0; i < ndest; i++)
        mem_free(dests[i]);
    mem_free(dests);
    buf_release(&why);
}

static void smtp_service(struct stream *client, const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    stream_set_timeout(client, var_ipc_timeout * 1000L);
    (void)deliver_agent_serve(client, smtp_qd, smtp_deliver, NULL);
}

static int smtp_family(const char *protocols)
{
    int v4 = 0, v6 = 0;
    char *copy = mem_strdup(protocols), *cursor = copy, *w;

    while ((w = str_token(&cursor, ", \t")) != NULL) {
        if (strcmp(w, "all") == 0)
            v4 = v6 = 1;
        else if (strcmp(w, "ipv4") == 0)
            v4 = 1;
        else if (strcmp(w, "ipv6") == 0)
            v6 = 1;
    }
    mem_free(copy);
    return v4 && !v6 ? AF_INET : v6 && !v4 ? AF_INET6 : AF_UNSPEC;
}

static void smtp_post_init(const char *service_name, char **argv)
{
    struct buf err = BUF_INIT;
    const char *prog = program_invocation_short_name;
    int lmtp = strcmp(prog, "lmtp") == 0 || strcmp(service_name, "lmtp") == 0;

    (void)argv;
    smtp_cfg.lmtp = lmtp;
    smtp_cfg.proto = lmtp ? "lmtp" : "smtp";
    smtp_cfg.family = smtp_family(var_inet_protocols);
    smtp_cfg.reply_line_max = (size_t)var_line_length_limit;
    smtp_cfg.reply_lines_max = 1000;
    if (lmtp) {
        smtp_cfg.helo_name = var_lmtp_lhlo_name;
        smtp_cfg.bind4 = var_lmtp_bind_address;
        smtp_cfg.bind6 = var_lmtp_bind_address6;
        smtp_cfg.fallback = var_lmtp_fallback_relay;
        smtp_cfg.tcp_port = var_lmtp_tcp_port;
        smtp_cfg.skip_5xx_greeting = var_lmtp_skip_5xx_greeting;
        smtp_cfg.skip_quit_response = var_lmtp_skip_quit_response;
        smtp_cfg.mx_address_limit = var_lmtp_mx_address_limit;
        smtp_cfg.line_length_limit = var_lmtp_line_length_limit;
        smtp_cfg.connect_timeout = var_lmtp_connect_timeout;
        smtp_cfg.helo_timeout = var_lmtp_lhlo_timeout;
        smtp_cfg.mail_timeout = var_lmtp_mail_timeout;
        smtp_cfg.rcpt_timeout = var_lmtp_rcpt_timeout;
        smtp_cfg.rset_timeout = var_lmtp_rset_timeout;
        smtp_cfg.data_init_timeout = var_lmtp_data_init_timeout;
        smtp_cfg.data_xfer_timeout = var_lmtp_data_xfer_timeout;
        smtp_cfg.data_done_timeout = var_lmtp_data_done_timeout;
        smtp_cfg.quit_timeout = var_lmtp_quit_timeout;
        smtp_cfg.assume_final = var_lmtp_assume_final;
        smtp_cfg.cache_time_limit = var_lmtp_connection_cache_time_limit;
    } else {
        smtp_cfg.helo_name = var_smtp_helo_name;
        smtp_cfg.bind4 = var_smtp_bind_address;
        smtp_cfg.bind6 = var_smtp_bind_address6;
        smtp_cfg.fallback = var_smtp_fallback_relay;
        smtp_cfg.tcp_port = var_smtp_tcp_port;
        smtp_cfg.skip_5xx_greeting = var_smtp_skip_5xx_greeting;
        smtp_cfg.skip_quit_response = var_smtp_skip_quit_response;
        smtp_cfg.mx_address_limit = var_smtp_mx_address_limit;
        smtp_cfg.line_length_limit = var_smtp_line_length_limit;
        smtp_cfg.connect_timeout = var_smtp_connect_timeout;
        smtp_cfg.helo_timeout = var_smtp_helo_timeout;
        smtp_cfg.mail_timeout = var_smtp_mail_timeout;
        smtp_cfg.rcpt_timeout = var_smtp_rcpt_timeout;
        smtp_cfg.rset_timeout = var_smtp_rset_timeout;
        smtp_cfg.data_init_timeout = var_smtp_data_init_timeout;
        smtp_cfg.data_xfer_timeout = var_smtp_data_xfer_timeout;
        smtp_cfg.data_done_timeout = var_smtp_data_done_timeout;
        smtp_cfg.quit_timeout = var_smtp_quit_timeout;
        smtp_cfg.cache_time_limit = var_smtp_connection_cache_time_limit;
    }
    if (*smtp_cfg.helo_name == '\0')
        msg_fatal("%s_%s_name is empty", smtp_cfg.proto, lmtp ? "lhlo" : "helo");
    smtp_qd = queue_dir_from_conf_cwd();
    buf_release(&err);
}

static void smtp_pre_exit(const char *service_name, char **argv)
{
    (void)service_name;
    (void)argv;
    smtp_conn_close(&smtp_cfg, &smtp_cache);
}

int main(int argc, char **argv)
{
    static const struct server_hooks hooks = {
        .post_init = smtp_post_init,
        .pre_exit = smtp_pre_exit,
    };

    server_single_main(argc, argv, smtp_service, &hooks);
}
