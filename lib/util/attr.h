/*
 * attr.h - the attribute codec of every internal request (DESIGN.md section 3).
 *
 * A pure codec over memory: the encoder appends to a struct buf, the decoder
 * reads a byte range and answers OK / NEED_MORE / BAD. Streams, sockets and
 * timeouts belong to the caller. Used by every daemon and command that talks
 * to another postern process (cleanup, qmgr, delivery agents, bounce, showq,
 * anvil). The decoder is fail-closed: anything not exactly as described below
 * is ATTR_BAD, never guessed at; it checks every length against the limits
 * before it allocates, and never reads outside [data, data + len).
 *
 * WIRE FORMAT (version 1). A message is a sequence of items ending with an
 * end marker. Every item starts with one type byte (an ASCII character, so a
 * hex dump is readable). Integers are unsigned big-endian (network order);
 * signed 64-bit values are two's complement. "name" is a length-prefixed name:
 *
 *   name   := len:u8  bytes[len]      1 <= len <= max_name_len (<= 255);
 *                                     bytes in [A-Za-z0-9_.-] only (no NUL)
 *   'P' fmt:u8 name proto:u32         protocol announcement: fmt is the wire
 *                                     format version (1), name the protocol
 *                                     (e.g. "cleanup"), proto its version;
 *                                     allowed only as the first item
 *   'I' name value:u32                unsigned 32-bit integer   ("int")
 *   'L' name value:s64                signed 64-bit integer     ("long")
 *   'U' name value:u64                unsigned 64-bit integer   ("ulong")
 *   'S' name len:u32 bytes[len]       string: arbitrary bytes (NUL and 0xff
 *                                     included), len <= max_str_len
 *   '[' name                          list begin: a named list of entries
 *   '{'                               entry begin (only inside a list); the
 *                                     entry holds the scalar items (I L U S)
 *                                     up to the next '{' or ']'
 *   ']'                               list end
 *   '.'                               end of message
 *
 *   message := ['P' ...] item* '.'        item := I | L | U | S | list
 *   list    := '[' name ('{' (I|L|U|S)*)* ']'
 *
 * Lists nest one level only: a list entry is a flat group of scalars (e.g. a
 * recipient: address, orig_rcpt, offset, dsn_notify). A list may have zero
 * entries and an entry zero items. Names are unique within their group (the
 * top level, or one entry); a list name shares its group's namespace.
 *
 * Rejected (ATTR_BAD, with a reason naming the byte offset): an unknown type
 * byte; an empty name, a name longer than max_name_len or with a byte outside
 * the name alphabet (NUL included); a string longer than max_str_len (checked
 * on the length field, before the bytes arrive); more than max_attrs items
 * (every scalar, list and list entry counts one); a message that needs more
 * than max_msg_size bytes (checked as soon as a length field says so); 'P'
 * anywhere but first, or with a format version other than 1; '{' or ']'
 * outside a list; a scalar in a list before its first '{'; '[' inside a list;
 * '.' inside a list (missing ']'); a duplicate name in one group. Bytes after
 * the '.' are the next message for attr_decode(), and an error for
 * attr_decode_exact(). The encoding is canonical: re-encoding a decoded
 * message gives the same bytes.
 *
 * The server sends a message starting with 'P' first; the client checks it
 * with attr_check_announce(). Protocols grow by adding attributes, which old
 * receivers ignore; an incompatible change bumps the protocol version, and a
 * change of this byte layout bumps the format version.
 */
#ifndef POSTERN_UTIL_ATTR_H
#define POSTERN_UTIL_ATTR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define ATTR_FORMAT_VERSION 1
#define ATTR_NAME_MAX_WIRE  255 /* the u8 length field */

/* Type bytes on the wire. */
#define ATTR_T_ANNOUNCE   'P'
#define ATTR_T_INT        'I'
#define ATTR_T_LONG       'L'
#define ATTR_T_ULONG      'U'
#define ATTR_T_STR        'S'
#define ATTR_T_LIST_BEGIN '['
#define ATTR_T_ENTRY      '{'
#define ATTR_T_LIST_END   ']'
#define ATTR_T_END        '.'

/* Defaults of struct attr_limits; a protocol with other needs sets its own. */
#define ATTR_DEFAULT_MAX_NAME_LEN 64
#define ATTR_DEFAULT_MAX_STR_LEN  ((size_t)1024 * 1024)
#define ATTR_DEFAULT_MAX_ATTRS    10000
#define ATTR_DEFAULT_MAX_MSG_SIZE ((size_t)4 * 1024 * 1024)

/*
 * What a receiver accepts. A decoded message holds at most max_msg_size bytes
 * of copies plus max_attrs small structs, so these bound its memory.
 */
struct attr_limits {
    size_t max_name_len; /* 1..255 */
    size_t max_str_len;  /* <= UINT32_MAX */
    size_t max_attrs;    /* >= 1 */
    size_t max_msg_size; /* >= 1, bytes from the first item to '.' inclusive */
};

enum attr_status {
    ATTR_BAD = -1,      /* malformed: end the conversation; err says why */
    ATTR_OK = 0,        /* one whole message decoded */
    ATTR_NEED_MORE = 1, /* a valid prefix: read more bytes and call again */
};

enum attr_find {
    ATTR_FOUND = 0,
    ATTR_MISSING,    /* no attribute of that name in the group */
    ATTR_WRONG_TYPE, /* present with another type (or, for a C string, holds NUL) */
};

enum attr_type { ATTR_INT, ATTR_LONG, ATTR_ULONG, ATTR_STR, ATTR_LIST };

struct attr_group;

struct attr_list {
    const struct attr_group *entries;
    size_t count;
};

