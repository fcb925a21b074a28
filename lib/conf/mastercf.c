/*
 * mastercf.c - master.cf parser and postconf -M printer (see mastercf.h).
 *
 * Reads the whole text, splits it into logical lines (a line that starts with
 * white space continues the previous one; comment and blank lines are skipped
 * without ending a logical line, so one "-o" line of a service can be
 * commented out), splits each logical line into words ("{ ... }" groups one
 * word that may hold white space) and checks the seven columns. Every length
 * is size_t and every allocation checked; the input is never modified and
 * never trusted to be NUL-terminated. It must never exit the process on bad
 * input: callers decide whether a syntax error is fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/mastercf.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

/* White space as C's isspace() in the "C" locale, independent of the locale. */
#define MASTER_CF_BLANKS " \t\r\n\f\v"

/* postconf -M column starts of the seven fields and the command. */
static const size_t master_column[MASTER_FIELD_COUNT + 1] = {0, 11, 17, 25, 33, 41, 49, 57};

/* Folded (-Mf) output keeps lines within this width where words allow. */
#define MASTER_FOLD_WIDTH  80
#define MASTER_FOLD_INDENT "    "

/* Daemon options that take a value (the daemons' getopt string); needed to
 * find where the leading options end and which arguments belong to -o. */
#define MASTER_OPTS_WITH_VALUE "imnost"

static const char *const master_type_names[] = {
    [MASTER_TYPE_INET] = "inet",
    [MASTER_TYPE_UNIX] = "unix",
    [MASTER_TYPE_UNIX_DGRAM] = "unix-dgram",
    [MASTER_TYPE_FIFO] = "fifo",
    [MASTER_TYPE_PASS] = "pass",
};

/* Names used in "invalid %s field" messages (postconf -F names). */
static const char *const master_field_names[MASTER_FIELD_COUNT] = {
    "service", "type", "private", "unprivileged", "chroot", "wakeup", "process_limit",
};

/* The words of one logical line, NUL-terminated copies. */
struct master_words {
    char **word;
    size_t count;
    size_t cap;
};

static int master_is_blank(int ch)
{
    return ch != 0 && strchr(MASTER_CF_BLANKS, ch) != NULL;
}

const char *master_type_name(enum master_type type)
{
    if ((size_t)type >= sizeof(master_type_names) / sizeof(master_type_names[0]))
        return "unknown";
    return master_type_names[type];
}

int master_type_parse(const char *name, enum master_type *type)
{
    size_t i;

    for (i = 0; i < sizeof(master_type_names) / sizeof(master_type_names[0]); i++) {
        if (strcmp(name, master_type_names[i]) == 0) {
            *type = (enum master_type)i;
            return 0;
        }
    }
    return -1;
}

static void master_words_add(struct master_words *w, const char *text, size_t len)
{
    if (w->count + 1 >= w->cap) {
        w->cap = w->cap ? mem_size_mul(w->cap, 2) : 16;
        w->word = mem_realloc_array(w->word, w->cap, sizeof(*w->word));
    }
    w->word[w->count++] = mem_strndup(text, len);
    w->word[w->count] = NULL;
}

static void master_words_free(struct master_words *w)
{
    size_t i;

    for (i = 0; i < w->count; i++)
        mem_free(w->word[i]);
    mem_free(w->word);
    w->word = NULL;
    w->count = w->cap = 0;
}

/*
 * Splits a logical line into words. A word that starts with '{' extends to
 * the matching '}' (nesting counted); the braces and the white space just
 * inside them are removed (Postfix 3.0 master.cf syntax for arguments that
 * contain white space). Returns NULL on success, else a static reason.
 */
static const char *master_split_words(const char *line, size_t len, struct master_words *w)
{
    size_t i = 0;

    while (i < len) {
        size_t start;

        while (i < len && master_is_blank((unsigned char)line[i]))
            i++;
        if (i >= len)
            break;
        start = i;
        if (line[i] == '{') {
            size_t depth = 0, inner_start, inner_end;

            for (; i < len; i++) {
                if (line[i] == '{') {
                    depth++;
                } else if (line[i] == '}' && --depth == 0) {
                    break;
                }
            }
            if (i >= len)
                return "missing '}'";
            inner_start = start + 1;
            inner_end = i;
            while (inner_start < inner_end && master_is_blank((unsigned char)line[inner_start]))
                inner_start++;
            while (inner_end > inner_start && master_is_blank((unsigned char)line[inner_end - 1]))
                inner_end--;
            i++; /* past the closing brace */
            if (i < len && !master_is_blank((unsigned char)line[i]))
                return "text after '}'";
            master_words_add(w, line + inner_start, inner_end - inner_start);
        } else {
            while (i < len && !master_is_blank((unsigned char)line[i]))
                i++;
            master_words_add(w, line + start, i - start);
        }
    }
    return NULL;
}

