/*
 * postmap.c - postmap, postalias and newaliases: build, query, dump and edit
 * lookup tables from the command line, with Postfix's options and output.
 *
 * Everything table-specific lives in lib/dict; this file parses options,
 * reads source files and stdin, and prints. A build never exposes a partial
 * table (lib/dict writes NAME.db.tmp and renames it); any failure the user
 * can cause ends with one "fatal:" line naming the file and exit status 1.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dict/dict.h"
#include "dict/dict_source.h"
#include "mail/header.h"
#include "mail/header_checks.h"
#include "mail/mime_scan.h"
#include "postmap.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

struct postmap_opts {
    int alias;      /* postalias syntax and output */
    int dict_flags; /* DICT_FLAG_FOLD, DUP_*, NUL/NO_NUL */
    int keep_perms; /* -p: do not copy the source file's mode */
};

static void postmap_usage(const char *prog)
{
    msg_fatal("usage: %s [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key] "
              "[map_type:]file...",
              prog);
}

/* "file" -> "default_database_type:file". */
static void postmap_spec(struct buf *spec, const char *arg)
{
    struct buf type = BUF_INIT;
    struct buf name = BUF_INIT;

    if (dict_split_spec(arg, &type, &name) == 0 && dict_type_known(buf_str(&type)))
        buf_set(spec, arg);
    else if (strchr(arg, ':') != NULL && arg[0] != '/' && arg[0] != '.')
        buf_set(spec, arg); /* unknown type: dict_open() reports it */
    else
        buf_printf(spec, "%s:%s", conf_get("default_database_type"), arg);
    buf_release(&type);
    buf_release(&name);
}

static struct dict *postmap_open(const char *arg, int flags)
{
    struct buf spec = BUF_INIT;
    struct buf err = BUF_INIT;
    struct dict *d;

    postmap_spec(&spec, arg);
    d = dict_open(buf_str(&spec), flags, &err);
    if (d == NULL)
        msg_fatal("%s", buf_str(&err));
    buf_release(&spec);
    buf_release(&err);
    return d;
}

static void postmap_print(const struct postmap_opts *o, const char *key, const char *value)
{
    if (key != NULL)
        printf("%s%s\t", key, o->alias ? ":" : "");
    printf("%s\n", value);
}

/* -q key over each table in order; 0 when found. */
static int postmap_query(const struct postmap_opts *o, const char *key, int nmaps, char **maps)
{
    int i;

    for (i = 0; i < nmaps; i++) {
        struct dict *d = postmap_open(maps[i], o->dict_flags);
        const char *value;
        int rc = dict_lookup(d, key, &value);

        if (rc == DICT_ERROR)
            msg_fatal("table %s: query error: Application error", d->spec);
        if (rc == DICT_FOUND)
            postmap_print(o, NULL, value);
        dict_close(d);
        if (rc == DICT_FOUND)
            return 0;
    }
    return 1;
}

/* -q -: keys from stdin, "key<TAB>value" for each key found. */
static int postmap_query_stdin(const struct postmap_opts *o, int nmaps, char **maps)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int found = 0;
    int i;
    struct dict **dicts = mem_calloc((size_t)nmaps, sizeof(*dicts));

    for (i = 0; i < nmaps; i++)
        dicts[i] = postmap_open(maps[i], o->dict_flags);
    while ((n = getline(&line, &cap, stdin)) > 0) {
        char *key = str_trim(line);

        if (*key == 0)
            continue;
        for (i = 0; i < nmaps; i++) {
            const char *value;
            int rc = dict_lookup(dicts[i], key, &value);

            if (rc == DICT_ERROR)
                msg_fatal("table %s: query error: Application error", dicts[i]->spec);
            if (rc == DICT_FOUND) {
                postmap_print(o, key, value);
                found = 1;
                break;
            }
        }
    }
    free(line);
    fflush(stdout);
    for (i = 0; i < nmaps; i++)
        dict_close(dicts[i]);
    mem_free(dicts);
    return found ? 0 : 1;
}

