/*
 * conf.c - one instance's configuration (see conf.h).
 *
 * State is process-global, as every postern program serves one instance.
 * Expanded values are cached by name; conf_reset() (reload) drops the cache
 * with everything else. Errors in values are reported with the main.cf file
 * and line that set them, so an administrator can find the line to fix.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/defaults.h"
#include "conf/expand.h"
#include "conf/mastercf.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

static struct {
    char *config_dir;
    int config_dir_explicit;
    char *main_path;
    struct maincf main;
    int loaded;
    int defaults_only;
    struct htable *overrides;  /* name -> char * */
    struct htable *cache;      /* name -> char * expanded */
    struct htable *defaults;   /* name -> char * computed defaults */
    struct htable *services;   /* delivery service names -> (void *)1 */
    struct htable *undefined;  /* names without a value -> (void *)1 */
} conf;

static void conf_init_tables(void)
{
    if (conf.overrides == NULL) {
        conf.overrides = htable_new(16);
        conf.cache = htable_new(1024);
        conf.defaults = htable_new(16);
        conf.services = htable_new(16);
        conf.undefined = htable_new(16);
    }
}

void conf_set_config_dir(const char *dir)
{
    const char *env = getenv("MAIL_CONFIG");

    mem_free(conf.config_dir);
    if (dir != NULL && *dir != '\0') {
        conf.config_dir = mem_strdup(dir);
        conf.config_dir_explicit = 1;
    } else if (env != NULL && *env != '\0') {
        conf.config_dir = mem_strdup(env);
        conf.config_dir_explicit = 1;
    } else {
        conf.config_dir = mem_strdup(POSTERN_CONFIG_DIR);
        conf.config_dir_explicit = 0;
    }
}

const char *conf_config_dir(void)
{
    if (conf.config_dir == NULL)
        conf_set_config_dir(NULL);
    return conf.config_dir;
}

int conf_config_dir_explicit(void)
{
    (void)conf_config_dir();
    return conf.config_dir_explicit;
}

const char *conf_main_path(void)
{
    return conf.main_path;
}

const struct maincf *conf_maincf(void)
{
    return &conf.main;
}

int conf_load(struct buf *err)
{
    struct buf path = BUF_INIT;
    int ret;

    conf_init_tables();
    if (conf.loaded) {
        maincf_free(&conf.main);
        conf.loaded = 0;
    }
    buf_printf(&path, "%s/main.cf", conf_config_dir());
    mem_free(conf.main_path);
    conf.main_path = buf_steal(&path);
    ret = maincf_load(conf.main_path, &conf.main, err);
    if (ret == 0)
        conf.loaded = 1;
    return ret;
}

void conf_load_or_die(void)
{
    struct buf err = BUF_INIT;

    if (conf_load(&err) < 0)
        msg_fatal("%s", buf_str(&err));
    buf_release(&err);
}

/* Cached values may be referenced by var_<name> globals and by callers that
 * kept a conf_get() result, so a cache that is dropped (an override set
 * after conf_apply_globals(), a new main.cf) is retired, not freed, until
 * conf_reset() starts over. */
static struct htable **conf_retired;
static size_t conf_retired_count;

static void conf_retire(struct htable *table)
{
    conf_retired = mem_realloc_array(conf_retired, conf_retired_count + 1, sizeof(*conf_retired));
    conf_retired[conf_retired_count++] = table;
}

static void conf_clear_cache(void)
{
    conf_retire(conf.cache);
    conf_retire(conf.defaults);
    htable_free(conf.undefined, NULL);
    conf.cache = htable_new(1024);
    conf.defaults = htable_new(16);
    conf.undefined = htable_new(16);
}

static void conf_free_retired(void)
{
    size_t i;

    for (i = 0; i < conf_retired_count; i++)
        htable_free(conf_retired[i], mem_free);
    mem_free(conf_retired);
    conf_retired = NULL;
    conf_retired_count = 0;
}