/* Strict unsigned decimal that fits an int: digits only, no sign, no blanks. */
static int master_parse_count(const char *text, size_t len, int *out)
{
    long value = 0;
    size_t i;

    if (len == 0)
        return -1;
    for (i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        if (value > (INT_MAX - (text[i] - '0')) / 10)
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    *out = (int)value;
    return 0;
}

static int master_parse_flag(const char *text, int dflt, int *out)
{
    if (strcmp(text, "-") == 0)
        *out = dflt;
    else if (strcmp(text, "y") == 0)
        *out = 1;
    else if (strcmp(text, "n") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

static void master_bad_field(struct buf *err, enum master_field field, const char *value,
                             const char *raw, size_t raw_len)
{
    buf_reset(err);
    buf_printf(err, "invalid %s field \"", master_field_names[field]);
    str_printable(err, value, strlen(value));
    buf_append_str(err, "\" in \"");
    str_printable(err, raw, raw_len);
    buf_append_char(err, '"');
}

/* Copies name=value with the white space around '=' and at both ends removed. */
static void master_override_set(struct master_override *ov, const char *text)
{
    const char *eq = strchr(text, '=');
    const char *name_end = eq ? eq : text + strlen(text);
    const char *name = text;

    while (name < name_end && master_is_blank((unsigned char)*name))
        name++;
    while (name_end > name && master_is_blank((unsigned char)name_end[-1]))
        name_end--;
    ov->name = mem_strndup(name, (size_t)(name_end - name));
    ov->value = NULL;
    if (eq) {
        const char *value = eq + 1;
        const char *value_end = value + strlen(value);

        while (value < value_end && master_is_blank((unsigned char)*value))
            value++;
        while (value_end > value && master_is_blank((unsigned char)value_end[-1]))
            value_end--;
        ov->value = mem_strndup(value, (size_t)(value_end - value));
    }
}

/*
 * Finds the -o options among the leading daemon options, reading them the way
 * getopt() with a leading '+' would: stop at the first non-option or "--";
 * letters of MASTER_OPTS_WITH_VALUE take the rest of the word or the next one.
 */
static void master_find_overrides(struct master_entry *e)
{
    size_t i = 0;

    while (i < e->nargs) {
        const char *arg = e->args[i];
        size_t j;
        int took_next = 0;

        if (arg[0] != '-' || arg[1] == 0 || strcmp(arg, "--") == 0)
            break;
        for (j = 1; arg[j] != 0; j++) {
            const char *value;
            int has_next = 0;

            if (strchr(MASTER_OPTS_WITH_VALUE, arg[j]) == NULL)
                continue; /* a flag; the next letter is another option */
            if (arg[j + 1] != 0) {
                value = arg + j + 1;
            } else if (i + 1 < e->nargs) {
                value = e->args[i + 1];
                has_next = took_next = 1;
            } else {
                value = "";
            }
            if (arg[j] == 'o') {
                struct master_override *ov;

                if (e->noverride == 0 || (e->noverride & (e->noverride - 1)) == 0)
                    e->override = mem_realloc_array(
                        e->override, e->noverride ? mem_size_mul(e->noverride, 2) : 4, sizeof(*ov));
                ov = &e->override[e->noverride++];
                master_override_set(ov, value);
                ov->arg = i;
                ov->has_next = has_next;
            }
            break; /* the value ends this word */
        }
        i += took_next ? 2 : 1;
    }
}

static void master_entry_release(struct master_entry *e)
{
    size_t i;

    for (i = 0; i < MASTER_FIELD_COUNT; i++)
        mem_free(e->field[i]);
    mem_free(e->command);
    for (i = 0; i < e->nargs; i++)
        mem_free(e->args[i]);
    mem_free(e->args);
    for (i = 0; i < e->noverride; i++) {
        mem_free(e->override[i].name);
        mem_free(e->override[i].value);
    }
    mem_free(e->override);
    *e = (struct master_entry){0};
}

/* Checks the columns of words already split; fills the parsed values. */
static int master_check_fields(struct master_entry *e, const char *raw, size_t raw_len,
                               struct buf *err)
{
    const char *wakeup = e->field[MASTER_FIELD_WAKEUP];
    size_t wakeup_len = strlen(wakeup);
    static const struct {
        enum master_field field;
        int dflt;
    } flags[] = {
        {MASTER_FIELD_PRIVATE, 1},
        {MASTER_FIELD_UNPRIV, 1},
        {MASTER_FIELD_CHROOT, 0},
    };
    int *flag_out[] = {&e->private_flag, &e->unpriv_flag, &e->chroot_flag};
    size_t i;

    if (master_type_parse(e->field[MASTER_FIELD_TYPE], &e->type) < 0) {
        master_bad_field(err, MASTER_FIELD_TYPE, e->field[MASTER_FIELD_TYPE], raw, raw_len);
        return -1;
    }
    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (master_parse_flag(e->field[flags[i].field], flags[i].dflt, flag_out[i]) < 0) {
            master_bad_field(err, flags[i].field, e->field[flags[i].field], raw, raw_len);
            return -1;
        }
    }
    e->wakeup = 0;
    e->wakeup_if_used = 0;
    if (strcmp(wakeup, "-") != 0) {
        if (wakeup_len > 0 && wakeup[wakeup_len - 1] == '?') {
            e->wakeup_if_used = 1;
            wakeup_len--;
        }
        if (master_parse_count(wakeup, wakeup_len, &e->wakeup) < 0) {
            master_bad_field(err, MASTER_FIELD_WAKEUP, wakeup, raw, raw_len);
            return -1;
        }
    }
    e->maxproc = -1;
    if (strcmp(e->field[MASTER_FIELD_MAXPROC], "-") != 0 &&
        master_parse_count(e->field[MASTER_FIELD_MAXPROC], strlen(e->field[MASTER_FIELD_MAXPROC]),
                           &e->maxproc) < 0) {
        master_bad_field(err, MASTER_FIELD_MAXPROC, e->field[MASTER_FIELD_MAXPROC], raw, raw_len);
        return -1;
    }
    return 0;
}

/*
 * Turns one logical line into an entry appended to cf. raw is the logical
 * line as joined from its physical lines (used in messages), first/last its
 * physical line range.
 */
static int master_parse_logical(const char *path, const char *raw, size_t raw_len, size_t first,
                                size_t last, struct master_cf *cf, struct buf *err)
{
    struct master_words w = {NULL, 0, 0};
    struct master_entry e;
    const char *why;
    size_t i;

    e = (struct master_entry){0};
    if ((why = master_split_words(raw, raw_len, &w)) != NULL) {
        buf_reset(err);
        buf_printf(err, "file %s: line %zu: %s in \"", path, first, why);
        str_printable(err, raw, raw_len);
        buf_append_char(err, '"');
        master_words_free(&w);
        return -1;
    }
    if (w.count < MASTER_FIELD_COUNT + 1) {
        buf_reset(err);
        buf_printf(err, "file %s: line %zu: bad field count", path, first);
        master_words_free(&w);
        return -1;
    }
    /* Ownership of the words moves into the entry. */
    for (i = 0; i < MASTER_FIELD_COUNT; i++)
        e.field[i] = w.word[i];
    e.command = w.word[MASTER_FIELD_COUNT];
    e.nargs = w.count - MASTER_FIELD_COUNT - 1;
    e.args = mem_alloc(mem_size_mul(e.nargs + 1, sizeof(*e.args)));
    for (i = 0; i < e.nargs; i++)
        e.args[i] = w.word[MASTER_FIELD_COUNT + 1 + i];
    e.args[e.nargs] = NULL;
    mem_free(w.word);
    e.first_line = first;
    e.last_line = last;

    if (master_check_fields(&e, raw, raw_len, err) < 0) {
        master_entry_release(&e);
        return -1;
    }
    master_find_overrides(&e);
    /* Capacity doubles whenever count reaches a power of two: linear total cost. */
    if (cf->count == 0 || (cf->count & (cf->count - 1)) == 0)
        cf->entry = mem_realloc_array(cf->entry, cf->count ? mem_size_mul(cf->count, 2) : 8,
                                      sizeof(*cf->entry));
    cf->entry[cf->count++] = e;
    return 0;
}

/* Ends the pending logical line: parse it, or warn about it and drop it. */
static int master_flush_logical(const char *path, struct buf *logical, int orphan, size_t first,
                                size_t last, struct master_cf *cf, struct buf *err)
{
    size_t len = buf_len(logical);
    const char *raw = buf_str(logical);

    while (len > 0 && master_is_blank((unsigned char)raw[len - 1]))
        len--;
    if (orphan) {
        struct buf shown = BUF_INIT;

        str_printable(&shown, raw, len);
        msg_warn("%s: logical line must not start with whitespace: \"%s\"", path, buf_str(&shown));
        buf_release(&shown);
        return 0;
    }
    return master_parse_logical(path, raw, len, first, last, cf, err);
}

int master_cf_parse(const char *path, const char *text, size_t len, struct master_cf *out,
                    struct buf *err)
{
    struct buf logical = BUF_INIT;
    int pending = 0; /* logical holds a line not yet parsed */
    int orphan = 0;  /* ... and it started with white space */
    size_t first = 0, last = 0, lineno = 0;
    size_t pos = 0;
    int status = 0;

    out->entry = NULL;
    out->count = 0;
    if (len > 0 && memchr(text, 0, len) != NULL) {
        const char *nul = memchr(text, 0, len);
        size_t n = 1;
        const char *p;

        for (p = text; p < nul; p++)
            n += (*p == '\n');
        buf_reset(err);
        buf_printf(err, "file %s: line %zu: null byte in text", path, n);
        return -1;
    }
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        size_t i = 0;

        pos += line_len + (nl != NULL);
        lineno++;
        while (i < line_len && master_is_blank((unsigned char)line[i]))
            i++;
        if (i == line_len || line[i] == '#')
            continue; /* blank or comment: skipped, the logical line goes on */
        if (i == 0) {
            if (pending &&
                master_flush_logical(path, &logical, orphan, first, last, out, err) < 0) {
                status = -1;
                break;
            }
            buf_reset(&logical);
            pending = 1;
            orphan = 0;
            first = lineno;
        } else if (!pending) {
            /* Continuation of nothing: Postfix warns and ignores it. */
            buf_reset(&logical);
            pending = 1;
            orphan = 1;
            first = lineno;
        }
        buf_append(&logical, line, line_len);
        last = lineno;
    }
    if (status == 0 && pending &&
        master_flush_logical(path, &logical, orphan, first, last, out, err) < 0)
        status = -1;
    buf_release(&logical);
    if (status < 0)
        master_cf_free(out);
    return status;
}

int master_cf_load_max(const char *path, size_t max_size, struct master_cf *out, struct buf *err)
{
    struct buf text = BUF_INIT;
    char chunk[8192];
    int fd;
    int status;

    out->entry = NULL;
    out->count = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        buf_reset(err);
        buf_printf(err, "open %s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            buf_reset(err);
            buf_printf(err, "read %s: %s", path, strerror(errno));
            close(fd);
            buf_release(&text);
            return -1;
        }
        if (n == 0)
            break;
        if ((size_t)n > max_size - buf_len(&text)) {
            buf_reset(err);
            buf_printf(err, "file %s: larger than %zu bytes", path, max_size);
            close(fd);
            buf_release(&text);
            return -1;
        }
        buf_append(&text, chunk, (size_t)n);
    }
    close(fd);
    status = master_cf_parse(path, buf_str(&text), buf_len(&text), out, err);
    buf_release(&text);
    return status;
}

