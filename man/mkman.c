/*
 * mkman.c - generates the main.cf(5) man page from lib/conf/params.def.
 *
 * Run at build time ("make" writes man/main.cf.5); the page lists every
 * parameter with its type, default and one-line description, so it can
 * never disagree with what postconf -d prints. It reads nothing at run time.
 */
#include <stdio.h>

#include "config.h"
#include "conf/param.h"

/* Prints text with roff's special characters escaped. */
static void mkman_text(const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", stdout);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", stdout);
        else if (*s == '-')
            fputs("\\-", stdout);
        else
            putchar(*s);
    }
}

static void mkman_param(const struct param_def *def, const char *prefix)
{
    printf(".TP\n.B %s", prefix);
    mkman_text(def->name);
    printf(" \\fR(%s", param_type_name(def->type));
    if (def->min)
        printf(", at least %ld", def->min);
    if (def->max)
        printf(", at most %ld", def->max);
    printf(")\n");
    mkman_text(def->doc);
    printf("\n.br\nDefault: ");
    if (def->defval == NULL)
        printf("computed at run time");
    else if (*def->defval == '\0')
        printf("empty");
    else {
        printf("\\fI");
        mkman_text(def->defval);
        printf("\\fR");
    }
    printf(".\n");
}

int main(void)
{
    size_t i;

    printf(".TH MAIN.CF 5 \"\" \"%s %s\" \"File Formats\"\n", PACKAGE_NAME, PACKAGE_VERSION);
    printf(".SH NAME\nmain.cf \\- postern main configuration file\n");
    printf(".SH DESCRIPTION\nEach line \\fIname = value\\fR sets a parameter; a line that starts "
           "with white space continues the previous one; lines starting with # are comments. "
           "\\fB$name\\fR and \\fB${name}\\fR refer to other parameters and are expanded when "
           "a program reads the value. The file has the same syntax and parameter names as "
           "Postfix's main.cf; \\fBpostconf -d\\fR prints every default, \\fBpostconf -n\\fR "
           "the settings of a file.\n");
    printf(".SH PARAMETERS\n");
    for (i = 0; i < param_table_count; i++)
        mkman_param(&param_table[i], "");
    printf(".SH PER-TRANSPORT PARAMETERS\nFor each master.cf service that runs a delivery "
           "agent (smtp, lmtp, local, virtual, error, pipe), postern also knows these "
           "parameters, prefixed with the service name and an underscore:\n");
    for (i = 0; i < param_transport_count; i++)
        mkman_param(&param_transport_table[i], "\\fItransport\\fB_");
    printf(".SH SEE ALSO\npostconf(1), master.cf(5)\n");
    return 0;
}
