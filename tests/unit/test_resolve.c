/*
 * test_resolve.c - unit tests of the routing function (lib/mail/resolve.h):
 * each class, address completion, literals, list syntax (negation,
 * subdomains, parent matching, tables, files), transport_maps overrides
 * with inherited parts, table errors, and the cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mail/resolve.h"
#include "util/buf.h"

static void conf_base(struct resolve_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->myhostname = "mx.example.test";
    c->mydomain = "example.test";
    c->myorigin = "example.test";
    c->mydestination = "mx.example.test, localhost.example.test, localhost";
    c->inet_interfaces = "127.0.0.1";
    c->proxy_interfaces = "192.0.2.7";
    c->virtual_alias_domains = "alias.test";
    c->virtual_mailbox_domains = "vmail.test";
    c->relay_domains = "relay.test";
    c->local_transport = "local:$myhostname-unexpanded";
    c->virtual_transport = "virtual";
    c->relay_transport = "relay";
    c->default_transport = "smtp";
    c->relayhost = "";
    c->transport_maps = "";
    c->parent_domain_matches_subdomains = "relay_domains";
    c->append_at_myorigin = 1;
    c->append_dot_mydomain = 0;
    c->cache_size = 16;
}

/* Resolves addr and checks the four answers. */
static void expect(struct resolver *r, const char *addr, int rclass, const char *transport,
                   const char *nexthop, const char *address)
{
    struct resolve_reply reply;

    resolve_reply_init(&reply);
    if (resolve_addr(r, addr, &reply) != 0)
        fail_msg("%s: unexpected error %s", addr, buf_str(&reply.reason));
    if (reply.rclass != rclass)
        fail_msg("%s: class %s, expected %s", addr, resolve_class_name(reply.rclass),
                 resolve_class_name(rclass));
    assert_string_equal(buf_str(&reply.transport), transport);
    assert_string_equal(buf_str(&reply.nexthop), nexthop);
    assert_string_equal(buf_str(&reply.address), address);
    resolve_reply_free(&reply);
}

static struct resolver *open_or_fail(const struct resolve_conf *c)
{
    struct buf err = BUF_INIT;
    struct resolver *r = resolve_new(c, &err);

    if (r == NULL)
        fail_msg("resolve_new: %s", buf_str(&err));
    buf_release(&err);
    return r;
}

static void test_classes(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local:$myhostname";
    r = open_or_fail(&c);
    /* The nexthop of local_transport is used as written (conf expands). */
    expect(r, "alice@mx.example.test", RESOLVE_CLASS_LOCAL, "local", "$myhostname",
           "alice@mx.example.test");
    expect(r, "bob@vmail.test", RESOLVE_CLASS_VIRTUAL, "virtual", "vmail.test", "bob@vmail.test");
    expect(r, "carol@relay.test", RESOLVE_CLASS_RELAY, "relay", "relay.test", "carol@relay.test");
    expect(r, "dave@elsewhere.test", RESOLVE_CLASS_DEFAULT, "smtp", "elsewhere.test",
           "dave@elsewhere.test");
    expect(r, "erin@alias.test", RESOLVE_CLASS_ALIAS, "error",
           "5.1.1 User unknown in virtual alias table", "erin@alias.test");
    resolve_free(r);
}

static void test_local_nexthop_default(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    r = open_or_fail(&c);
    expect(r, "alice@localhost", RESOLVE_CLASS_LOCAL, "local", "mx.example.test",
           "alice@localhost");
    resolve_free(r);
}

static void test_case_and_trailing_dot(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    r = open_or_fail(&c);
    /* The address keeps its spelling; the class ignores case and the dot. */
    expect(r, "Alice@MX.Example.TEST", RESOLVE_CLASS_LOCAL, "local", "mx.example.test",
           "Alice@MX.Example.TEST");
    expect(r, "alice@localhost.", RESOLVE_CLASS_LOCAL, "local", "mx.example.test",
           "alice@localhost.");
    expect(r, "x@VMAIL.test", RESOLVE_CLASS_VIRTUAL, "virtual", "vmail.test", "x@VMAIL.test");
    resolve_free(r);
}

static void test_append_at_myorigin(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    c.myorigin = "mx.example.test";
    r = open_or_fail(&c);
    expect(r, "alice", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "alice@mx.example.test");
    resolve_free(r);

    c.myorigin = "other.test";
    r = open_or_fail(&c);
    expect(r, "alice", RESOLVE_CLASS_DEFAULT, "smtp", "other.test", "alice@other.test");
    resolve_free(r);

    c.append_at_myorigin = 0;
    r = open_or_fail(&c);
    expect(r, "alice", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "alice");
    resolve_free(r);
}

