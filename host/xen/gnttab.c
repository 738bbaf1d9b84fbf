/* gnttab.c - the grant table (v1) that drivers share pages through.  Its
 * frames are mapped on demand (XENMEM_add_to_physmap, XENMAPSPACE_grant_table)
 * onto pages of the guest's own memory, one frame when the first grant is
 * made and one more whenever every entry is taken, up to Xen's limit.
 * Entries 0-7 are reserved for the toolstack (1: the xenstore ring). */
#include <errno.h>
#include <stdlib.h>

#include <stdint.h> /* before Xen's headers, which use its types */
#include <xen/grant_table.h>
#include <xen/memory.h>

#include "plat.h"

#define PER_FRAME ((1u << MGX_PAGE_SHIFT) / sizeof(grant_entry_v1_t)) /* 512 */
#define MAX_FRAMES 32u /* 16384 entries: far more than a few rings need */

static grant_entry_v1_t *frames[MAX_FRAMES];
static unsigned nframes, max_frames; /* mapped; Xen's limit (0: not asked yet) */
/* Free entries, linked through next[ref]; 0 (reserved) ends the list. */
static uint32_t *next, free_head;
static unsigned granted;

/* Grants a backend still mapped when their driver let go, and the pages
 * they share: retried at every round of the loop (mgx_gnt_retry). */
struct linger {
	struct linger *next;
	void *pages;
	unsigned n;
	uint32_t refs[];
};
static struct linger *lingering;

static grant_entry_v1_t *entry(uint32_t ref)
{
	return &frames[ref / PER_FRAME][ref % PER_FRAME];
}

static unsigned xen_max_frames(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };

	if (mgx_hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (unsigned long)&q, 1,
			  0, 0) < 0 || q.status != GNTST_okay || q.max_nr_frames == 0)
		return 1; /* the one frame every domain has */
	return q.max_nr_frames < MAX_FRAMES ? q.max_nr_frames : MAX_FRAMES;
}

/* Maps the next frame and frees its entries: 0, -ENOSPC, -ENOMEM. */
static int grow(void)
{
	uint32_t first = nframes * PER_FRAME, *more;
	struct xen_add_to_physmap map = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
					  .idx = nframes };
	void *page;

	if (!max_frames)
		max_frames = xen_max_frames();
	if (nframes == max_frames)
		return -ENOSPC;
	more = realloc(next, (first + PER_FRAME) * sizeof *next);
	if (!more)
		return -ENOMEM;
	next = more;
	page = mgx_page_alloc(1);
	if (!page)
		return -ENOMEM;
	map.gpfn = (uintptr_t)page >> MGX_PAGE_SHIFT;
	if (mgx_hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&map, 0,
			  0, 0) < 0) {
		mgx_page_free(page);
		max_frames = nframes; /* Xen will not give more */
		return -ENOSPC;
	}
	/* the page is Xen's frame from now on: never given back */
	frames[nframes++] = page;
	for (uint32_t ref = first + PER_FRAME; ref-- > first;)
		if (ref >= GNTTAB_NR_RESERVED_ENTRIES) {
			next[ref] = free_head;
			free_head = ref;
		}
	return 0;
}

int mgx_gnt_grant(uint16_t domid, uint64_t frame, int readonly, uint32_t *ref)
{
	grant_entry_v1_t *e;
	int rc;

	if (!mgx_on_xen())
		return -ENODEV;
	if (frame > UINT32_MAX)
		return -EINVAL; /* v1 entries hold 32-bit frame numbers */
	if (!free_head && (rc = grow()) < 0)
		return rc;
	*ref = free_head;
	free_head = next[*ref];
	e = entry(*ref);
	e->frame = (uint32_t)frame;
	e->domid = domid;
	/* the backend may use the entry as soon as it sees the flags */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->flags, GTF_permit_access | (readonly ? GTF_readonly : 0),
			 __ATOMIC_RELEASE);
	granted++;
	return 0;
}

int mgx_gnt_end(uint32_t ref)
{
	grant_entry_v1_t *e;
	uint16_t flags;

	if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= nframes * PER_FRAME)
		return -EINVAL;
	e = entry(ref);
	flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
	/* Xen sets reading/writing while the backend maps the page: only a
	 * compare-and-swap can end the grant without racing a new mapping. */
	do {
		if ((flags & GTF_type_mask) != GTF_permit_access)
			return -EINVAL; /* not granted (ended twice?) */
		if (flags & (GTF_reading | GTF_writing))
			return -EBUSY;
	} while (!__atomic_compare_exchange_n(&e->flags, &flags, 0, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	next[ref] = free_head;
	free_head = ref;
	granted--;
	return 0;
}

/* Ends what it can of refs[0..n), keeping the others (0: ended); returns
 * how many stay. */
static unsigned end_some(uint32_t *refs, unsigned n)
{
	unsigned left = 0;

	for (unsigned i = 0; i < n; i++)
		if (refs[i] && mgx_gnt_end(refs[i]) == -EBUSY)
			left++;
		else
			refs[i] = 0;
	return left;
}

unsigned mgx_gnt_release(const uint32_t *refs, unsigned n, void *pages)
{
	struct linger *l = malloc(sizeof *l + n * sizeof *refs);
	unsigned left;

	if (!l) {
		/* cannot keep track: end what can be ended, leak the pages */
		for (unsigned i = 0; i < n; i++)
			if (refs[i])
				mgx_gnt_end(refs[i]);
		return n;
	}
	for (unsigned i = 0; i < n; i++)
		l->refs[i] = refs[i];
	left = end_some(l->refs, n);
	if (!left) {
		mgx_page_free(pages);
		free(l);
		return 0;
	}
	l->pages = pages;
	l->n = n;
	l->next = lingering;
	lingering = l;
	return left;
}

void mgx_gnt_retry(void)
{
	for (struct linger **p = &lingering, *l; (l = *p);) {
		if (end_some(l->refs, l->n)) {
			p = &l->next;
			continue;
		}
		*p = l->next;
		mgx_page_free(l->pages);
		free(l);
	}
}

unsigned mgx_gnt_granted(void)
{
	return granted;
}
