/*
 * expand.h - $name expansion of main.cf values.
 *
 * Forms: $name, ${name}, $(name), ${name?text}, ${name:text},
 * ${name?{text}:{text}}, and ${{text} OP {text} ? {text} : {text}} with OP one
 * of == != < <= > >= (numbers, else strings) or ==level !=level <level
 * <=level >level >=level (compatibility levels such as 3.6). "Defined" means
 * the name has a non-empty value. Expansion is recursive: a value found for
 * $name is itself expanded; a reference loop or nesting deeper than
 * EXPAND_MAX_DEPTH is an error naming the parameter, never a crash. This
 * module knows nothing about files: values come from a lookup callback.
 */
#ifndef POSTERN_CONF_EXPAND_H
#define POSTERN_CONF_EXPAND_H

#include "util/buf.h"

#define EXPAND_MAX_DEPTH 100

struct expand_source {
    /* Raw (unexpanded) value of name, or NULL when it has none. */
    const char *(*lookup)(const char *name, void *ctx);
    /* Told about each reference to a name without a value; may be NULL. */
    void (*undefined)(const char *name, void *ctx);
    void *ctx;
};

/* Appends the expansion of text to out. Returns 0, or -1 with err set. */
int expand_text(const char *text, const struct expand_source *src, struct buf *out,
                struct buf *err);

/* Calls cb for every parameter name that text refers to (not recursively). */
void expand_references(const char *text, void (*cb)(const char *name, void *ctx), void *ctx);

/* Compares compatibility levels "3.6" and "2": <0, 0, >0. -2 on bad syntax. */
int expand_compare_levels(const char *a, const char *b);

#endif
