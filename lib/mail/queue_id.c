/*
 * queue_id.c - making, checking and hashing queue IDs (see queue_id.h for
 * both layouts).
 *
 * Called by the queue file writer, the queue directory code and commands
 * that take IDs from users. Checking is strict and bounded: it reads at most
 * QUEUE_ID_MAX_LEN + 1 bytes and accepts only the one canonical spelling of
 * an ID, so a name that passes is always safe as a path component.
 */
#include <errno.h>
#include <string.h>

#include "mail/queue_id.h"

#define QUEUE_ID_BASE_LONG  52 /* seconds and microseconds */
#define QUEUE_ID_BASE_INODE 51 /* the inode: the alphabet without 'z' */
#define QUEUE_ID_USEC_LIMIT 1000000L

static const char queue_id_alphabet[] = QUEUE_ID_ALPHABET;
static const char queue_id_hex[] = "0123456789ABCDEF";

/* The value of ch in the long-ID alphabet, or -1. */
static int queue_id_digit(int ch)
{
    const char *p;

    if (ch == '\0')
        return -1;
    p = strchr(queue_id_alphabet, ch);
    return p ? (int)(p - queue_id_alphabet) : -1;
}

static int queue_id_hex_digit(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1; /* lower case is not canonical */
}

/* Writes value in base into out as exactly width digits (zero-padded), or
 * as few digits as needed when width is 0. Returns the digits written, or
 * -1 if value does not fit width or room. */
static int queue_id_put_base(char *out, size_t room, uint64_t value, unsigned base, size_t width,
                             const char *digits)
{
    char tmp[64];
    size_t n = 0, i;

    do {
        tmp[n++] = digits[value % base];
        value /= base;
    } while (value != 0 && n < sizeof(tmp));
    if (value != 0 || (width && n > width))
        return -1;
    while (n < width)
        tmp[n++] = digits[0];
    if (n > room)
        return -1;
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return (int)n;
}

int queue_id_make(char *out, size_t size, uint64_t inode, const struct timeval *tv, int long_form)
{
    size_t pos = 0;
    int n;

    if (out == NULL || size < QUEUE_ID_SIZE || tv == NULL || tv->tv_sec < 0 || tv->tv_usec < 0 ||
        tv->tv_usec >= QUEUE_ID_USEC_LIMIT) {
        errno = EINVAL;
        return -1;
    }
    if (long_form) {
        n = queue_id_put_base(out, size, (uint64_t)tv->tv_sec, QUEUE_ID_BASE_LONG,
                              QUEUE_ID_LONG_SEC_WIDTH, queue_id_alphabet);
        if (n < 0) {
            errno = EINVAL; /* the year 2596 */
            return -1;
        }
        pos = (size_t)n;
        pos += (size_t)queue_id_put_base(out + pos, size - pos, (uint64_t)tv->tv_usec,
                                         QUEUE_ID_BASE_LONG, QUEUE_ID_LONG_USEC_WIDTH,
                                         queue_id_alphabet);
        out[pos++] = QUEUE_ID_LONG_SEP;
        pos += (size_t)queue_id_put_base(out + pos, size - pos, inode, QUEUE_ID_BASE_INODE, 0,
                                         queue_id_alphabet);
    } else {
        pos = (size_t)queue_id_put_base(out, size, (uint64_t)tv->tv_usec, 16,
                                        QUEUE_ID_SHORT_USEC_WIDTH, queue_id_hex);
        pos += (size_t)queue_id_put_base(out + pos, size - pos, inode, 16, 0, queue_id_hex);
    }
    out[pos] = '\0';
    return (int)pos;
}

/* Decodes len digits at s in base (digit values from digit_of); refuses
 * digits >= base and overflow of 64 bits. */
static int queue_id_get_base(const char *s, size_t len, unsigned base, int (*digit_of)(int),
                             uint64_t *out)
{
    uint64_t value = 0;
    size_t i;
    int d;

    for (i = 0; i < len; i++) {
        d = digit_of((unsigned char)s[i]);
        if (d < 0 || (unsigned)d >= base)
            return -1;
        if (value > (UINT64_MAX - (uint64_t)d) / base)
            return -1;
        value = value * base + (uint64_t)d;
    }
    *out = value;
    return 0;
}

/* The one parser behind check and parse; parts may be NULL. */
static enum queue_id_form queue_id_decode(const char *str, struct queue_id_parts *parts)
{
    uint64_t sec, usec, inode;
    size_t len;

