/*
 * mastercf.h - parse and print Postfix's master.cf, unchanged.
 *
 * Users: the master daemon (which services to run), postconf -M/-F/-P
 * (listing and editing, hence the physical line range of every entry) and
 * "postern check". The parser validates every column and keeps the raw text
 * of each, so that printing shows what the administrator wrote. It never
 * decides policy (duplicate services, address syntax of inet services,
 * process limits): those belong to its callers. Errors are returned, never
 * fatal; the one warning (a logical line that starts with white space) goes
 * through msg_warn().
 */
#ifndef POSTERN_CONF_MASTERCF_H
#define POSTERN_CONF_MASTERCF_H

#include <stddef.h>

#include "util/buf.h"

/* Fields of a master.cf entry, in file order (also indexes of field[]). */
enum master_field {
    MASTER_FIELD_SERVICE,
    MASTER_FIELD_TYPE,
    MASTER_FIELD_PRIVATE,
    MASTER_FIELD_UNPRIV,
    MASTER_FIELD_CHROOT,
    MASTER_FIELD_WAKEUP,
    MASTER_FIELD_MAXPROC,
    MASTER_FIELD_COUNT /* 7; the command is the 8th column */
};

enum master_type {
    MASTER_TYPE_INET,
    MASTER_TYPE_UNIX,
    MASTER_TYPE_UNIX_DGRAM,
    MASTER_TYPE_FIFO,
    MASTER_TYPE_PASS,
};

/*
 * One "-o name=value" (or "-oname=value") daemon option. The parser looks for
 * them only among the leading daemon options, as the daemons' own option
 * parsing does: "-o" after the first non-option argument (e.g. inside a pipe
 * argv=...) is an ordinary argument; -i -m -n -s -t take a value as -o does.
 * White space around '=' (possible with "-o { name = value }") is removed.
 */
struct master_override {
    char *name;   /* "" for a trailing "-o" without argument */
    char *value;  /* NULL when the argument has no '=' ("-o novalue") */
    size_t arg;   /* index in args[] of the "-o" (or "-oname=value") */
    int has_next; /* 1 when args[arg + 1] is the option's argument */
};

struct master_entry {
    char *field[MASTER_FIELD_COUNT]; /* raw text: service, type, ..., maxproc */
    char *command;                   /* program name, e.g. "smtpd" */
    char **args;                     /* after the command, NULL-terminated; braces removed */
    size_t nargs;
    struct master_override *override; /* the -o options, in order */
    size_t noverride;
    enum master_type type;
    int private_flag;   /* "-" is 1 */
    int unpriv_flag;    /* "-" is 1 */
    int chroot_flag;    /* "-" is 0 (Postfix >= 3.0) */
    int wakeup;         /* seconds; 0 (also "-") means never */
    int wakeup_if_used; /* trailing '?': wake up only a service that was used */
    int maxproc;        /* -1 ("-") means default_process_limit; 0 means no limit */
    size_t first_line;  /* physical lines of the entry, 1-based, comment and */
    size_t last_line;   /* blank lines in between included */
};

struct master_cf {
    struct master_entry *entry;
    size_t count;
};

/* Default upper bound on the size of a master.cf read by master_cf_load(). */
#define MASTER_CF_DEFAULT_MAX_SIZE (4UL * 1024 * 1024)

/*
 * Parses len bytes of master.cf text; path is used only in messages. On
 * success returns 0 and fills *out (which the caller frees with
 * master_cf_free()). On a syntax error returns -1, leaves *out empty and puts
 * the message into err, worded as Postfix does, e.g.
 *   file PATH: line 28: bad field count
 *   invalid private field "x" in "127.0.0.1:12027 inet x - n - - smtpd"
 * (the caller adds "fatal: "). Quoted text is made printable ('?' for control
 * and non-ASCII bytes).
 */
int master_cf_parse(const char *path, const char *text, size_t len, struct master_cf *out,
                    struct buf *err);

/* Reads and parses a file of at most max_size bytes; -1 with "open PATH: ..."
 * style messages on I/O errors. master_cf_load uses MASTER_CF_DEFAULT_MAX_SIZE. */
int master_cf_load_max(const char *path, size_t max_size, struct master_cf *out, struct buf *err);
int master_cf_load(const char *path, struct master_cf *out, struct buf *err);
void master_cf_free(struct master_cf *cf);

/* The last entry with this service name and type ("the last one is
 * remembered"); NULL when there is none. Names are compared as written. */
const struct master_entry *master_cf_find(const struct master_cf *cf, const char *service,
                                          const char *type);

/* Index of the first entry after index with the same service name and type
 * as entry[index], or cf->count when there is none. The master uses this to
 * warn about duplicates and keep the last one; names are compared as written
 * (normalising inet addresses is the caller's job). */
size_t master_cf_next_duplicate(const struct master_cf *cf, size_t index);

/* Type names as written in master.cf; master_type_parse returns -1 if unknown. */
const char *master_type_name(enum master_type type);
int master_type_parse(const char *name, enum master_type *type);

/*
 * Appends one entry in postconf -M layout, newline included: the seven
 * columns start at 0, 11, 17, 25, 33, 41, 49 and the command at 57 (a field
 * that reaches the next column is followed by one space); arguments follow,
 * separated by one space. With fold (postconf -Mf), every -o option goes on
 * a line of its own indented by 4 spaces, and other arguments move to such a
 * line when they would pass column 80 (except a word starting with '#',
 * which would start a comment line). Words that contain white space, are
 * empty or start with '{' (and a service name starting with '#') are printed
 * in braces, "{ text }", so that the output always parses back to the same
 * entry.
 */
void master_entry_format(const struct master_entry *entry, int fold, struct buf *out);

#endif
