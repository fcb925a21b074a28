/*
 * sendmail_args.c - sendmail's command line, as Postfix's sendmail(1) reads
 * it (options observed on Postfix 3.7: option processing stops at the first
 * recipient, so "sendmail alice -f x" has three recipients; -n and unknown
 * -b/-X letters are fatal; bad -N/-R values are warned about and ignored).
 *
 * Called by sendmail_main.c only. It never exits or prints, except for the
 * warnings Postfix gives for ignored values; everything it returns points
 * into argv or into sendmail_opts storage.
 */
#include <ctype.h>
#include <string.h>
#include <sys/stat.h>

#include "mail/cleanup_proto.h"
#include "sendmail.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

/* Options that take an argument (the rest of the word, or the next word). */
#define SENDMAIL_OPTS_WITH_ARG "ABCFLNORVXbfhor"
/* Options without an argument. */
#define SENDMAIL_OPTS_FLAGS "GIUimntv"

int sendmail_parse_notify(const char *value, struct buf *err)
{
    char *copy = mem_strdup(value);
    char *cursor = copy;
    char *word;
    int bits = 0;
    int never = 0;

    while ((word = str_token(&cursor, ", \t")) != NULL) {
        if (strcasecmp(word, "never") == 0)
            never = 1;
        else if (strcasecmp(word, "success") == 0)
            bits |= DSN_NOTIFY_SUCCESS;
        else if (strcasecmp(word, "failure") == 0)
            bits |= DSN_NOTIFY_FAILURE;
        else if (strcasecmp(word, "delay") == 0)
            bits |= DSN_NOTIFY_DELAY;
        else {
            buf_set(err, "");
            buf_printf(err, "unknown DSN NOTIFY command value \"%s\" in \"%s\"", word, value);
            mem_free(copy);
            return -1;
        }
    }
    mem_free(copy);
    /* RFC 3461 section 4.1: NEVER must appear alone. */
    if ((never && bits != 0) || (!never && bits == 0)) {
        buf_set(err, "");
        buf_printf(err, "bad DSN NOTIFY value \"%s\"", value);
        return -1;
    }
    return never ? DSN_NOTIFY_NEVER : bits;
}

char *sendmail_config_dir(const char *value)
{
    struct stat st;
    const char *slash;
    size_t len = strlen(value);

    /* A directory (or a name that does not exist) is taken as is; the name
     * of a file means the directory that holds it. */
    while (len > 1 && value[len - 1] == '/')
        len--;
    if (stat(value, &st) < 0 || !S_ISREG(st.st_mode))
        return mem_strndup(value, len);
    slash = memrchr(value, '/', len);
    if (slash == NULL)
        return mem_strdup(".");
    if (slash == value)
        return mem_strdup("/");
    return mem_strndup(value, (size_t)(slash - value));
}

char *sendmail_full_name(const char *env_name, const char *gecos, const char *login)
{
    struct buf out = BUF_INIT;
    const char *p;

    if (env_name != NULL && *env_name != '\0')
        return mem_strdup(env_name);
    if (gecos == NULL)
        return mem_strdup("");
    for (p = gecos; *p != '\0' && *p != ','; p++) {
        if (*p == '&' && login != NULL && *login != '\0') {
            buf_append_char(&out, toupper((unsigned char)login[0]));
            buf_append_str(&out, login + 1);
        } else {
            buf_append_char(&out, *p);
        }
    }
    if (out.len == 0)
        return mem_strdup("");
    return buf_steal(&out);
}

/* -f / -r: one pair of enclosing <> is removed, so "-f <>" is the null sender. */
static void sendmail_set_sender(struct sendmail_opts *opts, const char *value)
{
    size_t len = strlen(value);

    mem_free(opts->sender_copy);
    opts->sender_copy = NULL;
    if (len >= 2 && value[0] == '<' && value[len - 1] == '>') {
        opts->sender_copy = mem_strndup(value + 1, len - 2);
        opts->sender = opts->sender_copy;
    } else {
        opts->sender = value;
    }
}

