/*
 * dns_reply.c - the DNS answer packet parser (RFC 1035 4.1) behind every
 * lookup in dns_lookup.c, and its record lists.
 *
 * The packet comes from the network: every read is checked against len,
 * compressed names follow at most DNS_PTR_HOPS pointers and never grow
 * past DNS_NAME_MAX, at most DNS_RR_MAX records are kept, and anything
 * inconsistent makes the whole answer DNS_RETRY. It never trusts the
 * header's counts further than the bytes that are really there.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns/dns.h"
#include "util/mem.h"
#include "util/msg.h"

#define DNS_HDR_LEN        12
#define DNS_PTR_HOPS       64 /* compression pointers followed in one name */
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_SERVFAIL 2

void dns_rr_list_free(struct dns_rr_list *list)
{
    size_t i;

    for (i = 0; i < list->count; i++) {
        mem_free(list->rr[i].name);
        mem_free(list->rr[i].data);
    }
    mem_free(list->rr);
    list->rr = NULL;
    list->count = 0;
}

static unsigned dns_get16(const unsigned char *p)
{
    return ((unsigned)p[0] << 8) | p[1];
}

static uint32_t dns_get32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/*
 * Expands the name at *pos into out (lower case, labels joined by '.', ""
 * for the root) and moves *pos past it in the packet. Labels with a dot or
 * a control character are refused: such a name could never be a host name
 * and would be misread once printed. 0, or -1 when malformed.
 */
static int dns_name_expand(const unsigned char *pkt, size_t len, size_t *pos, char *out,
                           size_t outsize)
{
    size_t p = *pos, o = 0, end = 0;
    int hops = 0, jumped = 0;

    for (;;) {
        unsigned c;

        if (p >= len)
            return -1;
        c = pkt[p];
        if ((c & 0xc0) == 0xc0) {
            if (p + 1 >= len || ++hops > DNS_PTR_HOPS)
                return -1;
            if (!jumped)
                end = p + 2;
            jumped = 1;
            p = ((c & 0x3f) << 8) | pkt[p + 1];
            continue;
        }
        if ((c & 0xc0) != 0)
            return -1; /* extended label types (RFC 6891) are not used in answers */
        if (c == 0) {
            if (!jumped)
                end = p + 1;
            break;
        }
        if (p + 1 + c > len)
            return -1;
        if (o + (o > 0) + c + 1 > outsize || o + (o > 0) + c > DNS_NAME_MAX)
            return -1;
        if (o > 0)
            out[o++] = '.';
        for (unsigned i = 0; i < c; i++) {
            unsigned char ch = pkt[p + 1 + i];

            if (ch == '.' || ch <= ' ' || ch >= 0x7f)
                return -1;
            out[o++] = (char)tolower(ch);
        }
        p += 1 + c;
    }
    out[o] = '\0';
    *pos = end;
    return 0;
}

