/*
 * blast_pattern.h - sender and recipient address patterns of smtp-blast.
 *
 * A pattern is an address with numbered placeholders, checked once at
 * startup (blast_pattern_check) and expanded for every MAIL FROM and RCPT
 * TO: %m (or %d) the message number, %s the session number, %r the
 * recipient number within the message (all from 1), %% a '%'. A pattern
 * must never put CR, LF, NUL, '<' or '>' into an SMTP command.
 */
#ifndef POSTERN_BLAST_PATTERN_H
#define POSTERN_BLAST_PATTERN_H

#include "util/buf.h"

struct blast_pattern_vars {
    unsigned long message;
    unsigned long session;
    unsigned long recipient;
};

/* 0 if pattern is valid, else -1 with err (may be NULL) set. */
int blast_pattern_check(const char *pattern, struct buf *err);
/* Appends the expansion of a checked pattern to out. */
void blast_pattern_expand(struct buf *out, const char *pattern,
                          const struct blast_pattern_vars *vars);

#endif
