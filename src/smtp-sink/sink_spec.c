/*
 * sink_spec.c - parsing and evaluation of smtp-sink's injection, delay and
 * extension options (see sink_spec.h).
 *
 * Called by smtp_sink.c at startup (parsers) and per SMTP event (pick).
 * Fractions become integer parts per million at parse time, so that the
 * share picked is exact and never subject to floating-point rounding.
 */
#include <string.h>
#include <strings.h>

#include "util/mem.h"
#include "util/str.h"

#include "sink_spec.h"

static const char *const sink_stage_names[SINK_STAGES] = {"greeting", "helo", "mail",
                                                          "rcpt",     "data", "dot"};

const struct sink_ext sink_exts[] = {
    {"PIPELINING", SINK_EXT_PIPELINING}, {"SIZE", SINK_EXT_SIZE},
    {"8BITMIME", SINK_EXT_8BITMIME},     {"DSN", SINK_EXT_DSN},
    {"CHUNKING", SINK_EXT_CHUNKING},     {"ENHANCEDSTATUSCODES", SINK_EXT_ENHANCED}};
const size_t sink_exts_count = sizeof(sink_exts) / sizeof(sink_exts[0]);

static int sink_spec_err(struct buf *err, const char *what, const char *arg)
{
    if (err != NULL) {
        buf_reset(err);
        buf_printf(err, "%s: \"%s\"", what, arg);
    }
    return -1;
}

int sink_stage_parse(const char *name)
{
    int i;

    for (i = 0; i < SINK_STAGES; i++) {
        if (strcasecmp(name, sink_stage_names[i]) == 0)
            return i;
    }
    return -1;
}

/* A reply code that can be injected: 4yz or 5yz. */
static int sink_spec_code(const char *s)
{
    long v;

    if (strlen(s) != 3 || str_to_long(s, &v) < 0 || v < 400 || v > 599)
        return -1;
    return (int)v;
}

/* "0", "1", "0.1", "0.000001": at most six decimals, 0 to 1. */
static long sink_spec_ppm(const char *s)
{
    const char *dot = strchr(s, '.');
    size_t ilen = dot != NULL ? (size_t)(dot - s) : strlen(s), i;
    long ppm = 0, scale = (long)SINK_PPM;

    if (ilen != 1 || (s[0] != '0' && s[0] != '1'))
        return -1;
    ppm = (s[0] - '0') * (long)SINK_PPM;
    if (dot != NULL) {
        if (dot[1] == '\0' || strlen(dot + 1) > 6)
            return -1;
        for (i = 1; dot[i] != '\0'; i++) {
            if (dot[i] < '0' || dot[i] > '9')
                return -1;
            scale /= 10;
            ppm += (dot[i] - '0') * scale;
        }
    }
    return ppm <= (long)SINK_PPM ? ppm : -1;
}

int sink_spec_inject(const char *arg, struct sink_inject inject[SINK_STAGES], struct buf *err)
{
    char *copy = mem_strdup(arg), *cursor = copy;
    char *stage = strsep(&cursor, ":"), *code = strsep(&cursor, ":"), *frac = cursor;
    int st = sink_stage_parse(stage), c = code != NULL ? sink_spec_code(code) : -1;
    long ppm = frac != NULL ? sink_spec_ppm(frac) : (long)SINK_PPM;

    mem_free(copy);
    if (st < 0)
        return sink_spec_err(err, "unknown stage (greeting helo mail rcpt data dot) in", arg);
    if (c < 0)
        return sink_spec_err(err, "expected stage:4yz-or-5yz[:fraction], got", arg);
    if (ppm < 0)
        return sink_spec_err(err, "fraction must be 0 to 1, at most 6 decimals, in", arg);
    inject[st].code = c;
    inject[st].ppm = (unsigned long)ppm;
    inject[st].n = 0;
    return 0;
}

int sink_spec_rule(const char *arg, struct sink_rule *rule, struct buf *err)
{
    const char *colon = strrchr(arg, ':');
    int c = colon != NULL ? sink_spec_code(colon + 1) : -1;

    if (colon == NULL || colon == arg || c < 0)
        return sink_spec_err(err, "expected pattern:4yz-or-5yz, got", arg);
    rule->pattern = mem_strndup(arg, (size_t)(colon - arg));
    rule->code = c;
    return 0;
}

int sink_spec_delay(const char *arg, long delay_ms[SINK_STAGES], struct buf *err)
{
    const char *colon = strchr(arg, ':');
    char *stage;
    int st;
    long ms;

    if (colon == NULL)
        return sink_spec_err(err, "expected stage:ms, got", arg);
    stage = mem_strndup(arg, (size_t)(colon - arg));
    st = sink_stage_parse(stage);
    mem_free(stage);
    if (st < 0 || str_to_long(colon + 1, &ms) < 0 || ms < 0 || ms > 3600000)
        return sink_spec_err(err, "expected stage:ms (0-3600000), got", arg);
    delay_ms[st] = ms;
    return 0;
}

int sink_spec_ext(const char *arg, unsigned *bits, struct buf *err)
{
    char *copy = mem_strdup(arg), *cursor = copy, *word;
    unsigned out = 0;
    size_t i;
    int none = 0, words = 0;

    while ((word = str_token(&cursor, ", ")) != NULL) {
        words++;
        if (strcasecmp(word, "none") == 0) {
            none = 1;
            continue;
        }
        i = 0;
        while (i < sink_exts_count && strcasecmp(word, sink_exts[i].name) != 0)
            i++;
        if (i == sink_exts_count) {
            mem_free(copy);
            return sink_spec_err(err, "unknown extension in", arg);
        }
        out |= sink_exts[i].bit;
    }
    mem_free(copy);
    if (words == 0 || (none && out != 0))
        return sink_spec_err(err, "expected a list of extensions or \"none\", got", arg);
    *bits = out;
    return 0;
}

int sink_inject_pick(struct sink_inject *in)
{
    unsigned long long n;

    if (in->code == 0)
        return 0;
    n = ++in->n;
    if (n * in->ppm / SINK_PPM > (n - 1) * in->ppm / SINK_PPM)
        return in->code;
    return 0;
}
