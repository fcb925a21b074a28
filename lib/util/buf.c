/*
 * buf.c - growable byte buffers (see buf.h).
 *
 * Capacity doubles so appends are amortised O(1); every size computation
 * goes through mem_size_add()/mem_size_mul() so a huge request is fatal,
 * never a wrapped-around small allocation.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "msg.h"

static char buf_empty[1] = "";

void buf_init(struct buf *b)
{
    b->data = buf_empty;
    b->len = 0;
    b->cap = 0;
}

void buf_release(struct buf *b)
{
    if (b->cap)
        mem_free(b->data);
    buf_init(b);
}

struct buf *buf_new(void)
{
    struct buf *b = mem_alloc(sizeof(*b));

    buf_init(b);
    return b;
}

void buf_free(struct buf *b)
{
    if (b) {
        buf_release(b);
        mem_free(b);
    }
}

void buf_reserve(struct buf *b, size_t extra)
{
    size_t need = mem_size_add(mem_size_add(b->len, extra), 1);
    size_t cap;

    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 32;
    while (cap < need)
        cap = (cap > ((size_t)-1) / 2) ? need : cap * 2;
    if (b->cap == 0) {
        b->data = mem_alloc(cap);
        b->data[0] = '\0';
    } else {
        b->data = mem_realloc(b->data, cap);
    }
    b->cap = cap;
}

void buf_reset(struct buf *b)
{
    buf_truncate(b, 0);
}

void buf_truncate(struct buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

void buf_append(struct buf *b, const void *data, size_t len)
{
    const char *src = data;

    if (len == 0)
        return;
    /* The source may lie inside b: keep its offset across a realloc. */
    if (b->cap && src >= b->data && src < b->data + b->cap) {
        size_t off = (size_t)(src - b->data);

        buf_reserve(b, len);
        src = b->data + off;
    } else {
        buf_reserve(b, len);
    }
    memmove(b->data + b->len, src, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_append_str(struct buf *b, const char *str)
{
    buf_append(b, str, strlen(str));
}

void buf_append_char(struct buf *b, int ch)
{
    buf_reserve(b, 1);
    b->data[b->len++] = (char)ch;
    b->data[b->len] = '\0';
}

void buf_set(struct buf *b, const char *str)
{
    buf_set_mem(b, str, strlen(str));
}

void buf_set_mem(struct buf *b, const void *data, size_t len)
{
    /* The source may be b's own data: move it, then fix the length. */
    if (b->cap && (const char *)data >= b->data && (const char *)data < b->data + b->cap) {
        memmove(b->data, data, len);
        b->len = len;
        b->data[len] = '\0';
        return;
    }
    buf_reset(b);
    buf_append(b, data, len);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        msg_panic("buf_vprintf: bad format \"%s\"", fmt);
    buf_reserve(b, (size_t)n);
    if (vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap) != n)
        msg_panic("buf_vprintf: inconsistent vsnprintf result");
    b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *buf_steal(struct buf *b)
{
    char *s;

    if (b->cap == 0)
        return mem_strdup("");
    s = b->data;
    buf_init(b);
    return s;
}