/* Compares names without regard to case or a trailing dot. */
static int dns_name_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    if (la > 0 && a[la - 1] == '.')
        la--;
    if (lb > 0 && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

struct dns_raw_rr {
    char name[DNS_NAME_MAX + 1];
    unsigned type;
    uint32_t ttl;
    size_t rdata; /* offset */
    size_t rdlen;
};

static enum dns_status dns_bad(struct buf *why, const char *text)
{
    if (why != NULL) {
        buf_reset(why);
        buf_printf(why, "malformed DNS reply: %s", text);
    }
    return DNS_RETRY;
}

/* Decodes one record's data into rr (name and type already set). */
static int dns_rr_decode(const unsigned char *pkt, size_t len, const struct dns_raw_rr *raw,
                         struct dns_rr *rr)
{
    char name[DNS_NAME_MAX + 1];
    size_t pos = raw->rdata, end = raw->rdata + raw->rdlen;
    struct buf txt = BUF_INIT;

    switch (raw->type) {
    case DNS_T_A:
    case DNS_T_AAAA:
        if (raw->rdlen != (raw->type == DNS_T_A ? 4u : 16u))
            return -1;
        memcpy(rr->addr, pkt + pos, raw->rdlen);
        rr->addr_len = raw->rdlen;
        rr->data = mem_strdup("");
        return 0;
    case DNS_T_MX:
        if (raw->rdlen < 3)
            return -1;
        rr->pref = (int)dns_get16(pkt + pos);
        pos += 2;
        /* FALLTHROUGH */
    case DNS_T_CNAME:
    case DNS_T_PTR:
        if (dns_name_expand(pkt, len, &pos, name, sizeof(name)) < 0 || pos != end)
            return -1;
        rr->data = mem_strdup(name);
        return 0;
    case DNS_T_TXT:
        /* One or more <length><bytes> strings, joined as one text. */
        while (pos < end) {
            size_t n = pkt[pos];

            if (pos + 1 + n > end) {
                buf_release(&txt);
                return -1;
            }
            buf_append(&txt, (const char *)pkt + pos + 1, n);
            pos += 1 + n;
        }
        rr->data = buf_steal(&txt);
        return 0;
    default:
        return -1;
    }
}

enum dns_status dns_reply_parse(const unsigned char *pkt, size_t len, const char *qname, int qtype,
                                struct dns_rr_list *list, char **cname, struct buf *why)
{
    char want[DNS_NAME_MAX + 1];
    unsigned flags, rcode, qdcount, ancount, i;
    size_t pos = DNS_HDR_LEN, kept = 0;
    struct dns_raw_rr *raw = NULL;
    size_t nraw = 0, hops = 0, start = list->count;
    enum dns_status status;

    *cname = NULL;
    if (why != NULL)
        buf_reset(why);
    if (len < DNS_HDR_LEN)
        return dns_bad(why, "shorter than a header");
    flags = dns_get16(pkt + 2);
    if ((flags & 0x8000) == 0)
        return dns_bad(why, "not a response");
    if (flags & 0x0200)
        return dns_bad(why, "truncated");
    rcode = flags & 0x000f;
    if (rcode == DNS_RCODE_NXDOMAIN) {
        if (why != NULL)
            buf_printf(why, "Host not found");
        return DNS_NOTFOUND;
    }
    if (rcode != 0) {
        if (why != NULL)
            buf_printf(why, "Host not found, try again (server error %u)", rcode);
        return DNS_RETRY;
    }
    qdcount = dns_get16(pkt + 4);
    ancount = dns_get16(pkt + 6);
    for (i = 0; i < qdcount; i++) {
        char skip[DNS_NAME_MAX + 1];

        if (dns_name_expand(pkt, len, &pos, skip, sizeof(skip)) < 0 || pos + 4 > len)
            return dns_bad(why, "bad question section");
        pos += 4;
    }
    /* Collect the answer section first: a CNAME may come after its target. */
    raw = mem_calloc(ancount > 0 ? ancount : 1, sizeof(*raw));
    for (i = 0; i < ancount; i++) {
        struct dns_raw_rr *r = &raw[nraw];

        if (dns_name_expand(pkt, len, &pos, r->name, sizeof(r->name)) < 0 || pos + 10 > len) {
            mem_free(raw);
            return dns_bad(why, "bad answer record");
        }
        r->type = dns_get16(pkt + pos);
        r->ttl = dns_get32(pkt + pos + 4);
        r->rdlen = dns_get16(pkt + pos + 8);
        r->rdata = pos + 10;
        if (r->rdata + r->rdlen > len) {
            mem_free(raw);
            return dns_bad(why, "record data past the end");
        }
        pos = r->rdata + r->rdlen;
        if (dns_get16(pkt + r->rdata - 8) == 1) /* class IN only */
            nraw++;
    }
    if (snprintf(want, sizeof(want), "%s", qname) >= (int)sizeof(want)) {
        mem_free(raw);
        return dns_bad(why, "query name too long");
    }
    /* Follow the CNAME chain that starts at the query name. */
    for (;;) {
        int moved = 0;

        for (i = 0; i < nraw; i++) {
            if (raw[i].type == DNS_T_CNAME && (int)raw[i].type != qtype &&
                dns_name_equal(raw[i].name, want)) {
                struct dns_rr tmp;

                memset(&tmp, 0, sizeof(tmp));
                if (dns_rr_decode(pkt, len, &raw[i], &tmp) < 0) {
                    mem_free(raw);
                    return dns_bad(why, "bad CNAME record");
                }
                /* Cannot fail: dns_name_expand() bounds the target. */
                if (snprintf(want, sizeof(want), "%s", tmp.data) >= (int)sizeof(want))
                    msg_panic("dns_reply_parse: CNAME target too long");
                mem_free(tmp.data);
                moved = 1;
                break;
            }
        }
        if (!moved)
            break;
        if (++hops > DNS_CNAME_MAX) {
            mem_free(raw);
            return dns_bad(why, "CNAME loop");
        }
    }
    status = DNS_NOTFOUND;
    for (i = 0; i < nraw; i++) {
        struct dns_rr rr;

        if ((int)raw[i].type != qtype || !dns_name_equal(raw[i].name, want))
            continue;
        memset(&rr, 0, sizeof(rr));
        rr.type = qtype;
        rr.ttl = raw[i].ttl;
        if (dns_rr_decode(pkt, len, &raw[i], &rr) < 0) {
            /* All or nothing: drop what this answer added. */
            mem_free(rr.data);
            mem_free(raw);
            while (list->count > start) {
                list->count--;
                mem_free(list->rr[list->count].name);
                mem_free(list->rr[list->count].data);
            }
            return dns_bad(why, "bad record data");
        }
        if (kept >= DNS_RR_MAX) {
            mem_free(rr.data);
            break;
        }
        rr.name = mem_strdup(raw[i].name);
        list->rr = mem_realloc(list->rr, mem_size_mul(list->count + 1, sizeof(*list->rr)));
        list->rr[list->count++] = rr;
        kept++;
        status = DNS_OK;
    }
    mem_free(raw);
    if (status == DNS_NOTFOUND) {
        if (hops > 0)
            *cname = mem_strdup(want);
        if (why != NULL)
            buf_printf(why, "No address associated with hostname");
    }
    return status;
}
