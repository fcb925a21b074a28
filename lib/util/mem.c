/*
 * mem.c - checked memory allocation (see mem.h).
 *
 * Out-of-memory is fatal and logged through msg_fatal(), which formats into
 * a stack buffer, so reporting the failure never allocates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"

size_t mem_size_add(size_t a, size_t b)
{
    if (a > SIZE_MAX - b)
        msg_fatal("size overflow: %zu + %zu", a, b);
    return a + b;
}

size_t mem_size_mul(size_t a, size_t b)
{
    if (b != 0 && a > SIZE_MAX / b)
        msg_fatal("size overflow: %zu * %zu", a, b);
    return a * b;
}

void *mem_alloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p == NULL)
        msg_fatal("out of memory allocating %zu bytes", size);
    return p;
}

void *mem_calloc(size_t count, size_t size)
{
    void *p;

    (void)mem_size_mul(count, size);
    p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL) {
        msg_fatal("out of memory allocating %zu x %zu bytes", count, size);
    }
    return p;
}

void *mem_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);

    if (p == NULL)
        msg_fatal("out of memory reallocating %zu bytes", size);
    return p;
}

void *mem_realloc_array(void *ptr, size_t count, size_t size)
{
    return mem_realloc(ptr, mem_size_mul(count, size));
}

char *mem_strdup(const char *str)
{
    return mem_memdup(str, strlen(str) + 1);
}

char *mem_strndup(const char *str, size_t len)
{
    const char *end = memchr(str, '\0', len);
    size_t n = end ? (size_t)(end - str) : len;
    char *p = mem_alloc(mem_size_add(n, 1));

    memcpy(p, str, n);
    p[n] = '\0';
    return p;
}

void *mem_memdup(const void *ptr, size_t len)
{
    void *p = mem_alloc(len);

    if (len)
        memcpy(p, ptr, len);
    return p;
}

void mem_free(void *ptr)
{
    free(ptr);
}