/* -q - with -h, -b and/or -m: stdin is a message; its header and/or body
 * lines are looked up as cleanup's header_checks/body_checks would see
 * them. Without -m MIME is not parsed: everything after the primary
 * headers is body. With -m, MIME part headers and the headers of attached
 * messages count as headers (folds joined), so -b alone skips them. */
struct postmap_checks {
    struct hc_tables tables;
    int headers;            /* -h */
    int body;               /* -b */
    struct mime_scan *mime; /* -m: NULL when MIME is not parsed */
    size_t header_limit;    /* header_size_limit, for folded part headers */
    struct buf key;         /* NUL-terminated copy of the line looked up */
    struct buf partial;     /* body bytes of the line not yet complete */
    struct buf part_header; /* MIME/nested header being assembled */
    int have_part_header;
    int found;
};

static void postmap_check_line(struct postmap_checks *ck, const char *line, size_t len)
{
    const char *value;
    int rc;

    buf_reset(&ck->key);
    buf_append(&ck->key, line, len);
    rc = hc_lookup(&ck->tables, buf_str(&ck->key), &value);
    if (rc == DICT_ERROR)
        msg_fatal("table lookup error: Application error");
    if (rc == DICT_FOUND) {
        printf("%s\t%s\n", buf_str(&ck->key), value);
        ck->found = 1;
    }
}

static void postmap_checks_flush_part_header(struct postmap_checks *ck)
{
    if (!ck->have_part_header)
        return;
    ck->have_part_header = 0;
    if (ck->headers)
        postmap_check_line(ck, buf_str(&ck->part_header), buf_len(&ck->part_header));
}

/* Appends to the part header being assembled, at most header_size_limit bytes. */
static void postmap_checks_add_part_header(struct postmap_checks *ck, const char *s, size_t len)
{
    size_t have = buf_len(&ck->part_header);

    if (have >= ck->header_limit)
        return;
    buf_append(&ck->part_header, s, len < ck->header_limit - have ? len : ck->header_limit - have);
}

static void postmap_checks_body_line(struct postmap_checks *ck, const char *line, size_t len)
{
    enum mime_line kind;

    if (ck->mime == NULL) {
        if (ck->body)
            postmap_check_line(ck, line, len);
        return;
    }
    kind = mime_scan_line(ck->mime, line, len);
    if (kind == MIME_LINE_MIME_HEADER || kind == MIME_LINE_NESTED_HEADER) {
        if (ck->have_part_header && len > 0 && (line[0] == ' ' || line[0] == '\t')) {
            postmap_checks_add_part_header(ck, "\n", 1);
        } else {
            postmap_checks_flush_part_header(ck);
            buf_reset(&ck->part_header);
            ck->have_part_header = 1;
        }
        postmap_checks_add_part_header(ck, line, len);
        return;
    }
    /* Boundaries and the blank line after part headers are body, as in Postfix. */
    postmap_checks_flush_part_header(ck);
    if (ck->body)
        postmap_check_line(ck, line, len);
}

static void postmap_checks_header(void *ctx, const struct header_view *hdr)
{
    struct postmap_checks *ck = ctx;

    if (ck->mime != NULL && hdr->cls == HDR_CONTENT_TYPE)
        mime_scan_content_type(ck->mime, hdr->value, hdr->value_len);
    if (ck->headers)
        postmap_check_line(ck, hdr->raw, hdr->raw_len);
}

static void postmap_checks_end(void *ctx, enum header_end how)
{
    /* The empty line that ends the primary headers is the first body line. */
    if (how == HEADER_END_BLANK)
        postmap_checks_body_line(ctx, "", 0);
}

static void postmap_checks_body(void *ctx, const char *data, size_t len)
{
    struct postmap_checks *ck = ctx;
    const char *nl;

    while (len > 0 && (nl = memchr(data, '\n', len)) != NULL) {
        size_t n = (size_t)(nl - data);

        if (buf_len(&ck->partial) > 0) {
            buf_append(&ck->partial, data, n);
            postmap_checks_body_line(ck, buf_str(&ck->partial), buf_len(&ck->partial));
            buf_reset(&ck->partial);
        } else {
            postmap_checks_body_line(ck, data, n);
        }
        data += n + 1;
        len -= n + 1;
    }
    if (len > 0)
        buf_append(&ck->partial, data, len);
}

