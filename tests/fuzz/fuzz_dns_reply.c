/*
 * fuzz_dns_reply.c - libFuzzer target for the DNS answer packet parser
 * (lib/dns/dns_reply.c), which reads what a DNS server (or anyone who can
 * spoof one) sends to the SMTP client.
 *
 * Parses the input as an answer to "example.test" for each record type the
 * library asks for and checks the contract: a known status; DNS_OK has
 * 1..DNS_RR_MAX records of the asked type, with names of at most
 * DNS_NAME_MAX characters and A/AAAA data of 4/16 bytes; a CNAME target is
 * only left over with DNS_NOTFOUND; failures have a reason. Any breach
 * abort()s. Defines no main(): replay_main.c supplies one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(const uint8_t *data, size_t size, int qtype)
{
    struct dns_rr_list list = {NULL, 0};
    struct buf why = BUF_INIT;
    char *cname = NULL;
    enum dns_status st;
    size_t i;

    st = dns_reply_parse(data, size, "example.test", qtype, &list, &cname, &why);
    if (st != DNS_OK && st != DNS_NOTFOUND && st != DNS_RETRY)
        abort();
    if ((st == DNS_OK) != (list.count > 0) || list.count > DNS_RR_MAX)
        abort();
    if (st != DNS_OK && buf_len(&why) == 0)
        abort();
    if (cname != NULL && (st != DNS_NOTFOUND || strlen(cname) > DNS_NAME_MAX))
        abort();
    for (i = 0; i < list.count; i++) {
        const struct dns_rr *rr = &list.rr[i];

        if (rr->type != qtype || rr->name == NULL || rr->data == NULL ||
            strlen(rr->name) > DNS_NAME_MAX)
            abort();
        if (qtype == DNS_T_A && rr->addr_len != 4)
            abort();
        if (qtype == DNS_T_AAAA && rr->addr_len != 16)
            abort();
        if ((qtype == DNS_T_MX || qtype == DNS_T_PTR) && strlen(rr->data) > DNS_NAME_MAX)
            abort();
    }
    if (qtype == DNS_T_MX && list.count > 1)
        dns_mx_sort(&list);
    mem_free(cname);
    dns_rr_list_free(&list);
    buf_release(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_TXT, DNS_T_PTR};
    size_t i;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        fuzz_check(data, size, types[i]);
    return 0;
}
