/*
 * dict_cidr.h - building cidr: tables from memory (tests, fuzzing).
 *
 * dict_open("cidr:FILE") is the normal way in; these let a caller feed source
 * text that is not in a file.
 */
#ifndef POSTERN_DICT_DICT_CIDR_H
#define POSTERN_DICT_DICT_CIDR_H

#include <stdio.h>

#include "dict/dict.h"

struct dict *dict_cidr_new(const char *name, int flags);
/* Parses rules from fp, or from data/len when fp is NULL; warns per bad rule. */
void dict_cidr_load(struct dict *d, const char *data, size_t len, FILE *fp);

#endif
