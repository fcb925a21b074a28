/*
 * net_list.h - client match lists in Postfix's network-list syntax, for
 * smtpd_client_event_limit_exceptions (default $mynetworks) and any other
 * "is this client one of these" parameter.
 *
 * Entries are separated by white space or commas; the first entry that
 * matches decides, and a leading '!' inverts that entry's verdict:
 *   192.0.2.1  [192.0.2.1]  2001:db8::1  [2001:db8::1]     one address
 *   192.0.2.0/24  [2001:db8::]/32  2001:db8::/32         a network (host
 *                                        bits must be zero, as in Postfix)
 *   /file/name        the entries of that file (one or more a line, # comments)
 *   type:table        the client address, then its name, is looked up: found
 *                     means match
 *   host.example  .example.com   the client name: exact, or (leading dot)
 *                     any subdomain; case does not matter
 * Parsing checks every entry and fails (never guesses) on a bad address or
 * mask, an unreadable file or a table that cannot be opened. Used by smtpd
 * through anvil_policy.h; never resolves names itself.
 */
#ifndef POSTERN_MAIL_NET_LIST_H
#define POSTERN_MAIL_NET_LIST_H

#include "util/buf.h"

struct net_list;

/* NULL with a reason naming the entry in err. */
struct net_list *net_list_parse(const char *text, struct buf *err);
void net_list_free(struct net_list *list);

/*
 * addr: the numeric client address (IPv4 dotted quad or IPv6, no brackets);
 * name: the verified client name, or NULL/"unknown". Returns 1 (in the
 * list), 0 (not), or -1 when a table lookup failed (a temporary error).
 */
int net_list_match(const struct net_list *list, const char *addr, const char *name);

#endif
