/*
 * param.h - the table of every main.cf parameter, generated from params.def.
 *
 * params.def is the only place a parameter is declared. From it this module
 * builds: the sorted definition table (postconf -d, the man page, checks),
 * the per-transport templates (<service>_destination_concurrency_limit ...),
 * and one C global per parameter (var_<name>) that conf_apply_globals() fills
 * after main.cf is read. Nothing here reads files.
 */
#ifndef POSTERN_CONF_PARAM_H
#define POSTERN_CONF_PARAM_H

#include <stddef.h>

enum param_type {
    PARAM_T_STR,  /* string, $-expanded when read */
    PARAM_T_RAW,  /* string, expanded by its user at use time */
    PARAM_T_INT,  /* int with bounds */
    PARAM_T_LONG, /* long with bounds */
    PARAM_T_BOOL, /* yes / no */
    PARAM_T_TIME, /* seconds; unit letter of the default is the unit of a bare number */
    PARAM_T_DYN,  /* string whose default is computed at run time */
};

struct param_def {
    const char *name;
    enum param_type type;
    const char *defval; /* NULL for PARAM_T_DYN */
    long min;
    long max; /* 0: no upper bound */
    const char *doc;
};

extern const struct param_def param_table[];
extern const size_t param_table_count;

/* Per-transport templates: name is the suffix after "<service>_". */
extern const struct param_def param_transport_table[];
extern const size_t param_transport_count;

/* Commands in master.cf whose services get the per-transport parameters. */
int param_is_delivery_command(const char *command);

const struct param_def *param_find(const char *name);
/* Finds a per-transport template whose suffix ends name; *service_len gets
 * the length of the service prefix (without the '_'). */
const struct param_def *param_find_transport(const char *name, size_t *service_len);
int param_time_unit(const struct param_def *def);
const char *param_type_name(enum param_type type);

/* The C globals: var_<name>. */
#define PARAM_STR(n, d, doc) extern char *var_##n;
#define PARAM_RAW(n, d, doc) extern char *var_##n;
#define PARAM_INT(n, d, lo, hi, doc) extern int var_##n;
#define PARAM_LONG(n, d, lo, hi, doc) extern long var_##n;
#define PARAM_BOOL(n, d, doc) extern int var_##n;
#define PARAM_TIME(n, d, lo, hi, doc) extern long var_##n;
#define PARAM_DYN(n, doc) extern char *var_##n;
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

#endif
