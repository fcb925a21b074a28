/*
 * test_dns.c - unit tests for lib/dns: the answer packet parser on packets
 * built here (edges: compression loops, lengths past the end, NXDOMAIN,
 * SERVFAIL, no data, CNAME chains, TXT strings), and the lookups against
 * tests/helpers/dns-responder.py on a free 127.0.0.1 UDP port (MX order,
 * random order among equal preferences, A fallback, null MX, PTR, TXT,
 * temporary failures). The responder needs $top_srcdir (set by make check)
 * or the current directory to be the source tree.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "util/mem.h"

/* --- packet builder ------------------------------------------------------ */

struct pkt {
    unsigned char b[1024];
    size_t n;
};

static void put(struct pkt *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof(p->b));
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void put16(struct pkt *p, unsigned v)
{
    unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    put(p, b, 2);
}

static void put32(struct pkt *p, unsigned long v)
{
    put16(p, (unsigned)(v >> 16) & 0xffff);
    put16(p, (unsigned)v & 0xffff);
}

static void put_name(struct pkt *p, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        unsigned char len = (unsigned char)n;

        put(p, &len, 1);
        put(p, name, n);
        name += n + (dot != NULL);
    }
    put(p, "", 1);
}

/* Header + one question for name/type; flags and answer count given. */
static void pkt_start(struct pkt *p, unsigned flags, unsigned ancount, const char *name,
                      unsigned type)
{
    p->n = 0;
    put16(p, 0x1234);
    put16(p, flags);
    put16(p, 1);
    put16(p, ancount);
    put16(p, 0);
    put16(p, 0);
    put_name(p, name);
    put16(p, type);
    put16(p, 1);
}

/* Record header with a pointer to the question name (offset 12) as owner. */
static void rr_hdr_ptr(struct pkt *p, unsigned type, unsigned rdlen)
{
    put16(p, 0xc00c);
    put16(p, type);
    put16(p, 1);
    put32(p, 300);
    put16(p, rdlen);
}

static enum dns_status parse(const struct pkt *p, const char *qname, int qtype,
                             struct dns_rr_list *list, char **cname, struct buf *why)
{
    return dns_reply_parse(p->b, p->n, qname, qtype, list, cname, why);
}

static void test_parse_mx_compressed(void **state)
{
    struct pkt p;
    struct dns_rr_list l = {NULL, 0};
    struct buf why = BUF_INIT;
    char *cname;

    (void)state;
    pkt_start(&p, 0x8180, 2, "Example.TEST", DNS_T_MX);
    rr_hdr_ptr(&p, DNS_T_MX, 2 + 5 + 2);
    put16(&p, 20);
    put(&p, "\4mail\300\14", 7); /* mail.<ptr to example.test> */
    rr_hdr_ptr(&p, DNS_T_MX, 2 + 1);
    put16(&p, 10);
    put(&p, "\0", 1); /* the root: null MX style target */
    assert_int_equal(parse(&p, "example.test", DNS_T_MX, &l, &cname, &why), DNS_OK);
    assert_null(cname);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.rr[0].name, "example.test");
    assert_string_equal(l.rr[0].data, "mail.example.test");
    assert_int_equal(l.rr[0].pref, 20);
    assert_int_equal(l.rr[0].ttl, 300);
    assert_string_equal(l.rr[1].data, "");
    dns_mx_sort(&l);
    assert_int_equal(l.rr[0].pref, 10);
    dns_rr_list_free(&l);
    buf_release(&why);
}

static void test_parse_rcodes(void **state)
{
    struct pkt p;
    struct dns_rr_list l = {NULL, 0};
    struct buf why = BUF_INIT;
    char *cname;

    (void)state;
    pkt_start(&p, 0x8183, 0, "nx.test", DNS_T_A); /* NXDOMAIN */
    assert_int_equal(parse(&p, "nx.test", DNS_T_A, &l, &cname, &why), DNS_NOTFOUND);
    pkt_start(&p, 0x8182, 0, "sf.test", DNS_T_A); /* SERVFAIL */
    assert_int_equal(parse(&p, "sf.test", DNS_T_A, &l, &cname, &why), DNS_RETRY);
    pkt_start(&p, 0x8180, 0, "nodata.test", DNS_T_A); /* NOERROR, no data */
    assert_int_equal(parse(&p, "nodata.test", DNS_T_A, &l, &cname, &why), DNS_NOTFOUND);
    pkt_start(&p, 0x0180, 0, "q.test", DNS_T_A); /* a query, not a response */
    assert_int_equal(parse(&p, "q.test", DNS_T_A, &l, &cname, &why), DNS_RETRY);
    assert_non_null(strstr(buf_str(&why), "not a response"));
    pkt_start(&p, 0x8380, 0, "tc.test", DNS_T_A); /* TC set */
    assert_int_equal(parse(&p, "tc.test", DNS_T_A, &l, &cname, &why), DNS_RETRY);
    assert_int_equal(dns_reply_parse(p.b, 11, "x", DNS_T_A, &l, &cname, &why), DNS_RETRY);
    /* A records of another owner or type do not count. */
    pkt_start(&p, 0x8180, 1, "a.test", DNS_T_A);
    rr_hdr_ptr(&p, DNS_T_AAAA, 16);
    put(&p, "0123456789abcdef", 16);
    assert_int_equal(parse(&p, "a.test", DNS_T_A, &l, &cname, &why), DNS_NOTFOUND);
    assert_int_equal(l.count, 0);
    buf_release(&why);
}

