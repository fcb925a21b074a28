/*
 * qmgr_feedback.c - concurrency feedback values (see qmgr_feedback.h).
 * Called by qmgr_deliver.c when it sets up a transport; never reads the
 * configuration itself.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qmgr_feedback.h"

/* The largest amount accepted: more than any window could use. */
#define QMGR_FEEDBACK_MAX 1000.0

/* A non-negative decimal number spanning [text, text + len). */
static int qmgr_feedback_number(const char *text, size_t len, double *out)
{
    char buf[64];
    char *end;
    double v;
    size_t i;

    if (len == 0 || len >= sizeof(buf))
        return -1;
    for (i = 0; i < len; i++)
        if (!isdigit((unsigned char)text[i]) && text[i] != '.')
            return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 || v > QMGR_FEEDBACK_MAX)
        return -1;
    *out = v;
    return 0;
}

int qmgr_feedback_parse(const char *text, struct qmgr_feedback *fb, struct buf *err)
{
    const char *start = text;
    const char *slash;
    size_t len;
    double num, den;

    while (isspace((unsigned char)*start))
        start++;
    len = strlen(start);
    while (len > 0 && isspace((unsigned char)start[len - 1]))
        len--;
    fb->amount = 0;
    fb->per_window = 0;
    slash = memchr(start, '/', len);
    if (slash == NULL) {
        if (qmgr_feedback_number(start, len, &num) == 0) {
            fb->amount = num;
            return 0;
        }
    } else if (qmgr_feedback_number(start, (size_t)(slash - start), &num) == 0) {
        const char *rest = slash + 1;
        size_t rest_len = len - (size_t)(rest - start);

        if (rest_len == strlen("concurrency") && strncasecmp(rest, "concurrency", rest_len) == 0) {
            fb->amount = num;
            fb->per_window = 1;
            return 0;
        }
        if (qmgr_feedback_number(rest, rest_len, &den) == 0 && den > 0) {
            fb->amount = num / den;
            return 0;
        }
    }
    buf_printf(err,
               "bad concurrency feedback value \"%s\": "
               "specify a number, a fraction, or N/concurrency",
               text);
    return -1;
}

double qmgr_feedback_amount(const struct qmgr_feedback *fb, int window)
{
    if (fb->per_window)
        return fb->amount / (window > 0 ? window : 1);
    return fb->amount;
}
