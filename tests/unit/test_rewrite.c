/*
 * test_rewrite.c - unit tests of lib/mail/rewrite.h: canonicalisation of
 * incomplete addresses, canonical maps per class with extension
 * propagation and bounded nesting, masquerading with exceptions, virtual
 * alias expansion (fan-out, recursion, self-mapping, both limits), header
 * value rewriting that keeps display names, comments and groups, and a
 * failing table turned into REWRITE_ERROR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/rewrite.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"

static struct buf warnings;

static void capture(enum msg_level level, const char *text)
{
    (void)level;
    buf_printf(&warnings, "%s\n", text);
}

static struct rewrite_config *cfg_new(void)
{
    struct rewrite_config *cfg = mem_alloc(sizeof(*cfg));

    rewrite_config_init(cfg);
    mem_free(cfg->myorigin);
    cfg->myorigin = mem_strdup("origin.test");
    mem_free(cfg->mydomain);
    cfg->mydomain = mem_strdup("example.test");
    cfg->local_domains = rewrite_split_list("origin.test", &cfg->local_count);
    return cfg;
}

static void cfg_free(struct rewrite_config *cfg)
{
    rewrite_config_free(cfg);
    mem_free(cfg);
}

static void open_maps(struct rewrite_maps *maps, const char *spec)
{
    struct buf err = BUF_INIT;

    assert_int_equal(rewrite_maps_open(maps, spec, &err), 0);
    buf_release(&err);
}

/* Runs rewrite_address and returns the result (static storage). */
static const char *rw(const struct rewrite_config *cfg, int cls, const char *in)
{
    static struct buf b;

    buf_set(&b, in);
    assert_int_equal(rewrite_address(cfg, cls, &b, cfg->myorigin, cfg->append_at_myorigin), 0);
    return buf_str(&b);
}

static void test_canonicalize(void **st)
{
    struct rewrite_config *cfg = cfg_new();

    (void)st;
    cfg->append_at_myorigin = 1;
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "bob"), "bob@origin.test");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, ""), "");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "bob@host"), "bob@host");
    cfg->append_dot_mydomain = 1;
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "bob@host"), "bob@host.example.test");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "bob@[10.0.0.1]"), "bob@[10.0.0.1]");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "bob@a.b"), "bob@a.b");
    /* Off: a bang path and a percent stay local names. */
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "site.test!bob"), "site.test!bob@origin.test");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "bob%dom.test"), "bob%dom.test@origin.test");
    cfg->swap_bangpath = 1;
    cfg->allow_percent_hack = 1;
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "site.test!bob"), "bob@site.test");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "bob%dom.test"), "bob@dom.test");
    /* Not paths: a leading or trailing '!' or '%'. */
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "!bob"), "!bob@origin.test");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "bob%"), "bob%@origin.test");
    /* No domain to append: the name stays bare. */
    cfg->append_at_myorigin = 0;
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "bob"), "bob");
    cfg_free(cfg);
}

static void test_canonical_classes(void **st)
{
    struct rewrite_config *cfg = cfg_new();

    (void)st;
    cfg->append_at_myorigin = 1;
    open_maps(&cfg->sender_canonical, "static:pi");
    open_maps(&cfg->recipient_canonical, "static:me@personal.test");
    cfg->sender_classes = REWRITE_ENV_SENDER | REWRITE_HDR_SENDER;
    cfg->recipient_classes = REWRITE_ENV_RCPT;
    /* The seed's null client: the bare "pi" is completed again. */
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "root"), "pi@origin.test");
    assert_string_equal(rw(cfg, REWRITE_HDR_SENDER, "root@x.test"), "pi@origin.test");
    assert_string_equal(rw(cfg, REWRITE_ENV_RCPT, "root"), "me@personal.test");
    /* header_recipient is not in recipient_classes here. */
    assert_string_equal(rw(cfg, REWRITE_HDR_RCPT, "root@x.test"), "root@x.test");
    /* The null sender is never mapped. */
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, ""), "");
    cfg_free(cfg);
}

