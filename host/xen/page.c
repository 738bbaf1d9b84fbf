/* page.c - whole pages for drivers' rings and buffers, cut out of the heap
 * at page boundaries.  Memory is identity mapped, so a page's frame number
 * is its address >> 12: what a grant or a ring reference names. */
#include <stdlib.h>
#include <string.h>

#include "libc/heap.h"
#include "plat.h"

#define PAGE_SIZE (1u << MGX_PAGE_SHIFT)

void *mgx_page_alloc(size_t n)
{
	void *p;

	if (n == 0 || n > SIZE_MAX / PAGE_SIZE)
		return NULL;
	p = mgx_heap_aligned(PAGE_SIZE, n * PAGE_SIZE);
	if (p)
		memset(p, 0, n * PAGE_SIZE);
	return p;
}

void mgx_page_free(void *pages)
{
	free(pages);
}