static void test_parse_malformed(void **state)
{
    struct pkt p;
    struct dns_rr_list l = {NULL, 0};
    struct buf why = BUF_INIT;
    char *cname;

    (void)state;
    /* A compression pointer to itself. */
    pkt_start(&p, 0x8180, 1, "a.test", DNS_T_A);
    put16(&p, 0xc000 | (unsigned)p.n);
    put16(&p, DNS_T_A);
    assert_int_equal(parse(&p, "a.test", DNS_T_A, &l, &cname, &why), DNS_RETRY);
    /* rdlength past the end. */
    pkt_start(&p, 0x8180, 1, "a.test", DNS_T_A);
    rr_hdr_ptr(&p, DNS_T_A, 40);
    put(&p, "\1\2\3\4", 4);
    assert_int_equal(parse(&p, "a.test", DNS_T_A, &l, &cname, &why), DNS_RETRY);
    assert_non_null(strstr(buf_str(&why), "past the end"));
    /* A with 5 bytes of data. */
    pkt_start(&p, 0x8180, 1, "a.test", DNS_T_A);
    rr_hdr_ptr(&p, DNS_T_A, 5);
    put(&p, "\1\2\3\4\5", 5);
    assert_int_equal(parse(&p, "a.test", DNS_T_A, &l, &cname, &why), DNS_RETRY);
    /* More answers announced than present. */
    pkt_start(&p, 0x8180, 3, "a.test", DNS_T_A);
    rr_hdr_ptr(&p, DNS_T_A, 4);
    put(&p, "\1\2\3\4", 4);
    assert_int_equal(parse(&p, "a.test", DNS_T_A, &l, &cname, &why), DNS_RETRY);
    /* A label with a dot in it (would read as two labels once printed). */
    pkt_start(&p, 0x8180, 1, "m.test", DNS_T_MX);
    rr_hdr_ptr(&p, DNS_T_MX, 2 + 5);
    put16(&p, 1);
    put(&p, "\3a.b\0", 5);
    assert_int_equal(parse(&p, "m.test", DNS_T_MX, &l, &cname, &why), DNS_RETRY);
    /* MX data with bytes after the name. */
    pkt_start(&p, 0x8180, 1, "m.test", DNS_T_MX);
    rr_hdr_ptr(&p, DNS_T_MX, 2 + 3 + 1);
    put16(&p, 1);
    put(&p, "\1a\0X", 4);
    assert_int_equal(parse(&p, "m.test", DNS_T_MX, &l, &cname, &why), DNS_RETRY);
    assert_int_equal(l.count, 0);
    buf_release(&why);
}

static void test_parse_long_name(void **state)
{
    struct pkt p;
    struct dns_rr_list l = {NULL, 0};
    struct buf why = BUF_INIT;
    char *cname;
    int i;

    (void)state;
    /* 5 labels of 63 bytes: 319 characters, over the 255 limit. */
    pkt_start(&p, 0x8180, 1, "m.test", DNS_T_PTR);
    rr_hdr_ptr(&p, DNS_T_PTR, 5 * 64 + 1);
    for (i = 0; i < 5; i++) {
        put(&p, "\77", 1);
        put(&p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 63);
    }
    put(&p, "\0", 1);
    assert_int_equal(parse(&p, "m.test", DNS_T_PTR, &l, &cname, &why), DNS_RETRY);
    buf_release(&why);
}

