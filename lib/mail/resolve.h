/*
 * resolve.h - THE routing function (DESIGN.md section 3): a recipient
 * address becomes (transport, nexthop, address, class).
 *
 * Called by qmgr for every recipient it delivers, and later by smtpd
 * (reject_unauth_destination, recipient validation) and cleanup (virtual
 * alias decisions): no daemon re-implements routing. It is a pure function
 * of its configuration plus a small cache of recent answers; it never
 * writes files, never talks to a daemon and never calls msg_fatal on a
 * lookup failure (a table error is a temporary error for the caller).
 *
 * Order (Postfix's): the address is completed first (a bare local part
 * gets @$myorigin when append_at_myorigin = yes; user@host without a dot
 * gets .$mydomain when append_dot_mydomain = yes). Then the domain's class:
 *   local   mydestination, or an address literal [a.b.c.d] / [ipv6:...] of
 *           inet_interfaces ("all": every interface) or proxy_interfaces
 *           -> local_transport, nexthop from it or $myhostname
 *   alias   virtual_alias_domains -> error:5.1.1 User unknown in virtual
 *           alias table (cleanup expands the aliases that do exist first)
 *   virtual virtual_mailbox_domains -> virtual_transport, nexthop from it or
 *           the recipient domain
 *   relay   relay_domains -> relay_transport, nexthop from it, else relayhost,
 *           else the recipient domain
 *   default anything else -> default_transport, nexthop from it, else
 *           relayhost, else the recipient domain
 * transport_maps then override (keys: the full address, user+ext@domain and
 * user@domain; the domain; its parent domains (".parent", or "parent" when
 * transport_maps is in parent_domain_matches_subdomains); "*"). A value is
 * "transport:nexthop": an empty transport keeps the class's transport; an
 * empty nexthop keeps the class's nexthop when the transport is empty too,
 * else it is the recipient domain ($myhostname for the local class).
 * Domains compare case-insensitively; a trailing dot is ignored.
 *
 * Domain lists (mydestination, relay_domains, ...) use Postfix's list
 * syntax: names separated by blanks or commas, ".domain" for subdomains,
 * "domain" matching its subdomains too when the parameter is listed in
 * parent_domain_matches_subdomains, "!pattern" to exclude, "/file" for
 * patterns read from a file, and "type:name" lookup tables (lib/dict; the
 * domain, then its parents, is the key; any value is a match).
 */
#ifndef POSTERN_MAIL_RESOLVE_H
#define POSTERN_MAIL_RESOLVE_H

#include "util/buf.h"

enum resolve_class {
    RESOLVE_CLASS_LOCAL,
    RESOLVE_CLASS_ALIAS,
    RESOLVE_CLASS_VIRTUAL,
    RESOLVE_CLASS_RELAY,
    RESOLVE_CLASS_DEFAULT,
};

/* Reply flags. */
#define RESOLVE_FLAG_ROUTED 0x1 /* transport_maps chose the route */
#define RESOLVE_FLAG_ERROR  0x2 /* temporary failure (a table): defer, try again */

struct resolve_reply {
    int rclass;           /* enum resolve_class */
    int flags;            /* RESOLVE_FLAG_* */
    struct buf transport; /* master.cf service name */
    struct buf nexthop;   /* what the transport makes of it */
    struct buf address;   /* the completed address (@$myorigin, .$mydomain) */
    struct buf reason;    /* with RESOLVE_FLAG_ERROR: why, for logs */
};

/* The inputs; strings are copied by resolve_new(). NULL means "". */
struct resolve_conf {
    const char *myhostname;
    const char *mydomain;
    const char *myorigin;
    const char *mydestination;
    const char *inet_interfaces;
    const char *proxy_interfaces;
    const char *virtual_alias_domains;
    const char *virtual_mailbox_domains;
    const char *relay_domains;
    const char *local_transport;
    const char *virtual_transport;
    const char *relay_transport;
    const char *default_transport;
    const char *relayhost;
    const char *transport_maps;
    const char *recipient_delimiter; /* for the user+ext@domain key */
    const char *parent_domain_matches_subdomains;
    int append_at_myorigin;
    int append_dot_mydomain;
    size_t cache_size; /* answers kept; 0: no cache */
};

struct resolver;

/* Opens the tables the lists and transport_maps name. Returns NULL with
 * the reason in err (a table that cannot be opened, naming the parameter). */
struct resolver *resolve_new(const struct resolve_conf *conf, struct buf *err);
/* The same from the var_* globals (after conf_apply_globals()). */
struct resolver *resolve_from_conf(struct buf *err);
void resolve_free(struct resolver *r);
/* Drops the cache (after a table changed). */
void resolve_cache_flush(struct resolver *r);

void resolve_reply_init(struct resolve_reply *reply);
void resolve_reply_free(struct resolve_reply *reply);

/*
 * Resolves addr (internal form: unquoted local part, '@', domain; "" is
 * the null address, which resolves as local). Returns 0 with reply set,
 * or -1 with RESOLVE_FLAG_ERROR and reply->reason (a table lookup failed).
 */
int resolve_addr(struct resolver *r, const char *addr, struct resolve_reply *reply);

/* Whether domain is in the named list of r ("mydestination",
 * "virtual_alias_domains", "virtual_mailbox_domains", "relay_domains"):
 * 1 yes, 0 no, -1 table error. For smtpd's relay checks. */
int resolve_domain_in(struct resolver *r, const char *list_name, const char *domain);

/* Whether addr (numeric, no brackets) is one of this machine's addresses
 * as inet_interfaces / proxy_interfaces name them ("all": every interface).
 * For smtpd's permit_inet_interfaces. */
int resolve_addr_is_own(const struct resolver *r, const char *addr);

/* "local", "alias", "virtual", "relay", "default". */
const char *resolve_class_name(int rclass);

#endif
