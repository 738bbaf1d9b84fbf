/* mem.c - gives the heap every RAM range of the start info's memory map
 * that lies above the image and inside the identity map (4 GiB). */
#include "libc/heap.h"
#include "plat.h"

#define MAPPED_END 0x100000000ull /* boot.S maps the low 4 GiB */
#define MAX_RANGES 32
#define FALLBACK_SIZE (8u << 20) /* no map (start info version 0): 8 MiB */

extern char _end[]; /* from image.ld */

void mgx_mem_init(const struct hvm_start_info *si)
{
	/* Copied first: Xen puts the start info and the map right after the
	 * image, where the heap begins. */
	struct hvm_memmap_table_entry ranges[MAX_RANGES];
	uint64_t lo = (uintptr_t)_end;
	unsigned n = 0;

	if (si->magic == XEN_HVM_START_MAGIC_VALUE && si->version >= 1) {
		const struct hvm_memmap_table_entry *m = (const void *)(uintptr_t)si->memmap_paddr;

		for (unsigned i = 0; i < si->memmap_entries && n < MAX_RANGES; i++)
			if (m[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
				ranges[n++] = m[i];
	}
	if (n == 0) {
		mgx_heap_add(_end, FALLBACK_SIZE);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t start = ranges[i].addr > lo ? ranges[i].addr : lo;
		uint64_t end = ranges[i].addr + ranges[i].size;

		if (end > MAPPED_END)
			end = MAPPED_END;
		if (end > start)
			mgx_heap_add((void *)(uintptr_t)start, (size_t)(end - start));
	}
}
