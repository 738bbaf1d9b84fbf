/* heap.h - how the platform gives memory to malloc. */
#ifndef MGX_HEAP_H
#define MGX_HEAP_H

#include <stddef.h>

/* Adds [start, start + len) to the heap; may be called once per region. */
void mgx_heap_add(void *start, size_t len);
/* size bytes at a multiple of align (a power of two >= 16), freed with
 * free(); NULL when no free block holds them.  For the page allocator. */
void *mgx_heap_aligned(size_t align, size_t size);

#endif
