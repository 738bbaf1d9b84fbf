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

/* Like malloc, with the payload at a multiple of align (a power of two, at
 * least ALIGN): the block is cut out of the first free block that holds
 * one, and what lies before and after it stays free.  free() takes it. */
void *mgx_heap_aligned(size_t align, size_t size)
{
	struct block **p, *b;
	size_t need;

	if (align < ALIGN || (align & (align - 1)) || size > SIZE_MAX / 2)
		return NULL;
	need = (size + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	for (p = &free_list; (b = *p); p = &b->next) {
		uintptr_t start = (uintptr_t)b, end = start + b->size;
		uintptr_t pay = (start + HDR + align - 1) & ~(uintptr_t)(align - 1);
		struct block *a, *next = b->next;
		size_t rest;

		/* a gap in front must be a block of its own */
		if (pay - HDR != start && pay - HDR - start < MIN_BLOCK)
			pay += align;
		if (pay - HDR > end || end - (pay - HDR) < need)
			continue;
		a = (struct block *)(pay - HDR);
		rest = end - (pay - HDR) - need;
		a->size = rest < MIN_BLOCK ? need + rest : need;
		if (rest >= MIN_BLOCK) {
			struct block *r = (struct block *)((char *)a + need);

			r->size = rest;
			r->next = next;
			next = r;
		}
		if (a != b) {
			b->size = (uintptr_t)a - start;
			p = &b->next;
		}
		*p = next;
		return (char *)a + HDR;
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