static void test_canonical_lookup_forms(void **st)
{
    struct rewrite_config *cfg = cfg_new();

    (void)st;
    mem_free(cfg->delims);
    cfg->delims = mem_strdup("+");
    cfg->canonical_classes = REWRITE_ENV_SENDER | REWRITE_ENV_RCPT;
    open_maps(&cfg->canonical, "inline:{ root=admin@corp.test, @old.test=@new.test, "
                               "a@x.test=b@x.test, b@x.test=c@x.test, p@x.test=q@x.test, "
                               "q@x.test=p@x.test }");
    /* "user" matches only in a local domain. */
    assert_string_equal(rw(cfg, REWRITE_ENV_RCPT, "root@origin.test"), "admin@corp.test");
    assert_string_equal(rw(cfg, REWRITE_ENV_RCPT, "root@elsewhere.test"), "root@elsewhere.test");
    /* @domain keeps the local part. */
    assert_string_equal(rw(cfg, REWRITE_ENV_RCPT, "joe@old.test"), "joe@new.test");
    assert_string_equal(rw(cfg, REWRITE_ENV_RCPT, "JOE@OLD.TEST"), "JOE@new.test");
    /* Nested mappings are followed. */
    assert_string_equal(rw(cfg, REWRITE_ENV_RCPT, "a@x.test"), "c@x.test");
    /* Extension: without propagation dropped, with it carried over. */
    assert_string_equal(rw(cfg, REWRITE_ENV_RCPT, "root+tag@origin.test"), "admin@corp.test");
    cfg->propagate_canonical = 1;
    assert_string_equal(rw(cfg, REWRITE_ENV_RCPT, "root+tag@origin.test"), "admin+tag@corp.test");
    /* A loop stops after a bounded number of rounds, with a warning. */
    buf_reset(&warnings);
    rw(cfg, REWRITE_ENV_RCPT, "p@x.test");
    assert_non_null(strstr(buf_str(&warnings), "unreasonable canonical mapping nesting"));
    cfg_free(cfg);
}

static void test_lookup_error(void **st)
{
    struct rewrite_config *cfg = cfg_new();
    struct buf b = BUF_INIT;

    (void)st;
    cfg->canonical_classes = REWRITE_ENV_RCPT;
    open_maps(&cfg->canonical, "fail:down");
    buf_set(&b, "x@y.test");
    assert_int_equal(rewrite_address(cfg, REWRITE_ENV_RCPT, &b, "", 0), REWRITE_ERROR);
    /* Classes not configured never look: no error. */
    assert_int_equal(rewrite_address(cfg, REWRITE_ENV_SENDER, &b, "", 0), 0);
    buf_release(&b);
    cfg_free(cfg);
}

static void test_masquerade(void **st)
{
    struct rewrite_config *cfg = cfg_new();

    (void)st;
    cfg->masq_domains = rewrite_split_list("!keep.example.com example.com", &cfg->masq_count);
    cfg->masq_exceptions = rewrite_split_list("root", &cfg->masq_exc_count);
    cfg->masq_classes = REWRITE_ENV_SENDER | REWRITE_HDR_SENDER;
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "joe@host.sub.example.com"), "joe@example.com");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "joe@example.com"), "joe@example.com");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "joe@keep.example.com"),
                        "joe@keep.example.com");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "joe@a.keep.example.com"),
                        "joe@a.keep.example.com");
    /* Not a subdomain, only a suffix. */
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "joe@badexample.com"), "joe@badexample.com");
    assert_string_equal(rw(cfg, REWRITE_ENV_SENDER, "ROOT@host.example.com"),
                        "ROOT@host.example.com");
    assert_string_equal(rw(cfg, REWRITE_ENV_RCPT, "joe@host.example.com"), "joe@host.example.com");
    cfg_free(cfg);
}

static const char *expand(const struct rewrite_config *cfg, const char *addr, long *n)
{
    static struct buf out;
    struct addr_list list;
    struct buf err = BUF_INIT;
    size_t i;

    addr_list_init(&list);
    *n = rewrite_virtual_expand(cfg, addr, &list, &err);
    buf_reset(&out);
    for (i = 0; i < list.count; i++)
        buf_printf(&out, "%s%s", i ? " " : "", list.items[i].addr);
    addr_list_free(&list);
    buf_release(&err);
    return buf_str(&out);
}

static void test_virtual(void **st)
{
    struct rewrite_config *cfg = cfg_new();
    long n;

    (void)st;
    cfg->append_at_myorigin = 1;
    open_maps(&cfg->virtual_alias,
              "inline:{ {list@v.test = a@x.test, b@v.test, list@v.test}, b@v.test=c@x.test, "
              "{fan@v.test=1@x.test 2@x.test 3@x.test 4@x.test}, loop1@v.test=loop2@v.test, "
              "loop2@v.test=loop1@v.test, bare@v.test=local, @catch.test=@to.test }");
    assert_string_equal(expand(cfg, "list@v.test", &n), "a@x.test c@x.test list@v.test");
    assert_int_equal(n, 3);
    assert_string_equal(expand(cfg, "nobody@v.test", &n), "nobody@v.test");
    assert_int_equal(n, 1);
    assert_string_equal(expand(cfg, "bare@v.test", &n), "local@origin.test");
    assert_string_equal(expand(cfg, "x@catch.test", &n), "x@to.test");
    cfg->expansion_limit = 2;
    buf_reset(&warnings);
    assert_string_equal(expand(cfg, "fan@v.test", &n), "1@x.test 2@x.test");
    assert_non_null(strstr(buf_str(&warnings), "virtual_alias_expansion_limit"));
    cfg->expansion_limit = 1000;
    cfg->recursion_limit = 5;
    buf_reset(&warnings);
    expand(cfg, "loop1@v.test", &n);
    assert_int_equal(n, 1);
    assert_non_null(strstr(buf_str(&warnings), "virtual_alias_recursion_limit"));
    cfg_free(cfg);
}

