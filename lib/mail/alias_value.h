/*
 * alias_value.h - the parser of one alias, .forward or :include: value:
 * a list of destinations "a, b@example.com, "|cmd arg", /file, :include:/path".
 *
 * Used by the local delivery agent (alias_maps values, .forward files,
 * :include: files) and by its fuzz target. Commas and white space outside
 * double quotes separate items; double quotes group (and are removed from
 * commands, files and include paths); a backslash quotes the next byte;
 * (comments) are skipped; <address> loses its brackets. The input is
 * untrusted (a user's .forward): every item and the count are bounded by
 * the caller's limits, and an unbalanced quote or bracket is an error,
 * never a guess.
 */
#ifndef POSTERN_MAIL_ALIAS_VALUE_H
#define POSTERN_MAIL_ALIAS_VALUE_H

#include <stddef.h>

#include "util/buf.h"

enum alias_item_type {
    ALIAS_ITEM_ADDRESS, /* a mail address or local name ("\name": no further aliasing) */
    ALIAS_ITEM_FILE,    /* "/path": append to a file */
    ALIAS_ITEM_COMMAND, /* "|command": pipe to a shell command (text after '|') */
    ALIAS_ITEM_INCLUDE, /* ":include:/path": read more items from a file (absolute path) */
};

struct alias_item {
    enum alias_item_type type;
    char *text;   /* address, path or command (without '|' or ":include:") */
    int no_alias; /* address written as "\name": deliver to the mailbox directly */
};

struct alias_list {
    struct alias_item *items;
    size_t count;
};

/*
 * Parses value (len bytes; NUL bytes are errors) into list, appending to
 * what it holds. max_items bounds list->count, max_len each item. Returns
 * 0, or -1 with the reason in err (list keeps the items parsed before).
 */
int alias_value_parse(const char *value, size_t len, struct alias_list *list, size_t max_items,
                      size_t max_len, struct buf *err);

void alias_list_init(struct alias_list *list);
void alias_list_free(struct alias_list *list);

/* "address", "file", "command", "include". */
const char *alias_item_type_name(enum alias_item_type type);

#endif