int master_cf_load(const char *path, struct master_cf *out, struct buf *err)
{
    return master_cf_load_max(path, MASTER_CF_DEFAULT_MAX_SIZE, out, err);
}

void master_cf_free(struct master_cf *cf)
{
    size_t i;

    for (i = 0; i < cf->count; i++)
        master_entry_release(&cf->entry[i]);
    mem_free(cf->entry);
    cf->entry = NULL;
    cf->count = 0;
}

static int master_entry_same(const struct master_entry *a, const struct master_entry *b)
{
    return strcmp(a->field[MASTER_FIELD_SERVICE], b->field[MASTER_FIELD_SERVICE]) == 0 &&
           strcmp(a->field[MASTER_FIELD_TYPE], b->field[MASTER_FIELD_TYPE]) == 0;
}

const struct master_entry *master_cf_find(const struct master_cf *cf, const char *service,
                                          const char *type)
{
    size_t i;

    for (i = cf->count; i > 0; i--) {
        const struct master_entry *e = &cf->entry[i - 1];

        if (strcmp(e->field[MASTER_FIELD_SERVICE], service) == 0 &&
            strcmp(e->field[MASTER_FIELD_TYPE], type) == 0)
            return e;
    }
    return NULL;
}

size_t master_cf_next_duplicate(const struct master_cf *cf, size_t index)
{
    size_t i;

    if (index >= cf->count)
        return cf->count;
    for (i = index + 1; i < cf->count; i++) {
        if (master_entry_same(&cf->entry[index], &cf->entry[i]))
            return i;
    }
    return cf->count;
}