struct attr_value {
    enum attr_type type;
    const char *name; /* NUL-terminated (names never hold NUL) */
    size_t name_len;
    size_t offset; /* of the type byte in the message, for diagnostics */
    union {
        uint32_t u32;
        int64_t i64;
        uint64_t u64;
        struct {
            const char *data; /* followed by a NUL not counted in len */
            size_t len;
        } str;
        struct attr_list list;
    } v;
};

/* The top level of a message, or one list entry. */
struct attr_group {
    const struct attr_value *items;         /* wire order */
    const struct attr_value *const *sorted; /* by name, for lookup */
    size_t count;
};

/* A decoded message; it owns all the memory its values point into. */
struct attr_msg {
    struct attr_limits limits;
    const char *proto; /* announced protocol name, or NULL */
    uint32_t proto_version;
    struct attr_group top;
    size_t size; /* wire bytes of the message */
    /* Storage, private to attr.c. */
    struct attr_value *values_;
    struct attr_group *groups_;
    const struct attr_value **index_;
    char *arena_;
};

/* Limits. attr_limits_init() fills in the defaults. */
void attr_limits_init(struct attr_limits *lim);

/* Message lifecycle: init once (lim NULL means defaults; an impossible limit
 * is a programming error and panics), decode any number of times into it,
 * free at the end (the message may then be decoded into again). */
void attr_msg_init(struct attr_msg *m, const struct attr_limits *lim);
void attr_msg_free(struct attr_msg *m);

static inline const struct attr_group *attr_msg_top(const struct attr_msg *m)
{
    return &m->top;
}

/*
 * Encoder: each call appends one item to b. Names are program constants: a
 * name outside the alphabet, empty or longer than 255 bytes panics, as does
 * a string longer than UINT32_MAX. The encoder keeps no state, so the item
 * order rules above are the caller's job (the receiver rejects violations).
 */
void attr_put_announce(struct buf *b, const char *proto, uint32_t version);
void attr_put_int(struct buf *b, const char *name, uint32_t v);
void attr_put_long(struct buf *b, const char *name, int64_t v);
void attr_put_ulong(struct buf *b, const char *name, uint64_t v);
void attr_put_str(struct buf *b, const char *name, const void *data, size_t len);
void attr_put_cstr(struct buf *b, const char *name, const char *s);
void attr_list_begin(struct buf *b, const char *name);
void attr_list_entry(struct buf *b);
void attr_list_end(struct buf *b);
void attr_put_end(struct buf *b);
/* Appends a decoded message in full (announcement, items, end marker). */
void attr_put_msg(struct buf *b, const struct attr_msg *m);

/*
 * Decoder. data/len is what the caller has read so far; it may hold more
 * than one message. Returns:
 *   ATTR_OK:        out holds the first message, *consumed its byte count;
 *   ATTR_NEED_MORE: data is a valid prefix; *consumed is the least total
 *                   length (> len) the next attempt needs, so a caller can
 *                   read at least that much before calling again;
 *   ATTR_BAD:       malformed; err (if not NULL) says why, *consumed is the
 *                   offset where the problem was found.
 * out must have been initialised with attr_msg_init(), whose limits apply;
 * its previous contents are freed, and it is empty unless ATTR_OK. A call
 * re-reads the prefix, but skips string bytes without looking at them, so
 * its cost is O(items so far), not O(bytes).
 */
enum attr_status attr_decode(const void *data, size_t len, size_t *consumed, struct attr_msg *out,
                             struct buf *err);
/* Like attr_decode() for input that must be exactly one message: a
 * truncated message or trailing bytes are ATTR_BAD. Never ATTR_NEED_MORE. */
enum attr_status attr_decode_exact(const void *data, size_t len, struct attr_msg *out,
                                   struct buf *err);

/*
 * Checks a decoded message's announcement: protocol name proto, version in
 * min_version..max_version. ATTR_OK, or ATTR_BAD with a reason in err.
 */
enum attr_status attr_check_announce(const struct attr_msg *m, const char *proto,
                                     uint32_t min_version, uint32_t max_version, struct buf *err);

/*
 * Lookup in a group (attr_msg_top(m), or a list entry). Attributes not asked
 * for are ignored; out parameters are written only on ATTR_FOUND.
 * attr_get_cstr() answers ATTR_WRONG_TYPE for a string holding a NUL byte.
 */
const struct attr_value *attr_find(const struct attr_group *g, const char *name);
enum attr_find attr_get_int(const struct attr_group *g, const char *name, uint32_t *v);
enum attr_find attr_get_long(const struct attr_group *g, const char *name, int64_t *v);
enum attr_find attr_get_ulong(const struct attr_group *g, const char *name, uint64_t *v);
enum attr_find attr_get_str(const struct attr_group *g, const char *name, const char **data,
                            size_t *len);
enum attr_find attr_get_cstr(const struct attr_group *g, const char *name, const char **s);
enum attr_find attr_get_list(const struct attr_group *g, const char *name,
                             const struct attr_list **list);
/* Entry i of a list, 0 <= i < list->count (out of range panics). */
const struct attr_group *attr_list_at(const struct attr_list *list, size_t i);

/* "found", "missing" or "wrong type", for the caller's error messages. */
const char *attr_find_str(enum attr_find f);
/* "int", "long", "ulong", "str" or "list". */
const char *attr_type_str(enum attr_type t);

/*
 * Appends a stable text form of m to out, one item per line, for logs and
 * golden tests:
 *   announce NAME VERSION
 *   int NAME 42 | long NAME -5 | ulong NAME 7
 *   str NAME "text"      (\\ \" and \xHH for bytes outside 0x20..0x7e)
 *   list NAME COUNT      then "  entry I" per entry, its items indented 4
 *   end
 */
void attr_dump(const struct attr_msg *m, struct buf *out);

#endif
