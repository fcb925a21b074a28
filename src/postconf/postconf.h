/*
 * postconf.h - shared state of the postconf command (src/postconf).
 *
 * postconf prints and edits an instance's main.cf and master.cf with
 * Postfix's options, output formats, warnings and exit codes. It reads the
 * configuration through lib/conf like every daemon does, so what it prints
 * is what the daemons will see. It must never write a configuration file
 * except through the atomic replace in postconf_edit.c.
 */
#ifndef POSTERN_POSTCONF_H
#define POSTERN_POSTCONF_H

#include "conf/mastercf.h"
#include "util/buf.h"

struct postconf_opts {
    int defaults;     /* -d */
    int nondefault;   /* -n */
    int hide_name;    /* -h */
    int expand;       /* -x */
    int fold;         /* -f */
    int edit;         /* -e */
    int remove;       /* -X */
    int comment;      /* -# */
    int master;       /* -M */
    int fields;       /* -F */
    int params;       /* -P */
    char **args;      /* non-option arguments */
    int nargs;
};

extern struct master_cf postconf_master;
extern char *postconf_master_path;

/* Prints "name = value" (or only the value) folded like Postfix's -f. */
void postconf_print(const struct postconf_opts *opts, const char *name, const char *value);

/* main.cf listing (default mode, -n, -d, names). */
void postconf_show_main(const struct postconf_opts *opts);
/* Warnings about $references without a value and parameters nobody uses. */
void postconf_scan_used(void);
void postconf_warn_undefined(void);
void postconf_warn_unused_main(void);
void postconf_warn_unused_master(void);

/* master.cf listings: -M, -F, -P. */
void postconf_show_master(const struct postconf_opts *opts);
void postconf_show_fields(const struct postconf_opts *opts);
void postconf_show_params(const struct postconf_opts *opts);

/* Edits: main.cf -e/-X/-#; master.cf -M/-F/-P with -e/-X/-#. */
void postconf_edit_main(const struct postconf_opts *opts);
void postconf_edit_master(const struct postconf_opts *opts);

/* Shared pattern match of "a/b[/c]" requests with '*' wildcards. */
int postconf_match(const char *pattern, const char *text);

#endif
