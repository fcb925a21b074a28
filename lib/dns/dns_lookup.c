/*
 * dns_lookup.c - queries on the system resolver (res_nmkquery/res_nsend,
 * -lresolv) and the MX-then-address logic of RFC 5321 5.1 (see dns.h).
 *
 * Called by the SMTP/LMTP client once per delivery. One resolver state per
 * process, initialised on first use; dns_set_server() (tests) replaces its
 * server list. res_nsend retries over TCP by itself when a UDP answer is
 * truncated. Every answer goes through dns_reply_parse(); this file never
 * looks inside a packet itself.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "util/mem.h"
#include "util/str.h"

static struct __res_state dns_state;
static int dns_state_ready;
static struct sockaddr_in dns_test_server;
static int dns_test_server_set;

/* Replaces why with a formatted reason. */
__attribute__((format(printf, 2, 3))) static void dns_why(struct buf *why, const char *fmt, ...)
{
    va_list ap;

    buf_reset(why);
    va_start(ap, fmt);
    buf_vprintf(why, fmt, ap);
    va_end(ap);
}

static int dns_init(struct buf *why)
{
    if (!dns_state_ready) {
        memset(&dns_state, 0, sizeof(dns_state));
        if (res_ninit(&dns_state) != 0) {
            dns_why(why, "cannot initialize the resolver");
            return -1;
        }
        dns_state_ready = 1;
    }
    if (dns_test_server_set) {
        dns_state.nscount = 1;
        dns_state.nsaddr_list[0] = dns_test_server;
        dns_state.retrans = 1;
        dns_state.retry = 2;
    }
    return 0;
}

int dns_set_server(const char *spec, struct buf *err)
{
    char host[64];
    const char *colon;
    long port;

    if (dns_state_ready) {
        res_nclose(&dns_state);
        dns_state_ready = 0;
    }
    dns_test_server_set = 0;
    if (spec == NULL)
        return 0;
    colon = strrchr(spec, ':');
    if (colon == NULL || (size_t)(colon - spec) >= sizeof(host) ||
        str_to_long(colon + 1, &port) < 0 || port < 1 || port > 65535) {
        dns_why(err, "bad DNS server \"%s\": want IPV4ADDR:PORT", spec);
        return -1;
    }
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    memset(&dns_test_server, 0, sizeof(dns_test_server));
    dns_test_server.sin_family = AF_INET;
    dns_test_server.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &dns_test_server.sin_addr) != 1) {
        dns_why(err, "bad DNS server address \"%s\"", host);
        return -1;
    }
    dns_test_server_set = 1;
    return 0;
}

/* One query and its parse, without following a CNAME left open. */
static enum dns_status dns_query_once(const char *name, int type, struct dns_rr_list *list,
                                      char **cname, struct buf *why)
{
    unsigned char query[512];
    unsigned char *answer;
    int qlen, alen;
    enum dns_status status;

    *cname = NULL;
    if (dns_init(why) < 0)
        return DNS_RETRY;
    if (strlen(name) > DNS_NAME_MAX || *name == '\0') {
        dns_why(why, "Name service error for name=%s type=%d: bad name", name, type);
        return DNS_NOTFOUND;
    }
    qlen = res_nmkquery(&dns_state, QUERY, name, C_IN, type, NULL, 0, NULL, query, sizeof(query));
    if (qlen < 0) {
        dns_why(why, "Name service error for name=%s type=%d: bad name", name, type);
        return DNS_NOTFOUND;
    }
    answer = mem_alloc(DNS_PACKET_MAX);
    alen = res_nsend(&dns_state, query, qlen, answer, DNS_PACKET_MAX);
    if (alen < 0) {
        mem_free(answer);
        dns_why(why,
                "Host or domain name not found. Name service error for name=%s type=%s: "
                "Host not found, try again",
                name,
                type == DNS_T_MX     ? "MX"
                : type == DNS_T_A    ? "A"
                : type == DNS_T_AAAA ? "AAAA"
                : type == DNS_T_TXT  ? "TXT"
                                     : "PTR");
        return DNS_RETRY;
    }
    status = dns_reply_parse(answer, (size_t)alen, name, type, list, cname, why);
    mem_free(answer);
    return status;
}

enum dns_status dns_lookup(const char *name, int type, struct dns_rr_list *list, struct buf *why)
{
    char *current = mem_strdup(name), *cname;
    enum dns_status status;
    int hops;

    for (hops = 0;; hops++) {
        status = dns_query_once(current, type, list, &cname, why);
        if (cname == NULL)
            break;
        mem_free(current);
        current = cname;
        if (hops >= DNS_CNAME_MAX) {
            dns_why(why, "CNAME chain too long at %s", current);
            status = DNS_RETRY;
            break;
        }
    }
    mem_free(current);
    return status;
}

void dns_mx_sort(struct dns_rr_list *list)
{
    size_t i, j;

    /* Shuffle, then a stable sort by preference keeps equals shuffled. */
    for (i = list->count; i > 1; i--) {
        struct dns_rr t;

        j = arc4random_uniform((uint32_t)i);
        t = list->rr[i - 1];
        list->rr[i - 1] = list->rr[j];
        list->rr[j] = t;
    }
    for (i = 1; i < list->count; i++) {
        struct dns_rr t = list->rr[i];

        for (j = i; j > 0 && list->rr[j - 1].pref > t.pref; j--)
            list->rr[j] = list->rr[j - 1];
        list->rr[j] = t;
    }
}

