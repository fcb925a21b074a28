/*
 * str.c - small string helpers (see str.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"

char *str_token(char **cursor, const char *delims)
{
    char *start = *cursor;
    char *end;

    if (start == NULL)
        return NULL;
    start += strspn(start, delims);
    if (*start == '\0') {
        *cursor = start;
        return NULL;
    }
    end = start + strcspn(start, delims);
    if (*end != '\0')
        *end++ = '\0';
    *cursor = end;
    return start;
}

char *str_token_braced(char **cursor, const char *delims, const char **err)
{
    char *start = *cursor;
    char *p;
    int depth = 0;

    *err = NULL;
    if (start == NULL)
        return NULL;
    start += strspn(start, delims);
    if (*start == '\0') {
        *cursor = start;
        return NULL;
    }
    if (*start != '{')
        return str_token(cursor, delims);
    for (p = start; *p; p++) {
        if (*p == '{')
            depth++;
        else if (*p == '}' && --depth == 0)
            break;
    }
    if (*p != '}') {
        *err = "missing '}'";
        *cursor = p;
        return NULL;
    }
    *p++ = '\0';
    if (*p != '\0' && strchr(delims, *p) == NULL) {
        *err = "garbage after '}'";
        *cursor = p;
        return NULL;
    }
    *cursor = p;
    return str_trim(start + 1);
}

/* str_token_list() and str_token_list_checked(): *open says whether a '{'
 * was left unclosed at the end of the token. */
static char *str_token_list_scan(char **cursor, int *open)
{
    char *start;
    char *p;
    int depth = 0;

    *open = 0;
    if (*cursor == NULL)
        return NULL;
    start = *cursor + strspn(*cursor, STR_LIST_SEP);
    if (*start == '\0') {
        *cursor = start;
        return NULL;
    }
    for (p = start; *p; p++) {
        if (*p == '{')
            depth++;
        else if (*p == '}' && depth > 0)
            depth--;
        else if (depth == 0 && strchr(STR_LIST_SEP, *p) != NULL)
            break;
    }
    *open = depth > 0;
    if (*p != '\0')
        *p++ = '\0';
    *cursor = p;
    return start;
}

char *str_token_list(char **cursor)
{
    int open;

    return str_token_list_scan(cursor, &open);
}

char *str_token_list_checked(char **cursor, const char **err)
{
    int open;
    char *token = str_token_list_scan(cursor, &open);

    *err = NULL;
    if (token != NULL && open) {
        *err = "missing '}'";
        return NULL;
    }
    return token;
}

char *str_trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

char *str_lower(char *s)
{
    char *p;

    for (p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return s;
}

int str_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_casecmp_prefix(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int str_to_long(const char *s, long *out)
{
    char *end;
    long v;

    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int str_to_bool(const char *s, int *out)
{
    if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0) {
        *out = 1;
        return 0;
    }
    if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

int str_to_time(const char *s, int unit, long *out)
{
    char *end;
    long v;
    long mult;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0)
        return -1;
    if (*end != '\0') {
        if (end[1] != '\0')
            return -1;
        unit = (unsigned char)*end;
    }
    switch (unit) {
    case 's':
        mult = 1;
        break;
    case 'm':
        mult = 60;
        break;
    case 'h':
        mult = 3600;
        break;
    case 'd':
        mult = 86400;
        break;
    case 'w':
        mult = 604800;
        break;
    default:
        return -1;
    }
    if (v > LONG_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

const char *str_printable(struct buf *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;

    buf_reserve(out, len);
    for (i = 0; i < len; i++)
        buf_append_char(out, (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?');
    return buf_str(out);
}
