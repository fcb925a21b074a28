/*
 * postconf_main.c - postconf's main() and the main.cf listings.
 *
 * Options and output follow Postfix's postconf(1): "name = value" lines
 * sorted by name, white space runs shown as one space, -f folding at 80
 * columns, warnings for unknown, undefined and unused parameters. Exit status
 * 0 unless the configuration cannot be read or an edit fails (1).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/expand.h"
#include "postconf.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

struct master_cf postconf_master;
char *postconf_master_path;

static struct htable *postconf_used; /* names referenced by a value */

#define POSTCONF_FOLD_WIDTH 80

void postconf_print(const struct postconf_opts *opts, const char *name, const char *value)
{
    struct buf line = BUF_INIT;
    char *copy = mem_strdup(value);
    char *cursor = copy;
    char *word;
    size_t line_start = 0;

    if (!opts->hide_name)
        buf_printf(&line, "%s =", name);
    while ((word = str_token(&cursor, " \t\r\n")) != NULL) {
        size_t col = buf_len(&line) - line_start;
        int first = (buf_len(&line) == 0);

        if (opts->fold && !first && col + 1 + strlen(word) > POSTCONF_FOLD_WIDTH) {
            buf_append_str(&line, "\n    ");
            line_start = buf_len(&line) - 4;
        } else if (!first) {
            buf_append_char(&line, ' ');
        }
        buf_append_str(&line, word);
    }
    buf_append_char(&line, '\n');
    fputs(buf_str(&line), stdout);
    buf_release(&line);
    mem_free(copy);
}

static void postconf_mark_used(const char *name, void *ctx)
{
    (void)ctx;
    htable_put(postconf_used, name, (void *)1);
}

/* Parameters named in a value are used; so are restriction class names. */
void postconf_scan_used(void)
{
    const struct maincf *cf = conf_maincf();
    const char *classes;
    size_t i;
    size_t k;

    postconf_used = htable_new(64);
    for (i = 0; i < cf->count; i++)
        expand_references(cf->entry[i].value, postconf_mark_used, NULL);
    for (i = 0; i < postconf_master.count; i++) {
        const struct master_entry *e = &postconf_master.entry[i];

        for (k = 0; k < e->noverride; k++)
            if (e->override[k].value)
                expand_references(e->override[k].value, postconf_mark_used, NULL);
    }
    if ((classes = conf_raw("smtpd_restriction_classes")) != NULL) {
        char *copy = mem_strdup(classes);
        char *cursor = copy;
        char *name;

        while ((name = str_token(&cursor, STR_LIST_SEP)) != NULL)
            htable_put(postconf_used, name, (void *)1);
        mem_free(copy);
    }
}

static int postconf_is_used(const char *name)
{
    return conf_is_known(name) || htable_get(postconf_used, name) != NULL;
}

struct postconf_undefined_ctx {
    const char *path;
    struct htable *warned;
};

static void postconf_check_ref(const char *name, void *ctx)
{
    struct postconf_undefined_ctx *u = ctx;

    if (conf_raw(name) == NULL && htable_get(u->warned, name) == NULL) {
        htable_put(u->warned, name, (void *)1);
        msg_warn("%s: undefined parameter: %s", u->path, name);
    }
}

void postconf_warn_undefined(void)
{
    const struct maincf *cf = conf_maincf();
    struct postconf_undefined_ctx u = {conf_main_path(), htable_new(16)};
    size_t i;
    size_t k;

    for (i = 0; i < cf->count; i++)
        if (postconf_is_used(cf->entry[i].name))
            expand_references(cf->entry[i].value, postconf_check_ref, &u);
    u.path = postconf_master_path;
    for (i = 0; i < postconf_master.count; i++) {
        const struct master_entry *e = &postconf_master.entry[i];

        for (k = 0; k < e->noverride; k++)
            if (e->override[k].value)
                expand_references(e->override[k].value, postconf_check_ref, &u);
    }
    htable_free(u.warned, NULL);
}

void postconf_warn_unused_main(void)
{
    const struct maincf *cf = conf_maincf();
    size_t i;

    for (i = 0; i < cf->count; i++)
        if (!postconf_is_used(cf->entry[i].name))
            msg_warn("%s: unused parameter: %s=%s", conf_main_path(), cf->entry[i].name,
                     cf->entry[i].value);
}

