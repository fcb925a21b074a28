/*
 * header_checks.h - header_checks / body_checks tables and their actions
 * (Postfix header_checks(5)): the action parser, the lookup of a header
 * or body line in a list of pattern tables, and the log line an action
 * writes.
 *
 * Used by cleanup's hooks (daemons/cleanup/cleanup_hooks.c); postmap -h/-b
 * and the SMTP client's smtp_header_checks can reuse it. The parser never
 * allocates: an action's text points into the table value, which stays
 * valid only until the next lookup in that table.
 */
#ifndef POSTERN_MAIL_HEADER_CHECKS_H
#define POSTERN_MAIL_HEADER_CHECKS_H

#include <stddef.h>

#include "dict/dict.h"
#include "util/buf.h"

enum hc_type {
    HC_DUNNO,    /* no action: as if nothing matched */
    HC_OK,       /* as DUNNO in cleanup (no further effect) */
    HC_REJECT,   /* the message fails (text: the reply, default "5.7.1 ...") */
    HC_WARN,     /* log, keep */
    HC_INFO,     /* log, keep */
    HC_IGNORE,   /* delete the header or line */
    HC_REPLACE,  /* replace it by text */
    HC_PREPEND,  /* add text before it */
    HC_HOLD,     /* the hold queue */
    HC_DISCARD,  /* accept and throw away */
    HC_REDIRECT, /* deliver to text instead of the recipients */
    HC_BCC,      /* also deliver to text */
    HC_FILTER,   /* content_filter text (transport:destination) */
};

struct hc_action {
    enum hc_type type;
    const char *name; /* "reject", "warning", ... as logged */
    const char *text; /* what follows the action word, white space trimmed */
    size_t text_len;
};

/* Parses a table value ("REJECT some text", "PREPEND X-A: b", ...). -1
 * for an unknown action or one that lacks its mandatory text (REPLACE,
 * PREPEND, REDIRECT, BCC, FILTER); act->text then holds the value. */
int hc_action_parse(const char *value, struct hc_action *act);

struct hc_tables {
    struct dict **dicts;
    size_t count;
};

/* Opens a comma/space-separated list of tables; -1 with err. */
int hc_tables_open(struct hc_tables *t, const char *list, struct buf *err);
void hc_tables_close(struct hc_tables *t);
/* The first table whose pattern matches line: DICT_FOUND with *value,
 * DICT_NOTFOUND, or DICT_ERROR. Keys are not case-folded (the patterns
 * carry their own flags). */
int hc_lookup(const struct hc_tables *t, const char *line, const char **value);

/* Who sent the message, for the log line ("from host[addr]; from=<s>
 * to=<r> proto=P helo=<h>"). NULL fields are left out (client: "local"). */
struct hc_origin {
    const char *client_name, *client_address;
    const char *sender, *recipient, *protocol, *helo;
};

/* Appends "QID: ACTION: WHERE TEXT from ORIGIN; from=<...> ...[: INFO]"
 * (where is "header" or "body"; line at most 200 bytes, control bytes as
 * blanks) to out. */
void hc_log_format(struct buf *out, const char *queue_id, const char *action, const char *where,
                   const char *line, size_t len, const struct hc_origin *o, const char *info,
                   size_t info_len);

/* The SMTP reply text of REJECT: text when it starts with a "X.Y.Z"
 * status, else "5.7.1 " + (text or "message content rejected"). */
void hc_reject_text(struct buf *out, const struct hc_action *act);

#endif
