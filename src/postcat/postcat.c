/*
 * postcat.c - prints queue files: "postcat -q ID" (searching every queue)
 * or "postcat FILE...", with -e (envelope), -h (headers), -b (body), -o
 * (record offsets), -v (record names for content lines too), -s OFFSET
 * (show records from that offset on), -c DIR; postern adds -j (one JSON
 * object per record).
 *
 * The layout is Postfix's: "*** ENVELOPE RECORDS path ***", one "name:
 * value" line per record with Postfix's record names (queue_rec.h), times
 * as "Sun Nov 22 04:42:23 2026", "*** MESSAGE CONTENTS path ***", the
 * content, "*** HEADER EXTRACTED path ***", "*** MESSAGE FILE END path
 * ***". The VERSION record (Postfix has none) is shown only with -v. Read
 * only: postcat never changes, moves or deletes a queue file; a file that
 * fails the format checks is printed up to the fault, then reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../postqueue/postqueue.h"
#include "conf/conf.h"
#include "mail/queue_dir.h"
#include "mail/queue_reader.h"
#include "mail/queue_rec.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

#define PC_ENV  0x1
#define PC_HEAD 0x2
#define PC_BODY 0x4

struct postcat_opts {
    int show; /* PC_* */
    int offsets;
    int verbose;
    int json;
    long start; /* -s */
};

/* Where a content line falls. */
enum postcat_part { PART_HEAD, PART_BODY };

static void postcat_time(struct buf *out, const char *data, size_t len)
{
    struct timeval tv;
    struct buf why = BUF_INIT;
    struct tm tm;
    char text[64];
    time_t t;

    if (queue_time_parse(data, len, &tv, &why) < 0) {
        buf_append(out, data, len);
    } else {
        t = tv.tv_sec;
        if (localtime_r(&t, &tm) != NULL &&
            strftime(text, sizeof(text), "%a %b %e %H:%M:%S %Y", &tm) > 0)
            buf_append_str(out, text);
        else
            buf_append(out, data, len);
    }
    buf_release(&why);
}

static void postcat_json_record(struct buf *out, const char *path, const char *section,
                                const struct queue_record *rec)
{
    const char *name = queue_rec_name(rec->type);
    char *value = mem_strndup(rec->data, rec->len);

    buf_append_str(out, "{\"file\": \"");
    postqueue_json_escape(out, path);
    buf_printf(out, "\", \"offset\": %ld, \"section\": \"%s\", \"record\": \"", (long)rec->offset,
               section);
    postqueue_json_escape(out, name ? name : "unknown");
    buf_append_str(out, "\", \"value\": \"");
    postqueue_json_escape(out, value);
    buf_append_str(out, "\"}\n");
    mem_free(value);
}

static void postcat_flush(struct buf *out)
{
    if (buf_len(out) > 0 && fwrite(buf_str(out), 1, buf_len(out), stdout) != buf_len(out))
        msg_fatal("write error on standard output: %s", strerror(errno));
    buf_reset(out);
}

/* Prints one file; 0, or -1 when it is damaged (reported). */
static int postcat_file(struct queue_reader *r, const char *path, const struct postcat_opts *o)
{
    struct queue_record rec;
    struct buf out = BUF_INIT;
    enum queue_section section = QUEUE_SECTION_ENVELOPE;
    enum postcat_part part = PART_HEAD;
    int markers = (o->show & PC_ENV) != 0;
    int line_open = 0; /* a CONT record started a line */
    int rc;

    if (markers && !o->json)
        buf_printf(&out, "*** ENVELOPE RECORDS %s ***\n", path);
    while ((rc = queue_reader_next(r, &rec)) > 0) {
        const char *name = queue_rec_name(rec.type);
        int show;

        if (rec.offset < o->start)
            continue;
        switch (rec.type) {
        case QUEUE_REC_MESG:
            section = QUEUE_SECTION_CONTENT;
            if (markers && !o->json) {
                if (o->offsets)
                    buf_printf(&out, "%9ld ", (long)rec.offset);
                buf_printf(&out, "*** MESSAGE CONTENTS %s ***\n", path);
            }
            continue;
        case QUEUE_REC_XTRA:
            section = QUEUE_SECTION_EXTRACTED;
            if (markers && !o->json) {
                if (o->offsets)
                    buf_printf(&out, "%9ld ", (long)rec.offset);
                buf_printf(&out, "*** HEADER EXTRACTED %s ***\n", path);
            }
            continue;
        case QUEUE_REC_END:
            if (markers && !o->json) {
                if (o->offsets)
                    buf_printf(&out, "%9ld ", (long)rec.offset);
                buf_printf(&out, "*** MESSAGE FILE END %s ***\n", path);
            }
            continue;
        default:
            break;
        }
        if (section != QUEUE_SECTION_CONTENT) {
            if (!(o->show & PC_ENV))
                continue;
            if (rec.type == QUEUE_REC_VERSION && !o->verbose)
                continue;
            if (o->json) {
                postcat_json_record(&out, path,
                                    section == QUEUE_SECTION_EXTRACTED ? "extracted" : "envelope",
                                    &rec);
                continue;
            }
            if (o->offsets)
                buf_printf(&out, "%9ld ", (long)rec.offset);
            buf_printf(&out, "%s: ", name ? name : "unknown");
            if (rec.type == QUEUE_REC_TIME || rec.type == QUEUE_REC_CTIME)
                postcat_time(&out, rec.data, rec.len);
            else
                buf_append(&out, rec.data, rec.len);
            buf_append_char(&out, '\n');
            continue;
        }
        /* Content: the header ends at the first line that is neither a
         * header field nor a continuation (RFC 5322 section 2.2). */
        if (!line_open && part == PART_HEAD) {
            const char *colon = memchr(rec.data, ':', rec.len);
            int cont = rec.len > 0 && (rec.data[0] == ' ' || rec.data[0] == '\t');

            if (rec.len == 0 || (!cont && (colon == NULL || colon == rec.data ||
                                           memchr(rec.data, ' ', (size_t)(colon - rec.data)))))
                part = PART_BODY;
        }
        show = part == PART_HEAD ? (o->show & PC_HEAD) : (o->show & PC_BODY);
        line_open = rec.type == QUEUE_REC_CONT;
        if (!show)
            continue;
        if (o->json) {
            postcat_json_record(&out, path, part == PART_HEAD ? "header" : "body", &rec);
            continue;
        }
        if (o->offsets)
            buf_printf(&out, "%9ld ", (long)rec.offset);
        if (o->verbose)
            buf_printf(&out, "%s: ", name ? name : "unknown");
        buf_append(&out, rec.data, rec.len);
        if (rec.type == QUEUE_REC_NORM || o->verbose)
            buf_append_char(&out, '\n');
        if (buf_len(&out) >= 64 * 1024)
            postcat_flush(&out);
    }
    postcat_flush(&out);
    buf_release(&out);
    if (rc < 0) {
        fflush(stdout);
        msg_warn("%s: %s", path, queue_reader_error(r));
        return -1;
    }
    return 0;
}