void postconf_warn_unused_master(void)
{
    size_t i;
    size_t k;

    for (i = 0; i < postconf_master.count; i++) {
        const struct master_entry *e = &postconf_master.entry[i];

        for (k = 0; k < e->noverride; k++) {
            const struct master_override *o = &e->override[k];

            if (o->value && *o->name && !postconf_is_used(o->name)
                && maincf_find(conf_maincf(), o->name) == NULL)
                msg_warn("%s: unused parameter: %s=%s", postconf_master_path, o->name, o->value);
        }
    }
}

static int postconf_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every name postconf lists without arguments: known and used ones. */
static char **postconf_all_names(const struct postconf_opts *opts, size_t *count)
{
    const struct maincf *cf = conf_maincf();
    struct htable *names = htable_new(2048);
    struct htable_entry **sorted;
    char **list;
    size_t i;
    size_t k;
    size_t n;

    if (opts->nondefault) {
        for (i = 0; i < cf->count; i++)
            if (postconf_is_used(cf->entry[i].name))
                htable_put(names, cf->entry[i].name, NULL);
        if (conf_config_dir_explicit())
            htable_put(names, "config_directory", NULL);
    } else {
        struct buf name = BUF_INIT;

        for (i = 0; i < param_table_count; i++)
            htable_put(names, param_table[i].name, NULL);
        for (i = 0; i < postconf_master.count; i++) {
            const struct master_entry *e = &postconf_master.entry[i];

            if (!e->command || !param_is_delivery_command(e->command))
                continue;
            for (k = 0; k < param_transport_count; k++) {
                buf_reset(&name);
                buf_printf(&name, "%s_%s", e->field[MASTER_FIELD_SERVICE],
                           param_transport_table[k].name);
                htable_put(names, buf_str(&name), NULL);
            }
        }
        buf_release(&name);
        if (!opts->defaults)
            for (i = 0; i < cf->count; i++)
                if (postconf_is_used(cf->entry[i].name))
                    htable_put(names, cf->entry[i].name, NULL);
    }
    sorted = htable_sorted(names, &n);
    list = mem_calloc(n + 1, sizeof(list[0]));
    for (i = 0; i < n; i++)
        list[i] = mem_strdup(sorted[i]->key);
    mem_free(sorted);
    htable_free(names, NULL);
    qsort(list, n, sizeof(list[0]), postconf_cmp);
    *count = n;
    return list;
}

static void postconf_show_one(const struct postconf_opts *opts, const char *name, int requested)
{
    const struct param_def *def;
    const char *value;
    struct buf expanded = BUF_INIT;
    struct buf err = BUF_INIT;

    if (!postconf_is_used(name) && !(requested && opts->nondefault && conf_is_set(name))) {
        if (requested)
            msg_warn("%s: unknown parameter", name);
        return;
    }
    if (opts->nondefault && !conf_is_set(name)
        && !(strcmp(name, "config_directory") == 0 && conf_config_dir_explicit()))
        return;
    value = opts->defaults ? conf_default(name) : conf_raw(name);
    if (value == NULL) {
        if (requested)
            msg_warn("%s: unknown parameter", name);
        return;
    }
    /* Raw parameters are expanded by their users, with names only they know
     * ($home, $rbl_code): -x shows them as they are, as Postfix does. */
    def = conf_param_def(name);
    if (opts->expand && !(def && def->type == PARAM_T_RAW)) {
        if (conf_expand(value, &expanded, &err) < 0)
            msg_fatal("parameter %s: %s", name, buf_str(&err));
        value = buf_str(&expanded);
    }
    postconf_print(opts, name, value);
    buf_release(&expanded);
    buf_release(&err);
}

void postconf_show_main(const struct postconf_opts *opts)
{
    int i;

    if (opts->nargs > 0) {
        for (i = 0; i < opts->nargs; i++)
            postconf_show_one(opts, opts->args[i], 1);
    } else {
        size_t n;
        size_t k;
        char **names = postconf_all_names(opts, &n);

        for (k = 0; k < n; k++) {
            postconf_show_one(opts, names[k], 0);
            mem_free(names[k]);
        }
        mem_free(names);
    }
}

