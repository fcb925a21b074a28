/*
 * cleanup_hooks.c - the default hooks of cleanup (see cleanup_hooks.h):
 * the lookup-free part of address canonicalisation, and no-op entry
 * points for virtual aliases, header/body checks and milters.
 *
 * Filled in by the tables issue (canonical_maps, masquerading,
 * virtual_alias_maps, header_checks, body_checks) and the milter issue.
 * Until then a message passes these points unchanged.
 */
#include <string.h>

#include "cleanup.h"
#include "cleanup_hooks.h"
#include "conf/conf.h"

void cleanup_rewrite_default(struct cleanup_state *state, enum cleanup_addr_class cls,
                             struct buf *addr)
{
    const char *at;

    (void)state;
    if (cls != CLEANUP_ADDR_ENV_SENDER && cls != CLEANUP_ADDR_ENV_RCPT)
        return;
    if (buf_len(addr) == 0)
        return; /* the null sender stays null */
    at = strrchr(buf_str(addr), '@');
    if (at == NULL) {
        if (var_append_at_myorigin && var_myorigin[0] != '\0')
            buf_printf(addr, "@%s", var_myorigin);
        return;
    }
    /* user@host: a domain without a dot gets .$mydomain (RFC 5321 wants
     * fully qualified names); a domain literal never does. */
    if (var_append_dot_mydomain && at[1] != '\0' && at[1] != '[' && strchr(at + 1, '.') == NULL &&
        var_mydomain[0] != '\0')
        buf_printf(addr, ".%s", var_mydomain);
}

static size_t cleanup_expand_none(struct cleanup_state *state, const char *addr,
                                  struct addr_list *out)
{
    (void)state;
    (void)addr;
    (void)out;
    return 0;
}

static enum cleanup_action cleanup_header_none(struct cleanup_state *state,
                                               const struct header_view *h, struct buf *out)
{
    (void)state;
    (void)h;
    (void)out;
    return CLEANUP_ACT_KEEP;
}

static enum cleanup_action cleanup_body_none(struct cleanup_state *state, const char *data,
                                             size_t len, int line_end, struct buf *out)
{
    (void)state;
    (void)data;
    (void)len;
    (void)line_end;
    (void)out;
    return CLEANUP_ACT_KEEP;
}

static enum cleanup_action cleanup_milter_none(struct cleanup_state *state, struct buf *out)
{
    (void)state;
    (void)out;
    return CLEANUP_ACT_KEEP;
}

struct cleanup_hooks cleanup_hooks = {
    .rewrite_address = cleanup_rewrite_default,
    .expand_recipient = cleanup_expand_none,
    .header_check = cleanup_header_none,
    .body_check = cleanup_body_none,
    .milter_envelope = cleanup_milter_none,
    .milter_headers = cleanup_milter_none,
    .milter_end = cleanup_milter_none,
};