void conf_reset(void)
{
    conf_init_tables();
    if (conf.loaded)
        maincf_free(&conf.main);
    conf.loaded = 0;
    htable_free(conf.overrides, mem_free);
    htable_free(conf.services, NULL);
    conf.overrides = htable_new(16);
    conf.services = htable_new(16);
    conf_clear_cache();
    conf_free_retired();
}

void conf_set_override(const char *name, const char *value)
{
    conf_init_tables();
    mem_free(htable_put(conf.overrides, name, mem_strdup(value)));
    conf_clear_cache();
}

void conf_set_defaults_only(int on)
{
    conf_init_tables();
    conf.defaults_only = on;
    conf_clear_cache();
}

void conf_register_services(const struct master_cf *mcf)
{
    size_t i;

    conf_init_tables();
    for (i = 0; i < mcf->count; i++) {
        const struct master_entry *e = &mcf->entry[i];

        if (e->command && param_is_delivery_command(e->command))
            htable_put(conf.services, e->field[0], (void *)1);
    }
    /* The cache stays: names that become known had no value before, so
     * nothing cached can change. */
}

int conf_is_transport_service(const char *service)
{
    conf_init_tables();
    return htable_get(conf.services, service) != NULL;
}

const struct param_def *conf_param_def(const char *name)
{
    const struct param_def *def = param_find(name);
    size_t service_len;

    if (def)
        return def;
    def = param_find_transport(name, &service_len);
    if (def) {
        char *service = mem_strndup(name, service_len);
        int ok = conf_is_transport_service(service);

        mem_free(service);
        if (ok)
            return def;
    }
    return NULL;
}

int conf_is_known(const char *name)
{
    return conf_param_def(name) != NULL;
}

const char *conf_default(const char *name)
{
    const struct param_def *def = conf_param_def(name);
    const char *cached;
    struct buf out = BUF_INIT;

    if (def == NULL)
        return NULL;
    if (def->type != PARAM_T_DYN)
        return def->defval;
    conf_init_tables();
    if ((cached = htable_get(conf.defaults, name)) != NULL)
        return cached;
    if (defaults_compute(name, &out) < 0)
        msg_panic("no computed default for %s", name);
    htable_put(conf.defaults, name, buf_steal(&out));
    return htable_get(conf.defaults, name);
}

const char *conf_raw(const char *name)
{
    const struct maincf_entry *e;
    const char *v;

    conf_init_tables();
    if (!conf.defaults_only) {
        if ((v = htable_get(conf.overrides, name)) != NULL)
            return v;
        if (conf.loaded && (e = maincf_find(&conf.main, name)) != NULL)
            return e->value;
        if (strcmp(name, "config_directory") == 0 && conf_config_dir_explicit())
            return conf_config_dir();
    }
    return conf_default(name);
}

int conf_is_set(const char *name)
{
    conf_init_tables();
    if (conf.defaults_only)
        return 0;
    return htable_get(conf.overrides, name) != NULL
           || (conf.loaded && maincf_find(&conf.main, name) != NULL);
}

static const char *conf_lookup_cb(const char *name, void *ctx)
{
    (void)ctx;
    return conf_raw(name);
}

static void conf_undefined_cb(const char *name, void *ctx)
{
    (void)ctx;
    htable_put(conf.undefined, name, (void *)1);
}

static const struct expand_source conf_source = {conf_lookup_cb, conf_undefined_cb, NULL};

int conf_expand(const char *text, struct buf *out, struct buf *err)
{
    conf_init_tables();
    return expand_text(text, &conf_source, out, err);
}

struct htable *conf_undefined_names(void)
{
    conf_init_tables();
    return conf.undefined;
}

/* Where a value came from, for error messages: "PATH, line N: " or "". */
static void conf_origin(const char *name, struct buf *out)
{
    const struct maincf_entry *e;

    if (!conf.defaults_only && htable_get(conf.overrides, name) == NULL && conf.loaded
        && (e = maincf_find(&conf.main, name)) != NULL)
        buf_printf(out, "%s, line %d: ", conf.main_path, e->first_line);
}