static void test_parse_cname_and_txt(void **state)
{
    struct pkt p;
    struct dns_rr_list l = {NULL, 0};
    struct buf why = BUF_INIT;
    char *cname;

    (void)state;
    /* alias.test CNAME t.test; t.test A 1.2.3.4 (target listed first). */
    pkt_start(&p, 0x8180, 2, "alias.test", DNS_T_A);
    put_name(&p, "t.test");
    put16(&p, DNS_T_A);
    put16(&p, 1);
    put32(&p, 60);
    put16(&p, 4);
    put(&p, "\1\2\3\4", 4);
    rr_hdr_ptr(&p, DNS_T_CNAME, 8);
    put_name(&p, "t.test");
    assert_int_equal(parse(&p, "alias.test", DNS_T_A, &l, &cname, &why), DNS_OK);
    assert_null(cname);
    assert_int_equal(l.count, 1);
    assert_int_equal(l.rr[0].addr_len, 4);
    assert_memory_equal(l.rr[0].addr, "\1\2\3\4", 4);
    dns_rr_list_free(&l);
    /* CNAME without its target: the caller must ask again. */
    pkt_start(&p, 0x8180, 1, "alias.test", DNS_T_A);
    rr_hdr_ptr(&p, DNS_T_CNAME, 8);
    put_name(&p, "t.test");
    assert_int_equal(parse(&p, "alias.test", DNS_T_A, &l, &cname, &why), DNS_NOTFOUND);
    assert_non_null(cname);
    assert_string_equal(cname, "t.test");
    mem_free(cname);
    /* A CNAME loop inside one packet. */
    pkt_start(&p, 0x8180, 1, "loop.test", DNS_T_A);
    rr_hdr_ptr(&p, DNS_T_CNAME, 2);
    put16(&p, 0xc00c);
    assert_int_equal(parse(&p, "loop.test", DNS_T_A, &l, &cname, &why), DNS_RETRY);
    /* TXT: two strings joined; a string length past the record is bad. */
    pkt_start(&p, 0x8180, 1, "t.test", DNS_T_TXT);
    rr_hdr_ptr(&p, DNS_T_TXT, 9);
    put(&p, "\3abc\4defg", 9);
    assert_int_equal(parse(&p, "t.test", DNS_T_TXT, &l, &cname, &why), DNS_OK);
    assert_string_equal(l.rr[0].data, "abcdefg");
    dns_rr_list_free(&l);
    pkt_start(&p, 0x8180, 1, "t.test", DNS_T_TXT);
    rr_hdr_ptr(&p, DNS_T_TXT, 3);
    put(&p, "\5ab", 3);
    assert_int_equal(parse(&p, "t.test", DNS_T_TXT, &l, &cname, &why), DNS_RETRY);
    buf_release(&why);
}

/* --- lookups against the test responder ---------------------------------- */

static pid_t responder_pid;