int postconf_match(const char *pattern, const char *text)
{
    /* Each '/'-separated component matches literally or through '*'. */
    while (*pattern && *text) {
        const char *pslash = strchr(pattern, '/');
        const char *tslash = strchr(text, '/');
        size_t plen = pslash ? (size_t)(pslash - pattern) : strlen(pattern);
        size_t tlen = tslash ? (size_t)(tslash - text) : strlen(text);

        if (!(plen == 1 && *pattern == '*') && (plen != tlen || strncmp(pattern, text, plen) != 0))
            return 0;
        pattern += plen + (pslash != NULL);
        text += tlen + (tslash != NULL);
        if ((pslash == NULL) != (tslash == NULL))
            return 0;
    }
    return *pattern == '\0' && *text == '\0';
}

static void postconf_usage(const char *argv0)
{
    msg_fatal("usage: %s [-d] [-e] [-f] [-h] [-M] [-F] [-P] [-n] [-x] [-X] [-#] [-c config_dir] "
              "[-o name=value] [-v] [name...]",
              argv0);
}

int main(int argc, char **argv)
{
    struct postconf_opts opts;
    struct buf err = BUF_INIT;
    struct buf path = BUF_INIT;
    const char *config_dir = NULL;
    int ch;

    msg_init(argv[0]);
    memset(&opts, 0, sizeof(opts));
    while ((ch = getopt(argc, argv, "c:defhMFPnxX#o:v")) != -1) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'd':
            opts.defaults = 1;
            break;
        case 'e':
            opts.edit = 1;
            break;
        case 'f':
            opts.fold = 1;
            break;
        case 'h':
            opts.hide_name = 1;
            break;
        case 'M':
            opts.master = 1;
            break;
        case 'F':
            opts.fields = 1;
            break;
        case 'P':
            opts.params = 1;
            break;
        case 'n':
            opts.nondefault = 1;
            break;
        case 'x':
            opts.expand = 1;
            break;
        case 'X':
            opts.remove = 1;
            break;
        case '#':
            opts.comment = 1;
            break;
        case 'o': {
            char *copy = mem_strdup(optarg);
            char *name;
            char *value;

            if (maincf_split_assignment(copy, &name, &value, &err) < 0)
                msg_fatal("%s", buf_str(&err));
            conf_set_override(name, value);
            mem_free(copy);
            break;
        }
        case 'v':
            msg_verbose++;
            break;
        default:
            postconf_usage(argv[0]);
        }
    }
    opts.args = argv + optind;
    opts.nargs = argc - optind;
    if (opts.edit + opts.remove + opts.comment > 1 || opts.master + opts.fields + opts.params > 1)
        postconf_usage(argv[0]);

    conf_set_config_dir(config_dir);
    if (conf_load(&err) < 0) {
        /* Editing may create main.cf; anything else needs it. */
        if (!(opts.edit && access(conf_main_path(), F_OK) < 0))
            msg_fatal("%s", buf_str(&err));
    }
    buf_printf(&path, "%s/master.cf", conf_config_dir());
    postconf_master_path = buf_steal(&path);
    buf_reset(&err);
    if (master_cf_load(postconf_master_path, &postconf_master, &err) < 0) {
        if (opts.master || opts.fields || opts.params || access(postconf_master_path, F_OK) == 0)
            msg_fatal("%s", buf_str(&err));
        memset(&postconf_master, 0, sizeof(postconf_master));
    }
    conf_register_services(&postconf_master);

    if (opts.edit || opts.remove || opts.comment) {
        if (opts.master || opts.fields || opts.params)
            postconf_edit_master(&opts);
        else
            postconf_edit_main(&opts);
        return 0;
    }
    postconf_scan_used();
    postconf_warn_undefined();
    if (opts.master) {
        postconf_show_master(&opts);
    } else if (opts.fields) {
        postconf_show_fields(&opts);
    } else if (opts.params) {
        postconf_show_params(&opts);
    } else {
        if (opts.defaults)
            conf_set_defaults_only(1);
        postconf_show_main(&opts);
        conf_set_defaults_only(0);
        postconf_warn_unused_main();
    }
    postconf_warn_unused_master();
    fflush(stdout);
    buf_release(&err);
    return 0;
}