static void test_null_address(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    r = open_or_fail(&c);
    expect(r, "", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "");
    resolve_free(r);
}

static void test_append_dot_mydomain(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    c.mydestination = "mx.example.test";
    c.append_dot_mydomain = 1;
    r = open_or_fail(&c);
    expect(r, "alice@mx", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "alice@mx.example.test");
    /* Dotted domains and literals are left alone. */
    expect(r, "alice@a.b", RESOLVE_CLASS_DEFAULT, "smtp", "a.b", "alice@a.b");
    expect(r, "alice@[192.0.2.99]", RESOLVE_CLASS_DEFAULT, "smtp", "[192.0.2.99]",
           "alice@[192.0.2.99]");
    resolve_free(r);

    c.append_dot_mydomain = 0;
    r = open_or_fail(&c);
    expect(r, "alice@mx", RESOLVE_CLASS_DEFAULT, "smtp", "mx", "alice@mx");
    resolve_free(r);
}

static void test_literals(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    c.inet_interfaces = "127.0.0.1, [::1]";
    r = open_or_fail(&c);
    expect(r, "a@[127.0.0.1]", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "a@[127.0.0.1]");
    expect(r, "a@[192.0.2.7]", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "a@[192.0.2.7]");
    expect(r, "a@[IPv6:0:0::1]", RESOLVE_CLASS_LOCAL, "local", "mx.example.test",
           "a@[IPv6:0:0::1]");
    expect(r, "a@[127.0.0.2]", RESOLVE_CLASS_DEFAULT, "smtp", "[127.0.0.2]", "a@[127.0.0.2]");
    /* Junk inside the brackets is not an address of ours. */
    expect(r, "a@[127.0.0.1x]", RESOLVE_CLASS_DEFAULT, "smtp", "[127.0.0.1x]", "a@[127.0.0.1x]");
    expect(r, "a@[]", RESOLVE_CLASS_DEFAULT, "smtp", "[]", "a@[]");
    resolve_free(r);

    /* "all": loopback is an interface of every machine. */
    c.inet_interfaces = "all";
    c.proxy_interfaces = "";
    r = open_or_fail(&c);
    expect(r, "a@[127.0.0.1]", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "a@[127.0.0.1]");
    expect(r, "a@[192.0.2.7]", RESOLVE_CLASS_DEFAULT, "smtp", "[192.0.2.7]", "a@[192.0.2.7]");
    resolve_free(r);
}

static void test_relayhost(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.relayhost = "[smarthost.test]:587";
    r = open_or_fail(&c);
    expect(r, "a@far.test", RESOLVE_CLASS_DEFAULT, "smtp", "[smarthost.test]:587", "a@far.test");
    expect(r, "a@relay.test", RESOLVE_CLASS_RELAY, "relay", "[smarthost.test]:587", "a@relay.test");
    /* relayhost never applies to virtual mailboxes. */
    expect(r, "a@vmail.test", RESOLVE_CLASS_VIRTUAL, "virtual", "vmail.test", "a@vmail.test");
    resolve_free(r);

    /* A nexthop in the transport parameter wins over relayhost. */
    c.default_transport = "smtp:[other.test]";
    c.relay_transport = "relay:[inside.test]";
    r = open_or_fail(&c);
    expect(r, "a@far.test", RESOLVE_CLASS_DEFAULT, "smtp", "[other.test]", "a@far.test");
    expect(r, "a@relay.test", RESOLVE_CLASS_RELAY, "relay", "[inside.test]", "a@relay.test");
    resolve_free(r);
}

static void test_list_syntax(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    c.mydestination = "!no.local.test, .local.test localhost";
    c.relay_domains = "relay.test";
    r = open_or_fail(&c);
    expect(r, "a@sub.local.test", RESOLVE_CLASS_LOCAL, "local", "mx.example.test",
           "a@sub.local.test");
    /* ".local.test" does not match local.test itself. */
    expect(r, "a@local.test", RESOLVE_CLASS_DEFAULT, "smtp", "local.test", "a@local.test");
    /* The first match decides: the negation wins. */
    expect(r, "a@no.local.test", RESOLVE_CLASS_DEFAULT, "smtp", "no.local.test", "a@no.local.test");
    /* relay_domains is in parent_domain_matches_subdomains. */
    expect(r, "a@deep.sub.relay.test", RESOLVE_CLASS_RELAY, "relay", "deep.sub.relay.test",
           "a@deep.sub.relay.test");
    /* Not a subdomain: only a suffix. */
    expect(r, "a@xrelay.test", RESOLVE_CLASS_DEFAULT, "smtp", "xrelay.test", "a@xrelay.test");
    resolve_free(r);

    /* Without parent matching, relay_domains is exact. */
    c.parent_domain_matches_subdomains = "";
    r = open_or_fail(&c);
    expect(r, "a@sub.relay.test", RESOLVE_CLASS_DEFAULT, "smtp", "sub.relay.test",
           "a@sub.relay.test");
    resolve_free(r);
}