static int postmap_checks_stdin(const struct postmap_opts *o, int headers, int body, int mime,
                                int nmaps, char **maps)
{
    static const struct header_callbacks cb = {
        postmap_checks_header,
        postmap_checks_end,
        postmap_checks_body,
    };
    struct postmap_checks ck;
    struct header_parser *hp;
    char chunk[8192];
    size_t n;
    int i;

    memset(&ck, 0, sizeof(ck));
    buf_init(&ck.key);
    buf_init(&ck.partial);
    buf_init(&ck.part_header);
    ck.headers = headers;
    ck.body = body;
    ck.header_limit = (size_t)conf_get_long("header_size_limit");
    if (mime)
        ck.mime = mime_scan_new((size_t)conf_get_long("mime_nesting_limit"));
    ck.tables.count = (size_t)nmaps;
    ck.tables.dicts = mem_calloc((size_t)nmaps, sizeof(*ck.tables.dicts));
    for (i = 0; i < nmaps; i++)
        ck.tables.dicts[i] = postmap_open(maps[i], o->dict_flags);
    hp = header_parser_new(ck.header_limit, &cb, &ck);
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
        header_parser_feed(hp, chunk, n);
    header_parser_finish(hp);
    if (buf_len(&ck.partial) > 0) /* a last line without "\n" */
        postmap_checks_body_line(&ck, buf_str(&ck.partial), buf_len(&ck.partial));
    postmap_checks_flush_part_header(&ck);
    fflush(stdout);
    header_parser_free(hp);
    if (ck.mime != NULL)
        mime_scan_free(ck.mime);
    hc_tables_close(&ck.tables);
    buf_release(&ck.key);
    buf_release(&ck.partial);
    buf_release(&ck.part_header);
    return ck.found ? 0 : 1;
}

static int postmap_dump(const struct postmap_opts *o, int nmaps, char **maps)
{
    int i;

    for (i = 0; i < nmaps; i++) {
        struct dict *d = postmap_open(maps[i], o->dict_flags);
        const char *key, *value;
        int rc;

        if (d->sequence == NULL)
            msg_fatal("table %s: sequence operation is not supported", d->spec);
        for (rc = dict_sequence(d, 1, &key, &value); rc == DICT_FOUND;
             rc = dict_sequence(d, 0, &key, &value))
            postmap_print(o, key, value);
        if (rc == DICT_ERROR)
            msg_fatal("table %s: sequence error", d->spec);
        dict_close(d);
    }
    return 0;
}

/* -d key or -d -: 0 when at least one key was deleted. */
static int postmap_delete(const struct postmap_opts *o, const char *key, int nmaps, char **maps)
{
    int deleted = 0;
    int i;
    char *line = NULL;
    size_t cap = 0;
    struct dict **dicts = mem_calloc((size_t)nmaps, sizeof(*dicts));

    for (i = 0; i < nmaps; i++) {
        dicts[i] = postmap_open(maps[i], o->dict_flags | DICT_FLAG_WRITE);
        if (dicts[i]->remove == NULL)
            msg_fatal("table %s: delete operation is not supported", dicts[i]->spec);
    }
    for (;;) {
        const char *k = key;

        if (strcmp(key, "-") == 0) {
            if (getline(&line, &cap, stdin) <= 0)
                break;
            k = str_trim(line);
            if (*k == 0)
                continue;
        }
        for (i = 0; i < nmaps; i++) {
            int rc = dict_delete(dicts[i], k);

            if (rc == DICT_ERROR)
                msg_fatal("table %s: delete error", dicts[i]->spec);
            if (rc == DICT_FOUND)
                deleted = 1;
        }
        if (strcmp(key, "-") != 0)
            break;
    }
    free(line);
    for (i = 0; i < nmaps; i++)
        dict_close(dicts[i]);
    mem_free(dicts);
    return deleted ? 0 : 1;
}

