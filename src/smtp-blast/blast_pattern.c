/*
 * blast_pattern.c - expansion of smtp-blast's address patterns (see
 * blast_pattern.h).
 *
 * Called by smtp-blast's option parsing (check) and for every command it
 * builds (expand). Expansion trusts the check: an unknown placeholder in an
 * unchecked pattern is a bug (panic), never silently copied.
 */
#include <string.h>

#include "util/msg.h"

#include "blast_pattern.h"

int blast_pattern_check(const char *pattern, struct buf *err)
{
    const char *p;

    for (p = pattern; *p != '\0'; p++) {
        if (*p == '\r' || *p == '\n' || *p == '<' || *p == '>' || *p == ' ' || *p == '\t') {
            if (err != NULL)
                buf_printf(err, "pattern \"%s\": white space, CR, LF, '<' or '>' not allowed",
                           pattern);
            return -1;
        }
        if (*p != '%')
            continue;
        p++;
        if (*p == '\0' || strchr("mdsr%", *p) == NULL) {
            if (err != NULL)
                buf_printf(err,
                           "pattern \"%s\": unknown placeholder \"%%%.1s\" (use %%m %%s %%r %%%%)",
                           pattern, p);
            return -1;
        }
    }
    return 0;
}

void blast_pattern_expand(struct buf *out, const char *pattern,
                          const struct blast_pattern_vars *vars)
{
    const char *p = pattern, *pct;

    while ((pct = strchr(p, '%')) != NULL) {
        buf_append(out, p, (size_t)(pct - p));
        switch (pct[1]) {
        case 'm':
        case 'd':
            buf_printf(out, "%lu", vars->message);
            break;
        case 's':
            buf_printf(out, "%lu", vars->session);
            break;
        case 'r':
            buf_printf(out, "%lu", vars->recipient);
            break;
        case '%':
            buf_append_char(out, '%');
            break;
        default:
            msg_panic("blast_pattern_expand: unchecked pattern \"%s\"", pattern);
        }
        p = pct + 2;
    }
    buf_append_str(out, p);
}
