/*
 * maincf.c - main.cf parser (see maincf.h).
 *
 * Works on an in-memory copy so that the fuzz target and the unit tests drive
 * exactly the code that daemons use. A continuation line is appended to its
 * logical line without the newline, white space kept; NUL bytes in the input are treated
 * as the end of that physical line's text, never as a terminator of the file.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf/maincf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

const struct maincf_entry *maincf_find(const struct maincf *cf, const char *name)
{
    size_t i;

    for (i = 0; i < cf->count; i++)
        if (strcmp(cf->entry[i].name, name) == 0)
            return &cf->entry[i];
    return NULL;
}

int maincf_split_assignment(char *text, char **name, char **value, struct buf *err)
{
    char *eq = strchr(text, '=');
    char *n;

    if (eq == NULL) {
        buf_printf(err, "missing '=' after attribute name: \"%s\"", text);
        return -1;
    }
    *eq = '\0';
    n = str_trim(text);
    if (*n == '\0') {
        *eq = '=';
        buf_printf(err, "missing attribute name: \"%s\"", str_trim(text));
        return -1;
    }
    /* Postfix refuses white space inside the name with the same message. */
    if (strpbrk(n, " \t") != NULL) {
        *eq = '=';
        buf_printf(err, "missing '=' after attribute name: \"%s\"", str_trim(text));
        return -1;
    }
    *name = n;
    *value = str_trim(eq + 1);
    return 0;
}

static void maincf_add(struct maincf *cf, const char *path, char *name, char *value, int first,
                       int last)
{
    size_t i;

    for (i = 0; i < cf->count; i++) {
        if (strcmp(cf->entry[i].name, name) == 0) {
            msg_warn("%s, line %d: overriding earlier entry: %s=%s", path, first, name,
                     cf->entry[i].value);
            mem_free(cf->entry[i].value);
            cf->entry[i].value = mem_strdup(value);
            cf->entry[i].first_line = first;
            cf->entry[i].last_line = last;
            return;
        }
    }
    cf->entry = mem_realloc_array(cf->entry, cf->count + 1, sizeof(cf->entry[0]));
    cf->entry[cf->count].name = mem_strdup(name);
    cf->entry[cf->count].value = mem_strdup(value);
    cf->entry[cf->count].first_line = first;
    cf->entry[cf->count].last_line = last;
    cf->count++;
}

int maincf_scan(const char *path, const char *text, size_t len, maincf_scan_fn cb, void *ctx)
{
    struct buf logical = BUF_INIT;
    const char *p = text;
    const char *end = text + len;
    int lineno = 0;
    int first = 0;
    int last = 0;
    int ret = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *nul = memchr(p, '\0', (size_t)(eol - p));
        const char *stop = nul ? nul : eol;
        const char *q = p;

        lineno++;
        while (q < stop && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\f' || *q == '\v'))
            q++;
        if (q == stop || *q == '#') {
            /* blank or comment: skipped, does not end a logical line */
        } else if (q != p) {
            if (buf_len(&logical) == 0) {
                struct buf shown = BUF_INIT;

                buf_append(&shown, p, (size_t)(stop - p));
                msg_warn("%s: logical line must not start with whitespace: \"%s\"", path,
                         str_trim(shown.data));
                buf_release(&shown);
            } else {
                /* The newline goes; the continuation's leading white space
                 * stays, as in Postfix ("a   b" + "   c" is "a   b   c"). */
                buf_append(&logical, p, (size_t)(stop - p));
                last = lineno;
            }
        } else {
            if (buf_len(&logical) && (ret = cb(logical.data, first, last, ctx)) != 0)
                break;
            buf_set_mem(&logical, p, (size_t)(stop - p));
            first = last = lineno;
        }
        p = nl ? nl + 1 : end;
    }
    if (ret == 0 && buf_len(&logical))
        ret = cb(logical.data, first, last, ctx);
    buf_release(&logical);
    return ret;
}

struct maincf_parse_state {
    struct maincf *cf;
    const char *path;
    struct buf *err;
};

static int maincf_parse_line(char *logical, int first, int last, void *ctx)
{
    struct maincf_parse_state *st = ctx;
    char *name;
    char *value;

    if (maincf_split_assignment(logical, &name, &value, st->err) < 0) {
        struct buf msg = BUF_INIT;

        buf_printf(&msg, "%s, line %d: %s", st->path, first, buf_str(st->err));
        buf_set(st->err, buf_str(&msg));
        buf_release(&msg);
        return -1;
    }
    maincf_add(st->cf, st->path, name, value, first, last);
    return 0;
}

int maincf_parse(const char *path, const char *text, size_t len, struct maincf *out,
                 struct buf *err)
{
    struct maincf_parse_state st = {out, path, err};

    out->path = mem_strdup(path);
    out->entry = NULL;
    out->count = 0;
    if (maincf_scan(path, text, len, maincf_parse_line, &st) != 0) {
        maincf_free(out);
        return -1;
    }
    return 0;
}

int maincf_read_file(const char *path, struct buf *data, struct buf *err)
{
    char chunk[8192];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0) {
        buf_printf(err, "open %s: %m", path);
        return -1;
    }
    buf_reset(data);
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            buf_printf(err, "read %s: %m", path);
            close(fd);
            return -1;
        }
        buf_append(data, chunk, (size_t)n);
    }
    close(fd);
    return 0;
}

int maincf_load(const char *path, struct maincf *out, struct buf *err)
{
    struct buf data = BUF_INIT;
    int ret;

    if (maincf_read_file(path, &data, err) < 0) {
        buf_release(&data);
        return -1;
    }
    ret = maincf_parse(path, data.data, buf_len(&data), out, err);
    buf_release(&data);
    return ret;
}

void maincf_free(struct maincf *cf)
{
    size_t i;

    for (i = 0; i < cf->count; i++) {
        mem_free(cf->entry[i].name);
        mem_free(cf->entry[i].value);
    }
    mem_free(cf->entry);
    mem_free(cf->path);
    cf->entry = NULL;
    cf->path = NULL;
    cf->count = 0;
}