/* Words that would not parse back as one word are shown as "{ text }". */
static int master_word_needs_braces(const char *word)
{
    const char *p;

    if (*word == 0 || *word == '{')
        return 1;
    for (p = word; *p; p++) {
        if (master_is_blank((unsigned char)*p))
            return 1;
    }
    return 0;
}

/* Appends a word (in braces if needed); returns the number of bytes added. */
static size_t master_append_word(struct buf *out, const char *word)
{
    size_t before = buf_len(out);

    if (*word == 0) {
        buf_append_str(out, "{}");
    } else if (master_word_needs_braces(word)) {
        buf_append_str(out, "{ ");
        buf_append_str(out, word);
        buf_append_str(out, " }");
    } else {
        buf_append_str(out, word);
    }
    return buf_len(out) - before;
}

static size_t master_word_width(const char *word)
{
    if (*word == 0)
        return 2;
    return strlen(word) + (master_word_needs_braces(word) ? 4 : 0);
}

void master_entry_format(const struct master_entry *e, int fold, struct buf *out)
{
    size_t line_start = buf_len(out);
    size_t next_ov = 0; /* overrides are sorted by arg index */
    size_t i;

    for (i = 0; i < MASTER_FIELD_COUNT; i++) {
        size_t col;

        /* A service name that starts with '#' would read back as a comment. */
        if (i == MASTER_FIELD_SERVICE && e->field[i][0] == '#') {
            buf_append_str(out, "{ ");
            buf_append_str(out, e->field[i]);
            buf_append_str(out, " }");
        } else {
            master_append_word(out, e->field[i]);
        }
        col = buf_len(out) - line_start;
        if (col < master_column[i + 1])
            buf_append(out, "                    ", master_column[i + 1] - col);
        else
            buf_append_char(out, ' ');
    }
    master_append_word(out, e->command);

    for (i = 0; i < e->nargs; i++) {
        const struct master_override *ov = NULL;
        size_t width = master_word_width(e->args[i]);
        int new_line;

        if (next_ov < e->noverride && e->override[next_ov].arg == i)
            ov = &e->override[next_ov++];
        if (ov && ov->has_next)
            width = mem_size_add(width, 1 + master_word_width(e->args[i + 1]));
        if (!fold) {
            new_line = 0;
        } else if (ov) {
            new_line = 1;
        } else {
            /* Fold a long line, but not before a word that would then start
             * a line with '#' (a comment), and never leave an empty line. */
            size_t col = buf_len(out) - line_start;

            new_line = col > strlen(MASTER_FOLD_INDENT) && e->args[i][0] != '#' &&
                       col + 1 + width > MASTER_FOLD_WIDTH;
        }
        if (new_line) {
            buf_append_char(out, '\n');
            line_start = buf_len(out);
            buf_append_str(out, MASTER_FOLD_INDENT);
        } else {
            buf_append_char(out, ' ');
        }
        master_append_word(out, e->args[i]);
        if (ov && ov->has_next) {
            buf_append_char(out, ' ');
            master_append_word(out, e->args[++i]);
        }
    }
    buf_append_char(out, '\n');
}