static void test_list_tables_and_files(void **state)
{
    struct resolve_conf c;
    struct resolver *r;
    char path[] = "/tmp/test_resolve_XXXXXX";
    char list[256];
    int fd;
    FILE *fp;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    fp = fdopen(fd, "w");
    assert_non_null(fp);
    fprintf(fp, "# comment\nfile-one.test\n  file-two.test, !nofile.test\n");
    fclose(fp);
    snprintf(list, sizeof(list), "%s inline:{ tab.test=whatever }", path);
    conf_base(&c);
    c.local_transport = "local";
    c.mydestination = list;
    c.virtual_mailbox_domains = "inline:{ vmail.test=1, { Mixed.Test = x } }";
    r = open_or_fail(&c);
    expect(r, "a@file-one.test", RESOLVE_CLASS_LOCAL, "local", "mx.example.test",
           "a@file-one.test");
    expect(r, "a@file-two.test", RESOLVE_CLASS_LOCAL, "local", "mx.example.test",
           "a@file-two.test");
    expect(r, "a@tab.test", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "a@tab.test");
    expect(r, "a@mixed.test", RESOLVE_CLASS_VIRTUAL, "virtual", "mixed.test", "a@mixed.test");
    expect(r, "a@VMAIL.TEST", RESOLVE_CLASS_VIRTUAL, "virtual", "vmail.test", "a@VMAIL.TEST");
    expect(r, "a@nofile.test", RESOLVE_CLASS_DEFAULT, "smtp", "nofile.test", "a@nofile.test");
    /* A table does not match subdomains of its keys unless parent matching
     * is on (".parent" keys would). */
    expect(r, "a@sub.tab.test", RESOLVE_CLASS_DEFAULT, "smtp", "sub.tab.test", "a@sub.tab.test");
    assert_int_equal(resolve_domain_in(r, "mydestination", "TAB.test"), 1);
    assert_int_equal(resolve_domain_in(r, "relay_domains", "tab.test"), 0);
    resolve_free(r);
    unlink(path);
}

static void test_bad_config(void **state)
{
    struct resolve_conf c;
    struct buf err = BUF_INIT;

    (void)state;
    conf_base(&c);
    c.relay_domains = "nosuchtype:/x";
    assert_null(resolve_new(&c, &err));
    assert_non_null(strstr(buf_str(&err), "relay_domains"));
    buf_reset(&err);
    conf_base(&c);
    c.mydestination = "/nonexistent/file/of/domains";
    assert_null(resolve_new(&c, &err));
    assert_non_null(strstr(buf_str(&err), "mydestination"));
    buf_reset(&err);
    conf_base(&c);
    c.transport_maps = "hash:/nonexistent/transport";
    assert_null(resolve_new(&c, &err));
    assert_non_null(strstr(buf_str(&err), "transport_maps"));
    buf_release(&err);
}

static void test_transport_maps(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    c.relayhost = "[smart.test]";
    c.recipient_delimiter = "+";
    c.transport_maps = "inline:{ "
                       "user@far.test=discard:kept, "
                       "{ far.test=error:5.7.1 go away }, "
                       ".sub.test=smtp:[10.0.0.1]:2525, "
                       "nexthop-only.test=:[override.test], "
                       "transport-only.test=retry:, "
                       "both-empty.test=:, "
                       "mx.example.test=discard: }";
    r = open_or_fail(&c);
    expect(r, "user@far.test", RESOLVE_CLASS_DEFAULT, "discard", "kept", "user@far.test");
    /* user+ext@domain falls back to user@domain. */
    expect(r, "user+tag@far.test", RESOLVE_CLASS_DEFAULT, "discard", "kept", "user+tag@far.test");
    expect(r, "other@far.test", RESOLVE_CLASS_DEFAULT, "error", "5.7.1 go away", "other@far.test");
    expect(r, "a@x.sub.test", RESOLVE_CLASS_DEFAULT, "smtp", "[10.0.0.1]:2525", "a@x.sub.test");
    /* ".sub.test" does not match sub.test itself. */
    expect(r, "a@sub.test", RESOLVE_CLASS_DEFAULT, "smtp", "[smart.test]", "a@sub.test");
    expect(r, "a@nexthop-only.test", RESOLVE_CLASS_DEFAULT, "smtp", "[override.test]",
           "a@nexthop-only.test");
    /* Empty parts inherit the class's answer. */
    expect(r, "a@transport-only.test", RESOLVE_CLASS_DEFAULT, "retry", "[smart.test]",
           "a@transport-only.test");
    expect(r, "a@both-empty.test", RESOLVE_CLASS_DEFAULT, "smtp", "[smart.test]",
           "a@both-empty.test");
    /* A local domain may be routed away; the class stays local. */
    expect(r, "a@mx.example.test", RESOLVE_CLASS_LOCAL, "discard", "mx.example.test",
           "a@mx.example.test");
    /* The alias class ignores transport_maps. */
    expect(r, "a@alias.test", RESOLVE_CLASS_ALIAS, "error",
           "5.1.1 User unknown in virtual alias table", "a@alias.test");
    resolve_free(r);

    /* The "*" wildcard catches the rest. */
    c.transport_maps = "inline:{ *=discard:all }";
    r = open_or_fail(&c);
    expect(r, "a@whatever.test", RESOLVE_CLASS_DEFAULT, "discard", "all", "a@whatever.test");
    resolve_free(r);

    /* Parent matching for transport_maps. */
    c.transport_maps = "inline:{ parent.test=discard }";
    c.parent_domain_matches_subdomains = "transport_maps";
    r = open_or_fail(&c);
    expect(r, "a@kid.parent.test", RESOLVE_CLASS_DEFAULT, "discard", "[smart.test]",
           "a@kid.parent.test");
    resolve_free(r);
}

