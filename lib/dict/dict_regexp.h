/*
 * dict_regexp.h - building regexp:/pcre: tables from memory (tests, fuzzing).
 *
 * dict_open("regexp:FILE") is the normal way in; these two let a caller feed
 * source text that is not in a file. The type is "regexp" or "pcre".
 */
#ifndef POSTERN_DICT_DICT_REGEXP_H
#define POSTERN_DICT_DICT_REGEXP_H

#include <stdio.h>

#include "dict/dict.h"

struct dict *dict_regexp_new(const char *type, const char *name, int flags);
/* Parses rules from fp, or from data/len when fp is NULL; warns per bad rule. */
void dict_regexp_load(struct dict *d, const char *data, size_t len, FILE *fp);

#endif
