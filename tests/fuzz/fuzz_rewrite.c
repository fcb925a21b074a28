/*
 * fuzz_rewrite.c - libFuzzer target for the address rewriter
 * (lib/mail/rewrite.c): random tables, random addresses and header values.
 *
 * Input: up to four lines. Line 1 becomes a canonical table and line 2 a
 * virtual alias table (both inline:{...}, so each run has its own random
 * rules; a line that does not parse as a table leaves that map empty),
 * line 3 the masquerade domains, the rest an address that is rewritten in
 * every class, expanded, and rewritten as a header value. Checks: results
 * are C strings of bounded length, expansion stays within its limits, and
 * nothing leaks or reads out of bounds. Defines no main(): replay_main.c
 * supplies one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/rewrite.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 2048

static void fuzz_quiet(enum msg_level level, const char *text)
{
    (void)level;
    (void)text;
}

/* Takes the next line of [*p, end) (without its LF) into out. */
static void fuzz_line(const char **p, const char *end, struct buf *out)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;

    buf_reset(out);
    buf_append(out, *p, (size_t)(stop - *p));
    *p = nl ? nl + 1 : end;
}

static void fuzz_open(struct rewrite_maps *maps, const struct buf *rules)
{
    struct buf spec = BUF_INIT, err = BUF_INIT;

    if (buf_len(rules) == 0 || memchr(rules->data, '\0', buf_len(rules)) != NULL ||
        strpbrk(buf_str(rules), "{}") != NULL)
        return;
    buf_printf(&spec, "inline:{%s}", buf_str(rules));
    (void)rewrite_maps_open(maps, buf_str(&spec), &err);
    buf_release(&spec);
    buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int classes[] = {REWRITE_ENV_SENDER, REWRITE_ENV_RCPT, REWRITE_HDR_SENDER,
                                  REWRITE_HDR_RCPT};
    const char *p = (const char *)data, *end = p + size;
    struct buf canon = BUF_INIT, virt = BUF_INIT, masq = BUF_INIT, addr = BUF_INIT;
    struct buf work = BUF_INIT, out = BUF_INIT, err = BUF_INIT;
    struct rewrite_config cfg;
    struct addr_list list;
    size_t i;
    long n;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    msg_set_hook(fuzz_quiet);
    fuzz_line(&p, end, &canon);
    fuzz_line(&p, end, &virt);
    fuzz_line(&p, end, &masq);
    buf_append(&addr, p, (size_t)(end - p));
    rewrite_config_init(&cfg);
    fuzz_open(&cfg.canonical, &canon);
    fuzz_open(&cfg.virtual_alias, &virt);
    cfg.masq_domains = rewrite_split_list(buf_str(&masq), &cfg.masq_count);
    cfg.canonical_classes = cfg.masq_classes = 0xf;
    cfg.propagate_canonical = cfg.propagate_virtual = 1;
    cfg.swap_bangpath = cfg.allow_percent_hack = cfg.append_at_myorigin = 1;
    cfg.append_dot_mydomain = 1;
    mem_free(cfg.delims);
    cfg.delims = mem_strdup("+-");
    mem_free(cfg.myorigin);
    cfg.myorigin = mem_strdup("origin.test");
    mem_free(cfg.mydomain);
    cfg.mydomain = mem_strdup("example.test");
    cfg.expansion_limit = 20;
    cfg.recursion_limit = 10;

    for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        buf_set(&work, buf_str(&addr));
        if (rewrite_address(&cfg, classes[i], &work, cfg.myorigin, 1) == 0 &&
            strlen(buf_str(&work)) != buf_len(&work) && memchr(addr.data, '\0', addr.len) == NULL)
            abort(); /* a NUL appeared out of nowhere */
        buf_reset(&out);
        n = rewrite_header_value(&cfg, classes[i], addr.data, addr.len, &out, "x.test", 1);
        if (n < REWRITE_ERROR)
            abort();
    }
    addr_list_init(&list);
    n = rewrite_virtual_expand(&cfg, buf_str(&addr), &list, &err);
    if (n >= 0 && ((size_t)n != list.count || n > cfg.expansion_limit + 1))
        abort();
    for (i = 0; i < list.count; i++)
        if (list.items[i].addr == NULL)
            abort();
    addr_list_free(&list);
    rewrite_config_free(&cfg);
    buf_release(&canon);
    buf_release(&virt);
    buf_release(&masq);
    buf_release(&addr);
    buf_release(&work);
    buf_release(&out);
    buf_release(&err);
    return 0;
}