static void postcat_usage(void)
{
    msg_fatal("usage: postcat [-bdehjov] [-c config_dir] [-s offset] [-q queue_id ... | file ...]");
}

int main(int argc, char **argv)
{
    struct postcat_opts o;
    struct buf err = BUF_INIT;
    struct buf path = BUF_INIT;
    struct buf rel = BUF_INIT;
    const char *config = NULL;
    int by_id = 0;
    int status = 0;
    int ch;
    int i;

    memset(&o, 0, sizeof(o));
    msg_init(argv[0]);
    while ((ch = getopt(argc, argv, "bc:dehjoqs:v")) != -1) {
        switch (ch) {
        case 'b':
            o.show |= PC_BODY;
            break;
        case 'c':
            config = optarg;
            break;
        case 'd': /* Postfix: print the decimal type; postern shows names */
            break;
        case 'e':
            o.show |= PC_ENV;
            break;
        case 'h':
            o.show |= PC_HEAD;
            break;
        case 'j':
            o.json = 1;
            break;
        case 'o':
            o.offsets = 1;
            break;
        case 'q':
            by_id = 1;
            break;
        case 's':
            if (str_to_long(optarg, &o.start) < 0 || o.start < 0)
                msg_fatal("bad -s offset: %s", optarg);
            break;
        case 'v':
            o.verbose = 1;
            break;
        default:
            postcat_usage();
        }
    }
    if (o.show == 0)
        o.show = PC_ENV | PC_HEAD | PC_BODY;
    if (optind >= argc)
        postcat_usage();
    if (config != NULL)
        conf_set_config_dir(config);
    if (conf_load(&err) < 0)
        msg_fatal("%s", buf_str(&err));
    conf_apply_globals();

    for (i = optind; i < argc; i++) {
        struct queue_reader *r;
        const char *shown = argv[i];

        if (by_id) {
            struct queue_dir *qd = queue_dir_from_conf();
            const char *queue;

            errno = EINVAL;
            if (!queue_id_valid(argv[i]) ||
                (queue = queue_dir_find(qd, argv[i], NULL, &path)) == NULL)
                msg_fatal("open queue file %s: %s", argv[i],
                          strerror(errno == EINVAL ? ENOENT : errno));
            if ((r = queue_reader_open(qd, queue, argv[i], QUEUE_READ_INCOMPLETE, &err)) == NULL)
                msg_fatal("open queue file %s: %s", argv[i], strerror(errno));
            buf_reset(&rel);
            (void)queue_dir_path_rel(qd, queue, argv[i], &rel);
            shown = buf_str(&rel);
            queue_dir_free(qd);
        } else if ((r = queue_reader_open_path(argv[i], QUEUE_READ_INCOMPLETE, &err)) == NULL) {
            msg_fatal("open %s: %s", argv[i], buf_str(&err));
        }
        if (postcat_file(r, shown, &o) < 0)
            status = 1;
        queue_reader_close(r);
    }
    buf_release(&err);
    buf_release(&path);
    buf_release(&rel);
    return status;
}
