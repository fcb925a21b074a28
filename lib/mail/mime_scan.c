/*
 * mime_scan.c - classifies body lines by MIME structure (mime_scan.h).
 *
 * Called by cleanup once per body line. A header line that begins a
 * "Content-Type:" is collected (with its continuation lines, up to
 * MIME_SCAN_CT_MAX bytes) and acted on when the next header or the blank
 * line arrives: a multipart type pushes its boundary, message/rfc822 makes the
 * next header block a nested one. Never reads past a line's length.
 */
#include <string.h>
#include <strings.h>

#include "mail/mime_scan.h"
#include "util/buf.h"
#include "util/mem.h"

#define MIME_SCAN_CT_MAX 4096

enum mime_mode { MODE_BODY, MODE_PART_HDR, MODE_NESTED_HDR };

struct mime_scan {
    char **bounds; /* innermost last */
    size_t depth, max_depth;
    enum mime_mode mode;
    struct buf ct; /* Content-Type being collected */
    int in_ct;
    int nested_next; /* the headers just ended said message/rfc822 */
    char *pending;   /* boundary of a multipart whose headers are ending */
};

struct mime_scan *mime_scan_new(size_t max_depth)
{
    struct mime_scan *ms = mem_calloc(1, sizeof(*ms));

    ms->max_depth = max_depth;
    ms->bounds = mem_calloc(max_depth ? max_depth : 1, sizeof(*ms->bounds));
    buf_init(&ms->ct);
    return ms;
}

void mime_scan_free(struct mime_scan *ms)
{
    size_t i;

    if (ms == NULL)
        return;
    for (i = 0; i < ms->depth; i++)
        mem_free(ms->bounds[i]);
    mem_free(ms->bounds);
    mem_free(ms->pending);
    buf_release(&ms->ct);
    mem_free(ms);
}

/* The boundary parameter of a Content-Type value, or NULL. */
static char *mime_boundary(const char *v, size_t len)
{
    size_t i;

    for (i = 0; i + 8 <= len; i++) {
        size_t j;

        if (strncasecmp(v + i, "boundary", 8) != 0 ||
            (i > 0 && v[i - 1] != ';' && v[i - 1] != ' ' && v[i - 1] != '\t'))
            continue;
        j = i + 8;
        while (j < len && (v[j] == ' ' || v[j] == '\t'))
            j++;
        if (j >= len || v[j] != '=')
            continue;
        j++;
        while (j < len && (v[j] == ' ' || v[j] == '\t'))
            j++;
        if (j < len && v[j] == '"') {
            size_t k = ++j;

            while (k < len && v[k] != '"')
                k++;
            return k > j ? mem_strndup(v + j, k - j) : NULL;
        } else {
            size_t k = j;

            while (k < len && v[k] != ';' && v[k] != ' ' && v[k] != '\t' && v[k] != '\n' &&
                   v[k] != '\r')
                k++;
            return k > j ? mem_strndup(v + j, k - j) : NULL;
        }
    }
    return NULL;
}

/* Acts on a complete Content-Type value: what the coming body is. */
static void mime_note_type(struct mime_scan *ms, const char *v, size_t len)
{
    while (len > 0 && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')) {
        v++;
        len--;
    }
    if (len >= 10 && strncasecmp(v, "multipart/", 10) == 0) {
        mem_free(ms->pending);
        ms->pending = mime_boundary(v, len);
    } else if (len >= 14 && strncasecmp(v, "message/rfc822", 14) == 0) {
        ms->nested_next = 1;
    }
}

void mime_scan_content_type(struct mime_scan *ms, const char *value, size_t len)
{
    mime_note_type(ms, value, len);
    /* The primary headers are over when the body starts. */
    if (ms->pending != NULL && ms->depth < ms->max_depth) {
        ms->bounds[ms->depth++] = ms->pending;
        ms->pending = NULL;
    }
    ms->nested_next = 0; /* a message/rfc822 top level is not nested */
}

static void mime_flush_ct(struct mime_scan *ms)
{
    if (ms->in_ct) {
        const char *colon = memchr(ms->ct.data, ':', ms->ct.len);

        if (colon != NULL)
            mime_note_type(ms, colon + 1, ms->ct.len - (size_t)(colon + 1 - ms->ct.data));
        ms->in_ct = 0;
        buf_reset(&ms->ct);
    }
}

/* Which open boundary the line is: its index + 1, 0 for none; *end for
 * the closing "--boundary--". */
static size_t mime_match(const struct mime_scan *ms, const char *line, size_t len, int *end)
{
    size_t i;

    if (len < 3 || line[0] != '-' || line[1] != '-')
        return 0;
    for (i = ms->depth; i-- > 0;) {
        size_t n = strlen(ms->bounds[i]);

        if (len >= 2 + n && memcmp(line + 2, ms->bounds[i], n) == 0) {
            size_t k = 2 + n;

            *end = len >= k + 2 && line[k] == '-' && line[k + 1] == '-';
            if (*end)
                k += 2;
            /* Only transport padding may follow (RFC 2046, 5.1.1). */
            while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
                k++;
            if (k == len)
                return i + 1;
        }
    }
    return 0;
}

enum mime_line mime_scan_line(struct mime_scan *ms, const char *line, size_t len)
{
    size_t which;
    int end = 0;

    if (ms->mode != MODE_BODY) {
        if (len == 0 || (len == 1 && line[0] == '\r')) {
            /* End of a header block: the body of what it described. */
            mime_flush_ct(ms);
            ms->mode = MODE_BODY;
            if (ms->pending != NULL) {
                if (ms->depth < ms->max_depth)
                    ms->bounds[ms->depth++] = ms->pending;
                else
                    mem_free(ms->pending);
                ms->pending = NULL;
            }
            if (ms->nested_next) {
                ms->nested_next = 0;
                ms->mode = MODE_NESTED_HDR;
            }
            return MIME_LINE_BOUNDARY;
        }
        if ((which = mime_match(ms, line, len, &end)) == 0) {
            enum mime_line kind =
                ms->mode == MODE_NESTED_HDR ? MIME_LINE_NESTED_HEADER : MIME_LINE_MIME_HEADER;

            if (line[0] == ' ' || line[0] == '\t') {
                if (ms->in_ct && ms->ct.len + len < MIME_SCAN_CT_MAX)
                    buf_append(&ms->ct, line, len);
            } else {
                mime_flush_ct(ms);
                if (len >= 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
                    ms->in_ct = 1;
                    buf_append(&ms->ct, line, len < MIME_SCAN_CT_MAX ? len : MIME_SCAN_CT_MAX);
                }
            }
            return kind;
        }
        /* A boundary where headers were expected: the block was empty. */
        mime_flush_ct(ms);
        mem_free(ms->pending);
        ms->pending = NULL;
        ms->nested_next = 0;
    } else if ((which = mime_match(ms, line, len, &end)) == 0) {
        return MIME_LINE_BODY;
    }
    /* A boundary closes every part nested inside it. */
    while (ms->depth > which)
        mem_free(ms->bounds[--ms->depth]);
    if (end) {
        mem_free(ms->bounds[--ms->depth]);
        ms->mode = MODE_BODY;
    } else {
        ms->mode = MODE_PART_HDR;
    }
    return MIME_LINE_BOUNDARY;
}