    if (str == NULL)
        return QUEUE_ID_INVALID;
    len = strnlen(str, QUEUE_ID_MAX_LEN + 1);
    if (len > QUEUE_ID_MAX_LEN)
        return QUEUE_ID_INVALID;
    /* A short ID is upper-case hex only, so a separator 'z' at position 10
     * is what makes an ID long: the forms cannot be mistaken. */
    if (len > QUEUE_ID_LONG_SEC_WIDTH + QUEUE_ID_LONG_USEC_WIDTH + 1 &&
        str[QUEUE_ID_LONG_SEC_WIDTH + QUEUE_ID_LONG_USEC_WIDTH] == QUEUE_ID_LONG_SEP) {
        const char *ino = str + QUEUE_ID_LONG_SEC_WIDTH + QUEUE_ID_LONG_USEC_WIDTH + 1;
        size_t ino_len = len - (size_t)(ino - str);

        if (ino_len > QUEUE_ID_LONG_INODE_MAX || (ino_len > 1 && ino[0] == '0'))
            return QUEUE_ID_INVALID;
        if (queue_id_get_base(str, QUEUE_ID_LONG_SEC_WIDTH, QUEUE_ID_BASE_LONG, queue_id_digit,
                              &sec) < 0 ||
            queue_id_get_base(str + QUEUE_ID_LONG_SEC_WIDTH, QUEUE_ID_LONG_USEC_WIDTH,
                              QUEUE_ID_BASE_LONG, queue_id_digit, &usec) < 0 ||
            usec >= QUEUE_ID_USEC_LIMIT ||
            queue_id_get_base(ino, ino_len, QUEUE_ID_BASE_INODE, queue_id_digit, &inode) < 0)
            return QUEUE_ID_INVALID;
        if (parts) {
            parts->form = QUEUE_ID_LONG;
            parts->sec = (long)sec;
            parts->usec = (long)usec;
            parts->inode = inode;
        }
        return QUEUE_ID_LONG;
    }
    if (len < QUEUE_ID_SHORT_USEC_WIDTH + 1 ||
        len > QUEUE_ID_SHORT_USEC_WIDTH + QUEUE_ID_SHORT_INODE_MAX)
        return QUEUE_ID_INVALID;
    if (len > QUEUE_ID_SHORT_USEC_WIDTH + 1 && str[QUEUE_ID_SHORT_USEC_WIDTH] == '0')
        return QUEUE_ID_INVALID;
    if (queue_id_get_base(str, QUEUE_ID_SHORT_USEC_WIDTH, 16, queue_id_hex_digit, &usec) < 0 ||
        usec >= QUEUE_ID_USEC_LIMIT ||
        queue_id_get_base(str + QUEUE_ID_SHORT_USEC_WIDTH, len - QUEUE_ID_SHORT_USEC_WIDTH, 16,
                          queue_id_hex_digit, &inode) < 0)
        return QUEUE_ID_INVALID;
    if (parts) {
        parts->form = QUEUE_ID_SHORT;
        parts->sec = 0;
        parts->usec = (long)usec;
        parts->inode = inode;
    }
    return QUEUE_ID_SHORT;
}

enum queue_id_form queue_id_check(const char *str)
{
    return queue_id_decode(str, NULL);
}

int queue_id_valid(const char *str)
{
    return queue_id_decode(str, NULL) != QUEUE_ID_INVALID;
}

int queue_id_parse(const char *str, struct queue_id_parts *parts)
{
    struct queue_id_parts tmp;

    if (queue_id_decode(str, &tmp) == QUEUE_ID_INVALID) {
        errno = EINVAL;
        return -1;
    }
    if (parts)
        *parts = tmp;
    return 0;
}

int queue_id_hash(const char *id, int depth, char *out, size_t size)
{
    enum queue_id_form form = queue_id_check(id);
    size_t pos = 0;
    int level;

    if (form == QUEUE_ID_INVALID || depth < 1 || depth > QUEUE_ID_HASH_MAX_DEPTH || out == NULL ||
        size < 2 * (size_t)depth) {
        errno = EINVAL;
        return -1;
    }
    for (level = 0; level < depth; level++) {
        if (level > 0)
            out[pos++] = '/';
        if (form == QUEUE_ID_SHORT)
            out[pos++] = id[level];
        else
            out[pos++] = id[QUEUE_ID_LONG_SEC_WIDTH + QUEUE_ID_LONG_USEC_WIDTH - 1 - level];
    }
    out[pos] = '\0';
    return 0;
}