void dns_addr_list_free(struct dns_addr_list *list)
{
    size_t i;

    for (i = 0; i < list->count; i++)
        mem_free(list->addr[i].host);
    mem_free(list->addr);
    list->addr = NULL;
    list->count = 0;
}

static void dns_addr_add(struct dns_addr_list *out, const char *host, int pref, int family,
                         const void *bytes)
{
    struct dns_addr *a;

    out->addr = mem_realloc(out->addr, mem_size_mul(out->count + 1, sizeof(*out->addr)));
    a = &out->addr[out->count++];
    memset(a, 0, sizeof(*a));
    a->host = mem_strdup(host);
    a->pref = pref;
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;

        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, bytes, 4);
        a->salen = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;

        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, bytes, 16);
        a->salen = sizeof(*sin6);
    }
    inet_ntop(family, bytes, a->text, sizeof(a->text));
}

enum dns_status dns_host_addrs(const char *host, int pref, int family, struct dns_addr_list *out,
                               struct buf *why)
{
    unsigned char bytes[16];
    static const int types[2] = {DNS_T_A, DNS_T_AAAA};
    enum dns_status result = DNS_NOTFOUND;
    size_t t, i;

    if (inet_pton(AF_INET, host, bytes) == 1) {
        if (family == AF_INET6)
            return DNS_NOTFOUND;
        dns_addr_add(out, host, pref, AF_INET, bytes);
        return DNS_OK;
    }
    if (inet_pton(AF_INET6, host, bytes) == 1) {
        if (family == AF_INET)
            return DNS_NOTFOUND;
        dns_addr_add(out, host, pref, AF_INET6, bytes);
        return DNS_OK;
    }
    for (t = 0; t < 2; t++) {
        struct dns_rr_list rrs = {NULL, 0};
        struct buf one = BUF_INIT;
        enum dns_status s;

        if ((types[t] == DNS_T_A && family == AF_INET6) ||
            (types[t] == DNS_T_AAAA && family == AF_INET))
            continue;
        s = dns_lookup(host, types[t], &rrs, &one);
        if (s == DNS_OK) {
            for (i = 0; i < rrs.count; i++)
                dns_addr_add(out, host, pref, rrs.rr[i].addr_len == 4 ? AF_INET : AF_INET6,
                             rrs.rr[i].addr);
            result = DNS_OK;
        } else if (s == DNS_RETRY && result != DNS_OK) {
            result = DNS_RETRY;
            buf_set(why, buf_str(&one));
        } else if (result == DNS_NOTFOUND) {
            buf_set(why, buf_str(&one));
        }
        dns_rr_list_free(&rrs);
        buf_release(&one);
    }
    if (result == DNS_NOTFOUND)
        dns_why(why,
                "Host or domain name not found. Name service error for name=%s type=A: "
                "Host not found",
                host);
    return result;
}

enum dns_status dns_mx_addrs(const char *domain, int family, struct dns_addr_list *out,
                             struct buf *why)
{
    struct dns_rr_list mx = {NULL, 0};
    enum dns_status status;
    int retry = 0;
    size_t i;

    status = dns_lookup(domain, DNS_T_MX, &mx, why);
    if (status == DNS_RETRY)
        return DNS_RETRY;
    if (status == DNS_NOTFOUND) {
        /* RFC 5321 5.1: no MX, the domain itself is the implicit MX. */
        dns_rr_list_free(&mx);
        buf_reset(why);
        return dns_host_addrs(domain, 0, family, out, why);
    }
    if (mx.count == 1 && mx.rr[0].pref == 0 && mx.rr[0].data[0] == '\0') {
        dns_rr_list_free(&mx);
        dns_why(why, "domain %s does not accept mail (nullMX)", domain);
        return DNS_NOTFOUND;
    }
    dns_mx_sort(&mx);
    for (i = 0; i < mx.count; i++) {
        struct buf one = BUF_INIT;

        if (mx.rr[i].data[0] == '\0')
            continue;
        if (dns_host_addrs(mx.rr[i].data, mx.rr[i].pref, family, out, &one) == DNS_RETRY) {
            retry = 1;
            buf_set(why, buf_str(&one));
        }
        buf_release(&one);
    }
    dns_rr_list_free(&mx);
    if (out->count > 0)
        return DNS_OK;
    if (retry)
        return DNS_RETRY;
    dns_why(why,
            "Host or domain name not found. Name service error for name=%s type=MX: "
            "no MX host has an address",
            domain);
    return DNS_NOTFOUND;
}

enum dns_status dns_lookup_ptr(const char *addr, char **name, struct buf *why)
{
    unsigned char b[16];
    struct buf q = BUF_INIT;
    struct dns_rr_list rrs = {NULL, 0};
    enum dns_status status;
    int i;

    *name = NULL;
    if (inet_pton(AF_INET, addr, b) == 1) {
        buf_printf(&q, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
    } else if (inet_pton(AF_INET6, addr, b) == 1) {
        for (i = 15; i >= 0; i--)
            buf_printf(&q, "%x.%x.", b[i] & 0xf, b[i] >> 4);
        buf_append_str(&q, "ip6.arpa");
    } else {
        dns_why(why, "not a numeric address: %s", addr);
        buf_release(&q);
        return DNS_NOTFOUND;
    }
    status = dns_lookup(buf_str(&q), DNS_T_PTR, &rrs, why);
    if (status == DNS_OK)
        *name = mem_strdup(rrs.rr[0].data);
    dns_rr_list_free(&rrs);
    buf_release(&q);
    return status;
}