/* -V: RFC 3461 section 4.4, printable US-ASCII up to 100 characters. */
static int sendmail_envid_ok(const char *value)
{
    size_t len = strlen(value);
    size_t i;

    if (len == 0 || len > SENDMAIL_ENVID_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e)
            return 0;
    return 1;
}

/* -b<mode>. */
static int sendmail_opt_b(struct sendmail_opts *opts, const char *arg, struct buf *err)
{
    if (arg[0] != '\0' && arg[1] == '\0') {
        switch (arg[0]) {
        case 'm':
            opts->mode = SENDMAIL_MODE_ENQUEUE;
            return 0;
        case 's':
            opts->mode = SENDMAIL_MODE_SMTP;
            return 0;
        case 'p':
            opts->mode = SENDMAIL_MODE_MAILQ;
            return 0;
        case 'i':
            opts->mode = SENDMAIL_MODE_NEWALIASES;
            return 0;
        case 'd':
        case 'l':
            opts->mode = SENDMAIL_MODE_DAEMON;
            return 0;
        case 'v':
            opts->mode = SENDMAIL_MODE_VERIFY;
            return 0;
        case 'h':
        case 'H':
            opts->mode = SENDMAIL_MODE_NOOP;
            return 0;
        }
    }
    buf_set(err, "");
    buf_printf(err, "unsupported: -b%s", arg);
    return -1;
}

/* -q, -q<interval>, -qI<id>, -qR<site>, -qS<site>. */
static int sendmail_opt_q(struct sendmail_opts *opts, const char *arg, struct buf *err)
{
    if (*arg == '\0') {
        opts->mode = SENDMAIL_MODE_FLUSH;
    } else if (*arg == 'I' || *arg == 'R') {
        if (arg[1] == '\0') {
            buf_set(err, "");
            buf_printf(err, "-q%c needs an argument", *arg);
            return -1;
        }
        opts->mode = *arg == 'I' ? SENDMAIL_MODE_FLUSH_ID : SENDMAIL_MODE_FLUSH_SITE;
        opts->queue_arg = arg + 1;
    } else if (*arg == 'S') {
        buf_set(err, "-qS is not implemented; use \"sendmail -q\" instead");
        return -1;
    } else {
        /* -q<interval>: Sendmail's queue run interval, queue_run_delay here. */
        opts->mode = SENDMAIL_MODE_NOOP;
    }
    return 0;
}

/* One option that takes an argument. */
static int sendmail_opt_arg(struct sendmail_opts *opts, int opt, const char *arg, struct buf *err)
{
    struct buf why = BUF_INIT;
    int bits;

    switch (opt) {
    case 'A': /* -Am / -Ac: same configuration for submissions and relays */
    case 'L': /* logging label: syslog_name instead */
    case 'O': /* option=value: main.cf instead */
    case 'h': /* hop count: hopcount_limit instead */
        return 0;
    case 'B':
        if (strcasecmp(arg, "8BITMIME") == 0)
            opts->encoding = SENDMAIL_BODY_8BIT;
        else if (strcasecmp(arg, "7BIT") == 0)
            opts->encoding = SENDMAIL_BODY_7BIT;
        else {
            buf_set(err, "-B option needs 8BITMIME or 7BIT");
            return -1;
        }
        return 0;
    case 'C':
        opts->config = arg;
        return 0;
    case 'F':
        opts->full_name = arg;
        return 0;
    case 'N':
        if ((bits = sendmail_parse_notify(arg, &why)) < 0) {
            msg_warn("%s", buf_str(&why));
            msg_warn("bad -N option value -- ignored");
        } else {
            opts->dsn_notify = bits;
        }
        buf_release(&why);
        return 0;
    case 'R':
        if (strcasecmp(arg, "full") == 0)
            opts->dsn_ret = DSN_RET_FULL;
        else if (strcasecmp(arg, "hdrs") == 0)
            opts->dsn_ret = DSN_RET_HDRS;
        else
            msg_warn("bad -R option value -- ignored");
        return 0;
    case 'V':
        if (sendmail_envid_ok(arg))
            opts->envid = arg;
        else
            msg_warn("bad -V option value -- ignored");
        return 0;
    case 'X':
        if (arg[0] == 'V') {
            /* VERP needs support in cleanup and qmgr that postern lacks so far. */
            msg_warn("-XV (VERP) is not supported -- ignored");
            return 0;
        }
        buf_set(err, "");
        buf_printf(err, "unsupported: -X%c", arg[0]);
        return -1;
    case 'b':
        return sendmail_opt_b(opts, arg, err);
    case 'f':
    case 'r':
        sendmail_set_sender(opts, arg);
        return 0;
    case 'o':
        if (strcmp(arg, "i") == 0)
            opts->dot_ends = 0;
        else if (arg[0] == 'A' && arg[1] != '\0')
            opts->alias_db = arg + 1;
        /* -o7 -o8 -om and any other -ox value: ignored, as in Postfix. */
        return 0;
    }
    msg_panic("sendmail_opt_arg: option -%c", opt);
}

