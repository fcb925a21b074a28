/*
 * maincf.h - parse main.cf text into name/value entries.
 *
 * Grammar (DESIGN.md section 3): "name = value"; a line that starts with
 * white space continues the previous logical line; lines whose first
 * non-blank character is '#' and blank lines are skipped without ending a
 * logical line. Values are kept raw: $name expansion happens later, lazily.
 * The parser warns as Postfix does (overriding entries, a first line that
 * starts with white space) and fails with "PATH, line N: ..." on a line
 * without a name or without '='. It must never expand or interpret values.
 */
#ifndef POSTERN_CONF_MAINCF_H
#define POSTERN_CONF_MAINCF_H

#include <stddef.h>

#include "util/buf.h"

struct maincf_entry {
    char *name;
    char *value;
    int first_line; /* physical line range, 1-based, for postconf -e/-X/-# */
    int last_line;
};

struct maincf {
    char *path;
    struct maincf_entry *entry; /* in file order; a name appears at most once (last wins) */
    size_t count;
};

int maincf_parse(const char *path, const char *text, size_t len, struct maincf *out,
                 struct buf *err);
/* Reads and parses path; a missing file is an error naming it. */
int maincf_load(const char *path, struct maincf *out, struct buf *err);
void maincf_free(struct maincf *cf);
const struct maincf_entry *maincf_find(const struct maincf *cf, const char *name);

/* Splits "name = value" (as given to postconf -e or -o) into trimmed parts,
 * in place. Returns 0, or -1 with Postfix's message in err. */
int maincf_split_assignment(char *text, char **name, char **value, struct buf *err);

/* Calls cb for each logical line, duplicates included, with its text (lines
 * joined) and physical line range; a first line that starts with white
 * space is warned about and skipped. Used by the parser and by postconf's
 * editor, so both agree on where an entry starts and ends. */
typedef int (*maincf_scan_fn)(char *logical, int first_line, int last_line, void *ctx);
int maincf_scan(const char *path, const char *text, size_t len, maincf_scan_fn cb, void *ctx);

/* Reads a whole file into buf; -1 with "open PATH: reason" in err. */
int maincf_read_file(const char *path, struct buf *data, struct buf *err);

#endif
