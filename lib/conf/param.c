/*
 * param.c - the parameter tables and C globals generated from params.def.
 *
 * params.def is sorted by name, so lookups are a binary search; a unit test
 * checks the order so that a misplaced new entry fails loudly.
 */
#include <string.h>

#include "config.h"
#include "conf/param.h"

#ifndef POSTERN_RELEASE_DATE
#define POSTERN_RELEASE_DATE "20261122"
#endif

/* The globals themselves. */
#define PARAM_STR(n, d, doc) char *var_##n;
#define PARAM_RAW(n, d, doc) char *var_##n;
#define PARAM_INT(n, d, lo, hi, doc) int var_##n;
#define PARAM_LONG(n, d, lo, hi, doc) long var_##n;
#define PARAM_BOOL(n, d, doc) int var_##n;
#define PARAM_TIME(n, d, lo, hi, doc) long var_##n;
#define PARAM_DYN(n, doc) char *var_##n;
#define TRANSPORT_PARAM_INT(n, d, lo, hi, doc)
#define TRANSPORT_PARAM_TIME(n, d, lo, hi, doc)
#define TRANSPORT_PARAM_STR(n, d, doc)
#include "conf/params.def"
#undef PARAM_STR
#undef PARAM_RAW
#undef PARAM_INT
#undef PARAM_LONG
#undef PARAM_BOOL
#undef PARAM_TIME
#undef PARAM_DYN
#undef TRANSPORT_PARAM_INT
#undef TRANSPORT_PARAM_TIME
#undef TRANSPORT_PARAM_STR

/* The main table. */
#define PARAM_STR(n, d, doc) {#n, PARAM_T_STR, d, 0, 0, doc},
#define PARAM_RAW(n, d, doc) {#n, PARAM_T_RAW, d, 0, 0, doc},
#define PARAM_INT(n, d, lo, hi, doc) {#n, PARAM_T_INT, d, lo, hi, doc},
#define PARAM_LONG(n, d, lo, hi, doc) {#n, PARAM_T_LONG, d, lo, hi, doc},
#define PARAM_BOOL(n, d, doc) {#n, PARAM_T_BOOL, d, 0, 0, doc},
#define PARAM_TIME(n, d, lo, hi, doc) {#n, PARAM_T_TIME, d, lo, hi, doc},
#define PARAM_DYN(n, doc) {#n, PARAM_T_DYN, NULL, 0, 0, doc},
#define TRANSPORT_PARAM_INT(n, d, lo, hi, doc)
#define TRANSPORT_PARAM_TIME(n, d, lo, hi, doc)
#define TRANSPORT_PARAM_STR(n, d, doc)
const struct param_def param_table[] = {
#include "conf/params.def"
};
#undef PARAM_STR
#undef PARAM_RAW
#undef PARAM_INT
#undef PARAM_LONG
#undef PARAM_BOOL
#undef PARAM_TIME
#undef PARAM_DYN
#undef TRANSPORT_PARAM_INT
#undef TRANSPORT_PARAM_TIME
#undef TRANSPORT_PARAM_STR
const size_t param_table_count = sizeof(param_table) / sizeof(param_table[0]);

/* The per-transport templates. */
#define PARAM_STR(n, d, doc)
#define PARAM_RAW(n, d, doc)
#define PARAM_INT(n, d, lo, hi, doc)
#define PARAM_LONG(n, d, lo, hi, doc)
#define PARAM_BOOL(n, d, doc)
#define PARAM_TIME(n, d, lo, hi, doc)
#define PARAM_DYN(n, doc)
#define TRANSPORT_PARAM_INT(n, d, lo, hi, doc) {#n, PARAM_T_INT, d, lo, hi, doc},
#define TRANSPORT_PARAM_TIME(n, d, lo, hi, doc) {#n, PARAM_T_TIME, d, lo, hi, doc},
#define TRANSPORT_PARAM_STR(n, d, doc) {#n, PARAM_T_STR, d, 0, 0, doc},
const struct param_def param_transport_table[] = {
#include "conf/params.def"
};
#undef PARAM_STR
#undef PARAM_RAW
#undef PARAM_INT
#undef PARAM_LONG
#undef PARAM_BOOL
#undef PARAM_TIME
#undef PARAM_DYN
#undef TRANSPORT_PARAM_INT
#undef TRANSPORT_PARAM_TIME
#undef TRANSPORT_PARAM_STR
const size_t param_transport_count =
    sizeof(param_transport_table) / sizeof(param_transport_table[0]);

int param_is_delivery_command(const char *command)
{
    static const char *const commands[] = {"smtp", "lmtp", "local", "virtual", "error", "pipe"};
    size_t i;

    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(command, commands[i]) == 0)
            return 1;
    return 0;
}

const struct param_def *param_find(const char *name)
{
    size_t lo = 0;
    size_t hi = param_table_count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(name, param_table[mid].name);

        if (cmp == 0)
            return &param_table[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct param_def *param_find_transport(const char *name, size_t *service_len)
{
    size_t len = strlen(name);
    size_t i;

    for (i = 0; i < param_transport_count; i++) {
        size_t slen = strlen(param_transport_table[i].name);

        if (len > slen + 1 && name[len - slen - 1] == '_'
            && strcmp(name + len - slen, param_transport_table[i].name) == 0) {
            *service_len = len - slen - 1;
            return &param_transport_table[i];
        }
    }
    return NULL;
}

int param_time_unit(const struct param_def *def)
{
    size_t len;

    if (def->defval == NULL || (len = strlen(def->defval)) == 0)
        return 's';
    return (unsigned char)def->defval[len - 1];
}

const char *param_type_name(enum param_type type)
{
    switch (type) {
    case PARAM_T_STR:
    case PARAM_T_RAW:
    case PARAM_T_DYN:
        return "string";
    case PARAM_T_INT:
    case PARAM_T_LONG:
        return "number";
    case PARAM_T_BOOL:
        return "boolean";
    case PARAM_T_TIME:
        return "time";
    }
    return "unknown";
}