/* One option without an argument. */
static int sendmail_opt_flag(struct sendmail_opts *opts, int opt, struct buf *err)
{
    switch (opt) {
    case 'G':
        opts->gateway = 1;
        return 0;
    case 'I':
        opts->mode = SENDMAIL_MODE_NEWALIASES;
        return 0;
    case 'U': /* initial user submission */
    case 'm': /* the sender is never eliminated from expansions anyway */
        return 0;
    case 'i':
        opts->dot_ends = 0;
        return 0;
    case 'n':
        buf_set(err, "-n option not supported");
        return -1;
    case 't':
        opts->extract = 1;
        return 0;
    case 'v':
        opts->verbose++;
        return 0;
    }
    msg_panic("sendmail_opt_flag: option -%c", opt);
}

int sendmail_args_parse(struct sendmail_opts *opts, int argc, char **argv, struct buf *err)
{
    const char *base;
    int i;

    memset(opts, 0, sizeof(*opts));
    opts->mode = SENDMAIL_MODE_ENQUEUE;
    opts->dot_ends = 1;
    if (argc > 0 && argv[0] != NULL) {
        base = strrchr(argv[0], '/');
        base = base ? base + 1 : argv[0];
        if (strcmp(base, "mailq") == 0)
            opts->mode = SENDMAIL_MODE_MAILQ;
        else if (strcmp(base, "newaliases") == 0)
            opts->mode = SENDMAIL_MODE_NEWALIASES;
    }
    for (i = 1; i < argc; i++) {
        const char *word = argv[i];
        const char *p;

        if (word[0] != '-' || word[1] == '\0')
            break; /* the first recipient ends the options */
        if (strcmp(word, "--") == 0) {
            i++;
            break;
        }
        for (p = word + 1; *p != '\0'; p++) {
            int opt = (unsigned char)*p;

            if (opt == 'q') {
                /* -q's argument is optional, so it never takes the next word. */
                if (sendmail_opt_q(opts, p + 1, err) < 0)
                    return -1;
                break;
            }
            if (strchr(SENDMAIL_OPTS_WITH_ARG, opt) != NULL) {
                const char *arg = p + 1;

                if (*arg == '\0') {
                    if (i + 1 >= argc) {
                        buf_set(err, "");
                        buf_printf(err, "option requires an argument -- '%c'", opt);
                        opts->usage = 1;
                        return -1;
                    }
                    arg = argv[++i];
                }
                if (sendmail_opt_arg(opts, opt, arg, err) < 0)
                    return -1;
                break;
            }
            if (strchr(SENDMAIL_OPTS_FLAGS, opt) == NULL) {
                buf_set(err, "");
                if (isprint(opt))
                    buf_printf(err, "invalid option -- '%c'", opt);
                else
                    buf_printf(err, "invalid option -- '\\x%02x'", (unsigned)opt);
                opts->usage = 1;
                return -1;
            }
            if (sendmail_opt_flag(opts, opt, err) < 0)
                return -1;
        }
    }
    opts->rcpt = argv + i;
    opts->nrcpt = i < argc ? (size_t)(argc - i) : 0;
    return 0;
}

void sendmail_opts_free(struct sendmail_opts *opts)
{
    mem_free(opts->sender_copy);
    opts->sender_copy = NULL;
    opts->sender = NULL;
}
