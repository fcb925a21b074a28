/*
 * defaults.h - parameter defaults computed at run time (PARAM_DYN entries):
 * myhostname, mydomain, mynetworks, process_id, process_name.
 *
 * They depend on the machine (host name, interfaces) and on other parameters
 * (mydomain on myhostname, mynetworks on mynetworks_style, inet_interfaces
 * and inet_protocols), which they read through conf_get(). They never fail:
 * a machine without a resolvable name still gets "localhost.localdomain".
 */
#ifndef POSTERN_CONF_DEFAULTS_H
#define POSTERN_CONF_DEFAULTS_H

#include "util/buf.h"

/* Appends the computed default of name to out; returns -1 if name is not a
 * computed parameter. */
int defaults_compute(const char *name, struct buf *out);

/* mynetworks for a style ("host", "subnet", "class") over the given
 * interface addresses (inet_interfaces, "all" = every interface) and
 * protocols ("all", "ipv4", "ipv6"). Exposed for tests. */
void defaults_mynetworks(const char *style, const char *interfaces, const char *protocols,
                         struct buf *out);

#endif