static int responder_start(void **state)
{
    const char *top = getenv("top_srcdir");
    char script[4096], portfile[] = "/tmp/test_dns_portXXXXXX";
    char line[32];
    struct buf err = BUF_INIT;
    FILE *fp;
    int fd, i;

    (void)state;
    if (snprintf(script, sizeof(script), "%s/tests/helpers/dns-responder.py", top ? top : ".") >=
        (int)sizeof(script))
        return -1;
    fd = mkstemp(portfile);
    if (fd < 0)
        return -1;
    close(fd);
    unlink(portfile);
    responder_pid = fork();
    if (responder_pid == 0) {
        execl("/usr/bin/python3", "python3", script, "-f", portfile,
              "example.test MX 10 mx1.example.test", "example.test MX 10 mx2.example.test",
              "example.test MX 5 mx0.example.test", "mx0.example.test CNAME real.example.test",
              "real.example.test A 127.0.0.9", "mx1.example.test A 127.0.0.1",
              "mx2.example.test A 127.0.0.2", "mx2.example.test AAAA ::1", "nomx.test A 127.0.0.5",
              "nullmx.test MX 0 .", "fail.test SERVFAIL", "drop.test DROP",
              "deadmx.test MX 10 nx.deadmx.test", "t.test TXT v=spf1 -all",
              "9.0.0.127.in-addr.arpa PTR real.example.test", (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 100; i++) {
        if ((fp = fopen(portfile, "r")) != NULL)
            break;
        usleep(50000);
    }
    if (fp == NULL)
        return -1;
    if (fgets(line, sizeof(line), fp) == NULL)
        line[0] = '\0';
    fclose(fp);
    unlink(portfile);
    line[strcspn(line, "\n")] = '\0';
    {
        char spec[64];

        if (snprintf(spec, sizeof(spec), "127.0.0.1:%s", line) >= (int)sizeof(spec) ||
            dns_set_server(spec, &err) < 0)
            return -1;
    }
    buf_release(&err);
    return 0;
}

static int responder_stop(void **state)
{
    (void)state;
    dns_set_server(NULL, NULL);
    if (responder_pid > 0) {
        kill(responder_pid, SIGTERM);
        waitpid(responder_pid, NULL, 0);
    }
    return 0;
}

static void test_lookup_mx_order(void **state)
{
    int first1 = 0, first2 = 0, round;

    (void)state;
    for (round = 0; round < 40; round++) {
        struct dns_addr_list l = {NULL, 0};
        struct buf why = BUF_INIT;

        assert_int_equal(dns_mx_addrs("example.test", AF_UNSPEC, &l, &why), DNS_OK);
        assert_int_equal(l.count, 4);
        /* Preference 5 first, through its CNAME, then the two 10s. */
        assert_string_equal(l.addr[0].host, "mx0.example.test");
        assert_string_equal(l.addr[0].text, "127.0.0.9");
        assert_int_equal(l.addr[0].pref, 5);
        assert_int_equal(l.addr[1].pref, 10);
        assert_int_equal(l.addr[3].pref, 10);
        if (strcmp(l.addr[1].host, "mx1.example.test") == 0)
            first1++;
        else
            first2++;
        dns_addr_list_free(&l);
        buf_release(&why);
        if (first1 > 0 && first2 > 0)
            break;
    }
    /* Equal preferences come in random order: both orders seen. */
    assert_true(first1 > 0 && first2 > 0);
}

static void test_lookup_fallbacks(void **state)
{
    struct dns_addr_list l = {NULL, 0};
    struct buf why = BUF_INIT;

    (void)state;
    assert_int_equal(dns_mx_addrs("nomx.test", AF_UNSPEC, &l, &why), DNS_OK);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.addr[0].text, "127.0.0.5");
    dns_addr_list_free(&l);
    assert_int_equal(dns_mx_addrs("nx.test", AF_UNSPEC, &l, &why), DNS_NOTFOUND);
    assert_int_equal(l.count, 0);
    assert_int_equal(dns_mx_addrs("nullmx.test", AF_UNSPEC, &l, &why), DNS_NOTFOUND);
    assert_non_null(strstr(buf_str(&why), "nullMX"));
    assert_int_equal(dns_mx_addrs("deadmx.test", AF_UNSPEC, &l, &why), DNS_NOTFOUND);
    assert_int_equal(dns_mx_addrs("fail.test", AF_UNSPEC, &l, &why), DNS_RETRY);
    assert_int_equal(dns_mx_addrs("drop.test", AF_UNSPEC, &l, &why), DNS_RETRY);
    assert_int_equal(l.count, 0);
    /* Family filter, numeric host. */
    assert_int_equal(dns_host_addrs("mx2.example.test", 0, AF_INET6, &l, &why), DNS_OK);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.addr[0].text, "::1");
    dns_addr_list_free(&l);
    assert_int_equal(dns_host_addrs("192.0.2.7", 0, AF_UNSPEC, &l, &why), DNS_OK);
    assert_string_equal(l.addr[0].text, "192.0.2.7");
    dns_addr_list_free(&l);
    buf_release(&why);
}

static void test_lookup_ptr_txt(void **state)
{
    struct dns_rr_list l = {NULL, 0};
    struct buf why = BUF_INIT;
    char *name;

    (void)state;
    assert_int_equal(dns_lookup_ptr("127.0.0.9", &name, &why), DNS_OK);
    assert_string_equal(name, "real.example.test");
    mem_free(name);
    assert_int_equal(dns_lookup_ptr("127.0.0.8", &name, &why), DNS_NOTFOUND);
    assert_null(name);
    assert_int_equal(dns_lookup("t.test", DNS_T_TXT, &l, &why), DNS_OK);
    assert_string_equal(l.rr[0].data, "v=spf1 -all");
    dns_rr_list_free(&l);
    assert_int_equal(dns_lookup("t.test", DNS_T_MX, &l, &why), DNS_NOTFOUND);
    buf_release(&why);
}

static void test_set_server_syntax(void **state)
{
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(dns_set_server("127.0.0.1", &err), -1);
    assert_int_equal(dns_set_server("127.0.0.1:0", &err), -1);
    assert_int_equal(dns_set_server("localhost:53", &err), -1);
    assert_int_equal(dns_set_server("127.0.0.1:65536", &err), -1);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest parser[] = {
        cmocka_unit_test(test_parse_mx_compressed), cmocka_unit_test(test_parse_rcodes),
        cmocka_unit_test(test_parse_malformed),     cmocka_unit_test(test_parse_long_name),
        cmocka_unit_test(test_parse_cname_and_txt), cmocka_unit_test(test_set_server_syntax),
    };
    const struct CMUnitTest lookups[] = {
        cmocka_unit_test(test_lookup_mx_order),
        cmocka_unit_test(test_lookup_fallbacks),
        cmocka_unit_test(test_lookup_ptr_txt),
    };
    int failed = cmocka_run_group_tests(parser, NULL, NULL);

    return failed + cmocka_run_group_tests(lookups, responder_start, responder_stop);
}