/* Adds records from src to d, in postmap or postalias syntax. */
static void postmap_load(const struct postmap_opts *o, struct dict *d, struct dict_source *src)
{
    struct buf value = BUF_INIT;
    char *key, *v;

    while (dict_source_next(src)) {
        if (o->alias) {
            if (dict_source_split_alias(src, src->line.data, &key, &value) < 0)
                continue;
            v = value.data;
        } else if (dict_source_split(src, src->line.data, &key, &v) < 0) {
            continue;
        }
        if (dict_update(d, key, v) == DICT_ERROR)
            msg_fatal("table %s: update error", d->spec);
    }
    buf_release(&value);
}

/* Sendmail-compatible markers that postalias adds to a complete table. */
static void postmap_alias_markers(struct dict *d)
{
    char stamp[32];
    int saved = d->flags;

    snprintf(stamp, sizeof(stamp), "%ld", (long)time(NULL));
    d->flags = (d->flags & ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_IGNORE | DICT_FLAG_FOLD)) |
               DICT_FLAG_DUP_REPLACE;
    dict_update(d, "YP_LAST_MODIFIED", stamp);
    dict_update(d, "YP_MASTER_NAME", conf_get("myhostname"));
    dict_update(d, "@", "@");
    d->flags = saved;
}

/* -i: records from stdin into an existing table. */
static int postmap_incremental(const struct postmap_opts *o, int nmaps, char **maps)
{
    struct dict_source src;
    int i;

    for (i = 0; i < nmaps; i++) {
        struct dict *d = postmap_open(maps[i], o->dict_flags | DICT_FLAG_WRITE);

        if (d->update == NULL)
            msg_fatal("table %s: update operation is not supported", d->spec);
        dict_source_init_file(&src, stdin, "stdin");
        postmap_load(o, d, &src);
        dict_source_release(&src);
        dict_close(d);
    }
    return 0;
}

static void postmap_build(const struct postmap_opts *o, const char *arg)
{
    struct buf spec = BUF_INIT;
    struct buf type = BUF_INIT;
    struct buf name = BUF_INIT;
    struct buf err = BUF_INIT;
    struct dict_source src;
    struct stat st;
    struct dict *d;
    FILE *fp;

    postmap_spec(&spec, arg);
    if (dict_split_spec(buf_str(&spec), &type, &name) < 0 || !dict_type_known(buf_str(&type)))
        msg_fatal("unsupported dictionary type: %s", buf_str(&type));
    if (strcmp(buf_str(&type), "hash") != 0 && strcmp(buf_str(&type), "btree") != 0)
        msg_fatal("unsupported dictionary type: %s does not support bulk-mode creation.",
                  buf_str(&type));
    if ((fp = fopen(buf_str(&name), "r")) == NULL)
        msg_fatal("open %s: %s", buf_str(&name), strerror(errno));
    d = dict_open(buf_str(&spec), o->dict_flags | DICT_FLAG_CREATE, &err);
    if (d == NULL)
        msg_fatal("%s", buf_str(&err));
    dict_source_init_file(&src, fp, buf_str(&name));
    postmap_load(o, d, &src);
    dict_source_release(&src);
    if (o->alias)
        postmap_alias_markers(d);
    /* The table gets the source file's permissions, as with Postfix (unless -p). */
    if (!o->keep_perms && fstat(fileno(fp), &st) == 0) {
        struct buf tmp = BUF_INIT;

        buf_printf(&tmp, "%s.db.tmp", buf_str(&name));
        (void)chmod(buf_str(&tmp), st.st_mode & 07777);
        buf_release(&tmp);
    }
    fclose(fp);
    dict_close(d); /* commits: renames NAME.db.tmp over NAME.db */
    buf_release(&spec);
    buf_release(&type);
    buf_release(&name);
    buf_release(&err);
}

