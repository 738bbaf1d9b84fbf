/* stdlib.h - the heap, abort and number parsing of the image's libc. */
#ifndef MGX_STDLIB_H
#define MGX_STDLIB_H

#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);
/* Crashes the domain (SHUTDOWN_crash), or leaves QEMU with status 1. */
__attribute__((noreturn)) void abort(void);
long long strtoll(const char *restrict s, char **restrict end, int base);
unsigned long long strtoull(const char *restrict s, char **restrict end, int base);
long strtol(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
int atoi(const char *s);
/* Sorts n elements of size bytes at base by cmp (not stable). */
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

#endif
