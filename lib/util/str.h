/*
 * str.h - small string helpers shared by every part: tokenising Postfix
 * lists, trimming, strict number parsing, printable copies of untrusted text.
 *
 * Parsers here are strict: a number with trailing junk or out of range is an
 * error, never a silent partial value.
 */
#ifndef POSTERN_UTIL_STR_H
#define POSTERN_UTIL_STR_H

#include <stddef.h>

#include "buf.h"

/* Separators of Postfix list-valued parameters. */
#define STR_LIST_SEP " \t\r\n,"

/* Returns the next token of *cursor separated by any of delims, or NULL;
 * modifies the string in place (like strsep, but skips empty tokens). */
char *str_token(char **cursor, const char *delims);
/* Like str_token, but text inside {braces} is kept whole and the outer braces
 * are removed (Postfix's "{ a b }" grouping in lists). */
char *str_token_braced(char **cursor, const char *delims, const char **err);
/* Like str_token over STR_LIST_SEP, but separators inside {braces} do not
 * split: "check_sender_access inline:{ a=OK, b=REJECT }" is two tokens,
 * the braces kept (Postfix's list syntax for type:{...} tables). */
char *str_token_list(char **cursor);
/* The same, but a '{' left open ends the list: NULL with *err set (where a
 * configuration must not be read with a guess). */
char *str_token_list_checked(char **cursor, const char **err);
char *str_trim(char *s);
char *str_lower(char *s);
int str_prefix(const char *s, const char *prefix);
int str_casecmp_prefix(const char *s, const char *prefix);

/* Strict conversions; return 0 on success, -1 on syntax error or overflow. */
int str_to_long(const char *s, long *out);
int str_to_bool(const char *s, int *out);            /* yes/no/true/false, any case */
int str_to_time(const char *s, int unit, long *out); /* "10", "10s", "5m", "2h", "1d", "1w" */

/* Appends data to out with control and non-ASCII bytes replaced by '?'. */
const char *str_printable(struct buf *out, const void *data, size_t len);

#endif