int postmap_main(int argc, char **argv, int alias_mode)
{
    struct postmap_opts o;
    struct buf err = BUF_INIT;
    char *prog = mem_strdup(argv[0]);
    const char *base = basename(prog);
    const char *query = NULL;
    const char *del = NULL;
    int dump = 0, incr = 0;
    int check_body = 0, check_headers = 0, check_mime = 0; /* -b, -h, -m */
    int ch, i, rc = 0;

    msg_init(argv[0]);
    memset(&o, 0, sizeof(o));
    o.alias = alias_mode || strcmp(base, "newaliases") == 0;
    o.dict_flags = DICT_FLAG_FOLD | DICT_FLAG_DUP_WARN;
    while ((ch = getopt(argc, argv, "NbfFhimnoprsuUvwc:d:q:")) != -1) {
        switch (ch) {
        case 'c':
            conf_set_config_dir(optarg);
            break;
        case 'd':
            del = optarg;
            break;
        case 'f':
            o.dict_flags &= ~DICT_FLAG_FOLD;
            break;
        case 'i':
            incr = 1;
            break;
        case 'N':
            o.dict_flags = (o.dict_flags & ~DICT_FLAG_NO_NUL) | DICT_FLAG_NUL;
            break;
        case 'n':
            o.dict_flags = (o.dict_flags & ~DICT_FLAG_NUL) | DICT_FLAG_NO_NUL;
            break;
        case 'o':
        case 'u':
        case 'U':
            break; /* privilege and UTF-8 options: accepted, nothing to do here yet */
        case 'p':
            o.keep_perms = 1;
            break;
        case 'q':
            query = optarg;
            break;
        case 'r':
            o.dict_flags = (o.dict_flags & ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_IGNORE)) |
                           DICT_FLAG_DUP_REPLACE;
            break;
        case 's':
            dump = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'w':
            o.dict_flags = (o.dict_flags & ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_REPLACE)) |
                           DICT_FLAG_DUP_IGNORE;
            break;
        case 'b':
            check_body = 1;
            break;
        case 'h':
            check_headers = 1;
            break;
        case 'm':
            check_mime = 1;
            break;
        case 'F':
            msg_fatal("option -F (base64-encoded values) is not implemented yet");
        default:
            postmap_usage(argv[0]);
        }
    }
    if (conf_load(&err) < 0)
        msg_fatal("%s", buf_str(&err));
    dict_db_create_cache = (size_t)conf_get_long("berkeley_db_create_buffer_size");
    dict_db_read_cache = (size_t)conf_get_long("berkeley_db_read_buffer_size");
    if ((query != NULL) + (del != NULL) + dump > 1)
        msg_fatal("specify only one of -s or -q or -d");
    if ((check_body || check_headers || check_mime) && (query == NULL || strcmp(query, "-") != 0))
        msg_fatal("specify -b -h or -m only with \"-q -\"");
    if (check_mime && !check_body && !check_headers) {
        msg_warn("ignoring -m option without -b or -h");
        check_mime = 0;
    }
    if (optind == argc && strcmp(base, "newaliases") == 0) {
        char *list = mem_strdup(conf_get("alias_database"));
        char *cursor = list, *map;

        while ((map = str_token_list(&cursor)) != NULL)
            postmap_build(&o, map);
        mem_free(list);
    } else if (optind == argc) {
        postmap_usage(argv[0]);
    } else if (query != NULL) {
        if (check_body || check_headers)
            rc = postmap_checks_stdin(&o, check_headers, check_body, check_mime, argc - optind,
                                      argv + optind);
        else if (strcmp(query, "-") == 0)
            rc = postmap_query_stdin(&o, argc - optind, argv + optind);
        else
            rc = postmap_query(&o, query, argc - optind, argv + optind);
    } else if (del != NULL) {
        rc = postmap_delete(&o, del, argc - optind, argv + optind);
    } else if (dump) {
        rc = postmap_dump(&o, argc - optind, argv + optind);
    } else if (incr) {
        rc = postmap_incremental(&o, argc - optind, argv + optind);
    } else {
        for (i = optind; i < argc; i++)
            postmap_build(&o, argv[i]);
    }
    fflush(stdout);
    buf_release(&err);
    mem_free(prog);
    return rc;
}
