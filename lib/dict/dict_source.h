/*
 * dict_source.h - reader of Postfix table source files (postmap, postalias,
 * texthash, regexp, pcre and cidr tables).
 *
 * A logical line is a physical line plus the following lines that start with
 * white space; lines that are empty, white space only, or whose first
 * non-blank character is '#' are skipped and do not end a logical line. The
 * reader works on a FILE or on a memory buffer (for inline data and fuzzing)
 * and never holds more than one logical line; max_line bounds its length.
 */
#ifndef POSTERN_DICT_DICT_SOURCE_H
#define POSTERN_DICT_DICT_SOURCE_H

#include <stdio.h>

#include "util/buf.h"

struct dict_source {
    FILE *fp;         /* source file, or NULL when reading data/len */
    const char *data; /* memory source */
    size_t len;
    size_t pos;
    const char *origin; /* file name for messages ("stdin" for -i) */
    int phys_lineno;    /* physical lines consumed so far */
    int lineno;         /* first physical line of the current logical line */
    size_t max_line;    /* longest logical line kept; 0 means no limit */
    int truncated;      /* the current logical line was cut at max_line */
    int pending;        /* phys holds a line read ahead */
    int pending_lineno;
    int eof;
    struct buf phys; /* physical line being looked at */
    struct buf line; /* current logical line, no newline */
};

void dict_source_init_file(struct dict_source *s, FILE *fp, const char *origin);
void dict_source_init_mem(struct dict_source *s, const char *data, size_t len, const char *origin);
void dict_source_release(struct dict_source *s);
/* Reads the next logical line into s->line; 1 when there is one, 0 at end. */
int dict_source_next(struct dict_source *s);

/*
 * "key whitespace value" (postmap): splits line in place; trailing white
 * space of the value is removed. Returns 0, or -1 (no value) after warning
 * "ORIGIN, line N: expected format: key whitespace value".
 */
int dict_source_split(struct dict_source *s, char *line, char **key, char **value);
/*
 * "name: value, value" (postalias): the key is what precedes the first ':'
 * outside quotes; the value is normalised to "a, b, c" (quoted text kept as
 * is). Returns 0, or -1 after warning "ORIGIN, line N: need name:value pair".
 */
int dict_source_split_alias(struct dict_source *s, char *line, char **key, struct buf *value);

#endif
