/*
 * sendmail.h - the parts of the sendmail command (also run as mailq and
 * newaliases) that are tested on their own: command-line parsing
 * (sendmail_args.c) and reading the message from standard input
 * (sendmail_input.c). sendmail_main.c ties them to postdrop.
 *
 * sendmail runs with the invoking user's privileges only: it trusts nothing
 * it reads, and postdrop (the set-gid helper) re-checks everything it is
 * given. Neither module here exits or prints on bad input; they return an
 * error for main() to report as "sendmail: fatal: ...".
 */
#ifndef POSTERN_SRC_SENDMAIL_H
#define POSTERN_SRC_SENDMAIL_H

#include <stddef.h>

#include "util/buf.h"

/* What the command was asked to do (-b modes, -q, -I, argv[0]). */
enum sendmail_mode {
    SENDMAIL_MODE_ENQUEUE,    /* -bm (default): read a message and queue it */
    SENDMAIL_MODE_SMTP,       /* -bs: SMTP on stdin/stdout */
    SENDMAIL_MODE_MAILQ,      /* -bp, mailq: list the queue */
    SENDMAIL_MODE_NEWALIASES, /* -bi, -I, newaliases: rebuild aliases */
    SENDMAIL_MODE_FLUSH,      /* -q: deliver all queued mail */
    SENDMAIL_MODE_FLUSH_ID,   /* -qIqueueid */
    SENDMAIL_MODE_FLUSH_SITE, /* -qRsite */
    SENDMAIL_MODE_DAEMON,     /* -bd, -bl: start the mail system */
    SENDMAIL_MODE_VERIFY,     /* -bv: address verification report */
    SENDMAIL_MODE_NOOP,       /* -bh, -bH, -q<interval>: accepted, nothing to do */
};

/* DSN NOTIFY bits of -N are cleanup_proto.h's DSN_NOTIFY_*; RET of -R its DSN_RET_*. */

/* Body type of -B: what cleanup records as the encoding. */
#define SENDMAIL_BODY_7BIT "7bit"
#define SENDMAIL_BODY_8BIT "8bitmime"

/* ENVID (-V) limit: RFC 3461 section 4.4 allows 100 characters. */
#define SENDMAIL_ENVID_MAX 100

struct sendmail_opts {
    enum sendmail_mode mode;
    const char *sender;    /* -f / -r, with one pair of <> removed; NULL: not given */
    const char *full_name; /* -F; NULL: not given */
    const char *config;    /* -C, as given (main.cf path or its directory) */
    const char *alias_db;  /* -oA */
    const char *queue_arg; /* the ID or site of -qI / -qR */
    const char *envid;     /* -V; NULL: not given */
    const char *encoding;  /* -B: SENDMAIL_BODY_*; NULL: not given */
    int extract;           /* -t: recipients from To/Cc/Bcc as well */
    int dot_ends;          /* a line with a single "." ends input (no -i / -oi) */
    int gateway;           /* -G: gateway submission (rewrite_context=remote) */
    int dsn_notify;        /* -N: DSN_NOTIFY_* bits, 0 when not given */
    int dsn_ret;           /* -R: DSN_RET_*, 0 when not given */
    int verbose;           /* number of -v */
    int usage;             /* the error was a bad option or a missing argument */
    char **rcpt;           /* recipients: pointers into argv */
    size_t nrcpt;
    char *sender_copy; /* storage behind sender when <> were removed */
};

/*
 * Parses argv the way Postfix's sendmail does: options stop at the first
 * argument that is not one ("--" ends them explicitly), flags may be grouped
 * ("-ti"), an option's argument is the rest of its word or the next word.
 * argv[0]'s base name mailq or newaliases selects that mode. Options that
 * Postfix ignores are accepted; bad -N / -R / -V values are warned about
 * (msg_warn) and ignored, as Postfix does. Returns 0, or -1 with a one-line
 * reason in err for main() to report with "fatal: ". opts points into argv;
 * call sendmail_opts_free() when done.
 */
