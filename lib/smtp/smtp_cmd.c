/*
 * smtp_cmd.c - SMTP command line parser.
 *
 * smtpd feeds each command line; the result says which verb it is and
 * splits the arguments into words the way Postfix's smtpd does: words are
 * separated by blanks, but a quoted string or an <...> path stays one word
 * even when it holds blanks, so MAIL FROM:<"a b"@c> keeps its address.
 * Invariant: on SMTP_CMD_OK the text holds no NUL and argv[0] is the verb.
 * Never trusts the line length: the caller's reader already bounded it.
 */
#include <string.h>
#include <strings.h>

#include "smtp/smtp_addr.h"
#include "smtp/smtp_cmd.h"
#include "util/mem.h"

static const struct {
    const char *name;
    enum smtp_verb verb;
} smtp_cmd_verbs[] = {
    {"EHLO", SMTP_VERB_EHLO},         {"HELO", SMTP_VERB_HELO}, {"MAIL", SMTP_VERB_MAIL},
    {"RCPT", SMTP_VERB_RCPT},         {"DATA", SMTP_VERB_DATA}, {"BDAT", SMTP_VERB_BDAT},
    {"RSET", SMTP_VERB_RSET},         {"NOOP", SMTP_VERB_NOOP}, {"QUIT", SMTP_VERB_QUIT},
    {"VRFY", SMTP_VERB_VRFY},         {"ETRN", SMTP_VERB_ETRN}, {"HELP", SMTP_VERB_HELP},
    {"STARTTLS", SMTP_VERB_STARTTLS}, {"AUTH", SMTP_VERB_AUTH}, {"XCLIENT", SMTP_VERB_XCLIENT},
    {"XFORWARD", SMTP_VERB_XFORWARD},
};

#define SMTP_CMD_NVERBS (sizeof(smtp_cmd_verbs) / sizeof(smtp_cmd_verbs[0]))

void smtp_cmd_init(struct smtp_cmd *cmd)
{
    memset(cmd, 0, sizeof(*cmd));
    buf_init(&cmd->text);
    buf_init(&cmd->words);
    buf_init(&cmd->reply);
}

void smtp_cmd_release(struct smtp_cmd *cmd)
{
    buf_release(&cmd->text);
    buf_release(&cmd->words);
    buf_release(&cmd->reply);
    mem_free(cmd->argv);
    cmd->argv = NULL;
    cmd->argc = cmd->argv_cap = 0;
}

const char *smtp_verb_name(enum smtp_verb verb)
{
    for (size_t i = 0; i < SMTP_CMD_NVERBS; i++) {
        if (smtp_cmd_verbs[i].verb == verb)
            return smtp_cmd_verbs[i].name;
    }
    return "UNKNOWN";
}

int smtp_verb_is_junk(enum smtp_verb verb)
{
    return verb == SMTP_VERB_NOOP || verb == SMTP_VERB_VRFY || verb == SMTP_VERB_ETRN ||
           verb == SMTP_VERB_RSET;
}

/* CR and LF inside a line (a caller's reader returns one line, so LF can
 * only appear there if the caller broke that contract) separate words like
 * blanks, so that no word, and no reply echoing one, can carry a line end. */
static int smtp_cmd_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void smtp_cmd_push(struct smtp_cmd *cmd, char *word)
{
    if (cmd->argc + 1 >= cmd->argv_cap) {
        cmd->argv_cap = cmd->argv_cap ? mem_size_mul(cmd->argv_cap, 2) : 8;
        cmd->argv = mem_realloc_array(cmd->argv, cmd->argv_cap, sizeof(*cmd->argv));
    }
    cmd->argv[cmd->argc++] = word;
    cmd->argv[cmd->argc] = NULL;
}

/* Splits words in place: blanks separate words except inside "..." (with
 * backslash escapes) and <...>. An unterminated quote or bracket runs to
 * the end of the line; the address parser then refuses it. */
static void smtp_cmd_split(struct smtp_cmd *cmd)
{
    char *s = cmd->words.data;
    char *end = s + buf_len(&cmd->words);

    while (s < end) {
        char *word;
        int quoted = 0;
        int angle = 0;

        while (s < end && smtp_cmd_is_blank(*s))
            s++;
        if (s == end)
            break;
        word = s;
        for (; s < end; s++) {
            if (quoted) {
                if (*s == '\\' && s + 1 < end)
                    s++;
                else if (*s == '"')
                    quoted = 0;
            } else if (*s == '"') {
                quoted = 1;
            } else if (*s == '<') {
                angle++;
            } else if (*s == '>' && angle > 0) {
                angle--;
            } else if (angle == 0 && smtp_cmd_is_blank(*s)) {
                break;
            }
        }
        if (s < end)
            *s++ = 0;
        smtp_cmd_push(cmd, word);
    }
}

