/*
 * dns.h - MX, A, AAAA, TXT and PTR lookups on the system resolver, for the
 * SMTP/LMTP client (daemons/smtp) and later smtpd/postscreen.
 *
 * Queries go out with res_nmkquery()/res_nsend() (link with -lresolv) and
 * the answer packet is parsed here, by dns_reply_parse(), not by ns_parse:
 * the packet is outside input, every name, record and count is bounded and
 * a malformed packet is a temporary failure, never a guess (fuzz target
 * tests/fuzz/fuzz_dns_reply.c). A and AAAA also go through DNS, not
 * getaddrinfo(), so that one parser and one three-way result cover all.
 * Every lookup answers found (DNS_OK), not found (DNS_NOTFOUND: NXDOMAIN or
 * no record of that type) or try again later (DNS_RETRY). CNAMEs are
 * followed inside the answer and, when the server left the target out, by
 * a new query (at most DNS_CNAME_MAX hops). Tests point the resolver at
 * their own server with dns_set_server(); nothing else may.
 */
#ifndef POSTERN_DNS_DNS_H
#define POSTERN_DNS_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/buf.h"

enum dns_status {
    DNS_OK = 0,       /* found */
    DNS_NOTFOUND = 1, /* NXDOMAIN, or the name has no record of that type */
    DNS_RETRY = 2     /* server failure, timeout, malformed answer: try later */
};

/* Record types (RFC 1035 3.2.2, RFC 3596). */
#define DNS_T_A     1
#define DNS_T_CNAME 5
#define DNS_T_PTR   12
#define DNS_T_MX    15
#define DNS_T_TXT   16
#define DNS_T_AAAA  28

#define DNS_NAME_MAX   255 /* presentation form of a name, RFC 1035 2.3.4 */
#define DNS_CNAME_MAX  8   /* CNAME hops followed */
#define DNS_RR_MAX     100 /* records kept from one answer */
#define DNS_PACKET_MAX 65535

struct dns_rr {
    char *name; /* owner, lower case, no trailing dot */
    int type;   /* DNS_T_* */
    uint32_t ttl;
    int pref;               /* MX preference, else 0 */
    char *data;             /* MX/PTR/CNAME target name; TXT: the strings joined; A/AAAA: "" */
    unsigned char addr[16]; /* A (4 bytes) or AAAA (16 bytes) */
    size_t addr_len;
};

struct dns_rr_list {
    struct dns_rr *rr;
    size_t count;
};

void dns_rr_list_free(struct dns_rr_list *list);

/*
 * Parses an answer packet to a query for qname/qtype. Keeps the answer
 * records of type qtype owned by qname or by the end of the CNAME chain
 * that starts there (in *list, appended), and sets *cname (mem_strdup;
 * NULL if none) to where the chain ends when it has no record of qtype.
 * Returns DNS_OK (at least one record), DNS_NOTFOUND (NXDOMAIN or none) or
 * DNS_RETRY (server failure, truncated or malformed packet), with why set
 * for the latter two.
 */
enum dns_status dns_reply_parse(const unsigned char *pkt, size_t len, const char *qname, int qtype,
                                struct dns_rr_list *list, char **cname, struct buf *why);

/* One query (CNAMEs followed). Records are appended to *list. */
enum dns_status dns_lookup(const char *name, int type, struct dns_rr_list *list, struct buf *why);

/* Sorts MX records by preference, equal preferences in random order. */
void dns_mx_sort(struct dns_rr_list *list);

/* A host's addresses, for the SMTP client. */
struct dns_addr {
    char *host;                 /* the name the address belongs to (MX host) */
    int pref;                   /* its MX preference, or 0 */
    struct sockaddr_storage sa; /* port 0 */
    socklen_t salen;
    char text[46]; /* numeric form, "192.0.2.1" or "2001:db8::1" */
};

struct dns_addr_list {
    struct dns_addr *addr;
    size_t count;
};

void dns_addr_list_free(struct dns_addr_list *list);

/*
 * Appends the IPv4 and IPv6 addresses of host (a numeric address is taken
 * as it is) with preference pref. family: AF_UNSPEC, AF_INET or AF_INET6.
 */
enum dns_status dns_host_addrs(const char *host, int pref, int family, struct dns_addr_list *out,
                               struct buf *why);

/*
 * The addresses to try for a mail domain (RFC 5321 5.1): its MX hosts in
 * preference order (random among equals) with their addresses, or, when
 * the domain has no MX record, the domain's own addresses (pref 0). An MX
 * host whose addresses cannot be found is skipped; DNS_RETRY if any lookup
 * failed temporarily and nothing usable was found. "MX 0 ." (RFC 7505
 * null MX) is DNS_NOTFOUND with why "domain does not accept mail".
 */
enum dns_status dns_mx_addrs(const char *domain, int family, struct dns_addr_list *out,
                             struct buf *why);

/* PTR of a numeric address (in-addr.arpa / ip6.arpa); *name from mem_strdup. */
enum dns_status dns_lookup_ptr(const char *addr, char **name, struct buf *why);

/*
 * Tests only: sends every query to spec ("127.0.0.1:5353", IPv4 numeric)
 * instead of resolv.conf's servers, with a short timeout. NULL restores
 * resolv.conf. 0, or -1 with err on a bad spec.
 */
int dns_set_server(const char *spec, struct buf *err);

#endif
