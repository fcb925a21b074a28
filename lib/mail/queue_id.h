/*
 * queue_id.h - queue IDs: made from a queue file's inode and arrival time,
 * checked wherever an ID comes from outside (command lines, file names, IPC).
 *
 * Used by the queue file writer (lib/mail/queue_file.c), the queue directory
 * code, and every command that takes an ID (postcat -q, postsuper -d). An ID
 * that passes queue_id_check() holds only [0-9A-Za-z] characters and is at
 * most QUEUE_ID_MAX_LEN long, so it can never be "..", contain a '/' or
 * otherwise name a file outside its queue directory. Never build a path
 * from an ID that did not pass queue_id_check().
 *
 * Short form (enable_long_queue_ids = no), as Postfix: "%05X" of the
 * microseconds, then "%lX" of the inode: "5B9E8A72201". 6 to 21 characters.
 * Unique among the files that exist at one time (no two live files share an
 * inode), but an ID may come back after its file is gone.
 *
 * Long form (enable_long_queue_ids = yes), as Postfix: digits of the
 * alphabet QUEUE_ID_ALPHABET (0-9, then the consonants B-Z, then b-z: 52
 * characters in ASCII order), most significant digit first:
 *   [0..5]  seconds since the epoch, base 52, 6 digits (enough until 2596)
 *   [6..9]  microseconds, base 52, 4 digits (zero-padded)
 *   [10]    'z', the separator (the last alphabet character)
 *   [11..]  inode, base 51 (the alphabet without 'z'), 1 to 12 digits
 * e.g. "4jXGhF2l6yz1bY2T". Fixed widths and an ASCII-ordered alphabet make
 * the IDs sort (strcmp) in arrival order; seconds plus microseconds plus a
 * live inode make them unique over the life of the system, provided the
 * writer never replaces an existing name (queue_file.c renames with
 * RENAME_NOREPLACE and retries with a fresh time).
 *
 * The inode part never has a leading zero (unless the inode is 0), and a
 * short ID's microseconds are below 1000000: each ID has exactly one
 * spelling, so two names can never denote the same message.
 */
#ifndef POSTERN_MAIL_QUEUE_ID_H
#define POSTERN_MAIL_QUEUE_ID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#define QUEUE_ID_ALPHABET "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"

#define QUEUE_ID_SHORT_USEC_WIDTH 5  /* "%05X" */
#define QUEUE_ID_SHORT_INODE_MAX  16 /* hex digits of a 64-bit inode */
#define QUEUE_ID_LONG_SEC_WIDTH   6
#define QUEUE_ID_LONG_USEC_WIDTH  4
#define QUEUE_ID_LONG_SEP         'z'
#define QUEUE_ID_LONG_INODE_MAX   12                     /* base-51 digits of a 64-bit inode */
#define QUEUE_ID_MAX_LEN          23                     /* the longest long ID */
#define QUEUE_ID_SIZE             (QUEUE_ID_MAX_LEN + 1) /* buffer size, NUL included */

/* hash_queue_depth above this is refused (see queue_id_hash). */
#define QUEUE_ID_HASH_MAX_DEPTH 4

enum queue_id_form { QUEUE_ID_INVALID = 0, QUEUE_ID_SHORT, QUEUE_ID_LONG };

/* What an ID says about its file. sec is 0 for a short ID (it has none). */
struct queue_id_parts {
    enum queue_id_form form;
    uint64_t inode;
    long sec;
    long usec;
};

/*
 * Writes the ID for inode and tv into out (size >= QUEUE_ID_SIZE), long
 * form if long_form. Returns the ID's length, or -1 (errno EINVAL) when tv
 * is out of range (negative, usec >= 1000000, seconds past 52^6) or out is
 * too small.
 */
int queue_id_make(char *out, size_t size, uint64_t inode, const struct timeval *tv, int long_form);

/* The form of str if it is a valid ID of either form, else QUEUE_ID_INVALID.
 * str may be NULL or of any length; it is never read past QUEUE_ID_MAX_LEN+1
 * bytes. */
enum queue_id_form queue_id_check(const char *str);

/* queue_id_check(str) != QUEUE_ID_INVALID. */
int queue_id_valid(const char *str);

/* Decodes a valid ID. Returns 0, or -1 (errno EINVAL) when str is invalid. */
int queue_id_parse(const char *str, struct queue_id_parts *parts);

/*
 * The hashed subdirectory of id for hash_queue_depth depth (1 to
 * QUEUE_ID_HASH_MAX_DEPTH), one character per level joined by '/': "5" or
 * "5/B". Short IDs use their first characters (the high hex digits of the
 * microseconds, as Postfix does). Long IDs use their microsecond digits
 * from the least significant one (ID position 9, then 8, 7, 6): the first
 * characters of a long ID are the seconds, which would put a whole minute
 * of mail into one subdirectory, while the low microsecond digits change
 * with every message and spread evenly. Returns 0, or -1 (errno EINVAL)
 * for an invalid id or depth, or an out buffer smaller than 2 * depth.
 */
int queue_id_hash(const char *id, int depth, char *out, size_t size);

#endif
