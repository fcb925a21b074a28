/*
 * postconf_edit.c - postconf -e, -X and -# on main.cf, and with -M, -F or -P
 * on master.cf.
 *
 * Edits keep everything else byte for byte: comments, order, untouched
 * entries. A changed main.cf entry stays where it was ("name = value"), a new
 * one is appended; a changed master.cf entry is rewritten in -Mf layout. The
 * new file is written beside the old one, fsync'ed and renamed over it, so a
 * crash leaves either the old or the new file, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/maincf.h"
#include "postconf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

/* The physical lines of a file, without their newlines. */
struct postconf_lines {
    char **line;
    size_t count;
};

static void postconf_split_lines(const struct buf *text, struct postconf_lines *out)
{
    const char *p = text->data;
    const char *end = p + text->len;

    out->line = NULL;
    out->count = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;

        out->line = mem_realloc_array(out->line, out->count + 1, sizeof(char *));
        out->line[out->count++] = mem_strndup(p, (size_t)(eol - p));
        p = nl ? nl + 1 : end;
    }
}

static void postconf_free_lines(struct postconf_lines *lines)
{
    size_t i;

    for (i = 0; i < lines->count; i++)
        mem_free(lines->line[i]);
    mem_free(lines->line);
}

/* Writes content to path atomically, keeping the old file's mode. */
static void postconf_write_file(const char *path, const struct buf *content)
{
    struct buf tmp = BUF_INIT;
    struct stat st;
    mode_t mode = 0644;
    int fd;
    size_t off = 0;

    if (stat(path, &st) == 0)
        mode = st.st_mode & 07777;
    buf_printf(&tmp, "%s.tmp", path);
    fd = open(buf_str(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        msg_fatal("open %s: %m", buf_str(&tmp));
    while (off < content->len) {
        ssize_t n = write(fd, content->data + off, content->len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            msg_fatal("write %s: %m", buf_str(&tmp));
        off += (size_t)n;
    }
    if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || close(fd) < 0)
        msg_fatal("write %s: %m", buf_str(&tmp));
    if (rename(buf_str(&tmp), path) < 0)
        msg_fatal("rename %s to %s: %m", buf_str(&tmp), path);
    buf_release(&tmp);
}

static void postconf_read_or_empty(const char *path, struct buf *text)
{
    struct buf err = BUF_INIT;

    if (maincf_read_file(path, text, &err) < 0) {
        if (errno != ENOENT)
            msg_fatal("%s", buf_str(&err));
        buf_reset(text);
    }
    buf_release(&err);
}

/* --- main.cf ---------------------------------------------------------- */

struct postconf_main_entry {
    char *name;
    int first;
    int last;
};

struct postconf_main_scan {
    struct postconf_main_entry *entry;
    size_t count;
};

static int postconf_main_scan_cb(char *logical, int first, int last, void *ctx)
{
    struct postconf_main_scan *scan = ctx;
    char *eq = strchr(logical, '=');
    char *name;

    if (eq == NULL)
        return 0;
    *eq = '\0';
    name = str_trim(logical);
    scan->entry = mem_realloc_array(scan->entry, scan->count + 1, sizeof(scan->entry[0]));
    scan->entry[scan->count].name = mem_strdup(name);
    scan->entry[scan->count].first = first;
    scan->entry[scan->count].last = last;
    scan->count++;
    return 0;
}

void postconf_edit_main(const struct postconf_opts *opts)
{
    const char *path = conf_main_path();
    struct buf text = BUF_INIT;
    struct buf out = BUF_INIT;
    struct buf err = BUF_INIT;
    struct postconf_lines lines;
    struct postconf_main_scan scan = {NULL, 0};
    char **names = mem_calloc((size_t)opts->nargs + 1, sizeof(char *));
    char **values = mem_calloc((size_t)opts->nargs + 1, sizeof(char *));
    int *done = mem_calloc((size_t)opts->nargs + 1, sizeof(int));
    char *action;
    size_t i;
    size_t e;
    int k;

    for (k = 0; k < opts->nargs; k++) {
        char *copy = mem_strdup(opts->args[k]);

        if (opts->edit) {
            char *name;
            char *value;

            if (maincf_split_assignment(copy, &name, &value, &err) < 0)
                msg_fatal("%s", buf_str(&err));
            names[k] = mem_strdup(name);
            values[k] = mem_strdup(value);
        } else {
            names[k] = mem_strdup(str_trim(copy));
        }
        mem_free(copy);
    }
    postconf_read_or_empty(path, &text);
    postconf_split_lines(&text, &lines);
    (void)maincf_scan(path, text.data, text.len, postconf_main_scan_cb, &scan);

    /* action[i]: 0 keep, 'r' replace (first line of an edited entry), 'd' delete, '#' comment */
    action = mem_calloc(lines.count + 1, 1);
    for (e = 0; e < scan.count; e++) {
        for (k = 0; k < opts->nargs; k++) {
            int line;

            if (strcmp(scan.entry[e].name, names[k]) != 0)
                continue;
            for (line = scan.entry[e].first; line <= scan.entry[e].last; line++) {
                char act = opts->comment ? '#' : 'd';

                if (opts->edit && !done[k] && line == scan.entry[e].first)
                    act = 'r';
                action[line - 1] = act;
            }
            if (opts->edit && !done[k])
                done[k] = (int)e + 1;
        }
    }
    for (i = 0; i < lines.count; i++) {
        switch (action[i]) {
        case 'r':
            for (k = 0; k < opts->nargs; k++)
                if (done[k] && (size_t)scan.entry[done[k] - 1].first == i + 1)
                    buf_printf(&out, "%s = %s\n", names[k], values[k]);
            break;
        case 'd':
            break;
        case '#':
            buf_printf(&out, "#%s\n", lines.line[i]);
            break;
        default:
            buf_printf(&out, "%s\n", lines.line[i]);
        }
    }
    if (opts->edit) {
        for (k = 0; k < opts->nargs; k++) {
            int dup = 0;
            int j;

            for (j = k + 1; j < opts->nargs; j++)
                dup |= strcmp(names[j], names[k]) == 0;
            if (!done[k] && !dup)
                buf_printf(&out, "%s = %s\n", names[k], values[k]);
        }
    }
    postconf_write_file(path, &out);

    for (k = 0; k < opts->nargs; k++) {
        mem_free(names[k]);
        mem_free(values[k]);
    }
    for (e = 0; e < scan.count; e++)
        mem_free(scan.entry[e].name);
    mem_free(scan.entry);
    mem_free(names);
    mem_free(values);
    mem_free(done);
    mem_free(action);
    postconf_free_lines(&lines);
    buf_release(&text);
    buf_release(&out);
    buf_release(&err);
}

/* --- master.cf -------------------------------------------------------- */

/* Appends one argument, braced when it would not parse back as one word. */
static void postconf_append_arg(struct buf *line, const char *arg)
{
    if (*arg == '\0' || strpbrk(arg, " \t") != NULL || *arg == '{')
        buf_printf(line, " { %s }", arg);
    else
        buf_printf(line, " %s", arg);
}

/* Parses one master.cf entry from text and appends it in -Mf layout. */
static void postconf_format_entry_text(const char *text, struct buf *out)
{
    struct master_cf one;
    struct buf err = BUF_INIT;

    if (master_cf_parse(postconf_master_path, text, strlen(text), &one, &err) < 0)
        msg_fatal("%s", buf_str(&err));
    if (one.count != 1)
        msg_fatal("%s: expected one master.cf entry in \"%s\"", postconf_master_path, text);
    master_entry_format(&one.entry[0], 1, out);
    master_cf_free(&one);
    buf_release(&err);
}

static void postconf_entry_text(const struct master_entry *e, const char *field_name,
                                const char *field_value, const char *param, const char *pvalue,
                                int remove_param, struct buf *line)
{
    static const char *const names[] = {"service", "type", "private", "unprivileged",
                                        "chroot", "wakeup", "process_limit"};
    size_t i;
    int f;
    int replaced = 0;

    buf_reset(line);
    for (f = 0; f < MASTER_FIELD_COUNT; f++) {
        const char *v = e->field[f];

        if (field_name && strcmp(field_name, names[f]) == 0)
            v = field_value;
        buf_printf(line, "%s%s", f ? " " : "", v);
    }
    if (field_name && strcmp(field_name, "command") == 0) {
        buf_printf(line, " %s", field_value);
        return;
    }
    buf_printf(line, " %s", e->command);
    for (i = 0; i < e->nargs; i++) {
        const struct master_override *o = NULL;
        size_t k;

        for (k = 0; k < e->noverride; k++)
            if (e->override[k].arg == i)
                o = &e->override[k];
        if (o && param && strcmp(o->name, param) == 0) {
            if (!remove_param && !replaced)
                buf_printf(line, " -o %s=%s", param, pvalue);
            replaced = 1;
            if (o->has_next)
                i++;
            continue;
        }
        if (o && param && !replaced && !remove_param && k == e->noverride) {
            /* unreachable: kept for clarity */
        }
        postconf_append_arg(line, e->args[i]);
        if (o && param && !remove_param && !replaced && o == &e->override[e->noverride - 1]) {
            if (o->has_next && i + 1 < e->nargs)
                postconf_append_arg(line, e->args[++i]);
            buf_printf(line, " -o %s=%s", param, pvalue);
            replaced = 1;
        }
    }
    if (param && !remove_param && !replaced)
        buf_printf(line, " -o %s=%s", param, pvalue);
}

static size_t postconf_find_entry(const char *service, const char *type)
{
    size_t i;
    size_t found = postconf_master.count;

    for (i = 0; i < postconf_master.count; i++)
        if (strcmp(postconf_master.entry[i].field[MASTER_FIELD_SERVICE], service) == 0
            && strcmp(postconf_master.entry[i].field[MASTER_FIELD_TYPE], type) == 0)
            found = i;
    return found;
}

/* Splits "service/type[/rest]"; returns 0 or -1. */
static int postconf_split_key(char *key, char **service, char **type, char **rest)
{
    char *slash = strchr(key, '/');
    char *slash2;

    if (slash == NULL)
        return -1;
    *slash = '\0';
    *service = key;
    *type = slash + 1;
    slash2 = strchr(*type, '/');
    if (rest) {
        if (slash2 == NULL)
            return -1;
        *slash2 = '\0';
        *rest = slash2 + 1;
    } else if (slash2 != NULL) {
        return -1;
    }
    return 0;
}

void postconf_edit_master(const struct postconf_opts *opts)
{
    struct buf text = BUF_INIT;
    struct buf out = BUF_INIT;
    struct buf line = BUF_INIT;
    struct postconf_lines lines;
    char **replacement;
    char *deleted;
    char *commented;
    struct buf appended = BUF_INIT;
    size_t i;
    int k;

    postconf_read_or_empty(postconf_master_path, &text);
    postconf_split_lines(&text, &lines);
    replacement = mem_calloc(lines.count + 1, sizeof(char *));
    deleted = mem_calloc(lines.count + 1, 1);
    commented = mem_calloc(lines.count + 1, 1);

    for (k = 0; k < opts->nargs; k++) {
        char *arg = mem_strdup(opts->args[k]);
        char *service;
        char *type;
        char *rest = NULL;
        char *value = NULL;
        char *eq;
        size_t idx;
        const struct master_entry *e;

        if (opts->edit) {
            if ((eq = strchr(arg, '=')) == NULL)
                msg_fatal("missing '=' after attribute name: \"%s\"", opts->args[k]);
            *eq = '\0';
            value = str_trim(eq + 1);
        }
        if (postconf_split_key(str_trim(arg), &service, &type, opts->master ? NULL : &rest) < 0)
            msg_fatal("invalid %s request: \"%s\"",
                      opts->master ? "service" : opts->fields ? "field" : "parameter",
                      opts->args[k]);
        rest = rest ? str_trim(rest) : NULL;
        idx = postconf_find_entry(service, type);
        e = idx < postconf_master.count ? &postconf_master.entry[idx] : NULL;
        buf_reset(&line);
        if (opts->master && opts->edit) {
            postconf_format_entry_text(value, &line);
        } else if (e == NULL) {
            if (opts->edit)
                msg_fatal("unmatched request: \"%s/%s\"", service, type);
            msg_warn("unmatched request: \"%s/%s\"", service, type);
            mem_free(arg);
            continue;
        } else if (opts->fields && opts->edit) {
            struct buf entry_text = BUF_INIT;

            postconf_entry_text(e, rest, value, NULL, NULL, 0, &entry_text);
            postconf_format_entry_text(buf_str(&entry_text), &line);
            buf_release(&entry_text);
        } else if (opts->params && (opts->edit || opts->remove)) {
            struct buf entry_text = BUF_INIT;

            postconf_entry_text(e, NULL, NULL, rest, value, opts->remove, &entry_text);
            postconf_format_entry_text(buf_str(&entry_text), &line);
            buf_release(&entry_text);
        } else if (!opts->master) {
            msg_fatal("%s -%c is not supported with -%c", "postconf",
                      opts->comment ? '#' : 'X', opts->fields ? 'F' : 'P');
        }
        if (e == NULL) {
            buf_append_str(&appended, buf_str(&line));
        } else {
            size_t first = e->first_line - 1;
            size_t last = e->last_line - 1;

            for (i = first; i <= last && i < lines.count; i++) {
                if (opts->master && opts->comment)
                    commented[i] = 1;
                else
                    deleted[i] = 1;
            }
            if (buf_len(&line) && first < lines.count) {
                mem_free(replacement[first]);
                replacement[first] = mem_strdup(buf_str(&line));
            }
        }
        mem_free(arg);
    }
    for (i = 0; i < lines.count; i++) {
        if (replacement[i])
            buf_append_str(&out, replacement[i]);
        else if (commented[i])
            buf_printf(&out, "#%s\n", lines.line[i]);
        else if (!deleted[i])
            buf_printf(&out, "%s\n", lines.line[i]);
        mem_free(replacement[i]);
    }
    buf_append_str(&out, buf_str(&appended));
    postconf_write_file(postconf_master_path, &out);

    mem_free(replacement);
    mem_free(deleted);
    mem_free(commented);
    postconf_free_lines(&lines);
    buf_release(&text);
    buf_release(&out);
    buf_release(&line);
    buf_release(&appended);
}
