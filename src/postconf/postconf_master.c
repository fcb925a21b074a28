/*
 * postconf_master.c - master.cf listings: -M (entries), -F (fields), -P
 * (-o parameters), with Postfix's request syntax: service, service/type,
 * service/type/field or service/type/parameter, '*' matching any component.
 * A request that matches nothing is warned about ("unmatched request").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postconf.h"
#include "util/mem.h"
#include "util/msg.h"

static const char *const postconf_field_names[] = {
    "service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit",
};

/* service/type of an entry, in the buffer. */
static const char *postconf_entry_key(const struct master_entry *e, struct buf *key)
{
    buf_reset(key);
    buf_printf(key, "%s/%s", e->field[MASTER_FIELD_SERVICE], e->field[MASTER_FIELD_TYPE]);
    return buf_str(key);
}

/* A -M request "service" matches every type; "service/type" one. */
static int postconf_entry_matches(const struct master_entry *e, const char *req, struct buf *key)
{
    if (strchr(req, '/') == NULL)
        return postconf_match(req, e->field[MASTER_FIELD_SERVICE]);
    return postconf_match(req, postconf_entry_key(e, key));
}

void postconf_show_master(const struct postconf_opts *opts)
{
    struct buf out = BUF_INIT;
    struct buf key = BUF_INIT;
    int *matched = mem_calloc((size_t)opts->nargs + 1, sizeof(int));
    size_t i;
    int k;

    for (i = 0; i < postconf_master.count; i++) {
        const struct master_entry *e = &postconf_master.entry[i];
        int show = (opts->nargs == 0);

        for (k = 0; k < opts->nargs; k++) {
            if (postconf_entry_matches(e, opts->args[k], &key)) {
                matched[k] = 1;
                show = 1;
            }
        }
        if (show) {
            buf_reset(&out);
            master_entry_format(e, opts->fold, &out);
            fputs(buf_str(&out), stdout);
        }
    }
    for (k = 0; k < opts->nargs; k++)
        if (!matched[k])
            msg_warn("unmatched request: \"%s\"", opts->args[k]);
    mem_free(matched);
    buf_release(&out);
    buf_release(&key);
}

static const char *postconf_field_value(const struct master_entry *e, int field,
                                        struct buf *tmp)
{
    size_t i;

    if (field < MASTER_FIELD_COUNT)
        return e->field[field];
    buf_reset(tmp);
    buf_append_str(tmp, e->command);
    for (i = 0; i < e->nargs; i++)
        buf_printf(tmp, " %s", e->args[i]);
    return buf_str(tmp);
}

void postconf_show_fields(const struct postconf_opts *opts)
{
    struct buf name = BUF_INIT;
    struct buf tmp = BUF_INIT;
    int *matched = mem_calloc((size_t)opts->nargs + 1, sizeof(int));
    size_t i;
    int f;
    int k;

    for (i = 0; i < postconf_master.count; i++) {
        const struct master_entry *e = &postconf_master.entry[i];

        for (f = 0; f <= MASTER_FIELD_COUNT; f++) {
            const char *field = f < MASTER_FIELD_COUNT ? postconf_field_names[f] : "command";
            int show = (opts->nargs == 0);

            buf_reset(&name);
            buf_printf(&name, "%s/%s/%s", e->field[MASTER_FIELD_SERVICE],
                       e->field[MASTER_FIELD_TYPE], field);
            for (k = 0; k < opts->nargs; k++) {
                const char *req = opts->args[k];
                int hit;

                /* "service/type" selects every field of the entry. */
                if (strchr(req, '/') && strchr(strchr(req, '/') + 1, '/') == NULL) {
                    struct buf pattern = BUF_INIT;

                    buf_printf(&pattern, "%s/*", req);
                    hit = postconf_match(buf_str(&pattern), buf_str(&name));
                    buf_release(&pattern);
                } else {
                    hit = postconf_match(req, buf_str(&name));
                }
                if (hit) {
                    matched[k] = 1;
                    show = 1;
                }
            }
            if (show) {
                if (opts->hide_name)
                    printf("%s\n", postconf_field_value(e, f, &tmp));
                else
                    printf("%s = %s\n", buf_str(&name), postconf_field_value(e, f, &tmp));
            }
        }
    }
    for (k = 0; k < opts->nargs; k++)
        if (!matched[k])
            msg_warn("unmatched request: \"%s\"", opts->args[k]);
    mem_free(matched);
    buf_release(&name);
    buf_release(&tmp);
}

static int postconf_override_cmp(const void *a, const void *b)
{
    const struct master_override *x = *(const struct master_override *const *)a;
    const struct master_override *y = *(const struct master_override *const *)b;

    return strcmp(x->name, y->name);
}

/* -P lists an entry's parameters sorted by name, as Postfix does. */
static const struct master_override **postconf_sorted_overrides(const struct master_entry *e)
{
    const struct master_override **list = mem_calloc(e->noverride + 1, sizeof(list[0]));
    size_t i;

    for (i = 0; i < e->noverride; i++)
        list[i] = &e->override[i];
    qsort(list, e->noverride, sizeof(list[0]), postconf_override_cmp);
    return list;
}

void postconf_show_params(const struct postconf_opts *opts)
{
    struct buf name = BUF_INIT;
    int *matched = mem_calloc((size_t)opts->nargs + 1, sizeof(int));
    size_t i;
    size_t o;
    int k;

    for (i = 0; i < postconf_master.count; i++) {
        const struct master_entry *e = &postconf_master.entry[i];

        const struct master_override **sorted = postconf_sorted_overrides(e);

        for (o = 0; o < e->noverride; o++) {
            const struct master_override *ov = sorted[o];
            int show = (opts->nargs == 0);

            if (ov->value == NULL || *ov->name == '\0')
                continue;
            buf_reset(&name);
            buf_printf(&name, "%s/%s/%s", e->field[MASTER_FIELD_SERVICE],
                       e->field[MASTER_FIELD_TYPE], ov->name);
            for (k = 0; k < opts->nargs; k++) {
                if (postconf_match(opts->args[k], buf_str(&name))) {
                    matched[k] = 1;
                    show = 1;
                }
            }
            if (show) {
                if (opts->hide_name)
                    printf("%s\n", ov->value);
                else if (*ov->value)
                    printf("%s = %s\n", buf_str(&name), ov->value);
                else
                    printf("%s =\n", buf_str(&name));
            }
        }
        mem_free(sorted);
    }
    for (k = 0; k < opts->nargs; k++)
        if (!matched[k])
            msg_warn("unmatched request: \"%s\"", opts->args[k]);
    mem_free(matched);
    buf_release(&name);
}
