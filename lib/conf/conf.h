/*
 * conf.h - the configuration of one postern instance, as every program sees it.
 *
 * conf_load() reads DIR/main.cf (DIR from -c, else MAIL_CONFIG, else the
 * compiled-in config_directory). A value is looked up in this order: -o
 * override, main.cf, default from params.def (or computed, for myhostname and
 * friends). Values are expanded lazily and cached; conf_apply_globals() then
 * fills every var_<name> global, checking types and bounds with Postfix's
 * messages ("bad numerical configuration: name = value"). This module must
 * never print anything but through msg_*, and never guess a bad value.
 */
#ifndef POSTERN_CONF_CONF_H
#define POSTERN_CONF_CONF_H

#include "conf/maincf.h"
#include "conf/param.h"
#include "util/buf.h"

struct master_cf;

/* Chooses the instance: dir may be NULL (MAIL_CONFIG or the default). */
void conf_set_config_dir(const char *dir);
const char *conf_config_dir(void);
int conf_config_dir_explicit(void);
/* Reads main.cf; returns -1 with the reason in err (file missing, syntax). */
int conf_load(struct buf *err);
/* conf_load() or msg_fatal(). */
void conf_load_or_die(void);
const char *conf_main_path(void);
const struct maincf *conf_maincf(void);
/* Forgets everything (reload): pointers from earlier conf_get() calls and
 * var_<name> globals become invalid; call conf_apply_globals() again. */
void conf_reset(void);

/* -o name=value for this process. */
void conf_set_override(const char *name, const char *value);
/* Looks only at defaults (postconf -d). */
void conf_set_defaults_only(int on);
/* Registers <service>_<suffix> parameters for delivery services in master.cf. */
void conf_register_services(const struct master_cf *mcf);
int conf_is_transport_service(const char *service);

/* Raw value (override, main.cf, default) or NULL when the name has none. */
const char *conf_raw(const char *name);
/* True when an override or main.cf sets name (never in defaults-only mode). */
int conf_is_set(const char *name);
/* Default of a known parameter (computed ones included), or NULL. */
const char *conf_default(const char *name);
/* Known = in params.def, or a per-transport name of a registered service. */
int conf_is_known(const char *name);
const struct param_def *conf_param_def(const char *name);

/* Expanded value; fatal with file, line and parameter on an expansion error. */
const char *conf_get(const char *name);
/* Expands arbitrary text against the configuration. */
int conf_expand(const char *text, struct buf *out, struct buf *err);
/* Names referenced while expanding that had no value. */
struct htable *conf_undefined_names(void);

/* Typed access with Postfix's checks and messages; fatal on a bad value. */
int conf_get_int(const char *name);
long conf_get_long(const char *name);
int conf_get_bool(const char *name);
long conf_get_time(const char *name);
/* Checks value against def; -1 with Postfix's message in err. */
int conf_check_value(const struct param_def *def, const char *value, struct buf *err);

/* Fills every var_<name> global; fatal on the first bad value. */
void conf_apply_globals(void);

#endif
