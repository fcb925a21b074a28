/*
 * buf.h - growable byte buffers and strings.
 *
 * A struct buf holds len bytes of data followed by a NUL that is not counted,
 * so buf_str() is always a valid C string (binary data may hold NULs inside).
 * Growth is overflow-checked in size_t. A buffer must never be grown from an
 * untrusted length without a limit check by the caller: the limit belongs to
 * the protocol, not to this module. Appending or setting from b's own data
 * is safe (the offset is kept across growth); printf arguments must not
 * point into b.
 */
#ifndef POSTERN_UTIL_BUF_H
#define POSTERN_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* len bytes + NUL; points to a static "" while cap == 0 */
    size_t len;
    size_t cap; /* allocated bytes, including room for the NUL */
};

#define BUF_INIT {(char *)"", 0, 0}

void buf_init(struct buf *b);
void buf_release(struct buf *b); /* frees the contents; b may be reused */
struct buf *buf_new(void);
void buf_free(struct buf *b); /* frees a buffer from buf_new() */

void buf_reserve(struct buf *b, size_t extra);
void buf_reset(struct buf *b);
void buf_truncate(struct buf *b, size_t len);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_append_str(struct buf *b, const char *str);
void buf_append_char(struct buf *b, int ch);
void buf_set(struct buf *b, const char *str);
void buf_set_mem(struct buf *b, const void *data, size_t len);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
char *buf_steal(struct buf *b); /* returns the malloc'ed string; b becomes empty */

static inline const char *buf_str(const struct buf *b)
{
    return b->data;
}

static inline size_t buf_len(const struct buf *b)
{
    return b->len;
}

#endif
