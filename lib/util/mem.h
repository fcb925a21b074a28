/*
 * mem.h - checked memory allocation.
 *
 * Every allocation in postern goes through these wrappers. They never return
 * NULL: running out of memory (or a size computation that would overflow
 * size_t) is logged and fatal, so callers need no error path. They must never
 * be used to size a buffer from an untrusted length without a limit check
 * first: "never NULL" does not mean "any size is fine".
 */
#ifndef POSTERN_UTIL_MEM_H
#define POSTERN_UTIL_MEM_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *ptr, size_t size);
void *mem_realloc_array(void *ptr, size_t count, size_t size);
char *mem_strdup(const char *str);
char *mem_strndup(const char *str, size_t len);
void *mem_memdup(const void *ptr, size_t len);
void mem_free(void *ptr);

/* Overflow-checked arithmetic for size computations; fatal on overflow. */
size_t mem_size_add(size_t a, size_t b);
size_t mem_size_mul(size_t a, size_t b);

#endif
