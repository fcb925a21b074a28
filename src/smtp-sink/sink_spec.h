/*
 * sink_spec.h - smtp-sink's fault-injection and protocol options: which
 * stage answers with which code for which share of events (-e), recipient
 * patterns (-R), delays (-D) and advertised extensions (-x).
 *
 * Used by smtp_sink.c's option parsing and, for every stage event, to decide
 * whether to inject. Parsers return -1 with a reason instead of exiting, so
 * that bad option values can be tested; they never keep pointers into their
 * argument.
 */
#ifndef POSTERN_SINK_SPEC_H
#define POSTERN_SINK_SPEC_H

#include <stddef.h>

#include "util/buf.h"

enum sink_stage {
    SINK_GREETING,
    SINK_HELO,
    SINK_MAIL,
    SINK_RCPT,
    SINK_DATA,
    SINK_DOT,
    SINK_STAGES
};

#define SINK_PPM 1000000UL /* fractions are kept in parts per million */

struct sink_inject {
    int code;          /* 400-599; 0: none */
    unsigned long ppm; /* share of the stage's events, 0..SINK_PPM */
    unsigned long n;   /* events seen at this stage */
};

struct sink_rule {
    char *pattern; /* fnmatch(3) on the recipient address, any case; mem_free() */
    int code;
};

#define SINK_EXT_PIPELINING 1u
#define SINK_EXT_SIZE       2u
#define SINK_EXT_8BITMIME   4u
#define SINK_EXT_DSN        8u
#define SINK_EXT_CHUNKING   16u
#define SINK_EXT_ENHANCED   32u
#define SINK_EXT_ALL        63u

struct sink_ext {
    const char *name;
    unsigned bit;
};
extern const struct sink_ext sink_exts[];
extern const size_t sink_exts_count;

/* Stage name (any case) to stage, or -1. */
int sink_stage_parse(const char *name);

/* "stage:code[:fraction]", fraction 0 to 1 (default 1), into inject[stage];
 * "pattern:code" (the code follows the last ':'); "stage:ms" (0 to 3600000)
 * into delay_ms[stage]; "name,name ..." or "none" into *bits. Each returns 0,
 * or -1 with err (may be NULL) set and the output untouched. */
int sink_spec_inject(const char *arg, struct sink_inject inject[SINK_STAGES], struct buf *err);
int sink_spec_rule(const char *arg, struct sink_rule *rule, struct buf *err);
int sink_spec_delay(const char *arg, long delay_ms[SINK_STAGES], struct buf *err);
int sink_spec_ext(const char *arg, unsigned *bits, struct buf *err);

/* Counts one event of in's stage; returns in->code when this event is one
 * of the share to fail, else 0. The share is spread evenly and exactly: the
 * n-th event fails when floor(n * ppm / 10^6) grows, so 10% of 2,000 is 200
 * events, every tenth. */
int sink_inject_pick(struct sink_inject *in);

#endif