static const char *hdr(const struct rewrite_config *cfg, int cls, const char *value, long *n)
{
    static struct buf out;

    buf_reset(&out);
    *n = rewrite_header_value(cfg, cls, value, strlen(value), &out, cfg->myorigin, 1);
    return buf_str(&out);
}

static void test_header_value(void **st)
{
    struct rewrite_config *cfg = cfg_new();
    long n;

    (void)st;
    cfg->canonical_classes = REWRITE_HDR_SENDER | REWRITE_HDR_RCPT;
    open_maps(&cfg->canonical, "inline:{ old@x.test=new@x.test, {a b@x.test=c@x.test} }");
    assert_string_equal(hdr(cfg, REWRITE_HDR_RCPT, " \"Old, Person\" <old@x.test> (c, <x>)", &n),
                        " \"Old, Person\" <new@x.test> (c, <x>)");
    assert_int_equal(n, 1);
    assert_string_equal(hdr(cfg, REWRITE_HDR_RCPT, " old@x.test (Old),\n\tOther <o@y.test>", &n),
                        " new@x.test (Old),\n\tOther <o@y.test>");
    assert_int_equal(n, 1);
    /* Groups: the name stays, members are rewritten. */
    assert_string_equal(hdr(cfg, REWRITE_HDR_RCPT, " Team: old@x.test, Bob <bob>;", &n),
                        " Team: new@x.test, Bob <bob@origin.test>;");
    assert_int_equal(n, 2);
    assert_string_equal(hdr(cfg, REWRITE_HDR_RCPT, " undisclosed-recipients:;", &n),
                        " undisclosed-recipients:;");
    assert_int_equal(n, 0);
    /* Quoted local part in, quoted form out. */
    assert_string_equal(hdr(cfg, REWRITE_HDR_RCPT, " <\"a b\"@x.test>", &n), " <c@x.test>");
    assert_string_equal(hdr(cfg, REWRITE_HDR_SENDER, " <>", &n), " <>");
    assert_int_equal(n, 0);
    /* A route stays, the address after it changes. */
    assert_string_equal(hdr(cfg, REWRITE_HDR_RCPT, " <@r1,@r2:old@x.test>", &n),
                        " <@r1,@r2:new@x.test>");
    /* A phrase without an address is not completed. */
    assert_string_equal(hdr(cfg, REWRITE_HDR_RCPT, " Joe User, bob", &n),
                        " Joe User, bob@origin.test");
    assert_int_equal(n, 1);
    /* Unbalanced input is copied, never over-read. */
    assert_string_equal(hdr(cfg, REWRITE_HDR_RCPT, " Bob <old@x.test", &n), " Bob <old@x.test");
    assert_string_equal(hdr(cfg, REWRITE_HDR_RCPT, " (unterminated old@x.test", &n),
                        " (unterminated old@x.test");
    cfg_free(cfg);
}

static void test_parse_classes(void **st)
{
    struct buf err = BUF_INIT;

    (void)st;
    assert_int_equal(rewrite_parse_classes("envelope_sender, header_recipient", &err),
                     REWRITE_ENV_SENDER | REWRITE_HDR_RCPT);
    assert_int_equal(rewrite_parse_classes("", &err), 0);
    assert_int_equal(rewrite_parse_classes("envelope_sender bogus", &err), -1);
    assert_non_null(strstr(buf_str(&err), "bogus"));
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonicalize),
        cmocka_unit_test(test_canonical_classes),
        cmocka_unit_test(test_canonical_lookup_forms),
        cmocka_unit_test(test_lookup_error),
        cmocka_unit_test(test_masquerade),
        cmocka_unit_test(test_virtual),
        cmocka_unit_test(test_header_value),
        cmocka_unit_test(test_parse_classes),
    };

    msg_set_hook(capture);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
