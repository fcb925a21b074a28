/*
 * test_net_list.c - client network lists (lib/mail/net_list.c): address
 * and CIDR entries at their prefix edges for IPv4 and IPv6, the errors
 * Postfix gives (host bits, mask too long, bad address), negation and
 * first-match order, name patterns, file entries and a lookup table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/net_list.h"
#include "util/buf.h"

static int match(const char *list_text, const char *addr, const char *name)
{
    struct buf err = BUF_INIT;
    struct net_list *l = net_list_parse(list_text, &err);
    int r;

    if (l == NULL)
        fail_msg("parse \"%s\": %s", list_text, buf_str(&err));
    r = net_list_match(l, addr, name);
    net_list_free(l);
    buf_release(&err);
    return r;
}

static void refused(const char *list_text, const char *why)
{
    struct buf err = BUF_INIT;
    struct net_list *l = net_list_parse(list_text, &err);

    assert_null(l);
    if (strstr(buf_str(&err), why) == NULL)
        fail_msg("\"%s\": got \"%s\", want \"%s\"", list_text, buf_str(&err), why);
    buf_release(&err);
}

static void test_ipv4(void **state)
{
    (void)state;
    assert_int_equal(match("127.0.0.0/8", "127.255.255.255", NULL), 1);
    assert_int_equal(match("127.0.0.0/8", "128.0.0.0", NULL), 0);
    assert_int_equal(match("192.0.2.128/25", "192.0.2.128", NULL), 1);
    assert_int_equal(match("192.0.2.128/25", "192.0.2.127", NULL), 0);
    assert_int_equal(match("192.0.2.1", "192.0.2.1", NULL), 1);
    assert_int_equal(match("[192.0.2.1]", "192.0.2.1", NULL), 1);
    assert_int_equal(match("192.0.2.1/32", "192.0.2.2", NULL), 0);
    assert_int_equal(match("0.0.0.0/0", "203.0.113.9", NULL), 1);
    /* An IPv4 network never matches an IPv6 client. */
    assert_int_equal(match("0.0.0.0/0", "::1", NULL), 0);
    assert_int_equal(match("", "127.0.0.1", NULL), 0);
    /* Garbage as the client address matches no network. */
    assert_int_equal(match("0.0.0.0/0", "not-an-address", NULL), 0);
}

static void test_ipv6(void **state)
{
    (void)state;
    assert_int_equal(match("[::1]/128", "::1", NULL), 1);
    assert_int_equal(match("::1", "::1", NULL), 1);
    assert_int_equal(match("[2001:db8::]/32", "2001:db8:ffff::1", NULL), 1);
    assert_int_equal(match("2001:db8::/32", "2001:db9::1", NULL), 0);
    assert_int_equal(match("[fe80::]/10", "febf::1", NULL), 1);
    assert_int_equal(match("[fe80::]/10", "fec0::1", NULL), 0);
    assert_int_equal(match("::/0", "192.0.2.1", NULL), 0);
}

static void test_errors(void **state)
{
    (void)state;
    refused("192.0.2.1/24", "non-null host address bits");
    refused("[2001:db8::1]/32", "non-null host address bits");
    refused("192.0.2.0/33", "mask length 33");
    refused("[::]/129", "mask length 129");
    refused("192.0.2.0/-1", "bad network mask");
    refused("192.0.2.0/x", "bad network mask");
    refused("192.0.2.300", "bad address");
    refused("[not.an.address]", "bad address");
    refused("127.0.0.1, !", "empty entry");
    refused("/nonexistent/postern-net-list", "open /nonexistent/postern-net-list");
    refused("nosuchtype:/x", "nosuchtype");
    refused("192.0.2", "bad address");
}