static void test_table_error(void **state)
{
    struct resolve_conf c;
    struct resolver *r;
    struct resolve_reply reply;

    (void)state;
    conf_base(&c);
    c.transport_maps = "fail:broken";
    r = open_or_fail(&c);
    resolve_reply_init(&reply);
    assert_int_equal(resolve_addr(r, "a@far.test", &reply), -1);
    assert_true(reply.flags & RESOLVE_FLAG_ERROR);
    assert_non_null(strstr(buf_str(&reply.reason), "transport_maps"));
    /* Errors are not cached: the same answer again, not a stale success. */
    assert_int_equal(resolve_addr(r, "a@far.test", &reply), -1);
    resolve_free(r);

    conf_base(&c);
    c.relay_domains = "fail:broken";
    r = open_or_fail(&c);
    assert_int_equal(resolve_addr(r, "a@far.test", &reply), -1);
    assert_true(reply.flags & RESOLVE_FLAG_ERROR);
    /* A domain decided before the broken list is fine. */
    assert_int_equal(resolve_addr(r, "a@vmail.test", &reply), 0);
    assert_int_equal(reply.rclass, RESOLVE_CLASS_VIRTUAL);
    assert_int_equal(resolve_domain_in(r, "relay_domains", "x.test"), -1);
    resolve_reply_free(&reply);
    resolve_free(r);
}

static void test_cache(void **state)
{
    struct resolve_conf c;
    struct resolver *r;
    char addr[64];
    int i;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    c.cache_size = 4;
    r = open_or_fail(&c);
    /* More addresses than the cache holds: answers stay right. */
    for (i = 0; i < 20; i++) {
        snprintf(addr, sizeof(addr), "u%d@vmail.test", i);
        expect(r, addr, RESOLVE_CLASS_VIRTUAL, "virtual", "vmail.test", addr);
        expect(r, addr, RESOLVE_CLASS_VIRTUAL, "virtual", "vmail.test", addr);
    }
    expect(r, "a@localhost", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "a@localhost");
    resolve_cache_flush(r);
    expect(r, "a@localhost", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "a@localhost");
    resolve_free(r);
}

static void test_odd_addresses(void **state)
{
    struct resolve_conf c;
    struct resolver *r;

    (void)state;
    conf_base(&c);
    c.local_transport = "local";
    r = open_or_fail(&c);
    /* The last '@' separates the domain. */
    expect(r, "a@b@vmail.test", RESOLVE_CLASS_VIRTUAL, "virtual", "vmail.test", "a@b@vmail.test");
    /* An empty domain is local (nothing else could take it). */
    expect(r, "a@", RESOLVE_CLASS_LOCAL, "local", "mx.example.test", "a@");
    expect(r, "@vmail.test", RESOLVE_CLASS_VIRTUAL, "virtual", "vmail.test", "@vmail.test");
    resolve_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_local_nexthop_default),
        cmocka_unit_test(test_case_and_trailing_dot),
        cmocka_unit_test(test_append_at_myorigin),
        cmocka_unit_test(test_null_address),
        cmocka_unit_test(test_append_dot_mydomain),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_relayhost),
        cmocka_unit_test(test_list_syntax),
        cmocka_unit_test(test_list_tables_and_files),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_transport_maps),
        cmocka_unit_test(test_table_error),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_odd_addresses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