const char *conf_get(const char *name)
{
    const char *cached;
    const char *raw;
    struct buf out = BUF_INIT;
    struct buf err = BUF_INIT;

    conf_init_tables();
    if ((cached = htable_get(conf.cache, name)) != NULL)
        return cached;
    raw = conf_raw(name);
    if (raw == NULL)
        return NULL;
    if (conf_expand(raw, &out, &err) < 0) {
        struct buf where = BUF_INIT;

        conf_origin(name, &where);
        msg_fatal("%sparameter %s: %s", buf_str(&where), name, buf_str(&err));
    }
    buf_release(&err);
    htable_put(conf.cache, name, buf_steal(&out));
    return htable_get(conf.cache, name);
}

int conf_check_value(const struct param_def *def, const char *value, struct buf *err)
{
    long v;
    int b;

    switch (def->type) {
    case PARAM_T_INT:
    case PARAM_T_LONG:
        if (str_to_long(value, &v) < 0
            || (def->type == PARAM_T_INT && (v > 2147483647L || v < -2147483647L - 1))) {
            buf_printf(err, "bad numerical configuration: %s = %s", def->name, value);
            return -1;
        }
        break;
    case PARAM_T_TIME:
        if (str_to_time(value, param_time_unit(def), &v) < 0) {
            buf_printf(err, "parameter %s: bad time value or unit: %s", def->name, value);
            return -1;
        }
        break;
    case PARAM_T_BOOL:
        if (str_to_bool(value, &b) < 0) {
            buf_printf(err, "bad boolean configuration: %s = %s", def->name, value);
            return -1;
        }
        return 0;
    default:
        return 0;
    }
    if (v < def->min) {
        buf_printf(err, "invalid %s parameter value %ld < %ld", def->name, v, def->min);
        return -1;
    }
    if (def->max > 0 && v > def->max) {
        buf_printf(err, "invalid %s parameter value %ld > %ld", def->name, v, def->max);
        return -1;
    }
    return 0;
}

static const char *conf_checked(const char *name, enum param_type want)
{
    const struct param_def *def = conf_param_def(name);
    const char *value;
    struct buf err = BUF_INIT;

    if (def == NULL)
        msg_panic("parameter %s is not in params.def", name);
    if (def->type != want && !(want == PARAM_T_LONG && def->type == PARAM_T_INT))
        msg_panic("parameter %s is a %s, not a %s", name, param_type_name(def->type),
                  param_type_name(want));
    value = conf_get(name);
    if (conf_check_value(def, value, &err) < 0)
        msg_fatal("%s", buf_str(&err));
    return value;
}

int conf_get_int(const char *name)
{
    long v = 0;

    (void)str_to_long(conf_checked(name, PARAM_T_INT), &v);
    return (int)v;
}

long conf_get_long(const char *name)
{
    long v = 0;

    (void)str_to_long(conf_checked(name, PARAM_T_LONG), &v);
    return v;
}

int conf_get_bool(const char *name)
{
    int b = 0;

    (void)str_to_bool(conf_checked(name, PARAM_T_BOOL), &b);
    return b;
}

long conf_get_time(const char *name)
{
    const struct param_def *def = conf_param_def(name);
    long v = 0;

    (void)str_to_time(conf_checked(name, PARAM_T_TIME), param_time_unit(def), &v);
    return v;
}

void conf_apply_globals(void)
{
#define PARAM_STR(n, d, doc) var_##n = (char *)conf_get(#n);
#define PARAM_RAW(n, d, doc) var_##n = (char *)conf_raw(#n);
#define PARAM_INT(n, d, lo, hi, doc) var_##n = conf_get_int(#n);
#define PARAM_LONG(n, d, lo, hi, doc) var_##n = conf_get_long(#n);
#define PARAM_BOOL(n, d, doc) var_##n = conf_get_bool(#n);
#define PARAM_TIME(n, d, lo, hi, doc) var_##n = conf_get_time(#n);
#define PARAM_DYN(n, doc) var_##n = (char *)conf_get(#n);
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
}