int sendmail_args_parse(struct sendmail_opts *opts, int argc, char **argv, struct buf *err);
void sendmail_opts_free(struct sendmail_opts *opts);

/* Parses a -N value ("never", or a comma list of success, failure, delay;
 * any case). Returns the DSN_NOTIFY_* bits, or -1 with err set. */
int sendmail_parse_notify(const char *value, struct buf *err);

/* Turns a -C value into the configuration directory: the name of a regular
 * file (main.cf or another) yields its directory; anything else is taken as
 * the directory. Returns a new string. */
char *sendmail_config_dir(const char *value);

/* The full name for the From: header when -F is not given: NAME from the
 * environment when set, else the GECOS field up to its first comma, with "&"
 * replaced by the capitalised login name (BSD convention). Returns a new
 * string (maybe empty). */
char *sendmail_full_name(const char *env_name, const char *gecos, const char *login);

/* ---- reading the message ------------------------------------------------ */

/* sendmail_fix_line_endings. */
enum sendmail_fix { SENDMAIL_FIX_ALWAYS, SENDMAIL_FIX_STRICT, SENDMAIL_FIX_NEVER };

/* Parses the parameter value; -1 for an unknown value. */
int sendmail_parse_fix(const char *value, enum sendmail_fix *out);

/*
 * Receives the message one line at a time, without its line end. A line
 * longer than line_limit arrives in pieces of line_limit bytes with
 * complete == 0; the last piece has complete == 1. Returns 0, or -1 to stop
 * reading (the reader then fails with err as the callback left it).
 */
typedef int (*sendmail_line_fn)(void *ctx, const char *data, size_t len, int complete,
                                struct buf *err);

/* Why reading failed: the caller picks the exit status from it. */
enum sendmail_input_error {
    SENDMAIL_INPUT_OK = 0,
    SENDMAIL_INPUT_IO,       /* read error */
    SENDMAIL_INPUT_TOO_BIG,  /* more than size_limit bytes of content */
    SENDMAIL_INPUT_CALLBACK, /* the line callback returned -1 */
};

struct sendmail_input {
    /* Settings (sendmail_input_init). */
    int dot_ends;
    enum sendmail_fix fix;
    size_t line_limit; /* > 0 */
    long size_limit;   /* content bytes, line ends counted as one; 0: no limit */
    sendmail_line_fn line_fn;
    void *ctx;
    /* State. */
    struct buf line;    /* bytes of the current piece */
    int lines;          /* complete lines seen (the From_ line included) */
    int convert;        /* CRLF -> LF decided for this message */
    int in_piece;       /* the current line already sent pieces */
    int skipping;       /* dropping the rest of a leading "From " line */
    int in_header;      /* still in the primary header block */
    int header_cont;    /* the current line continues a header */
    int header_is_rcpt; /* the header being read is To/Cc/Bcc (or Resent-) */
    int done;           /* "." seen: input ends */
    long size;
    int rcpt_headers; /* To/Cc/Bcc headers with something in them */
    enum sendmail_input_error error;
};

void sendmail_input_init(struct sendmail_input *in, int dot_ends, enum sendmail_fix fix,
                         size_t line_limit, long size_limit, sendmail_line_fn fn, void *ctx);
void sendmail_input_free(struct sendmail_input *in);

/*
 * Push interface, for tests and the fuzzer: feed any split of the input;
 * sendmail_input_finish() flushes a last line without a line end. Both
 * return 0, 1 once a lone "." ended the message (later bytes are ignored),
 * or -1 with in->error and err set.
 */
int sendmail_input_feed(struct sendmail_input *in, const void *data, size_t len, struct buf *err);
int sendmail_input_finish(struct sendmail_input *in, struct buf *err);

/* Reads fd to EOF (or to the lone "."), feeding the lines to the callback.
 * Returns 0 or -1 with in->error and err set. */
int sendmail_input_read_fd(struct sendmail_input *in, int fd, struct buf *err);

#endif
