/* heap.h - how the platform gives memory to malloc. */
#ifndef MGX_HEAP_H
#define MGX_HEAP_H

#include <stddef.h>

/* Adds [start, start + len) to the heap; may be called once per region. */
void mgx_heap_add(void *start, size_t len);

#endif
