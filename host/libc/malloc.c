/* malloc.c - the heap: one region given by the platform at boot, a
 * first-fit free list kept in address order so that free can merge a block
 * with both neighbours.  Blocks are 16-byte aligned (max_align_t). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"

#define ALIGN 16u

/* In front of every block; a free block also links to the next free one. */
struct block {
	size_t size; /* whole block, header included, a multiple of ALIGN */
	struct block *next;
};

#define HDR ALIGN /* the header as stored: payload stays aligned */
#define MIN_BLOCK (2 * ALIGN)

static struct block *free_list;

void mgx_heap_add(void *start, size_t len)
{
	uintptr_t a = ((uintptr_t)start + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
	uintptr_t end = ((uintptr_t)start + len) & ~(uintptr_t)(ALIGN - 1);

	if (end <= a || end - a < MIN_BLOCK)
		return;
	((struct block *)a)->size = end - a;
	free((char *)a + HDR);
}

void *malloc(size_t size)
{
	struct block **p, *b;
	size_t need;

	if (size > SIZE_MAX - HDR - ALIGN)
		return NULL;
	need = (size + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	for (p = &free_list; (b = *p); p = &b->next) {
		if (b->size < need)
			continue;
		if (b->size - need >= MIN_BLOCK) {
			struct block *rest = (struct block *)((char *)b + need);

			rest->size = b->size - need;
			rest->next = b->next;
			b->size = need;
			*p = rest;
		} else {
			*p = b->next;
		}
		return (char *)b + HDR;
	}
	return NULL;
}

static int touches(const struct block *a, const struct block *b)
{
	return (const char *)a + a->size == (const char *)b;
}

void free(void *ptr)
{
	struct block *b, *prev = NULL, *next = free_list;

	if (!ptr)
		return;
	b = (struct block *)((char *)ptr - HDR);
	while (next && next < b) {
		prev = next;
		next = next->next;
	}
	b->next = next;
	if (next && touches(b, next)) {
		b->size += next->size;
		b->next = next->next;
	}
	if (prev && touches(prev, b)) {
		prev->size += b->size;
		prev->next = b->next;
	} else if (prev) {
		prev->next = b;
	} else {
		free_list = b;
	}
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *ptr, size_t size)
{
	size_t have;
	void *p;

	if (!ptr)
		return malloc(size);
	have = ((struct block *)((char *)ptr - HDR))->size - HDR;
	if (size <= have)
		return ptr;
	p = malloc(size);
	if (p) {
		memcpy(p, ptr, have);
		free(ptr);
	}
	return p;
}