static void test_order_negation_names(void **state)
{
    (void)state;
    assert_int_equal(match("!192.0.2.1 192.0.2.0/24", "192.0.2.1", NULL), 0);
    assert_int_equal(match("!192.0.2.1 192.0.2.0/24", "192.0.2.2", NULL), 1);
    assert_int_equal(match("192.0.2.0/24, !192.0.2.1", "192.0.2.1", NULL), 1);
    assert_int_equal(match("mail.example.com", "192.0.2.1", "MAIL.Example.COM"), 1);
    assert_int_equal(match("example.com", "192.0.2.1", "mail.example.com"), 0);
    assert_int_equal(match(".example.com", "192.0.2.1", "mail.example.com"), 1);
    assert_int_equal(match(".example.com", "192.0.2.1", "example.com"), 0);
    assert_int_equal(match(".example.com", "192.0.2.1", "badexample.com"), 0);
    assert_int_equal(match("unknown", "192.0.2.1", "unknown"), 0);
    assert_int_equal(match("mail.example.com", "192.0.2.1", NULL), 0);
}

static void test_file_and_table(void **state)
{
    char path[] = "/tmp/test_net_list.XXXXXX";
    struct buf text = BUF_INIT;
    int fd = mkstemp(path);
    FILE *fp;

    (void)state;
    assert_true(fd >= 0);
    fp = fdopen(fd, "w");
    assert_non_null(fp);
    fputs("# trusted\n10.0.0.0/8 # office\n[2001:db8::]/32, host.example\n", fp);
    fclose(fp);
    assert_int_equal(match(path, "10.1.2.3", NULL), 1);
    assert_int_equal(match(path, "2001:db8::5", NULL), 1);
    assert_int_equal(match(path, "11.0.0.1", "host.example"), 1);
    assert_int_equal(match(path, "11.0.0.1", NULL), 0);
    buf_printf(&text, "!10.9.9.9 %s", path);
    assert_int_equal(match(buf_str(&text), "10.9.9.9", NULL), 0);
    assert_int_equal(match("static:yes", "203.0.113.1", NULL), 1);
    /* A table whose name holds '/' is a table, not a network. */
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("203.0.113.5 ok\n", fp);
    fclose(fp);
    buf_reset(&text);
    buf_printf(&text, "fe80::/10 texthash:%s", path);
    assert_int_equal(match(buf_str(&text), "203.0.113.5", NULL), 1);
    assert_int_equal(match(buf_str(&text), "fe80::1", NULL), 1);
    assert_int_equal(match(buf_str(&text), "203.0.113.6", NULL), 0);
    unlink(path);
    assert_int_equal(match("inline:{203.0.113.1=ok}", "203.0.113.1", NULL), 1);
    assert_int_equal(match("inline:{203.0.113.1=ok}", "203.0.113.2", NULL), 0);
    assert_int_equal(match("inline:{mx.example=ok}", "203.0.113.2", "mx.example"), 1);
    assert_int_equal(match("fail:x", "203.0.113.2", NULL), -1);
    buf_release(&text);
}

static void test_file_limits(void **state)
{
    char path[] = "/tmp/test_net_list.XXXXXX";
    int fd = mkstemp(path);
    FILE *fp;
    size_t i;

    (void)state;
    assert_true(fd >= 0);
    /* A file naming itself stops at the nesting limit. */
    fp = fdopen(fd, "w");
    assert_non_null(fp);
    fprintf(fp, "10.0.0.0/8 %s\n", path);
    fclose(fp);
    refused(path, "nested too deeply");
    /* A line the reader cannot hold whole is refused, not split. */
    fp = fopen(path, "w");
    assert_non_null(fp);
    for (i = 0; i < 500; i++)
        fputs("10.0.0.1, ", fp);
    fputs("\n", fp);
    fclose(fp);
    refused(path, "line longer than");
    /* Just under the limit is fine: 4094 bytes and the newline. */
    fp = fopen(path, "w");
    assert_non_null(fp);
    for (i = 0; i < 4094 - 9; i++)
        fputc(' ', fp);
    fputs("10.0.0.1\n", fp);
    fclose(fp);
    assert_int_equal(match(path, "10.0.0.1", NULL), 1);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),           cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_order_negation_names),
        cmocka_unit_test(test_file_and_table), cmocka_unit_test(test_file_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