enum smtp_cmd_status smtp_cmd_parse(struct smtp_cmd *cmd, const char *line, size_t len,
                                    int truncated, const struct smtp_cmd_opts *opts)
{
    size_t start = 0;

    cmd->verb = SMTP_VERB_NONE;
    cmd->argc = 0;
    cmd->rest = "";
    cmd->bare_lf = 0;
    cmd->truncated = truncated;
    buf_reset(&cmd->reply);
    if (len > 0 && line[len - 1] == '\n') {
        len--;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        else
            cmd->bare_lf = 1;
    }
    buf_set_mem(&cmd->text, line, len);
    buf_reset(&cmd->words);
    if (opts->smtputf8_enable ? !smtp_utf8_valid(line, len) : memchr(line, 0, len) != NULL) {
        buf_reset(&cmd->text);
        if (opts->smtputf8_enable) {
            buf_set(&cmd->reply, "500 5.5.2 Error: bad UTF-8 syntax");
            return SMTP_CMD_BAD_UTF8;
        }
        buf_set(&cmd->reply, "500 5.5.2 Error: bad syntax");
        return SMTP_CMD_BAD_NUL;
    }
    while (len > 0 && smtp_cmd_is_blank(line[len - 1]))
        len--;
    buf_truncate(&cmd->text, len);
    while (start < len && smtp_cmd_is_blank(line[start]))
        start++;
    if (start == len) {
        buf_set(&cmd->reply, "500 5.5.2 Error: bad syntax");
        return SMTP_CMD_EMPTY;
    }
    buf_set_mem(&cmd->words, line + start, len - start);
    smtp_cmd_split(cmd);
    {
        const char *t = buf_str(&cmd->text) + start;

        while (*t && !smtp_cmd_is_blank(*t))
            t++;
        while (*t && smtp_cmd_is_blank(*t))
            t++;
        cmd->rest = t;
    }
    for (size_t i = 0; i < SMTP_CMD_NVERBS; i++) {
        if (strcasecmp(cmd->argv[0], smtp_cmd_verbs[i].name) == 0) {
            if (smtp_cmd_verbs[i].verb == SMTP_VERB_HELP && !opts->help_enable)
                break;
            cmd->verb = smtp_cmd_verbs[i].verb;
            return SMTP_CMD_OK;
        }
    }
    buf_set(&cmd->reply, "500 5.5.2 Error: command not recognized");
    return SMTP_CMD_UNKNOWN;
}

int smtp_cmd_check_args(const struct smtp_cmd *cmd, struct buf *reply)
{
    const char *text = NULL;

    switch (cmd->verb) {
    case SMTP_VERB_EHLO:
        if (cmd->argc < 2)
            text = "501 Syntax: EHLO hostname";
        break;
    case SMTP_VERB_HELO:
        if (cmd->argc < 2)
            text = "501 Syntax: HELO hostname";
        break;
    case SMTP_VERB_DATA:
        if (cmd->argc != 1)
            text = "501 5.5.4 Syntax: DATA";
        break;
    case SMTP_VERB_RSET:
        if (cmd->argc != 1)
            text = "501 5.5.4 Syntax: RSET";
        break;
    case SMTP_VERB_VRFY:
        if (cmd->argc < 2 || (cmd->argc == 3 && strcasecmp(cmd->argv[2], "SMTPUTF8") != 0) ||
            cmd->argc > 3)
            text = "501 5.5.4 Syntax: VRFY address [SMTPUTF8]";
        break;
    case SMTP_VERB_ETRN:
        if (cmd->argc < 2)
            text = "500 Syntax: ETRN domain";
        break;
    case SMTP_VERB_STARTTLS:
        if (cmd->argc != 1)
            text = "501 5.5.4 Syntax: STARTTLS";
        break;
    case SMTP_VERB_AUTH:
        if (cmd->argc < 2 || cmd->argc > 3)
            text = "501 5.5.4 Syntax: AUTH mechanism";
        break;
    case SMTP_VERB_XCLIENT:
        if (cmd->argc < 2)
            text = "501 5.5.4 Syntax: XCLIENT attribute=value...";
        break;
    case SMTP_VERB_XFORWARD:
        if (cmd->argc < 2)
            text = "501 5.5.4 Syntax: XFORWARD attribute=value...";
        break;
    case SMTP_VERB_MAIL:
    case SMTP_VERB_RCPT:
    case SMTP_VERB_BDAT:
        text = "451 4.3.0 Error: internal parser misuse"; /* smtp_cmd_path / smtp_cmd_bdat */
        break;
    default: /* NOOP, QUIT, HELP: any arguments */
        break;
    }
    if (text == NULL)
        return 0;
    buf_set(reply, text);
    return -1;
}

int smtp_cmd_path(const struct smtp_cmd *cmd, const char **path, size_t *path_len,
                  size_t *first_param, struct buf *reply)
{
    const char *key = cmd->verb == SMTP_VERB_MAIL ? "FROM:" : "TO:";
    size_t klen = strlen(key);
    const char *word;

    if ((cmd->verb != SMTP_VERB_MAIL && cmd->verb != SMTP_VERB_RCPT) || cmd->argc < 2 ||
        strncasecmp(cmd->argv[1], key, klen) != 0)
        goto syntax;
    if (cmd->argv[1][klen] != 0) {
        word = cmd->argv[1] + klen;
        *first_param = 2;
    } else {
        /* "MAIL FROM: <addr>": Postfix takes the next word. */
        if (cmd->argc < 3)
            goto syntax;
        word = cmd->argv[2];
        *first_param = 3;
    }
    *path = word;
    *path_len = strlen(word);
    return 0;

syntax:
    buf_set(reply, cmd->verb == SMTP_VERB_RCPT ? "501 5.5.4 Syntax: RCPT TO:<address>"
                                               : "501 5.5.4 Syntax: MAIL FROM:<address>");
    return -1;
}

int smtp_cmd_bdat(const struct smtp_cmd *cmd, uint64_t *count, int *last, struct buf *reply)
{
    uint64_t n = 0;
    const char *s;

    if (cmd->verb != SMTP_VERB_BDAT || cmd->argc < 2 || cmd->argc > 3 || cmd->argv[1][0] == 0)
        goto syntax;
    if (cmd->argc == 3 && strcasecmp(cmd->argv[2], "LAST") != 0)
        goto syntax;
    for (s = cmd->argv[1]; *s; s++) {
        if (*s < '0' || *s > '9' || n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            goto syntax;
        n = n * 10 + (uint64_t)(*s - '0');
    }
    *count = n;
    *last = cmd->argc == 3;
    return 0;

syntax:
    buf_set(reply, "521 5.5.4 Syntax: BDAT count [LAST]");
    return -1;
}
